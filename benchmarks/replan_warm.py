"""Re-planning after a demand update: warm start from the previous basis vs a cold solve.

Instance: benchmarks/instances.py (n SKUs × 52 weeks, shared storage and budget, an LP). The
plan is solved once cold (`scm.plan.warm.Replanner`, HiGHS dual simplex from scratch); then the
forecast is revised, as a rolling-horizon simulation does every period, and re-planned warm
(changeRowsBounds on the balance rows, run again). Revisions, seeded, applied one after another:

- `few`: 5 % of the SKUs get their forecast scaled by a lognormal factor (σ 0.2);
- `all`: every SKU-week forecast scaled by a lognormal factor (σ 0.05).

For the last revision of each kind a cold solve of the revised problem checks that the warm
objective is the optimum (--cold-check), and its time is the cold reference.

Usage:
    python benchmarks/replan_warm.py --skus 3000 --updates 3
    python benchmarks/replan_warm.py --skus 3000 --budget-factor 1.25 --storage-weeks 2  # looser capacities
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from instances import make_instance  # noqa: E402

from scm.plan.lp import plan_lp  # noqa: E402
from scm.plan.warm import Replanner  # noqa: E402


def revise(demand: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    n, T = demand.shape
    if kind == "few":
        factor = np.ones(n)
        pick = rng.choice(n, max(1, n // 20), replace=False)
        factor[pick] = rng.lognormal(0.0, 0.2, len(pick))
        return np.round(demand * factor[:, None], 1)
    return np.round(demand * rng.lognormal(0.0, 0.05, (n, T)), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skus", type=int, default=3000)
    ap.add_argument("--periods", type=int, default=52)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--updates", type=int, default=3, help="revisions of each kind")
    ap.add_argument("--kinds", default="few,all")
    ap.add_argument("--no-cold-check", action="store_true")
    ap.add_argument("--budget-factor", type=float, default=1.08, help="budget = this × mean weekly purchase value")
    ap.add_argument("--storage-weeks", type=float, default=0.9, help="storage = safety stock + this many weeks")
    ap.add_argument(
        "--series-dw",
        type=float,
        default=None,
        metavar="GAP",
        help="instead: the per-series decomposition (scm.plan.decompose.SeriesColumns) to this "
        "proven gap, warm from the previous prices and columns (a measured alternative)",
    )
    args = ap.parse_args()
    if args.series_dw is not None:
        series_dw(args)
        return
    rng = np.random.default_rng(args.seed + 100)
    problem = make_instance(
        args.skus, args.periods, seed=args.seed, budget_factor=args.budget_factor, storage_weeks=args.storage_weeks
    )
    t0 = time.perf_counter()
    replanner = Replanner(problem)
    cold = time.perf_counter() - t0
    s = replanner.result.summary
    print(
        f"{args.skus} SKUs × {args.periods} weeks: {s['variables']:,} variables, {s['constraints']:,} rows; "
        f"cold solve {cold:.1f} s (build {s['build_seconds']:.2f} s, HiGHS {s['solve_seconds']:.1f} s, "
        f"{s['simplex_iterations']} simplex iterations), objective {s['objective']:.2f}",
        flush=True,
    )
    lines = []
    for kind in args.kinds.split(","):
        for u in range(args.updates):
            demand = revise(replanner.problem.demand, kind, rng)
            t1 = time.perf_counter()
            r = replanner.update(demand=demand)
            warm = time.perf_counter() - t1
            s = r.summary
            line = {
                "kind": kind,
                "update": u + 1,
                "warm": warm,
                "hi": s["solve_seconds"],
                "iters": s["simplex_iterations"],
                "rows": s["rows_changed"],
                "status": s["status"],
                "objective": s["objective"],
            }
            print(
                f"  {kind} #{u + 1}: warm re-plan {warm:.3f} s (HiGHS {s['solve_seconds']:.3f} s, "
                f"{s['simplex_iterations']} iterations, {s['rows_changed']:,} rows changed) {s['status']} "
                f"objective {s['objective']:.2f}",
                flush=True,
            )
            lines.append(line)
        if not args.no_cold_check:
            t2 = time.perf_counter()
            # solver="highs": the monolithic LP (plan_lp would hand an LP this large to the decomposition)
            check = plan_lp(replace(problem, demand=replanner.problem.demand), solver="highs")
            cold_k = time.perf_counter() - t2
            diff = abs(check.summary["objective"] - lines[-1]["objective"]) / abs(check.summary["objective"])
            lines[-1]["cold"] = cold_k
            lines[-1]["diff"] = diff
            print(
                f"  {kind}: cold solve of the revised problem {cold_k:.1f} s, objective "
                f"{check.summary['objective']:.2f} (relative difference {diff:.1e})",
                flush=True,
            )
    print()
    print(
        "| revision | # | rows changed | warm re-plan s | HiGHS s | simplex its | cold solve s | cold/warm | obj diff |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for x in lines:
        ref = x.get("cold", cold)
        print(
            f"| {x['kind']} | {x['update']} | {x['rows']:,} | {x['warm']:.3f} | {x['hi']:.3f} | {x['iters']} | "
            f"{ref:.1f}{'' if 'cold' in x else ' (first)'} | {ref / x['warm']:.0f}× | "
            f"{x['diff']:.1e} |"
            if "diff" in x
            else f"| {x['kind']} | {x['update']} | {x['rows']:,} | {x['warm']:.3f} | {x['hi']:.3f} | {x['iters']} | "
            f"{cold:.1f} (first) | {cold / x['warm']:.0f}× | — |"
        )


def series_dw(args) -> None:
    from dataclasses import replace as _replace

    from scm.plan.decompose import SeriesColumns

    rng = np.random.default_rng(args.seed + 100)
    p = make_instance(
        args.skus, args.periods, seed=args.seed, budget_factor=args.budget_factor, storage_weeks=args.storage_weeks
    )
    solver = SeriesColumns()
    t0 = time.perf_counter()
    out = solver.solve(p, gap=args.series_dw, time_limit=300)
    print(
        f"{args.skus} SKUs: cold {time.perf_counter() - t0:.1f} s, {out['rounds']} rounds, gap {out['gap']:.1e}",
        flush=True,
    )
    for kind in args.kinds.split(","):
        for u in range(args.updates):
            p = _replace(p, demand=revise(p.demand, kind, rng))
            t1 = time.perf_counter()
            out = solver.solve(p, gap=args.series_dw, prices=solver.prices)
            print(
                f"  {kind} #{u + 1}: warm {time.perf_counter() - t1:.3f} s, {out['rounds']} rounds, "
                f"gap {out['gap']:.1e} ({out['status']})",
                flush=True,
            )


if __name__ == "__main__":
    main()
