"""A CSV file's columns converted without pandas, when every cell is plainly valid.

:func:`plain_columns` converts the checked records of a CSV file
(:func:`siting.readers.csvfile.records`) by the same :class:`~siting.readers.csvfile.Column`
rules as the strict reader, with numpy and the standard library, and gives the
same values. It accepts only what it is sure of: ids that are present and
unique, numbers written as plain decimals (``12``, ``-3.5``, ``1e3``), within
their rule's range, booleans from the vocabulary. For anything else (a missing
cell where one is allowed, ``nan``, ``1_000``, a repeated id, a bad value) it
returns None, and the caller reads the file through the strict reader, which
says what is wrong, naming the file, row, field and value.

>>> import tempfile, pathlib
>>> from siting.readers.csvfile import Column, records
>>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
>>> _ = path.write_text("id,x,weight\\n007, 1.5,3\\n008,2,4e1\\n")
>>> rules = {"id": Column("id"), "x": Column("coordinate"), "weight": Column("number")}
>>> cols = plain_columns(records(path, rules), rules)
>>> cols["id"].tolist(), cols["x"].tolist(), cols["weight"].tolist()
(['007', '008'], [1.5, 2.0], [3.0, 40.0])
>>> _ = path.write_text("id,x,weight\\n007,1.5,\\n")
>>> plain_columns(records(path, rules), rules) is None  # the strict reader says why
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.readers.csvfile import Column, Records
from siting.readers.values import BOOLEAN_WORDS, COORDINATE_LIMIT

__all__ = ["plain_columns"]

#: A character no plain decimal number has. Of the rest, the strings numpy reads as
#: numbers (Python's grammar: ``-12``, ``3.``, ``.5``, ``1e3``) pandas reads to the same
#: float; any other string numpy refuses.
_NOT_NUMBER = re.compile(r"[^0-9.eE+\-]")


def plain_columns(
    found: Records, columns: Mapping[str, Column]
) -> dict[str, NDArray[Any]] | None:
    """Every column of ``found`` as an array (``columns`` converted by their rules, the
    others stripped text), or None when a cell is not plainly valid."""
    names = found.names
    out: dict[str, NDArray[Any]] = {}
    for k, name in enumerate(names):
        raw = [row[k] for row in found.body]
        rule = columns.get(name)
        if rule is not None and rule.kind == "text":  # kept as read, as the strict reader does
            out[name] = _text(raw)
            continue
        text = [cell.strip() for cell in raw]
        values = _text(text) if rule is None else _converted(text, rule)
        if values is None:
            return None
        out[name] = values
    return out


def _text(text: list[str]) -> NDArray[Any]:
    return np.array(text, dtype=object).reshape(len(text))


def _converted(text: list[str], rule: Column) -> NDArray[Any] | None:
    if rule.kind == "id":
        if not all(text) or (rule.unique and len(set(text)) != len(text)):
            return None
        return _text(text)
    if rule.kind in ("number", "coordinate"):
        if not all(text) or _NOT_NUMBER.search("".join(text)) is not None:
            return None
        try:
            values = np.array(text, dtype=np.float64).reshape(len(text))
        except ValueError:  # e.g. "1e", "+-1", "1.2.3"
            return None
        if rule.kind == "coordinate":
            fits = np.abs(values) <= COORDINATE_LIMIT
        else:
            fits = np.isfinite(values) | (rule.allow_inf & (values == np.inf))
            if rule.minimum is not None:
                fits &= values >= rule.minimum
            if rule.integer:
                fits &= values == np.round(values)
        return values if bool(fits.all()) else None
    if rule.kind == "boolean":
        words = [cell.lower() for cell in text]
        if not all(word in BOOLEAN_WORDS for word in words):
            return None
        return np.array([BOOLEAN_WORDS[word] for word in words], dtype=bool)
    return None
