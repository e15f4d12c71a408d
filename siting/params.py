"""Parameters validated declaratively, once, in one mechanism, with the field named.

A model's or an option set's fields carry their constraints in their type
(``Annotated[float, Field(gt=0)]``: pydantic's constraint language, the same
the spec files use); :func:`validate_fields`, called when the object is made,
checks every field against its type and raises
:class:`~siting.errors.ParameterError` naming the field and the value — before
any data is read. Checks that need the data (``p`` no more than the candidate
sites) stay with the model (``LocationModel.check``).

>>> from dataclasses import dataclass
>>> @dataclass
... class Demo:
...     radius: Positive | None = None
...     p: Count | None = None
...     def __post_init__(self) -> None:
...         validate_fields(self)
>>> Demo(radius=500, p=3)
Demo(radius=500.0, p=3)
>>> Demo(radius=-1)
Traceback (most recent call last):
...
siting.errors.ParameterError: field 'radius': value -1: must be > 0
>>> Demo(p=True)
Traceback (most recent call last):
...
siting.errors.ParameterError: field 'p': value True: must be a whole number, not true/false
"""

from __future__ import annotations

import math
import typing
from dataclasses import fields
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError

from siting.errors import ParameterError
from siting.registry import PARAM, Value


def _number(value: Any) -> Any:
    """Numbers only: true/false and text are refused, numpy scalars become Python ones."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, (str, bytes)):
        raise ValueError("must be a number, not text")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _whole(value: Any) -> Any:
    """Whole numbers only: 3 and 3.0 are 3; 2.5, true/false and text are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("must be a whole number, not true/false")
    value = _number(value)
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise ValueError("must be a whole number")
    return int(value) if isinstance(value, float) else value


Positive = Annotated[float, BeforeValidator(_number), Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, BeforeValidator(_number), Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, BeforeValidator(_whole), Field(ge=0)]
AtLeastOne = Annotated[int, BeforeValidator(_whole), Field(ge=1)]
#: A relative gap: at least 0, below 1.
Gap = Annotated[float, BeforeValidator(_number), Field(ge=0, lt=1, allow_inf_nan=False)]
#: Solver threads: at least one; a thousand is more than any machine here has.
Threads = Annotated[int, BeforeValidator(_whole), Field(ge=1, le=1024)]
Share = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1, allow_inf_nan=False)]
#: A share that must ask for something: in (0, 1].
PositiveShare = Annotated[float, BeforeValidator(_number), Field(gt=0, le=1, allow_inf_nan=False)]


_ADAPTERS: dict[type, dict[str, TypeAdapter[Any]]] = {}


def _adapters(kind: type) -> dict[str, TypeAdapter[Any]]:
    """A validator per field whose type pydantic understands (arrays and hooks are skipped)."""
    if kind in _ADAPTERS:
        return _ADAPTERS[kind]
    hints = typing.get_type_hints(kind, include_extras=True)
    out: dict[str, TypeAdapter[Any]] = {}
    for f in fields(kind):
        if PARAM in f.metadata:  # declared (siting.registry): the declaration's value rules
            checked = value_type(f.metadata[PARAM].value)
            if checked is not None:
                out[f.name] = TypeAdapter(checked)
            continue
        hint = hints.get(f.name)
        if hint is None:
            continue
        try:
            out[f.name] = TypeAdapter(hint)
        except Exception:  # a type pydantic cannot check (numpy array, callback): not a parameter
            continue
    _ADAPTERS[kind] = out
    return out


def value_type(value: Value) -> Any:
    """The checked type of a declared value (None: anything, checked by its model).

    >>> from siting.registry import POSITIVE
    >>> TypeAdapter(value_type(POSITIVE)).validate_python(2)
    2.0
    """
    if value.choices:
        return typing.Literal[value.choices]
    if value.kind is bool:
        return bool
    if value.kind not in (int, float):
        return str if value.kind is str else None
    limits = {k: getattr(value, k) for k in ("gt", "ge", "lt", "le")
              if getattr(value, k) is not None}
    if value.kind is int:
        return Annotated[int, BeforeValidator(_whole), Field(**limits)]
    return Annotated[float, BeforeValidator(_number), Field(**limits, allow_inf_nan=False)]


def validate_fields(obj: Any) -> None:
    """Check (and normalise) every field of dataclass ``obj`` against its annotated type."""
    for name, adapter in _adapters(type(obj)).items():
        value = getattr(obj, name)
        if value is None:
            continue
        try:
            object.__setattr__(obj, name, adapter.validate_python(value))
        except ValidationError as exc:
            raise ParameterError(_reason(exc, value), field=name, value=_shown(value)) from None


def _shown(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _reason(exc: ValidationError, value: Any) -> str:
    """Pydantic's first error in the project's words ("must be > 0")."""
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    err = exc.errors()[0]
    ctx = err.get("ctx", {})
    kind = err["type"]
    bounds = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", ">="),
              "less_than": ("lt", "<"), "less_than_equal": ("le", "<=")}
    if kind in bounds:
        key, word = bounds[kind]
        limit = ctx.get(key)
        return f"must be {word} {limit:g}" if isinstance(limit, (int, float)) else f"must be {word}"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return msg[0].lower() + msg[1:] if msg else "is not allowed"
