"""The decomposition planner: its plans verify, its bound is below plan_lp's optimum, its objective is
within the gap of it, and the single-item pricing program is exact."""

from __future__ import annotations

import numpy as np
import pytest
from clsp import make_problem

from scm.plan.decompose import _Pricer, plan_decomposed, supports
from scm.plan.lp import plan_lp
from scm.plan.verify import verify


def random_problem(n: int, T: int, seed: int, *, budget: float = 1.1, storage_weeks: float = 0.3, open_orders=False):
    """Seasonal demand, lead times 0–3, safety stock, shared storage and budget that bind."""
    rng = np.random.default_rng(seed)
    unit = rng.uniform(2.0, 40.0, n)
    hold = unit * rng.uniform(0.15, 0.35, n) / 52
    service = rng.uniform(0.9, 0.98, n)
    rate = rng.lognormal(np.log(20), 0.8, n)
    season = 1 + 0.5 * np.sin(2 * np.pi * (np.arange(T)[None, :] / T - rng.uniform(0, 1, n)[:, None] * 0.2))
    demand = np.round(rate[:, None] * season * rng.gamma(4.0, 0.25, (n, T)), 1)
    lead = rng.integers(0, 4, n)
    ss = np.round(np.repeat((1.5 * demand.std(axis=1) * np.sqrt(lead + 1))[:, None], T, axis=1), 1)
    volume = rng.uniform(0.5, 2.0, n)
    init = np.round(rate * 0.5, 1)
    oo = np.zeros((n, T))
    if open_orders:
        oo[:, 1] = np.round(rate * rng.uniform(0, 1, n), 1)
    storage = 0.65 * float((volume * (ss[:, 0] + storage_weeks * rate)).sum())
    storage = max(storage, 1.05 * float((volume * init).sum()))
    return make_problem(
        demand,
        unit_cost=unit,
        holding_cost=hold,
        shortage_cost=hold * service / (1 - service),
        lead_time=lead,
        initial_inventory=init,
        safety_stock=ss,
        open_orders=oo,
        resource_names=["storage", "budget"],
        resource_kinds=["storage", "order"],
        capacity=np.array([[storage] * T, [budget * float((unit[:, None] * demand).sum(axis=0).mean())] * T]),
        per_unit=np.vstack([volume, unit]),
        per_order=np.zeros((2, n)),
    )


@pytest.mark.parametrize("seed,open_orders", [(0, False), (1, True), (2, False)])
def test_decomposed_matches_plan_lp_within_gap(seed, open_orders):
    problem = random_problem(40, 16, seed, open_orders=open_orders)
    exact = plan_lp(problem).summary["objective"]
    result = plan_decomposed(problem, gap=1e-4, groups=8)
    s = result.summary
    assert s["status"] == "optimal" and s["solver"] == "highs-decomposition"
    assert s["bound"] <= exact * (1 + 1e-9)  # a valid lower bound
    assert exact <= s["objective"] * (1 + 1e-9)  # a plan cannot beat the optimum
    assert (s["objective"] - exact) / exact <= 1e-4 + 1e-9
    check = verify(problem, result.plan)
    assert check.ok, check.violations
    assert check.objective == pytest.approx(s["objective"], rel=1e-6)


def test_capacities_bind_in_the_test_instances():
    """Otherwise the decomposition would have nothing to do."""
    problem = random_problem(40, 16, 0)
    prices = plan_lp(problem).summary.get("shadow_prices", [])
    assert {p["resource"] for p in prices} == {"storage", "budget"}


def test_pricing_is_exact_per_series():
    """At any prices, the dynamic program's plan costs what the series' own LP optimum costs."""
    problem = random_problem(12, 10, 3, budget=1e9, storage_weeks=1e9)  # no binding capacity
    pricer = _Pricer(problem)
    orders = pricer.plan(pricer.solve(np.zeros((2, 10))))
    from scm.plan.result import plan_costs, simulate_balance

    dp_cost = sum(plan_costs(problem, orders, simulate_balance(problem, orders)).values())
    assert dp_cost == pytest.approx(plan_lp(problem).summary["objective"], rel=1e-9)


def test_unsupported_problems_go_to_plan_lp():
    problem = random_problem(5, 6, 0)
    mip = make_problem(problem.demand, order_cost=3.0, holding_cost=0.1, shortage_cost=1.0)
    assert not supports(mip)
    assert plan_decomposed(mip).summary["solver"] == "highs"


def test_numpy_pricing_matches_the_compiled_one(monkeypatch):
    import scm.plan.decompose as decompose

    problem = random_problem(40, 16, 1, open_orders=True)
    prices = np.random.default_rng(0).uniform(0, 0.05, (2, 16))
    pricer = _Pricer(problem)

    def lagrangian(orders):
        cost, use = decompose._evaluate(problem, orders)
        return cost + (use * prices[None]).sum(axis=(1, 2))

    first = lagrangian(pricer.plan(pricer.solve(prices)))
    monkeypatch.setattr(decompose, "numba", None)
    second = lagrangian(pricer.plan(pricer.solve(prices)))
    np.testing.assert_allclose(first, second, rtol=1e-12)
