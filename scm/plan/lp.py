"""The exact planner: the contract's problem as an LP/MIP, solved by OR-Tools or PuLP."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from scm.errors import InfeasibleError, SolverError
from scm.plan.matrix import build_lp
from scm.plan.problem import Problem
from scm.plan.result import PlanResult, clean_orders, plan_costs, plan_table, simulate_balance, summary_counts
from scm.plan.solve import LinearProgram, SolveOutcome, check_solver, is_feasible, solve

SLACK_TOL = 1e-6
MAX_DIAGNOSIS = 20  # lines of diagnosis per kind; the count of the rest is given
# LPs with at least this many series × periods are solved by decomposition unless a solver is named
DECOMPOSE_CELLS = 100_000


def plan_lp(
    problem: Problem,
    *,
    backend: str = "ortools",
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float = 1e-4,
    strong_window: int = 0,
) -> PlanResult:
    """Solve the planning problem exactly (within `mip_gap` for MIPs).

    Large LPs with backorders allowed (at least `DECOMPOSE_CELLS` series × periods), and any such
    LP with `solver="decompose"`, go to `scm.plan.decompose.plan_decomposed`: Dantzig–Wolfe over
    the shared-capacity rows, to a proven gap of `mip_gap`. `strong_window` > 0 adds the cover
    inequalities of `scm.plan.matrix.build_lp` (measured in docs/planning-scale.md: no help to HiGHS).

    Raises:
        InfeasibleError: no plan meets every constraint; the message names the resources and
            periods, or series and periods, that make it so.
        SolverError: the solver found no plan within the time limit, or failed.
    """
    if backend == "ortools" and solver in (None, "decompose"):
        from scm.plan.decompose import plan_decomposed, supports

        big = problem.n * problem.periods >= DECOMPOSE_CELLS
        if supports(problem) and (solver == "decompose" or big):
            return plan_decomposed(problem, gap=max(mip_gap, 1e-6), time_limit=time_limit)
        solver = None  # decomposition does not apply: the monolithic model, solved by HiGHS
    check_solver(backend, solver, problem.is_mip())
    start = time.perf_counter()
    lp = build_lp(problem, strong_window=strong_window)
    build_seconds = time.perf_counter() - start
    start_vector = mip_start(problem, lp) if problem.is_mip() else None
    out = solve(lp, backend=backend, solver=solver, time_limit=time_limit, mip_gap=mip_gap, start=start_vector)
    if out.status == "infeasible":
        raise diagnose_infeasible(problem, backend=backend, solver=solver)
    if out.status == "unbounded":
        raise SolverError("the solver reports the problem unbounded; please report this as a bug")
    if out.values is None:
        if out.status == "time_limit":
            raise SolverError(f"no feasible plan found within the time limit of {time_limit:g} s; raise --time-limit")
        hint = "; CP-SAT works on integer data only: try --solver highs or scip" if solver == "cp-sat" else ""
        raise SolverError(f"the solver stopped without a plan ({out.message or out.status}){hint}")
    orders = clean_orders(problem, lp.block_values(out.values, "order"))
    state = simulate_balance(problem, orders)
    costs = plan_costs(problem, orders, state)
    objective = sum(costs.values())
    bound = out.bound if np.isfinite(out.bound) else float("nan")
    if out.status == "optimal" and not problem.is_mip():
        bound = min(bound, objective) if np.isfinite(bound) else objective
    gap = (objective - bound) / max(abs(objective), 1e-9) if np.isfinite(bound) else None
    summary: dict[str, Any] = {
        "planner": "lp",
        "backend": backend,
        "solver": solver or ("highs" if backend == "ortools" else "cbc"),
        "status": out.status,
        "objective": objective,
        "solver_objective": out.objective,
        "bound": bound if np.isfinite(bound) else None,
        "gap": max(gap, 0.0) if gap is not None else None,
        "cost": costs,
        "build_seconds": build_seconds + out.build_seconds,  # (+ PuLP's own model, with --backend pulp)
        "solve_seconds": out.seconds,
        **summary_counts(problem, orders, state),
        "variables": lp.num_variables,
        "integer_variables": int(lp.integer.sum()),
        "constraints": lp.num_constraints,
    }
    if out.duals is not None:
        summary["shadow_prices"] = shadow_prices(problem, lp, out)
    return PlanResult(plan=plan_table(problem, orders, state), summary=summary, problem=problem, orders=orders)


def mip_start(problem: Problem, lp: LinearProgram) -> np.ndarray | None:
    """A feasible first plan for a MIP, so a time limit always ends with a plan.

    Tries the order-up-to policy's plan, then (when shortages are allowed) ordering nothing;
    returns the first whose variable vector satisfies every row, or None.
    """
    from scm.plan.baseline import order_up_to_orders

    candidates = [order_up_to_orders(problem)]
    if problem.backorders != "none":
        candidates.append(np.zeros_like(problem.demand))
    for orders in candidates:
        v = variable_vector(problem, lp, clean_orders(problem, orders))
        if is_feasible(lp, v):
            return v
    return None


def variable_vector(problem: Problem, lp: LinearProgram, orders: np.ndarray) -> np.ndarray:
    """The LP's variable vector of a plan given by its orders (the rest follows from the balance)."""
    state = simulate_balance(problem, orders)
    # in the split form (`build_lp(safety_rows=False)`) stock up to the target is its own column
    split = "inventory_to_target" in lp.blocks
    to_target = np.minimum(state["inventory"], np.maximum(problem.safety_stock, 0.0)) if split else 0.0
    values = {
        "order": orders,
        "inventory": state["inventory"] - to_target,
        "inventory_to_target": to_target,
        "backlog": state["backlog"],
        "lost": state["lost"],
        "safety_shortfall": np.maximum(problem.safety_stock - state["inventory"], 0.0),
        "setup": (orders > 0).astype(float),
        "lots": orders / np.where(problem.lot_size > 0, problem.lot_size, 1.0)[:, None],
        "stockout": (state["lost"] > 0).astype(float),
    }
    v = np.zeros(lp.num_variables)
    for name, idx in lp.blocks.items():
        mask = idx >= 0
        v[idx[mask]] = values[name][mask]
    return v


def shadow_prices(problem: Problem, lp: LinearProgram, out: SolveOutcome) -> list[dict[str, Any]]:
    """What one more unit of each binding capacity is worth, per resource and period (LPs only).

    A capacity row is a ≤ row of a minimisation; its dual is ≤ 0 and the saving from one more
    unit of capacity is −dual.
    """
    rows = lp.capacity_rows
    if rows is None or out.duals is None:
        return []
    activity = lp.A @ out.values
    rr, tt = np.nonzero(rows >= 0)
    duals = out.duals[rows[rr, tt]]
    binding = np.abs(duals) > 1e-9
    return [
        {
            "resource": problem.resource_names[r],
            "kind": problem.resource_kinds[r],
            "date": problem.dates[t].isoformat(),
            "capacity": float(problem.capacity[r, t]),
            "used": float(activity[rows[r, t]]),
            "value_per_unit": float(-d),
        }
        for r, t, d in zip(rr[binding].tolist(), tt[binding].tolist(), duals[binding].tolist(), strict=True)
    ]


def diagnose_infeasible(problem: Problem, *, backend: str = "ortools", solver: str | None = None) -> InfeasibleError:
    """Find what makes the problem infeasible with an elastic copy: slack on every capacity row
    (and on the inventory balance when backorders are not allowed), minimising the slack; the
    rows left with slack are the diagnosis."""
    lp = build_lp(problem, elastic=True)
    out = solve(lp, backend=backend, solver=None if solver in ("glop", "pdlp") else solver)
    if out.values is None:
        return InfeasibleError("the problem is infeasible, and the diagnosis found no cause")
    lines: list[str] = []
    count = 0
    if "capacity" in lp.elastic_columns:
        s = lp.elastic_values(out.values, "capacity")
        rr, tt = np.nonzero(s > SLACK_TOL)
        count += len(rr)
        for r, t in zip(rr[:MAX_DIAGNOSIS], tt[:MAX_DIAGNOSIS], strict=True):
            lines.append(
                f"resource '{problem.resource_names[r]}' ({problem.resource_kinds[r]}) in period "
                f"{problem.dates[t].isoformat()} needs {s[r, t]:.6g} more than its capacity "
                f"{problem.capacity[r, t]:.6g}"
            )
    if "unmet" in lp.elastic_columns:
        s = lp.elastic_values(out.values, "unmet")
        ii, tt = np.nonzero(s > SLACK_TOL)
        count += len(ii)
        for i, t in zip(ii[:MAX_DIAGNOSIS], tt[:MAX_DIAGNOSIS], strict=True):
            lead = int(problem.lead_time[i])
            reason = f"an order arrives {lead} period(s) after it is placed" if t < lead else "capacity limits supply"
            lines.append(
                f"series {problem.series_label(i)} cannot meet {s[i, t]:.6g} units of demand in period "
                f"{problem.dates[t].isoformat()} with backorders not allowed ({reason})"
            )
    if not lines:
        lines.append("integer decisions (MOQ, lot sizes, per-order usage) cannot fit the capacities")
        count = 1
    head = "; ".join(lines[:3]) + (f"; and {count - 3} more" if count > 3 else "")
    return InfeasibleError(f"infeasible: {head}", diagnosis=lines)
