"""The classic models' options of ``siting solve``, from the parameters the models declare.

Each flag of :data:`siting.registry.FLAGS` becomes one option (its help, its
value as ``INTEGER``/``NUMBER`` or its choices, its range and unit); what the
user gave maps onto a model's constructor through the model's own fields
(:func:`model_arguments`), so a model added to the registry takes its options
without any change here. This module reads only :mod:`siting.registry` (no
numpy): ``siting solve --help`` stays quick.

>>> from siting.registry import CANDIDATES, P, RADIUS
>>> given = parse_given({P: "3", RADIUS: "5", CANDIDATES: None})
>>> given == {P: 3, RADIUS: 5.0}
True
>>> from dataclasses import dataclass
>>> from siting.registry import parameter
>>> @dataclass
... class Demo:
...     p: int | None = parameter(P)
>>> model_arguments(Demo, given), not_taken(Demo, given)
({'p': 3}, ['--radius'])
>>> model_arguments(Demo, {}, default_p=4)
{'p': 4}
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from siting.cli.options import parse_number
from siting.registry import FLAGS, Param, declared

#: The name of the command's parameter that receives the model options (flag -> value).
MODEL_OPTIONS = "model_options"


def _python_name(declared_param: Param) -> str:
    assert declared_param.flag is not None
    return "option_" + declared_param.flag.lstrip("-").replace("-", "_")


def _option(declared_param: Param) -> inspect.Parameter:
    """The typer parameter of one declared flag (numbers are parsed by :func:`parse_given`,
    so a bad one is refused naming the option and the value)."""
    assert declared_param.flag is not None
    names = [declared_param.flag, *([declared_param.short] if declared_param.short else [])]
    value = declared_param.value
    text = declared_param.help_text()
    default: Any = None
    if declared_param.is_switch:
        kind: Any = Annotated[bool, typer.Option(*names, help=text)]
        default = False
    elif value.choices:
        kind = Annotated[choices(_python_name(declared_param), value.choices) | None,
                         typer.Option(*names, help=text, show_default=False)]
    elif value.kind is object:
        kind = Annotated[Path | None, typer.Option(*names, help=text, show_default=False)]
    else:
        kind = Annotated[str | None, typer.Option(*names, help=text, metavar=value.metavar,
                                                  show_default=False)]
    return inspect.Parameter(_python_name(declared_param), inspect.Parameter.KEYWORD_ONLY,
                             default=default, annotation=kind)


def choices(name: str, values: tuple[str, ...] | list[str]) -> Any:
    """An enumeration of ``values`` (typer shows and checks them as choices).

    >>> list(choices("Decay", ("linear", "power")))
    [<Decay.linear: 'linear'>, <Decay.power: 'power'>]
    """
    return StrEnum(name, {value.replace("-", "_"): value for value in values})


def with_model_options(after: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one option per declared flag, placed after its parameter ``after``.

    The command receives them as one dict, ``model_options`` (:class:`Param` -> the value
    as typed, None or False when not given).
    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(command, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name != MODEL_OPTIONS]
        at = [p.name for p in own].index(after) + 1
        added = [_option(declared_param) for declared_param in FLAGS]
        by_name = {_python_name(declared_param): declared_param for declared_param in FLAGS}

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            options = {by_name[name]: kwargs.pop(name) for name in list(kwargs)
                       if name in by_name}
            return command(*args, **kwargs, **{MODEL_OPTIONS: options})

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=params[:at] + added + params[at:])
        wrapper.__annotations__ = {p.name: p.annotation for p in params[:at] + added
                                   + params[at:]}
        return wrapper

    return decorate


def parse_given(options: dict[Param, Any]) -> dict[Param, Any]:
    """The options the user gave, with numbers parsed (a bad one names its option)."""
    given: dict[Param, Any] = {}
    for declared_param, raw in options.items():
        if raw is None or raw is False:
            continue
        kind = declared_param.value.kind
        if kind in (int, float) and isinstance(raw, str):
            assert declared_param.flag is not None
            given[declared_param] = parse_number(raw, declared_param.flag, kind)
        else:  # a choice arrives as its enumeration member: its text
            given[declared_param] = raw.value if isinstance(raw, StrEnum) else raw
    return given


def model_arguments(kind: Any, given: dict[Param, Any], default_p: Any = None
                    ) -> dict[str, Any]:
    """The constructor arguments of model class ``kind`` from the options given.

    ``default_p`` is the instance file's own p (OR-Library p-median files), used
    when the model takes ``--p`` and it was not given.
    """
    from siting.registry import P

    arguments: dict[str, Any] = {}
    for name, declared_param in declared(kind).items():
        if declared_param in given:
            arguments[name] = given[declared_param]
        elif declared_param == P and default_p is not None:
            arguments[name] = default_p
    return arguments


def not_taken(kind: Any, given: dict[Param, Any]) -> list[str]:
    """The flags given that model class ``kind`` does not declare."""
    taken = set(declared(kind).values())
    return [str(p.flag) for p in given if p not in taken]


def option_names(kind: Any) -> dict[str, str]:
    """Field name -> flag of ``kind``'s declared parameters (errors name what was typed)."""
    return {name: str(p.flag) for name, p in declared(kind).items() if p.flag}
