import datetime as dt

import polars as pl
import pytest

from scm.errors import InputError
from scm.schema import (
    check_series_have_items,
    validate_demand,
    validate_future,
    validate_items,
    validate_open_orders,
    validate_resources,
    validate_usage,
)

D = dt.date(2024, 1, 1)


def demand(**cols):
    base = {"sku": ["A", "B"], "date": ["2024-01-01", "2024-01-08"], "qty": [1.0, 2.0]}
    base.update(cols)
    return pl.DataFrame(base)


def test_demand_ok_casts_types_and_keeps_features():
    df = validate_demand(demand(price=[1, 2]))
    assert df.schema["date"] == pl.Date
    assert df.schema["qty"] == pl.Float64
    assert df.schema["price"] == pl.Float64


@pytest.mark.parametrize(
    ("frame", "column", "message"),
    [
        (demand().drop("qty"), "qty", "required column 'qty' is missing"),
        (demand().drop("sku"), "sku", "required column 'sku' is missing"),
        (demand(qty=[1.0, -2.0]), "qty", "negative quantities"),
        (demand(qty=["1", "x"]), "qty", "not numbers"),
        (demand(qty=[1.0, None]), "qty", "missing values"),
        (demand(qty=[1.0, float("nan")]), "qty", "NaN or infinite"),
        (demand(date=["2024-01-01", "01/08/2024"]), "date", "cannot read dates"),
        (demand(sku=["A", None]), "sku", "empty values"),
    ],
)
def test_demand_rules(frame, column, message):
    with pytest.raises(InputError, match=message) as info:
        validate_demand(frame, "demand.csv")
    text = str(info.value)
    assert "demand.csv" in text and f"'{column}'" in text


def test_demand_error_names_rows():
    with pytest.raises(InputError, match=r"rows/series \[2\]"):
        validate_demand(demand(qty=[1.0, -1.0]), "d.csv")


def test_missing_column_says_how_to_rename():
    with pytest.raises(InputError, match="--columns OLD=qty"):
        validate_demand(demand().rename({"qty": "sales"}))


def test_items_defaults_follow_the_contract():
    items = validate_items(pl.DataFrame({"sku": ["A"], "unit_cost": [52.0]}), ["sku"], freq="1w")
    row = items.row(0, named=True)
    holding = 0.25 * 52.0 / (365.25 / 7)
    assert row["holding_cost"] == pytest.approx(holding)
    assert row["service_level"] == 0.95
    assert row["shortage_cost"] == pytest.approx(holding * 0.95 / 0.05)
    assert (row["order_cost"], row["lead_time"], row["moq"], row["lot_size"], row["initial_inventory"]) == (
        0.0,
        1,
        0.0,
        0.0,
        0.0,
    )
    assert row["supplier"] == ""


def test_items_lost_sales_default_and_rule():
    lost = validate_items(
        pl.DataFrame({"sku": ["A"], "unit_cost": [10.0], "holding_cost": [1.0]}), ["sku"], freq="1w", backorders="lost"
    )
    assert lost["shortage_cost"][0] == pytest.approx(1.0 * 19 + 10.0)
    with pytest.raises(InputError, match="must be above unit_cost"):
        validate_items(
            pl.DataFrame({"sku": ["A"], "unit_cost": [10.0], "shortage_cost": [8.0]}),
            ["sku"],
            freq="1w",
            backorders="lost",
        )


def test_items_blank_optional_cells_take_the_default():
    items = validate_items(
        pl.DataFrame({"sku": ["A", "B"], "unit_cost": [1.0, 1.0], "lead_time": [3, None]}), ["sku"], freq="1w"
    )
    assert items["lead_time"].to_list() == [3, 1]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"sku": ["A"]}), "required column 'unit_cost'"),
        (pl.DataFrame({"sku": ["A", "A"], "unit_cost": [1.0, 2.0]}), "duplicate series: A"),
        (pl.DataFrame({"sku": ["A"], "unit_cost": [0.0]}), "unit_cost must be > 0"),
        (pl.DataFrame({"sku": ["A"], "unit_cost": [1.0], "service_level": [1.0]}), "strictly between 0 and 1"),
        (pl.DataFrame({"sku": ["A"], "unit_cost": [1.0], "lead_time": [1.5]}), "whole numbers"),
        (pl.DataFrame({"sku": ["A"], "unit_cost": [1.0], "moq": [-1.0]}), "moq must be >= 0"),
        (pl.DataFrame({"sku": ["A"], "unit_cost": [1.0], "holding_cost": [-1.0]}), "holding_cost must be >= 0"),
    ],
)
def test_items_rules(frame, message):
    with pytest.raises(InputError, match=message):
        validate_items(frame, ["sku"], freq="1w", source="items.csv")


def test_series_without_items_row_named():
    d = validate_demand(demand())
    items = validate_items(pl.DataFrame({"sku": ["A"], "unit_cost": [1.0]}), ["sku"], freq="1w")
    with pytest.raises(InputError, match="1 series have no row in the items table: B"):
        check_series_have_items(d, items, ["sku"], "demand.csv")


def test_location_is_part_of_the_key():
    d = validate_demand(demand(location=["x", "y"]))
    items = validate_items(
        pl.DataFrame({"sku": ["A", "B"], "location": ["x", "x"], "unit_cost": [1.0, 1.0]}),
        ["sku", "location"],
        freq="1w",
    )
    with pytest.raises(InputError, match="B@y"):
        check_series_have_items(d, items, ["sku", "location"], "demand.csv")


def test_resources_rules():
    ok = validate_resources(pl.DataFrame({"resource": ["s"], "kind": ["Storage"], "capacity": [5.0]}))
    assert ok["kind"][0] == "storage" and ok["date"][0] is None
    with pytest.raises(InputError, match="kind must be 'order' or 'storage'"):
        validate_resources(pl.DataFrame({"resource": ["s"], "kind": ["truck"], "capacity": [5.0]}))
    with pytest.raises(InputError, match="capacity must be >= 0"):
        validate_resources(pl.DataFrame({"resource": ["s"], "kind": ["order"], "capacity": [-1.0]}))
    with pytest.raises(InputError, match="duplicate resource and date"):
        validate_resources(pl.DataFrame({"resource": ["s", "s"], "kind": ["order"] * 2, "capacity": [1.0, 2.0]}))
    dated = validate_resources(
        pl.DataFrame(
            {"resource": ["s", "s"], "kind": ["order"] * 2, "capacity": [1.0, 2.0], "date": [None, "2024-01-08"]}
        )
    )
    assert dated["date"].null_count() == 1


def test_usage_rules():
    items = validate_items(
        pl.DataFrame({"sku": ["A", "B"], "unit_cost": [1.0, 1.0], "supplier": ["acme", "acme"]}), ["sku"], freq="1w"
    )
    res = validate_resources(
        pl.DataFrame({"resource": ["s", "line"], "kind": ["storage", "order"], "capacity": [5.0, 3.0]})
    )
    u = validate_usage(pl.DataFrame({"sku": ["A"], "resource": ["s"], "per_unit": [2.0]}), ["sku"], res, items)
    assert u["per_order"][0] == 0.0
    by_supplier = validate_usage(
        pl.DataFrame({"supplier": ["acme"], "resource": ["line"], "per_unit": [1.0]}), ["sku"], res, items
    )
    assert sorted(by_supplier["sku"].to_list()) == ["A", "B"]
    with pytest.raises(InputError, match="resources not in the resources table: truck"):
        validate_usage(pl.DataFrame({"sku": ["A"], "resource": ["truck"], "per_unit": [1.0]}), ["sku"], res, items)
    with pytest.raises(InputError, match="series not in the items table: Z"):
        validate_usage(pl.DataFrame({"sku": ["Z"], "resource": ["s"], "per_unit": [1.0]}), ["sku"], res, items)
    with pytest.raises(InputError, match="per_unit must be >= 0"):
        validate_usage(pl.DataFrame({"sku": ["A"], "resource": ["s"], "per_unit": [-1.0]}), ["sku"], res, items)
    with pytest.raises(InputError, match="per_order usage of a storage resource"):
        validate_usage(pl.DataFrame({"sku": ["A"], "resource": ["s"], "per_order": [1.0]}), ["sku"], res, items)


def test_open_orders_and_future():
    items = validate_items(pl.DataFrame({"sku": ["A"], "unit_cost": [1.0]}), ["sku"], freq="1w")
    oo = validate_open_orders(pl.DataFrame({"sku": ["A"], "date": ["2024-01-08"], "qty": [3]}), ["sku"], items)
    assert oo["qty"][0] == 3.0
    with pytest.raises(InputError, match="negative quantities"):
        validate_open_orders(pl.DataFrame({"sku": ["A"], "date": ["2024-01-08"], "qty": [-3]}), ["sku"], items)
    with pytest.raises(InputError, match="duplicate series and date"):
        validate_future(pl.DataFrame({"sku": ["A", "A"], "date": [D, D], "price": [1.0, 2.0]}), ["sku"])


def test_given_forecast_rules():
    from scm.schema import validate_forecast

    fc = pl.DataFrame({"sku": ["A"], "date": ["2024-01-01"], "qty": [1.0], "p90": [2.0], "model": ["lgbm"]})
    assert validate_forecast(fc, "fc.csv").columns == ["sku", "date", "qty", "p90"]
    with pytest.raises(InputError, match="negative quantities"):
        validate_forecast(fc.with_columns(pl.lit(-1.0).alias("p90")), "fc.csv")
    with pytest.raises(InputError, match="duplicate series and date"):
        validate_forecast(pl.concat([fc, fc]), "fc.csv")
