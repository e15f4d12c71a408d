"""HiGHS's LP services beyond a solve: an LP re-solved warm from a basis with some
columns held (:func:`warm_lp`), and an LP kept loaded while rows are added
(:class:`HighsLp`, a cut loop's LP).

>>> import numpy as np, scipy.sparse as sp
>>> lp = MilpArrays(c=np.array([1.0, 1.0]), A=sp.csr_matrix(np.array([[1.0, 2.0]])),
...     row_lower=np.array([-np.inf]), row_upper=np.array([4.0]), col_lower=np.zeros(2),
...     col_upper=np.full(2, 3.0), integrality=np.zeros(2, dtype=bool), sense="max")
>>> session = HighsLp(lp)
>>> session.solve(), session.objective()
(True, 3.5)
>>> session.add_rows(sp.csr_matrix(np.array([[1.0, 0.0]])), np.array([2.0]))
>>> session.solve(), session.objective(), session.values().tolist()
(True, 3.0, [2.0, 1.0])
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import Result, SolveOptions, Status
from siting.backends.highs_core import (
    NAME,
    _as_interrupted,
    _configured,
    _core,
    _result,
    _run_interruptible,
    load_model,
)
from siting.milp import MilpArrays

FloatArray = NDArray[np.float64]


class HighsLp:
    """An LP loaded in HiGHS, solved from its last basis each time rows are added.

    Runs in the calling thread (a cut loop's LPs are short; its deadline bounds them).
    """

    def __init__(self, lp: MilpArrays) -> None:
        self._core = _core()
        self._h = self._core._Highs()
        self._h.setOptionValue("output_flag", False)
        load_model(self._h, self._core, lp)

    def solve(self, time_limit: float | None = None) -> bool:
        """Solve from the last basis, for at most ``time_limit`` seconds."""
        if time_limit is not None and math.isfinite(time_limit):
            _run_for(self._h, time_limit)
        self._h.run()
        return bool(self._h.getModelStatus() == self._core.HighsModelStatus.kOptimal)

    def values(self) -> FloatArray:
        return np.asarray(self._h.getSolution().col_value, dtype=np.float64)

    def reduced_costs(self) -> FloatArray:
        return np.asarray(self._h.getSolution().col_dual, dtype=np.float64)

    def objective(self) -> float:
        return float(self._h.getInfo().objective_function_value)

    def add_rows(self, rows: Any, upper: FloatArray) -> None:
        rows = sp.csr_matrix(rows)
        self._h.addRows(
            rows.shape[0], np.full(rows.shape[0], -np.inf),
            np.ascontiguousarray(upper, np.float64), int(rows.nnz),
            np.ascontiguousarray(rows.indptr[:-1], np.int32),
            np.ascontiguousarray(rows.indices, np.int32),
            np.ascontiguousarray(rows.data, np.float64),
        )


def warm_lp(milp: MilpArrays, held: np.ndarray, options: SolveOptions) -> Result:
    """The LP relaxation of ``milp``, solved from the optimal basis of the same LP with
    the columns of ``held`` (a mask) held at their lower bound.

    The held columns are released by pricing, as in column generation: each round
    frees those whose reduced cost would improve the objective, until no held column
    prices out; the LP is then optimal for the whole model. The first release is
    solved afresh, with presolve (the columns still held and the rows they alone
    touch go away: a few thousand iterations), by dual simplex with Devex pricing
    as the held LP (:func:`_cold`) and in its HiGHS instance (the model is handed
    over once for both); later ones, a few hundred columns,
    from the last basis (primal feasible: the freed columns sit at their lower
    bound), the first of them by dual simplex and the rest by primal simplex.
    On the 2026-2030 plan's LP the first warm round took 2,506 dual iterations,
    0.5-0.6 s, against 3,190 primal ones, 1.0-1.2 s (the next, 201 against 43
    primal iterations, ~0.04 s more); on the 2018-2020 plan's, where every round
    is short, 685 against 406. Freeing every held column at once and going on
    from the held basis costs primal simplex degenerate pivots for every column
    that cannot move (its parcel's other rows hold it). On the 2026-2030 plan's
    LP and two variants (budget x 0.6; budget x 1.5 with radii x 1.3), rounds
    with primal simplex throughout took 58-65 %, 73-89 % and 85-91 % of the CPU
    of freeing every held column at once.
    ``Result.extra`` carries ``row_dual`` and ``rounds``; ``time_limit`` and
    ``cancel`` apply to the whole.

    >>> import scipy.sparse as sp
    >>> lp = MilpArrays(c=np.array([1.0, 2.0, 3.0]), A=sp.csr_matrix(np.ones((1, 3))),
    ...     row_lower=np.array([-np.inf]), row_upper=np.array([1.5]), col_lower=np.zeros(3),
    ...     col_upper=np.ones(3), integrality=np.ones(3, dtype=bool), sense="max")
    >>> res = warm_lp(lp, np.array([False, False, True]), SolveOptions())
    >>> res.objective, res.extra["rounds"]
    (4.0, 2)
    """
    t0 = time.perf_counter()
    core = _core()
    lp = MilpArrays(
        c=milp.c, A=milp.A, row_lower=milp.row_lower, row_upper=milp.row_upper,
        col_lower=milp.col_lower, col_upper=np.where(held, milp.col_lower, milp.col_upper),
        integrality=np.zeros(milp.num_cols, dtype=bool), sense=milp.sense, offset=milp.offset,
    )
    whole = replace(lp, col_upper=milp.col_upper)
    first = _cold(core, options)
    load_model(first, core, lp)
    if _run_interruptible(first, core, cancel=options.cancel):
        return _as_interrupted(Result(Status.NO_SOLUTION, NAME))
    if first.getModelStatus() != core.HighsModelStatus.kOptimal:
        return Result(Status.NO_SOLUTION, NAME, runtime_s=time.perf_counter() - t0,
                      message="the held LP did not solve")
    still = np.asarray(held, dtype=bool).copy()
    solver, rounds = first, 1
    freed = _pricing_out(first, milp, still)
    if freed.size:  # the first release afresh, with presolve, in the same instance
        # (the model is not handed over again: its freed columns get their bounds back
        # and the basis is dropped; the same solve as from a new instance)
        solver.changeColsBounds(int(freed.size), freed.astype(np.int32),
                                milp.col_lower[freed], milp.col_upper[freed])
        solver.clearSolver()
        _limit(solver, options, t0)
        rounds += 1
        if _run_interruptible(solver, core, cancel=options.cancel):
            return _as_interrupted(_result(solver, core, whole))
        if solver.getModelStatus() != core.HighsModelStatus.kOptimal:
            return Result(Status.NO_SOLUTION, NAME, runtime_s=time.perf_counter() - t0,
                          message="the LP with the first columns released did not solve")
        freed = _pricing_out(solver, milp, still)
    if freed.size:  # later ones warm, from its basis
        basis = solver.getBasis()
        status = list(basis.col_status)
        for k in np.flatnonzero(still):
            if status[k] != core.HighsBasisStatus.kBasic:  # at its (lower = upper) bound
                status[k] = core.HighsBasisStatus.kLower
        basis.col_status = status
        solver = _configured(core, options)
        solver.setOptionValue("presolve", "off")  # a basis is used as it is, without presolve
        solver.setOptionValue("simplex_strategy", 1)  # dual first (see the doc), then primal
        load_model(solver, core, _holding(lp, milp, still))
        solver.setBasis(basis)
    while freed.size:
        _limit(solver, options, t0)
        rounds += 1
        if _run_interruptible(solver, core, cancel=options.cancel):
            return _as_interrupted(_result(solver, core, whole))
        if solver.getModelStatus() != core.HighsModelStatus.kOptimal:
            break
        solver.setOptionValue("simplex_strategy", 4)  # primal: the start is primal feasible
        freed = _pricing_out(solver, milp, still)
        if freed.size:
            solver.changeColsBounds(int(freed.size), freed.astype(np.int32),
                                    milp.col_lower[freed], milp.col_upper[freed])
    result = _result(solver, core, whole)
    if result.status == Status.OPTIMAL:
        result.extra["row_dual"] = np.asarray(solver.getSolution().row_dual, dtype=np.float64)
    result.extra["rounds"] = rounds
    result.runtime_s = time.perf_counter() - t0
    return result


def _cold(core: Any, options: SolveOptions) -> Any:
    """A HiGHS instance for a solve from no basis: dual simplex with Devex pricing
    (edge weights guessed, not computed), unless the caller's ``solver_options``
    choose. On the 2026-2030 plan's bound LP the two cold solves took 7,095 and
    7,401 iterations, 0.49-0.56 and 0.59-0.68 s CPU, against 6,694 and 7,207 with
    HiGHS's choice (steepest edge), 0.58-0.76 and 0.67-0.74 s; the warm rounds after
    them keep HiGHS's choice (Devex there: 2,665 iterations, 0.57 s, against 2,506,
    0.37 s)."""
    solver = _configured(core, options)
    if _DUAL_PRICING not in options.solver_options.get(NAME, {}):
        solver.setOptionValue(_DUAL_PRICING, 1)  # Devex
    return solver


#: HiGHS's option for the dual simplex's pricing (edge weights).
_DUAL_PRICING = "simplex_dual_edge_weight_strategy"


def _holding(lp: MilpArrays, milp: MilpArrays, still: NDArray[np.bool_]) -> MilpArrays:
    """``lp`` with the columns of ``still`` held at their lower bound, the others free."""
    return replace(lp, col_upper=np.where(still, milp.col_lower, milp.col_upper))


def _limit(solver: Any, options: SolveOptions, t0: float) -> None:
    """The time left of ``options.time_limit`` (counted from ``t0``) for the next run."""
    if options.time_limit is not None:
        _run_for(solver, options.time_limit - (time.perf_counter() - t0))


def _run_for(solver: Any, seconds: float) -> None:
    """Let the next run of ``solver`` take at most ``seconds`` (at least 0.01). HiGHS
    holds its ``time_limit`` against the instance's run time summed over every run
    (``getRunTime``: an LP solved twice in one instance with a limit of 1.5 times one
    solve stopped the second at its limit), so the limit is that sum plus ``seconds``.

    >>> session = HighsLp(MilpArrays(c=np.ones(1), A=sp.csr_matrix(np.ones((1, 1))),
    ...     row_lower=np.zeros(1), row_upper=np.ones(1), col_lower=np.zeros(1),
    ...     col_upper=np.ones(1), integrality=np.zeros(1, dtype=bool), sense="max"))
    >>> session.solve(), session.solve(5.0)
    (True, True)
    >>> h = session._h
    >>> round(h.getOptionValue("time_limit")[1] - h.getRunTime(), 1)  # (status, value)
    5.0
    """
    solver.setOptionValue("time_limit", float(solver.getRunTime() + max(seconds, 0.01)))


def _pricing_out(solver: Any, milp: MilpArrays, still: NDArray[np.bool_]) -> NDArray[np.intp]:
    """The columns of ``still`` (held at their lower bound; updated in place) whose
    reduced cost in ``solver``'s optimal solution would improve the objective beyond
    HiGHS's dual feasibility tolerance."""
    reduced = np.asarray(solver.getSolution().col_dual, dtype=np.float64)
    gain = reduced if milp.sense == "max" else -reduced
    tolerance = float(solver.getOptions().dual_feasibility_tolerance)
    freed = np.flatnonzero(still & (gain > tolerance) & (milp.col_upper > milp.col_lower))
    still[freed] = False
    return freed
