"""The library side of `scm forecast` and `scm backtest`: read, validate, bucket, run, write.

Each function checks its output path before any work and writes atomically, so a bad input
raises `InputError` (one clear message) and leaves no partial file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from scm.errors import InputError
from scm.forecast import backtest, forecast
from scm.forecast.backtest import DEFAULT_MODELS, BacktestResult
from scm.forecast.base import DEFAULT_QUANTILES
from scm.io import (
    check_output_path,
    parse_columns,
    read_table,
    source_name,
    write_outputs,
    write_table,
)
from scm.periods import bucket_features, default_horizon, infer_freq, parse_freq, to_periods
from scm.schema import key_columns, validate_demand, validate_future


def check_table_path(path: str | Path | None) -> None:
    """Fail before any work on an output path that is not a writable CSV or Parquet file."""
    check_output_path(path)


def parse_quantiles(spec: str | Sequence[float] | None) -> tuple[float, ...]:
    """Quantile levels from ``0.1,0.5,0.9`` (or a sequence of floats)."""
    if spec is None:
        return DEFAULT_QUANTILES
    if isinstance(spec, str):
        try:
            return tuple(float(part) for part in spec.split(",") if part.strip())
        except ValueError:
            raise InputError(
                f"cannot read quantile levels '{spec}'",
                source="--quantiles",
                fix="write them as 0.1,0.5,0.9",
            ) from None
    return tuple(float(q) for q in spec)


def load_demand(
    demand_path: str | Path,
    *,
    future_path: str | Path | None = None,
    columns: str | None = None,
    table: str | None = None,
    query: str | None = None,
    freq: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame | None, str]:
    """Read, validate and bucket a demand table (and its future table).

    Returns:
        The bucketed demand, the future table on the same period grid (or None), and the
        frequency (inferred from the dates when `freq` is None).
    """
    rename = parse_columns(columns)
    raw = read_table(demand_path, table=table, query=query, columns=rename)
    name = source_name(demand_path, table, query)
    history = validate_demand(raw, name)
    keys = key_columns(history)
    freq = freq or infer_freq(history["date"])
    parse_freq(freq)
    demand = to_periods(history, freq, keys)
    future = None
    if future_path is not None:
        # --columns renames apply where the future table has those columns.
        header = read_table(future_path).columns
        future_raw = read_table(future_path, columns={old: new for old, new in rename.items() if old in header})
        future = validate_future(future_raw, keys, str(future_path))
        future = bucket_features(future, freq, keys, demand["date"].min())
    return demand, future, freq


def run_forecast_command(
    demand_path: str | Path,
    *,
    future_path: str | Path | None = None,
    columns: str | None = None,
    table: str | None = None,
    query: str | None = None,
    freq: str | None = None,
    horizon: int | None = None,
    quantiles: str | Sequence[float] | None = None,
    model: str = "lgbm",
    out: str | Path | None = None,
    seed: int = 0,
    progress: bool = False,
) -> pl.DataFrame:
    """`scm forecast`: forecast every series of a demand table.

    Args:
        demand_path: CSV/Parquet file or database URI of the demand history.
        future_path: optional table of future feature values (same keys, `date`).
        columns: renames, ``old=new,old2=new2``, applied to both tables.
        table: database table (database URIs only).
        query: SQL query (database URIs only).
        freq: period length; inferred from the dates when None.
        horizon: periods to forecast (default: `scm.periods.default_horizon(freq)`).
        quantiles: levels, ``0.1,0.5,0.9`` or a sequence.
        model: a name from `scm.forecast.MODELS`.
        out: write the forecast here (CSV or Parquet by extension).
        seed: model seed.
        progress: show progress bars.

    Returns:
        The forecast frame (keys, date, qty, p.., model).
    """
    check_table_path(out)
    levels = parse_quantiles(quantiles)
    demand, future, freq = load_demand(
        demand_path, future_path=future_path, columns=columns, table=table, query=query, freq=freq
    )
    horizon = horizon if horizon is not None else default_horizon(freq)
    result = forecast(
        demand,
        horizon=horizon,
        freq=freq,
        quantiles=levels,
        future=future,
        model=model,
        seed=seed,
        progress=progress,
    )
    if out is not None:
        write_table(result, out)
    return result


def run_backtest_command(
    demand_path: str | Path,
    *,
    columns: str | None = None,
    table: str | None = None,
    query: str | None = None,
    freq: str | None = None,
    horizon: int | None = None,
    windows: int = 3,
    step: int | None = None,
    quantiles: str | Sequence[float] | None = None,
    models: str | Sequence[str] | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    progress: bool = False,
) -> BacktestResult:
    """`scm backtest`: rolling-origin accuracy of every model on a demand table.

    Feature columns of the demand table are given to the models as known for the forecast
    periods (see `scm.forecast.backtest`).

    Args:
        demand_path: CSV/Parquet file or database URI of the demand history.
        columns, table, query, freq, horizon, quantiles, seed, progress: as `run_forecast_command`.
        windows: number of forecast origins.
        step: periods between origins (default: the horizon).
        models: comma-separated names or a sequence (default: all models and baselines).
        out: write the overall metrics (one row per model) here; the per-series metrics go
            beside it as ``<stem>_per_series<suffix>``.

    Returns:
        The backtest result (`overall`, `per_series`, `forecasts`).
    """
    check_table_path(out)
    levels = parse_quantiles(quantiles)
    names = DEFAULT_MODELS if models is None else models
    if isinstance(names, str):
        names = tuple(m.strip() for m in names.split(",") if m.strip())
    demand, _, freq = load_demand(demand_path, columns=columns, table=table, query=query, freq=freq)
    horizon = horizon if horizon is not None else default_horizon(freq)
    result = backtest(
        demand,
        horizon=horizon,
        freq=freq,
        windows=windows,
        step=step,
        models=tuple(names),
        quantiles=levels,
        seed=seed,
        progress=progress,
    )
    if out is not None:
        out = Path(out)
        write_outputs([(result.overall, out), (result.per_series, out.with_name(f"{out.stem}_per_series{out.suffix}"))])
    return result
