"""Strict conversion of table columns: ids as text, numbers in range, booleans from a vocabulary.

Every function takes a column as read (text from a CSV, or the typed column a
GeoPackage gives), converts it in one vectorised pass and raises
:class:`~siting.errors.InputError` naming the file, row, field and value of the
first bad cell. Rows are numbered as the file numbers them: a CSV's line
numbers (``Where.lines``), or features from 1.

>>> import pandas as pd
>>> where = Where("homes.csv", lines=np.array([2, 3, 5]))
>>> to_ids(pd.Series(["007", " 8", "x"]), where, "id").tolist()
['007', '8', 'x']
>>> to_booleans(pd.Series(["Yes", "n", "1"]), where, "existing").tolist()
[True, False, True]
>>> to_numbers(pd.Series(["1", "2.5", "-3"]), where, "weight")
Traceback (most recent call last):
...
siting.errors.InputError: homes.csv: row 5: field 'weight': value -3.0: must be a finite number >= 0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from siting.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BOOLEAN_WORDS", "COORDINATE_LIMIT", "Where", "to_booleans", "to_ids", "to_numbers"]

#: Accepted spellings of true and false (compared case-insensitively, spaces stripped).
BOOLEAN_WORDS: dict[str, bool] = {
    "true": True,
    "yes": True,
    "1": True,
    "t": True,
    "y": True,
    "false": False,
    "no": False,
    "0": False,
    "f": False,
    "n": False,
}

#: Largest coordinate magnitude accepted (metres or degrees): beyond it, distances overflow.
COORDINATE_LIMIT = 1e9


@dataclass(frozen=True)
class Where:
    """The file a column comes from and how its rows are numbered in messages."""

    path: str
    #: Line number of every row (a CSV file); ``None``: features numbered from 1.
    lines: NDArray[np.int64] | None = None
    #: Prefix of messages, e.g. ``"demand"`` gives ``"demand: missing id"``.
    what: str = ""

    def row(self, position: int) -> int:
        if self.lines is not None:
            return int(self.lines[position])
        return int(position) + 1

    def rows(self, positions: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
        """:meth:`row` of each of ``positions``, at once.

        >>> Where("a.csv", lines=np.array([2, 3, 5])).rows(np.array([2, 0])).tolist()
        [5, 2]
        >>> Where("a.gpkg").rows(np.array([0, 4])).tolist()
        [1, 5]
        """
        at: NDArray[np.int64] = np.asarray(positions, dtype=np.int64)
        if self.lines is not None:
            return np.asarray(self.lines, dtype=np.int64)[at]
        return at + 1

    def error(self, message: str, position: int, field: str, value: Any) -> InputError:
        text = f"{self.what}: {message}" if self.what else message
        return InputError(text, path=self.path, row=self.row(position), field=field, value=value)


def _text(series: pd.Series) -> tuple[NDArray[Any], NDArray[np.bool_]]:
    """Cells as stripped text, and which are missing (null or blank)."""
    import pandas as pd

    missing = series.isna().to_numpy()
    if not pd.api.types.is_string_dtype(series.dtype) or missing.any():
        series = series.astype(object).where(~missing, "").astype(str)
    text = series.str.strip()
    blank = missing | (text == "").to_numpy()
    return text.to_numpy(dtype=object), blank


def _first(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def to_ids(
    series: pd.Series, where: Where, field: str, *, unique: bool = True, noun: str = "id"
) -> pd.Series:
    """Ids (or other labels: ``noun``) as text (``007`` stays ``"007"``; whole-number
    floats lose their ``.0``). Missing values and, with ``unique``, repeats are refused.
    """
    import pandas as pd

    if pd.api.types.is_float_dtype(series.dtype):
        vals = series.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = np.isfinite(vals) & (vals == np.round(vals)) & (np.abs(vals) < 2.0**53)
        as_int = np.where(whole, vals, 0.0).astype(np.int64).astype(str)
        shown = np.where(whole, as_int, vals.astype(str)).astype(object)
        shown[np.isnan(vals)] = None
        series = pd.Series(shown, index=series.index, dtype=object)
    elif pd.api.types.is_bool_dtype(series.dtype):
        raise where.error(f"{noun} must be text or a number, not true/false", 0, field, "bool")
    text, blank = _text(series)
    if blank.any():
        raise where.error(f"missing {noun}", _first(blank), field, "")
    ids = pd.Series(text, index=series.index, dtype="str")
    if unique:
        dup = ids.duplicated().to_numpy()
        if dup.any():
            k = _first(dup)
            first = _first((ids == ids.iloc[k]).to_numpy())
            raise where.error(
                f"duplicate id (first in row {where.row(first)})", k, field, str(ids.iloc[k])
            )
    return ids


def to_numbers(
    series: pd.Series,
    where: Where,
    field: str,
    *,
    minimum: float | None = 0.0,
    maximum: float | None = None,
    allow_inf: bool = False,
    allow_missing: bool = False,
    integer: bool = False,
) -> NDArray[np.float64]:
    """Numbers, finite (or +inf with ``allow_inf``) and within ``[minimum, maximum]``.

    Missing cells (empty, null) are an error unless ``allow_missing`` (then NaN).
    """
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        raise where.error("not a number (true/false)", 0, field, "bool")
    if pd.api.types.is_numeric_dtype(series.dtype):
        vals = series.to_numpy(dtype=np.float64, na_value=np.nan)
        blank = series.isna().to_numpy()
    else:
        raw, blank = _text(series)
        vals = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=np.float64)
        unread = np.isnan(vals) & ~blank
        said_nan = np.zeros(vals.size, dtype=bool)
        said_nan[unread] = np.char.lower(raw[unread].astype(str)) == "nan"
        bad = unread & ~said_nan
        if bad.any():
            k = _first(bad)
            raise where.error("not a number", k, field, str(raw[k]))
    if blank.any() and not allow_missing:
        k = _first(blank)
        # An empty cell reads as 'nan' in most tools; say both.
        raise where.error("missing value (empty cell)", k, field, "nan")
    known = ~blank
    finite = np.isfinite(vals) | (allow_inf & (vals == np.inf))
    bad = known & ~finite
    if bad.any():
        k = _first(bad)
        raise where.error("must be a finite number" + _bounds(minimum, maximum), k, field,
                          str(vals[k]))
    low = known & (vals < minimum) if minimum is not None else np.zeros(vals.size, bool)
    high = known & (vals > maximum) if maximum is not None else np.zeros(vals.size, bool)
    bad = low | high
    if bad.any():
        k = _first(bad)
        raise where.error("must be a finite number" + _bounds(minimum, maximum), k, field,
                          float(vals[k]))
    if integer:
        bad = known & np.isfinite(vals) & (vals != np.round(vals))
        if bad.any():
            k = _first(bad)
            raise where.error("must be a whole number", k, field, float(vals[k]))
    return vals


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None and minimum == -maximum:
        return f" with |value| <= {maximum:g}"
    text = ""
    if minimum is not None:
        text += f" >= {minimum:g}"
    if maximum is not None:
        text += f"{' and' if text else ''} <= {maximum:g}"
    return text


def to_booleans(
    series: pd.Series, where: Where, field: str, *, allow_missing: bool = False
) -> NDArray[np.bool_]:
    """Booleans from :data:`BOOLEAN_WORDS` (or 0/1 numbers); anything else is an error."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
        return series.to_numpy(dtype=bool)
    raw, blank = _text(series)
    if pd.api.types.is_numeric_dtype(series.dtype):
        vals = series.to_numpy(dtype=np.float64, na_value=np.nan)
        raw = np.where(np.isin(vals, (0.0, 1.0)), vals.astype(np.int64).astype(str), raw)
    words = np.char.lower(raw.astype(str))
    known = np.isin(words, list(BOOLEAN_WORDS))
    bad = ~known & ~blank
    if bad.any():
        k = _first(bad)
        raise where.error(
            "not a yes/no value (use true/false, yes/no, 1/0, t/f or y/n)", k, field, str(raw[k])
        )
    if blank.any() and not allow_missing:
        raise where.error("missing value (true/false)", _first(blank), field, "")
    truth = np.isin(words, [w for w, v in BOOLEAN_WORDS.items() if v])
    return truth & ~blank
