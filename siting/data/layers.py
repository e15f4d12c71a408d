"""Read one layer of any vector file.

A layer is named ``"FILE"`` or ``"FILE:LAYER"``: GeoPackage, GeoJSON, Shapefile
and every other format GDAL reads (through pyogrio), GeoParquet (``.parquet``,
through :func:`geopandas.read_parquet`, which needs pyarrow) or a CSV of points
(through the strict reader, without a CRS; its coordinate columns are ``x`` and
``y``, or the ones :class:`~siting.readers.csvfile.XY` names, or a longitude /
latitude pair). The part after the last ``:`` is the layer, unless it would
cut a drive letter or a folder (:mod:`siting.readers.names`).

Text encodings: a CSV file is UTF-8 or ``encoding``; a Shapefile's ``.dbf`` is
decoded by GDAL as its ``.cpg`` file says (or the code page byte of the
``.dbf``), and as ``encoding`` when one is given. A Shapefile with non-ASCII
text and neither is refused, showing how its text reads in the likely
encodings, since GDAL would read it as Latin-1 (garbled Chinese column names).
An attribute filter (``where_sql``, OGR SQL) is handed to GDAL.

>>> split_source("district.gpkg:homes")
('district.gpkg', 'homes')
>>> split_source("lots.geojson")
('lots.geojson', None)
"""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from siting.errors import FormatError, InputError
from siting.readers.names import layer_parts, not_found, well_named
from siting.readers.values import Where

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from siting.readers.csvfile import XY

__all__ = ["Layer", "list_layers", "listed_once", "open_layer", "read_layer", "split_source"]

PARQUET_SUFFIXES = (".parquet", ".geoparquet")


def split_source(source: str | Path) -> tuple[str, str | None]:
    """``"FILE:LAYER"`` → ``(FILE, LAYER)``; ``"FILE"`` → ``(FILE, None)``.

    A drive letter or a folder with a colon stays in FILE
    (:func:`siting.readers.names.layer_parts`).

    Parameters
    ----------
    source : str or pathlib.Path
        A file, or a file and a layer name after a colon.

    Returns
    -------
    (str, str or None)
        The file and the layer (None: the file's only or first layer).

    Raises
    ------
    siting.InputError
        A colon that is neither a drive's, a folder's nor the layer's, or an
        empty file or layer name.

    Examples
    --------
    >>> split_source("district.gpkg:blocks"), split_source("streets.shp")
    (('district.gpkg', 'blocks'), ('streets.shp', None))
    """
    text = str(source)
    if not well_named(text):
        raise InputError("a layer is named FILE or FILE:LAYER, with no other ':' in the "
                         "file's name", value=text)
    return layer_parts(text)


@dataclass
class Layer:
    """A layer as read: its frame, the name messages use, and how rows are numbered."""

    frame: gpd.GeoDataFrame
    label: str
    where: Where
    path: Path
    #: A CSV's coordinate columns as named in the file (``None`` for other formats).
    xy_columns: tuple[str, str] | None = None
    #: One sentence per choice made while reading (a filter, an encoding).
    notes: list[str] = field(default_factory=list)

    @property
    def lonlat(self) -> bool:
        """A CSV whose coordinate columns are named as longitude and latitude are."""
        from siting.readers.csvfile import is_lonlat

        return self.xy_columns is not None and is_lonlat(*self.xy_columns)


@dataclass(frozen=True)
class Reading:
    """How to read a user's layers: text encoding, CSV coordinate columns, and the
    names of the keys (or options) that set them, for messages."""

    encoding: str | None = None
    #: How to give an encoding, formatted with its name; the key (or option) messages name.
    encoding_fix: str = 'set [data] encoding = "{}"'
    xy: XY | None = None
    encoding_key: str = "data.encoding"


def list_layers(path: str | Path) -> list[str]:
    """Layer names of a GDAL file (one for GeoJSON / Shapefile).

    Parameters
    ----------
    path : str or pathlib.Path
        A vector file GDAL reads.

    Returns
    -------
    list of str
        Its layers, in the file's order.

    Raises
    ------
    siting.FormatError
        A file GDAL cannot read, with GDAL's message.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.gpkg"
    >>> gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=3857).to_file(path, layer="sites")
    >>> list_layers(path)
    ['sites']
    """
    import pyogrio

    listed = _LISTED.get()
    key = str(Path(path).resolve()) if listed is not None else ""
    if listed is not None and key in listed:
        return list(listed[key])
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL's message, on one line
        raise FormatError(
            f"not a readable vector file: {str(exc).splitlines()[0]}", path=path
        ) from None
    if listed is not None:
        listed[key] = names
    return list(names)


#: The layer names listed inside :func:`listed_once`, by file; None outside it.
_LISTED: ContextVar[dict[str, list[str]] | None] = ContextVar("listed", default=None)


@contextmanager
def listed_once() -> Iterator[None]:
    """Inside, each file's layers are listed once (GDAL opens a GeoPackage to list them,
    and a spec's layers are mostly one GeoPackage's); outside, every call lists afresh, so
    a file changed between two loads is seen as it is.

    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.gpkg"
    >>> gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=3857).to_file(path, layer="a")
    >>> with listed_once():
    ...     first = list_layers(path)
    ...     gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=3857).to_file(path, layer="b")
    ...     first, list_layers(path)
    (['a'], ['a'])
    >>> list_layers(path)
    ['a', 'b']
    """
    if _LISTED.get() is not None:  # already inside
        yield
        return
    token = _LISTED.set({})
    try:
        yield
    finally:
        _LISTED.reset(token)


def read_layer(source: str | Path) -> gpd.GeoDataFrame:
    """The layer ``"FILE"`` or ``"FILE:LAYER"`` as a GeoDataFrame (see the module docstring).

    Parameters
    ----------
    source : str or pathlib.Path
        Any vector format GDAL reads (GeoPackage, Shapefile, GeoJSON, ...), a
        GeoParquet file or a CSV of points; ``FILE:LAYER`` picks a layer.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer's features.

    Raises
    ------
    siting.InputError
        A missing file or layer, naming the layers there are.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.gpkg"
    >>> gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.Point(5, 5)], crs=3857).to_file(
    ...     path, layer="sites")
    >>> read_layer(f"{path}:sites")[["name"]]
      name
    0    A
    """
    return open_layer(source).frame


def open_layer(
    source: str | Path, key: str = "", reading: Reading | None = None, *,
    where_sql: str | None = None, where_key: str = "data.network_where",
    written: str | None = None,
) -> Layer:
    r"""Read a layer; ``key`` (e.g. ``"data.parcels"``) is named when the file is missing.

    ``reading``: encoding and CSV coordinate columns. ``where_sql``: an OGR SQL
    WHERE clause keeping some features (``where_key`` names it in messages).
    ``written``: the layer as the user wrote it (a spec's ``[data]`` value before
    it was made absolute), which messages then show; by default they show the
    path relative to the working folder when it lies inside it.

    >>> open_layer("/tmp/x/C:\\data\\lots.geojson", "data.parcels in plan.toml",
    ...            written="C:\\data\\lots.geojson")
    Traceback (most recent call last):
    ...
    siting.errors.InputError: C:\data\lots.geojson: file not found (data.parcels in plan.toml)
    """
    import geopandas as gpd  # here: a classic CSV folder reads no layer

    reading = reading or Reading()
    file, layer = split_source(source)
    path = Path(file)
    if written is not None:
        label, shown = written, layer_parts(written)[0]
    else:
        shown = _shown(path)
        label = shown if layer is None else f"{shown}:{layer}"
    if not path.exists():
        raise InputError(f"{not_found(path)}{f' ({key})' if key else ''}",
                         path=file if written is None else shown)
    suffix = path.suffix.lower()
    if where_sql is not None and suffix in (".csv", *PARQUET_SUFFIXES):
        raise InputError(f"{where_key} filters a layer GDAL reads, not a {suffix} file",
                         path=label, field=where_key, value=where_sql)
    if suffix == ".csv":
        if layer is not None:
            raise InputError("a CSV file has no layers: name the file alone", path=label)
        return _csv_layer(path, reading, None if written is None else label)
    if suffix in PARQUET_SUFFIXES:
        if layer is not None:
            raise InputError("a GeoParquet file has no layers: name the file alone", path=label)
        return Layer(_read_parquet(path, label), label, Where(label), path)
    if layer is not None:
        names = list_layers(path)
        if layer not in names:
            close = difflib.get_close_matches(layer, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"no layer {layer!r} (layers: {', '.join(names)}){hint}",
                path=path if written is None else shown,
                field="layer",
                value=layer,
            )
    notes: list[str] = []
    options: dict[str, str] = {}
    shapefile = suffix in (".shp", ".dbf")
    if shapefile:
        options.update(_dbf_encoding(path, label, reading, notes))
    if where_sql is not None:
        options["where"] = where_sql
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", **options)
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"its text does not decode as {reading.encoding} ({exc.reason} at byte "
            f"{exc.start} of a value): give the encoding of its .dbf "
            f"({reading.encoding_fix.format('…')})", path=label, field=reading.encoding_key,
            value=reading.encoding,
        ) from None
    except Exception as exc:  # GDAL's message, on one line
        text = str(exc).splitlines()[0]
        if where_sql is not None and "SQL" in text:
            said = text.split(f"{where_sql}: ", 1)[-1]
            raise InputError(
                f"not a filter GDAL accepts ({said}); OGR SQL, text in "
                "single quotes, e.g. 道路等级 <> '快速路'", path=label, field=where_key,
                value=where_sql,
            ) from None
        raise FormatError(f"cannot be read: {text}", path=label) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise FormatError("has no geometry column", path=label)
    if shapefile and "encoding" not in options and not _declared(path):
        _refuse_undeclared_text(frame, path, label, reading)
    if where_sql is not None:
        _filtered(frame, path, layer, label, where_sql, where_key, notes)
    return Layer(frame, label, Where(label), path, notes=notes)


def _shown(path: Path) -> str:
    """The path as messages show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # outside, or a loop of links
        return str(path)


def relabelled(exc: InputError, path: str, reason: str | None = None) -> InputError:
    """The same refusal, naming the file ``path`` (as the user wrote it), with ``reason``
    for its message when given.

    >>> str(relabelled(FormatError("bad line", path="/tmp/x/a.csv", row=3), "a.csv"))
    'a.csv: row 3: bad line'
    """
    again = InputError.__new__(type(exc))
    InputError.__init__(again, exc.reason if reason is None else reason, path=path,
                        row=exc.row, field=exc.field, value=exc.value)
    return again


def _read_parquet(path: Path, label: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        return gpd.read_parquet(path)
    except ImportError:
        raise InputError(
            "reading GeoParquet needs pyarrow (pip install pyarrow)", path=label
        ) from None
    except Exception as exc:
        raise FormatError(f"cannot be read: {str(exc).splitlines()[0]}", path=label) from None


def _csv_layer(path: Path, reading: Reading, written: str | None = None) -> Layer:
    """A CSV of points; messages name it ``written`` (as the user wrote it) when given."""
    import geopandas as gpd

    from siting.readers.csvfile import XY, Column, read_csv

    shown = _shown(path)
    label = written or shown
    rules = {c: Column("coordinate", required=True) for c in ("x", "y")}
    try:
        table = read_csv(Path(shown), rules, known=("x", "y"),  # shown: the path, shorter
                         encoding=reading.encoding, fix=reading.encoding_fix,
                         xy=reading.xy or XY())
    except InputError as exc:
        if written is None or exc.path != shown:
            raise
        raise relabelled(exc, written) from None
    frame = table.frame
    geometry = gpd.points_from_xy(frame.pop("x").to_numpy(), frame.pop("y").to_numpy())
    where = Where(label, lines=table.lines)
    return Layer(gpd.GeoDataFrame(frame, geometry=geometry, crs=None), label, where, path,
                 xy_columns=table.xy_columns)


# ------------------------------------------------------------------ Shapefile text


def _sidecar(path: Path, suffix: str) -> Path | None:
    """The Shapefile's file with this suffix (any case), if there is one."""
    for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if cand.is_file():
            return cand
    return None


def _cpg(path: Path) -> str | None:
    """The encoding a ``.cpg`` file names (None without one)."""
    cpg = _sidecar(path, ".cpg")
    if cpg is None:
        return None
    text = cpg.read_bytes()[:100].decode("ascii", "replace").strip()
    return text or None


def _declared(path: Path) -> bool:
    """The ``.dbf`` says its encoding: a ``.cpg`` file, or a code page byte (LDID)."""
    if _cpg(path) is not None:
        return True
    dbf = _sidecar(path, ".dbf")
    if dbf is None:
        return False
    with open(dbf, "rb") as fh:
        head = fh.read(32)
    return len(head) > 29 and head[29] != 0


def _same_encoding(a: str, b: str) -> bool:
    try:
        return codecs.lookup(a).name == codecs.lookup(b).name
    except LookupError:
        return False


def _dbf_encoding(path: Path, label: str, reading: Reading, notes: list[str]) -> dict[str, str]:
    """The ``encoding`` to hand pyogrio: the one given, when the .cpg does not say it."""
    if reading.encoding is None:
        return {}
    cpg = _cpg(path)
    if cpg is not None and _same_encoding(cpg, reading.encoding):
        return {}
    if cpg is not None:
        notes.append(f"{label}: its text is read as {reading.encoding} ([data] encoding), not "
                     f"as its .cpg file says ({cpg}).")
    return {"encoding": reading.encoding}


def _refuse_undeclared_text(
    frame: gpd.GeoDataFrame, path: Path, label: str, reading: Reading
) -> None:
    """A .dbf with non-ASCII text and no declared encoding: GDAL read it as Latin-1."""
    import pandas as pd

    names = [str(c) for c in frame.columns if c != frame.geometry.name]
    samples = [n for n in names if not n.isascii()][:3]
    if not samples:
        for name in names:
            col = frame[name]
            if pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(
                col.dtype
            ):
                text = col.dropna().astype(str)
                wide = text[~text.map(str.isascii)]
                if len(wide):
                    samples = [str(v) for v in wide.iloc[:3]]
                    break
    if not samples:
        return
    from siting.textio import reads_as_gbk

    try:
        raw = [s.encode("latin-1") for s in samples]
    except UnicodeEncodeError:
        return  # not read as Latin-1: GDAL decoded it somehow; leave it
    guess = None
    for encoding in ("UTF-8", "GBK"):
        try:
            readings = [b.decode("gb18030" if encoding == "GBK" else "utf-8") for b in raw]
        except UnicodeDecodeError:
            continue
        if encoding == "UTF-8" or reads_as_gbk(b"".join(raw)):
            guess = encoding
            break
    shown = ", ".join(samples)
    if guess is not None:
        seen = f"read as Latin-1: {shown}; as {guess}: {', '.join(readings)}"
        fix = reading.encoding_fix.format(guess)
    else:
        seen = f"read as Latin-1: {shown}"
        fix = reading.encoding_fix.format("…")
    raise FormatError(
        f"its text is not ASCII and no .cpg file says its encoding ({seen}): {fix}, or write "
        f"the encoding into {path.with_suffix('.cpg').name}",
        path=label,
        field=reading.encoding_key,
    )


# ------------------------------------------------------------------ filter


def _filtered(
    frame: gpd.GeoDataFrame, path: Path, layer: str | None, label: str, where_sql: str,
    where_key: str, notes: list[str],
) -> None:
    """Say how many lines (features) a filter kept; refuse one that keeps none."""
    import pyogrio

    try:
        total = int(pyogrio.read_info(path, layer=layer)["features"])
    except Exception:  # a driver that cannot count
        total = -1
    of = f" of {total:,}" if total >= 0 else ""
    if not len(frame):
        none = f"none of the {total:,} lines" if total >= 0 else "no line"
        raise InputError(f"{where_key} keeps {none}", path=label, field=where_key,
                         value=where_sql)
    notes.append(f"{label}: {where_key} ({where_sql}) keeps {len(frame):,}{of} lines.")


def text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as text (empty where missing)."""
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str)
