"""What the solver back ends share: the start every one makes (a model without
columns answered directly), Ctrl-C around a blocking solve, and small array helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import Capability, Result, SolveOptions, Status, supports
from siting.milp import MilpArrays

#: How often a waiting solve looks at its ``watch`` event: a stop asked from another
#: thread reaches the solver within this (its own checks then take over).
CANCEL_POLL_S = 0.01

# Helpers shared by the back ends (private: not part of the public API).

_FEAS_TOL = 1e-9


def _warm_start_values(milp: MilpArrays, options: SolveOptions) -> NDArray[np.float64] | None:
    """The warm start as a float array, or None when absent, the wrong length or not finite."""
    ws = options.warm_start
    if ws is None:
        return None
    arr = np.asarray(ws, dtype=np.float64).ravel()
    if arr.shape[0] != milp.num_cols or not np.all(np.isfinite(arr)):
        return None
    return arr


def _solve_without_columns(milp: MilpArrays, backend: str, t0: float) -> Result | None:
    """Answer a model with no columns directly (solvers disagree on how to treat it).

    Returns None when the model has columns and must go to the solver.
    """
    if milp.num_cols > 0:
        return None
    ok = bool(np.all(milp.row_lower <= _FEAS_TOL) and np.all(milp.row_upper >= -_FEAS_TOL))
    runtime = time.perf_counter() - t0
    if not ok:
        return Result(Status.INFEASIBLE, backend, runtime_s=runtime,
                      message="a row with no columns excludes 0")
    obj = float(milp.offset)
    return Result(Status.OPTIMAL, backend, objective=obj, bound=obj, gap=0.0,
                  runtime_s=runtime, x=np.zeros(0))



class ArrayBackend:
    """The start every solver back end shares: a model without columns is answered here
    (solvers disagree on it); the rest goes to :meth:`solve_arrays` with the start time."""

    name: str = ""

    def supports(self, capability: Capability) -> bool:
        """Whether this back end can do ``capability`` (as registered)."""
        return supports(self.name, capability)

    def solve(self, milp: MilpArrays, options: SolveOptions, **extra: Any) -> Result:
        t0 = time.perf_counter()
        trivial = _solve_without_columns(milp, self.name, t0)
        if trivial is not None:
            return trivial
        return self.solve_arrays(milp, options, t0, **extra)

    def solve_arrays(
        self, milp: MilpArrays, options: SolveOptions, t0: float, **extra: Any
    ) -> Result:
        raise NotImplementedError


def run_interruptible(
    work: Callable[[], object], stop: Callable[[], None], name: str, *,
    after: Callable[[], None] | None = None, watch: threading.Event | None = None,
) -> bool:
    """Run a solver's blocking ``work`` in a thread so that Ctrl-C stops it; True if it did.

    Solvers release the GIL but never look at Python signals, so the calling
    thread waits and, on KeyboardInterrupt, calls ``stop`` (the solver's own
    way to end its search) and waits for ``work`` to return what it has.
    ``stop`` is called too when ``watch`` is set (looked at every
    ``CANCEL_POLL_S``; the run is not counted as interrupted by Ctrl-C then).
    ``after`` runs in the worker thread when ``work`` ends. An exception of
    ``work`` is raised in the caller's thread.

    >>> stopped = threading.Event()
    >>> watch = threading.Event()
    >>> watch.set()
    >>> run_interruptible(lambda: stopped.wait(), stopped.set, "demo", watch=watch)
    False
    >>> stopped.is_set()
    True
    """
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed over to the caller's thread
            failure.append(exc)
        finally:
            if after is not None:
                after()
            done.set()

    def asked() -> bool:
        return watch is not None and watch.is_set()

    if asked():  # before the start: the solver stops at its first check
        stop()
        watch = None
    threading.Thread(target=run, name=name, daemon=True).start()
    # Wait on an Event, not Thread.join(timeout): a join interrupted by Ctrl-C can
    # report the thread finished while the solver still runs (and aborts at exit).
    interrupted = False
    try:
        while not done.wait(0.1 if watch is None else CANCEL_POLL_S):
            if asked():
                stop()
                watch = None  # asked once; the solver stops at its next check
    except KeyboardInterrupt:
        interrupted = True
        stop()
        while True:  # the solver stops at its next check; more Ctrl-C just wait
            try:
                done.wait()
                break
            except KeyboardInterrupt:
                continue
    if failure:
        raise failure[0] from None
    return interrupted


def _clean_x(milp: MilpArrays, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Snap integer columns within solver tolerance to whole numbers and drop ``-0.0``."""
    x = np.asarray(x, dtype=np.float64).copy()
    ints = milp.integrality
    if ints.any():
        xi = x[ints]
        r = np.round(xi)
        x[ints] = np.where(np.abs(xi - r) <= 1e-5, r, xi)
    return x + 0.0


def _csr(milp: MilpArrays) -> sp.csr_matrix:
    """The matrix as canonical float64 CSR (sorted, no duplicates); copied only if needed."""
    A = sp.csr_matrix(milp.A, dtype=np.float64)
    if not A.has_canonical_format:
        A = A.copy()
        A.sum_duplicates()
    return A
