"""Rolling-origin backtests and the calibration of the LightGBM quantiles on real data."""

from __future__ import annotations

import polars as pl
import pytest
from test_forecast import weekly

from scm.datasets import load_example
from scm.errors import InputError
from scm.forecast import DEFAULT_MODELS, MovingAverage, backtest
from scm.periods import to_periods


def test_backtest_shapes() -> None:
    demand = weekly(n_series=3, periods=50)
    result = backtest(demand, horizon=4, freq="1w", windows=2, step=3)
    assert result.overall["model"].to_list() == list(DEFAULT_MODELS)
    assert result.overall["forecasts"].to_list() == [3 * 4 * 2] * len(DEFAULT_MODELS)
    assert result.forecasts["cutoff"].n_unique() == 2
    cut = sorted(result.forecasts["cutoff"].unique())
    assert (cut[1] - cut[0]).days == 21
    assert result.per_series.height == 3 * len(DEFAULT_MODELS)
    assert {"sku", "location", "model", "wape", "mase", "coverage_p90"} <= set(result.per_series.columns)


def test_backtest_without_known_future() -> None:
    demand = weekly(n_series=2, periods=40)
    result = backtest(demand, horizon=3, freq="1w", windows=1, models=("lgbm",), known_future=False)
    assert result.overall.height == 1


def test_backtest_too_short_history() -> None:
    demand = weekly(n_series=1, periods=3)
    with pytest.raises(InputError, match="too short"):
        backtest(demand, horizon=4, freq="1w", windows=3)


def test_backtest_bad_windows() -> None:
    with pytest.raises(InputError):
        backtest(weekly(n_series=1, periods=20), horizon=2, freq="1w", windows=0)


def test_lgbm_quantiles_are_calibrated_on_m5() -> None:
    """p90 coverage within 0.85-0.95 on a slice of the bundled M5 data (weekly, 2 origins)."""
    ex = load_example()
    skus = ex.demand["sku"].unique().sort().head(14)
    demand = to_periods(ex.demand.filter(pl.col("sku").is_in(skus.implode())), "1w", ["sku", "location"])
    result = backtest(demand, horizon=13, freq="1w", windows=2, models=("lgbm", "seasonal_naive"))
    lgbm = result.overall.row(0, named=True)
    assert 0.85 <= lgbm["coverage_p90"] <= 0.95
    naive = result.overall.row(1, named=True)
    assert lgbm["mase"] < naive["mase"]


def test_backtest_compares_settings_of_one_model() -> None:
    demand = weekly(n_series=3, periods=40)
    models = {"ma4": MovingAverage("1w", window=4), "ma8": MovingAverage("1w", window=8)}
    result = backtest(demand, horizon=3, freq="1w", windows=2, models=models)
    assert result.overall["model"].to_list() == ["ma4", "ma8"]
    assert set(result.forecasts["made_by"]) == {"moving_average"}
