"""Time buckets: infer the frequency of a table, aggregate rows into periods, fill gaps.

Day and week buckets are anchored at the first date of the table (weekly data dated on
Thursdays stays on Thursdays); month, quarter and year buckets start on the first of the
month. A bucket at either end that the data covers only in part (e.g. the last three days
of a week when aggregating daily rows) is dropped, since a partial week would read as a
drop in demand. A period missing inside a series' span is zero demand.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from scm.errors import InputError

_FREQ_RE = re.compile(r"^(\d+)(d|w|mo|q|y)$")
_DAYS = {"d": 1, "w": 7}
_MONTHS = {"mo": 1, "q": 3, "y": 12}


def parse_freq(freq: str) -> tuple[int, str]:
    """Split a polars duration such as ``1w`` into (count, unit); only whole units are allowed."""
    m = _FREQ_RE.match(str(freq).strip().lower())
    if not m or int(m.group(1)) <= 0:
        raise InputError(
            f"unknown frequency '{freq}'", source="--freq", fix="use a polars duration: 1d, 1w, 1mo, 1q, 1y"
        )
    return int(m.group(1)), m.group(2)


def periods_per_year(freq: str) -> float:
    """How many periods of `freq` make a year (365.25 days)."""
    n, unit = parse_freq(freq)
    if unit in _DAYS:
        return 365.25 / (n * _DAYS[unit])
    return 12.0 / (n * _MONTHS[unit])


def season_length(freq: str) -> int:
    """The natural season in periods: a week of days, a year of weeks, months or quarters."""
    n, unit = parse_freq(freq)
    if unit == "d":
        return max(1, 7 // n)
    if unit == "w":
        return max(1, round(52 / n))
    return max(1, 12 // (n * _MONTHS[unit]))


# Default horizon per period unit: four weeks of days, a quarter of weeks, half a year of
# months, a year of quarters, two years.
DEFAULT_HORIZON = {"d": 28, "w": 13, "mo": 6, "q": 4, "y": 2}


def default_horizon(freq: str) -> int:
    """The horizon used when none is given."""
    n, unit = parse_freq(freq)
    return max(1, DEFAULT_HORIZON[unit] // n)


def infer_freq(dates: pl.Series) -> str:
    """Infer the frequency of a date column.

    Dates that all fall on one day of the month (or all on month ends) are monthly, quarterly or
    yearly by their smallest step in months; other dates go by their smallest step in days.
    """
    uniq = dates.drop_nulls().unique().sort()
    if len(uniq) < 2:
        raise InputError(
            "cannot infer the frequency from fewer than two distinct dates",
            source="--freq",
            fix="pass --freq 1d, 1w or 1mo",
        )
    days = uniq.dt.day()
    month_end = uniq.dt.offset_by("1d").dt.day() == 1
    if days.n_unique() == 1 or month_end.all():
        months = (uniq.dt.year() * 12 + uniq.dt.month()).diff().drop_nulls()
        step = int(months.min())
        if step >= 1:
            return {1: "1mo", 3: "1q", 12: "1y"}.get(step, f"{step}mo")
    step = int(uniq.diff().drop_nulls().dt.total_days().min())
    if step <= 1:
        return "1d"
    if step % 7 == 0:
        return f"{step // 7}w"
    return f"{step}d"


def bucket(dates: pl.Expr, freq: str, anchor: dt.date) -> pl.Expr:
    """Map dates to the start of their period."""
    n, unit = parse_freq(freq)
    if unit in _DAYS:
        step = n * _DAYS[unit]
        offset = (dates - pl.lit(anchor)).dt.total_days()
        return pl.lit(anchor) + pl.duration(days=(offset // step) * step)
    return dates.dt.truncate(f"{n * _MONTHS[unit]}mo")


def add_periods(date: dt.date, freq: str, k: int) -> dt.date:
    """The date `k` periods after `date`."""
    n, unit = parse_freq(freq)
    if unit in _DAYS:
        return date + dt.timedelta(days=k * n * _DAYS[unit])
    months = k * n * _MONTHS[unit]
    y, m = divmod(date.month - 1 + months, 12)
    return dt.date(date.year + y, m + 1, 1)


def future_dates(last: dt.date, freq: str, horizon: int) -> list[dt.date]:
    """The `horizon` period starts after the period starting at `last`."""
    return [add_periods(last, freq, k) for k in range(1, horizon + 1)]


def to_periods(
    demand: pl.DataFrame,
    freq: str,
    keys: list[str],
    *,
    value: str = "qty",
    anchor: dt.date | None = None,
    fill_gaps: bool = True,
) -> pl.DataFrame:
    """Aggregate a long table into `freq` periods: `value` summed, feature columns averaged.

    Partly covered buckets at either end of the table are dropped when the rows are finer
    than `freq`; gaps inside each series' span get zero `value` and the nearest feature values.
    """
    if demand.height == 0:
        return demand
    raw = infer_freq(demand["date"]) if demand["date"].n_unique() > 1 else freq
    first, last = demand["date"].min(), demand["date"].max()
    anchor = anchor or first
    features = [c for c in demand.columns if c not in (*keys, "date", value)]
    numeric = [c for c in features if demand.schema[c].is_numeric() or demand.schema[c] == pl.Boolean]
    other = [c for c in features if c not in numeric]
    out = (
        demand.with_columns(bucket(pl.col("date"), freq, anchor).alias("date"))
        .group_by([*keys, "date"], maintain_order=True)
        .agg(
            pl.col(value).sum(),
            *[pl.col(c).cast(pl.Float64).mean() for c in numeric],
            *[pl.col(c).drop_nulls().first() for c in other],
        )
    )
    if _step_days(raw) < _step_days(freq):
        first_bucket, last_bucket = out["date"].min(), out["date"].max()
        drop = []
        if first_bucket < first:
            drop.append(first_bucket)
        if add_periods(last_bucket, freq, 1) > last + dt.timedelta(days=_step_days(raw)):
            drop.append(last_bucket)
        if drop and out["date"].n_unique() > len(drop):
            out = out.filter(~pl.col("date").is_in(drop))
    if fill_gaps:
        out = fill_series_gaps(out, freq, keys, value=value, features=features)
    return out.sort([*keys, "date"])


def bucket_features(df: pl.DataFrame, freq: str, keys: list[str], anchor: dt.date) -> pl.DataFrame:
    """Put a table of feature values (e.g. the future table) on the period grid that starts at
    `anchor`: several rows in one period are averaged (numeric) or the first is kept (text)."""
    features = [c for c in df.columns if c not in (*keys, "date")]
    numeric = [c for c in features if df.schema[c].is_numeric() or df.schema[c] == pl.Boolean]
    return (
        df.with_columns(bucket(pl.col("date"), freq, anchor).alias("date"))
        .group_by([*keys, "date"], maintain_order=True)
        .agg(
            *[pl.col(c).cast(pl.Float64).mean() for c in numeric],
            *[pl.col(c).drop_nulls().first() for c in features if c not in numeric],
        )
    )


def _step_days(freq: str) -> float:
    n, unit = parse_freq(freq)
    return n * _DAYS[unit] if unit in _DAYS else n * _MONTHS[unit] * 30.4


def fill_series_gaps(
    df: pl.DataFrame, freq: str, keys: list[str], *, value: str = "qty", features: list[str] | None = None
) -> pl.DataFrame:
    """Insert the missing periods inside each series' span: zero `value`, features carried over."""
    features = features if features is not None else [c for c in df.columns if c not in (*keys, "date", value)]
    n, unit = parse_freq(freq)
    interval = f"{n * _DAYS[unit]}d" if unit in _DAYS else f"{n * _MONTHS[unit]}mo"
    spans = df.group_by(keys).agg(
        pl.date_ranges(pl.col("date").min(), pl.col("date").max(), interval=interval).first().alias("date")
    )
    grid = spans.explode("date")
    if grid.height == df.height:
        return df
    full = grid.join(df, on=[*keys, "date"], how="left").sort([*keys, "date"])
    return full.with_columns(
        pl.col(value).fill_null(0.0),
        *[pl.col(c).forward_fill().backward_fill().over(keys) for c in features],
    )
