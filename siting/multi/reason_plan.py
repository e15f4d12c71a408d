"""The reasons of a plan as a whole: why a plan builds nothing (:func:`nothing_built`), each
plan target's line (:func:`target_reasons`), and the share a type could reach at most
(:func:`ceiling_share`); :mod:`siting.multi.reasons` adds each type's re-planned reason.

>>> TIGHT_SHARE
0.005
"""

from __future__ import annotations

from typing import Any

import numpy as np

from siting.multi.problem import MultiServiceProblem
from siting.multi.reason_words import _pct
from siting.multi.solution import MultiSolution, money, target_title
from siting.multi.types import TypeData

__all__ = ["TIGHT_SHARE", "ceiling_share", "nothing_built", "target_reasons"]


def ceiling_share(td: TypeData) -> float:
    """The share within reach if every allowed parcel (and existing facility) were open."""
    reach = np.diff(td.coverage.indptr) > 0
    total = float(td.pop.sum())
    return float(td.pop[reach].sum() / total) if total > 0 else 1.0


def _quota_allows_none(f: Any, years: list[int], existing: int) -> bool:
    """The type's quotas allow no new facility at all."""
    zero_years = all(
        f.max_count.get(str(y)) == 0 or f.count.get(str(y)) == 0 for y in years
    )
    kept_full = f.max_total is not None and f.existing == "keep" and f.max_total <= existing
    return f.max_count.get("total") == 0 or f.count.get("total") == 0 or zero_years or kept_full


def nothing_built(prob: MultiServiceProblem, sol: MultiSolution) -> str | None:
    """Why a plan with a solution builds nothing, in one line (None when it builds)."""
    from siting.multi.funnel import causes_text, either, parcel_funnel, use_names, uses_seen
    if not sol.status.has_solution or len(sol.facilities):
        return None
    spec, data = prob.spec, prob.data
    head = "no new facility: "
    open_types = {n: td for n, td in prob.types.items() if td.n_cand}
    if not open_types:
        funnels = {n: parcel_funnel(spec, data, n) for n in prob.types}
        if all(fun.by_use == 0 for fun in funnels.values()):
            listed = either(list(prob.types))
            seen = uses_seen(use_names(data.parcels["allowed_uses"]), limit=4)
            return f"{head}no parcel allows {listed} (uses seen: {seen})"
        return head + causes_text(spec, funnels)
    budget, currency = spec.budget, spec.budget.currency
    years = [str(y) for y in prob.years]
    limits = [budget.total] if budget.total is not None else []
    if set(years) <= set(budget.per_year):
        limits.append(max(budget.per_year[y] for y in years))
    unit = {
        n: float(td.cost.min()) + td.spec.cost_per_space * (td.spec.min_spaces if td.spec.sized
                                                            else 0)
        for n, td in open_types.items()
    }
    cheapest = min(unit, key=lambda n: unit[n])
    if limits and min(limits) <= 0 and unit[cheapest] > 0:
        return f"{head}the budget ({money(0, currency)}) allows none"
    if limits and unit[cheapest] > min(limits):
        return (f"{head}the budget ({money(min(limits), currency)}) is below the cheapest new "
                f"facility ({cheapest}, {money(unit[cheapest], currency)})")
    if all(_quota_allows_none(td.spec, prob.years, td.existing.size)
           for td in open_types.values()):
        return f"{head}the quotas (count, max_count, max_total) allow none"
    base = dict(zip(sol.baseline["type"], sol.baseline["baseline_share"], strict=False))
    if all(ceiling_share(td) <= float(base.get(n, 0.0)) + 1e-12 for n, td in open_types.items()):
        if all(float(base.get(n, 0.0)) >= 1 - 1e-12 for n in open_types):
            return f"{head}every type already reaches all of its group with existing facilities"
        return (f"{head}no allowed parcel would bring anyone new within reach: the existing "
                "facilities already reach all that can be reached")
    met = not len(sol.targets) or bool(sol.targets["met"].astype(bool).all())
    if met and all(spec.facility[n].weight == 0 for n in open_types):
        return f"{head}every type is already at its target with existing facilities"
    return f"{head}none adds to the objective within the budget, quotas and targets"


#: A met target within this of its required share (or 1% of a count) leaves no room.
TIGHT_SHARE = 0.005


def target_reasons(sol: MultiSolution) -> list[dict[str, Any]]:
    """For each plan target: binding (met with no room to spare, so it shapes the plan),
    met with a margin, or not met (reported only), from the recomputed target table."""
    out = []
    for r in sol.targets.to_dict(orient="records") if len(sol.targets) else []:
        if not str(r.get("reached_text") or ""):
            continue
        share = r["kind"] in ("coverage", "service_circle")
        required, reached = float(r["required"]), float(r["reached"])
        room = reached - required
        tight = room <= (TIGHT_SHARE if share else max(0.01 * required, 0.5))

        def show(v: float, share: bool = share) -> str:
            return _pct(v) if share else f"{v:,.0f}"

        name = target_title(str(r["target"]))
        if r["mode"] == "constraint":
            state = "binding" if tight else "met"
            text = (
                f"{name}: binding, met with no room to spare ({show(reached)} of the "
                f"{show(required)} required): it shapes the plan"
                if tight
                else f"{name}: met with room to spare ({show(reached)}, {show(required)} "
                "required): not what holds the plan"
            )
        elif bool(r["met"]):
            state, text = "met", f"{name}: met ({show(reached)}; reported, not enforced)"
        else:
            state = "not met"
            text = (
                f"{name}: not met, {show(reached)} of {show(required)} (reported, not "
                "enforced: the plan is not asked to reach it; make it a constraint to see "
                "whether it can be)"
            )
        out.append({"kind": "target", "target": name, "year": int(r["year"]), "state": state,
                    "text": text})
    return out
