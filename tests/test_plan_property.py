"""Random small planning problems solved by both backends: same optimum, plans that pass the
independent verifier, summaries whose costs the verifier reproduces."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from clsp import make_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scm.errors import InfeasibleError
from scm.plan.lp import plan_lp
from scm.plan.problem import Problem
from scm.plan.verify import check_summary, verify

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PuLP 3 announces its 4.0 API


@st.composite
def problems(draw) -> Problem:
    """2–4 series × 3–8 periods with every feature of the problem drawn at random."""
    n = draw(st.integers(2, 4))
    periods = draw(st.integers(3, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    backorders = draw(st.sampled_from(["allow", "lost", "none"]))
    unit_cost = rng.integers(1, 6, n).astype(float)
    shortage = rng.integers(1, 11, n).astype(float)
    if backorders == "lost":  # the contract requires shortage cost above unit cost with lost sales
        shortage = unit_cost + shortage
    arrays = dict(
        unit_cost=unit_cost,
        holding_cost=rng.integers(0, 5, n) / 2,
        shortage_cost=shortage,
        order_cost=np.where(rng.random(n) < 0.6, rng.integers(1, 21, n), 0).astype(float),
        lead_time=rng.integers(0, 3, n),
        moq=np.where(rng.random(n) < 0.4, rng.integers(1, 16, n), 0).astype(float),
        lot_size=np.where(rng.random(n) < 0.4, rng.integers(2, 7, n), 0).astype(float),
        initial_inventory=rng.integers(0, 31, n).astype(float),
        open_orders=np.where(rng.random((n, periods)) < 0.2, rng.integers(1, 11, (n, periods)), 0).astype(float),
        safety_stock=(np.where(rng.random(n) < 0.3, rng.integers(1, 6, n), 0)[:, None] * np.ones((1, periods))).astype(
            float
        ),
        backorders=backorders,
    )
    names, kinds, caps, per_unit, per_order = [], [], [], [], []
    if draw(st.booleans()):
        names.append("line")
        kinds.append("order")
        caps.append(rng.integers(10, 61, periods).astype(float))
        per_unit.append(rng.integers(1, 5, n) / 2)
        per_order.append(rng.integers(0, 4, n).astype(float))
    if draw(st.booleans()):
        names.append("shelf")
        kinds.append("storage")
        caps.append(np.where(rng.random(periods) < 0.8, rng.integers(20, 81, periods), np.inf))
        per_unit.append(np.ones(n))
        per_order.append(np.zeros(n))
    if names:
        arrays.update(
            resource_names=names,
            resource_kinds=kinds,
            capacity=np.array(caps),
            per_unit=np.array(per_unit),
            per_order=np.array(per_order),
        )
    demand = rng.integers(0, 21, (n, periods)).astype(float)
    return make_problem(demand, **arrays)


def _solve(problem: Problem, backend: str):
    try:
        return plan_lp(problem, backend=backend, mip_gap=0.0)
    except InfeasibleError:
        return None


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_backends_agree_and_plans_verify(problem):
    results = {backend: _solve(problem, backend) for backend in ("ortools", "pulp")}
    infeasible = {backend: r is None for backend, r in results.items()}
    assert len(set(infeasible.values())) == 1, f"backends disagree on feasibility: {infeasible}"
    if results["ortools"] is None:
        return
    objectives = {}
    for backend, result in results.items():
        assert result.summary["status"] == "optimal"
        check = verify(problem, result.plan)
        assert check.ok, (backend, check.violations)
        assert check_summary(check, result.summary) == [], backend
        # the plan the table shows is the plan the solver priced
        assert result.summary["objective"] == pytest.approx(result.summary["solver_objective"], rel=1e-6, abs=1e-6)
        objectives[backend] = result.summary["objective"]
    assert objectives["ortools"] == pytest.approx(objectives["pulp"], rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("backend", ["ortools", "pulp"])
def test_lost_sales_with_safety_stock(backend):
    # 5 on hand, demand 5 in period 1, safety stock 5, lead time 1. Selling the 5 and ordering 5 in
    # period 1 costs 11 (shortfall 5 × 2 in period 1, holding 0.1 × 5 in periods 2 and 3). The LP
    # instead loses the sale (10), keeps the 5 (holding 1.5, end stock −5 purchase) = 6.5 and orders
    # nothing; the plan table sells the stock, and with no order the shortfall costs 30.
    problem = make_problem(
        [[5.0, 0.0, 0.0]],
        unit_cost=1.0,
        holding_cost=0.1,
        shortage_cost=2.0,
        lead_time=1,
        initial_inventory=5.0,
        safety_stock=5.0,
        backorders="lost",
    )
    better = plan_lp(problem, backend=backend).plan.with_columns(
        order_qty=pl.Series([5.0, 0.0, 0.0]),
        arrival_qty=pl.Series([0.0, 5.0, 0.0]),
        inventory=pl.Series([0.0, 5.0, 5.0]),
    )
    check = verify(problem, better)
    assert check.ok and check.objective == pytest.approx(11.0)
    result = plan_lp(problem, backend=backend)
    assert result.summary["objective"] <= check.objective + 1e-9


@pytest.mark.parametrize("time_limit", [None, 60.0])
def test_mip_start_does_not_stop_the_search(time_limit):
    # HiGHS 1.16 given the order-up-to MIP start (setSolution) with presolve on reported 'optimal'
    # at 361, below the true optimum 367, and returned the start (388); the start is now given only
    # with a time limit, and a result whose objective is not its values' is solved again without it
    # found by the property test above (more examples, other seeds); CBC and HiGHS without a start give 367
    problem = make_problem(
        [[19, 7, 10, 14, 3, 14], [2, 15, 12, 1, 0, 6]],
        unit_cost=[4.0, 3.0],
        holding_cost=1.0,
        shortage_cost=[6.0, 2.0],
        order_cost=[14.0, 9.0],
        lead_time=[2, 0],
        moq=[3.0, 14.0],
        lot_size=[5.0, 6.0],
        initial_inventory=[23.0, 26.0],
        open_orders=[[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 7, 0]],
        safety_stock=3.0,
    )
    pulp_result = plan_lp(problem, backend="pulp", mip_gap=0.0)
    assert pulp_result.summary["objective"] == pytest.approx(367.0)
    result = plan_lp(problem, mip_gap=0.0, time_limit=time_limit)
    assert verify(problem, result.plan).ok
    assert result.summary["objective"] == pytest.approx(result.summary["solver_objective"])
    assert result.summary["objective"] == pytest.approx(367.0)
