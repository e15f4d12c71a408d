"""Infeasibility explained in planners' words: quick impossibilities, then re-solves.

:func:`precheck` finds what needs no solver (a quota above the parcels free by
then, a budget below the cheapest required facilities, a spaces target above
what fits). :func:`explain_infeasible` re-solves with one requirement relaxed
at a time and reports the best value each can reach.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import numpy as np

from siting.backends.base import SolveOptions, get_backend
from siting.multi.problem import MultiServiceProblem
from siting.multi.rows import build
from siting.multi.solution import pct
from siting.multi.targets import area_coverage_objective

TOL = 1e-6


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
    for what, budget in (("the budget", True), ("the equity floors", False)):
        milp, _ = build(prob, drop_budget=budget, drop_equity=not budget)
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
        milp, lay = build(prob, drop_equity=True)
        for area in areas:
            c, const, residents = area_coverage_objective(
                prob, milp, lay, e.facility, e.by, area, e.year
            )
            if residents <= 0:
                continue
            floor = None if e.min_share is None else e.min_share * residents
            res = get_backend(backend).solve(
                replace(milp, c=c, offset=const),
                opts if floor is None else decided_at(floor, opts),
            )
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
        milp, _ = build(prob, drop=dropped(k), objective=k)
        required = prob.target_required(k)
        res = get_backend(backend).solve(milp, decided_at(required, opts))
        if not res.status.has_solution:
            continue
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


def decided_at(required: float, opts: SolveOptions) -> SolveOptions:
    """``opts`` for a target maximised to see whether it reaches ``required``: the solve
    stops once that is decided, by a plan reaching it or by a bound below it (a back
    end with progress and cancel; others run to their end). The bound then reported
    is still a bound ("at most"), from a shorter search: on 回天 2026-2030 with the
    budgets x 0.6 and radii x 0.8 the three such MIPs took 30, 11 and 11 s to their
    end, and stop at 28, 5 and 4 s (the first one's root LP is the time).

    >>> opts = decided_at(5.0, SolveOptions())
    >>> opts.progress(3.0, 7.0, None); opts.cancel.is_set()
    False
    >>> opts.progress(None, 4.0, None); opts.cancel.is_set()  # out of reach
    True
    >>> opts = decided_at(5.0, SolveOptions())
    >>> opts.progress(5.0, 9.0, None); opts.cancel.is_set()  # reached
    True
    """
    cancel = threading.Event()

    def progress(incumbent: float | None, bound: float | None, gap: float | None) -> None:
        if incumbent is not None and incumbent >= required - TOL:
            cancel.set()  # reached: its bound is at least as high
        elif bound is not None and bound < required - TOL:
            cancel.set()  # out of reach: the bound says so already

    return replace(opts, progress=progress, cancel=cancel)
