"""Verifiers of the catalogue models: dispersion, capacitated, weighted center, attendance, market.

Each recomputes what the solution claims from the instance by a route of its
own (:meth:`~siting.coverage.Metric.nearest_in`, pair distances one open site
or one competitor at a time), never from the solver's arrays, and is
registered under its models' names (:func:`siting.verify.verifies`); the model
is read for its parameters only (no model class is imported). Like the
classic verifiers, each is built by :func:`~siting.verify.classic.from_checks`:
the open sites are checked first, the claimed objective is judged last.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.errors import ParameterError
from siting.instance import Instance
from siting.models.competitors import competitor_metric, read_competitors, site_attractiveness
from siting.models.decay import Decay
from siting.solution import Solution
from siting.verify import is_a, verifies
from siting.verify.classic import (
    assignment_positions,
    check_p,
    from_checks,
    new_sites,
    served_by_closed,
)
from siting.verify.report import REL_TOL, VerifyReport

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
#: Absolute slack (in weight units) on capacities and shares.
SLACK = 1e-6


def decay_of(model: Any) -> Decay:
    """The distance decay the model's parameters say (``decay``, ``beta``, ``cutoff``,
    ``scale``)."""
    return Decay(model.decay, float(model.beta), model.cutoff, float(model.scale))


@verifies("p-dispersion")
@from_checks
def verify_dispersion(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                      rep: VerifyReport) -> None:
    """Exactly ``p`` new sites; the objective is the least distance between open sites."""
    check_p(new_sites(inst, pos), sol.params.get("p"), rep, exact=True)
    if pos.size < 2:
        rep.fail("fewer than two open sites: no distance between them")
        return
    sites = inst.metric.site_to_site()
    if sites is None:
        raise ParameterError(f"{inst.name} gives no distances between sites; p-dispersion "
                             "needs them", path=inst.source, field="model", value=model.name)
    a, b = np.triu_indices(pos.size, k=1)
    rep.objective = float(sites.pair_distance(pos[a], pos[b]).min())


def _first(inst: Instance, rows: NDArray[np.bool_]) -> str:
    return repr(inst.demand_ids[np.flatnonzero(rows)[0]])


@verifies("cp-median", "clscp", "cmclp")
@from_checks
def verify_capacitated(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                       rep: VerifyReport) -> None:
    """Shares served, reach, open sites, capacities, fulfilment, single source, objective."""
    new = new_sites(inst, pos)
    median, partial = is_a(model, "cp-median"), is_a(model, "cmclp")
    if median:
        check_p(new, sol.params.get("p"), rep, exact=True)
    elif partial:
        check_p(new, sol.params.get("p"), rep)
    found = assignment_positions(inst, sol.assignment, rep)
    if found is None:
        return
    d_pos, s_pos, frac = found
    used = frac > 1e-9
    total = np.bincount(d_pos, weights=frac, minlength=inst.n_demand)
    serve_all = not partial
    short = np.abs(total - 1.0) > 1e-6 if serve_all else total > 1 + 1e-6
    if short.any():
        rep.fail(f"demand {_first(inst, short)} is served {total[short][0]:.6g} of its "
                 f"weight, {'not 1' if serve_all else 'more than 1'}")
    served_by_closed(inst, pos, d_pos, s_pos, rep, used=used)
    dist = inst.metric.pair_distance(d_pos, s_pos)
    radius = sol.params.get("radius")
    if radius is not None and inst.metric.has_distances:
        far = used & ~(dist <= float(radius) * (1 + 1e-12))
        if far.any():
            k = int(np.flatnonzero(far)[0])
            rep.fail(f"demand {inst.demand_ids[d_pos[k]]!r} is served by site "
                     f"{inst.site_ids[s_pos[k]]!r} beyond radius {float(radius):g}")
    elif radius is not None and not np.isfinite(dist[used]).all():
        rep.fail("a demand point is served by a site that does not cover it")
    load = np.bincount(s_pos, weights=inst.weight[d_pos] * frac, minlength=inst.n_sites)
    over = load > inst.capacity * (1 + REL_TOL) + SLACK
    if over.any():
        j = int(np.flatnonzero(over)[0])
        rep.fail(f"site {inst.site_ids[j]!r} serves {load[j]:g} above its capacity "
                 f"{inst.capacity[j]:g}")
    if sol.params.get("fulfil_existing"):
        unfilled = inst.existing & (np.abs(load - inst.capacity) > REL_TOL * inst.capacity
                                    + SLACK)
        if unfilled.any():
            j = int(np.flatnonzero(unfilled)[0])
            rep.fail(f"existing site {inst.site_ids[j]!r} serves {load[j]:g}, not its "
                     f"capacity {inst.capacity[j]:g}")
    if sol.params.get("single_source"):
        split = np.bincount(d_pos[used], minlength=inst.n_demand) > 1
        partial = used & (np.abs(frac - 1.0) > 1e-6)
        if split.any() or partial.any():
            rep.fail("single source: a demand point is split between sites")
    if median:
        unit = inst.weight[d_pos] * dist if inst.cost_scales_with_weight else dist
        if not np.isfinite(unit[used]).all():
            rep.fail("a demand point is assigned to a site it cannot reach")
            return
        rep.objective = float((unit[used] * frac[used]).sum())
    elif is_a(model, "clscp"):
        rep.objective = (float(inst.site_cost[new].sum()) if sol.params.get("weighted_cost")
                         else float(new.size))
    else:
        rep.objective = float((inst.weight[d_pos] * frac).sum())


@verifies("weighted-p-center")
@from_checks
def verify_weighted_center(inst: Instance, model: Any, sol: Solution,
                           pos: IntArray, rep: VerifyReport) -> None:
    """At most ``p`` new sites; the largest weight × distance to the nearest open site."""
    check_p(new_sites(inst, pos), sol.params.get("p"), rep)
    _, dist = inst.metric.nearest_in(pos)
    value = np.where(inst.weight > 0, inst.weight * dist, 0.0)
    rep.objective = float(value.max()) if value.size else 0.0


@verifies("attendance")
@from_checks
def verify_attendance(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                      rep: VerifyReport) -> None:
    """At most ``p`` new sites; the weight drawn by each point's nearest open site."""
    check_p(new_sites(inst, pos), sol.params.get("p"), rep)
    _, dist = inst.metric.nearest_in(pos)
    drawn = inst.weight * decay_of(model).value(dist)
    if sol.assignment is not None and len(sol.assignment):
        found = assignment_positions(inst, sol.assignment, rep)
        if found is not None:
            d_pos, s_pos, _ = found
            served_by_closed(inst, pos, d_pos, s_pos, rep, verb="attends")
            if "attendance" in sol.assignment.columns:
                claimed = sol.assignment["attendance"].to_numpy(dtype=np.float64)
                over = claimed > drawn[d_pos] * (1 + REL_TOL) + SLACK
                if over.any():
                    k = int(np.flatnonzero(over)[0])
                    rep.fail(f"demand {inst.demand_ids[d_pos[k]]!r}: attendance "
                             f"{claimed[k]:.6g} claimed, {drawn[d_pos[k]]:.6g} recomputed")
    rep.objective = float(drawn.sum())


def huff_shares(inst: Instance, model: Any, pos: IntArray) -> tuple[FloatArray, FloatArray]:
    """Per point: the share the open sites capture, the open sites' pull and the rivals'.

    Recomputed one open site and one competitor at a time from pair distances, the
    competitors read again from the model's ``competitors``.
    """
    decay = decay_of(model)
    attr = site_attractiveness(inst, model.attractiveness)
    demand = np.arange(inst.n_demand, dtype=np.int64)
    own = np.zeros(inst.n_demand)
    for j in pos:  # a loop over open sites
        dist = inst.metric.pair_distance(demand, np.full(inst.n_demand, j, dtype=np.int64))
        own += attr[j] * decay.value(dist)
    xy, rival_attr = read_competitors(model.competitors)
    rivals = competitor_metric(inst, xy)
    rival = np.zeros(inst.n_demand)
    for k in range(xy.shape[0]):  # a loop over competitors
        dist = rivals.pair_distance(demand, np.full(inst.n_demand, k, dtype=np.int64))
        rival += rival_attr[k] * decay.value(dist)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(rival > 0, own / (own + rival), (own > 0).astype(np.float64))
    return np.nan_to_num(share), own


def _check_claimed_shares(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                          share: FloatArray, own: FloatArray, rep: VerifyReport) -> None:
    """A claimed share per (point, site) may not exceed the site's recomputed Huff share."""
    if sol.assignment is None or not len(sol.assignment):
        return
    found = assignment_positions(inst, sol.assignment, rep)
    if found is None:
        return
    d_pos, s_pos, frac = found
    if served_by_closed(inst, pos, d_pos, s_pos, rep):
        return
    attr = site_attractiveness(inst, model.attractiveness)
    pull = attr[s_pos] * decay_of(model).value(inst.metric.pair_distance(d_pos, s_pos))
    with np.errstate(divide="ignore", invalid="ignore"):
        site_share = np.nan_to_num(share[d_pos] * pull / own[d_pos])
    over = frac > site_share * (1 + REL_TOL) + 1e-6
    if over.any():
        k = int(np.flatnonzero(over)[0])
        rep.fail(f"demand {inst.demand_ids[d_pos[k]]!r}: share {frac[k]:.6g} claimed for site "
                 f"{inst.site_ids[s_pos[k]]!r}, its gravity share is {site_share[k]:.6g}")


@verifies("market-share", "target-share")
@from_checks
def verify_market(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                  rep: VerifyReport) -> None:
    """Huff shares against the competitors recomputed; ``p`` or the target share."""
    new = new_sites(inst, pos)
    share, own = huff_shares(inst, model, pos)
    _check_claimed_shares(inst, model, sol, pos, share, own, rep)
    captured = float(inst.weight @ share)
    if is_a(model, "market-share"):
        check_p(new, sol.params.get("p"), rep)
        rep.objective = captured
    else:
        total = float(inst.weight.sum())
        goal = float(sol.params.get("share") or 0.0) * total
        if captured < goal * (1 - REL_TOL) - SLACK:
            rep.fail(f"captures {captured / total:.4%} of the weight, below the target "
                     f"{goal / total:.4%}")
        rep.objective = float(new.size)
    rep.details["captured"] = captured
