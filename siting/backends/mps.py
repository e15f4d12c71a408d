"""Free-format MPS export of :class:`~siting.milp.MilpArrays`, built with array string ops.

Columns are named ``C0 .. Cn-1``, rows ``R0 .. Rm-1`` and the objective ``OBJ``;
integer columns sit between ``INTORG``/``INTEND`` markers and always get explicit
bounds (some readers take an integer column without bounds as binary). The
objective offset is written as the right-hand side of ``OBJ`` with its sign
flipped (the MPS convention), and ``sense == "max"`` as ``OBJSENSE MAX``. Rows
with both sides infinite become extra ``N`` rows, which readers usually drop.

>>> import numpy as np, scipy.sparse as sp
>>> from siting.milp import MilpArrays
>>> m = MilpArrays(c=np.array([3.0, 2.0]), A=sp.csr_matrix(np.array([[1.0, 1.0]])),
...     row_lower=np.array([1.0]), row_upper=np.array([np.inf]),
...     col_lower=np.zeros(2), col_upper=np.array([1.0, np.inf]),
...     integrality=np.array([True, False]), offset=5.0)
>>> print(mps_string(m), end="")
NAME siting
ROWS
 N OBJ
 G R0
COLUMNS
 M0 'MARKER' 'INTORG'
 C0 OBJ 3.0
 C0 R0 1.0
 M0 'MARKER' 'INTEND'
 C1 OBJ 2.0
 C1 R0 1.0
RHS
 RHS OBJ -5.0
 RHS R0 1.0
BOUNDS
 LO BND C0 0.0
 UP BND C0 1.0
ENDATA
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from siting.milp import MilpArrays

Strs = NDArray[np.str_]


def _num(values: NDArray[np.float64]) -> Strs:
    # numpy's float -> str is the shortest repr that round-trips exactly.
    return np.asarray(values, dtype=np.float64).astype(str)


def _names(prefix: str, idx: NDArray[np.int64]) -> Strs:
    return np.char.add(prefix, np.asarray(idx).astype(str))


def _join(*parts: Strs | str) -> Strs:
    """Element-wise concatenation of string arrays / scalars, separated by spaces."""
    out: Strs = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        out = np.char.add(np.char.add(out, " "), p)
    return out


def _row_types(lo: NDArray[np.float64], hi: NDArray[np.float64]) -> Strs:
    fin_lo, fin_hi = np.isfinite(lo), np.isfinite(hi)
    types = np.full(lo.shape[0], "N", dtype="<U1")
    types[fin_lo & ~fin_hi] = "G"
    types[~fin_lo & fin_hi] = "L"
    both = fin_lo & fin_hi
    types[both] = "G"  # ranged: rhs = lower, range = upper - lower
    types[both & (lo == hi)] = "E"
    return types


def _columns(milp: MilpArrays) -> Strs:
    """COLUMNS lines, column by column, with integer markers around integer runs."""
    n = milp.num_cols
    A = milp.A.tocsc()
    A.sum_duplicates()
    A.eliminate_zeros()
    counts = np.diff(A.indptr)
    # Every column must appear at least once, so a column with neither cost nor
    # matrix entries gets an explicit zero cost.
    obj_cols = np.flatnonzero((milp.c != 0) | (counts == 0))
    mat_cols = np.repeat(np.arange(n), counts)
    cols = np.concatenate([obj_cols, mat_cols])
    rows = np.concatenate([np.full(obj_cols.shape[0], "OBJ"), _names("R", A.indices)])
    vals = np.concatenate([milp.c[obj_cols], A.data])
    order = np.argsort(cols, kind="stable")  # objective entry first within a column
    cols, rows, vals = cols[order], rows[order], vals[order]
    lines = _join("", _names("C", cols), rows, _num(vals))

    ints = np.asarray(milp.integrality, dtype=bool)
    if not ints.any():
        return lines
    # Runs of integer columns: where integrality switches on / off.
    edges = np.diff(np.concatenate([[0], ints.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)  # first column of each run
    stops = np.flatnonzero(edges == -1)  # one past the last column of each run
    first_entry = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=n))])
    marker = _names(" M", np.arange(starts.shape[0]))
    org = np.char.add(marker, " 'MARKER' 'INTORG'")
    end = np.char.add(marker, " 'MARKER' 'INTEND'")
    pos = np.concatenate([first_entry[starts], first_entry[stops]])
    ins = np.concatenate([org, end])
    order = np.argsort(pos, kind="stable")
    return np.insert(lines, pos[order], ins[order])


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
    keys: list[NDArray[np.int64]] = []
    text: list[Strs] = []
    for rank, (kind, mask, val) in enumerate(kinds):
        sel = j[mask]
        line = _join("", kind, "BND", _names("C", sel))
        if val is not None:
            line = _join(line, _num(val[mask]))
        keys.append(sel * len(kinds) + rank)  # per column: MI/LO before UP
        text.append(line)
    key = np.concatenate(keys)
    return np.concatenate(text)[np.argsort(key, kind="stable")]


def mps_string(milp: MilpArrays, name: str = "siting") -> str:
    """The model as free-format MPS text."""
    lo = np.asarray(milp.row_lower, dtype=np.float64)
    hi = np.asarray(milp.row_upper, dtype=np.float64)
    if np.any(lo > hi) or np.any(milp.col_lower > milp.col_upper):
        raise ValueError("a lower bound exceeds its upper bound; MPS cannot express that")
    if np.any(np.isnan(milp.c)) or np.any(np.isnan(milp.A.data)):
        raise ValueError("NaN in the objective or the matrix")
    m = milp.num_rows
    types = _row_types(lo, hi)
    rnames = _names("R", np.arange(m))
    rhs_val = np.where(types == "L", hi, lo)
    has_rhs = (types != "N") & (rhs_val != 0)
    ranged = (types == "G") & np.isfinite(hi)

    parts: list[Strs] = [np.array([f"NAME {name}"])]
    if milp.sense == "max":
        parts.append(np.array(["OBJSENSE", "    MAX"]))
    parts.append(np.array(["ROWS", " N OBJ"]))
    parts.append(_join("", types, rnames))
    parts.append(np.array(["COLUMNS"]))
    parts.append(_columns(milp))
    parts.append(np.array(["RHS"]))
    if milp.offset != 0:
        parts.append(_join("", "RHS", "OBJ", _num(np.array([-float(milp.offset)]))))
    parts.append(_join("", "RHS", rnames[has_rhs], _num(rhs_val[has_rhs])))
    if ranged.any():
        parts.append(np.array(["RANGES"]))
        parts.append(_join("", "RNG", rnames[ranged], _num(hi[ranged] - lo[ranged])))
    bounds = _bounds(milp)
    if bounds.shape[0]:
        parts.append(np.array(["BOUNDS"]))
        parts.append(bounds)
    parts.append(np.array(["ENDATA", ""]))
    return "\n".join(np.concatenate(parts).tolist())


def write_mps(milp: MilpArrays, path: str | os.PathLike[str], name: str = "siting") -> Path:
    """Write the model to ``path`` as free MPS, atomically (temp file, then rename)."""
    target = Path(path)
    text = mps_string(milp, name=name)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                               dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
