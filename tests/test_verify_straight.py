"""The verifier's direct straight-line check: the same points as the KD-tree route."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.coverage import EuclideanMetric
from siting.verify.classic import DIRECT_SITES, straight_within


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60), k=st.integers(0, DIRECT_SITES),
       radius=st.sampled_from([0.0, 0.5, 1.0, 3.0]), scale=st.sampled_from([1.0, 1e5]))
def test_direct_check_finds_the_kd_tree_points(
    seed: int, n: int, k: int, radius: float, scale: float
) -> None:
    """Points on a coarse lattice, so that many lie at exactly the radius or at 0."""
    rng = np.random.default_rng(seed)
    demand = rng.integers(-4, 5, size=(n, 2)).astype(float) * scale / 2
    sites = rng.integers(-4, 5, size=(k, 2)).astype(float) * scale / 2
    metric = EuclideanMetric(demand, sites)
    _, d = metric.nearest_in(np.arange(k))
    expected = d <= radius * scale * (1 + 1e-12)
    assert straight_within(demand, sites, radius * scale).tolist() == expected.tolist()


def test_direct_check_works_a_block_at_a_time(monkeypatch: object) -> None:
    import siting.verify.classic as classic

    rng = np.random.default_rng(7)
    demand, sites = rng.uniform(0, 10, (1000, 2)), rng.uniform(0, 10, (5, 2))
    whole = straight_within(demand, sites, 1.5)
    monkeypatch.setattr(classic, "DIRECT_BLOCK", 64)  # type: ignore[attr-defined]
    assert straight_within(demand, sites, 1.5).tolist() == whole.tolist()
    assert 0 < whole.sum() < 1000
