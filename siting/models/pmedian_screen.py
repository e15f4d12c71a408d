"""Screening for the p-median's exact solvers: an incumbent, the Lagrangian bound and
the sites it fixes, and the result they report.

:func:`screen_pmedian` runs greedy + swap, the Lagrangian bound with its
heuristic, and :func:`lagrangian_fixing`; every solution better than the
incumbent respects those fixings, so the radius model
(:mod:`siting.models.pmedian_radius`) and p-median Benders
(:mod:`siting.models.pmedian_benders`) start from the sites left.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import (
    DEFAULT_BACKEND,
    Result,
    SolveOptions,
    Status,
    relative_gap,
)
from siting.heuristics.pmedian import (
    PairsData,
    assignment_of,
    lagrangian_pmedian,
    pmedian_from_prices,
    pmedian_greedy,
    pmedian_greedy_swap,
    pmedian_swap,
)
from siting.instance import Instance
from siting.models.assign import Pairs
from siting.models.reach import cover_start

FloatArray = NDArray[np.float64]


def lagrangian_fixing(
    rho: FloatArray, bound: float, upper: float, delta: float, p: int,
    existing: NDArray[np.bool_], integral: bool = False,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Sites that every solution costing at most ``upper - delta`` must close / open.

    In the Lagrangian problem the ``p`` new sites of least ``ρ`` are chosen.
    Forcing a non-chosen site ``j`` open raises the bound to at least
    ``bound + ρ_j - ρ_[p]`` (it replaces the dearest chosen one); forcing a
    chosen one closed, to ``bound + ρ_[p+1] - ρ_j``. When that exceeds
    ``upper - delta`` no solution better than ``upper - delta`` can do it.
    ``bound`` is the Lagrangian value itself, not rounded up: with ``integral``
    costs each raised bound is rounded up on its own (rounding ``bound`` first
    and adding a fraction would close sites an optimum opens).

    >>> rho, ex = np.array([0.0, 0.3]), np.zeros(2, dtype=bool)
    >>> lagrangian_fixing(rho, 5056.4, 5058.0, 1.0, 1, ex, integral=True)[0].tolist()
    [False, False]
    >>> lagrangian_fixing(rho, 5056.8, 5058.0, 1.0, 1, ex, integral=True)[0].tolist()
    [False, True]
    """
    m = rho.size
    closed = np.zeros(m, dtype=bool)
    force = np.zeros(m, dtype=bool)
    cand = np.flatnonzero(~existing)
    if p <= 0 or cand.size <= p:
        return closed, force
    r = rho[cand]
    order = np.argsort(r, kind="stable")
    rp, rp1 = r[order[p - 1]], r[order[p]]
    chosen = np.zeros(cand.size, dtype=bool)
    chosen[order[:p]] = True
    limit = upper - delta
    raise_open, raise_close = bound + r - rp, bound + rp1 - r
    if integral:
        raise_open, raise_close = np.ceil(raise_open - 1e-6), np.ceil(raise_close - 1e-6)
    closed[cand[~chosen & (raise_open > limit)]] = True
    force[cand[chosen & (raise_close > limit)]] = True
    return closed, force


@dataclass
class Screening:
    """The heuristic incumbent, the Lagrangian bound and the site fixings they allow."""

    pm: PairsData
    best_mask: NDArray[np.bool_]
    best_value: float
    #: Seconds from the start to the incumbent.
    heuristic_s: float
    integral: bool
    #: How much a solution must beat the incumbent by to matter.
    delta: float
    lag: float
    lam: FloatArray
    rho: FloatArray
    closed: NDArray[np.bool_]
    force: NDArray[np.bool_]
    #: The greedy + swap plan's cost (``best_value`` may be the Lagrangian heuristic's).
    greedy_value: float

    def stats(self, formulation: str, heuristic_s: float) -> dict[str, Any]:
        return {
            "formulation": formulation, "heuristic_objective": self.best_value,
            "greedy_swap_objective": self.greedy_value,
            "heuristic_s": round(heuristic_s, 6), "lagrangian_bound": self.lag,
            "sites_fixed_closed": int(self.closed.sum()),
            "sites_fixed_open": int(self.force.sum()),
        }

    def proven(self, mip_gap: float) -> bool:
        """Whether the incumbent is already within ``mip_gap`` of the Lagrangian bound."""
        gap = relative_gap(self.best_value, self.lag, "min")
        return gap is not None and gap <= mip_gap


def screen_pmedian(
    inst: Instance, pairs: Pairs, p: int, options: SolveOptions, t0: float,
    solver: str = DEFAULT_BACKEND,
) -> Screening:
    """Greedy + swap (an upper bound), then the Lagrangian bound, the Lagrangian
    heuristic (:func:`~siting.heuristics.pmedian.pmedian_from_prices`) and the bound's
    site fixing.

    Every solution better than the incumbent must respect the fixings; the
    heuristic and the bound each get a tenth of the time limit. When some
    (demand, site) pairs are unreachable and the heuristic's plan leaves a point
    with no open site it reaches, an exact covering solve gives a plan that
    reaches everyone, or proves there is none (:func:`~siting.models.reach.cover_start`).
    """
    cost = inst.weight[pairs.demand] * pairs.distance
    pm = PairsData(pairs.demand, pairs.site, cost, inst.n_demand, inst.n_sites)
    fixed = inst.existing
    h_limit = None if options.time_limit is None else 0.1 * options.time_limit
    best_mask, _ = pmedian_greedy_swap(pm, p, fixed, time_limit=h_limit)
    pos, best_value = assignment_of(pm, best_mask)
    if (pos < 0).any():
        cover = cover_start(inst, pairs.demand, pairs.site, p, solver, options, "p-median")
        if cover is not None:  # the rest of the p sites by greedy, then the swaps
            added = pmedian_greedy(pm, p - int((cover & ~fixed).sum()), cover)
            best_mask, _ = pmedian_swap(pm, added, fixed, time_limit=h_limit)
            _, best_value = assignment_of(pm, best_mask)
    heuristic_s = time.perf_counter() - t0
    integral = bool(np.all(cost == np.round(cost)))
    def rounded(bound: float) -> float:
        return float(math.ceil(bound - 1e-6)) if integral else bound

    def proves(bound: float) -> bool:
        # The incumbent is then optimal: the fixings below are not needed.
        gap = relative_gap(best_value, rounded(bound), "min")
        return gap is not None and gap <= options.mip_gap

    lag_value, lam, rho = lagrangian_pmedian(pm, p, fixed, upper=best_value, time_limit=h_limit,
                                             enough=proves)
    lag = rounded(lag_value)
    greedy_value = best_value
    gap = relative_gap(best_value, lag, "min")
    if gap is None or gap > options.mip_gap:
        # The Lagrangian heuristic: the sites of least ρ, then the swaps. On
        # pmed1-40 greedy + swap stops above the optimum on 22 (up to 1.05 %),
        # this on 2 (by one unit): the bound then proves more plans by itself
        # and the fixings below (against a lower incumbent) close more sites.
        plan, _ = pmedian_from_prices(pm, p, rho, fixed, time_limit=h_limit)
        plan_pos, plan_value = assignment_of(pm, plan)
        if plan_value < best_value and (plan_pos >= 0).all():
            best_mask, best_value = plan, plan_value
    # Solutions must beat the incumbent by delta to matter: 1 for integer costs
    # (the next better value), else half the accepted gap (the bound "incumbent
    # less delta" for the sites fixed away must itself prove the incumbent).
    delta = 1.0 if integral else max(0.5 * options.mip_gap * abs(best_value), 1e-9)
    closed, force = lagrangian_fixing(rho, lag_value, best_value, delta, p, fixed, integral)
    return Screening(pm, best_mask, best_value, heuristic_s, integral, delta, lag, lam, rho,
                     closed, force, greedy_value)


def pmedian_result(
    status: Status, backend: str, objective: float, lower: float, message: str, t0: float
) -> Result:
    """The p-median solvers' result: the gap of ``objective`` to ``lower``, 0 when optimal."""
    optimal = status == Status.OPTIMAL
    return Result(
        status, backend, objective=objective, bound=lower,
        gap=0.0 if optimal else relative_gap(objective, lower, "min"),
        runtime_s=time.perf_counter() - t0, message="" if optimal else message,
    )
