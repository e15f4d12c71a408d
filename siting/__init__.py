"""siting: facility-siting optimisation with sparse coverage and solver-neutral MILP arrays.

The public names below are imported on first use, so ``import siting`` (and
the ``siting`` command's start-up) does not pay for numpy, scipy or pandas
until something needs them.

>>> import siting
>>> "p-median" in siting.MODELS and "market-share" in siting.MODELS
True
>>> all(hasattr(siting, model.__name__) for model in siting.MODELS.values())
True
>>> from siting import MCLP
>>> MCLP.__name__
'MCLP'
"""

from __future__ import annotations

import sys as _sys

#: Ctrl-C presses (and SIGTERMs) noted while the ``siting`` command loads, before its
#: own handler: the signal numbers.
_early_interrupts: list[int] = []


def _note_early_interrupt(signum: int, _frame: object) -> None:
    _early_interrupts.append(signum)


def _is_the_command() -> bool:
    """Whether this process is the ``siting`` command (``siting …``, ``python -m siting.cli``)."""
    argv = _sys.argv[:1]
    if argv == ["-m"]:
        return "siting.cli" in getattr(_sys, "orig_argv", ())
    return bool(argv) and argv[0].rsplit("/", 1)[-1] == "siting"


# First thing, and with the built-in ``_signal`` (no import time): a Ctrl-C in the
# command's first milliseconds is noted, and siting.cli.main answers it with one
# line instead of a traceback. A library import (a notebook, a script) never
# touches signals.
if _is_the_command():
    import _signal

    if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:  # the main thread
        _signal.signal(_signal.SIGINT, _note_early_interrupt)
    if _signal.getsignal(_signal.SIGTERM) == _signal.SIG_DFL:
        _signal.signal(_signal.SIGTERM, _note_early_interrupt)

import importlib  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

# The models' solve() hands each decoded solution to the verify-and-accept step this
# installs (siting.workflow imports only siting.registry, so this costs no numpy).
import siting.workflow  # noqa: E402,F401

if TYPE_CHECKING:
    from siting.backends.base import Result, SolveOptions, Status
    from siting.coverage.od import read_od_table
    from siting.coverage.table import TableMetric
    from siting.errors import (
        CRSError,
        FormatError,
        InfeasibleError,
        InputError,
        ParameterError,
        SitingError,
        SolverError,
    )
    from siting.instance import Instance
    from siting.io import load_instance
    from siting.models import (
        CFLP,
        CLSCP,
        CMCLP,
        LSCP,
        LSCPB,
        MCLP,
        MODELS,
        PSCP,
        UFLP,
        Attendance,
        CPMedian,
        LocationModel,
        MarketShare,
        PCenter,
        PDispersion,
        PMedian,
        SetCover,
        TargetShare,
        WeightedPCenter,
    )
    from siting.multi.solution import MultiSolution
    from siting.solution import Solution
    from siting.verify import verify_solution

__version__ = "0.1.0"

# public name -> the module that defines it
_SOURCES: dict[str, str] = {
    **dict.fromkeys(("Result", "SolveOptions", "Status"), "siting.backends.base"),
    **dict.fromkeys(
        (
            "CRSError",
            "FormatError",
            "InfeasibleError",
            "InputError",
            "ParameterError",
            "SitingError",
            "SolverError",
        ),
        "siting.errors",
    ),
    "Instance": "siting.instance",
    "load_instance": "siting.io",
    **dict.fromkeys(
        ("CFLP", "CLSCP", "CMCLP", "LSCP", "LSCPB", "MCLP", "MODELS", "PSCP", "UFLP",
         "Attendance", "CPMedian", "LocationModel", "MarketShare", "PCenter", "PDispersion",
         "PMedian", "SetCover", "TargetShare", "WeightedPCenter"),
        "siting.models",
    ),
    "MultiSolution": "siting.multi.solution",
    "TableMetric": "siting.coverage.table",
    "read_od_table": "siting.coverage.od",
    "Solution": "siting.solution",
    "verify_solution": "siting.verify",
}

__all__ = [
    "CFLP",
    "CLSCP",
    "CMCLP",
    "LSCP",
    "LSCPB",
    "MCLP",
    "MODELS",
    "PSCP",
    "UFLP",
    "Attendance",
    "CPMedian",
    "CRSError",
    "FormatError",
    "InfeasibleError",
    "InputError",
    "Instance",
    "LocationModel",
    "MarketShare",
    "MultiSolution",
    "PCenter",
    "PDispersion",
    "PMedian",
    "ParameterError",
    "Result",
    "SetCover",
    "SitingError",
    "Solution",
    "SolveOptions",
    "SolverError",
    "Status",
    "TableMetric",
    "TargetShare",
    "WeightedPCenter",
    "load_instance",
    "read_od_table",
    "verify_solution",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use, then keep it here."""
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module 'siting' has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
