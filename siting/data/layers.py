"""Read one layer of any vector file, and bring layers into one metric CRS.

A layer is named ``"FILE"`` or ``"FILE:LAYER"``: GeoPackage, GeoJSON, Shapefile
and every other format GDAL reads (through pyogrio), GeoParquet (``.parquet``,
through :func:`geopandas.read_parquet`, which needs pyarrow) or a CSV of points
with ``x`` and ``y`` columns (through the strict reader, without a CRS). The
part after the only ``:`` is the layer: a path may itself hold no ``:``.

>>> split_source("district.gpkg:homes")
('district.gpkg', 'homes')
>>> split_source("lots.geojson")
('lots.geojson', None)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.data.values import Where
from siting.errors import CRSError, FormatError, InputError

__all__ = ["Layer", "list_layers", "open_layer", "read_layer", "split_source"]

PARQUET_SUFFIXES = (".parquet", ".geoparquet")


def split_source(source: str | Path) -> tuple[str, str | None]:
    """``"FILE:LAYER"`` → ``(FILE, LAYER)``; ``"FILE"`` → ``(FILE, None)``."""
    text = str(source)
    if text.count(":") > 1:
        raise InputError(
            "a layer is named FILE or FILE:LAYER, with no other ':' in the path",
            value=text,
        )
    if ":" in text:
        file, layer = text.split(":")
        if not file or not layer:
            raise InputError("a layer is named FILE or FILE:LAYER", value=text)
        return file, layer
    return text, None


@dataclass
class Layer:
    """A layer as read: its frame, the name messages use, and how rows are numbered."""

    frame: gpd.GeoDataFrame
    label: str
    where: Where
    path: Path


def list_layers(path: str | Path) -> list[str]:
    """Layer names of a GDAL file (one for GeoJSON / Shapefile)."""
    import pyogrio

    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL's message, on one line
        raise FormatError(
            f"not a readable vector file: {str(exc).splitlines()[0]}", path=path
        ) from None


def read_layer(source: str | Path) -> gpd.GeoDataFrame:
    """The layer ``"FILE"`` or ``"FILE:LAYER"`` as a GeoDataFrame (see the module docstring)."""
    return open_layer(source).frame


def open_layer(source: str | Path, key: str = "") -> Layer:
    """Read a layer; ``key`` (e.g. ``"data.parcels"``) is named when the file is missing."""
    file, layer = split_source(source)
    path = Path(file)
    shown = _shown(path)
    label = shown if layer is None else f"{shown}:{layer}"
    if not path.exists():
        raise InputError(f"file not found{f' ({key})' if key else ''}", path=path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if layer is not None:
            raise InputError("a CSV file has no layers: name the file alone", path=label)
        return _csv_layer(path)
    if suffix in PARQUET_SUFFIXES:
        if layer is not None:
            raise InputError("a GeoParquet file has no layers: name the file alone", path=label)
        return Layer(_read_parquet(path), label, Where(label), path)
    if layer is not None:
        names = list_layers(path)
        if layer not in names:
            close = difflib.get_close_matches(layer, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"no layer {layer!r} (layers: {', '.join(names)}){hint}",
                path=path,
                field="layer",
                value=layer,
            )
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # GDAL's message, on one line
        raise FormatError(
            f"cannot be read: {str(exc).splitlines()[0]}", path=label
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise FormatError("has no geometry column", path=label)
    return Layer(frame, label, Where(label), path)


def _shown(path: Path) -> str:
    """The path as messages show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(path)
    except ImportError:
        raise InputError(
            "reading GeoParquet needs pyarrow (pip install pyarrow)", path=path
        ) from None
    except Exception as exc:
        raise FormatError(f"cannot be read: {str(exc).splitlines()[0]}", path=path) from None


def _csv_layer(path: Path) -> Layer:
    from siting.data.csvfile import Column, read_csv

    label = _shown(path)
    rules = {c: Column("coordinate", required=True) for c in ("x", "y")}
    table = read_csv(Path(label), rules, known=("x", "y"))  # label: the path, shorter
    frame = table.frame
    geometry = gpd.points_from_xy(frame.pop("x").to_numpy(), frame.pop("y").to_numpy())
    where = Where(label, lines=table.lines)
    return Layer(gpd.GeoDataFrame(frame, geometry=geometry, crs=None), label, where, path)


# ------------------------------------------------------------------ CRS


def _crs_name(crs: Any) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def parse_crs(text: str, key: str = "data.crs") -> Any:
    """A CRS from user text (``"EPSG:25832"``, WKT, PROJ); a clear error otherwise."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjError

    try:
        return CRS.from_user_input(text)
    except ProjError:
        raise CRSError(f"{key}: not a CRS pyproj knows", field=key, value=text) from None


def harmonise_crs(
    blocks: Layer, others: list[Layer], crs: str | None = None
) -> tuple[Any, list[str]]:
    """Bring every layer into one metric CRS, in place; return it and one note per change.

    The blocks' CRS is the reference; a geographic one (degrees; standard GeoJSON is
    WGS 84) becomes its local UTM zone. A layer without a CRS (CSV) takes ``crs``
    when given, else the blocks' CRS as read; layers in another CRS are reprojected.
    """
    notes: list[str] = []
    given = parse_crs(crs) if crs is not None else None
    original = blocks.frame.crs
    if original is None:
        if given is None:
            unknown = [lay.label for lay in others if lay.frame.crs is not None]
            if unknown:
                raise CRSError(
                    f"the blocks have no CRS but {unknown[0]} has one: set [data] crs",
                    path=blocks.label,
                    field="data.crs",
                )
            _refuse_degrees(blocks)
            notes.append(
                f"{blocks.label} has no CRS (and [data] crs is not set): its coordinates "
                "are taken as metres, like every layer's."
            )
            return None, notes
        original = given
        blocks.frame = blocks.frame.set_crs(given)
        notes.append(f"{blocks.label} has no CRS: taken to be in {_crs_name(given)} ([data] crs).")
    target = original
    if original.is_geographic:
        target = blocks.frame.estimate_utm_crs()
        blocks.frame = blocks.frame.to_crs(target)
        notes.append(
            f"{blocks.label} is in {_crs_name(original)} (degrees): reprojected to its local "
            f"UTM zone, {_crs_name(target)}."
        )
    for lay in others:
        if lay.frame.crs is None:
            assumed = given if given is not None else original
            lay.frame = lay.frame.set_crs(assumed)
            why = "[data] crs" if given is not None else "the blocks' CRS"
            notes.append(f"{lay.label} has no CRS: taken to be in {_crs_name(assumed)} ({why}).")
        if lay.frame.crs != target:
            before = lay.frame.crs
            lay.frame = lay.frame.to_crs(target)
            notes.append(
                f"{lay.label} is in {_crs_name(before)}: reprojected to {_crs_name(target)}, "
                "the blocks' CRS."
            )
    return target, notes


def _refuse_degrees(layer: Layer) -> None:
    """Coordinates that all look like longitude/latitude with no CRS: ask for one."""
    bounds = np.asarray(layer.frame.total_bounds, dtype=float)
    if (
        len(layer.frame) > 1
        and np.all(np.isfinite(bounds))
        and -180 <= bounds[0] <= bounds[2] <= 180
        and -90 <= bounds[1] <= bounds[3] <= 90
        and max(bounds[2] - bounds[0], bounds[3] - bounds[1]) < 5
    ):
        raise CRSError(
            "has no CRS and its coordinates look like degrees (longitude, latitude): "
            'set [data] crs, e.g. crs = "EPSG:4326"',
            path=layer.label,
            field="data.crs",
        )


def text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as text (empty where missing)."""
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str)
