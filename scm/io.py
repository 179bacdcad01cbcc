"""Read and write tables: CSV and Parquet by extension, databases by URI; atomic writes.

A database source is a URI: ``sqlite:///path.db``, ``duckdb:///path.duckdb`` or
``postgresql://user@host/db``. Which table to read comes from ``table=`` / ``query=``
arguments, or from the URI itself (``sqlite:///shop.db?table=items``), so several tables
can come from one database file.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import polars as pl

from scm.errors import InputError

TABLE_EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
DB_SCHEMES = ("sqlite", "duckdb", "postgresql", "postgres")


def parse_columns(spec: str | None) -> dict[str, str]:
    """Parse ``old=new,old2=new2`` into a rename mapping."""
    if not spec:
        return {}
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        old, sep, new = part.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InputError(
                f"cannot read column mapping '{part}'",
                source="--columns",
                fix="write it as old=new,old2=new2",
            )
        mapping[old.strip()] = new.strip()
    return mapping


def is_uri(source: str | os.PathLike) -> bool:
    return isinstance(source, str) and "://" in source


def source_name(source: str | os.PathLike, table: str | None = None, query: str | None = None) -> str:
    """How a source is named in error messages."""
    name = str(source)
    if is_uri(name):
        name = name.split("?")[0]
        if table:
            name += f" table {table}"
        elif query:
            name += " query"
    return name


def read_table(
    source: str | os.PathLike,
    *,
    table: str | None = None,
    query: str | None = None,
    columns: Mapping[str, str] | None = None,
    text_columns: tuple[str, ...] = ("sku", "location", "resource", "supplier", "kind"),
) -> pl.DataFrame:
    """Read one table from a CSV or Parquet file or a database URI.

    Args:
        source: file path, or a database URI (see module docstring).
        table: database table name (databases only).
        query: SQL query (databases only).
        columns: rename mapping applied right after reading (``{old: new}``).
        text_columns: columns (after renaming) read as text, so ``007`` stays ``007``.

    Raises:
        InputError: the file is missing, of an unknown type, unreadable, or a renamed column
            is absent.
    """
    columns = dict(columns or {})
    if is_uri(source):
        df = _read_database(str(source), table=table, query=query)
    else:
        if table or query:
            raise InputError(
                "--table and --query apply to database URIs only",
                source=str(source),
                fix="pass a sqlite:///, duckdb:/// or postgresql:// URI",
            )
        df = _read_file(Path(source), columns, text_columns)
    missing = [old for old in columns if old not in df.columns]
    if missing:
        raise InputError(
            f"--columns renames {', '.join(repr(m) for m in missing)} but the table has no such "
            f"column; it has {', '.join(df.columns)}",
            source=source_name(source, table, query),
        )
    after = [columns.get(c, c) for c in df.columns]
    clash = sorted({c for c in after if after.count(c) > 1})
    if clash:
        raise InputError(
            f"--columns would leave two columns named {', '.join(repr(c) for c in clash)}",
            source=source_name(source, table, query),
            fix="rename or drop the column that already has that name",
        )
    df = df.rename(columns)
    dupes = sorted({c for c in df.columns if df.columns.count(c) > 1})
    if dupes:
        raise InputError(f"duplicate column names {dupes}", source=source_name(source, table, query))
    return df


def _read_file(path: Path, columns: Mapping[str, str], text_columns: tuple[str, ...]) -> pl.DataFrame:
    kind = TABLE_EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"unknown file type '{path.suffix}'",
            source=str(path),
            fix="use .csv or .parquet, or a sqlite:///, duckdb:/// or postgresql:// URI",
        )
    if not path.is_file():
        raise InputError("file not found", source=str(path))
    inverse = {new: old for old, new in columns.items()}
    try:
        if kind == "csv":
            header = pl.read_csv(path, n_rows=0).columns
            overrides = {inverse.get(c, c): pl.Utf8 for c in text_columns if inverse.get(c, c) in header}
            return pl.read_csv(path, schema_overrides=overrides, infer_schema_length=100_000, null_values=["", "NA"])
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {kind.upper()}: {first}", source=str(path)) from None


def _parse_uri(uri: str) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme not in DB_SCHEMES:
        raise InputError(
            f"unknown database scheme '{scheme}'",
            source=uri,
            fix="use sqlite:///file.db, duckdb:///file.duckdb or postgresql://…",
        )
    params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if scheme in ("sqlite", "duckdb"):
        # sqlite:///relative.db -> path 'relative.db'; sqlite:////abs/x.db -> '/abs/x.db'
        path = unquote(parts.netloc + parts.path)
        if path.startswith("/") and not parts.netloc:
            path = path[1:]
        return scheme, path, params
    base = uri.split("?")[0]
    return scheme, base, params


@contextmanager
def _connect(scheme: str, target: str, uri: str):
    if scheme in ("sqlite", "duckdb") and not Path(target).is_file():
        raise InputError("database file not found", source=uri.split("?")[0])
    if scheme == "sqlite":
        conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    elif scheme == "duckdb":
        try:
            import duckdb
        except ImportError:
            raise InputError(
                "reading DuckDB needs the duckdb package", source=uri, fix="pip install 'scm[db]'"
            ) from None
        conn = duckdb.connect(target, read_only=True)
    else:
        try:
            import psycopg
        except ImportError:
            raise InputError(
                "reading PostgreSQL needs the psycopg package", source=uri, fix="pip install 'scm[db]'"
            ) from None
        try:
            conn = psycopg.connect(target.replace("postgres://", "postgresql://", 1))
        except Exception as exc:  # noqa: BLE001 - any connection failure is the user's input
            raise InputError(f"cannot connect: {str(exc).strip().splitlines()[0]}", source=uri) from None
    try:
        yield conn
    finally:
        conn.close()


def _read_database(uri: str, *, table: str | None, query: str | None) -> pl.DataFrame:
    scheme, target, params = _parse_uri(uri)
    table = table or params.get("table")
    query = query or params.get("query")
    if not table and not query:
        raise InputError(
            "a database source needs a table or a query",
            source=uri,
            fix="pass --table NAME or --query SQL, or add ?table=NAME to the URI",
        )
    if table and query:
        raise InputError("give --table or --query, not both", source=uri)
    sql = query or f'SELECT * FROM "{table.replace(chr(34), chr(34) * 2)}"'
    name = source_name(uri, table, query)
    with _connect(scheme, target, uri) as conn:
        try:
            if scheme == "duckdb":
                return conn.sql(sql).pl()
            return pl.read_database(sql, conn, infer_schema_length=None)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - driver errors differ per database
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"cannot read: {first}", source=name) from None


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path`; move it into place only if the block succeeds."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError("output folder does not exist", source=str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror or exc})", source=str(path)) from None
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates the file readable by its owner only; give it the usual permissions
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write here ({exc.strerror or exc})", source=str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_output_path(path: str | os.PathLike | None, kind: str = "table") -> None:
    """Fail early (before any work) on an output path scm cannot write.

    `kind` is "table" (.csv or .parquet) or "json". The folder must exist and take a new file
    (probed with a temporary file, removed at once), and the path must not be a folder.
    """
    if path is None:
        return
    p = Path(path)
    if p.is_dir():
        raise InputError("is a folder; give a file name", source=str(p))
    suffix = p.suffix.lower()
    if kind == "json" and suffix != ".json":
        raise InputError(f"unknown summary type '{p.suffix}'", source=str(p), fix="use a .json file name")
    if kind != "json" and suffix not in TABLE_EXTENSIONS:
        raise InputError(f"unknown output type '{p.suffix}'", source=str(p), fix="use .csv or .parquet")
    if not p.parent.exists():
        raise InputError("output folder does not exist", source=str(p))
    try:
        with tempfile.TemporaryFile(dir=p.parent or "."):
            pass
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror or exc})", source=str(p)) from None


def write_table(df: pl.DataFrame, path: str | os.PathLike) -> None:
    """Write a table as CSV or Parquet by extension, atomically (temporary file, then rename)."""
    write_outputs([(df, path)])


def write_json(obj: Any, path: str | os.PathLike) -> None:
    """Write JSON atomically."""
    write_outputs([(obj, path)])


def write_outputs(outputs: list[tuple[Any, str | os.PathLike | None]]) -> None:
    """Write several outputs (a frame: CSV/Parquet by extension; anything else: JSON) together.

    Every file is written to a temporary file first and moved into place only when all of them
    were written, so a failure leaves none of them half-written or alone.
    """
    with contextlib.ExitStack() as stack:
        for obj, path in outputs:
            if path is None:
                continue
            path = Path(path)
            if isinstance(obj, pl.DataFrame):
                kind = TABLE_EXTENSIONS.get(path.suffix.lower())
                if kind is None:
                    raise InputError(
                        f"unknown output type '{path.suffix}'", source=str(path), fix="use .csv or .parquet"
                    )
                tmp = stack.enter_context(atomic_path(path))
                if kind == "csv":
                    obj.write_csv(tmp)
                else:
                    obj.write_parquet(tmp)
            else:
                tmp = stack.enter_context(atomic_path(path))
                tmp.write_text(json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
