"""Fit + predict time and peak memory of the LightGBM forecaster on 30,000 weekly series x 3 years.

Usage:
    python benchmarks/forecast_speed.py [--series 30000] [--weeks 156] [--horizon 13] [--threads 2]

The data are generated with a realistic shape: a log-normal spread of volumes across series,
yearly seasonality, a price with occasional discounts and a promotion flag that lift demand,
and a third of the series intermittent (most weeks zero). Peak memory is the process's
resident high-water mark (psutil / resource), including the generated data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import time

import numpy as np
import polars as pl

from scm.forecast import LGBMForecaster


def generate(n_series: int, weeks: int, seed: int = 0) -> pl.DataFrame:
    """Weekly demand of `n_series` series over `weeks` weeks with price and promo features."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    level = rng.lognormal(mean=2.0, sigma=1.2, size=(n_series, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n_series, 1))
    season = 1 + 0.3 * np.sin(2 * np.pi * t / 52 + phase)
    base_price = rng.uniform(1, 20, size=(n_series, 1))
    discount = rng.random((n_series, weeks)) < 0.1
    price = base_price * np.where(discount, 0.8, 1.0)
    promo = (rng.random((n_series, weeks)) < 0.08).astype(float)
    rate = level * season * np.where(discount, 1.6, 1.0) * (1 + 0.8 * promo)
    intermittent = rng.random((n_series, 1)) < 1 / 3
    rate = np.where(intermittent, rate * 0.1, rate)
    qty = rng.poisson(rate).astype(float)
    start = dt.date(2021, 1, 4)
    dates = pl.date_range(start, start + dt.timedelta(weeks=weeks - 1), "1w", eager=True)
    return pl.DataFrame(
        {
            "sku": np.repeat([f"SKU{i:05d}" for i in range(n_series)], weeks),
            "date": np.tile(dates.to_numpy(), n_series),
            "qty": qty.ravel(),
            "price": price.ravel().round(2),
            "promo": promo.ravel(),
        }
    ).with_columns(pl.col("date").cast(pl.Date))


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=30_000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--horizon", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2, help="LightGBM threads (n_jobs)")
    args = parser.parse_args()

    demand = generate(args.series, args.weeks)
    print(f"{args.series} series x {args.weeks} weeks = {demand.height:,} rows; data {peak_memory_mb():.0f} MB")
    model = LGBMForecaster("1w", n_jobs=args.threads)
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(demand)
    fitted = time.perf_counter()
    fc = model.predict(args.horizon)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    print(
        f"fit {fitted - start:.1f} s, predict {done - fitted:.1f} s, fit+predict {done - start:.1f} s wall, "
        f"{cpu:.1f} s CPU ({args.threads} LightGBM threads; load average before the run {load:.1f})"
    )
    print(f"boosting rounds {model.booster_.num_trees()}, models used {dict(fc['model'].value_counts().iter_rows())}")
    print(f"peak memory {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    main()
