import datetime as dt

import polars as pl
import pytest

from scm.errors import InputError
from scm.periods import default_horizon, infer_freq, parse_freq, periods_per_year, to_periods


def test_infer_freq():
    days = pl.Series([dt.date(2024, 1, 1) + dt.timedelta(days=k) for k in range(10)])
    weeks = pl.Series([dt.date(2024, 1, 4) + dt.timedelta(weeks=k) for k in range(10)])
    months = pl.Series([dt.date(2024, m, 1) for m in range(1, 13)])
    assert infer_freq(days) == "1d"
    assert infer_freq(weeks) == "1w"
    assert infer_freq(months) == "1mo"
    with pytest.raises(InputError, match="fewer than two"):
        infer_freq(pl.Series([dt.date(2024, 1, 1)]))


def test_parse_freq_rejects_unknown():
    assert parse_freq("2w") == (2, "w")
    with pytest.raises(InputError, match="unknown frequency"):
        parse_freq("weekly")
    assert periods_per_year("1mo") == 12
    assert default_horizon("1w") == 13


def test_daily_to_weekly_sums_and_drops_partial_last_week():
    # 17 days from a Monday: two full weeks and a partial third week of 3 days
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=k) for k in range(17)]
    df = pl.DataFrame({"sku": ["A"] * 17, "date": dates, "qty": [1.0] * 17, "price": [float(k) for k in range(17)]})
    out = to_periods(df, "1w", ["sku"])
    assert out["date"].to_list() == [dt.date(2024, 1, 1), dt.date(2024, 1, 8)]
    assert out["qty"].to_list() == [7.0, 7.0]
    assert out["price"].to_list() == [3.0, 10.0]  # features are averaged


def test_weekly_anchor_keeps_weekday_and_gaps_are_zero():
    dates = [dt.date(2024, 1, 4), dt.date(2024, 1, 11), dt.date(2024, 1, 25)]  # Thursdays, one missing
    df = pl.DataFrame({"sku": ["A"] * 3, "date": dates, "qty": [5.0, 6.0, 7.0]})
    out = to_periods(df, "1w", ["sku"])
    assert out["date"].to_list() == [
        dt.date(2024, 1, 4),
        dt.date(2024, 1, 11),
        dt.date(2024, 1, 18),
        dt.date(2024, 1, 25),
    ]
    assert out["qty"].to_list() == [5.0, 6.0, 0.0, 7.0]


def test_rows_in_one_period_are_summed_per_series():
    df = pl.DataFrame(
        {
            "sku": ["A", "A", "B"],
            "location": ["x", "x", "x"],
            "date": [dt.date(2024, 1, 1)] * 3,
            "qty": [1.0, 2.0, 4.0],
        }
    )
    out = to_periods(df, "1d", ["sku", "location"])
    assert out.sort("sku")["qty"].to_list() == [3.0, 4.0]


def test_monthly_buckets_start_on_the_first():
    dates = [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 4, 30)]
    df = pl.DataFrame({"sku": ["A"] * 3, "date": dates, "qty": [1.0, 2.0, 3.0]})
    out = to_periods(df, "1mo", ["sku"])
    assert out["date"].to_list() == [dt.date(2024, m, 1) for m in (1, 2, 3, 4)]
    assert out["qty"].to_list() == [1.0, 2.0, 0.0, 3.0]


def test_infer_freq_months_of_a_non_leap_year_and_four_weeks():
    # February's 28-day gap must not read as four weeks
    months = pl.Series([dt.date(2017, m, 1) for m in range(1, 13)])
    assert infer_freq(months) == "1mo"
    month_ends = pl.Series([dt.date(2017, 1, 31), dt.date(2017, 2, 28), dt.date(2017, 3, 31)])
    assert infer_freq(month_ends) == "1mo"
    quarters = pl.Series([dt.date(2017, 1, 1), dt.date(2017, 4, 1), dt.date(2017, 10, 1)])
    assert infer_freq(quarters) == "1q"
    four_weeks = pl.Series([dt.date(2017, 1, 2) + dt.timedelta(weeks=4 * k) for k in range(5)])
    assert infer_freq(four_weeks) == "4w"
    full = pl.DataFrame({"sku": ["A"] * 12, "date": months, "qty": [1.0] * 12})
    assert to_periods(full, infer_freq(full["date"]), ["sku"]).height == 12


def test_bucket_features_averages_numbers_and_keeps_first_text():
    from scm.periods import bucket_features

    df = pl.DataFrame(
        {
            "sku": ["A", "A", "A"],
            "date": [dt.date(2024, 1, 1), dt.date(2024, 1, 3), dt.date(2024, 1, 8)],
            "price": [1.0, 3.0, 5.0],
            "event": [None, "sale", None],
        }
    )
    out = bucket_features(df, "1w", ["sku"], dt.date(2024, 1, 1)).sort("date")
    assert out["price"].to_list() == [2.0, 5.0]
    assert out["event"].to_list() == ["sale", None]
