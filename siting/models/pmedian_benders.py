"""Branch-and-Benders-cut for the p-median, on the radius formulation's projection.

Projecting the radius variables out of the distance-level formulation (see
:mod:`siting.models.pmedian_radius`) leaves, per customer ``i`` with weight
``w_i``, the closed-form cut (valid for every distance ``D``)

    θ_i ≥ w_i [ D − Σ_{j: d_ij < D} (D − d_ij) y_j ],

exact at a point ``y*`` when ``D`` is the first distance at which ``y*``
opens a whole site (the LP subproblem's optimal dual), and, at an integer
point, also when ``D`` is the distance of the second-nearest open site (the
cut then prices losing the nearest one). The master is that of
:mod:`siting.models.benders` with ``θ`` negated (it maximises): sites, one
``θ`` per customer and ``Σ y = p``. It runs after the heuristic and the
Lagrangian site fixing of the radius solver, on the sites left.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> from siting.models.median import PMedian
>>> d = pd.DataFrame({"x": [0, 1, 10, 11, 20.0], "y": [0.0] * 5})
>>> sol = PMedian(p=2, formulation="benders").solve(Instance.from_frames(d, d, weight=None))
>>> sol.objective, sol.status.value, sol.verified
(11.0, 'optimal', True)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import Result, SolveOptions, Status, relative_gap
from siting.heuristics.pmedian import assignment_of, pmedian_swap
from siting.instance import Instance
from siting.models.assign import Pairs
from siting.models.benders import solve_benders
from siting.models.benders_master import Master
from siting.models.pmedian_screen import pmedian_result, screen_pmedian
from siting.models.reach import reach_rows

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class MedianData:
    """Customers' negated service costs ``θ_i = −w_i d_i(y)`` over pairs sorted by distance.

    >>> data = MedianData.build(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0]),
    ...                         np.array([1.0, 4.0, 2.0, 5.0]), np.array([1.0, 2.0]), 2)
    >>> data.values(np.array([1.0, 0.0])).tolist(), data.values(np.array([0.5, 0.5])).tolist()
    ([-1.0, -10.0], [-2.5, -7.0])
    """

    demand: IntArray
    site: IntArray
    dist: FloatArray
    weight: FloatArray
    start: IntArray
    n_groups: int
    linear: FloatArray

    @classmethod
    def build(cls, demand: IntArray, site: IntArray, dist: FloatArray, weight: FloatArray,
              m: int) -> MedianData:
        n = weight.size
        start = np.concatenate([[0], np.cumsum(np.bincount(demand, minlength=n))])
        return cls(demand.astype(np.int64), site.astype(np.int64), dist.astype(np.float64),
                   weight.astype(np.float64), start.astype(np.int64), n, np.zeros(m))

    @property
    def theta_lower(self) -> FloatArray:
        return -self.weight * self.dist[self.start[1:] - 1]

    @property
    def theta_upper(self) -> FloatArray:
        return -self.weight * self.dist[self.start[:-1]]

    @property
    def theta_scale(self) -> FloatArray:
        return -self.theta_lower

    def cut(self, y: FloatArray, once: bool = False) -> tuple[FloatArray, sp.csr_matrix]:
        """Constants and coefficients of ``θ_i ≤ −w_i D_i + Σ_j w_i (D_i − d_ij)⁺ y_j``."""
        yv = np.asarray(y, dtype=np.float64)[self.site]
        csum = np.concatenate([[0.0], np.cumsum(yv)])
        local = csum[1:] - csum[self.start[self.demand]]  # open mass up to each pair
        below = local < (2.0 if once else 1.0) - 1e-9
        reach = np.bincount(self.demand[below], minlength=self.n_groups)
        at = np.minimum(self.start[:-1] + reach, self.start[1:] - 1)
        level = self.dist[at]
        const = -self.weight * level
        sel = below & (self.dist < level[self.demand])
        rows = self.demand[sel]
        vals = self.weight[rows] * (level[rows] - self.dist[sel])
        shape = (self.n_groups, self.linear.size)
        coef = sp.csr_matrix((vals, (rows, self.site[sel])), shape=shape)
        return const, coef

    def values(self, y: FloatArray) -> FloatArray:
        const, coef = self.cut(y)
        return np.asarray(const + coef @ np.asarray(y, dtype=np.float64))

    def total(self, y: FloatArray) -> float:
        return float(self.values(y).sum())


def solve_pmedian_benders(
    inst: Instance, pairs: Pairs, p: int, solver: str, options: SolveOptions
) -> tuple[Result, NDArray[np.bool_], dict[str, Any]]:
    """Heuristic, Lagrangian bound and site fixing, then Benders on the sites left.

    Returns the result (objective and bound of the whole problem), the open
    mask and stats, as :func:`siting.models.pmedian_radius.solve_radius` does.
    """
    t0 = time.perf_counter()
    limit = options.time_limit
    m = inst.n_sites
    screen = screen_pmedian(inst, pairs, p, options, t0, solver)
    pm, fixed, rho = screen.pm, inst.existing, screen.rho
    closed, force = screen.closed, screen.force
    best_mask, best_value = screen.best_mask, screen.best_value
    integral, delta, lag = screen.integral, screen.delta, screen.lag
    # Here the heuristic's time includes the Lagrangian bound and the fixing.
    stats = screen.stats("benders", time.perf_counter() - t0)
    lower, status, message = lag, Status.FEASIBLE, ""
    if screen.proven(options.mip_gap):
        status = Status.OPTIMAL
    else:
        keep = ~closed[pairs.site]
        data = MedianData.build(pairs.demand[keep], pairs.site[keep], pairs.distance[keep],
                                inst.weight, m)
        new = ~fixed
        y_lower = (fixed | force).astype(np.float64)
        y_upper = (~closed | fixed).astype(np.float64)
        # Customers some sites do not reach need one of theirs open (siting.models.reach).
        _, reach = reach_rows(pairs.demand[keep], pairs.site[keep], inst.n_demand, m,
                              fixed | force, closed)
        master = Master(data, y_lower, y_upper, sp.csr_matrix(new.astype(np.float64)[None, :]),
                        np.array([float(p)]), 0.0, side_lower=np.array([float(p)]),
                        reach=reach)
        start = _feasible_start(best_mask, closed, force, fixed, p, rho)
        movable_fixed = fixed | force

        def improve(y_lp: FloatArray) -> FloatArray:
            order = np.argsort(-np.where(new & ~closed & ~force, y_lp, -np.inf), kind="stable")
            mask = movable_fixed.copy()
            mask[order[: p - int(force.sum())]] = True
            mask, _ = pmedian_swap(pm, mask, movable_fixed, closed,
                                   time_limit=None if limit is None else 0.1 * limit)
            return mask.astype(np.float64)

        left = None if limit is None else max(limit - (time.perf_counter() - t0), 0.01)
        out = solve_benders(master, solver, replace(options, time_limit=left),
                            start=start.astype(np.float64), start_bound=-lag,
                            integral=integral, improve=improve)
        stats.update(out.stats)
        mask = out.y > 0.5
        _, value = assignment_of(pm, mask)
        if value < best_value - 1e-9:
            best_mask, best_value = mask, value
        # Solutions outside the restriction cost at least the incumbent the
        # fixings were computed against (less delta with fractional costs).
        outside = float(stats["heuristic_objective"]) - (0.0 if integral else delta)
        restricted = -out.bound if out.bound is not None else -math.inf
        lower = max(lag, min(outside, restricted))
        gap = relative_gap(best_value, lower, "min")
        if gap is not None and gap <= options.mip_gap:
            status = Status.OPTIMAL
        else:
            message = out.message or "stopped with a gap"
    return pmedian_result(status, solver, best_value, lower, message, t0), best_mask, stats


def _feasible_start(
    mask: NDArray[np.bool_], closed: NDArray[np.bool_], force: NDArray[np.bool_],
    fixed: NDArray[np.bool_], p: int, rho: FloatArray,
) -> NDArray[np.bool_]:
    """The incumbent made to respect the fixings: forced sites in, closed ones out, then
    the sites of least Lagrangian cost ``ρ`` until ``p`` new sites are open."""
    out = (mask & ~closed) | force | fixed
    new_open = out & ~fixed
    extra = int(new_open.sum()) - p
    if extra > 0:  # too many: drop the dearest unforced ones
        drop = np.flatnonzero(new_open & ~force)
        out[drop[np.argsort(-rho[drop], kind="stable")[:extra]]] = False
    elif extra < 0:
        cand = np.flatnonzero(~out & ~closed & ~fixed)
        out[cand[np.argsort(rho[cand], kind="stable")[:-extra]]] = True
    return out
