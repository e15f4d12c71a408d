"""Files written so that nothing is ever half-written or lost.

- :func:`write_atomic` writes one file: to a temporary file beside it, then
  renamed over it.
- :func:`write_folder` writes a whole output folder as a unit: every file goes
  into a new folder beside the target, which then takes the target's place in
  one atomic exchange (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two
  renames, the old folder kept until the new one is in place). Files of an
  earlier run never survive beside the new ones, and a run killed before the
  exchange leaves the earlier folder untouched.
- :func:`check_output_folder` refuses, before any work, a target that is a
  file, cannot be written, or is a non-empty folder that no siting run wrote
  (so ``--out ~/Documents`` never replaces someone's documents).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_atomic(d / "a.txt", "hello").read_text()
'hello'
>>> out = write_folder(d / "run", {"solution.json": "{}", "selected.csv": "site_id\\n"})
>>> sorted(p.name for p in out.iterdir())
['selected.csv', 'solution.json']
>>> out = write_folder(d / "run", {"solution.json": "{}"})      # replaces the whole folder
>>> sorted(p.name for p in out.iterdir())
['solution.json']
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from siting.errors import InputError

#: A file's content, or a function that writes the file at the path it is given.
Content = str | bytes | Callable[[Path], object]

#: Files whose presence marks a folder as written by siting (safe to replace).
MARKERS = ("solution.json", "sweep.json")


def write_atomic(path: str | os.PathLike[str], text: str | bytes) -> Path:
    """Write to a temporary file beside ``path`` then rename it over ``path``."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return write_with(path, lambda tmp: tmp.write_bytes(data))


def write_with(path: str | os.PathLike[str], writer: Callable[[Path], object]) -> Path:
    """``writer(tmp)`` writes a temporary file beside ``path``; it then replaces ``path``.

    The temporary file keeps the target's suffix (writers that choose a format
    by it, GDAL or HiGHS, see the right one). The file reaches the disk (fsync)
    before the rename, and gets the mode a plain ``open()`` would give it; on
    any failure the temporary file goes.
    """
    target = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.tmp-", suffix=target.suffix,
                                dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        writer(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _default_mode())
        os.replace(tmp, target)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return target


def write_gpkg(frame: object, path: Path, layer: str) -> None:
    """Write a GeoDataFrame as a GeoPackage whose bytes depend only on its content.

    GDAL stamps the time of writing into the file unless ``OGR_CURRENT_DATE``
    fixes it: identical inputs then give identical files.
    """
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")


def output_name(name: str, source: object = None) -> str:
    """``name`` as one folder name under ``out/``: no separators, nothing hidden or upward.

    >>> output_name("my-plan-2026-2030")
    'my-plan-2026-2030'
    >>> output_name("../../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    siting.errors.InputError: field 'meta.name': value '../../x': must be a plain name ...
    """
    text = str(name)
    if (not text or "/" in text or "\\" in text or text.startswith(".")
            or text in (".", "..") or "\x00" in text):
        raise InputError(
            "must be a plain name (no '/', '\\', '..' or leading '.'): it names the folder "
            "under out/", path=None if source is None else source, field="meta.name", value=text,
        )
    return text


def check_output_folder(path: str | os.PathLike[str]) -> Path:
    """The output folder ``path``, refused (:class:`InputError`) when it cannot be one."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder: choose another --out", path=out)
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in MARKERS):
        raise InputError(
            "is a folder siting did not write (no solution.json): its files would be "
            "replaced; choose an empty or new folder",
            path=out,
        )
    parent = out.parent if str(out.parent) else Path(".")
    probe = parent
    while not probe.exists():  # the nearest existing ancestor must be writable
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError("cannot write here (permission denied)", path=probe)
    return out


def write_folder(path: str | os.PathLike[str], files: Mapping[str, Content]) -> Path:
    """Write ``files`` (name → content) as the whole content of folder ``path``.

    ``files`` may also be added to an existing run's folder afterwards with
    :func:`write_atomic` (``report.html``), but a new run replaces the folder.
    """
    out = check_output_folder(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    fresh = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for name, content in files.items():
            target = fresh / name
            if callable(content):
                content(target)
            else:
                target.write_bytes(content.encode("utf-8") if isinstance(content, str)
                                   else content)
        for item in fresh.iterdir():
            with open(item, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(fresh, 0o777 & ~_umask())
        _swap_in(fresh, out)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return out


def _swap_in(fresh: Path, out: Path) -> None:
    """Put ``fresh`` in the place of ``out``, atomically where the system allows."""
    if not out.exists():
        os.rename(fresh, out)
        return
    if _exchange(fresh, out):
        shutil.rmtree(fresh, ignore_errors=True)  # now holds the old run
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    os.rename(fresh, out)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return int(done) == 0


def _remove_leftovers(out: Path) -> None:
    """Folders left beside ``out`` by a run killed half-way (never the target itself)."""
    for pattern in (f".{out.name}.new-*", f".{out.name}.old-*"):
        for stale in out.parent.glob(pattern):
            with contextlib.suppress(OSError):
                shutil.rmtree(stale)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _default_mode() -> int:
    return 0o666 & ~_umask()
