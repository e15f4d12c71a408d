"""What every ``siting solve`` run ends with: the folder written or kept, the exit code and
its message, and option errors named by the flags the user typed.

Used by the classic path (:mod:`siting.cli.solve_classic`) and the spec path
(:mod:`siting.cli.solve_spec`); :mod:`siting.cli.solve` re-exports these names.

>>> OPTION_NAMES["mip_gap"]
'--gap'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from siting.cli.exits import (
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    EXIT_UNVERIFIED,
    exit_code,
    finish,
    keep,
)


def write_outcome(sol: Any, out: Path, *args: Any) -> bool:
    """Write the solution folder when the run has an answer (a plan, or infeasible).

    A run stopped before any plan leaves an earlier folder as it was; either
    way, what happened is recorded for the line printed after a Ctrl-C.
    """
    from siting.backends.base import Status

    if not (sol.status.has_solution or sol.status == Status.INFEASIBLE):
        keep(f"no plan was found, so {out} was left as it was")
        return False
    sol.write(out, *args)
    if sol.status.has_solution:
        gap = "unknown" if sol.gap is None else f"{100 * sol.gap:.2f}%"
        keep(f"the best plan found so far ({sol.status}, gap {gap}) was written to {out}")
    else:
        keep(f"the {sol.status} result was written to {out}")
    return True


#: Option names of SolveOptions' fields, for errors that name what the user typed.
OPTION_NAMES = {"time_limit": "--time-limit", "mip_gap": "--gap", "threads": "--threads",
                "solver": "--solver"}


@contextmanager
def as_option_errors(fields: dict[str, str] | None = None) -> Iterator[None]:
    """Parameter errors raised inside name the command-line option, not the field
    (``fields``: a model's field names -> its flags)."""
    from siting.errors import ParameterError

    names = {**OPTION_NAMES, **(fields or {})}
    try:
        yield
    except ParameterError as exc:
        field = names.get(exc.field or "", exc.field)
        raise ParameterError(exc.reason, path=exc.path, row=exc.row, field=field,
                             value=exc.value) from None


def checked_options(**values: Any) -> Any:
    """SolveOptions from the command's values, refused (naming the option) when out of range."""
    from siting.backends.base import SolveOptions

    with as_option_errors():
        return SolveOptions(**values)


def _conclude(sol: Any, *, infeasible: str) -> None:
    """End the command by the solution's status and verification (each solve's last step)."""
    code = exit_code(sol.status, verified=sol.verified)
    message = None
    if code == EXIT_INFEASIBLE:
        message = infeasible
    elif code == EXIT_UNVERIFIED:
        message = "solution failed verification: " + "; ".join(sol.verification)
    elif code == EXIT_NO_SOLUTION:
        message = no_plan_message(sol)
    finish(code, message)


def no_plan_message(sol: Any) -> str:
    """Why a run ends without a plan, and what may help, in one line.

    >>> from types import SimpleNamespace as S
    >>> no_plan_message(S(status="no_solution", message="Time limit reached"))
    'no plan was found (time limit reached); a longer --time-limit may find one'
    >>> no_plan_message(S(status="unbounded", message=""))
    'no plan was found: the solver says unbounded'
    """
    text = getattr(sol, "message", "")
    detail = f" ({text[:1].lower()}{text[1:]})" if text else ""
    if str(sol.status) == "no_solution":
        found = detail or " within the limits"
        return f"no plan was found{found}; a longer --time-limit may find one"
    return f"no plan was found: the solver says {sol.status}{detail}"
