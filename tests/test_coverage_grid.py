"""Pairs within a radius from the grid of cells (siting.coverage.grid) against KD-trees."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from siting.coverage import EuclideanMetric
from siting.coverage.base import pairs_to_csr
from siting.coverage.grid import MAX_CELLS, SiteGrid
from siting.coverage.points import RADIUS_SLACK


def tree_pairs(xy: np.ndarray, sxy: np.ndarray, radius: float) -> sp.csr_matrix:
    r = radius * (1 + RADIUS_SLACK)
    p = cKDTree(xy).sparse_distance_matrix(cKDTree(sxy), r, output_type="ndarray")
    return pairs_to_csr(p["i"], p["j"], p["v"], (len(xy), len(sxy)))


def same_pairs(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    if a.shape != b.shape or a.nnz != b.nnz:
        return False
    return bool(np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
                and np.allclose(a.data, b.data, rtol=1e-12, atol=0.0))


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 400), m=st.integers(1, 30),
       radius=st.floats(0.05, 6.0), offset=st.sampled_from([0.0, -250.0, 4.5e6]),
       decimals=st.integers(0, 2), chunk=st.integers(1, 500))
def test_grid_pairs_match_kd_trees(seed: int, n: int, m: int, radius: float, offset: float,
                                   decimals: int, chunk: int) -> None:
    # Rounded coordinates put points on cell edges, on sites and at exactly the radius.
    rng = np.random.default_rng(seed)
    xy = np.round(rng.uniform(0, 20, (n, 2)), decimals) + offset
    sxy = np.round(rng.uniform(0, 20, (m, 2)), decimals) + offset
    sxy[: min(m, n) // 2] = xy[: min(m, n) // 2]  # sites on demand points: distance 0
    assert SiteGrid.fitting(sxy, radius) is not None
    got = EuclideanMetric(xy, sxy, chunk=chunk).within(radius)
    assert got.has_sorted_indices
    assert same_pairs(got, tree_pairs(xy, sxy, radius))


def test_pairs_at_exactly_the_radius_and_at_distance_zero() -> None:
    xy = np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.000001], [-5.0, 0.0]])
    got = EuclideanMetric(xy, np.array([[0.0, 0.0]])).within(5.0).toarray().ravel()
    assert got[0] > 0 and got[1] == 5.0 and got[2] == 0.0 and got[3] == 5.0


def test_no_grid_where_cells_would_be_too_many_or_the_radius_zero() -> None:
    far = np.array([[0.0, 0.0], [1e7, 1e7]])
    assert SiteGrid.fitting(far, 1.0) is None  # > MAX_CELLS cells even twice as wide
    assert SiteGrid.fitting(far, 0.0) is None
    assert SiteGrid.fitting(np.zeros((0, 2)), 1.0) is None
    wide = SiteGrid.fitting(np.array([[0.0, 0.0], [3000.0, 3000.0]]), 1.0)
    assert wide is not None and wide.shape[0] * wide.shape[1] <= 2 * MAX_CELLS
    # Without a grid the KD-trees give the same pairs.
    xy = np.array([[0.0, 0.5], [1e7, 1e7 + 1.0], [5.0, 5.0]])
    got = EuclideanMetric(xy, far).within(1.0)
    assert same_pairs(got, tree_pairs(xy, far, 1.0))
    assert EuclideanMetric(xy, far).within(0.0).nnz == 0


@pytest.mark.parametrize("radius", [0.3, 2.0, 50.0])
def test_points_far_outside_the_grid(radius: float) -> None:
    xy = np.array([[-1e9, 0.0], [1e9, 1e9], [0.1, 0.1], [np.nextafter(radius, 0.0), 0.0]])
    sxy = np.array([[0.0, 0.0], [1.0, 1.0]])
    assert same_pairs(EuclideanMetric(xy, sxy).within(radius), tree_pairs(xy, sxy, radius))
