"""Levels of different customers with the same site set share one z in the radius model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import shortest_path

from siting.backends import SolveOptions, get_backend
from siting.instance import Instance
from siting.models import pmedian_levels
from siting.models import pmedian_radius as radius
from siting.models.assign import Pairs, assignment_pairs
from siting.models.pmedian_levels import equal_levels


def _pairs(d: np.ndarray) -> Pairs:
    n, m = d.shape
    demand = np.repeat(np.arange(n), m)
    site = np.tile(np.arange(m), n)
    order = np.lexsort((site, d.ravel(), demand))
    return Pairs(demand[order], site[order], d.ravel()[order].astype(float), True)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 9), st.integers(1, 7), st.integers(0, 2**31), st.integers(1, 5),
       st.sampled_from([10**6, 1, 0]))
def test_groups_are_the_levels_with_equal_site_sets(
    n: int, m: int, seed: int, top: int, per_pair: int
) -> None:
    """Exactly the levels with equal sets share a group; with a smaller comparison
    budget, groups only split (never a group of unequal sets)."""
    rng = np.random.default_rng(seed)
    d = rng.integers(0, top + 1, (n, m))
    pairs = _pairs(d)
    levels = radius.distance_levels(pairs, n)
    kept = np.flatnonzero(rng.random(levels.level_dist.size) < 0.7)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pmedian_levels, "_COMPARED_PER_PAIR", per_pair)
        group, first = equal_levels(pairs, levels.pair_level, levels.level_demand, kept)
    sets = [frozenset(np.flatnonzero(d[levels.level_demand[t]] <= levels.level_dist[t]).tolist())
            for t in kept]
    seen: dict[frozenset[int], int] = {}
    expected = [seen.setdefault(s, len(seen)) for s in sets]
    assert first.tolist() == [group.tolist().index(g) for g in range(first.size)]
    assert all(sets[t] == sets[first[g]] for t, g in enumerate(group.tolist()))
    if per_pair == 10**6:
        assert group.tolist() == expected
    if per_pair == 0:
        assert group.tolist() == list(range(kept.size))


def _graph(seed: int, n: int) -> Instance:
    rng = np.random.default_rng(seed)
    u = np.concatenate([np.arange(1, n), rng.integers(0, n, 2 * n)])
    v = np.concatenate([rng.integers(0, np.arange(1, n)), rng.integers(0, n, 2 * n)])
    keep = u != v
    g = sp.coo_matrix((rng.integers(1, 6, keep.sum()).astype(float), (u[keep], v[keep])),
                      shape=(n, n)).tocsr()
    return Instance.from_cost_matrix(shortest_path(g, directed=False))


def _unshared(
    pairs: Pairs, pair_level: np.ndarray, level_demand: np.ndarray, kept: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(kept.size), np.arange(kept.size)


@pytest.mark.parametrize("seed", range(6))
def test_shared_levels_keep_the_lp_bound_and_the_optimum(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merged model has fewer z and rows, the same LP bound and the same optimum."""
    inst = _graph(seed, 30 + 5 * seed)
    p = 2 + seed
    pairs = assignment_pairs(inst, None)
    levels = radius.distance_levels(pairs, inst.n_demand)
    rng = np.random.default_rng(seed)
    keep = rng.integers(1, 12, inst.n_demand)  # truncated at random: still a valid model
    closed = np.zeros(inst.n_sites, dtype=bool)
    args = (inst, pairs, levels, keep, p, closed, closed)
    shared, _ = radius.build_truncated(*args)
    monkeypatch.setattr(radius, "equal_levels", _unshared)
    alone, _ = radius.build_truncated(*args)
    assert shared.num_cols < alone.num_cols and shared.num_rows < alone.num_rows
    highs = get_backend("highs")
    for relax in (True, False):
        values = []
        for milp in (shared, alone):
            if relax:
                milp = replace(milp, integrality=np.zeros_like(milp.integrality))
            values.append(highs.solve(milp, SolveOptions()).objective)
        assert values[0] == pytest.approx(values[1], rel=1e-9)

