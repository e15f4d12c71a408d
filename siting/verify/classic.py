"""Verifiers of the classic models: covering (full and partial), assignment and p-center.

Each recomputes from the instance's metric, by the route of
:meth:`~siting.coverage.Metric.nearest_in` and
:meth:`~siting.coverage.Metric.pair_distance`, what the solution claims, and
is registered under its models' names (:func:`siting.verify.verifies`); the
model is read for its parameters only (no model class is imported).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from siting.instance import Instance
from siting.solution import Solution
from siting.verify import is_a, verifies
from siting.verify.report import REL_TOL, VerifyReport, accept_objective

if TYPE_CHECKING:
    import pandas as pd

IntArray = NDArray[np.int64]


def open_sites(inst: Instance, sol: Solution, rep: VerifyReport) -> IntArray | None:
    """Positions of the selected sites; None (with the failure noted) when unusable."""
    try:
        pos = inst.site_positions(sol.selected)
    except Exception as exc:  # an unknown id is a failed check, not a crash
        rep.fail(f"selected sites: {exc}")
        return None
    if len(set(pos.tolist())) != len(pos):
        rep.fail("a site is selected twice")
    missing_existing = np.setdiff1d(np.flatnonzero(inst.existing), pos)
    if missing_existing.size:
        rep.fail(f"existing facility {inst.site_ids[missing_existing[0]]!r} is not open")
    return pos


def new_sites(inst: Instance, pos: IntArray) -> IntArray:
    """The positions in ``pos`` that are not existing facilities."""
    return pos[~inst.existing[pos]]


def assignment_positions(inst: Instance, frame: pd.DataFrame | None, rep: VerifyReport) -> Any:
    """(demand, site, fraction) positions of an assignment table; None when unusable.

    A fraction outside [0, 1] is a failure noted, not a reason to stop.
    """
    import pandas as pd

    if frame is None:
        rep.fail("no assignment given")
        return None
    d_pos = pd.Index(inst.demand_ids).get_indexer(frame["demand_id"].to_numpy())
    s_pos = pd.Index(inst.site_ids).get_indexer(frame["site_id"].to_numpy())
    if (d_pos < 0).any() or (s_pos < 0).any():
        rep.fail("assignment names an unknown demand point or site")
        return None
    frac = frame["fraction"].to_numpy(dtype=np.float64)
    if (frac < -1e-9).any() or (frac > 1 + 1e-9).any():
        rep.fail("an assignment fraction is outside [0, 1]")
    return d_pos.astype(np.int64), s_pos.astype(np.int64), frac


def served_by_closed(inst: Instance, pos: IntArray, d_pos: IntArray, s_pos: IntArray,
                     rep: VerifyReport, *, verb: str = "is served by",
                     used: NDArray[np.bool_] | None = None) -> bool:
    """Fail on the first (demand, site) pair whose site is not among the open ``pos``.

    ``used`` picks the pairs that count (default: all). True when one was found.
    """
    is_open = np.zeros(inst.n_sites, dtype=bool)
    is_open[pos] = True
    closed = ~is_open[s_pos]
    if used is not None:
        closed &= used
    if closed.any():
        k = int(np.flatnonzero(closed)[0])
        rep.fail(f"demand {inst.demand_ids[d_pos[k]]!r} {verb} closed site "
                 f"{inst.site_ids[s_pos[k]]!r}")
    return bool(closed.any())


def check_p(new: IntArray, p: int | None, rep: VerifyReport, *, exact: bool = False) -> None:
    if p is not None and (new.size != p if exact else new.size > p):
        rep.fail(f"{new.size} new sites open but p = {p}")


def judge(rep: VerifyReport, model: Any, sol: Solution) -> VerifyReport:
    """Judge the claimed objective against the recomputed one (when there is one).

    A recomputed objective that is not finite (a point served from, or only
    reaching, sites at no finite distance) is a failure whatever was claimed:
    ``inf`` compared with a claimed ``inf`` would otherwise pass.
    """
    if rep.objective is not None and not np.isfinite(rep.objective):
        rep.fail(f"recomputed objective is {rep.objective} (a demand point is served by no "
                 "site it reaches)")
        rep.objective = None
    if rep.objective is not None:
        accept_objective(rep, sol.objective, sol.bound, model.sense)
    return rep


Check = Callable[[Instance, Any, Solution, IntArray, VerifyReport], None]


def from_checks(check: Check) -> Callable[[Instance, Any, Solution], VerifyReport]:
    """A verifier from a model's own checks: the open sites are checked first (unknown,
    repeated, existing ones closed), then ``check`` recomputes the objective and the
    model's constraints, then the claimed objective is judged."""

    def verify(inst: Instance, model: Any, sol: Solution) -> VerifyReport:
        rep = VerifyReport()
        pos = open_sites(inst, sol, rep)
        if pos is None:
            return rep
        check(inst, model, sol, pos, rep)
        return judge(rep, model, sol)

    verify.__doc__ = check.__doc__
    verify.__name__ = check.__name__
    return verify


#: Up to this many open sites a straight-line check measures each demand point's distance
#: to each of them from the coordinates (no KD-tree to import and build); beyond, the
#: metric's nearest-site search. Neither is the build's grid of cells.
DIRECT_SITES = 32
#: Demand points measured at a time by the direct check (bounds its temporary arrays).
DIRECT_BLOCK = 1 << 20


def _within(inst: Instance, pos: IntArray, radius: float) -> NDArray[np.bool_]:
    """Demand points within ``radius`` of any of the sites at ``pos``."""
    from siting.coverage import EuclideanMetric

    metric = inst.metric
    if type(metric) is EuclideanMetric and pos.size <= DIRECT_SITES:
        return straight_within(metric.demand_xy, metric.site_xy[pos], radius)
    _, d = metric.nearest_in(pos)
    if not inst.metric.has_distances:
        return np.isfinite(d)
    return d <= radius * (1 + 1e-12)


def straight_within(
    demand_xy: NDArray[np.float64], site_xy: NDArray[np.float64], radius: float
) -> NDArray[np.bool_]:
    """Points of ``demand_xy`` within ``radius`` (and its 1e-12 slack) of a site of
    ``site_xy``, the straight line measured to every site, one site at a time.

    >>> straight_within(np.array([[0.0, 0.0], [3.0, 4.0], [9.0, -9.0]]),
    ...                 np.array([[0.0, 0.0], [6.0, 8.0]]), 5.0).tolist()
    [True, True, False]
    >>> straight_within(np.zeros((2, 2)), np.zeros((0, 2)), 1.0).tolist()
    [False, False]
    """
    inside = np.zeros(demand_xy.shape[0], dtype=bool)
    limit = radius * (1 + 1e-12)
    for start in range(0, demand_xy.shape[0], DIRECT_BLOCK):
        x, y = demand_xy[start:start + DIRECT_BLOCK].T
        nearest = np.full(x.size, np.inf)
        for sx, sy in site_xy:  # a loop over open sites, not over pairs
            dx, dy = x - sx, y - sy
            np.minimum(nearest, dx * dx + dy * dy, out=nearest)
        inside[start:start + x.size] = np.sqrt(nearest) <= limit
    return inside


def _cover_counts(inst: Instance, pos: IntArray, radius: float) -> NDArray[np.int64]:
    """How many of the sites at ``pos`` cover each demand point, one site at a time."""
    counts = np.zeros(inst.n_demand, dtype=np.int64)
    for j in pos:  # a loop over open sites, not over pairs
        counts += _within(inst, np.array([j]), radius)
    return counts


def _covered(inst: Instance, sol: Solution, pos: IntArray, rep: VerifyReport) -> NDArray[np.bool_]:
    """Demand within the radius of an open site; a false claim of coverage fails."""
    radius = float(sol.params.get("radius") or 0.0)
    covered = _within(inst, pos, radius)
    counts = sol.coverage_counts()
    if counts is not None and counts.demand_id is inst.demand_ids:  # the claim, in inst's order
        for wrong, text in (
            ((counts.covered > 0) & ~covered,
             f"claimed covered but no open site is within radius {radius:g}"),
            ((counts.covered <= 0) & covered,
             f"claimed not covered but an open site is within radius {radius:g}"),
        ):
            if wrong.any():
                rep.fail(f"demand {inst.demand_ids[np.flatnonzero(wrong)[0]]!r} {text} "
                         f"({int(wrong.sum())} such in all)")
        return covered
    import pandas as pd

    if sol.coverage is not None and len(sol.coverage):
        claimed = pd.Series(sol.coverage["covered"].to_numpy() > 0, index=sol.coverage["demand_id"])
        truth = pd.Series(covered, index=inst.demand_ids).reindex(claimed.index, fill_value=False)
        for wrong, text in (
            (claimed & ~truth, f"claimed covered but no open site is within radius {radius:g}"),
            (~claimed & truth, f"claimed not covered but an open site is within radius {radius:g}"),
        ):
            if wrong.any():
                rep.fail(f"demand {wrong.index[wrong.to_numpy()][0]!r} {text} "
                         f"({int(wrong.sum())} such in all)")
    return covered


def _all_covered(inst: Instance, sol: Solution, pos: IntArray, rep: VerifyReport) -> None:
    """Every demand point within the radius of an open site (claims checked as well)."""
    covered = _covered(inst, sol, pos, rep)
    if not covered.all():
        first = inst.demand_ids[np.flatnonzero(~covered)[0]]
        rep.fail(f"demand {first!r} is not covered (and {int((~covered).sum()) - 1} more)")


@verifies("mclp")
@from_checks
def verify_mclp(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                rep: VerifyReport) -> None:
    """Covered weight, at most ``p`` new sites, spending within the budget."""
    new = new_sites(inst, pos)
    covered = _covered(inst, sol, pos, rep)
    check_p(new, sol.params.get("p"), rep, exact=bool(sol.params.get("exactly_p")))
    budget = sol.params.get("budget")
    spent = float(inst.site_cost[new].sum())
    if budget is not None and spent > budget * (1 + REL_TOL) + 1e-9:
        rep.fail(f"cost {spent:g} exceeds budget {budget:g}")
    rep.objective = float(inst.weight[covered].sum())


@verifies("lscp")
@from_checks
def verify_lscp(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                rep: VerifyReport) -> None:
    """Every demand point covered; the objective is the count (or cost) of new sites."""
    new = new_sites(inst, pos)
    _all_covered(inst, sol, pos, rep)
    rep.objective = _sites_cost(inst, sol, new)


def _sites_cost(inst: Instance, sol: Solution, new: IntArray) -> float:
    """The count of new sites, or their cost with ``weighted_cost``."""
    weighted = bool(sol.params.get("weighted_cost"))
    return float(inst.site_cost[new].sum()) if weighted else float(new.size)


@verifies("pscp")
@from_checks
def verify_pscp(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                rep: VerifyReport) -> None:
    """At least ``share`` of all weight covered; the objective is the count (or cost) of
    new sites."""
    covered = _covered(inst, sol, pos, rep)
    share = float(sol.params.get("share") or 0.0)
    total = float(inst.weight.sum())
    reached = float(inst.weight[covered].sum())
    if reached < share * total * (1 - REL_TOL) - 1e-9:
        rep.fail(f"covered weight {reached:.10g} ({reached / total:.4%}) is below share "
                 f"{share:g} of the total {total:.10g}")
    rep.details["covered_weight"] = reached
    rep.objective = _sites_cost(inst, sol, new_sites(inst, pos))


@verifies("lscp-b")
@from_checks
def verify_lscpb(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                 rep: VerifyReport) -> None:
    """Everyone covered with ``p`` new sites; the objective is the weight covered twice."""
    new = new_sites(inst, pos)
    _all_covered(inst, sol, pos, rep)
    check_p(new, sol.params.get("p"), rep)
    twice = _cover_counts(inst, pos, float(sol.params.get("radius") or 0.0)) >= 2
    rep.objective = float(inst.weight[twice].sum())


@verifies("p-center")
@from_checks
def verify_pcenter(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                   rep: VerifyReport) -> None:
    """The largest distance of any demand point to its nearest open site, with ``p`` sites."""
    _, d = inst.metric.nearest_in(pos)
    alone = ~np.isfinite(d)
    if alone.any():
        rep.fail(f"demand {inst.demand_ids[np.flatnonzero(alone)[0]]!r} reaches no open site "
                 f"({int(alone.sum())} such in all)")
    rep.objective = float(d.max()) if d.size else 0.0
    check_p(new_sites(inst, pos), sol.params.get("p"), rep,
            exact=bool(sol.params.get("exactly_p")))


def _assignment_cost(inst: Instance, sol: Solution, pos: IntArray, rep: VerifyReport) -> Any:
    """Cost of the claimed assignment; None when it is missing, unknown or unusable."""
    if sol.assignment is None or len(sol.assignment) == 0:
        rep.fail("no assignment given")
        return None
    found = assignment_positions(inst, sol.assignment, rep)
    if found is None:
        return None
    d_pos, s_pos, frac = found
    total = np.bincount(d_pos, weights=frac, minlength=inst.n_demand)
    bad = np.flatnonzero(np.abs(total - 1.0) > 1e-6)
    if bad.size:
        rep.fail(
            f"demand {inst.demand_ids[bad[0]]!r} is assigned {total[bad[0]]:.6g} of its "
            "demand, not 1"
        )
    served_by_closed(inst, pos, d_pos, s_pos, rep, verb="is assigned to", used=frac > 1e-9)
    dist = inst.metric.pair_distance(d_pos, s_pos)
    far = (frac > 1e-9) & ~np.isfinite(dist)
    if far.any():
        k = int(np.flatnonzero(far)[0])
        rep.fail(f"demand {inst.demand_ids[d_pos[k]]!r} is assigned to site "
                 f"{inst.site_ids[s_pos[k]]!r}, which it cannot reach (no finite distance)")
        return None
    unit = inst.weight[d_pos] * dist if inst.cost_scales_with_weight else dist
    return float((unit * frac).sum()), d_pos, s_pos, frac


@verifies("p-median")
@from_checks
def verify_pmedian(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                   rep: VerifyReport) -> None:
    """The claimed assignment's weighted distance, exactly ``p`` new sites."""
    found = _assignment_cost(inst, sol, pos, rep)
    if found is None:
        return
    check_p(new_sites(inst, pos), sol.params.get("p"), rep, exact=True)
    rep.objective = found[0]


@verifies("uflp", "cflp")
@from_checks
def verify_facility_location(inst: Instance, model: Any, sol: Solution, pos: IntArray,
                             rep: VerifyReport) -> None:
    """Fixed costs plus assignment costs; with capacities, no site serves more than it may."""
    found = _assignment_cost(inst, sol, pos, rep)
    if found is None:
        return
    cost, d_pos, s_pos, frac = found
    if is_a(model, "cflp"):
        load = np.bincount(s_pos, weights=inst.weight[d_pos] * frac, minlength=inst.n_sites)
        over = np.flatnonzero(load > inst.capacity * (1 + 1e-6) + 1e-6)
        if over.size:
            j = over[0]
            rep.fail(
                f"site {inst.site_ids[j]!r} serves {load[j]:g} above its capacity "
                f"{inst.capacity[j]:g}"
            )
    new = new_sites(inst, pos)
    rep.objective = float(inst.fixed_cost[new].sum()) + cost
