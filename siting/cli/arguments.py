"""The constructor arguments of each classic model, from ``siting solve``'s options."""

from __future__ import annotations

from typing import Any


def model_arguments(name: str, parameters: dict[str, Any], default_p: Any) -> dict[str, Any]:
    """The constructor arguments model ``name`` takes from the command's parameters.

    >>> model_arguments("p-median", {"p": None, "radius": 5.0, "candidates": 8}, 3)
    {'p': 3, 'candidates': 8}
    >>> model_arguments("lscp", {"p": 2, "radius": 5.0, "candidates": 8}, None)
    {'radius': 5.0}
    >>> model_arguments("target-share", {"share": 0.4, "decay": "power", "beta": 2.0,
    ...                                  "competitors": "rivals.csv"}, None)
    {'decay': 'power', 'beta': 2.0, 'share': 0.4, 'competitors': 'rivals.csv'}
    >>> model_arguments("mclp", {"p": 2, "radius": 5.0, "formulation": "benders"}, None)
    {'radius': 5.0, 'p': 2, 'budget': None, 'formulation': 'benders'}
    >>> model_arguments("pscp", {"radius": 5.0, "share": 0.9, "weighted_cost": True}, None)
    {'radius': 5.0, 'share': 0.9, 'weighted_cost': True}
    """
    p = parameters.get("p") if parameters.get("p") is not None else default_p
    arguments: dict[str, Any] = {}
    if name == "mclp":
        arguments.update(radius=parameters.get("radius"), p=p, budget=parameters.get("budget"))
    elif name == "pscp":
        arguments.update(radius=parameters.get("radius"), share=parameters.get("share"),
                         weighted_cost=bool(parameters.get("weighted_cost")))
    elif name in ("lscp", "set-cover", "lscp-b"):
        arguments.update(radius=parameters.get("radius"))
    elif name in ("p-median", "p-center") or name in ("p-dispersion", "weighted-p-center"):
        arguments.update(p=p)
    elif name == "cp-median":
        arguments.update(p=p, fulfil_existing=bool(parameters.get("fulfil_existing")),
                         single_source=bool(parameters.get("single_source")))
    elif name == "clscp":
        arguments.update(radius=parameters.get("radius"),
                         single_source=bool(parameters.get("single_source")))
    elif name == "cmclp":
        arguments.update(radius=parameters.get("radius"), p=p,
                         single_source=bool(parameters.get("single_source")))
    elif name in ("attendance", "market-share", "target-share"):
        arguments.update(_decay_arguments(parameters))
        if name == "target-share":
            arguments.update(share=parameters.get("share"))
        else:
            arguments.update(p=p)
        if name != "attendance":
            arguments.update(competitors=parameters.get("competitors"))
    if name in ("mclp", "pscp") and parameters.get("formulation") not in (None, "auto"):
        arguments.update(formulation=parameters["formulation"])
    if name in _PAIRED and parameters.get("candidates") is not None:
        arguments.update(candidates=parameters["candidates"])
    return arguments


#: Models whose assignment pairs ``--candidates`` may restrict to the k nearest sites.
_PAIRED = ("p-median", "uflp", "cflp", "cp-median", "attendance", "market-share",
           "target-share")


def _decay_arguments(parameters: dict[str, Any]) -> dict[str, Any]:
    """``decay``, ``beta``, ``cutoff`` and ``scale`` where given (the model has defaults).

    >>> _decay_arguments({"decay": "linear", "cutoff": 800.0, "beta": None})
    {'decay': 'linear', 'cutoff': 800.0}
    """
    keys = ("decay", "beta", "cutoff", "scale")
    return {k: parameters[k] for k in keys if parameters.get(k) is not None}
