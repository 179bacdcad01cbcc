"""The `scm` command line: a thin typer app; each command gathers options and calls one library function."""

from __future__ import annotations

import functools
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from scm.errors import InputError, ScmError

app = typer.Typer(
    name="scm",
    help="Supply-chain planning: forecast demand, plan orders (LP/MIP), compare against a baseline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console()


@app.callback()
def _root() -> None:
    """scm: forecast demand, plan orders, compare plans."""


err_console = Console(stderr=True)


def cli_errors(func):
    """Turn scm's errors into one `error:` line on stderr and the error's exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ScmError as exc:
            # one line (an infeasibility's first causes and the count of the rest are in it)
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("error: interrupted", markup=False)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must still not print a traceback
            err_console.print(
                f"error: internal error ({type(exc).__name__}: {exc}); please report it",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper


def _config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    if not path.is_file():
        raise InputError("file not found", source=str(path))
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read TOML: {exc}", source=str(path)) from None
    data = data.get("plan", data)
    return {k.replace("-", "_"): v for k, v in data.items()}


_CONFIG_TYPES = {"horizon": (int,), "seed": (int,), "time_limit": (int, float), "safety_stock": (int, float)}


def _check_config_types(cfg: dict[str, Any], path: Path | None) -> None:
    """Config values must have the option's type: whole numbers, numbers, or text."""
    for key, value in cfg.items():
        if key == "quantiles" and isinstance(value, list):
            ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        else:
            types = _CONFIG_TYPES.get(key, (str,))
            ok = isinstance(value, types) and not isinstance(value, bool)
        if not ok:
            want = {(int,): "a whole number", (int, float): "a number"}.get(_CONFIG_TYPES.get(key, ()), "text")
            raise InputError(f"'{key}' must be {want}, got {value!r}", source=str(path))
    for key in ("out", "summary"):
        if key in cfg:
            cfg[key] = Path(cfg[key])


def _pick(cli: Any, config: dict[str, Any], key: str, default: Any = None) -> Any:
    return cli if cli is not None else config.get(key, default)


Opt = typer.Option


@app.command("plan")
@cli_errors
def plan_command(
    demand: Annotated[str | None, Opt(help="Demand history: CSV, Parquet or database URI.")] = None,
    items: Annotated[str | None, Opt(help="Items table (costs, lead times, …).")] = None,
    forecast: Annotated[str | None, Opt(help="Plan against this forecast table instead of forecasting.")] = None,
    future: Annotated[str | None, Opt(help="Future values of demand features (price, promotion, …).")] = None,
    resources: Annotated[str | None, Opt(help="Shared capacities: storage, order/supplier/production, budget.")] = None,
    usage: Annotated[str | None, Opt(help="How much of each resource a series uses per unit and per order.")] = None,
    open_orders: Annotated[str | None, Opt("--open-orders", help="Orders already placed, by arrival date.")] = None,
    freq: Annotated[str | None, Opt(help="Period length: 1d, 1w, 1mo (default: inferred from the dates).")] = None,
    horizon: Annotated[int | None, Opt(help="Periods to plan (default 13, or the forecast's periods).")] = None,
    planner: Annotated[str | None, Opt(help="lp (optimal LP/MIP) or baseline (order-up-to policy).")] = None,
    backend: Annotated[str | None, Opt(help="ortools or pulp.")] = None,
    solver: Annotated[
        str | None, Opt(help="ortools: highs, decompose, glop, pdlp, scip, cp-sat; pulp: cbc, highs.")
    ] = None,
    time_limit: Annotated[float | None, Opt("--time-limit", help="Seconds; the best plan found by then.")] = None,
    seed: Annotated[int | None, Opt(help="Random seed.")] = None,
    safety_stock: Annotated[
        float | None, Opt("--safety-stock", help="Factor on safety-stock targets; 0 = off.")
    ] = None,
    backorders: Annotated[str | None, Opt(help="allow, lost or none.")] = None,
    model: Annotated[str | None, Opt(help="Forecasting model (lgbm, seasonal_naive, …).")] = None,
    quantiles: Annotated[str | None, Opt(help="Forecast quantile levels, e.g. 0.1,0.5,0.9.")] = None,
    columns: Annotated[str | None, Opt(help="Rename demand columns on the way in: old=new,…")] = None,
    table: Annotated[str | None, Opt(help="Demand table name in a database URI.")] = None,
    query: Annotated[str | None, Opt(help="SQL query for the demand in a database URI.")] = None,
    out: Annotated[Path | None, Opt(help="Write the plan table here (.csv or .parquet).")] = None,
    summary: Annotated[Path | None, Opt(help="Write the summary JSON here.")] = None,
    explain: Annotated[bool, Opt("--explain", help="Show the value of binding capacities (LP shadow prices).")] = False,
    config: Annotated[Path | None, Opt(help="TOML file with any of these options (the command line wins).")] = None,
) -> None:
    """Forecast and plan orders; with no arguments, on the bundled example data."""
    from scm.commands import run_plan

    cfg = _config(config)
    opts = {
        "demand": demand,
        "items": items,
        "forecast": forecast,
        "future": future,
        "resources": resources,
        "usage": usage,
        "open_orders": open_orders,
        "freq": freq,
        "horizon": horizon,
        "planner": planner,
        "backend": backend,
        "solver": solver,
        "time_limit": time_limit,
        "seed": seed,
        "safety_stock": safety_stock,
        "backorders": backorders,
        "model": model,
        "columns": columns,
        "table": table,
        "query": query,
        "out": out,
        "summary": summary,
    }
    unknown = sorted(set(cfg) - set(opts) - {"quantiles"})
    if unknown:
        raise InputError(f"unknown options {unknown}", source=str(config))
    _check_config_types(cfg, config)
    merged = {k: _pick(v, cfg, k) for k, v in opts.items()}
    from scm.forecast.commands import parse_quantiles

    merged["quantiles"] = parse_quantiles(_pick(quantiles, cfg, "quantiles"))
    result = run_plan(**merged, progress=sys.stderr.isatty())
    _print_summary(result.summary, explain)


@app.command("forecast")
@cli_errors
def forecast_command(
    demand: Annotated[str, Opt(help="Demand history: CSV, Parquet or database URI.")],
    future: Annotated[str | None, Opt(help="Future values of the feature columns.")] = None,
    freq: Annotated[str | None, Opt(help="Period length: 1d, 1w, 1mo (default: inferred).")] = None,
    horizon: Annotated[int | None, Opt(help="Periods ahead (default 28 days / 13 weeks / 6 months).")] = None,
    quantiles: Annotated[str | None, Opt(help="Quantile levels, e.g. 0.1,0.5,0.9.")] = None,
    model: Annotated[str, Opt(help="lgbm, seasonal_naive, naive, moving_average, croston, tsb.")] = "lgbm",
    columns: Annotated[str | None, Opt(help="Rename columns on the way in: old=new,…")] = None,
    table: Annotated[str | None, Opt(help="Table name in a database URI.")] = None,
    query: Annotated[str | None, Opt(help="SQL query in a database URI.")] = None,
    out: Annotated[Path | None, Opt(help="Write the forecast here (.csv or .parquet).")] = None,
    seed: Annotated[int, Opt(help="Random seed.")] = 0,
) -> None:
    """Forecast demand per series, with quantiles."""
    from scm.forecast.commands import run_forecast_command

    fc = run_forecast_command(
        demand,
        future_path=future,
        columns=columns,
        table=table,
        query=query,
        freq=freq,
        horizon=horizon,
        quantiles=quantiles,
        model=model,
        out=out,
        seed=seed,
        progress=sys.stderr.isatty(),
    )
    models = fc.unique(subset=[c for c in ("sku", "location") if c in fc.columns]).group_by("model").len()
    out_console.print(
        f"forecast: {fc.height} rows, {fc['date'].n_unique()} periods from {fc['date'].min()}; series by model: "
        + ", ".join(f"{m} {k}" for m, k in models.sort("model").iter_rows())
        + (f"; written to {out}" if out else "")
    )
    if out is None:
        out_console.print(fc.head(10))


@app.command("backtest")
@cli_errors
def backtest_command(
    demand: Annotated[str, Opt(help="Demand history: CSV, Parquet or database URI.")],
    freq: Annotated[str | None, Opt(help="Period length: 1d, 1w, 1mo (default: inferred).")] = None,
    horizon: Annotated[int | None, Opt(help="Periods ahead per forecast origin.")] = None,
    windows: Annotated[int, Opt(help="Number of forecast origins.")] = 3,
    step: Annotated[int | None, Opt(help="Periods between origins (default: the horizon).")] = None,
    models: Annotated[str | None, Opt(help="Comma-separated models (default: all).")] = None,
    quantiles: Annotated[str | None, Opt(help="Quantile levels, e.g. 0.1,0.5,0.9.")] = None,
    columns: Annotated[str | None, Opt(help="Rename columns on the way in: old=new,…")] = None,
    table: Annotated[str | None, Opt(help="Table name in a database URI.")] = None,
    query: Annotated[str | None, Opt(help="SQL query in a database URI.")] = None,
    out: Annotated[Path | None, Opt(help="Write overall metrics here; per-series metrics beside it.")] = None,
    seed: Annotated[int, Opt(help="Random seed.")] = 0,
) -> None:
    """Rolling-origin accuracy of every model and baseline (WAPE, MASE, RMSSE, bias, pinball, coverage)."""
    from scm.forecast.commands import run_backtest_command

    result = run_backtest_command(
        demand,
        columns=columns,
        table=table,
        query=query,
        freq=freq,
        horizon=horizon,
        windows=windows,
        step=step,
        quantiles=quantiles,
        models=models,
        out=out,
        seed=seed,
        progress=sys.stderr.isatty(),
    )
    overall = result.overall
    t = Table(title="backtest: metrics (rows) × models (columns), all series and windows")
    t.add_column("metric", no_wrap=True, min_width=16)
    models_ = overall["model"].to_list()
    for m in models_:
        t.add_column(m, justify="right")
    for col in overall.columns:
        if col == "model":
            continue
        values = overall[col].to_list()
        t.add_row(col, *[f"{v:.4f}" if isinstance(v, float) else str(v) for v in values])
    out_console.print(t)
    if out is not None:
        out_console.print(f"metrics written to {out}")


def _print_summary(summary: dict[str, Any], explain: bool) -> None:
    from scm.api import summary_rows

    table = Table(title="scm plan", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    for label, value in summary_rows(summary):
        table.add_row(label, value)
    out_console.print(table)
    if summary.get("note"):
        out_console.print(summary["note"])
    for line in summary.get("warnings") or []:
        err_console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    if explain:
        prices = summary.get("shadow_prices")
        if prices is None:
            out_console.print("No shadow prices: they exist for linear programs (no order costs, MOQ or lot sizes).")
        elif not prices:
            out_console.print("No capacity is binding: one more unit of any resource is worth nothing.")
        else:
            t = Table(title="binding capacities: value of one more unit")
            for col in ("resource", "kind", "date", "capacity", "used", "value_per_unit"):
                t.add_column(col, justify="right" if col in ("capacity", "used", "value_per_unit") else "left")
            for p in sorted(prices, key=lambda p: -p["value_per_unit"])[:40]:
                t.add_row(
                    p["resource"],
                    p["kind"],
                    p["date"],
                    f"{p['capacity']:,.2f}",
                    f"{p['used']:,.2f}",
                    f"{p['value_per_unit']:,.4f}",
                )
            out_console.print(t)


def main() -> None:
    """Console-script entry point: a usage mistake is one `error:` line and exit code 2 too."""
    # click's UsageError (typer re-exports only its subclass BadParameter; newer typer vendors click)
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    try:
        code = app(standalone_mode=False)
    except usage_error as exc:
        if not exc.format_message().strip():  # bare `scm`: the help was printed, nothing went wrong
            sys.exit(0)
        hint = f" (see scm {exc.ctx.info_name} --help)" if exc.ctx is not None and exc.ctx.parent else ""
        if exc.ctx is not None and exc.ctx.parent is None:
            hint = " (see scm --help)"
        err_console.print(f"error: {exc.format_message()}{hint}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        err_console.print("error: interrupted", markup=False)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
