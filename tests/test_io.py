import sqlite3

import polars as pl
import pytest

from scm.errors import InputError
from scm.io import atomic_path, parse_columns, read_table, write_json, write_table

FRAME = pl.DataFrame({"sku": ["007", "A"], "date": ["2024-01-01", "2024-01-08"], "qty": [1.5, 2.0]})


@pytest.mark.parametrize("ext", [".csv", ".parquet"])
def test_file_round_trip(tmp_path, ext):
    path = tmp_path / f"t{ext}"
    write_table(FRAME, path)
    back = read_table(path)
    assert back["sku"].to_list() == ["007", "A"]  # text keys keep their leading zeros
    assert back["qty"].to_list() == [1.5, 2.0]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_sqlite_round_trip(tmp_path):
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table demand (item text, date text, sales real)")
        conn.executemany("insert into demand values (?, ?, ?)", FRAME.rows())
    uri = f"sqlite:///{db}"
    by_table = read_table(uri, table="demand", columns={"item": "sku", "sales": "qty"})
    assert by_table.columns == ["sku", "date", "qty"]
    assert by_table["qty"].sum() == 3.5
    by_query = read_table(uri, query="select item as sku, sales as qty from demand where sales > 1.8")
    assert by_query.height == 1
    in_uri = read_table(f"{uri}?table=demand")
    assert in_uri.height == 2


def test_duckdb_round_trip(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    db = tmp_path / "shop.duckdb"
    conn = duckdb.connect(str(db))
    conn.execute("create table items (sku varchar, unit_cost double)")
    conn.execute("insert into items values ('A', 2.5), ('B', 4.0)")
    conn.close()
    df = read_table(f"duckdb:///{db}", table="items")
    assert df.sort("sku")["unit_cost"].to_list() == [2.5, 4.0]


def test_postgresql_same_code_path():
    import os

    uri = os.environ.get("SCM_TEST_POSTGRES")
    if not uri:
        pytest.skip("set SCM_TEST_POSTGRES to a PostgreSQL URI to run (.ci/run starts a server)")
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("drop table if exists scm_items")
        conn.execute("create table scm_items (sku text, unit_cost double precision)")
        conn.execute("insert into scm_items values ('A', 2.5), ('B', 4.0)")
    df = read_table(uri, table="scm_items")
    assert df.sort("sku")["unit_cost"].to_list() == [2.5, 4.0]
    with pytest.raises(InputError, match="cannot read"):
        read_table(uri, table="no_such_table")


@pytest.mark.parametrize(
    ("source", "kwargs", "message"),
    [
        ("missing.csv", {}, "file not found"),
        ("data.xlsx", {}, "unknown file type"),
        ("sqlite:///nope.db", {"table": "t"}, "database file not found"),
        ("mysql://host/db", {"table": "t"}, "unknown database scheme"),
        ("x.csv", {"table": "t"}, "database URIs only"),
    ],
)
def test_bad_sources(tmp_path, monkeypatch, source, kwargs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message):
        read_table(source, **kwargs)


def test_database_needs_table_or_query(tmp_path):
    db = tmp_path / "x.db"
    sqlite3.connect(db).close()
    with pytest.raises(InputError, match="needs a table or a query"):
        read_table(f"sqlite:///{db}")
    with pytest.raises(InputError, match="cannot read"):
        read_table(f"sqlite:///{db}", table="absent")


def test_rename_of_absent_column(tmp_path):
    path = tmp_path / "t.csv"
    write_table(FRAME, path)
    with pytest.raises(InputError, match="renames 'sales'"):
        read_table(path, columns={"sales": "qty"})


def test_parse_columns():
    assert parse_columns("item_id=sku, d=date,sales=qty") == {"item_id": "sku", "d": "date", "sales": "qty"}
    with pytest.raises(InputError, match="old=new"):
        parse_columns("item_id:sku")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "plan.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_write_json(tmp_path):
    write_json({"a": 1.5}, tmp_path / "s.json")
    assert (tmp_path / "s.json").read_text().strip().startswith("{")


def test_written_files_get_the_usual_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        write_table(FRAME, tmp_path / "plan.csv")
    finally:
        os.umask(umask)
    assert (tmp_path / "plan.csv").stat().st_mode & 0o777 == 0o644


def test_outputs_are_written_together_or_not_at_all(tmp_path):
    # the second output cannot be written (its folder is a file): the first must not appear alone
    from scm.io import write_outputs

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    plan = tmp_path / "plan.csv"
    with pytest.raises(InputError, match="cannot write here"):
        write_outputs([(pl.DataFrame({"a": [1]}), plan), ({"status": "optimal"}, blocker / "s.json")])
    assert not plan.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
    write_outputs([(pl.DataFrame({"a": [1]}), plan), ({"status": "optimal"}, tmp_path / "s.json")])
    assert plan.exists() and (tmp_path / "s.json").exists()
