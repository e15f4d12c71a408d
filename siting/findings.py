"""Findings about input data: what a check or a loader found, at one of three levels.

A :class:`Finding` is an ``error`` (the data cannot be planned on as they are:
refused before any work), a ``warning`` (the plan will run but likely not as
meant) or a ``note`` (an assumption or a default taken, for the record). Each
has a short ``code`` naming the check and one plain sentence with its counts.
Any part of siting can produce them (the plan's data checks, a street network's
diagnostics, a loader); ``siting check`` lists them, ``siting solve`` prints
them and keeps them in ``solution.json``.

This module imports nothing heavy, so that low modules can produce findings.

>>> f = Finding("warning", "free-type", "elderly_station is free under the budget")
>>> f.line()
'warning: elderly_station is free under the budget'
>>> Finding.from_dict(f.as_dict()) == f
True
>>> [x.level for x in ordered([Finding("note", "a", "n"), f, Finding("error", "b", "e")])]
['error', 'warning', 'note']
>>> counts([f, f, Finding("note", "loading", "n")])
{'error': 0, 'warning': 2, 'note': 1}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

__all__ = [
    "LEVELS",
    "LOADING",
    "Finding",
    "Level",
    "compact",
    "counts",
    "findings_from",
    "from_notes",
    "ordered",
    "plural",
]

Level = Literal["error", "warning", "note"]
#: The levels, most serious first.
LEVELS: tuple[Level, ...] = get_args(Level)
#: The code of a loading note (one sentence per reprojection or default taken).
LOADING = "loading"


@dataclass(frozen=True)
class Finding:
    """One thing a check found: its level, a short code, one plain sentence."""

    level: Level
    code: str
    text: str

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level {self.level!r} is not one of {', '.join(LEVELS)}")

    def line(self) -> str:
        """The finding on one line, its level first."""
        return f"{self.level}: {self.text}"

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "code": self.code, "text": self.text}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Finding:
        """A finding from :meth:`as_dict` (as read from JSON); KeyError or ValueError
        when a key is missing or the level unknown."""
        return cls(value["level"], str(value["code"]), str(value["text"]))


def from_notes(notes: Iterable[str]) -> list[Finding]:
    """Loading notes (plain sentences) as findings of level ``note``.

    >>> from_notes(["lots.geojson is in EPSG:4326: reprojected"])[0].code
    'loading'
    """
    return [Finding("note", LOADING, str(n)) for n in notes]


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then notes; each level in the order found."""
    items = list(findings)
    return sorted(items, key=lambda f: LEVELS.index(f.level))


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings of each level."""
    out: dict[str, int] = dict.fromkeys(LEVELS, 0)
    for f in findings:
        out[f.level] += 1
    return out


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an ``s`` unless ``n`` is 1.

    >>> plural(1, "warning"), plural(3, "note")
    ('1 warning', '3 notes')
    """
    return f"{n} {word}{'' if n == 1 else 's'}"


def compact(text: str, folders: Iterable[Any]) -> str:
    """``text`` with the folders' paths left out of the files it names.

    >>> compact("/d/x/lots.geojson is in EPSG:4326", ["/d/x"])
    'lots.geojson is in EPSG:4326'
    """
    for folder in folders:
        prefix = str(folder).rstrip("/\\")
        if prefix:
            text = text.replace(prefix + "/", "").replace(prefix + "\\", "")
    return text


def findings_from(value: Any, path: Any = None) -> list[Finding]:
    """Findings as stored in ``solution.json`` (a list of objects), checked.

    >>> findings_from([{"level": "note", "code": "x", "text": "y"}])
    [Finding(level='note', code='x', text='y')]
    >>> findings_from([{"level": "loud", "code": "x", "text": "y"}], "solution.json")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    siting.errors.InputError: solution.json: field 'findings': value 'loud': ...
    """
    from siting.errors import InputError

    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError("must be a list of findings", path=path, field="findings",
                         value=str(value)[:60])
    out = []
    for item in value:
        try:
            out.append(Finding.from_dict(item))
        except (KeyError, TypeError, ValueError) as exc:
            shown = item.get("level") if isinstance(item, dict) and "level" in item else item
            raise InputError(
                f"each finding needs level (one of {', '.join(LEVELS)}), code and text "
                f"({exc})", path=path, field="findings", value=str(shown)[:60],
            ) from None
    return out
