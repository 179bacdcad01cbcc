"""The bundled example: 280 Walmart item-store series (M5 slice) with prices, SNAP days and events.

`load_example()` returns the daily demand history, an items table derived from it by the rule
below, and a storage resource per store. See `scm/data/SOURCE.md` for the origin and licence.

Items rule (the data has prices, not costs; the rest are stated assumptions):
- `unit_cost` = 70% of the series' median selling price (a 30% retail gross margin),
  rounded to cents;
- `lead_time` in weeks by category: FOODS 1, HOUSEHOLD 2, HOBBIES 3;
- no fixed order cost, MOQ or lot size, so the example is a linear program that solves in well
  under a second (add an `order_cost` column to see the MIP);
- `initial_inventory` = the series' mean weekly sales over the last four weeks × lead time,
  rounded (stock to cover demand until the first order can arrive);
- `holding_cost`, `service_level` and `shortage_cost`: the contract's defaults.
Storage: one resource per store, `capacity` = 2 × the store's mean weekly units over the last
52 weeks, rounded; every unit uses one unit of its store's storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources as importlib_resources

import polars as pl

EXAMPLE_FREQ = "1w"
EXAMPLE_HORIZON = 13
LEAD_TIME_WEEKS = {"FOODS": 1, "HOUSEHOLD": 2, "HOBBIES": 3}


@dataclass(frozen=True)
class Example:
    """The bundled example tables and the frequency and horizon it is planned at."""

    demand: pl.DataFrame
    items: pl.DataFrame
    resources: pl.DataFrame
    usage: pl.DataFrame
    freq: str = EXAMPLE_FREQ
    horizon: int = EXAMPLE_HORIZON


def example_path() -> str:
    """Path of the bundled Parquet file."""
    return str(importlib_resources.files("scm.data").joinpath("m5_example.parquet"))


def load_example() -> Example:
    """Load the bundled M5 example: daily demand, derived items, per-store storage."""
    demand = pl.read_parquet(example_path()).with_columns(
        pl.col("sku").cast(pl.Utf8),
        pl.col("location").cast(pl.Utf8),
        pl.col("qty").cast(pl.Float64),
        *[
            pl.col(c).cast(pl.Float64)
            for c in ("price", "snap", "event", "event_sporting", "event_cultural", "event_national", "event_religious")
        ],
    )
    last = demand["date"].max()
    recent4 = demand.filter(pl.col("date") > last - pl.duration(days=28))
    recent52 = demand.filter(pl.col("date") > last - pl.duration(days=364))
    items = (
        demand.group_by("sku", "location")
        .agg(pl.col("price").median().alias("median_price"))
        .join(
            recent4.group_by("sku", "location").agg((pl.col("qty").sum() / 4).alias("weekly")),
            on=["sku", "location"],
            how="left",
        )
        .with_columns(
            (pl.col("median_price") * 0.7).round(2).clip(lower_bound=0.01).alias("unit_cost"),
            pl.col("sku").str.split("_").list.first().replace_strict(LEAD_TIME_WEEKS).alias("lead_time"),
        )
        .with_columns(
            (pl.col("weekly").fill_null(0) * pl.col("lead_time")).round(0).alias("initial_inventory"),
        )
        .select("sku", "location", "unit_cost", "lead_time", "initial_inventory")
        .sort("sku", "location")
    )
    resources = (
        recent52.group_by("location")
        .agg((pl.col("qty").sum() / 52 * 2).round(0).alias("capacity"))
        .select(("storage_" + pl.col("location")).alias("resource"), pl.lit("storage").alias("kind"), "capacity")
        .sort("resource")
    )
    usage = items.select(
        "sku",
        "location",
        ("storage_" + pl.col("location")).alias("resource"),
        pl.lit(1.0).alias("per_unit"),
        pl.lit(0.0).alias("per_order"),
    )
    return Example(demand=demand, items=items, resources=resources, usage=usage)
