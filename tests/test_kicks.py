"""Pair moves from kicked plans (siting.heuristics.kicks): never worse than pair moves
alone, never above the optimum, always a feasible plan, the same plan for the same inputs,
and out of a plan where pair moves stall."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.heuristics.kicks import kicked_exchange_mclp
from siting.heuristics.mclp import exchange_mclp, greedy_mclp
from siting.heuristics.structure import CoverStructure
from tests.cover_reference import best_cover, covered


def instance(seed: int, n: int = 40, m: int = 14) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, m)) < 0.15, rng.integers(1, 20, n).astype(float)


def test_kicks_reach_the_optimum_where_pair_moves_stall() -> None:
    cov, w = instance(69)  # found by search: pair moves stop at 255, the optimum is 271
    matrix = sp.csr_matrix(cov.astype(float))
    start, _ = greedy_mclp(matrix, w, p=4)
    stalled, value = exchange_mclp(matrix, w, start, 4)
    best = best_cover(cov, w, 4)
    assert value == 255.0 and best == 271.0
    s = CoverStructure.of(matrix, w, p=4)
    mask, reached = kicked_exchange_mclp(s, stalled, np.ones(cov.shape[1]), start_value=value)
    assert reached == best == covered(cov, w, mask)
    assert mask.sum() == 4


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(0, 2), st.integers(0, 2))
def test_kicked_plans_are_feasible_and_never_worse(seed: int, p: int, n_fixed: int,
                                                   n_closed: int) -> None:
    cov, w = instance(seed, n=25, m=9)
    m = cov.shape[1]
    rng = np.random.default_rng(seed + 1)
    chosen = rng.permutation(m)
    fixed = np.isin(np.arange(m), chosen[:n_fixed])
    closed = np.isin(np.arange(m), chosen[n_fixed:n_fixed + n_closed])
    matrix = sp.csr_matrix(cov.astype(float))
    s = CoverStructure.of(matrix, w, p=p, fixed_open=fixed, closed=closed)
    start = fixed.copy()
    start[np.flatnonzero(~fixed & ~closed)[:p]] = True
    _, after_pairs = exchange_mclp(matrix, w, start, p, None, None, fixed, closed)
    mask, value = kicked_exchange_mclp(s, start, rng.random(m), patience=5, seed=seed)
    assert value == covered(cov, w, mask)
    assert after_pairs <= value <= best_cover(cov, w, p, fixed=fixed, closed=closed)
    assert mask[fixed].all() and not mask[closed].any()
    assert (mask & ~fixed).sum() <= p


def test_the_same_inputs_give_the_same_plan() -> None:
    cov, w = instance(17)
    matrix = sp.csr_matrix(cov.astype(float))
    s = CoverStructure.of(matrix, w, p=4)
    start, _ = greedy_mclp(matrix, w, p=4)
    guide = np.linspace(0, 1, cov.shape[1])
    first = kicked_exchange_mclp(s, start, guide)
    again = kicked_exchange_mclp(s, start, guide)
    assert np.array_equal(first[0], again[0]) and first[1] == again[1]


def test_a_plan_with_a_budget_is_not_kicked() -> None:
    # A kick keeps the count of sites, not the spending: with a budget only pair moves run.
    cov, w = instance(69)
    matrix = sp.csr_matrix(cov.astype(float))
    cost = np.ones(cov.shape[1])
    s = CoverStructure.of(matrix, w, p=4, cost=cost, budget=4.0)
    start, _ = greedy_mclp(matrix, w, p=4)
    pairs = exchange_mclp(matrix, w, start, 4, cost, 4.0)
    kicked = kicked_exchange_mclp(s, start, np.ones(cov.shape[1]))
    assert np.array_equal(kicked[0], pairs[0]) and kicked[1] == pairs[1] == 255.0
