"""The radius (distance-level) formulation of the p-median, solved by level refinement.

Formulation (Elloumi 2010, *A tighter formulation of the p-median problem*;
García, Labbé & Marín 2011, *Solving large p-median problems with a radius
formulation*). For customer ``i`` let ``D_i^0 < D_i^1 < … < D_i^{G_i-1}`` be
its distinct distances to the candidate sites. Variable ``z_i^r`` (for
``r = 0 … G_i-2``) is 1 when no open site lies within ``D_i^r``:

    min  Σ_i w_i [ D_i^0 + Σ_r (D_i^{r+1} - D_i^r) z_i^r ]
    s.t. z_i^0 + Σ_{j: d_ij = D_i^0} y_j ≥ 1
         z_i^r - z_i^{r-1} + Σ_{j: d_ij = D_i^r} y_j ≥ 0      (r ≥ 1, the chain form)
         Σ_j y_j = p,  y binary,  0 ≤ z ≤ 1

Telescoping the chain gives ``z_i^r ≥ 1 - Σ_{j: d_ij ≤ D_i^r} y_j``, the
covering form with the same LP bound, but with one ``y`` coefficient per
(customer, site) pair instead of one per pair and level, and one row per
*distinct* distance: sites at equal distance share a level (OR-Library
distances are integers with many ties).

Level truncation, and why it is exact. Keep for customer ``i`` only its first
``K_i`` levels (``z_i^r`` for ``r ≤ K_i - 2``). For binary ``y`` the model then
charges ``w_i · min(d_i(y), D_i^{K_i-1})`` where ``d_i(y)`` is the distance to
the nearest open site: never more than the true cost. So the truncated model
is a *relaxation* — its optimum (and any dual bound of it) is a lower bound
on the p-median optimum — and it is exact for every ``y`` that serves each
customer within its kept levels. The solve loop:

1. start with ``K_i`` covering the distance at which the greedy + swap
   heuristic serves ``i`` (so the heuristic solution is priced exactly and
   is the warm start);
2. solve the truncated model; its bound is a valid lower bound, the true cost
   of its ``y`` an upper bound;
3. if they meet, the solution is optimal; otherwise, for every customer
   served beyond its last kept level, extend ``K_i`` to that distance and go
   to 2 (finitely many levels, so this ends).

Both in step 1 and in step 3 the levels reach a margin beyond those
distances (``LEVEL_MARGIN``): a slightly larger model spares re-solves.

Two truncations hold for *every* solution, so they are applied up front:
a customer is never farther than its nearest existing (always open) site,
and never farther than the level at which ``m_new - p + 1`` of the new
candidate sites lie within reach (``p`` of ``m_new`` are open, so one of any
``m_new - p + 1`` is).

Needs every (customer, site) pair; with restricted pairs (``candidates``)
:class:`~siting.models.median.PMedian` uses the assignment formulation.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> from siting.models.median import PMedian
>>> d = pd.DataFrame({"x": [0, 1, 10, 11, 20.0], "y": [0.0] * 5})
>>> sol = PMedian(p=2, formulation="radius").solve(Instance.from_frames(d, d, weight=None))
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

from siting.backends.base import (
    Capability,
    Result,
    SolveOptions,
    Status,
    Tuning,
    get_backend,
    relative_gap,
)
from siting.heuristics.pmedian import PairsData, assignment_of
from siting.instance import Instance
from siting.milp import MilpArrays, MilpBuilder
from siting.models.assign import Pairs
from siting.models.pmedian_levels import equal_levels
from siting.models.pmedian_screen import pmedian_result, screen_pmedian
from siting.models.reach import reach_rows

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Levels are kept up to this multiple of the distance at which a customer is
#: served (by the incumbent, by the multiplier's price, or by a plan that went
#: beyond them). Kept levels only to the incumbent's distances, the truncated
#: model's optimum serves customers farther (a plan cheap only because of the
#: truncation) and each such plan costs a re-solve: pmed38 took 8 of them
#: (232 s); with levels to 1.3 × those distances it takes one (45 s), pmed36
#: 490 s → 113 s, pmed1–40 1,209 s → 370 s. Any margin gives the same optimum.
LEVEL_MARGIN = 1.3

@dataclass
class Levels:
    """Distinct distance levels of every customer, from sorted pairs."""

    pair_level: IntArray  # global level id of each pair
    level_demand: IntArray  # customer of each level
    level_dist: FloatArray  # its distance
    level_rank: IntArray  # its rank within the customer (0 = nearest)
    first_level: IntArray  # global id of each customer's level 0 (n + 1 entries)

    @property
    def count(self) -> IntArray:
        return np.diff(self.first_level)


def distance_levels(pairs: Pairs, n: int) -> Levels:
    """Group each customer's pairs by equal distance (pairs sorted by demand, distance)."""
    new = np.ones(pairs.size, dtype=bool)
    new[1:] = (pairs.demand[1:] != pairs.demand[:-1]) | (pairs.distance[1:] != pairs.distance[:-1])
    pair_level = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    level_demand = pairs.demand[starts]
    level_dist = pairs.distance[starts]
    per = np.bincount(level_demand, minlength=n)
    first = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
    rank = np.arange(starts.size) - first[level_demand]
    return Levels(pair_level.astype(np.int64), level_demand.astype(np.int64), level_dist,
                  rank.astype(np.int64), first)


def valid_level_caps(
    pairs: Pairs, levels: Levels, existing: NDArray[np.bool_], p: int, n: int,
    closed: NDArray[np.bool_] | None = None,
) -> IntArray:
    """Per customer, the number of levels any solution can need (see the module docstring).

    ``existing`` are the sites always open, ``p`` the sites still to choose among
    the others that are not ``closed``.
    """
    cap = levels.count.copy()
    lvl_rank_of_pair = levels.level_rank[levels.pair_level]
    if existing.any():
        ex = existing[pairs.site]
        r = levels.count.copy()  # no cap for a customer no existing site reaches
        np.minimum.at(r, pairs.demand[ex], lvl_rank_of_pair[ex])
        cap = np.minimum(cap, r + 1)
    free = ~existing if closed is None else ~existing & ~closed
    new_pair = free[pairs.site]
    m_new = int(free.sum())
    need = m_new - p + 1
    if p > 0 and need >= 1:
        # Cumulative count of new sites within each level, per customer.
        per_level = np.bincount(levels.pair_level[new_pair], minlength=levels.level_dist.size)
        csum = np.cumsum(per_level)
        before = np.concatenate([[0], csum])[levels.first_level[:-1]]
        within = csum - before[levels.level_demand]
        hit = within >= need
        # A customer that reaches fewer than `need` new sites (missing pairs) is not capped.
        r = levels.count.copy()
        idx = np.flatnonzero(hit)
        np.minimum.at(r, levels.level_demand[idx], levels.level_rank[idx])
        cap = np.minimum(cap, r + 1)
    return np.maximum(cap, 1)


def build_truncated(
    inst: Instance, pairs: Pairs, levels: Levels, keep: IntArray, p: int,
    closed: NDArray[np.bool_], force_open: NDArray[np.bool_],
    reach: sp.csr_matrix | None = None,
) -> tuple[MilpArrays, IntArray]:
    """The radius model keeping ``keep[i]`` levels of customer ``i``; also the level id of each z.

    ``closed`` sites are fixed at 0 (they have no pairs), ``force_open`` ones at 1.
    ``reach`` holds the rows ``Σ_{j reaches i} y_j ≥ 1`` of the customers that
    some pairs do not reach (:func:`~siting.models.reach.reach_rows`): without
    them the model would charge a customer none of whose sites is open its
    farthest level, as if that site were open. Levels of different customers
    with the same site set share one ``z`` and one row
    (:func:`~siting.models.pmedian_levels.equal_levels`); the level id returned
    for a shared ``z`` is that of its first level.
    """
    w = inst.weight
    nz_level = np.flatnonzero(levels.level_rank <= keep[levels.level_demand] - 2)
    group, first = equal_levels(pairs, levels.pair_level, levels.level_demand, nz_level)
    nz = first.size
    b = MilpBuilder()
    new = ~inst.existing
    y = b.add_block(
        "y", inst.n_sites, lower=(inst.existing | force_open).astype(float),
        upper=(~closed | inst.existing).astype(float), integer=True,
    )
    nxt = levels.level_dist[np.minimum(nz_level + 1, levels.level_dist.size - 1)]
    step = w[levels.level_demand[nz_level]] * (nxt - levels.level_dist[nz_level])
    z = b.add_block("z", nz, lower=0.0, upper=1.0,
                    cost=np.bincount(group, weights=step, minlength=nz))
    # Row of each shared z (its first level t): z_t - z_{t-1} (same customer, r >= 1)
    # + Σ_{pairs at level t} y_j >= [r == 0]; z_{t-1} may itself be shared.
    row_of_level = np.full(levels.level_dist.size, -1, dtype=np.int64)
    row_of_level[nz_level[first]] = np.arange(nz)
    t = np.arange(nz)
    has_prev = levels.level_rank[nz_level[first]] >= 1
    pair_rows = row_of_level[levels.pair_level]
    use = pair_rows >= 0
    mz = sp.csr_matrix(
        (np.concatenate([np.ones(nz), -np.ones(int(has_prev.sum()))]),
         (np.concatenate([t, t[has_prev]]), np.concatenate([t, group[first[has_prev] - 1]]))),
        shape=(nz, nz),
    )
    my = sp.csr_matrix(
        (np.ones(int(use.sum())), (pair_rows[use], pairs.site[use])), shape=(nz, inst.n_sites)
    )
    lower = np.where(has_prev, 0.0, 1.0)
    b.concat_rows([(mz, z), (my, y)], lower=lower, upper=np.inf, name="level")
    b.add_rows(sp.csr_matrix(new.astype(float)[None, :]), lower=float(p), upper=float(p),
               cols=y, name="p")
    if reach is not None and reach.shape[0]:
        b.add_rows(reach, lower=1.0, upper=np.inf, cols=y, name="reach")
    d0 = levels.level_dist[levels.first_level[:-1]]
    milp = b.build(sense="min", offset=float((w * d0).sum()))
    return milp, nz_level[first]


def _start_vector(
    milp: MilpArrays, levels: Levels, nz_level: IntArray, dist_served: FloatArray,
    open_mask: NDArray[np.bool_],
) -> FloatArray:
    x = np.zeros(milp.num_cols)
    x[milp.block("y").slice] = open_mask
    # z = 1 on the levels strictly nearer than where the customer is served.
    zb = milp.block("z")
    x[zb.slice] = levels.level_dist[nz_level] < dist_served[levels.level_demand[nz_level]] - 1e-9
    return x


def solve_radius(
    inst: Instance,
    pairs: Pairs,
    p: int,
    solver: str,
    options: SolveOptions,
) -> tuple[Result, NDArray[np.bool_], dict[str, Any]]:
    """Solve the p-median exactly; returns the result, the open mask and stats.

    Steps: greedy + swap (upper bound), Lagrangian bound with site fixing
    (:func:`~siting.models.pmedian_screen.screen_pmedian`), then the radius model
    on the remaining sites, refined level by level.
    """
    t0 = time.perf_counter()
    deadline = None if options.time_limit is None else t0 + options.time_limit
    screen = screen_pmedian(inst, pairs, p, options, t0, solver)
    stats = {**screen.stats("radius", screen.heuristic_s), "refinements": 0}
    best_mask, best_value = screen.best_mask, screen.best_value
    lower, message, backend_name = screen.lag, "", solver
    if screen.proven(options.mip_gap):
        status = Status.OPTIMAL
    else:
        status, lower, message, backend_name, best_mask, best_value = _refine(
            inst, pairs, p, solver, options, deadline, screen.pm, screen.closed, screen.force,
            best_mask, best_value, screen.lag, screen.delta, screen.integral, stats, screen.lam,
        )
    return pmedian_result(status, backend_name, best_value, lower, message, t0), best_mask, stats


def _refine(
    inst: Instance, pairs: Pairs, p: int, solver: str, options: SolveOptions,
    deadline: float | None, pm: PairsData, closed: NDArray[np.bool_],
    force: NDArray[np.bool_], best_mask: NDArray[np.bool_], best_value: float,
    lag: float, delta: float, integral: bool, stats: dict[str, Any], lam: FloatArray,
) -> tuple[Status, float, str, str, NDArray[np.bool_], float]:
    """The level-refinement loop on the sites left after fixing (see the module docstring)."""
    n = inst.n_demand
    # Solutions outside the restriction cost at least the incumbent the fixings were
    # computed against, less delta (with integer costs, that incumbent itself).
    outside = best_value - (0.0 if integral else delta)
    keep_pair = ~closed[pairs.site]
    sub = Pairs(pairs.demand[keep_pair], pairs.site[keep_pair], pairs.distance[keep_pair], True)
    levels = distance_levels(sub, n)
    caps = valid_level_caps(sub, levels, inst.existing | force, p - int(force.sum()), n,
                            closed=closed)
    # Initial levels: up to where the incumbent serves each customer, or farther
    # where the Lagrangian multiplier says the customer would pay more (any
    # choice is exact in the end; a good one saves refinements).
    ipos, _ = assignment_of(pm, best_mask)
    w = np.where(inst.weight > 0, inst.weight, 1.0)
    # A customer the incumbent leaves unserved keeps all its levels.
    served_at = np.where(ipos >= 0, pairs.distance[ipos], np.inf)
    thr = LEVEL_MARGIN * np.maximum(served_at, lam / w)
    _, reach = reach_rows(sub.demand, sub.site, n, inst.n_sites, inst.existing | force, closed)
    backend = get_backend(solver)
    warm = backend.supports(Capability.MIP_START)
    restricted_lower = -math.inf
    status = Status.FEASIBLE
    message = ""
    backend_name = solver
    incumbent_ok = bool(not (best_mask & closed).any() and best_mask[force].all()
                        and (ipos >= 0).all())
    iterations = 0
    while True:
        iterations += 1
        keep = _levels_within(levels, thr, n)
        keep = np.minimum(np.maximum(keep, 1), caps)
        milp, nz_level = build_truncated(inst, sub, levels, keep, p, closed, force, reach)
        ws = None
        if warm and incumbent_ok:
            ipos, _ = assignment_of(pm, best_mask)
            ws = _start_vector(milp, levels, nz_level, pairs.distance[ipos], best_mask)
        left = None if deadline is None else max(deadline - time.perf_counter(), 0.01)
        # Started from the incumbent, HiGHS fixes many y by reduced cost at the root
        # and restarts, repeating presolve and separation for a tree of 1-3 nodes:
        # without restarts pmed16, 17, 22 and 27 took 28-44 % less time (no change
        # on pmed36, whose solves need hundreds of nodes). The caller's options win.
        opts = replace(_proof_options(options, ws is not None), time_limit=left, warm_start=ws)
        res = backend.solve(milp, opts)
        backend_name = res.backend
        rb = res.bound if res.bound is not None and math.isfinite(res.bound) else None
        if rb is None and res.status == Status.OPTIMAL and res.objective is not None:
            rb = res.objective
        if res.status == Status.INFEASIBLE:
            rb = math.inf  # no solution better than the incumbent
        if rb is not None:
            if integral:
                rb = float(math.ceil(rb - 1e-6))
            restricted_lower = max(restricted_lower, rb)
        lower = max(lag, min(outside, restricted_lower))
        if not res.status.has_solution or res.x is None:
            if res.status != Status.INFEASIBLE:
                message = res.message or f"restricted model: {res.status.value}"
            break
        y_mask = res.x[milp.block("y").slice] > 0.5
        y_pos, y_value = assignment_of(pm, y_mask)
        if y_value < best_value - 1e-9 and (y_pos >= 0).all():
            best_mask, best_value, incumbent_ok = y_mask, y_value, True
        gap = relative_gap(best_value, lower, "min")
        if gap is not None and gap <= options.mip_gap:
            break
        # Extend the levels of customers this y serves beyond them.
        served = np.where(y_pos >= 0, pairs.distance[y_pos], np.inf)
        grow = served > thr + 1e-12
        if not grow.any() or res.status != Status.OPTIMAL:
            message = res.message or "stopped with a gap"
            break
        if deadline is not None and time.perf_counter() >= deadline:
            message = "time limit"
            break
        thr = np.maximum(thr, LEVEL_MARGIN * served)
    gap = relative_gap(best_value, lower, "min")
    if gap is not None and gap <= options.mip_gap:
        status, message = Status.OPTIMAL, ""
    # levels_kept counts the model's z (shared levels once); levels_shared, the
    # kept levels that share another customer's z.
    stats.update(refinements=iterations, levels_kept=int(nz_level.size),
                 levels_shared=int((keep - 1).sum()) - int(nz_level.size),
                 levels_total=int(levels.level_dist.size))
    return status, lower, message, backend_name, best_mask, best_value


def _proof_options(options: SolveOptions, started: bool) -> SolveOptions:
    """``options`` tuned for a proof (:attr:`~siting.backends.base.Tuning.PROOF`, no
    restarts) when the solve starts from the incumbent.

    The work left there is the proof: on pmed36 HiGHS's root LP took 10 s of
    degenerate dual simplex (2 s by interior point), sub-MIP heuristics 25 s and
    strong branching 24 s before the first node, while the root bound is within
    1 % and the tree a few hundred nodes. pmed36/38/39: 122/48/41 s → 39/14/21 s,
    pmed1–40 379 s → 177 s (benchmarks/README.md).

    >>> sorted(t.value for t in _proof_options(SolveOptions(), True).tuning)
    ['no_restart', 'proof']
    >>> _proof_options(SolveOptions(), False).tuning
    frozenset()
    """
    return options.tuned(Tuning.PROOF, Tuning.NO_RESTART) if started else options


def _levels_within(levels: Levels, thr: FloatArray, n: int) -> IntArray:
    """Per customer, how many of its levels lie within ``thr[i]`` (levels sorted per customer)."""
    inside = levels.level_dist <= thr[levels.level_demand] + 1e-12
    return np.bincount(levels.level_demand[inside], minlength=n).astype(np.int64)
