"""Nearest sites up to a distance (Metric.nearest_within) on a site's shape: the full
answer's distance within it, none beyond."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.coverage.points import EuclideanMetric, ShapeMetric


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), cutoff=st.floats(0.0, 400.0),
       n_sites=st.integers(1, 6))
def test_a_search_cut_at_a_distance_is_the_full_search_within_it(
    seed: int, cutoff: float, n_sites: int,
) -> None:
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 1000, (40, 2)).round(0)
    centres = rng.uniform(0, 1000, (8, 2)).round(0)
    shapes = shapely.buffer(shapely.points(centres), rng.uniform(5, 80, 8))
    sites = np.sort(rng.choice(8, n_sites, replace=False)).astype(np.int64)
    for metric in (ShapeMetric(points, shapes), EuclideanMetric(points, centres)):
        _, full = metric.nearest_in(sites)
        arg, dist = metric.nearest_within(sites, cutoff)
        inside = full <= cutoff
        assert np.array_equal(dist[inside], full[inside])
        assert np.isin(arg[inside], sites).all()
        at = metric.pair_distance(np.flatnonzero(inside), arg[inside])
        assert np.allclose(at, full[inside], rtol=1e-12, atol=1e-9)
        if isinstance(metric, ShapeMetric):  # cut: none beyond
            assert np.all(np.isinf(dist[~inside])) and np.all(arg[~inside] == -1)
