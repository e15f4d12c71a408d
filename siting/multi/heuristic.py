"""A primal heuristic for the multi-service model: a near-optimal plan within seconds.

The full model's bound comes from the full model only; this module finds plans
(a start, never a claimed optimum) while the solver works on that bound, and
hands them over as soon as they exist (``SolveOptions.incumbents``).

It restricts the phased problem to a pool of promising parcels per type:

1. *One-year relaxations.* The spec collapsed onto its final year (every target
   and floor, quotas and budgets as totals) and onto its first year (that year's
   parcels and budget) are solved as LPs. With the land-conflict rows of
   :mod:`siting.multi.rows` these LPs are nearly integral: the parcels they use,
   per type, are the pool.
2. *The restricted phased problem.* The spec itself on the pool only: blocks
   merge into far fewer groups (covering patterns over fewer parcels), so this
   exact MILP is small, and the solver settles the phasing, the budgets and the
   land in a few seconds. If it has no plan (the pool cannot meet a yearly quota)
   the pool grows by the relaxations of the years in between.
3. *Lifting.* Its plan, written in the full model's columns (facilities, spaces,
   kept existing sites), is completed by the LP over the remaining (continuous)
   columns with every integer column fixed: a feasible solution of the full model
   with its own objective.

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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import SolveOptions, get_backend
from siting.milp import MilpArrays
from siting.multi.problem import MultiServiceProblem
from siting.multi.rows import Layout
from siting.multi.spec import Spec, parse_spec

__all__ = ["Incumbent", "PoolHeuristic", "one_year_spec", "parse_spec"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: An LP value above this puts a candidate into the pool.
SUPPORT_TOL = 1e-6


@dataclass
class Incumbent:
    """A feasible solution of the full model (all columns) and where it came from."""

    x: FloatArray
    objective: float
    source: str
    found_s: float


def one_year_spec(spec: Spec, index: int) -> Spec:
    """The spec collapsed onto year ``index`` (a relaxation of what can be open then).

    Yearly quotas up to that year become totals (lower bounds only for the final
    year: a minimum may be met later), the budget is what the years up to it may
    spend, targets and floors are asked of that year. Parcels free only later
    drop out, as the one year is now the last.
    """
    years = spec.meta.years
    year = years[index]
    final = index == len(years) - 1
    one = spec.model_copy(deep=True)
    one.meta.years = [year]
    allowed = [str(y) for y in years[: index + 1]]
    per_year = spec.budget.per_year
    spend = sum(per_year[y] for y in allowed) if all(y in per_year for y in allowed) else None
    totals = [v for v in (spec.budget.total, spend) if v is not None]
    one.budget.per_year = {}
    one.budget.total = min(totals) if totals else None
    for tgt in one.target:
        tgt.year = None
    for e in one.equity:
        e.year = None
    for f in one.facility.values():
        count, least, most = dict(f.count), dict(f.min_count), dict(f.max_count)
        f.count.clear()
        f.min_count.clear()
        f.max_count.clear()
        upper = [sum(q.get(y, 0) for y in allowed) for q in (count, most)
                 if any(y in q for y in allowed)]
        upper += [q["total"] for q in (count, most) if "total" in q]
        if upper:
            f.max_count["total"] = min(upper)
        if final:
            lower = [sum(q.get(y, 0) for y in allowed) for q in (count, least)
                     if any(y in q for y in allowed)]
            lower += [q["total"] for q in (count, least) if "total" in q]
            if lower:
                f.min_count["total"] = max(lower)
    return one


def support(
    prob: MultiServiceProblem, lay: Layout, x: FloatArray, reduced: FloatArray | None = None,
    extra: int = 0,
) -> dict[str, IntArray]:
    """Parcel positions each type uses in ``x`` (in any year, any amount), and the
    ``extra`` unused ones whose reduced cost (a maximisation: <= 0) is nearest to
    paying, as many per type as it uses."""
    out = {}
    for name, td in prob.types.items():
        used = x[lay.w[name].slice].reshape(prob.T, td.n_cand).max(axis=0) > SUPPORT_TOL
        chosen = td.cand[used]
        if reduced is not None and extra:
            rc = reduced[lay.w[name].slice].reshape(prob.T, td.n_cand).max(axis=0)
            idle = np.flatnonzero(~used)
            near = idle[np.argsort(-rc[idle], kind="stable")[: extra * max(1, chosen.size)]]
            chosen = np.union1d(chosen, td.cand[near])
        out[name] = chosen
    return out


def merge_pools(*pools: dict[str, IntArray]) -> dict[str, IntArray]:
    """Per type, the union of the pools' parcel positions.

    >>> merge_pools({"a": np.array([3, 1])}, {"a": np.array([2, 3]), "b": np.array([0])})
    {'a': array([1, 2, 3]), 'b': array([0])}
    """
    out: dict[str, IntArray] = {}
    for pool in pools:
        for name, positions in pool.items():
            out[name] = np.union1d(out.get(name, np.zeros(0, dtype=np.int64)), positions)
    return out


def lift(
    prob: MultiServiceProblem, lay: Layout, sub: MultiServiceProblem, sub_lay: Layout,
    x_sub: FloatArray, n_cols: int,
) -> FloatArray:
    """The integer columns (facilities, spaces, kept sites) of a plan of the restricted
    problem ``sub``, written in the full problem's columns; the rest is 0."""
    x = np.zeros(n_cols)
    for name, td in prob.types.items():
        part = sub.types[name]
        cols = np.searchsorted(td.cand, part.cand)
        grids = [(lay.w, sub_lay.w)] + ([(lay.s, sub_lay.s)] if name in lay.s else [])
        for full, small in grids:
            values = np.round(x_sub[small[name].slice]).reshape(prob.T, part.n_cand)
            block = np.zeros((prob.T, td.n_cand))
            block[:, cols] = values
            x[full[name].slice] = block.ravel()
        x[lay.keep[name].slice] = np.round(x_sub[sub_lay.keep[name].slice])
    return x


def complete(
    milp: MilpArrays, x: FloatArray, backend: str, opts: SolveOptions
) -> FloatArray | None:
    """``x``'s integer columns fixed, the continuous ones from an LP (None if infeasible)."""
    ints = milp.integrality
    lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
    lower[ints] = upper[ints] = np.round(x[ints])
    if np.any(lower > milp.col_upper + 1e-9) or np.any(upper < milp.col_lower - 1e-9):
        return None
    fixed = replace(milp, col_lower=lower, col_upper=upper,
                    integrality=np.zeros(milp.num_cols, dtype=bool))
    res = get_backend(backend).solve(fixed, opts)
    if not res.status.has_solution or res.x is None:
        return None
    out = res.x.copy()
    out[ints] = lower[ints]
    return out


@dataclass
class PoolHeuristic:
    """The pool heuristic (see the module doc) in a background thread.

    ``start()`` launches it; ``take()`` (the solver's ``incumbents`` source) returns
    the newest plan not yet handed over; ``best`` is the best plan found; ``stop()``
    cancels what still runs and waits for the thread. ``deadline`` is a
    ``time.perf_counter()`` instant after which nothing new is started.
    """

    prob: MultiServiceProblem
    milp: MilpArrays
    lay: Layout
    backend: str
    opts: SolveOptions
    deadline: float | None = None
    extra: int = 1
    on_incumbent: Callable[[Incumbent], None] | None = None
    on_finish: Callable[[PoolHeuristic], None] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    best: Incumbent | None = None
    _fresh: bool = False
    _done: bool = False
    _cancel: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _t0: float = field(default_factory=time.perf_counter)

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._guarded, name="siting-heuristic",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._cancel.set()
        if self._thread is not None:
            self._thread.join()

    def finished(self) -> None:
        """Tell ``on_finish`` (once) that the heuristic has nothing more to offer."""
        if self._done:
            return
        self._done = True
        self.stats["s"] = round(time.perf_counter() - self._t0, 3)
        if self.on_finish is not None:
            self.on_finish(self)

    def take(self) -> FloatArray | None:
        with self._lock:
            if not self._fresh or self.best is None:
                return None
            self._fresh = False
            return self.best.x

    def run(self) -> None:
        """The heuristic's steps, in the calling thread (``start`` runs it in another)."""
        prob = self.prob
        lasts = [prob.T - 1] + ([0] if prob.T > 1 else [])
        pool = merge_pools(*[self._relaxation(k) for k in lasts])
        if not self._restricted(pool, "pool") and prob.T > 2:
            pool = merge_pools(pool, *[self._relaxation(k) for k in range(1, prob.T - 1)])
            self._restricted(pool, "wider pool")

    # ------------------------------------------------------------- steps
    def _guarded(self) -> None:
        try:
            self.run()
        except Exception as exc:  # a failed heuristic leaves the solve to the solver
            self.stats["error"] = f"{type(exc).__name__}: {exc}"
        self.finished()

    def _late(self) -> bool:
        return self._cancel.is_set() or (
            self.deadline is not None and time.perf_counter() >= self.deadline
        )

    def _options(self, **kwargs: Any) -> SolveOptions:
        left = None if self.deadline is None else max(self.deadline - time.perf_counter(), 0.05)
        return SolveOptions(time_limit=left, cancel=self._cancel, verbose=self.opts.verbose,
                            solver_options=self.opts.solver_options, **kwargs)

    def _relaxation(self, index: int) -> dict[str, IntArray]:
        """Pool of the LP relaxation of the spec collapsed onto year ``index``."""
        if self._late():
            return {}
        t = time.perf_counter()
        one = self.prob.on_year(one_year_spec(self.prob.spec, index), index)
        everything = frozenset(range(len(one.spec.target)))
        result = None
        for kwargs in ({}, {"drop": everything, "drop_equity": True}):
            milp, lay = one.build(**kwargs)
            lp = replace(milp, integrality=np.zeros(milp.num_cols, dtype=bool))
            result = get_backend(self.backend).solve(lp, self._options())
            if result.status.has_solution and result.x is not None:
                break
        found = {}
        if result is not None and result.status.has_solution and result.x is not None:
            reduced = result.extra.get("col_dual")
            found = support(one, lay, result.x,
                            reduced if isinstance(reduced, np.ndarray) else None, self.extra)
        self.stats[f"lp_{self.prob.years[index]}"] = {
            "status": str(result.status if result is not None else "skipped"),
            "s": round(time.perf_counter() - t, 3),
        }
        return found

    def _restricted(self, pool: dict[str, IntArray], label: str) -> bool:
        """The phased spec on the pool: its LP, then two sub-MILPs around it (each
        plan is lifted and offered as soon as it exists). True if a plan was found.

        RENS rounds the LP: every integer column it sets to a whole number is
        fixed, the others lie between floor and ceiling; then the LP's support
        (columns it leaves at 0 stay 0) is searched, starting from that plan.
        Spaces are relaxed to continuous in both (integer spaces next to the
        budget rows make the solver's cut rounds slow) and made whole afterwards
        with every facility fixed (:meth:`_whole_spaces`).
        """
        if self._late() or not pool:
            return False
        t = time.perf_counter()
        sub = MultiServiceProblem(self.prob.spec, self.prob.data, only=pool, reuse=self.prob)
        milp, lay = sub.build()
        info: dict[str, Any] = {
            "candidates": int(sum(td.n_cand for td in sub.types.values())),
            "columns": milp.num_cols,
        }
        self.stats[label] = info
        lp = get_backend(self.backend).solve(
            replace(milp, integrality=np.zeros(milp.num_cols, dtype=bool)), self._options()
        )
        info["lp"] = lp.objective
        if not lp.status.has_solution or lp.x is None:
            info["s"] = round(time.perf_counter() - t, 3)
            return False
        spaces = np.zeros(milp.num_cols, dtype=bool)
        for grid in lay.s.values():
            spaces[grid.slice] = True
        relaxed = replace(milp, integrality=milp.integrality & ~spaces)
        ints = relaxed.integrality
        gap = self.opts.mip_gap / 4
        start = None
        for step in ("rens", "support"):
            if self._late():
                break
            lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
            if step == "rens":
                lower[ints] = np.floor(lp.x[ints] + 1e-6)
                upper[ints] = np.ceil(lp.x[ints] - 1e-6)
            else:
                upper[ints & (lp.x < SUPPORT_TOL)] = 0.0
            res = get_backend(self.backend).solve(
                replace(relaxed, col_lower=lower, col_upper=np.maximum(upper, lower)),
                self._options(mip_gap=gap, warm_start=start),
            )
            info[step] = res.objective
            if res.status.has_solution and res.x is not None:
                start = res.x
                self._keep(sub, lay, milp, res.x, spaces, f"{label} {step}")
        info["s"] = round(time.perf_counter() - t, 3)
        return start is not None

    def _keep(
        self, sub: MultiServiceProblem, lay: Layout, milp: MilpArrays, x: FloatArray,
        spaces: NDArray[np.bool_], source: str,
    ) -> None:
        """Make a restricted plan's spaces whole, lift it to the full model and offer it."""
        whole = self._whole_spaces(milp, x, spaces)
        if whole is None or self._cancel.is_set():
            return
        lifted = lift(self.prob, self.lay, sub, lay, whole, self.milp.num_cols)
        full = complete(self.milp, lifted, self.backend, self._options())
        if full is None or self.milp.max_violation(full) > 1e-6:
            self.stats.setdefault("rejected", []).append(source)
            return
        self._offer(Incumbent(full, self.milp.objective_of(full), source,
                              round(time.perf_counter() - self._t0, 3)))

    def _whole_spaces(
        self, milp: MilpArrays, x: FloatArray, spaces: NDArray[np.bool_]
    ) -> FloatArray | None:
        """``x`` with whole spaces: its other integer columns fixed, spaces an integer
        choice again (a small MILP: only open lots' spaces move)."""
        if not spaces.any():
            return x
        fixed = milp.integrality & ~spaces
        lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
        lower[fixed] = upper[fixed] = np.round(x[fixed])
        res = get_backend(self.backend).solve(
            replace(milp, col_lower=lower, col_upper=upper), self._options(mip_gap=1e-6)
        )
        return res.x if res.status.has_solution else None

    def _offer(self, inc: Incumbent) -> None:
        with self._lock:
            if self.best is not None and inc.objective <= self.best.objective:
                return
            self.best = inc
            self._fresh = True
        self.stats["objective"] = inc.objective
        self.stats["found_s"] = inc.found_s
        self.stats["source"] = inc.source
        if self.on_incumbent is not None:
            self.on_incumbent(inc)
