"""Turn order quantities into the plan table of the contract, and cost a plan.

Every planner decides orders only; inventory, backlog or lost sales follow from the inventory
balance, so every plan table balances exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from scm.plan.problem import Problem

TOL = 1e-6


@dataclass(frozen=True)
class PlanResult:
    """A plan table (one row per series and period) and its summary (the contract's summary JSON)."""

    plan: pl.DataFrame
    summary: dict[str, Any]
    problem: Problem | None = field(default=None, repr=False)
    orders: np.ndarray | None = field(default=None, repr=False)


def clean_orders(problem: Problem, orders: np.ndarray) -> np.ndarray:
    """Round solver noise away: tiny orders to 0, lot-sized orders to whole lots, orders that
    cannot arrive inside the horizon to 0."""
    x = np.where(problem.can_order(), np.asarray(orders, float), 0.0)
    x[x < TOL * np.maximum(1.0, problem.demand.max(initial=1.0))] = 0.0
    lot = problem.lot_size[:, None]
    x = np.where(lot > 0, np.round(x / np.where(lot > 0, lot, 1.0)) * lot, np.round(x, 6))
    return x


def arrivals(problem: Problem, orders: np.ndarray) -> np.ndarray:
    """(n, T) planned arrivals: each order lands `lead_time` periods after it is placed."""
    n, T = orders.shape
    arr = np.zeros((n, T))
    ii, tt = np.nonzero(orders)
    land = tt + problem.lead_time[ii]
    ok = land < T
    np.add.at(arr, (ii[ok], land[ok]), orders[ii[ok], tt[ok]])
    return arr


def simulate_balance(problem: Problem, orders: np.ndarray) -> dict[str, np.ndarray]:
    """Inventory, backlog and lost sales that the orders lead to (vectorised over series)."""
    p = problem
    supply = arrivals(p, orders) + p.open_orders
    if p.backorders != "lost":
        net = p.initial_inventory[:, None] + np.cumsum(supply - p.demand, axis=1)
        inv = np.maximum(net, 0.0)
        short = np.maximum(-net, 0.0)
        return {"inventory": inv, "backlog": short, "lost": np.zeros_like(inv)}
    inv = np.zeros_like(p.demand)
    lost = np.zeros_like(p.demand)
    level = p.initial_inventory.astype(float).copy()
    for t in range(p.periods):  # one step per period, all series at once
        level = level + supply[:, t] - p.demand[:, t]
        lost[:, t] = np.maximum(-level, 0.0)
        level = np.maximum(level, 0.0)
        inv[:, t] = level
    return {"inventory": inv, "backlog": np.zeros_like(inv), "lost": lost}


def plan_costs(problem: Problem, orders: np.ndarray, state: dict[str, np.ndarray]) -> dict[str, float]:
    """Cost parts of the contract's objective.

    `purchase` is unit_cost × (units ordered + backlog left at the end − inventory left at the
    end): the purchase cost of what the horizon consumes, with end stock valued at cost.
    `safety_stock` is the shortfall below the safety-stock targets at shortage cost.
    """
    p = problem
    inv, back, lost = state["inventory"], state["backlog"], state["lost"]
    placed = orders > 0
    purchase = float((p.unit_cost * (orders.sum(axis=1) + back[:, -1] - inv[:, -1])).sum())
    holding = float((p.holding_cost[:, None] * inv).sum())
    shortage = float((p.shortage_cost[:, None] * (back + lost)).sum())
    ordering = float((p.order_cost[:, None] * placed).sum())
    shortfall = np.maximum(p.safety_stock - inv, 0.0)
    safety = float((p.shortage_cost[:, None] * shortfall).sum())
    return {
        "purchase": purchase,
        "holding": holding,
        "shortage": shortage,
        "ordering": ordering,
        "safety_stock": safety,
    }


def plan_table(problem: Problem, orders: np.ndarray, state: dict[str, np.ndarray]) -> pl.DataFrame:
    """The contract's plan table: keys, date, demand, safety_stock, order_qty, arrival_qty,
    inventory, and backlog (or lost)."""
    p = problem
    n, T = p.demand.shape
    keys = p.keys.select(pl.all().gather(np.repeat(np.arange(n), T)))
    short_name = "lost" if p.backorders == "lost" else "backlog"
    short = state["lost"] if p.backorders == "lost" else state["backlog"]
    return keys.with_columns(
        pl.Series("date", np.tile(np.array(p.dates, dtype="datetime64[D]"), n)).cast(pl.Date),
        pl.Series("demand", p.demand.ravel()),
        pl.Series("safety_stock", np.round(p.safety_stock, 6).ravel()),
        pl.Series("order_qty", orders.ravel()),
        pl.Series("arrival_qty", (arrivals(p, orders) + p.open_orders).ravel()),
        pl.Series("inventory", np.round(state["inventory"], 6).ravel()),
        pl.Series(short_name, np.round(short, 6).ravel()),
    )


def summary_counts(problem: Problem, orders: np.ndarray, state: dict[str, np.ndarray]) -> dict[str, Any]:
    """Counts and service figures that go beside the costs in the summary."""
    p = problem
    short = state["backlog"] + state["lost"]
    return {
        "series": p.n,
        "periods": p.periods,
        "orders": int((orders > 0).sum()),
        "units_ordered": float(orders.sum()),
        "total_demand": float(p.demand.sum()),
        "planned_stockout_periods": int((short > TOL).sum()),
        "ending_inventory_value": float((p.unit_cost * state["inventory"][:, -1]).sum()),
    }
