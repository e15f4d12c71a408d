"""The classic models by name, and the parameters they declare: one declaration each.

A model's parameter is a dataclass field whose metadata is a :class:`Param`
(:func:`parameter`): its command-line flag, help, value (type and range),
unit, and whether it is for classic models only. The model's constructor
checks its fields against it (:func:`siting.params.validate_fields`); ``siting
solve`` builds its options, their ``--help`` and the constructor arguments
from the same declarations (:mod:`siting.cli.arguments`). A flag shared by
several models is one :class:`Param` of this module, so it means one thing.

A model is added by its module and one line, :func:`register` (or an entry of
:data:`REGISTERED`); its verifier is found by the model's name, from the module
the entry names.

The models sit below the verifier; their ``solve()`` hands each decoded
solution to :func:`verify_and_accept`, the step :mod:`siting.workflow`
installs here when ``siting`` is imported (:func:`install_acceptance`).

This module imports only the standard library: the command line reads it at
start-up (``siting solve --help`` imports no numpy).

>>> RADIUS.value.describe()
'> 0'
>>> POSITIVE_SHARE.describe()
'> 0 and <= 1'
>>> "mclp" in model_names() and "target-share" in model_names()
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import Field, dataclass, field
from typing import Any

#: The key of a :class:`Param` in a dataclass field's metadata.
PARAM = "siting.param"


@dataclass(frozen=True)
class Value:
    """What a parameter's value may be: its Python type, its bounds or its choices.

    ``kind`` is ``int``, ``float``, ``bool``, ``str`` or ``object`` (anything:
    a file or a frame, checked by the model itself).

    >>> Value(int, ge=1).describe(), Value(int).metavar
    ('>= 1', '<int>')
    >>> Value(str, choices=("a", "b")).describe()
    'a, b'
    """

    kind: type = object
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """The range in words, as ``--help`` shows it."""
        if self.choices:
            return ", ".join(self.choices)
        said = [f"{word} {limit:g}" for word, limit in
                ((">", self.gt), (">=", self.ge), ("<", self.lt), ("<=", self.le))
                if limit is not None]
        return " and ".join(said)

    @property
    def metavar(self) -> str:
        """How ``--help`` names the value (as typer names int, float and str)."""
        if self.choices:
            return "<" + "|".join(self.choices) + ">"
        return {int: "<int>", float: "<float>", bool: "<bool>"}.get(self.kind, "<str>")


POSITIVE = Value(float, gt=0)
NON_NEGATIVE = Value(float, ge=0)
COUNT = Value(int, ge=0)
AT_LEAST_ONE = Value(int, ge=1)
POSITIVE_SHARE = Value(float, gt=0, le=1)
SWITCH = Value(bool)
ANY = Value(object)


@dataclass(frozen=True)
class Param:
    """One model parameter: its flag (None: not on the command line), help, value, unit.

    ``classic_only``: an option for a classic model on an instance file; a
    spec (.toml) that is given it is refused, since the spec says its own.
    """

    flag: str | None
    help: str
    value: Value = ANY
    unit: str = ""
    short: str | None = None
    classic_only: bool = True

    @property
    def is_switch(self) -> bool:
        return self.value.kind is bool

    def help_text(self) -> str:
        """The option's ``--help``: the help, then the range and unit.

        >>> print(CUTOFF.help_text())
        Distance beyond which nothing is drawn (> 0; in the data's distance unit).
        """
        said = [s for s in (self.value.describe() if not self.value.choices else "",
                            self.unit) if s]
        return self.help.removesuffix(".") + (f" ({'; '.join(said)})." if said else ".")


def parameter(declared: Param, default: Any = None) -> Any:
    """A dataclass field declared by ``declared`` (its metadata), with ``default``.

    >>> from dataclasses import dataclass, fields
    >>> @dataclass
    ... class Demo:
    ...     radius: float | None = parameter(RADIUS)
    >>> declared(Demo)["radius"].flag
    '--radius'
    """
    return field(default=default, metadata={PARAM: declared})


def declared(kind: Any) -> dict[str, Param]:
    """The declared parameters of dataclass ``kind`` (or of an instance), by field name."""
    found: dict[str, Field[Any]] = getattr(kind, "__dataclass_fields__", {})
    return {name: f.metadata[PARAM] for name, f in found.items() if PARAM in f.metadata}


# ------------------------------------------------------ the flags the models share
P = Param("--p", "Number of new facilities; existing ones are open and not counted.",
          COUNT, short="-p")
RADIUS = Param("--radius", "Service radius.", POSITIVE,
               unit="in the data's distance unit, or the --costs table's", short="-r")
BUDGET = Param("--budget", "mclp: budget for new sites (their cost column).", NON_NEGATIVE,
               short="-b")
COVER_FORMULATION = Param(
    "--formulation", "mclp, pscp: compact, benders, or auto (from the reduced instance).",
    Value(str, choices=("auto", "compact", "benders")))
CANDIDATES = Param(
    "--candidates", "Restrict assignment to the k nearest sites: p-median, UFLP, CFLP, "
    "cp-median, and attendance / market models without a cutoff.", AT_LEAST_ONE)
SHARE = Param("--share", "pscp, target-share: share of all weight to reach.",
              POSITIVE_SHARE)
WEIGHTED_COST = Param("--weighted-cost",
                      "lscp, pscp, clscp: minimise the new sites' cost, not their count.",
                      SWITCH)
FULFIL_EXISTING = Param("--fulfil-existing",
                        "cp-median: fill every existing site to its capacity first.", SWITCH)
EXACTLY_P = Param("--exactly-p",
                  "mclp, p-center: open exactly p new sites (spopt's rule), not at most p.",
                  SWITCH)
SINGLE_SOURCE = Param("--single-source",
                      "cp-median, clscp, cmclp: each demand point served by one site.", SWITCH)
DECAY = Param("--decay", "attendance, market models: how pull falls with distance.",
              Value(str, choices=("linear", "power", "exponential")))
BETA = Param("--beta", "Decay parameter of power and exponential, default 1.", POSITIVE)
CUTOFF = Param("--cutoff", "Distance beyond which nothing is drawn.", POSITIVE,
               unit="in the data's distance unit")
DECAY_SCALE = Param("--decay-scale", "Distance unit of the decay, default 1 data unit.",
                    POSITIVE)
COMPETITORS = Param("--competitors",
                    "market-share, target-share: competitors' points (CSV x,y or GPKG).")

#: The flags of every model, in the order ``siting solve --help`` lists them.
FLAGS: tuple[Param, ...] = (P, RADIUS, BUDGET, EXACTLY_P, COVER_FORMULATION, CANDIDATES,
                            FULFIL_EXISTING, SINGLE_SOURCE, DECAY, BETA, CUTOFF, DECAY_SCALE,
                            COMPETITORS, SHARE, WEIGHTED_COST)

# ------------------------------------------------------------------- the registry
#: Registered models: name -> ``module:Class``, ``module`` registering its verifier.
REGISTERED: dict[str, tuple[str, str]] = {
    "mclp": ("siting.models.covering:MCLP", "siting.verify.classic"),
    "lscp": ("siting.models.covering:LSCP", "siting.verify.classic"),
    "set-cover": ("siting.models.covering:SetCover", "siting.verify.classic"),
    "lscp-b": ("siting.models.covering:LSCPB", "siting.verify.classic"),
    "pscp": ("siting.models.partial:PSCP", "siting.verify.classic"),
    "p-median": ("siting.models.median:PMedian", "siting.verify.classic"),
    "p-center": ("siting.models.median:PCenter", "siting.verify.classic"),
    "uflp": ("siting.models.facility:UFLP", "siting.verify.classic"),
    "cflp": ("siting.models.facility:CFLP", "siting.verify.classic"),
    "p-dispersion": ("siting.models.dispersion:PDispersion", "siting.verify.catalogue"),
    "cp-median": ("siting.models.capacitated:CPMedian", "siting.verify.catalogue"),
    "clscp": ("siting.models.capacitated:CLSCP", "siting.verify.catalogue"),
    "cmclp": ("siting.models.capacitated:CMCLP", "siting.verify.catalogue"),
    "weighted-p-center": ("siting.models.center:WeightedPCenter", "siting.verify.catalogue"),
    "attendance": ("siting.models.attendance:Attendance", "siting.verify.catalogue"),
    "market-share": ("siting.models.market:MarketShare", "siting.verify.catalogue"),
    "target-share": ("siting.models.market:TargetShare", "siting.verify.catalogue"),
}


def register(name: str, model: str, verifier: str) -> None:
    """Register model ``name``: its class (``module:Class``) and its verifier's module.

    >>> register("demo", "collections:OrderedDict", "collections")
    >>> model_class("demo").__name__
    'OrderedDict'
    >>> del REGISTERED["demo"]
    """
    REGISTERED[name] = (model, verifier)


def model_names() -> list[str]:
    """The registered models' names, in registration order."""
    return list(REGISTERED)


def model_class(name: str) -> Any:
    """The class registered as ``name`` (its module is imported now)."""
    module, _, attribute = REGISTERED[name][0].partition(":")
    return getattr(importlib.import_module(module), attribute)


def verifier_module(name: str) -> str:
    """The module whose import registers ``name``'s verifier."""
    return REGISTERED[name][1]


# -------------------------------------------------------- the step after decoding
#: Verify a decoded solution, record the verdict on it, return the report:
#: ``(instance, model, solution) -> report``.
Acceptance = Callable[[Any, Any, Any], Any]
_ACCEPTANCE: list[Acceptance] = []
#: Finish a report made while the solution had no bound: ``(report, model, solution)``.
BoundCheck = Callable[[Any, Any, Any], Any]
_BOUND_CHECK: list[BoundCheck] = []


def install_acceptance(step: Acceptance, against_bound: BoundCheck | None = None) -> None:
    """Make ``step`` the one that verifies and accepts every decoded solution, and
    ``against_bound`` (when given; else the one installed stays) the one that finishes
    a report made before the bound was known.

    :mod:`siting.workflow` installs its own when ``siting`` is imported.
    """
    _ACCEPTANCE[:] = [step]
    if against_bound is not None:
        _BOUND_CHECK[:] = [against_bound]


def accept_bound(report: Any, model: Any, solution: Any) -> Any:
    """Check the objective of ``report`` (made by :func:`verify_and_accept` on the same
    plan when no bound was known) against ``solution``'s bound, and record the verdict
    on ``solution``, by the installed step; returns the report.

    >>> accept_bound.__module__, len(_BOUND_CHECK)  # siting.workflow's step
    ('siting.registry', 1)
    """
    if not _BOUND_CHECK:
        raise RuntimeError("no bound check is installed: import siting first")
    return _BOUND_CHECK[0](report, model, solution)


def verify_and_accept(instance: Any, model: Any, solution: Any) -> Any:
    """Verify ``solution`` for ``model`` on ``instance`` and record the verdict on it,
    by the installed step; returns the verifier's report.

    >>> verify_and_accept.__module__, len(_ACCEPTANCE)  # siting.workflow's step
    ('siting.registry', 1)
    """
    if not _ACCEPTANCE:
        raise RuntimeError("no verifying step is installed: import siting first")
    return _ACCEPTANCE[0](instance, model, solution)
