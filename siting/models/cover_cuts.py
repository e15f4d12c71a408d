"""The covering subproblem of branch-and-Benders-cut: ``θ`` groups and closed-form cuts.

The compact MCLP (and partial set covering, :mod:`siting.models.partial`) has
one column ``z_j`` and one row per (merged) demand row. Projected out, the
master (:mod:`siting.models.benders`) keeps the site columns ``y`` and one
``θ_g`` per group of rows, and learns the covered weight through cuts

    θ_g ≤ Σ_{j∈g} σ_j + Σ_i y_i Σ_{j∈g, j∈J(i)} π_j,

closed-form optimal duals of the (trivial) subproblem at a point ``y*``:
``π_j = d_j, σ_j = 0`` where row ``j`` is covered less than once by ``y*``,
else ``σ_j = d_j, π_j = 0`` (Cordeau, Furini & Ljubić 2019). Rows that a
single site covers never need a cut: their weight is a linear term of that
site's column (``π_j = d_j`` always, the dominating choice). Separation is
one sparse product over the nonzeros.

>>> cov = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], float))
>>> data = CoverData.build(cov, np.array([5.0, 1, 2, 4]), groups=1)
>>> data.linear.tolist()          # rows 0 and 3 have one covering site
[5.0, 0.0, 4.0]
>>> const, coef = data.cut(np.array([1.0, 0.0, 0.0]))
>>> const.tolist(), coef.toarray().tolist()   # row 1 covered: σ; row 2 not: π
([1.0], [[0.0, 2.0, 2.0]])
>>> float(data.total(np.array([1.0, 0.0, 0.0])))
6.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass
class CoverData:
    """Merged covering rows with more than one covering site, grouped for the ``θ`` columns.

    ``linear[i]`` is the weight of the rows site ``i`` alone covers (a term of
    the master objective); ``cov``, ``weight`` and ``group`` are the other rows.
    """

    cov: sp.csr_matrix
    weight: FloatArray
    group: NDArray[np.int64]
    n_groups: int
    linear: FloatArray
    group_weight: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.group_weight = np.bincount(self.group, weights=self.weight,
                                        minlength=self.n_groups).astype(np.float64)

    @property
    def theta_lower(self) -> FloatArray:
        return np.zeros(self.n_groups)

    @property
    def theta_upper(self) -> FloatArray:
        return self.group_weight

    @property
    def theta_scale(self) -> FloatArray:
        """Magnitude of each ``θ`` (tolerances are relative to it)."""
        return self.group_weight

    @classmethod
    def build(cls, cov: sp.csr_matrix, weight: FloatArray, groups: int = 1) -> CoverData:
        """Split rows by their number of covering sites; group the rest by first site.

        With ``groups`` = k the rows whose first covering site falls in the
        same k-th of the site range share a ``θ`` (k = 1: one ``θ``); with more
        groups than sites, rows ordered by first site are cut into k runs (one
        ``θ`` per row is the compact formulation again).
        """
        cov = sp.csr_matrix(cov, dtype=np.float64)
        cov.data[:] = 1.0
        weight = np.asarray(weight, dtype=np.float64)
        length = np.diff(cov.indptr)
        keep = weight > 0
        single = keep & (length == 1)
        m = cov.shape[1]
        linear = np.bincount(cov.indices[cov.indptr[:-1][single]], weights=weight[single],
                             minlength=m).astype(np.float64)
        multi = np.flatnonzero(keep & (length > 1))
        sub = sp.csr_matrix(cov[multi])
        rows = sub.shape[0]
        k = max(1, min(int(groups), max(rows, 1)))
        first = sub.indices[sub.indptr[:-1]] if rows else np.zeros(0, np.int64)
        if k <= m:
            group = (first.astype(np.int64) * k) // max(m, 1)
        else:  # more groups than sites: rows in order of first site, cut in k runs
            rank = np.empty(rows, dtype=np.int64)
            rank[np.argsort(first, kind="stable")] = np.arange(rows)
            group = (rank * k) // rows
        return cls(sub, weight[multi], group, k, linear)

    def values(self, y: FloatArray) -> FloatArray:
        """Covered weight of each group at ``y`` (``Σ d_j min(1, a_j·y)``)."""
        count = self.cov @ np.asarray(y, dtype=np.float64)
        return np.bincount(self.group, weights=self.weight * np.minimum(count, 1.0),
                           minlength=self.n_groups).astype(np.float64)

    def total(self, y: FloatArray) -> float:
        """Covered weight at ``y``: the linear part plus every group."""
        return float(self.linear @ y + self.values(y).sum())

    def cut(self, y: FloatArray, once: bool = False) -> tuple[FloatArray, sp.csr_matrix]:
        """The cut at ``y``: constants (one a group) and coefficients (groups × sites).

        Rows covered exactly once have two optimal duals; ``once=True`` takes
        ``π_j = d_j`` for them too (the cut then sees what closing a site loses,
        the default sees what opening one gains). Both are exact at ``y``.
        """
        count = self.cov @ np.asarray(y, dtype=np.float64)
        under = count < (1.0 + 1e-9 if once else 1.0 - 1e-9)
        const = np.bincount(self.group, weights=self.weight * ~under,
                            minlength=self.n_groups).astype(np.float64)
        rows = np.flatnonzero(under)
        pick = sp.csr_matrix((self.weight[rows], (self.group[rows], rows)),
                             shape=(self.n_groups, self.cov.shape[0]))
        coef = sp.csr_matrix(pick @ self.cov)
        return const, coef
