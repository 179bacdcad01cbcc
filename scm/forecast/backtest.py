"""Rolling-origin backtest of every model and baseline.

Cutoffs are common dates: the last one is `horizon` periods before the last date of the
table, the others `step` periods apart before it. At each cutoff every model is fitted on the
rows up to the cutoff and forecasts the next `horizon` periods; forecasts are scored on the
rows the table has for those periods. With `known_future=True` (default) the models receive
the actual feature values of the forecast periods as their `future` table (prices and
promotions are planned, so they are known when the forecast is made); with False they carry
the last known values forward, as `forecast` does without a `future` table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl

from scm.errors import InputError
from scm.forecast.base import DEFAULT_QUANTILES, Forecaster, check_horizon, check_quantiles, quantile_name
from scm.forecast.metrics import naive_scales, summarize
from scm.forecast.models import make_forecaster
from scm.periods import add_periods
from scm.schema import key_columns

DEFAULT_MODELS = ("lgbm", "seasonal_naive", "naive", "moving_average", "croston", "tsb")


@dataclass(frozen=True)
class BacktestResult:
    """Scores of a backtest.

    Attributes:
        overall: one row per model: wape, mase, rmsse, bias, coverage per level, interval
            coverage, pinball, and the number of series and forecasts scored.
        per_series: the same metrics per series and model (long: key columns + `model`).
        forecasts: every scored forecast row: keys, `cutoff`, `date`, `model` (the model
            asked for), `made_by` (the model that made it, after fallbacks), `qty`, the
            quantile columns and `actual`.
    """

    overall: pl.DataFrame
    per_series: pl.DataFrame
    forecasts: pl.DataFrame


def cutoffs(demand: pl.DataFrame, *, horizon: int, freq: str, windows: int, step: int) -> list:
    """The forecast origins of a rolling-origin backtest, oldest first."""
    last = demand["date"].max()
    return [add_periods(last, freq, -(horizon + step * (windows - 1 - j))) for j in range(windows)]


def backtest(
    demand: pl.DataFrame,
    *,
    horizon: int,
    freq: str,
    windows: int = 3,
    step: int | None = None,
    models: Sequence[str] | Mapping[str, Forecaster] = DEFAULT_MODELS,
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
    known_future: bool = True,
    seed: int = 0,
    progress: bool = False,
) -> BacktestResult:
    """Rolling-origin cross-validation of `models` on a validated, bucketed demand frame.

    Args:
        demand: keys, date, qty and feature columns.
        horizon: periods forecast from each cutoff.
        freq: period length.
        windows: number of cutoffs.
        step: periods between cutoffs (default: `horizon`, so windows do not overlap).
        models: names from `scm.forecast.MODELS`, or a mapping of names to unfitted
            forecasters (to compare settings of one model).
        quantiles: quantile levels to forecast and score.
        known_future: give the models the actual feature values of the forecast periods.
        seed: seed of every model.
        progress: show a progress bar over windows and models.

    Raises:
        InputError: unknown model, bad settings, or a history too short for any window.
    """
    horizon = check_horizon(horizon)
    levels = check_quantiles(quantiles)
    step = horizon if step is None else check_horizon(step, source="--step")
    if isinstance(windows, bool) or not isinstance(windows, int) or windows < 1:
        raise InputError(f"windows must be a whole number >= 1, got {windows!r}", source="--windows")
    if isinstance(models, Mapping):
        forecasters = dict(models)
    else:
        forecasters = {name: make_forecaster(name, freq=freq, quantiles=levels, seed=seed) for name in models}
    keys = key_columns(demand)
    features = [c for c in demand.columns if c not in (*keys, "date", "qty")]
    origins = cutoffs(demand, horizon=horizon, freq=freq, windows=windows, step=step)
    first = demand["date"].min()
    usable = sum(1 for cutoff in origins if cutoff >= first)
    if 0 < usable < windows:
        raise InputError(
            f"the history holds {usable} window(s) of {horizon} periods {step} apart, not {windows}",
            source="--windows",
            fix=f"use --windows {usable}, a smaller --step or a shorter --horizon",
        )
    scored = []
    with _progress(progress, len(origins) * len(forecasters)) as advance:
        for cutoff in origins:
            train = demand.filter(pl.col("date") <= cutoff)
            end = add_periods(cutoff, freq, horizon)
            test = demand.filter((pl.col("date") > cutoff) & (pl.col("date") <= end))
            if train.height == 0 or test.height == 0:
                for _ in forecasters:
                    advance()
                continue
            future = test.drop("qty") if known_future and features else None
            actual = test.select([*keys, "date", pl.col("qty").alias("actual")])
            scales = naive_scales(train, keys)
            for name, model in forecasters.items():
                fc = model.fit(train).predict(horizon, future)
                scored.append(
                    fc.rename({"model": "made_by"})
                    .join(actual, on=[*keys, "date"], how="inner")
                    .join(scales, on=keys, how="left")
                    .with_columns(pl.lit(name).alias("model"), pl.lit(cutoff).alias("cutoff"))
                )
                advance()
    if not scored:
        raise InputError(
            f"the history is too short for a backtest of {windows} window(s) of {horizon} periods",
            source="demand",
            fix="use fewer --windows, a smaller --step or a shorter --horizon",
        )
    rows = pl.concat(scored, how="vertical")
    qcols = [quantile_name(lv) for lv in levels]
    forecasts = rows.select([*keys, "cutoff", "date", "model", "made_by", "qty", *qcols, "actual"]).sort(
        ["model", *keys, "cutoff", "date"]
    )
    overall = summarize(rows, ["model"], levels)
    order = {name: i for i, name in enumerate(forecasters)}
    overall = overall.sort(pl.col("model").replace_strict(order, return_dtype=pl.Int64))
    per_series = summarize(rows, [*keys, "model"], levels).sort([*keys, "model"])
    return BacktestResult(overall=overall, per_series=per_series, forecasts=forecasts)


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[], None]]:
    """Yield an `advance()` callable that ticks a rich progress bar (a no-op when disabled)."""
    if not enabled:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("backtest", total=total)
        yield lambda: bar.update(task, advance=1)
