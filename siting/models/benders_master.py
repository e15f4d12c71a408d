"""The Benders master: columns ``y`` then one ``θ`` per group, side rows and the cuts.

Shared by the cut loop (:mod:`siting.models.benders`), its root LP
(:mod:`siting.models.benders_root`) and the p-median's cuts, so that each of
them imports it from here and none imports another.

>>> import numpy as np, scipy.sparse as sp
>>> from siting.models.cover_cuts import CoverData
>>> cov = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]], float))
>>> master = Master(CoverData.build(cov, np.array([4.0, 3])), np.zeros(3), np.ones(3),
...                 sp.csr_matrix((0, 3)), np.zeros(0), 0.0)
>>> master.m, master.value(np.array([0.0, 1.0, 0.0]))
(3, 7.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.milp import Block, MilpArrays, Sense, weighted_sum

FloatArray = NDArray[np.float64]

#: Largest ``θ`` magnitude the master sees (see ``Master.scale``).
THETA_MAGNITUDE = 1e5
#: A plan meets the coverage row when its true coverage falls short by this (relative) at most.
FEASIBILITY_TOL = 1e-7
#: Share of the time limit the root cut loop may take.
ROOT_SHARE = 0.3


class CutOracle(Protocol):
    """What the master needs of a subproblem: ``θ`` columns, true values and exact cuts.

    The master maximises ``linear·y + Σ θ_g`` with ``θ_g ≤ const_g + coef_g·y``
    (a minimised service cost is handed over negated, as
    :mod:`siting.models.pmedian_benders` does), or bounds it from below in the
    coverage row of a cost-minimising master (:class:`Master` with ``cost``).
    """

    n_groups: int
    linear: FloatArray

    @property
    def theta_lower(self) -> FloatArray: ...

    @property
    def theta_upper(self) -> FloatArray: ...

    @property
    def theta_scale(self) -> FloatArray: ...

    def values(self, y: FloatArray) -> FloatArray: ...

    def total(self, y: FloatArray) -> float: ...

    def cut(self, y: FloatArray, once: bool = False) -> tuple[FloatArray, sp.csr_matrix]: ...


@dataclass
class Master:
    """The master problem: columns ``y`` then ``θ``, the side rows (p, budget) and the cuts.

    It maximises ``linear·y + Σ θ_g`` (MCLP, the negated p-median); with
    ``cost`` it minimises ``cost·y`` instead, under the coverage row
    ``linear·y + Σ θ_g ≥ required`` (partial set covering).
    """

    data: CutOracle
    y_lower: FloatArray
    y_upper: FloatArray
    side: sp.csr_matrix  # p and budget rows over y
    side_upper: FloatArray
    offset: float
    cut_rows: list[sp.csr_matrix] = field(default_factory=list)
    cut_upper: list[FloatArray] = field(default_factory=list)
    side_lower: FloatArray | None = None
    #: The master's objective is divided by this, so that ``θ`` bounds and cut
    #: coefficients stay near 1e5 at most: with the raw weights of millions of
    #: points (a ``θ`` of 1e6 and more) HiGHS's tolerances made a 100-site
    #: master crawl (60 nodes in 55 s); every value leaving the master is
    #: multiplied back.
    scale: float = 1.0
    cost: FloatArray | None = None
    required: float | None = None
    #: Rows ``reach·y ≥ 1`` every plan must meet (the p-median's points that some
    #: sites do not reach: one of the sites each reaches is open).
    reach: sp.csr_matrix | None = None

    def __post_init__(self) -> None:
        big = float(np.max(np.abs(self.data.theta_scale), initial=0.0))
        self.scale = max(1.0, big / THETA_MAGNITUDE)

    @property
    def m(self) -> int:
        return int(self.y_lower.size)

    @property
    def n_cuts(self) -> int:
        return sum(r.shape[0] for r in self.cut_rows)

    @property
    def sense(self) -> Sense:
        return "max" if self.cost is None else "min"

    @property
    def objective_scale(self) -> float:
        """What the master's objective is divided by (a cost objective is not scaled)."""
        return self.scale if self.cost is None else 1.0

    def objective(self) -> FloatArray:
        if self.cost is None:
            return self.objective_row()
        return np.concatenate([self.cost, np.zeros(self.data.n_groups)])

    def value(self, y: FloatArray) -> float:
        """The objective of the plan ``y`` (true coverage, or cost)."""
        if self.cost is None:
            return self.data.total(y) + self.offset
        return weighted_sum(self.cost, y) + self.offset

    def covers(self, y: FloatArray) -> bool:
        """Whether the plan ``y`` meets the reach rows, and the coverage row with its true
        coverage."""
        reach = self.reach
        if reach is not None and (reach @ np.asarray(y, dtype=np.float64) < 1 - 1e-6).any():
            return False
        if self.required is None:
            return True
        return self.data.total(y) >= self.required - FEASIBILITY_TOL * max(1.0, abs(self.required))

    def add_cuts(self, const: FloatArray, coef: sp.csr_matrix, groups: NDArray[np.int64]) -> int:
        """Rows ``θ_g − coef_g·y ≤ const_g`` for the given groups; returns how many."""
        if groups.size == 0:
            return 0
        k = self.data.n_groups
        part = -sp.csr_matrix(coef[groups]) / self.scale
        theta = sp.csr_matrix((np.ones(groups.size), (np.arange(groups.size), groups)),
                              shape=(groups.size, k))
        self.cut_rows.append(sp.csr_matrix(sp.hstack([part, theta], format="csr")))
        self.cut_upper.append(const[groups] / self.scale)
        return int(groups.size)

    def separate(
        self, x: FloatArray, at: FloatArray | None = None, tol: float = 1e-6, once: bool = False
    ) -> int:
        """Add the cuts at ``at`` (default: ``x``'s own ``y``) that ``x`` violates."""
        y, theta = x[: self.m], x[self.m:] * self.scale
        const, coef = self.data.cut(y if at is None else at, once)
        bound = const + coef @ y
        scale = tol * np.maximum(1.0, self.data.theta_scale)
        return self.add_cuts(const, coef, np.flatnonzero(theta > bound + scale))

    def prune(self, x: FloatArray, tol: float = 1e-6) -> None:
        """Drop the cuts slack at ``x`` (kept: those within ``tol`` of binding)."""
        if not self.cut_rows:
            return
        rows = sp.vstack(self.cut_rows, format="csr")
        upper = np.concatenate(self.cut_upper)
        slack = upper - rows @ x
        keep = slack <= tol * np.maximum(1.0, np.abs(upper))
        self.cut_rows, self.cut_upper = [sp.csr_matrix(rows[keep])], [upper[keep]]

    def milp(self, integer: bool) -> MilpArrays:
        k = self.data.n_groups
        side = sp.csr_matrix(sp.hstack([self.side, sp.csr_matrix((self.side.shape[0], k))]))
        rows, uppers = [side], [self.side_upper]
        if self.required is not None:  # linear·y + Σθ ≥ required, in θ's scale
            rows.append(sp.csr_matrix(self.objective_row()))
            uppers.append(np.array([np.inf]))
        n_reach = 0 if self.reach is None else self.reach.shape[0]
        if n_reach:
            assert self.reach is not None
            rows.append(sp.csr_matrix(sp.hstack([self.reach, sp.csr_matrix((n_reach, k))])))
            uppers.append(np.full(n_reach, np.inf))
        A = sp.vstack([*rows, *self.cut_rows], format="csr")
        upper = np.concatenate([*uppers, *self.cut_upper])
        lower = np.full(A.shape[0], -np.inf)
        if self.side_lower is not None:
            lower[: self.side_lower.size] = self.side_lower
        if self.required is not None:
            lower[self.side.shape[0]] = self.required / self.scale
        if n_reach:
            start = self.side.shape[0] + (self.required is not None)
            lower[start: start + n_reach] = 1.0
        n = self.m + k
        return MilpArrays(
            c=self.objective(), A=A, row_lower=lower, row_upper=upper,
            col_lower=np.concatenate([self.y_lower, self.data.theta_lower / self.scale]),
            col_upper=np.concatenate([self.y_upper, self.data.theta_upper / self.scale]),
            integrality=np.r_[np.full(self.m, integer), np.zeros(k, dtype=bool)],
            sense=self.sense, offset=self.offset / self.objective_scale,
            col_blocks=[Block("y", 0, self.m), Block("theta", self.m, k)],
        ) if n else MilpArrays(
            c=np.zeros(0), A=sp.csr_matrix((0, 0)), row_lower=np.zeros(0), row_upper=np.zeros(0),
            col_lower=np.zeros(0), col_upper=np.zeros(0), integrality=np.zeros(0, dtype=bool),
            sense=self.sense, offset=self.offset)

    def objective_row(self) -> FloatArray:
        """``linear·y + Σ θ_g`` over the master's columns, divided by the ``θ`` scale."""
        return np.concatenate([self.data.linear / self.scale, np.ones(self.data.n_groups)])

    def point(self, y: FloatArray) -> FloatArray:
        """A master point at ``y`` with every ``θ`` at its true value (feasible for every cut)."""
        return np.concatenate([y, self.data.values(y) / self.scale])
