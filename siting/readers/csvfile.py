"""One strict CSV reader for every CSV the package reads (classic instances and layers).

Rules (each broken rule is an :class:`~siting.errors.InputError` or
:class:`~siting.errors.FormatError` naming the file, row, field and value):

- UTF-8 text (a byte-order mark is accepted), or the ``encoding`` given for a
  file that is not UTF-8 (:func:`siting.textio.read_text`), no NUL bytes;
- a header line of distinct, non-empty column names (surrounding spaces are
  dropped); required columns present; a name that is a near miss of a known one
  (``wieght`` for ``weight``) refused;
- every row has as many fields as the header (the message gives the file's
  line number); rows with only empty fields are skipped;
- cells are text with surrounding spaces dropped; each column named in
  ``columns`` is converted by its :class:`Column` rule: ids stay text (``007``
  stays ``"007"``), numbers are finite and within range, booleans come from a
  fixed vocabulary (see :data:`siting.readers.values.BOOLEAN_WORDS`).

- with ``xy`` (an :class:`XY`), the coordinate columns are the ones it names,
  else ``x`` and ``y``, else a longitude / latitude pair of common names
  (:data:`LON_NAMES`, :data:`LAT_NAMES`, any case); they are renamed ``x`` and
  ``y`` and :attr:`CsvTable.xy_columns` keeps the names read.

Fields are split by the standard library's :mod:`csv` module.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "d.csv").write_text("id,x,y,weight\\n007,0,0,5\\n008,1,0,2\\n")
>>> table = read_csv(folder / "d.csv", {"id": Column("id"), "x": Column("coordinate"),
...                                     "weight": Column("number")})
>>> table.frame["id"].tolist(), table.frame["weight"].tolist(), table.lines.tolist()
(['007', '008'], [5.0, 2.0], [2, 3])
>>> _ = (folder / "e.csv").write_text("id,x\\na,1\\nb,2,3\\n")
>>> read_csv(folder / "e.csv")
Traceback (most recent call last):
...
siting.errors.FormatError: ...e.csv: row 3: 3 fields, but the header (line 1) has 2
>>> _ = (folder / "f.csv").write_text("id,Lng,Lat\\na,114.3,30.5\\n")
>>> table = read_csv(folder / "f.csv", {"x": Column("coordinate")}, xy=XY())
>>> table.frame.columns.tolist(), table.xy_columns, table.lonlat
(['id', 'x', 'y'], ('Lng', 'Lat'), True)
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from siting.errors import FormatError, InputError
from siting.readers.values import COORDINATE_LIMIT, Where, to_booleans, to_ids, to_numbers
from siting.textio import read_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LAT_NAMES", "LON_NAMES", "XY", "Column", "CsvTable", "Records", "converted", "read_csv",
    "records", "records_of",
]

#: Column names read as longitude (x) and latitude (y) when there is no x / y (any case).
LON_NAMES = ("lon", "lng", "long", "longitude", "经度")
LAT_NAMES = ("lat", "latitude", "纬度")

Kind = Literal["id", "text", "number", "coordinate", "boolean"]


@dataclass(frozen=True)
class Column:
    """How one column is converted.

    ``id``: text, none missing, unique (unless ``unique=False``); ``text``: kept as
    is; ``number``: a finite number ≥ ``minimum`` (``+inf`` with ``allow_inf``);
    ``coordinate``: a number with ``|v| <=`` :data:`COORDINATE_LIMIT`; ``boolean``:
    yes/no words. ``required``: the column must be in the header. ``allow_missing``:
    empty cells become NaN (numbers) or False (booleans) instead of an error.

    Parameters
    ----------
    kind : {"id", "text", "number", "coordinate", "boolean"}
        How cells are converted.
    required : bool, default False
        The column must be in the header.
    minimum : float or None, default 0.0
        The smallest number allowed (None: any).
    allow_inf : bool, default False
        ``inf`` is a number.
    allow_missing : bool, default False
        Empty cells are NaN (numbers) or False (booleans).
    unique : bool, default True
        Ids must be unique.
    integer : bool, default False
        Numbers must be whole.
    missing : str, optional
        The message when a required column is missing.

    Examples
    --------
    >>> Column("number", required=True, minimum=0).kind
    'number'
    """

    kind: Kind = "text"
    required: bool = False
    minimum: float | None = 0.0
    allow_inf: bool = False
    allow_missing: bool = False
    unique: bool = True
    integer: bool = False
    #: Message when a required column is missing (default: "missing column ...").
    missing: str | None = None


@dataclass(frozen=True)
class XY:
    """The coordinate columns to look for: ``x``, ``y`` named (``None``: ``x`` / ``y``,
    else a longitude / latitude pair), and how a user names them (for messages)."""

    x: str | None = None
    y: str | None = None
    #: The keys or option that name the columns, e.g. ``"[data] x and y"``.
    how: str = "[data] x and y"


@dataclass
class CsvTable:
    """A CSV file read and converted: the frame and each row's line number.

    Parameters
    ----------
    path : pathlib.Path
        The file read.
    frame : pandas.DataFrame
        Its rows, the columns converted.
    lines : numpy.ndarray of int64
        Each row's line number in the file (for messages).
    header_line : int
        The header's line number.
    xy_columns : (str, str) or None
        The columns read as ``x`` and ``y``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = path.write_text("id,weight\\n\\nb1,3\\n")
    >>> read_csv(path).lines.tolist()  # a blank line is skipped, line numbers kept
    [3]
    """

    path: Path
    frame: pd.DataFrame
    lines: NDArray[np.int64]
    header_line: int
    #: The columns read as ``x`` and ``y`` (with an :class:`XY`; else ``None``).
    xy_columns: tuple[str, str] | None = None

    @property
    def where(self) -> Where:
        return Where(str(self.path), lines=self.lines)

    @property
    def lonlat(self) -> bool:
        """The coordinate columns are named as longitude and latitude are."""
        return self.xy_columns is not None and is_lonlat(*self.xy_columns)


def is_lonlat(x: str, y: str) -> bool:
    """Whether the column names say longitude and latitude (:data:`LON_NAMES`, any case)."""
    return x.strip().lower() in LON_NAMES and y.strip().lower() in LAT_NAMES


def coordinate_columns(
    names: Sequence[str], xy: XY, path: Path, line: int, what: str = ""
) -> tuple[str, str]:
    """The header's x and y columns by the rules of the module docstring."""
    listed = ", ".join(names)
    if xy.x is not None or xy.y is not None:
        x, y = xy.x or "x", xy.y or "y"
        for name in (x, y):
            if name not in names:
                raise InputError(
                    f"no coordinate column {name!r} ({xy.how}; columns: {listed})",
                    path=path, row=line, field=name,
                )
        return x, y
    if "x" in names and "y" in names:
        return "x", "y"
    lower = [n.lower() for n in names]
    xs = [n for n, low in zip(names, lower, strict=True) if low in LON_NAMES]
    ys = [n for n, low in zip(names, lower, strict=True) if low in LAT_NAMES]
    if len(xs) == 1 and len(ys) == 1:
        return xs[0], ys[0]
    if len(xs) > 1 or len(ys) > 1:
        raise InputError(
            f"more than one longitude / latitude column ({', '.join(xs + ys)}): say which "
            f"with {xy.how}", path=path, row=line,
        )
    raise InputError(
        f"{what + ' ' if what else ''}has neither a geometry nor coordinate columns 'x' and "
        f"'y', nor a longitude/latitude pair ({'/'.join(LON_NAMES)}, {'/'.join(LAT_NAMES)}) "
        f"(columns: {listed}): name them with {xy.how}", path=path, row=line, field="x",
    )


def _records(text: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """Non-blank records and the line each starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        previous = 0
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if "".join(record).strip():
                rows.append(record)
                lines.append(start)
    except csv.Error as exc:
        raise FormatError(
            f"not a valid CSV: {exc}", path=path, row=reader.line_num or 1
        ) from None
    return rows, lines


def _header(record: list[str], line: int, path: Path) -> list[str]:
    names = [name.strip() for name in record]
    for k, name in enumerate(names):
        if not name:
            raise FormatError(f"column {k + 1} of the header has no name", path=path, row=line)
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in seen:
            raise FormatError(
                f"duplicate column name (columns {seen[name] + 1} and {k + 1})",
                path=path,
                row=line,
                field=name,
                value=name,
            )
        seen[name] = k
    if len(names) == 1 and ";" in names[0]:
        raise FormatError(
            "one column only: fields must be separated by commas, not semicolons",
            path=path,
            row=line,
            value=names[0],
        )
    return names


def near_misses(
    names: Sequence[str], known: Sequence[str], path: Path | str, line: int | None
) -> None:
    """Refuse a column whose name is a near miss of a known one (``wieght``)."""
    for name in names:
        if name in known:
            continue
        close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.75)
        if close and close[0] not in names:
            raise InputError(
                f"unknown column (did you mean {close[0]!r}?)",
                path=path,
                row=line,
                field=name,
                value=name,
            )


def read_csv(
    path: str | Path,
    columns: Mapping[str, Column] | None = None,
    *,
    known: Sequence[str] = (),
    what: str = "",
    encoding: str | None = None,
    fix: str | None = None,
    xy: XY | None = None,
) -> CsvTable:
    """Read ``path`` by the rules of the module docstring; convert ``columns``.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    columns : mapping of str to Column, optional
        How named columns are converted; the others stay text.
    known : sequence of str, optional
        Names a near miss is checked against (default: the names in ``columns``).
    what : str, optional
        Prefixes value errors (``"demand: missing id"``).
    encoding : str, optional
        The file's encoding when it is not UTF-8.
    fix : str, optional
        How to give an encoding, said when the text is not UTF-8
        (:func:`~siting.textio.read_text`).
    xy : XY, optional
        Find the coordinate columns and name them ``x`` and ``y``.

    Returns
    -------
    CsvTable
        The frame and each row's line number.

    Raises
    ------
    siting.InputError
        A missing column, a near-miss column name, a value that does not
        convert, naming the file, line, column and value.
    siting.FormatError
        An empty file, a row with the wrong number of fields, text that is
        not in the encoding.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "demand.csv"
    >>> _ = path.write_text("id,weight\\nb1,120\\nb2,-4\\n")
    >>> rules = {"id": Column("id", required=True), "weight": Column("number")}
    >>> read_csv(path, rules)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    siting.errors.InputError: ...demand.csv: row 3: field 'weight': value -4.0: must be ...
    >>> _ = path.write_text("id,weight\\nb1,120\\nb2,4\\n")
    >>> read_csv(path, rules).frame.to_dict("list")
    {'id': ['b1', 'b2'], 'weight': [120.0, 4.0]}
    """
    return converted(records(path, columns, known=known, what=what, encoding=encoding,
                             fix=fix, xy=xy), columns, what)


@dataclass(frozen=True)
class Records:
    """A CSV file's header and rows, checked but not converted (:func:`records`)."""

    path: Path
    #: The column names (coordinate columns renamed ``x`` and ``y``).
    names: list[str]
    #: The rows, each as many fields as ``names``, as read.
    body: list[list[str]]
    #: Each row's line number.
    lines: NDArray[np.int64]
    header_line: int
    xy_columns: tuple[str, str] | None = None
    #: The file's text, as decoded.
    text: str = ""


def records(
    path: str | Path,
    columns: Mapping[str, Column] | None = None,
    *,
    known: Sequence[str] = (),
    what: str = "",
    encoding: str | None = None,
    fix: str | None = None,
    xy: XY | None = None,
) -> Records:
    """The checks of :func:`read_csv` before any value is converted: the text, the header,
    required columns, near misses, the coordinate columns and every row's field count.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = path.write_text("id, weight\\nb1,3\\n\\nb2,4\\n")
    >>> found = records(path)
    >>> found.names, found.body, found.lines.tolist()
    (['id', 'weight'], [['b1', '3'], ['b2', '4']], [2, 4])
    """
    p = Path(path)
    return records_of(read_text(p, encoding, fix), p, columns, known=known, what=what, xy=xy)


def records_of(
    text: str,
    path: Path,
    columns: Mapping[str, Column] | None = None,
    *,
    known: Sequence[str] = (),
    what: str = "",
    xy: XY | None = None,
) -> Records:
    """:func:`records` of a file's text already read."""
    p = path
    columns = dict(columns or {})
    rows, lines = _records(text, p)
    if not rows:
        raise FormatError("empty file", path=p)
    names = _header(rows[0], lines[0], p)
    near_misses(names, list(known) or list(columns), p, lines[0])
    xy_columns = None
    if xy is not None:
        xy_columns = coordinate_columns(names, xy, p, lines[0], what)
        for name, canonical in zip(xy_columns, ("x", "y"), strict=True):
            if name != canonical and canonical in names:
                raise InputError(
                    f"has a column {canonical!r}, but {name!r} is read as {canonical}: rename "
                    "one of them", path=p, row=lines[0], field=canonical,
                )
        names = [{xy_columns[0]: "x", xy_columns[1]: "y"}.get(n, n) for n in names]
    listed = ", ".join(names)
    for name, rule in columns.items():
        if rule.required and name not in names:
            reason = rule.missing or f"missing column {name!r}"
            raise InputError(f"{reason} (columns: {listed})", path=p, row=lines[0], field=name)
    body, body_lines = rows[1:], np.asarray(lines[1:], dtype=np.int64)
    counts = np.fromiter((len(r) for r in body), dtype=np.int64, count=len(body))
    wrong = counts != len(names)
    if wrong.any():
        k = int(np.flatnonzero(wrong)[0])
        raise FormatError(
            f"{counts[k]} fields, but the header (line {lines[0]}) has {len(names)}",
            path=p,
            row=int(body_lines[k]),
        )
    return Records(p, names, body, body_lines, lines[0], xy_columns, text)


def converted(
    found: Records, columns: Mapping[str, Column] | None = None, what: str = ""
) -> CsvTable:
    """The table of checked records, ``columns`` converted by their rules (pandas)."""
    import pandas as pd

    columns = dict(columns or {})
    names, body = found.names, found.body
    frame = pd.DataFrame(body, columns=names, dtype="str") if body else pd.DataFrame(
        {name: pd.Series([], dtype="str") for name in names}
    )
    for name in frame.columns:
        if name not in columns:  # converted columns are stripped as they are converted
            frame[name] = frame[name].str.strip()
    table = CsvTable(found.path, frame, found.lines, found.header_line, found.xy_columns)
    where = Where(str(found.path), lines=found.lines, what=what)
    for name, rule in columns.items():
        if name in frame.columns:
            frame[name] = _convert(frame[name], rule, where, name)
    return table


def _convert(cells: pd.Series, rule: Column, where: Where, name: str) -> object:
    if rule.kind == "id":
        return to_ids(cells, where, name, unique=rule.unique)
    if rule.kind == "number":
        return to_numbers(
            cells,
            where,
            name,
            minimum=rule.minimum,
            allow_inf=rule.allow_inf,
            allow_missing=rule.allow_missing,
            integer=rule.integer,
        )
    if rule.kind == "coordinate":
        return to_numbers(
            cells, where, name, minimum=-COORDINATE_LIMIT, maximum=COORDINATE_LIMIT
        )
    if rule.kind == "boolean":
        return to_booleans(cells, where, name, allow_missing=rule.allow_missing)
    return cells
