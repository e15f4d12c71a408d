"""The ``siting`` command line (entry point :func:`main`).

This module imports only the standard library, so that a Ctrl-C while the
program loads (``siting`` or ``python -m siting.cli``) ends with one line and
exit code 130, never a traceback. The app and its commands are in
:mod:`siting.cli.program`, one module a command; exit codes in
:mod:`siting.cli.exits`: 0 solved (optimal, or feasible within a limit) and
verified; 2 bad arguments or input files; 3 the model is infeasible; 4 no
solution found within the limits; 5 the solution failed verification; 1 an
unexpected error; 130 interrupted.

>>> EXIT_UNVERIFIED
5
"""

from __future__ import annotations

import sys
from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION, EXIT_UNVERIFIED = range(6)
EXIT_INTERRUPTED = 130

__all__ = [
    "EXIT_ERROR",
    "EXIT_INFEASIBLE",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_NO_SOLUTION",
    "EXIT_OK",
    "EXIT_UNVERIFIED",
    "app",
    "entry",
    "main",
]


def main(argv: list[str] | None = None) -> int:
    """Entry point: load the command line (Ctrl-C meanwhile is one line), then run it."""
    import signal
    import threading

    pressed: list[bool] = []

    def early(_signum: int, _frame: Any) -> None:
        pressed.append(True)
        raise KeyboardInterrupt

    def quiet(unraisable: Any) -> None:
        # A Ctrl-C inside a callback Python cannot raise from (importlib's module locks)
        # is noted in ``pressed``: no "Exception ignored" traceback.
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)

    hook = sys.unraisablehook
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, early) if main_thread else None
    sys.unraisablehook = quiet
    import siting

    pressed.extend(siting._early_interrupts)  # pressed before this handler was in place
    try:
        from siting.cli.program import run
    except KeyboardInterrupt:
        pressed.append(True)
    finally:
        sys.unraisablehook = hook
    try:
        if pressed:
            sys.stderr.write("siting: interrupted while starting: nothing was read or written\n")
            return EXIT_INTERRUPTED
        # ``early`` stays in place until run() puts its own handler in: no gap between them.
        return run(argv)
    except KeyboardInterrupt:
        sys.stderr.write("siting: interrupted while starting: nothing was read or written\n")
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def entry() -> None:
    """The ``siting`` program: :func:`main`, then exit with its code.

    After a Ctrl-C, CPython may have noted a KeyboardInterrupt that passed
    through code run by ``exec`` (dataclasses, typing) while modules loaded,
    and would then end the process by SIGINT at exit, not with code 130: the
    exit handlers run here, and the process ends with 130 itself.
    """
    code = main()
    if code == EXIT_INTERRUPTED:
        import atexit
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        atexit._run_exitfuncs()
        os._exit(EXIT_INTERRUPTED)
    sys.exit(code)


def __getattr__(name: str) -> Any:
    if name == "app":
        from siting.cli.program import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
