"""The 'before' practice: a periodic-review order-up-to policy on the forecast.

Each period, order up to the forecast demand over the lead time plus one review period, plus
the safety-stock target, minus the inventory position (on hand − backlog + everything on order);
raise to the MOQ, round up to whole lots. It ignores order costs and shared capacities — that
is what planners do by hand, and what the optimiser is compared against. Being a policy, not
a solver, it can break what the problem forbids (a capacity; with `backorders = "none"`, a
backlog it cannot avoid); the verifier then lists those violations in the summary.
"""

from __future__ import annotations

import time

import numpy as np

from scm.plan.problem import Problem
from scm.plan.result import PlanResult, plan_costs, plan_table, simulate_balance, summary_counts


def order_up_to_orders(problem: Problem) -> np.ndarray:
    """(n, T) orders of the order-up-to policy (one step per period, all series at once)."""
    p = problem
    n, T = p.demand.shape
    L = p.lead_time
    can = p.can_order()
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(p.demand, axis=1)], axis=1)
    rows = np.arange(n)
    orders = np.zeros((n, T))
    pipeline = p.open_orders.copy()  # arrivals still to come, by period
    net = p.initial_inventory.astype(float).copy()  # on hand − backlog at the start of period t
    for t in range(T):
        end = np.minimum(t + L + 1, T)
        cover = csum[rows, end] - csum[:, t]
        target = cover + p.safety_stock[rows, np.minimum(t + L, T - 1)]
        position = net + pipeline[:, t:].sum(axis=1)
        x = np.where(can[:, t], np.maximum(target - position, 0.0), 0.0)
        x = np.where((x > 0) & (x < p.moq), p.moq, x)
        lots = p.lot_size > 0
        x = np.where(lots, np.ceil(x / np.where(lots, p.lot_size, 1.0) - 1e-9) * p.lot_size, x)
        orders[:, t] = x
        land = t + L
        ok = can[:, t] & (x > 0)
        pipeline[rows[ok], land[ok]] += x[ok]
        net = net + pipeline[:, t] - p.demand[:, t]
        if p.backorders != "allow":
            net = np.maximum(net, 0.0)
    return orders


def plan_baseline(problem: Problem) -> PlanResult:
    """Plan with the order-up-to policy and cost it like any plan."""
    start = time.perf_counter()
    orders = order_up_to_orders(problem)
    seconds = time.perf_counter() - start
    state = simulate_balance(problem, orders)
    costs = plan_costs(problem, orders, state)
    summary = {
        "planner": "baseline",
        "policy": "order-up-to (forecast over lead time + 1 period, plus safety stock)",
        "solver": None,
        "status": "feasible",
        "objective": sum(costs.values()),
        "bound": None,
        "gap": None,
        "cost": costs,
        "build_seconds": 0.0,
        "solve_seconds": seconds,
        **summary_counts(problem, orders, state),
        "variables": 0,
        "constraints": 0,
    }
    return PlanResult(plan=plan_table(problem, orders, state), summary=summary, problem=problem, orders=orders)
