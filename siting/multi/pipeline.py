"""The multi-service model as a model object: build, start, solve, decode, verify, tabulate.

:class:`MultiService` follows the convention of every siting model: the
constructor stores the question (a validated :class:`~siting.multi.spec.Spec`),
:meth:`MultiService.solve` takes the data, a back end and
:class:`~siting.backends.base.SolveOptions`, and returns a result object with
its own status (:class:`~siting.multi.solution.MultiSolution`), verified by the
verifier registered under its name (:mod:`siting.verify.plan`), through the
workflow's verify-and-accept step (:mod:`siting.workflow`).

>>> from siting.multi import parse_spec
>>> MultiService(parse_spec({"meta": {"name": "x", "years": [2026]},
...     "facility": {"park": {"group": "pop_total", "radius_m": 500}}})).sense
'max'
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import (
    Result,
    SolveOptions,
    Status,
    Tuning,
    capabilities,
    get_backend,
    relative_gap,
)
from siting.errors import InputError
from siting.findings import LOADING, Finding
from siting.milp import MilpArrays, Sense
from siting.multi.ahead import Ahead
from siting.multi.data import ServiceData
from siting.multi.decode import decode
from siting.multi.heuristic import Incumbent, PoolHeuristic
from siting.multi.problem import MultiServiceProblem
from siting.multi.rows import build
from siting.multi.solution import MultiSolution
from siting.multi.spec import Spec
from siting.multi.types import Layout
from siting.registry import verify_and_accept

if TYPE_CHECKING:
    from siting.multi.explain import AloneLps

FloatArray = NDArray[np.float64]

#: The line of the reasons when the run was stopped before they were sought.
NOT_SOUGHT = ("Not sought: the run was stopped (Ctrl-C) before these re-solves were "
              "done; the plan above is the one found so far.")


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
        on_stage: StageHook | None = None,
        reasons: bool = True,
        findings: Sequence[Finding] | None = None,
    ) -> MultiSolution:
        """Build, solve, decode and verify; on infeasibility, explain in planners' words.

        ``on_stage(stage, done, note)`` hears each stage begin and end: ``coverage``
        (types, coverage, block groups), ``model`` (the arrays), ``start`` (the
        primal heuristic, :mod:`siting.multi.heuristic`: a plan and the full model's
        LP bound), ``search`` (the full model, from that plan, unless the bound
        already proves it), ``verify`` and ``reasons``.

        The data are checked first (:func:`siting.multi.checks.check_plan_data`, unless
        the caller gives the ``findings`` it made): an error (nothing could be planned)
        raises :class:`~siting.errors.InputError` before any work; warnings and notes
        are kept in ``solution.findings``.
        """
        from siting.multi.explain import explain_infeasible, precheck
        from siting.multi.tables import requirement_table

        stage = on_stage or _no_stage
        t0 = time.perf_counter()
        spec = self.spec
        opts = options or self.options()
        backend = solver or spec.solver.backend
        get_backend(backend)  # an unknown name is refused before any work
        if findings is None:
            from siting.multi.checks import check_plan_data

            findings = check_plan_data(spec, data)
        errors = [f.text for f in findings if f.level == "error"]
        if errors:
            raise InputError("; ".join(errors), path=data.source or None)
        stage("coverage", False, "")
        prob = MultiServiceProblem(spec, data)
        t_data = time.perf_counter() - t0
        groups = sum(td.family.size for td in prob.types.values())
        stage("coverage", True, f"{len(prob.types)} types, {groups:,} block groups")
        pre = precheck(prob)
        stage("model", False, "")
        milp, lay = build(prob)
        t_build = time.perf_counter() - t0 - t_data
        stage("model", True, f"{milp.num_rows:,} rows, {milp.num_cols:,} columns")
        ahead: list[Ahead] = []

        def while_bounding(plan: Incumbent, bounded: threading.Event) -> None:
            ahead.append(self._ahead(prob, lay, backend, opts, plan, verify=verify,
                                     reasons=reasons, bounded=bounded))

        lps: AloneLps = {}  # each target's LP alone, when the search looked at them
        result, heuristic = self._search(prob, milp, lay, backend, opts, bool(pre), t0, stage,
                                         while_bounding, alone=lps if explain else None)
        note = _search_note(result)
        if heuristic is not None and heuristic.proven:
            note = f"not needed, the plan is within the gap of the LP bound: {note}"
        elif result.extra.get("beyond_lp"):
            note = f"not run, a target is out of reach of the LP even alone: {note}"
        elif result.extra.get("no_plan"):
            note = f"not run, the heuristic proved that no plan exists: {note}"
        elif result.extra.get("search_skipped"):
            note = f"not run, the full model's LP took the time limit: {note}"
        stage("search", True, note)
        sol = decode(prob, lay, result)
        sol.findings = [f for f in findings if f.code != LOADING]  # notes: in sol.notes
        if heuristic is not None:
            sol.stats["start"] = heuristic.stats
        for key in ("plan_from", "bound_from"):  # where the plan and the bound came from
            if key in result.extra:
                sol.stats[key] = result.extra[key]
        sol.stats.update(
            data_s=round(t_data, 3), build_s=round(t_build, 3),
            solve_s=round(result.runtime_s, 3), columns=milp.num_cols, rows=milp.num_rows,
            nonzeros=int(milp.A.nnz), **reduction_stats(prob),
        )
        if result.status == Status.INFEASIBLE:
            sol.explanation = pre + (
                explain_infeasible(prob, backend, opts, lps) if explain and not pre else []
            )
            sol.message = "; ".join(sol.explanation) or "the spec's requirements cannot all be met"
        early = ahead[0] if ahead and heuristic is not None and heuristic.proven else None
        if early is not None and result.x is not early.x:
            early = None  # the plan is not the one worked on ahead: all of it again
        if ahead:
            sol.stats["ahead_s"] = round(ahead[0].seconds, 3)
        if sol.status.has_solution:
            stage("verify", False, "")
            if early is not None:
                early.adopt_checks(self, sol)
                sol.findings += walk_findings(sol.stats.get("walks", {}))
            else:
                self.tabulate(prob, sol, verify=verify)
            stage("verify", True, "verified" if sol.verified else "; ".join(sol.verification))
            if reasons:

                stage("reasons", False, "")
                t_reasons = time.perf_counter()
                if early is not None and early.reasons_hold(sol):
                    sol.reasons = early.sol.reasons
                    t_reasons -= early.reasons_s  # the time they took ahead
                    done = f"{len(sol.reasons)} found"
                else:
                    done = self._reasons(prob, sol, backend, opts,
                                         stopped=bool(result.extra.get("interrupted")))
                sol.stats["reasons_s"] = round(time.perf_counter() - t_reasons, 3)
                if not done.endswith("found"):
                    sol.stats["reasons"] = done
                stage("reasons", True, done)
        else:
            from siting.multi.tables import baseline_table

            sol.baseline = baseline_table(prob)
            sol.targets = requirement_table(prob)
        sol.runtime_s = time.perf_counter() - t0
        sol.instance = data.source or (spec.meta.instance or "")
        sol.spec_data = spec.model_dump(mode="json")
        sol.notes = list(data.notes)
        return sol

    @staticmethod
    def _reasons(
        prob: MultiServiceProblem, sol: MultiSolution, backend: str, opts: SolveOptions,
        *, stopped: bool = False,
    ) -> str:
        """Set ``sol.reasons`` and say what was found. A Ctrl-C while they are sought
        (or before: ``stopped``) stops them, not the run: the plan is kept, and the
        reasons say they were not sought (a stopped re-solve's share could be wrong,
        so none of its kind is kept); the targets' lines need no solve and stay."""
        from siting.multi.reasons import plan_reasons, target_reasons

        if not stopped:
            try:
                sol.reasons = plan_reasons(prob, sol, backend, opts)
                return f"{len(sol.reasons)} found"
            except KeyboardInterrupt:  # raised by a re-solve that caught it, or between
                pass
        sol.reasons = [{"kind": "type", "text": NOT_SOUGHT}, *target_reasons(sol)]
        return "not sought: the run was stopped by Ctrl-C"

    def _ahead(
        self, prob: MultiServiceProblem, lay: Layout, backend: str, opts: SolveOptions,
        plan: Incumbent, *, verify: bool, reasons: bool, bounded: threading.Event | None = None,
    ) -> Ahead:
        """The work after the search done on the heuristic's first plan while the bound
        LP runs beside it: decode, verify (all but the check against the bound, unknown
        yet) and tabulate, the reasons (one type at a time, two once ``bounded`` is set:
        the bound LP has given back its core). Kept only when that plan is the one
        proven."""
        from siting.multi.reasons import plan_reasons

        t0 = time.perf_counter()
        pending = with_incumbent(Result(Status.NO_SOLUTION, backend), plan, None, opts.mip_gap)
        sol = decode(prob, lay, pending)
        report = self.tabulate(prob, sol, verify=verify)
        t = time.perf_counter()
        if reasons and sol.status.has_solution:
            # one type at a time while the bound LP has the other core
            sol.reasons = plan_reasons(prob, sol, backend, opts, one_at_a_time=True,
                                       widen=bounded)
        done = time.perf_counter()
        return Ahead(plan.x, sol, report, done - t, prob.spec.solver.mip_gap, done - t0)

    def _search(
        self, prob: MultiServiceProblem, milp: MilpArrays, lay: Layout, backend: str,
        opts: SolveOptions, pre: bool, t0: float, stage: StageHook,
        while_bounding: Callable[[Incumbent, threading.Event], None] | None = None,
        *,
        alone: AloneLps | None = None,
    ) -> tuple[Result, PoolHeuristic | None]:
        """The primal heuristic's plan and bound, then the solver on the full model
        unless that bound already proves the plan within the gap.

        Everything runs in order in the calling thread, so that identical inputs give
        identical plans (a heuristic racing the solver would hand over different plans
        from run to run), and so that a proof ends the run at once (HiGHS cannot be
        stopped inside its root LP). The search starts from the heuristic's plan.
        ``while_bounding(plan, bounded)`` is the work after the search, done on the first plan
        while the bound LP runs beside it (:class:`~siting.multi.ahead.Ahead`). When the
        heuristic finds no plan, the targets' LPs alone go into ``alone`` (when given),
        and one that falls short proves the spec infeasible before the search
        (:func:`~siting.multi.explain.beyond_lp`); so does the heuristic's proof that
        the full model has no plan (``PoolHeuristic.no_plan``).
        """
        caps = capabilities(backend)
        run_opts = tuned(opts)
        limit = opts.time_limit
        if pre or opts.warm_start is not None or not caps.warm_start:
            stage("search", False, "")
            result = get_backend(backend).solve(
                milp, replace(run_opts, time_limit=_left(t0, limit))
            )
            return result, None
        heuristic = self._heuristic(prob, milp, lay, backend, run_opts, stage)
        heuristic.deadline = None if limit is None else t0 + 0.8 * limit
        # The full model's LP, once started, may use the whole limit: the search below
        # would begin by solving that LP again, from no basis (on a district of nine
        # 回天 copies it was stopped at 0.8 of 120 s, 38 s into a 56 s warm round, and
        # the search that followed did not finish its root in the 25 s left).
        heuristic.bound_deadline = None if limit is None else t0 + limit
        heuristic.run(while_bounding)
        best = heuristic.best
        if heuristic.interrupted:  # Ctrl-C: keep the plan found so far, if any
            if best is None:
                raise KeyboardInterrupt
            stopped = Result(Status.FEASIBLE, backend, message="interrupted",
                             extra={"interrupted": True})
            result = with_incumbent(stopped, best, heuristic.bound, 0.0)
            result.message = "interrupted"
            return result, heuristic
        stage("search", False, "")
        if best is None and heuristic.no_plan:  # proven by its full model's any-plan solve
            result = Result(Status.INFEASIBLE, backend, extra={"no_plan": True})
            result.runtime_s = float(heuristic.stats.get("s", 0.0))
            return result, heuristic
        if best is None and alone is not None \
                and any(t.mode == "constraint" for t in prob.spec.target):
            # A target whose LP, alone, falls short proves the spec infeasible: the
            # explanation, from those LPs, then says why, without the search of the full
            # model (回天 2026-2030 with the park target at 90 %: the search took 7.6 s,
            # the LPs 5.2 s). The explanation needs the LPs anyway.
            from siting.multi.explain import alone_lps, beyond_lp

            t_lp = time.perf_counter()
            # At most a quarter of the time left: a feasible spec the heuristic found no
            # plan for needs it for the search (a district of 2 x 2 回天 copies: 47 s).
            left = _left(t0, limit, floor=0.0)
            alone.update(alone_lps(prob, backend, opts, None if left is None else left / 4))
            short = beyond_lp(prob, alone)
            if short:
                result = Result(Status.INFEASIBLE, backend, extra={"beyond_lp": short})
                result.runtime_s = float(heuristic.stats.get("s", 0.0)) \
                    + time.perf_counter() - t_lp
                return result, heuristic
        late = heuristic.deadline is not None and time.perf_counter() > heuristic.deadline
        left = _left(t0, limit, floor=0.0 if late else 0.2)
        skipped = left is not None and left <= 0.0  # the full model's LP took the limit
        if heuristic.proven or skipped:  # the heuristic's plan and bound are the answer
            result = with_incumbent(Result(Status.NO_SOLUTION, backend), best,
                                    heuristic.bound, opts.mip_gap)
            result.runtime_s = float(heuristic.stats.get("s", 0.0))
            if not heuristic.proven:
                result.message = "time limit reached before the search of the full model"
                result.extra["search_skipped"] = True
            return result, heuristic
        run_opts = replace(run_opts, time_limit=left,
                           warm_start=None if best is None else best.x)
        result = get_backend(backend).solve(milp, run_opts)
        return with_incumbent(result, heuristic.best, heuristic.bound, opts.mip_gap), heuristic

    def _heuristic(
        self, prob: MultiServiceProblem, milp: MilpArrays, lay: Layout, backend: str,
        opts: SolveOptions, stage: StageHook,
    ) -> PoolHeuristic:
        """The primal heuristic, wired to the progress hook and the stage hook."""

        def found(inc: Incumbent) -> None:
            if opts.progress is not None:
                with contextlib.suppress(Exception):  # a display never stops the solve
                    opts.progress(inc.objective, None, None)

        def bounded(bound: float) -> None:
            best = heuristic.best
            if opts.progress is not None and best is not None:
                gap = relative_gap(best.objective, bound, "max")
                with contextlib.suppress(Exception):
                    opts.progress(best.objective, bound, gap)

        def finished(heuristic: PoolHeuristic) -> None:
            best = heuristic.best
            note = "no plan" if best is None else (
                f"incumbent {best.objective:,.0f} ({best.source}) after {best.found_s:.1f} s"
            )
            if heuristic.bound is not None:
                note += f"; LP bound of the full model {heuristic.bound:,.0f}"
                if heuristic.proven:
                    note += ": within the gap"
            stage("start", True, note)

        stage("start", False, "")
        heuristic = PoolHeuristic(prob, milp, lay, backend, opts, on_incumbent=found,
                                  on_finish=finished, on_bound=bounded)
        return heuristic

    def tabulate(self, prob: MultiServiceProblem, sol: MultiSolution, *, verify: bool) -> Any:
        """Verify the plan (when asked) and fill its tables from the recomputed coverage;
        returns the verifier's report (None unverified)."""
        from siting.multi.tables import (
            PlanRows,
            baseline_table,
            budget_table,
            coverage_by_year,
            coverage_tables,
            target_table,
        )
        report = None
        if verify:
            report = verify_and_accept(prob, self, sol)
            cov = report.details["coverage"]
            sol.targets = report.details["targets"]
            sol.stats["walks"] = report.details.get("walks", {})
            sol.findings += walk_findings(sol.stats["walks"])
        else:
            cov = coverage_by_year(prob, sol)
            sol.targets = target_table(prob, PlanRows(sol.facilities, sol.closed), cov)
        sol.coverage, sol.by_subdistrict = coverage_tables(prob, cov)
        sol.budget = budget_table(sol.facilities)
        sol.baseline = baseline_table(prob)
        return report


def walk_findings(walks: dict[str, dict[str, float]]) -> list[Finding]:
    """One note on how the streets stretch the walks to covered blocks, per walking type.

    >>> said = walk_findings({"park": {"pairs": 812, "median": 1.31, "p90": 1.72, "max": 3.4}})
    >>> said[0].code, said[0].text.split(" (")[0]
    ('network-walks', 'park: walks to covered blocks are 1.31 × the straight line')
    """
    return [
        Finding("note", "network-walks",
                f"{name}: walks to covered blocks are {w['median']:g} × the straight line "
                f"(median of {w['pairs']:,}; 90th percentile {w['p90']:g} ×, at most "
                f"{w['max']:g} ×).")
        for name, w in walks.items() if w.get("pairs")
    ]


def reduction_stats(prob: MultiServiceProblem) -> dict[str, int]:
    """Blocks and the groups they merge into, over every coverage family."""
    families = [td.family for td in prob.types.values()]
    families += [ind.family for ind in prob.indicators.values()]
    blocks = prob.n_blocks * len(families)
    groups = sum(f.size for f in families)
    return {"demand_rows": blocks, "rows_merged": blocks - groups, "sites_dropped": 0}


# ------------------------------------------------------------- the search
StageHook = Callable[[str, bool, str], None]


def _no_stage(stage: str, done: bool, note: str) -> None:
    return None


def tuned(opts: SolveOptions) -> SolveOptions:
    """``opts`` with what this model tells the solver: no probing in presolve.

    Probing finds the land conflicts that :mod:`siting.multi.rows` writes as rows,
    and on the 2026-2030 plan it cost 10-30 s of presolve and as much again in
    setting up its implications; the caller's ``solver_options`` still win.

    >>> [t.value for t in tuned(SolveOptions()).tuning]
    ['no_probing']
    """
    return opts.tuned(Tuning.NO_PROBING)


def with_incumbent(
    result: Result, inc: Incumbent | None, bound: float | None, mip_gap: float
) -> Result:
    """The solver's result with what the heuristic adds: its plan where that is better
    (or the only one), its certified bound where that is lower; the status and gap
    follow from the best of both.

    >>> r = Result(Status.NO_SOLUTION, "solver", bound=105.0)
    >>> out = with_incumbent(r, Incumbent(np.zeros(1), 100.0, "pool", 1.0), None, 1e-3)
    >>> out.status, out.objective, round(out.gap, 3)
    (<Status.FEASIBLE: 'feasible'>, 100.0, 0.05)
    >>> with_incumbent(r, Incumbent(np.zeros(1), 100.0, "pool", 1.0), 100.05, 1e-3).status
    <Status.OPTIMAL: 'optimal'>
    """
    if result.status in (Status.INFEASIBLE, Status.UNBOUNDED):
        return result
    better = inc is not None and (
        result.x is None or result.objective is None
        or inc.objective > result.objective + 1e-9 * max(1.0, abs(inc.objective))
    )
    tighter = bound is not None and (result.bound is None or bound < result.bound)
    if not better and not tighter:
        return result
    out = replace(result, extra=dict(result.extra))
    if better and inc is not None:
        out.x, out.objective = inc.x, inc.objective
        out.extra["plan_from"] = f"{inc.source} heuristic"
    if tighter:
        out.bound = bound
        out.extra["bound_from"] = "LP relaxation of the full model, certified by its duals"
    out.gap = relative_gap(out.objective, out.bound, "max")
    if out.x is not None:
        proven = out.gap is not None and out.gap <= mip_gap
        out.status = Status.OPTIMAL if proven else Status.FEASIBLE
        if proven:
            out.message = ""
    return out


def _left(t0: float, limit: float | None, floor: float = 0.2) -> float | None:
    """The seconds left of ``limit`` from ``t0``, at least ``floor`` of it.

    >>> _left(time.perf_counter() - 10.0, 8.0), _left(time.perf_counter() - 10.0, 8.0, 0.0)
    (1.6, 0.0)
    """
    if limit is None:
        return None
    return max(limit - (time.perf_counter() - t0), floor * limit)


def _search_note(result: Result) -> str:
    parts = [str(result.status)]
    if result.objective is not None:
        parts.append(f"objective {result.objective:,.0f}")
    if result.bound is not None:
        parts.append(f"bound {result.bound:,.0f}")
    if result.gap is not None:
        parts.append(f"gap {100 * result.gap:.3f}%")
    return ", ".join(parts)
