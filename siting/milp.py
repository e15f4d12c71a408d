"""Solver-neutral MILP arrays.

Every model builds one :class:`MilpArrays`: objective vector, a CSR constraint
matrix with row bounds, column bounds and integrality. Back ends consume only
this container, so a model never knows which solver runs it.

Columns are grouped in named *blocks* (``y`` for sites, ``z`` for demand, ...)
so that a model can find its variables by name and produce readable names for
export without materialising one Python string per column.

>>> import numpy as np, scipy.sparse as sp
>>> b = MilpBuilder()
>>> y = b.add_block("y", 2, lower=0, upper=1, integer=True, cost=[3.0, 2.0])
>>> _ = b.add_rows(sp.csr_matrix(np.array([[1.0, 1.0]])), lower=1, upper=np.inf, cols=y)
>>> m = b.build(sense="min")
>>> m.num_cols, m.num_rows, m.A.nnz
(2, 1, 2)
>>> m.column_name(1)
'y[1]'

Variables indexed by (year, item), such as "facilities of one type open on
each parcel in each year", live in a :class:`Grid`: positions come from the
grid, never from hand-written offsets.

>>> b = MilpBuilder()
>>> w = b.add_grid("w", years=2, items=3, upper=1, integer=True)
>>> w.cols(1, np.array([0, 2])).tolist()       # year 1, items 0 and 2
[3, 5]
>>> mat, cols = w.terms(np.array([0, 0]), 1, np.array([0, 2]), np.ones(2), n_rows=1)
>>> mat.toarray().tolist(), cols.name
([[0.0, 0.0, 0.0, 1.0, 0.0, 1.0]], 'w')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

Sense = Literal["min", "max"]


@dataclass(frozen=True)
class Block:
    """A contiguous range of columns (or rows) sharing a name prefix."""

    name: str
    start: int
    size: int

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)


class ModelStructure:
    """What a model says about its arrays beyond the rows, for a heuristic or a
    decomposition that understands it (:mod:`siting.heuristics.structure`)."""


@dataclass
class MilpArrays:
    """A mixed-integer linear programme in arrays.

    ``sense`` applies to ``c``; the objective value is ``c @ x + offset``.
    Rows are ``row_lower <= A @ x <= row_upper`` (``±inf`` for a free side).
    """

    c: NDArray[np.float64]
    A: sp.csr_matrix
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    col_lower: NDArray[np.float64]
    col_upper: NDArray[np.float64]
    integrality: NDArray[np.bool_]
    sense: Sense = "min"
    offset: float = 0.0
    col_blocks: list[Block] = field(default_factory=list)
    row_blocks: list[Block] = field(default_factory=list)
    #: Optional model structure (coverage matrix, weights, p, ...) for the
    #: heuristic back end, warm starts and Benders; solvers ignore it.
    structure: ModelStructure | None = None

    @property
    def num_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.A.shape[0])

    def block(self, name: str) -> Block:
        """The column block called ``name``."""
        for blk in self.col_blocks:
            if blk.name == name:
                return blk
        raise KeyError(name)

    def column_name(self, k: int) -> str:
        return _name_in(self.col_blocks, k, "x")

    def row_name(self, k: int) -> str:
        return _name_in(self.row_blocks, k, "r")

    def column_names(self) -> NDArray[np.str_]:
        """All column names, built per block with vectorised string ops."""
        return _names(self.col_blocks, self.num_cols, "x")

    def row_names(self) -> NDArray[np.str_]:
        return _names(self.row_blocks, self.num_rows, "r")

    def objective_of(self, x: NDArray[np.float64]) -> float:
        return weighted_sum(self.c, x) + self.offset

    def max_violation(self, x: NDArray[np.float64]) -> float:
        """Largest violation of any row, column bound or integrality (0 when feasible)."""
        ax = self.A @ x
        worst = 0.0
        if ax.size:
            worst = max(
                worst,
                float(np.max(np.maximum(self.row_lower - ax, 0.0), initial=0.0)),
                float(np.max(np.maximum(ax - self.row_upper, 0.0), initial=0.0)),
            )
        worst = max(
            worst,
            float(np.max(np.maximum(self.col_lower - x, 0.0), initial=0.0)),
            float(np.max(np.maximum(x - self.col_upper, 0.0), initial=0.0)),
        )
        xi = x[self.integrality]
        if xi.size:
            worst = max(worst, float(np.max(np.abs(xi - np.round(xi)))))
        return worst


@dataclass(frozen=True)
class Grid:
    """A block of columns indexed by (year, item), year-major: ``start + year * items + item``.

    The row-building helpers return ``(matrix, block)`` parts for
    :meth:`MilpBuilder.concat_rows`, over the grid's own columns.
    """

    block: Block
    years: int
    items: int

    @property
    def name(self) -> str:
        return self.block.name

    @property
    def slice(self) -> slice:
        return self.block.slice

    def local(self, year: ArrayLike, item: ArrayLike) -> NDArray[np.int64]:
        """Positions within the grid (0 … years × items − 1)."""
        return (np.asarray(year, dtype=np.int64) * self.items
                + np.asarray(item, dtype=np.int64))

    def cols(self, year: ArrayLike, item: ArrayLike | None = None) -> NDArray[np.int64]:
        """Global column indices of ``(year, item)``; every item of the year when None."""
        items = np.arange(self.items) if item is None else item
        return self.block.start + self.local(year, items)

    def terms(
        self, rows: ArrayLike, year: ArrayLike, item: ArrayLike, values: ArrayLike, n_rows: int
    ) -> tuple[sp.csr_matrix, Block]:
        """Coefficient ``values[k]`` of column ``(year[k], item[k])`` in row ``rows[k]``."""
        rows = np.asarray(rows, dtype=np.int64)
        local = np.broadcast_to(self.local(year, item), rows.shape)
        vals = np.broadcast_to(np.asarray(values, dtype=np.float64), rows.shape)
        return _csr(rows, local, vals, (n_rows, self.years * self.items)), self.block

    def year_sum(self, year: int, coef: ArrayLike) -> tuple[sp.csr_matrix, Block]:
        """One row: ``sum_j coef_j v[year, j]``."""
        items = np.arange(self.items)
        return self.terms(np.zeros(self.items, np.int64), year, items, coef, 1)

    def added_in(self, year: int, coef: ArrayLike) -> tuple[sp.csr_matrix, Block]:
        """One row: ``sum_j coef_j (v[year, j] - v[year - 1, j])``, what a year adds."""
        mat, block = self.year_sum(year, coef)
        if year > 0:
            mat = mat - self.year_sum(year - 1, coef)[0]
        return sp.csr_matrix(mat), block

    def monotone(self) -> sp.csr_matrix:
        """Rows ``v[t-1, j] - v[t, j] <= 0`` over the grid (what is open stays open).

        >>> Grid(Block("w", 0, 4), years=2, items=2).monotone().toarray()
        array([[ 1.,  0., -1.,  0.],
               [ 0.,  1.,  0., -1.]])
        """
        n = self.items * (self.years - 1)
        r = np.arange(n)
        return sp.csr_matrix(
            (np.r_[np.ones(n), -np.ones(n)], (np.r_[r, r], np.r_[r, r + self.items])),
            shape=(n, self.items * self.years),
        )


def _csr(
    rows: NDArray[np.int64], cols: NDArray[np.int64], vals: NDArray[np.float64],
    shape: tuple[int, int],
) -> sp.csr_matrix:
    """``sp.csr_matrix((vals, (rows, cols)), shape)``, made from the sorted entries when no
    (row, column) repeats: the same matrix (indices sorted within each row) without
    scipy's coordinate detour, which dominated building the multi-service rows (many
    small blocks). Repeated entries go the detour, which sums them in its own order.

    >>> m = _csr(np.array([1, 0, 1]), np.array([2, 1, 0]), np.array([3.0, 4, 5]), (2, 3))
    >>> m.toarray().tolist(), m.has_canonical_format
    ([[0.0, 4.0, 0.0], [5.0, 0.0, 3.0]], True)
    >>> _csr(np.array([0, 0]), np.array([1, 1]), np.array([1.0, 2]), (1, 2)).toarray().tolist()
    [[0.0, 3.0]]
    """
    n_rows, n_cols = shape
    if rows.size and (rows.min() < 0 or rows.max() >= n_rows
                      or cols.min() < 0 or cols.max() >= n_cols):
        return sp.csr_matrix((vals, (rows, cols)), shape=shape)  # scipy words the error
    key = rows * n_cols + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    if key.size > 1 and bool((key[1:] == key[:-1]).any()):
        return sp.csr_matrix((vals, (rows, cols)), shape=shape)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    index = np.int32 if max(n_cols, key.size) < np.iinfo(np.int32).max else np.int64
    mat = sp.csr_matrix((np.array(vals[order], dtype=np.float64),
                         cols[order].astype(index), indptr.astype(index)), shape=shape)
    mat.has_canonical_format = True
    return mat


@dataclass(frozen=True)
class _Entries:
    """Row-block entries (rows local to the block, global columns), stacked by build."""

    row: NDArray[np.int64]
    col: NDArray[np.int64]
    data: NDArray[np.float64]


def _entries_of(mat: Any) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], tuple[int, int]]:
    """The coordinates of a sparse matrix (or array-like): a CSR matrix's read off its own
    arrays, in the order ``tocoo`` gives them."""
    if isinstance(mat, sp.csr_matrix):
        counts = np.diff(mat.indptr)
        row = np.repeat(np.arange(mat.shape[0], dtype=mat.indices.dtype), counts)
        return row, mat.indices, mat.data, mat.shape
    coo = mat if isinstance(mat, sp.coo_matrix) else sp.coo_matrix(mat)
    return coo.row, coo.col, coo.data, coo.shape


def _name_in(blocks: list[Block], k: int, default: str) -> str:
    for blk in blocks:
        if blk.start <= k < blk.stop:
            return f"{blk.name}[{k - blk.start}]"
    return f"{default}[{k}]"


def _names(blocks: list[Block], n: int, default: str) -> NDArray[np.str_]:
    out = np.char.add(f"{default}[", np.char.add(np.arange(n).astype(str), "]"))
    out = out.astype(object)
    for blk in blocks:
        idx = np.arange(blk.size).astype(str)
        out[blk.slice] = np.char.add(np.char.add(f"{blk.name}[", idx), "]")
    return out.astype(str)


def _vec(value: ArrayLike, n: int, name: str) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected {n} values, got shape {arr.shape}")
    return arr.copy()


class MilpBuilder:
    """Assemble :class:`MilpArrays` from column blocks and row blocks.

    Row blocks are sparse matrices over a subset of columns (given as blocks or
    index arrays); they are stacked once in :meth:`build`.
    """

    def __init__(self) -> None:
        self._cost: list[NDArray[np.float64]] = []
        self._lo: list[NDArray[np.float64]] = []
        self._hi: list[NDArray[np.float64]] = []
        self._int: list[NDArray[np.bool_]] = []
        self._col_blocks: list[Block] = []
        self._rows: list[_Entries] = []
        self._row_lo: list[NDArray[np.float64]] = []
        self._row_hi: list[NDArray[np.float64]] = []
        self._row_blocks: list[Block] = []
        self.num_cols = 0
        self.num_rows = 0

    def add_block(
        self,
        name: str,
        size: int,
        *,
        lower: ArrayLike = 0.0,
        upper: ArrayLike = np.inf,
        integer: bool = False,
        cost: ArrayLike = 0.0,
    ) -> Block:
        """Add ``size`` columns; returns their block."""
        blk = Block(name, self.num_cols, int(size))
        self._cost.append(_vec(cost, size, f"{name}.cost"))
        self._lo.append(_vec(lower, size, f"{name}.lower"))
        self._hi.append(_vec(upper, size, f"{name}.upper"))
        self._int.append(np.full(size, integer, dtype=bool))
        self._col_blocks.append(blk)
        self.num_cols += int(size)
        return blk

    def add_grid(
        self,
        name: str,
        *,
        years: int,
        items: int,
        lower: ArrayLike = 0.0,
        upper: ArrayLike = np.inf,
        integer: bool = False,
        cost: ArrayLike = 0.0,
    ) -> Grid:
        """Add ``years × items`` columns indexed by (year, item); bounds may be year-major."""
        block = self.add_block(
            name, years * items, lower=lower, upper=upper, integer=integer, cost=cost
        )
        return Grid(block, int(years), int(items))

    def add_rows(
        self,
        matrix: sp.spmatrix | sp.sparray,
        *,
        lower: ArrayLike,
        upper: ArrayLike,
        cols: Block | Grid | NDArray[np.int64] | None = None,
        name: str = "r",
    ) -> Block:
        """Add rows ``lower <= matrix @ x[cols] <= upper``.

        ``matrix`` has one column per entry of ``cols`` (a block or an index
        array); ``cols=None`` means all columns added so far, in order.
        """
        row, col, data, (nrows, ncols) = _entries_of(matrix)
        if isinstance(cols, Grid):
            cols = cols.block
        if cols is None:
            colmap = None
        elif isinstance(cols, Block):
            colmap = np.arange(cols.start, cols.stop)
        else:
            colmap = np.asarray(cols, dtype=np.int64)
        if colmap is not None and colmap.shape[0] != ncols:
            raise ValueError(f"row block {name}: {ncols} columns but {colmap.shape[0]} ids")
        return self._append(row, col if colmap is None else colmap[col], data, nrows,
                            lower=lower, upper=upper, name=name)

    def _append(
        self, row: NDArray[Any], col: NDArray[Any], data: NDArray[Any], nrows: int, *,
        lower: ArrayLike, upper: ArrayLike, name: str,
    ) -> Block:
        col = np.array(col, dtype=np.int64)  # copies: the caller's matrix may change later
        if col.size and (int(col.min()) < 0 or int(col.max()) >= max(self.num_cols, 1)):
            raise ValueError(f"row block {name}: a column index is outside the "
                             f"{self.num_cols} columns")
        self._rows.append(_Entries(np.array(row, dtype=np.int64), col,
                                   np.array(data, dtype=np.float64)))
        self._row_lo.append(_vec(lower, nrows, f"{name}.lower"))
        self._row_hi.append(_vec(upper, nrows, f"{name}.upper"))
        blk = Block(name, self.num_rows, nrows)
        self._row_blocks.append(blk)
        self.num_rows += nrows
        return blk

    def concat_rows(
        self,
        parts: Sequence[tuple[Any, Block | NDArray[np.int64]]],
        *,
        lower: ArrayLike,
        upper: ArrayLike,
        name: str = "r",
    ) -> Block:
        """Add rows whose coefficients span several column blocks: ``sum_k M_k @ x[cols_k]``."""
        mats = []
        nrows = None
        for mat, cols in parts:
            row, col, data, shape = _entries_of(mat)
            nrows = shape[0] if nrows is None else nrows
            if shape[0] != nrows:
                raise ValueError(f"row block {name}: parts disagree on the number of rows")
            colmap = (
                np.arange(cols.start, cols.stop)
                if isinstance(cols, Block)
                else np.asarray(cols, dtype=np.int64)
            )
            mats.append((row, colmap[col], data))
        assert nrows is not None
        r = np.concatenate([m[0] for m in mats])
        c = np.concatenate([m[1] for m in mats])
        v = np.concatenate([m[2] for m in mats]).astype(np.float64)
        return self._append(r, c, v, nrows, lower=lower, upper=upper, name=name)

    def build(self, *, sense: Sense = "min", offset: float = 0.0) -> MilpArrays:
        n = self.num_cols
        if self._rows:
            rr = np.concatenate(
                [m.row + blk.start for m, blk in zip(self._rows, self._row_blocks, strict=False)]
            )
            cc = np.concatenate([m.col for m in self._rows])
            vv = np.concatenate([m.data for m in self._rows])
            A = sp.csr_matrix((vv, (rr, cc)), shape=(self.num_rows, n))
            A.sum_duplicates()
            row_lo = np.concatenate(self._row_lo)
            row_hi = np.concatenate(self._row_hi)
        else:
            A = sp.csr_matrix((0, n))
            row_lo = np.zeros(0)
            row_hi = np.zeros(0)
        return MilpArrays(
            c=np.concatenate(self._cost) if self._cost else np.zeros(0),
            A=A,
            row_lower=row_lo,
            row_upper=row_hi,
            col_lower=np.concatenate(self._lo) if self._lo else np.zeros(0),
            col_upper=np.concatenate(self._hi) if self._hi else np.zeros(0),
            integrality=np.concatenate(self._int) if self._int else np.zeros(0, dtype=bool),
            sense=sense,
            offset=float(offset),
            col_blocks=list(self._col_blocks),
            row_blocks=list(self._row_blocks),
        )


def relative_gap(objective: float | None, bound: float | None, sense: Sense) -> float | None:
    """Relative gap ``|bound - objective| / max(|objective|, 1e-9)``; 0 when they meet.

    The one definition: back ends report it and the verifier recomputes a
    written folder's gap with it.

    >>> relative_gap(100.0, 101.0, "max"), relative_gap(100.0, 100.0, "min")
    (0.01, 0.0)
    """
    if objective is None or bound is None:
        return None
    if not math.isfinite(objective) or not math.isfinite(bound):
        return None
    diff = (bound - objective) if sense == "max" else (objective - bound)
    diff = max(diff, 0.0)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)


def weighted_sum(weights: NDArray[Any], values: NDArray[Any]) -> float:
    """``Σ weights · values`` of two 1-D arrays (``values`` may be boolean), in numpy's
    own loop rather than BLAS.

    ``weights @ values`` hands a vector longer than 10,000 to OpenBLAS, which wakes its
    threads for the sum and leaves them spinning for a while on the core the solver
    needs (the 2026-2030 回天 plan in process: 2.31 → 2.11 s), and splits the sum among
    as many threads as the machine has, so the same plan's objective differed in the
    last bits from machine to machine. This is one thread, in the same order everywhere.

    >>> import numpy as np
    >>> weighted_sum(np.array([5.0, 1.0, 4.0]), np.array([True, False, True]))
    9.0
    """
    return float(np.einsum("i,i->", weights, values))
