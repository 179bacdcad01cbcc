"""Forecasters on tiny frames: the protocol every model keeps, fallbacks, features, determinism."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from scm.errors import InputError
from scm.forecast import MODELS, LGBMForecaster, forecast, make_forecaster, quantile_name
from scm.periods import future_dates

START = dt.date(2022, 1, 3)


def weekly(
    n_series: int = 6,
    periods: int = 60,
    *,
    location: bool = True,
    features: bool = True,
    intermittent: bool = False,
    seed: int = 1,
) -> pl.DataFrame:
    """Weekly demand with yearly seasonality, a price effect and a promo flag."""
    rng = np.random.default_rng(seed)
    t = np.arange(periods)
    rows = []
    for i in range(n_series):
        price = 2.0 + 0.5 * rng.integers(0, 2, periods)
        promo = (rng.random(periods) < 0.15).astype(float)
        level = 20 + 10 * i + 5 * np.sin(2 * np.pi * t / 52) + 15 * promo - 8 * (price - 2)
        qty = rng.poisson(np.clip(level, 0.5, None)).astype(float)
        if intermittent:
            qty = qty * (rng.random(periods) < 0.3)
        frame = {
            "sku": [f"S{i:02d}"] * periods,
            "date": [START + dt.timedelta(weeks=int(k)) for k in t],
            "qty": qty,
        }
        if location:
            frame["location"] = ["L1" if i % 2 else "L2"] * periods
        if features:
            frame["price"] = price
            frame["promo"] = promo
        rows.append(pl.DataFrame(frame))
    df = pl.concat(rows)
    keys = ["sku", "location"] if location else ["sku"]
    return df.select([*keys, "date", "qty", *[c for c in df.columns if c not in (*keys, "date", "qty")]])


def check_forecast(fc: pl.DataFrame, demand: pl.DataFrame, h: int, levels=(0.1, 0.5, 0.9)) -> None:
    """The contract of a forecast frame."""
    keys = [k for k in ("sku", "location") if k in demand.columns]
    qcols = [quantile_name(q) for q in levels]
    assert fc.columns == [*keys, "date", "qty", *qcols, "model"]
    n_series = demand.select(pl.struct(keys).n_unique()).item()
    assert fc.height == n_series * h
    assert fc["model"].null_count() == 0
    values = fc.select(["qty", *qcols]).to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    q = fc.select(qcols).to_numpy()
    assert (np.diff(q, axis=1) >= -1e-9).all(), "quantiles must be monotone in the level"
    last = demand.group_by(keys).agg(pl.col("date").max().alias("last"))
    expected = last.select(
        *keys, pl.col("last").map_elements(lambda d: future_dates(d, "1w", h), return_dtype=pl.List(pl.Date))
    )
    got = fc.group_by(keys, maintain_order=True).agg(pl.col("date"))
    joined = got.join(expected, on=keys)
    assert joined.height == n_series
    assert all(a == b for a, b in zip(joined["date"].to_list(), joined["last"].to_list(), strict=True))


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"location": False},
        {"features": False},
        {"intermittent": True},
        {"n_series": 1},
    ],
    ids=["location+features", "no-location", "no-features", "intermittent", "one-series"],
)
def test_conformance(name: str, options: dict) -> None:
    demand = weekly(**options)
    model = make_forecaster(name, freq="1w")
    assert model.fit(demand) is model
    check_forecast(model.predict(5), demand, 5)


@pytest.mark.parametrize("name", list(MODELS))
def test_awkward_series_do_not_abort(name: str) -> None:
    """All-zero, single-period and two-period series next to ordinary ones."""
    demand = weekly(n_series=4, periods=40)
    odd = pl.concat(
        [
            demand.filter(pl.col("sku") == "S00").with_columns(pl.lit("ZERO").alias("sku"), pl.lit(0.0).alias("qty")),
            demand.filter(pl.col("sku") == "S01").tail(1).with_columns(pl.lit("ONE").alias("sku")),
            demand.filter(pl.col("sku") == "S02").tail(2).with_columns(pl.lit("TWO").alias("sku")),
        ]
    )
    demand = pl.concat([demand, odd])
    fc = make_forecaster(name, freq="1w").fit(demand).predict(3)
    check_forecast(fc, demand, 3)
    zero = fc.filter(pl.col("sku") == "ZERO")
    assert zero.select(pl.col("qty", "p10", "p50", "p90").abs().sum()).row(0) == (0, 0, 0, 0)


def test_single_period_history() -> None:
    demand = pl.DataFrame({"sku": ["A"], "date": [START], "qty": [7.0]})
    for name in MODELS:
        fc = forecast(demand, horizon=2, freq="1w", model=name)
        assert fc["qty"].to_list() == [7.0, 7.0], name
        assert fc["date"].to_list() == future_dates(START, "1w", 2)


def test_lgbm_falls_back_and_records_it() -> None:
    demand = weekly(n_series=4, periods=60)
    short = demand.filter(pl.col("sku") == "S00").tail(4).with_columns(pl.lit("NEW").alias("sku"))
    zero = demand.filter(pl.col("sku") == "S01").with_columns(pl.lit("DEAD").alias("sku"), pl.lit(0.0).alias("qty"))
    fc = forecast(pl.concat([demand, short, zero]), horizon=4, freq="1w")
    by_sku = dict(fc.select("sku", "model").unique().iter_rows())
    assert by_sku["S02"] == "lgbm"
    assert by_sku["NEW"] == "moving_average"
    assert by_sku["DEAD"] == "tsb"


def test_lgbm_uses_future_features() -> None:
    """A promotion in the future table lifts the forecast of that week."""
    demand = weekly(n_series=6, periods=100)
    keys = ["sku", "location"]
    last = demand.group_by(keys).agg(pl.col("date").max())
    future = last.with_columns(pl.col("date") + pl.duration(weeks=1)).with_columns(
        pl.lit(2.0).alias("price"), pl.lit(0.0).alias("promo")
    )
    base = forecast(demand, horizon=1, freq="1w", future=future)
    promo = forecast(demand, horizon=1, freq="1w", future=future.with_columns(pl.lit(1.0).alias("promo")))
    assert promo["qty"].sum() > 1.15 * base["qty"].sum()


def test_future_values_carry_forward_without_a_future_table() -> None:
    demand = weekly(n_series=4, periods=80)
    model = LGBMForecaster("1w").fit(demand)
    context = model._future_context(3, None)
    price = model.context_names_.index("price")
    last_price = demand.sort("date").group_by("sku", maintain_order=True).agg(pl.col("price").last()).sort("sku")
    assert np.allclose(context[:, :, price], last_price["price"].to_numpy()[:, None])


def test_deterministic_given_seed() -> None:
    demand = weekly(n_series=5, periods=70, intermittent=True)
    a = forecast(demand, horizon=6, freq="1w", seed=3)
    b = forecast(demand, horizon=6, freq="1w", seed=3)
    assert a.equals(b)


def test_custom_quantile_levels() -> None:
    demand = weekly(n_series=3, periods=60)
    fc = forecast(demand, horizon=2, freq="1w", quantiles=(0.975, 0.025, 0.5))
    assert [c for c in fc.columns if c.startswith("p")] == ["p2_5", "p50", "p97_5"]
    check_forecast(fc, demand, 2, levels=(0.025, 0.5, 0.975))


def test_quantile_names() -> None:
    assert [quantile_name(q) for q in (0.1, 0.5, 0.9, 0.025, 0.999)] == ["p10", "p50", "p90", "p2_5", "p99_9"]


def test_monthly_and_daily_frequencies() -> None:
    rng = np.random.default_rng(0)
    monthly = pl.DataFrame(
        {
            "sku": ["A"] * 36 + ["B"] * 36,
            "date": [dt.date(2020 + m // 12, m % 12 + 1, 1) for m in range(36)] * 2,
            "qty": rng.poisson(10, 72).astype(float),
        }
    )
    fc = forecast(monthly, horizon=3, freq="1mo")
    assert fc.filter(pl.col("sku") == "A")["date"].to_list() == [
        dt.date(2023, 1, 1),
        dt.date(2023, 2, 1),
        dt.date(2023, 3, 1),
    ]
    daily = pl.DataFrame(
        {
            "sku": ["A"] * 120,
            "date": [START + dt.timedelta(days=k) for k in range(120)],
            "qty": rng.poisson(4, 120).astype(float),
        }
    )
    assert forecast(daily, horizon=7, freq="1d").height == 7


@pytest.mark.parametrize(
    "kwargs",
    [{"horizon": 0}, {"quantiles": (0.5, 1.2)}, {"model": "prophet"}, {"freq": "fortnight"}],
)
def test_bad_settings_raise_input_error(kwargs: dict) -> None:
    demand = weekly(n_series=2, periods=20)
    args = {"horizon": 2, "freq": "1w"} | kwargs
    with pytest.raises(InputError):
        forecast(demand, **args)


def test_duplicate_periods_raise_input_error() -> None:
    demand = weekly(n_series=1, periods=10, location=False, features=False)
    with pytest.raises(InputError, match="several rows for one period"):
        forecast(pl.concat([demand, demand.head(1)]), horizon=2, freq="1w")


def test_text_feature_and_progress() -> None:
    demand = weekly(n_series=4, periods=60).with_columns(
        pl.when(pl.col("promo") > 0).then(pl.lit("flyer")).otherwise(pl.lit("none")).alias("campaign")
    )
    fc = forecast(demand, horizon=3, freq="1w", progress=True)
    check_forecast(fc, demand, 3)
    assert set(fc["model"]) == {"lgbm"}


def test_too_short_to_calibrate_falls_back() -> None:
    demand = weekly(n_series=3, periods=10)
    fc = forecast(demand, horizon=2, freq="1w")
    check_forecast(fc, demand, 2)
    assert "lgbm" not in set(fc["model"])


def test_zero_median_forecast_becomes_a_mean() -> None:
    demand = weekly(n_series=40, periods=80, intermittent=True, features=False)
    fc = forecast(demand, horizon=4, freq="1w")
    assert set(fc["model"]) == {"lgbm"}
    median = LGBMForecaster("1w", mean_when_zero=False).fit(demand).predict(4)
    # 70% of the weeks are zero: the median forecast is mostly zero, the mean is not
    assert (median["qty"] < 1).mean() > 0.4
    assert (fc["qty"] < 1).mean() < 0.1
    assert fc["qty"].mean() > 0.4 * demand["qty"].mean()


def test_series_that_still_sell_are_not_forecast_zero_among_dead_ones() -> None:
    # most series stopped selling long ago: their zero forecasts must not pull the expected
    # demand of the intermittent series that still sell down to zero
    rng = np.random.default_rng(4)
    n, T = 40, 80
    qty = np.round(rng.gamma(4.0, 5.0, (n, T)), 1)
    qty[:30, 20:] = 0.0  # 30 dead series
    qty[30:] *= rng.random((10, T)) < 0.2  # 10 alive, selling in about one week in five
    start = dt.date(2024, 1, 1)
    demand = pl.DataFrame(
        {
            "sku": np.repeat([f"S{i:02d}" for i in range(n)], T),
            "date": [start + dt.timedelta(weeks=t) for _ in range(n) for t in range(T)],
            "qty": qty.ravel(),
        }
    )
    fc = forecast(demand, horizon=4, freq="1w")
    alive = fc.filter(pl.col("sku") >= "S30").group_by("sku").agg(pl.col("qty").mean())
    recent = demand.filter(pl.col("sku") >= "S30").group_by("sku").agg(pl.col("qty").tail(26).mean().alias("rate"))
    both = alive.join(recent, on="sku")
    assert (both["qty"] > 0.25 * both["rate"]).all(), both
    assert both["qty"].sum() > 0.6 * both["rate"].sum(), both
    dead = fc.filter(pl.col("sku") < "S30")["qty"]  # ~0 (the model's small median, no floor)
    assert dead.max() < 0.25 * both["rate"].mean()
