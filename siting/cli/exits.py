"""Exit codes of the ``siting`` command and the one rule that maps an outcome to them.

Every command, and the entry point for the exceptions that end a command, asks
:func:`exit_code`; :func:`finish` then ends the command with that code and its
one-line message.

>>> exit_code("optimal", verified=True)
0
>>> exit_code("feasible", verified=False)
5

SIGTERM (what job schedulers, systemd and containers send) stops a command as
Ctrl-C does: the best verified plan found so far is written, or the old folder
is kept, one line says which, and the exit code is 143 (128 + 15, as a shell
reports a process ended by SIGTERM) instead of 130.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import typer

# The codes themselves live in the package, which the entry point loads first.
from siting.cli import (
    EXIT_ERROR,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_UNVERIFIED,
)
from siting.errors import InfeasibleError, InputError, SitingError

# statuses that carry a solution; siting.backends.base.Status.has_solution, without
# importing the back ends (numpy, scipy) to start the command
_SOLVED = ("optimal", "feasible")


#: The signals that stop a command as Ctrl-C does.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: What the running command has left on disk, said after a Ctrl-C (see :func:`keep`).
_KEPT: list[str] = []
#: The signal that stopped the running command (SIGINT for Ctrl-C, or SIGTERM), set by
#: :func:`stop_signals`' handler: the command's one line then says how it ended.
PRESSED: list[signal.Signals] = []


class Terminated(KeyboardInterrupt):
    """Raised by SIGTERM: a KeyboardInterrupt, so every back end stops as for Ctrl-C and
    returns its best solution, which the command saves as after Ctrl-C."""


def keep(text: str) -> None:
    """Record what the command has written, or left as it was, for the Ctrl-C message."""
    _KEPT[:] = [text]


def interrupted_message() -> str:
    """The line after Ctrl-C (or SIGTERM): what was written, or that nothing was.

    >>> keep("the best plan so far (feasible, gap 1.20%) was written to out/x")
    >>> interrupted_message()
    'siting: interrupted: the best plan so far (feasible, gap 1.20%) was written to out/x'
    >>> PRESSED[:] = [signal.SIGTERM]
    >>> interrupted_message()
    'siting: interrupted by SIGTERM: nothing was written'
    >>> PRESSED.clear()
    """
    said = _KEPT[0] if _KEPT else "nothing was written"
    _KEPT.clear()
    return f"siting: {_stopped_how()}: {said}"


def interrupted_code() -> int:
    """The exit code of a command stopped by a signal: 143 for SIGTERM, else 130.

    >>> interrupted_code()
    130
    """
    return EXIT_TERMINATED if signal.SIGTERM in PRESSED else EXIT_INTERRUPTED


def _stopped_how() -> str:
    if signal.SIGTERM in PRESSED:
        return "interrupted by SIGTERM"
    return "interrupted"


def _on_stop_signal(signum: int, _frame: FrameType | None) -> None:
    if not PRESSED:  # the first signal is the one that stopped the command
        PRESSED.append(signal.Signals(signum))
    raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


@contextmanager
def stop_signals() -> Iterator[None]:
    """While the command runs, Ctrl-C and SIGTERM raise KeyboardInterrupt (:class:`Terminated`
    for SIGTERM) and are noted in :data:`PRESSED`; the previous handlers come back after.

    A back end that catches the KeyboardInterrupt returns its best solution, saved as
    usual; the note makes the exit code 130 or 143 anyway. Outside the main thread
    (where Python allows no handler) signals are left alone.

    >>> before = signal.getsignal(signal.SIGTERM)
    >>> with stop_signals():
    ...     signal.getsignal(signal.SIGTERM) is signal.getsignal(signal.SIGINT) is not before
    True
    >>> signal.getsignal(signal.SIGTERM) is before
    True
    """
    PRESSED.clear()
    previous: dict[signal.Signals, object] = {}
    try:
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, _on_stop_signal)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def exit_code(
    status: str | None = None,
    *,
    verified: bool | None = None,
    failed: bool = False,
    interrupted: bool | signal.Signals = False,
    error: BaseException | None = None,
) -> int:
    """The exit code of a command's outcome; checks run from the most serious.

    ``status`` is a solve status (a ``Status`` or its text; None when the command
    solved nothing), ``verified`` the verifier's verdict (None: not checked),
    ``failed`` that part of the work failed with an error (a sweep scenario),
    ``interrupted`` that Ctrl-C was pressed (True), or the signal that stopped the
    command, ``error`` the exception that ended the command, if one did.

    >>> exit_code("infeasible"), exit_code("no_solution"), exit_code("error")
    (3, 4, 4)
    >>> exit_code("optimal", verified=True, interrupted=True)
    130
    >>> exit_code("feasible", verified=True, interrupted=signal.SIGTERM)
    143
    >>> exit_code(error=Terminated())
    143
    >>> exit_code(failed=True, verified=False)
    1
    >>> exit_code(error=InputError("bad weight"))
    2
    >>> exit_code(error=typer.Exit(4))
    4
    >>> exit_code(error=RuntimeError("boom"))
    1
    """
    if interrupted == signal.SIGTERM or isinstance(error, Terminated):
        return EXIT_TERMINATED
    if interrupted or isinstance(error, KeyboardInterrupt | typer.Abort):
        return EXIT_INTERRUPTED
    if error is not None:
        if isinstance(error, typer.Exit):
            return int(error.exit_code)
        if isinstance(error, InfeasibleError):
            return EXIT_INFEASIBLE
        if isinstance(error, InputError) or _is_usage_error(error):
            return EXIT_INPUT
        return EXIT_ERROR
    if failed:
        return EXIT_ERROR
    if status is not None and str(status) not in _SOLVED:
        return EXIT_INFEASIBLE if str(status) == "infeasible" else EXIT_NO_SOLUTION
    if verified is False:
        return EXIT_UNVERIFIED
    return EXIT_OK


def error_message(error: BaseException) -> str | None:
    """The one stderr line for an exception that ended a command (None: say nothing).

    >>> error_message(InfeasibleError("mclp on swain is infeasible"))
    'siting: infeasible: mclp on swain is infeasible'
    >>> error_message(ValueError("a\\nb"))
    'siting: unexpected error: ValueError: a b'
    """
    if isinstance(error, typer.Exit):
        return None  # the command has said what it had to
    if isinstance(error, KeyboardInterrupt | typer.Abort):
        return interrupted_message()
    if isinstance(error, InfeasibleError):
        return f"siting: infeasible: {one_line(error)}"
    if isinstance(error, SitingError):
        return f"siting: error: {one_line(error)}"
    if _is_usage_error(error):
        return f"siting: error: {error.format_message()}"  # type: ignore[attr-defined]
    return f"siting: unexpected error: {type(error).__name__}: {one_line(error)}"


def finish(code: int, message: str | None = None) -> None:
    """End a command with ``code``: return on 0, else print ``message`` and exit.

    >>> finish(EXIT_OK, "nothing to say")
    >>> finish(EXIT_NO_SOLUTION)
    Traceback (most recent call last):
    typer.exceptions.Exit: 4
    """
    if code == EXIT_OK:
        return
    if message and not PRESSED:  # after Ctrl-C, the interrupted line is the one line
        kind = "infeasible" if code == EXIT_INFEASIBLE else "error"
        typer.echo(f"siting: {kind}: {one_line(message)}", err=True)
    raise typer.Exit(code)


def one_line(text: object) -> str:
    """``text`` on one line, whatever the message holds."""
    return " ".join(str(text).split())


def _is_usage_error(error: BaseException) -> bool:
    # usage errors of the CLI framework (bad option, bad value) carry format_message()
    return hasattr(error, "format_message") and hasattr(error, "exit_code")
