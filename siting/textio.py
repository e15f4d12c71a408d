"""The one text reader: a file's bytes as text, every failure a one-line error.

Every text input (CSV files, spec files, the benchmark formats) is read here.
A file that is valid UTF-8 is read as UTF-8 (a byte order mark is accepted and
dropped); another ``encoding`` (``"GBK"``, as Excel saves Chinese CSV files)
is used only for a file that is not. A byte that does not decode is named with
its offset and line, and when the whole file reads as GB18030 (GBK) the message
says so with the fix (``fix``: how the caller's user gives an encoding). A NUL
byte (a binary file) is refused.

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
>>> _ = p.write_bytes("id,名称\\n1,南湖\\n".encode("gbk"))
>>> read_text(p, fix='set [data] encoding = "{}"')  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
siting.errors.FormatError: ...: it reads as GBK (Chinese, as Excel saves it): set [data] ...
>>> read_text(p, encoding="GBK")
'id,名称\\n1,南湖\\n'
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from siting.errors import FormatError, InputError

__all__ = ["check_encoding", "read_head", "read_text", "reads_as_gbk"]

_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def check_encoding(name: str) -> str:
    """``name`` if Python knows the encoding, else a ``ValueError`` saying so.

    >>> check_encoding("GBK")
    'GBK'
    >>> check_encoding("gbk2")
    Traceback (most recent call last):
    ...
    ValueError: unknown text encoding 'gbk2' (e.g. "UTF-8", "GBK", "GB18030", "Big5", "CP1252")
    """
    try:
        codecs.lookup(name)
    except LookupError:
        raise ValueError(
            f"unknown text encoding {name!r} (e.g. \"UTF-8\", \"GBK\", \"GB18030\", \"Big5\", "
            "\"CP1252\")"
        ) from None
    return name


def read_text(path: str | Path, encoding: str | None = None, fix: str | None = None) -> str:
    """The file's text (see the module docstring); errors name the file and line.

    ``encoding``: the file's encoding when it is not UTF-8. ``fix``: how to give
    one, a format string taking the encoding's name (``'--encoding {}'``).
    """
    return read_head(path, encoding=encoding, fix=fix)[0]


def read_head(
    path: str | Path, limit: int | None = None, *, encoding: str | None = None,
    fix: str | None = None,
) -> tuple[str, bool]:
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
        text = _decode(raw, "utf-8-sig", complete)
    except UnicodeDecodeError as exc:
        if encoding is None or codecs.lookup(encoding).name == "utf-8":
            raise _not_text(raw, exc, "UTF-8", path, fix) from None
        try:
            text = _decode(raw, encoding, complete)
        except UnicodeDecodeError as again:
            raise _not_text(raw, again, encoding, path, None) from None
    if "\x00" in text:
        raise FormatError(
            "unexpected NUL byte (not a text file)",
            path=path,
            row=text.count("\n", 0, text.index("\x00")) + 1,
            value="0x00",
        )
    return text, complete


def _decode(raw: bytes, encoding: str, final: bool) -> str:
    return codecs.getincrementaldecoder(encoding)().decode(raw, final=final)


def reads_as_gbk(raw: bytes) -> bool:
    """The bytes decode as GB18030 into mostly common (GB2312) Chinese characters.

    Latin-1 text often decodes as GB18030 too, but into rare characters: an
    accented letter and the ASCII letter after it make one GBK-extension pair.
    """
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    wide = len(_NON_ASCII.findall(text))
    common = len(_NON_ASCII.findall(text.encode("gb2312", "ignore").decode("gb2312")))
    return wide > 0 and common >= 0.9 * wide


def _not_text(
    raw: bytes, exc: UnicodeDecodeError, encoding: str, path: Path, fix: str | None
) -> FormatError:
    """The error for a byte that does not decode, with a hint when the file reads as GBK."""
    message = f"not {encoding} text: invalid byte at byte offset {exc.start}"
    if encoding == "UTF-8" and reads_as_gbk(raw):
        how = fix.format("GBK") if fix else "save it as UTF-8"
        message += f": it reads as GBK (Chinese, as Excel saves it): {how}"
    return FormatError(
        message,
        path=path,
        row=raw.count(b"\n", 0, exc.start) + 1,
        value=f"0x{raw[exc.start]:02x}",
    )
