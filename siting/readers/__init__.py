"""Strict, fast readers for the public benchmark formats, and the table of their optima.

Readers return plain frozen dataclasses of numpy / scipy arrays (0-based
positions), never engine objects:

- :func:`read_pmed` -> :class:`PmedData`: OR-Library p-median graph (``orlib-pmed``)
- :func:`read_scp` -> :class:`ScpData`: OR-Library set covering (``orlib-scp``)
- :func:`read_cap` -> :class:`CapData`: OR-Library warehouse location (``orlib-cap``)
- :func:`read_swain` -> :class:`PointsData`: Swain 55-node data (``swain``)
- :func:`read_bds` -> :class:`BdsData`: BDS maximal covering (``bds``)

:func:`detect_format` names the format of a file by looking at its first lines;
:func:`read_optima` loads ``instances/reference/optima.csv``. Every malformed
input raises :class:`~siting.errors.FormatError` (a missing or unreadable file:
:class:`~siting.errors.InputError`) naming the file, line, field and value.

>>> sorted(set(read_optima()["format"]))
['orlib-cap', 'orlib-pmed', 'orlib-scp', 'swain']
>>> detect_format(reference_dir() / "orlib-pmed" / "pmed1.txt")
'orlib-pmed'
"""

from __future__ import annotations

import csv
import importlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siting.errors import FormatError
from siting.textio import read_head, read_text

if TYPE_CHECKING:
    import pandas as pd

    from siting.readers.orlib import CapData, PmedData, ScpData, read_cap, read_pmed, read_scp
    from siting.readers.points import BdsData, PointsData, read_bds, read_swain
    from siting.readers.text import PathArg

__all__ = [
    "FORMATS",
    "OPTIMA_COLUMNS",
    "BdsData",
    "CapData",
    "PmedData",
    "PointsData",
    "ScpData",
    "detect_format",
    "read_bds",
    "read_cap",
    "read_optima",
    "read_pmed",
    "read_scp",
    "read_swain",
    "reference_dir",
]

#: The readers' names by module, imported when first asked for: a CSV folder, read by
#: :mod:`siting.readers.csvfile` in this package, needs none of them.
_READERS = {
    "orlib": ("CapData", "PmedData", "ScpData", "read_cap", "read_pmed", "read_scp"),
    "points": ("BdsData", "PointsData", "read_bds", "read_swain"),
}


def __getattr__(name: str) -> Any:
    for module, names in _READERS.items():
        if name in names:
            return getattr(importlib.import_module(f"siting.readers.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


#: Format names returned by :func:`detect_format`, in the order ties are broken.
FORMATS = ("orlib-pmed", "bds", "swain", "orlib-cap", "orlib-scp")
#: Columns of ``optima.csv``, in order.
OPTIMA_COLUMNS = ("instance", "format", "model", "p", "radius", "optimum", "source")
#: Environment variable naming a folder that replaces ``instances/reference``.
REFERENCE_ENV = "SITING_REFERENCE_DIR"

# detect_format looks at this much of a file: enough for dozens of lines of any format.
_SNIFF_BYTES = 1 << 16
_MAX_SNIFF_LINES = 60
_INT = re.compile(r"[+-]?[0-9]+")
_NUM = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BAD_CHAR = re.compile(r"[^\t\n\r\x20-\x7e]")
_NAME_HINTS = (
    ("pmed", "orlib-pmed"),
    ("scp", "orlib-scp"),
    ("cap", "orlib-cap"),
    ("bds", "bds"),
    ("swain", "swain"),
)


def _is_int(tok: str) -> bool:
    return _INT.fullmatch(tok) is not None


def _is_num(tok: str) -> bool:
    return _NUM.fullmatch(tok) is not None


def _swain_fields(line: str) -> list[str]:
    parts = [f.strip() for f in line.split(",")]
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


def _looks_swain(lines: list[str]) -> bool:
    for line in lines:
        f = _swain_fields(line)
        if len(f) != 4 or not _is_int(f[0]) or not all(map(_is_num, f[1:])):
            return False
    return True


def _looks_bds(toks: list[list[str]]) -> bool:
    if len(toks[0]) != 2 or not all(map(_is_int, toks[0])) or len(toks) < 2:
        return False
    return all(len(t) == 5 and t[0] in ("F", "C") and all(map(_is_num, t[1:])) for t in toks[1:])


def _looks_pmed(toks: list[list[str]]) -> bool:
    return all(len(t) == 3 and all(map(_is_int, t)) for t in toks)


def _looks_cap(toks: list[list[str]], complete: bool) -> bool:
    if len(toks[0]) != 2 or not all(map(_is_int, toks[0])) or len(toks) < 2:
        return False
    m = int(toks[0][0])
    pairs = toks[1 : 1 + m]
    for t in pairs:
        if len(t) != 2 or not (t[0].lower() == "capacity" or _is_num(t[0])) or not _is_num(t[1]):
            return False
    if len(toks) > 1 + m:
        # The first customer's demand stands alone on its line.
        return len(toks[1 + m]) == 1 and _is_num(toks[1 + m][0])
    # The sniffed text ended inside the capacity lines: fine unless that was the whole file.
    return not complete


def _looks_scp(toks: list[list[str]]) -> bool:
    if len(toks[0]) != 2 or len(toks) < 2:
        return False
    return all(_is_int(x) for t in toks for x in t)


def _name_hint(name: str) -> str | None:
    low = name.lower()
    for prefix, fmt in _NAME_HINTS:
        if low.startswith(prefix):
            return fmt
    return None


def detect_format(path: PathArg) -> str:
    """The format of ``path``: one of :data:`FORMATS`, by sniffing its first lines.

    Content decides; the file name (``pmed*``, ``scp*``, ``cap*``, ``BDS*``,
    ``swain*``) only breaks ties between formats the content allows (a small
    cap file with integer costs can also read as a set-covering stream), or
    names the format of a file no format fits, so that its reader reports
    the line at fault.
    Raises :class:`FormatError` when no format fits.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp, "data.txt")
    ...     _ = f.write_text("2 3\\nF 0 1 1 1\\nF 1 2 2 1\\nC 0 0 0 5\\n")
    ...     detect_format(f)
    'bds'
    """
    p = Path(path)
    text, complete = read_head(p, _SNIFF_BYTES)
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        raise FormatError(
            "unexpected character (not a text data file)",
            path=p,
            row=text.count("\n", 0, bad.start()) + 1,
            value=bad.group(),
        )
    lines = text.split("\n")
    if not complete:
        lines.pop()  # possibly cut in the middle
    numbered = [(k + 1, line.strip()) for k, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise FormatError("empty file", path=p)
    numbered = numbered[:_MAX_SNIFF_LINES]
    plain = [line for _, line in numbered]
    toks = [line.split() for line in plain]
    # A sample shorter than the whole file may end with a partial record.
    complete_sample = complete and len(numbered) < _MAX_SNIFF_LINES
    found = []
    if _looks_pmed(toks):
        found.append("orlib-pmed")
    if _looks_bds(toks):
        found.append("bds")
    if "," in plain[0] and _looks_swain(plain):
        found.append("swain")
    if _looks_cap(toks, complete_sample):
        found.append("orlib-cap")
    if _looks_scp(toks):
        found.append("orlib-scp")
    hint = _name_hint(p.name)
    if hint in found:
        return hint
    if found:
        return found[0]
    if hint is not None:
        # Named like one format but not fitting any: that format's strict reader
        # names the line and field at fault (a garbled or truncated file).
        return hint
    row, first = numbered[0]
    raise FormatError(
        "unknown format: not orlib-pmed, orlib-scp, orlib-cap, swain or bds",
        path=p,
        row=row,
        value=first,
    )


def reference_dir() -> Path:
    """Folder of the reference instances: ``$SITING_REFERENCE_DIR`` or ``instances/reference``.

    The default is found relative to the package (``siting/../instances/reference``).
    """
    env = os.environ.get(REFERENCE_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "instances" / "reference"


def read_optima(path: PathArg | None = None) -> pd.DataFrame:
    """The published optima: one row per (instance, model, p, radius).

    Columns :data:`OPTIMA_COLUMNS`; ``p`` is a nullable ``Int64`` (empty where the
    model has none), ``radius`` float64 (NaN where none), ``optimum`` float64.
    ``path`` defaults to ``reference_dir() / "optima.csv"``.

    >>> t = read_optima()
    >>> float(t.loc[t.instance == "pmed1", "optimum"].iloc[0])
    5819.0
    >>> t.loc[(t.instance == "swain") & (t.p == 1) & (t.radius == 5), "optimum"].tolist()
    [303.0]
    """
    import pandas as pd

    from siting.readers.text import convert_floats, convert_ints

    p = Path(path) if path is not None else reference_dir() / "optima.csv"
    text = read_text(p)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise FormatError("empty file", path=p)
    header = tuple(h.strip() for h in lines[0].split(","))
    if header != OPTIMA_COLUMNS:
        raise FormatError(
            f"header must be {','.join(OPTIMA_COLUMNS)}", path=p, row=1, value=lines[0]
        )
    # The csv module handles quoted fields (a source containing a comma).
    records = list(csv.reader(lines[1:]))
    for k, rec in enumerate(records):
        if len(rec) != len(OPTIMA_COLUMNS):
            raise FormatError(
                f"expected {len(OPTIMA_COLUMNS)} fields, found {len(rec)}",
                path=p,
                row=k + 2,
                value=lines[k + 1],
            )
    cols = {name: [r[c].strip() for r in records] for c, name in enumerate(OPTIMA_COLUMNS)}
    for name in ("instance", "format", "model"):
        empty = [k for k, v in enumerate(cols[name]) if not v]
        if empty:
            raise FormatError("empty value", path=p, row=empty[0] + 2, field=name, value="")
    unknown = [k for k, v in enumerate(cols["format"]) if v not in FORMATS]
    if unknown:
        k = unknown[0]
        raise FormatError(
            f"unknown format (known: {', '.join(FORMATS)})",
            path=p,
            row=k + 2,
            field="format",
            value=cols["format"][k],
        )

    def optional(name: str) -> tuple[np.ndarray, list[int]]:
        given = [k for k, v in enumerate(cols[name]) if v]
        vals = [cols[name][k] for k in given]
        if name == "p":
            arr: np.ndarray = convert_ints(vals, p, lambda j: (given[j] + 2, name))
        else:
            arr = convert_floats(vals, p, lambda j: (given[j] + 2, name))
        bad = np.flatnonzero(arr <= 0)
        if bad.size:
            j = int(bad[0])
            raise FormatError("must be > 0", path=p, row=given[j] + 2, field=name, value=vals[j])
        return arr, given

    p_vals, p_given = optional("p")
    r_vals, r_given = optional("radius")
    optimum = convert_floats(cols["optimum"], p, lambda k: (k + 2, "optimum"))
    n = len(records)
    p_col = pd.array([pd.NA] * n, dtype="Int64")
    p_col[p_given] = p_vals
    radius = np.full(n, np.nan)
    radius[r_given] = r_vals
    return pd.DataFrame(
        {
            "instance": pd.Series(cols["instance"]),
            "format": pd.Series(cols["format"]),
            "model": pd.Series(cols["model"]),
            "p": p_col,
            "radius": radius,
            "optimum": optimum,
            "source": pd.Series(cols["source"]),
        }
    )
