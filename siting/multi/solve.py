"""Solve a multi-service spec: decode, verify independently, explain infeasibility, write.

>>> from siting.multi.solve import pct
>>> pct(0.914)
'91.4%'
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.backends.base import (
    Result,
    SolveOptions,
    Status,
    capabilities,
    get_backend,
    relative_gap,
)
from siting.milp import MilpArrays
from siting.multi.data import ServiceData, uses_mask
from siting.multi.model import Layout, MultiServiceProblem
from siting.multi.spec import Spec
from siting.solution import write_atomic
from siting.verify import VerifyReport, accept_objective

FloatArray = NDArray[np.float64]
TOL = 1e-6


def pct(v: float) -> str:
    return f"{100 * v:.1f}%"


@dataclass
class MultiSolution:
    """Result of a multi-service solve, keyed by the user's ids (see :func:`solve_spec`)."""

    spec_name: str
    status: Status
    backend: str
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    facilities: pd.DataFrame  # type, parcel_id, year, count, spaces, footprint_m2, cost_est
    closed: list[Any]
    coverage: pd.DataFrame  # block_id, subdistrict, then one column per type (final year)
    by_subdistrict: pd.DataFrame
    targets: pd.DataFrame  # target, kind, year, required, reached, met, mode
    budget: pd.DataFrame  # year, type, cost_est
    baseline: pd.DataFrame  # type, share covered by existing facilities only
    verified: bool | None = None
    verification: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    #: Residents served per (type, year index) for capacitated types (claimed by the solver).
    served: dict[tuple[str, int], FloatArray] = field(default_factory=dict)
    #: Where the spec and the instance came from, and the validated spec itself, so that
    #: ``siting report`` and ``siting verify`` can rebuild this solution from its files.
    spec_path: str = ""
    instance: str = ""
    spec_data: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "spec": self.spec_name,
            "status": str(self.status),
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "runtime_s": round(self.runtime_s, 3),
            "backend": self.backend,
            "selected": list(
                dict.fromkeys(f"{r.type}@{r.parcel_id}" for r in self.facilities.itertuples())
            ),
            "n_facilities": int(self.facilities["count"].sum()) if len(self.facilities) else 0,
            "closed": [str(c) for c in self.closed],
            "verified": self.verified,
            "verification": self.verification,
            "explanation": self.explanation,
            "targets": self.targets.to_dict(orient="records"),
            "message": self.message,
            "stats": self.stats,
            "note": "costs, populations and parcels of the 回天 instance are estimates",
            "spec_path": self.spec_path,
            "instance": self.instance,
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), ensure_ascii=False, sort_keys=True, default=_plain)

    def write(self, out_dir: str | Path, data: ServiceData | None = None) -> list[Path]:
        """Write the summary, tables (CSV) and the chosen facilities (GeoPackage).

        ``solution.json`` also holds the validated spec (``spec_data``) and
        ``served.csv`` the residents served of capacitated types, which is what
        ``siting verify`` needs to re-check the solution from the files alone.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        summary = {**self.summary(), "spec_data": self.spec_data}
        paths = [
            write_atomic(
                out / "solution.json",
                json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True, default=_plain)
                + "\n",
            )
        ]
        if self.served:
            ids = None if data is None else data.blocks["block_id"].to_numpy()
            served = [
                pd.DataFrame(
                    {
                        "block_id": np.flatnonzero(v > 0) if ids is None else ids[v > 0],
                        "type": name,
                        "year_index": t,
                        "served": v[v > 0],
                    }
                )
                for (name, t), v in sorted(self.served.items())
            ]
            paths.append(
                write_atomic(
                    out / "served.csv",
                    pd.concat(served, ignore_index=True).to_csv(index=False, float_format="%.17g"),
                )
            )
        for name, frame in (
            ("facilities", self.facilities),
            ("coverage", self.coverage),
            ("subdistricts", self.by_subdistrict),
            ("targets", self.targets),
            ("budget", self.budget),
            ("baseline", self.baseline),
        ):
            paths.append(
                write_atomic(out / f"{name}.csv", frame.to_csv(index=False, float_format="%.6g"))
            )
        if data is not None and len(self.facilities):
            import geopandas as gpd

            geo = data.parcels.set_index(data.parcels["parcel_id"].astype(str)).geometry
            gdf = gpd.GeoDataFrame(
                self.facilities.copy(),
                geometry=geo.reindex(self.facilities["parcel_id"].astype(str)).to_numpy(),
                crs=data.parcels.crs,
            )
            target = out / "facilities.gpkg"
            tmp = out / ".facilities.tmp.gpkg"
            if tmp.exists():
                tmp.unlink()
            gdf.to_file(tmp, layer="facilities", driver="GPKG")
            tmp.replace(target)
            paths.append(target)
        return paths


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def solve_spec(
    spec: Spec,
    data: ServiceData | None = None,
    *,
    options: SolveOptions | None = None,
    backend: str | None = None,
    verify: bool = True,
    explain: bool = True,
) -> MultiSolution:
    """Build, solve, decode and verify; on infeasibility, explain in planners' words."""
    t0 = time.perf_counter()
    if data is None:
        from siting.data import load_service_data

        data = load_service_data(spec)
    opts = options or SolveOptions(
        time_limit=spec.solver.time_limit, mip_gap=spec.solver.mip_gap, threads=spec.solver.threads
    )
    name = backend or spec.solver.backend
    prob = MultiServiceProblem(spec, data)
    t_data = time.perf_counter() - t0
    pre = precheck(prob)
    milp, lay = prob.build()
    t_build = time.perf_counter() - t0 - t_data
    stages: dict[str, Any] = {}
    run_opts = opts
    if prob.T > 1 and not pre and capabilities(name).warm_start and opts.warm_start is None:
        start = staged_start(prob, milp, lay, name, opts, stages)
        if start is not None:
            left = (
                None
                if opts.time_limit is None
                else max(opts.time_limit - (time.perf_counter() - t0), 0.2 * opts.time_limit)
            )
            run_opts = replace(opts, warm_start=start, time_limit=left)
    result = get_backend(name).solve(milp, run_opts)
    sol = decode(prob, lay, result)
    sol.stats.update(stages)
    sol.stats.update(
        data_s=round(t_data, 3),
        build_s=round(t_build, 3),
        solve_s=round(result.runtime_s, 3),
        columns=milp.num_cols,
        rows=milp.num_rows,
        nonzeros=int(milp.A.nnz),
    )
    if result.status == Status.INFEASIBLE:
        sol.explanation = pre + (
            explain_infeasible(prob, name, opts) if explain and not pre else []
        )
        sol.message = "; ".join(sol.explanation) or "the spec's requirements cannot all be met"
    if verify and sol.status.has_solution:
        verify_multi(prob, sol)
    if not sol.status.has_solution:
        sol.baseline = baseline_table(prob)
        sol.targets = requirement_table(prob)
    sol.runtime_s = time.perf_counter() - t0
    sol.instance = data.source or spec.meta.instance
    sol.spec_data = spec.model_dump(mode="json")
    return sol


# ------------------------------------------------------------- warm start
def final_year_spec(spec: Spec) -> Spec:
    """The spec collapsed onto its last year: yearly quotas and budgets become totals."""
    one = spec.model_copy(deep=True)
    one.meta.years = [spec.meta.years[-1]]
    one.budget.per_year = {}
    for tgt in one.target:
        tgt.year = None
    for e in one.equity:
        e.year = None
    for f in one.facility.values():
        for quota in (f.count, f.min_count, f.max_count):
            yearly = {k: v for k, v in quota.items() if k != "total"}
            if yearly and "total" not in quota:
                quota.clear()
                quota["total"] = sum(yearly.values())
            else:
                for k in yearly:
                    del quota[k]
    return one


def staged_start(
    prob: MultiServiceProblem,
    milp: MilpArrays,
    lay: Layout,
    backend: str,
    opts: SolveOptions,
    stats: dict[str, Any],
) -> FloatArray | None:
    """A feasible start for the phased model, found in two smaller solves.

    1. Solve the final-year problem (quotas and budgets as totals): which parcels.
    2. Solve the phased problem restricted to those parcels: in which year.
    The phased solve then starts from that plan; its gap stays honest because
    its bound comes from the full model.
    """
    budget = opts.time_limit or 60.0
    one = MultiServiceProblem(final_year_spec(prob.spec), prob.data)
    m1, l1 = one.build()
    # The stages solve other objectives (final year only, fixed parcels): their
    # incumbents would read as jumps of the real one, so they report no progress.
    r1 = get_backend(backend).solve(m1, replace(opts, time_limit=0.4 * budget, progress=None))
    stats["stage1"] = {"status": str(r1.status), "objective": r1.objective, "s": r1.runtime_s}
    if r1.extra.get("interrupted"):
        raise KeyboardInterrupt  # Ctrl-C during the warm start stops the whole solve
    if not r1.status.has_solution or r1.x is None:
        return None
    upper = milp.col_upper.copy()
    for name, td in prob.types.items():
        J = td.n_cand
        chosen = np.round(r1.x[l1.w[name].slice])  # one year: J values
        blk = lay.w[name]
        upper[blk.slice] = np.minimum(upper[blk.slice], np.tile(chosen, prob.T))
        if name in lay.s:
            spaces = np.round(r1.x[l1.s[name].slice])
            sb = lay.s[name]
            upper[sb.slice] = np.minimum(upper[sb.slice], np.tile(spaces, prob.T))
        del J
    restricted = replace(milp, col_upper=upper)
    r2 = get_backend(backend).solve(
        restricted, replace(opts, time_limit=0.2 * budget, progress=None)
    )
    stats["stage2"] = {"status": str(r2.status), "objective": r2.objective, "s": r2.runtime_s}
    if r2.extra.get("interrupted"):
        raise KeyboardInterrupt  # Ctrl-C during the warm start stops the whole solve
    if not r2.status.has_solution or r2.x is None:
        return None
    return r2.x


# ------------------------------------------------------------------ decode
def decode(prob: MultiServiceProblem, lay: Layout, result: Result) -> MultiSolution:
    rows: list[dict[str, Any]] = []
    closed: list[Any] = []
    served: dict[tuple[str, int], FloatArray] = {}
    parcels = prob.data.parcels
    if result.status.has_solution and result.x is not None:
        x = result.x
        for name, td in prob.types.items():
            J = td.n_cand
            if J:
                w = np.round(x[lay.w[name].slice]).reshape(prob.T, J)
                s = np.round(x[lay.s[name].slice]).reshape(prob.T, J) if name in lay.s else None
                # One row per year in which something is built on the parcel: the model
                # charges each year for what is added that year (a lot may gain spaces
                # later), so rows are increments and their costs fall in their own year.
                built = np.diff(w, axis=0, prepend=0.0)
                grown = np.diff(s, axis=0, prepend=0.0) if s is not None else np.zeros_like(w)
                for t, j in zip(*np.nonzero((built > 0.5) | (grown > 0.5)), strict=True):
                    pos = td.cand[j]
                    rows.append(
                        {
                            "type": name,
                            "parcel_id": parcels["parcel_id"].iloc[pos],
                            "year": prob.years[t],
                            "count": int(max(built[t, j], 0)),
                            "spaces": int(max(grown[t, j], 0)),
                            "subdistrict": parcels["subdistrict"].iloc[pos]
                            if "subdistrict" in parcels.columns
                            else "",
                            "parcel_area_m2": float(prob.area[pos]),
                        }
                    )
            if td.spec.capacity is not None and td.family is not None:
                fam = td.family
                z = x[lay.z[name].slice].reshape(prob.T, fam.size)
                member = fam.block_group >= 0
                for t in range(prob.T):
                    share = np.zeros(prob.n_blocks)
                    share[member] = np.clip(z[t, fam.block_group[member]], 0.0, 1.0)
                    served[name, t] = td.pop * share
            keep = np.round(x[lay.keep[name].slice])
            closed += list(prob.data.existing["facility_id"].iloc[td.existing[keep < 0.5]])
    fac = pd.DataFrame(
        rows,
        columns=["type", "parcel_id", "year", "count", "spaces", "subdistrict", "parcel_area_m2"],
    )
    if len(fac):
        fac = fac.sort_values(["type", "year", "parcel_id"], kind="stable").reset_index(drop=True)
    fac = _with_costs(prob, fac)
    empty = pd.DataFrame()
    return MultiSolution(
        prob.spec.meta.name,
        result.status,
        result.backend,
        result.objective,
        result.bound,
        result.gap,
        result.runtime_s,
        fac,
        closed,
        empty,
        empty,
        empty,
        empty,
        empty,
        message=result.message,
        served=served,
    )


def _with_costs(prob: MultiServiceProblem, fac: pd.DataFrame) -> pd.DataFrame:
    """Footprint and estimated cost of each chosen facility, from the spec and parcel data."""
    fac = fac.copy()
    if not len(fac):
        fac["footprint_m2"] = pd.Series(dtype=float)
        fac["cost_est"] = pd.Series(dtype=float)
        return fac
    parcels = prob.data.parcels.set_index(prob.data.parcels["parcel_id"])
    foot, cost = [], []
    for r in fac.itertuples():  # one row per chosen facility, not per pair
        f = prob.spec.facility[r.type]
        area = float(parcels.at[r.parcel_id, "area_m2"])
        # r.count is 0 on a row that only adds parking spaces to an existing lot
        fp = (area if r.count else 0.0) if f.whole_parcel else f.footprint_m2 * r.count
        if f.sized:
            assert f.m2_per_space is not None
            fp += r.spaces * f.m2_per_space / f.levels * f.surface_share
        land = 0.0
        if f.land_cost and "land_cost_est" in parcels.columns:
            land = (
                float(parcels.at[r.parcel_id, "land_cost_est"])
                / max(area, 1.0)
                * (area if f.whole_parcel else f.footprint_m2)
                * r.count
            )
        foot.append(fp)
        cost.append(f.build_cost * r.count + land + f.cost_per_space * r.spaces)
    fac["footprint_m2"] = foot
    fac["cost_est"] = cost
    return fac


# ------------------------------------------------------------------ verify
def open_sites(prob: MultiServiceProblem, sol: MultiSolution, name: str, t: int) -> Any:
    """Shapes of the facilities of type ``name`` open in year index ``t``."""
    td = prob.types[name]
    fac = sol.facilities
    chosen = fac[(fac["type"] == name) & (fac["year"] <= prob.years[t])]
    pos = pd.Index(prob.data.parcels["parcel_id"]).get_indexer(chosen["parcel_id"])
    ex = prob.data.existing.iloc[td.existing]
    kept = ~ex["facility_id"].isin(sol.closed).to_numpy()
    return prob.data.site_geometries(pos.astype(np.int64), td.existing[kept])


def covered(
    prob: MultiServiceProblem, sol: MultiSolution, name: str, t: int, radius: float
) -> NDArray[np.bool_]:
    """Blocks within ``radius`` of an open facility of type ``name`` (second route)."""
    f = prob.spec.facility[name]
    d = prob.data.nearest_to_sites(
        prob.block_xy, open_sites(prob, sol, name, t), radius, prob.mode_of(f), f.access
    )
    return d <= radius * (1 + 1e-9)


def verify_multi(prob: MultiServiceProblem, sol: MultiSolution) -> None:
    """Recompute coverage, targets, budget, land, uses, years and counts from the data."""
    spec, fac, msgs = prob.spec, sol.facilities, []
    parcels = prob.data.parcels.set_index(prob.data.parcels["parcel_id"])
    # uses, availability, land
    for r in fac.itertuples():
        use = spec.facility[r.type].use or r.type
        if not uses_mask(pd.Series([parcels.at[r.parcel_id, "allowed_uses"]]), use)[0]:
            msgs.append(f"{r.type} on parcel {r.parcel_id}: use not allowed there")
        if int(parcels.at[r.parcel_id, "year_available"]) > r.year:
            msgs.append(
                f"{r.type} on parcel {r.parcel_id} opens {r.year}, before the parcel is "
                f"free ({int(parcels.at[r.parcel_id, 'year_available'])})"
            )
        f = spec.facility[r.type]
    if len(fac):
        per_parcel = fac.groupby(["type", "parcel_id"])["count"].sum()
        for (name, pid), n in per_parcel.items():
            if n > spec.facility[name].max_per_parcel:
                most = spec.facility[name].max_per_parcel
                msgs.append(f"{n} {name} on parcel {pid}, at most {most}")
        first = fac.sort_values("year", kind="stable").groupby(["type", "parcel_id"]).first()
        for (name, pid), r in first[first["count"] < 1].iterrows():
            msgs.append(f"{name} on parcel {pid}: extended in {r['year']} but never built")
    if len(fac):
        used = fac.groupby("parcel_id")["footprint_m2"].sum()
        area = parcels["area_m2"].reindex(used.index)
        for pid in used.index[used > area * (1 + TOL) + 1e-6]:
            msgs.append(
                f"parcel {pid}: footprints {used[pid]:.0f} m² exceed its {area[pid]:.0f} m²"
            )
    # counts per year
    for name, f in spec.facility.items():
        opened = fac[fac["type"] == name].groupby("year")["count"].sum()
        for key in set(f.count) | set(f.min_count) | set(f.max_count):
            got = int(opened.sum()) if key == "total" else int(opened.get(int(key), 0))
            lo = f.count.get(key, f.min_count.get(key, 0))
            hi = f.count.get(key, f.max_count.get(key, np.inf))
            if not lo <= got <= hi:
                msgs.append(f"{name}: {got} opened in {key}, required {lo}..{hi}")
        ex_type = prob.data.existing["type"].astype(str) == name
        n_closed = int(prob.data.existing.loc[ex_type, "facility_id"].isin(sol.closed).sum())
        allowed = 0 if f.existing == "keep" else f.max_close
        if n_closed > allowed:
            msgs.append(f"{name}: {n_closed} existing facilities closed, at most {allowed}")
        in_all = int(ex_type.sum()) - n_closed + int(fac.loc[fac["type"] == name, "count"].sum())
        if f.max_total is not None and in_all > f.max_total:
            msgs.append(f"{name}: {in_all} in all, at most {f.max_total}")
    # presence floors per area
    for e in spec.equity:
        if e.min_facilities is None:
            continue
        year = spec.year_of(e.year)
        new = fac[(fac["type"] == e.facility) & (fac["year"] <= year)]
        new_area = prob.data.parcels.set_index("parcel_id")[e.by].reindex(new["parcel_id"])
        ex = prob.data.existing
        kept = ex[(ex["type"].astype(str) == e.facility) & ~ex["facility_id"].isin(sol.closed)]
        counts = pd.concat([new_area.astype(str), kept[e.by].astype(str)]).value_counts()
        for area in e.areas or np.unique(prob.data.blocks[e.by].astype(str)):
            if counts.get(area, 0) < e.min_facilities:
                msgs.append(
                    f"{e.facility}: {area} has {counts.get(area, 0)}, at least "
                    f"{e.min_facilities} required"
                )
    # budget
    budget = fac.groupby("year")["cost_est"].sum() if len(fac) else pd.Series(dtype=float)
    if spec.budget.total is not None and budget.sum() > spec.budget.total * (1 + TOL) + 1:
        msgs.append(
            f"estimated cost {budget.sum():,.0f} exceeds the total budget {spec.budget.total:,.0f}"
        )
    for y, limit in spec.budget.per_year.items():
        if budget.get(int(y), 0.0) > limit * (1 + TOL) + 1:
            msgs.append(f"{y}: estimated cost {budget.get(int(y), 0.0):,.0f} exceeds {limit:,.0f}")
    # coverage per type and year, recomputed
    cov: dict[tuple[str, int], NDArray[np.bool_]] = {}
    for name, td in prob.types.items():
        for t in range(prob.T):
            cov[name, t] = covered(prob, sol, name, t, td.spec.radius_m)
    objective = 0.0
    years = range(prob.T) if spec.meta.objective == "years" else [prob.T - 1]
    served = sol.served
    for name, td in prob.types.items():
        for t in years:
            if td.spec.capacity is None:
                objective += td.spec.weight * float(td.pop[cov[name, t]].sum())
            else:
                s = served.get((name, t))
                if s is None:
                    continue
                if (s > td.pop * (1 + TOL) + 1e-6).any() or (s[~cov[name, t]] > 1e-6).any():
                    msgs.append(f"{name} {prob.years[t]}: served residents outside reach")
                objective += td.spec.weight * float(s.sum())
    msgs += _equity_failures(prob, sol, cov)
    targets = target_table(prob, sol, cov)
    for r in targets.itertuples():
        if r.mode == "constraint" and not r.met:
            msgs.append(f"target {r.target!r} not met: {r.reached_text} < {r.required_text}")
    # Only a recomputed objective worse than the claim fails: an incumbent's coverage
    # variables may sit below what its facilities cover (the plan is then better).
    check = VerifyReport(objective=objective)
    accept_objective(check, sol.objective, sol.bound, "max")
    msgs += check.messages
    if not msgs:
        sol.objective = objective
        if sol.bound is not None:
            sol.gap = relative_gap(objective, sol.bound, "max")
    sol.targets = targets
    sol.coverage, sol.by_subdistrict = coverage_tables(prob, cov)
    sol.budget = budget_table(fac)
    sol.baseline = baseline_table(prob)
    sol.verified = not msgs
    sol.verification = msgs


def _equity_failures(
    prob: MultiServiceProblem, sol: MultiSolution, cov: dict[tuple[str, int], NDArray[np.bool_]]
) -> list[str]:
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


def target_table(
    prob: MultiServiceProblem, sol: MultiSolution, cov: dict[tuple[str, int], NDArray[np.bool_]]
) -> pd.DataFrame:
    rows = []
    fac = sol.facilities
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
                    else covered(prob, sol, name, t, r)
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
        rows.append(
            {
                "target": tgt.name or f"{tgt.kind} {'+'.join(tgt.types())}",
                "kind": tgt.kind,
                "year": year,
                "required": required,
                "reached": reached,
                "required_text": rq,
                "reached_text": rc,
                "met": bool(met),
                "mode": tgt.mode,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "target",
            "kind",
            "year",
            "required",
            "reached",
            "required_text",
            "reached_text",
            "met",
            "mode",
        ],
    )


def requirement_table(prob: MultiServiceProblem) -> pd.DataFrame:
    """The target table without reached values (when there is no solution)."""
    rows = []
    for tgt in prob.spec.target:
        pctish = tgt.kind in ("coverage", "service_circle")
        req = tgt.share if pctish else tgt.at_least
        rows.append(
            {
                "target": tgt.name or f"{tgt.kind} {'+'.join(tgt.types())}",
                "kind": tgt.kind,
                "year": prob.spec.year_of(tgt.year),
                "required": req,
                "reached": np.nan,
                "required_text": pct(req or 0) if pctish else f"{req:,.0f}",
                "reached_text": "",
                "met": False,
                "mode": tgt.mode,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "target",
            "kind",
            "year",
            "required",
            "reached",
            "required_text",
            "reached_text",
            "met",
            "mode",
        ],
    )


def coverage_tables(
    prob: MultiServiceProblem, cov: dict[tuple[str, int], NDArray[np.bool_]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    blocks = prob.data.blocks
    last = prob.T - 1
    table = pd.DataFrame(
        {"block_id": blocks["block_id"].to_numpy(), "subdistrict": blocks["subdistrict"].to_numpy()}
    )
    per = []
    for name, td in prob.types.items():
        table[name] = cov[name, last]
        df = pd.DataFrame(
            {
                "subdistrict": table["subdistrict"],
                "pop": td.pop,
                "covered": td.pop * cov[name, last],
            }
        )
        g = df.groupby("subdistrict", sort=True)[["pop", "covered"]].sum()
        g["share"] = np.where(g["pop"] > 0, g["covered"] / g["pop"].where(g["pop"] > 0, 1), 1.0)
        g["type"] = name
        per.append(g.reset_index())
    by = pd.concat(per, ignore_index=True) if per else pd.DataFrame()
    return table, by[["subdistrict", "type", "pop", "covered", "share"]] if len(by) else by


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
        geoms = prob.data.site_geometries(np.zeros(0, dtype=np.int64), td.existing)
        d = prob.data.nearest_to_sites(
            prob.block_xy, geoms, td.spec.radius_m, prob.mode_of(td.spec), td.spec.access
        )
        cov = d <= td.spec.radius_m
        rows.append(
            {
                "type": name,
                "existing": int(td.existing.size),
                "baseline_share": float(td.pop[cov].sum() / td.pop.sum()) if td.pop.sum() else 1.0,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------- explain
def precheck(prob: MultiServiceProblem) -> list[str]:
    """Quick impossibilities, in planners' words (no solver needed)."""
    out = []
    for name, td in prob.types.items():
        f = td.spec
        cum_need = 0
        for t, y in enumerate(prob.years):
            need = f.count.get(str(y), f.min_count.get(str(y), 0))
            cum_need += need
            avail = int((td.avail_t <= t).sum()) * f.max_per_parcel
            if cum_need > avail:
                out.append(
                    f"{name}: {cum_need} must be open by {y} (quota {need} in {y}) but "
                    f"only {avail} allowed parcels are free by then"
                )
                break
        total = f.count.get("total", f.min_count.get("total", 0))
        if total > td.n_cand * f.max_per_parcel:
            out.append(
                f"{name}: {total} required in all but only "
                f"{td.n_cand * f.max_per_parcel} allowed parcels exist for it"
            )
    for tgt in prob.spec.target:
        if tgt.kind == "spaces" and tgt.mode == "constraint":
            assert tgt.at_least is not None
            t = prob.target_year_index(tgt.year)
            most = float(
                sum(prob.types[n].max_spaces[prob.types[n].avail_t <= t].sum() for n in tgt.types())
            )
            if most < tgt.at_least:
                out.append(
                    f"{tgt.name or 'parking spaces'} {tgt.at_least:,.0f} cannot be reached:"
                    f" at most {most:,.0f} spaces fit on every allowed parcel"
                )
    # budget against the cheapest way to open the required counts
    spec = prob.spec
    need_cost, parts = 0.0, []
    for name, td in prob.types.items():
        f = td.spec
        lo = sum(f.count.get(k, f.min_count.get(k, 0)) for k in set(f.count) | set(f.min_count))
        if lo and td.n_cand:
            unit = np.sort(np.repeat(td.cost, f.max_per_parcel))[:lo]
            need_cost += float(unit.sum())
            parts.append(f"{lo} {name} from {float(unit[0]):,.0f} each")
    if spec.budget.total is not None and need_cost > spec.budget.total * (1 + TOL):
        out.append(
            f"budget.total {spec.budget.total:,.0f} is below the {need_cost:,.0f} that the "
            f"required counts cost at least ({'; '.join(parts)})"
        )
    # each year's budget against that year's quotas, at the cheapest parcels free by then
    for t, y in enumerate(prob.years):
        limit = spec.budget.per_year.get(str(y))
        if limit is None:
            continue
        year_cost, year_parts = 0.0, []
        for name, td in prob.types.items():
            f = td.spec
            q = f.count.get(str(y), f.min_count.get(str(y), 0))
            costs_free = td.cost[td.avail_t <= t]
            if q and costs_free.size:
                unit = np.sort(np.repeat(costs_free, f.max_per_parcel))[:q]
                year_cost += float(unit.sum())
                year_parts.append(f"{q} {name} from {float(unit[0]):,.0f} each")
        if year_cost > limit * (1 + TOL):
            out.append(
                f"budget.per_year {y} {limit:,.0f} is below the {year_cost:,.0f} that the "
                f"quotas of {y} cost at least ({'; '.join(year_parts)})"
            )
    # presence floors against the facilities an area can hold
    for e in spec.equity:
        if e.min_facilities is None or e.by not in prob.data.parcels.columns:
            continue
        td = prob.types[e.facility]
        t = prob.years.index(spec.year_of(e.year))
        free = td.cand[td.avail_t <= t]
        room = (
            prob.data.parcels[e.by].astype(str).iloc[free].value_counts() * td.spec.max_per_parcel
        )
        ex = prob.data.existing
        kept = ex.iloc[td.existing][e.by].astype(str).value_counts() if e.by in ex else {}
        for area in e.areas or np.unique(prob.data.blocks[e.by].astype(str)):
            most = int(room.get(area, 0)) + int(kept.get(area, 0))
            if most < e.min_facilities:
                out.append(
                    f"{e.facility}: {e.by} {area} needs at least {e.min_facilities} but can hold "
                    f"at most {most} by {prob.years[t]} ({int(kept.get(area, 0))} existing, "
                    f"{int(room.get(area, 0))} on allowed parcels free by then)"
                )
    return out


def explain_infeasible(prob: MultiServiceProblem, backend: str, opts: SolveOptions) -> list[str]:
    """Planner-worded reasons: targets unreachable even alone, then conflicting ones.

    First each target is maximised with every other target dropped (quotas,
    budget and equity kept): a target whose best value falls short is reported
    with that value. If each is reachable alone, each is maximised with the
    others kept, which names the targets that conflict.
    """
    short = SolveOptions(
        time_limit=max(5.0, (opts.time_limit or 60.0) / 4), mip_gap=1e-4, threads=opts.threads
    )
    live = [k for k, t in enumerate(prob.spec.target) if t.mode == "constraint"]
    everything = frozenset(live)
    alone = _short_targets(
        prob, backend, short, live, lambda k: everything, "under the quotas and budget"
    )
    if alone:
        return alone
    together = _short_targets(
        prob, backend, short, live, lambda k: frozenset({k}), "while the other targets are met"
    )
    if together:
        return together
    floors = _short_floors(prob, backend, short)
    if floors:
        return floors
    for what, kwargs in (
        ("the budget", {"drop_budget": True}),
        ("the equity floors", {"drop_equity": True}),
    ):
        milp, _ = prob.build(**kwargs)  # type: ignore[arg-type]
        res = get_backend(backend).solve(milp, short)
        if res.status.has_solution:
            return [
                f"{what} cannot be met together with the targets: without {what} the "
                "spec is feasible"
            ]
    return [
        "the targets, quotas and budget cannot all be met together; relax one at a time "
        "to find the binding combination"
    ]


def _short_floors(prob: MultiServiceProblem, backend: str, opts: SolveOptions) -> list[str]:
    """Areas whose coverage floor cannot be reached, with the best share each can reach
    (every floor dropped, targets and quotas kept)."""
    out = []
    for e in prob.spec.equity:
        if e.min_share is None and e.min_ratio_to_area is None:
            continue
        areas = e.areas or sorted(set(prob.data.blocks[e.by].astype(str)))
        milp, lay = prob.build(drop_equity=True)
        for area in areas:
            c, const, residents = prob.area_coverage_objective(
                milp, lay, e.facility, e.by, area, e.year
            )
            if residents <= 0:
                continue
            res = get_backend(backend).solve(replace(milp, c=c, offset=const), opts)
            if not res.status.has_solution:
                continue
            best = (res.bound if res.bound is not None else res.objective) or 0.0
            share = best / residents
            if e.min_share is not None and share < e.min_share - 1e-9:
                out.append(
                    f"{e.facility} in {area}: floor {pct(e.min_share)} cannot be "
                    f"reached: at most {pct(share)} under the targets, quotas and budget"
                )
    return out


def _short_targets(
    prob: MultiServiceProblem,
    backend: str,
    opts: SolveOptions,
    live: list[int],
    dropped: Any,
    context: str,
) -> list[str]:
    out = []
    for k in live:
        tgt = prob.spec.target[k]
        milp, _ = prob.build(drop=dropped(k), objective=k)
        res = get_backend(backend).solve(milp, opts)
        if not res.status.has_solution:
            continue
        required = prob.target_required(k)
        best = res.bound if res.bound is not None else res.objective
        assert best is not None
        if best >= required - 1e-6:
            continue
        label = tgt.name or f"{tgt.kind} {'+'.join(tgt.types())}"
        if tgt.kind in ("coverage", "service_circle"):
            total = required / tgt.share if tgt.share else 1.0
            out.append(
                f"{label} cannot be reached: at most {pct(best / total)} with every "
                f"allowed parcel {context}"
            )
        else:
            out.append(f"{label} cannot be reached: at most {best:,.0f} {context}")
    return out
