"""Metrics and baselines against values computed by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from scm.forecast import TSB, Croston, MovingAverage, Naive, SeasonalNaive, backtest
from scm.forecast.metrics import naive_scales, summarize

START = dt.date(2023, 1, 2)


def series(values: list[float], freq_days: int = 7, sku: str = "A") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "sku": [sku] * len(values),
            "date": [START + dt.timedelta(days=freq_days * k) for k in range(len(values))],
            "qty": [float(v) for v in values],
        }
    )


def test_metrics_by_hand() -> None:
    rows = pl.DataFrame(
        {
            "sku": ["A"] * 3,
            "cutoff": [START] * 3,
            "model": ["m"] * 3,
            "actual": [1.0, 2.0, 3.0],
            "qty": [2.0, 2.0, 2.0],
            "p10": [1.5, 1.5, 1.5],
            "p90": [2.0, 2.0, 2.0],
            "scale_abs": [0.5] * 3,
            "scale_sq": [0.25] * 3,
        }
    )
    got = summarize(rows, ["model"], (0.1, 0.9)).row(0, named=True)
    assert got["wape"] == pytest.approx(2 / 6)
    assert got["bias"] == pytest.approx(0.0)
    assert got["mase"] == pytest.approx((2 / 3) / 0.5)
    assert got["rmsse"] == pytest.approx(math.sqrt((2 / 3) / 0.25))
    assert got["coverage_p90"] == pytest.approx(2 / 3)  # 1 and 2 are <= 2, 3 is not
    assert got["coverage_p10"] == pytest.approx(1 / 3)
    assert got["coverage_p10_p90"] == pytest.approx(1 / 3)  # only 2 lies in [1.5, 2]
    # pinball at 0.1 on q=1.5: y-q = -0.5, 0.5, 1.5 -> 0.45, 0.05, 0.15 = 0.65
    # pinball at 0.9 on q=2:   y-q = -1, 0, 1       -> 0.1, 0, 0.9     = 1.0
    assert got["pinball"] == pytest.approx((0.65 + 1.0) / 2 / 6)
    assert (got["series"], got["forecasts"]) == (1, 3)


def test_naive_scales_skip_leading_zeros() -> None:
    got = naive_scales(series([0, 0, 2, 4, 3]), ["sku"]).row(0, named=True)
    assert got["scale_abs"] == pytest.approx(1.5)  # |4-2|, |3-4|
    assert got["scale_sq"] == pytest.approx(2.5)


def test_backtest_naive_by_hand() -> None:
    result = backtest(series(range(1, 11)), horizon=2, freq="1w", windows=1, models=("naive",))
    got = result.overall.row(0, named=True)
    # cutoff after 8: forecasts 8, 8 against 9, 10
    assert got["wape"] == pytest.approx(3 / 19)
    assert got["bias"] == pytest.approx(-3 / 19)
    assert got["mase"] == pytest.approx(1.5)
    assert got["rmsse"] == pytest.approx(math.sqrt(2.5))
    assert result.forecasts["cutoff"].to_list() == [START + dt.timedelta(weeks=7)] * 2


def test_naive_quantiles_by_hand() -> None:
    fc = Naive("1w").fit(series([0, 1] * 5)).predict(2)
    # errors +1 (x5) and -1 (x4): p90 = +1, p10 = -1; widened by sqrt(k); last value 1
    assert fc["qty"].to_list() == [1.0, 1.0]
    assert fc["p90"].to_list() == pytest.approx([2.0, 1 + math.sqrt(2)])
    assert fc["p10"].to_list() == [0.0, 0.0]


def test_seasonal_naive_by_hand() -> None:
    fc = SeasonalNaive("1d").fit(series(range(1, 15), freq_days=1)).predict(9)
    assert fc["qty"].to_list() == [8, 9, 10, 11, 12, 13, 14, 8, 9]


def test_seasonal_naive_short_series_uses_last_value() -> None:
    assert SeasonalNaive("1w").fit(series([3, 5])).predict(2)["qty"].to_list() == [5, 5]


def test_moving_average_by_hand() -> None:
    fc = MovingAverage("1w", window=3).fit(series([1, 2, 3, 4, 8])).predict(2)
    assert fc["qty"].to_list() == pytest.approx([5.0, 5.0])


def test_croston_by_hand() -> None:
    # start: size 3 (mean of 4, 2), interval 2.5 (5 periods / 2 demands)
    # t1 y=4 after 2 periods: size 3.1, interval 2.45; t4 y=2 after 3: size 2.99, interval 2.505
    fc = Croston("1w").fit(series([0, 4, 0, 0, 2])).predict(1)
    assert fc["qty"][0] == pytest.approx(2.99 / 2.505)


def test_tsb_by_hand() -> None:
    # probability 0.4 -> .36 -> .424 -> .3816 -> .34344 -> .409096; size 3 -> 3.1 -> 2.99
    fc = TSB("1w").fit(series([0, 4, 0, 0, 2])).predict(1)
    assert fc["qty"][0] == pytest.approx(2.99 * 0.409096)


def test_all_zero_series_forecast_zero() -> None:
    for model in (Naive, SeasonalNaive, MovingAverage, Croston, TSB):
        fc = model("1w").fit(series([0] * 12)).predict(3)
        assert np.all(fc.select("qty", "p10", "p50", "p90").to_numpy() == 0), model.name


def test_missing_periods_are_unknown_not_zero() -> None:
    """A gap in the frame is NaN in the panel: the moving average skips it."""
    df = series([4, 4, 4, 4]).filter(pl.col("date") != START + dt.timedelta(weeks=2))
    assert MovingAverage("1w", window=4).fit(df).predict(1)["qty"][0] == pytest.approx(4.0)
