"""The Benders root: reduced-cost fixing never removes a better plan; the support MIP is exact.

Fixing is checked against brute force (every plan of a small master that breaks
a fixing is no better than the incumbent the fixing was made against), and
end to end: Benders with fixing agrees with the compact model with fractional
weights too (no rounding of bounds), and its bound stays valid when a time
limit stops it. The support MIP is compared with enumeration on the support.
"""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.backends.base import SolveOptions, Status, Tuning
from siting.heuristics.structure import CoverStructure
from siting.instance import Instance
from siting.models import MCLP
from siting.models.benders import Master
from siting.models.benders_root import reduced_cost_fixing, root_cut_loop
from siting.models.cover_cuts import CoverData
from siting.models.support import support_mclp
from tests.conftest import uniform_instance

COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def _plans(m: int, p: int) -> list[np.ndarray]:
    out = []
    for k in range(p + 1):
        for chosen in itertools.combinations(range(m), k):
            y = np.zeros(m)
            y[list(chosen)] = 1.0
            out.append(y)
    return out


FIXING = {"seed": st.integers(0, 10_000), "rows": st.integers(3, 40), "m": st.integers(2, 9),
          "groups": st.integers(1, 4), "below": st.sampled_from([0, 1, 3, 10])}


@settings(max_examples=60, **COMMON)
@given(**FIXING)
def test_fixing_keeps_every_better_plan(
    seed: int, rows: int, m: int, groups: int, below: int
) -> None:
    _check_fixing(seed, rows, m, groups, below)


@pytest.mark.slow
@settings(max_examples=600, **COMMON)
@given(**FIXING)
def test_fixing_keeps_every_better_plan_extended(
    seed: int, rows: int, m: int, groups: int, below: int
) -> None:
    _check_fixing(seed, rows, m, groups, below)


def _check_fixing(seed: int, rows: int, m: int, groups: int, below: int) -> None:
    rng = np.random.default_rng(seed)
    cov = sp.csr_matrix(rng.random((rows, m)) < 0.35, dtype=np.float64)
    weight = rng.integers(1, 20, rows).astype(float)
    p = 1 + seed % m
    data = CoverData.build(cov, weight, groups)
    master = Master(data, np.zeros(m), np.ones(m), sp.csr_matrix(np.ones((1, m))),
                    np.array([float(p)]), 0.0)
    root = root_cut_loop(master, np.full(m, p / m), np.inf)
    assert root.reduced is not None
    plans = _plans(m, p)
    values = np.array([data.total(y) for y in plans])
    # The incumbent: a plan `below` under the optimum, or the worst one.
    order = np.argsort(values)
    target = values.max() - below
    pick = order[np.searchsorted(values[order], target)] if target > values.min() else order[0]
    start, best = plans[pick], float(values[pick])
    assert root.bound >= values.max() - 1e-6  # the LP is a relaxation
    closed, opened = reduced_cost_fixing(root.bound, root.reduced, root.x[:m], np.zeros(m),
                                         np.ones(m), start, best, 1.0, True)
    assert not (closed & (start > 0.5)).any() and not (opened & (start < 0.5)).any()
    for y, value in zip(plans, values, strict=True):
        if (y[closed] > 0.5).any() or (y[opened] < 0.5).any():
            assert value <= best + 1e-9  # integral weights: nothing better is cut off


def _float_instance(seed: int, n: int, m: int) -> Instance:
    rng = np.random.default_rng(seed)
    demand = pd.DataFrame({"x": rng.uniform(0, 30, n), "y": rng.uniform(0, 30, n),
                           "weight": rng.uniform(0.1, 9.9, n)})
    sites = pd.DataFrame({"x": rng.uniform(0, 30, m), "y": rng.uniform(0, 30, m),
                          "cost": rng.uniform(1, 4, m)})
    return Instance.from_frames(demand, sites, cost="cost")


AGREE = {"seed": st.integers(0, 10_000), "n": st.integers(20, 300), "m": st.integers(3, 25),
         "radius": st.sampled_from([4.0, 7.0]), "budget": st.booleans()}


@settings(max_examples=25, **COMMON)
@given(**AGREE)
def test_benders_with_fixing_agrees_with_fractional_weights(
    seed: int, n: int, m: int, radius: float, budget: bool
) -> None:
    _check_agreement(seed, n, m, radius, budget)


@pytest.mark.slow
@settings(max_examples=300, **COMMON)
@given(**AGREE)
def test_benders_with_fixing_agrees_with_fractional_weights_extended(
    seed: int, n: int, m: int, radius: float, budget: bool
) -> None:
    _check_agreement(seed, n, m, radius, budget)


def _check_agreement(seed: int, n: int, m: int, radius: float, budget: bool) -> None:
    inst = _float_instance(seed, n, m)
    p = None if budget else 1 + seed % m
    spend = 2.0 + seed % 7 if budget else None
    opts = SolveOptions(time_limit=60)
    compact = MCLP(radius=radius, p=p, budget=spend, formulation="compact").solve(
        inst, "highs", opts)
    benders = MCLP(radius=radius, p=p, budget=spend, formulation="benders").solve(
        inst, "highs", opts)
    assert compact.status == Status.OPTIMAL and benders.status == Status.OPTIMAL
    assert benders.verified
    assert benders.objective == pytest.approx(compact.objective, rel=1e-7)
    assert benders.bound is not None and benders.bound >= compact.objective - 1e-6


def test_fixing_happens_and_a_stopped_run_keeps_a_valid_bound() -> None:
    inst = uniform_instance(11, 6_000, 300)
    exact = MCLP(radius=8.0, p=12, formulation="compact").solve(inst)
    full = MCLP(radius=8.0, p=12, formulation="benders").solve(inst)
    assert exact.status == Status.OPTIMAL and full.status == Status.OPTIMAL
    assert full.stats["sites_fixed_by_reduced_cost"] > 0
    assert full.objective == pytest.approx(exact.objective)
    for limit in (0.2, 0.5, 1.0):
        cut = MCLP(radius=8.0, p=12, formulation="benders").solve(
            inst, options=SolveOptions(time_limit=limit))
        assert cut.verified and cut.bound is not None
        assert cut.bound >= exact.objective - 1e-6  # never below the true optimum
        if cut.status != Status.OPTIMAL:
            assert cut.gap is not None and cut.gap > 0


@settings(max_examples=40, **COMMON)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 30), m=st.integers(1, 8),
       limit=st.sampled_from(["p", "budget"]), fixed=st.integers(0, 1))
def test_support_mip_is_optimal_on_its_support(
    seed: int, rows: int, m: int, limit: str, fixed: int
) -> None:
    rng = np.random.default_rng(seed)
    cov = sp.csr_matrix(rng.random((rows, m)) < 0.4, dtype=np.float64)
    weight = rng.integers(0, 9, rows).astype(float)
    cost = rng.integers(1, 4, m).astype(float)
    support = rng.random(m) < 0.7
    fixed_open = np.zeros(m, dtype=bool)
    fixed_open[:fixed] = True
    p = 1 + seed % m if limit == "p" else None
    budget = float(1 + seed % 6) if limit == "budget" else None
    s = CoverStructure.of(cov, weight, p=p, cost=cost, budget=budget, fixed_open=fixed_open)
    mask = support_mclp(s, support)
    assert mask is not None
    dense = cov.toarray()

    def value(y: np.ndarray) -> float:
        return float(weight @ (dense @ y > 0))

    best = -1.0
    free = np.flatnonzero(support & ~fixed_open)
    for k in range(free.size + 1):
        for chosen in itertools.combinations(free, k):
            y = fixed_open.astype(float)
            y[list(chosen)] = 1.0
            if p is not None and k > p:
                continue
            if budget is not None and cost[list(chosen)].sum() > budget + 1e-9:
                continue
            best = max(best, value(y))
    assert not (mask & ~(support | fixed_open)).any() and mask[fixed_open].all()
    new = mask & ~fixed_open
    assert p is None or new.sum() <= p
    assert budget is None or cost[new].sum() <= budget + 1e-9
    assert value(mask.astype(float)) == pytest.approx(best)


def test_support_mip_declines_a_support_far_larger_than_the_plan() -> None:
    rng = np.random.default_rng(4)
    cov = sp.csr_matrix(rng.random((30, 12)) < 0.4, dtype=np.float64)
    start = np.zeros(12, dtype=bool)
    start[:2] = True
    weight = np.ones(30)
    s = CoverStructure.of(cov, weight, p=2)
    assert support_mclp(s, np.ones(12, dtype=bool), start=start) is None
    small = np.zeros(12, dtype=bool)
    small[:5] = True
    assert support_mclp(s, small, start=start) is not None


def test_support_mip_runs_without_the_solvers_heuristics_and_restarts() -> None:
    # A heuristic's sub-MIP from the plan: HiGHS's own heuristics and restarts repeat work.
    from siting.models import support

    seen: list[SolveOptions] = []
    real = support.backend_with

    class Spy:
        def __init__(self, backend: object) -> None:
            self.backend = backend

        def solve(self, milp: object, options: SolveOptions) -> object:
            seen.append(options)
            return self.backend.solve(milp, options)  # type: ignore[attr-defined]

    cov = sp.csr_matrix(np.eye(6)[[0, 1, 2, 3, 4, 5, 0, 1]])
    s = CoverStructure.of(cov, np.arange(1.0, 9.0), p=2)
    with mock.patch.object(support, "backend_with", lambda cap: Spy(real(cap))):
        mask = support_mclp(s, np.ones(6, dtype=bool))
    assert mask is not None and int(mask.sum()) == 2
    assert {Tuning.NO_HEURISTICS, Tuning.NO_RESTART} <= seen[0].tuning
