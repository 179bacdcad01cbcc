"""Bad input found by a battery of awkward inputs: each is one `error:` line, exit 2 or 3, and no
output file left behind."""

import sys

import polars as pl
import pytest
from typer.testing import CliRunner

from scm.cli import app, main

runner = CliRunner()


def plan(*args):
    return runner.invoke(app, ["plan", *map(str, args)])


def one_error(result, code: int, *words: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == code, result.output
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    for w in words:
        assert w in lines[0], lines[0]


def test_unwritable_summary_leaves_no_plan_behind(files):
    tmp, d, i = files
    blocker = tmp / "a_file"
    blocker.write_text("x")
    out = tmp / "plan.csv"
    r = plan("--demand", d, "--items", i, "--model", "naive", "--out", out, "--summary", blocker / "s.json")
    one_error(r, 2, "s.json", "cannot write here")
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--summary", "{tmp}/s.txt"], ["s.txt", ".json"]),
        (["--out", "{tmp}"], ["is a folder"]),
        (["--safety-stock", "inf"], ["--safety-stock"]),
        (["--safety-stock", "nan"], ["--safety-stock"]),
        (["--time-limit", "nan"], ["--time-limit"]),
        (["--horizon", "99999999"], ["--horizon", "10000"]),
        (["--columns", "date=qty"], ["--columns", "'qty'"]),
    ],
)
def test_bad_options(files, args, words):
    tmp, d, i = files
    r = plan("--demand", d, "--items", i, "--model", "naive", *(a.format(tmp=tmp) for a in args))
    one_error(r, 2, *words)


def test_config_value_of_the_wrong_type(files):
    tmp, d, i = files
    cfg = tmp / "c.toml"
    cfg.write_text("time_limit = 'fast'\n")
    one_error(plan("--demand", d, "--items", i, "--config", cfg), 2, "c.toml", "time_limit", "a number")


def test_absurd_numbers_in_items(files):
    tmp, d, i = files
    pl.DataFrame({"sku": ["A", "B"], "unit_cost": [2.0, 5.0], "lead_time": [1e300, 2]}).write_csv(i)
    one_error(plan("--demand", d, "--items", i, "--model", "naive"), 2, "items.csv", "lead_time", "1e+15")


def test_forecast_quantiles_out_of_order_and_empty_forecast(tmp_path, items):
    i = tmp_path / "items.csv"
    items.write_csv(i)
    fc = tmp_path / "forecast.csv"
    pl.DataFrame(
        {"sku": ["A", "A"], "date": ["2024-03-04", "2024-03-11"], "qty": [10.0, 10.0]}
        | {"p10": [16.0, 5], "p90": [8.0, 15]}
    ).write_csv(fc)
    one_error(plan("--forecast", fc, "--items", i), 2, "forecast.csv", "p10", "p90")
    fc.write_text("sku,date,qty\n")
    one_error(plan("--forecast", fc, "--items", i), 2, "forecast.csv", "no rows")


def test_baseline_plan_that_breaks_the_constraints_is_exit_3(files):
    tmp, d, i = files
    out = tmp / "plan.csv"
    r = plan(
        "--demand", d, "--items", i, "--model", "naive", "--planner", "baseline", "--backorders", "none", "--out", out
    )
    one_error(r, 3, "baseline", "backorders not allowed")
    assert not out.exists()


def test_order_capacity_that_cannot_meet_demand_is_named(tmp_path):
    fc, i, res, use = (tmp_path / n for n in ("fc.csv", "items.csv", "res.csv", "use.csv"))
    dates = ["2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]
    pl.DataFrame({"sku": ["A"] * 4, "date": dates, "qty": [10.0] * 4}).write_csv(fc)
    pl.DataFrame({"sku": ["A"], "unit_cost": [2.0], "lead_time": [0], "service_level": [0.5]}).write_csv(i)
    pl.DataFrame({"resource": ["prod"], "kind": ["order"], "capacity": [1.0]}).write_csv(res)
    pl.DataFrame({"sku": ["A"], "resource": ["prod"], "per_unit": [1.0], "per_order": [0.0]}).write_csv(use)
    r = plan("--forecast", fc, "--items", i, "--resources", res, "--usage", use, "--backorders", "none")
    one_error(r, 3, "resource 'prod'", "2024-03-04")


def test_backtest_that_cannot_hold_the_windows_asked_for(files):
    tmp, d, i = files
    r = runner.invoke(app, ["backtest", "--demand", str(d), "--horizon", "3", "--windows", "5", "--models", "naive"])
    one_error(r, 2, "--windows", "2 window(s)")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["plan", "--horizon", "ten"], ["--horizon", "scm plan --help"]),
        (["plan", "--frobnicate"], ["--frobnicate"]),
        (["bogus"], ["bogus", "scm --help"]),
    ],
)
def test_usage_mistakes_are_one_error_line(monkeypatch, capsys, argv, words):
    monkeypatch.setattr(sys, "argv", ["scm", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    for w in words:
        assert w in lines[0]


def test_series_whose_history_ends_early_are_warned_about(files, weekly_demand):
    tmp, d, i = files
    weekly_demand.filter(~((pl.col("sku") == "B") & (pl.col("date") > pl.date(2024, 1, 29)))).write_csv(d)
    r = plan("--demand", d, "--items", i, "--model", "naive", "--horizon", 3)
    assert r.exit_code == 0, r.output
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "1 series" in warnings[0] and "B (to 2024-01-29)" in warnings[0]
    weekly_demand.write_csv(d)
    r = plan("--demand", d, "--items", i, "--model", "naive", "--horizon", 3)
    assert r.exit_code == 0 and "warning:" not in r.stderr


def test_bare_scm_prints_help_without_an_error(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["scm"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    assert exit_info.value.code == 0 and "error:" not in captured.err
    assert "plan" in captured.out
