"""What a covering or p-median model says about its arrays, for heuristics and Benders.

:class:`CoverStructure` is the one contract of the covering models' compact
arrays (MCLP, PSCP): the merged rows, their weights, the site costs and which
sites are fixed open or closed by the reductions, with the ``p``, ``budget``
or ``required`` limit the model has. The columns are laid out ``y`` (sites)
then ``z`` (rows), as :func:`mclp_arrays` writes them. :class:`MedianStructure`
holds the p-median's assignment pairs. Both ride on
:attr:`~siting.milp.MilpArrays.structure`; solvers ignore them.

>>> cov = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], float))
>>> s = CoverStructure.of(cov, np.array([4.0, 2, 3]), p=1)
>>> milp = mclp_arrays(s)
>>> milp.num_cols, milp.structure == s, s.z
(5, True, Block(name='z', start=2, size=3))
>>> s.columns(milp.num_cols, np.array([True, False])).tolist()
[1.0, 0.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from siting.heuristics.pmedian import PairsData
from siting.milp import Block, MilpArrays, MilpBuilder, ModelStructure

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class CoverStructure(ModelStructure):
    """Merged demand rows × sites of a covering model, and its limits.

    ``cost`` is what each *new* site costs (0 on ``fixed_open`` sites);
    ``p`` and ``budget`` bound the new sites (MCLP); ``required`` is the weight
    they must cover (partial set covering, which minimises ``cost`` instead).
    """

    cov: sp.csr_matrix
    weight: FloatArray
    cost: FloatArray
    fixed_open: BoolArray
    closed: BoolArray
    p: int | None = None
    budget: float | None = None
    required: float | None = None
    offset: float = field(default=0.0)

    @classmethod
    def of(
        cls, cov: Any, weight: ArrayLike, *, p: int | None = None, cost: ArrayLike | None = None,
        budget: float | None = None, fixed_open: ArrayLike | None = None,
        closed: ArrayLike | None = None, required: float | None = None, offset: float = 0.0,
    ) -> CoverStructure:
        """A structure from arrays, with the defaults of an instance without existing
        sites or reductions (unit costs, nothing fixed, nothing closed)."""
        cov = sp.csr_matrix(cov)
        m = cov.shape[1]
        fixed = np.zeros(m, bool) if fixed_open is None else np.asarray(fixed_open, bool)
        shut = np.zeros(m, bool) if closed is None else np.asarray(closed, bool)
        each = np.ones(m) if cost is None else np.asarray(cost, dtype=np.float64)
        return cls(cov, np.asarray(weight, dtype=np.float64), each * ~fixed, fixed.copy(), shut,
                   p, budget, required, offset)

    @property
    def n_sites(self) -> int:
        return int(self.cov.shape[1])

    @property
    def n_rows(self) -> int:
        return int(self.cov.shape[0])

    @property
    def y(self) -> Block:
        """The site columns (first)."""
        return Block("y", 0, self.n_sites)

    @property
    def z(self) -> Block:
        """The row columns (after the sites)."""
        return Block("z", self.n_sites, self.n_rows)

    @property
    def free(self) -> BoolArray:
        """Sites a plan may open or not: neither fixed open nor closed."""
        return ~self.closed & ~self.fixed_open

    def columns(self, num_cols: int, open_mask: ArrayLike) -> FloatArray:
        """The compact arrays' column values of a plan: ``y`` and each row's ``z``."""
        y = (np.asarray(open_mask, dtype=np.float64) > 0.5).astype(np.float64)
        x = np.zeros(num_cols)
        x[self.y.slice] = y
        x[self.z.slice] = np.minimum(self.cov @ y, 1.0)
        return x


@dataclass(frozen=True, eq=False)
class MedianStructure(ModelStructure):
    """The p-median's assignment pairs (in the order of the ``x`` block) and its ``p``."""

    pairs: PairsData
    p: int
    fixed_open: BoolArray
    y: Block
    x: Block
    closed: BoolArray | None = None


def mclp_arrays(s: CoverStructure) -> MilpArrays:
    """The compact MCLP of ``s``: max ``Σ w_g z_g`` with ``z_g ≤ Σ a_gj y_j``, at most
    ``p`` new sites and ``budget`` spent on them; the arrays carry ``s``."""
    b = MilpBuilder()
    new = ~s.fixed_open
    b.add_block("y", s.n_sites, lower=s.fixed_open.astype(float),
                upper=(~s.closed).astype(float), integer=True)
    z = b.add_block("z", s.n_rows, lower=0.0, upper=1.0, cost=s.weight)
    # z_g - sum_j a_gj y_j <= 0, one row per group of demand points with equal coverage
    b.concat_rows([(sp.identity(s.n_rows, format="csr"), z), (-s.cov, s.y)],
                  lower=-np.inf, upper=0.0, name="cover")
    if s.p is not None:
        b.add_rows(sp.csr_matrix(new.astype(float)[None, :]), lower=-np.inf, upper=float(s.p),
                   cols=s.y, name="p")
    if s.budget is not None:
        b.add_rows(sp.csr_matrix(s.cost[None, :]), lower=-np.inf, upper=float(s.budget),
                   cols=s.y, name="budget")
    milp = b.build(sense="max", offset=s.offset)
    milp.structure = s
    return milp
