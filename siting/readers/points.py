"""Readers for point-based covering data: the Swain 55-node file and the BDS files.

Both return plain frozen dataclasses of numpy arrays (positions are 0-based;
the file's own ids are kept in ``ids`` / ``site_ids`` / ``customer_ids``).
Radius and number of sites are parameters of an experiment, not of these files.

>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     f = pathlib.Path(tmp, "pts.dat")
...     _ = f.write_text("01, 3, 4, 10,\\n02, 0, 0, 5,\\n")
...     d = read_swain(f)
>>> d.ids.tolist(), float(d.weight.sum())
([1, 2], 15.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siting.errors import FormatError
from siting.readers.lines import record_lines
from siting.readers.text import (
    PathArg,
    Source,
    convert_floats,
    convert_ints,
    first_negative,
    load_source,
    read_header,
)

__all__ = ["BdsData", "PointsData", "read_bds", "read_swain"]


def _check_unique(ids: NDArray[np.int64], src: Source, rows: NDArray[np.int64], what: str) -> None:
    """Raise on the first repeated id (its line is ``rows[k]``)."""
    order = np.argsort(ids, kind="stable")
    same = np.flatnonzero(ids[order][1:] == ids[order][:-1])
    if same.size:
        k = int(order[same[0] + 1])
        raise FormatError(
            f"duplicate {what} id", path=src.path, row=int(rows[k]), field="id", value=int(ids[k])
        )


# --------------------------------------------------------------------------- Swain


@dataclass(frozen=True, eq=False)
class PointsData:
    """Weighted points, each both a customer and a candidate site (Swain data).

    ``ids`` are the file's integer ids; ``x``, ``y``, ``weight`` are float64.
    """

    name: str
    ids: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    weight: NDArray[np.float64]

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.ids.size)


def read_swain(path: PathArg) -> PointsData:
    """Read the Swain 55-node data (``swain.dat``).

    Format: one point per line, ``id, x, y, population,`` (comma-separated, a
    trailing comma allowed, spaces around fields ignored); blank lines are
    skipped. Every node is a customer and a candidate site; a node is covered by
    a site when their Euclidean distance is <= the radius. Ids must be unique
    integers, populations >= 0.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp, "s.dat")
    ...     _ = f.write_text("01, 3, 4, 10,\\n02, 0, 0,\\n")
    ...     read_swain(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    siting.errors.FormatError: .../s.dat: row 2: value '02, 0, 0,': expected 4 fields ..., found 3
    """
    src = load_source(path)
    lines = src.text.split("\n")
    rows = np.array([k + 1 for k, line in enumerate(lines) if line.strip()], dtype=np.int64)
    fields = [[f.strip() for f in lines[r - 1].split(",")] for r in rows]
    for k, parts in enumerate(fields):
        if len(parts) > 1 and parts[-1] == "":
            parts.pop()  # the customary trailing comma
        if len(parts) != 4:
            raise FormatError(
                f"expected 4 fields 'id, x, y, population', found {len(parts)}",
                path=src.path,
                row=int(rows[k]),
                value=lines[rows[k] - 1].strip(),
            )
    cols = list(zip(*fields, strict=True))
    ids = convert_ints(list(cols[0]), src.path, lambda k: (int(rows[k]), "id"))
    x = convert_floats(list(cols[1]), src.path, lambda k: (int(rows[k]), "x"))
    y = convert_floats(list(cols[2]), src.path, lambda k: (int(rows[k]), "y"))
    w = convert_floats(list(cols[3]), src.path, lambda k: (int(rows[k]), "population"))
    neg = first_negative(w)
    if neg is not None:
        raise FormatError(
            "negative population",
            path=src.path,
            row=int(rows[neg]),
            field="population",
            value=float(w[neg]),
        )
    _check_unique(ids, src, rows, "node")
    return PointsData(src.path.stem, ids, x, y, w)


# --------------------------------------------------------------------------- BDS


@dataclass(frozen=True, eq=False)
class BdsData:
    """A BDS maximal-covering instance (Cordeau, Furini & Ljubić 2019): sites and customers.

    Ids are the file's integer ids; coordinates, ``site_cost`` and ``demand`` are float64.
    """

    name: str
    site_ids: NDArray[np.int64]
    site_x: NDArray[np.float64]
    site_y: NDArray[np.float64]
    site_cost: NDArray[np.float64]
    customer_ids: NDArray[np.int64]
    customer_x: NDArray[np.float64]
    customer_y: NDArray[np.float64]
    demand: NDArray[np.float64]

    @property
    def n_sites(self) -> int:
        """Number of candidate sites (``F`` lines)."""
        return int(self.site_ids.size)

    @property
    def n_customers(self) -> int:
        """Number of customers (``C`` lines)."""
        return int(self.customer_ids.size)


def read_bds(path: PathArg) -> BdsData:
    """Read a BDS file (``BDS1000.txt`` .. ``BDS100000.txt``).

    Format: a line ``facilities customers``, then one line ``F id x y cost`` per
    site, then one line ``C id x y demand`` per customer (whitespace-separated,
    tabs and CRLF in the published files). All site lines must come before the
    customer lines and their numbers must match the header; ids are unique
    integers within each kind; costs and demands are >= 0.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp, "b.txt")
    ...     _ = f.write_text("1 2\\nF 0 1.5 2 1\\nC 0 0 0 7\\nC 1 3 3 2\\n")
    ...     b = read_bds(f)
    >>> b.n_sites, b.n_customers, b.demand.tolist()
    (1, 2, [7.0, 2.0])
    """
    src = load_source(path)
    n_f, n_c = read_header(src, ("facilities", "customers"), (1, 1), alone=True)
    rows = record_lines(src, 5, "F|C id x y value") + 1  # 1-based line of each record
    rec = src.tokens[2:]
    kinds = np.array(rec[0::5], dtype=object)
    is_f = kinds == "F"
    is_c = kinds == "C"
    other = np.flatnonzero(~(is_f | is_c))
    if other.size:
        k = int(other[0])
        raise FormatError(
            "record type must be 'F' (site) or 'C' (customer)",
            path=src.path,
            row=int(rows[k]),
            field="type",
            value=str(kinds[k]),
        )
    have_f, have_c = int(is_f.sum()), int(is_c.sum())
    if (have_f, have_c) != (n_f, n_c):
        parts = []
        if have_f != n_f:
            parts.append(f"{n_f} sites, file has {have_f}")
        if have_c != n_c:
            parts.append(f"{n_c} customers, file has {have_c}")
        short = have_f < n_f or have_c < n_c
        raise FormatError(
            ("file truncated: " if short else "") + "header announces " + "; ".join(parts),
            path=src.path,
            row=int(rows[-1]) if rows.size else int(np.flatnonzero(src.line_counts())[0]) + 1,
        )
    if not is_f[:n_f].all():
        k = int(np.argmin(is_f[:n_f]))
        raise FormatError(
            "site lines (F) must all come before customer lines (C)",
            path=src.path,
            row=int(rows[k]),
            field="type",
            value=str(kinds[k]),
        )

    def ints(c: int, name: str, sl: slice) -> NDArray[np.int64]:
        r = rows[sl]
        return convert_ints(rec[c::5][sl], src.path, lambda k: (int(r[k]), name))

    def floats(c: int, name: str, sl: slice) -> NDArray[np.float64]:
        r = rows[sl]
        return convert_floats(rec[c::5][sl], src.path, lambda k: (int(r[k]), name))

    f_sl, c_sl = slice(0, n_f), slice(n_f, n_f + n_c)
    site_ids, cust_ids = ints(1, "id", f_sl), ints(1, "id", c_sl)
    sx, sy, cost = floats(2, "x", f_sl), floats(3, "y", f_sl), floats(4, "cost", f_sl)
    cx, cy, demand = floats(2, "x", c_sl), floats(3, "y", c_sl), floats(4, "demand", c_sl)
    for name, arr, r in (("cost", cost, rows[f_sl]), ("demand", demand, rows[c_sl])):
        neg = first_negative(arr)
        if neg is not None:
            raise FormatError(
                f"negative {name}",
                path=src.path,
                row=int(r[neg]),
                field=name,
                value=float(arr[neg]),
            )
    _check_unique(site_ids, src, rows[f_sl], "site")
    _check_unique(cust_ids, src, rows[c_sl], "customer")
    return BdsData(src.path.stem, site_ids, sx, sy, cost, cust_ids, cx, cy, demand)
