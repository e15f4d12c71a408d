"""Files written so that nothing is ever half-written or lost.

- :func:`write_atomic` writes one file: to a temporary file beside it, then
  renamed over it.
- :func:`write_folder` writes a whole output folder as a unit: every file goes
  into a new folder beside the target, which then takes the target's place in
  one atomic exchange (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two
  renames, the old folder kept until the new one is in place). Files of an
  earlier run never survive beside the new ones, and a run killed before the
  exchange leaves the earlier folder untouched. Runs writing the same folder
  take turns (a lock file ``.NAME.lock`` beside it while one writes), so one run never removes
  another's new folder; a run that finds the earlier folder set aside by a
  run killed between the two renames (``.NAME.old-*``, no ``NAME``) puts it
  back first.
- :func:`check_output_folder` refuses, before any work, a target that is a
  file, a link to nothing, cannot be written, or is a non-empty folder that
  no siting run wrote (so ``--out ~/Documents`` never replaces someone's
  documents).
- A file that cannot be written (disk full, quota, read-only) ends the write
  with :class:`WriteError`: one line naming the file, the earlier folder
  left as it was.

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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

from siting.errors import InputError, SitingError

#: A file's content, or a function that writes the file at the path it is given.
Content = str | bytes | Callable[[Path], object]

#: Files whose presence marks a folder as written by siting (safe to replace).
MARKERS = ("solution.json", "sweep.json")
#: Not for users: a folder where each run, its new folder ready, waits for the test
#: suite before it takes the target's place (a FIFO named by its process id), and says
#: when it waits for another run's turn (``PID.waiting``).
SWAP_GATE = "SITING_SWAP_GATE"


class WriteError(SitingError):
    """A file of an output could not be written (disk full, quota, read-only file system).

    An error of the environment, not of the input: the command exits 1.
    """


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


def geojson_text(frame: Any) -> str:
    r"""A GeoDataFrame as GeoJSON text, longitude/latitude when its CRS is known: the text of
    geopandas' ``to_json(drop_id=True, ensure_ascii=False)`` and a newline. A frame of
    points (none empty, none 3-D) has their geometries written from its coordinates at once
    instead of point by point; its properties are geopandas' own.

    >>> import geopandas as gpd, shapely
    >>> frame = gpd.GeoDataFrame({"id": ["a", None]}, crs=4326,
    ...                          geometry=[shapely.Point(116.3, 40.1), shapely.Point(116.4, 40.0)])
    >>> geojson_text(frame) == frame.to_json(drop_id=True, ensure_ascii=False) + "\n"
    True
    >>> geojson_text(frame)[:90]
    '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "a"}, '
    """
    import json

    import numpy as np
    import shapely

    if frame.crs is not None:
        frame = frame.to_crs(4326)
    shapes = np.asarray(frame.geometry.array, dtype=object)
    plain_points = bool(frame.columns.is_unique) and bool(
        np.all(shapely.get_type_id(shapes) == 0) and not shapely.is_empty(shapes).any()
        and not shapely.has_z(shapes).any())
    if not plain_points:
        return str(frame.to_json(drop_id=True, ensure_ascii=False)) + "\n"
    import pandas as pd

    # The properties as geopandas' iterfeatures makes them (na="null"): Python scalars of
    # each column, None where missing; taken column-wise rather than row by row.
    columns = frame.columns.drop(frame.geometry.name)
    values = frame[columns].astype(object)
    values[pd.isna(frame[columns]).values] = None
    names = list(columns)
    features = [{"type": "Feature", "properties": dict(zip(names, row, strict=True)),
                 "geometry": {"type": "Point", "coordinates": tuple(xy)}}
                for row, xy in zip(values.values.tolist(),
                                   shapely.get_coordinates(shapes).tolist(), strict=True)]
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False) + "\n"


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
    """The output folder ``path``, refused (:class:`InputError`) when it cannot be one.

    The path is named as written. A run killed between the two renames of the
    fallback swap has left the earlier folder aside; it is put back here.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "gone").symlink_to(d / "nowhere")
    >>> check_output_folder(d / "gone")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    siting.errors.InputError: .../gone: is a link to .../nowhere, which does not exist: ...
    """
    out = Path(path)
    if out.is_symlink() and not out.exists():
        raise InputError(f"is a link to {os.readlink(out)}, which does not exist: remove "
                         "the link or choose another --out", path=path)
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder: choose another --out", path=path)
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in MARKERS):
        raise InputError(
            "is a folder siting did not write (no solution.json): its files would be "
            "replaced; choose an empty or new folder",
            path=path,
        )
    parent = out.parent if str(out.parent) else Path(".")
    probe = parent
    while not probe.exists():  # the nearest existing ancestor must be writable
        if probe.is_symlink():
            raise InputError(f"is a link to {os.readlink(probe)}, which leads nowhere: "
                             "choose another --out", path=probe)
        probe = probe.parent
    if not probe.is_dir():
        raise InputError("is a file, not a folder: choose another --out", path=probe)
    for folder in (probe, *([out] if out.is_dir() else [])):
        why = _cannot_write(folder)
        if why:
            raise InputError(f"cannot write here ({why}): choose another --out",
                             path=path if folder == out else folder)
    if parent.is_dir():
        with _turn(out):
            _restore(out)
    return out


def write_folder(path: str | os.PathLike[str], files: Mapping[str, Content]) -> Path:
    """Write ``files`` (name → content) as the whole content of folder ``path``.

    ``files`` may also be added to an existing run's folder afterwards with
    :func:`write_atomic` (``report.html``), but a new run replaces the folder.
    A file that cannot be written raises :class:`WriteError` and leaves the
    earlier folder as it was.
    """
    out = check_output_folder(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _turn(out):
        _restore(out)
        _remove_leftovers(out)
        fresh = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        try:
            for name, content in files.items():
                _write_one(fresh / name, content, Path(path) / name, Path(path))
            _on_disk([(fresh / name, Path(path) / name) for name in files], Path(path))
            os.chmod(fresh, 0o777 & ~_umask())
            _wait_at_gate()
            _swap_in(fresh, out)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
    return out


def _write_one(target: Path, content: Content, shown: Path, folder: Path) -> None:
    """One file of a new folder (:func:`_on_disk` then syncs it); :class:`WriteError` when
    it cannot be written."""
    try:
        if callable(content):
            content(target)
        else:
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    except Exception as exc:
        _refuse(exc, shown, folder)


def _on_disk(written: list[tuple[Path, Path]], folder: Path) -> None:
    """The files written (path, name shown) on the disk: fsync'ed all at once, so that the
    file system commits them together rather than one after another (13 files: about 90
    -> 20 ms); :class:`WriteError` naming the first file that cannot be."""
    from concurrent.futures import ThreadPoolExecutor

    def sync(target: Path) -> Exception | None:
        try:
            with open(target, "rb") as fh:
                os.fsync(fh.fileno())
        except Exception as exc:
            return exc
        return None

    with ThreadPoolExecutor(max_workers=max(1, min(16, len(written)))) as pool:
        failures = list(pool.map(sync, [target for target, _ in written]))
    for (_, shown), exc in zip(written, failures, strict=True):
        if exc is not None:
            _refuse(exc, shown, folder)


def _refuse(exc: Exception, shown: Path, folder: Path) -> NoReturn:
    """Raise ``exc`` as a :class:`WriteError` naming ``shown`` when the disk failed, else as
    it is."""
    if not _is_write_failure(exc):
        raise exc
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    kept = "is as it was" if folder.is_dir() else "was not created"
    raise WriteError(f"{shown}: could not be written ({' '.join(why.split())}); "
                     f"{folder} {kept}") from None


def _is_write_failure(exc: Exception) -> bool:
    """An error of the disk rather than of the program: OSError, or GDAL's own words."""
    if isinstance(exc, OSError):
        return True
    text = str(exc).lower()
    return type(exc).__module__.startswith("pyogrio") and any(
        w in text for w in ("disk", "full", "space", "write", "read-only", "readonly"))


@contextlib.contextmanager
def _turn(out: Path) -> Iterator[None]:
    """Hold the lock of ``out`` (``.NAME.lock`` beside it): one run at a time replaces it.

    The lock is the system's (``flock``), so a run that dies releases it; the
    file goes when the turn ends, and a run that got the lock of a file gone
    meanwhile takes it again. Where there is no ``flock`` (Windows), runs do
    not wait for each other.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock = out.parent / f".{out.name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        except OSError:  # a folder we may write in but not create files in: no turn
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _say_waiting()
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            current = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)  # the lock of a file the previous run removed: take it again
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)  # releases the lock


def _cannot_write(folder: Path) -> str:
    """Why a file cannot be created in ``folder`` ('' when it can): tried, not guessed
    from permission bits (a read-only file system, an ACL, root's rights)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".siting-probe-", dir=folder)
    except OSError as exc:
        return (exc.strerror or str(exc)).lower()
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return ""


def _restore(out: Path) -> None:
    """Put back the earlier folder a run killed between the two renames left aside."""
    if out.exists() or out.is_symlink():
        return
    aside = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    for old in reversed(aside):
        if old.is_dir() and any((old / m).exists() for m in MARKERS):
            os.rename(old, out)
            return


def _say_waiting() -> None:
    gate = os.environ.get(SWAP_GATE)
    if gate:
        Path(gate, f"{os.getpid()}.waiting").touch()


def _wait_at_gate() -> None:
    """Wait, when the test suite asks (:data:`SWAP_GATE`), until it opens the gate."""
    gate = os.environ.get(SWAP_GATE)
    if not gate:
        return
    fifo = Path(gate, str(os.getpid()))
    os.mkfifo(fifo)
    with open(fifo, "rb") as fh:  # blocks until the test opens the other end
        fh.read()
    fifo.unlink()


def _swap_in(fresh: Path, out: Path) -> None:
    """Put ``fresh`` in the place of ``out``, atomically where the system allows."""
    if not out.exists():
        os.rename(fresh, out)
        return
    if _exchange(fresh, out):
        shutil.rmtree(fresh, ignore_errors=True)  # now holds the old run
        return
    _two_renames(fresh, out)


def _two_renames(fresh: Path, out: Path) -> None:
    """The swap where there is no atomic exchange: the old folder aside, the new one in.

    Killed between the two, the old folder waits aside (``.NAME.old-*``) and
    the next run puts it back (:func:`_restore`).
    """
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(fresh, out)
    except BaseException:
        os.rename(old, out)
        raise
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
