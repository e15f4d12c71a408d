"""The metric interface every coverage question goes through.

A metric knows the distances from ``n_demand`` demand points to ``n_sites``
candidate sites and answers sparsely: which pairs lie within a radius
(:meth:`Metric.within`, the coverage structure of every model), distances of
given pairs, and, by a route of its own, each point's nearest site among a
given set (:meth:`Metric.nearest_in`, what the verifier uses so that it does
not trust the structure the model was built from).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

# Explicit zero distances would vanish from a sparse matrix; covered pairs at
# distance 0 are stored as this tiny positive number instead.
ZERO = 1e-12

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def segment_offsets(lens: IntArray) -> IntArray:
    """Position of every entry within its segment, for consecutive segments of ``lens``.

    >>> segment_offsets(np.array([2, 0, 3])).tolist()
    [0, 1, 0, 1, 2]
    """
    lens = np.asarray(lens, dtype=np.int64)
    total = int(lens.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)


def pairs_to_csr(
    rows: IntArray, cols: IntArray, dist: FloatArray, shape: tuple[int, int]
) -> sp.csr_matrix:
    """A sorted CSR matrix of distances (zeros stored as :data:`ZERO`; duplicates: the least).

    >>> pairs_to_csr(np.array([0, 0]), np.array([1, 1]), np.array([3.0, 2.0]), (1, 2)).toarray()
    array([[0., 2.]])
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    data = np.maximum(np.asarray(dist, dtype=np.float64), ZERO)
    # Usually every pair comes once (a KD-tree query): scipy's conversion (a counting
    # sort by row) is then the answer, without a sort of all pairs by three keys. It
    # sums repeated pairs, which shows as fewer entries: then take the least instead.
    mat = sp.csr_matrix((data, (rows, cols)), shape=shape)
    if mat.nnz == rows.size:
        mat.sort_indices()
        return mat
    if rows.size:
        # The least distance of a repeated pair (a site reached by several entrances).
        order = np.lexsort((data, cols, rows))
        rows, cols, data = rows[order], cols[order], data[order]
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, data = rows[first], cols[first], data[first]
    mat = sp.csr_matrix((data, (rows, cols)), shape=shape)
    mat.sort_indices()
    return mat


class Metric(ABC):
    """Distances from ``n_demand`` demand points to ``n_sites`` candidate sites."""

    n_demand: int
    n_sites: int
    #: False when the metric only knows coverage (set covering data), not distances.
    has_distances: bool = True
    #: How distances are measured, in words (for summaries and reports).
    kind: str = "distance"

    @abstractmethod
    def within(self, radius: float) -> sp.csr_matrix:
        """Sparse ``n_demand × n_sites`` distances ≤ ``radius`` (zeros stored as :data:`ZERO`)."""

    def within_blocks(self, radius: float) -> Iterator[tuple[int, sp.csr_matrix]]:
        """:meth:`within` a block of demand rows at a time: ``(first row, block)`` pairs,
        the blocks in row order and together every row.

        For consumers that reduce each block as it comes (merging equal rows), so
        that all pairs are never held at once. By default one block: :meth:`within`.
        """
        yield 0, self.within(radius)

    @abstractmethod
    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        """Distances of the pairs ``(demand[k], sites[k])`` (+inf where unreachable)."""

    @abstractmethod
    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        """For each demand point, the nearest of ``sites`` (as a site index) and its distance.

        Computed by a route separate from :meth:`within`, so the verifier does not
        trust the coverage structure the model was built from. Unreachable: -1, +inf.
        """

    def nearest_within(self, sites: IntArray, cutoff: float) -> tuple[IntArray, FloatArray]:
        """:meth:`nearest_in` for callers that need only the nearest within ``cutoff``: a
        demand point farther from every one of ``sites`` may get -1 and +inf instead (a
        metric that has no faster route for it answers in full, as here); one within it
        gets its distance exactly as :meth:`nearest_in` gives it, and a site at that
        distance (of two as near, maybe the other)."""
        return self.nearest_in(sites)

    def nearest(self, k: int) -> tuple[IntArray, FloatArray]:
        """Indices and distances of the ``k`` nearest sites of each demand point (sorted)."""
        raise NotImplementedError(f"{type(self).__name__} has no nearest-site query")

    def straight_line(self, demand: IntArray, sites: IntArray) -> FloatArray | None:
        """A floor no distance of the pairs ``(demand[k], sites[k])`` may go below: the
        straight line, for metrics that measure walks between located points (the
        verifier checks it); None where the metric has none (straight lines, tables)."""
        return None

    def site_to_site(self) -> Metric | None:
        """A metric between sites and sites, where one is known (used by p-center bounds)."""
        return None


def no_sites(n_demand: int) -> tuple[IntArray, FloatArray]:
    """The answer of :meth:`Metric.nearest_in` for an empty set of sites."""
    return np.full(n_demand, -1, dtype=np.int64), np.full(n_demand, np.inf)


def top_k(
    best_idx: IntArray, best_dist: FloatArray, idx: IntArray, dist: FloatArray, k: int
) -> tuple[IntArray, FloatArray]:
    """Merge a chunk of candidate sites into each row's ``k`` nearest so far (sorted).

    >>> i, d = top_k(np.zeros((1, 0), np.int64), np.zeros((1, 0)), np.array([[4, 5, 6]]),
    ...              np.array([[3.0, 1.0, 2.0]]), 2)
    >>> i.tolist(), d.tolist()
    ([[5, 6]], [[1.0, 2.0]])
    """
    all_idx = np.hstack([best_idx, idx])
    all_dist = np.hstack([best_dist, dist])
    order = np.lexsort((all_idx, all_dist), axis=1)[:, :k]
    return np.take_along_axis(all_idx, order, 1), np.take_along_axis(all_dist, order, 1)
