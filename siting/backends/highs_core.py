"""The HiGHS binding's low-level pieces (highspy): options, tunings, loading a model,
a run that Ctrl-C and callbacks can interrupt, and the result read back; shared by the back
end (:mod:`siting.backends.highs`), its warm LPs (:mod:`siting.backends.highs_lp`) and
the MPS writer (:mod:`siting.backends.mps`), which import it and not each other."""


from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from siting.backends.base import (
    DEFAULT_BACKEND,
    Result,
    SolveOptions,
    Status,
    Tuning,
    relative_gap,
)
from siting.backends.common import (
    _clean_x,
    _csr,
    run_interruptible,
)
from siting.milp import MilpArrays

NAME = DEFAULT_BACKEND

#: HiGHS's own primal heuristics off (sub-MIPs RINS and RENS, root reduced cost,
#: feasibility jump), for MIPs that start from the plan to beat or that are
#: themselves a heuristic's sub-MIP: there they search for what is already known.
#: ``Tuning.NO_HEURISTICS`` (the caller's ``solver_options`` win, key by key).
NO_HEURISTICS: dict[str, Any] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
}

#: For a MIP whose start is (nearly) optimal and whose root bound is close, so
#: that the work left is the proof, a tree of cheap nodes: no heuristics, the
#: root LP by interior point (HiGHS uses ``mip_lp_solver`` only for an LP
#: without a basis, i.e. the root; the nodes run simplex), no strong branching
#: (``mip_pscost_minreliable=0``: pseudo-costs from the first branch on) and no
#: cut separation below the root. Measured on the p-median radius model
#: (:mod:`siting.models.pmedian_radius`).
PROOF: dict[str, Any] = {
    **NO_HEURISTICS,
    "mip_lp_solver": "ipm",
    "mip_pscost_minreliable": 0,
    "mip_allow_cut_separation_at_nodes": False,
}
#: The neutral :class:`~siting.backends.base.Tuning` in HiGHS's options.
#: ``NO_PROBING``: HiGHS's probing finds the land conflicts the plan model
#: writes as rows (:mod:`siting.multi.rows`); on the 2026-2030 plan it cost
#: 10-30 s of presolve and as much again setting up its implications (bit 15 of
#: ``presolve_rule_off``). ``NO_RESTART``: started from a near-optimal plan,
#: HiGHS fixes many columns by reduced cost and restarts, repeating presolve and
#: root work on a tree of 1-3 nodes (pmed16, 17, 22, 27: 28-44 % less time
#: without; Benders masters of 5,000 × 500 MCLP cases: 14 s against 32 s).
TUNINGS: dict[Tuning, dict[str, Any]] = {
    Tuning.NO_HEURISTICS: NO_HEURISTICS,
    Tuning.PROOF: PROOF,
    Tuning.NO_RESTART: {"mip_allow_restart": False},
    Tuning.NO_PROBING: {"presolve_rule_off": 1 << 15},
}
Progress = Callable[[float | None, float | None, float | None], None]
OnSolution = Callable[[Any], bool]


def _core() -> Any:
    # The plain C++ binding: ``highspy.Highs()`` prints a banner on construction,
    # before output_flag can be switched off.
    from highspy import _core

    return _core


def _lost_incumbent(h: Any, milp: MilpArrays, result: Result) -> bool:
    """Whether the values returned are worse than the objective HiGHS reports for them."""
    if result.x is None or result.objective is None:
        return False
    reported = float(h.getInfo().objective_function_value)
    if not math.isfinite(reported):
        return False
    better = 1.0 if milp.sense == "max" else -1.0
    return better * (reported - result.objective) > 1e-7 * max(1.0, abs(reported))


def _as_interrupted(result: Result) -> Result:
    """The answer of a run stopped by Ctrl-C: the incumbent with its gap, or none.

    A run that reached a final answer (optimal, infeasible) before HiGHS saw the
    interrupt keeps it.
    """
    if result.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.UNBOUNDED):
        result.extra["interrupted"] = True
        return result
    if result.status != Status.FEASIBLE:
        result = Result(Status.NO_SOLUTION, NAME)
    result.message = "interrupted"
    result.extra["interrupted"] = True
    return result


def _configured(core: Any, options: SolveOptions, *, mip: bool = False) -> Any:
    """A new HiGHS instance with ``options`` translated, then the caller's
    ``solver_options["highs"]`` (set by name after the others)."""
    h = core._Highs()
    # output_flag first, so that nothing (banner included) is printed when silent.
    h.setOptionValue("output_flag", bool(options.verbose))
    for key, value in highs_options(options, mip=mip).items():
        h.setOptionValue(key, value)
    if options.threads is not None:
        # HiGHS keeps one process-wide thread pool and refuses a run whose
        # ``threads`` differs from it, so the pool is rebuilt. Not safe while
        # another HiGHS solve runs in a different thread of this process.
        core._Highs.resetGlobalScheduler(True)
    return h


def highs_options(options: SolveOptions, *, mip: bool = False) -> dict[str, Any]:
    """HiGHS's options for ``options``: the neutral settings translated, then the
    caller's ``solver_options["highs"]`` over them, key by key.

    >>> highs_options(SolveOptions(mip_gap=0.01, threads=1))["mip_rel_gap"]
    0.01
    >>> opts = SolveOptions(solver_options={"highs": {"mip_allow_restart": True}})
    >>> highs_options(opts.tuned(Tuning.NO_RESTART, Tuning.NO_PROBING))["mip_allow_restart"]
    True
    """
    out: dict[str, Any] = {}
    if options.time_limit is not None:
        out["time_limit"] = float(max(options.time_limit, 0.0))
    out["mip_rel_gap"] = float(options.mip_gap)
    out["random_seed"] = int(options.seed)
    out.update(thread_options(options.threads, mip=mip))
    for tuning in sorted(options.tuning):
        out.update(TUNINGS.get(tuning, {}))
    out.update(options.solver_options.get(NAME, {}))
    return out


def thread_options(threads: int | None, *, mip: bool) -> dict[str, Any]:
    """HiGHS's ``threads`` and ``parallel`` for a neutral thread count.

    One thread is one: HiGHS's MIP search is then the same from run to run, and
    nothing else (symmetry detection) runs on a second one. More than one switch
    on the parallel MIP search (``parallel = "on"``) for a MIP; an LP keeps
    HiGHS's choice (its parallel dual simplex is rarely faster). None leaves
    HiGHS's defaults (half the cores, no parallel search).

    >>> thread_options(1, mip=True)
    {'threads': 1, 'parallel': 'off'}
    >>> thread_options(2, mip=True)
    {'threads': 2, 'parallel': 'on'}
    >>> thread_options(2, mip=False), thread_options(None, mip=True)
    ({'threads': 2}, {})
    """
    if threads is None:
        return {}
    if threads == 1:
        return {"threads": 1, "parallel": "off"}
    return {"threads": int(threads), "parallel": "on"} if mip else {"threads": int(threads)}


def _solution_feed(
    milp: MilpArrays, options: SolveOptions
) -> Callable[[], np.ndarray | None] | None:
    """``options.incumbents`` with what it returns checked: the right length, finite."""
    source = options.incumbents
    if source is None or not milp.integrality.any():
        return None

    def feed() -> np.ndarray | None:
        try:
            x = source()
        except Exception:  # a failing heuristic must never stop the solve
            return None
        if x is None:
            return None
        arr = np.ascontiguousarray(x, dtype=np.float64).ravel()
        ok = arr.shape[0] == milp.num_cols and bool(np.all(np.isfinite(arr)))
        return arr if ok else None

    return feed


def _run_interruptible(
    h: Any,
    core: Any,
    progress: Progress | None = None,
    on_solution: OnSolution | None = None,
    incumbents: Callable[[], np.ndarray | None] | None = None,
    cancel: threading.Event | None = None,
) -> bool:
    """Run HiGHS in a worker thread so that Ctrl-C stops it; True when it was interrupted.

    ``run()`` releases the GIL but never looks at Python signals, so the calling
    thread waits and, on KeyboardInterrupt, asks HiGHS to stop through its
    interrupt callbacks; ``cancel`` stops it the same way from any thread (the
    waiting thread looks at it every :data:`~siting.backends.common.CANCEL_POLL_S`).
    The MIP interrupt callback also carries the incumbent and bound, which go to
    ``progress`` (throttled to two calls a second). ``on_solution`` sees each
    improving incumbent; its True stops the run at the next interrupt check. When
    HiGHS asks for a user solution, ``incumbents`` may hand one over.

    The simplex and interior-point interrupt callbacks are started only when a stop
    is asked for: HiGHS calls them at every iteration, and each call waits for the
    interpreter's lock, so an LP beside Python work in another thread ran several
    times slower (a 2,840-iteration LP beside a Python loop: 2.26 s against 0.37 s;
    the 2026-2030 plan's bound LP beside the first plan's tables and reasons:
    1.62-1.82 s against 1.31-1.45 s). HiGHS reads which callbacks are active at
    each check, so one started during the run is called at the next iteration.
    """
    from highspy import cb

    stop = threading.Event()
    halt = threading.Event()
    mip = cb.HighsCallbackType.kCallbackMipInterrupt
    improving = cb.HighsCallbackType.kCallbackMipImprovingSolution
    user_solution = cb.HighsCallbackType.kCallbackMipUserSolution
    last = [-1.0]

    def on_interrupt(kind: Any, _msg: str, out: Any, data_in: Any, _user: Any) -> None:
        if kind == improving:
            # a copy: HiGHS reuses the buffer behind the array it hands over
            if on_solution is not None and out is not None and on_solution(
                    np.array(out.mip_solution, dtype=np.float64)):
                halt.set()
            return
        if kind == user_solution:
            x = incumbents() if incumbents is not None else None
            if x is not None and data_in is not None:
                with contextlib.suppress(Exception):
                    data_in.setSolution(x)
            return
        cancelled = cancel is not None and cancel.is_set()
        if (stop.is_set() or halt.is_set() or cancelled) and data_in is not None:
            data_in.user_interrupt = True
        if progress is not None and out is not None and kind == mip:
            now = time.perf_counter()
            if now - last[0] >= 0.5:
                last[0] = now
                _report_progress(progress, out)

    h.setCallback(on_interrupt, None)
    kinds = cb.HighsCallbackType
    h.startCallback(mip)  # a MIP's checks are far apart (its node LPs do not call back)
    if on_solution is not None:
        h.startCallback(improving)
    if incumbents is not None:
        h.startCallback(user_solution)

    def stop_now() -> None:
        stop.set()
        for kind in (kinds.kCallbackSimplexInterrupt, kinds.kCallbackIpmInterrupt):
            h.startCallback(kind)

    # As highspy does after a threaded solve: release the worker's scheduler handle.
    return run_interruptible(h.run, stop_now, "highs-solve", watch=cancel,
                             after=lambda: core._Highs.resetThreadScheduler(False))


def _report_progress(progress: Progress, out: Any) -> None:
    """Hand HiGHS's incumbent, bound and gap to ``progress``; a failing display is dropped."""

    def finite(v: Any) -> float | None:
        v = float(v)
        return v if math.isfinite(v) and abs(v) < 1e30 else None

    incumbent, bound = finite(out.mip_primal_bound), finite(out.mip_dual_bound)
    gap = finite(out.mip_gap) if incumbent is not None and bound is not None else None
    with contextlib.suppress(Exception):  # a display must never stop the solve
        progress(incumbent, bound, gap)


def load_model(h: Any, core: Any, milp: MilpArrays) -> Any:
    """Hand the whole model to the HiGHS instance ``h`` in one call (row-wise CSR,
    no per-row work); HiGHS's status of the call."""
    A = _csr(milp)
    nnz = int(A.nnz)
    integrality = milp.integrality.astype(np.int32)  # kContinuous = 0, kInteger = 1
    sense = core.ObjSense.kMaximize if milp.sense == "max" else core.ObjSense.kMinimize
    return h.passModel(
        milp.num_cols,
        milp.num_rows,
        nnz,
        int(core.MatrixFormat.kRowwise),
        int(sense),
        float(milp.offset),
        np.ascontiguousarray(milp.c, dtype=np.float64),
        np.ascontiguousarray(milp.col_lower, dtype=np.float64),
        np.ascontiguousarray(milp.col_upper, dtype=np.float64),
        np.ascontiguousarray(milp.row_lower, dtype=np.float64),
        np.ascontiguousarray(milp.row_upper, dtype=np.float64),
        # HiGHS takes one start per row (the end of the last is nnz).
        np.ascontiguousarray(A.indptr[:-1], dtype=np.int32),
        np.ascontiguousarray(A.indices, dtype=np.int32),
        np.ascontiguousarray(A.data, dtype=np.float64),
        integrality,
    )


def _result(h: Any, core: Any, milp: MilpArrays) -> Result:
    ms = core.HighsModelStatus
    model_status = h.getModelStatus()
    info = h.getInfo()
    is_mip = bool(milp.integrality.any())
    has_x = int(info.primal_solution_status) == int(core.SolutionStatus.kSolutionStatusFeasible)
    text = h.modelStatusToString(model_status)

    x = None
    objective = None
    if has_x:
        x = _clean_x(milp, np.asarray(h.getSolution().col_value, dtype=np.float64))
        # The objective of the values returned (HiGHS's own differs in the last bits).
        objective = milp.objective_of(x)

    bound = None
    if is_mip:
        db = float(info.mip_dual_bound)
        bound = db if math.isfinite(db) else None
    if bound is None and model_status == ms.kOptimal:
        bound = objective

    limits = {
        ms.kTimeLimit, ms.kIterationLimit, ms.kInterrupt, ms.kHighsInterrupt,
        ms.kSolutionLimit, ms.kMemoryLimit, ms.kObjectiveBound, ms.kObjectiveTarget,
    }
    if model_status == ms.kOptimal and has_x:
        status = Status.OPTIMAL
    elif model_status in limits:
        status = Status.FEASIBLE if has_x else Status.NO_SOLUTION
    elif model_status == ms.kInfeasible:
        return Result(Status.INFEASIBLE, NAME, message=text)
    elif model_status == ms.kUnbounded:
        return Result(Status.UNBOUNDED, NAME, message=text)
    elif model_status == ms.kUnboundedOrInfeasible:
        return Result(Status.UNBOUNDED, NAME, message="unbounded or infeasible")
    else:
        return Result(Status.ERROR, NAME, objective=objective, x=x,
                      message=f"HiGHS model status: {text}")

    gap = relative_gap(objective, bound, milp.sense)
    if status == Status.OPTIMAL and not is_mip:
        gap = 0.0
    extra: dict[str, object] = {"highs_mip_gap": float(info.mip_gap) if is_mip else None,
                                "nodes": int(info.mip_node_count) if is_mip else 0}
    if not is_mip and status == Status.OPTIMAL:
        # reduced costs of an LP, in the model's sense (a primal heuristic ranks columns by them)
        extra["col_dual"] = np.asarray(h.getSolution().col_dual, dtype=np.float64)
    return Result(status, NAME, objective=objective, bound=bound, gap=gap, x=x,
                  message="" if status == Status.OPTIMAL else text, extra=extra)


def _disambiguate(
    core: Any, milp: MilpArrays, options: SolveOptions, first: Result, t0: float
) -> Result:
    """Settle HiGHS's "unbounded or infeasible" with a feasibility solve (zero objective).

    A feasible model whose objective HiGHS found unbounded is unbounded; if the
    feasibility solve is inconclusive the first answer stands.
    """
    h = _configured(core, options, mip=bool(milp.integrality.any()))
    if options.time_limit is not None:
        left = options.time_limit - (time.perf_counter() - t0)
        if left <= 0:
            return first
        h.setOptionValue("time_limit", float(left))
    zero = MilpArrays(
        c=np.zeros(milp.num_cols), A=milp.A, row_lower=milp.row_lower,
        row_upper=milp.row_upper, col_lower=milp.col_lower, col_upper=milp.col_upper,
        integrality=milp.integrality, sense="min",
    )
    load_model(h, core, zero)
    if _run_interruptible(h, core):
        return _as_interrupted(first)
    st = h.getModelStatus()
    if st == core.HighsModelStatus.kInfeasible:
        return Result(Status.INFEASIBLE, NAME, message="infeasible")
    if st == core.HighsModelStatus.kOptimal:
        return Result(Status.UNBOUNDED, NAME, message="unbounded (model is feasible)")
    return first
