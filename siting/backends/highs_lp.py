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
        if time_limit is not None and math.isfinite(time_limit):
            self._h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
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

    That basis is primal feasible for the whole LP, so primal simplex goes on from it
    (on the 2026-2030 plan a third of a cold solve's iterations when the held
    columns are those a primal heuristic left out). ``Result.extra`` carries
    ``row_dual`` and ``col_dual``; ``time_limit`` and ``cancel`` apply to each of
    the two solves.
    """
    t0 = time.perf_counter()
    core = _core()
    lp = MilpArrays(
        c=milp.c, A=milp.A, row_lower=milp.row_lower, row_upper=milp.row_upper,
        col_lower=milp.col_lower, col_upper=np.where(held, milp.col_lower, milp.col_upper),
        integrality=np.zeros(milp.num_cols, dtype=bool), sense=milp.sense, offset=milp.offset,
    )
    first = _configured(core, options)
    load_model(first, core, lp)
    if _run_interruptible(first, core, cancel=options.cancel):
        return _as_interrupted(Result(Status.NO_SOLUTION, NAME))
    if first.getModelStatus() != core.HighsModelStatus.kOptimal:
        return Result(Status.NO_SOLUTION, NAME, runtime_s=time.perf_counter() - t0,
                      message="the held LP did not solve")
    basis = first.getBasis()
    status = list(basis.col_status)
    basic = core.HighsBasisStatus.kBasic
    for k in np.flatnonzero(held):
        if status[k] != basic:  # nonbasic at its (lower = upper) bound: at the lower one
            status[k] = core.HighsBasisStatus.kLower
    basis.col_status = status
    whole = _configured(core, options)
    whole.setOptionValue("presolve", "off")  # a basis is used as it is, without presolve
    whole.setOptionValue("simplex_strategy", 4)  # primal simplex: the start is primal feasible
    load_model(whole, core, replace(lp, col_upper=milp.col_upper))
    whole.setBasis(basis)
    interrupted = _run_interruptible(whole, core, cancel=options.cancel)
    result = _result(whole, core, replace(lp, col_upper=milp.col_upper))
    if interrupted:
        result = _as_interrupted(result)
    if result.status == Status.OPTIMAL:
        result.extra["row_dual"] = np.asarray(whole.getSolution().row_dual, dtype=np.float64)
    result.runtime_s = time.perf_counter() - t0
    return result
