"""Pair moves for MCLP: never worse than the start, never above the optimum, escape
the plans where single swaps stall."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.heuristics import solve_structure
from siting.heuristics.cover_state import CoverState
from siting.heuristics.mclp import exchange_mclp, greedy_mclp, swap_mclp
from siting.heuristics.pair_swap import pair_bounds, pair_pass_mclp
from siting.heuristics.structure import CoverStructure, mclp_arrays
from tests.cover_reference import best_cover, covered


def stalled_instance(clusters: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """``clusters`` pairs of clusters: per pair, sites ``x, y`` each cover half of both
    clusters, ``a, b`` one cluster each and a shared row of weight 1 besides; the start
    opens every ``x, y``. Single swaps lose (16 < 20 per pair), pair moves gain 1 a pair."""
    block = np.array([[1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1], [1, 1, 0, 0]])
    cov = sp.block_diag([sp.csr_matrix(block.astype(float))] * clusters, format="csr")
    w = np.tile([5.0, 5, 5, 5, 1], clusters)
    start = np.tile([False, False, True, True], clusters)
    return cov, w, start


@pytest.mark.parametrize("clusters", [1, 3])
def test_pair_moves_escape_where_single_swaps_stall(clusters: int) -> None:
    cov, w, start = stalled_instance(clusters)
    p = 2 * clusters
    _, stuck = swap_mclp(cov, w, start, p=p)
    assert stuck == 20.0 * clusters  # a local optimum of single swaps
    mask, value = exchange_mclp(cov, w, start, p=p)
    assert value == 21.0 * clusters == best_cover(cov.toarray() > 0, w, p, None, None)
    assert int(mask.sum()) == p


def test_the_heuristic_start_leaves_a_plan_where_single_swaps_stall() -> None:
    # Greedy then single swaps stop at 24 here; with pair moves the start is optimal (25).
    dense = np.array([[0, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1], [0, 1, 0, 1, 0, 0],
                      [1, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 1],
                      [0, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 0]], bool)
    w = np.array([1.0, 1, 4, 8, 4, 8, 3, 3])
    cov = sp.csr_matrix(dense.astype(float))
    greedy, _ = greedy_mclp(cov, w, 2)
    assert swap_mclp(cov, w, greedy, 2)[1] == 24.0
    milp = mclp_arrays(CoverStructure.of(cov, w, p=2))
    assert solve_structure(milp).objective == 25.0 == best_cover(dense, w, 2, None, None)


def test_pair_moves_respect_the_budget() -> None:
    # Closing x, y (cost 1 each) frees 2; a and b cost 2 each, so only one fits.
    cov, w, start = stalled_instance(1)
    cost = np.array([2.0, 2.0, 1.0, 1.0])
    mask, value, _ = pair_pass_mclp(cov, w, start, cost=cost, budget=2.0)
    assert cost[mask].sum() <= 2.0
    assert value == covered(cov.toarray() > 0, w, mask) >= 20.0


def test_fixed_and_closed_sites_stay() -> None:
    cov, w, start = stalled_instance(1)
    closed = np.array([False, True, False, False])  # b is closed: {a, b} is out of reach
    mask, value = exchange_mclp(cov, w, start, p=2, closed=closed)
    assert not mask[1] and value == covered(cov.toarray() > 0, w, mask)
    fixed = np.array([False, False, True, False])  # x is an existing site: it stays open
    mask, value = exchange_mclp(cov, w, start, p=1, fixed_open=fixed)
    assert mask[2] and int(mask[~fixed].sum()) <= 1


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), mode=st.sampled_from(["p", "budget", "both"]),
       m=st.integers(3, 8))
def test_never_worse_than_the_start_never_above_the_optimum(seed: int, mode: str, m: int) -> None:
    rng = np.random.default_rng(seed)
    n = 20
    dense = rng.random((n, m)) < 0.3
    w = rng.integers(1, 20, n).astype(float)
    cost = rng.integers(1, 5, m).astype(float)
    p = int(rng.integers(1, m)) if mode != "budget" else None
    budget = float(rng.integers(2, 9)) if mode != "p" else None
    use_cost = cost if budget is not None else None
    cov = sp.csr_matrix(dense.astype(float))
    start, _ = greedy_mclp(cov, w, p, use_cost, budget)
    start_value = covered(dense, w, start)
    mask, value = exchange_mclp(cov, w, start, p, use_cost, budget)
    # the value returned is the plan's own, the plan is feasible
    assert value == pytest.approx(covered(dense, w, mask))
    if p is not None:
        assert mask.sum() <= p
    if budget is not None:
        assert cost[mask].sum() <= budget + 1e-9
    assert value >= start_value - 1e-9
    assert value <= best_cover(dense, w, p, use_cost, budget) + 1e-9
    again, _ = exchange_mclp(cov, w, start, p, use_cost, budget)
    assert np.array_equal(mask, again)  # the same plan for the same input


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(3, 9), n=st.integers(1, 25),
       density=st.sampled_from([0.2, 0.4, 0.7]))
def test_pair_bounds_hold_for_every_pair_move(seed: int, m: int, n: int, density: float) -> None:
    # Against every move closing two open sites and opening any one or two sites.
    rng = np.random.default_rng(seed)
    dense = rng.random((n, m)) < density
    w = rng.integers(1, 20, n).astype(float)
    start = rng.random(m) < 0.5
    opened = np.flatnonzero(start)
    if opened.size < 2:
        return
    allowed = rng.random(m) < 0.8
    allowed[opened] = True
    state = CoverState(sp.csr_matrix(dense.astype(float)), w, start)
    first, second = (np.array(x, dtype=np.int64)
                     for x in zip(*itertools.combinations(opened.tolist(), 2), strict=True))
    bounds = pair_bounds(state, first, second, allowed)
    now = covered(dense, w, start)
    for j1, j2, bound in zip(first, second, bounds, strict=True):
        closed = start.copy()
        closed[[j1, j2]] = False
        for r in (1, 2):
            for enter in itertools.combinations(np.flatnonzero(allowed & ~closed).tolist(), r):
                moved = closed.copy()
                moved[list(enter)] = True
                assert covered(dense, w, moved) - now <= bound + 1e-9, (j1, j2, enter)
