"""Exit codes of the ``siting`` command and the one rule that maps an outcome to them.

Every command, and the entry point for the exceptions that end a command, asks
:func:`exit_code`; :func:`finish` then ends the command with that code and its
one-line message.

>>> exit_code("optimal", verified=True)
0
>>> exit_code("feasible", verified=False)
5
"""

from __future__ import annotations

import typer

# The codes themselves live in the package, which the entry point loads first.
from siting.cli import (
    EXIT_ERROR,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_UNVERIFIED,
)
from siting.errors import InfeasibleError, InputError, SitingError

# statuses that carry a solution; siting.backends.base.Status.has_solution, without
# importing the back ends (numpy, scipy) to start the command
_SOLVED = ("optimal", "feasible")


#: What the running command has left on disk, said after a Ctrl-C (see :func:`keep`).
_KEPT: list[str] = []
#: Set when Ctrl-C was pressed during the command: its one line then says how it ended.
PRESSED: list[bool] = []


def keep(text: str) -> None:
    """Record what the command has written, or left as it was, for the Ctrl-C message."""
    _KEPT[:] = [text]


def interrupted_message() -> str:
    """The line after Ctrl-C: what was written, or that nothing was.

    >>> keep("the best plan so far (feasible, gap 1.20%) was written to out/x")
    >>> interrupted_message()
    'siting: interrupted: the best plan so far (feasible, gap 1.20%) was written to out/x'
    """
    said = _KEPT[0] if _KEPT else "nothing was written"
    _KEPT.clear()
    return f"siting: interrupted: {said}"


def exit_code(
    status: str | None = None,
    *,
    verified: bool | None = None,
    failed: bool = False,
    interrupted: bool = False,
    error: BaseException | None = None,
) -> int:
    """The exit code of a command's outcome; checks run from the most serious.

    ``status`` is a solve status (a ``Status`` or its text; None when the command
    solved nothing), ``verified`` the verifier's verdict (None: not checked),
    ``failed`` that part of the work failed with an error (a sweep scenario),
    ``interrupted`` that Ctrl-C was pressed, ``error`` the exception that ended
    the command, if one did.

    >>> exit_code("infeasible"), exit_code("no_solution"), exit_code("error")
    (3, 4, 4)
    >>> exit_code("optimal", verified=True, interrupted=True)
    130
    >>> exit_code(failed=True, verified=False)
    1
    >>> exit_code(error=InputError("bad weight"))
    2
    >>> exit_code(error=typer.Exit(4))
    4
    >>> exit_code(error=RuntimeError("boom"))
    1
    """
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
