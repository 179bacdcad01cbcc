"""The planning problem as one sparse linear program, built from arrays (no loop per variable).

Variables come in blocks over the (series, period) grid; a block holds only the cells that need
it (orders only where they can arrive inside the horizon, setup binaries only for series with an
order cost, MOQ or per-order usage, lot counts only for series with a lot size). Every backend
(OR-Tools, PuLP, HiGHS directly) solves this same matrix.

Rows:
- balance (n × T, equality): I[t] − B[t] − I[t−1] + B[t−1] − x[t−L] − U[t] = open[t] − d[t]
  (+ initial inventory in period 1); B only with backorders allowed, U (lost sales,
  U ≤ d) only with lost sales;
- safety stock: I[t] + S[t] ≥ ss[t] where ss > 0 (or, with `safety_rows=False`, no row: stock
  is split into a column up to the target and one above it, see `build_lp`);
- setup: x − M·y ≤ 0 and x − moq·y ≥ 0; lot: x − lot·k = 0;
- sell first (lost sales with a safety-stock target only): U ≤ d·z and I ≤ M·(1 − z), z binary —
  without them the plan could refuse to sell stock it holds to stay at the target;
- capacity: Σ per_unit·x + per_order·y ≤ cap (kind order), Σ per_unit·I ≤ cap (kind storage).
Objective: Σ unit_cost·x + holding·I + shortage·(B or U) + shortage·S + order_cost·y
+ unit_cost·(B[T] − I[T]).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from scm.plan.problem import Problem


@dataclass
class LinearProgram:
    """min c·v + offset s.t. row_lb ≤ A v ≤ row_ub, lb ≤ v ≤ ub, v[integer] integral."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    A: sp.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    blocks: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (n, T) var index or -1
    balance_rows: np.ndarray | None = None  # (n, T) row index
    capacity_rows: np.ndarray | None = None  # (R, T) row index or -1
    elastic_columns: dict[str, np.ndarray] = field(default_factory=dict)
    offset: float = 0.0  # constant added to c·v to give the plan's objective

    @property
    def num_variables(self) -> int:
        return len(self.c)

    @property
    def num_constraints(self) -> int:
        return self.A.shape[0]

    def block_values(self, values: np.ndarray, name: str) -> np.ndarray:
        """(n, T) values of one block (0 where the block has no variable)."""
        idx = self.blocks.get(name)
        return np.zeros(0) if idx is None else gather(values, idx)

    def elastic_values(self, values: np.ndarray, name: str) -> np.ndarray:
        """Values of one block of elastic slack columns (see `build_lp(elastic=True)`)."""
        return gather(values, self.elastic_columns[name])


def gather(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Values at a grid of variable indices; 0 where the index is −1 (no variable)."""
    out = np.zeros(idx.shape)
    mask = idx >= 0
    out[mask] = values[idx[mask]]
    return out


class _Builder:
    """Collects columns and COO triplets; every call takes whole arrays."""

    def __init__(self) -> None:
        self.nvar = 0
        self.nrow = 0
        self.cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []
        self.trip: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def variables(self, mask: np.ndarray, cost, lb=0.0, ub=np.inf, integer: bool = False) -> np.ndarray:
        idx = np.full(mask.shape, -1, dtype=np.int64)
        k = int(mask.sum())
        idx[mask] = np.arange(self.nvar, self.nvar + k)
        self.nvar += k
        shape = mask.shape
        self.cols.append(
            (
                np.broadcast_to(cost, shape)[mask].astype(float),
                np.broadcast_to(lb, shape)[mask].astype(float),
                np.broadcast_to(ub, shape)[mask].astype(float),
                np.full(k, integer),
            )
        )
        return idx

    def constraints(self, count: int, lo, hi) -> np.ndarray:
        rows = np.arange(self.nrow, self.nrow + count)
        self.nrow += count
        self.rows.append((np.broadcast_to(lo, (count,)).astype(float), np.broadcast_to(hi, (count,)).astype(float)))
        return rows

    def terms(self, rows, cols, vals) -> None:
        cols = np.asarray(cols)
        rows = np.broadcast_to(np.asarray(rows), cols.shape).ravel()
        vals = np.broadcast_to(np.asarray(vals, dtype=float), cols.shape).ravel()
        cols = cols.ravel()
        keep = (cols >= 0) & (rows >= 0) & (vals != 0)
        self.trip.append((rows[keep], cols[keep], vals[keep]))

    def finish(self) -> tuple:
        c, lb, ub, integer = (np.concatenate(p) if p else np.zeros(0) for p in zip(*self.cols, strict=True))
        row_lb, row_ub = (np.concatenate(p) for p in zip(*self.rows, strict=True))
        r, k, v = (np.concatenate(p) for p in zip(*self.trip, strict=True))
        A = sp.csr_matrix((v, (r, k)), shape=(self.nrow, self.nvar))
        A.sum_duplicates()
        return c, lb, ub, integer.astype(bool), A, row_lb, row_ub


def big_m(problem: Problem, *, by_capacity: bool = True) -> np.ndarray:
    """(n,) an upper bound on any one order an optimal plan places.

    An order never needs to exceed all demand of the horizon plus the largest safety-stock
    target, rounded up by the MOQ and one lot; nor can it exceed what the tightest `order`
    resource the series uses lets through in its largest period.
    """
    p = problem
    m = p.demand.sum(axis=1) + p.safety_stock.max(axis=1, initial=0.0) + p.moq + p.lot_size + 1.0
    for r, kind in enumerate(p.resource_kinds if by_capacity else []):
        if kind != "order" or not np.isfinite(p.capacity[r]).all():
            continue
        users = p.per_unit[r] > 0
        room = (p.capacity[r].max() - p.per_order[r]) / np.where(users, p.per_unit[r], 1.0)
        m = np.where(users, np.minimum(m, np.maximum(room, 0.0)), m)
    return m


def stock_bound(problem: Problem) -> np.ndarray:
    """(n,) an upper bound on stock on hand: what is there, on order, and the largest order."""
    return problem.initial_inventory + problem.open_orders.sum(axis=1) + big_m(problem) * problem.periods


def build_lp(
    problem: Problem,
    *,
    elastic: bool = False,
    relax: bool = False,
    strong_window: int = 0,
    safety_rows: bool = True,
) -> LinearProgram:
    """Build the LP/MIP of `problem`.

    Args:
        problem: the planning problem.
        elastic: add penalised slack to capacity rows (and to the balance rows when backorders
            are not allowed) and minimise the slack only: a phase-one model whose nonzero
            slacks name what makes the problem infeasible.
        relax: drop integrality (the LP relaxation).
        strong_window: add the cover inequalities of `_add_cover_cuts` for up to this many
            periods after each order's arrival (0 = none: the plain big-M formulation).
        safety_rows: the safety-stock target as a row per cell, I + S ≥ ss with a shortfall
            column S (HiGHS' presolve reduces this form well: the faster cold solve); False
            splits stock into a column up to the target, costed holding − shortage, and one
            above it, with the constant shortage · target in `offset` — no row per cell, a
            smaller basis, so warm re-solves (`scm.plan.warm`) iterate faster.
    """
    p = problem
    n, T = p.demand.shape
    b = _Builder()
    can = p.can_order()
    all_cells = np.ones((n, T), bool)
    last = np.zeros((n, T), bool)
    last[:, -1] = True
    uc = p.unit_cost[:, None]
    scale = 0.0 if elastic else 1.0

    # (the elastic copy may exceed a capacity, so its orders are not capped by one)
    order_ub = big_m(p, by_capacity=not elastic)
    x = b.variables(can, scale * uc, ub=np.where(can, order_ub[:, None], 0.0))
    inv = b.variables(all_cells, scale * (p.holding_cost[:, None] - uc * last))
    blocks = {"order": x, "inventory": inv}
    ss_cells = p.safety_stock > 0
    offset = 0.0
    split = ss_cells.any() and not safety_rows
    if split:
        # stock up to the safety-stock target is its own column, bounded by the target and costed
        # holding − shortage: with the constant shortage·target this is holding·I + shortage·(ss − I)⁺
        # without a safety-stock row per cell (the LP is that much smaller; warm re-plans faster)
        short = np.broadcast_to(p.shortage_cost[:, None], (n, T))
        blocks["inventory_to_target"] = b.variables(
            ss_cells, scale * (p.holding_cost[:, None] - short - uc * last), ub=p.safety_stock
        )
        offset = scale * float((short * p.safety_stock)[ss_cells].sum())
    stock = [inv] + ([blocks["inventory_to_target"]] if split else [])
    if p.backorders == "allow":
        blocks["backlog"] = b.variables(all_cells, scale * (p.shortage_cost[:, None] + uc * last))
    elif p.backorders == "lost":
        blocks["lost"] = b.variables(all_cells, scale * p.shortage_cost[:, None], ub=p.demand)
    if ss_cells.any() and safety_rows:
        blocks["safety_shortfall"] = b.variables(ss_cells, scale * p.shortage_cost[:, None], ub=p.safety_stock)
    sell_first = p.sell_first_cells()
    if sell_first.any():
        blocks["stockout"] = b.variables(sell_first, 0.0, ub=1.0, integer=not relax)
    setup = p.needs_setup()
    lots = p.lot_size > 0
    if setup.any():
        blocks["setup"] = b.variables(can & setup[:, None], scale * p.order_cost[:, None], ub=1.0, integer=not relax)
    if lots.any():
        kmax = np.floor(order_ub / np.where(lots, p.lot_size, 1.0)) + 1
        blocks["lots"] = b.variables(can & lots[:, None], 0.0, ub=kmax[:, None], integer=not relax)

    # balance rows, one per cell, in (series, period) order
    rhs = p.open_orders - p.demand
    rhs[:, 0] += p.initial_inventory
    bal = b.constraints(n * T, rhs.ravel(), rhs.ravel()).reshape(n, T)
    for part in stock:
        b.terms(bal, part, 1.0)
        b.terms(bal[:, 1:], part[:, :-1], -1.0)
    if "backlog" in blocks:
        bl = blocks["backlog"]
        b.terms(bal, bl, -1.0)
        b.terms(bal[:, 1:], bl[:, :-1], 1.0)
    if "lost" in blocks:
        b.terms(bal, blocks["lost"], -1.0)
    # an order placed in t arrives in t + lead_time
    ii, tt = np.nonzero(can)
    b.terms(bal[ii, tt + p.lead_time[ii]], x[ii, tt], -1.0)

    if sell_first.any():
        # stock on hand is sold before any sale is lost: lost > 0 only in a stock-out period (z = 1),
        # and then nothing is left in stock
        z = blocks["stockout"]
        k = int(sell_first.sum())
        rows = b.constraints(k, -np.inf, 0.0)
        b.terms(rows, blocks["lost"][sell_first], 1.0)
        b.terms(rows, z[sell_first], -p.demand[sell_first])
        cap = np.broadcast_to(stock_bound(p)[:, None], (n, T))[sell_first]
        rows = b.constraints(k, -np.inf, cap)
        for part in stock:
            b.terms(rows, part[sell_first], 1.0)
        b.terms(rows, z[sell_first], cap)
    if "safety_shortfall" in blocks:
        rows = b.constraints(int(ss_cells.sum()), p.safety_stock[ss_cells], np.inf)
        b.terms(rows, inv[ss_cells], 1.0)
        b.terms(rows, blocks["safety_shortfall"][ss_cells], 1.0)
    if "setup" in blocks:
        y = blocks["setup"]
        cells = y >= 0
        m = np.broadcast_to(order_ub[:, None], (n, T))[cells]
        rows = b.constraints(int(cells.sum()), -np.inf, 0.0)
        b.terms(rows, x[cells], 1.0)
        b.terms(rows, y[cells], -m)
        moq_cells = cells & (p.moq > 0)[:, None]
        if moq_cells.any():
            rows = b.constraints(int(moq_cells.sum()), 0.0, np.inf)
            b.terms(rows, x[moq_cells], 1.0)
            b.terms(rows, y[moq_cells], -np.broadcast_to(p.moq[:, None], (n, T))[moq_cells])
        if strong_window > 0:
            _add_cover_cuts(b, p, x, y, stock, blocks.get("backlog"), strong_window)
    if "lots" in blocks:
        k = blocks["lots"]
        cells = k >= 0
        rows = b.constraints(int(cells.sum()), 0.0, 0.0)
        b.terms(rows, x[cells], 1.0)
        b.terms(rows, k[cells], -np.broadcast_to(p.lot_size[:, None], (n, T))[cells])

    R = len(p.resource_names)
    cap_rows = np.full((R, T), -1, dtype=np.int64)
    elastic_cols: dict[str, np.ndarray] = {}
    for r in range(R):
        limited = np.isfinite(p.capacity[r])
        if not limited.any():
            continue
        ts = np.nonzero(limited)[0]
        rows = b.constraints(len(ts), -np.inf, p.capacity[r, ts])
        cap_rows[r, ts] = rows
        users = np.nonzero(p.per_unit[r] > 0)[0]
        # one triplet per (user series, limited period): arrays, no loop over series
        rr = np.repeat(rows[None, :], len(users), axis=0)
        coef = np.repeat(p.per_unit[r, users][:, None], len(ts), axis=1)
        for target in stock if p.resource_kinds[r] == "storage" else [x]:
            b.terms(rr, target[np.ix_(users, ts)], coef)
        if p.resource_kinds[r] == "order" and "setup" in blocks:
            users = np.nonzero(p.per_order[r] > 0)[0]
            rr = np.repeat(rows[None, :], len(users), axis=0)
            b.terms(rr, blocks["setup"][np.ix_(users, ts)], np.repeat(p.per_order[r, users][:, None], len(ts), axis=1))
    if elastic:
        limited = cap_rows >= 0
        if limited.any():
            s = b.variables(limited, 1.0)
            elastic_cols["capacity"] = s
            b.terms(cap_rows[limited], s[limited], -1.0)
        if p.backorders == "none":
            # unmet demand costs more than the capacity it would take to meet it, so a capacity
            # that could meet it is named rather than the series (lead times still show as unmet)
            # (slightly dearer the earlier it comes: extra supply is taken in the period that is
            # short, not early and carried forward, so the quantities named are that period's)
            weight = 10.0 * max(1.0, float(p.per_unit.max(initial=0.0)))
            earlier = 1.0 + 1e-3 * (T - 1 - np.arange(T)) / max(T, 1)
            s = b.variables(all_cells, weight * earlier[None, :])
            elastic_cols["unmet"] = s
            b.terms(bal, s, -1.0)  # extra supply where demand cannot be met

    c, lb, ub, integer, A, row_lb, row_ub = b.finish()
    return LinearProgram(
        c=c,
        lb=lb,
        ub=ub,
        integer=integer,
        A=A,
        row_lb=row_lb,
        row_ub=row_ub,
        blocks=blocks,
        balance_rows=bal,
        capacity_rows=cap_rows,
        elastic_columns=elastic_cols,
        offset=offset,
    )


def _add_cover_cuts(b: _Builder, p: Problem, x, y, stock, backlog, window: int) -> None:
    """Valid inequalities that tighten the big-M setup rows ((l, S) inequalities of lot sizing).

    The units of an order placed in t, arriving in a = t + L, can only clear the backlog left at
    a − 1, meet demand of periods a..l, or still be in stock at the end of l. So for every l ≥ a:
        x[t] ≤ d[a..l] · y[t] + I[l] + B[a − 1].
    With l = a these alone cut the LP relaxation's fractional setups down to the period's demand;
    one row per order cell and offset l − a < `window`, built as whole arrays per offset.
    """
    n, T = p.demand.shape
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(p.demand, axis=1)], axis=1)
    ii, tt = np.nonzero(y >= 0)
    arrive = tt + p.lead_time[ii]
    for k in range(window):
        last = arrive + k
        ok = last < T
        if not ok.any():
            break
        i, t, a, l_ = ii[ok], tt[ok], arrive[ok], last[ok]
        rows = b.constraints(len(i), -np.inf, 0.0)
        b.terms(rows, x[i, t], 1.0)
        b.terms(rows, y[i, t], -(csum[i, l_ + 1] - csum[i, a]))
        for part in stock:
            b.terms(rows, part[i, l_], -1.0)
        if backlog is not None:
            prev = a - 1
            has = prev >= 0
            b.terms(rows[has], backlog[i[has], prev[has]], -1.0)
