"""Solver back ends: HiGHS (default), OR-Tools (SCIP, CP-SAT) and CBC, behind one interface.

Each back end takes :class:`~siting.milp.MilpArrays` and returns a :class:`Result`
with our own :class:`Status`; a run stopped by a limit is ``feasible`` with its
gap, never ``optimal``. Models ask a back end for what they need by name
(:class:`Capability`) and state what they know of their MIP in neutral terms
(:class:`Tuning`); solver options proper go through
``SolveOptions.solver_options[name]``.

This package's own module is light (the names below load on first use), so that
the command line can name the default back end without loading the solvers.

>>> from siting.backends import Capability, backend_names, get_backend, supports
>>> DEFAULT_BACKEND in backend_names()
True
>>> get_backend(DEFAULT_BACKEND).supports(Capability.MIP_START)
True
>>> [name for name in backend_names() if supports(name, Capability.INCUMBENT_CALLBACK)]
['highs']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: The back end used when none is named (the CLI's ``--solver``, a spec's
#: ``[solver] backend``, a model's ``solve``): the only place that names it.
DEFAULT_BACKEND = "highs"

if TYPE_CHECKING:
    from siting.backends.base import (
        Capabilities,
        Capability,
        Result,
        SolveOptions,
        Status,
        Tuning,
        available_backends,
        backend_names,
        backend_with,
        capabilities,
        get_backend,
        relative_gap,
        supports,
    )

__all__ = [
    "DEFAULT_BACKEND",
    "Capabilities",
    "Capability",
    "Result",
    "SolveOptions",
    "Status",
    "Tuning",
    "available_backends",
    "backend_names",
    "backend_with",
    "capabilities",
    "get_backend",
    "relative_gap",
    "supports",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("siting.backends.base"), name)
    raise AttributeError(f"module 'siting.backends' has no attribute {name!r}")
