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
from collections.abc import Callable
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


#: Probing stops after this many sites in a row it could not close (they come in
#: order of their fixed-multiplier bound, so the rest would mostly fail too).
PROBE_MISSES = 3
#: Subgradient iterations of each probe (the bound's own search takes up to 400).
PROBE_ITERATIONS = 100


def probe_sites(
    pm: PairsData, p: int, existing: NDArray[np.bool_], closed: NDArray[np.bool_],
    force: NDArray[np.bool_], rho: FloatArray, exceeds: Callable[[float], bool],
    upper: float, incumbent: NDArray[np.bool_] | None = None, time_limit: float | None = None,
) -> NDArray[np.bool_]:
    """``closed`` with the sites whose Lagrangian bound, re-optimised with the site
    forced open, exceeds the limit (``exceeds(bound)``): no solution that beats it
    opens them.

    :func:`lagrangian_fixing` prices opening a site with the multipliers of the
    unconstrained bound; optimising them again with the site open gives a higher
    bound. Sites are probed from the highest fixed-multiplier bound down, each
    with the closings found so far, until :data:`PROBE_MISSES` in a row stay
    open. The ``incumbent``'s sites are not probed (it stays a valid start). On
    OR-Library pmed36 (``p`` = 10, 800 sites, 474 closed by the fixed multipliers)
    probing closes 161 more of the 326 left.

    Points on a line, ``p`` = 2, an incumbent costing 34 (the optimum, 32, opens
    the sites at 3 and 16): fixing closes one site, probing six.

    >>> x = np.array([1.0, 3, 6, 12, 13, 16, 23, 29])
    >>> dem, site = np.repeat(np.arange(8), 8), np.tile(np.arange(8), 8)
    >>> cost = np.abs(x[dem] - x[site])
    >>> order = np.lexsort((site, cost, dem))
    >>> pm = PairsData(dem[order], site[order], cost[order], 8, 8)
    >>> none = np.zeros(8, dtype=bool)
    >>> bound, _, rho = lagrangian_pmedian(pm, 2, upper=34.0)
    >>> closed, force = lagrangian_fixing(rho, bound, 34.0, 1.0, 2, none, integral=True)
    >>> closed.astype(int).tolist()
    [1, 0, 0, 0, 0, 0, 0, 0]
    >>> beats = lambda b: math.ceil(b - 1e-6) > 33
    >>> probe_sites(pm, 2, none, closed, force, rho, beats, 34.0).astype(int).tolist()
    [1, 0, 1, 1, 1, 0, 1, 1]
    """
    closed = closed.copy()
    fixed = existing | force
    left = p - int((force & ~existing).sum()) - 1
    cand = np.flatnonzero(~fixed & ~closed)
    skip = np.zeros(closed.size, dtype=bool) if incumbent is None else incumbent
    if left < 0 or cand.size <= left + 1:
        return closed
    chosen_rank = np.argsort(np.argsort(rho[cand], kind="stable"), kind="stable")
    # The sites the bound leaves closed, dearest first.
    probed = cand[(chosen_rank > left) & ~skip[cand]]
    order = probed[np.argsort(-rho[probed], kind="stable")]
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    # The bound of the problem without the closed sites' pairs (no solution that
    # matters uses them): each iteration reads fewer pairs.
    keep = ~closed[pm.site]
    pm = PairsData(pm.demand[keep], pm.site[keep], pm.cost[keep], pm.n, pm.m)
    misses = 0
    for j in order:
        if misses >= PROBE_MISSES or (deadline is not None and time.perf_counter() > deadline):
            break
        opened = fixed.copy()
        opened[j] = True
        value, _, _ = lagrangian_pmedian(pm, left, opened, closed, upper=upper,
                                         iterations=PROBE_ITERATIONS, enough=exceeds)
        if exceeds(value):
            closed[j], misses = True, 0
        else:
            misses += 1
    return closed


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
    if not proves(lag_value):
        closed = probe_sites(pm, p, fixed, closed, force, rho,
                             lambda bound: rounded(bound) > best_value - delta, best_value,
                             best_mask, h_limit)
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
