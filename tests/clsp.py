"""Capacitated lot-sizing (CLSP) instances of the Trigeiro / "X" format, and small Problem builders for tests.

Format (whitespace separated; see tests/data/clsp/SOURCE.md):
`N T` / `p` / `C` / N lines `a_i h_i b_i f_i` / demand: T lines of N columns (two blocks, items
1–15 then 16–N, when N > 15); trailing annotation lines are ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from scm.plan.problem import Problem

DATA = Path(__file__).parent / "data"
BLOCK = 15  # items per demand block in files with more than 15 items


@dataclass(frozen=True)
class ClspInstance:
    """One CLSP instance: N items, T periods, one capacity shared by production and setups.

    Attributes:
        name: file stem.
        unit_cost: production cost per unit (`p`, 1 in every file).
        capacity: capacity per period (`C`).
        per_unit, holding_cost, setup_time, setup_cost: (N,) `a_i`, `h_i`, `b_i`, `f_i`.
        demand: (N, T).
    """

    name: str
    unit_cost: float
    capacity: float
    per_unit: np.ndarray
    holding_cost: np.ndarray
    setup_time: np.ndarray
    setup_cost: np.ndarray
    demand: np.ndarray


def read_clsp(path: str | Path) -> ClspInstance:
    """Read one instance file."""
    path = Path(path)
    numbers: list[float] = []
    for token in path.read_text().split():
        try:
            numbers.append(float(token))
        except ValueError:  # the annotation lines at the end
            break
    n, periods = int(numbers[0]), int(numbers[1])
    unit_cost, capacity = numbers[2], numbers[3]
    items = np.array(numbers[4 : 4 + 4 * n]).reshape(n, 4)
    flat = np.array(numbers[4 + 4 * n : 4 + 4 * n + n * periods])
    if len(flat) != n * periods:
        raise ValueError(f"{path}: expected {n * periods} demand values, found {len(flat)}")
    blocks, start = [], 0
    for first in range(0, n, BLOCK):
        width = min(BLOCK, n - first)
        blocks.append(flat[start : start + periods * width].reshape(periods, width))
        start += periods * width
    demand = np.hstack(blocks).T
    return ClspInstance(
        name=path.stem,
        unit_cost=unit_cost,
        capacity=capacity,
        per_unit=items[:, 0],
        holding_cost=items[:, 1],
        setup_time=items[:, 2],
        setup_cost=items[:, 3],
        demand=demand,
    )


def make_problem(demand: np.ndarray, **arrays) -> Problem:
    """A Problem with weekly periods from 2024-01-01, series `s0`, `s1`, …, and defaults for what is not given.

    Args:
        demand: (n, T) demand.
        **arrays: any other Problem field; per-series fields may be scalars.
    """
    demand = np.asarray(demand, float)
    n, periods = demand.shape
    per_series = {
        "unit_cost": 1.0,
        "holding_cost": 0.0,
        "shortage_cost": 0.0,
        "order_cost": 0.0,
        "lead_time": 0,
        "moq": 0.0,
        "lot_size": 0.0,
        "initial_inventory": 0.0,
    }
    fields = {}
    for name, default in per_series.items():
        value = np.broadcast_to(np.asarray(arrays.pop(name, default)), (n,)).copy()
        fields[name] = value.astype(np.int64 if name == "lead_time" else float)
    for name in ("safety_stock", "open_orders"):
        fields[name] = np.broadcast_to(np.asarray(arrays.pop(name, 0.0), float), (n, periods)).copy()
    keys = pl.DataFrame({"sku": [f"s{i}" for i in range(n)]})
    dates = [dt.date(2024, 1, 1) + dt.timedelta(weeks=k) for k in range(periods)]
    return Problem(keys=keys, dates=dates, demand=demand, freq="1w", **fields, **arrays)


def clsp_problem(instance: ClspInstance) -> Problem:
    """The instance as a planning problem: one `order` resource with capacity C in every period,
    per_unit a_i and per_order b_i (setup time), order cost f_i, holding h_i, unit cost p,
    lead time 0, no backorders, no initial inventory, no safety stock."""
    n, periods = instance.demand.shape
    return make_problem(
        instance.demand,
        unit_cost=instance.unit_cost,
        holding_cost=instance.holding_cost,
        order_cost=instance.setup_cost,
        backorders="none",
        resource_names=["capacity"],
        resource_kinds=["order"],
        capacity=np.full((1, periods), instance.capacity),
        per_unit=instance.per_unit[None, :].copy(),
        per_order=instance.setup_time[None, :].copy(),
    )
