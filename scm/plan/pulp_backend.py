"""The same linear program in PuLP, for users who live in PuLP (CBC or HiGHS).

`to_pulp` returns an ordinary `pulp.LpProblem` (variables named by block, series and period),
so it can be extended with constraints of your own before solving. PuLP builds one Python object
per variable and per row: expect it to be much slower to build than the OR-Tools backend.
"""

from __future__ import annotations

import time

import numpy as np
import pulp

from scm.plan.matrix import LinearProgram
from scm.plan.solve import SolveOutcome, quiet_stdout


def to_pulp(lp: LinearProgram, name: str = "scm_plan") -> tuple[pulp.LpProblem, list[pulp.LpVariable], list]:
    """Build `lp` as a PuLP problem; returns the problem, its variables (in column order) and rows."""
    names = np.empty(lp.num_variables, dtype=object)
    for block, idx in lp.blocks.items():
        ii, tt = np.nonzero(idx >= 0)
        names[idx[ii, tt]] = [f"{block}_{i}_{t}" for i, t in zip(ii.tolist(), tt.tolist(), strict=True)]
    rest = np.nonzero(names == None)[0]  # noqa: E711 - elastic slack columns
    names[rest] = [f"slack_{j}" for j in rest.tolist()]
    prob = pulp.LpProblem(name, pulp.LpMinimize)
    # PuLP 3.3 attaches variables to the problem (add_variable); older PuLP builds them free-standing
    new_var = prob.add_variable if hasattr(prob, "add_variable") else pulp.LpVariable
    variables = [
        new_var(
            str(nm),
            lowBound=None if np.isinf(lo) else float(lo),
            upBound=None if np.isinf(hi) else float(hi),
            cat=pulp.LpInteger if integer else pulp.LpContinuous,
        )
        for nm, lo, hi, integer in zip(names, lp.lb, lp.ub, lp.integer, strict=True)
    ]
    prob += pulp.LpAffineExpression(
        [(variables[j], float(c)) for j, c in enumerate(lp.c) if c != 0], constant=lp.offset
    )
    A = lp.A.tocsr()
    rows = []
    for r in range(A.shape[0]):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            [(variables[j], float(v)) for j, v in zip(A.indices[lo:hi].tolist(), A.data[lo:hi].tolist(), strict=True)]
        )
        rlb, rub = lp.row_lb[r], lp.row_ub[r]
        if rlb == rub:
            con = expr == float(rlb)
        elif np.isinf(rlb):
            con = expr <= float(rub)
        else:
            con = expr >= float(rlb)
        con.name = f"r{r}"
        prob += con
        rows.append(con)
    return prob, variables, rows


def solve_pulp(
    lp: LinearProgram, solver: str = "cbc", *, time_limit: float | None = None, mip_gap: float = 1e-4
) -> SolveOutcome:
    """Build and solve `lp` with PuLP (the PuLP model's build time in `build_seconds`)."""
    began = time.perf_counter()
    prob, variables, rows = to_pulp(lp)
    build_seconds = time.perf_counter() - began
    is_mip = bool(lp.integer.any())
    kwargs = {"msg": False, "timeLimit": time_limit}
    if is_mip:
        kwargs["gapRel"] = mip_gap
    cmd = pulp.HiGHS(**kwargs) if solver == "highs" else pulp.PULP_CBC_CMD(**kwargs)
    start = time.perf_counter()
    with quiet_stdout():
        prob.solve(cmd)
    seconds = time.perf_counter() - start
    status = pulp.LpStatus[prob.status]
    values = np.array([v.varValue if v.varValue is not None else np.nan for v in variables])
    has = not np.isnan(values).any()
    hit_limit = bool(time_limit) and seconds >= 0.98 * float(time_limit)
    if status == "Optimal" and has:
        code = "time_limit" if (is_mip and hit_limit) else "optimal"
    elif status == "Infeasible":
        code = "infeasible"
    elif status == "Unbounded":
        code = "unbounded"
    elif has:
        code = "time_limit" if hit_limit else "feasible"
    else:
        code = "time_limit" if hit_limit else "error"
    objective = float(pulp.value(prob.objective)) if has else float("nan")
    duals = None
    if has and not is_mip:
        pis = [c.pi for c in rows]
        if all(pi is not None for pi in pis):
            duals = np.asarray(pis, dtype=float)
    bound = objective if code == "optimal" else float("nan")
    return SolveOutcome(code, values if has else None, duals, objective, bound, seconds, status, build_seconds)
