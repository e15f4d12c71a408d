"""Metrics given as data: a small dense matrix (OR-Library) or a coverage relation (set covering).

>>> import numpy as np
>>> m = MatrixMetric(np.array([[0.0, 4.0], [2.0, 1.0]]))
>>> m.within(2.0).toarray()
array([[1.e-12, 0.e+00],
       [2.e+00, 1.e+00]])
>>> m.nearest_in(np.array([1]))[1].tolist()
[4.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from siting.coverage.base import ZERO, FloatArray, IntArray, Metric, no_sites, pairs_to_csr


class MatrixMetric(Metric):
    """A given dense distance (or cost) matrix: only for small instances (OR-Library).

    NaN and +inf entries are unreachable pairs (read as +inf); a large or holed
    matrix is better held as a :class:`~siting.coverage.table.TableMetric`
    (:meth:`siting.instance.Instance.from_cost_matrix` chooses).
    """

    def __init__(self, matrix: FloatArray, site_matrix: FloatArray | None = None) -> None:
        self.matrix = np.asarray(matrix, dtype=np.float64)
        if np.isnan(self.matrix).any():
            self.matrix = np.where(np.isnan(self.matrix), np.inf, self.matrix)
        self.n_demand, self.n_sites = self.matrix.shape
        self._site_matrix = site_matrix

    def largest(self) -> float:
        """The largest finite distance (0 when there is none)."""
        finite = self.matrix[np.isfinite(self.matrix)]
        return float(finite.max(initial=0.0))

    def within(self, radius: float) -> sp.csr_matrix:
        rows, cols = np.nonzero(self.matrix <= radius)
        return pairs_to_csr(rows, cols, self.matrix[rows, cols], self.matrix.shape)

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        return self.matrix[demand, sites]

    def nearest(self, k: int) -> tuple[IntArray, FloatArray]:
        k = min(k, self.n_sites)
        idx = np.argsort(self.matrix, axis=1, kind="stable")[:, :k]
        return idx.astype(np.int64), np.take_along_axis(self.matrix, idx, axis=1)

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        sites = np.asarray(sites, dtype=np.int64)
        if sites.size == 0:
            return no_sites(self.n_demand)
        sub = self.matrix[:, sites]
        pos = np.argmin(sub, axis=1)
        best = sub[np.arange(self.n_demand), pos]
        return np.where(np.isfinite(best), sites[pos], -1), best

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
