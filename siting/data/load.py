"""The data of a multi-service spec, from its ``[data]`` table or an instance folder.

:func:`load_service_data` reads the layers a spec's ``[data]`` table names (or
the folder shorthand, :func:`folder_table`), brings them into one metric CRS,
maps the user's column names onto the canonical ones the model reads
(``block_id``, ``subdistrict``, ``parcel_id``, ``area_m2``, ``allowed_uses``,
``year_available``, ``land_cost_est``, ``facility_id``, ``type``, ``capacity``)
and returns a :class:`~siting.multi.data.ServiceData`. The user's columns are
kept; ids are text. Every reprojection and every default taken is one
sentence in ``ServiceData.notes``:

- parcel area: the polygon's area (points need an area column); an area
  column is read in ``parcel_area_unit`` and checked against the polygons
  (:mod:`siting.data.parcels`);
- allowed uses: every facility type of the spec (a list is split at ``;`` ``,``
  ``、`` ``，`` ``；`` ``|``);
- year available: the spec's first year;
- land cost: 0;
- sub-district (``area``): blocks take the ``subdistricts`` polygon they lie in
  (else the nearest), or without polygons one area, ``"all"``; parcels and
  existing facilities take the polygon they lie in, else the nearest block's;
  the polygons' names are their ``subdistrict_name`` column (default: ``area``,
  else ``subdistrict``).

Every layer's coordinates are checked against its CRS (:mod:`siting.data.crs`);
CSV and Shapefile text is read in ``encoding`` when it is not UTF-8 or says
its own (:mod:`siting.data.layers`); the street layer may be filtered
(``network_where``) and built by the ``network_*`` keys.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pydantic import ValidationError

from siting.data.columns import (
    POLYGONS,
    check_geometry,
    read_ids,
)
from siting.data.crs import harmonise_crs
from siting.data.layers import (
    Layer,
    Reading,
    list_layers,
    listed_once,
    open_layer,
    relabelled,
)
from siting.data.load_layers import (
    area_column,
    block_columns,
    existing_columns,
    spec_needs,
    street_layer_network,
    subdistrict_names,
)
from siting.data.parcels import parcel_columns
from siting.errors import InputError, SitingError, SpecError
from siting.multi.data import ServiceData
from siting.multi.spec import NO_DATA, DataTable, Spec
from siting.readers.csvfile import XY
from siting.readers.names import layer_parts
from siting.textio import read_text

__all__ = ["as_written", "folder_table", "load_data_table", "load_service_data"]

#: Layers of the folder shorthand: (GeoPackage layer, [data] key); the first three required.
FOLDER_LAYERS = (
    ("blocks", "blocks"),
    ("parcels", "parcels"),
    ("existing", "existing"),
    ("subdistricts", "subdistricts"),
    ("parks", "existing_shapes"),
    ("network_edges", "network"),
)

_CACHE: OrderedDict[str, ServiceData] = OrderedDict()
_CACHE_SIZE = 4


def load_service_data(
    spec: Spec | None = None, instance: str | os.PathLike[str] | None = None, *,
    cache: bool = False,
) -> ServiceData:
    """The data a spec plans on.

    ``instance`` (an instance folder, :func:`folder_table`) replaces the spec's
    own data; else the spec's ``[data]`` table, else its ``meta.instance``
    folder. There is no default: data named nowhere are refused, naming the
    spec's file and both keys. ``cache`` keeps the last few loads in memory
    (repeated solves of one spec, e.g. a sweep).

    Parameters
    ----------
    spec : siting.multi.spec.Spec, optional
        The spec; its ``[data]`` table or ``meta.instance`` says where the data are.
    instance : str or os.PathLike, optional
        An instance folder, read instead of the spec's own data.
    cache : bool, default False
        Keep the last few loads in memory.

    Returns
    -------
    siting.multi.data.ServiceData
        Blocks, parcels, existing facilities and the optional layers, in one
        metric CRS, checked, with the loading notes.

    Raises
    ------
    siting.InputError
        A missing file, layer or column, or data that look wrong, naming the
        file, row, field and value; data named nowhere.

    Examples
    --------
    >>> load_service_data(None)
    Traceback (most recent call last):
    ...
    siting.errors.InputError: no data: give an instance folder or a spec naming its data
    """
    source: str | None = None
    if instance is not None and str(instance) != "":
        source = str(instance)
    elif spec is None:
        raise InputError("no data: give an instance folder or a spec naming its data")
    elif spec.data is None:
        if not spec.meta.instance:
            raise SpecError(NO_DATA, path=spec.file)
        source = spec.meta.instance
    if source is not None:
        try:
            table = folder_table(source)
        except InputError as exc:
            if instance is not None and str(instance) != "":
                raise
            raise _instance_as_written(exc, spec, source) from None
    else:
        assert spec is not None and spec.data is not None
        table = spec.data
    if not cache:
        return load_data_table(table, spec, source=source)
    key = json.dumps([table.model_dump(mode="json"), source, *spec_needs(spec)], default=str)
    if key not in _CACHE:
        _CACHE[key] = load_data_table(table, spec, source=source)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return _CACHE[key]


def folder_table(folder: str | os.PathLike[str]) -> DataTable:
    """The ``[data]`` table of an instance folder: one GeoPackage with layers ``blocks``,
    ``parcels``, ``existing`` and optionally ``subdistricts``, ``parks`` (existing
    shapes) and ``network_edges`` (a line layer; its ``length_m`` column is used).

    Parameters
    ----------
    folder : str or os.PathLike
        The folder (holding one ``.gpkg``) or the GeoPackage itself.

    Returns
    -------
    siting.multi.spec.DataTable
        The ``[data]`` table naming the GeoPackage's layers.

    Raises
    ------
    siting.InputError
        No folder, no or several GeoPackages, a required layer missing.

    Examples
    --------
    >>> folder_table("no-such-folder")
    Traceback (most recent call last):
    ...
    siting.errors.InputError: no-such-folder: instance folder not found
    """
    path = Path(folder)
    if path.is_file() and path.suffix.lower() == ".gpkg":
        gpkg = path
    elif path.is_dir():
        found = sorted(path.glob("*.gpkg"))
        if len(found) != 1:
            why = "no GeoPackage (.gpkg)" if not found else (
                f"{len(found)} GeoPackages ({', '.join(f.name for f in found)}); keep one"
            )
            raise InputError(f"the instance folder holds {why}", path=path)
        gpkg = found[0]
    else:
        raise InputError("instance folder not found", path=path)
    names = list_layers(gpkg)
    for layer, _ in FOLDER_LAYERS[:3]:
        if layer not in names:
            raise InputError(
                f"no layer {layer!r} (layers: {', '.join(names)})", path=gpkg, field="layer",
                value=layer,
            )
    keys: dict[str, Any] = {
        key: f"{gpkg}:{layer}" for layer, key in FOLDER_LAYERS if layer in names
    }
    if "network_edges" in names:
        import pyogrio

        fields = list(pyogrio.read_info(gpkg, layer="network_edges")["fields"])
        if "length_m" in fields:
            keys["network_length"] = "length_m"
    try:
        return DataTable.model_validate(keys)
    except ValidationError as exc:
        raise InputError(str(exc.errors()[0]["msg"]), path=gpkg) from None


def load_data_table(
    table: DataTable, spec: Spec | None = None, *, source: str | None = None
) -> ServiceData:
    """Read, check and map the layers of a ``[data]`` table (see the module docstring).

    ``source`` names the data in messages and solutions (default: the folder
    holding the layers' files).

    Parameters
    ----------
    table : siting.multi.spec.DataTable
        The ``[data]`` table: which layers, columns and conventions.
    spec : siting.multi.spec.Spec, optional
        The spec, for the columns its facility types need.
    source : str, optional
        Names the data in messages and solutions.

    Returns
    -------
    siting.multi.data.ServiceData
        As :func:`load_service_data`.

    Raises
    ------
    siting.InputError
        As :func:`load_service_data`.

    Examples
    --------
    >>> from siting.multi.spec import DataTable
    >>> load_data_table(DataTable(blocks="no-such.gpkg:blocks", parcels="no-such.gpkg:parcels"))
    Traceback (most recent call last):
    ...
    siting.errors.InputError: no-such.gpkg: file not found (data.blocks)
    """
    notes: list[str] = []
    reading = Reading(table.encoding, xy=XY(table.x, table.y))
    written = as_written(table, spec)
    in_spec = f" in {spec.file}" if spec is not None and written else ""
    with listed_once():  # the layers are mostly one GeoPackage's
        blocks = open_layer(table.blocks, f"data.blocks{in_spec}", reading,
                            written=written.get("blocks"))
        layers: dict[str, Layer] = {}
        for key in ("parcels", "existing", "existing_shapes", "subdistricts", "network"):
            value = getattr(table, key)
            if value is not None:
                where_sql = table.network_where if key == "network" else None
                layers[key] = open_layer(value, f"data.{key}{in_spec}", reading,
                                         where_sql=where_sql, written=written.get(key))
    for lay in (blocks, *layers.values()):
        notes += lay.notes
    for key, lay in (("blocks", blocks), ("parcels", layers["parcels"])):
        if not len(lay.frame):  # named here, where the file and layer are known
            raise InputError(f"no features: there is nothing to plan on (data.{key})",
                             path=lay.label)
    crs, said = harmonise_crs(blocks, list(layers.values()), table.crs)
    notes += said
    subdistricts = None
    if "subdistricts" in layers:
        subdistricts = subdistrict_names(layers["subdistricts"], table)
    block_columns(blocks, table, spec, notes, subdistricts)
    _, uses, first_year = spec_needs(spec)
    parcels = parcel_columns(layers["parcels"], table, spec, (uses, first_year), notes)
    if "existing" in layers:
        existing = existing_columns(layers["existing"], table, spec, notes)
    else:
        existing = gpd.GeoDataFrame(
            {c: pd.Series([], dtype="str") for c in ("facility_id", "type", "subdistrict")},
            geometry=gpd.GeoSeries([], crs=crs),
            crs=crs,
        )
    for key in ("parcels", "existing"):
        if key in layers:
            area_column(layers[key], blocks.frame, subdistricts, table.area, notes)
    if table.area and table.area not in existing.columns:
        existing[table.area] = existing["subdistrict"]
    shapes = None
    if "existing_shapes" in layers:
        lay = layers["existing_shapes"]
        check_geometry(lay, POLYGONS, "existing shapes")
        lay.frame["facility_id"] = read_ids(lay, table.existing_id, "data.existing_id")
        shapes = lay.frame
    network = None
    if "network" in layers:
        network = street_layer_network(layers["network"], table)
    folders = [str(lay.path.resolve().parent) for lay in (blocks, *layers.values())]
    return ServiceData(
        blocks=blocks.frame,
        parcels=parcels,
        existing=existing,
        network=network,
        subdistricts=subdistricts,
        source=source or os.path.commonpath(folders),
        existing_shapes=shapes,
        notes=notes,
        wheres={key: lay.where for key, lay in (("blocks", blocks), *layers.items())
                if key in ("blocks", "parcels", "existing")},
    )


def as_written(table: DataTable, spec: Spec | None) -> dict[str, str]:
    r"""The layers of a spec's ``[data]`` table as its file writes them, by key.

    :func:`~siting.multi.spec.load_spec` makes each path absolute against the
    spec's folder; messages show what the user typed instead. A key whose value
    no longer comes from the file (changed in code, or another table) is left out.

    >>> import tempfile, pathlib
    >>> from siting.multi.spec import load_spec
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "plan.toml").write_text('''
    ... [meta]
    ... name = "demo"
    ... years = [2026]
    ... [data]
    ... blocks = "data/district.gpkg:blocks"
    ... parcels = 'C:\\data\\lots.geojson'
    ... [facility.school]
    ... group = "children"
    ... radius_m = 500
    ... ''')
    >>> spec = load_spec(folder / "plan.toml")
    >>> spec.data.blocks == f"{folder.resolve()}/data/district.gpkg:blocks"
    True
    >>> as_written(spec.data, spec)
    {'blocks': 'data/district.gpkg:blocks', 'parcels': 'C:\\data\\lots.geojson'}
    """
    if spec is None or spec.file is None or table is not spec.data:
        return {}
    raw = _spec_table(spec.file, "data")
    try:
        spec_dir = Path(spec.file).resolve().parent
    except (OSError, RuntimeError):
        return {}
    found: dict[str, str] = {}
    for key in DataTable.LAYER_KEYS:
        value = raw.get(key)
        if isinstance(value, str) and getattr(table, key) == _made_absolute(value, spec_dir):
            found[key] = value
    return found


def _spec_table(file: str, name: str) -> dict[str, Any]:
    """A table of the spec file as written (empty if the file changed or went since)."""
    try:
        table = tomllib.loads(read_text(file)).get(name, {})
    except (SitingError, OSError, tomllib.TOMLDecodeError):
        return {}
    return table if isinstance(table, dict) else {}


def _instance_as_written(exc: InputError, spec: Spec | None, folder: str) -> InputError:
    """A refusal of the spec's ``meta.instance`` folder, naming it as the spec writes it."""
    if spec is None or spec.file is None or exc.path is None:
        return exc
    written = _spec_table(spec.file, "meta").get("instance")
    if not isinstance(written, str) or not exc.path.startswith(folder):
        return exc
    return relabelled(exc, written + exc.path[len(folder):],
                      f"{exc.reason} (meta.instance in {spec.file})")


def _made_absolute(value: str, spec_dir: Path) -> str:
    """``FILE[:LAYER]`` with FILE made absolute against the spec's folder, as
    :func:`~siting.multi.spec.load_spec` does (to recognise a value it read)."""
    file, layer = layer_parts(value)
    path = Path(file)
    if not path.is_absolute():
        try:
            path = (spec_dir / path).resolve()
        except (OSError, RuntimeError):  # a name too long, a loop of links
            path = spec_dir / path
    return str(path) if layer is None else f"{path}:{layer}"
