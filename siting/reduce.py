"""Exact reductions of covering structures: merge equal rows, drop dominated columns.

Both reductions keep every optimal value (and map every solution of the reduced
problem back to a solution of the original one of the same value):

- **Equal rows.** Demand points covered by exactly the same set of sites are
  covered or uncovered together, whatever is opened. In a maximal covering
  model they become one row whose weight is the sum of theirs; in a set
  covering model duplicates are simply dropped.
- **Dominated columns.** Site ``j`` is dominated by site ``k`` when ``k``
  covers every row ``j`` covers and costs no more. Replacing ``j`` by ``k`` in
  any solution keeps it feasible (same count of sites, no more spending) and
  covers at least as much, so ``j`` can be fixed closed. This holds for
  MCLP with ``p`` (cost does not matter), MCLP with a budget (only when
  ``cost_k <= cost_j``) and set covering (same rule, with the objective's
  costs). Existing sites are never dropped, and never used as dominators
  (they are open anyway: their rows are constants before this runs).

Ties are broken so that the relation is a strict partial order: ``j`` is
dropped for ``k`` when ``cov_j ⊆ cov_k`` and ``cost_k <= cost_j`` and either
the inclusion or the cost inequality is strict, or both are equal and
``k < j``. Every dropped site then has a kept dominator (follow the chain up
to a maximal element), so the reduction is exact.

Everything is vectorised: rows are grouped by a 64-bit hash of their column
sets and then compared exactly (a colliding row is kept on its
own); column inclusion comes from the overlap counts ``covᵀ cov`` computed a
block of columns at a time, so memory stays proportional to the overlaps.

>>> import numpy as np, scipy.sparse as sp
>>> cov = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=float))
>>> red = merge_equal_rows(cov, np.array([1.0, 2.0, 3.0, 4.0]))
>>> red.cov.toarray().tolist(), red.weight.tolist(), red.group.tolist()
([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]], [3.0, 3.0, 4.0], [0, 0, 1, 2])
>>> dominated_columns(red.cov, np.ones(3)).tolist()   # site 0 covers a subset of site 1
[True, False, False]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

#: Columns per block of the overlap product ``cov[:, block]ᵀ cov``.
_OVERLAP_BLOCK = 512
#: Overlap entries per block above which the block is split further.
_OVERLAP_NNZ = 20_000_000


@dataclass
class RowReduction:
    """Rows merged by equal column sets.

    ``cov`` has one row per group (the first member's pattern), ``weight`` the
    summed weights, ``group[i]`` the group of original row ``i`` and
    ``first[g]`` the first original row of group ``g``.
    """

    cov: sp.csr_matrix
    weight: NDArray[np.float64]
    group: NDArray[np.int64]
    first: NDArray[np.int64]

    @property
    def merged(self) -> int:
        """Rows removed by merging."""
        return int(self.group.size - self.first.size)


def _row_hashes(cov: sp.csr_matrix, seed: int) -> NDArray[np.uint64]:
    """A 64-bit hash of each row's column set: a sum of random per-column keys (wrapping)."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(1, np.iinfo(np.int64).max, size=cov.shape[1], dtype=np.int64)
    vals = keys.view(np.uint64)[cov.indices]
    csum = np.concatenate([np.zeros(1, dtype=np.uint64), np.cumsum(vals, dtype=np.uint64)])
    with np.errstate(over="ignore"):
        return csum[cov.indptr[1:]] - csum[cov.indptr[:-1]]


def merge_equal_rows(cov: sp.csr_matrix, weight: NDArray[np.float64]) -> RowReduction:
    """Merge rows of ``cov`` with identical column sets (values are ignored: a pattern).

    Groups are numbered in the order of their first row, so the reduction is
    deterministic.
    """
    cov = sp.csr_matrix(cov)
    if not cov.has_sorted_indices:
        cov = cov.copy()
        cov.sort_indices()
    n = cov.shape[0]
    weight = np.asarray(weight, dtype=np.float64)
    if n == 0:
        return RowReduction(cov, weight.copy(), np.zeros(0, np.int64), np.zeros(0, np.int64))
    length = np.diff(cov.indptr).astype(np.int64)
    key = _row_hashes(cov, 1)
    # Sort rows by hash (stable: the first member of a group is its lowest row). One
    # 64-bit hash suffices: rows that collide are told apart by the exact check below.
    order = np.argsort(key, kind="stable")
    ks = key[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = ks[1:] != ks[:-1]
    rep_sorted = order[np.maximum.accumulate(np.where(new_group, np.arange(n), 0))]
    rep = np.empty(n, dtype=np.int64)
    rep[order] = rep_sorted
    # Exact check against each row's representative (hash collisions split off).
    differs = _rows_differ(cov, np.arange(n, dtype=np.int64), rep, length)
    rep[differs] = np.flatnonzero(differs)
    # Number groups by their first row.
    is_first = rep == np.arange(n)
    first = np.flatnonzero(is_first)
    gid = np.full(n, -1, dtype=np.int64)
    gid[first] = np.arange(first.size)
    group = gid[rep]
    merged_w = np.bincount(group, weights=weight, minlength=first.size).astype(np.float64)
    return RowReduction(cov[first], merged_w, group, first)


def merge_row_blocks(
    blocks: Iterable[tuple[int, sp.csr_matrix]], weight: NDArray[np.float64], n_cols: int,
) -> RowReduction:
    """:func:`merge_equal_rows` of the rows of ``blocks`` stacked, one block at a time.

    ``blocks`` are ``(first row, block)`` pairs in row order covering rows
    ``0 .. len(weight) - 1`` (:meth:`siting.coverage.Metric.within_blocks`).
    Each block's rows are merged as it comes and only its distinct rows are
    kept, so memory follows the distinct patterns, not the pairs; the result
    is the same as merging the stacked matrix at once (groups numbered by
    their first row).

    >>> cov = sp.csr_matrix(np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 1]], dtype=float))
    >>> blocks = [(0, cov[:2]), (2, cov[2:4]), (4, cov[4:])]
    >>> red = merge_row_blocks(blocks, np.arange(1.0, 6.0), 2)
    >>> red.group.tolist(), red.first.tolist(), red.weight.tolist()
    ([0, 1, 0, 1, 2], [0, 1, 4], [4.0, 6.0, 5.0])
    """
    weight = np.asarray(weight, dtype=np.float64)
    n = weight.size
    covs: list[sp.csr_matrix] = []
    weights: list[NDArray[np.float64]] = []
    groups: list[NDArray[np.int64]] = []
    firsts: list[NDArray[np.int64]] = []
    done = offset = 0
    for start, block in blocks:
        if start != done or block.shape[1] != n_cols:
            raise ValueError(f"block at row {start} of shape {block.shape}: expected row "
                             f"{done} and {n_cols} columns")
        stop = start + block.shape[0]
        red = merge_equal_rows(block, weight[start:stop])
        covs.append(red.cov)
        weights.append(red.weight)
        groups.append(red.group + offset)
        firsts.append(red.first + start)
        offset += red.first.size
        done = stop
    if done != n:
        raise ValueError(f"blocks cover {done} rows of {n}")
    if not covs:
        return merge_equal_rows(sp.csr_matrix((0, n_cols)), weight)
    # The blocks' distinct rows, merged across blocks: each keeps its first row's
    # position, so the groups come out in the order of their first row overall.
    top = merge_equal_rows(sp.vstack(covs, format="csr"), np.concatenate(weights))
    group = top.group[np.concatenate(groups)]
    first = np.concatenate(firsts)[top.first]
    return RowReduction(top.cov, top.weight, group, first)


def _rows_differ(
    cov: sp.csr_matrix, rows: NDArray[np.int64], other: NDArray[np.int64],
    length: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Whether row ``rows[t]`` has a different column set from row ``other[t]`` (same length)."""
    out = length[rows] != length[other]
    same_len = ~out & (rows != other)
    r, o = rows[same_len], other[same_len]
    if r.size == 0:
        return out
    lens = length[r]
    end = np.cumsum(lens)
    total = int(end[-1])
    if total == 0:
        return out
    # Positions of each row's entries laid end to end, without a Python loop over rows.
    at_r = np.arange(total) + np.repeat(cov.indptr[r] - (end - lens), lens)
    at_o = at_r + np.repeat(cov.indptr[o] - cov.indptr[r], lens)
    # Mismatches up to each row's last entry: a row differs when it has any.
    seen = np.concatenate([[0], np.cumsum(cov.indices[at_r] != cov.indices[at_o])])
    bad = seen[end] > seen[end - lens]
    out[np.flatnonzero(same_len)[bad]] = True
    return out


def dominated_columns(
    cov: sp.csr_matrix | sp.csc_matrix,
    cost: NDArray[np.float64],
    *,
    protect: NDArray[np.bool_] | None = None,
    use_cost: bool = True,
) -> NDArray[np.bool_]:
    """Columns of ``cov`` dominated by another column (see the module docstring).

    ``protect`` marks columns that are neither dropped nor used as dominators
    (existing sites, or sites fixed otherwise). With ``use_cost=False`` costs
    are ignored (MCLP with ``p`` only). Empty columns are dominated by any
    unprotected column.
    """
    csc = sp.csc_matrix(cov, dtype=np.float64)
    csc.data[:] = 1.0
    m = csc.shape[1]
    protect = np.zeros(m, dtype=bool) if protect is None else np.asarray(protect, dtype=bool)
    cost = np.zeros(m) if not use_cost else np.asarray(cost, dtype=np.float64)
    free = ~protect
    size = np.diff(csc.indptr).astype(np.int64)
    out = np.zeros(m, dtype=bool)
    if free.sum() < 2:
        return out
    # An empty column is dominated by the cheapest free column (strict order as below).
    empty = free & (size == 0)
    nonempty_free = np.flatnonzero(free & (size > 0))
    free_idx = np.flatnonzero(free)
    cheapest = free_idx[np.lexsort((free_idx, cost[free_idx]))[0]]
    if empty.any():
        dominated_empty = empty & (
            (cost > cost[cheapest]) | ((cost == cost[cheapest]) & (np.arange(m) > cheapest))
        )
        # The cheapest column itself, if empty, is dominated by any free non-empty
        # column of equal cost; keep it otherwise (exactness needs no more).
        out |= dominated_empty
    if nonempty_free.size < 2:
        return out
    sub = csc[:, nonempty_free]
    csr_t = sub.T.tocsr()  # columns as rows: overlap = sub.T @ sub
    k_all = nonempty_free
    start = 0
    block = _OVERLAP_BLOCK
    while start < k_all.size:
        stop = min(start + block, k_all.size)
        ov = (csr_t[start:stop] @ sub).tocoo()
        if ov.nnz > _OVERLAP_NNZ and block > 16:
            block //= 2
            continue
        j = k_all[start + ov.row]  # candidate dominated column
        k = k_all[ov.col]  # candidate dominator
        contains = (ov.data == size[j]) & (j != k)
        j, k = j[contains], k[contains]
        strict_set = size[k] > size[j]
        cj, ck = cost[j], cost[k]
        dom = (ck <= cj) & (strict_set | (ck < cj) | (k < j))
        out[j[dom]] = True
        start = stop
    return out
