"""The p-median Lagrangian's count of open sites below each multiplier, both ways."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.heuristics.pmedian import (
    PairsData,
    _cheaper_than,
    _served_below,
    lagrangian_pmedian,
)


def _pairs(cost: np.ndarray, keep: np.ndarray) -> PairsData:
    """Pairs of the kept (demand, site) cells, sorted by demand, then cost."""
    n, m = cost.shape
    demand, site = np.nonzero(keep)
    c = cost[demand, site]
    order = np.lexsort((site, c, demand))
    return PairsData(demand[order], site[order], c[order], n, m)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.integers(0, 2**31), st.integers(1, 6),
       st.booleans())
def test_served_below_counts_open_sites_cheaper_than_the_multiplier(
    n: int, m: int, seed: int, top: int, restricted: bool
) -> None:
    """Equal to the brute-force count, whether it counts from the pairs below the
    multipliers or from the open sites' own pairs (ties at the multiplier included)."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, top + 1, (n, m)).astype(float)
    keep = rng.random((n, m)) < 0.7 if restricted else np.ones((n, m), dtype=bool)
    pm = _pairs(cost, keep)
    lam = rng.integers(0, top + 2, n).astype(float) + rng.choice([0.0, 0.5], n)
    open_mask = rng.random(m) < rng.random()
    sub, owner = _cheaper_than(pm, lam, None)
    got = _served_below(pm, lam, open_mask, owner, pm.site[sub])
    want = ((cost < lam[:, None]) & keep & open_mask[None, :]).sum(axis=1)
    np.testing.assert_array_equal(got, want.astype(float))
    assert np.array_equal(owner, pm.demand[sub])


def _line_p2() -> tuple[PairsData, float]:
    """Points on a line as pairs, and the brute-force optimum with p = 2."""
    x = np.array([0.0, 1, 2, 10, 11, 13, 20, 24])
    cost = np.abs(x[:, None] - x[None, :])
    pm = _pairs(cost, np.ones(cost.shape, dtype=bool))
    best = min(
        float(np.minimum(cost[:, a], cost[:, b]).sum())
        for a in range(x.size) for b in range(a + 1, x.size)
    )
    return pm, best


def test_lagrangian_bound_below_the_optimum_on_a_line() -> None:
    """Points on a line, p = 2: the bound never exceeds the brute-force optimum."""
    pm, best = _line_p2()
    bound, _, _ = lagrangian_pmedian(pm, 2, upper=best)
    assert bound <= best + 1e-9
    assert bound >= 0.9 * best


def test_lagrangian_stops_at_the_first_bound_that_is_enough() -> None:
    """``enough`` ends the search at the first bound it accepts: here the very first
    iterate, which is below the bound of the whole search and never above the optimum."""
    pm, best = _line_p2()
    seen: list[float] = []

    def enough(bound: float) -> bool:
        seen.append(bound)
        return True

    early, _, _ = lagrangian_pmedian(pm, 2, upper=best, enough=enough)
    full, _, _ = lagrangian_pmedian(pm, 2, upper=best)
    assert seen == [early]
    assert early < full <= best + 1e-9


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.integers(0, 2**31), st.integers(0, 6),
       st.booleans(), st.booleans())
def test_cheaper_than_finds_every_pair_below_its_limit(
    n: int, m: int, seed: int, top: int, restricted: bool, subset: bool
) -> None:
    """Equal to the brute-force pairs (ties at the limit excluded, points without
    pairs, a subset of points in any order with repeats), in demand then cost order."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, top + 1, (n, m)) * rng.choice([1.0, 0.5, -0.0], (n, m))
    keep = rng.random((n, m)) < 0.6 if restricted else np.ones((n, m), dtype=bool)
    pm = _pairs(np.abs(cost), keep)
    demands = rng.integers(0, n, rng.integers(0, 2 * n)) if subset else np.arange(n)
    limit = rng.integers(0, top + 2, demands.size) + rng.choice([0.0, 0.5], demands.size)
    pos, owner = _cheaper_than(pm, limit, demands if subset else None)
    want = [(q, int(i), float(c)) for q, i in enumerate(demands)
            for c in sorted(np.abs(cost[i])[keep[i]]) if c < limit[q]]
    got = list(zip(owner.tolist(), pm.demand[pos].tolist(), pm.cost[pos].tolist(), strict=True))
    assert got == want
