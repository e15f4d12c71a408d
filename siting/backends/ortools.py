"""OR-Tools back ends: ``ortools`` (model_builder with SCIP) and ``cpsat`` (CP-SAT).

``ortools`` fills the model in bulk with ``fill_model_from_sparse_data`` and solves
it with SCIP, or with the HiGHS build inside OR-Tools when SCIP is missing.
Options honoured with SCIP: ``time_limit``, ``mip_gap`` (``limits/gap``), ``seed``
(``randomization/randomseedshift``), ``verbose`` and ``warm_start`` (hints for
the non-zero values, which SCIP completes as a partial solution). ``threads`` is
ignored: SCIP runs single-threaded here. With the HiGHS fallback only
``time_limit`` and ``verbose`` are passed on.

``cpsat`` needs a pure integer model with integer data: every column integer
with finite bounds, and integer ``c`` and ``A`` (fractional row or column
bounds are rounded inwards, which is exact for such models). Anything else is
answered with ``Status.ERROR`` and a message saying why, rather than an
exception, so callers can try another back end. It honours ``time_limit``,
``mip_gap`` (``relative_gap_limit``), ``threads`` (``num_workers``), ``seed``,
``verbose`` and ``warm_start`` (a full ``solution_hint``).

Both SCIP and CP-SAT catch Ctrl-C themselves: the solve stops and returns its
incumbent as ``feasible`` (or ``no_solution``) instead of raising.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import (
    Capabilities,
    Capability,
    Result,
    SolveOptions,
    Status,
    register,
    relative_gap,
)
from siting.backends.common import (
    ArrayBackend,
    _clean_x,
    _csr,
    _warm_start_values,
    run_interruptible,
)
from siting.milp import MilpArrays

NAME = "ortools"
CPSAT = "cpsat"
_SUB_SOLVERS = ("scip", "highs")
_INT64_MAX = 2**63 - 1
_CPSAT_MAX = 2**53  # largest magnitude a float carries exactly


def _mbh() -> Any:
    from ortools.linear_solver.python import model_builder_helper

    return model_builder_helper


def _sub_solver() -> str | None:
    """The first model_builder sub-solver this OR-Tools build supports."""
    try:
        mbh = _mbh()
    except ImportError:
        return None
    for name in _SUB_SOLVERS:
        if mbh.ModelSolverHelper(name).solver_is_supported():
            return name
    return None


class OrtoolsBackend(ArrayBackend):
    """Solve :class:`MilpArrays` with OR-Tools' model_builder (SCIP by default)."""

    name = NAME

    def available(self) -> bool:
        return _sub_solver() is not None

    def solve_arrays(
        self, milp: MilpArrays, options: SolveOptions, t0: float, **_: Any
    ) -> Result:
        sub = _sub_solver()
        if sub is None:
            return Result(Status.ERROR, NAME, message="no OR-Tools MIP sub-solver available")
        mbh = _mbh()
        model = mbh.ModelBuilderHelper()
        A = _csr(milp)
        model.fill_model_from_sparse_data(
            np.ascontiguousarray(milp.col_lower, dtype=np.float64),
            np.ascontiguousarray(milp.col_upper, dtype=np.float64),
            np.ascontiguousarray(milp.c, dtype=np.float64),
            np.ascontiguousarray(milp.row_lower, dtype=np.float64),
            np.ascontiguousarray(milp.row_upper, dtype=np.float64),
            A,
        )
        for j in np.flatnonzero(milp.integrality).tolist():
            model.set_var_integrality(j, True)
        model.set_maximize(milp.sense == "max")
        model.set_objective_offset(float(milp.offset))
        ws = _warm_start_values(milp, options)
        if ws is not None:
            nz = np.flatnonzero(ws)
            for j, v in zip(nz.tolist(), ws[nz].tolist(), strict=True):
                model.add_hint(j, v)

        solver = mbh.ModelSolverHelper(sub)
        solver.enable_output(bool(options.verbose))
        if options.time_limit is not None:
            solver.set_time_limit_in_seconds(float(max(options.time_limit, 0.0)))
        if sub == "scip":
            solver.set_solver_specific_parameters(_scip_parameters(options))
        with _ONE_AT_A_TIME if sub == "scip" else contextlib.nullcontext():
            solver.solve(model)
        result = _result(mbh, solver, milp)
        result.runtime_s = time.perf_counter() - t0
        result.extra["sub_solver"] = sub
        result.extra["warm_start_accepted"] = ws is not None
        return result


#: SCIP installs its own SIGINT handler around a solve and puts back the one it found:
#: two solves overlapping in threads would leave SCIP's behind (the second found the
#: first's), so that a later Ctrl-C never reached Python. One solve at a time.
_ONE_AT_A_TIME = threading.Lock()


def _scip_parameters(options: SolveOptions) -> str:
    # SCIP's "name = value" lines; a wrong name makes the solve fail with
    # INVALID_SOLVER_PARAMETERS, so only names checked against SCIP are used.
    lines = [f"limits/gap = {float(options.mip_gap)!r}"]
    if options.seed:
        lines.append(f"randomization/randomseedshift = {int(options.seed)}")
    return "\n".join(lines)


def _result(mbh: Any, solver: Any, milp: MilpArrays) -> Result:
    st = mbh.SolveStatus
    status_code = solver.status()
    text = solver.status_string() or status_code.name
    has_x = bool(solver.has_solution())
    x = _clean_x(milp, np.asarray(solver.variable_values(), dtype=np.float64)) if has_x else None
    objective = milp.objective_of(x) if x is not None else None
    is_mip = bool(milp.integrality.any())

    if status_code == st.OPTIMAL and has_x:
        status = Status.OPTIMAL
    elif status_code == st.FEASIBLE and has_x:
        status = Status.FEASIBLE
    elif status_code in (st.NOT_SOLVED, st.CANCELLED_BY_USER, st.FEASIBLE):
        status = Status.FEASIBLE if has_x else Status.NO_SOLUTION
    elif status_code == st.INFEASIBLE:
        return Result(Status.INFEASIBLE, NAME, message=text)
    elif status_code == st.UNBOUNDED:
        return Result(Status.UNBOUNDED, NAME, message=text)
    else:
        return Result(Status.ERROR, NAME, message=f"OR-Tools status {status_code.name}: {text}")

    bound: float | None = None
    if is_mip:
        b = float(solver.best_objective_bound())
        bound = b if np.isfinite(b) and abs(b) < 1e20 else None
    elif status == Status.OPTIMAL:
        bound = objective
    gap = 0.0 if status == Status.OPTIMAL and not is_mip else relative_gap(
        objective, bound, milp.sense)
    return Result(status, NAME, objective=objective, bound=bound, gap=gap, x=x,
                  message="" if status == Status.OPTIMAL else text)


# --------------------------------------------------------------------------- CP-SAT


def _cpsat_data(milp: MilpArrays) -> tuple[str, dict[str, NDArray[np.int64]]]:
    """Integer arrays for CP-SAT, or the reason the model does not fit ('' when it does)."""
    if not milp.integrality.all():
        return "cpsat needs integer coefficients and integer columns only", {}
    data = np.asarray(_csr(milp).data, dtype=np.float64)
    c = np.asarray(milp.c, dtype=np.float64)
    if np.any(c != np.round(c)) or np.any(data != np.round(data)):
        return "cpsat needs integer coefficients (c and A)", {}
    if np.any(np.abs(c) > _CPSAT_MAX) or np.any(np.abs(data) > _CPSAT_MAX):
        return "cpsat needs coefficients below 2**53", {}
    lo, hi = np.ceil(milp.col_lower - 1e-9), np.floor(milp.col_upper + 1e-9)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        return "cpsat needs integer coefficients and finite column bounds", {}
    if np.any(np.abs(lo) > _CPSAT_MAX) or np.any(np.abs(hi) > _CPSAT_MAX):
        return "cpsat needs column bounds below 2**53", {}
    # Rows have integer activity, so fractional sides round inwards exactly.
    rlo = np.where(np.isfinite(milp.row_lower), np.ceil(milp.row_lower - 1e-9), -np.inf)
    rhi = np.where(np.isfinite(milp.row_upper), np.floor(milp.row_upper + 1e-9), np.inf)
    big = float(_CPSAT_MAX)
    return "", {
        "c": c.astype(np.int64),
        "data": data.astype(np.int64),
        "lo": lo.astype(np.int64),
        "hi": hi.astype(np.int64),
        "rlo": np.clip(rlo, -big, big).astype(np.int64),
        "rhi": np.clip(rhi, -big, big).astype(np.int64),
        "rlo_inf": ~np.isfinite(rlo),
        "rhi_inf": ~np.isfinite(rhi),
    }


class CpsatBackend(ArrayBackend):
    """Solve pure integer :class:`MilpArrays` with integer data by CP-SAT."""

    name = CPSAT

    def available(self) -> bool:
        try:
            from ortools.sat.python import cp_model  # noqa: F401
        except ImportError:
            return False
        return True

    def solve_arrays(
        self, milp: MilpArrays, options: SolveOptions, t0: float, **_: Any
    ) -> Result:
        from ortools.sat.python import cp_model
        reason, d = _cpsat_data(milp)
        if reason:
            return Result(Status.ERROR, CPSAT, message=reason,
                          runtime_s=time.perf_counter() - t0)
        if np.any(d["lo"] > d["hi"]):
            return Result(Status.INFEASIBLE, CPSAT, message="empty column domain",
                          runtime_s=time.perf_counter() - t0)
        model = cp_model.CpModel()
        proto = model.proto
        for lo, hi in zip(d["lo"].tolist(), d["hi"].tolist(), strict=True):
            proto.variables.add().domain.extend([lo, hi])
        A = _csr(milp)
        indptr, indices, coeffs = A.indptr, A.indices.astype(np.int64), d["data"]
        rlo = np.where(d["rlo_inf"], -_INT64_MAX - 1, d["rlo"]).tolist()
        rhi = np.where(d["rhi_inf"], _INT64_MAX, d["rhi"]).tolist()
        for i in range(milp.num_rows):
            s, e = int(indptr[i]), int(indptr[i + 1])
            lin = proto.constraints.add().linear
            lin.vars.extend(indices[s:e])
            lin.coeffs.extend(coeffs[s:e])
            lin.domain.extend([rlo[i], rhi[i]])
        nz = np.flatnonzero(d["c"])
        obj = proto.objective
        obj.vars.extend(nz)
        if milp.sense == "max":  # CP-SAT minimises; scaling_factor -1 reports the max
            obj.coeffs.extend(-d["c"][nz])
            obj.offset = -float(milp.offset)
            obj.scaling_factor = -1.0
        else:
            obj.coeffs.extend(d["c"][nz])
            obj.offset = float(milp.offset)
        ws = _warm_start_values(milp, options)
        warm = ws is not None and bool(np.all(ws == np.round(ws)))
        if warm and ws is not None:
            proto.solution_hint.vars.extend(np.arange(milp.num_cols, dtype=np.int64))
            proto.solution_hint.values.extend(np.round(ws).astype(np.int64))

        solver = cp_model.CpSolver()
        p = solver.parameters
        if options.time_limit is not None:
            p.max_time_in_seconds = float(max(options.time_limit, 0.0))
        p.relative_gap_limit = float(options.mip_gap)
        if options.threads is not None:
            p.num_workers = int(options.threads)
        p.random_seed = int(options.seed)
        p.log_search_progress = bool(options.verbose)
        # CP-SAT's own SIGINT handler would stay behind as the default action (Ctrl-C
        # would then kill the process later): solve in a worker, stop on Ctrl-C instead.
        p.catch_sigint_signal = False
        codes: list[Any] = []
        interrupted = run_interruptible(lambda: codes.append(solver.solve(model)),
                                        solver.stop_search, "cpsat-solve")
        result = _cpsat_result(cp_model, solver, codes[0], milp, model)
        if interrupted:
            result.extra["interrupted"] = True
            if result.status == Status.FEASIBLE:
                result.message = "interrupted"
        result.runtime_s = time.perf_counter() - t0
        result.extra["warm_start_accepted"] = warm
        return result


def _cpsat_result(cp_model: Any, solver: Any, code: Any, milp: MilpArrays, model: Any) -> Result:
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        x = np.asarray(solver.response_proto.solution, dtype=np.float64) + 0.0
        objective = milp.objective_of(x)
        bound = float(solver.best_objective_bound)
        status = Status.OPTIMAL if code == cp_model.OPTIMAL else Status.FEASIBLE
        return Result(status, CPSAT, objective=objective, bound=bound,
                      gap=relative_gap(objective, bound, milp.sense), x=x,
                      message="" if status == Status.OPTIMAL else "stopped by a limit")
    if code == cp_model.INFEASIBLE:
        return Result(Status.INFEASIBLE, CPSAT, message="infeasible")
    if code == cp_model.UNKNOWN:
        return Result(Status.NO_SOLUTION, CPSAT, message="stopped before a solution was found")
    return Result(Status.ERROR, CPSAT, message=f"CP-SAT: {model.validate() or code}")


register(
    NAME,
    OrtoolsBackend,
    Capabilities(
        Capability.MIP, Capability.TIME_LIMIT, Capability.MIP_START,
        description="OR-Tools model_builder with SCIP (HiGHS inside OR-Tools as fallback)",
    ),
)
register(
    CPSAT,
    CpsatBackend,
    Capabilities(
        Capability.MIP, Capability.TIME_LIMIT, Capability.THREADS, Capability.PARALLEL_SEARCH,
        Capability.MIP_START, Capability.INTEGER_DATA_ONLY,
        description="OR-Tools CP-SAT: integer columns with finite bounds and integer data only",
    ),
)
