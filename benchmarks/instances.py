"""Realistic random planning problems for the scale benchmarks (seeded: same seed, same problem).

n SKUs × T weeks, backorders allowed, no setups (an LP):
- unit cost lognormal (median 20, a wide spread), holding 15–35 % of unit cost a year, service
  level 0.90–0.99 and shortage cost from it as the contract's default
  (holding × service_level / (1 − service_level));
- demand: lognormal weekly rate per SKU, a yearly season shared by most SKUs (peak in a common
  quarter, per-SKU amplitude and a little phase jitter), Poisson-like noise, and a third of the
  SKUs intermittent (each week a demand with probability 0.2–0.6);
- lead times 0–4 weeks; safety stock z(service level) · σ · √(lead time + 1), σ the per-SKU
  demand standard deviation;
- initial inventory about (lead time + 1) weeks of demand, so the first weeks are not all backlog;
- two shared resources: `storage` (kind storage, per_unit = a volume per unit, lognormal) and
  `budget` (kind order, per_unit = unit_cost). Their capacities are set from the aggregate
  demand so that the budget binds in the seasonal peak (the plan must buy ahead) and storage
  binds in the weeks before it: budget = 1.08 × the mean weekly purchase value, storage = the
  volume of the safety stock plus 0.9 weeks of mean demand.
"""

from __future__ import annotations

import datetime as dt
from statistics import NormalDist

import numpy as np
import polars as pl

from scm.plan.problem import Problem


def make_instance(
    n: int,
    periods: int = 52,
    *,
    seed: int = 0,
    budget_factor: float = 1.08,
    storage_weeks: float = 0.9,
    resources: bool = True,
) -> Problem:
    """A random n-SKU × `periods`-week LP planning problem with shared storage and budget."""
    rng = np.random.default_rng(seed)
    T = periods
    unit_cost = np.round(rng.lognormal(np.log(20.0), 0.9, n), 2) + 0.5
    holding_cost = unit_cost * rng.uniform(0.15, 0.35, n) / 52.0
    service = rng.uniform(0.90, 0.99, n)
    shortage_cost = holding_cost * service / (1.0 - service)
    lead_time = rng.integers(0, 5, n)

    rate = rng.lognormal(np.log(30.0), 1.2, n)
    amplitude = rng.uniform(0.0, 0.6, n) * (rng.random(n) < 0.8)  # a fifth are not seasonal
    phase = 0.35 + rng.normal(0.0, 0.04, n)  # peak near week 0.35 × 52 + 13 ≈ 31
    weeks = np.arange(T)
    season = 1.0 + amplitude[:, None] * np.sin(2 * np.pi * (weeks[None, :] / 52.0 - phase[:, None]))
    mean = rate[:, None] * season
    intermittent = rng.random(n) < 1 / 3
    p_demand = np.where(intermittent, rng.uniform(0.2, 0.6, n), 1.0)
    occurs = rng.random((n, T)) < p_demand[:, None]
    size = rng.gamma(shape=4.0, scale=mean / np.maximum(p_demand[:, None], 1e-9) / 4.0)
    demand = np.round(np.where(occurs, size, 0.0), 1)

    sigma = demand.std(axis=1)
    z = np.array([NormalDist().inv_cdf(float(s)) for s in service])
    ss_level = z * sigma * np.sqrt(lead_time + 1.0)
    safety_stock = np.round(np.repeat(ss_level[:, None], T, axis=1), 1)
    initial_inventory = np.round(rate * (lead_time + 1.0) * rng.uniform(0.5, 1.2, n), 1)

    keys = pl.DataFrame({"sku": [f"SKU{i:06d}" for i in range(n)]})
    start = dt.date(2025, 1, 6)
    dates = [start + dt.timedelta(weeks=int(t)) for t in range(T)]
    names: list[str] = []
    kinds: list[str] = []
    capacity = np.zeros((0, T))
    per_unit = np.zeros((0, n))
    if resources:
        volume = rng.lognormal(np.log(0.02), 0.8, n)  # m³ per unit
        storage = float((volume * (ss_level + storage_weeks * rate)).sum())
        storage = max(storage, 1.05 * float((volume * initial_inventory).sum()))
        budget = budget_factor * float((unit_cost[:, None] * demand).sum(axis=0).mean())
        names, kinds = ["storage", "budget"], ["storage", "order"]
        capacity = np.array([[storage] * T, [budget] * T])
        per_unit = np.vstack([volume, unit_cost])
    zeros_n = np.zeros(n)
    return Problem(
        keys=keys,
        dates=dates,
        demand=demand,
        safety_stock=safety_stock,
        open_orders=np.zeros((n, T)),
        unit_cost=unit_cost,
        holding_cost=holding_cost,
        shortage_cost=shortage_cost,
        order_cost=zeros_n,
        lead_time=lead_time.astype(np.int64),
        moq=zeros_n,
        lot_size=zeros_n,
        initial_inventory=initial_inventory,
        backorders="allow",
        resource_names=names,
        resource_kinds=kinds,
        capacity=capacity,
        per_unit=per_unit,
        per_order=np.zeros_like(per_unit),
        freq="1w",
    )
