"""Demand forecasting: a global LightGBM model with quantiles, baselines, rolling-origin backtests.

`forecast` is what `scm plan` calls; `backtest` scores every model; `run_forecast_command`
and `run_backtest_command` are the library side of `scm forecast` and `scm backtest`.
Method notes and measured accuracy: docs/forecasting.md.
"""

from __future__ import annotations

import polars as pl

from scm.forecast.backtest import DEFAULT_MODELS, BacktestResult, backtest
from scm.forecast.base import DEFAULT_QUANTILES, Forecaster, check_horizon, quantile_name
from scm.forecast.baselines import TSB, Croston, MovingAverage, Naive, SeasonalNaive
from scm.forecast.lgbm import LGBMForecaster
from scm.forecast.models import MODELS, make_forecaster

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_QUANTILES",
    "MODELS",
    "TSB",
    "BacktestResult",
    "Croston",
    "Forecaster",
    "LGBMForecaster",
    "MovingAverage",
    "Naive",
    "SeasonalNaive",
    "backtest",
    "forecast",
    "make_forecaster",
    "quantile_name",
]


def forecast(
    demand: pl.DataFrame,
    *,
    horizon: int,
    freq: str,
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
    future: pl.DataFrame | None = None,
    model: str = "lgbm",
    seed: int = 0,
    progress: bool = False,
) -> pl.DataFrame:
    """Forecast every series of a validated, bucketed demand frame `horizon` periods ahead.

    Args:
        demand: key columns (`sku`, optional `location`), `date` on the `freq` grid, `qty`,
            and exogenous feature columns.
        horizon: number of periods after each series' last date.
        freq: period length (1d, 1w, 1mo, ...).
        quantiles: quantile levels; each becomes a column p10, p50, ... (p2_5 for 0.025).
        future: key columns, `date` and future feature values; missing values are carried
            forward from each series' last known value.
        model: a name from `MODELS`; "lgbm" falls back to TSB or the moving average for
            series too short or all zero.
        seed: seed of the model (same seed, same forecast).
        progress: show progress bars.

    Returns:
        Key columns, `date`, `qty` (point forecast), the quantile columns (monotone in the
        level, >= 0) and `model` (which model forecast that series).
    """
    check_horizon(horizon)
    forecaster = make_forecaster(model, freq=freq, quantiles=quantiles, seed=seed, progress=progress)
    return forecaster.fit(demand).predict(horizon, future)
