"""The ``siting`` command line's typer app, its commands, and :func:`run`.

Exit codes: 0 solved (optimal, or feasible within a limit) and verified;
2 bad arguments or input files; 3 the model is infeasible; 4 no solution found
within the limits; 5 the solution failed verification; 1 an unexpected error;
130 interrupted by Ctrl-C, 143 by SIGTERM (see :mod:`siting.cli.exits`).

Each command lives in its own module and imports the heavy libraries (numpy,
pandas, scipy, the solvers, geopandas) only when it runs, so ``siting --help``
starts at once.

>>> [command.callback.__name__ for command in app.registered_commands]
['solve', 'check', 'info', 'report', 'verify', 'sweep']
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

import typer

from siting.cli import EXIT_OK, check, info, report, solve, sweep, verify
from siting.cli.coercion import PlainCoercionCommand, PlainCoercionGroup
from siting.cli.exits import (
    PRESSED,
    error_message,
    exit_code,
    interrupted_code,
    interrupted_message,
    stop_signals,
)

__all__ = ["COMMANDS", "app", "app_for", "run", "typer_app"]

#: The commands, in this order in `siting --help`.
COMMANDS = (solve.solve, check.check, info.info, report.report, verify.verify, sweep.sweep)


def _print_version(value: bool) -> None:
    if value:
        import siting

        typer.echo(f"siting {siting.__version__}")
        raise typer.Exit(0)


def _options(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Facility-siting optimisation: choose sites that cover the most people."""


def typer_app(commands: tuple[Callable[..., Any], ...] = COMMANDS) -> typer.Typer:
    """The ``siting`` app with these of its commands.

    >>> [command.callback.__name__ for command in typer_app((info.info,)).registered_commands]
    ['info']
    """
    made = typer.Typer(
        name="siting",
        cls=PlainCoercionGroup,
        help="Facility-siting optimisation: choose sites that cover the most people.",
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    made.callback()(_options)
    for command in commands:
        made.command(cls=PlainCoercionCommand)(command)
    return made


app = typer_app()


def app_for(argv: list[str]) -> typer.Typer:
    """The app that runs ``argv``: when its first word names a command, one with only that
    command (typer makes every command's options when it runs, the others' for nothing).

    >>> [c.callback.__name__ for c in app_for(["solve", "--help"]).registered_commands]
    ['solve']
    >>> app_for(["--version"]) is app and app_for(["solv"]) is app
    True
    """
    named = tuple(command for command in COMMANDS if argv[:1] == [command.__name__])
    return typer_app(named) if named else app


def run(argv: list[str] | None = None) -> int:
    """Run the command line: one-line errors with documented exit codes, never a traceback."""
    warnings.simplefilter("default")
    # Not for users: a Ctrl-C that lands while a module loads leaves its .pyc open,
    # and Python (which hides these by default) would otherwise print "unclosed file".
    warnings.simplefilter("ignore", ResourceWarning)
    warnings.formatwarning = lambda msg, cat, *a, **k: f"siting: warning: {msg}\n"

    def quiet_interrupts(unraisable: Any) -> None:
        # A Ctrl-C that lands in a callback Python cannot raise from (a weakref callback
        # while modules load) is noted in PRESSED: no "Exception ignored" traceback.
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            previous_hook(unraisable)

    previous_hook = sys.unraisablehook
    sys.unraisablehook = quiet_interrupts
    # Ctrl-C and SIGTERM raise KeyboardInterrupt; a back end that catches it returns its
    # best solution (saved as usual), and PRESSED makes the exit code 130 or 143 anyway.
    try:
        with stop_signals():
            try:
                # Without standalone mode, click returns a typer.Exit's code instead of
                # raising it.
                chosen = app_for(sys.argv[1:] if argv is None else argv)
                returned = chosen(args=argv, standalone_mode=False)
                if PRESSED:
                    typer.echo(interrupted_message(), err=True)
                    return interrupted_code()
                return int(returned) if isinstance(returned, int) else EXIT_OK
            except BaseException as exc:
                if isinstance(exc, SystemExit | GeneratorExit):
                    raise
                stopped = PRESSED[0] if PRESSED else False
                message = interrupted_message() if stopped else error_message(exc)
                if message is not None:
                    typer.echo(message, err=True)
                return exit_code(interrupted=stopped, error=exc)
    finally:
        sys.unraisablehook = previous_hook
