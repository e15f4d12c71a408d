"""Parameters validated declaratively, once, in one mechanism, with the field named.

A model's or an option set's fields carry their constraints in their type
(``Annotated[float, Value(float, gt=0)]``: a :class:`~siting.registry.Value`,
which pydantic's constraint language states, the language the spec files use);
:func:`validate_fields`, called when the object is made, checks every field
against its type and raises :class:`~siting.errors.ParameterError` naming the
field and the value — before any data is read. Checks that need the data
(``p`` no more than the candidate sites) stay with the model
(``LocationModel.check``).

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

A value of the plain kind its field expects (a finite float or int in range, a
bool, one of the choices) is accepted here as pydantic would accept it, without
pydantic (whose import is a tenth of a second of every classic command); any
other value, and every refusal, is pydantic's, so values and messages are its.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import math
import operator
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import fields
from typing import Annotated, Any

import numpy as np

from siting.errors import ParameterError
from siting.registry import (
    AT_LEAST_ONE,
    COUNT,
    NON_NEGATIVE,
    PARAM,
    POSITIVE,
    POSITIVE_SHARE,
    Value,
)

Positive = Annotated[float, POSITIVE]
NonNegative = Annotated[float, NON_NEGATIVE]
Count = Annotated[int, COUNT]
AtLeastOne = Annotated[int, AT_LEAST_ONE]
#: A relative gap: at least 0, below 1.
Gap = Annotated[float, Value(float, ge=0, lt=1)]
#: Solver threads: at least one; a thousand is more than any machine here has.
Threads = Annotated[int, Value(int, ge=1, le=1024)]
Share = Annotated[float, Value(float, ge=0, le=1)]
#: A share that must ask for something: in (0, 1].
PositiveShare = Annotated[float, POSITIVE_SHARE]

#: What a quick check returns when it cannot tell: pydantic decides (and words any refusal).
ASK: Any = object()
#: A field's quick check: the value as pydantic would return it, or :data:`ASK`.
Check = Callable[[Any], Any]


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


def value_type(value: Value) -> Any:
    """The checked type of a declared value in pydantic's terms (None: anything, checked
    by its model).

    >>> from pydantic import TypeAdapter
    >>> from siting.registry import POSITIVE
    >>> TypeAdapter(value_type(POSITIVE)).validate_python(2)
    2.0
    """
    from pydantic import BeforeValidator, Field

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
    for name in _checks(type(obj)):
        value = getattr(obj, name)
        if value is not None:
            object.__setattr__(obj, name, checked_value(type(obj), name, value))


def checked_value(kind: type, name: str, value: Any) -> Any:
    """Field ``name`` of dataclass ``kind`` set to ``value`` (not None), as
    :func:`validate_fields` leaves it, or its :class:`~siting.errors.ParameterError`.

    >>> from siting.backends.base import SolveOptions
    >>> checked_value(SolveOptions, "threads", 2.0), checked_value(SolveOptions, "cancel", 1)
    (2, 1)
    """
    check = _checks(kind).get(name)
    if check is None:
        return value
    checked = check(value)
    return by_pydantic(kind, name, value) if checked is ASK else checked


# ------------------------------------------------------------- the quick checks
_CHECKS: dict[type, dict[str, Check]] = {}


def _checks(kind: type) -> dict[str, Check]:
    """A quick check per field that is checked (arrays and hooks are not)."""
    if kind in _CHECKS:
        return _CHECKS[kind]
    hints = typing.get_type_hints(kind, include_extras=True)
    out: dict[str, Check] = {}
    for f in fields(kind):
        if PARAM in f.metadata:  # declared (siting.registry): the declaration's value rules
            check = value_check(f.metadata[PARAM].value)
        else:
            check = hint_check(hints[f.name]) if f.name in hints else None
        if check is not None:
            out[f.name] = check
    _CHECKS[kind] = out
    return out


def value_check(value: Value) -> Check | None:
    """The quick check of a declared value (None: not checked, as :func:`value_type`).

    >>> check = value_check(Value(int, ge=1))
    >>> check(3), check(3.0), check(0) is ASK, check(True) is ASK, check("3") is ASK
    (3, 3, True, True, True)
    """
    if value.choices:
        choices = value.choices
        return lambda x: x if type(x) is str and x in choices else ASK
    if value.kind is bool:
        return lambda x: x if type(x) is bool else ASK
    if value.kind is str:
        return lambda x: x if type(x) is str else ASK
    if value.kind is int:
        return lambda x: _whole_in(value, x)
    if value.kind is float:
        return lambda x: _number_in(value, x)
    return None


def _number_in(value: Value, x: Any) -> Any:
    """A finite float in ``value``'s range, as pydantic returns it (ints become floats)."""
    if isinstance(x, np.generic):
        x = x.item()
    if type(x) is not float and type(x) is not int:
        return ASK  # true/false, text, anything else: pydantic's verdict
    try:
        number = float(x)
    except OverflowError:
        return ASK
    return number if math.isfinite(number) and _within(value, number) else ASK


def _whole_in(value: Value, x: Any) -> Any:
    """A whole number in ``value``'s range, as pydantic returns it (3.0 becomes 3)."""
    if isinstance(x, np.generic):
        x = x.item()
    if type(x) is float and math.isfinite(x) and x == int(x):
        x = int(x)
    if type(x) is not int:
        return ASK
    return x if _within(value, x) else ASK


def _within(value: Value, x: float) -> bool:
    return ((value.gt is None or x > value.gt) and (value.ge is None or x >= value.ge)
            and (value.lt is None or x < value.lt) and (value.le is None or x <= value.le))


#: Types pydantic cannot check (it makes no validator for them): such fields are not checked.
UNCHECKED: tuple[type, ...] = (np.ndarray, threading.Event)


def hint_check(hint: Any) -> Check | None:
    """The quick check of a field's type hint (None: a field pydantic does not check).

    A type not known here gets a check that always asks pydantic.

    >>> hint_check(Positive)(2)
    2.0
    >>> hint_check(dict[str, dict[str, Any]])({"solver": {"seed": 1}})
    {'solver': {'seed': 1}}
    >>> hint_check(np.ndarray | None) is None
    True
    """
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Annotated:
        declared = [meta for meta in hint.__metadata__ if isinstance(meta, Value)]
        return value_check(declared[0]) if len(declared) == 1 else _always_ask
    if origin in (typing.Union, types.UnionType):
        kinds = [arg for arg in args if arg is not type(None)]
        inner = [hint_check(arg) for arg in kinds]
        if any(check is None for check in inner):
            return None  # pydantic makes no validator for the whole union
        return inner[0] if len(inner) == 1 else _always_ask
    if (origin or hint) in UNCHECKED:
        return None
    if hint is bool:
        return lambda x: x if type(x) is bool else ASK
    if hint is str:
        return lambda x: x if type(x) is str else ASK
    if origin is collections.abc.Callable:
        return lambda x: x if callable(x) else ASK
    if origin is frozenset and isinstance(args[0], type) and issubclass(args[0], enum.Enum):
        member = args[0]
        return lambda x: (x if type(x) is frozenset and all(type(m) is member for m in x)
                          else ASK)
    if hint == dict[str, dict[str, Any]]:
        return _options_by_name
    return _always_ask


def _always_ask(x: Any) -> Any:
    return ASK


def _options_by_name(x: Any) -> Any:
    """Options by name (``dict[str, dict[str, Any]]``): copied, as pydantic returns them."""
    if type(x) is not dict or not all(type(name) is str and type(options) is dict
                                      and all(type(key) is str for key in options)
                                      for name, options in x.items()):
        return ASK
    return {name: dict(options) for name, options in x.items()}


# ----------------------------------------------------------------- pydantic's verdict
_ADAPTERS: dict[tuple[type, str], Any] = {}


def by_pydantic(kind: type, name: str, value: Any) -> Any:
    """Field ``name`` of ``kind`` checked by pydantic alone: its value, or the refusal worded
    (a :class:`~siting.errors.ParameterError`)."""
    from pydantic import ValidationError

    adapter = _adapter(kind, name)
    if adapter is None:
        return value  # a type pydantic cannot check (numpy array, callback): not a parameter
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise ParameterError(_reason(exc, value), field=name, value=_shown(value)) from None


def _adapter(kind: type, name: str) -> Any:
    """pydantic's validator of field ``name`` of ``kind`` (None when it makes none)."""
    if (kind, name) in _ADAPTERS:
        return _ADAPTERS[kind, name]
    from pydantic import TypeAdapter

    declared = next(f for f in fields(kind) if f.name == name).metadata.get(PARAM)
    adapter: Any = None
    if declared is not None:
        checked = value_type(declared.value)
        adapter = None if checked is None else TypeAdapter(checked)
    else:
        try:
            hint = typing.get_type_hints(kind, include_extras=True)[name]
            adapter = TypeAdapter(pydantic_hint(hint))
        except Exception:  # a type pydantic cannot check (numpy array, callback)
            adapter = None
    _ADAPTERS[kind, name] = adapter
    return adapter


def pydantic_hint(hint: Any) -> Any:
    """``hint`` with each declared :class:`~siting.registry.Value` in pydantic's terms.

    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(pydantic_hint(Gap | None)).validate_python(0)
    0.0
    """
    origin = typing.get_origin(hint)
    if origin is Annotated:
        declared = [meta for meta in hint.__metadata__ if isinstance(meta, Value)]
        if len(declared) == 1:
            return value_type(declared[0])
        return hint
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, map(pydantic_hint, typing.get_args(hint)))
    return hint


def _shown(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _reason(exc: Any, value: Any) -> str:
    """Pydantic's first error (a ``ValidationError``) in the project's words ("must be > 0")."""
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
