"""The multi-service model as a model object: build, start, solve, decode, verify, tabulate.

:class:`MultiService` follows the convention of every siting model: the
constructor stores the question (a validated :class:`~siting.multi.spec.Spec`),
:meth:`MultiService.solve` takes the data, a back end and
:class:`~siting.backends.base.SolveOptions`, and returns a result object with
its own status (:class:`~siting.multi.solution.MultiSolution`), verified by the
registered verifier (:mod:`siting.verify.plan`).

>>> from siting.multi import parse_spec
>>> MultiService(parse_spec({"meta": {"name": "x", "years": [2026]},
...     "facility": {"park": {"group": "pop_total", "radius_m": 500}}})).sense
'max'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.backends.base import Result, SolveOptions, Status, capabilities, get_backend
from siting.milp import MilpArrays, Sense
from siting.multi.data import ServiceData
from siting.multi.problem import MultiServiceProblem
from siting.multi.rows import Layout
from siting.multi.solution import FACILITY_COLUMNS, MultiSolution
from siting.multi.spec import Spec
from siting.solution import result_fields

FloatArray = NDArray[np.float64]


@dataclass
class MultiService:
    """Several facility types on shared parcels over years, as a spec asks (see module doc)."""

    spec: Spec
    name: ClassVar[str] = "multi-service"
    sense: ClassVar[Sense] = "max"

    def options(self) -> SolveOptions:
        """The solver options the spec asks for."""
        s = self.spec.solver
        return SolveOptions(time_limit=s.time_limit, mip_gap=s.mip_gap, threads=s.threads)

    def solve(
        self,
        data: ServiceData,
        solver: str | None = None,
        options: SolveOptions | None = None,
        *,
        verify: bool = True,
        explain: bool = True,
        reasons: bool = True,
    ) -> MultiSolution:
        """Build, solve, decode and verify; on infeasibility, explain in planners' words."""
        from siting.multi.explain import explain_infeasible, precheck
        from siting.multi.tables import requirement_table

        t0 = time.perf_counter()
        spec = self.spec
        opts = options or self.options()
        backend = solver or spec.solver.backend
        get_backend(backend)  # an unknown name is refused before any work
        prob = MultiServiceProblem(spec, data)
        t_data = time.perf_counter() - t0
        pre = precheck(prob)
        milp, lay = prob.build()
        t_build = time.perf_counter() - t0 - t_data
        stages: dict[str, Any] = {}
        run_opts = opts
        if prob.T > 1 and not pre and capabilities(backend).warm_start and opts.warm_start is None:
            start = staged_start(prob, milp, lay, backend, opts, stages)
            if start is not None:
                left = None if opts.time_limit is None else max(
                    opts.time_limit - (time.perf_counter() - t0), 0.2 * opts.time_limit
                )
                run_opts = replace(opts, warm_start=start, time_limit=left)
        result = get_backend(backend).solve(milp, run_opts)
        sol = decode(prob, lay, result)
        sol.stats.update(stages)
        sol.stats.update(
            data_s=round(t_data, 3), build_s=round(t_build, 3),
            solve_s=round(result.runtime_s, 3), columns=milp.num_cols, rows=milp.num_rows,
            nonzeros=int(milp.A.nnz), **reduction_stats(prob),
        )
        if result.status == Status.INFEASIBLE:
            sol.explanation = pre + (
                explain_infeasible(prob, backend, opts) if explain and not pre else []
            )
            sol.message = "; ".join(sol.explanation) or "the spec's requirements cannot all be met"
        if sol.status.has_solution:
            self.tabulate(prob, sol, verify=verify)
            if reasons:
                from siting.multi.reasons import plan_reasons

                t_reasons = time.perf_counter()
                sol.reasons = plan_reasons(prob, sol, backend, opts)
                sol.stats["reasons_s"] = round(time.perf_counter() - t_reasons, 3)
        else:
            from siting.multi.tables import baseline_table

            sol.baseline = baseline_table(prob)
            sol.targets = requirement_table(prob)
        sol.runtime_s = time.perf_counter() - t0
        sol.instance = data.source or (spec.meta.instance or "")
        sol.spec_data = spec.model_dump(mode="json")
        sol.notes = list(data.notes)
        return sol

    def tabulate(self, prob: MultiServiceProblem, sol: MultiSolution, *, verify: bool) -> None:
        """Verify the plan (when asked) and fill its tables from the recomputed coverage."""
        from siting.multi.tables import (
            PlanRows,
            baseline_table,
            budget_table,
            coverage_by_year,
            coverage_tables,
            target_table,
        )
        from siting.verify import verify_solution

        if verify:
            report = verify_solution(prob, self, sol)
            sol.accept(report, self.sense)
            cov = report.details["coverage"]
            sol.targets = report.details["targets"]
        else:
            cov = coverage_by_year(prob, sol)
            sol.targets = target_table(prob, PlanRows(sol.facilities, sol.closed), cov)
        sol.coverage, sol.by_subdistrict = coverage_tables(prob, cov)
        sol.budget = budget_table(sol.facilities)
        sol.baseline = baseline_table(prob)


def reduction_stats(prob: MultiServiceProblem) -> dict[str, int]:
    """Blocks and the groups they merge into, over every coverage family."""
    families = [td.family for td in prob.types.values()]
    families += [ind.family for ind in prob.indicators.values()]
    blocks = prob.n_blocks * len(families)
    groups = sum(f.size for f in families)
    return {"demand_rows": blocks, "rows_merged": blocks - groups, "sites_dropped": 0}


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
    for name in prob.types:
        chosen = np.round(r1.x[l1.w[name].slice])  # one year: one value per candidate
        upper[lay.w[name].slice] = np.minimum(upper[lay.w[name].slice], np.tile(chosen, prob.T))
        if name in lay.s:
            spaces = np.round(r1.x[l1.s[name].slice])
            sb = lay.s[name].slice
            upper[sb] = np.minimum(upper[sb], np.tile(spaces, prob.T))
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
    """The plan in the column values: one facility row per (type, parcel, year) built."""
    frames: list[pd.DataFrame] = []
    closed: list[Any] = []
    served: dict[tuple[str, int], FloatArray] = {}
    parcels = prob.data.parcels
    has_area = "subdistrict" in parcels.columns
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
                t, j = np.nonzero((built > 0.5) | (grown > 0.5))
                pos = td.cand[j]
                frames.append(pd.DataFrame({
                    "type": name,
                    "parcel_id": parcels["parcel_id"].to_numpy()[pos],
                    "year": np.asarray(prob.years)[t],
                    "count": np.maximum(built[t, j], 0).astype(int),
                    "spaces": np.maximum(grown[t, j], 0).astype(int),
                    "subdistrict": parcels["subdistrict"].to_numpy()[pos] if has_area else "",
                    "parcel_area_m2": prob.area[pos].astype(float),
                }))
            if td.spec.capacity is not None:
                fam = td.family
                z = x[lay.z[name].slice].reshape(prob.T, fam.size)
                member = fam.block_group >= 0
                for t_index in range(prob.T):
                    share = np.zeros(prob.n_blocks)
                    share[member] = np.clip(z[t_index, fam.block_group[member]], 0.0, 1.0)
                    served[name, t_index] = td.pop * share
            keep = np.round(x[lay.keep[name].slice])
            closed += list(prob.data.existing["facility_id"].iloc[td.existing[keep < 0.5]])
    columns = FACILITY_COLUMNS[:7]
    fac = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    if len(fac):
        fac = fac.sort_values(["type", "year", "parcel_id"], kind="stable").reset_index(drop=True)
    return MultiSolution(
        spec_name=prob.spec.meta.name,
        **result_fields(result),
        facilities=with_costs(prob, fac[columns]),
        closed=closed,
        served=served,
        note=estimate_note(prob.spec),
        data=prob.data,
    )


def estimate_note(spec: Spec) -> str:
    """What the result's numbers rest on that is estimated, in one sentence."""
    if spec.meta.estimated_note:
        return spec.meta.estimated_note
    return "costs and budgets are estimates" if spec.budget.estimated else ""


def with_costs(prob: MultiServiceProblem, fac: pd.DataFrame) -> pd.DataFrame:
    """Footprint and estimated cost of each facility row, from the spec and parcel data."""
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
