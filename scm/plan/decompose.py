"""Large planning LPs by Dantzig–Wolfe decomposition over the few shared-capacity rows.

The planning LP (no setups, backorders allowed) is block-diagonal: each series' balance and
safety-stock rows touch only its own variables; only the capacity rows (R resources × T
periods, about a hundred) couple them. Pricing those rows at λ ≥ 0 splits the problem into one
single-item problem per series, solved here exactly and for all series at once by a vectorised
dynamic program (below). A small master LP (HiGHS) combines the series' plans:

    min Σ_gk cost_gk w_gk  s.t.  Σ_gk use_gk w_gk ≤ capacity,  Σ_k w_gk = 1 per group g,  w ≥ 0,

where column (g, k) is the plan of every series of group g at iteration k. Series are pooled in
`groups` groups (a partly aggregated master: fewer, denser columns than one per series, many
more than one per iteration). The master's capacity duals are the next prices.

What is proved. Any λ ≥ 0 gives the Lagrangian bound
    LB(λ) = Σ_i min_{v_i feasible for series i} (c_i + λ D_i) v_i − λ · capacity ≤ LP optimum,
valid because the subproblems are solved exactly; the best LB over the iterations is the
reported `bound`. The master's solution is a convex combination of series plans that each meet
their own rows, so it meets every row of the LP: a feasible plan, whose contract cost (recomputed
from its orders, never above the master's objective) is the reported `objective`.
gap = (objective − bound) / objective; it stops at `gap` (status optimal) or at the time limit.

The single-item problem. With Z_t the cumulative order arrivals (0 before the lead time,
non-decreasing after) and N_t the cumulative net requirement (demand − initial inventory −
open orders), the end-of-period position is y_t = Z_t − N_t and the cost is
    Σ_t A_t Z_t + f_t(Z_t − N_t),
A_t the price of arriving in t minus that of arriving in t + 1 (Σ_t c_t (Z_t − Z_{t−1}) by parts),
f_t convex piecewise linear: backlog cost for y < 0, holding − shortage on 0 ≤ y ≤ safety stock,
holding above (holding includes the storage price, and the end-of-horizon value). A sum of convex
piecewise-linear terms under a monotone constraint has an optimum with every Z_t at a breakpoint
of some f_s: 0, N_s or N_s + ss_s. A dynamic program over those 2T + 1 candidate values
(V_t(k) = g_t(k) + min_{k' ≤ k} V_{t−1}(k')) solves it exactly, as whole (series × candidate)
arrays, T steps.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from scm.errors import SolverError
from scm.plan.problem import Problem
from scm.plan.result import PlanResult, clean_orders, plan_costs, plan_table, simulate_balance, summary_counts
from scm.plan.solve import quiet_stdout

try:  # the pricing dynamic program compiled (about 50× the numpy version); numpy when absent
    import numba
except ImportError:  # pragma: no cover - exercised where numba is not installed
    numba = None


def _dp_kernel(C, N, lead, ss, short, slope, hold, back, path):  # pragma: no cover - compiled
    """The dynamic program of the module docstring for every series; writes `path` (n, T)."""
    n, K = C.shape
    T = N.shape[1]
    for i in numba.prange(n):
        V = np.zeros(K)
        choice = np.empty((T, K), np.int16)
        for t in range(T):
            best = V[0]
            arg = 0
            for k in range(K):
                if V[k] < best:
                    best = V[k]
                    arg = k
                choice[t, k] = arg
                if t < lead[i] and k > 0:
                    V[k] = np.inf
                    continue
                y = C[i, k] - N[i, t]
                pos = y if y > 0.0 else 0.0
                g = hold[i, t] * pos + slope[i, t] * C[i, k]
                if y < 0.0:
                    g -= back[i, t] * y
                if ss[i, t] > pos:
                    g += short[i] * (ss[i, t] - pos)
                V[k] = best + g
        k = 0
        for j in range(1, K):
            if V[j] < V[k]:
                k = j
        for t in range(T - 1, -1, -1):
            path[i, t] = k
            k = choice[t, k]


if numba is not None:
    _dp_kernel = numba.njit(parallel=True, cache=True)(_dp_kernel)


def supports(problem: Problem) -> bool:
    """Whether `plan_decomposed` solves this problem itself: an LP with backorders allowed."""
    return problem.backorders == "allow" and not problem.is_mip()


@dataclass
class _Series:
    """Per-series data of the single-item problems, fixed over the iterations."""

    candidates: np.ndarray  # (n, K) sorted candidate values of Z; column 0 is 0
    need: np.ndarray  # (n, T) cumulative net requirement N
    blocked: np.ndarray  # (n, T) True where Z_t must be 0 (before the first possible arrival)


class _Pricer:
    """Solves every series' single-item problem at given capacity prices."""

    def __init__(self, problem: Problem, threads: int = 2) -> None:
        p = problem
        n, T = p.demand.shape
        self.p = p
        self.threads = max(1, min(threads, n // 2000 + 1))
        need = np.cumsum(p.demand - p.open_orders, axis=1) - p.initial_inventory[:, None]
        cand = np.concatenate([np.zeros((n, 1)), need, need + p.safety_stock], axis=1)
        cand = np.sort(np.maximum(cand, 0.0), axis=1)
        t = np.arange(T)
        self.series = _Series(cand, need, t[None, :] < p.lead_time[:, None])
        self.limited = np.isfinite(p.capacity) if p.capacity.size else np.zeros((0, T), bool)
        kinds = np.array(p.resource_kinds)
        self.order_r = np.nonzero(kinds == "order")[0] if len(kinds) else np.zeros(0, int)
        self.storage_r = np.nonzero(kinds == "storage")[0] if len(kinds) else np.zeros(0, int)
        self.index_dtype = np.int8 if cand.shape[1] < 127 else np.int16

    def coefficients(self, prices: np.ndarray) -> tuple[np.ndarray, ...]:
        """Slope coefficients of the single-item costs at capacity prices `prices` (R, T)."""
        p = self.p
        n, T = p.demand.shape
        order_price = np.repeat(p.unit_cost[:, None], T, axis=1)  # by placement period
        if len(self.order_r):
            order_price = order_price + p.per_unit[self.order_r].T @ prices[self.order_r]
        hold = np.repeat(p.holding_cost[:, None], T, axis=1)
        if len(self.storage_r):
            hold = hold + p.per_unit[self.storage_r].T @ prices[self.storage_r]
        back = np.repeat(p.shortage_cost[:, None], T, axis=1)
        hold[:, -1] -= p.unit_cost  # stock left at the end is worth its cost
        back[:, -1] += p.unit_cost  # and backlog left at the end must still be bought
        # arrival price: the order price `lead_time` periods earlier
        t = np.arange(T)
        src = t[None, :] - p.lead_time[:, None]
        arrive = np.take_along_axis(order_price, np.clip(src, 0, T - 1), axis=1)
        arrive[src < 0] = 0.0
        slope = arrive.copy()
        slope[:, :-1] -= arrive[:, 1:]
        return slope, hold, back

    def solve(self, prices: np.ndarray) -> np.ndarray:
        """(n, T) index into `candidates` of the optimal Z path of every series."""
        slope, hold, back = self.coefficients(prices)
        n = self.p.n
        if numba is not None:
            s, p = self.series, self.p
            path = np.empty((n, p.periods), dtype=self.index_dtype)
            _dp_kernel(s.candidates, s.need, p.lead_time, p.safety_stock, p.shortage_cost, slope, hold, back, path)
            return path
        if self.threads == 1:
            return self._dp(slice(0, n), slope, hold, back)
        cuts = np.linspace(0, n, self.threads + 1).astype(int)
        parts = [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        with ThreadPoolExecutor(self.threads) as pool:  # numpy releases the GIL on whole-array work
            done = list(pool.map(lambda s: self._dp(s, slope, hold, back), parts))
        return np.concatenate(done, axis=0)

    def _dp(self, rows: slice, slope, hold, back) -> np.ndarray:
        # candidates along axis 0, series along axis 1: the prefix minimum over candidates is then
        # a running minimum over whole rows, which numpy vectorises
        s = self.series
        C = np.ascontiguousarray(s.candidates[rows].T)
        N = s.need[rows].T
        blocked = s.blocked[rows].T
        ss = self.p.safety_stock[rows].T
        short = self.p.shortage_cost[rows]
        slope, hold, back = slope[rows].T, hold[rows].T, back[rows].T
        K, m = C.shape
        T = N.shape[0]
        better = np.empty(m, dtype=bool)
        choice = np.empty((T, K, m), dtype=self.index_dtype)
        V = np.zeros((K, m))
        prefix = np.empty((K, m))
        y = np.empty((K, m))
        pos = np.empty((K, m))
        g = np.empty((K, m))
        tmp = np.empty((K, m))
        for t in range(T):
            # best predecessor value and its index for every candidate (prefix minimum)
            # (a loop over the ~2T candidates: numpy's accumulate along an axis is not vectorised)
            ch = choice[t]
            prefix[0] = V[0]
            ch[0] = 0
            for k in range(1, K):
                np.less(V[k], prefix[k - 1], out=better)
                np.minimum(V[k], prefix[k - 1], out=prefix[k])
                ch[k] = ch[k - 1]
                np.putmask(ch[k], better, k)
            # g_t at every candidate
            np.subtract(C, N[t], out=y)
            np.maximum(y, 0.0, out=pos)
            np.multiply(pos, hold[t], out=g)
            np.minimum(y, 0.0, out=tmp)
            tmp *= back[t]
            g -= tmp
            np.subtract(ss[t], pos, out=tmp)
            np.maximum(tmp, 0.0, out=tmp)
            tmp *= short
            g += tmp
            np.multiply(C, slope[t], out=tmp)
            g += tmp
            np.add(prefix, g, out=V)
            V[1:, blocked[t]] = np.inf
        # back-track from the best end value
        path = np.empty((m, T), dtype=self.index_dtype)
        k = np.argmin(V, axis=0)
        ii = np.arange(m)
        for t in range(T - 1, -1, -1):
            path[:, t] = k
            k = choice[t, k, ii]
        return path

    def plan(self, path: np.ndarray) -> np.ndarray:
        """(n, T) orders by placement period of the Z paths `path` (indices into candidates)."""
        p = self.p
        n, T = p.demand.shape
        Z = np.take_along_axis(self.series.candidates, path.astype(np.int64), axis=1)
        arrive = np.diff(Z, axis=1, prepend=0.0)
        orders = np.zeros((n, T))
        ii, tt = np.nonzero(arrive > 0)
        orders[ii, tt - p.lead_time[ii]] = arrive[ii, tt]
        return orders


def _evaluate(problem: Problem, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-series LP cost (n,) and capacity use (n, R, T) of series plans given by their orders."""
    p = problem
    n, T = p.demand.shape
    state = simulate_balance(p, orders)
    inv, back = state["inventory"], state["backlog"]
    cost = (
        p.unit_cost * (orders.sum(axis=1) + back[:, -1] - inv[:, -1])
        + (p.holding_cost[:, None] * inv).sum(axis=1)
        + (p.shortage_cost[:, None] * back).sum(axis=1)
        + (p.shortage_cost[:, None] * np.maximum(p.safety_stock - inv, 0.0)).sum(axis=1)
    )
    R = len(p.resource_names)
    use = np.zeros((n, R, T))
    for r in range(R):  # a handful of resources; each is whole-array work
        base = inv if p.resource_kinds[r] == "storage" else orders
        use[:, r, :] = p.per_unit[r][:, None] * base
    return cost, use


class _Master:
    """The restricted master LP in HiGHS, grown column by column and re-solved warm."""

    def __init__(self, capacity: np.ndarray, groups: int) -> None:
        import highspy

        with quiet_stdout():
            self.h = highspy.Highs()
        h = self.h
        h.setOptionValue("output_flag", False)
        h.setOptionValue("simplex_strategy", 4)  # primal simplex: added columns keep the basis primal feasible
        self.m = len(capacity)
        self.groups = groups
        inf = highspy.kHighsInf
        h.addRows(self.m, np.full(self.m, -inf), capacity, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        h.addRows(
            groups, np.ones(groups), np.ones(groups), 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
        )
        # box step: column r buys capacity of row r at price u_r, which caps that row's dual at u_r
        idx = np.arange(self.m, dtype=np.int32)
        h.addCols(
            self.m, np.zeros(self.m), np.zeros(self.m), np.full(self.m, inf), self.m, idx, idx, np.full(self.m, -1.0)
        )
        self.owner: list[tuple[int, int]] = [(-1, -1)] * self.m  # column -> (group, iteration)

    def box(self, upper: np.ndarray | None) -> None:
        """Cap the capacity prices at `upper` (m,), or (None) close the box: no capacity bought."""
        idx = np.arange(self.m, dtype=np.int32)
        if upper is None:
            self.h.changeColsBounds(self.m, idx, np.zeros(self.m), np.zeros(self.m))
        else:
            self.h.changeColsCost(self.m, idx, upper)

    def add(self, iteration: int, groups: np.ndarray, cost: np.ndarray, use: np.ndarray) -> None:
        """Add one column per group in `groups`: its cost and capacity use (len(groups), m)."""
        k = len(groups)
        if k == 0:
            return
        import highspy

        dense = np.concatenate([use, np.ones((k, 1))], axis=1)
        rows = np.concatenate([np.broadcast_to(np.arange(self.m), (k, self.m)), (self.m + groups)[:, None]], axis=1)
        keep = dense != 0
        counts = keep.sum(axis=1)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
        self.h.addCols(
            k,
            cost,
            np.zeros(k),
            np.full(k, highspy.kHighsInf),
            int(counts.sum()),
            starts,
            rows[keep].astype(np.int32),
            dense[keep],
        )
        self.owner.extend((int(g), iteration) for g in groups)

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Objective, capacity prices λ ≥ 0 (m,), group duals σ (G,) and column values."""
        self.h.run()
        status = self.h.getModelStatus()
        if self.h.modelStatusToString(status) != "Optimal":
            raise SolverError(f"the decomposition's master LP stopped: {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        duals = np.asarray(sol.row_dual)
        prices = np.maximum(-duals[: self.m], 0.0)
        return self.h.getInfo().objective_function_value, prices, duals[self.m :], np.asarray(sol.col_value)


def plan_decomposed(
    problem: Problem,
    *,
    gap: float = 1e-3,
    time_limit: float | None = None,
    groups: int | None = None,
    max_iterations: int = 500,
    threads: int = 2,
    alpha: float = 0.5,
    log: bool = False,
) -> PlanResult:
    """Solve the planning LP by Dantzig–Wolfe decomposition over the shared-capacity rows.

    Returns the same `PlanResult` as `plan_lp` (planner `lp`, solver `highs-decomposition`), with a
    proven Lagrangian lower bound in `bound` and gap = (objective − bound) / objective. Problems it
    does not decompose (integer decisions, or backorders not allowed / lost) go to `plan_lp`.

    Args:
        problem: the planning problem.
        gap: stop when the proven relative gap is at most this (status `optimal`).
        time_limit: stop after this many seconds with the best plan so far (status `time_limit`).
        groups: series are pooled into this many groups in the master (default min(n, 512)).
        max_iterations: stop after this many pricing rounds (status `feasible`).
        threads: threads for the pricing dynamic program.
        alpha: Wentges smoothing of the prices (0 = the master's duals as they are).
        log: print one line per iteration.
    """
    if not supports(problem):
        from scm.plan.lp import plan_lp

        return plan_lp(problem, time_limit=time_limit)
    start = time.perf_counter()
    p = problem
    n, T = p.demand.shape
    R = len(p.resource_names)
    pricer = _Pricer(p, threads=threads)
    limited = pricer.limited
    rr, tt = np.nonzero(limited)
    capacity = p.capacity[rr, tt]
    G = int(min(n, groups or 512))
    group_of = (np.arange(n) * G) // n  # contiguous, near-equal groups
    master = _Master(capacity, G)
    # the first column of every group: no orders at all (meets every capacity that the starting
    # stock meets); then the plans at price 0
    paths: list[np.ndarray] = []
    zero = np.zeros((n, T))
    cost0, use0 = _evaluate(p, zero)
    paths.append(np.zeros((n, T), dtype=pricer.index_dtype))
    if (use0[:, rr, tt].sum(axis=0) > capacity * (1 + 1e-9) + 1e-9).any():
        # the least any plan can use of every capacity is what the starting stock uses: infeasible
        from scm.plan.lp import plan_lp

        return plan_lp(problem, time_limit=time_limit)  # raises InfeasibleError with its diagnosis
    master.add(0, np.arange(G), _group_sum(cost0, group_of, G), _group_sum(use0[:, rr, tt], group_of, G))
    # box-step stabilisation: a price scale per row (a few weeks of holding per unit of resource)
    step = np.zeros(len(rr))
    for j, r in enumerate(rr):
        users = p.per_unit[r] > 0
        step[j] = 4.0 * float(np.median(p.holding_cost[users] / p.per_unit[r, users])) if users.any() else 1.0
    build_seconds = time.perf_counter() - start

    prices_full = np.zeros((R, T))
    best_bound = -np.inf
    best_prices = prices_full
    objective = np.inf
    history: list[dict[str, float]] = []
    status = "feasible"
    iteration = 0
    master_obj = np.inf
    smoothing = alpha
    master_prices = prices_full
    while True:
        iteration += 1
        # Wentges smoothing: price between the best-bound prices and the master's, which jump about
        prices_full = smoothing * best_prices + (1.0 - smoothing) * master_prices if iteration > 2 else master_prices
        path = pricer.solve(prices_full)
        orders = pricer.plan(path)
        cost, use = _evaluate(p, orders)
        use_rows = use[:, rr, tt]
        lam = prices_full[rr, tt]
        lagr = cost + use_rows @ lam
        bound = float(lagr.sum() - lam @ capacity)
        if bound > best_bound:
            best_bound, best_prices = bound, prices_full.copy()
        paths.append(path)
        gcost, guse = _group_sum(cost, group_of, G), _group_sum(use_rows, group_of, G)
        master.add(iteration, np.arange(G), gcost, guse)
        previous = master_obj
        master.box(best_prices[rr, tt] + step)
        master_obj, prices, sigma, weights = master.solve()
        bought = weights[: master.m] > 1e-9 * np.maximum(1.0, capacity)
        step[bought] *= 4.0  # the box held the prices down where capacity was bought: widen it there
        master_prices = np.zeros((R, T))
        master_prices[rr, tt] = prices
        if master_obj >= previous - 1e-9 * abs(previous):
            smoothing = 0.0  # mispricing: the smoothed prices found nothing the master wants
        else:
            smoothing = alpha
        elapsed = time.perf_counter() - start
        # the master's value is a plan's cost only when it buys no capacity
        rel = (master_obj - best_bound) / max(abs(master_obj), 1e-9) if not bought.any() else np.inf
        history.append({"iteration": iteration, "bound": best_bound, "master": master_obj, "seconds": elapsed})
        if log:
            print(f"it {iteration:3d} t {elapsed:7.2f}s master {master_obj:.8g} bound {best_bound:.8g} gap {rel:.2e}")
        if rel <= gap:
            status = "optimal"
            break
        if time_limit is not None and elapsed >= time_limit:
            status = "time_limit"
            break
        if iteration >= max_iterations:
            break

    master.box(None)
    master_obj, _, _, weights = master.solve()
    # the plan: every group's convex combination of its columns
    orders = _combine(pricer, paths, master.owner, weights, group_of, n, T)
    orders = clean_orders(p, orders)
    state = simulate_balance(p, orders)
    costs = plan_costs(p, orders, state)
    objective = sum(costs.values())
    final_gap = max((objective - best_bound) / max(abs(objective), 1e-9), 0.0)
    if status == "optimal" and final_gap > gap:
        status = "feasible"
    solve_seconds = time.perf_counter() - start - build_seconds
    ss_cells = int((p.safety_stock > 0).sum())
    summary: dict[str, Any] = {
        "planner": "lp",
        "backend": "highspy",
        "solver": "highs-decomposition",
        "status": status,
        "objective": objective,
        "solver_objective": master_obj,
        "bound": best_bound,
        "gap": final_gap,
        "cost": costs,
        "build_seconds": build_seconds,
        "solve_seconds": solve_seconds,
        **summary_counts(p, orders, state),
        "variables": int(p.can_order().sum()) + 2 * n * T + ss_cells,
        "integer_variables": 0,
        "constraints": n * T + ss_cells + int(limited.sum()),
        "iterations": iteration,
        "groups": G,
        "shadow_prices": _shadow_prices(p, master_prices, orders, state, limited),
    }
    return PlanResult(plan=plan_table(p, orders, state), summary=summary, problem=p, orders=orders)


def _group_sum(values: np.ndarray, group_of: np.ndarray, G: int) -> np.ndarray:
    """Sum per-series rows of `values` ((n,) or (n, m)) into G groups."""
    if values.ndim == 1:
        return np.bincount(group_of, weights=values, minlength=G)
    out = np.zeros((G, values.shape[1]))
    np.add.at(out, group_of, values)
    return out


def _combine(pricer: _Pricer, paths, owner, weights, group_of, n: int, T: int) -> np.ndarray:
    """Orders of the master's solution: per series, its group's weighted sum of column plans."""
    w = np.zeros((len(paths), int(group_of.max()) + 1))
    for col, (g, it) in enumerate(owner):
        if g >= 0 and weights[col] > 0:
            w[it, g] += weights[col]
    orders = np.zeros((n, T))
    for it in np.nonzero(w.sum(axis=1) > 0)[0]:
        orders += w[it, group_of][:, None] * pricer.plan(paths[it])
    return orders


def _shadow_prices(p: Problem, prices, orders, state, limited) -> list[dict[str, Any]]:
    """Capacity prices of the final master (the value of one more unit), for rows with a price."""
    out = []
    for r, t in zip(*np.nonzero(limited & (prices > 1e-9)), strict=True):
        base = state["inventory"] if p.resource_kinds[r] == "storage" else orders
        out.append(
            {
                "resource": p.resource_names[r],
                "kind": p.resource_kinds[r],
                "date": p.dates[t].isoformat(),
                "capacity": float(p.capacity[r, t]),
                "used": float(p.per_unit[r] @ base[:, t]),
                "value_per_unit": float(prices[r, t]),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# Exact re-solves with one convexity row per series (used by scm.plan.warm.Replanner)
# ---------------------------------------------------------------------------------------------


class SeriesColumns:
    """Dantzig–Wolfe to a tight proven gap, one convexity row per series, warm-startable.

    A column is one series' plan as its cumulative arrivals Z (T,): any non-decreasing Z that is 0
    before the lead time is a plan of that series whatever the demand, so the columns of one solve
    stay valid columns after a demand update and are only re-costed. `solve` runs

        master (HiGHS) -> capacity prices λ, series duals σ -> pricing DP at λ (every series,
        exact) -> columns with negative reduced cost, Lagrangian bound LB(λ)

    until (master − LB) / master ≤ gap. The master is the LP restricted to convex combinations
    of each series' columns, so its value is the cost of a feasible plan (an upper bound) and LB
    is a lower bound on the LP optimum: the returned gap is proven. The "no orders" column of
    every series is always present (it uses the least of every capacity), so the master is
    feasible whenever the LP is.
    """

    def __init__(self) -> None:
        self.sku = np.zeros(0, np.int64)  # (K,) series of each kept column
        self.Z = np.zeros((0, 0))  # (K, T) cumulative arrivals of each kept column
        self.prices: np.ndarray | None = None  # (R, T) capacity prices of the last solve
        self.history: list[dict[str, float]] = []

    def costs(self, p: Problem, sku: np.ndarray, Z: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Contract cost (K,) and capacity use (K, R, T) of columns (sku, Z) under problem `p`."""
        T = p.periods
        y = Z - need[sku]
        inv = np.maximum(y, 0.0)
        back = np.maximum(-y, 0.0)
        uc, hc, sc = p.unit_cost[sku], p.holding_cost[sku], p.shortage_cost[sku]
        cost = (
            uc * (Z[:, -1] + back[:, -1] - inv[:, -1])
            + hc * inv.sum(axis=1)
            + sc * back.sum(axis=1)
            + sc * np.maximum(p.safety_stock[sku] - inv, 0.0).sum(axis=1)
        )
        R = len(p.resource_names)
        use = np.zeros((len(sku), R, T))
        if R:
            arrive = np.diff(Z, axis=1, prepend=0.0)
            t = np.arange(T)
            src = t[None, :] + p.lead_time[sku][:, None]  # an order placed in t arrives in t + L
            placed = np.where(src < T, np.take_along_axis(arrive, np.minimum(src, T - 1), axis=1), 0.0)
            for r in range(R):
                base = inv if p.resource_kinds[r] == "storage" else placed
                use[:, r, :] = p.per_unit[r][sku][:, None] * base
        return cost, use

    def solve(
        self,
        p: Problem,
        *,
        gap: float = 1e-6,
        prices: np.ndarray | None = None,
        extra: tuple[np.ndarray, np.ndarray] | None = None,
        max_rounds: int = 200,
        time_limit: float | None = None,
        threads: int = 2,
        log: bool = False,
    ) -> dict[str, Any]:
        """Solve problem `p` from the kept columns (re-costed), `extra` (sku, Z) columns and prices."""
        import highspy

        start = time.perf_counter()
        n, T = p.demand.shape
        pricer = _Pricer(p, threads=threads)
        need = pricer.series.need
        rr, tt = np.nonzero(pricer.limited)
        m = len(rr)
        capacity = p.capacity[rr, tt]
        lam_full = np.zeros((len(p.resource_names), T)) if prices is None else np.asarray(prices, float)
        # columns: "no orders" for every series, the kept ones, the extra ones, the plans at the start prices
        skus = [np.arange(n), self.sku]
        Zs = [np.zeros((n, T)), self.Z if self.Z.shape[1:] == (T,) else np.zeros((0, T))]
        if extra is not None:
            skus.append(np.asarray(extra[0], np.int64))
            Zs.append(np.asarray(extra[1], float))
        path = pricer.solve(lam_full)
        Zp = np.take_along_axis(pricer.series.candidates, path.astype(np.int64), axis=1)
        skus.append(np.arange(n))
        Zs.append(Zp)
        sku = np.concatenate(skus)
        Z = np.concatenate(Zs, axis=0)
        cost, use = self.costs(p, sku, Z, need)
        use_rows = use[:, rr, tt]
        # the Lagrangian bound at the start prices comes free with the plans priced there
        lam = lam_full[rr, tt]
        best_bound = float((cost[-n:] + use_rows[-n:] @ lam).sum() - lam @ capacity)
        if (use_rows[:n].sum(axis=0) > capacity * (1 + 1e-9) + 1e-9).any():
            raise SolverError("the LP is infeasible: the starting stock alone exceeds a capacity")

        with quiet_stdout():
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        inf = highspy.kHighsInf
        h.addRows(m, np.full(m, -inf), capacity, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        h.addRows(n, np.ones(n), np.ones(n), 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))

        def add(sku_k: np.ndarray, cost_k: np.ndarray, use_k: np.ndarray) -> None:
            k = len(sku_k)
            if k == 0:
                return
            keep = use_k != 0
            counts = keep.sum(axis=1) + 1
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
            rows = np.empty(int(counts.sum()), np.int32)
            vals = np.empty(int(counts.sum()))
            # per column: its capacity rows, then its convexity row
            rr_k = np.broadcast_to(np.arange(m), (k, m))
            flat_rows = np.concatenate([np.where(keep, rr_k, -1), (m + sku_k)[:, None]], axis=1).ravel()
            flat_vals = np.concatenate([use_k, np.ones((k, 1))], axis=1).ravel()
            sel = flat_rows >= 0
            rows[:] = flat_rows[sel]
            vals[:] = flat_vals[sel]
            h.addCols(k, cost_k, np.zeros(k), np.full(k, inf), len(rows), starts, rows, vals)

        add(sku, cost, use_rows)
        col_sku, col_Z = [sku], [Z]
        rounds = 0
        status = "feasible"
        while True:
            rounds += 1
            t_run = time.perf_counter()
            h.run()
            t_run = time.perf_counter() - t_run
            if h.modelStatusToString(h.getModelStatus()) != "Optimal":
                raise SolverError(f"the re-plan master stopped: {h.modelStatusToString(h.getModelStatus())}")
            master = h.getInfo().objective_function_value
            duals = np.asarray(h.getSolution().row_dual)
            lam = np.maximum(-duals[:m], 0.0)
            sigma = duals[m:]
            lam_full = np.zeros((len(p.resource_names), T))
            lam_full[rr, tt] = lam
            path = pricer.solve(lam_full)
            Zn = np.take_along_axis(pricer.series.candidates, path.astype(np.int64), axis=1)
            cn, un = self.costs(p, np.arange(n), Zn, need)
            un_rows = un[:, rr, tt]
            priced = cn + un_rows @ lam
            bound = float(priced.sum() - lam @ capacity)
            best_bound = max(best_bound, bound)
            rel = (master - best_bound) / max(abs(master), 1e-9)
            elapsed = time.perf_counter() - start
            self.history.append({"round": rounds, "master": master, "bound": best_bound, "seconds": elapsed})
            if log:
                its = h.getInfo().simplex_iteration_count
                print(
                    f"round {rounds:3d} {elapsed:6.3f}s (master {t_run:.3f}s, {its} its) "
                    f"master {master:.10g} bound {best_bound:.10g} gap {rel:.2e}"
                )
            if rel <= gap:
                status = "optimal"
                break
            if rounds >= max_rounds or (time_limit is not None and elapsed >= time_limit):
                break
            reduced = priced - sigma
            new = np.nonzero(reduced < -1e-9 * np.maximum(1.0, np.abs(priced)))[0]
            if len(new) == 0:  # nothing prices out: the master is optimal (bound up to round-off)
                status = "optimal"
                break
            h.setOptionValue("simplex_strategy", 4)  # primal: added columns keep the basis primal feasible
            add(new, cn[new], un_rows[new])
            col_sku.append(new)
            col_Z.append(Zn[new])
        sku = np.concatenate(col_sku)
        Z = np.concatenate(col_Z, axis=0)
        w = np.asarray(h.getSolution().col_value)
        # the plan: each series' convex combination of its columns
        Zplan = np.zeros((n, T))
        np.add.at(Zplan, sku, w[:, None] * Z)
        # keep the columns in the solution for the next solve
        keep = w > 1e-12
        keep[:n] = False  # the "no orders" columns are added anew every time
        self.sku, self.Z = sku[keep], Z[keep]
        self.prices = lam_full
        return {
            "Z": Zplan,
            "master": master,
            "bound": best_bound,
            "gap": max(rel, 0.0),
            "status": status,
            "rounds": rounds,
            "prices": lam_full,
            "seconds": time.perf_counter() - start,
            "columns": len(w),
        }


def orders_from_cumulative(p: Problem, Z: np.ndarray) -> np.ndarray:
    """(n, T) orders by placement period of cumulative arrivals Z (n, T)."""
    n, T = Z.shape
    arrive = np.diff(Z, axis=1, prepend=0.0)
    orders = np.zeros((n, T))
    ii, tt = np.nonzero(arrive > 0)
    orders[ii, tt - p.lead_time[ii]] = arrive[ii, tt]
    return orders
