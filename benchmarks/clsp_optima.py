"""Proven optima of capacitated lot-sizing (CLSP) instances, and how fast scm's planner reaches them.

Each instance is solved twice to optimality (relative MIP gap 0):
- `plan_lp` on the instance mapped to a planning problem (tests/clsp.py: one `order` resource,
  per_unit a_i, per_order b_i, order cost f_i, holding h_i, unit cost p, no backorders);
- highspy directly on the textbook CLSP model (x ≤ M·y with M = min(remaining demand,
  (C − b_i) / a_i), the tightest simple big-M).

Prints one row per instance: objective of each, the bound, status and seconds. The optima feed
tests/data/clsp/OPTIMA.md and tests/test_plan_known.py.

Usage:
    python benchmarks/clsp_optima.py /work/shared/data/clsp_trigeiro/F_G/F1.DAT ... [--time-limit 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import highspy
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from clsp import ClspInstance, clsp_problem, read_clsp  # noqa: E402

from scm.plan.lp import plan_lp  # noqa: E402
from scm.plan.verify import verify  # noqa: E402


def solve_highspy(instance: ClspInstance, time_limit: float) -> tuple[str, float, float, float]:
    """Solve the textbook CLSP MIP with highspy. Returns status, objective, bound and seconds."""
    d = instance.demand
    n, T = d.shape
    cells = n * T
    x = np.arange(cells).reshape(n, T)
    s = x + cells
    y = x + 2 * cells
    remaining = np.cumsum(d[:, ::-1], axis=1)[:, ::-1]
    by_capacity = (instance.capacity - instance.setup_time) / np.where(instance.per_unit > 0, instance.per_unit, 1e-9)
    big_m = np.minimum(remaining, np.maximum(by_capacity, 0.0)[:, None])
    rows, cols, vals = [], [], []
    row_lb, row_ub = [], []

    def add(r, c, v):
        rows.append(np.ravel(r))
        cols.append(np.ravel(c))
        vals.append(np.broadcast_to(np.asarray(v, float), np.shape(c)).ravel())

    # balance: s[t-1] + x[t] - s[t] = d[t]
    bal = np.arange(cells).reshape(n, T)
    add(bal, x, 1.0)
    add(bal, s, -1.0)
    add(bal[:, 1:], s[:, :-1], 1.0)
    row_lb.append(d.ravel())
    row_ub.append(d.ravel())
    # setup: x - M y <= 0
    setup = bal + cells
    add(setup, x, 1.0)
    add(setup, y, -big_m)
    row_lb.append(np.full(cells, -np.inf))
    row_ub.append(np.zeros(cells))
    # capacity: sum_i a_i x + b_i y <= C
    cap = 2 * cells + np.broadcast_to(np.arange(T), (n, T))
    add(cap, x, np.broadcast_to(instance.per_unit[:, None], (n, T)))
    add(cap, y, np.broadcast_to(instance.setup_time[:, None], (n, T)))
    row_lb.append(np.full(T, -np.inf))
    row_ub.append(np.full(T, instance.capacity))
    A = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(2 * cells + T, 3 * cells)
    )
    cost = np.concatenate(
        [np.full(cells, instance.unit_cost), np.repeat(instance.holding_cost, T), np.repeat(instance.setup_cost, T)]
    )
    upper = np.concatenate([big_m.ravel(), np.full(cells, np.inf), np.ones(cells)])

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(A.shape[1])
    lp.col_upper_ = upper
    lp.row_lower_ = np.concatenate(row_lb)
    lp.row_upper_ = np.concatenate(row_ub)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.integrality_ = [highspy.HighsVarType.kContinuous] * (2 * cells) + [highspy.HighsVarType.kInteger] * cells
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", float(time_limit))
    h.passModel(lp)
    start = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - start
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    return status, float(info.objective_function_value), float(info.mip_dual_bound), seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--skip-highspy", action="store_true")
    args = parser.parse_args(argv)
    print(
        "instance | items x periods | scm objective | scm bound | scm status | scm s | verify | "
        "highspy objective | highspy bound | highspy status | highspy s"
    )
    for path in args.files:
        instance = read_clsp(path)
        problem = clsp_problem(instance)
        start = time.perf_counter()
        result = plan_lp(problem, time_limit=args.time_limit, mip_gap=0.0)
        scm_seconds = time.perf_counter() - start
        check = verify(problem, result.plan)
        s = result.summary
        row = [
            instance.name,
            "x".join(map(str, instance.demand.shape)),
            f"{s['objective']:.10g}",
            f"{s['bound']:.10g}" if s["bound"] is not None else "-",
            s["status"],
            f"{scm_seconds:.2f}",
            "ok" if check.ok else "FAIL",
        ]
        if not args.skip_highspy:
            status, objective, bound, seconds = solve_highspy(instance, args.time_limit)
            row += [f"{objective:.10g}", f"{bound:.10g}", status, f"{seconds:.2f}"]
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
