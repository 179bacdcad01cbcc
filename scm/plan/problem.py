"""The one planning problem every planner solves: series × periods arrays built from validated tables.

See the contract ("The planning problem"). Series are rows, periods are columns; everything a
planner or the verifier needs is here, so no planner reads a table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from scm.errors import InputError
from scm.periods import bucket
from scm.schema import BACKORDER_MODES

# z-score of the normal distribution at 0.9 — (p90 - p10) / (2 * Z90) estimates one standard deviation
Z90 = 1.2815515655446004


@dataclass(frozen=True, eq=False)
class Problem:
    """Arrays of one planning problem (n series, T periods, R resources).

    Attributes:
        keys: n rows of key columns (`sku`, maybe `location`), in array order.
        dates: the T period starts.
        demand: (n, T) demand planned against.
        safety_stock: (n, T) safety-stock targets (0 = none).
        open_orders: (n, T) quantities already on order, by arrival period.
        unit_cost, holding_cost, shortage_cost, order_cost, moq, lot_size, initial_inventory: (n,).
        lead_time: (n,) whole periods.
        backorders: "allow", "lost" or "none".
        resource_names, resource_kinds: (R,) names and kinds (`order` | `storage`).
        capacity: (R, T) capacity per period (inf = no limit in that period).
        per_unit, per_order: (R, n) usage per unit and per order placed.
        freq: the period length.
    """

    keys: pl.DataFrame
    dates: list[dt.date]
    demand: np.ndarray
    safety_stock: np.ndarray
    open_orders: np.ndarray
    unit_cost: np.ndarray
    holding_cost: np.ndarray
    shortage_cost: np.ndarray
    order_cost: np.ndarray
    lead_time: np.ndarray
    moq: np.ndarray
    lot_size: np.ndarray
    initial_inventory: np.ndarray
    backorders: str = "allow"
    resource_names: list[str] = field(default_factory=list)
    resource_kinds: list[str] = field(default_factory=list)
    capacity: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    per_unit: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    per_order: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    freq: str = "1w"

    @property
    def n(self) -> int:
        return self.demand.shape[0]

    @property
    def periods(self) -> int:
        return self.demand.shape[1]

    @property
    def key_columns(self) -> list[str]:
        return list(self.keys.columns)

    def can_order(self) -> np.ndarray:
        """(n, T) mask: an order placed in t arrives inside the horizon."""
        t = np.arange(self.periods)
        return t[None, :] + self.lead_time[:, None] < self.periods

    def needs_setup(self) -> np.ndarray:
        """(n,) series whose orders need an on/off decision: order cost, MOQ or per-order usage."""
        per_order_used = (self.per_order > 0).any(axis=0) if self.per_order.size else np.zeros(self.n, bool)
        return (self.order_cost > 0) | (self.moq > 0) | per_order_used

    def sell_first_cells(self) -> np.ndarray:
        """(n, T) cells that need a stock-out binary: lost sales with a safety-stock target.

        Losing a sale while holding stock never pays (shortage_cost > unit_cost), except to keep
        stock at a safety-stock target; there the model must be told that stock sells first.
        """
        if self.backorders != "lost":
            return np.zeros(self.demand.shape, bool)
        return (self.safety_stock > 0).any(axis=1)[:, None] & (self.demand > 0)

    def is_mip(self) -> bool:
        return bool(self.needs_setup().any() or (self.lot_size > 0).any() or self.sell_first_cells().any())

    def series_label(self, i: int) -> str:
        return "@".join(str(v) for v in self.keys.row(i))


def _grid(frame: pl.DataFrame, keys: pl.DataFrame, dates: list[dt.date], value: str) -> np.ndarray:
    """Pivot a long (keys, date, value) frame onto the (n, T) grid; absent cells are 0."""
    n, T = keys.height, len(dates)
    out = np.zeros((n, T))
    if frame.height == 0:
        return out
    kcols = keys.columns
    idx = keys.with_row_index("_i")
    didx = pl.DataFrame({"date": dates, "_t": np.arange(T)}, schema={"date": pl.Date, "_t": pl.Int64})
    cells = (
        frame.join(idx, on=kcols, how="inner")
        .join(didx, on="date", how="inner")
        .group_by("_i", "_t")
        .agg(pl.col(value).sum())
    )
    out[cells["_i"].to_numpy(), cells["_t"].to_numpy()] = cells[value].to_numpy()
    return out


def safety_stock_targets(
    forecast: pl.DataFrame,
    keys: pl.DataFrame,
    dates: list[dt.date],
    service_level: np.ndarray,
    lead_time: np.ndarray,
    *,
    sigma: np.ndarray | None = None,
) -> np.ndarray:
    """Safety-stock target per series and period: z(service_level) · σ · √(lead_time + 1).

    σ is the per-period forecast standard deviation: from the forecast's p10 and p90 columns
    ((p90 − p10) / 2.563, the normal-distribution spread between them) when present, else
    `sigma` (n,) — e.g. the standard deviation of one-step forecast errors on the history.
    √(lead_time + 1) spreads it over the protection interval of a plan re-made every period:
    an order placed now arrives after the lead time, and the next chance to react is one period
    later. Period by period errors are taken as independent.
    """
    from statistics import NormalDist

    z = np.array([NormalDist().inv_cdf(float(s)) for s in service_level])
    if {"p10", "p90"} <= set(forecast.columns):
        spread = forecast.with_columns(((pl.col("p90") - pl.col("p10")).clip(lower_bound=0) / (2 * Z90)).alias("_s"))
        sd = _grid(spread, keys, dates, "_s")
    elif sigma is not None:
        sd = np.repeat(np.asarray(sigma, float)[:, None], len(dates), axis=1)
    else:
        return np.zeros((keys.height, len(dates)))
    return np.maximum(z, 0.0)[:, None] * sd * np.sqrt(lead_time + 1.0)[:, None]


def build_problem(
    forecast: pl.DataFrame,
    items: pl.DataFrame,
    *,
    freq: str,
    resources: pl.DataFrame | None = None,
    usage: pl.DataFrame | None = None,
    open_orders: pl.DataFrame | None = None,
    backorders: str = "allow",
    safety_stock: float = 1.0,
    sigma: np.ndarray | None = None,
) -> Problem:
    """Build the problem arrays from validated tables.

    Args:
        forecast: demand to plan against: keys, `date` (period starts), `qty`, optional `p10`/`p90`.
        items: validated items (defaults filled), one row per series.
        freq: period length.
        resources, usage, open_orders: validated optional tables.
        backorders: "allow", "lost" or "none".
        safety_stock: factor on the safety-stock targets; 0 turns safety stock off.
        sigma: (n,) per-period demand standard deviation, used when the forecast has no p10/p90.
    """
    if backorders not in BACKORDER_MODES:
        raise InputError(f"unknown mode '{backorders}'", source="--backorders", fix="use allow, lost or none")
    if safety_stock < 0:
        raise InputError("must be >= 0", source="--safety-stock")
    kcols = [c for c in ("sku", "location") if c in forecast.columns]
    keys = forecast.select(kcols).unique(maintain_order=True).sort(kcols)
    dates = sorted(forecast["date"].unique().to_list())
    if not dates:
        raise InputError("nothing to plan: the forecast has no periods", source="forecast")
    it = keys.join(items, on=kcols, how="left")
    col = lambda c: it[c].to_numpy().astype(float)  # noqa: E731
    demand = _grid(forecast, keys, dates, "qty")
    lead = it["lead_time"].to_numpy().astype(np.int64)
    ss = np.zeros_like(demand)
    if safety_stock > 0:
        ss = safety_stock * safety_stock_targets(forecast, keys, dates, col("service_level"), lead, sigma=sigma)
    oo = np.zeros_like(demand)
    if open_orders is not None and open_orders.height:
        first = dates[0]
        # overdue open orders (arrival dated before period 1) are taken to arrive in period 1
        oo_frame = open_orders.with_columns(
            pl.max_horizontal(bucket(pl.col("date"), freq, first), pl.lit(first)).alias("date")
        )
        oo = _grid(oo_frame, keys, dates, "qty")
    names: list[str] = []
    kinds: list[str] = []
    cap = np.zeros((0, len(dates)))
    pu = np.zeros((0, keys.height))
    po = np.zeros((0, keys.height))
    if resources is not None and resources.height:
        names = resources["resource"].unique(maintain_order=True).to_list()
        kinds = [resources.filter(pl.col("resource") == r)["kind"][0] for r in names]
        cap = _capacity(resources, names, dates, freq)
        pu = np.zeros((len(names), keys.height))
        po = np.zeros((len(names), keys.height))
        if usage is not None and usage.height:
            u = usage.join(keys.with_row_index("_i"), on=kcols, how="inner").join(
                pl.DataFrame({"resource": names, "_r": np.arange(len(names))}), on="resource", how="inner"
            )
            r_idx, i_idx = u["_r"].to_numpy(), u["_i"].to_numpy()
            pu[r_idx, i_idx] = u["per_unit"].to_numpy()
            po[r_idx, i_idx] = u["per_order"].to_numpy()
    return Problem(
        keys=keys,
        dates=dates,
        demand=demand,
        safety_stock=ss,
        open_orders=oo,
        unit_cost=col("unit_cost"),
        holding_cost=col("holding_cost"),
        shortage_cost=col("shortage_cost"),
        order_cost=col("order_cost"),
        lead_time=lead,
        moq=col("moq"),
        lot_size=col("lot_size"),
        initial_inventory=col("initial_inventory"),
        backorders=backorders,
        resource_names=names,
        resource_kinds=kinds,
        capacity=cap,
        per_unit=pu,
        per_order=po,
        freq=freq,
    )


def _capacity(resources: pl.DataFrame, names: list[str], dates: list[dt.date], freq: str) -> np.ndarray:
    """(R, T) capacities (inf = no limit).

    The undated row of a resource applies to every period; dated rows override it in the period
    they fall in. Several dated rows in one period (daily capacities, weekly plan) add up for
    `order` resources (a flow per period) and take the smallest for `storage` (a level).
    """
    ridx = pl.DataFrame({"resource": names, "_r": np.arange(len(names))})
    cap = np.full((len(names), len(dates)), np.inf)
    every = resources.filter(pl.col("date").is_null()).join(ridx, on="resource")
    cap[every["_r"].to_numpy(), :] = every["capacity"].to_numpy()[:, None]
    dated = resources.filter(pl.col("date").is_not_null())
    if dated.height:
        didx = pl.DataFrame({"_p": dates, "_t": np.arange(len(dates))}, schema={"_p": pl.Date, "_t": pl.Int64})
        cells = (
            dated.with_columns(bucket(pl.col("date"), freq, dates[0]).alias("_p"))
            .join(didx, on="_p")
            .join(ridx, on="resource")
            .group_by("_r", "_t")
            .agg(
                pl.when(pl.col("kind").first() == "order")
                .then(pl.col("capacity").sum())
                .otherwise(pl.col("capacity").min())
                .alias("capacity")
            )
        )
        cap[cells["_r"].to_numpy(), cells["_t"].to_numpy()] = cells["capacity"].to_numpy()
    return cap
