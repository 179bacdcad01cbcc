"""Baseline forecasters: naive, seasonal naive, moving average, Croston and TSB.

Each works on the whole panel at once (numpy over all series; Croston and TSB loop over
periods, never over series). Quantiles come from each series' empirical quantiles of its
in-sample one-step errors (actual minus the baseline's forecast made one period earlier),
added to the point forecast and widened with the step k as the method implies: by
sqrt(k) for naive (a random walk), by sqrt(ceil(k / season)) for seasonal naive, and not
at all for the level methods (moving average, Croston, TSB), whose forecast error does not
compound. A series with fewer than `MIN_RESIDUALS` errors borrows the pooled errors of all
other series, scaled to its mean level. Results are clipped at zero.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import polars as pl

from scm.forecast.base import (
    DEFAULT_QUANTILES,
    Panel,
    check_horizon,
    check_quantiles,
    forecast_frame,
    forward_fill,
    last_valid,
    make_panel,
)
from scm.periods import parse_freq, season_length

MIN_RESIDUALS = 8
# Moving-average window per period unit: four weeks of days, a quarter of weeks, half a year
# of months, a year of quarters.
_MA_WINDOW = {"d": 28, "w": 13, "mo": 6, "q": 4, "y": 3}


def row_quantiles(x: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """Per-row quantiles of `x` ignoring NaN (linear interpolation); (n, len(levels)).

    `np.nanquantile` along an axis falls back to a Python loop over rows; this sorts once.
    """
    srt = np.sort(x, axis=1)  # NaN sort to the end
    count = (~np.isnan(x)).sum(axis=1)
    out = np.full((x.shape[0], len(levels)), np.nan)
    has = count > 0
    if not has.any():
        return out
    srt, count = srt[has], count[has]
    for j, lv in enumerate(levels):
        pos = (count - 1) * lv
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, count - 1)
        frac = pos - lo
        a = np.take_along_axis(srt, lo[:, None], axis=1)[:, 0]
        b = np.take_along_axis(srt, hi[:, None], axis=1)[:, 0]
        out[has, j] = a + frac * (b - a)
    return out


def residual_quantiles(residuals: np.ndarray, level: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """Error quantiles per series (n, len(levels)), pooled and rescaled where a series has few.

    Args:
        residuals: (n, width) one-step errors, NaN where none.
        level: (n,) typical size of each series (its mean demand), to rescale pooled errors.
        levels: quantile levels.
    """
    count = (~np.isnan(residuals)).sum(axis=1)
    own = count >= MIN_RESIDUALS
    out = np.zeros((residuals.shape[0], len(levels)))
    out[own] = row_quantiles(residuals[own], levels)
    donors = own & (level > 0)
    if (~own).any() and donors.any():
        relative = residuals[donors] / level[donors, None]
        pooled = row_quantiles(relative.reshape(1, -1), levels)[0]
        out[~own] = pooled[None, :] * np.nan_to_num(level[~own])[:, None]
    return out


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the `window` columns before each column, ignoring NaN; (n, width + 1).

    Column t of the result averages columns t-window .. t-1 of `values`, so the last column
    is the mean of the final `window` periods.
    """
    filled = np.nan_to_num(values)
    lead = np.zeros((values.shape[0], 1))
    sums = np.concatenate([lead, np.cumsum(filled, axis=1)], axis=1)
    counts = np.concatenate([lead, np.cumsum(~np.isnan(values), axis=1)], axis=1)
    n_cols = sums.shape[1]
    pad = np.zeros((values.shape[0], window))
    lagged_sums = np.concatenate([pad, sums], axis=1)[:, :n_cols]
    lagged_counts = np.concatenate([pad, counts], axis=1)[:, :n_cols]
    n = counts - lagged_counts
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (sums - lagged_sums) / np.maximum(n, 1), np.nan)


class BaselineForecaster:
    """Shared machinery: fit builds the panel; predict adds error quantiles to the point forecast.

    Subclasses implement `_point_and_fitted`, returning the h-step point forecast and the
    in-sample one-step fitted values, and `_growth`, the widening of the error quantiles with
    the step.
    """

    name = "baseline"

    def __init__(
        self,
        freq: str,
        quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
        seed: int = 0,
    ) -> None:
        self.freq = freq
        self.quantiles = quantiles
        self.seed = seed

    def fit(self, demand: pl.DataFrame) -> Self:
        """Build the panel from a validated, bucketed demand frame."""
        return self.fit_panel(make_panel(demand, self.freq))

    def fit_panel(self, panel: Panel) -> Self:
        """Fit on an already built panel (what `LGBMForecaster` uses for its fallbacks)."""
        parse_freq(self.freq)
        self.levels_ = check_quantiles(self.quantiles)
        self.panel_ = panel
        return self

    def forecast_arrays(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Point (n, h) and quantile (n, h, levels) forecasts for every series of the panel."""
        h = check_horizon(h)
        values = self.panel_.values
        point, fitted = self._point_and_fitted(values, h)
        level = np.nan_to_num(np.nanmean(values, axis=1))
        errors = residual_quantiles(values - fitted, level, self.levels_)
        growth = self._growth(np.arange(1, h + 1))
        quantiles = point[:, :, None] + errors[:, None, :] * growth[None, :, None]
        return np.clip(point, 0.0, None), quantiles

    def predict(self, h: int, future: pl.DataFrame | None = None) -> pl.DataFrame:
        """Forecast `h` periods; `future` is accepted for the protocol and ignored."""
        point, quantiles = self.forecast_arrays(h)
        rows = np.arange(point.shape[0])
        return forecast_frame(self.panel_, rows, point, quantiles, self.levels_, self.name)

    def _point_and_fitted(self, values: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _growth(self, steps: np.ndarray) -> np.ndarray:
        return np.ones(len(steps))


class Naive(BaselineForecaster):
    """The last observed value, for every future period."""

    name = "naive"

    def _point_and_fitted(self, values: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        filled = forward_fill(values)
        fitted = np.concatenate([np.full((values.shape[0], 1), np.nan), filled[:, :-1]], axis=1)
        return np.repeat(filled[:, -1:], h, axis=1), fitted

    def _growth(self, steps: np.ndarray) -> np.ndarray:
        return np.sqrt(steps)


class SeasonalNaive(BaselineForecaster):
    """The value one season earlier (`scm.periods.season_length`); the last value where the
    series is shorter than a season or that period is missing."""

    name = "seasonal_naive"

    def _point_and_fitted(self, values: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        m = season_length(self.freq)
        n, width = values.shape
        last = last_valid(values)
        steps = np.arange(1, h + 1)
        source = width - 1 + steps - m * np.ceil(steps / m).astype(np.int64)
        point = np.full((n, h), np.nan)
        inside = source >= 0
        point[:, inside] = values[:, source[inside]]
        point = np.where(np.isnan(point), last[:, None], point)
        fitted = np.full_like(values, np.nan)
        if width > m:
            fitted[:, m:] = values[:, :-m]
        filled = forward_fill(values)
        fitted[:, 1:] = np.where(np.isnan(fitted[:, 1:]), filled[:, :-1], fitted[:, 1:])
        return point, fitted

    def _growth(self, steps: np.ndarray) -> np.ndarray:
        return np.sqrt(np.ceil(steps / season_length(self.freq)))


class MovingAverage(BaselineForecaster):
    """The mean of the last `window` periods (default by unit: 28 days, 13 weeks, 6 months,
    4 quarters, 3 years)."""

    name = "moving_average"

    def __init__(
        self,
        freq: str,
        quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
        seed: int = 0,
        window: int | None = None,
    ) -> None:
        super().__init__(freq, quantiles, seed)
        self.window = window

    def _point_and_fitted(self, values: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        window = self.window or _MA_WINDOW[parse_freq(self.freq)[1]]
        means = rolling_mean(values, window)
        return np.repeat(means[:, -1:], h, axis=1), means[:, :-1]


class Croston(BaselineForecaster):
    """Croston's method for intermittent demand: smoothed demand size / smoothed interval.

    Size and interval are exponentially smoothed with `alpha` (default 0.1) at each non-zero
    period, starting from the series' mean non-zero size and mean interval.
    """

    name = "croston"

    def __init__(
        self,
        freq: str,
        quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
        seed: int = 0,
        alpha: float = 0.1,
    ) -> None:
        super().__init__(freq, quantiles, seed)
        self.alpha = alpha

    def _point_and_fitted(self, values: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        size, interval = _initial_size_and_rate(values)
        interval = np.where(interval > 0, 1.0 / np.maximum(interval, 1e-12), 1.0)
        since = np.ones(values.shape[0])
        fitted = np.empty_like(values)
        for t in range(values.shape[1]):
            fitted[:, t] = size / interval
            y = values[:, t]
            hit = y > 0  # NaN compares False: a missing period only lets time pass
            size = np.where(hit, size + self.alpha * (y - size), size)
            interval = np.where(hit, interval + self.alpha * (since - interval), interval)
            since = np.where(hit, 1.0, since + 1.0)
        return np.repeat((size / interval)[:, None], h, axis=1), fitted


class TSB(BaselineForecaster):
    """Teunter-Syntetos-Babai: smoothed demand probability x smoothed non-zero size.

    The probability is updated every observed period (`beta`, default 0.1), so the forecast
    decays during long runs of zeros, unlike Croston's; the size with `alpha` (default 0.1) at
    non-zero periods. Both start from the series' mean values.
    """

    name = "tsb"

    def __init__(
        self,
        freq: str,
        quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
        seed: int = 0,
        alpha: float = 0.1,
        beta: float = 0.1,
    ) -> None:
        super().__init__(freq, quantiles, seed)
        self.alpha = alpha
        self.beta = beta

    def _point_and_fitted(self, values: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        size, prob = _initial_size_and_rate(values)
        fitted = np.empty_like(values)
        for t in range(values.shape[1]):
            fitted[:, t] = size * prob
            y = values[:, t]
            seen = ~np.isnan(y)
            hit = y > 0
            prob = np.where(seen, prob + self.beta * (hit - prob), prob)
            size = np.where(hit, size + self.alpha * (y - size), size)
        return np.repeat((size * prob)[:, None], h, axis=1), fitted


def _initial_size_and_rate(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean non-zero size and share of non-zero periods of each series (0 for all-zero ones)."""
    positive = values > 0
    hits = positive.sum(axis=1)
    seen = (~np.isnan(values)).sum(axis=1)
    size = np.where(hits > 0, np.where(positive, values, 0.0).sum(axis=1) / np.maximum(hits, 1), 0.0)
    rate = np.where(seen > 0, hits / np.maximum(seen, 1), 0.0)
    return size, rate
