"""A primal heuristic for the multi-service model: a near-optimal plan within seconds,
and the full model's LP bound that often proves it.

The bound always comes from the full model: either the solver's, or the LP
relaxation of the full model solved here (step 4), certified by weak duality
with its own duals (:func:`dual_bound`). A plan from a restricted problem is a
start, never a claimed optimum.

1. *One-year relaxations.* The spec collapsed onto its final year (every target
   and floor, quotas and budgets as totals) and onto its first year (that year's
   parcels and budget) are solved as LPs. With the land-conflict rows of
   :mod:`siting.multi.rows` these LPs are nearly integral: the parcels they use
   per type, and as many again whose reduced costs come nearest to paying, are
   the pool.
2. *The restricted phased problem.* The spec itself on the pool only: blocks
   merge into far fewer groups (covering patterns over fewer parcels), so its LP
   takes a fraction of a second. RENS rounds it (integer columns the LP sets to a
   whole number are fixed, the others lie between floor and ceiling), else its LP
   support is searched; if neither has a plan (the pool cannot meet a yearly
   quota) the pool grows by the relaxations of the years in between. When that
   has none either (a target enforced near the most it can reach), any plan of the
   restricted problem is sought, then RINS around it (:mod:`siting.multi.feasible`).
3. *Lifting.* The plan, written in the full model's columns (facilities, spaces,
   kept existing sites), is completed by the LP over the remaining continuous
   columns with every integer column fixed: a feasible solution of the full model
   with its own objective.
4. *The bound.* The full model's LP relaxation, solved from the LP with the
   columns left out of the pool held at 0, which are then released by pricing
   (:func:`siting.backends.highs_lp.warm_lp`), by a back end that can
   (``Capability.WARM_LP``; the step is skipped otherwise): on the 2026-2030 plan
   about a quarter of a cold solve. When the plan is within the gap of it, the
   search has nothing left to do (``proven``). With no plan yet, it is solved all
   the same (unless the pool's problem has no LP): its point leads step 5.

5. *The support.* When the bound does not prove the plan, the pool is widened
   by the parcels the full model's LP uses (when it lacks any: a tight budget's
   phasing needs parcels the one-year LPs leave out) and that problem rounded as
   in step 2. With still no plan, any plan of the full model is sought, then RINS
   around the full model's LP point (the pools can lack parcels every plan needs).
   Then the LP support of the pool is searched from the best plan
   before the full model's search starts from it. Each step's solves are the same
   whatever the order they run in: unless the caller sets ``threads``, the two
   relaxations run side by side and the bound LP runs beside steps 2-3 (on two
   cores the bound was the long pole); identical inputs give identical plans and
   bounds.

>>> spec = one_year_spec(parse_spec({"meta": {"name": "x", "years": [2026, 2027]},
...     "facility": {"park": {"group": "pop_total", "radius_m": 500,
...                           "count": {"2026": 1, "2027": 2}}},
...     "budget": {"per_year": {"2026": 5, "2027": 7}}}), 0)
>>> spec.meta.years, spec.budget.total, spec.facility["park"].max_count
([2026], 5.0, {'total': 1})
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import (
    Capability,
    Result,
    SolveOptions,
    Tuning,
    WarmLpBackend,
    get_backend,
    relative_gap,
)
from siting.milp import MilpArrays
from siting.multi.feasible import feasible_plan
from siting.multi.pool_steps import (
    SUPPORT_TOL,
    Incumbent,
    Restricted,
    YearLp,
    complete,
    dual_bound,
    lift,
    merge_pools,
    one_year_spec,
    relaxed,
    spaces_mask,
    support,
    whole_spaces,
)
from siting.multi.problem import MultiServiceProblem
from siting.multi.rows import build
from siting.multi.side_by_side import short_switches
from siting.multi.spec import parse_spec
from siting.multi.types import Layout

__all__ = [
    "FULL_MODEL", "Incumbent", "PoolHeuristic", "Restricted", "dual_bound", "one_year_spec",
    "parse_spec",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_T = TypeVar("_T")


#: The label of the full model's any-plan step in ``stats`` (and its plans' source).
FULL_MODEL = "full model"


@dataclass
class PoolHeuristic:
    """The pool heuristic (see the module doc): :meth:`first` (a plan and the bound),
    then :meth:`rest` (the support search) when the bound does not prove it.

    ``best`` is the best plan found, ``bound`` the certified bound; ``deadline`` is a
    ``time.perf_counter()`` instant after which nothing new is started;
    ``bound_deadline``, when later, the instant until which the full model's LP,
    once started, may go on (the search after the heuristic would begin by solving
    that LP again, from no basis).
    """

    prob: MultiServiceProblem
    milp: MilpArrays
    lay: Layout
    backend: str
    opts: SolveOptions
    deadline: float | None = None
    bound_deadline: float | None = None
    extra: int = 1
    on_incumbent: Callable[[Incumbent], None] | None = None
    on_finish: Callable[[PoolHeuristic], None] | None = None
    #: Called with each new certified bound (the best plan may then be proven).
    on_bound: Callable[[float], None] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    best: Incumbent | None = None
    #: The least certified upper bound found (the full model's LP, by weak duality).
    bound: float | None = None
    #: True when the best plan is within ``opts.mip_gap`` of ``bound``.
    proven: bool = False
    _restricted_last: Restricted | None = None
    #: The full model's LP solution from the bound LP (None before it or without one).
    _bound_x: FloatArray | None = None
    #: One-year LPs built ahead of their solve (:meth:`_relaxations`), by year index.
    _built: dict[int, YearLp] = field(default_factory=dict)
    #: Set when Ctrl-C stopped one of its solves (the heuristic then stops).
    interrupted: bool = False
    _t0: float = field(default_factory=time.perf_counter)
    #: Set to stop the solves still running (Ctrl-C while two run at once).
    _cancel: threading.Event = field(default_factory=threading.Event)
    #: Set to stop the bound LP alone (set with ``_cancel`` too).
    _bound_cancel: threading.Event = field(default_factory=threading.Event)

    def run(
        self, while_bounding: Callable[[Incumbent, threading.Event], None] | None = None,
    ) -> None:
        """Every step, in the calling thread: :meth:`first`, then :meth:`rest` (which does
        nothing once the plan is proven or Ctrl-C was pressed), then ``on_finish``.

        ``while_bounding(plan, bounded)`` is called in the calling thread with the first
        plan when the bound LP is still running beside it (its work overlaps the bound's
        and must not depend on it); ``bounded`` is set when the bound LP has ended (its
        core is free). Ctrl-C in it stops the heuristic (``interrupted``).
        """
        with short_switches(self._side_by_side()):
            beside = self.first_plan()
            if (while_bounding is not None and beside is not None and not beside.done()
                    and self.best is not None and not self.interrupted):
                bounded = threading.Event()
                beside.add_done_callback(lambda _done: bounded.set())
                try:
                    while_bounding(self.best, bounded)
                except KeyboardInterrupt:
                    self.interrupted = True
                    self._stop_all()
                except BaseException:
                    self._stop_all()
                    raise
            self.first_bound(beside)
        self.rest()
        self.stats["s"] = round(time.perf_counter() - self._t0, 3)
        if self.on_finish is not None:
            self.on_finish(self)

    def first(self) -> None:
        """A plan and the bound that may prove it (see the module doc). Ctrl-C in a
        sub-solve stops the heuristic (``interrupted``).

        Unless the caller set ``threads``, the two relaxations are solved side by
        side and the bound LP from the first pool runs beside the restricted problem
        and its rounding: each solve is the one the sequential order would make, so
        the plan and the bound are the same.
        """
        self.first_bound(self.first_plan())

    def first_plan(self) -> Future[tuple[Result, float] | None] | None:
        """The first plan (:meth:`first`); the bound LP started beside it when solves may
        run two at a time, returned for :meth:`first_bound` to wait for."""
        prob = self.prob
        lasts = [prob.T - 1] + ([0] if prob.T > 1 else [])
        pool = merge_pools(*self._relaxations(lasts))
        beside = self._beside(self._bound_lp, pool) if pool and self._side_by_side() else None
        try:
            restricted = self._restricted(pool, "pool")
            if not self._plan(restricted) and prob.T > 2:
                pool = merge_pools(pool, *[self._relaxation(k) for k in range(1, prob.T - 1)])
                restricted = self._restricted(pool, "wider pool")
                self._plan(restricted)
            if self.best is None and restricted is not None:
                self._any_plan(restricted)
        except BaseException:
            self._stop_all()  # the bound LP stops too (its thread is waited for at exit)
            raise
        if self.interrupted:
            self._stop_all()
        self._restricted_last = restricted
        return beside

    def first_bound(self, beside: Future[tuple[Result, float] | None] | None) -> None:
        """The bound that may prove the first plan: the LP started beside it, else solved
        now. Kept with no plan too, when the pool's problem has an LP: its point leads
        the search for one in the full model (:meth:`rest`); stopped when the pool's
        problem has no LP (a target out of the pool's reach, often of any plan's:
        the search explains it from the targets' own LPs)."""
        restricted = self._restricted_last
        if beside is not None:
            if restricted is None:
                self._bound_cancel.set()
            bound = self._joined(beside)
            if restricted is not None and bound is not None:
                if not bound[0].status.has_solution and restricted.label != "pool":
                    # Held to the first pool, the LP had no solution, but the wider
                    # pool's has one: held to that pool, it has (回天 2018-2020 with the
                    # circle at 85.5 % in 2019 and 90 % in 2020), and its point leads
                    # the search for any plan of the full model (rest).
                    bound = self._bound_lp(restricted.pool) or bound
                self._take_bound(*bound)
        elif restricted is not None:
            bound = self._bound_lp(restricted.pool)
            if bound is not None:
                self._take_bound(*bound)

    def rest(self) -> None:
        """Improve the plan: the phased problem on the pool widened by the parcels the full
        model's LP uses, when it adds any (RENS, else its LP support); with still no plan,
        any plan of the full model (:meth:`_whole_model_plan`); then the LP support of the
        pool, from the best plan."""
        restricted = self._restricted_last
        x = self._bound_x
        if restricted is not None and x is not None and not self.proven:
            wider = merge_pools(restricted.pool, support(self.prob, self.lay, x))
            if any(wider[name].size > restricted.pool.get(name, wider[name][:0]).size
                   for name in wider):
                # A tight budget: the pool from the one-year LPs missed parcels the phased
                # plan needs (回天 2026-2030, budgets x 0.6: its LP 0.62 % below the
                # full model's, the plan 0.63 % below the bound).
                lp_pool = self._restricted(wider, "lp pool")
                if lp_pool is not None and self._plan(lp_pool):
                    restricted = lp_pool
        if self.best is None and x is not None:
            self._whole_model_plan(x)
        if restricted is not None and "support" not in restricted.done and not self.proven:
            self._round(restricted, "support")

    def _plan(self, restricted: Restricted | None) -> bool:
        """A first plan from the restricted problem: RENS, else its LP support."""
        if restricted is None:
            return False
        return self._round(restricted, "rens") or self._round(restricted, "support")

    # ------------------------------------------------------------- steps
    def _late(self) -> bool:
        return self.interrupted or (
            self.deadline is not None and time.perf_counter() >= self.deadline
        )

    def _solve(self, milp: MilpArrays, opts: SolveOptions) -> Result:
        return self._checked(get_backend(self.backend).solve(milp, opts))

    def _checked(self, res: Result) -> Result:
        if res.extra.get("interrupted"):  # Ctrl-C in a solve run in the main thread
            self.interrupted = True
        return res

    def _options(self, **kwargs: Any) -> SolveOptions:
        left = None if self.deadline is None else max(self.deadline - time.perf_counter(), 0.05)
        return SolveOptions(time_limit=left, verbose=self.opts.verbose, threads=self.opts.threads,
                            tuning=self.opts.tuning, solver_options=self.opts.solver_options,
                            **{"cancel": self._cancel, **kwargs})

    @property
    def no_plan(self) -> bool:
        """Whether the full model's any-plan step proved that no plan exists (its spaces
        continuous: a relaxation of the full model, so none for the model either)."""
        return bool(self.stats.get(FULL_MODEL, {}).get("infeasible"))

    # ----------------------------------------------------------- side by side
    def _side_by_side(self) -> bool:
        """Whether solves may run two at a time: only when the caller left ``threads``
        to the solver (setting it rebuilds HiGHS's one thread pool, which another
        solve running in the process must not see)."""
        return self.opts.threads is None

    def _beside(self, work: Callable[..., _T], *args: Any) -> Future[_T]:
        """``work(*args)`` started in a thread of its own (its solves stop on ``_cancel``)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="siting-heuristic")
        future = executor.submit(work, *args)
        executor.shutdown(wait=False)
        return future

    def _stop_all(self) -> None:
        """Stop every solve still running (the bound LP's included)."""
        self._cancel.set()
        self._bound_cancel.set()

    def _joined(self, future: Future[_T]) -> _T:
        """The result of work started by :meth:`_beside`; Ctrl-C while waiting stops
        it (``interrupted``) and still waits for it to return."""
        while True:
            try:
                return future.result()
            except KeyboardInterrupt:
                self.interrupted = True
                self._stop_all()

    def _relaxations(self, indices: list[int]) -> list[dict[str, IntArray]]:
        """:meth:`_relaxation` of each year index, two at a time when allowed; the
        stats in the order of ``indices`` either way."""
        if len(indices) < 2 or not self._side_by_side():
            return [self._relaxation(k) for k in indices]
        # The first index's LP (the final year's: the longest solve, the bound LP waits
        # for it) is built before the others start: building is Python, and two builds
        # at once take turns on the interpreter's lock and both start solving late.
        if not self._late():
            self._built[indices[0]] = self._year_lp(indices[0])
        later = [self._beside(self._relaxation, k) for k in indices[1:]]
        try:
            found = [self._relaxation(indices[0])]
        except BaseException:
            self._stop_all()
            raise
        if self.interrupted:
            self._stop_all()
        found += [self._joined(f) for f in later]
        for k in indices:
            key = f"lp_{self.prob.years[k]}"
            if key in self.stats:
                self.stats[key] = self.stats.pop(key)
        return found

    def _year_lp(self, index: int) -> YearLp:
        """The LP of the spec collapsed onto year ``index``, every target kept."""
        t = time.perf_counter()
        one = self.prob.on_year(one_year_spec(self.prob.spec, index), index)
        milp, lay = build(one)
        return YearLp(one, milp, lay, t)

    def _relaxation(self, index: int) -> dict[str, IntArray]:
        """Pool of the LP relaxation of the spec collapsed onto year ``index`` (its LP
        built ahead by :meth:`_relaxations`, or now); when no plan meets every target
        in that year, the targets and floors are dropped."""
        if self._late():
            return {}
        year = self._built.pop(index, None) or self._year_lp(index)
        lay = year.lay
        result = self._solve(relaxed(year.milp), self._options())
        if not self._late() and not (result.status.has_solution and result.x is not None):
            everything = frozenset(range(len(year.one.spec.target)))
            milp, lay = build(year.one, drop=everything, drop_equity=True)
            result = self._solve(relaxed(milp), self._options())
        found = {}
        if result.status.has_solution and result.x is not None:
            reduced = result.extra.get("col_dual")
            found = support(year.one, lay, result.x,
                            reduced if isinstance(reduced, np.ndarray) else None, self.extra)
        self.stats[f"lp_{self.prob.years[index]}"] = {
            "status": str(result.status),
            "s": round(time.perf_counter() - year.started, 3),
        }
        return found

    def _restricted(self, pool: dict[str, IntArray], label: str) -> Restricted | None:
        """The phased spec on the pool, and its LP (None when it has none)."""
        if self._late() or not pool:
            return None
        t = time.perf_counter()
        sub = MultiServiceProblem(self.prob.spec, self.prob.data, only=pool, reuse=self.prob)
        milp, lay = build(sub)
        info: dict[str, Any] = {
            "candidates": int(sum(td.n_cand for td in sub.types.values())),
            "columns": milp.num_cols,
        }
        self.stats[label] = info
        lp = self._solve(
            replace(milp, integrality=np.zeros(milp.num_cols, dtype=bool)), self._options()
        )
        info["lp"] = lp.objective
        info["s"] = round(time.perf_counter() - t, 3)
        if not lp.status.has_solution or lp.x is None:
            return None
        return Restricted(label, pool, sub, milp, lay, lp.x, spaces_mask(milp, lay))

    def _round(self, r: Restricted, step: str) -> bool:
        """One sub-MILP around the restricted LP; its plan is lifted and offered.

        ``rens`` rounds the LP: every integer column it sets to a whole number is
        fixed, the others lie between floor and ceiling. ``support`` searches the
        LP's support (columns it leaves at 0 stay 0), starting from the best plan
        so far. Spaces are relaxed to continuous in both (integer spaces next to
        the budget rows make the solver's cut rounds slow) and made whole
        afterwards with every facility fixed (:meth:`_whole_spaces`).
        """
        if self._late():
            return False
        r.done.add(step)
        t = time.perf_counter()
        relaxed = r.spaces_relaxed()
        ints = relaxed.integrality
        lower, upper = r.milp.col_lower.copy(), r.milp.col_upper.copy()
        if step == "rens":
            lower[ints] = np.floor(r.lp_x[ints] + 1e-6)
            upper[ints] = np.ceil(r.lp_x[ints] - 1e-6)
        else:
            upper[ints & (r.lp_x < SUPPORT_TOL)] = 0.0
        # A sub-MIP of a heuristic: HiGHS's own sub-MIP heuristics inside it search
        # again for what this step searches for (2026-2030 plan, heuristic phase:
        # 7.6-7.9 s → 6.7-7.0 s).
        opts = self._options(mip_gap=self.opts.mip_gap / 4, warm_start=r.start)
        opts = opts.tuned(Tuning.NO_HEURISTICS)
        res = self._solve(replace(relaxed, col_lower=lower, col_upper=np.maximum(upper, lower)),
                          opts)
        self.stats[r.label][step] = res.objective
        self.stats[r.label][f"{step}_s"] = round(time.perf_counter() - t, 3)
        if not res.status.has_solution or res.x is None:
            return False
        r.start = res.x
        self._keep(r.sub, r.lay, r.milp, res.x, r.spaces, f"{r.label} {step}")
        return True

    def _any_plan(self, r: Restricted, *, probing: bool = False) -> None:
        """No rounding of the LP had a plan: any plan of ``r``, then RINS around it
        (:mod:`siting.multi.feasible`, with ``probing``), within a third of the time
        left."""
        if self._late():
            return
        opts = self._options(mip_gap=self.opts.mip_gap / 4)
        if opts.time_limit is not None:
            opts = replace(opts, time_limit=opts.time_limit / 3)
        whole = r.spaces_relaxed()
        x, info = feasible_plan(whole, r.lp_x, self._solve, opts, probing=probing)
        self.stats[r.label].update(info)
        if x is not None:
            r.start = x
            self._keep(r.sub, r.lay, r.milp, x, r.spaces, f"{r.label} {info['step']}")

    def _whole_model_plan(self, lp_x: FloatArray) -> None:
        """No pool's problem had a plan: any plan of the full model, then RINS around the
        full model's LP point ``lp_x`` (:meth:`_any_plan`). A plan exists exactly when
        the spec has one; the pools can lack the parcels every plan needs (回天
        2018-2020 with the circle targets enforced at 80 % in 2019 and 90 % in 2020:
        no pool, nor the pool widened by this LP's support, had a plan; the full
        model's search found none in 60 s, this step one 0.11 % below the optimum).
        Its first solve has presolve's probing (see :mod:`siting.multi.feasible`); when
        that solve proves there is no plan, the spec has none (``no_plan``)."""
        whole = Restricted(FULL_MODEL, {}, self.prob, self.milp, self.lay, lp_x,
                           spaces_mask(self.milp, self.lay))
        self.stats[whole.label] = {}
        self._any_plan(whole, probing=True)

    def _bound_lp(self, pool: dict[str, IntArray]) -> tuple[Result, float] | None:
        """The full model's LP relaxation, solved from the basis of the same LP with the
        columns outside ``pool`` held at 0 (a back end with ``Capability.WARM_LP``;
        None otherwise), and the seconds it took."""
        backend = get_backend(self.backend)
        if self._late() or not backend.supports(Capability.WARM_LP):
            return None
        t = time.perf_counter()
        held = np.zeros(self.milp.num_cols, dtype=bool)
        for name, td in self.prob.types.items():
            out = np.tile(~np.isin(td.cand, pool.get(name, td.cand[:0])), self.prob.T)
            for grids in (self.lay.w, self.lay.s):
                if name in grids:
                    held[grids[name].slice] = out
        opts = self._options(cancel=self._bound_cancel)
        if self.bound_deadline is not None and opts.time_limit is not None:
            opts = replace(opts, time_limit=max(self.bound_deadline - time.perf_counter(),
                                                opts.time_limit))
        res = cast(WarmLpBackend, backend).warm_lp(self.milp, held, opts)
        return res, time.perf_counter() - t

    def _take_bound(self, res: Result, seconds: float) -> None:
        """The bound LP's result kept: certified by weak duality with its duals
        (:func:`dual_bound`)."""
        self._checked(res)
        duals = res.extra.get("row_dual")
        info: dict[str, Any] = {"status": str(res.status), "lp": res.objective,
                                "s": round(seconds, 3)}
        self.stats["bound"] = info
        if res.status.has_solution and res.x is not None:
            self._bound_x = res.x
        if isinstance(duals, np.ndarray):
            self._prove(dual_bound(self.milp, duals))
            info["certified"] = self.bound

    def _prove(self, bound: float) -> None:
        """Keep the best bound; when the best plan is within the gap of it, say so."""
        tighter = self.bound is None or bound < self.bound
        if tighter:
            self.bound = bound
        best = self.best
        if tighter and self.on_bound is not None:
            self.on_bound(bound)
        if best is not None and self.bound is not None:
            gap = relative_gap(best.objective, self.bound, "max")
            if gap is not None and gap <= self.opts.mip_gap:
                self.proven = True

    def _keep(
        self, sub: MultiServiceProblem, lay: Layout, milp: MilpArrays, x: FloatArray,
        spaces: NDArray[np.bool_], source: str,
    ) -> None:
        """Make a restricted plan's spaces whole, lift it to the full model and offer it."""
        whole = whole_spaces(milp, x, spaces, self._solve, self._options(mip_gap=1e-6))
        if whole is None:
            return
        lifted = lift(self.prob, self.lay, sub, lay, whole, self.milp.num_cols)
        full = complete(self.milp, lifted, self._solve, self._options())
        if full is None or self.milp.max_violation(full) > 1e-6:
            self.stats.setdefault("rejected", []).append(source)
            return
        self._offer(Incumbent(full, self.milp.objective_of(full), source,
                              round(time.perf_counter() - self._t0, 3)))

    def _offer(self, inc: Incumbent) -> None:
        if self.best is not None and inc.objective <= self.best.objective:
            return
        self.best = inc
        if self.bound is not None:
            self._prove(self.bound)
        self.stats["objective"] = inc.objective
        self.stats["found_s"] = inc.found_s
        self.stats["source"] = inc.source
        if self.on_incumbent is not None:
            self.on_incumbent(inc)
