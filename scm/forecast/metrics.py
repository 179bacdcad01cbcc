"""Forecast accuracy metrics as polars expressions, for any grouping (overall, per series, ...).

Definitions (y actual, f point forecast, q_a the quantile forecast at level a, sums over the
rows of a group):
- WAPE = sum|y - f| / sum y.
- bias = sum(f - y) / sum y (positive: over-forecast).
- MASE = mean|y - f| / s1 per series and backtest window, s1 = mean |y_t - y_(t-1)| over that
  window's training history from the series' first non-zero demand on (the in-sample one-step
  naive error, as in the M5 RMSSE, which also skips the zeros before a product's launch); a
  group's MASE is the mean over its series-windows with s1 > 0.
- RMSSE = sqrt(mean (y - f)^2 / s2), s2 = mean (y_t - y_(t-1))^2; aggregated like MASE.
- pinball = mean over the quantile levels a of sum max(a (y - q_a), (a - 1)(y - q_a)) / sum y
  (scaled like WAPE, so it compares across data sets; with the single level 0.5 it is WAPE / 2).
- coverage_pXX = share of rows with y <= q_a; coverage_pLO_pHI = share inside [q_lo, q_hi]
  for the outermost pair of levels.
"""

from __future__ import annotations

import polars as pl

from scm.forecast.base import quantile_name


def wape(actual: str = "actual", forecast: str = "qty") -> pl.Expr:
    """Weighted absolute percentage error of a group (NaN when the group's actuals sum to 0)."""
    return (pl.col(forecast) - pl.col(actual)).abs().sum() / _total(actual)


def bias(actual: str = "actual", forecast: str = "qty") -> pl.Expr:
    """Relative bias of a group: total over-forecast over total actual."""
    return (pl.col(forecast) - pl.col(actual)).sum() / _total(actual)


def pinball(level: float, actual: str = "actual", forecast: str | None = None) -> pl.Expr:
    """Total pinball loss of the quantile forecast at `level` (unscaled)."""
    diff = pl.col(actual) - pl.col(forecast or quantile_name(level))
    return pl.max_horizontal(level * diff, (level - 1) * diff).sum()


def scaled_pinball(levels: tuple[float, ...], actual: str = "actual") -> pl.Expr:
    """Mean over `levels` of total pinball loss divided by total actual."""
    losses = [pinball(lv, actual) for lv in levels]
    return pl.sum_horizontal(losses) / len(levels) / _total(actual)


def coverage(level: float, actual: str = "actual") -> pl.Expr:
    """Share of rows whose actual is at or below the quantile forecast at `level`."""
    return (pl.col(actual) <= pl.col(quantile_name(level))).mean()


def interval_coverage(low: float, high: float, actual: str = "actual") -> pl.Expr:
    """Share of rows whose actual lies within [q_low, q_high]."""
    inside = (pl.col(actual) >= pl.col(quantile_name(low))) & (pl.col(actual) <= pl.col(quantile_name(high)))
    return inside.mean()


def scaled_errors(actual: str = "actual", forecast: str = "qty") -> list[pl.Expr]:
    """Per series-window MASE and RMSSE terms; group by series and window, then average."""
    err = pl.col(forecast) - pl.col(actual)
    return [
        (err.abs().mean() / pl.col("scale_abs").first()).alias("mase"),
        (((err**2).mean() / pl.col("scale_sq").first()).sqrt()).alias("rmsse"),
    ]


def naive_scales(history: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per series: `scale_abs` = mean |y_t - y_(t-1)|, `scale_sq` = mean (y_t - y_(t-1))^2,
    from the series' first non-zero demand on."""
    diff = pl.col("qty").diff()
    return (
        history.sort([*keys, "date"])
        .filter(pl.col("qty").cum_sum().over(keys) > 0)
        .group_by(keys)
        .agg(diff.abs().mean().alias("scale_abs"), (diff**2).mean().alias("scale_sq"))
    )


def summarize(rows: pl.DataFrame, by: list[str], levels: tuple[float, ...]) -> pl.DataFrame:
    """All metrics per group `by` of a frame with actual, qty, quantile, scale and window columns.

    Args:
        rows: one row per series, window and date, with `actual`, `qty`, the quantile columns,
            `scale_abs`, `scale_sq`, the key columns and `cutoff`.
        by: grouping columns (e.g. ["model"] or keys + ["model"]).
        levels: quantile levels present in `rows`.
    """
    keys = [c for c in ("sku", "location") if c in rows.columns]
    quantile_metrics = [coverage(lv).alias(f"coverage_{quantile_name(lv)}") for lv in levels]
    if len(levels) >= 2:
        low, high = levels[0], levels[-1]
        quantile_metrics.append(
            interval_coverage(low, high).alias(f"coverage_{quantile_name(low)}_{quantile_name(high)}")
        )
    if levels:
        quantile_metrics.append(scaled_pinball(levels).alias("pinball"))
    totals = rows.group_by(by, maintain_order=True).agg(
        wape().alias("wape"),
        bias().alias("bias"),
        *quantile_metrics,
        pl.struct(keys).n_unique().alias("series"),
        pl.len().alias("forecasts"),
    )
    # MASE and RMSSE: per series-window first, then averaged over the group (constant
    # histories, whose scale is zero, are left out).
    per_window = rows.group_by(list(dict.fromkeys([*by, *keys, "cutoff"]))).agg(scaled_errors())
    scaled = per_window.group_by(by).agg(
        pl.col("mase").filter(pl.col("mase").is_finite()).mean(),
        pl.col("rmsse").filter(pl.col("rmsse").is_finite()).mean(),
    )
    ordered = ["wape", "mase", "rmsse", "bias", *[e.meta.output_name() for e in quantile_metrics]]
    return totals.join(scaled, on=by, how="left").select([*by, *ordered, "series", "forecasts"])


def _total(actual: str) -> pl.Expr:
    total = pl.col(actual).sum()
    return pl.when(total > 0).then(total).otherwise(None)
