import json

import polars as pl
import pytest
from typer.testing import CliRunner

from scm.cli import app

runner = CliRunner()


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_plan_on_bundled_example():
    result = runner.invoke(app, ["plan"])
    assert result.exit_code == 0, result.stderr
    assert "optimal" in result.stdout
    assert "280 × 13 (1w)" in result.stdout
    assert "cost: holding" in result.stdout


def test_plan_from_files_writes_plan_and_summary(files):
    tmp, d, i = files
    out, summary = tmp / "plan.parquet", tmp / "summary.json"
    result = runner.invoke(
        app,
        [
            "plan",
            "--demand",
            str(d),
            "--items",
            str(i),
            "--horizon",
            "4",
            "--model",
            "moving_average",
            "--out",
            str(out),
            "--summary",
            str(summary),
        ],
    )
    assert result.exit_code == 0, result.stderr
    plan = pl.read_parquet(out)
    assert plan.columns == ["sku", "date", "demand", "safety_stock", "order_qty", "arrival_qty", "inventory", "backlog"]
    assert plan.height == 2 * 4
    s = json.loads(summary.read_text())
    for key in (
        "planner",
        "solver",
        "status",
        "objective",
        "bound",
        "gap",
        "cost",
        "build_seconds",
        "solve_seconds",
        "series",
        "periods",
        "variables",
        "constraints",
    ):
        assert key in s
    assert set(s["cost"]) >= {"purchase", "holding", "shortage", "ordering"}


def test_missing_qty_exits_2_with_one_error_line_and_no_output(files):
    tmp, d, i = files
    pl.read_csv(d).rename({"qty": "sales"}).write_csv(d)
    out = tmp / "plan.csv"
    result = runner.invoke(app, ["plan", "--demand", str(d), "--items", str(i), "--out", str(out)])
    assert result.exit_code == 2
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error:") and "qty" in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_columns_option_renames(files):
    tmp, d, i = files
    pl.read_csv(d).rename({"qty": "sales", "sku": "item"}).write_csv(d)
    result = runner.invoke(
        app,
        [
            "plan",
            "--demand",
            str(d),
            "--items",
            str(i),
            "--columns",
            "sales=qty,item=sku",
            "--model",
            "naive",
            "--horizon",
            "3",
        ],
    )
    assert result.exit_code == 0, result.stderr


def test_infeasible_exits_3(files):
    tmp, d, i = files
    pl.read_csv(i).with_columns(pl.lit(3).alias("lead_time")).write_csv(i)
    result = runner.invoke(
        app,
        [
            "plan",
            "--demand",
            str(d),
            "--items",
            str(i),
            "--backorders",
            "none",
            "--model",
            "naive",
            "--horizon",
            "4",
            "--out",
            str(tmp / "p.csv"),
        ],
    )
    assert result.exit_code == 3
    assert error_lines(result)[0].startswith("error: infeasible: series")
    assert not (tmp / "p.csv").exists()


def test_config_file_and_cli_precedence(files):
    tmp, d, i = files
    cfg = tmp / "plan.toml"
    cfg.write_text(f'demand = "{d}"\nitems = "{i}"\nhorizon = 5\nmodel = "naive"\nplanner = "baseline"\n')
    result = runner.invoke(app, ["plan", "--config", str(cfg), "--horizon", "3", "--summary", str(tmp / "s.json")])
    assert result.exit_code == 0, result.stderr
    s = json.loads((tmp / "s.json").read_text())
    assert s["periods"] == 3 and s["planner"] == "baseline"
    cfg.write_text("hroizon = 5\n")
    result = runner.invoke(app, ["plan", "--config", str(cfg)])
    assert result.exit_code == 2 and "unknown options ['hroizon']" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--planner", "magic"], "unknown planner"),
        (["--backorders", "maybe"], "unknown mode"),
        (["--solver", "gurobi"], "unknown solver"),
        (["--freq", "weekly"], "unknown frequency"),
        (["--out", "/no/such/dir/plan.csv"], "output folder does not exist"),
    ],
)
def test_bad_options_exit_2(files, args, message):
    tmp, d, i = files
    result = runner.invoke(app, ["plan", "--demand", str(d), "--items", str(i), "--model", "naive", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_plan_against_given_forecast_with_resources(tmp_path, items):
    fc = pl.DataFrame(
        {"sku": ["A", "A", "B", "B"], "date": ["2024-03-04", "2024-03-11"] * 2, "qty": [10.0, 10.0, 2.0, 2.0]}
    )
    res = pl.DataFrame({"resource": ["budget"], "kind": ["order"], "capacity": [100.0]})
    use = pl.DataFrame({"sku": ["A", "B"], "resource": ["budget", "budget"], "per_unit": [2.0, 5.0]})
    paths = {}
    for name, frame in {"fc": fc, "items": items, "res": res, "use": use}.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.write_csv(paths[name])
    result = runner.invoke(
        app,
        [
            "plan",
            "--forecast",
            str(paths["fc"]),
            "--items",
            str(paths["items"]),
            "--resources",
            str(paths["res"]),
            "--usage",
            str(paths["use"]),
            "--explain",
            "--summary",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    s = json.loads((tmp_path / "s.json").read_text())
    assert s["forecast"] == "given" and s["periods"] == 2 and s["status"] == "optimal"


def test_sqlite_demand_source(tmp_path, weekly_demand, items):
    import sqlite3

    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table sales (sku text, date text, qty real)")
        conn.executemany(
            "insert into sales values (?, ?, ?)",
            weekly_demand.select("sku", pl.col("date").cast(pl.Utf8), "qty").rows(),
        )
        conn.execute("create table items (sku text, unit_cost real)")
        conn.executemany("insert into items values (?, ?)", items.select("sku", "unit_cost").rows())
    result = runner.invoke(
        app,
        [
            "plan",
            "--demand",
            f"sqlite:///{db}",
            "--table",
            "sales",
            "--items",
            f"sqlite:///{db}?table=items",
            "--model",
            "naive",
            "--horizon",
            "2",
        ],
    )
    assert result.exit_code == 0, result.stderr


def test_forecast_and_backtest_commands(files):
    tmp, d, _ = files
    out = tmp / "fc.csv"
    result = runner.invoke(
        app, ["forecast", "--demand", str(d), "--horizon", "3", "--model", "moving_average", "--out", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert {"qty", "p10", "p50", "p90"} <= set(pl.read_csv(out).columns)
    result = runner.invoke(
        app, ["backtest", "--demand", str(d), "--horizon", "2", "--windows", "2", "--models", "naive,moving_average"]
    )
    assert result.exit_code == 0, result.stderr
    assert "wape" in result.stdout


def test_scenario_files_use_known_options():
    import inspect
    from pathlib import Path

    from scm.cli import _config, plan_command

    known = set(inspect.signature(plan_command).parameters) - {"config", "explain"}
    files = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))
    assert files
    for path in files:
        assert set(_config(path)) <= known, path.name


def test_series_whose_history_ends_early_are_planned_on_the_common_calendar(tmp_path, weekly_demand, items):
    # B's history stops four weeks before A's: the plan starts after A's last week for both
    d = weekly_demand.filter((pl.col("sku") == "A") | (pl.col("date") < pl.date(2024, 1, 29)))
    d.write_csv(tmp_path / "d.csv")
    items.write_csv(tmp_path / "i.csv")
    out = tmp_path / "plan.csv"
    result = runner.invoke(
        app,
        [
            "plan",
            "--demand",
            str(tmp_path / "d.csv"),
            "--items",
            str(tmp_path / "i.csv"),
            "--model",
            "naive",
            "--horizon",
            "3",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    plan = pl.read_csv(out, try_parse_dates=True)
    assert plan.group_by("sku").agg(pl.col("date").min())["date"].unique().to_list() == [
        weekly_demand["date"].max() + __import__("datetime").timedelta(weeks=1)
    ]
    assert plan.height == 6 and plan["demand"].null_count() == 0
