"""Origin–destination tables, as routing engines write them, read into a :class:`TableMetric`.

OSRM's ``table`` service, r5, Valhalla's matrix, ArcGIS's OD Cost Matrix and
Google's Distance Matrix all give travel costs as one row per pair: an origin
id, a destination id and a cost. Here the origin is a demand point and the
destination a candidate site (or an existing facility). Rules, each broken
one refused with the file, row, field and value:

- the three columns exist; ids are present (text: ``007`` stays ``"007"``);
- a cost is a number ``>= 0``; an empty cell, ``nan``, ``inf`` or ``null``
  marks an unreachable pair, as does a pair that is not in the table at all;
- a pair appears once (a repeated pair is refused, naming both rows: which of
  two travel times is right is the user's call, e.g. the least of several
  entrances, ``groupby([origin, destination]).min()``);
- every origin is a demand point and every destination a site; an id of the
  other side in the wrong column is said as a swapped table.

Demand points that no site reaches, and sites that reach no demand point, are
counted in the notes, never dropped silently.

>>> import pandas as pd
>>> frame = pd.DataFrame({"origin": ["a", "a", "b", "b"], "destination": ["s1", "s2", "s1", "s2"],
...                       "cost": [4.0, 9.0, float("nan"), 2.5]})
>>> table = read_od_table(frame)
>>> metric, notes = table_metric(table, ["a", "b", "c"], ["s1", "s2"], unit="min")
>>> metric.pair_distance(np.array([1, 1]), np.array([0, 1])).tolist()
[inf, 2.5]
>>> notes
["OD table: 1 of 3 demand points has no finite cost to any site (e.g. 'c'): it is unreachable"]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from siting.coverage.base import FloatArray, IntArray
from siting.coverage.table import TableMetric
from siting.errors import InputError
from siting.readers.csvfile import Column, read_csv
from siting.readers.values import Where, to_ids

if TYPE_CHECKING:
    import pandas as pd

#: Cells read as an unreachable pair (case-insensitive; an empty cell too).
UNREACHABLE_WORDS = ("nan", "inf", "+inf", "infinity", "+infinity", "null", "none", "na", "n/a")
#: File suffixes read as Parquet (anything else is read as CSV).
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class ODTable:
    """An origin–destination table as read: ids as text, costs (``inf``: unreachable)."""

    origin: NDArray[Any]
    destination: NDArray[Any]
    cost: FloatArray
    #: The file (or ``"OD table"``) and each row's number, for messages.
    where: Where
    #: Names of the origin, destination and cost columns.
    columns: tuple[str, str, str] = ("origin", "destination", "cost")
    #: The file read (None for a frame).
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.where.path

    def __len__(self) -> int:
        return int(self.cost.size)


def read_od_table(
    table: pd.DataFrame | str | Path,
    *,
    origin: str = "origin",
    destination: str = "destination",
    cost: str = "cost",
) -> ODTable:
    """An OD table from a DataFrame, a CSV file (the strict reader) or a Parquet file.

    Rows are numbered as the file numbers them: a CSV's line numbers, a frame's
    or a Parquet file's positions from 0.

    Parameters
    ----------
    table : pandas.DataFrame, str or pathlib.Path
        The table, or its file (``.parquet`` / ``.pq``: Parquet, needs
        pyarrow; anything else: CSV).
    origin, destination, cost : str
        The columns of the demand point id, the site id and the cost. An
        empty cell, NaN or inf is an unreachable pair.

    Returns
    -------
    ODTable
        Ids as text and costs as floats, with each row's number for messages.

    Raises
    ------
    siting.InputError
        A missing file or column, an empty table, a missing id or a cost
        that is negative or not a number, naming the row.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"origin": ["a", "b"], "destination": ["s", "s"],
    ...                       "cost": [4.5, None]})
    >>> od = read_od_table(frame)
    >>> list(od.origin), od.cost.tolist()
    (['a', 'b'], [4.5, inf])
    >>> read_od_table(frame.assign(cost=[4.5, -1]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    siting.errors.InputError: OD table: row 1: field 'cost': value -1.0: negative travel cost ...
    """
    import pandas as pd

    columns = (origin, destination, cost)
    path: Path | None = None
    if isinstance(table, pd.DataFrame):
        frame, where = table, Where("OD table", lines=np.arange(len(table), dtype=np.int64))
        _require(frame, columns, where.path, None)
    else:
        path = Path(table)
        if not path.is_file():
            raise InputError("file not found (an origin–destination table)", path=path)
        if path.suffix.lower() in PARQUET_SUFFIXES:
            frame = _read_parquet(path, columns)
            where = Where(str(path), lines=np.arange(len(frame), dtype=np.int64))
        else:
            rules = {name: Column("text", required=True) for name in columns}
            csv = read_csv(path, rules, known=columns)
            frame, where = csv.frame, csv.where
    if len(frame) == 0:
        raise InputError("the origin–destination table has no rows", path=where.path)
    o = to_ids(frame[origin], where, origin, unique=False, noun="origin id").to_numpy(object)
    d = to_ids(frame[destination], where, destination, unique=False,
               noun="destination id").to_numpy(object)
    values = _costs(frame[cost], where, cost)
    negative = values < 0
    if negative.any():
        k = int(np.flatnonzero(negative)[0])
        raise where.error(f"negative travel cost from origin {o[k]!r} to destination {d[k]!r}",
                          k, cost, float(values[k]))
    return ODTable(o, d, values, where, columns, path)


def _require(frame: pd.DataFrame, columns: Sequence[str], label: str, line: int | None) -> None:
    have = [str(c) for c in frame.columns]
    for name in columns:
        if name not in frame.columns:
            raise InputError(f"missing column {name!r} (columns: {', '.join(have)}); name "
                             "the columns with origin=, destination=, cost=", path=label,
                             row=line, field=name)


def _read_parquet(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet needs pyarrow (pip install pyarrow)",
                         path=path) from None
    try:
        names = pq.read_schema(path).names
        _require(pd.DataFrame(columns=names), columns, str(path), None)
        return pq.read_table(path, columns=list(columns)).to_pandas()
    except InputError:
        raise
    except Exception as exc:
        from siting.errors import FormatError

        raise FormatError(f"cannot be read as Parquet: {str(exc).splitlines()[0]}",
                          path=path) from None


def _costs(series: pd.Series, where: Where, field: str) -> FloatArray:
    """Costs as numbers; missing, NaN and ``inf`` cells become ``+inf`` (unreachable)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        raise where.error("not a number (true/false)", 0, field, "bool")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        words = text.str.lower().to_numpy(dtype=object)
        unread = np.isnan(values) & (words != "") & ~np.isin(words, UNREACHABLE_WORDS)
        if unread.any():
            k = int(np.flatnonzero(unread)[0])
            raise where.error("not a number (leave the cell empty, or write inf, for a pair "
                              "with no route)", k, field, str(text.iloc[k]))
    return np.where(np.isnan(values), np.inf, values)


def _positions(ids: Sequence[Any] | NDArray[Any]) -> pd.Index:
    """An index of ``ids`` by their text form (as a CSV gives them)."""
    import pandas as pd

    series = pd.Series(list(np.asarray(ids).ravel()))  # numbers keep a numeric dtype
    if series.dtype == object:  # mixed: text as it is, anything else as str() writes it
        series = series.map(lambda v: v if isinstance(v, str) else str(v))
    return pd.Index(to_ids(series, Where("ids"), "id", unique=False).to_numpy(object))


def locate(
    table: ODTable, demand_ids: Sequence[Any] | NDArray[Any],
    site_ids: Sequence[Any] | NDArray[Any], *, sites_are: str = "site",
) -> tuple[IntArray, IntArray]:
    """Positions of every row's origin among ``demand_ids`` and destination among ``site_ids``.

    An id found on neither side is refused with its row; an origin that is a
    site id (and a destination that is a demand id) is said as a swapped table.
    Ids repeated among ``site_ids`` are refused when the table names them.
    """
    import pandas as pd

    demand_index, site_index = _positions(demand_ids), _positions(site_ids)
    o_col, d_col, _ = table.columns
    rows = demand_index.get_indexer(table.origin)
    unknown = rows < 0
    if unknown.any():
        k = int(np.flatnonzero(unknown)[0])
        swapped = site_index.get_indexer(table.origin[k: k + 1])[0] >= 0
        hint = (f"; it is a {sites_are} id: the table may run from the {sites_are}s to the "
                f"demand points, then pass origin={d_col!r}, destination={o_col!r}"
                if swapped else "")
        raise table.where.error(f"origin id is not a demand point{hint} "
                                f"({_rows(int(unknown.sum()))})", k, o_col,
                                str(table.origin[k]))
    if not site_index.is_unique:
        repeated = site_index[site_index.duplicated()]
        named = np.isin(table.destination, repeated)
        if named.any():
            k = int(np.flatnonzero(named)[0])
            raise table.where.error(f"destination id names two {sites_are}s (ids must be "
                                    "unique across candidate sites and existing facilities)",
                                    k, d_col, str(table.destination[k]))
    once = ~site_index.duplicated(keep=False)  # repeats the table does not name stay out
    by_id = pd.Series(np.flatnonzero(once), index=site_index[once])
    cols = by_id.reindex(table.destination).fillna(-1).to_numpy(dtype=np.int64)
    unknown = cols < 0
    if unknown.any():
        k = int(np.flatnonzero(unknown)[0])
        swapped = demand_index.get_indexer(table.destination[k: k + 1])[0] >= 0
        hint = (f"; it is a demand point id: pass origin={d_col!r}, destination={o_col!r} if "
                "the table runs the other way" if swapped else "")
        raise table.where.error(f"destination id is not a {sites_are}{hint} "
                                f"({_rows(int(unknown.sum()))})", k, d_col,
                                str(table.destination[k]))
    return rows.astype(np.int64), cols.astype(np.int64)


def refuse_repeats(table: ODTable, rows: IntArray, cols: IntArray, n_sites: int) -> None:
    """Refuse a (demand, site) pair given twice, naming both rows."""
    import pandas as pd

    keys = rows * max(n_sites, 1) + cols
    repeated = pd.Series(keys).duplicated().to_numpy()
    if repeated.any():
        k = int(np.flatnonzero(repeated)[0])
        first = int(np.flatnonzero(keys == keys[k])[0])
        o_col, d_col, c_col = table.columns
        raise table.where.error(
            f"the pair from {table.origin[k]!r} to {table.destination[k]!r} is given twice "
            f"(first in row {table.where.row(first)}); keep one, e.g. the least: "
            f"groupby([{o_col!r}, {d_col!r}])[{c_col!r}].min()", k, d_col,
            str(table.destination[k]))


def table_metric(
    table: ODTable, demand_ids: Sequence[Any] | NDArray[Any],
    site_ids: Sequence[Any] | NDArray[Any], *, unit: str | None = None,
    sites_are: str = "site",
) -> tuple[TableMetric, list[str]]:
    """The metric of ``table`` from ``demand_ids`` to ``site_ids``, and its loading notes."""
    rows, cols = locate(table, demand_ids, site_ids, sites_are=sites_are)
    n, m = len(demand_ids), len(site_ids)
    refuse_repeats(table, rows, cols, m)
    finite = np.isfinite(table.cost)
    metric = TableMetric(rows[finite], cols[finite], table.cost[finite], (n, m), unit=unit)
    return metric, reach_notes(table.label, metric, demand_ids, site_ids, sites_are=sites_are)


def reach_notes(
    label: str, metric: TableMetric, demand_ids: Sequence[Any] | NDArray[Any],
    site_ids: Sequence[Any] | NDArray[Any], *, sites_are: str = "site",
    demand_are: str = "demand point", sites: bool = True,
) -> list[str]:
    """Sentences on the demand points no site reaches and (with ``sites``) the sites that
    reach no one."""
    notes = []
    alone = ~metric.reached()
    if alone.any():
        k = int(np.flatnonzero(alone)[0])
        notes.append(f"{label}: {_count(int(alone.sum()), metric.n_demand, demand_are)} "
                     f"no finite cost to any {sites_are} (e.g. {_shown(demand_ids, k)}): "
                     f"{'it is' if alone.sum() == 1 else 'they are'} unreachable")
    if not sites:
        return notes
    used = np.zeros(metric.n_sites, dtype=bool)
    used[metric.indices] = True
    if (~used).any():
        k = int(np.flatnonzero(~used)[0])
        notes.append(f"{label}: {_count(int((~used).sum()), metric.n_sites, sites_are)} no "
                     f"finite cost from any demand point (e.g. {_shown(site_ids, k)}): "
                     "unreachable")
    return notes


def _shown(ids: Sequence[Any] | NDArray[Any], k: int) -> str:
    value = np.asarray(ids, dtype=object)[k]
    return repr(value.item() if isinstance(value, np.generic) else value)


def _rows(k: int) -> str:
    return "1 such row" if k == 1 else f"{k} such rows"


def _count(k: int, n: int, noun: str) -> str:
    return f"{k} of {n} {noun}s {'has' if k == 1 else 'have'}"
