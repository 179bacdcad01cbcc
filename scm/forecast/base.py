"""The Forecaster protocol and the panel every model works on.

A *panel* holds the demand history as one numpy matrix: a row per series, a column per
period, right-aligned so that the last column is each series' own last period. Columns
to the left of a series' first period, and periods missing inside a series' span, are
NaN (unknown, not zero: `scm.periods.to_periods` has already turned the contract's
"missing period = zero demand" into explicit zero rows). Models then work on whole
columns at once instead of looping over series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Self

import numpy as np
import polars as pl

from scm.errors import InputError, fmt_items
from scm.periods import future_dates, parse_freq
from scm.schema import key_columns, series_labels

DEFAULT_QUANTILES = (0.1, 0.5, 0.9)
_DAY_STEPS = {"d": 1, "w": 7}
_MONTH_STEPS = {"mo": 1, "q": 3, "y": 12}


class Forecaster(Protocol):
    """What every forecasting model of scm offers (sklearn style: settings in `__init__`)."""

    def fit(self, demand: pl.DataFrame) -> Self:
        """Learn from a validated, bucketed demand history; returns self."""
        ...

    def predict(self, h: int, future: pl.DataFrame | None = None) -> pl.DataFrame:
        """Forecast `h` periods after each series' last date: keys, date, qty, p.., model."""
        ...


def quantile_name(q: float) -> str:
    """Column name of quantile level `q`: 0.1 -> p10, 0.025 -> p2_5."""
    pct = round(100 * q, 6)
    if pct == int(pct):
        return f"p{int(pct)}"
    return "p" + f"{pct:g}".replace(".", "_")


def check_quantiles(quantiles: tuple[float, ...] | list[float]) -> tuple[float, ...]:
    """Validate quantile levels (each in (0, 1)) and return them sorted and unique."""
    levels = tuple(sorted({float(q) for q in quantiles}))
    bad = [q for q in levels if not (0.0 < q < 1.0) or math.isnan(q)]
    if bad:
        raise InputError(
            f"quantile levels must lie strictly between 0 and 1, got {fmt_items(bad)}",
            source="--quantiles",
            fix="pass levels such as 0.1,0.5,0.9",
        )
    return levels


MAX_HORIZON = 10_000  # periods: 27 years of days, far beyond any plan; guards against typos


def check_horizon(h: int, source: str = "--horizon") -> int:
    """A horizon (or a step between backtest origins) is a whole number of periods, 1..MAX_HORIZON."""
    if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
        raise InputError(f"must be a whole number >= 1, got {h!r}", source=source)
    if h > MAX_HORIZON:
        raise InputError(f"{h} periods is more than scm plans ({MAX_HORIZON})", source=source)
    return int(h)


def periods_between(later: pl.Expr, earlier: pl.Expr, freq: str) -> pl.Expr:
    """Number of `freq` periods from `earlier` to `later` (a float; whole on the grid)."""
    n, unit = parse_freq(freq)
    if unit in _DAY_STEPS:
        return (later - earlier).dt.total_days() / (n * _DAY_STEPS[unit])
    months = (later.dt.year() * 12 + later.dt.month()) - (earlier.dt.year() * 12 + earlier.dt.month())
    return months / (n * _MONTH_STEPS[unit])


@dataclass(frozen=True)
class Panel:
    """Demand history as a right-aligned matrix plus the bookkeeping to go back to frames.

    Attributes:
        keys: key column names (`sku`, or `sku` and `location`).
        series: one row per series (sorted by key), key columns and `last` (its last date).
        values: (n_series, width) demand; NaN left of a series' start and in missing periods.
        length: periods from each series' first to last date.
        frame: the input frame sorted by keys and date, with `_s` (series row) and `_c` (column).
        freq: the period length.
    """

    keys: list[str]
    series: pl.DataFrame
    values: np.ndarray
    length: np.ndarray
    frame: pl.DataFrame
    freq: str

    @property
    def width(self) -> int:
        """Number of columns of `values`."""
        return self.values.shape[1]

    @property
    def features(self) -> list[str]:
        """Exogenous columns: everything but keys, date, qty and the bookkeeping columns."""
        return [c for c in self.frame.columns if c not in (*self.keys, "date", "qty", "_s", "_c")]


def make_panel(demand: pl.DataFrame, freq: str) -> Panel:
    """Build a `Panel` from a long demand frame (keys, date, qty, features).

    Raises:
        InputError: missing columns, no rows, duplicate series-dates or dates off the grid.
    """
    missing = [c for c in ("sku", "date", "qty") if c not in demand.columns]
    if missing:
        raise InputError(f"demand lacks the column(s) {', '.join(missing)}", source="demand")
    if demand.height == 0:
        raise InputError("the demand table has no rows", source="demand")
    keys = key_columns(demand)
    df = demand.sort([*keys, "date"])
    dup = df.select(pl.struct([*keys, "date"]).is_duplicated()).to_series()
    if dup.any():
        labels = series_labels(df.filter(dup).unique(keys, maintain_order=True), keys)
        raise InputError(
            f"several rows for one period in series {fmt_items(labels)}",
            source="demand",
            fix="aggregate to periods first (scm.periods.to_periods)",
        )
    series = (
        df.group_by(keys, maintain_order=True)
        .agg(pl.col("date").max().alias("last"), pl.col("date").min().alias("first"))
        .with_row_index("_s")
    )
    offsets = periods_between(pl.col("last"), pl.col("date"), freq)
    df = df.join(series.select([*keys, "_s", "last"]), on=keys, how="left").with_columns(offsets.alias("_back"))
    off_grid = df.filter(pl.col("_back") != pl.col("_back").round(0))
    if off_grid.height:
        raise InputError(
            f"dates off the {freq} grid in series {fmt_items(series_labels(off_grid.unique(keys), keys))}",
            source="demand",
            column="date",
            fix="bucket the table to periods first (scm.periods.to_periods) or pass the right --freq",
        )
    back = df["_back"].cast(pl.Int64).to_numpy()
    width = int(back.max()) + 1
    df = df.with_columns((width - 1 - pl.col("_back").cast(pl.Int64)).alias("_c")).drop("_back", "last")
    rows = df["_s"].to_numpy()
    cols = df["_c"].to_numpy()
    values = np.full((series.height, width), np.nan)
    values[rows, cols] = df["qty"].cast(pl.Float64).to_numpy()
    length = (
        series.select(periods_between(pl.col("last"), pl.col("first"), freq) + 1).to_series().cast(pl.Int64).to_numpy()
    )
    return Panel(
        keys=keys,
        series=series.drop("first"),
        values=values,
        length=length,
        frame=df,
        freq=freq,
    )


def future_grid(panel: Panel, h: int, rows: np.ndarray | None = None) -> pl.DataFrame:
    """Series row `_s`, step `_k` (1..h) and `date` of the h periods after each series' last date.

    Dates come from `scm.periods.future_dates`, called once per distinct last date.
    """
    series = panel.series if rows is None else panel.series[rows]
    lasts = series["last"].unique()
    steps = pl.DataFrame(
        {
            "last": np.repeat(lasts.to_numpy(), h),
            "_k": np.tile(np.arange(1, h + 1), len(lasts)),
            "date": [d for last in lasts.to_list() for d in future_dates(last, panel.freq, h)],
        },
        schema={"last": pl.Date, "_k": pl.Int64, "date": pl.Date},
    )
    return series.select("_s", "last").join(steps, on="last", how="left").drop("last").sort("_s", "_k")


def forecast_frame(
    panel: Panel,
    rows: np.ndarray,
    point: np.ndarray,
    quantiles: np.ndarray,
    levels: tuple[float, ...],
    model: str | np.ndarray,
) -> pl.DataFrame:
    """Assemble the contract's forecast frame for the series `rows`.

    Args:
        panel: the fitted panel.
        rows: series rows (indices into `panel.series`) forecast here.
        point: (len(rows), h) point forecasts.
        quantiles: (len(rows), h, len(levels)) quantile forecasts.
        levels: the quantile levels.
        model: model name, for all rows or one per series.

    Clips everything at zero and sorts each row's quantiles so they are monotone in the level.
    """
    h = point.shape[1]
    grid = future_grid(panel, h, rows)
    q = np.sort(np.clip(quantiles, 0.0, None), axis=2)
    names = np.broadcast_to(np.asarray(model, dtype=object), (len(rows),))
    data = {
        "qty": np.clip(point, 0.0, None).ravel(),
        **{quantile_name(lv): q[:, :, j].ravel() for j, lv in enumerate(levels)},
        "model": np.repeat(names, h).astype(str),
    }
    keys = panel.series.select(["_s", *panel.keys])
    return (
        grid.with_columns(pl.DataFrame(data))
        .join(keys, on="_s", how="left")
        .select([*panel.keys, "date", "qty", *[quantile_name(lv) for lv in levels], "model"])
    )


def forward_fill(values: np.ndarray) -> np.ndarray:
    """Carry the last non-NaN value of each row forward along axis 1 (leading NaN stay)."""
    idx = np.where(np.isnan(values), 0, np.arange(values.shape[1]))
    np.maximum.accumulate(idx, axis=1, out=idx)
    return np.take_along_axis(values, idx, axis=1)


def last_valid(values: np.ndarray) -> np.ndarray:
    """The last non-NaN value of each row (NaN where a row has none)."""
    return forward_fill(values)[:, -1]
