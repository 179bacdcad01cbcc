"""Column names, types and rules of every input table; `validate_*` checks a table once, at the boundary.

Each rule that fails raises one `InputError` naming the table, the column, the first offending
rows (1-based, as in the file, header not counted) or series, and how to fix it.
"""

from __future__ import annotations

import polars as pl

from scm.errors import InputError, fmt_items
from scm.periods import periods_per_year

MAX_MAGNITUDE = 1e15  # quantities, costs, capacities: larger is a unit error, and no solver copes

KEY = "sku"
LOCATION = "location"
BACKORDER_MODES = ("allow", "lost", "none")
RESOURCE_KINDS = ("order", "storage")

# items: column -> (dtype, default). Defaults that depend on other columns are filled in
# `validate_items`; None marks those.
ITEM_COLUMNS: dict[str, tuple[pl.DataType, object]] = {
    "unit_cost": (pl.Float64, None),
    "holding_cost": (pl.Float64, None),
    "service_level": (pl.Float64, 0.95),
    "shortage_cost": (pl.Float64, None),
    "order_cost": (pl.Float64, 0.0),
    "lead_time": (pl.Int64, 1),
    "moq": (pl.Float64, 0.0),
    "lot_size": (pl.Float64, 0.0),
    "initial_inventory": (pl.Float64, 0.0),
    "supplier": (pl.Utf8, ""),
}


def key_columns(df: pl.DataFrame) -> list[str]:
    """The series key of a table: `sku`, plus `location` where the table has one."""
    return [KEY, LOCATION] if LOCATION in df.columns else [KEY]


def series_labels(df: pl.DataFrame, keys: list[str]) -> list[str]:
    """Readable series names (``sku`` or ``sku@location``) of the rows of `df`."""
    if len(keys) == 1:
        return df[keys[0]].cast(pl.Utf8).to_list()
    label = pl.concat_str([pl.col(k).cast(pl.Utf8) for k in keys], separator="@")
    return df.select(label.alias("_s"))["_s"].to_list()


def _bad_rows(df: pl.DataFrame, mask: pl.Expr) -> list[int]:
    idx = df.with_row_index("_row").filter(mask)["_row"].head(5).to_list()
    return [i + 1 for i in idx]


def _require(df: pl.DataFrame, columns: list[str], source: str) -> None:
    for col in columns:
        if col not in df.columns:
            raise InputError(
                f"required column '{col}' is missing; the table has {', '.join(df.columns) or 'no columns'}",
                source=source,
                column=col,
                fix=f"add it, or rename an existing column with --columns OLD={col}",
            )


def _text(df: pl.DataFrame, col: str, source: str, *, required: bool = True) -> pl.DataFrame:
    df = df.with_columns(pl.col(col).cast(pl.Utf8))
    if required:
        mask = pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "")
        if df.select(mask.any()).item():
            raise InputError(
                "empty values", source=source, column=col, rows=_bad_rows(df, mask), fix="fill or drop those rows"
            )
    return df


def _number(
    df: pl.DataFrame,
    col: str,
    source: str,
    dtype: pl.DataType = pl.Float64,
    *,
    allow_null: bool = False,
) -> pl.DataFrame:
    raw = pl.col(col)
    if df.schema[col] == pl.Utf8:
        raw = raw.str.strip_chars()
    cast = raw.cast(pl.Float64, strict=False)
    bad = cast.is_null() & pl.col(col).is_not_null()
    if df.schema[col] == pl.Utf8:
        bad = bad & (pl.col(col).str.strip_chars() != "")
    if df.select(bad.any()).item():
        raise InputError(
            "values that are not numbers",
            source=source,
            column=col,
            rows=_bad_rows(df, bad),
            fix="use plain numbers such as 12 or 3.5",
        )
    df = df.with_columns(cast.alias(col))
    nonfinite = pl.col(col).is_nan() | pl.col(col).is_infinite()
    if df.select(nonfinite.any()).item():
        raise InputError("NaN or infinite values", source=source, column=col, rows=_bad_rows(df, nonfinite))
    huge = pl.col(col).abs() > MAX_MAGNITUDE
    if df.select(huge.fill_null(False).any()).item():
        raise InputError(
            f"values beyond ±{MAX_MAGNITUDE:.0e}",
            source=source,
            column=col,
            rows=_bad_rows(df, huge.fill_null(False)),
            fix="check the units (a solver cannot plan with numbers this large)",
        )
    if not allow_null and df.select(pl.col(col).is_null().any()).item():
        raise InputError(
            "missing values",
            source=source,
            column=col,
            rows=_bad_rows(df, pl.col(col).is_null()),
            fix="fill or drop those rows",
        )
    if dtype == pl.Int64:
        frac = pl.col(col).is_not_null() & (pl.col(col) != pl.col(col).round(0))
        if df.select(frac.any()).item():
            raise InputError("values must be whole numbers", source=source, column=col, rows=_bad_rows(df, frac))
        df = df.with_columns(pl.col(col).cast(pl.Int64))
    return df


def _check(df: pl.DataFrame, bad: pl.Expr, message: str, source: str, col: str, fix: str | None = None) -> None:
    if df.select(bad.fill_null(False).any()).item():
        raise InputError(message, source=source, column=col, rows=_bad_rows(df, bad.fill_null(False)), fix=fix)


def _date(df: pl.DataFrame, col: str, source: str) -> pl.DataFrame:
    dtype = df.schema[col]
    if dtype == pl.Date:
        out = df
    elif isinstance(dtype, pl.Datetime):
        out = df.with_columns(pl.col(col).dt.date())
    elif dtype == pl.Utf8:
        s = pl.col(col).str.strip_chars()
        parsed = pl.coalesce(
            s.str.to_date("%Y-%m-%d", strict=False),
            s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
            s.str.to_date("%Y/%m/%d", strict=False),
            (s + "-01").str.to_date("%Y-%m-%d", strict=False),
            s.str.to_date("%d.%m.%Y", strict=False),
        )
        out = df.with_columns(parsed.alias(col))
        bad = out[col].is_null() & df[col].is_not_null()
        if bad.any():
            rows = [i + 1 for i in bad.arg_true().head(5).to_list()]
            raise InputError(
                f"cannot read dates such as '{df[col].filter(bad)[0]}'",
                source=source,
                column=col,
                rows=rows,
                fix="write dates as YYYY-MM-DD (or YYYY-MM for months)",
            )
    else:
        raise InputError(f"dates expected, found {dtype}", source=source, column=col, fix="write dates as YYYY-MM-DD")
    _check(out, pl.col(col).is_null(), "missing dates", source, col, "fill or drop those rows")
    return out


def _duplicates(df: pl.DataFrame, cols: list[str], source: str, what: str) -> None:
    dup = df.filter(pl.struct(cols).is_duplicated())
    if dup.height:
        labels = ["/".join(str(v) for v in r) for r in dup.select(cols).unique(maintain_order=True).iter_rows()]
        raise InputError(
            f"duplicate {what}: {fmt_items(labels)}",
            source=source,
            column=", ".join(cols),
            fix="keep one row per " + " and ".join(cols),
        )


def _series_dates(df: pl.DataFrame, source: str) -> tuple[pl.DataFrame, list[str]]:
    """The common head of demand and forecast tables: `sku` (+ `location`), `date` and `qty`
    present, at least one row, keys as text, dates as Date; returns the table and its keys."""
    _require(df, [KEY, "date", "qty"], source)
    if df.height == 0:
        raise InputError("the table has no rows", source=source)
    keys = key_columns(df)
    for k in keys:
        df = _text(df, k, source)
    return _date(df, "date", source), keys


def validate_demand(df: pl.DataFrame, source: str = "demand") -> pl.DataFrame:
    """Check a demand history table; returns it with `sku` (+`location`) text, `date` Date, `qty` Float64.

    Extra columns are kept as exogenous features (numeric ones as Float64).
    """
    df, keys = _series_dates(df, source)
    df = _number(df, "qty", source)
    _check(df, pl.col("qty") < 0, "negative quantities", source, "qty", "demand is a quantity >= 0")
    return _features(df, keys, source)


def _features(df: pl.DataFrame, keys: list[str], source: str) -> pl.DataFrame:
    extras = [c for c in df.columns if c not in (*keys, "date", "qty")]
    casts = []
    for c in extras:
        dtype = df.schema[c]
        if dtype.is_numeric() or dtype == pl.Boolean:
            casts.append(pl.col(c).cast(pl.Float64))
        elif dtype != pl.Utf8:
            casts.append(pl.col(c).cast(pl.Utf8))
    return df.with_columns(casts) if casts else df


def validate_forecast(df: pl.DataFrame, source: str) -> pl.DataFrame:
    """A given forecast table: keys, date, qty (>= 0) and optional quantile columns p10, p50, …"""
    df, keys = _series_dates(df, source)
    _duplicates(df, [*keys, "date"], source, "series and date")
    qcols = [c for c in df.columns if c.startswith("p") and c[1:].replace("_", "").isdigit()]
    qcols.sort(key=lambda c: float(c[1:].replace("_", ".")))  # p2_5 is the 2.5% quantile
    for c in ("qty", *qcols):
        df = _number(df, c, source)
        _check(df, pl.col(c) < 0, "negative quantities", source, c)
    for lo, hi in zip(qcols, qcols[1:], strict=False):
        _check(
            df,
            pl.col(lo) > pl.col(hi) + 1e-9 * (1.0 + pl.col(hi).abs()),
            f"quantiles out of order: {lo} is above {hi}",
            source,
            lo,
            "a lower quantile cannot exceed a higher one",
        )
    return df.select([*keys, "date", "qty", *qcols])


def validate_future(df: pl.DataFrame, keys: list[str], source: str = "future") -> pl.DataFrame:
    """Check a table of future feature values (same keys as demand, plus `date`)."""
    _require(df, [*keys, "date"], source)
    for k in keys:
        df = _text(df, k, source)
    df = _date(df, "date", source)
    _duplicates(df, [*keys, "date"], source, "series and date")
    if "qty" in df.columns:
        df = df.drop("qty")
    return _features(df, keys, source)


def validate_items(
    df: pl.DataFrame,
    keys: list[str],
    *,
    freq: str,
    backorders: str = "allow",
    source: str = "items",
) -> pl.DataFrame:
    """Check the items table and fill every default of the contract.

    Args:
        df: one row per series.
        keys: the key columns of the demand (`sku`, or `sku` and `location`).
        freq: period length, for the default holding cost (25% of unit cost a year).
        backorders: `allow`, `lost` or `none`; `lost` changes the shortage-cost default.
    """
    _require(df, [*keys, "unit_cost"], source)
    if df.height == 0:
        raise InputError("the table has no rows", source=source)
    for k in keys:
        df = _text(df, k, source)
    _duplicates(df, keys, source, "series")
    for col, (dtype, _) in ITEM_COLUMNS.items():
        if col == "supplier":
            df = df.with_columns(
                pl.col(col).cast(pl.Utf8).fill_null("") if col in df.columns else pl.lit("").alias(col)
            )
            continue
        if col in df.columns:
            df = _number(df, col, source, dtype, allow_null=col != "unit_cost")
        else:
            df = df.with_columns(pl.lit(None, dtype=dtype).alias(col))
    _check(df, pl.col("unit_cost") <= 0, "unit_cost must be > 0", source, "unit_cost")
    for col in ("holding_cost", "shortage_cost", "order_cost", "moq", "lot_size", "initial_inventory", "lead_time"):
        _check(df, pl.col(col) < 0, f"{col} must be >= 0", source, col)
    _check(
        df,
        (pl.col("service_level") <= 0) | (pl.col("service_level") >= 1),
        "service_level must be strictly between 0 and 1",
        source,
        "service_level",
        "e.g. 0.95",
    )
    ppy = periods_per_year(freq)
    df = df.with_columns(
        pl.col("holding_cost").fill_null(0.25 * pl.col("unit_cost") / ppy),
        pl.col("service_level").fill_null(0.95),
        pl.col("order_cost").fill_null(0.0),
        pl.col("lead_time").fill_null(1),
        pl.col("moq").fill_null(0.0),
        pl.col("lot_size").fill_null(0.0),
        pl.col("initial_inventory").fill_null(0.0),
    )
    default_shortage = pl.col("holding_cost") * pl.col("service_level") / (1 - pl.col("service_level"))
    if backorders == "lost":
        default_shortage = default_shortage + pl.col("unit_cost")
        given = pl.col("shortage_cost").is_not_null()
        _check(
            df,
            given & (pl.col("shortage_cost") <= pl.col("unit_cost")),
            "with lost sales, shortage_cost must be above unit_cost (else the plan gains by not selling)",
            source,
            "shortage_cost",
            "raise it above unit_cost, or leave it empty for the default",
        )
    df = df.with_columns(pl.col("shortage_cost").fill_null(default_shortage))
    return df.select([*keys, *ITEM_COLUMNS])


def check_series_have_items(demand: pl.DataFrame, items: pl.DataFrame, keys: list[str], source: str) -> None:
    """Every demand (or forecast) series needs an items row."""
    missing = demand.select(keys).unique(maintain_order=True).join(items.select(keys), on=keys, how="anti")
    if missing.height:
        raise InputError(
            f"{missing.height} series have no row in the items table: {fmt_items(series_labels(missing, keys))}",
            source=source,
            column=", ".join(keys),
            fix="add an items row (with unit_cost) for each",
        )


def _known_series(df: pl.DataFrame, items: pl.DataFrame, keys: list[str], source: str) -> None:
    unknown = df.join(items.select(keys), on=keys, how="anti")
    if unknown.height:
        raise InputError(
            f"series not in the items table: {fmt_items(series_labels(unknown, keys))}",
            source=source,
            column=", ".join(keys),
        )


def validate_resources(df: pl.DataFrame, source: str = "resources") -> pl.DataFrame:
    """Check the resources table: `resource`, `kind` (order | storage), `capacity` >= 0, optional `date`."""
    _require(df, ["resource", "kind", "capacity"], source)
    df = _text(df, "resource", source)
    df = _text(df, "kind", source).with_columns(pl.col("kind").str.strip_chars().str.to_lowercase())
    _check(df, ~pl.col("kind").is_in(list(RESOURCE_KINDS)), "kind must be 'order' or 'storage'", source, "kind")
    df = _number(df, "capacity", source)
    _check(df, pl.col("capacity") < 0, "capacity must be >= 0", source, "capacity")
    if "date" in df.columns:
        if df["date"].null_count() < df.height:
            df = df.with_columns(pl.col("date").fill_null(pl.lit(None)))
            dated = df.filter(pl.col("date").is_not_null())
            dated = _date(dated, "date", source)
            df = pl.concat([df.filter(pl.col("date").is_null()).with_columns(pl.col("date").cast(pl.Date)), dated])
        else:
            df = df.with_columns(pl.col("date").cast(pl.Date))
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.Date).alias("date"))
    kinds = df.group_by("resource").agg(pl.col("kind").n_unique().alias("n")).filter(pl.col("n") > 1)
    if kinds.height:
        raise InputError(
            f"resources with more than one kind: {fmt_items(kinds['resource'].to_list())}", source=source, column="kind"
        )
    _duplicates(df, ["resource", "date"], source, "resource and date")
    return df.select("resource", "kind", "capacity", "date")


def validate_usage(
    df: pl.DataFrame, keys: list[str], resources: pl.DataFrame, items: pl.DataFrame, source: str = "usage"
) -> pl.DataFrame:
    """Check the usage table: series key, `resource`, `per_unit` >= 0, `per_order` >= 0 (default 0).

    A row may name a `supplier` (of the items table) instead of a series: it then applies to every
    series of that supplier.
    """
    by_supplier = "supplier" in df.columns and not all(k in df.columns for k in keys)
    _require(df, ["resource", *(["supplier"] if by_supplier else keys)], source)
    df = _text(df, "resource", source)
    for col in ("per_unit", "per_order"):
        df = _number(df, col, source, allow_null=True) if col in df.columns else df.with_columns(pl.lit(0.0).alias(col))
        df = df.with_columns(pl.col(col).fill_null(0.0))
        _check(df, pl.col(col) < 0, f"{col} must be >= 0", source, col)
    unknown = df.filter(~pl.col("resource").is_in(resources["resource"].unique().to_list()))
    if unknown.height:
        raise InputError(
            f"resources not in the resources table: {fmt_items(unknown['resource'].unique(maintain_order=True))}",
            source=source,
            column="resource",
        )
    if by_supplier:
        df = _text(df, "supplier", source)
        unknown = df.join(items.select("supplier").unique(), on="supplier", how="anti")
        if unknown.height:
            raise InputError(
                f"suppliers not in the items table: {fmt_items(unknown['supplier'].unique(maintain_order=True))}",
                source=source,
                column="supplier",
            )
        df = df.join(items.select([*keys, "supplier"]), on="supplier", how="inner")
    else:
        for k in keys:
            df = _text(df, k, source)
        _known_series(df, items, keys, source)
    _duplicates(df, [*keys, "resource"], source, "series and resource")
    storage = resources.filter(pl.col("kind") == "storage")["resource"].unique().to_list()
    _check(
        df,
        pl.col("resource").is_in(storage) & (pl.col("per_order") > 0),
        "per_order usage of a storage resource means nothing",
        source,
        "per_order",
        "set it to 0",
    )
    return df.select([*keys, "resource", "per_unit", "per_order"])


def validate_open_orders(
    df: pl.DataFrame, keys: list[str], items: pl.DataFrame, source: str = "open_orders"
) -> pl.DataFrame:
    """Check open orders: series key, arrival `date`, `qty` >= 0."""
    _require(df, [*keys, "date", "qty"], source)
    for k in keys:
        df = _text(df, k, source)
    df = _date(df, "date", source)
    df = _number(df, "qty", source)
    _check(df, pl.col("qty") < 0, "negative quantities", source, "qty")
    _known_series(df, items, keys, source)
    return df.select([*keys, "date", "qty"])
