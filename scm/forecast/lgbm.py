"""Global LightGBM forecaster: one model across all series, recursive multi-step, conformal quantiles.

Method (also in docs/forecasting.md):
- Target: each series' demand divided by its mean over the history (per-series mean scaling),
  so one model can learn shapes shared by series of very different volume. The default L1
  objective makes the point forecast a conditional median of it. Where that median is zero
  the point forecast is instead the expected demand: the larger of the series' own TSB
  forecast and the mean demand the calibration window showed where the forecast was zero, in
  units of the series' scale (`mean_when_zero`).
- Features per (series, period): lags and rolling means of the scaled target, rolling
  standard deviation and zero share, periods since the last non-zero demand; calendar
  (day of week, week of year, month, ... as `freq` makes sense); series statistics (log mean
  level, share of zero periods); every exogenous column, numeric ones also relative to their
  series mean (a price 20% below usual reads the same for every product); text columns and
  `location` as categories.
- Multi-step: recursive. The model predicts one period ahead; the forecast is written back as
  the newest lag and the next period's features are recomputed, all series at once.
  Recursive needs one model (direct needs one per step), which keeps 30,000 series fast.
- Future features come from the `future` table; any value it lacks is the series' last known
  value carried forward (a price stays where it was, a promotion flag too).
- Quantiles: split-conformal. `fit` first trains the same model on the history without its
  last `calibration_horizon` periods, forecasts those periods recursively, and keeps the
  errors divided by each series' mean absolute one-step change (its MASE scale, so a volatile
  series gets wide intervals and a steady one narrow ones, whatever their volume). Per step
  ahead, the empirical quantiles of these errors over all series, times the series' scale,
  are added to the final model's point forecast (steps past the calibration horizon reuse its
  last step, widened by sqrt(k / calibration_horizon)). That first model also picks
  the number of boosting rounds by early stopping on the held-out periods.
- Fallbacks: series shorter than `min_history` periods, all-zero series and any series whose
  forecast comes out non-finite are forecast by TSB (when more than half their periods are
  zero) or the moving average; the `model` column names which.
- Deterministic: LightGBM runs with the given seed, `deterministic=True` and
  `force_row_wise=True`; the same seed and `n_jobs` give the same forecast.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Self

import lightgbm as lgb
import numpy as np
import polars as pl

from scm.forecast.base import (
    DEFAULT_QUANTILES,
    check_horizon,
    check_quantiles,
    forecast_frame,
    future_grid,
    make_panel,
)
from scm.forecast.baselines import TSB, MovingAverage
from scm.periods import parse_freq, season_length

# Lags and rolling windows per period unit (for multiples such as 2w they follow the season).
_LAGS = {
    "d": (1, 2, 3, 4, 5, 6, 7, 14, 21, 28),
    "w": (1, 2, 3, 4, 5, 6, 7, 8, 13, 26, 52),
    "mo": (1, 2, 3, 4, 5, 6, 12),
    "q": (1, 2, 3, 4, 8),
    "y": (1, 2, 3),
}
_WINDOWS = {"d": (7, 28, 91), "w": (4, 13, 52), "mo": (3, 6, 12), "q": (2, 4, 8), "y": (2, 3)}
_CALIBRATION = {"d": 28, "w": 13, "mo": 6, "q": 4, "y": 2}
_CALENDAR = {
    "d": ("weekday", "day", "week", "month"),
    "w": ("week", "month"),
    "mo": ("month",),
    "q": ("quarter",),
    "y": (),
}
# A scaled forecast at or below this (5% of the series' mean) counts as a zero median.
_NEAR_ZERO = 0.05
# Errors of this many series (x the calibration horizon) pin the quantiles down well enough.
_MAX_CALIBRATION_SERIES = 5000
# Per-step error quantiles need enough series; fewer pool all steps of the calibration window.
_MIN_PER_STEP = 200


class LGBMForecaster:
    """Global LightGBM model with conformal quantiles and baseline fallbacks.

    Args:
        freq: period length (polars duration: 1d, 1w, 1mo, ...).
        quantiles: quantile levels to forecast.
        seed: LightGBM seed.
        n_estimators: most boosting rounds (early stopping on the calibration fit picks fewer).
        learning_rate: LightGBM learning rate.
        num_leaves: LightGBM leaves per tree.
        objective: LightGBM objective on the scaled target: "l1" (default; the point forecast
            is then a conditional median, which scored best on WAPE, MASE and even RMSSE in
            our backtests), "l2" (a conditional mean) or "tweedie".
        mean_when_zero: where the (median) forecast is zero, forecast the expected demand:
            the larger of the series' TSB forecast (demand probability × size) and the mean
            demand seen in the calibration window where the forecast was zero, in units of the
            series' scale; a plan needs the expected demand, and intermittent demand's median
            is zero.
        min_history: series with fewer periods fall back to a baseline.
        max_train_rows: most training rows (series-periods); larger histories are sampled.
        calibration_horizon: periods held out for the conformal quantiles (default by unit:
            28 days, 13 weeks, 6 months, 4 quarters, 2 years; at most a third of the history).
        n_jobs: LightGBM threads (default: all cores).
        progress: show rich progress bars while fitting and forecasting.
    """

    name = "lgbm"

    def __init__(
        self,
        freq: str,
        quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
        seed: int = 0,
        n_estimators: int = 400,
        learning_rate: float = 0.05,
        num_leaves: int = 63,
        objective: str = "l1",
        mean_when_zero: bool = True,
        min_history: int = 8,
        max_train_rows: int = 400_000,
        calibration_horizon: int | None = None,
        n_jobs: int = 1,
        progress: bool = False,
    ) -> None:
        self.freq = freq
        self.quantiles = quantiles
        self.seed = seed
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.objective = objective
        self.mean_when_zero = mean_when_zero
        self.min_history = min_history
        self.max_train_rows = max_train_rows
        self.calibration_horizon = calibration_horizon
        self.n_jobs = n_jobs
        self.progress = progress

    # ------------------------------------------------------------------ fit
    def fit(self, demand: pl.DataFrame) -> Self:
        """Fit the global model (and its calibration twin) on a validated, bucketed history."""
        n, unit = parse_freq(self.freq)
        self.levels_ = check_quantiles(self.quantiles)
        panel = make_panel(demand, self.freq)
        self.panel_ = panel
        self.lags_, self.windows_ = _lags_and_windows(self.freq)
        self.calendar_ = _CALENDAR[unit] if n == 1 else ()
        self.pad_ = max(max(self.lags_), max(self.windows_)) + 1

        values = panel.values
        observed = ~np.isnan(values)
        self.scale_ = np.nanmean(values, axis=1)  # every series has at least one period
        zero_share = (values == 0).sum(axis=1) / np.maximum(observed.sum(axis=1), 1)
        self.series_stats_ = np.column_stack([np.log1p(self.scale_), zero_share]).astype(np.float32)
        self.fallback_ = TSB(self.freq, self.levels_).fit_panel(panel)
        self.average_ = MovingAverage(self.freq, self.levels_).fit_panel(panel)
        self.intermittent_ = zero_share > 0.5
        self.eligible_ = (panel.length >= self.min_history) & (self.scale_ > 0)
        self.spread_ = _spread(values, self.scale_)

        self._fit_context()
        default_cal = _CALIBRATION[unit]
        self.cal_h_ = min(self.calibration_horizon or default_cal, panel.width // 3)
        self.booster_ = None
        self.errors_ = None
        self.zero_mean_ = 0.0
        if self.cal_h_ < 1 or not self.eligible_.any():
            return self
        x, y, cols = self._training_rows()
        origin = panel.width - self.cal_h_
        early = cols < origin
        if not early.any():
            return self
        with _progress(self.progress) as bar:
            try:
                # Features only look back, so the calibration fit reuses the rows of the full one.
                booster = self._train(x[early], y[early], self.n_estimators, bar, "calibration", (x[~early], y[~early]))
                self.errors_ = self._calibration_errors(booster, origin, bar)
                if self.errors_ is None:  # no series long enough to calibrate the quantiles
                    return self
                rounds = max(booster.best_iteration or self.n_estimators, 10)
                self.booster_ = self._train(x, y, rounds, bar, "fit")
            except lgb.basic.LightGBMError:
                # Every series then gets its baseline (named in the `model` column); a
                # degenerate training set must not abort a planning run.
                self.booster_ = None
        return self

    def _fit_context(self) -> None:
        """Exogenous and calendar features of every history cell, shape (n, width, k)."""
        panel = self.panel_
        frame = panel.frame
        self.numeric_ = [c for c in panel.features if frame.schema[c].is_numeric()]
        self.text_ = [c for c in panel.features if c not in self.numeric_]
        if "location" in panel.keys:
            self.text_ = ["location", *self.text_]
        self.categories_ = {c: frame[c].drop_nulls().unique().sort().to_list() for c in self.text_}
        means = frame.group_by("_s").agg(pl.col(c).mean() for c in self.numeric_).sort("_s")
        # A relative version only makes sense for columns that are not 0/1 flags.
        self.relative_ = [
            c for c in self.numeric_ if not frame.select(pl.col(c).drop_nulls().is_in([0.0, 1.0]).all()).item()
        ]
        # Every series has rows, so `means` has one row per series, in series order.
        self.feature_means_ = means.select(self.relative_).to_numpy().astype(np.float64)
        self.context_names_ = [
            *(f"cal_{c}" for c in self.calendar_),
            *self.numeric_,
            *(f"{c}_rel" for c in self.relative_),
            *(f"cat_{c}" for c in self.text_),
        ]
        self.context_ = np.full((panel.series.height, panel.width, len(self.context_names_)), np.nan, dtype=np.float32)
        rows, cols = frame["_s"].to_numpy(), frame["_c"].to_numpy()
        self.context_[rows, cols] = self._context_block(frame, rows)

    def _context_block(self, frame: pl.DataFrame, rows: np.ndarray) -> np.ndarray:
        """Context features (calendar, exogenous, relative, categories) of the rows of `frame`."""
        date = pl.col("date")
        calendar = {
            "weekday": date.dt.weekday(),
            "day": date.dt.day(),
            "week": date.dt.week(),
            "month": date.dt.month(),
            "quarter": date.dt.quarter(),
        }
        exprs = [calendar[c].cast(pl.Float64).alias(f"cal_{c}") for c in self.calendar_]
        exprs += [pl.col(c).cast(pl.Float64) for c in self.numeric_]
        exprs += [
            pl.col(c)
            .cast(pl.Utf8)
            .replace_strict(self.categories_[c], list(range(len(self.categories_[c]))), default=None)
            .cast(pl.Float64)
            .alias(f"cat_{c}")
            for c in self.text_
        ]
        block = frame.select(exprs).to_numpy().astype(np.float64) if exprs else np.empty((frame.height, 0))
        n_cal, n_num = len(self.calendar_), len(self.numeric_)
        if self.relative_:
            idx = [self.numeric_.index(c) for c in self.relative_]
            raw = block[:, n_cal + np.array(idx)]
            base = self.feature_means_[rows]
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(base != 0, raw / base, np.nan)
            block = np.concatenate([block[:, : n_cal + n_num], rel, block[:, n_cal + n_num :]], axis=1)
        return block.astype(np.float32)

    # --------------------------------------------------------- design matrix
    @property
    def feature_names_(self) -> list[str]:
        """Names of the model's features, in column order."""
        return [
            *(f"lag_{lag}" for lag in self.lags_),
            *(f"mean_{w}" for w in self.windows_),
            f"std_{self.windows_[1]}",
            f"zero_share_{self.windows_[-1]}",
            "since_nonzero",
            "level",
            "zero_share",
            *self.context_names_,
        ]

    def _scaled(self, width: int, extra: int = 0) -> np.ndarray:
        """Scaled history of the first `width` columns, left-padded, with `extra` empty columns."""
        n = self.panel_.series.height
        z = np.full((n, self.pad_ + width + extra), np.nan)
        z[:, self.pad_ : self.pad_ + width] = (
            self.panel_.values[:, :width] / np.where(self.scale_ > 0, self.scale_, 1.0)[:, None]
        )
        return z

    def _design(
        self, z: np.ndarray, rows: np.ndarray, cols: np.ndarray, series: np.ndarray, context: np.ndarray
    ) -> np.ndarray:
        """Feature matrix (len(rows), n_features) for target cells (rows, cols) of padded `z`.

        `cols` index the padded matrix; every feature uses columns before `cols` only.
        `series` are the panel rows of the cells (for the series statistics), `context` their
        calendar and exogenous features.
        """
        observed = ~np.isnan(z)
        filled = np.nan_to_num(z)
        lead = np.zeros((z.shape[0], 1))
        csum = np.concatenate([lead, np.cumsum(filled, axis=1)], axis=1)
        csq = np.concatenate([lead, np.cumsum(filled**2, axis=1)], axis=1)
        ccount = np.concatenate([lead, np.cumsum(observed, axis=1)], axis=1)
        czero = np.concatenate([lead, np.cumsum(observed & (filled == 0), axis=1)], axis=1)
        # cumulative arrays at column j hold the total of columns < j
        out = [z[rows, cols - lag] for lag in self.lags_]

        def window(c: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
            count = ccount[rows, cols] - ccount[rows, cols - w]
            return c[rows, cols] - c[rows, cols - w], count

        with np.errstate(invalid="ignore", divide="ignore"):
            for w in self.windows_:
                total, count = window(csum, w)
                out.append(np.where(count > 0, total / count, np.nan))
            w = self.windows_[1]
            total, count = window(csum, w)
            squares, _ = window(csq, w)
            mean = total / count
            out.append(np.where(count > 1, np.sqrt(np.maximum(squares / count - mean**2, 0)), np.nan))
            zeros, count = window(czero, self.windows_[-1])
            out.append(np.where(count > 0, zeros / count, np.nan))
        position = np.where(observed & (filled > 0), np.arange(z.shape[1]), -1)
        np.maximum.accumulate(position, axis=1, out=position)
        last_hit = position[rows, cols - 1]
        # Capped at the look-back window so that forecasting from a window of the matrix
        # (`_recursive`) sees the same value as training on the whole of it.
        since = cols - last_hit
        out.append(np.where((last_hit >= 0) & (since < self.pad_), since, np.nan))
        numeric = np.column_stack(out).astype(np.float32)
        return np.concatenate([numeric, self.series_stats_[series], context], axis=1)

    def _training_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Design matrix, target and column of the observed history cells (eligible series
        only, and not a series' first period, which has no lag).

        Beyond `max_train_rows` cells a seeded uniform sample is taken: a global model learns
        the shared patterns from a few hundred thousand rows, and fitting time grows with rows.
        """
        width = self.panel_.width
        values = self.panel_.values
        start = self.panel_.width - self.panel_.length
        rows, cols = np.nonzero(~np.isnan(values))
        keep = self.eligible_[rows] & (cols > start[rows])
        rows, cols = rows[keep], cols[keep]
        if len(rows) > self.max_train_rows:
            rng = np.random.default_rng(self.seed)
            pick = np.sort(rng.choice(len(rows), self.max_train_rows, replace=False))
            rows, cols = rows[pick], cols[pick]
        z = self._scaled(width)
        x = self._design(z, rows, cols + self.pad_, rows, self.context_[rows, cols])
        return x, z[rows, cols + self.pad_].astype(np.float32), cols

    # ---------------------------------------------------------------- train
    def _params(self) -> dict:
        return {
            "objective": self.objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": 50,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.n_jobs,
            "verbosity": -1,
        }

    def _dataset(self, x: np.ndarray, y: np.ndarray, reference: lgb.Dataset | None = None):
        categorical = [self.feature_names_.index(f"cat_{c}") for c in self.text_]
        return lgb.Dataset(
            x,
            y,
            feature_name=self.feature_names_,
            categorical_feature=categorical or "auto",
            reference=reference,
            free_raw_data=True,
        )

    def _train(
        self,
        x: np.ndarray,
        y: np.ndarray,
        rounds: int,
        bar,
        label: str,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> lgb.Booster:
        data = self._dataset(x, y)
        callbacks: list[Callable] = []
        sets = []
        if valid is not None and len(valid[1]):
            sets = [self._dataset(valid[0], valid[1], reference=data)]
            callbacks.append(lgb.early_stopping(25, verbose=False))
        if bar is not None:
            task = bar.add_task(f"LightGBM {label}", total=rounds)
            callbacks.append(lambda env: bar.update(task, completed=env.iteration + 1))
        return lgb.train(self._params(), data, num_boost_round=rounds, valid_sets=sets, callbacks=callbacks)

    def _calibration_errors(self, booster: lgb.Booster, origin: int, bar) -> np.ndarray | None:
        """Forecast the held-out periods from `origin`; quantiles of the scaled errors per step.

        Only series with `min_history` periods before the origin take part (a seeded sample of
        `_MAX_CALIBRATION_SERIES` of them in large panels); None if none do.
        """
        before = self.panel_.length - self.cal_h_
        rows = np.nonzero(self.eligible_ & (before >= self.min_history))[0]
        if not len(rows):
            return None
        if len(rows) > _MAX_CALIBRATION_SERIES:
            rng = np.random.default_rng(self.seed)
            rows = np.sort(rng.choice(rows, _MAX_CALIBRATION_SERIES, replace=False))
        width = self.panel_.width
        z = self._scaled(origin, extra=self.cal_h_)
        context = self.context_[rows, origin:width]
        pred = self._recursive(booster, z, rows, origin, self.cal_h_, context, bar)
        actual = self.panel_.values[rows, origin:width] / self.scale_[rows, None]
        spread = self.spread_[rows, None] / self.scale_[rows, None]
        errors = (actual - pred) / spread
        # Mean demand (in units of the series' spread) where the median forecast was zero: a
        # plan needs the expected demand, and the median of intermittent demand is often zero.
        zero = (pred <= _NEAR_ZERO) & np.isfinite(errors)
        self.zero_mean_ = float(errors[zero].mean()) if zero.any() else 0.0
        return _error_quantiles(errors, self.levels_)

    # -------------------------------------------------------------- predict
    def _recursive(
        self,
        booster: lgb.Booster,
        z: np.ndarray,
        rows: np.ndarray,
        origin: int,
        h: int,
        context: np.ndarray,
        bar,
    ) -> np.ndarray:
        """Forecast `h` steps after panel column `origin` - 1 for `rows`; scaled, (len(rows), h).

        `z` is the padded scaled matrix with room for the h steps; each step's forecast becomes
        the next step's newest lag.
        """
        # Features look back at most pad_ - 1 columns, so a window of the matrix suffices.
        z = z[rows, origin : self.pad_ + origin + h].copy()
        local = np.arange(len(rows))
        out = np.empty((len(rows), h))
        task = bar.add_task("forecast steps", total=h) if bar is not None else None
        for k in range(h):
            col = np.full(len(rows), self.pad_ + k)
            x = self._design(z, local, col, rows, context[:, k])
            out[:, k] = np.maximum(booster.predict(x, num_threads=self.n_jobs), 0)
            z[local, col] = out[:, k]
            if task is not None:
                bar.update(task, advance=1)
        return out

    def predict(self, h: int, future: pl.DataFrame | None = None) -> pl.DataFrame:
        """Forecast `h` periods after each series' last date.

        Args:
            h: horizon in periods.
            future: key columns, `date` and future values of the exogenous columns; values it
                lacks are carried forward from each series' last known value.
        """
        h = check_horizon(h)
        panel = self.panel_
        n = panel.series.height
        avg_point, avg_q = self.average_.forecast_arrays(h)
        tsb_point, tsb_q = self.fallback_.forecast_arrays(h)
        use_tsb = self.intermittent_[:, None]
        point = np.where(use_tsb, tsb_point, avg_point)
        quant = np.where(use_tsb[:, :, None], tsb_q, avg_q)
        model = np.where(self.intermittent_, TSB.name, MovingAverage.name).astype(object)

        rows = np.nonzero(self.eligible_)[0] if self.booster_ is not None else np.array([], int)
        if len(rows):
            context = self._future_context(h, future)[rows]
            z = self._scaled(panel.width, extra=h)
            with _progress(self.progress) as bar:
                pred = self._recursive(self.booster_, z, rows, panel.width, h, context, bar)
            scale = self.scale_[rows, None]
            lgb_point = pred * scale
            offsets = _step_offsets(self.errors_, h)
            spread = self.spread_[rows, None, None]
            lgb_q = lgb_point[:, :, None] + offsets[None, :, :] * spread
            if self.mean_when_zero:
                # the series' own expected demand (TSB: demand probability × size, smoothed) or
                # the calibration's mean where the median was zero, whichever is larger: a
                # global mean alone is ~0 when dead series dominate the zero forecasts, and left
                # series that still sell planned at zero
                # the median of intermittent demand is often zero; a plan needs the mean. Where
                # the median is ~0: the calibration's mean there (in the series' scale), and at
                # least the series' own TSB forecast (demand probability × size) — the global
                # mean alone is ~0 when dead series dominate, and left series that still sell
                # planned at zero
                zero = pred <= _NEAR_ZERO
                when_zero = np.maximum(np.maximum(self.zero_mean_ * spread[:, :, 0], 0.0), tsb_point[rows])
                lgb_point = np.where(zero, when_zero, lgb_point)
            good = np.isfinite(lgb_point).all(axis=1) & np.isfinite(lgb_q).all(axis=(1, 2))
            rows = rows[good]
            point[rows] = lgb_point[good]
            quant[rows] = lgb_q[good]
            model[rows] = self.name
        return forecast_frame(panel, np.arange(n), point, quant, self.levels_, model)

    def _future_context(self, h: int, future: pl.DataFrame | None) -> np.ndarray:
        """Context features of the h future periods of every series, (n, h, k)."""
        panel = self.panel_
        grid = future_grid(panel, h).join(panel.series.select(["_s", *panel.keys]), on="_s")
        features = [*self.numeric_, *(c for c in self.text_ if c != "location")]
        if future is not None and features:
            given = [c for c in features if c in future.columns]
            if given:
                future = future.select([*panel.keys, "date", *given]).with_columns(
                    pl.col(k).cast(pl.Utf8) for k in panel.keys
                )
                grid = grid.join(future, on=[*panel.keys, "date"], how="left")
        # Carry each series' last known value into the future periods it lacks.
        schema = panel.frame.schema
        grid = grid.sort("_s", "_k").with_columns(
            pl.col(c).cast(schema[c], strict=False).forward_fill().over("_s")
            if c in grid.columns
            else pl.lit(None, dtype=schema[c]).alias(c)
            for c in features
        )
        if features:
            last = panel.frame.group_by("_s").agg(pl.col(c).drop_nulls().last().alias(f"{c}__last") for c in features)
            grid = grid.join(last, on="_s", how="left").with_columns(
                pl.coalesce(c, f"{c}__last").alias(c) for c in features
            )
        block = self._context_block(grid, grid["_s"].to_numpy())
        return block.reshape(panel.series.height, h, -1)


def _lags_and_windows(freq: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n, unit = parse_freq(freq)
    if n == 1:
        return _LAGS[unit], _WINDOWS[unit]
    m = season_length(freq)
    lags = tuple(sorted({*range(1, min(m, 8) + 1), m}))
    windows = tuple(sorted({max(2, m // 4), max(3, m // 2), max(4, m)}))
    return lags, windows


def _spread(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Per-series size of one-step changes: mean |y_t - y_(t-1)| from the first non-zero demand
    on (the MASE scale); the mean level where that is zero or undefined, else 1."""
    started = np.cumsum(np.nan_to_num(values), axis=1) > 0
    steps = np.abs(np.diff(np.where(started, values, np.nan), axis=1))
    count = (~np.isnan(steps)).sum(axis=1)
    spread = np.nansum(steps, axis=1) / np.maximum(count, 1)
    return np.where(spread > 0, spread, np.where(scale > 0, scale, 1.0))


def _error_quantiles(errors: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """Quantiles (steps, levels) of scaled calibration errors, per step or pooled over steps."""
    per_step = (~np.isnan(errors)).sum(axis=0)
    pooled = np.nanquantile(errors, levels) if np.isfinite(errors).any() else np.zeros(len(levels))
    out = np.tile(pooled, (errors.shape[1], 1))
    for k in np.nonzero(per_step >= _MIN_PER_STEP)[0]:
        out[k] = np.nanquantile(errors[:, k], levels)
    return out


def _step_offsets(errors: np.ndarray, h: int) -> np.ndarray:
    """Scaled quantile offsets (h, levels) for steps 1..h from the calibration quantiles."""
    cal_h = errors.shape[0]
    steps = np.arange(1, h + 1)
    base = errors[np.minimum(steps, cal_h) - 1]
    widen = np.sqrt(np.maximum(steps / cal_h, 1.0))
    return base * widen[:, None]


def _progress(enabled: bool):
    """A rich progress display, or nothing."""
    if not enabled:
        return nullcontext(None)
    from rich.progress import Progress

    return Progress(transient=True)
