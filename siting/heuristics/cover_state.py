"""Open sites, per-row cover counts and per-site gains: the state the MCLP searches move.

Opening or closing a site touches only the rows of that site and the columns
of those rows (:class:`CoverState`).

>>> import numpy as np, scipy.sparse as sp
>>> cov = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], float))
>>> state = CoverState(cov, np.array([5.0, 1, 4]), np.array([True, False]))
>>> state.value, state.gain.tolist()
(6.0, [0.0, 4.0])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.coverage.base import segment_offsets

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def expand_rows(csr: sp.csr_matrix, rows: IntArray) -> tuple[IntArray, IntArray]:
    """Column indices of all entries of ``rows`` and, aligned, the position in ``rows``.

    >>> import scipy.sparse as sp, numpy as np
    >>> m = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0]], float))
    >>> [a.tolist() for a in expand_rows(m, np.array([1, 0]))]
    [[1, 0, 2], [0, 1, 1]]
    """
    rows = np.asarray(rows, dtype=np.int64)
    starts = csr.indptr[rows].astype(np.int64)
    lens = csr.indptr[rows + 1].astype(np.int64) - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    seg = np.repeat(np.arange(rows.size, dtype=np.int64), lens)
    return csr.indices[starts[seg] + segment_offsets(lens)].astype(np.int64), seg


class CoverState:
    """Open sites, per-row cover counts and per-site gains (weight of uncovered rows covered)."""

    def __init__(
        self, cov: sp.csr_matrix, weight: FloatArray, open_mask: BoolArray
    ) -> None:
        self.csr = sp.csr_matrix(cov)
        self.csc = self.csr.tocsc()
        self.w = np.asarray(weight, dtype=np.float64)
        self.m = self.csr.shape[1]
        self.open = np.asarray(open_mask, dtype=bool).copy()
        self.count = np.zeros(self.csr.shape[0], dtype=np.int64)
        if self.open.any():
            self.count = np.asarray(
                self.csr @ self.open.astype(np.float64)
            ).ravel().round().astype(np.int64)
        self.gain = self.weight_by_site(np.flatnonzero(self.count == 0))

    def weight_by_site(self, rows: IntArray) -> FloatArray:
        """Per site, the weight of those of ``rows`` (distinct) that it covers."""
        cols, seg = expand_rows(self.csr, rows)
        return np.bincount(cols, weights=self.w[rows][seg], minlength=self.m).astype(np.float64)

    def rows_of(self, j: int) -> IntArray:
        return self.csc.indices[self.csc.indptr[j] : self.csc.indptr[j + 1]].astype(np.int64)

    @property
    def value(self) -> float:
        return float(self.w[self.count > 0].sum())

    def add(self, j: int) -> None:
        rows = self.rows_of(j)
        newly = rows[self.count[rows] == 0]
        self.count[rows] += 1
        self.gain -= self.weight_by_site(newly)
        self.open[j] = True

    def remove(self, j: int) -> None:
        rows = self.rows_of(j)
        self.count[rows] -= 1
        lost = rows[self.count[rows] == 0]
        self.gain += self.weight_by_site(lost)
        self.open[j] = False

    def swap_gains(self, j: int) -> tuple[float, FloatArray]:
        """Loss of closing ``j`` and, per site, its gain once ``j`` is closed."""
        rows = self.rows_of(j)
        alone = rows[self.count[rows] == 1]
        return float(self.w[alone].sum()), self.gain + self.weight_by_site(alone)
