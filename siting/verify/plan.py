"""Verifier of multi-service plans: every constraint and the objective, from the data.

The plan's facilities (type, parcel, year, count, spaces), closures and, for
capacitated types, the residents served are taken as claims; everything else
is recomputed: uses, availability, land, counts, closures, presence floors,
estimated costs and budgets, coverage per type and year (each block's nearest
open facility, by the coverage layer), served residents within reach and
capacity, equity floors, targets and the objective. Claims that do not match
(a cost, a coverage flag, an unknown parcel, type or year) are failures, never
crashes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.multi.data import uses_mask
from siting.multi.problem import MultiServiceProblem
from siting.multi.solution import MultiSolution, pct
from siting.multi.tables import (
    Coverage,
    OpenSites,
    PlanRows,
    attendance_of,
    coverage_by_year,
    nearest_open,
    open_by_type,
    target_table,
)
from siting.verify import verifies
from siting.verify.report import VerifyReport, accept_objective
from siting.verify.walks import walk_floor

TOL = 1e-6


@verifies("multi-service")
def verify_plan(prob: MultiServiceProblem, model: Any, sol: MultiSolution) -> VerifyReport:
    """Recompute the plan's constraints and objective; ``details["coverage"]`` holds coverage."""
    rep = VerifyReport()
    fac = _known_rows(prob, sol.facilities, rep)
    costed = facility_costs(prob, fac)  # footprints for the land check, costs for budgets
    _check_parcels(prob, fac, costed, rep)
    _check_counts(prob, sol, fac, rep)
    _check_costs(prob, fac, costed, rep)
    plan = PlanRows(fac, sol.closed)
    opened = open_by_type(prob, plan)  # read once: coverage, targets and walks use them
    cov = coverage_by_year(prob, plan, opened)
    rep.details["coverage"] = cov
    rep.objective = _objective(prob, sol, cov, rep)
    for msg in _equity_failures(prob, sol, cov):
        rep.fail(msg)
    targets = target_table(prob, plan, cov, opened)
    rep.details["targets"] = targets
    for r in targets.itertuples():
        if r.mode == "constraint" and not r.met:
            rep.fail(f"target {r.target!r} not met: {r.reached_text} < {r.required_text}")
    _check_claimed_coverage(prob, sol, cov, rep)
    rep.details["walks"] = _check_walks(prob, opened, rep)
    accept_objective(rep, sol.objective, sol.bound, model.sense)
    return rep


def _check_walks(prob: MultiServiceProblem, opened: OpenSites, rep: VerifyReport) -> dict[str, Any]:
    """No walk from a block to its nearest open facility (final year; ``opened``: the
    plan's open sites) is shorter than the straight line; returns, per walking type, the
    walk / straight-line ratios of covered blocks."""
    out: dict[str, Any] = {}
    last = prob.T - 1
    for name in prob.types:
        f = prob.spec.facility[name]
        parcels, existing = opened[name][last]
        if parcels.size + existing.size == 0:
            continue
        near = nearest_open(prob, name, parcels, existing, travel=False)
        found = walk_floor(near.metric, near.sites, radius=f.radius_m,
                           nearest=(near.arg, near.dist))
        if found.worst is not None:
            block, at, walk, straight = found.worst
            site = int(np.searchsorted(near.sites, at))  # among the open sites
            ids = np.concatenate([prob.data.parcels["parcel_id"].to_numpy()[parcels],
                                  prob.data.existing["facility_id"].to_numpy()[existing]])
            rep.fail(
                f"{name}: block {prob.data.blocks['block_id'].iloc[block]} to {ids[site]}: "
                f"walking distance {walk:,.1f} m is shorter than the straight line "
                f"{straight:,.1f} m ({found.breaches} such blocks): the street lengths or "
                "locations are wrong"
            )
        if found.ratios:
            out[name] = found.summary()
    return out


def _known_rows(prob: MultiServiceProblem, fac: pd.DataFrame, rep: VerifyReport) -> pd.DataFrame:
    """Rows naming a known type, parcel and year; the others are failures."""
    if not len(fac):
        return fac
    known_type = fac["type"].isin(list(prob.spec.facility))
    parcel_ids = pd.Index(prob.data.parcels["parcel_id"])
    known_parcel = parcel_ids.get_indexer(fac["parcel_id"]) >= 0
    year = pd.to_numeric(fac["year"], errors="coerce")
    known_year = year.isin(prob.years).to_numpy()
    for r in fac[~known_type].itertuples():
        rep.fail(f"facility type {r.type!r} is not in the spec")
    for r in fac[known_type & ~known_parcel].itertuples():
        rep.fail(f"{r.type} on parcel {r.parcel_id!r}: no such parcel in the data")
    for r in fac[known_type & known_parcel & ~known_year].itertuples():
        rep.fail(f"{r.type} on parcel {r.parcel_id}: year {r.year!r} is not one of {prob.years}")
    return fac[known_type & known_parcel & known_year].copy()


def _check_parcels(
    prob: MultiServiceProblem, fac: pd.DataFrame, costed: pd.DataFrame, rep: VerifyReport
) -> None:
    """Uses allowed, parcel free by the opening year, footprints (``costed``: the rows
    with the verifier's own costing, :func:`facility_costs`) within the parcel."""
    spec = prob.spec
    parcels = prob.data.parcels.set_index(prob.data.parcels["parcel_id"])
    allowed = parcels["allowed_uses"].reindex(fac["parcel_id"])
    uses = np.array([spec.facility[t].use or t for t in fac["type"]], dtype=object)
    use_ok = np.zeros(len(fac), dtype=bool)
    for use in dict.fromkeys(uses):  # one pass over the rows per use, not one per row
        rows = np.flatnonzero(uses == use)
        use_ok[rows] = uses_mask(allowed.iloc[rows].reset_index(drop=True), use)
    free_years = parcels["year_available"].reindex(fac["parcel_id"]).to_numpy()
    for r, ok, free_year in zip(fac.itertuples(), use_ok, free_years, strict=True):
        if not ok:
            rep.fail(f"{r.type} on parcel {r.parcel_id}: use not allowed there")
        free = int(free_year)
        if free > r.year:
            rep.fail(f"{r.type} on parcel {r.parcel_id} opens {r.year}, before the parcel is "
                     f"free ({free})")
    if not len(fac):
        return
    per_parcel = fac.groupby(["type", "parcel_id"])["count"].sum()
    for (name, pid), n in per_parcel.items():
        most = spec.facility[name].max_per_parcel
        if n > most:
            rep.fail(f"{n} {name} on parcel {pid}, at most {most}")
    first = fac.sort_values("year", kind="stable").groupby(["type", "parcel_id"]).first()
    for (name, pid), r in first[first["count"] < 1].iterrows():
        rep.fail(f"{name} on parcel {pid}: extended in {r['year']} but never built")
    used = costed.groupby("parcel_id")["footprint_m2"].sum()
    area = parcels["area_m2"].reindex(used.index)
    for pid in used.index[used > area * (1 + TOL) + 1e-6]:
        rep.fail(f"parcel {pid}: footprints {used[pid]:.0f} m² exceed its {area[pid]:.0f} m²")


def _check_counts(
    prob: MultiServiceProblem, sol: MultiSolution, fac: pd.DataFrame, rep: VerifyReport
) -> None:
    """Quotas per year, closures, totals, presence floors per area."""
    spec, ex = prob.spec, prob.data.existing
    # the rows summed once per (type, year) and the existing facilities read once, for all types
    opened_in: dict[tuple[str, int], int] = {}
    if len(fac):
        by_year = fac.groupby(["type", "year"])["count"].sum()
        opened_in = {(str(t), int(y)): int(n) for (t, y), n in by_year.items()}
    opened_all: dict[str, int] = {}
    for (name, _), n in opened_in.items():
        opened_all[name] = opened_all.get(name, 0) + n
    ex_types = ex["type"].astype(str).to_numpy()
    closed = ex["facility_id"].isin(sol.closed).to_numpy()
    for name, f in spec.facility.items():
        for key in set(f.count) | set(f.min_count) | set(f.max_count):
            got = (opened_all.get(name, 0) if key == "total"
                   else opened_in.get((name, int(key)), 0))
            lo = f.count.get(key, f.min_count.get(key, 0))
            hi = f.count.get(key, f.max_count.get(key, np.inf))
            if not lo <= got <= hi:
                rep.fail(f"{name}: {got} opened in {key}, required {lo}..{hi}")
        ex_type = ex_types == name
        n_closed = int((ex_type & closed).sum())
        allowed = 0 if f.existing == "keep" else f.max_close
        if n_closed > allowed:
            rep.fail(f"{name}: {n_closed} existing facilities closed, at most {allowed}")
        in_all = int(ex_type.sum()) - n_closed + opened_all.get(name, 0)
        if f.max_total is not None and in_all > f.max_total:
            rep.fail(f"{name}: {in_all} in all, at most {f.max_total}")
    unknown = set(map(str, sol.closed)) - set(ex["facility_id"].astype(str))
    for fid in sorted(unknown):
        rep.fail(f"closed facility {fid!r} is not an existing facility of the data")
    for e in spec.equity:
        if e.min_facilities is None:
            continue
        year = spec.year_of(e.year)
        new = fac[(fac["type"] == e.facility) & (fac["year"] <= year)]
        new_area = prob.data.parcels.set_index("parcel_id")[e.by].reindex(new["parcel_id"])
        kept = ex[(ex["type"].astype(str) == e.facility) & ~ex["facility_id"].isin(sol.closed)]
        counts = pd.concat([new_area.astype(str), kept[e.by].astype(str)]).value_counts()
        for area in e.areas or np.unique(prob.data.blocks[e.by].astype(str)):
            if counts.get(area, 0) < e.min_facilities:
                rep.fail(f"{e.facility}: {area} has {counts.get(area, 0)}, at least "
                         f"{e.min_facilities} required")


def facility_costs(prob: MultiServiceProblem, fac: pd.DataFrame) -> pd.DataFrame:
    """``fac`` with each row's footprint and estimated cost, recomputed from the spec's
    facility types and the parcels (the verifier's own costing, not the model's).

    A whole-parcel type takes its parcel's area (0 on a row that only adds
    parking to an open lot); a sized type adds its spaces' surface; land costs
    are the parcel's share under the footprint.
    """
    fac = fac.copy()
    if not len(fac):
        return fac.assign(footprint_m2=pd.Series(dtype=float), cost_est=pd.Series(dtype=float))
    parcels = prob.data.parcels.set_index(prob.data.parcels["parcel_id"])
    area = parcels["area_m2"].astype(float).reindex(fac["parcel_id"]).to_numpy()
    types = {name: f for name, f in prob.spec.facility.items()}

    def of_type(value: Any) -> NDArray[np.float64]:
        per = {name: float(value(f) or 0.0) for name, f in types.items()}
        return fac["type"].map(per).to_numpy(dtype=np.float64)

    whole = of_type(lambda f: f.whole_parcel) > 0
    count = fac["count"].to_numpy(dtype=np.float64)
    spaces = fac["spaces"].to_numpy(dtype=np.float64)
    footprint = of_type(lambda f: f.footprint_m2)
    per_space = of_type(lambda f: f.sized and f.m2_per_space / f.levels * f.surface_share)
    fac["footprint_m2"] = np.where(whole, np.where(count != 0, area, 0.0),
                                   footprint * count) + spaces * per_space
    land = np.zeros(len(fac))
    if "land_cost_est" in parcels.columns:
        parcel_land = parcels["land_cost_est"].astype(float).reindex(fac["parcel_id"]).to_numpy()
        under = np.where(whole, area, footprint)
        land = np.where(of_type(lambda f: f.land_cost) > 0,
                        parcel_land / np.maximum(area, 1.0) * under * count, 0.0)
    fac["cost_est"] = (of_type(lambda f: f.build_cost) * count + land
                       + of_type(lambda f: f.cost_per_space) * spaces)
    return fac


def _check_costs(
    prob: MultiServiceProblem, fac: pd.DataFrame, costed: pd.DataFrame, rep: VerifyReport
) -> None:
    """Estimated costs recomputed from the spec and the parcels (``costed``:
    :func:`facility_costs` of ``fac``); budgets per year and in all."""
    spec = prob.spec
    for column, what in (("cost_est", "cost_est"), ("footprint_m2", "footprint")):
        if column not in fac.columns or not len(fac):
            continue
        claimed = pd.to_numeric(fac[column], errors="coerce").to_numpy(dtype=float)
        truth = costed[column].to_numpy(dtype=float)
        for k in np.flatnonzero(~np.isclose(claimed, truth, rtol=1e-6, atol=1.0))[:3]:
            r = fac.iloc[k]
            rep.fail(f"{r['type']} on parcel {r['parcel_id']} in {r['year']}: {what} "
                     f"{claimed[k]:,.0f} but the spec and parcel give {truth[k]:,.0f}")
    budget = costed.groupby("year")["cost_est"].sum() if len(costed) else pd.Series(dtype=float)
    if spec.budget.total is not None and budget.sum() > spec.budget.total * (1 + TOL) + 1:
        rep.fail(f"estimated cost {budget.sum():,.0f} exceeds the total budget "
                 f"{spec.budget.total:,.0f}")
    for y, limit in spec.budget.per_year.items():
        spent = float(budget.get(int(y), 0.0))
        if spent > limit * (1 + TOL) + 1:
            rep.fail(f"{y}: estimated cost {spent:,.0f} exceeds {limit:,.0f}")


def _objective(
    prob: MultiServiceProblem, sol: MultiSolution, cov: Coverage, rep: VerifyReport
) -> float:
    """Covered residents (served, for capacitated types) over the objective's years."""
    objective = 0.0
    years = range(prob.T) if prob.spec.meta.objective == "years" else [prob.T - 1]
    for name, td in prob.types.items():
        for t in years:
            if td.spec.decay is not None:
                objective += td.spec.weight * float(attendance_of(prob, sol, name, t).sum())
                continue
            if td.spec.capacity is None:
                objective += td.spec.weight * float(td.pop[cov[name, t]].sum())
                continue
            served = sol.served.get((name, t))
            if served is None:
                continue
            if (served > td.pop * (1 + TOL) + 1e-6).any() or (served[~cov[name, t]] > 1e-6).any():
                rep.fail(f"{name} {prob.years[t]}: served residents outside reach")
            objective += td.spec.weight * float(served.sum())
    return objective


def _equity_failures(prob: MultiServiceProblem, sol: MultiSolution, cov: Coverage) -> list[str]:
    """Coverage floors per area, recomputed (presence floors are checked separately)."""
    out = []
    for e in prob.spec.equity:
        if e.min_share is None and e.min_ratio_to_area is None:
            continue
        td = prob.types[e.facility]
        t = prob.years.index(prob.spec.year_of(e.year))
        got = (
            sol.served.get((e.facility, t))
            if td.spec.capacity is not None
            else td.pop * cov[e.facility, t]
        )
        if got is None:
            continue
        area = prob.data.blocks[e.by].astype(str).to_numpy()
        frame = pd.DataFrame({"area": area, "pop": td.pop, "got": got})
        g = frame.groupby("area")[["pop", "got"]].sum()
        overall = float(g["got"].sum() / g["pop"].sum()) if g["pop"].sum() else 1.0
        share = g["got"] / g["pop"].where(g["pop"] > 0, 1.0)
        floor = 0.0
        if e.min_share is not None:
            floor = max(floor, e.min_share)
        if e.min_ratio_to_area is not None:
            floor = max(floor, e.min_ratio_to_area * overall)
        checked = share.index if not e.areas else share.index.intersection(e.areas)
        # Tolerance in people (solver feasibility is absolute on rows summing residents).
        slack = 1e-6 * max(1.0, float(g["pop"].sum()))
        bad = (g["got"] < floor * g["pop"] - slack) & (g["pop"] > 0)
        for a in checked[bad.reindex(checked).to_numpy()]:
            out.append(f"{e.facility}: {a} reaches {pct(share[a])}, floor {pct(floor)}")
    return out


def _check_claimed_coverage(
    prob: MultiServiceProblem, sol: MultiSolution, cov: Coverage, rep: VerifyReport
) -> None:
    """A written coverage table (final year) must match the recomputed coverage."""
    claimed = sol.coverage
    if not len(claimed) or "block_id" not in claimed.columns:
        return
    ids = pd.Index(prob.data.blocks["block_id"].astype(str))
    pos = ids.get_indexer(claimed["block_id"].astype(str))
    if (pos < 0).any():
        bad = claimed["block_id"].iloc[int(np.flatnonzero(pos < 0)[0])]
        rep.fail(f"coverage: block {bad!r} is not in the data")
        return
    last = prob.T - 1
    for name in prob.types:
        if name not in claimed.columns:
            continue
        said = claimed[name].astype(str).str.lower().isin(["true", "1", "1.0"]).to_numpy()
        truth = cov[name, last][pos]
        wrong = np.flatnonzero(said != truth)
        if wrong.size:
            rep.fail(f"coverage: block {claimed['block_id'].iloc[wrong[0]]!r} {name} claimed "
                     f"{'covered' if said[wrong[0]] else 'not covered'}, recomputed the other "
                     f"way ({wrong.size} blocks in all)")
