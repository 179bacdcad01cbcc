"""The verifier: a correct plan passes; each hand-broken plan fails exactly the check it breaks."""

from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest
from clsp import make_problem

from scm.plan.lp import plan_lp
from scm.plan.problem import Problem
from scm.plan.verify import check_summary, verify

DEMAND = np.array([[10, 10, 10, 10, 10, 10], [5, 0, 8, 3, 6, 4]], float)
# a valid (not optimal) plan: s0 has lead time 1 and MOQ 15, s1 lead time 0 and lots of 4
ORDERS = np.array([[15, 0, 20, 0, 15, 0], [4, 0, 8, 0, 8, 0]], float)


def base_problem(**changes) -> Problem:
    arrays = dict(
        unit_cost=[2.0, 3.0],
        holding_cost=[1.0, 0.5],
        shortage_cost=[4.0, 6.0],
        order_cost=[5.0, 2.0],
        lead_time=[1, 0],
        moq=[15.0, 0.0],
        lot_size=[0.0, 4.0],
        initial_inventory=[12.0, 0.0],
        safety_stock=np.array([[3.0] * 6, [0.0] * 6]),
        open_orders=np.array([[0.0] * 6, [0, 4, 0, 0, 0, 0]]),
        resource_names=["line", "shelf"],
        resource_kinds=["order", "storage"],
        capacity=np.array([[40.0] * 6, [30.0] * 6]),
        per_unit=np.array([[1.0, 1.0], [1.0, 0.5]]),
        per_order=np.array([[2.0, 1.0], [0.0, 0.0]]),
    )
    arrays.update(changes)
    return make_problem(DEMAND, **arrays)


def table(problem: Problem, orders: np.ndarray, lead_time: np.ndarray | None = None) -> pl.DataFrame:
    """A plan table that balances for `orders` (backorders allowed), built here, not by scm."""
    p = problem
    n, T = orders.shape
    lead = p.lead_time if lead_time is None else np.asarray(lead_time)
    arrivals = p.open_orders.copy()
    for i in range(n):
        for t in range(T):
            if t + lead[i] < T:
                arrivals[i, t + lead[i]] += orders[i, t]
    net = p.initial_inventory[:, None] + np.cumsum(arrivals - p.demand, axis=1)
    return pl.DataFrame(
        {
            "sku": np.repeat(p.keys["sku"].to_numpy(), T),
            "date": p.dates * n,
            "demand": p.demand.ravel(),
            "safety_stock": p.safety_stock.ravel(),
            "order_qty": orders.ravel(),
            "arrival_qty": arrivals.ravel(),
            "inventory": np.maximum(net, 0).ravel(),
            "backlog": np.maximum(-net, 0).ravel(),
        }
    )


def checks(result) -> set[str]:
    return {line.split(":")[0] for line in result.violations}


def test_valid_plan_passes_and_costs_match_hand_computation():
    result = verify(base_problem(), table(base_problem(), ORDERS))
    assert result.ok, result.violations
    assert result.violations == [] and result.count == 0
    # s0 inventory [2,7,0,7,0,2], backlog [0,0,3,0,3,0]; s1 inventory [0,3,3,0,2,0], backlog [1,0,0,0,0,2]
    assert result.cost == pytest.approx(
        {
            "purchase": 2 * (50 - 2) + 3 * (20 + 2),  # unit cost × (ordered + end backlog − end stock)
            "holding": 1 * 18 + 0.5 * 8,
            "shortage": 4 * 6 + 6 * 3,
            "ordering": 5 * 3 + 2 * 3,
            "safety_stock": 4 * (1 + 3 + 3 + 1),  # s0 below its target of 3
        }
    )
    assert result.objective == pytest.approx(279.0)


def test_unbalanced_inventory():
    plan = table(base_problem(), ORDERS)
    plan = plan.with_columns(
        pl.when((pl.col("sku") == "s0") & (pl.col("date") == plan["date"][3]))
        .then(pl.col("inventory") + 5)
        .otherwise(pl.col("inventory"))
        .alias("inventory")
    )
    result = verify(base_problem(), plan)
    assert not result.ok
    assert checks(result) == {"balance"}
    assert any("s0 2024-01-22" in line and "off by 5" in line for line in result.violations)


def test_wrong_lead_time():
    problem = base_problem()
    plan = table(problem, ORDERS, lead_time=[0, 0])  # s0 orders arrive at once instead of a period later
    result = verify(problem, plan)
    assert checks(result) == {"arrivals"}
    assert "series s0 2024-01-01" in result.violations[0]


def test_order_that_cannot_arrive_in_the_horizon():
    orders = ORDERS.copy()
    orders[0, 5] = 15  # lead time 1: would arrive after the last period
    result = verify(base_problem(), table(base_problem(), orders))
    assert checks(result) == {"horizon"}


def test_moq_violation():
    orders = ORDERS.copy()
    orders[0, 2] = 10  # MOQ is 15
    result = verify(base_problem(), table(base_problem(), orders))
    assert checks(result) == {"moq"}
    assert "order 10 below the MOQ 15" in result.violations[0]


def test_lot_size_violation():
    orders = ORDERS.copy()
    orders[1, 2] = 6  # lots of 4
    result = verify(base_problem(), table(base_problem(), orders))
    assert checks(result) == {"lot size"}


def test_order_capacity_excess_counts_setup_time():
    # period 3 uses 20 + 8 units and 2 + 1 setup time = 31: fits 31, not 30.5 (units alone would fit)
    for cap, ok in ((31.0, True), (30.5, False)):
        capacity = np.array([[40.0] * 6, [30.0] * 6])
        capacity[0, 2] = cap
        result = verify(base_problem(capacity=capacity), table(base_problem(), ORDERS))
        assert result.ok is ok
        if not ok:
            assert checks(result) == {"capacity"}
            assert "resource 'line' (order) 2024-01-15 uses 31 > capacity 30.5" in result.violations[0]


def test_storage_capacity_excess():
    capacity = np.array([[40.0] * 6, [8.0] * 6])  # s0 holds 7 and s1 3 × 0.5 in period 2
    result = verify(base_problem(capacity=capacity), table(base_problem(), ORDERS))
    assert checks(result) == {"capacity"}
    assert result.count == 1
    assert "'shelf' (storage) 2024-01-08 uses 8.5 > capacity 8" in result.violations[0]


def test_unlimited_capacity_is_not_a_violation():
    capacity = np.array([[np.inf] * 6, [0.0] + [np.inf] * 5])  # shelf holds s0's 2 units in period 1
    result = verify(base_problem(capacity=capacity), table(base_problem(), ORDERS))
    assert checks(result) == {"capacity"} and result.count == 1


def test_negative_orders_and_wrong_demand():
    plan = table(base_problem(), ORDERS)
    result = verify(base_problem(), plan.with_columns(pl.col("order_qty") * -1))
    assert "non-negative" in checks(result)
    result = verify(base_problem(), plan.with_columns(pl.col("demand") + 1))
    assert "demand" in checks(result)  # and the balance, which uses the table's demand


def test_backlog_when_backorders_are_not_allowed():
    problem = base_problem(backorders="none")
    result = verify(problem, table(problem, ORDERS))
    assert checks(result) == {"no backorders"}
    assert result.count == 4  # s0 in periods 3 and 5, s1 in periods 1 and 6


def test_lost_sales_balance_from_the_planner():
    problem = base_problem(backorders="lost", shortage_cost=[5.0, 7.0], initial_inventory=[0.0, 0.0])
    result = plan_lp(problem)
    check = verify(problem, result.plan)
    assert check.ok, check.violations
    assert result.plan["lost"].sum() > 0  # s0 cannot receive anything in period 1
    assert check_summary(check, result.summary) == []
    # more lost than demanded
    broken = result.plan.with_columns(pl.col("lost") + 100, pl.col("inventory") + 100)
    lines = verify(problem, broken).violations
    assert any(line.startswith("lost sales") and "exceeds demand" in line for line in lines)
    # a sale lost while stock is left (balance also breaks in the next period)
    cell = (pl.col("sku") == "s0") & (pl.col("date") == result.plan["date"][0])
    broken = result.plan.with_columns(
        pl.when(cell).then(pl.col("inventory") + 1).otherwise(pl.col("inventory")),
        pl.when(cell).then(pl.col("lost") + 1).otherwise(pl.col("lost")),
    )
    assert "lost sales" in checks(verify(problem, broken))
    assert any("loses" in line for line in verify(problem, broken).violations)


def test_structure_missing_and_duplicate_rows():
    plan = table(base_problem(), ORDERS)
    assert checks(verify(base_problem(), plan.slice(1))) == {"structure"}
    assert checks(verify(base_problem(), pl.concat([plan, plan.head(1)]))) == {"structure"}
    assert checks(verify(base_problem(), plan.drop("arrival_qty"))) == {"structure"}
    other = plan.with_columns(pl.lit("zz").alias("sku"))
    result = verify(base_problem(), other)
    assert not result.ok and "outside the problem" in result.violations[0]
    assert np.isnan(result.objective)


def test_row_order_does_not_matter():
    plan = table(base_problem(), ORDERS)
    assert verify(base_problem(), plan.reverse()).ok


def test_wrong_cost_in_summary():
    problem = base_problem()
    result = plan_lp(problem)
    check = verify(problem, result.plan)
    assert check.ok, check.violations
    assert check_summary(check, result.summary) == []
    wrong = {**result.summary, "cost": {**result.summary["cost"], "holding": result.summary["cost"]["holding"] + 1}}
    lines = check_summary(check, wrong)
    assert len(lines) == 1 and lines[0].startswith("cost holding")
    wrong = {**result.summary, "objective": result.summary["objective"] * 1.01}
    assert [line.split(":")[0] for line in check_summary(check, wrong)] == ["objective"]
    without = {**result.summary, "cost": {k: v for k, v in result.summary["cost"].items() if k != "ordering"}}
    assert check.cost["ordering"] > 0 and check_summary(check, without)[0].startswith("cost ordering")


def test_violations_are_capped_with_a_count():
    plan = table(base_problem(), ORDERS).with_columns(pl.col("inventory") + 1, pl.col("demand") + 1)
    result = verify(base_problem(), plan, max_violations=5, per_check=2)
    assert not result.ok
    assert len(result.violations) == 6 and "more violation" in result.violations[-1]
    assert result.count >= 12 + 12  # every demand cell and every balance cell


def test_fast_at_10k_series_by_52_periods():
    rng = np.random.default_rng(1)
    n, T = 10_000, 52
    demand = rng.poisson(20, (n, T)).astype(float)
    lots = 5.0
    orders = np.ceil(demand / lots) * lots
    problem = make_problem(
        demand,
        unit_cost=2.0,
        holding_cost=0.1,
        shortage_cost=3.0,
        order_cost=10.0,
        lead_time=rng.integers(0, 3, n),
        lot_size=lots,
        moq=10.0,
        safety_stock=5.0,
        resource_names=["line", "shelf"],
        resource_kinds=["order", "storage"],
        capacity=np.full((2, T), 1e9),
        per_unit=np.ones((2, n)),
        per_order=np.ones((2, n)),
    )
    orders[~problem.can_order()] = 0
    orders[(orders > 0) & (orders < 10)] = 10
    plan = _fast_table(problem, orders)
    verify(problem, plan)  # warm up
    best = min(_timed(lambda: verify(problem, plan)) for _ in range(3))
    assert verify(problem, plan).ok
    assert best < 1.0


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _fast_table(problem: Problem, orders: np.ndarray) -> pl.DataFrame:
    """`table` without the Python loop, for the large instance."""
    n, T = orders.shape
    src = np.arange(T)[None, :] - problem.lead_time[:, None]
    arrivals = np.where(src >= 0, np.take_along_axis(orders, np.clip(src, 0, T - 1), axis=1), 0.0)
    net = problem.initial_inventory[:, None] + np.cumsum(arrivals + problem.open_orders - problem.demand, axis=1)
    return pl.DataFrame(
        {
            "sku": np.repeat(problem.keys["sku"].to_numpy(), T),
            "date": problem.dates * n,
            "demand": problem.demand.ravel(),
            "safety_stock": problem.safety_stock.ravel(),
            "order_qty": orders.ravel(),
            "arrival_qty": (arrivals + problem.open_orders).ravel(),
            "inventory": np.maximum(net, 0).ravel(),
            "backlog": np.maximum(-net, 0).ravel(),
        }
    )
