"""Solve a `LinearProgram` with OR-Tools (HiGHS, GLOP, PDLP, SCIP, CP-SAT) or PuLP (CBC, HiGHS).

The matrix goes to OR-Tools in one call (`fill_model_from_sparse_data`); solutions and duals
come back as arrays.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from scm.errors import InputError
from scm.plan.matrix import LinearProgram

ORTOOLS_SOLVERS = {"highs": "highs", "glop": "glop", "pdlp": "pdlp", "scip": "scip", "cp-sat": "sat", "sat": "sat"}
LP_ONLY = {"glop", "pdlp"}
PULP_SOLVERS = ("cbc", "highs")


@dataclass
class SolveOutcome:
    """What a solver returned. `status`: optimal | feasible | time_limit | infeasible | unbounded | error."""

    status: str
    values: np.ndarray | None
    duals: np.ndarray | None
    objective: float
    bound: float
    seconds: float
    message: str = ""
    build_seconds: float = 0.0  # time the backend spent building its own model (PuLP), not solving


def solve(
    lp: LinearProgram,
    *,
    backend: str = "ortools",
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float = 1e-4,
    start: np.ndarray | None = None,
) -> SolveOutcome:
    """Solve `lp` with the chosen backend and solver (`start`: a feasible MIP start, HiGHS only)."""
    if backend == "ortools":
        if (solver or "highs") == "highs":
            return solve_highs(lp, time_limit=time_limit, mip_gap=mip_gap, start=start)
        return solve_ortools(lp, solver, time_limit=time_limit, mip_gap=mip_gap)
    if backend == "pulp":
        from scm.plan.pulp_backend import solve_pulp

        return solve_pulp(lp, solver or "cbc", time_limit=time_limit, mip_gap=mip_gap)
    raise InputError(f"unknown backend '{backend}'", source="--backend", fix="use ortools or pulp")


def is_feasible(lp: LinearProgram, v: np.ndarray, tol: float = 1e-6) -> bool:
    """Whether `v` satisfies every bound, row and integrality of `lp` (within `tol`, scaled)."""
    act = lp.A @ v
    scale = 1.0 + np.abs(act)
    ok_rows = np.all((act >= lp.row_lb - tol * scale) & (act <= lp.row_ub + tol * scale))
    ok_cols = np.all((v >= lp.lb - tol * (1 + np.abs(v))) & (v <= lp.ub + tol * (1 + np.abs(v))))
    ints = v[lp.integer]
    return bool(ok_rows and ok_cols and np.all(np.abs(ints - np.round(ints)) <= tol))


def check_solver(backend: str, solver: str | None, is_mip: bool) -> None:
    """Reject an unknown solver, or an LP-only solver for a problem with integer variables."""
    if backend == "ortools":
        if solver is not None and solver not in ORTOOLS_SOLVERS:
            raise InputError(
                f"unknown solver '{solver}'",
                source="--solver",
                fix=f"with --backend ortools use one of {', '.join(ORTOOLS_SOLVERS)}, decompose",
            )
        if is_mip and solver in LP_ONLY:
            raise InputError(
                f"{solver} solves linear programs only, and this problem has integer decisions "
                "(order costs, MOQ, per-order usage or lot sizes)",
                source="--solver",
                fix="use highs or scip",
            )
    elif backend == "pulp":
        if solver is not None and solver not in PULP_SOLVERS:
            raise InputError(
                f"unknown solver '{solver}'",
                source="--solver",
                fix=f"with --backend pulp use one of {', '.join(PULP_SOLVERS)}",
            )
    else:
        raise InputError(f"unknown backend '{backend}'", source="--backend", fix="use ortools or pulp")


def solve_highs(
    lp: LinearProgram,
    *,
    time_limit: float | None = None,
    mip_gap: float = 1e-4,
    highs=None,
    start: np.ndarray | None = None,
) -> SolveOutcome:
    """Solve with HiGHS through highspy, handing it the CSC matrix in one call.

    OR-Tools' own HiGHS wrapper drops the incumbent when a MIP stops at its time limit, so the
    default solver talks to HiGHS directly (the same HiGHS, one layer less). Pass `highs` (a
    `highspy.Highs` holding a previous solve of a same-shaped model) to warm-start from its basis.
    `start` is a feasible solution vector handed to a MIP with a time limit as its first
    incumbent, so that the limit always ends with a plan.
    """
    import highspy

    with quiet_stdout():
        h = highs or highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit) if time_limit else float("inf"))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    is_mip = bool(lp.integer.any())
    status = pass_to_highs(h, lp)
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model")
    use_start = start is not None and is_mip and bool(time_limit)
    if use_start:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=float)
        sol.value_valid = True
        h.setSolution(sol)
    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began
    out = highs_outcome(h, is_mip, seconds)
    if use_start and out.values is not None:
        # HiGHS 1.16 can stop at a wrong "optimum" after setSolution (presolve on), returning the
        # start with an objective value that is not the start's: then solve again without it
        recomputed = float(lp.c @ out.values) + lp.offset
        if abs(recomputed - out.objective) > 1e-6 * (1.0 + abs(recomputed)):
            remaining = max(float(time_limit) - seconds, 1.0)
            again = solve_highs(lp, time_limit=remaining, mip_gap=mip_gap)
            again.seconds += seconds
            if again.values is not None or out.status != "time_limit":
                return again
    return out


def pass_to_highs(h, lp: LinearProgram):
    """Hand `lp` to a `highspy.Highs` in one call (CSC arrays, integrality); returns HiGHS' status."""
    import highspy

    A = lp.A.tocsc()
    return h.passModel(
        lp.num_variables,
        lp.num_constraints,
        A.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(lp.offset),
        lp.c,
        lp.lb,
        lp.ub,
        lp.row_lb,
        lp.row_ub,
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data,
        lp.integer.astype(np.int32),
    )


def highs_outcome(h, is_mip: bool, seconds: float) -> SolveOutcome:
    """Read status, solution, duals and bound out of a `highspy.Highs` after `run()`."""
    import highspy

    M = highspy.HighsModelStatus
    status = h.getModelStatus()
    info = h.getInfo()
    has = info.primal_solution_status == 2  # kSolutionStatusFeasible
    sol = h.getSolution() if has else None
    values = np.asarray(sol.col_value) if has else None
    duals = np.asarray(sol.row_dual) if has and not is_mip and sol.dual_valid else None
    objective = float(info.objective_function_value) if has else float("nan")
    bound = float(info.mip_dual_bound) if is_mip else (objective if status == M.kOptimal else float("nan"))
    if status == M.kOptimal:
        code = "optimal"
    elif status == M.kInfeasible:
        code = "infeasible"
    elif status in (M.kUnbounded, M.kUnboundedOrInfeasible):
        code = "unbounded" if status == M.kUnbounded else "infeasible"
    elif status == M.kTimeLimit:
        code = "time_limit"
    else:
        code = "feasible" if has else "error"
    return SolveOutcome(code, values, duals, objective, bound, seconds, h.modelStatusToString(status))


def solve_ortools(
    lp: LinearProgram, solver: str = "highs", *, time_limit: float | None = None, mip_gap: float = 1e-4
) -> SolveOutcome:
    from ortools.linear_solver.python import model_builder_helper as mbh

    name = ORTOOLS_SOLVERS[solver]
    model = mbh.ModelBuilderHelper()
    model.fill_model_from_sparse_data(lp.lb, lp.ub, lp.c, lp.row_lb, lp.row_ub, lp.A)
    model.set_objective_offset(float(lp.offset))
    for j in np.nonzero(lp.integer)[0]:
        model.set_var_integrality(int(j), True)
    helper = mbh.ModelSolverHelper(name)
    helper.enable_output(False)
    if time_limit:
        helper.set_time_limit_in_seconds(float(time_limit))
    params = _solver_params(name, mip_gap, lp.integer.any())
    if params:
        helper.set_solver_specific_parameters(params)
    start = time.perf_counter()
    helper.solve(model)
    seconds = time.perf_counter() - start
    status = helper.status()
    S = mbh.SolveStatus
    has = helper.has_solution()
    values = np.asarray(helper.variable_values()) if has else None
    duals = None
    if has and not lp.integer.any():
        try:
            duals = np.asarray(helper.dual_values())
        except Exception:  # noqa: BLE001 - some solvers return no duals
            duals = None
    hit_limit = bool(time_limit) and seconds >= 0.98 * float(time_limit)
    if status == S.OPTIMAL:
        code = "optimal"
    elif status == S.FEASIBLE:
        code = "time_limit" if hit_limit else "feasible"
    elif status == S.INFEASIBLE:
        code = "infeasible"
    elif status == S.UNBOUNDED:
        code = "unbounded"
    else:
        code = "time_limit" if hit_limit else "error"
        if has and code == "error":
            code = "feasible"
    objective = float(helper.objective_value()) if has else float("nan")
    try:
        bound = float(helper.best_objective_bound())
    except Exception:  # noqa: BLE001
        bound = float("nan")
    if code == "optimal" and not lp.integer.any():
        bound = objective
    return SolveOutcome(code, values, duals, objective, bound, seconds, helper.status_string())


def _solver_params(name: str, mip_gap: float, is_mip: bool) -> str:
    if name == "highs":
        # HiGHS prints a banner on stdout unless told not to; stdout may carry a user's table
        quiet = "output_flag=false\nlog_to_console=false"
        return quiet + (f"\nmip_rel_gap={mip_gap}" if is_mip else "")
    if name == "scip":
        return f"limits/gap = {mip_gap}"
    if name == "sat":
        return f"relative_gap_limit:{mip_gap},num_workers:2"
    return ""


@contextmanager
def quiet_stdout():
    """Silence output that native solver code writes straight to file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
