"""Build and solve time and peak memory of the planning LP at 1k, 10k and 50k SKUs × 52 weeks.

Instances: benchmarks/instances.py (lead times 0–4, shared storage and purchase budget that bind
in the season, safety stock; an LP). For every size, in the same run:

- scm: `build_lp(problem)` (numpy → COO → CSR), then `solve_highs(lp)` (CSC arrays handed to
  highspy in one `passModel` call). "handed" = build + passModel, i.e. the model is in the
  solver and `run()` is next.
- direct: highspy on the same matrix, timed from the arrays (CSC conversion + passModel + run):
  what a hand-written highspy program would cost. Only `scm total / direct total` is a ratio of
  the same solve; the solve itself is HiGHS either way.
- pulp: a plain row-by-row PuLP model (`LpVariable.dicts`, a Python loop adding one balance row
  per SKU and week, then the safety-stock and capacity rows) written as a PuLP user would; its
  build is timed at every size (up to --pulp-max), solved with CBC only at 1k (--pulp-solve).
- decompose: `scm.plan.decompose.plan_decomposed` to a proven gap (default 1e-3).

A 50-SKU warm-up runs first, so imports and first calls are not timed.

Peak memory: the process's peak resident set (psutil `memory_info().rss` sampled every 10 ms by a
background thread) above the resident set just before the step; build and solve measured
separately. Solves are time-limited (--time-limit); a solve that hits it is reported as such.

Usage:
    python benchmarks/plan_scale.py --sizes 1000,10000,50000 --solve-max 1000 --time-limit 600
    python benchmarks/plan_scale.py --sizes 1000,10000            # quick
"""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from instances import make_instance  # noqa: E402

from scm.plan.decompose import plan_decomposed  # noqa: E402
from scm.plan.matrix import build_lp  # noqa: E402
from scm.plan.problem import Problem  # noqa: E402
from scm.plan.solve import highs_outcome, pass_to_highs, quiet_stdout  # noqa: E402

MB = 1024.0**2


class PeakRSS:
    """Peak resident set size of this process during a `with` block, above its level at entry."""

    def __init__(self, interval: float = 0.01) -> None:
        self.proc = psutil.Process()
        self.interval = interval

    def __enter__(self) -> PeakRSS:
        gc.collect()
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def mb(self) -> float:
        return (self.peak - self.base) / MB


def new_highs(time_limit: float):
    import highspy

    with quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    return h


def pass_model(h, lp) -> None:
    """The matrix to highspy in one call (the call `scm.plan.solve.solve_highs` makes)."""
    pass_to_highs(h, lp)


def run_scm(problem: Problem, solve: bool, time_limit: float) -> dict:
    """scm's path: build_lp, hand the arrays to HiGHS, solve."""
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        lp = build_lp(problem)
        t1 = time.perf_counter()
        h = new_highs(time_limit)
        pass_model(h, lp)
        t2 = time.perf_counter()
    out = {
        "build": t1 - t0,
        "handed": t2 - t0,
        "build_mb": mem.mb,
        "vars": lp.num_variables,
        "rows": lp.num_constraints,
        "nnz": lp.A.nnz,
    }
    if solve:
        with PeakRSS() as mem:
            t3 = time.perf_counter()
            h.run()
            t4 = time.perf_counter()
        res = highs_outcome(h, False, t4 - t3)
        out.update(solve=t4 - t3, total=t4 - t0, status=res.status, objective=res.objective, solve_mb=mem.mb)
    del h
    return out


def run_direct(problem: Problem, solve: bool, time_limit: float) -> dict:
    """highspy on the same matrix, timed from the arrays (the matrix is built before the clock)."""
    lp = build_lp(problem)
    if not solve:
        return {}
    t0 = time.perf_counter()
    h = new_highs(time_limit)
    pass_model(h, lp)
    h.run()
    t1 = time.perf_counter()
    res = highs_outcome(h, False, t1 - t0)
    return {"total": t1 - t0, "status": res.status, "objective": res.objective}


def pulp_model(problem: Problem):
    """The same LP written row by row, the way a PuLP user writes it."""
    import pulp

    p = problem
    n, T = p.demand.shape
    S, W = range(n), range(T)
    m = pulp.LpProblem("plan", pulp.LpMinimize)
    order = pulp.LpVariable.dicts("order", [(i, t) for i in S for t in W if t + p.lead_time[i] < T], lowBound=0)
    inv = pulp.LpVariable.dicts("inv", [(i, t) for i in S for t in W], lowBound=0)
    back = pulp.LpVariable.dicts("back", [(i, t) for i in S for t in W], lowBound=0)
    short = pulp.LpVariable.dicts("short", [(i, t) for i in S for t in W if p.safety_stock[i, t] > 0], lowBound=0)
    for (i, t), v in short.items():
        v.upBound = float(p.safety_stock[i, t])
    uc, h, b = p.unit_cost, p.holding_cost, p.shortage_cost
    m += (
        pulp.lpSum(uc[i] * x for (i, t), x in order.items())
        + pulp.lpSum((h[i] - (uc[i] if t == T - 1 else 0.0)) * v for (i, t), v in inv.items())
        + pulp.lpSum((b[i] + (uc[i] if t == T - 1 else 0.0)) * v for (i, t), v in back.items())
        + pulp.lpSum(b[i] * v for (i, t), v in short.items())
    )
    for i in S:
        L = int(p.lead_time[i])
        for t in W:
            prev = (inv[i, t - 1] - back[i, t - 1]) if t > 0 else float(p.initial_inventory[i])
            arrival = order[i, t - L] if t - L >= 0 else 0.0
            m += (
                inv[i, t] - back[i, t] == prev + arrival + float(p.open_orders[i, t] - p.demand[i, t]),
                f"balance_{i}_{t}",
            )
            if (i, t) in short:
                m += inv[i, t] + short[i, t] >= float(p.safety_stock[i, t]), f"safety_{i}_{t}"
    for r, name in enumerate(p.resource_names):
        for t in W:
            if not np.isfinite(p.capacity[r, t]):
                continue
            if p.resource_kinds[r] == "storage":
                use = pulp.lpSum(p.per_unit[r, i] * inv[i, t] for i in S if p.per_unit[r, i] > 0)
            else:
                use = pulp.lpSum(p.per_unit[r, i] * order[i, t] for i in S if (i, t) in order and p.per_unit[r, i] > 0)
            m += use <= float(p.capacity[r, t]), f"{name}_{t}"
    return m


def run_pulp(problem: Problem, solve: bool, time_limit: float) -> dict:
    import pulp

    with PeakRSS() as mem:
        t0 = time.perf_counter()
        m = pulp_model(problem)
        t1 = time.perf_counter()
    out = {"build": t1 - t0, "build_mb": mem.mb}
    if solve:
        t2 = time.perf_counter()
        with quiet_stdout():
            m.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
        t3 = time.perf_counter()
        out.update(total=t3 - t0, solve=t3 - t2, status=pulp.LpStatus[m.status], objective=pulp.value(m.objective))
    return out


def run_decomposed(problem: Problem, gap: float, time_limit: float) -> dict:
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        r = plan_decomposed(problem, gap=gap, time_limit=time_limit)
        t1 = time.perf_counter()
    s = r.summary
    return {
        "total": t1 - t0,
        "status": s["status"],
        "objective": s["objective"],
        "bound": s["bound"],
        "gap": s["gap"],
        "iterations": s["iterations"],
        "mb": mem.mb,
    }


def fmt(v, spec: str = ".2f") -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "—"
    return format(v, spec) if isinstance(v, (int, float)) else str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,50000", help="SKU counts, comma separated")
    ap.add_argument("--periods", type=int, default=52)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--solve-max", type=int, default=1000, help="monolithic HiGHS solves only up to this size")
    ap.add_argument("--pulp-max", type=int, default=10000, help="build the PuLP model only up to this size")
    ap.add_argument("--pulp-solve", type=int, default=1000, help="solve the PuLP model only up to this size")
    ap.add_argument("--decompose-max", type=int, default=10000, help="run the decomposition up to this size")
    ap.add_argument("--gap", type=float, default=1e-3)
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"machine: {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 1024**3:.0f} GB; "
        f"memory = peak RSS above the start of each step (psutil, 10 ms samples)"
    )
    # warm-up: imports and first calls (scipy.sparse, highspy, numba's cache load) outside the clock
    small = make_instance(50, args.periods, seed=args.seed)
    run_scm(small, True, args.time_limit)
    plan_decomposed(small, time_limit=args.time_limit)
    rows = []
    for n in sizes:
        problem = make_instance(n, args.periods, seed=args.seed)
        solve = n <= args.solve_max
        scm = run_scm(problem, solve, args.time_limit)
        direct = run_direct(problem, solve, args.time_limit)
        pulp_res = run_pulp(problem, n <= args.pulp_solve, args.time_limit) if n <= args.pulp_max else {}
        dec = run_decomposed(problem, args.gap, args.time_limit) if n <= args.decompose_max else {}
        row = {"n": n, "scm": scm, "direct": direct, "pulp": pulp_res, "decompose": dec}
        rows.append(row)
        print(
            f"n={n}: vars {scm['vars']:,} rows {scm['rows']:,} nnz {scm['nnz']:,}; "
            f"scm build {scm['build']:.3f}s handed {scm['handed']:.3f}s ({scm['build_mb']:.0f} MB)"
            + (f", solve {scm['solve']:.1f}s {scm['status']} obj {scm['objective']:.2f}" if solve else "")
            + (f"; direct {direct['total']:.1f}s {direct['status']}" if direct else "")
            + (f"; pulp build {pulp_res['build']:.2f}s ({pulp_res['build_mb']:.0f} MB)" if pulp_res else "")
            + (
                f" solve {pulp_res['solve']:.1f}s {pulp_res['status']} obj {pulp_res['objective']:.2f}"
                if "solve" in pulp_res
                else ""
            )
            + (
                f"; decompose {dec['total']:.1f}s {dec['status']} gap {dec['gap']:.1e} obj {dec['objective']:.2f} "
                f"bound {dec['bound']:.2f} ({dec['mb']:.0f} MB)"
                if dec
                else ""
            ),
            flush=True,
        )
    print()
    head = (
        "SKUs",
        "build s",
        "handed s",
        "build MB",
        "HiGHS solve s",
        "scm total s",
        "direct total s",
        "scm/direct",
        "PuLP build s",
        "PuLP/scm build",
        "PuLP+CBC total s",
        "decomp s",
        "decomp gap",
        "decomp MB",
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        s, d, pu, de = row["scm"], row["direct"], row["pulp"], row["decompose"]
        ratio = s["total"] / d["total"] if "total" in s and d else None
        speed = pu["build"] / s["handed"] if pu else None
        cells = (
            f"{row['n']:,}",
            fmt(s["build"], ".3f"),
            fmt(s["handed"], ".3f"),
            fmt(s["build_mb"], ".0f"),
            fmt(s.get("solve"), ".1f") + ("" if s.get("status") in (None, "optimal") else f" ({s['status']})"),
            fmt(s.get("total"), ".1f"),
            fmt(d.get("total"), ".1f"),
            fmt(ratio, ".3f"),
            fmt(pu.get("build"), ".2f"),
            fmt(speed, ".0f") + ("×" if speed else ""),
            fmt(pu.get("total"), ".1f"),
            fmt(de.get("total"), ".1f"),
            fmt(de.get("gap"), ".1e"),
            fmt(de.get("mb"), ".0f"),
        )
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
