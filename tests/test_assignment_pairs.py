"""Every (demand, site) pair of a small instance, sorted by demand, distance, then site."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.coverage.given import MatrixMetric
from siting.instance import Instance
from siting.models.assign import assignment_pairs


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 2**31), st.integers(0, 4),
       st.floats(0.0, 0.5))
def test_full_pairs_in_demand_distance_site_order(
    n: int, m: int, seed: int, top: int, holes: float
) -> None:
    """Ties (few distinct distances) keep site order; unreachable pairs (inf, NaN) are left out."""
    rng = np.random.default_rng(seed)
    dist = rng.integers(0, top + 1, (n, m)).astype(float) * rng.choice([1.0, 0.5], (n, m))
    hole = rng.random((n, m)) < holes
    dist[hole] = rng.choice([np.inf, np.nan], int(hole.sum()))
    ids = np.arange(n)
    inst = Instance(name="t", demand_ids=ids, weight=np.ones(n), site_ids=np.arange(m),
                    metric=MatrixMetric(dist))
    pairs = assignment_pairs(inst)
    rows, cols = np.nonzero(np.isfinite(dist))
    d = dist[rows, cols]
    order = np.lexsort((cols, d, rows))
    assert pairs.complete
    np.testing.assert_array_equal(pairs.demand, rows[order])
    np.testing.assert_array_equal(pairs.site, cols[order])
    np.testing.assert_array_equal(pairs.distance, d[order])
    assert pairs.demand.dtype == pairs.site.dtype == np.int64
