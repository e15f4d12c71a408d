"""What binds a plan: for a facility type whose coverage stays low, which limit holds it.

For each type analysed, the other types are held as the plan builds them and
this type alone is re-planned: a one-type model (its own candidates, what the
plan leaves of the budget in each year and of the land on each parcel, its
quotas and the years its parcels become free) maximising the residents of its
group within reach in the final year. That model is solved once as it stands
and once with each limit lifted in turn:

- ``budget``: no yearly or total budget;
- ``quota``: no ``count`` / ``max_count`` / ``max_total`` ceiling;
- ``land``: the parcels' whole area, as if the other types took none;
- ``phasing``: every parcel free from the first year (``year_available``).

A limit that provably cannot bind (:mod:`siting.multi.reason_slack`: the model's
other limits keep every plan within it) is not re-solved: lifting it leaves the
model's plans, so its best share, as they are. A limit *binds* when lifting it alone
raises the type's coverage by at least :data:`MIN_GAIN`. What no limit can change is
said too: the residents with no allowed parcel (nor an existing facility) within
reach, from the coverage matrix (``reach``). Coverage here is residents within reach, the share the
tables report; a capacitated type is re-planned without its capacity.

A type that no parcel allows (its use, its footprint or its years) is not
re-planned: its reason is that cause (:func:`siting.multi.funnel.type_cause`),
never distance. A plan that builds nothing says why in one line first
(:func:`~siting.multi.reason_plan.nothing_built`).

Each plan target gets a line too (:func:`~siting.multi.reason_plan.target_reasons`):
an enforced target met with no room to spare binds the plan; one met with room
does not; a reported target not met is said with how far it falls short.

Why re-solves and not duals: the multi-service model is a MILP whose LP
relaxation opens fractions of facilities, so its duals describe fractional
plans, not the plan found, and HiGHS returns none for a MIP. A one-type model
with the others fixed solves in well under a second (the full model takes
minutes), so each limit can be lifted and measured directly, in residents.

>>> MIN_GAIN
0.005
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from siting.backends.base import SolveOptions, Status, Tuning, get_backend
from siting.milp import MilpArrays
from siting.multi.problem import MultiServiceProblem
from siting.multi.reason_plan import TIGHT_SHARE, ceiling_share, nothing_built, target_reasons
from siting.multi.reason_slack import slack_limits
from siting.multi.reason_words import (
    LIMITS,
    MIN_GAIN,
    WORDS,
    quota_ceiling,
    quota_words,
    reason_text,
)
from siting.multi.rows import build
from siting.multi.side_by_side import map_widening, short_switches
from siting.multi.solution import MultiSolution
from siting.multi.spec import Spec
from siting.multi.types import TypeData

__all__ = [
    "LIMITS",
    "LOW_GAIN",
    "MIN_GAIN",
    "SOLVE_S",
    "TIGHT_SHARE",
    "WORDS",
    "ceiling_share",
    "land_used",
    "low_types",
    "no_parcel_reason",
    "nothing_built",
    "one_type_spec",
    "plan_reasons",
    "plan_shares",
    "quota_ceiling",
    "quota_lifted",
    "quota_words",
    "reason_text",
    "spent_by_year",
    "target_reasons",
    "type_reason",
]

#: Types whose coverage with the plan stays below their baseline plus this are analysed.
LOW_GAIN = 0.10
#: Each one-type re-solve stops after this many seconds (it needs far less).
SOLVE_S = 10.0


def low_types(
    sol: MultiSolution, margin: float = LOW_GAIN, shares: dict[str, float] | None = None,
) -> list[str]:
    """Types whose coverage with the plan stays below their baseline plus ``margin``
    (``shares``: :func:`plan_shares` of ``sol`` when the caller has them)."""
    shares = plan_shares(sol) if shares is None else shares
    base = dict(zip(sol.baseline["type"], sol.baseline["baseline_share"], strict=False))
    return [t for t, s in shares.items() if t in base and s < float(base[t]) + margin - 1e-12]


def plan_shares(sol: MultiSolution) -> dict[str, float]:
    """Each type's share of its group within reach in the final year (recomputed tables)."""
    by = sol.by_subdistrict
    if not len(by):
        return {}
    g = by.groupby("type", sort=False)[["pop", "covered"]].sum()
    pop, covered = g["pop"].to_numpy(dtype=float), g["covered"].to_numpy(dtype=float)
    share = np.divide(covered, pop, out=np.ones_like(pop), where=pop > 0)
    return {str(t): float(v) for t, v in zip(g.index, share, strict=True)}


def spent_by_year(prob: MultiServiceProblem, fac: pd.DataFrame, skip: str) -> dict[int, float]:
    """What the plan spends per year on every type but ``skip``."""
    other = fac[fac["type"] != skip]
    spent = other.groupby("year")["cost_est"].sum() if len(other) else pd.Series(dtype=float)
    return {y: float(spent.get(y, 0.0)) for y in prob.years}


def one_type_spec(prob: MultiServiceProblem, sol: MultiSolution, name: str) -> Spec:
    """The spec of ``name`` alone, with the budget the plan leaves after the other types."""
    spec = prob.spec
    spent = spent_by_year(prob, sol.facilities, name)
    one = spec.model_copy(deep=True)
    one.facility = {name: one.facility[name]}
    one.facility[name].capacity = None  # coverage = residents within reach, as reported
    one.target = []
    one.equity = []
    one.meta.objective = "final"
    one.budget.per_year = {
        y: max(v - spent.get(int(y), 0.0), 0.0) for y, v in spec.budget.per_year.items()
    }
    if spec.budget.total is not None:
        one.budget.total = max(spec.budget.total - sum(spent.values()), 0.0)
    return one


def land_used(prob: MultiServiceProblem, fac: pd.DataFrame, skip: str) -> np.ndarray:
    """Land (m²) the plan's other types take on each parcel (positions of the parcels)."""
    used = np.zeros(len(prob.area))
    other = fac[fac["type"] != skip]
    if len(other):
        pos = pd.Index(prob.data.parcels["parcel_id"]).get_indexer(other["parcel_id"])
        ok = pos >= 0
        np.add.at(used, pos[ok], other["footprint_m2"].to_numpy(dtype=float)[ok])
    return used


def _solve_share(
    milp: MilpArrays, td: TypeData, backend: str, opts: SolveOptions,
    *, used: np.ndarray | None, area: np.ndarray, drop_budget: bool = False,
    proven: list[bool] | None = None, plans: list[np.ndarray] | None = None,
) -> float | None:
    """Best final-year share of the one-type model ``milp`` (``used``: land already taken;
    ``drop_budget``: its budget rows lifted; ``proven`` hears whether it is optimal).

    ``plans`` holds the first solve's plan, the start of the later ones: every later
    model lifts limits of the first, so that plan is one of its plans (HiGHS checks
    it). On 回天 2026-2030 with budgets x 0.4, underground parking's re-solve with
    phasing lifted took 4.0 s from no start and 1.6-1.8 s from it."""
    upper = milp.row_upper.copy()
    for blk in milp.row_blocks:
        if used is not None and blk.name == "land" and blk.size == td.n_cand:
            upper[blk.slice] = np.maximum(area[td.cand] - used[td.cand], 0.0)
        if drop_budget and blk.name.startswith("budget_"):
            upper[blk.slice] = np.inf  # the same model as one built without budget rows
    if plans and plans[0].size == milp.num_cols:
        opts = replace(opts, warm_start=plans[0])
    res = get_backend(backend).solve(replace(milp, row_upper=upper), opts)
    if plans is not None and not plans and res.status.has_solution and res.x is not None:
        plans.append(res.x)
    if res.extra.get("interrupted"):  # Ctrl-C caught by the solve: no more re-solves
        raise KeyboardInterrupt
    if proven is not None:
        proven.append(res.status == Status.OPTIMAL)
    if not res.status.has_solution or res.objective is None:
        return None
    total = float(td.pop.sum())
    return float(res.objective) / total if total > 0 else 1.0


def _solve_lifted(
    one: MultiServiceProblem, td: TypeData, backend: str, opts: SolveOptions,
    used: np.ndarray, keys: frozenset[str], built: dict[tuple[bool, bool], MilpArrays],
    proven: list[bool] | None = None, plans: list[np.ndarray] | None = None,
) -> float | None:
    """The one-type model's best share with the limits ``keys`` lifted (then put back).

    Only the quota changes the model's rows; the arrays with and without it are
    built once (``built``), the phasing is the facilities' column bounds
    (:func:`every_parcel_free`), the budget and land limits are row bounds.
    """
    shape = ("quota" in keys, "phasing" in keys)
    _build_lifted(one, td, shape[0], built)
    if shape not in built:
        built[shape] = every_parcel_free(built[shape[0], False], td)
    return _solve_share(
        built[shape], td, backend, opts, used=None if "land" in keys else used,
        area=one.area, drop_budget="budget" in keys, proven=proven, plans=plans,
    )


def _build_lifted(
    one: MultiServiceProblem, td: TypeData, quota: bool,
    built: dict[tuple[bool, bool], MilpArrays],
) -> None:
    """Build the one-type model's arrays, its quota ceilings lifted when ``quota`` (from
    the arrays as they stand when :func:`quota_lifted` can)."""
    f = td.spec
    if (quota, False) in built:
        return
    if quota:
        _build_lifted(one, td, False, built)
        lifted = quota_lifted(built[False, False], td)
        if lifted is not None:
            built[True, False] = lifted
            return
    saved = (f.count, f.min_count, f.max_count, f.max_total)
    try:
        if quota:
            f.min_count = {**f.min_count, **f.count}  # floors stay, ceilings go
            f.count, f.max_count, f.max_total = {}, {}, None
        built[quota, False] = build(one)[0]
    finally:
        f.count, f.min_count, f.max_count, f.max_total = saved


def quota_lifted(milp: MilpArrays, td: TypeData) -> MilpArrays | None:
    """The one-type model ``milp`` with its quota ceilings lifted, when every quota row
    keeps a floor (a ``count`` or ``min_count`` of its year or total) and there is no
    ``max_total``: the arrays :func:`siting.multi.rows.build` gives with the ceilings
    lifted are then those rows with no upper bound. None otherwise (a ceiling alone is
    no row once lifted: the model is built again)."""
    f = td.spec
    if f.max_total is not None or set(f.max_count) - set(f.count) - set(f.min_count):
        return None
    rows = {f"count_{td.name}_{key}" for key in set(f.count) | set(f.min_count)}
    upper = milp.row_upper.copy()
    for blk in milp.row_blocks:
        if blk.name in rows:
            upper[blk.slice] = np.inf
    return replace(milp, row_upper=upper)


def every_parcel_free(milp: MilpArrays, td: TypeData) -> MilpArrays:
    """The one-type model ``milp`` with every parcel free from the first year: the
    arrays :func:`siting.multi.rows.build` gives with ``td.avail_t`` all 0 (the years
    a parcel becomes free only bound its facilities' columns)."""
    upper = milp.col_upper.copy()
    upper[milp.block(f"w_{td.name}").slice] = float(td.spec.max_per_parcel)
    return replace(milp, col_upper=upper)


def type_reason(
    prob: MultiServiceProblem, sol: MultiSolution, name: str, backend: str, opts: SolveOptions,
    shares: dict[str, float] | None = None,
) -> dict[str, Any]:
    """What holds type ``name``'s coverage (see the module docstring), as a JSON-ready row
    (``shares``: :func:`plan_shares` of ``sol`` when the caller has them)."""
    spec = prob.spec
    f = spec.facility[name]
    shares = plan_shares(sol) if shares is None else shares
    if not prob.types[name].n_cand:
        return no_parcel_reason(prob, sol, name, shares)
    one = MultiServiceProblem(one_type_spec(prob, sol, name), prob.data, reuse=prob)
    td = one.types[name]
    used = land_used(prob, sol.facilities, name)
    share = shares.get(name, float("nan"))
    base = dict(zip(sol.baseline["type"], sol.baseline["baseline_share"], strict=False))
    ceiling = ceiling_share(td)
    lifts = [k for k in LIMITS if k != "phasing" or (td.avail_t > 0).any()]

    built: dict[tuple[bool, bool], MilpArrays] = {}

    def lifted(keys: frozenset[str]) -> float | None:
        return _solve_lifted(one, td, backend, opts, used, keys, built, plans=plans)

    proven: list[bool] = []
    plans: list[np.ndarray] = []  # the model as it is: its plan starts the lifted ones
    as_is = _solve_lifted(one, td, backend, opts, used, frozenset(), built, proven, plans)
    # a limit that provably cannot bind leaves the model's plans, so its best, as they are
    slack = slack_limits(one, td, built[False, False], np.maximum(
        one.area[td.cand] - used[td.cand], 0.0)) if proven[0] else frozenset()
    relaxed: dict[str, float | None] = {
        k: as_is if k in slack else lifted(frozenset({k})) for k in lifts
    }
    start = as_is if as_is is not None else share

    def gains(v: float | None) -> bool:
        return v is not None and v - start >= MIN_GAIN

    binds = [k for k in lifts if gains(relaxed[k])]
    together: list[list[str]] = []
    if not binds:
        relaxed["all"] = lifted(frozenset(lifts))
        if gains(relaxed["all"]):
            # no limit alone holds the type back, so two hold it together
            for pair in itertools.combinations(lifts, 2):
                key = "+".join(pair)
                relaxed[key] = lifted(frozenset(pair))
                if gains(relaxed[key]):
                    together.append(list(pair))
            if not together:
                together.append(list(lifts))
    if ceiling < 1.0 - MIN_GAIN:
        binds.append("reach")
    left = one.spec.budget
    row = {
        "kind": "type",
        "type": name,
        "label": f.label or name,
        "group": f.group,
        "radius_m": f.radius_m,
        "radius_unit": f.radius_unit,
        "year": prob.years[-1],
        "share": share,
        "baseline": float(base.get(name, float("nan"))),
        "reachable_now": as_is,
        "ceiling": ceiling,
        "relaxed": relaxed,
        "binds": binds,
        "together": together,
        "built": int(sol.facilities.loc[sol.facilities["type"] == name, "count"].sum())
        if len(sol.facilities) else 0,
        "existing": int(td.existing.size),
        "plan_gap": sol.gap if sol.gap is not None and sol.gap > spec.solver.mip_gap else None,
        "budget_left": left.total,
        "budget_left_by_year": dict(left.per_year),
    }
    row["text"] = reason_text(row, spec)
    return row


def no_parcel_reason(
    prob: MultiServiceProblem, sol: MultiSolution, name: str,
    shares: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The reason of a type that no parcel allows: that cause, with no re-solve
    (``shares``: :func:`plan_shares` of ``sol`` when the caller has them)."""
    from siting.multi.funnel import parcel_funnel, type_cause

    spec = prob.spec
    f = spec.facility[name]
    base = dict(zip(sol.baseline["type"], sol.baseline["baseline_share"], strict=False))
    row: dict[str, Any] = {
        "kind": "type", "type": name, "label": f.label or name, "group": f.group,
        "radius_m": f.radius_m, "year": prob.years[-1],
        "share": (plan_shares(sol) if shares is None else shares).get(name, float("nan")),
        "baseline": float(base.get(name, float("nan"))), "reachable_now": None,
        "ceiling": ceiling_share(prob.types[name]), "relaxed": {}, "binds": ["parcels"],
        "together": [], "built": 0, "plan_gap": None, "budget_left": spec.budget.total,
        "budget_left_by_year": dict(spec.budget.per_year),
        "cause": type_cause(spec, name, parcel_funnel(spec, prob.data, name)),
    }
    row["text"] = reason_text(row, spec)
    return row


def plan_reasons(
    prob: MultiServiceProblem,
    sol: MultiSolution,
    backend: str,
    opts: SolveOptions,
    types: list[str] | None = None,
    *,
    one_at_a_time: bool = False,
    widen: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """The reasons of every type in ``types``; by default, first why nothing is built
    when nothing is (:func:`nothing_built`, kind ``plan``), those of :func:`low_types`,
    then a line per plan target (:func:`target_reasons`).

    Two types are re-planned at a time unless ``opts.threads`` is set or
    ``one_at_a_time`` (another solve has the second core) and ``widen``, when given, is
    not yet set (that solve ended: :func:`~siting.multi.side_by_side.map_widening`);
    the rows are the same."""
    line = nothing_built(prob, sol) if types is None else None
    head = [{"kind": "plan", "text": line}] if line else []
    if not sol.status.has_solution or not len(sol.by_subdistrict):
        return head
    cancel = threading.Event()
    short = SolveOptions(
        time_limit=min(SOLVE_S, opts.time_limit or SOLVE_S), mip_gap=1e-4, threads=opts.threads,
        seed=opts.seed, cancel=cancel, tuning=frozenset({Tuning.NO_PROBING}),
    )
    shares = plan_shares(sol)  # read by every type's row: summed once
    wanted = [n for n in (low_types(sol, shares=shares) if types is None else types)
              if n in prob.types]
    if opts.threads is None and widen is not None and len(wanted) >= 2:
        rows = largest_first(prob, wanted, lambda names: map_widening(
            lambda n: type_reason(prob, sol, n, backend, short, shares), names, widen, cancel))
    elif opts.threads is not None or one_at_a_time or len(wanted) < 2:
        rows = [type_reason(prob, sol, name, backend, short, shares) for name in wanted]
    else:
        # Two types at a time: each type's re-solves are its own, so the rows are the
        # sequential ones (not when threads is set: that rebuilds HiGHS's one pool).
        with short_switches(), ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="siting-reasons"
        ) as pool:
            try:
                rows = largest_first(prob, wanted, lambda names: list(pool.map(
                    lambda n: type_reason(prob, sol, n, backend, short, shares), names)))
            except KeyboardInterrupt:
                cancel.set()
                raise
    return [*head, *rows, *target_reasons(sol)] if types is None else rows


def largest_first(
    prob: MultiServiceProblem, names: list[str],
    work: Callable[[list[str]], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """``work(names)`` (rows in the order given) with the types handed to it largest one-type
    model first (candidates plus block groups: what its re-solves take, roughly), the rows
    put back in the order of ``names``. Two lanes taking the types in turn then end
    together: the last type handed out, the one left running alone, is a small one.

    >>> from types import SimpleNamespace as Of
    >>> prob = Of(types={"a": Of(n_cand=2, family=Of(size=3)), "b": Of(n_cand=90,
    ...                  family=Of(size=9)), "c": Of(n_cand=5, family=Of(size=30))})
    >>> seen = []
    >>> largest_first(prob, ["a", "b", "c"], lambda names: seen.extend(names) or
    ...               [{"type": n} for n in names])
    [{'type': 'a'}, {'type': 'b'}, {'type': 'c'}]
    >>> seen
    ['b', 'c', 'a']
    """
    size = {n: prob.types[n].n_cand + prob.types[n].family.size for n in names}
    order = sorted(range(len(names)), key=lambda k: -size[names[k]])  # stable on ties
    done = work([names[k] for k in order])
    rows: list[dict[str, Any]] = [{} for _ in names]
    for k, row in zip(order, done, strict=True):
        rows[k] = row
    return rows
