"""`run_forecast_command` and `run_backtest_command`: files in, files out, clear errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from test_forecast import weekly

from scm.errors import InputError
from scm.forecast.commands import run_backtest_command, run_forecast_command


@pytest.fixture
def demand_csv(tmp_path: Path) -> Path:
    path = tmp_path / "demand.csv"
    weekly(n_series=3, periods=40).rename({"sku": "item", "qty": "sales"}).write_csv(path)
    return path


def test_forecast_command_writes_output(demand_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "fc.parquet"
    fc = run_forecast_command(demand_csv, columns="item=sku,sales=qty", horizon=4, quantiles="0.05,0.5,0.95", out=out)
    assert fc.height == 3 * 4
    assert {"p5", "p50", "p95", "model"} <= set(fc.columns)
    assert pl.read_parquet(out).equals(fc)


def test_forecast_command_with_future(demand_csv: Path, tmp_path: Path) -> None:
    demand = pl.read_csv(demand_csv, try_parse_dates=True)
    last = demand.group_by("item", "location").agg(pl.col("date").max())
    future = last.with_columns(
        pl.col("date") + pl.duration(weeks=1), pl.lit(2.0).alias("price"), pl.lit(1.0).alias("promo")
    )
    future_csv = tmp_path / "future.csv"
    future.write_csv(future_csv)
    fc = run_forecast_command(demand_csv, future_path=future_csv, columns="item=sku,sales=qty", freq="1w", horizon=2)
    assert fc.height == 3 * 2


def test_backtest_command_writes_both_tables(demand_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt.csv"
    result = run_backtest_command(
        demand_csv, columns="item=sku,sales=qty", horizon=3, windows=2, models="naive,tsb", out=out
    )
    assert result.overall["model"].to_list() == ["naive", "tsb"]
    assert pl.read_csv(out).height == 2
    assert pl.read_csv(tmp_path / "bt_per_series.csv").height == 3 * 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "prophet"}, "unknown model"),
        ({"quantiles": "0.1,abc"}, "cannot read quantile"),
        ({"quantiles": "0.1,1.5"}, "strictly between"),
        ({"horizon": 0}, "horizon"),
        ({"freq": "weekly"}, "unknown frequency"),
        ({"columns": "nope=sku"}, "no such column"),
    ],
)
def test_forecast_command_bad_input(demand_csv: Path, tmp_path: Path, kwargs: dict, message: str) -> None:
    out = tmp_path / "fc.csv"
    args = {"columns": "item=sku,sales=qty", "horizon": 2, "out": out} | kwargs
    with pytest.raises(InputError, match=message):
        run_forecast_command(demand_csv, **args)
    assert not out.exists()


def test_forecast_command_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        run_forecast_command(tmp_path / "nope.csv")


def test_forecast_command_bad_output_type(demand_csv: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="output type"):
        run_forecast_command(demand_csv, columns="item=sku,sales=qty", out=tmp_path / "fc.json")
