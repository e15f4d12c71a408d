"""Free-format MPS export of :class:`~siting.milp.MilpArrays`, built with array string ops.

Columns are named ``C0 .. Cn-1``, rows ``R0 .. Rm-1`` and the objective ``OBJ``;
integer columns sit between ``INTORG``/``INTEND`` markers and always get explicit
bounds (some readers take an integer column without bounds as binary). The
``NAME`` card ends with ``FREE``, which tells COIN-OR readers (CBC) to parse the
file as free format throughout: they otherwise read a bound line without a
value (``FR``, ``MI``, ``PL``) in fixed columns and lose the column name. The
objective offset is written as the right-hand side of ``OBJ`` with its sign
flipped (the MPS convention), and ``sense == "max"`` as ``OBJSENSE MAX`` (which
CBC ignores: :mod:`siting.backends.cbc` writes the negated minimisation
instead). Rows with both sides infinite become extra ``N`` rows, which readers
usually drop. Whole numbers are written without a decimal point, other values
in the shortest form that reads back to the same float.

>>> import numpy as np, scipy.sparse as sp
>>> from siting.milp import MilpArrays
>>> m = MilpArrays(c=np.array([3.0, 2.5]), A=sp.csr_matrix(np.array([[1.0, 1.0]])),
...     row_lower=np.array([1.0]), row_upper=np.array([np.inf]),
...     col_lower=np.zeros(2), col_upper=np.array([1.0, np.inf]),
...     integrality=np.array([True, False]), offset=5.0)
>>> print(mps_string(m), end="")
NAME siting FREE
ROWS
 N OBJ
 G R0
COLUMNS
 M0 'MARKER' 'INTORG'
 C0 OBJ 3
 C0 R0 1
 M0 'MARKER' 'INTEND'
 C1 OBJ 2.5
 C1 R0 1
RHS
 RHS OBJ -5
 RHS R0 1
BOUNDS
 LO BND C0 0
 UP BND C0 1
ENDATA
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from siting.milp import MilpArrays

# Arrays of Python str (dtype=object): element-wise "+" concatenates in C and
# shares repeated names/values instead of padding every line to the widest one.
Strs = NDArray[np.object_]

_CHUNK = 250_000  # COLUMNS entries per text chunk: bounds memory on large models
_SMALL = 1024
_SMALL_INTS = np.arange(-_SMALL, _SMALL + 1).astype(str).astype(object)


def _num(values: NDArray[np.float64]) -> Strs:
    """Numbers as text: whole numbers without a decimal point, others round-tripping exactly."""
    x = np.asarray(values, dtype=np.float64)
    out = np.empty(x.shape[0], dtype=object)
    whole = (x == np.floor(x)) & (np.abs(x) < 2.0**53)
    small = whole & (np.abs(x) <= _SMALL)
    out[small] = _SMALL_INTS[x[small].astype(np.int64) + _SMALL]  # a table look-up
    big = whole & ~small
    out[big] = x[big].astype(np.int64).astype(str)
    rest = ~whole
    out[rest] = x[rest].astype(str)  # numpy's shortest repr that reads back exactly
    return out


def _names(prefix: str, count: int) -> Strs:
    return np.char.add(prefix, np.arange(count).astype(str)).astype(object)


def _lines(first: Strs | str, *rest: Strs | str) -> Strs:
    """Element-wise ``" " + " ".join(parts)`` over object string arrays (scalars broadcast)."""
    out = " " + first
    for p in rest:
        out = out + " " + p
    assert not isinstance(out, str), "at least one part must be an array"
    return out


def _text(lines: Strs) -> str:
    return "\n".join(lines.tolist()) + "\n" if lines.shape[0] else ""


def _row_types(lo: NDArray[np.float64], hi: NDArray[np.float64]) -> NDArray[np.str_]:
    fin_lo, fin_hi = np.isfinite(lo), np.isfinite(hi)
    types = np.full(lo.shape[0], "N", dtype="<U1")
    types[fin_lo & ~fin_hi] = "G"
    types[~fin_lo & fin_hi] = "L"
    both = fin_lo & fin_hi
    types[both] = "G"  # ranged: rhs = lower, range = upper - lower
    types[both & (lo == hi)] = "E"
    return types


def _columns(milp: MilpArrays, rnames: Strs) -> Iterator[str]:
    """COLUMNS text, column by column, with integer markers around integer runs."""
    n = milp.num_cols
    A = milp.A.tocsc()
    A.sum_duplicates()
    A.eliminate_zeros()
    counts = np.diff(A.indptr)
    # Every column must appear at least once, so a column with neither cost nor
    # matrix entries gets an explicit zero cost.
    obj_cols = np.flatnonzero((milp.c != 0) | (counts == 0))
    cols = np.concatenate([obj_cols, np.repeat(np.arange(n), counts)])
    rows = np.concatenate([np.full(obj_cols.shape[0], -1), A.indices])
    vals = np.concatenate([milp.c[obj_cols], A.data])
    order = np.argsort(cols, kind="stable")  # objective entry first within a column
    cols, rows, vals = cols[order], rows[order], vals[order]
    row_text = np.concatenate([rnames, np.array(["OBJ"], dtype=object)])  # -1 -> OBJ
    cnames = _names("C", n)

    # Markers go before the first entry of each integer run and after its last.
    ints = np.asarray(milp.integrality, dtype=bool)
    edges = np.diff(np.concatenate([[0], ints.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    first_entry = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=n))])
    run = np.arange(starts.shape[0]).astype(str)
    pos = np.concatenate([first_entry[starts], first_entry[stops]])
    marks = np.concatenate([np.char.add(np.char.add(" M", run), " 'MARKER' 'INTORG'"),
                            np.char.add(np.char.add(" M", run), " 'MARKER' 'INTEND'")])
    mo = np.argsort(pos, kind="stable")
    pos, marks = pos[mo], marks[mo]

    total = cols.shape[0]
    for s in range(0, max(total, 1), _CHUNK):
        e = min(s + _CHUNK, total)
        lines = _lines(cnames[cols[s:e]], row_text[rows[s:e]], _num(vals[s:e]))
        here = (pos >= s) & ((pos < e) | ((pos == e) & (e == total)))
        if here.any():
            lines = np.insert(lines, pos[here] - s, marks[here].astype(object))
        if lines.shape[0]:
            yield _text(lines)


def _bounds(milp: MilpArrays) -> Strs:
    lo = np.asarray(milp.col_lower, dtype=np.float64)
    hi = np.asarray(milp.col_upper, dtype=np.float64)
    ints = np.asarray(milp.integrality, dtype=bool)
    j = np.arange(milp.num_cols)
    fin_lo, fin_hi = np.isfinite(lo), np.isfinite(hi)
    fixed = fin_lo & fin_hi & (lo == hi)
    free = ~fin_lo & ~fin_hi
    # LO unless it is the default 0 of a continuous column; integer columns and
    # columns with a negative upper bound always state it (readers differ there).
    w_lo = fin_lo & ~fixed & ((lo != 0) | ints | (fin_hi & (hi < 0)))
    w_mi = ~fin_lo & fin_hi
    w_up = fin_hi & ~fixed
    w_pl = ints & fin_lo & ~fin_hi  # explicit +inf upper bound for integers
    kinds = [("FX", fixed, lo), ("FR", free, None), ("MI", w_mi, None), ("LO", w_lo, lo),
             ("UP", w_up, hi), ("PL", w_pl, None)]
    cnames = _names("C", milp.num_cols)
    keys: list[NDArray[np.int64]] = []
    text: list[Strs] = []
    for rank, (kind, mask, val) in enumerate(kinds):
        sel = j[mask]
        parts: list[Strs | str] = [kind, "BND", cnames[sel]]
        if val is not None:
            parts.append(_num(val[mask]))
        keys.append(sel * len(kinds) + rank)  # per column: MI/LO before UP
        text.append(_lines(*parts) if sel.shape[0] else np.empty(0, dtype=object))
    key = np.concatenate(keys)
    return np.concatenate(text)[np.argsort(key, kind="stable")]


def _chunks(milp: MilpArrays, name: str) -> Iterator[str]:
    lo = np.asarray(milp.row_lower, dtype=np.float64)
    hi = np.asarray(milp.row_upper, dtype=np.float64)
    if np.any(lo > hi) or np.any(milp.col_lower > milp.col_upper):
        raise ValueError("a lower bound exceeds its upper bound; MPS cannot express that")
    if np.any(np.isnan(milp.c)) or np.any(np.isnan(milp.A.data)):
        raise ValueError("NaN in the objective or the matrix")
    types = _row_types(lo, hi)
    rnames = _names("R", milp.num_rows)
    rhs_val = np.where(types == "L", hi, lo)
    has_rhs = (types != "N") & (rhs_val != 0)
    ranged = (types == "G") & np.isfinite(hi)

    head = f"NAME {name} FREE\n"
    if milp.sense == "max":
        head += "OBJSENSE\n    MAX\n"
    yield head + "ROWS\n N OBJ\n"
    if milp.num_rows:
        yield _text(_lines(types.astype(object), rnames))
    yield "COLUMNS\n"
    yield from _columns(milp, rnames)
    yield "RHS\n"
    if milp.offset != 0:
        yield _text(_lines("RHS", "OBJ", _num(np.array([-float(milp.offset)]))))
    if has_rhs.any():
        yield _text(_lines("RHS", rnames[has_rhs], _num(rhs_val[has_rhs])))
    if ranged.any():
        yield "RANGES\n" + _text(_lines("RNG", rnames[ranged], _num(hi[ranged] - lo[ranged])))
    bounds = _bounds(milp)
    if bounds.shape[0]:
        yield "BOUNDS\n" + _text(bounds)
    yield "ENDATA\n"


def mps_string(milp: MilpArrays, name: str = "siting") -> str:
    """The model as free-format MPS text."""
    return "".join(_chunks(milp, name))


def write_mps(milp: MilpArrays, path: str | os.PathLike[str], name: str = "siting") -> Path:
    """Write the model to ``path`` as free MPS, atomically (temp file, then rename)."""
    target = Path(path)
    chunks = _chunks(milp, name)
    first = next(chunks)  # validation errors surface before any file is created
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                               dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
            fh.write(first)
            for chunk in chunks:
                fh.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
