"""Back-end interface: our own status, options and result types, and the registry.

Each back end maps its solver's status codes into :class:`Status`. A run stopped
by a limit with an incumbent is ``feasible`` with its gap, never ``optimal``.

>>> Status.OPTIMAL.has_solution, Status.INFEASIBLE.has_solution
(True, False)
>>> relative_gap(100.0, 99.0, "min")
0.01
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from siting.milp import MilpArrays
from siting.milp import relative_gap as relative_gap  # re-exported: the back ends report it
from siting.params import Count, Gap, Positive, Threads


class Status(StrEnum):
    """Outcome of a solve, the same whatever the back end.

    ``optimal`` (proven), ``feasible`` (a plan, stopped by a limit before the
    proof: never called optimal), ``infeasible``, ``unbounded``,
    ``no_solution`` (stopped before any plan) or ``error``.

    Examples
    --------
    >>> Status.FEASIBLE.has_solution, Status.NO_SOLUTION.has_solution
    (True, False)
    >>> str(Status.OPTIMAL)
    'optimal'
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # stopped (time, gap, interrupt) with a solution; gap reported
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # stopped by a limit before any solution was found
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass
class SolveOptions:
    """Options every back end understands (those it cannot honour are ignored, documented).

    Parameters
    ----------
    time_limit : float, optional
        Seconds; a plan found by then is returned as ``feasible`` with its gap.
    mip_gap : float, default 1e-6
        Relative gap at which a MIP counts as solved.
    threads : int, optional
        Solver threads (default: the solver's own).
    verbose : bool, default False
        Show the solver's log.
    warm_start : numpy.ndarray, optional
        A start vector over the model's columns.
    seed : int, default 0
        The solver's random seed.
    mip_restart, progress, incumbents, cancel, solver_options
        For callers that drive a solve closely (see the attributes' comments
        in the source); HiGHS honours them, other back ends ignore them.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting import Instance, PMedian
    >>> d = pd.DataFrame({"x": [0.0, 1.0, 5.0], "y": [0.0, 0.0, 0.0], "weight": [1, 1, 1]})
    >>> opts = SolveOptions(time_limit=30, seed=1)
    >>> PMedian(p=1).solve(Instance.from_frames(d, d), options=opts).objective
    5.0
    """

    time_limit: Positive | None = None
    mip_gap: Gap = 1e-6  # relative gap at which a MIP counts as solved
    threads: Threads | None = None
    verbose: bool = False
    warm_start: NDArray[np.float64] | None = None
    seed: Count = 0
    #: Whether a MIP solver may restart its search after root reductions; None
    #: leaves the solver's default. Callers whose warm start is near optimal
    #: switch it off (see ``siting.models.pmedian_radius``): reduced-cost fixing
    #: against such a start then triggers restarts that only repeat presolve and
    #: root separation on a tree of one to three nodes. HiGHS only
    #: (``mip_allow_restart``); other back ends ignore it.
    mip_restart: bool | None = None
    #: Called from the solver's thread, at most twice a second, with the
    #: incumbent's objective, the bound and the relative gap (None while
    #: unknown), in the model's own units. For progress displays only: it must
    #: not raise, and it never changes the solve. HiGHS only; others ignore it.
    progress: Callable[[float | None, float | None, float | None], None] | None = None
    #: A source of solutions found while the solver runs (a primal heuristic in
    #: another thread): called from the solver's thread whenever it asks for one,
    #: it returns a full column vector, or None when it has nothing new. The solver
    #: checks the vector and keeps it if it is feasible and better. Back ends with
    #: ``Capabilities.incumbents`` only (HiGHS: its MIP user-solution callback).
    incumbents: Callable[[], NDArray[np.float64] | None] | None = None
    #: Set from any thread to stop the solve as at a time limit (the incumbent is
    #: kept). HiGHS only; others ignore it.
    cancel: threading.Event | None = None
    #: Options of one back end by name, passed through as they are, e.g.
    #: ``{"highs": {"presolve_rule_off": 32768}}``; a back end reads only its own entry.
    solver_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from siting.params import validate_fields

        validate_fields(self)


@dataclass
class Result:
    """What a back end returns: status, values and the numbers a user needs to trust them.

    Parameters
    ----------
    status : Status
        The outcome.
    backend : str
        The back end's name.
    objective, bound, gap : float or None
        The incumbent's objective, the proven bound and their relative gap.
    runtime_s : float
        Wall-clock seconds.
    x : numpy.ndarray or None
        The column values of the incumbent.
    message : str
        What the back end said.
    extra : dict
        Back-end specific details.

    Examples
    --------
    >>> Result(Status.OPTIMAL, "highs", objective=3.0, bound=3.0, gap=0.0).status
    <Status.OPTIMAL: 'optimal'>
    """

    status: Status
    backend: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    runtime_s: float = 0.0
    x: NDArray[np.float64] | None = None
    message: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def beneath(
    solver_options: dict[str, dict[str, Any]], backend: str, defaults: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """``solver_options`` with ``defaults`` for ``backend`` beneath the caller's own
    entries: a model's tuning that the caller can still override, one by one.

    >>> beneath({"highs": {"presolve": "off"}}, "highs", {"presolve": "on", "threads": 1})
    {'highs': {'presolve': 'off', 'threads': 1}}
    >>> beneath({}, "cbc", {"cuts": "off"})
    {'cbc': {'cuts': 'off'}}
    """
    out = {name: dict(values) for name, values in solver_options.items()}
    out[backend] = {**defaults, **out.get(backend, {})}
    return out


class Backend(Protocol):
    """A solver adapter: takes :class:`MilpArrays`, returns :class:`Result`."""

    name: str

    def available(self) -> bool: ...

    def solve(self, milp: MilpArrays, options: SolveOptions) -> Result: ...


@dataclass(frozen=True)
class Capabilities:
    """What a back end can do; tests and the CLI pick back ends from these."""

    mip: bool = True
    warm_start: bool = False
    time_limit: bool = True
    threads: bool = False
    integer_coefficients_only: bool = False
    #: Takes solutions from ``SolveOptions.incumbents`` while it runs.
    incumbents: bool = False
    description: str = ""


_REGISTRY: dict[str, tuple[Callable[[], Backend], Capabilities]] = {}


def register(name: str, factory: Callable[[], Backend], caps: Capabilities) -> None:
    _REGISTRY[name] = (factory, caps)


def backend_names() -> list[str]:
    """Registered back ends, default first."""
    _load_builtin()
    return list(_REGISTRY)


def capabilities(name: str) -> Capabilities:
    _load_builtin()
    return _REGISTRY[name][1]


def get_backend(name: str) -> Backend:
    """The back end called ``name`` (``highs``, ``ortools``, ``cbc``, ...)."""
    from siting.errors import ParameterError, SolverError

    _load_builtin()
    if name not in _REGISTRY:
        import difflib

        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(
            f"unknown solver{hint}; choose one of {', '.join(_REGISTRY)}", field="solver",
            value=name,
        )
    backend = _REGISTRY[name][0]()
    if not backend.available():
        raise SolverError(f"solver {name!r} is not available on this machine")
    return backend


def available_backends(structured: bool = False) -> list[str]:
    """Names of registered back ends whose solver can run here.

    Back ends that are not general MILP solvers (``Capabilities.mip`` False: the
    ``heuristic``, which needs model structure) are listed only with ``structured=True``.
    """
    out = []
    for name in backend_names():
        if not structured and not _REGISTRY[name][1].mip:
            continue
        try:
            if _REGISTRY[name][0]().available():
                out.append(name)
        except Exception:  # a broken optional install is simply not available
            continue
    return out


_loaded = False
_PREFERENCE = ("highs", "ortools", "cpsat", "cbc")


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for module in ("highs", "ortools", "cbc", "heuristic"):
        importlib.import_module(f"siting.backends.{module}")
    # Modules may have been imported (and registered) in any order before this
    # point: put the built-in back ends in preference order, the default first.
    rank = {name: i for i, name in enumerate(_PREFERENCE)}
    ordered = sorted(_REGISTRY.items(), key=lambda item: rank.get(item[0], len(rank)))
    _REGISTRY.clear()
    _REGISTRY.update(ordered)
