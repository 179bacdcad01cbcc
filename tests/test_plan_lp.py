import dataclasses
import datetime as dt

import numpy as np
import polars as pl
import pytest

from scm.errors import InfeasibleError, InputError
from scm.plan.baseline import plan_baseline
from scm.plan.lp import plan_lp
from scm.plan.matrix import build_lp
from scm.plan.problem import Problem, build_problem


def problem(demand, **kw) -> Problem:
    d = np.atleast_2d(np.asarray(demand, float))
    n, T = d.shape
    base = dict(
        keys=pl.DataFrame({"sku": [f"S{i}" for i in range(n)]}),
        dates=[dt.date(2024, 1, 1) + dt.timedelta(weeks=t) for t in range(T)],
        demand=d,
        safety_stock=np.zeros((n, T)),
        open_orders=np.zeros((n, T)),
        unit_cost=np.ones(n),
        holding_cost=np.full(n, 1.0),
        shortage_cost=np.full(n, 10.0),
        order_cost=np.zeros(n),
        lead_time=np.zeros(n, int),
        moq=np.zeros(n),
        lot_size=np.zeros(n),
        initial_inventory=np.zeros(n),
    )
    for k, v in kw.items():
        base[k] = np.asarray(v) if isinstance(v, list) else v
    return Problem(**base)


def test_lead_time_shifts_orders_and_end_orders_are_not_placed():
    p = problem([[0, 0, 5, 5]], lead_time=np.array([2]))
    r = plan_lp(p)
    assert r.orders[0].tolist() == [5.0, 5.0, 0.0, 0.0]
    assert r.plan["arrival_qty"].to_list() == [0.0, 0.0, 5.0, 5.0]
    assert r.summary["status"] == "optimal"
    assert r.summary["cost"]["holding"] == 0.0


def test_backlog_when_lead_time_makes_early_demand_unreachable():
    p = problem([[4, 0, 0]], lead_time=np.array([1]))
    r = plan_lp(p)
    # backlog of 4 at the end of period 1, cleared by an order arriving in period 2
    assert r.plan["backlog"].to_list() == [4.0, 0.0, 0.0]
    assert r.summary["cost"]["shortage"] == pytest.approx(40.0)


def test_lost_sales_mode():
    p = problem([[4, 3, 0]], lead_time=np.array([1]), backorders="lost", shortage_cost=np.array([10.0]))
    r = plan_lp(p)
    assert "lost" in r.plan.columns
    assert r.plan["lost"].to_list() == [4.0, 0.0, 0.0]
    assert r.orders[0].tolist() == [3.0, 0.0, 0.0]


def test_open_orders_and_initial_inventory_are_used_first():
    oo = np.zeros((1, 4))
    oo[0, 1] = 5
    p = problem([[3, 5, 2, 2]], initial_inventory=np.array([3.0]), open_orders=oo)
    r = plan_lp(p)
    assert r.orders[0].tolist() == [0.0, 0.0, 2.0, 2.0]


def test_backorders_none_infeasible_names_series_and_period():
    p = problem([[4, 1]], lead_time=np.array([1]), backorders="none")
    with pytest.raises(InfeasibleError, match=r"series S0 cannot meet 4 units of demand in period 2024-01-01"):
        plan_lp(p)


def test_capacity_infeasible_names_resource_and_period():
    p = problem(
        [[5, 5]],
        backorders="none",
        resource_names=["line"],
        resource_kinds=["order"],
        capacity=np.array([[5.0, 2.0]]),
        per_unit=np.array([[1.0]]),
        per_order=np.zeros((1, 1)),
    )
    with pytest.raises(InfeasibleError) as info:
        plan_lp(p)
    assert "2024-01-08" in str(info.value) or any("line" in d for d in info.value.diagnosis)


def test_storage_capacity_and_shadow_price():
    # cheap to buy early? No: storage limits stock; capacity binding in period 1 has value
    p = problem(
        [[0, 10]],
        lead_time=np.array([0]),
        unit_cost=np.array([1.0]),
        holding_cost=np.array([0.1]),
        resource_names=["warehouse", "line"],
        resource_kinds=["storage", "order"],
        capacity=np.array([[np.inf, np.inf], [10.0, 4.0]]),
        per_unit=np.array([[1.0], [1.0]]),
        per_order=np.zeros((2, 1)),
    )
    r = plan_lp(p)
    # only 4 can be made in period 2: 6 must be made in period 1 and held
    assert r.orders[0].tolist() == [6.0, 4.0]
    prices = {(s["resource"], s["date"]): s["value_per_unit"] for s in r.summary["shadow_prices"]}
    # one more unit of line capacity in period 2 saves one period of holding (0.1)
    assert prices[("line", "2024-01-08")] == pytest.approx(0.1)


def test_order_cost_moq_lot_size_mip():
    p = problem(
        [[3, 3, 3, 3]],
        order_cost=np.array([10.0]),
        moq=np.array([5.0]),
        lot_size=np.array([4.0]),
        holding_cost=np.array([1.0]),
    )
    r = plan_lp(p)
    x = r.orders[0]
    assert all(v == 0 or (v >= 5 and v % 4 == 0) for v in x)
    assert r.summary["integer_variables"] > 0
    # with a bigger order cost the plan orders less often
    fewer = plan_lp(dataclasses.replace(p, order_cost=np.array([100.0])))
    assert (fewer.orders[0] > 0).sum() <= (x > 0).sum()


def test_safety_stock_kept_when_cheaper_than_shortfall():
    p = problem([[2, 2, 2]], safety_stock=np.full((1, 3), 3.0), holding_cost=np.array([0.5]))
    r = plan_lp(p)
    assert r.plan["inventory"].to_list()[-1] == pytest.approx(3.0)
    assert r.summary["cost"]["safety_stock"] == 0.0


@pytest.mark.parametrize(
    ("backend", "solver"),
    [("ortools", "glop"), ("ortools", "pdlp"), ("ortools", "scip"), ("pulp", "cbc"), ("pulp", "highs")],
)
def test_solvers_agree_on_an_lp(backend, solver):
    rng = np.random.default_rng(3)
    p = problem(rng.integers(0, 10, size=(3, 6)), lead_time=np.array([0, 1, 2]), holding_cost=np.array([0.5, 1.0, 0.2]))
    reference = plan_lp(p)
    other = plan_lp(p, backend=backend, solver=solver)
    assert other.summary["objective"] == pytest.approx(reference.summary["objective"], rel=1e-4)


def test_lp_only_solver_rejected_for_a_mip():
    p = problem([[3, 3]], order_cost=np.array([10.0]))
    with pytest.raises(InputError, match="glop solves linear programs only"):
        plan_lp(p, solver="glop")


def test_baseline_orders_up_to_and_is_costlier():
    rng = np.random.default_rng(0)
    p = problem(
        rng.integers(0, 10, size=(4, 10)).astype(float),
        lead_time=np.array([1, 1, 2, 0]),
        safety_stock=np.full((4, 10), 2.0),
    )
    base, opt = plan_baseline(p), plan_lp(p)
    assert base.summary["objective"] >= opt.summary["objective"] - 1e-6
    assert (base.orders >= 0).all()


def test_matrix_sizes_follow_the_data():
    p = problem(np.ones((5, 8)))
    lp = build_lp(p)
    assert set(lp.blocks) == {"order", "inventory", "backlog"}  # no binaries for an LP
    assert not lp.integer.any()
    with_moq = build_lp(dataclasses.replace(p, moq=np.array([0, 0, 0, 0, 2.0])))
    assert with_moq.integer.sum() == 8  # setup binaries for the one series with a MOQ


def test_build_problem_from_tables_maps_capacity_dates():
    fc = pl.DataFrame(
        {
            "sku": ["A"] * 3,
            "date": [dt.date(2024, 1, 1) + dt.timedelta(weeks=k) for k in range(3)],
            "qty": [1.0, 2.0, 3.0],
            "p10": [0.0, 1.0, 2.0],
            "p90": [2.0, 3.0, 4.0],
        }
    )
    items = pl.DataFrame(
        {
            "sku": ["A"],
            "unit_cost": [1.0],
            "holding_cost": [0.1],
            "service_level": [0.9],
            "shortage_cost": [1.0],
            "order_cost": [0.0],
            "lead_time": [0],
            "moq": [0.0],
            "lot_size": [0.0],
            "initial_inventory": [0.0],
            "supplier": [""],
        }
    )
    res = pl.DataFrame(
        {
            "resource": ["line", "line", "line"],
            "kind": ["order"] * 3,
            "capacity": [10.0, 1.0, 2.0],
            "date": [None, dt.date(2024, 1, 8), dt.date(2024, 1, 9)],
        }
    ).with_columns(pl.col("date"))
    usage = pl.DataFrame({"sku": ["A"], "resource": ["line"], "per_unit": [1.0], "per_order": [0.0]})
    p = build_problem(fc, items, freq="1w", resources=res, usage=usage)
    assert p.capacity.tolist() == [[10.0, 3.0, 10.0]]  # daily rows of one week add up for an order resource
    # safety stock: z(0.9) * (p90 - p10) / (2 z(0.9)) * sqrt(0 + 1) = 1
    assert p.safety_stock[0].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_time_limit_still_gives_a_verified_plan():
    from scm.plan.verify import verify

    rng = np.random.default_rng(1)
    n, T = 400, 26
    p = problem(
        rng.integers(0, 50, size=(n, T)).astype(float),
        order_cost=np.full(n, 50.0),
        lead_time=rng.integers(0, 3, n),
        resource_names=["line"],
        resource_kinds=["order"],
        capacity=np.full((1, T), 4000.0),
        per_unit=np.ones((1, n)),
        per_order=np.full((1, n), 20.0),
    )
    # a MIP start (the order-up-to plan or, failing capacity, ordering nothing) means a plan exists
    # whenever shortages are allowed, however short the limit
    r = plan_lp(p, time_limit=0.5)
    assert r.summary["status"] == "time_limit"
    assert r.summary["solve_seconds"] < 5
    assert verify(p, r.plan).ok


def test_decompose_solver_matches_the_monolithic_lp():
    rng = np.random.default_rng(5)
    n, T = 30, 10
    p = problem(
        rng.integers(0, 20, size=(n, T)).astype(float),
        lead_time=rng.integers(0, 3, n),
        holding_cost=rng.uniform(0.1, 1.0, n),
        resource_names=["store"],
        resource_kinds=["storage"],
        capacity=np.full((1, T), 40.0),
        per_unit=np.ones((1, n)),
        per_order=np.zeros((1, n)),
        safety_stock=np.full((n, T), 2.0),
    )
    exact = plan_lp(p)
    dw = plan_lp(p, solver="decompose", mip_gap=1e-6)
    assert dw.summary["solver"] == "highs-decomposition"
    assert dw.summary["objective"] == pytest.approx(exact.summary["objective"], rel=1e-5)
    # a MIP cannot be decomposed: the named solver falls back to the monolithic model
    mip = plan_lp(dataclasses.replace(p, order_cost=np.full(n, 5.0)), solver="decompose", time_limit=20)
    assert mip.summary["solver"] == "highs"


def test_cover_inequalities_keep_the_optimum_and_lift_the_lp_bound():
    rng = np.random.default_rng(2)
    p = problem(
        rng.integers(0, 30, size=(3, 8)).astype(float),
        order_cost=np.array([80.0, 40.0, 120.0]),
        lead_time=np.array([0, 1, 2]),
        holding_cost=np.array([1.0, 0.5, 2.0]),
    )
    plain, strong = plan_lp(p, mip_gap=1e-9), plan_lp(p, mip_gap=1e-9, strong_window=8)
    assert strong.summary["objective"] == pytest.approx(plain.summary["objective"], rel=1e-9)
    from scm.plan.solve import solve_highs

    relaxed = [solve_highs(build_lp(p, relax=True, strong_window=w)).objective for w in (0, 8)]
    assert relaxed[1] > relaxed[0] + 1e-6


def test_diagnosis_is_bounded_and_counts_the_rest():
    # 60 series that all lack stock in period 1: a few lines, and the count of all of them
    p = problem(np.ones((60, 3)), lead_time=np.ones(60, int), backorders="none")
    with pytest.raises(InfeasibleError) as info:
        plan_lp(p)
    assert len(info.value.diagnosis) == 20
    assert "; and 57 more" in str(info.value)  # the first three causes are in the line


@pytest.mark.parametrize("backorders", ["allow", "lost", "none"])
@pytest.mark.parametrize("mip", [False, True])
def test_split_safety_stock_form_has_the_same_optimum(backorders, mip):
    # build_lp(safety_rows=False) drops the safety-stock rows (stock split at the target, the
    # constant in `offset`); every backend must give the row form's optimum, offset included
    from scm.plan.pulp_backend import solve_pulp
    from scm.plan.solve import solve_highs, solve_ortools

    rng = np.random.default_rng(7)
    d = rng.integers(0, 12, size=(4, 7)).astype(float)
    p = problem(
        d,
        safety_stock=np.repeat(np.array([[4.0], [0.0], [6.5], [2.0]]), 7, axis=1),
        lead_time=np.array([0, 1, 0, 2]),
        initial_inventory=np.array([20.0, 5.0, 30.0, 15.0]),
        holding_cost=np.array([0.5, 1.0, 0.2, 2.0]),
        shortage_cost=np.array([6.0, 10.0, 0.1, 4.0]),  # series 2: holding above the shortfall cost
        order_cost=np.array([5.0, 0.0, 3.0, 0.0]) if mip else np.zeros(4),
        backorders=backorders,
        resource_names=["storage"],
        resource_kinds=["storage"],
        capacity=np.full((1, 7), 60.0),
        per_unit=np.ones((1, 4)),
        per_order=np.zeros((1, 4)),
    )
    rows, split = build_lp(p), build_lp(p, safety_rows=False)
    assert "safety_shortfall" not in split.blocks and split.offset > 0
    assert split.num_constraints < rows.num_constraints
    reference = solve_highs(rows, mip_gap=1e-9)
    assert reference.status == "optimal"
    got = [solve_highs(split, mip_gap=1e-9), solve_pulp(split, "cbc", mip_gap=1e-9)]
    if not split.integer.any():  # (lost sales with a target has sell-first binaries)
        got.append(solve_ortools(split, "glop"))
    for out in got:
        assert out.objective == pytest.approx(reference.objective, rel=1e-7)


def test_pulp_model_building_counts_as_build_time(monkeypatch):
    # the row-by-row PuLP model is the slow part of --backend pulp: it belongs in build_seconds
    import time

    from scm.plan import pulp_backend

    real = pulp_backend.to_pulp

    def slow_to_pulp(lp, *a, **kw):
        time.sleep(0.3)
        return real(lp, *a, **kw)

    monkeypatch.setattr(pulp_backend, "to_pulp", slow_to_pulp)
    s = plan_lp(problem([[3, 4, 5]]), backend="pulp").summary
    assert s["build_seconds"] >= 0.3 and s["solve_seconds"] < s["build_seconds"]


def test_diagnosis_names_unmet_demand_in_the_period_that_is_short():
    # nothing can arrive before period 3: periods 1 and 2 are short by their own demand (not
    # all of it lumped into period 1), whichever solver finds the slack
    p = problem([[5.0, 7.0, 9.0, 4.0]], lead_time=np.array([2]), backorders="none")
    for backend in ("ortools", "pulp"):
        with pytest.raises(InfeasibleError) as info:
            plan_lp(p, backend=backend)
        lines = info.value.diagnosis
        assert len(lines) == 2, lines
        assert "cannot meet 5 units of demand in period 2024-01-01" in lines[0]
        assert "cannot meet 7 units of demand in period 2024-01-08" in lines[1]
