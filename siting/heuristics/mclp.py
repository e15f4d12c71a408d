"""Greedy + swap local search and a Lagrangian bound for maximal covering.

All routines work on a sparse 0/1 coverage matrix ``cov`` (rows: demand, or
merged demand groups; columns: sites) and keep, per row, how many open sites
cover it. Opening or closing a site touches only the rows of that site and the
columns of those rows, so a whole greedy run costs ``O(nnz)`` plus ``O(m)`` per
step, and one swap evaluation costs the size of the rows the leaving site
alone covers plus ``O(m)``.

Problem: maximise ``Σ_i w_i [row i covered]`` opening at most ``p`` sites
(besides ``fixed_open``) and/or spending at most ``budget``.

>>> import numpy as np, scipy.sparse as sp
>>> cov = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1]], float))
>>> w = np.array([5.0, 1, 1, 1, 4])
>>> mask, value = greedy_mclp(cov, w, p=2)
>>> np.flatnonzero(mask).tolist(), value
([0, 2], 11.0)
>>> lagrangian_bound_mclp(cov, w, p=2, lower=value) >= value
True
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.heuristics.common import Deadline, StepScale, allowed_sites, fixed_mask
from siting.heuristics.cover_state import CoverState, expand_rows
from siting.heuristics.pair_swap import pair_pass_mclp
from siting.heuristics.structure import CoverStructure
from siting.milp import weighted_sum

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_EPS = 1e-9
#: Pair moves evaluated at most by one :func:`exchange_mclp` (over all its passes).
PAIR_EFFORT = 500

__all__ = [
    "CoverState",
    "exchange_mclp",
    "expand_rows",
    "greedy_mclp",
    "lagrangian_bound_mclp",
    "rounding_mclp",
    "solve_mclp",
    "swap_mclp",
]


def _cost_vector(m: int, cost: FloatArray | None) -> FloatArray:
    """Site costs as floats (all zero without costs)."""
    return np.zeros(m) if cost is None else np.asarray(cost, dtype=np.float64)


def greedy_mclp(
    cov: sp.csr_matrix,
    weight: FloatArray,
    p: int | None = None,
    cost: FloatArray | None = None,
    budget: float | None = None,
    fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None,
) -> tuple[BoolArray, float]:
    """Greedy: open the site of largest gain (per unit cost under a budget) until full.

    Returns the open mask (``fixed_open`` included) and the covered weight.
    """
    m = cov.shape[1]
    start = fixed_mask(m, fixed_open)
    state = CoverState(cov, weight, start)
    allowed = allowed_sites(m, fixed_open, closed)
    c = _cost_vector(m, cost)
    spent = 0.0
    used = 0
    while p is None or used < p:
        cand = allowed & ~state.open
        if budget is not None:
            cand &= c <= budget - spent + 1e-9 * max(1.0, abs(budget))
        if not cand.any():
            break
        g = np.where(cand, state.gain, -np.inf)
        if budget is not None:
            # Gain per unit cost; free sites first (any positive gain).
            score = np.where(c > 0, g / np.where(c > 0, c, 1.0), np.where(g > _EPS, np.inf, g))
            score = np.where(cand, score, -np.inf)
        else:
            score = g
        j = int(np.argmax(score))
        if state.gain[j] <= _EPS:
            break
        state.add(j)
        spent += c[j]
        used += 1
    if budget is not None:
        # The best single affordable site can beat a ratio-greedy run (the classic fix).
        cand = allowed & (c <= budget + 1e-9 * max(1.0, abs(budget)))
        if (p is None or p >= 1) and cand.any():
            base = CoverState(cov, weight, start)
            g = np.where(cand, base.gain, -np.inf)
            j = int(np.argmax(g))
            if base.value + g[j] > state.value + _EPS:
                base.add(j)
                state = base
    return state.open.copy(), state.value


def swap_mclp(
    cov: sp.csr_matrix,
    weight: FloatArray,
    open_mask: BoolArray,
    p: int | None = None,
    cost: FloatArray | None = None,
    budget: float | None = None,
    fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None,
    time_limit: float | None = None,
) -> tuple[BoolArray, float]:
    """1-opt exchange from ``open_mask``: close one site, open another, while it pays.

    Also opens sites while ``p`` / the budget leave room. Each pass tries every
    open site once (first improvement, best partner). Stops at a local optimum
    or at ``time_limit`` seconds.
    """
    m = cov.shape[1]
    state = CoverState(cov, weight, open_mask)
    allowed = allowed_sites(m, fixed_open, closed)
    c = _cost_vector(m, cost)
    tol_b = 1e-9 * max(1.0, abs(budget)) if budget is not None else 0.0
    deadline = Deadline(time_limit)
    tol = 1e-9 * max(1.0, float(np.abs(state.w).sum()))

    def fill() -> None:
        while True:
            used = int((state.open & allowed).sum())
            if p is not None and used >= p:
                return
            cand = allowed & ~state.open
            if budget is not None:
                spent = float(c[state.open & allowed].sum())
                cand &= c <= budget - spent + tol_b
            g = np.where(cand, state.gain, -np.inf)
            if not cand.any():
                return
            j = int(np.argmax(g))
            if g[j] <= tol:
                return
            state.add(j)

    fill()
    improved = True
    while improved:
        improved = False
        for j in np.flatnonzero(state.open & allowed):
            if deadline.passed():
                return state.open.copy(), state.value
            if not state.open[j]:
                continue
            loss, g = state.swap_gains(int(j))
            cand = allowed & ~state.open
            if budget is not None:
                spent = float(c[state.open & allowed].sum())
                cand &= c <= budget - spent + c[j] + tol_b
            if not cand.any():
                continue
            delta = np.where(cand, g, -np.inf) - loss
            k = int(np.argmax(delta))
            if delta[k] > tol:
                state.remove(int(j))
                state.add(k)
                improved = True
        if improved:
            fill()
    return state.open.copy(), state.value


def exchange_mclp(
    cov: sp.csr_matrix,
    weight: FloatArray,
    open_mask: BoolArray,
    p: int | None = None,
    cost: FloatArray | None = None,
    budget: float | None = None,
    fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None,
    time_limit: float | None = None,
) -> tuple[BoolArray, float]:
    """Single swaps, then passes of pair moves (:mod:`siting.heuristics.pair_swap`) each
    followed by single swaps, until a pass gains nothing or ``time_limit`` is up.

    Arguments and result as :func:`swap_mclp`; never a plan worse than the start.
    """
    deadline = Deadline(time_limit)
    tol = 1e-9 * max(1.0, float(np.abs(np.asarray(weight, dtype=np.float64)).sum()))
    args = (p, cost, budget, fixed_open, closed)
    mask, value = swap_mclp(cov, weight, open_mask, *args, time_limit=time_limit)
    effort = PAIR_EFFORT
    while not deadline.passed() and effort > 0:
        moved, after, tried = pair_pass_mclp(cov, weight, mask, *args,
                                             time_limit=deadline.left(), most=effort)
        effort -= tried
        if after <= value + tol:
            break
        mask, value = swap_mclp(cov, weight, moved, *args, time_limit=deadline.left())
    return mask, value


def rounding_mclp(
    s: CoverStructure, y_lp: FloatArray, time_limit: float | None = None
) -> tuple[BoolArray, float]:
    """Round an LP point of ``s``'s arrays, then swap: open sites in decreasing ``y_lp``
    while they fit.

    A start from the relaxation's support, which greedy misses when demand is
    clustered (greedy's first picks crowd one cluster).

    >>> cov = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], float))
    >>> s = CoverStructure.of(cov, np.array([5.0, 1, 1, 4]), p=2)
    >>> mask, value = rounding_mclp(s, np.array([0.9, 0.1, 0.8]))
    >>> np.flatnonzero(mask).tolist(), value
    ([0, 2], 11.0)
    """
    m = s.n_sites
    allowed = allowed_sites(m, s.fixed_open, s.closed)
    mask = fixed_mask(m, s.fixed_open)
    c = _cost_vector(m, s.cost)
    order = np.argsort(-np.asarray(y_lp, dtype=np.float64), kind="stable")
    order = order[allowed[order] & (np.asarray(y_lp)[order] > 1e-9)]
    take = np.ones(order.size, dtype=bool)
    if s.budget is not None:
        take &= np.cumsum(c[order]) <= s.budget * (1 + 1e-12) + 1e-9
    if s.p is not None:
        take &= np.cumsum(take) <= s.p
    mask[order[take]] = True
    return swap_mclp(s.cov, s.weight, mask, s.p, s.cost, s.budget, s.fixed_open, s.closed,
                     time_limit)


def _knapsack_lp(values: FloatArray, cost: FloatArray, budget: float) -> float:
    """LP optimum of ``max v·y, cost·y <= budget, 0 <= y <= 1`` (fractional greedy).

    >>> _knapsack_lp(np.array([4.0, 3.0, 1.0]), np.array([2.0, 2.0, 1.0]), 3.0)
    5.5
    """
    y = _knapsack_pick(values, cost, budget, np.ones(values.size, dtype=bool))
    return weighted_sum(values, y)


def lagrangian_bound_mclp(
    cov: sp.csr_matrix,
    weight: FloatArray,
    p: int | None = None,
    cost: FloatArray | None = None,
    budget: float | None = None,
    fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None,
    lower: float | None = None,
    iterations: int = 300,
    time_limit: float | None = None,
) -> float:
    """Upper bound on the covered weight: Lagrangian relaxation of ``z_i <= Σ_j a_ij y_j``.

    With multipliers ``0 <= u_i <= w_i`` the relaxation splits into
    ``Σ_i (w_i - u_i)`` plus the best choice of sites for the values
    ``c_j = Σ_i a_ij u_i``: the ``p`` largest (with ``p``), a fractional knapsack
    (with a budget; its LP value is still an upper bound), the smaller of the two
    when both apply. Multipliers follow subgradient steps (Polyak's rule towards
    ``lower``, the best known value). Every iterate is a valid bound; the best
    is returned.
    """
    csr = sp.csr_matrix(cov)
    csc_t = csr.T.tocsr()
    w = np.asarray(weight, dtype=np.float64)
    m = csr.shape[1]
    allowed = allowed_sites(m, fixed_open, closed)
    fixed = fixed_mask(m, fixed_open)
    c = _cost_vector(m, cost)
    if w.size == 0:
        return 0.0
    # Start from u = w on rows with few covering sites, less where many sites compete.
    deg = np.maximum(np.diff(csr.indptr), 1)
    u = w / np.sqrt(deg)
    scale = StepScale(theta=1.0, patience=20, sense="min")
    target = lower if lower is not None else None
    deadline = Deadline(time_limit)
    for _ in range(iterations):
        vals = csc_t @ u
        fixed_val = float(vals[fixed].sum())
        v = np.where(allowed, vals, 0.0)
        bounds = []
        pick_p = None
        if p is not None:
            k = min(int(p), int(allowed.sum()))
            if k > 0:
                top = np.argpartition(-v, k - 1)[:k]
                pick_p = top
                bounds.append(float(v[top].sum()))
            else:
                pick_p = np.zeros(0, np.int64)
                bounds.append(0.0)
        if budget is not None:
            bounds.append(_knapsack_lp(v, c, float(budget)))
        if not bounds:  # no limit: open everything allowed
            bounds.append(float(v[v > 0].sum()))
        value = float((w - u).sum()) + fixed_val + min(bounds)
        scale.record(value)
        if scale.exhausted or deadline.passed():
            break
        best = scale.best
        # A subgradient: coverage by the chosen sites minus z (z_i = 1 where u_i < w_i).
        y = fixed.astype(np.float64)
        if pick_p is not None and (budget is None or bounds[0] <= bounds[-1]):
            y[pick_p[v[pick_p] > 0]] = 1.0
        else:
            y = y + _knapsack_pick(v, c, float(budget) if budget is not None else np.inf, allowed)
        z = (u < w - 1e-12).astype(np.float64)
        s = csr @ y - z
        # Projected step: coordinates at a bound whose step leaves [0, w] are zero.
        s = np.where(((u <= 0) & (s > 0)) | ((u >= w) & (s < 0)), 0.0, s)
        norm = float(s @ s)
        if norm <= 1e-12:
            break
        gap_target = target if target is not None else 0.95 * best
        step = scale.theta * max(best - gap_target, 1e-9 * max(1.0, abs(best))) / norm
        u = np.clip(u - step * s, 0.0, w)
    return scale.best


def _knapsack_pick(
    values: FloatArray, cost: FloatArray, budget: float, allowed: BoolArray
) -> FloatArray:
    """The fractional knapsack solution vector matching :func:`_knapsack_lp`."""
    y = np.zeros(values.size)
    pos = np.flatnonzero(allowed & (values > 0))
    if pos.size == 0:
        return y
    c = cost[pos]
    free = c <= 0
    y[pos[free]] = 1.0
    rest = pos[~free]
    order = rest[np.argsort(-values[rest] / cost[rest], kind="stable")]
    cum = np.cumsum(cost[order])
    full = cum <= budget
    y[order[full]] = 1.0
    k = int(full.sum())
    if k < order.size:
        left = budget - (cum[k - 1] if k else 0.0)
        y[order[k]] = max(left, 0.0) / cost[order[k]]
    return y


def solve_mclp(
    cov: sp.csr_matrix,
    weight: FloatArray,
    p: int | None = None,
    cost: FloatArray | None = None,
    budget: float | None = None,
    fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None,
    time_limit: float | None = None,
    bound: bool = True,
) -> tuple[BoolArray, float, float | None]:
    """Greedy, then single swaps, then (optionally) the Lagrangian bound and, while the
    bound leaves a gap, pair moves (:func:`exchange_mclp`): ``(open, value, bound)``.

    Without a bound there are no pair moves: a caller that skips the bound has a
    relaxation of its own to improve the plan from (the Benders root).
    """
    t0 = time.perf_counter()

    def left(share: float) -> float | None:
        return None if time_limit is None else share * max(time_limit - elapsed(), 0.0)

    def elapsed() -> float:
        return time.perf_counter() - t0

    args = (p, cost, budget, fixed_open, closed)
    mask, value = greedy_mclp(cov, weight, *args)
    mask, value = swap_mclp(cov, weight, mask, *args, time_limit=left(0.5))
    if not bound:
        return mask, value, None
    ub = lagrangian_bound_mclp(cov, weight, *args, lower=value,
                               time_limit=None if time_limit is None else max(left(0.5) or 0, 0.1))
    ub = min(ub, float(np.asarray(weight).sum()))
    # Integer weights: a plan within 1 of the bound is optimal.
    w = np.asarray(weight, dtype=np.float64)
    proven = 1.0 - 1e-6 if np.all(w == np.round(w)) else 1e-9 * max(1.0, abs(ub))
    if ub - value >= proven:
        mask, value = exchange_mclp(cov, weight, mask, *args, time_limit=left(1.0))
    return mask, value, ub
