"""Pair exchanges for maximal covering: close two open sites, open the best one or two.

A plan at which no single swap pays (:func:`~siting.heuristics.mclp.swap_mclp`)
can still be far from the optimum when demand is clustered: greedy puts two
sites in one cluster that a better plan places as a pair elsewhere, and moving
either alone loses more than it gains. The pair move closes two open sites
``j1, j2`` and opens the best pair ``k1, k2`` for the rows left uncovered, which
single swaps cannot reach.

For a pair to close, the rows only ``j1`` and ``j2`` cover are lost; the
sites' gains are then known (the state's gains plus the lost rows), and the
best pair to open is found among the ``WIDTH`` sites of largest gain, from
their gains less the weight of the uncovered rows both cover (one sparse
product of ``WIDTH`` columns). Pairs to close are tried in increasing order of
what closing them alone costs, at most ``MOST_PAIRS`` a pass, and each
improving move is made at once; the search alternates passes of single swaps
and of pair moves until neither pays, or the time is up
(:func:`~siting.heuristics.mclp.exchange_mclp`). Every move is evaluated
exactly, so the value returned is the plan's covered weight and never below
the start's.

>>> import numpy as np, scipy.sparse as sp

Sites ``x, y`` (columns 2, 3) each cover half of clusters A and B; ``a, b``
(columns 0, 1) cover one cluster each and a row of weight 1 besides. From
``{x, y}`` every single swap loses (16 < 20); the pair move reaches ``{a, b}``:

>>> cov = sp.csr_matrix(np.array([[1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1],
...                               [1, 1, 0, 0]], float))
>>> w = np.array([5.0, 5, 5, 5, 1])
>>> mask, value, tried = pair_pass_mclp(cov, w, np.array([False, False, True, True]), p=2)
>>> np.flatnonzero(mask).tolist(), value, tried
([0, 1], 21.0, 1)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.coverage.base import segment_offsets
from siting.heuristics.common import Deadline, allowed_sites
from siting.heuristics.cover_state import CoverState

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Sites of largest gain among which the pair to open is chosen.
WIDTH = 32
#: Sites of largest gain whose best partner is sought among all sites.
PARTNERS = 2
#: Pairs to close tried in one pass at most (the cheapest to close first).
MOST_PAIRS = 2_000


def _pairs_by_loss(state: CoverState, opened: IntArray) -> tuple[IntArray, IntArray]:
    """The pairs of ``opened`` in increasing order of their two single-close losses."""
    alone = state.w * (state.count == 1)
    loss = np.asarray(state.csc[:, opened].T @ alone).ravel()
    a, b = np.triu_indices(opened.size, k=1)
    order = np.argsort(loss[a] + loss[b], kind="stable")[:MOST_PAIRS]
    return opened[a[order]], opened[b[order]]


#: Pair bounds are computed in blocks of at most this many (site, pair) entries.
BOUND_BLOCK = 2_000_000


def pair_bounds(state: CoverState, first: IntArray, second: IntArray,
                allowed: BoolArray) -> FloatArray:
    """Per pair of open sites ``(first[i], second[i])``, an upper bound on what any move
    closing both and opening one or two ``allowed`` sites gains.

    Closing ``j1, j2`` loses the rows only ``j1`` covers, those only ``j2``
    covers and those only both cover. Two sites opened then cover at most their
    gains now, plus what they cover of the first two kinds, plus at most all of
    the third, which the loss counts in full: the move gains at most the two
    largest of (gain now + lone rows of ``j1`` and of ``j2`` covered) less the
    weight of those lone rows. A move that reopens one of the two is a single
    swap of the other, bounded by the best one; reopening both gains 0. Pairs
    with a bound of 0 are skipped by :func:`pair_pass_mclp`: no move of theirs pays.

    >>> import numpy as np, scipy.sparse as sp
    >>> cov = sp.csr_matrix(np.array([[1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1],
    ...                               [1, 1, 0, 0]], float))
    >>> state = CoverState(cov, np.array([5.0, 5, 5, 5, 1]), np.array([False, False, True, True]))
    >>> pair_bounds(state, np.array([2]), np.array([3]), np.ones(4, bool)).tolist()
    [2.0]

    (Closing ``x, y`` loses 20; ``a`` and ``b`` would each regain 11, together 21.)
    """
    sites, where = np.unique(np.concatenate([first, second]), return_inverse=True)
    a, b = where[: first.size], where[first.size:]
    alone = sp.csc_matrix(state.csc[:, sites].multiply((state.w * (state.count == 1))[:, None]))
    lost_alone = np.asarray(alone.sum(axis=0)).ravel()
    cand = np.flatnonzero(allowed & ~state.open)
    out = np.full(first.size, np.inf)
    if cand.size == 0:
        return out
    # what each candidate covers of each open site's lone rows (sparse: only neighbours)
    reach = sp.csr_matrix(state.csc[:, cand].T @ alone)
    gain = state.gain[cand]
    # Reopening one of the two is a single swap of the other: its exact best.
    near = reach.tocoo()
    swap = np.full(sites.size, gain.max())
    np.maximum.at(swap, near.col, gain[near.row] + near.data)
    swap -= lost_alone
    step = max(1, BOUND_BLOCK // cand.size)
    for lo in range(0, first.size, step):
        sl = slice(lo, lo + step)
        g = gain[:, None] + (reach[:, a[sl]] + reach[:, b[sl]]).toarray()
        top = -np.partition(-g, 1, axis=0)[:2] if cand.size > 1 else np.vstack([g, 0 * g])
        out[sl] = top[0] + np.maximum(top[1], 0.0) - lost_alone[a[sl]] - lost_alone[b[sl]]
    return np.maximum(np.maximum(out, np.maximum(swap[a], swap[b])), 0.0)  # 0: the null move


def _shared_uncovered(state: CoverState, top: IntArray, lost: IntArray) -> FloatArray:
    """Per pair of ``top`` sites, the weight of rows both cover that are uncovered once
    the ``lost`` rows (sorted) lose their cover: a dense ``top × top`` matrix."""
    ptr = state.csc.indptr
    starts = ptr[top].astype(np.int64)
    lens = ptr[top + 1].astype(np.int64) - starts
    col = np.repeat(np.arange(top.size), lens)
    row = state.csc.indices[starts[col] + segment_offsets(lens)].astype(np.int64)
    at = np.minimum(np.searchsorted(lost, row), max(lost.size - 1, 0))
    open_row = (state.count[row] == 0) | ((lost.size > 0) & (lost[at] == row))
    col, row = col[open_row], row[open_row]
    rows, inv = np.unique(row, return_inverse=True)
    hit = np.zeros((top.size, rows.size))
    hit[col, inv] = 1.0
    return np.asarray((hit * state.w[rows]) @ hit.T)


def _best_pair_move(
    state: CoverState, j1: int, j2: int, allowed: BoolArray, cost: FloatArray,
    room: float | None, tol: float,
) -> tuple[float, list[int]]:
    """Gain of closing ``j1, j2`` and opening the best one or two sites, and those sites.

    ``room`` is what the budget leaves once ``j1, j2`` are closed (None: no budget).
    """
    r1, r2 = state.rows_of(j1), state.rows_of(j2)
    rows, hits = np.unique(np.concatenate([r1, r2]), return_counts=True)
    lost = rows[state.count[rows] == hits]
    loss = float(state.w[lost].sum())
    gain = state.gain + state.weight_by_site(lost)
    cand = allowed & ~state.open
    cand[[j1, j2]] = allowed[[j1, j2]]
    if room is not None:
        cand &= cost <= room
    k = min(WIDTH, int(cand.sum()))
    if k == 0:
        return -loss, []
    g = np.where(cand, gain, -np.inf)
    top = np.argpartition(-g, k - 1)[:k]
    top = top[np.lexsort((top, -g[top]))]  # by gain, ties by index: the same on every run
    # A site whose gain with the best partner's cannot repay the loss is in no improving pair.
    top = top[g[top] + g[top[0]] > loss + tol]
    if top.size == 0:
        return -loss, []
    both = _shared_uncovered(state, top, lost)
    value = g[top][:, None] + g[top][None, :] - both
    np.fill_diagonal(value, g[top])  # one site only (a budget may not fit two)
    if room is not None:
        value[cost[top][:, None] + cost[top][None, :] > room] = -np.inf
        np.fill_diagonal(value, g[top])
    a, b = np.unravel_index(int(np.argmax(value)), value.shape)
    best, enter = float(value[a, b]), {int(top[a]), int(top[b])}
    # Where many candidates are alike (every node a site), the widest gains crowd one
    # spot: the best partner of each of the first PARTNERS is sought among all sites.
    uncovered = state.count == 0
    uncovered[lost] = True
    for k1 in top[:PARTNERS].tolist():
        rows = state.rows_of(k1)
        g2 = g - state.weight_by_site(rows[uncovered[rows]])
        g2[k1] = -np.inf
        if room is not None:
            g2[cost + cost[k1] > room] = -np.inf
        k2 = int(np.argmax(g2))
        if g[k1] + g2[k2] > best:
            best, enter = float(g[k1] + g2[k2]), {k1, k2}
    return best - loss, sorted(enter)


def pair_pass_mclp(
    cov: sp.csr_matrix,
    weight: FloatArray,
    open_mask: BoolArray,
    p: int | None = None,
    cost: FloatArray | None = None,
    budget: float | None = None,
    fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None,
    time_limit: float | None = None,
    most: int = MOST_PAIRS,
) -> tuple[BoolArray, float, int]:
    """One pass of pair moves from ``open_mask`` (a feasible plan): the plan and its value.

    Every pair of open sites is tried once (at most ``MOST_PAIRS``, the
    cheapest to close first), and each improving move is made at once. The
    value is the returned plan's covered weight, never below the start's.
    """
    deadline = Deadline(time_limit)
    m = cov.shape[1]
    allowed = allowed_sites(m, fixed_open, closed)
    c = np.zeros(m) if cost is None else np.asarray(cost, dtype=np.float64)
    tol_b = 1e-9 * max(1.0, abs(budget)) if budget is not None else 0.0
    state = CoverState(cov, weight, open_mask)
    tol = 1e-9 * max(1.0, float(np.abs(state.w).sum()))
    first, second = _pairs_by_loss(state, np.flatnonzero(state.open & allowed))
    # Pairs whose bound says no move of theirs pays are skipped; a move changes the
    # state, so the bounds of the pairs left are computed again after each.
    bound = pair_bounds(state, first, second, allowed)
    tried = 0
    for i, (j1, j2) in enumerate(zip(first.tolist(), second.tolist(), strict=True)):
        if deadline.passed() or tried >= most:
            break
        if not (state.open[j1] and state.open[j2]):
            continue  # a move of this pass closed one of them
        if bound[i] <= tol:
            continue
        tried += 1
        room = None
        if budget is not None:
            room = budget - float(c[state.open & allowed].sum()) + c[j1] + c[j2] + tol_b
        delta, enter = _best_pair_move(state, j1, j2, allowed, c, room, tol)
        if delta > tol:
            state.remove(j1)
            state.remove(j2)
            for k in enter:
                state.add(k)
            rest = slice(i + 1, first.size)
            bound[rest] = pair_bounds(state, first[rest], second[rest], allowed)
    return state.open.copy(), state.value, tried
