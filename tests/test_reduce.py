"""Exact reductions: equal rows merge, dominated sites go, optima are unchanged."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting import reduce as red_mod
from siting.heuristics.structure import CoverStructure
from siting.models import LSCP, MCLP
from tests.conftest import tiny_instance


def random_pattern(seed: int, n: int = 30, m: int = 8, density: float = 0.3) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((n, m)) < density).astype(float)
    dense[::3] = dense[0]  # plenty of equal rows
    return sp.csr_matrix(dense)


@pytest.mark.parametrize("seed", range(5))
def test_merge_equal_rows_matches_brute_force(seed: int) -> None:
    cov = random_pattern(seed)
    w = np.arange(1.0, cov.shape[0] + 1)
    red = red_mod.merge_equal_rows(cov, w)
    dense = cov.toarray()
    keys = [tuple(np.flatnonzero(r)) for r in dense]
    expected: dict[tuple[int, ...], float] = {}
    for k, wi in zip(keys, w, strict=True):
        expected[k] = expected.get(k, 0.0) + wi
    got = {tuple(np.flatnonzero(r)): wi for r, wi in zip(red.cov.toarray(), red.weight,
                                                          strict=True)}
    assert got == expected
    assert red.merged == cov.shape[0] - len(expected)
    # group maps every original row onto a row with its own pattern
    assert np.array_equal(red.cov.toarray()[red.group] != 0, dense != 0)


def test_hash_collisions_are_split_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every row hashes alike: only the exact comparison keeps distinct rows apart.
    monkeypatch.setattr(red_mod, "_row_hashes", lambda cov, seed: np.zeros(cov.shape[0], np.uint64))
    cov = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0]], float))
    red = red_mod.merge_equal_rows(cov, np.ones(4))
    assert sorted(red.weight.tolist()) == [1.0, 1.0, 2.0]
    assert red.cov.shape[0] == 3


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("use_cost", [True, False])
def test_dominated_columns_brute_force(seed: int, use_cost: bool) -> None:
    rng = np.random.default_rng(seed)
    cov = random_pattern(seed, n=12, m=10, density=0.35)
    cost = rng.integers(1, 4, 10).astype(float)
    protect = np.zeros(10, bool)
    protect[0] = True
    out = red_mod.dominated_columns(cov, cost, protect=protect, use_cost=use_cost)
    assert not out[0]
    sets = [set(np.flatnonzero(c)) for c in cov.toarray().T]
    c = cost if use_cost else np.zeros(10)
    for j in np.flatnonzero(out):
        # a kept (or itself dropped, hence dominated in turn) dominator exists
        assert any(
            k != j and not protect[k] and sets[j] <= sets[k] and c[k] <= c[j] for k in range(10)
        )
    for j in np.flatnonzero(~out & ~protect):
        for k in range(10):
            if k == j or protect[k]:
                continue
            strict = sets[j] < sets[k] or c[k] < c[j]
            assert not (sets[j] <= sets[k] and c[k] <= c[j] and strict), (j, k)


def brute_mclp(inst, radius: float, p: int | None, budget: float | None) -> float:  # type: ignore[no-untyped-def]
    cov = inst.metric.within(radius).toarray() > 0
    best = 0.0
    new = np.flatnonzero(~inst.existing)
    for r in range(len(new) + 1):
        if p is not None and r > p:
            break
        for combo in itertools.combinations(new, r):
            if budget is not None and inst.site_cost[list(combo)].sum() > budget + 1e-9:
                continue
            open_ = np.zeros(inst.n_sites, bool)
            open_[list(combo)] = True
            open_ |= inst.existing
            best = max(best, float(inst.weight[cov[:, open_].any(axis=1)].sum()))
    return best


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), radius=st.sampled_from([3.0, 5.0, 8.0]),
       mode=st.sampled_from(["p", "budget", "both"]), existing=st.integers(0, 2))
def test_mclp_optimum_unchanged_by_reductions(
    seed: int, radius: float, mode: str, existing: int
) -> None:
    inst = tiny_instance(seed, n=12, m=7, existing=existing)
    p = 2 if mode in ("p", "both") else None
    budget = 4.0 if mode in ("budget", "both") else None
    sol = MCLP(radius=radius, p=p, budget=budget).solve(inst)
    assert sol.verified, sol.verification
    assert sol.objective == pytest.approx(brute_mclp(inst, radius, p, budget))
    assert {"rows_merged", "sites_dropped", "demand_rows"} <= set(sol.stats)


@pytest.mark.parametrize("seed", range(8))
def test_lscp_optimum_unchanged_by_reductions(seed: int) -> None:
    inst = tiny_instance(seed, n=12, m=7, existing=seed % 2)
    radius = 9.0
    cov = inst.metric.within(radius).toarray() > 0
    if not cov.any(axis=1).all():
        pytest.skip("some demand cannot be covered")
    best = None
    new = np.flatnonzero(~inst.existing)
    for r in range(len(new) + 1):
        for combo in itertools.combinations(new, r):
            open_ = inst.existing.copy()
            open_[list(combo)] = True
            if cov[:, open_].any(axis=1).all():
                best = r
                break
        if best is not None:
            break
    sol = LSCP(radius=radius).solve(inst)
    assert sol.verified
    assert sol.objective == best


def test_existing_sites_are_never_dropped() -> None:
    inst = tiny_instance(3, n=15, m=6, existing=2)
    built = MCLP(radius=30.0, p=1).build(inst)  # everything covers everything
    assert isinstance(built.milp.structure, CoverStructure)
    closed = built.milp.structure.closed
    assert not closed[inst.existing].any()


def test_budget_keeps_cheaper_subset_site() -> None:
    # Site 1 covers a subset of site 0 but is cheaper: with a budget it must stay.
    cov = sp.csr_matrix(np.array([[1, 1], [1, 0]], float))
    assert not red_mod.dominated_columns(cov, np.array([5.0, 1.0])).any()
    out = red_mod.dominated_columns(cov, np.array([5.0, 1.0]), use_cost=False)
    assert out.tolist() == [False, True]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), cuts=st.lists(st.integers(0, 40)))
def test_merge_row_blocks_equals_one_merge(seed: int, n: int, cuts: list[int]) -> None:
    # Merged a block at a time or at once: the same groups, first rows and weights.
    cov = random_pattern(seed, n=n, m=6, density=0.3)
    w = np.random.default_rng(seed).integers(1, 9, n).astype(float)
    edges = sorted({0, n, *(c for c in cuts if c <= n)})
    blocks = [(a, cov[a:b]) for a, b in itertools.pairwise(edges)]
    got = red_mod.merge_row_blocks(blocks, w, 6)
    want = red_mod.merge_equal_rows(cov, w)
    assert got.group.tolist() == want.group.tolist()
    assert got.first.tolist() == want.first.tolist()
    assert got.weight.tolist() == want.weight.tolist()
    assert (got.cov != want.cov).nnz == 0


def test_merge_row_blocks_refuses_a_gap() -> None:
    cov = random_pattern(0, n=6, m=3)
    with pytest.raises(ValueError, match="expected row 2"):
        red_mod.merge_row_blocks([(0, cov[:2]), (3, cov[3:])], np.ones(6), 3)
    with pytest.raises(ValueError, match="cover 2 rows of 6"):
        red_mod.merge_row_blocks([(0, cov[:2])], np.ones(6), 3)


@pytest.mark.parametrize("chunk", [1, 7, 50, 1000])
def test_demand_patterns_match_the_whole_pattern(chunk: int) -> None:
    # Blocks of any size give the merge of the whole 0/1 pattern, points no site
    # reaches included (the empty pattern).
    from siting.coverage import EuclideanMetric
    from siting.instance import Instance
    from siting.models.cover_pattern import coverage_pattern, demand_patterns

    rng = np.random.default_rng(chunk)
    xy = np.round(rng.uniform(0, 10, (120, 2)), 1)  # repeated points: equal rows
    sxy = np.round(rng.uniform(0, 10, (9, 2)), 1)
    w = rng.integers(1, 5, 120).astype(float)
    inst = Instance("p", np.arange(120), w, np.arange(9), EuclideanMetric(xy, sxy, chunk=chunk))
    got = demand_patterns(inst, 2.5)
    want = red_mod.merge_equal_rows(coverage_pattern(inst, 2.5), w)
    assert got.group.tolist() == want.group.tolist()
    assert got.weight.tolist() == want.weight.tolist()
    assert (got.cov != want.cov).nnz == 0 and got.cov.dtype == np.float32
    assert (np.diff(got.cov.indptr) == 0).any()  # some points out of reach
