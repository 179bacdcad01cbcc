"""An independent check of a plan table against the planning problem.

Every planner (LP/MIP, GA, baseline) is scored by this one verifier. It reads nothing but the
`Problem` arrays and the plan table of the contract, and deliberately shares no code with the
planners (`scm.plan.result`, `scm.plan.matrix`): a bug there must not hide here.

Checks, each per series and period (or per resource and period):

- structure: the contract's columns are present, one row per series and period, no row
  outside the problem, no missing values;
- demand: the `demand` column is the problem's demand (and `safety_stock` its targets);
- non-negativity of orders, inventory and backlog (or lost sales);
- horizon: no order is placed whose arrival, `lead_time` periods later, falls after the horizon;
- arrivals: `arrival_qty` = the order placed `lead_time` periods earlier + open orders;
- balance: I − B = I_prev − B_prev + arrivals − demand (I_0 = initial inventory, B_0 = 0);
  with lost sales I = I_prev + arrivals − demand + lost, 0 ≤ lost ≤ demand, and no sale is lost
  while stock is left; with backorders not allowed the backlog is 0; stock and backlog are not
  both positive at once;
- MOQ: a non-zero order is at least `moq`; lot size: orders are whole multiples of `lot_size`;
- capacity: Σ per_unit·order + per_order·[order > 0] (kind `order`) or Σ per_unit·inventory
  (kind `storage`) ≤ capacity.

The cost parts of the contract's objective are recomputed from the table alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from scm.plan.problem import Problem

COST_PARTS = ("purchase", "holding", "shortage", "ordering", "safety_stock")
# quantities in plan tables carry 6 decimals; one balance row adds up to four of them
BALANCE_TERMS = 4.0


@dataclass(frozen=True)
class Verification:
    """What `verify` found.

    Attributes:
        ok: True when no check failed.
        violations: readable lines, each naming the check, the series (or resource) and date, and
            the amounts; at most a few per check and `max_violations` in all, the last line
            saying how many more there are.
        cost: the cost parts recomputed from the plan table (keys as the summary's `cost`).
        objective: their sum.
        count: how many series-periods (or resource-periods) fail a check, over all checks.
    """

    ok: bool
    violations: list[str]
    cost: dict[str, float]
    objective: float
    count: int = 0


@dataclass
class _Collector:
    """Gathers violations check by check, keeping a few examples of each."""

    per_check: int
    lines: list[str] = field(default_factory=list)
    count: int = 0

    def cells(self, check: str, mask: np.ndarray, describe: Callable[[int, int], str]) -> None:
        """Record every True cell of `mask` (an (n, T) or (R, T) grid) as a violation of `check`."""
        hits = np.argwhere(mask)
        if not len(hits):
            return
        self.count += len(hits)
        for a, t in hits[: self.per_check].tolist():
            self.lines.append(f"{check}: {describe(a, t)}")
        if len(hits) > self.per_check:
            self.lines.append(f"{check}: … and {len(hits) - self.per_check} more")

    def add(self, line: str, count: int = 1) -> None:
        self.lines.append(line)
        self.count += count


def verify(
    problem: Problem, plan: pl.DataFrame, *, tol: float = 1e-6, max_violations: int = 20, per_check: int = 3
) -> Verification:
    """Check a plan table against the problem and recompute its cost.

    Args:
        problem: the planning problem the plan claims to solve.
        plan: the contract's plan table: key columns, `date`, `demand`, `safety_stock`,
            `order_qty`, `arrival_qty`, `inventory`, and `backlog` (or `lost` with lost sales).
        tol: relative tolerance. Quantities of a series are compared within
            tol × max(1, its largest quantity); capacities within tol × max(1, capacity).
        max_violations: at most this many violation lines (plus one line with the rest's count).
        per_check: at most this many example lines per check.

    Returns:
        A `Verification`; `ok` is True when every check passes.
    """
    p = problem
    n, T = p.n, p.periods
    found = _Collector(per_check)
    nan_cost = dict.fromkeys(COST_PARTS, math.nan)
    short_name = "lost" if p.backorders == "lost" else "backlog"
    need = [*p.key_columns, "date", "demand", "safety_stock", "order_qty", "arrival_qty", "inventory"]
    if p.backorders != "none":
        need.append(short_name)
    missing = [c for c in need if c not in plan.columns]
    if missing:
        found.add(f"structure: plan lacks column(s) {', '.join(missing)}")
        return _result(found, nan_cost, max_violations)

    grid = _to_grid(p, plan, found)
    if grid is None:
        return _result(found, nan_cost, max_violations)
    dem, ss_col, x, arr, inv = (grid[c] for c in ("demand", "safety_stock", "order_qty", "arrival_qty", "inventory"))
    short = grid.get(short_name, np.zeros((n, T)))
    label = _Labels(p)

    # per-series absolute tolerance, scaled to the series' largest quantity
    scale = np.maximum.reduce(
        [
            np.ones(n),
            np.abs(p.demand).max(axis=1),
            np.abs(p.initial_inventory),
            np.abs(p.open_orders).max(axis=1),
            np.abs(x).max(axis=1),
            np.abs(inv).max(axis=1),
            np.abs(short).max(axis=1),
        ]
    )
    atol = (tol * scale)[:, None]

    # demand and safety-stock columns
    found.cells(
        "demand",
        np.abs(dem - p.demand) > atol,
        lambda i, t: f"{label(i, t)} plan says {dem[i, t]:.6g}, the problem {p.demand[i, t]:.6g}",
    )
    ss_tol = np.maximum(atol, 1e-6)  # the table rounds targets to 6 decimals
    found.cells(
        "safety_stock",
        np.abs(ss_col - p.safety_stock) > ss_tol,
        lambda i, t: f"{label(i, t)} plan says {ss_col[i, t]:.6g}, the problem {p.safety_stock[i, t]:.6g}",
    )

    # non-negativity
    for name, v in (("order_qty", x), ("inventory", inv), (short_name, short)):
        found.cells("non-negative", v < -atol, lambda i, t, v=v, name=name: f"{label(i, t)} {name} = {v[i, t]:.6g}")

    # orders that cannot arrive inside the horizon
    lead = p.lead_time.astype(np.int64)
    t_idx = np.arange(T)
    can = t_idx[None, :] + lead[:, None] < T
    placed = x > 0
    found.cells(
        "horizon",
        placed & ~can,
        lambda i, t: (
            f"{label(i, t)} order {x[i, t]:.6g} would arrive {int(lead[i])} period(s) later, "
            f"after the horizon's last period {p.dates[-1].isoformat()}"
        ),
    )

    # arrivals: the order placed lead_time periods earlier, plus open orders
    src = t_idx[None, :] - lead[:, None]
    shifted = np.where(src >= 0, np.take_along_axis(x, np.clip(src, 0, T - 1), axis=1), 0.0)
    expected = shifted + p.open_orders
    found.cells(
        "arrivals",
        np.abs(arr - expected) > atol,
        lambda i, t: (
            f"{label(i, t)} arrival_qty {arr[i, t]:.6g}, expected {expected[i, t]:.6g} "
            f"(order {shifted[i, t]:.6g} placed {int(lead[i])} period(s) earlier + open orders "
            f"{p.open_orders[i, t]:.6g})"
        ),
    )

    # inventory balance
    btol = BALANCE_TERMS * atol
    prev_inv = np.concatenate([p.initial_inventory[:, None].astype(float), inv[:, :-1]], axis=1)
    if p.backorders == "lost":
        residual = inv - (prev_inv + arr - dem + short)
        found.cells(
            "balance",
            np.abs(residual) > btol,
            lambda i, t: (
                f"{label(i, t)} inventory {inv[i, t]:.6g} ≠ previous {prev_inv[i, t]:.6g} "
                f"+ arrivals {arr[i, t]:.6g} − demand {dem[i, t]:.6g} + lost {short[i, t]:.6g} "
                f"(off by {residual[i, t]:.6g})"
            ),
        )
        found.cells(
            "lost sales",
            short > dem + atol,
            lambda i, t: f"{label(i, t)} lost {short[i, t]:.6g} exceeds demand {dem[i, t]:.6g}",
        )
        found.cells(
            "lost sales",
            (short > btol) & (inv > btol),
            lambda i, t: f"{label(i, t)} loses {short[i, t]:.6g} units while {inv[i, t]:.6g} stay in stock",
        )
    else:
        prev_back = np.concatenate([np.zeros((n, 1)), short[:, :-1]], axis=1)
        net, prev_net = inv - short, prev_inv - prev_back
        residual = net - (prev_net + arr - dem)
        found.cells(
            "balance",
            np.abs(residual) > btol,
            lambda i, t: (
                f"{label(i, t)} inventory − backlog {net[i, t]:.6g} ≠ previous {prev_net[i, t]:.6g} "
                f"+ arrivals {arr[i, t]:.6g} − demand {dem[i, t]:.6g} (off by {residual[i, t]:.6g})"
            ),
        )
        found.cells(
            "balance",
            (short > btol) & (inv > btol),
            lambda i, t: f"{label(i, t)} holds {inv[i, t]:.6g} in stock and {short[i, t]:.6g} in backlog",
        )
        if p.backorders == "none":
            found.cells(
                "no backorders",
                short > atol,
                lambda i, t: f"{label(i, t)} backlog {short[i, t]:.6g} with backorders not allowed",
            )

    # MOQ and lot sizes
    moq = p.moq[:, None]
    found.cells(
        "moq", placed & (x < moq - atol), lambda i, t: f"{label(i, t)} order {x[i, t]:.6g} below the MOQ {p.moq[i]:.6g}"
    )
    lot = p.lot_size[:, None]
    has_lot = lot > 0
    off = np.abs(x - np.round(x / np.where(has_lot, lot, 1.0)) * lot)
    found.cells(
        "lot size",
        placed & has_lot & (off > atol),
        lambda i, t: f"{label(i, t)} order {x[i, t]:.6g} is not a multiple of the lot size {p.lot_size[i]:.6g}",
    )

    # capacities, all resources at once
    R = len(p.resource_names)
    if R:
        kinds = np.array(p.resource_kinds)
        is_storage = (kinds == "storage")[:, None]
        # einsum, not BLAS matmul: OpenBLAS threads starting up next to polars' pool cost more than the sum
        by_units = np.einsum("rn,nt->rt", p.per_unit, x)
        by_orders = np.einsum("rn,nt->rt", p.per_order, placed.astype(float))
        use = np.where(is_storage, np.einsum("rn,nt->rt", p.per_unit, inv), by_units + by_orders)
        cap = p.capacity
        over = np.isfinite(cap) & (use > cap + tol * np.maximum(1.0, np.abs(np.where(np.isfinite(cap), cap, 0.0))))
        found.cells(
            "capacity",
            over,
            lambda r, t: (
                f"resource '{p.resource_names[r]}' ({p.resource_kinds[r]}) {p.dates[t].isoformat()} "
                f"uses {use[r, t]:.6g} > capacity {cap[r, t]:.6g}"
            ),
        )

    backlog = short if p.backorders != "lost" else np.zeros((n, T))
    cost = {
        "purchase": float((p.unit_cost * (x.sum(axis=1) + backlog[:, -1] - inv[:, -1])).sum()),
        "holding": float((p.holding_cost[:, None] * inv).sum()),
        "shortage": float((p.shortage_cost[:, None] * short).sum()),
        "ordering": float((p.order_cost[:, None] * placed).sum()),
        "safety_stock": float((p.shortage_cost[:, None] * np.maximum(p.safety_stock - inv, 0.0)).sum()),
    }
    return _result(found, cost, max_violations)


def check_summary(verification: Verification, summary: dict[str, Any], rel_tol: float = 1e-6) -> list[str]:
    """Compare a planner's summary (`cost` parts and `objective`) with the verifier's recomputation.

    Differences are allowed up to rel_tol × max(1, |objective|): plan tables round quantities to 6
    decimals, so a part may differ from the summary by rounding that is small against the whole.
    A cost part missing from the summary counts as 0.

    Returns:
        One line per part (and for the objective) that differs; empty when all agree.
    """
    lines: list[str] = []
    allowed = rel_tol * max(1.0, abs(verification.objective))
    costs = summary.get("cost") or {}
    for part in COST_PARTS:
        mine = verification.cost.get(part, math.nan)
        theirs = float(costs.get(part, 0.0) or 0.0)
        if not abs(mine - theirs) <= allowed:
            lines.append(f"cost {part}: summary says {theirs:.10g}, the plan table gives {mine:.10g}")
    theirs = summary.get("objective")
    if theirs is None or not abs(verification.objective - float(theirs)) <= allowed:
        lines.append(f"objective: summary says {theirs}, the plan table gives {verification.objective:.10g}")
    return lines


class _Labels:
    """`series@location date` labels, built only for the few cells that are reported."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem

    def __call__(self, i: int, t: int) -> str:
        return f"series {self.problem.series_label(i)} {self.problem.dates[t].isoformat()}"


def _to_grid(p: Problem, plan: pl.DataFrame, found: _Collector) -> dict[str, np.ndarray] | None:
    """Place the plan's value columns on the problem's (n, T) grid by key and date.

    Returns None (after recording why) when the rows do not cover the grid exactly once.
    """
    n, T = p.n, p.periods
    kcols = p.key_columns
    values = [
        c
        for c in ("demand", "safety_stock", "order_qty", "arrival_qty", "inventory", "backlog", "lost")
        if c in plan.columns
    ]
    idx = p.keys.with_row_index("_i").with_columns(pl.col("_i").cast(pl.Int64))
    didx = pl.DataFrame({"date": p.dates, "_t": np.arange(T)}, schema={"date": pl.Date, "_t": pl.Int64})
    frame = plan.select(*kcols, pl.col("date").cast(pl.Date), *values)
    cast = {c: idx.schema[c] for c in kcols}
    frame = frame.cast(cast).join(idx, on=kcols, how="left").join(didx, on="date", how="left")
    stray = frame.filter(pl.col("_i").is_null() | pl.col("_t").is_null())
    if stray.height:
        first = stray.row(0, named=True)
        found.add(
            f"structure: {stray.height} plan row(s) outside the problem's series and periods, "
            f"e.g. {', '.join(f'{c}={first[c]}' for c in [*kcols, 'date'])}",
            stray.height,
        )
        return None
    cell = frame["_i"].to_numpy() * T + frame["_t"].to_numpy()
    seen = np.bincount(cell, minlength=n * T).reshape(n, T)
    label = _Labels(p)
    found.cells("structure", seen > 1, lambda i, t: f"{label(i, t)} has {seen[i, t]} rows")
    found.cells("structure", seen == 0, lambda i, t: f"{label(i, t)} has no row")
    if (seen != 1).any():
        return None
    grid: dict[str, np.ndarray] = {}
    for c in values:
        v = np.empty(n * T)
        v[cell] = frame[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
        grid[c] = v.reshape(n, T)
        found.cells(
            "structure",
            ~np.isfinite(grid[c]),
            lambda i, t, c=c: f"{label(i, t)} {c} is {grid[c][i, t]} (missing or not finite)",
        )
    if any(not np.isfinite(v).all() for v in grid.values()):
        return None
    return grid


def _result(found: _Collector, cost: dict[str, float], max_violations: int) -> Verification:
    lines = found.lines
    if len(lines) > max_violations:
        lines = [*lines[:max_violations], f"… {len(found.lines) - max_violations} more violation line(s)"]
    return Verification(
        ok=found.count == 0, violations=lines, cost=cost, objective=float(sum(cost.values())), count=found.count
    )
