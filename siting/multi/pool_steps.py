"""The pool heuristic's steps (:mod:`siting.multi.heuristic`): the spec collapsed onto one
year, a one-year relaxation's LP, the pool its solution gives, pools merged, the phased problem
on a pool (:class:`Restricted`), a restricted plan's spaces made whole, lifted into the full
model's columns and completed there (:class:`Incumbent`), and the weak-duality bound of any
row multipliers.

>>> merge_pools({"a": np.array([3, 1])}, {"a": np.array([2, 3])})
{'a': array([1, 2, 3])}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import Result, SolveOptions
from siting.milp import MilpArrays
from siting.multi.problem import MultiServiceProblem
from siting.multi.spec import Spec
from siting.multi.types import Layout

__all__ = [
    "SUPPORT_TOL", "Incumbent", "Restricted", "YearLp", "complete", "dual_bound", "lift",
    "merge_pools", "one_year_spec", "relaxed", "spaces_mask", "support", "whole_spaces",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: An LP value above this puts a candidate into the pool.
SUPPORT_TOL = 1e-6


@dataclass
class YearLp:
    """The spec collapsed onto one year (:func:`one_year_spec`)
    as a problem, its arrays, and when building them began (``time.perf_counter()``)."""

    one: MultiServiceProblem
    milp: MilpArrays
    lay: Layout
    started: float


def spaces_mask(milp: MilpArrays, lay: Layout) -> NDArray[np.bool_]:
    """The columns of ``milp`` that count parking spaces (integer, relaxed in the
    heuristic's sub-MIPs and made whole afterwards)."""
    spaces = np.zeros(milp.num_cols, dtype=bool)
    for grid in lay.s.values():
        spaces[grid.slice] = True
    return spaces


@dataclass
class Incumbent:
    """A feasible solution of the full model (all columns) and where it came from."""

    x: FloatArray
    objective: float
    source: str
    found_s: float


@dataclass
class Restricted:
    """The phased problem on a pool: its arrays, its LP solution, the best plan in it."""

    label: str
    pool: dict[str, IntArray]
    sub: MultiServiceProblem
    milp: MilpArrays
    lay: Layout
    lp_x: FloatArray
    spaces: NDArray[np.bool_]
    start: FloatArray | None = None
    done: set[str] = field(default_factory=set)

    def spaces_relaxed(self) -> MilpArrays:
        """Its arrays with spaces continuous, as the heuristic's sub-MIPs solve them
        (integer spaces next to the budget rows make the solver's cut rounds slow)."""
        return replace(self.milp, integrality=self.milp.integrality & ~self.spaces)


def whole_spaces(
    milp: MilpArrays, x: FloatArray, spaces: NDArray[np.bool_],
    solve: Callable[[MilpArrays, SolveOptions], Result], opts: SolveOptions,
) -> FloatArray | None:
    """``x`` with whole spaces: its other integer columns fixed, spaces an integer
    choice again (a small MILP: only open lots' spaces move); None if there is none."""
    if not spaces.any():
        return x
    fixed = milp.integrality & ~spaces
    lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
    lower[fixed] = upper[fixed] = np.round(x[fixed])
    res = solve(replace(milp, col_lower=lower, col_upper=upper), opts)
    return res.x if res.status.has_solution else None


def relaxed(milp: MilpArrays) -> MilpArrays:
    """``milp`` with every column continuous (its LP relaxation)."""
    return replace(milp, integrality=np.zeros(milp.num_cols, dtype=bool))


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
    milp: MilpArrays, x: FloatArray, solve: Callable[[MilpArrays, SolveOptions], Result],
    opts: SolveOptions,
) -> FloatArray | None:
    """``x``'s integer columns fixed, the continuous ones from an LP (None if infeasible)."""
    ints = milp.integrality
    lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
    lower[ints] = upper[ints] = np.round(x[ints])
    if np.any(lower > milp.col_upper + 1e-9) or np.any(upper < milp.col_lower - 1e-9):
        return None
    fixed = replace(milp, col_lower=lower, col_upper=upper,
                    integrality=np.zeros(milp.num_cols, dtype=bool))
    res = solve(fixed, opts)
    if not res.status.has_solution or res.x is None:
        return None
    out = res.x.copy()
    out[ints] = lower[ints]
    return out


def dual_bound(milp: MilpArrays, row_dual: FloatArray) -> float:
    """An upper bound on ``max c x + offset`` over ``milp``'s LP relaxation (so on the
    MILP) from any row multipliers, by weak duality over the column bounds.

    Multipliers of the wrong sign for a side that is infinite are set to 0, so the
    bound holds whatever the multipliers are; it equals the LP optimum at an
    optimal dual solution.

    >>> import scipy.sparse as sp
    >>> m = MilpArrays(c=np.array([1.0, 1.0]), A=sp.csr_matrix(np.array([[1.0, 1.0]])),
    ...     row_lower=np.array([-np.inf]), row_upper=np.array([1.5]),
    ...     col_lower=np.zeros(2), col_upper=np.ones(2),
    ...     integrality=np.ones(2, dtype=bool), sense="max")
    >>> dual_bound(m, np.array([1.0])), dual_bound(m, np.array([0.0]))
    (1.5, 2.0)
    """
    upper, lower = milp.row_upper, milp.row_lower
    y = np.where(np.isinf(upper) & (row_dual > 0), 0.0, row_dual)
    y = np.where(np.isinf(lower) & (y < 0), 0.0, y)
    reduced = milp.c - milp.A.T @ y
    rows = np.where(y > 0, y * np.where(np.isinf(upper), 0.0, upper),
                    y * np.where(np.isinf(lower), 0.0, lower))
    cols = np.maximum(reduced * milp.col_upper, reduced * milp.col_lower)
    return float(milp.offset + rows.sum() + cols.sum())


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
