"""What each CLI command does, as plain functions: read the tables, call the library, write outputs.

Output paths are checked before any work and written atomically, so a failed run leaves no
partial file.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from scm.api import PlanOptions, Tables, plan_orders
from scm.errors import InputError
from scm.io import check_output_path, parse_columns, read_table, source_name, write_outputs
from scm.plan.result import PlanResult


def run_plan(
    *,
    demand: str | None = None,
    items: str | None = None,
    forecast: str | None = None,
    future: str | None = None,
    resources: str | None = None,
    usage: str | None = None,
    open_orders: str | None = None,
    freq: str | None = None,
    horizon: int | None = None,
    planner: str | None = None,
    backend: str | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    safety_stock: float | None = None,
    backorders: str | None = None,
    model: str | None = None,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    columns: str | None = None,
    table: str | None = None,
    query: str | None = None,
    out: str | Path | None = None,
    summary: str | Path | None = None,
    progress: bool = False,
) -> PlanResult:
    """`scm plan`: with no demand, items or forecast, plan the bundled example."""
    check_output_path(out)
    check_output_path(summary, kind="json")
    example = demand is None and items is None and forecast is None
    if example:
        from scm.datasets import load_example

        ex = load_example()
        tables = Tables(
            items=ex.items,
            demand=ex.demand,
            resources=ex.resources,
            usage=ex.usage,
            names={"demand": "bundled example", "items": "bundled example items"},
        )
        freq = freq or ex.freq
        horizon = ex.horizon if horizon is None else horizon
    else:
        if items is None:
            raise InputError("an items table is required", source="--items", fix="pass --items FILE")
        rename = parse_columns(columns)
        names = {}

        def load(key: str, src: str | None, **kw) -> pl.DataFrame | None:
            if src is None:
                return None
            names[key] = source_name(src, kw.get("table"), kw.get("query"))
            return read_table(src, **kw)

        tables = Tables(
            items=load("items", items),
            demand=load("demand", demand, table=table, query=query, columns=rename),
            forecast=load("forecast", forecast),
            future=load("future", future),
            resources=load("resources", resources),
            usage=load("usage", usage),
            open_orders=load("open_orders", open_orders),
            names=names,
        )
    options = PlanOptions(
        freq=freq,
        horizon=horizon,
        planner=planner or "lp",
        backend=backend or "ortools",
        solver=solver,
        time_limit=time_limit,
        seed=seed or 0,
        safety_stock=1.0 if safety_stock is None else safety_stock,
        backorders=backorders or "allow",
        forecast_model=model or "lgbm",
        quantiles=tuple(quantiles),
        progress=progress,
    )
    if progress:
        from rich.console import Console

        with Console(stderr=True).status(f"planning with {options.planner} …"):
            result = plan_orders(tables, options)
    else:
        result = plan_orders(tables, options)
    if example:
        result.summary["note"] = (
            "Bundled example: 280 M5 (Walmart) item-store series, weekly; costs and lead times derived from "
            "prices and category (see scm/datasets.py)."
        )
    write_outputs([(result.plan, out), (result.summary, summary)])  # both or neither
    return result
