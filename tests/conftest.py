import datetime as dt

import polars as pl
import pytest


@pytest.fixture
def weekly_demand() -> pl.DataFrame:
    """Two series, 8 weeks of demand."""
    dates = [dt.date(2024, 1, 1) + dt.timedelta(weeks=k) for k in range(8)]
    return pl.DataFrame(
        {
            "sku": ["A"] * 8 + ["B"] * 8,
            "date": dates * 2,
            "qty": [10.0, 12, 9, 11, 10, 13, 8, 10] + [0.0, 3, 0, 0, 4, 0, 2, 0],
            "price": [1.0] * 16,
        }
    )


@pytest.fixture
def items() -> pl.DataFrame:
    return pl.DataFrame({"sku": ["A", "B"], "unit_cost": [2.0, 5.0], "lead_time": [1, 2]})


@pytest.fixture
def files(tmp_path, weekly_demand, items):
    """The demand and items fixtures written to CSV files: (folder, demand path, items path)."""
    d, i = tmp_path / "demand.csv", tmp_path / "items.csv"
    weekly_demand.write_csv(d)
    items.write_csv(i)
    return tmp_path, d, i
