"""Build the compact Parquet files the forecasting benchmarks read, from /work/shared/data.

Run once (the outputs are committed): `python benchmarks/data/prepare_forecast_data.py`.
Each output is long format with the scm demand columns (`sku`, `location`, `date`, `qty`)
plus features; see SOURCE.md beside this file for origins and every change made.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import polars as pl

SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data")
OUT = Path(__file__).parent


def dominicks_oj() -> pl.DataFrame:
    """Store x brand weekly units with own price, the other brands' mean price, deal, feat."""
    raw = pl.read_csv(SHARED / "dominicks_oj" / "oj_yx.csv")
    prices = [f"price{b}" for b in range(1, 12)]
    own = pl.coalesce([pl.when(pl.col("brand") == b).then(pl.col(f"price{b}")) for b in range(1, 12)])
    others = (pl.sum_horizontal(prices) - own) / 10
    return raw.select(
        pl.format("brand{}", pl.col("brand").cast(pl.Utf8).str.zfill(2)).alias("sku"),
        pl.format("store{}", pl.col("store").cast(pl.Utf8).str.zfill(3)).alias("location"),
        # week 40 is the week of 1989-09-14 (SOURCE.md of the shared data)
        (pl.lit(dt.date(1989, 9, 14)) + pl.duration(weeks=pl.col("week") - 40)).alias("date"),
        pl.col("logmove").exp().round(0).cast(pl.Float32).alias("qty"),
        own.cast(pl.Float32).alias("price"),
        others.cast(pl.Float32).alias("other_price"),
        pl.col("deal").cast(pl.Float32),
        pl.col("feat").cast(pl.Float32),
    ).sort("sku", "location", "date")


def stallion() -> pl.DataFrame:
    """Agency x SKU monthly volume with prices, discount and event flags."""
    raw = pl.read_csv(SHARED / "stallion" / "stallion.csv", try_parse_dates=True)
    events = [
        "easter_day",
        "good_friday",
        "new_year",
        "christmas",
        "labor_day",
        "independence_day",
        "revolution_day_memorial",
        "regional_games",
        "fifa_u_17_world_cup",
        "football_gold_cup",
        "beer_capital",
        "music_fest",
    ]
    return raw.select(
        "sku",
        pl.col("agency").alias("location"),
        pl.col("date").cast(pl.Date),
        pl.col("volume").cast(pl.Float32).alias("qty"),
        *[pl.col(c).cast(pl.Float32) for c in ("price_regular", "price_actual", "discount_in_percent")],
        pl.sum_horizontal(events).cast(pl.Float32).alias("events"),
    ).sort("sku", "location", "date")


def carparts() -> pl.DataFrame:
    """Monthly part demand; NA months (trailing months of 165 discontinued parts) dropped."""
    raw = pl.read_csv(SHARED / "carparts" / "carparts_long.csv", schema_overrides={"part_id": pl.Utf8})
    return (
        raw.filter(pl.col("demand").is_not_null())
        .select(
            pl.col("part_id").alias("sku"),
            (pl.col("month") + "-01").str.to_date().alias("date"),
            pl.col("demand").cast(pl.Float32).alias("qty"),
        )
        .sort("sku", "date")
    )


def m5_small() -> pl.DataFrame:
    """Eight FOODS_1 items, daily, with price and event-type flags."""
    raw = pl.read_csv(SHARED / "m5_small" / "m5_sales_exog_small.csv", try_parse_dates=True)
    return raw.select(
        pl.col("unique_id").alias("sku"),
        pl.col("ds").cast(pl.Date).alias("date"),
        pl.col("y").cast(pl.Float32).alias("qty"),
        pl.col("sell_price").cast(pl.Float32).alias("price"),
        *[pl.col(c).cast(pl.Float32).alias(c.lower()) for c in raw.columns if c.startswith("event_")],
    ).sort("sku", "date")


def main() -> None:
    for name, build in [
        ("dominicks_oj", dominicks_oj),
        ("stallion", stallion),
        ("carparts", carparts),
        ("m5_small", m5_small),
    ]:
        df = build()
        path = OUT / f"{name}.parquet"
        df.write_parquet(path, compression="zstd", compression_level=19)
        print(f"{path}: {df.height} rows, {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
