"""The checks of :meth:`siting.instance.Instance.from_frames`: points, CRS, ids, columns.

Each refuses bad input naming the frame, its file, the row (as the file
numbers it), the field and the value.

>>> check_unique(np.array(["a", "b", "a"]), "demand id", "demand.csv")
Traceback (most recent call last):
...
siting.errors.InputError: demand.csv: row 2: field 'id': value 'a': duplicate demand id
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from siting.coverage import points_of
from siting.errors import CRSError, InputError

if TYPE_CHECKING:
    import pandas as pd


def as_crs(crs: Any) -> Any:
    if crs is None:
        return None
    from pyproj import CRS

    return CRS.from_user_input(crs)


def common_crs(items: list[tuple[str, Any]], source: str | None) -> Any:
    known = [(n, as_crs(c)) for n, c in items if c is not None]
    if not known:
        return None
    first_name, first = known[0]
    for other_name, other in known[1:]:
        if other != first:
            raise CRSError(
                f"{first_name} is in {first.to_string()} but {other_name} is in "
                f"{other.to_string()}; reproject one of them (to_crs) first",
                path=source,
                field="crs",
            )
    if len(known) < len(items):
        missing = [n for n, c in items if c is None]
        raise CRSError(
            f"{', '.join(missing)} has no CRS while {first_name} is in {first.to_string()}",
            path=source,
            field="crs",
        )
    return first


class FrameRows(NamedTuple):
    """Which frame an error is in: its name, file and how its rows are numbered."""

    what: str
    path: Any
    base: int

    def row(self, position: int) -> int:
        return int(position) + self.base

    def refuse(self, bad: Any, message: str, field: str, value: Callable[[int], Any]) -> None:
        """Raise naming the first row where ``bad`` holds (``value(k)`` shown)."""
        bad = np.asarray(bad, dtype=bool)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(message, path=self.path, row=self.row(k), field=field,
                             value=value(k))


def frame_points(
    frame: pd.DataFrame, x: str, y: str, where: FrameRows
) -> tuple[NDArray[np.float64], Any]:
    import pandas as pd

    what, source = where.what, where.path
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{what} must be a DataFrame or GeoDataFrame", path=source, value=type(frame).__name__
        )
    if len(frame) == 0:
        raise InputError(f"{what} is empty (no rows)", path=source, field=what)
    geom = (
        getattr(frame, "geometry", None)
        if hasattr(frame, "crs") and "geometry" in getattr(frame, "columns", [])
        else None
    )
    if geom is not None:
        import shapely

        where.refuse(geom.isna().to_numpy() | geom.is_empty.to_numpy(),
                     f"{what}: empty or missing geometry", "geometry",
                     lambda k: "empty" if geom.iloc[k] is not None else "missing")
        invalid = ~geom.is_valid.to_numpy()
        if invalid.any():
            reason = shapely.is_valid_reason(geom.iloc[int(np.flatnonzero(invalid)[0])])
            where.refuse(invalid, f"{what}: invalid geometry ({reason})", "geometry",
                         lambda k: geom.iloc[k].wkt[:60])
        xy = points_of(geom.to_numpy())
        where.refuse(~np.isfinite(xy).all(axis=1), f"{what}: coordinate is not a finite number",
                     "geometry", lambda k: geom.iloc[k].wkt[:60])
        return xy, frame.crs
    for col in (x, y):
        if col not in frame.columns:
            raise InputError(
                f"{what} has neither a geometry nor a column {col!r}", path=source, field=col
            )
    xy = np.column_stack([numeric_column(frame[x], x, where), numeric_column(frame[y], y, where)])
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        col = x if not np.isfinite(xy[int(np.flatnonzero(bad)[0]), 0]) else y
        where.refuse(bad, f"{what}: coordinate is not a finite number", col,
                     lambda k: str(frame.iloc[k][col]))
    return xy, None


def numeric_column(series: pd.Series, col: str, where: FrameRows) -> NDArray[np.float64]:
    import pandas as pd

    if series.dtype == bool:
        raise InputError(
            f"{where.what}: not a number (true/false)", path=where.path, field=col, value="bool"
        )
    num = pd.to_numeric(series, errors="coerce")
    where.refuse((num.isna() & series.notna()).to_numpy(), f"{where.what}: not a number", col,
                 lambda k: str(series.iloc[k]))
    return num.to_numpy(dtype=np.float64, na_value=np.nan)


def id_column(frame: pd.DataFrame, col: str | None, where: FrameRows) -> NDArray[Any]:

    if col is None:
        return np.asarray(frame.index.to_numpy())
    if col not in frame.columns:
        raise InputError(f"{where.what} has no id column", path=where.path, field=col)
    vals = frame[col]
    where.refuse(vals.isna().to_numpy(), f"{where.what}: missing id", col, lambda k: "")
    ids = np.asarray(vals.to_numpy())
    dup = repeated(ids)
    if dup.any():
        first = int(np.flatnonzero(ids == ids[int(np.flatnonzero(dup)[0])])[0])
        where.refuse(dup, f"{where.what}: duplicate id (first in row {where.row(first)})", col,
                     lambda k: str(ids[k]))
    return ids


def value_column(
    frame: pd.DataFrame,
    col: str | None,
    default: float,
    where: FrameRows,
    ids: NDArray[Any],
    *,
    allow_inf: bool = False,
) -> NDArray[np.float64]:
    if col is None or col not in frame.columns:
        return np.full(len(frame), default, dtype=np.float64)
    vals = numeric_column(frame[col], col, where)
    if not np.isnan(default):
        where.refuse(np.isnan(vals), f"{where.what}: missing value", col,
                     lambda k: str(frame[col].iloc[k]))
    bad = (vals < 0) | (np.isinf(vals) & (not allow_inf))
    if bad.any():
        first = ids[int(np.flatnonzero(bad)[0])]
        where.refuse(bad, f"{where.what}: must be a finite number >= 0 (id {first!r})", col,
                     lambda k: float(vals[k]))
    return vals


def check_values(
    values: NDArray[np.float64],
    field_name: str,
    ids: NDArray[Any],
    source: str | None,
    *,
    allow_zero: bool,
    allow_inf: bool = False,
) -> None:
    bad = np.isnan(values) | (values < 0) | (~allow_inf & np.isinf(values))
    if not allow_zero:
        bad |= values == 0
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"must be a finite number >= 0 (id {ids[row]!r})",
            path=source,
            row=row,
            field=field_name,
            value=float(values[row]),
        )


def repeated(ids: NDArray[Any]) -> NDArray[np.bool_]:
    """Whether each id repeats an earlier one; numbers already in increasing order (ids
    0, 1, 2, ...) are known unique without sorting or hashing them.

    >>> repeated(np.array([3, 1, 3])).tolist(), repeated(np.arange(4)).tolist()
    ([False, False, True], [False, False, False, False])
    """
    ids = np.asarray(ids)
    if ids.dtype.kind in "iuf" and bool(np.all(ids[1:] > ids[:-1])):
        return np.zeros(ids.size, dtype=bool)
    ids = text_ids(ids)
    if ids.dtype.kind in "biufUS":
        _, first = np.unique(ids, return_index=True)  # each value's first row (stable sort)
        repeat = np.ones(ids.size, dtype=bool)
        repeat[first] = False
        return repeat
    import pandas as pd  # mixed objects: pandas' hashing also equates 1 and 1.0

    return np.asarray(pd.Series(ids).duplicated().to_numpy(), dtype=bool)


def text_ids(ids: NDArray[Any]) -> NDArray[Any]:
    """Ids held as Python text (an object array of ``str``, as read from a CSV) as a numpy
    text array, which sorts without pandas; any other array as it is. A text ending in
    NUL stays an object (numpy's text drops trailing NULs).

    >>> text_ids(np.array(["b", "a"], dtype=object)).dtype.kind
    'U'
    >>> text_ids(np.array(["b", 1], dtype=object)).dtype.kind
    'O'
    """
    if ids.dtype != object or set(map(type, ids)) != {str}:  # the types read in C, not a loop
        return ids
    if "\0" in "".join(ids) and any(v.endswith("\0") for v in ids):  # NULs are rare
        return ids
    return ids.astype(str)


#: Id arrays :func:`unique_ids` checked and froze, by ``id()``: each one's weak reference.
_KNOWN_UNIQUE: dict[int, weakref.ref[NDArray[Any]]] = {}


def unique_ids(ids: NDArray[Any], what: str, source: str | None) -> NDArray[Any]:
    """``ids`` checked once (:func:`check_unique`) as a read-only copy that later checks of
    the same array pass without reading it again (instances built on the same ids: one
    per facility type, and those of derived problems). An array made writeable again is
    checked as any other.

    >>> ids = unique_ids(np.array(["a", "b"], dtype=object), "block id", None)
    >>> known_unique(ids), known_unique(ids.copy()), ids.flags.writeable
    (True, False, False)
    """
    frozen = np.array(ids, copy=True)
    check_unique(frozen, what, source)
    frozen.flags.writeable = False
    key = id(frozen)
    _KNOWN_UNIQUE[key] = weakref.ref(frozen, lambda _ref: _KNOWN_UNIQUE.pop(key, None))
    return frozen


def known_unique(ids: NDArray[Any]) -> bool:
    """Whether ``ids`` is an array :func:`unique_ids` checked, still read-only."""
    ref = _KNOWN_UNIQUE.get(id(ids))
    return ref is not None and ref() is ids and not ids.flags.writeable


def check_unique(ids: NDArray[Any], what: str, source: str | None) -> None:
    """Each id once; the first repeat (in row order) is refused (an array
    :func:`unique_ids` returned is known to pass).

    >>> check_unique(np.array([3, 1, 3]), "site id", "sites.csv")
    Traceback (most recent call last):
    siting.errors.InputError: sites.csv: row 2: field 'id': value '3': duplicate site id
    >>> check_unique(np.array(["a", 1, "a"], dtype=object), "site id", None)
    Traceback (most recent call last):
    siting.errors.InputError: row 2: field 'id': value 'a': duplicate site id
    """
    if known_unique(ids):
        return
    row = first_repeat(ids)
    if row is not None:
        raise InputError(
            f"duplicate {what}", path=source, row=row, field=what.split()[-1], value=str(ids[row])
        )


def first_repeat(ids: NDArray[Any]) -> int | None:
    """The first row whose id came before, or None (:func:`repeated`).

    >>> first_repeat(np.array([5, 2, 7, 2, 5])), first_repeat(np.array(["a", "b"]))
    (3, None)
    """
    dup = repeated(ids)
    return int(np.flatnonzero(dup)[0]) if dup.any() else None
