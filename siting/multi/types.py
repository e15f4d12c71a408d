"""The multi-service model's data types: block groups, facility types, indicators, layout.

Shared by the problem (:mod:`siting.multi.problem`), its rows
(:mod:`siting.multi.rows`, :mod:`siting.multi.targets`,
:mod:`siting.multi.decay_rows`) and the tables, which import them from here
rather than from one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.instance import Instance
from siting.milp import Block, Grid
from siting.multi.spec import Facility
from siting.reduce import merge_equal_rows

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
#: Coefficients of one row family on one variable block.
Part = tuple[Any, Block]


class TargetKey(str):
    """The name of target ``k``'s indicator, its columns and its row: ``"target{k}"``.

    Built and read back here only (a ``str``, so it names grids and rows as it is).

    >>> key = TargetKey.of(2)
    >>> key, key.position, key == "target2"
    ('target2', 2, True)
    """

    __slots__ = ()
    PREFIX = "target"

    @classmethod
    def of(cls, k: int) -> TargetKey:
        return cls(f"{cls.PREFIX}{int(k)}")

    @property
    def position(self) -> int:  # not str.index
        """The target's position in the spec's ``[[target]]`` list."""
        return int(self.removeprefix(self.PREFIX))


@dataclass
class Family:
    """Aggregated coverage rows: blocks with the same covering sites (per type) and the
    same area merge into one group with summed population (an exact reduction).

    Blocks covered whatever is built (by kept existing facilities) are a constant;
    blocks no candidate can reach, or without residents, are constant zero.
    ``links`` lists, per type, the groups that type must cover and the covering
    sites (candidates, then existing).
    """

    key: str
    pop: FloatArray  # per group
    rep: IntArray  # a representative block of each group
    const_block: BoolArray  # blocks covered whatever is built
    block_group: IntArray  # group of each block, -1 when constant
    block_pop: FloatArray
    links: list[tuple[str, IntArray, sp.csr_matrix]]  # (type, group rows, G_rows × sites)

    @property
    def size(self) -> int:
        return int(self.pop.size)

    @property
    def const(self) -> float:
        return float(self.block_pop[self.const_block].sum())

    @property
    def total(self) -> float:
        return float(self.block_pop.sum())


def make_family(
    key: str,
    block_pop: FloatArray,
    area_codes: IntArray,
    per_type: list[tuple[str, sp.csr_matrix, BoolArray]],
) -> Family:
    """Group blocks by (area, covering pattern of every type); see :class:`Family`.

    ``per_type`` holds, per type, the 0/1 block × site pattern and the blocks
    it covers whatever is built. Rows are compared exactly
    (:func:`~siting.reduce.merge_equal_rows`) on one key matrix: the area as a
    one-hot column, then each type's pattern (or one marker column where the
    type covers the block anyway).

    >>> import scipy.sparse as sp, numpy as np
    >>> P = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 0]]))
    >>> fam = make_family("z", np.array([1.0, 2, 3, 4]), np.zeros(4, dtype=np.int64),
    ...                   [("t", P, np.zeros(4, dtype=bool))])
    >>> fam.pop.tolist(), fam.block_group.tolist()
    ([3.0, 3.0], [0, 0, 1, -1])
    """
    n = block_pop.size
    satisfied = np.ones(n, dtype=bool)
    impossible = np.zeros(n, dtype=bool)
    n_areas = int(area_codes.max(initial=-1)) + 1
    keys = [sp.csr_matrix((np.ones(n), (np.arange(n), area_codes)), shape=(n, n_areas))]
    for _, pattern, pre in per_type:
        pattern = sp.csr_matrix(pattern)
        satisfied &= pre
        impossible |= ~pre & (np.diff(pattern.indptr) == 0)
        keys += [sp.diags((~pre).astype(np.float64)) @ pattern,
                 sp.csr_matrix(pre.astype(np.float64)[:, None])]
    active = np.flatnonzero(~satisfied & ~impossible & (block_pop > 0))
    merged = merge_equal_rows(sp.hstack(keys, format="csr")[active], block_pop[active])
    group_of_block = np.full(n, -1, dtype=np.int64)
    group_of_block[active] = merged.group
    rep = active[merged.first]
    links = []
    for name, pattern, pre in per_type:
        need = np.flatnonzero(~pre[rep])
        links.append((name, need, sp.csr_matrix(pattern)[rep[need]]))
    return Family(key, merged.weight, rep, satisfied, group_of_block, block_pop, links)


@dataclass
class TypeData:
    """One facility type: its candidates, existing sites, coverage and costs.

    Sites are numbered candidates first (``0 … J-1``, positions ``cand`` in the
    parcels), then existing facilities (``J … J+E-1``, positions ``existing``).
    """

    name: str
    spec: Facility
    cand: IntArray  # parcel positions eligible for this type
    avail_t: IntArray  # first year index each candidate may be open (len(cand))
    existing: IntArray  # positions in data.existing
    pop: FloatArray  # group population per block
    instance: Instance  # blocks × (candidates, existing): the coverage layer's view
    coverage: sp.csr_matrix  # distances within the type's radius
    cost: FloatArray  # cost per facility on each candidate (build + land share)
    max_spaces: FloatArray  # sized types: spaces a candidate can hold
    existing_capacity: FloatArray
    family: Family
    #: Decay types only: valued (block group, site) pairs (:mod:`siting.multi.decay`).
    attendance: Any = None

    @property
    def n_cand(self) -> int:
        return int(self.cand.size)

    @property
    def n_sites(self) -> int:
        return int(self.cand.size + self.existing.size)


@dataclass
class Indicator:
    """Blocks inside an indicator: covered by every type of ``types`` within ``radius``."""

    key: TargetKey
    types: list[str]
    radius: float
    group: str
    pop: FloatArray
    family: Family


@dataclass
class Layout:
    """Where each variable family sits in the column vector."""

    w: dict[str, Grid] = field(default_factory=dict)
    keep: dict[str, Block] = field(default_factory=dict)
    s: dict[str, Grid] = field(default_factory=dict)
    z: dict[str, Grid] = field(default_factory=dict)
    x: dict[str, Grid] = field(default_factory=dict)
    c: dict[str, Grid] = field(default_factory=dict)
    a: dict[str, Grid] = field(default_factory=dict)  # attendance of decay types


def keep_terms(
    block: Block, rows: IntArray, sites: IntArray, values: Any, n_rows: int
) -> Part:
    """Coefficients of existing facilities ``sites`` (0 … E-1) of one type in ``rows``."""
    vals = np.broadcast_to(np.asarray(values, dtype=np.float64), np.shape(rows))
    return sp.csr_matrix((vals, (rows, sites)), shape=(n_rows, block.size)), block
