"""The text layer of the benchmark readers: one read of the file, numbers in bulk.

:func:`load_source` reads a file once (plain ASCII, a UTF-8 byte order mark
accepted), splits it into tokens and keeps each token's line, so that a
reader converts whole blocks of numbers at once (:func:`convert_ints`,
:func:`convert_floats`) and every malformed value is reported with its file,
line, field and text (:class:`~siting.errors.FormatError`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from siting.errors import FormatError
from siting.textio import read_text

__all__ = [
    "Kind", "PathArg", "Source", "Where", "convert_floats", "convert_ints", "first_negative",
    "load_source", "read_header",
]

PathArg = str | PathLike[str]

# Every format read here is plain ASCII. Rejecting anything else up front (rather
# than trusting int()/float()) matters: Python's number parsers accept '1_000',
# full-width digits, 'nan' and 'inf', none of which belong in these files.
_BAD_CHAR = re.compile(r"[^\t\n\r\x20-\x7e]")
# Characters a token may contain, per kind; tokens are joined with '\n' for the check.
_NOT_INT = re.compile(r"[^0-9+\-\n]")
_NOT_FLOAT = re.compile(r"[^0-9.eE+\-\n]")

Kind = Literal["int", "float"]
# (row, field) of the k-th value of a block, for error messages.
Where = Callable[[int], tuple[int | None, str]]


@dataclass(eq=False)
class Source:
    """A decoded text file split into whitespace tokens, with lazy line lookup.

    ``tokens`` is ``text.split()``. Line numbers (1-based) of tokens are only
    computed when needed (errors, line-structured formats), from the raw bytes
    with numpy, so the common path costs one ``split``.

    >>> s = Source(Path("x.txt"), "1 2\\n\\n3\\n")
    >>> s.tokens, s.token_line(2), s.line_counts().tolist()
    (['1', '2', '3'], 3, [2, 0, 1, 0])
    """

    path: Path
    text: str

    def __post_init__(self) -> None:
        self.tokens: list[str] = self.text.split()
        self._token_lines: NDArray[np.int64] | None = None
        self._line_counts: NDArray[np.int64] | None = None

    def _index_lines(self) -> None:
        # The text is ASCII (checked by load_source), so one byte is one character.
        b = np.frombuffer(self.text.encode("ascii"), dtype=np.uint8)
        ws = (b == 32) | (b == 9) | (b == 10) | (b == 13)
        starts = np.flatnonzero(~ws[1:] & ws[:-1]) + 1
        if b.size and not ws[0]:
            starts = np.concatenate(([0], starts))
        newlines = np.flatnonzero(b == 10)
        line0 = np.searchsorted(newlines, starts).astype(np.int64)
        self._token_lines = line0 + 1
        self._line_counts = np.bincount(line0, minlength=newlines.size + 1).astype(np.int64)

    def token_lines(self) -> NDArray[np.int64]:
        """1-based line number of every token."""
        if self._token_lines is None:
            self._index_lines()
        assert self._token_lines is not None
        return self._token_lines

    def line_counts(self) -> NDArray[np.int64]:
        """Number of tokens on each line (index 0 is line 1)."""
        if self._line_counts is None:
            self._index_lines()
        assert self._line_counts is not None
        return self._line_counts

    def token_line(self, i: int) -> int:
        """Line of token ``i``; past the end, the last line holding a token."""
        lines = self.token_lines()
        if lines.size == 0:
            return 1
        return int(lines[min(max(i, 0), lines.size - 1)])

    def error(
        self, message: str, i: int | None = None, field: str | None = None, value: object = None
    ) -> FormatError:
        """A FormatError located at token ``i`` (its line), if given."""
        row = None if i is None else self.token_line(i)
        return FormatError(message, path=self.path, row=row, field=field, value=value)

    def require(self, stop: int, what: str) -> None:
        """Raise a 'truncated' error unless at least ``stop`` tokens exist."""
        have = len(self.tokens)
        if have < stop:
            raise self.error(
                f"file truncated: it ends after {have} numbers but {what} needs {stop}",
                have - 1,
            )

    def line_text(self, line: int) -> str:
        """Text of 1-based ``line`` (lines end at LF), stripped, for error messages."""
        lines = self.text.split("\n")
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""

    def _where(self, start: int, step: int, fields: str | Sequence[str]) -> Where:
        def where(k: int) -> tuple[int | None, str]:
            name = fields if isinstance(fields, str) else fields[k % len(fields)]
            return self.token_line(start + k * step), name

        return where

    def ints(
        self, start: int, stop: int, fields: str | Sequence[str], step: int = 1
    ) -> NDArray[np.int64]:
        """``tokens[start:stop:step]`` as int64; ``fields`` names them (cycled)."""
        values = self.tokens[start:stop:step]
        return convert_ints(values, self.path, self._where(start, step, fields))

    def floats(
        self, start: int, stop: int, fields: str | Sequence[str], step: int = 1
    ) -> NDArray[np.float64]:
        """``tokens[start:stop:step]`` as finite float64; ``fields`` names them (cycled)."""
        values = self.tokens[start:stop:step]
        return convert_floats(values, self.path, self._where(start, step, fields))


def _convert(values: list[str], kind: Kind, path: Path, where: Where) -> NDArray[Any]:
    pattern = _NOT_INT if kind == "int" else _NOT_FLOAT
    what = "not an integer" if kind == "int" else "not a number"

    def fail(k: int, message: str) -> FormatError:
        row, field = where(k)
        return FormatError(message, path=path, row=row, field=field, value=values[k])

    joined = "\n".join(values)
    bad = pattern.search(joined)
    if bad is not None:
        raise fail(joined.count("\n", 0, bad.start()), what)
    try:
        arr = np.array(values, dtype=np.int64 if kind == "int" else np.float64)
    except (ValueError, OverflowError):
        # Rare path: find the first offending value one by one for the message.
        for k, v in enumerate(values):
            try:
                x = int(v) if kind == "int" else float(v)
            except ValueError:
                raise fail(k, what) from None
            if kind == "int" and not -(2**63) <= x < 2**63:
                raise fail(k, "integer does not fit in 64 bits") from None
        raise FormatError(what, path=path) from None  # pragma: no cover - defensive
    if kind == "float":
        finite = np.isfinite(arr)
        if not finite.all():
            raise fail(int(np.argmin(finite)), "number is not finite (overflow)")
    return arr


def convert_ints(values: list[str], path: Path, where: Where) -> NDArray[np.int64]:
    """Strictly convert decimal integer strings to int64.

    ``where(k)`` gives the (row, field) of value ``k`` for the error message; it
    is only called on failure. Python's ``int`` would accept ``'1_000'`` or
    full-width digits; these are refused.

    >>> convert_ints(["1", "-2", "+3"], Path("f"), lambda k: (None, "v")).tolist()
    [1, -2, 3]
    >>> convert_ints(["1", "2.0"], Path("f"), lambda k: (7, "v"))
    Traceback (most recent call last):
    siting.errors.FormatError: f: row 7: field 'v': value '2.0': not an integer
    """
    return np.asarray(_convert(values, "int", path, where), dtype=np.int64)


def convert_floats(values: list[str], path: Path, where: Where) -> NDArray[np.float64]:
    """Strictly convert decimal number strings to finite float64.

    ``nan``, ``inf``, ``1_0`` and values that overflow to infinity are refused.

    >>> convert_floats(["1", "7500.", "-2e3"], Path("f"), lambda k: (None, "v")).tolist()
    [1.0, 7500.0, -2000.0]
    >>> convert_floats(["1_0"], Path("f"), lambda k: (3, "x"))
    Traceback (most recent call last):
    siting.errors.FormatError: f: row 3: field 'x': value '1_0': not a number
    """
    return np.asarray(_convert(values, "float", path, where), dtype=np.float64)


def load_source(path: PathArg) -> Source:
    """Read ``path`` as strict ASCII/UTF-8 text.

    Raises :class:`InputError` if the file cannot be read and
    :class:`FormatError` if it is empty, not UTF-8 (naming the byte offset), or
    holds characters outside printable ASCII, tab, CR and LF.

    >>> load_source("/no/such/file.txt")
    Traceback (most recent call last):
    siting.errors.InputError: /no/such/file.txt: file not found
    """
    p = Path(path)
    text = read_text(p)
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        row = text.count("\n", 0, bad.start()) + 1
        raise FormatError(
            f"unexpected character at offset {bad.start()} (only ASCII numbers expected)",
            path=p,
            row=row,
            value=bad.group(),
        )
    if not text.strip():
        raise FormatError("empty file", path=p)
    return Source(p, text)


def first_negative(arr: NDArray[np.int64] | NDArray[np.float64]) -> int | None:
    neg = np.flatnonzero(arr < 0)
    return int(neg[0]) if neg.size else None


def read_header(
    src: Source, names: tuple[str, ...], minimum: tuple[int, ...], *, alone: bool = False
) -> list[int]:
    """Integers at the start of the token stream, each with a lower bound.

    With ``alone``, they must be the only numbers on the first non-blank line.
    """
    if alone:
        counts = src.line_counts()
        head = int(np.flatnonzero(counts)[0]) if counts.any() else 0
        if counts.size and counts[head] != len(names):
            raise FormatError(
                f"header must be the {len(names)} numbers '{' '.join(names)}', "
                f"found {counts[head]}",
                path=src.path,
                row=head + 1,
                value=src.line_text(head + 1),
            )
    src.require(len(names), "the header '" + " ".join(names) + "'")
    vals = [int(v) for v in src.ints(0, len(names), names)]
    for k, (name, lo, v) in enumerate(zip(names, minimum, vals, strict=True)):
        if v < lo:
            raise src.error(f"header value must be >= {lo}", k, name, v)
    return vals
