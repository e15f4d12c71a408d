"""Distances between demand points and candidate sites, queried sparsely.

A metric answers three questions without ever forming a dense n × m array
(except :class:`MatrixMetric`, which *is* a given small matrix):

- :meth:`Metric.within` — which (demand, site) pairs lie within a radius, as a
  sparse matrix of distances (the coverage structure);
- :meth:`Metric.pair_distance` — distances of given pairs, vectorised;
- :meth:`Metric.nearest` — the ``k`` nearest sites of every demand point.

>>> import numpy as np
>>> m = EuclideanMetric(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[0.0, 3.0], [9.0, 0.0]]))
>>> cov = m.within(5.0)
>>> cov.toarray().round(1)
array([[3., 0.],
       [0., 1.]])
>>> m.pair_distance(np.array([0, 1]), np.array([1, 0])).round(3)
array([ 9.  , 10.44])
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

# Explicit zero distances would vanish from a sparse matrix; covered pairs at
# distance 0 are stored as this tiny positive number instead.
ZERO = 1e-12

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def _pairs_to_csr(
    rows: IntArray, cols: IntArray, dist: FloatArray, shape: tuple[int, int]
) -> sp.csr_matrix:
    data = np.maximum(np.asarray(dist, dtype=np.float64), ZERO)
    mat = sp.csr_matrix((data, (rows, cols)), shape=shape)
    mat.sort_indices()
    return mat


class Metric(ABC):
    """Distances from ``n_demand`` demand points to ``n_sites`` candidate sites."""

    n_demand: int
    n_sites: int
    #: False when the metric only knows coverage (set covering data), not distances.
    has_distances: bool = True

    @abstractmethod
    def within(self, radius: float) -> sp.csr_matrix:
        """Sparse ``n_demand × n_sites`` distances ≤ ``radius`` (zeros stored as :data:`ZERO`)."""

    @abstractmethod
    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        """Distances of the pairs ``(demand[k], sites[k])``."""

    @abstractmethod
    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        """For each demand point, the nearest of ``sites`` (as a site index) and its distance.

        Computed by a route separate from :meth:`within`, so the verifier does not
        trust the coverage structure the model was built from. Unreachable: +inf.
        """

    def nearest(self, k: int) -> tuple[IntArray, FloatArray]:
        """Indices and distances of the ``k`` nearest sites of each demand point (sorted)."""
        raise NotImplementedError(f"{type(self).__name__} has no nearest-site query")

    def site_to_site(self) -> Metric | None:
        """A metric between sites and sites, where one is known (used by p-center bounds)."""
        return None


class EuclideanMetric(Metric):
    """Straight-line distances from coordinates, via KD-trees queried in chunks."""

    def __init__(self, demand_xy: FloatArray, site_xy: FloatArray, chunk: int = 50_000) -> None:
        self.demand_xy = np.ascontiguousarray(demand_xy, dtype=np.float64)
        self.site_xy = np.ascontiguousarray(site_xy, dtype=np.float64)
        self.n_demand = self.demand_xy.shape[0]
        self.n_sites = self.site_xy.shape[0]
        self.chunk = chunk
        self._site_tree: cKDTree | None = None

    @property
    def site_tree(self) -> cKDTree:
        if self._site_tree is None:
            self._site_tree = cKDTree(self.site_xy)
        return self._site_tree

    def within(self, radius: float) -> sp.csr_matrix:
        rows_l: list[IntArray] = []
        cols_l: list[IntArray] = []
        dist_l: list[FloatArray] = []
        tree = self.site_tree
        r = radius * (1 + 1e-12)
        # Chunks of demand keep the temporaries proportional to the pairs found;
        # the tree-tree query runs in C and keeps exact zero distances.
        for start in range(0, self.n_demand, self.chunk):
            chunk_tree = cKDTree(self.demand_xy[start : start + self.chunk])
            pairs = chunk_tree.sparse_distance_matrix(tree, r, output_type="ndarray")
            rows_l.append(pairs["i"].astype(np.int64) + start)
            cols_l.append(pairs["j"].astype(np.int64))
            dist_l.append(pairs["v"].astype(np.float64))
        if not rows_l:
            return sp.csr_matrix((self.n_demand, self.n_sites))
        return _pairs_to_csr(
            np.concatenate(rows_l),
            np.concatenate(cols_l),
            np.concatenate(dist_l),
            (self.n_demand, self.n_sites),
        )

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        d = self.demand_xy[demand] - self.site_xy[sites]
        return np.sqrt(np.einsum("ij,ij->i", d, d))

    def nearest(self, k: int) -> tuple[IntArray, FloatArray]:
        k = min(k, self.n_sites)
        dist, idx = self.site_tree.query(self.demand_xy, k=k)
        if k == 1:
            dist, idx = dist[:, None], idx[:, None]
        return idx.astype(np.int64), dist.astype(np.float64)

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        sites = np.asarray(sites, dtype=np.int64)
        if sites.size == 0:
            return np.full(self.n_demand, -1, dtype=np.int64), np.full(self.n_demand, np.inf)
        dist, pos = cKDTree(self.site_xy[sites]).query(self.demand_xy, k=1)
        return sites[pos], np.asarray(dist, dtype=np.float64)

    def site_to_site(self) -> Metric:
        return EuclideanMetric(self.site_xy, self.site_xy, self.chunk)


class MatrixMetric(Metric):
    """A given dense distance (or cost) matrix: only for small instances (OR-Library)."""

    def __init__(self, matrix: FloatArray, site_matrix: FloatArray | None = None) -> None:
        self.matrix = np.asarray(matrix, dtype=np.float64)
        self.n_demand, self.n_sites = self.matrix.shape
        self._site_matrix = site_matrix

    def within(self, radius: float) -> sp.csr_matrix:
        rows, cols = np.nonzero(self.matrix <= radius)
        return _pairs_to_csr(rows, cols, self.matrix[rows, cols], self.matrix.shape)

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        return self.matrix[demand, sites]

    def nearest(self, k: int) -> tuple[IntArray, FloatArray]:
        k = min(k, self.n_sites)
        idx = np.argsort(self.matrix, axis=1, kind="stable")[:, :k]
        return idx.astype(np.int64), np.take_along_axis(self.matrix, idx, axis=1)

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        sites = np.asarray(sites, dtype=np.int64)
        if sites.size == 0:
            return np.full(self.n_demand, -1, dtype=np.int64), np.full(self.n_demand, np.inf)
        sub = self.matrix[:, sites]
        pos = np.argmin(sub, axis=1)
        return sites[pos], sub[np.arange(self.n_demand), pos]

    def site_to_site(self) -> Metric | None:
        return None if self._site_matrix is None else MatrixMetric(self._site_matrix)


class CoverageMetric(Metric):
    """Coverage known directly (set-covering data): no distances, the radius is ignored."""

    has_distances = False

    def __init__(self, cover: sp.spmatrix | sp.sparray) -> None:
        cov = sp.csr_matrix(cover, dtype=np.float64)
        cov.data[:] = ZERO
        cov.sort_indices()
        self.cover = cov
        self.n_demand, self.n_sites = cov.shape

    def within(self, radius: float) -> sp.csr_matrix:
        return self.cover

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        return _nearest_in_sparse(self.cover, sites, zero_is_covered=True)

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        covered = np.asarray(self.cover[demand, sites]).ravel() != 0
        return np.where(covered, 0.0, np.inf)


class SparseDistanceMetric(Metric):
    """Distances known only up to a cutoff (network Dijkstra): pairs beyond are +inf."""

    def __init__(self, distances: sp.csr_matrix, cutoff: float) -> None:
        self.distances = sp.csr_matrix(distances, dtype=np.float64)
        self.distances.sort_indices()
        self.cutoff = float(cutoff)
        self.n_demand, self.n_sites = self.distances.shape

    def within(self, radius: float) -> sp.csr_matrix:
        if radius > self.cutoff * (1 + 1e-12):
            from siting.errors import ParameterError

            raise ParameterError(
                f"radius exceeds the distance cutoff {self.cutoff:g} this metric was built with",
                field="radius",
                value=radius,
            )
        d = self.distances.copy()
        d.data[d.data > radius * (1 + 1e-12)] = 0.0
        d.eliminate_zeros()
        return d

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        return _nearest_in_sparse(self.distances, sites, zero_is_covered=False)

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        vals = np.asarray(self.distances[demand, sites]).ravel()
        return np.where(vals > 0, vals, np.inf)


def _nearest_in_sparse(
    mat: sp.csr_matrix, sites: IntArray, *, zero_is_covered: bool
) -> tuple[IntArray, FloatArray]:
    """Row-wise minimum over the stored entries of ``mat[:, sites]`` (missing = +inf)."""
    n = mat.shape[0]
    sites = np.asarray(sites, dtype=np.int64)
    best = np.full(n, np.inf)
    arg = np.full(n, -1, dtype=np.int64)
    if sites.size == 0:
        return arg, best
    sub = sp.coo_matrix(mat[:, sites])
    if sub.nnz == 0:
        return arg, best
    vals = np.zeros(sub.nnz) if zero_is_covered else sub.data
    order = np.lexsort((vals, sub.row))  # by row, then distance
    rows, first = np.unique(sub.row[order], return_index=True)
    best[rows] = vals[order][first]
    arg[rows] = sites[sub.col[order][first]]
    return arg, best
