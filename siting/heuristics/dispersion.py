"""Farthest-first greedy and swap search for p-dispersion (maximise the least distance).

Greedy: open, ``p`` times, the allowed site farthest from every site open so
far (without open sites, the first is the site farthest from site 0). In a
metric space this is within a factor 2 of the optimum (Ravi, Rosenkrantz &
Tayi 1994, *Heuristic and special case algorithms for dispersion problems*,
Operations Research 42(2)). Swap: while one of the two sites of the closest
open pair can be replaced by a site that raises the least distance, do so.

Distances come from the sites' own metric (site × site), one column per
opened site, and for the swap from the open sites to every site
(``sites × open``, the open set being small), never a full site × site matrix.

>>> import numpy as np
>>> from siting.coverage import EuclideanMetric
>>> xy = np.array([[0.0, 0], [1, 0], [5, 0], [9, 0], [10, 0]])
>>> metric = EuclideanMetric(xy, xy)
>>> mask, value = dispersion_greedy_swap(metric, p=3)
>>> np.flatnonzero(mask).tolist(), value
([0, 2, 4], 5.0)
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from siting.coverage import Metric

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def column(metric: Metric, site: int) -> FloatArray:
    """Distances from every site to ``site``."""
    m = metric.n_demand
    return metric.pair_distance(np.arange(m, dtype=np.int64), np.full(m, site, dtype=np.int64))


def least_distance(metric: Metric, open_mask: BoolArray) -> float:
    """The least distance between two open sites (+inf with fewer than two)."""
    pos = np.flatnonzero(open_mask)
    if pos.size < 2:
        return float("inf")
    a, b = np.triu_indices(pos.size, k=1)
    return float(metric.pair_distance(pos[a], pos[b]).min())


def dispersion_greedy(
    metric: Metric, p: int, fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None,
) -> BoolArray:
    """Farthest-first greedy: ``p`` new sites besides ``fixed_open`` (see the module docstring)."""
    m = metric.n_sites
    open_mask = np.zeros(m, bool) if fixed_open is None else np.asarray(fixed_open, bool).copy()
    allowed = ~open_mask if closed is None else ~open_mask & ~np.asarray(closed, bool)
    if open_mask.any():
        _, nearest = metric.nearest_in(np.flatnonzero(open_mask))
    else:
        nearest = column(metric, 0) if m else np.zeros(0)
    nearest = np.asarray(nearest, dtype=np.float64).copy()
    for _ in range(int(p)):
        free = allowed & ~open_mask
        if not free.any():
            break
        k = int(np.flatnonzero(free)[np.argmax(nearest[free])])
        if not open_mask.any():
            nearest = np.full(m, np.inf)
        open_mask[k] = True
        nearest = np.minimum(nearest, column(metric, k))
    return open_mask


def dispersion_swap(
    metric: Metric, open_mask: BoolArray, fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None, time_limit: float | None = None,
) -> tuple[BoolArray, float]:
    """Replace a site of the closest open pair while that raises the least distance."""
    m = metric.n_sites
    open_mask = np.asarray(open_mask, bool).copy()
    fixed = np.zeros(m, bool) if fixed_open is None else np.asarray(fixed_open, bool)
    allowed = ~fixed if closed is None else ~fixed & ~np.asarray(closed, bool)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    pos = np.flatnonzero(open_mask)
    if pos.size < 2:
        return open_mask, float("inf")
    # Distances from every site to each open site (sites × open, the open set is small).
    to_open = np.column_stack([column(metric, int(j)) for j in pos])  # loop over open sites
    while deadline is None or time.perf_counter() < deadline:
        among = to_open[pos]
        np.fill_diagonal(among, np.inf)
        value = float(among.min())
        # Pairs of two fixed sites cap the value: only a pair with a movable site can rise.
        movable = np.where(fixed[pos][:, None] & fixed[pos][None, :], np.inf, among)
        if not np.isfinite(value) or float(movable.min()) > value:
            break
        a, b = np.unravel_index(int(np.argmin(movable)), movable.shape)
        improved = False
        for leave in (a, b):
            if fixed[pos[leave]]:
                continue
            rest = np.delete(np.arange(pos.size), leave)
            sub = among[np.ix_(rest, rest)]
            rest_value = float(sub.min()) if sub.size else float("inf")
            score = to_open[:, rest].min(axis=1)
            score[~allowed | open_mask] = -np.inf
            k = int(np.argmax(score))
            new_value = min(rest_value, float(score[k]))
            if new_value > value * (1 + 1e-12) + 1e-12:
                open_mask[pos[leave]] = False
                open_mask[k] = True
                pos[leave] = k
                to_open[:, leave] = column(metric, k)
                improved = True
                break
        if not improved:
            break
    return open_mask, least_distance(metric, open_mask)


def dispersion_greedy_swap(
    metric: Metric, p: int, fixed_open: BoolArray | None = None,
    closed: BoolArray | None = None, time_limit: float | None = None,
) -> tuple[BoolArray, float]:
    """Greedy, then swaps: ``(open mask, least distance between open sites)``."""
    mask = dispersion_greedy(metric, p, fixed_open, closed)
    return dispersion_swap(metric, mask, fixed_open, closed, time_limit=time_limit)
