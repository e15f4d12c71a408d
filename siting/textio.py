"""The one text reader: a file's bytes as UTF-8 text, every failure a one-line error.

Every text input (CSV files, spec files, the benchmark formats) is read here:
a UTF-8 byte order mark is accepted and dropped, a byte that is not UTF-8 is
named with its offset and line, a NUL byte (a binary file) is refused.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
>>> _ = p.write_bytes(b"\\xef\\xbb\\xbfid,x\\n")
>>> read_text(p)
'id,x\\n'
>>> _ = p.write_bytes(b"id\\nK\\xf6ln\\n")
>>> read_text(p)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
siting.errors.FormatError: ...a.csv: row 2: value '0xf6': not UTF-8 text: invalid byte at ...
"""

from __future__ import annotations

import codecs
from pathlib import Path

from siting.errors import FormatError, InputError


def read_text(path: str | Path) -> str:
    """The file's text: UTF-8 (BOM accepted), no NUL bytes; errors name file and line."""
    return read_head(path)[0]


def read_head(path: str | Path, limit: int | None = None) -> tuple[str, bool]:
    """The text of the file's first ``limit`` bytes (all of it when None), and whether
    that is the whole file; a character cut at the limit is no error."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read() if limit is None else fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("cannot read: is a directory, not a file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    complete = limit is None or len(raw) <= limit
    raw = raw if limit is None else raw[:limit]
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=complete)
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"not UTF-8 text: invalid byte at byte offset {exc.start}",
            path=path,
            row=raw.count(b"\n", 0, exc.start) + 1,
            value=f"0x{raw[exc.start]:02x}",
        ) from None
    if "\x00" in text:
        raise FormatError(
            "unexpected NUL byte (not a text file)",
            path=path,
            row=text.count("\n", 0, text.index("\x00")) + 1,
            value="0x00",
        )
    return text, complete
