"""Independent verification of every solution, through one registry of verifiers.

Each model family registers the function that re-checks its solutions
(:func:`verifies`) under the models' registered names; :func:`verify_solution`
finds it by the model's ``name`` (or, for a subclass without a verifier of its
own, the nearest base's name). The verifier imports no model class and no
builder: it reads the model's parameters and recomputes the rest. The solve
workflow (:mod:`siting.workflow`) is its only caller in siting. A verifier
recomputes the objective and every constraint from the instance by a route of its own
(the metric's :meth:`~siting.coverage.Metric.nearest_in`, pair distances),
never from the solver's arrays, and judges the claimed objective with
:func:`~siting.verify.report.accept_objective`.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> from siting.models import MCLP
>>> d = pd.DataFrame({"x": [0, 10.0], "y": [0, 0.0], "weight": [5, 3]})
>>> inst = Instance.from_frames(d, d)
>>> sol = MCLP(radius=1, p=1).solve(inst)
>>> sol.verified
True
>>> sol.objective = 8.0   # a wrong claim
>>> verify_solution(inst, MCLP(radius=1, p=1), sol).ok
False
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from siting.errors import SitingError
from siting.verify.report import REL_TOL, VerifyReport, accept_objective

__all__ = [
    "REL_TOL",
    "VerifyReport",
    "accept_objective",
    "is_a",
    "names_of",
    "verifier_for",
    "verifies",
    "verify_solution",
]

Verifier = Callable[[Any, Any, Any], VerifyReport]
_REGISTRY: dict[str, Verifier] = {}
#: Verifiers of models outside :data:`siting.registry.REGISTERED`, by name: the plan
#: verifier needs all of ``siting.multi`` (0.15 s of imports a classic solve would pay).
_MODULES = {"multi-service": "siting.verify.plan"}


def verifies(*names: str) -> Callable[[Verifier], Verifier]:
    """Register a function ``(instance, model, solution) -> VerifyReport`` for the models
    registered under these names (each model class's ``name``)."""

    def register(func: Verifier) -> Verifier:
        for name in names:
            _REGISTRY[name] = func
        return func

    return register


def names_of(model: Any) -> list[str]:
    """The model's ``name``, then its base classes' (a subclass is checked as its base).

    >>> class Base:
    ...     name = "base"
    >>> class Mine(Base):
    ...     name = "mine"
    >>> names_of(Mine())
    ['mine', 'base']
    """
    found = (getattr(kind, "name", None) for kind in type(model).__mro__)
    return list(dict.fromkeys(name for name in found if isinstance(name, str)))


def is_a(model: Any, name: str) -> bool:
    """Whether ``model`` is the registered model ``name`` or a subclass of it."""
    return name in names_of(model)


def verifier_for(model: Any) -> Verifier:
    """The verifier registered under the model's name, or its nearest base's."""
    from siting.registry import REGISTERED

    names = names_of(model)
    for name in names:  # the modules that register these names' verifiers
        module = REGISTERED[name][1] if name in REGISTERED else _MODULES.get(name)
        if module is not None:
            importlib.import_module(module)
    for name in names:
        if name in _REGISTRY:
            return _REGISTRY[name]
    name = names[0] if names else type(model).__name__
    raise SitingError(f"no verifier is registered for model {name!r}: register one with "
                      f"@siting.verify.verifies({name!r})")


def verify_solution(instance: Any, model: Any, solution: Any) -> VerifyReport:
    """Recompute ``solution``'s objective and constraints from ``instance`` for ``model``,
    and check that no recomputed walking distance is shorter than the straight line.

    A model's ``solve`` has this run already (``verify=True``, by the workflow,
    :mod:`siting.workflow`) and records the verdict on the solution; call it to
    check a plan changed by hand or read from elsewhere. The verifier never uses
    the solver's arrays.

    Parameters
    ----------
    instance : siting.Instance
        The data the plan is for (a multi-service plan's data for its spec).
    model : siting.LocationModel
        The model with its parameters.
    solution : siting.Solution
        The plan: open sites and their coverage or assignment.

    Returns
    -------
    siting.verify.report.VerifyReport
        ``ok``, one message per failed check, and the recomputed objective.

    Examples
    --------
    >>> import dataclasses, pandas as pd
    >>> from siting import Instance, MCLP
    >>> d = pd.DataFrame({"id": ["a", "b"], "x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
    >>> inst = Instance.from_frames(d, d, demand_id="id", site_id="id")
    >>> sol = MCLP(radius=1, p=1).solve(inst)
    >>> verify_solution(inst, MCLP(radius=1, p=1), sol).ok
    True
    >>> two = dataclasses.replace(sol, selected=["a", "b"])
    >>> for message in verify_solution(inst, MCLP(radius=1, p=1), two).messages:
    ...     print(message)
    demand 'b' claimed not covered but an open site is within radius 1 (1 such in all)
    2 new sites open but p = 1
    recomputed objective 8 beats the solver's bound 5
    """
    report = verifier_for(model)(instance, model, solution)
    _walk_floor(instance, solution, report)
    return report


def _walk_floor(instance: Any, solution: Any, report: VerifyReport) -> None:
    """The straight-line floor on walks to the open sites of a classic model's instance."""
    metric = getattr(instance, "metric", None)
    selected = getattr(solution, "selected", None)
    if metric is None or selected is None or not hasattr(instance, "site_positions"):
        return
    import numpy as np

    from siting.verify.walks import walk_floor

    try:
        sites = instance.site_positions(selected)
    except SitingError:  # unknown ids: the model's verifier has said so
        return
    radius = (getattr(solution, "params", None) or {}).get("radius")
    found = walk_floor(metric, np.unique(sites), radius=radius)
    if found.worst is not None:
        d, s, walk, straight = found.worst
        report.fail(
            f"demand {instance.demand_ids[d]!r} to site {instance.site_ids[s]!r}: walking "
            f"distance {walk:,.1f} is shorter than the straight line {straight:,.1f} "
            f"({found.breaches} such pairs): the street lengths or locations are wrong"
        )
    if found.ratios:
        report.details["walks"] = found.summary()
