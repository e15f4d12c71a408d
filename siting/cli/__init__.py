"""The ``siting`` command line (entry point :func:`main`).

This module imports only the standard library (and :mod:`siting.cli.deferred`,
which does too), so that a Ctrl-C while the
program loads (``siting`` or ``python -m siting.cli``) ends with one line and
exit code 130, never a traceback. The app and its commands are in
:mod:`siting.cli.program`, one module a command; exit codes in
:mod:`siting.cli.exits`: 0 solved (optimal, or feasible within a limit) and
verified; 2 bad arguments or input files; 3 the model is infeasible; 4 no
solution found within the limits; 5 the solution failed verification; 1 an
unexpected error; 130 interrupted (143 by SIGTERM, which stops a command as
Ctrl-C does).

>>> EXIT_UNVERIFIED
5
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from siting.cli.deferred import deferred_imports

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION, EXIT_UNVERIFIED = range(6)
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM

__all__ = [
    "COMMAND_GC_THRESHOLD",
    "EXIT_ERROR",
    "EXIT_INFEASIBLE",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_NO_SOLUTION",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_UNVERIFIED",
    "app",
    "end_now",
    "entry",
    "fewer_collections",
    "main",
]


#: Allocations between two collections of Python's youngest generation while a command
#: runs (Python's default: 700).
COMMAND_GC_THRESHOLD = 30_000


def main(argv: list[str] | None = None) -> int:
    """Entry point: load the command line (Ctrl-C or SIGTERM meanwhile is one line), then
    run it; modules it never uses are loaded only if used (:mod:`siting.cli.deferred`),
    and Python looks for cyclic garbage less often (:func:`fewer_collections`)."""
    with deferred_imports(), fewer_collections():
        return _main(argv)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect Python's cyclic garbage every :data:`COMMAND_GC_THRESHOLD` allocations
    (or as set, if more) instead of Python's default while inside; the older
    generations as before, and all as before on leaving.

    A command keeps about a hundred thousand objects it made (the modules it
    loads, its tables, frames and models), and every collection of a generation
    walks those in it again: a 回天 solve spent 0.22-0.29 s in some 380
    collections, 0.05-0.06 s in the 7 it makes with this. Cycles still go, a
    little later.
    """
    import gc

    before = gc.get_threshold()
    gc.set_threshold(max(before[0], COMMAND_GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _main(argv: list[str] | None) -> int:
    import signal
    import threading

    pressed: list[int] = []

    def early(signum: int, _frame: Any) -> None:
        pressed.append(signum)
        raise KeyboardInterrupt

    def quiet(unraisable: Any) -> None:
        # A Ctrl-C inside a callback Python cannot raise from (importlib's module locks)
        # is noted in ``pressed``: no "Exception ignored" traceback.
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)

    hook = sys.unraisablehook
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, early) if main_thread else None
    previous_term = signal.signal(signal.SIGTERM, early) if main_thread else None
    sys.unraisablehook = quiet
    import siting

    pressed.extend(siting._early_interrupts)  # pressed before this handler was in place
    try:
        from siting.cli.program import run
    except KeyboardInterrupt:
        pressed.append(signal.SIGINT)
    finally:
        sys.unraisablehook = hook
    try:
        if pressed:
            return _stopped_while_starting(pressed)
        # ``early`` stays in place until run() puts its own handler in: no gap between them.
        return run(argv)
    except KeyboardInterrupt:
        return _stopped_while_starting(pressed)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)


def _stopped_while_starting(pressed: list[int]) -> int:
    """The one line and code of a Ctrl-C or SIGTERM received before the command ran."""
    import signal

    by = " by SIGTERM" if signal.SIGTERM in pressed else ""
    sys.stderr.write(f"siting: interrupted{by} while starting: nothing was read or written\n")
    return EXIT_TERMINATED if by else EXIT_INTERRUPTED


def entry() -> None:
    """The ``siting`` program: :func:`main`, then exit with its code.

    After a Ctrl-C, CPython may have noted a KeyboardInterrupt that passed
    through code run by ``exec`` (dataclasses, typing) while modules loaded,
    and would then end the process by SIGINT at exit, not with code 130 (or
    143 after SIGTERM): the exit handlers run here, and the process ends with
    that code itself. So does every command that leaves no other thread
    running (:func:`end_now`): Python's own teardown, which collects every
    object of every module loaded (numpy, scipy, the solver), would only spend
    a tenth of a second.

    The command does its arithmetic on sparse arrays and in the solver, which has
    its own threads: OpenBLAS's (numpy's and scipy's) only wake for a long dot
    product and then spin for a while on the core the solver needs. So the
    program runs BLAS on one thread unless ``OPENBLAS_NUM_THREADS`` says
    otherwise (the 2026-2030 回天 plan: 3.47 → 3.30 s, CPU 5.3 → 4.8 s on two
    cores). It must be set before numpy loads: here, not in :func:`main`, so a
    program that calls :func:`main` keeps its own environment.
    """
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    code = main()
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        import atexit

        sys.stdout.flush()
        sys.stderr.flush()
        atexit._run_exitfuncs()
        os._exit(code)
    end_now(code)
    sys.exit(code)


def end_now(code: int) -> None:
    """End the process with ``code`` once its output is flushed and its exit handlers
    (:mod:`atexit`) have run, without Python's teardown; returns (and the caller exits
    as usual) when a thread other than a daemon is still running, which Python would wait
    for, or when the output cannot be flushed (Python then reports it as usual)."""
    import threading

    if any(not thread.daemon for thread in threading.enumerate()
           if thread is not threading.main_thread()):
        return
    if not _flushed():
        return
    import atexit
    import os

    atexit._run_exitfuncs()
    _flushed()  # what the exit handlers wrote
    os._exit(code)


def _flushed() -> bool:
    """Flush Python's standard streams and the C library's (a solver's log)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except Exception:  # a closed pipe or stream, no C library to ask: Python's exit does it
        return False
    return True


def __getattr__(name: str) -> Any:
    if name == "app":
        from siting.cli.program import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
