"""Line-structured formats: a header line, then one record a line.

The OR-Library p-median graph and the BDS files are read this way; the token
layer below is :mod:`siting.readers.text`.

>>> from pathlib import Path
>>> from siting.readers.text import Source
>>> record_lines(Source(Path("g.txt"), "2 1\\n\\n1 2 5\\n"), 3, "i j cost").tolist()
[2]
>>> record_lines(Source(Path("g.txt"), "2 1\\n1 2\\n"), 3, "i j cost")
Traceback (most recent call last):
siting.errors.FormatError: g.txt: row 2: value '1 2': expected 3 fields 'i j cost', found 2
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from siting.errors import FormatError
from siting.readers.text import Source

__all__ = ["record_lines"]


def record_lines(src: Source, fields: int, layout: str) -> NDArray[np.int64]:
    """The 0-based lines after the header line that hold tokens, each checked to hold ``fields``.

    Blank lines are skipped; the first line with the wrong number of tokens
    raises a :class:`~siting.errors.FormatError` quoting it and naming the
    expected ``layout``.
    """
    counts = src.line_counts()
    lines = np.flatnonzero(counts)[1:]
    wrong = lines[counts[lines] != fields]
    if wrong.size:
        line = int(wrong[0])
        raise FormatError(
            f"expected {fields} fields '{layout}', found {counts[line]}",
            path=src.path,
            row=line + 1,
            value=src.line_text(line + 1),
        )
    return lines.astype(np.int64, copy=False)
