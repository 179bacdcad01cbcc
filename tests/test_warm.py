"""Warm re-planning: after several demand updates the warm objective equals a cold plan_lp solve
of the revised problem, and the plans verify."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_decompose import random_problem

from scm.plan.decompose import SeriesColumns, orders_from_cumulative
from scm.plan.lp import plan_lp
from scm.plan.result import clean_orders, plan_costs, simulate_balance
from scm.plan.verify import verify
from scm.plan.warm import Replanner


def revisions(problem, rng, k):
    demand = problem.demand
    for u in range(k):
        if u % 2 == 0:  # a few series revised strongly
            factor = np.ones(problem.n)
            pick = rng.choice(problem.n, max(1, problem.n // 5), replace=False)
            factor[pick] = rng.lognormal(0.0, 0.3, len(pick))
            demand = np.round(demand * factor[:, None], 1)
        else:  # every series-period revised a little
            demand = np.round(demand * rng.lognormal(0.0, 0.1, demand.shape), 1)
        yield demand


@pytest.mark.parametrize("seed,open_orders", [(0, False), (1, True)])
def test_warm_replan_equals_cold_after_updates(seed, open_orders):
    problem = random_problem(30, 12, seed, open_orders=open_orders)
    replanner = Replanner(problem)
    assert replanner.result.summary["objective"] == pytest.approx(plan_lp(problem).summary["objective"], rel=1e-9)
    rng = np.random.default_rng(seed + 10)
    for demand in revisions(problem, rng, 4):
        result = replanner.update(demand=demand)
        revised = replace(problem, demand=demand)
        cold = plan_lp(revised).summary["objective"]
        s = result.summary
        assert s["solver"] == "highs-warm" and s["status"] == "optimal"
        assert s["objective"] == pytest.approx(cold, rel=1e-7)
        check = verify(revised, result.plan)
        assert check.ok, check.violations
        assert check.objective == pytest.approx(s["objective"], rel=1e-6)


def test_warm_replan_initial_inventory_and_open_orders():
    problem = random_problem(20, 10, 3)
    replanner = Replanner(problem)
    inv = np.round(problem.initial_inventory * 1.3, 1)
    oo = problem.open_orders.copy()
    oo[:, 2] += 5.0
    result = replanner.update(initial_inventory=inv, open_orders=oo)
    revised = replace(problem, initial_inventory=inv, open_orders=oo)
    assert result.summary["objective"] == pytest.approx(plan_lp(revised).summary["objective"], rel=1e-7)
    assert verify(revised, result.plan).ok


def test_series_columns_warm_start_reaches_the_lp_optimum():
    """The per-series decomposition (compared in benchmarks/replan_warm.py) re-solves warm to its gap."""
    problem = random_problem(30, 12, 2)
    solver = SeriesColumns()
    rng = np.random.default_rng(7)
    for demand in [problem.demand, *revisions(problem, rng, 3)]:
        p = replace(problem, demand=demand)
        out = solver.solve(p, gap=1e-7, prices=solver.prices)
        exact = plan_lp(p).summary["objective"]
        assert out["bound"] <= exact * (1 + 1e-9)
        orders = clean_orders(p, orders_from_cumulative(p, out["Z"]))
        objective = sum(plan_costs(p, orders, simulate_balance(p, orders)).values())
        assert exact <= objective * (1 + 1e-9)
        assert (objective - exact) / exact <= 1e-7 + 1e-9


@pytest.mark.parametrize("variant", ["no_backorders", "no_safety_stock"])
def test_cold_start_matches_plan_lp_in_other_forms(variant):
    # the cold start solves the row form and carries it to the split form by crossover; with no
    # safety stock both forms are one LP and it is solved directly
    problem = random_problem(15, 8, 5)
    if variant == "no_backorders":
        # enough starting stock to cover the lead times, and room to store it
        capacity = problem.capacity.copy()
        capacity[0] = np.inf
        problem = replace(
            problem,
            backorders="none",
            initial_inventory=problem.initial_inventory + 1.2 * problem.demand[:, :4].sum(axis=1),
            capacity=capacity,
        )
    else:
        problem = replace(problem, safety_stock=np.zeros_like(problem.safety_stock))
    replanner = Replanner(problem)
    assert ("inventory_to_target" in replanner.lp.blocks) == (variant == "no_backorders")
    s = replanner.result.summary
    assert s["status"] == "optimal" and s["simplex_iterations"] >= 0
    assert s["objective"] == pytest.approx(plan_lp(problem).summary["objective"], rel=1e-9)
    demand = np.round(problem.demand * 1.1, 1)
    result = replanner.update(demand=demand)
    revised = replace(problem, demand=demand)
    assert result.summary["objective"] == pytest.approx(plan_lp(revised).summary["objective"], rel=1e-7)
    assert verify(revised, result.plan).ok


def test_warm_replan_with_lost_sales_moves_the_lost_bounds():
    # lost sales are bounded by the period's demand: a revised forecast moves those bounds too
    problem = random_problem(20, 10, 6)
    problem = replace(
        problem,
        backorders="lost",
        safety_stock=np.zeros_like(problem.safety_stock),  # (a target with lost sales is a MIP)
        shortage_cost=problem.shortage_cost + problem.unit_cost,
    )
    replanner = Replanner(problem)
    rng = np.random.default_rng(16)
    for demand in revisions(problem, rng, 3):
        result = replanner.update(demand=demand)
        revised = replace(problem, demand=demand)
        assert result.summary["objective"] == pytest.approx(plan_lp(revised).summary["objective"], rel=1e-7)
        assert verify(revised, result.plan).ok
