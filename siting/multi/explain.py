"""Infeasibility explained in planners' words: quick impossibilities, then re-solves.

:func:`precheck` finds what needs no solver (a quota above the parcels free by
then, a budget below the cheapest required facilities, a spaces target above
what fits). :func:`explain_infeasible` re-solves with one requirement relaxed
at a time and reports the best value each can reach; those re-solves are
independent and run two at a time unless the caller sets ``threads``
(:func:`~siting.multi.side_by_side.map_widening`: results in the targets' order).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import Result, SolveOptions, Status, get_backend
from siting.milp import MilpArrays
from siting.multi.problem import MultiServiceProblem
from siting.multi.rows import build
from siting.multi.side_by_side import map_widening
from siting.multi.solution import pct
from siting.multi.targets import area_coverage_objective

TOL = 1e-6

FloatArray = NDArray[np.float64]


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


def _short(opts: SolveOptions) -> SolveOptions:
    """The options of one explaining solve: a quarter of the limit (at least 5 s)."""
    return SolveOptions(
        time_limit=max(5.0, (opts.time_limit or 60.0) / 4), mip_gap=1e-4, threads=opts.threads
    )


#: Each target's model with every other target dropped, and its LP result, by index.
AloneLps = dict[int, tuple[MilpArrays, Result]]


def alone_lps(
    prob: MultiServiceProblem, backend: str, opts: SolveOptions, seconds: float | None = None,
) -> AloneLps:
    """The LP of each target maximised with every other target dropped (quotas, budget
    and equity kept; a few seconds on 回天), those solved to optimality within
    ``seconds`` in all (None: no limit but each LP's own), two at a time unless the
    caller sets ``threads`` (回天 2026-2030 with the park target at 90 %: the spaces
    target's LP took 3.2 s, the two others' 0.7 and 0.8 s). Ctrl-C in one raises
    KeyboardInterrupt, and stops the other."""
    live = [k for k, t in enumerate(prob.spec.target) if t.mode == "constraint"]
    deadline = None if seconds is None else time.perf_counter() + seconds
    # built here, one at a time: the problem's tables are shared
    models = {k: build(prob, drop=frozenset(live), objective=k)[0] for k in live}

    def solve(k: int, short: SolveOptions) -> Result | None:
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            return None
        limit = short.time_limit if left is None else min(left, short.time_limit or left)
        lp = _lp(models[k], backend, replace(short, time_limit=limit))
        if lp.extra.get("interrupted"):
            raise KeyboardInterrupt
        return lp if lp.status == Status.OPTIMAL else None

    solved = _two_at_a_time(solve, live, _short(opts))
    return {k: (models[k], lp) for k, lp in zip(live, solved, strict=True) if lp is not None}


def _two_at_a_time(
    work: Callable[[int, SolveOptions], Result | None], live: list[int], opts: SolveOptions,
) -> list[Result | None]:
    """``work(k, run)`` for each target ``k`` of ``live``, the results in that order, two
    at a time unless ``opts.threads`` is set (:func:`map_widening`). ``run`` is ``opts``
    with a stop both lanes' solves watch: a Ctrl-C heard by one lane (a KeyboardInterrupt
    raised, or a result marked ``interrupted``) stops the other's solve too.

    >>> _two_at_a_time(lambda k, run: None, [0, 1], SolveOptions())
    [None, None]
    """
    stop = threading.Event()
    run = replace(opts, cancel=stop)

    def lane(k: int) -> Result | None:
        res = work(k, run)
        if res is not None and res.extra.get("interrupted"):
            stop.set()
        return res

    lanes = threading.Event()
    if opts.threads is None:
        lanes.set()
    return map_widening(lane, live, lanes, stop)


def beyond_lp(prob: MultiServiceProblem, lps: AloneLps) -> list[int]:
    """The targets whose LP of :func:`alone_lps` falls short of what they require: each
    proves the spec infeasible (the LP bounds every plan)."""
    return [k for k, (_, lp) in lps.items()
            if lp.objective is not None and lp.objective < prob.target_required(k) - TOL]


def _lp(milp: MilpArrays, backend: str, opts: SolveOptions) -> Result:
    """The LP relaxation of ``milp`` (``opts`` without its progress watch or start)."""
    return get_backend(backend).solve(
        replace(milp, integrality=np.zeros(milp.num_cols, dtype=bool)),
        replace(opts, progress=None, warm_start=None),
    )


def explain_infeasible(
    prob: MultiServiceProblem, backend: str, opts: SolveOptions, lps: AloneLps | None = None,
) -> list[str]:
    """Planner-worded reasons: targets unreachable even alone, then conflicting ones.

    First each target is maximised with every other target dropped (quotas,
    budget and equity kept; from its model and LP in ``lps`` when given, as
    :func:`alone_lps` makes them): a target whose best value falls short is reported
    with that value (when some targets' LPs fall short, those are the ones reported).
    If each is reachable alone, each is maximised with the others kept, which names
    the targets that conflict.
    """
    short = _short(opts)
    live = [k for k, t in enumerate(prob.spec.target) if t.mode == "constraint"]
    everything = frozenset(live)
    alone = _short_targets(
        prob, backend, short, live, lambda k: everything, "under the quotas and budget", lps,
        lp_first=True,
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
            area_milp = replace(milp, c=c, offset=const)
            res = (get_backend(backend).solve(area_milp, opts) if floor is None
                   else reach(area_milp, floor, backend, opts))
            best = _best(res)
            if best is None:
                continue
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
    lps: AloneLps | None = None,
    *,
    lp_first: bool = False,
) -> list[str]:
    """The targets of ``live`` that cannot reach what they require with the targets
    ``dropped(k)`` dropped, in planners' words (from the model and LP in ``lps`` when it
    has them). With ``lp_first``, every target's LP comes first, and when some fall
    short only those are worded: the others' searches would take the most time to say
    the least (on the 2 × 2 district with the park target at 90 %, 100 s of its 148 s
    went to the two targets whose LPs reached)."""
    models: dict[int, tuple[MilpArrays, Result | None]] = {}
    for k in live:
        models[k] = lps[k] if lps and k in lps else (
            build(prob, drop=dropped(k), objective=k)[0], None)
    if lp_first:
        half = None if opts.time_limit is None else opts.time_limit / 2
        solved: AloneLps = {}
        for k, (milp, lp) in models.items():
            if lp is None:
                lp = _lp(milp, backend, replace(opts, time_limit=half))
            models[k] = (milp, lp)
            if lp.status == Status.OPTIMAL:
                solved[k] = (milp, lp)
        live = beyond_lp(prob, solved) or live

    def decide(k: int, run: SolveOptions) -> Result | None:
        milp, lp = models[k]
        required = prob.target_required(k)
        if not lp_first and met_by_every_plan(milp, required, backend, run):
            # It cannot be one of the targets that conflict: not searched (回天
            # 2018-2020's "22 service rooms by 2020", which the quotas imply, took a
            # 5-9 s search that ended infeasible, with the circle targets too high).
            return None
        return reach(milp, required, backend, run, lp=lp)

    # Each target's reach is decided apart from the others' (in the targets' order).
    results = _two_at_a_time(decide, live, opts)
    out = []
    for k, res in zip(live, results, strict=True):
        if res is None:
            continue
        tgt = prob.spec.target[k]
        required = prob.target_required(k)
        best = _best(res)
        if best is None or best >= required - 1e-6:
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


def reach(
    milp: MilpArrays, required: float, backend: str, opts: SolveOptions, *,
    lp: Result | None = None,
) -> Result:
    """The MIP ``milp`` (a maximisation) solved as far as needed to tell whether it
    reaches ``required`` (:func:`decided_at`), tried cheaply first: its LP, and when
    the LP reaches it, sub-MIPs around the LP point (RENS, then the LP's support:
    :func:`_roundings`). A plan of theirs that reaches it decides (the result then has
    the LP's value as its bound); otherwise the MIP decides, from their best plan when
    there is one. A target out of reach is still decided by the MIP, whose bound is the
    figure reported. ``lp``: the LP's result when the caller has it.

    Why: on 回天 2026-2030 with the park target raised to 90 %, the spaces target
    maximised alone (118,620 spaces against 10,000 asked) had no plan until HiGHS's
    sub-MIP after its root cut rounds, at 24-26 s; its LP took 2.6 s and RENS 1.9 s.
    With the budgets x 0.6 and the radii x 0.8, 28 s, against an LP of 3.1 s, RENS
    infeasible in 0.2 s and the support 0.8 s.

    >>> import scipy.sparse as sp
    >>> from siting.backends import DEFAULT_BACKEND
    >>> knap = MilpArrays(c=np.array([3.0, 2.0, 2.0]), A=sp.csr_matrix([[2.0, 1.0, 1.0]]),
    ...     row_lower=np.array([-np.inf]), row_upper=np.array([2.0]), col_lower=np.zeros(3),
    ...     col_upper=np.ones(3), integrality=np.ones(3, dtype=bool), sense="max")
    >>> res = reach(knap, 4.0, DEFAULT_BACKEND, SolveOptions())
    >>> res.objective >= 4.0, res.bound >= res.objective
    (True, True)
    >>> reach(knap, 5.0, DEFAULT_BACKEND, SolveOptions()).bound < 5.0   # out of reach
    True
    """
    solver = get_backend(backend)
    if milp.sense != "max" or not milp.integrality.any():
        return solver.solve(milp, decided_at(required, opts))
    # The LP and its rounding take at most half the limit; the MIP after them keeps all of it.
    start = time.perf_counter()
    cheap = None if opts.time_limit is None else opts.time_limit / 2
    if lp is None:
        lp = _lp(milp, backend, replace(opts, time_limit=cheap))
    # The LP's value when it solved: a bound on the MIP, and what decides the steps below.
    lp_value = lp.objective if lp.status == Status.OPTIMAL else None
    plan = None
    if lp_value is not None and lp.x is not None and lp_value >= required - TOL:
        for lower, upper in _roundings(milp, lp.x):
            left = None if cheap is None else cheap - (time.perf_counter() - start)
            if left is not None and left <= 0:
                break
            rounded = solver.solve(
                replace(milp, col_lower=lower, col_upper=upper),
                decided_at(required, replace(opts, time_limit=left, warm_start=plan)),
            )
            if rounded.status.has_solution and rounded.x is not None \
                    and rounded.objective is not None:
                if rounded.objective >= required - TOL:
                    return replace(rounded, status=Status.FEASIBLE,
                                   bound=max(lp_value, rounded.objective))
                plan = rounded.x
    final = replace(opts, warm_start=plan)
    if lp_value is not None and lp_value < required - TOL and opts.time_limit is not None:
        # The LP decides already; the MIP only tightens the figure (回天: its root,
        # 4-5 s), so it gets a quarter of the time (a 2 x 2 district ran 30 s to no bound).
        final = replace(final, time_limit=opts.time_limit / 4)
    res = solver.solve(milp, decided_at(required, final))
    if lp_value is not None and res.status != Status.INFEASIBLE \
            and (res.bound is None or res.bound > lp_value):
        # A MIP stopped before its root (its time limit) still has the LP's bound: on a
        # district of 2 x 2 回天 copies with the park target at 90 % the MIP found no
        # bound in 30 s, and the target went unexplained.
        res = replace(res, bound=lp_value)
    return res


def met_by_every_plan(milp: MilpArrays, required: float, backend: str,
                      opts: SolveOptions) -> bool:
    """Whether every plan of ``milp`` (a maximisation of a target's measure) reaches
    ``required``, as its LP minimum shows (a bound on every plan's measure), or has no
    plan at all (its LP has none); False when the LP tells neither.

    >>> import scipy.sparse as sp
    >>> from siting.backends import DEFAULT_BACKEND
    >>> at_least_two = MilpArrays(c=np.ones(3), A=sp.csr_matrix(np.ones((1, 3))),
    ...     row_lower=np.array([2.0]), row_upper=np.array([np.inf]), col_lower=np.zeros(3),
    ...     col_upper=np.ones(3), integrality=np.ones(3, dtype=bool), sense="max")
    >>> [met_by_every_plan(at_least_two, level, DEFAULT_BACKEND, SolveOptions())
    ...  for level in (2.0, 3.0)]
    [True, False]
    """
    least = _lp(replace(milp, sense="min"), backend, opts)
    if least.status == Status.INFEASIBLE:
        return True
    return least.status == Status.OPTIMAL and least.objective is not None \
        and least.objective >= required - TOL


def _best(res: Result) -> float | None:
    """The most a maximised target can reach, as ``res`` tells: its bound, else its
    plan's value; None when it tells neither (no plan and no bound)."""
    if res.bound is not None:
        return res.bound
    return res.objective if res.status.has_solution else None


def _roundings(milp: MilpArrays, x: FloatArray) -> Iterator[tuple[FloatArray, FloatArray]]:
    """Column bounds around the LP point ``x``: RENS (integer columns at their floor and
    ceiling, those the LP sets whole fixed), then its support (integer columns the LP
    leaves at 0 stay 0), as the phased heuristic rounds (:mod:`siting.multi.heuristic`)."""
    ints = milp.integrality
    lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
    lower[ints] = np.maximum(lower[ints], np.floor(x[ints] + 1e-6))
    upper[ints] = np.minimum(upper[ints], np.ceil(x[ints] - 1e-6))
    yield lower, np.maximum(upper, lower)
    upper = milp.col_upper.copy()
    upper[ints & (x < 1e-6)] = np.maximum(milp.col_lower[ints & (x < 1e-6)], 0.0)
    yield milp.col_lower, upper


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
    cancel: threading.Event = threading.Event() if opts.cancel is None else \
        _EitherSet(opts.cancel)

    def progress(incumbent: float | None, bound: float | None, gap: float | None) -> None:
        if incumbent is not None and incumbent >= required - TOL:
            cancel.set()  # reached: its bound is at least as high
        elif bound is not None and bound < required - TOL:
            cancel.set()  # out of reach: the bound says so already

    return replace(opts, progress=progress, cancel=cancel)


class _EitherSet(threading.Event):
    """An event that also reads as set once ``outer`` is: a solve's own stop (its reach
    decided) that a stop of the whole (Ctrl-C, :func:`map_widening`) sets too.

    >>> outer = threading.Event()
    >>> own = _EitherSet(outer)
    >>> own.is_set(), outer.set(), own.is_set()
    (False, None, True)
    >>> own = _EitherSet(threading.Event()); own.set(); own.is_set()
    True
    """

    def __init__(self, outer: threading.Event) -> None:
        super().__init__()
        self._outer = outer

    def is_set(self) -> bool:
        return super().is_set() or self._outer.is_set()
