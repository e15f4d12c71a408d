"""Reference answers for maximal covering on small dense 0/1 matrices, by enumeration:
what a plan covers and the best plan, for the heuristics' tests to check against."""

from __future__ import annotations

import itertools

import numpy as np


def covered(cov: np.ndarray, w: np.ndarray, mask: np.ndarray) -> float:
    """The weight of the rows of ``cov`` (demand × sites, boolean) a site of ``mask`` covers."""
    return float(w[cov[:, mask].any(axis=1)].sum())


def best_cover(cov: np.ndarray, w: np.ndarray, p: int | None = None,
               cost: np.ndarray | None = None, budget: float | None = None,
               fixed: np.ndarray | None = None, closed: np.ndarray | None = None) -> float:
    """The most weight covered with ``fixed`` open, ``closed`` shut and, besides the fixed
    sites, at most ``p`` sites costing at most ``budget`` (each limit when given)."""
    m = cov.shape[1]
    fixed = np.zeros(m, dtype=bool) if fixed is None else fixed
    closed = np.zeros(m, dtype=bool) if closed is None else closed
    free = np.flatnonzero(~fixed & ~closed)
    best = 0.0
    for r in range(free.size + 1 if p is None else min(p, free.size) + 1):
        for combo in itertools.combinations(free, r):
            if budget is not None and cost is not None and cost[list(combo)].sum() > budget:
                continue
            mask = fixed.copy()
            mask[list(combo)] = True
            best = max(best, covered(cov, w, mask))
    return best
