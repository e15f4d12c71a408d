"""The tables of a multi-service solution, recomputed from the data.

Coverage per block and type, per sub-district, the plan-target table
(required, reached, met), the budget by year and type and the baseline of
existing facilities alone. Coverage comes from the coverage layer by the
verifier's route (each point's nearest open facility), never from the
solver's variables.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.multi.problem import MultiServiceProblem
from siting.multi.solution import pct


class Plan(Protocol):
    """What the tables read of a plan: its facility rows and the existing ones closed."""

    @property
    def facilities(self) -> pd.DataFrame: ...

    @property
    def closed(self) -> list[Any]: ...


@dataclass
class PlanRows:
    """A plan given as its rows (e.g. the rows a verifier accepted)."""

    facilities: pd.DataFrame
    closed: list[Any]

BoolArray = NDArray[np.bool_]
Coverage = dict[tuple[str, int], BoolArray]
#: Each type's open sites in every year index (:func:`open_by_type`).
OpenSites = dict[str, list[tuple[NDArray[np.int64], NDArray[np.int64]]]]
#: Relative slack on a radius when deciding coverage from a recomputed distance.
RADIUS_TOL = 1e-9


def open_sites(
    prob: MultiServiceProblem, plan: Plan, name: str, t: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Parcels and existing facilities (positions) of type ``name`` open in year index ``t``.

    Parcel ids the data do not hold are left out (the verifier names them).
    """
    return open_by_year(prob, plan, name)[t]


def open_by_year(
    prob: MultiServiceProblem, plan: Plan, name: str, parcel_index: pd.Index | None = None,
) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """:func:`open_sites` of every year index, the plan's rows read once (``parcel_index``:
    the parcels' ids as an index, when the caller has it)."""
    td = prob.types[name]
    fac = plan.facilities
    mine = fac[fac["type"] == name]
    index = pd.Index(prob.data.parcels["parcel_id"]) if parcel_index is None else parcel_index
    pos = index.get_indexer(mine["parcel_id"])
    years = mine["year"].to_numpy()
    ex = prob.data.existing.iloc[td.existing]
    existing = td.existing[~ex["facility_id"].isin(plan.closed).to_numpy()]
    return [
        (np.unique(pos[(years <= year) & (pos >= 0)]).astype(np.int64), existing)
        for year in prob.years
    ]


def open_by_type(prob: MultiServiceProblem, plan: Plan) -> OpenSites:
    """:func:`open_by_year` of every type: the plan's rows read once per type, for the
    callers that measure several things of the same plan (coverage, targets, walks)."""
    parcel_index = pd.Index(prob.data.parcels["parcel_id"])
    return {name: open_by_year(prob, plan, name, parcel_index) for name in prob.types}


def covered(
    prob: MultiServiceProblem, plan: Plan, name: str, t: int, radius: float,
    opened: OpenSites | None = None,
) -> BoolArray:
    """Blocks within ``radius`` of an open facility of type ``name`` (the verifier's route;
    ``opened``: the plan's open sites when the caller has read them)."""
    parcels, existing = (open_sites(prob, plan, name, t) if opened is None
                         else opened[name][t])
    return covered_by(prob, name, parcels, existing, radius)


def covered_by(
    prob: MultiServiceProblem, name: str, parcels: NDArray[np.int64],
    existing: NDArray[np.int64], radius: float, *, cut: bool = False,
) -> BoolArray:
    """Blocks within ``radius`` of the given open sites of type ``name`` (parcel and
    existing-facility positions, as :func:`open_sites` gives them). ``cut``: measured
    only up to the radius (:func:`nearest_open`'s ``within``), for sites whose distances
    nothing else reads; the blocks covered are the same."""
    reach = radius * (1 + RADIUS_TOL)
    near = nearest_open(prob, name, parcels, existing, within=reach if cut else None)
    return near.dist <= reach


class Nearest(NamedTuple):
    """Each block's nearest open site of a type (:func:`nearest_open`)."""

    #: The metric measured on: the type's own, or one made for these sites alone.
    metric: Any
    #: The open sites in the metric's numbering, ascending (parcels, then existing).
    sites: NDArray[np.int64]
    #: Each block's nearest open site, in the metric's numbering (-1: none reached).
    arg: NDArray[np.int64]
    dist: NDArray[np.float64]

    def open_position(self) -> NDArray[np.int64]:
        """Each block's nearest as a position among the open sites (-1: none)."""
        return np.where(self.arg >= 0, np.searchsorted(self.sites, self.arg), -1)


#: Nearest-site answers a problem remembers at least (:func:`nearest_open`), the oldest
#: dropped; see :func:`nearest_kept`.
NEAREST_KEPT = 32
#: Bytes of answers a problem may remember beyond :data:`NEAREST_KEPT` answers.
NEAREST_BYTES = 64 * 2**20
_NEAREST_LOCK = threading.Lock()


def nearest_open(
    prob: MultiServiceProblem, name: str, parcels: NDArray[np.int64],
    existing: NDArray[np.int64], *, travel: bool = True, within: float | None = None,
) -> Nearest:
    """Each block's nearest of these open sites of type ``name`` (positions, ascending, as
    :func:`open_sites` gives them) and its distance, on the type's own metric (from the
    data: its candidate parcels, then its existing facilities, the graph already built)
    restricted to them; sites it does not hold (a parcel that is no candidate) get a
    metric of their own.

    On the type's own metric, the open parcels and the existing facilities are measured
    apart (the latter, the same every year and in :func:`baseline_table`, once).
    Remembered on ``prob`` for the same sites: coverage by year, attendance and the
    walk check ask for the final year's sites of each type in turn. ``travel=False``
    measures without the type's travel table (the walk check's distances). ``within``: a
    distance beyond which nothing is read: a block farther from every site may get -1 and
    ``inf`` (:meth:`~siting.coverage.Metric.nearest_within`; remembered apart, and a full
    answer already remembered serves it).
    """
    f = prob.spec.facility[name]
    table = travel and getattr(f, "travel_table", None) is not None
    key: tuple[Any, ...] = (name, prob.mode_of(f), f.access, id(f) if table else None,
                            parcels.tobytes(), existing.tobytes())
    memo = prob.nearest_memo
    with _NEAREST_LOCK:  # reasons and tables may ask from two threads
        found = memo.get(key)
        if found is None and within is not None:
            key = (*key, within)
            found = memo.get(key)
    if found is None:
        own = _in_type_metric(prob, name, parcels, existing, table)
        if own is None:
            metric = prob.data.metric(parcels, existing, prob.mode_of(f), f.access,
                                      travel=f if table else None)
            sites = np.arange(parcels.size + existing.size, dtype=np.int64)
            found = Nearest(metric, sites, *_nearest(metric, sites, within))
        elif parcels.size and existing.size:
            # the existing facilities kept are those of every year and of the baseline:
            # measured once, then the nearer of them and of the year's parcels (a block
            # as near to both takes the existing one)
            none = parcels[:0]
            new = nearest_open(prob, name, parcels, none, travel=travel, within=within)
            kept = nearest_open(prob, name, none, existing, travel=travel, within=within)
            nearer = new.dist < kept.dist
            found = Nearest(own[0], own[1], np.where(nearer, new.arg, kept.arg),
                            np.where(nearer, new.dist, kept.dist))
        else:
            metric, sites = own
            found = Nearest(metric, sites, *_nearest(metric, sites, within))
        with _NEAREST_LOCK:
            while len(memo) >= nearest_kept(prob):
                memo.pop(next(iter(memo)), None)
            memo[key] = found
    return found._replace(arg=found.arg.copy(), dist=found.dist.copy())


def _nearest(
    metric: Any, sites: NDArray[np.int64], within: float | None
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """``metric``'s nearest of ``sites`` for each block, in full or up to ``within``."""
    return metric.nearest_in(sites) if within is None else metric.nearest_within(sites, within)


def nearest_kept(prob: MultiServiceProblem) -> int:
    """How many answers of :func:`nearest_open` ``prob`` remembers: all that one pass over
    a plan stores (per type, each year's open sites and their parcels alone, and the
    existing facilities once), so that the walk check and the baseline, which ask again
    for the final year's sites and the existing ones, find them; at least
    :data:`NEAREST_KEPT`, and beyond it no more than :data:`NEAREST_BYTES` of answers
    (each holds a site and a distance per block).

    >>> from types import SimpleNamespace
    >>> nearest_kept(SimpleNamespace(types=dict.fromkeys("abcdefg"), T=3, n_blocks=3984))
    49
    >>> nearest_kept(SimpleNamespace(types=dict.fromkeys("abcdefg"), T=3, n_blocks=10**6))
    32
    """
    one_pass = len(prob.types) * (2 * prob.T + 1)
    fit = NEAREST_BYTES // max(16 * prob.n_blocks, 1)
    return max(NEAREST_KEPT, min(one_pass, fit))


def _in_type_metric(
    prob: MultiServiceProblem, name: str, parcels: NDArray[np.int64],
    existing: NDArray[np.int64], table: bool,
) -> tuple[Any, NDArray[np.int64]] | None:
    """The type's own metric and these sites' positions in it, when it holds them all
    and measures as asked (with the travel table exactly when the type has one)."""
    td = prob.types[name]
    f = td.spec
    if table != (getattr(f, "travel_table", None) is not None):
        return None
    at = _positions_in(td.cand, parcels)
    ex_at = _positions_in(td.existing, existing)
    if at is None or ex_at is None:
        return None
    return td.instance.metric, np.r_[at, td.n_cand + ex_at].astype(np.int64)


def _positions_in(
    held: NDArray[np.int64], wanted: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    """Positions of ``wanted`` in ``held`` (both ascending), None when one is missing.

    >>> _positions_in(np.array([2, 5, 9]), np.array([5, 9])).tolist()
    [1, 2]
    >>> _positions_in(np.array([2, 5, 9]), np.array([4])) is None
    True
    """
    at = np.searchsorted(held, wanted)
    if wanted.size and (at.max() >= held.size or not np.array_equal(held[at], wanted)):
        return None
    return at.astype(np.int64)


def coverage_by_year(
    prob: MultiServiceProblem, plan: Plan, opened: OpenSites | None = None
) -> Coverage:
    """Coverage of every type in every year, at the type's radius (``opened``: the plan's
    open sites, :func:`open_by_type`, when the caller has read them).

    A year whose open sites of a type are those of an earlier year has that year's
    coverage (computed once: on the 2026-2030 plan, 23 distinct sets of 50).
    """
    out: Coverage = {}
    opened = open_by_type(prob, plan) if opened is None else opened
    for name, td in prob.types.items():
        seen: dict[tuple[bytes, bytes], BoolArray] = {}
        by_year = opened[name]
        keys = [(parcels.tobytes(), existing.tobytes()) for parcels, existing in by_year]
        # the final year first: its full answer for the existing sites serves the others
        for t in np.roll(np.arange(prob.T), 1).tolist():
            if keys[t] not in seen:
                # only the final year's distances are read again (walk check); with a
                # decay, attendance reads every year's in full
                cut = keys[t] != keys[-1] and td.spec.decay is None
                seen[keys[t]] = covered_by(prob, name, *by_year[t], td.spec.radius_m, cut=cut)
        for t in range(prob.T):
            out[(name, t)] = seen[keys[t]].copy()
    return out


def target_table(
    prob: MultiServiceProblem, plan: Plan, cov: Coverage, opened: OpenSites | None = None
) -> pd.DataFrame:
    """Each target's required and reached value (reached recomputed from the plan;
    ``opened``: its open sites, :func:`open_by_type`, when the caller has read them)."""
    rows = []
    fac = plan.facilities
    for tgt in prob.spec.target:
        t = prob.target_year_index(tgt.year)
        year = prob.years[t]
        if tgt.kind in ("coverage", "service_circle"):
            types = [tgt.facility] if tgt.kind == "coverage" else list(tgt.facilities)
            radius = tgt.radius_m
            inside = np.ones(prob.n_blocks, dtype=bool)
            for name in types:
                assert name is not None
                r = radius or prob.spec.facility[name].radius_m
                inside &= (
                    cov[name, t]
                    if r == prob.spec.facility[name].radius_m
                    else covered(prob, plan, name, t, r, opened)
                )
            group = tgt.group or prob.spec.facility[types[0]].group  # type: ignore[index]
            pop = prob.group(group)
            reached = float(pop[inside].sum() / pop.sum()) if pop.sum() else 1.0
            assert tgt.share is not None
            required, met = tgt.share, reached >= tgt.share - 1e-9
            rq, rc = pct(required), pct(reached)
        else:
            assert tgt.at_least is not None
            sub = fac[fac["type"].isin(tgt.types()) & (fac["year"] <= year)]
            reached = float(sub["spaces"].sum() if tgt.kind == "spaces" else sub["count"].sum())
            required, met = tgt.at_least, reached >= tgt.at_least - 1e-9
            rq, rc = f"{required:,.0f}", f"{reached:,.0f}"
        rows.append(_target_row(tgt, year, required, reached, rq, rc, bool(met)))
    return pd.DataFrame(
        rows,
        columns=TARGET_COLUMNS,
    )


TARGET_COLUMNS = ["target", "kind", "year", "required", "reached", "required_text",
                  "reached_text", "met", "mode"]


def _target_row(tgt: Any, year: int, required: Any, reached: Any, required_text: str,
                reached_text: str, met: bool) -> dict[str, Any]:
    """One row of the target table (see :data:`TARGET_COLUMNS`)."""
    return {
        "target": tgt.name or f"{tgt.kind} {'+'.join(tgt.types())}", "kind": tgt.kind,
        "year": year, "required": required, "reached": reached,
        "required_text": required_text, "reached_text": reached_text, "met": met,
        "mode": tgt.mode,
    }


def requirement_table(prob: MultiServiceProblem) -> pd.DataFrame:
    """The target table without reached values (when there is no solution)."""
    rows = []
    for tgt in prob.spec.target:
        pctish = tgt.kind in ("coverage", "service_circle")
        req = tgt.share if pctish else tgt.at_least
        text = pct(req or 0) if pctish else f"{req:,.0f}"
        rows.append(_target_row(tgt, prob.spec.year_of(tgt.year), req, np.nan, text, "", False))
    return pd.DataFrame(
        rows,
        columns=TARGET_COLUMNS,
    )


def coverage_tables(
    prob: MultiServiceProblem, cov: Coverage
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage per block and type in the final year, and per sub-district and type
    (population, covered, share): every type's blocks grouped in one pass, types in the
    problem's order, sub-districts sorted."""
    blocks = prob.data.blocks
    last = prob.T - 1
    names = list(prob.types)
    subdistrict = blocks["subdistrict"].to_numpy()
    table = pd.DataFrame({"block_id": blocks["block_id"].to_numpy(), "subdistrict": subdistrict,
                          **{name: cov[name, last] for name in names}})
    if not names:
        return table, pd.DataFrame()
    pop = np.concatenate([prob.types[name].pop for name in names])
    frame = pd.DataFrame({
        "kind": np.repeat(np.arange(len(names)), prob.n_blocks),
        "subdistrict": np.tile(subdistrict, len(names)),
        "pop": pop,
        "covered": pop * np.concatenate([cov[name, last] for name in names]),
    })
    g = frame.groupby(["kind", "subdistrict"], sort=True)[["pop", "covered"]].sum().reset_index()
    g["share"] = np.where(g["pop"] > 0, g["covered"] / g["pop"].where(g["pop"] > 0, 1), 1.0)
    g["type"] = np.asarray(names, dtype=object)[g["kind"].to_numpy()]
    return table, g[["subdistrict", "type", "pop", "covered", "share"]]


def budget_table(fac: pd.DataFrame) -> pd.DataFrame:
    if not len(fac):
        return pd.DataFrame(columns=["year", "type", "cost_est", "facilities"])
    g = fac.groupby(["year", "type"], sort=True).agg(
        cost_est=("cost_est", "sum"), facilities=("count", "sum")
    )
    return g.reset_index()


def baseline_table(prob: MultiServiceProblem) -> pd.DataFrame:
    """Coverage by existing facilities alone, per type (the comparison planners ask for)."""
    rows = []
    for name, td in prob.types.items():
        d = nearest_open(prob, name, td.cand[:0], td.existing).dist
        cov = d <= td.spec.radius_m * (1 + RADIUS_TOL)
        rows.append(
            {
                "type": name,
                "existing": int(td.existing.size),
                "baseline_share": float(td.pop[cov].sum() / td.pop.sum()) if td.pop.sum() else 1.0,
            }
        )
    return pd.DataFrame(rows)


def attendance_of(
    prob: MultiServiceProblem, plan: Plan, name: str, t: int
) -> NDArray[np.float64]:
    """Residents × decayed share per block, from each block's nearest open facility."""
    td = prob.types[name]
    f = td.spec
    decay = f.decay_function()
    parcels, existing = open_sites(prob, plan, name, t)
    dist = nearest_open(prob, name, parcels, existing).dist
    return np.asarray(td.pop * decay.value(dist), dtype=np.float64)
