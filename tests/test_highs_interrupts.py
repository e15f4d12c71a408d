"""HiGHS's interrupt callbacks: the per-iteration ones only once a stop is asked.

HiGHS calls its simplex and interior-point interrupt callbacks at every iteration,
and each call waits for the interpreter's lock: beside Python work in another
thread an LP ran several times slower. ``_run_interruptible`` starts them only when
Ctrl-C or ``cancel`` asks for a stop; the MIP interrupt (far apart) stays on.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import scipy.sparse as sp
from highspy import cb

from siting.backends import SolveOptions, get_backend
from siting.backends.base import Status
from siting.backends.highs_core import _run_interruptible
from siting.milp import MilpArrays

SIMPLEX = cb.HighsCallbackType.kCallbackSimplexInterrupt
MIP = cb.HighsCallbackType.kCallbackMipInterrupt


class FakeHighs:
    """What ``_run_interruptible`` uses of a HiGHS instance: its callback, which kinds are
    active, and a ``run`` doing ``iterations`` simplex iterations, each calling back when
    the simplex interrupt is active (as ``HEkk::bailout`` does)."""

    def __init__(self, iterations: int, during: Any = None) -> None:
        self.iterations, self.during = iterations, during
        self.active: set[Any] = set()
        self.started = threading.Event()
        self.calls = 0
        self.done_at: int | None = None

    def setCallback(self, fn: Any, _user: Any) -> None:  # noqa: N802 (HiGHS's name)
        self.fn = fn

    def startCallback(self, kind: Any) -> None:  # noqa: N802
        self.active.add(kind)
        if kind == SIMPLEX:
            self.started.set()

    def run(self) -> None:
        data_in = type("In", (), {"user_interrupt": False})()
        for iteration in range(self.iterations):
            if self.during is not None:
                self.during(self, iteration)
            if SIMPLEX in self.active:
                self.calls += 1
                self.fn(SIMPLEX, "", None, data_in, None)
                if data_in.user_interrupt:
                    self.done_at = iteration
                    return


class FakeCore:
    class _Highs:
        @staticmethod
        def resetThreadScheduler(_blocking: bool) -> None:  # noqa: N802
            pass


def test_no_per_iteration_callback_unless_a_stop_is_asked() -> None:
    h = FakeHighs(iterations=5_000)
    assert _run_interruptible(h, FakeCore(), cancel=threading.Event()) is False
    assert h.calls == 0 and h.done_at is None
    assert MIP in h.active and SIMPLEX not in h.active


def test_a_cancel_set_before_the_run_stops_it_at_the_first_iteration() -> None:
    h = FakeHighs(iterations=5_000)
    cancel = threading.Event()
    cancel.set()
    assert _run_interruptible(h, FakeCore(), cancel=cancel) is False  # not Ctrl-C
    assert h.done_at == 0 and h.calls == 1


def test_a_cancel_set_during_the_run_starts_the_callback_and_stops_it() -> None:
    """Another thread sets ``cancel`` at iteration 10; the waiting thread sees it and
    starts the simplex callback, which stops the run at its next iteration."""
    cancel = threading.Event()

    def during(fake: FakeHighs, iteration: int) -> None:
        if iteration == 10:
            cancel.set()
            assert fake.started.wait(timeout=60)  # the waiting thread asked for the stop

    h = FakeHighs(iterations=5_000, during=during)
    assert _run_interruptible(h, FakeCore(), cancel=cancel) is False
    assert h.done_at == 10 and h.calls == 1


def random_lp(rows: int = 400, seed: int = 7) -> MilpArrays:
    rng = np.random.default_rng(seed)
    a = sp.random(rows, rows, density=0.02, random_state=seed, format="csr") + sp.eye(rows)
    return MilpArrays(c=rng.random(rows), A=a.tocsr(), row_lower=np.full(rows, -np.inf),
                      row_upper=np.ones(rows), col_lower=np.zeros(rows),
                      col_upper=np.ones(rows), integrality=np.zeros(rows, dtype=bool),
                      sense="max")


def test_an_lp_cancelled_before_it_starts_stops_at_once() -> None:
    lp = random_lp()
    options = SolveOptions(solver_options={"highs": {"presolve": "off"}})
    assert get_backend("highs").solve(lp, options).status == Status.OPTIMAL
    cancel = threading.Event()
    cancel.set()
    res = get_backend("highs").solve(
        lp, SolveOptions(cancel=cancel, solver_options={"highs": {"presolve": "off"}}))
    assert res.message == "Interrupted by user" and res.status != Status.OPTIMAL, (
        res.status, res.message)
    assert not res.extra.get("interrupted")  # a cancel, not Ctrl-C
