"""HiGHS back end (highspy): the model is passed in one call from the CSR arrays.

Options honoured: ``time_limit``, ``mip_gap`` (``mip_rel_gap``), ``threads``
(:func:`thread_options`), ``seed`` (``random_seed``), ``verbose``
(``output_flag``), ``tuning`` (:data:`TUNINGS`), ``progress`` (from the MIP interrupt
callback), ``warm_start`` (``setSolution``; ignored when its length is not
the number of columns), ``incumbents`` (asked through the MIP user-solution
callback, after setup, during root separation and before each dive),
``cancel`` (checked by the interrupt callbacks) and ``solver_options["highs"]``
(set by name after the others, so they override the translations). An LP solved
to optimality also returns its reduced costs (``Result.extra["col_dual"]``).
``HighsBackend.solve(..., on_solution=f)`` calls
``f(x)`` with each improving incumbent's column values; when ``f`` returns
True the solve stops at HiGHS's next interrupt check (``feasible``, with that
incumbent), which a decomposition uses to reject a plan. Beyond solving, the
back end re-solves an LP warm from a basis (:meth:`HighsBackend.warm_lp`), keeps
an LP loaded while rows are added (:meth:`HighsBackend.open_lp`) and writes MPS
files (:meth:`HighsBackend.write_model`).
Ctrl-C stops the solve and returns what HiGHS had: ``feasible`` with the
incumbent and its gap, or ``no_solution``, with the message ``interrupted``
(``Result.extra["interrupted"]`` is True) so that the caller can save it.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from siting.backends.base import (
    Capabilities,
    Capability,
    LpSession,
    Result,
    SolveOptions,
    Status,
    register,
)
from siting.backends.common import ArrayBackend, _warm_start_values
from siting.backends.highs_core import (
    NAME,
    OnSolution,
    _as_interrupted,
    _configured,
    _core,
    _disambiguate,
    _lost_incumbent,
    _result,
    _run_interruptible,
    _solution_feed,
    load_model,
)
from siting.milp import MilpArrays


class HighsBackend(ArrayBackend):
    """Solve :class:`MilpArrays` with HiGHS."""

    name = NAME

    def available(self) -> bool:
        try:
            _core()
        except ImportError:
            return False
        return True

    def solve_arrays(
        self, milp: MilpArrays, options: SolveOptions, t0: float, *,
        on_solution: OnSolution | None = None, **_: Any,
    ) -> Result:
        core = _core()
        h = _configured(core, options, mip=bool(milp.integrality.any()))
        status = load_model(h, core, milp)
        if status == core.HighsStatus.kError:
            return Result(Status.ERROR, NAME, runtime_s=time.perf_counter() - t0,
                          message="HiGHS rejected the model")
        ws = _warm_start_values(milp, options)
        warm = False
        if ws is not None:
            idx = np.arange(milp.num_cols, dtype=np.int32)
            warm = h.setSolution(milp.num_cols, idx, ws) != core.HighsStatus.kError
        interrupted = _run_interruptible(
            h, core, options.progress, on_solution, _solution_feed(milp, options), options.cancel
        )
        result = _result(h, core, milp)
        if warm and not interrupted and _lost_incumbent(h, milp, result):
            # HiGHS can hand back the start's values while reporting the better
            # incumbent it found (seen with presolve on, 1.16): solve again without it.
            again = self.solve(milp, replace(options, warm_start=None))
            again.extra["warm_start_dropped"] = True
            return again
        if interrupted:
            result = _as_interrupted(result)
        elif result.status == Status.UNBOUNDED and result.message == "unbounded or infeasible":
            result = _disambiguate(core, milp, options, result, t0)
        result.runtime_s = time.perf_counter() - t0
        result.extra["warm_start_accepted"] = warm
        return result

    def warm_lp(self, milp: MilpArrays, held: np.ndarray, options: SolveOptions) -> Result:
        """The LP relaxation of ``milp`` solved warm (:func:`siting.backends.highs_lp.warm_lp`)."""
        from siting.backends.highs_lp import warm_lp

        return warm_lp(milp, held, options)

    def open_lp(self, lp: MilpArrays) -> LpSession:
        """``lp`` loaded, to be re-solved warm as rows are added (:class:`LpSession`)."""
        from siting.backends.highs_lp import HighsLp

        return HighsLp(lp)

    def write_model(self, milp: MilpArrays, path: str | os.PathLike[str]) -> Path:
        """``milp`` as an MPS file at ``path`` (:func:`siting.backends.mps.write_mps`)."""
        from siting.backends.mps import write_mps

        return write_mps(milp, path)


register(
    NAME,
    HighsBackend,
    Capabilities(
        Capability.MIP, Capability.TIME_LIMIT, Capability.THREADS, Capability.PARALLEL_SEARCH,
        Capability.MIP_START, Capability.INCUMBENTS, Capability.INCUMBENT_CALLBACK,
        Capability.PROGRESS, Capability.CANCEL, Capability.WARM_LP, Capability.LP_ROWS,
        Capability.MODEL_FILE,
        description="HiGHS (highspy): default exact MILP/LP solver, model passed in bulk",
    ),
)
