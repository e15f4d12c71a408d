"""Back-end interface: our own status, options and result types, and the registry.

Each back end maps its solver's status codes into :class:`Status`. A run stopped
by a limit with an incumbent is ``feasible`` with its gap, never ``optimal``.

>>> Status.OPTIMAL.has_solution, Status.INFEASIBLE.has_solution
(True, False)
>>> relative_gap(100.0, 99.0, "min")
0.01

Models never name a solver: they ask what a back end can do
(:class:`Capability`) and say what they want of its search in neutral terms
(:class:`Tuning`), which each back end translates into its own options.

>>> supports(DEFAULT_BACKEND, Capability.INCUMBENT_CALLBACK)
True
>>> supports("cbc", Capability.INCUMBENT_CALLBACK)
False
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from siting.backends import DEFAULT_BACKEND
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


class Capability(StrEnum):
    """Something a back end can do, asked for by name before a model relies on it."""

    #: A general MILP solver (the ``heuristic`` back end is not: it needs model structure).
    MIP = "mip"
    #: Honours ``SolveOptions.time_limit``.
    TIME_LIMIT = "time_limit"
    #: Honours ``SolveOptions.threads``.
    THREADS = "threads"
    #: Runs its MIP search on more than one thread when ``threads`` is above 1.
    PARALLEL_SEARCH = "parallel_search"
    #: Starts from ``SolveOptions.warm_start`` (a full column vector).
    MIP_START = "mip_start"
    #: Takes only integer columns with integer data (CP-SAT).
    INTEGER_DATA_ONLY = "integer_data_only"
    #: Takes solutions from ``SolveOptions.incumbents`` while it runs.
    INCUMBENTS = "incumbents"
    #: ``solve(milp, options, on_solution=f)`` calls ``f(x)`` with each improving
    #: incumbent; when ``f`` returns True the run stops with that incumbent.
    INCUMBENT_CALLBACK = "incumbent_callback"
    #: Reports incumbent, bound and gap to ``SolveOptions.progress`` while it runs.
    PROGRESS = "progress"
    #: Stops as at a time limit, keeping its incumbent, when ``SolveOptions.cancel``
    #: is set from another thread.
    CANCEL = "cancel"
    #: ``warm_lp(milp, held, options)``: the LP relaxation solved from the basis of the
    #: same LP with some columns held at their lower bound.
    WARM_LP = "warm_lp"
    #: ``open_lp(lp)``: an LP kept loaded, re-solved warm as rows are added (a cut loop).
    LP_ROWS = "lp_rows"
    #: ``write_model(milp, path)``: the model as an MPS file.
    MODEL_FILE = "model_file"


class Tuning(StrEnum):
    """What a caller knows about its MIP, in solver-neutral terms; each back end turns
    the ones it can use into its own options (the caller's ``solver_options`` win)."""

    #: The start is the plan to beat, or the MIP is itself a heuristic's sub-MIP:
    #: the solver's own primal heuristics would search for what is already known.
    NO_HEURISTICS = "no_heuristics"
    #: The start is (nearly) optimal and the root bound close: the work left is the
    #: proof, so a tree of cheap nodes (no heuristics, no strong branching).
    PROOF = "proof"
    #: No restart of the search after root reductions: fixing columns against a
    #: near-optimal start then repeats presolve and root work on a tiny tree.
    NO_RESTART = "no_restart"
    #: No probing in presolve: the model already states the implications probing
    #: would find (the plan model's land-conflict rows).
    NO_PROBING = "no_probing"


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
    tuning : set of Tuning
        What the caller knows about its MIP, in solver-neutral terms; each back
        end turns the ones it can use into its own options.
    progress, incumbents, cancel
        For callers that drive a solve closely; a back end honours each when it
        declares the matching :class:`Capability` (``PROGRESS``, ``INCUMBENTS``,
        ``CANCEL``), others ignore them.
    solver_options : dict
        Options for one back end by its name, passed through as they are (they
        win over ``tuning``).

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
    #: What the caller knows about its MIP (:class:`Tuning`), translated by each
    #: back end into its own options; back ends without a translation ignore it.
    tuning: frozenset[Tuning] = frozenset()
    #: Called from the solver's thread, at most twice a second, with the
    #: incumbent's objective, the bound and the relative gap (None while
    #: unknown), in the model's own units. For progress displays, or to set the
    #: caller's own ``cancel`` (:func:`siting.multi.explain.decided_at`): it must
    #: not raise, and the back end does not act on it. Back ends with
    #: ``Capability.PROGRESS``; others ignore it.
    progress: Callable[[float | None, float | None, float | None], None] | None = None
    #: A source of solutions found while the solver runs (a primal heuristic in
    #: another thread): called from the solver's thread whenever it asks for one,
    #: it returns a full column vector, or None when it has nothing new. The solver
    #: checks the vector and keeps it if it is feasible and better. Back ends with
    #: ``Capability.INCUMBENTS``; others ignore it.
    incumbents: Callable[[], NDArray[np.float64] | None] | None = None
    #: Set from any thread to stop the solve as at a time limit (the incumbent is
    #: kept). Back ends with ``Capability.CANCEL``; others ignore it.
    cancel: threading.Event | None = None
    #: Options of one back end by name, passed through as they are and set after
    #: the back end's own translation of the neutral options above, e.g.
    #: ``{"highs": {"presolve_rule_off": 32768}}``; a back end reads only its own entry.
    solver_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def tuned(self, *more: Tuning) -> SolveOptions:
        """These options with ``more`` added to :attr:`tuning`.

        >>> sorted(t.value for t in SolveOptions().tuned(Tuning.PROOF, Tuning.NO_RESTART).tuning)
        ['no_restart', 'proof']
        """
        return replace(self, tuning=self.tuning | frozenset(more))

    def untuned(self, *less: Tuning) -> SolveOptions:
        """These options with ``less`` taken out of :attr:`tuning`.

        >>> SolveOptions().tuned(Tuning.PROOF).untuned(Tuning.PROOF).tuning
        frozenset()
        """
        return replace(self, tuning=self.tuning - frozenset(less))

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




class Backend(Protocol):
    """A solver adapter: takes :class:`MilpArrays`, returns :class:`Result`."""

    name: str

    def available(self) -> bool: ...

    def solve(self, milp: MilpArrays, options: SolveOptions) -> Result: ...

    def supports(self, capability: Capability) -> bool: ...


class LpSession(Protocol):
    """An LP kept loaded in a solver (``Capability.LP_ROWS``): solved, rows added,
    solved again from the last basis."""

    def solve(self, time_limit: float | None = None) -> bool:
        """Solve from the last basis; True when the LP is solved to optimality."""
        ...

    def values(self) -> NDArray[np.float64]: ...

    def reduced_costs(self) -> NDArray[np.float64]: ...

    def objective(self) -> float: ...

    def add_rows(self, rows: Any, upper: NDArray[np.float64]) -> None:
        """Append the rows of the sparse matrix ``rows`` as ``rows @ x <= upper``."""
        ...


class IncumbentCallbackBackend(Backend, Protocol):
    """A back end with ``Capability.INCUMBENT_CALLBACK``."""

    def solve(self, milp: MilpArrays, options: SolveOptions, *,
              on_solution: Callable[[NDArray[np.float64]], bool] | None = None) -> Result: ...


class WarmLpBackend(Backend, Protocol):
    """A back end with ``Capability.WARM_LP``."""

    def warm_lp(self, milp: MilpArrays, held: NDArray[np.bool_],
                options: SolveOptions) -> Result: ...


class LpRowsBackend(Backend, Protocol):
    """A back end with ``Capability.LP_ROWS``."""

    def open_lp(self, lp: MilpArrays) -> LpSession: ...


@dataclass(frozen=True, init=False)
class Capabilities:
    """What a back end can do (:class:`Capability` by name); tests, the CLI and the
    models pick back ends from these.

    >>> caps = Capabilities(Capability.MIP, Capability.MIP_START, description="x")
    >>> caps.supports(Capability.MIP_START), caps.warm_start, caps.threads
    (True, True, False)
    """

    features: frozenset[Capability]
    description: str

    def __init__(self, *features: Capability, description: str = "") -> None:
        object.__setattr__(self, "features", frozenset(Capability(f) for f in features))
        object.__setattr__(self, "description", description)

    def supports(self, capability: Capability) -> bool:
        return capability in self.features

    # The common questions, by attribute.
    @property
    def mip(self) -> bool:
        return Capability.MIP in self.features

    @property
    def warm_start(self) -> bool:
        return Capability.MIP_START in self.features

    @property
    def time_limit(self) -> bool:
        return Capability.TIME_LIMIT in self.features

    @property
    def threads(self) -> bool:
        return Capability.THREADS in self.features

    @property
    def integer_coefficients_only(self) -> bool:
        return Capability.INTEGER_DATA_ONLY in self.features

    @property
    def incumbents(self) -> bool:
        return Capability.INCUMBENTS in self.features


_REGISTRY: dict[str, tuple[Callable[[], Backend], Capabilities]] = {}


def register(name: str, factory: Callable[[], Backend], caps: Capabilities) -> None:
    _REGISTRY[name] = (factory, caps)


def backend_names() -> list[str]:
    """Registered back ends, default first."""
    _load_builtin()
    return list(_REGISTRY)


def capabilities(name: str) -> Capabilities:
    """What the back end called ``name`` can do (an unknown name: an error naming it)."""
    _load_builtin()
    if name not in _REGISTRY:
        get_backend(name)  # raises the error that names the choices
    return _REGISTRY[name][1]


def supports(name: str, capability: Capability) -> bool:
    """Whether the back end called ``name`` can do ``capability``."""
    return capabilities(name).supports(capability)


def backend_with(capability: Capability, preferred: str | None = None) -> Backend:
    """``preferred`` if it can do ``capability``, else the first registered back end
    (default first) that can and is available here.

    >>> backend_with(Capability.LP_ROWS, "cbc").name == DEFAULT_BACKEND
    True
    """
    from siting.errors import SolverError

    names = backend_names()
    order = ([preferred] if preferred in names else []) + names
    for name in order:
        if supports(name, capability):
            try:
                return get_backend(name)
            except SolverError:
                continue
    raise SolverError(f"no solver on this machine can do {capability.value!r}")


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
_PREFERENCE = (DEFAULT_BACKEND, "ortools", "cpsat", "cbc")


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
