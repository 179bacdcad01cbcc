"""`scm.plan_orders`: tables in → validated frames → forecast → problem → plan. The CLI calls this.

Each step reads what the one before produced; nothing reaches back up the chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from scm.errors import InfeasibleError, InputError, fmt_items
from scm.periods import add_periods, bucket_features, default_horizon, infer_freq, parse_freq, to_periods
from scm.plan.problem import build_problem
from scm.plan.result import PlanResult
from scm.plan.verify import check_summary, verify
from scm.schema import (
    check_series_have_items,
    key_columns,
    validate_demand,
    validate_forecast,
    validate_future,
    validate_items,
    validate_open_orders,
    validate_resources,
    validate_usage,
)

PLANNERS = ("lp", "ga", "baseline")


@dataclass(frozen=True)
class PlanOptions:
    """Settings of one planning run (the `scm plan` options)."""

    freq: str | None = None
    horizon: int | None = None
    planner: str = "lp"
    backend: str = "ortools"
    solver: str | None = None
    time_limit: float | None = None
    seed: int = 0
    safety_stock: float = 1.0
    backorders: str = "allow"
    forecast_model: str = "lgbm"
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    mip_gap: float = 1e-4
    progress: bool = False


@dataclass(frozen=True)
class Tables:
    """Input tables of one run, and the names to use for them in error messages."""

    items: pl.DataFrame
    demand: pl.DataFrame | None = None
    forecast: pl.DataFrame | None = None
    future: pl.DataFrame | None = None
    resources: pl.DataFrame | None = None
    usage: pl.DataFrame | None = None
    open_orders: pl.DataFrame | None = None
    names: dict[str, str] = field(default_factory=dict)

    def name(self, table: str) -> str:
        return self.names.get(table, table)


def plan_orders(tables: Tables, options: PlanOptions = PlanOptions()) -> PlanResult:
    """Validate the tables, forecast (unless a forecast is given), build the problem and plan.

    Raises:
        InputError: a table or option is wrong (exit code 2 on the command line).
        InfeasibleError, SolverError: no plan (exit code 3).
    """
    _check_options(options)
    if tables.demand is None and tables.forecast is None:
        raise InputError("give a demand history (--demand) or a forecast to plan against (--forecast)")
    history = validate_demand(tables.demand, tables.name("demand")) if tables.demand is not None else None
    given = validate_forecast(tables.forecast, tables.name("forecast")) if tables.forecast is not None else None
    keys = key_columns(given if given is not None else history)
    freq = options.freq or infer_freq((given if given is not None else history)["date"])
    parse_freq(freq)
    items = validate_items(tables.items, keys, freq=freq, backorders=options.backorders, source=tables.name("items"))
    sigma = None
    warnings: list[str] = []
    if given is not None:
        demand_plan = to_periods(given, freq, keys, fill_gaps=False)
        label = "given"
        if options.horizon is not None:
            first_dates = sorted(demand_plan["date"].unique())[: options.horizon]
            demand_plan = demand_plan.filter(pl.col("date").is_in(first_dates))
        check_series_have_items(demand_plan, items, keys, tables.name("forecast"))
    else:
        check_series_have_items(history, items, keys, tables.name("demand"))
        buckets = to_periods(history, freq, keys)
        horizon = options.horizon or default_horizon(freq)
        future = None
        if tables.future is not None:
            future = validate_future(tables.future, keys, tables.name("future"))
            future = bucket_features(future, freq, keys, buckets["date"].min())
        demand_plan = _forecast(buckets, horizon, freq, future, options)
        label = options.forecast_model
        demand_plan = _align_horizon(demand_plan, keys, freq, horizon)
        warnings.extend(_stale_series(buckets, keys))
    if "p10" not in demand_plan.columns or "p90" not in demand_plan.columns:
        sigma = _history_sigma(history, keys, freq, demand_plan) if history is not None else None
    resources = validate_resources(tables.resources, tables.name("resources")) if tables.resources is not None else None
    usage = None
    if tables.usage is not None:
        if resources is None:
            raise InputError("a usage table needs a resources table (--resources)", source=tables.name("usage"))
        usage = validate_usage(tables.usage, keys, resources, items, tables.name("usage"))
    open_orders = None
    if tables.open_orders is not None:
        open_orders = validate_open_orders(tables.open_orders, keys, items, tables.name("open_orders"))
    problem = build_problem(
        demand_plan,
        items,
        freq=freq,
        resources=resources,
        usage=usage,
        open_orders=open_orders,
        backorders=options.backorders,
        safety_stock=options.safety_stock,
        sigma=sigma,
    )
    result = _run_planner(problem, options)
    check = verify(problem, result.plan)
    violations = check.violations + check_summary(check, result.summary)
    if violations and options.planner == "baseline":
        # a policy, not an optimiser: its plan can break what the problem requires (backorders
        # not allowed, capacities); that is no plan to hand out as "feasible"
        more = f"; and {len(violations) - 2} more" if len(violations) > 2 else ""
        raise InfeasibleError(
            f"the baseline (order-up-to) plan breaks the problem's constraints: {'; '.join(violations[:2])}{more}"
            " (the lp planner respects them, or finds the problem infeasible)",
            diagnosis=violations,
        )
    summary = {
        **result.summary,
        "verified": not violations,
        "violations": violations,
        "forecast": label,
        "freq": freq,
        "first_period": problem.dates[0].isoformat(),
        "safety_stock_factor": options.safety_stock,
        "backorders": options.backorders,
        "warnings": warnings,
    }
    return replace(result, summary=summary)


def _stale_series(buckets: pl.DataFrame, keys: list[str]) -> list[str]:
    """A warning for series whose history ends before the others' (their forecast is carried flat
    onto the common calendar after the end of the whole history)."""
    last = buckets["date"].max()
    ends = buckets.group_by(keys).agg(pl.col("date").max().alias("end")).filter(pl.col("end") < last).sort("end")
    if ends.height == 0:
        return []
    labels = [f"{'@'.join(str(v) for v in row[:-1])} (to {row[-1].isoformat()})" for row in ends.iter_rows()]
    return [
        f"{ends.height} series have no demand rows up to the end of the history ({last.isoformat()}): "
        f"their forecast from their own last period is carried flat onto the plan's calendar; "
        f"drop them, or give their zeros, if they stopped selling: {fmt_items(labels, 3)}"
    ]


def _check_options(o: PlanOptions) -> None:
    if o.planner not in PLANNERS:
        raise InputError(f"unknown planner '{o.planner}'", source="--planner", fix="use lp, ga or baseline")
    if o.horizon is not None:
        from scm.forecast.base import check_horizon  # (scm.forecast loads LightGBM: not at import)

        check_horizon(o.horizon)
    if o.time_limit is not None and not (_is_number(o.time_limit) and 0 < o.time_limit < math.inf):
        raise InputError(f"must be a number of seconds > 0, got {o.time_limit!r}", source="--time-limit")
    if o.backorders not in ("allow", "lost", "none"):
        raise InputError(f"unknown mode '{o.backorders}'", source="--backorders", fix="use allow, lost or none")
    if not (_is_number(o.safety_stock) and 0 <= o.safety_stock < math.inf):
        raise InputError(
            f"must be a number >= 0, got {o.safety_stock!r}",
            source="--safety-stock",
            fix="0 turns safety stock off, 1 is the target",
        )


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and not math.isnan(x)


def _forecast(history: pl.DataFrame, horizon: int, freq: str, future, options: PlanOptions) -> pl.DataFrame:
    from scm.forecast import forecast

    return forecast(
        history,
        horizon=horizon,
        freq=freq,
        quantiles=options.quantiles,
        future=future,
        model=options.forecast_model,
        seed=options.seed,
        progress=options.progress,
    )


def _align_horizon(fc: pl.DataFrame, keys: list[str], freq: str, horizon: int) -> pl.DataFrame:
    """Plan every series on one calendar: the `horizon` periods after the end of the whole history.

    A series whose history ends earlier keeps its forecast where it reaches those dates and is
    extended flat (its last forecast period) beyond.
    """
    first = fc.group_by(keys).agg(pl.col("date").min())["date"].max()
    dates = pl.DataFrame({"date": [add_periods(first, freq, k) for k in range(horizon)]}, schema={"date": pl.Date})
    grid = fc.select(keys).unique().join(dates, how="cross").with_columns(pl.lit(True).alias("_plan"))
    value_cols = [c for c in fc.columns if c not in (*keys, "date")]
    merged = (
        pl.concat([fc.with_columns(pl.lit(False).alias("_plan")), grid], how="diagonal")
        .sort([*keys, "date", "_plan"])
        .with_columns([pl.col(c).forward_fill().over(keys) for c in value_cols])
    )
    return merged.filter(pl.col("_plan")).unique([*keys, "date"], keep="first").drop("_plan").sort([*keys, "date"])


def _history_sigma(history: pl.DataFrame, keys: list[str], freq: str, plan_frame: pl.DataFrame) -> np.ndarray:
    """Per-series standard deviation of period-to-period changes in demand / √2 (the error of a
    naive forecast, for a forecast given without quantiles)."""
    b = to_periods(history, freq, keys)
    sd = b.group_by(keys).agg((pl.col("qty").diff().std() / np.sqrt(2)).fill_null(0.0).alias("sd"))
    order = plan_frame.select(keys).unique(maintain_order=True).sort(keys)
    return order.join(sd, on=keys, how="left")["sd"].fill_null(0.0).to_numpy()


def _run_planner(problem, options: PlanOptions) -> PlanResult:
    if options.planner == "lp":
        from scm.plan.lp import plan_lp

        return plan_lp(
            problem,
            backend=options.backend,
            solver=options.solver,
            time_limit=options.time_limit,
            mip_gap=options.mip_gap,
        )
    if options.planner == "baseline":
        from scm.plan.baseline import plan_baseline

        return plan_baseline(problem)
    raise InputError("the GA planner is not available in this version", source="--planner", fix="use lp or baseline")


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary as (label, value) rows for printing."""

    def num(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:,.2f}"
        return str(v)

    cost = summary.get("cost", {})
    rows = [
        ("planner", f"{summary.get('planner')} ({summary.get('solver') or summary.get('policy', '')})"),
        ("forecast", str(summary.get("forecast"))),
        ("status", str(summary.get("status"))),
        ("objective", num(summary.get("objective"))),
        ("bound", num(summary.get("bound"))),
        ("gap", f"{summary['gap']:.4%}" if summary.get("gap") is not None else "-"),
    ]
    rows += [(f"cost: {k}", num(v)) for k, v in cost.items()]
    rows += [
        ("series × periods", f"{summary.get('series')} × {summary.get('periods')} ({summary.get('freq')})"),
        ("first period", str(summary.get("first_period"))),
        ("orders placed", num(summary.get("orders"))),
        ("units ordered / demand", f"{num(summary.get('units_ordered'))} / {num(summary.get('total_demand'))}"),
        ("planned stockout periods", num(summary.get("planned_stockout_periods"))),
        ("variables / constraints", f"{num(summary.get('variables'))} / {num(summary.get('constraints'))}"),
        ("build / solve seconds", f"{summary.get('build_seconds', 0):.3f} / {summary.get('solve_seconds', 0):.3f}"),
    ]
    if "verified" in summary:
        rows.append(
            ("verified", "yes" if summary["verified"] else "NO: " + "; ".join(summary.get("violations", [])[:3]))
        )
    return rows
