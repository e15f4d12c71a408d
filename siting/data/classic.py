"""A classic model's own data: CSV folders and GeoPackages, on straight lines or streets.

- **CSV**: a folder with ``demand.csv`` (``id, x, y, weight``) and ``sites.csv``
  (``id, x, y`` and optionally ``cost, fixed_cost, capacity, existing``), and
  optionally ``existing.csv``; or one CSV of points that are both. Read by the
  strict reader (:func:`siting.readers.csvfile.read_csv`): ids stay text,
  ``existing`` takes true/false, yes/no, 1/0, t/f, y/n only, a demand file needs
  ``weight`` unless unit weights are asked for, coordinates are finite with
  ``|v| <= 1e9``. The coordinate columns are ``x`` and ``y``, or those ``xy``
  names (``--xy lon,lat``), or a longitude / latitude pair (``lon``/``lat``,
  ``lng``, ``longitude``/``latitude``, ``经度``/``纬度``); text is UTF-8, or
  ``encoding`` (``--encoding GBK``) for a file that is not.
- **GeoPackage**: layers ``demand`` and ``sites`` (and optionally ``existing``),
  the same columns checked the same way, geometry instead of x/y.
- **CRS** (either format): ``crs`` (``--crs``) is the CRS of layers without one
  (every CSV); columns named as longitude / latitude mean WGS 84 unless ``crs``
  says otherwise. Coordinates without a CRS that look like longitude / latitude
  are refused, as are coordinates that cannot be in their CRS and files lying
  more than 10 km from the demand (:mod:`siting.data.crs`). Layers in another CRS
  than the demand's are reprojected to it; a geographic CRS (degrees) becomes
  its local UTM zone, so that a radius is in metres. Each change is said in
  :attr:`siting.instance.Instance.notes`.
- **Street network** (either format): ``network = "FILE[:LAYER]"``, a line layer
  of walkable streets (:func:`siting.data.street_network`), reprojected to the
  instance's CRS; distances are then walking distances.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siting.coverage import EuclideanMetric
from siting.data.crs import (
    WGS84,
    check_fits,
    check_near,
    crs_name,
    degrees_refused,
    frame_bounds,
    looks_like_degrees,
    parse_crs,
)
from siting.data.street_rules import StreetRules
from siting.errors import CRSError, FormatError, InputError
from siting.instance import Instance

if TYPE_CHECKING:
    import pandas as pd

    from siting.data.layers import Reading
    from siting.readers.csvfile import XY, CsvTable

#: Columns the CSV / GeoPackage layers may carry; a near miss (``wieght``) is refused.
KNOWN_COLUMNS = ("id", "x", "y", "weight", "cost", "fixed_cost", "capacity", "existing")


def csv_columns(role: str, unit_weights: bool) -> dict[str, Any]:
    """Conversion rules of a classic CSV file: ``demand``, ``sites``, ``existing`` or ``both``."""
    from siting.readers.csvfile import Column

    coord = {
        c: Column("coordinate", required=True, missing=f"{role} has neither a geometry nor a "
                  f"column {c!r}")
        for c in ("x", "y")
    }
    rules: dict[str, Column] = {"id": Column("id"), **coord}
    if role in ("demand", "both"):
        rules["weight"] = Column(
            "number",
            required=not unit_weights,
            missing="missing column 'weight': every demand point needs a weight "
            "(or ask for unit weights: --unit-weights)",
        )
    if role in ("sites", "both"):
        rules["cost"] = Column("number")
        rules["fixed_cost"] = Column("number", allow_missing=True)
        rules["existing"] = Column("boolean")
    if role != "demand":
        rules["capacity"] = Column("number", allow_inf=True)
    return rules


#: The note of a CSV instance read without a CRS.
NO_CRS = ("the CSV files have no CRS (and --crs is not given): distances are in the unit of "
          "their coordinates")
#: How the messages of the classic loaders say to give a CRS or an encoding.
CRS_FIX = "give --crs {}"
ENCODING_FIX = "give --encoding {}"


def reading(encoding: str | None = None, xy: tuple[str, str] | None = None) -> Reading:
    """How the classic loaders read text and find CSV coordinate columns."""
    from siting.data.layers import Reading
    from siting.readers.csvfile import XY

    x, y = xy or (None, None)
    return Reading(encoding, ENCODING_FIX, XY(x, y, how="--xy X,Y"), "--encoding")


def read_classic_table(
    path: Path, role: str = "both", unit_weights: bool = False, how: Reading | None = None
) -> CsvTable:
    """A classic CSV file through the strict reader (siting.readers.csvfile)."""
    from siting.readers.csvfile import read_csv

    how = how or reading()
    what = "demand" if role == "both" else role
    return read_csv(path, csv_columns(role, unit_weights), known=KNOWN_COLUMNS, what=what,
                    encoding=how.encoding, fix=how.encoding_fix, xy=how.xy)


def read_classic_csv(path: Path, role: str = "both", unit_weights: bool = False) -> pd.DataFrame:
    """The frame of :func:`read_classic_table`."""
    return read_classic_table(path, role, unit_weights).frame


def load_csv(
    p: Path, *, unit_weights: bool = False, network: str | None = None,
    crs: str | None = None, encoding: str | None = None, xy: tuple[str, str] | None = None,
    streets: StreetRules | None = None,
) -> Instance:
    """The instance of a CSV folder or a single CSV of points (see the module docstring)."""
    how = reading(encoding, xy)
    if network is None and crs is None:
        plain = _plain_csv(p, unit_weights, how)
        if plain is not None:
            return plain
    if p.is_dir():
        dpath, spath, epath = p / "demand.csv", p / "sites.csv", p / "existing.csv"
        for need in (dpath, spath):
            if not need.exists():
                raise InputError(
                    "file not found (a CSV folder needs demand.csv and sites.csv)", path=need
                )
        tables = {"demand": read_classic_table(dpath, "demand", unit_weights, how),
                  "sites": read_classic_table(spath, "sites", how=how)}
        if epath.exists():
            tables["existing"] = read_classic_table(epath, "existing", how=how)
    else:
        dpath = spath = epath = p
        tables = {"demand": read_classic_table(p, "both", unit_weights, how)}
        tables["sites"] = tables["demand"]
    notes: list[str] = []
    frames, original, target = _csv_crs(tables, crs, notes)
    demand, sites, existing = frames["demand"], frames["sites"], frames.get("existing")
    ex_arg: Any = existing
    if existing is None and "existing" in sites.columns:
        ex_arg = "existing"
    walk = _network(network, original, target, (str(dpath), demand), notes,
                    given=crs, how=how, rules=streets)
    inst = Instance.from_frames(
        demand, sites, **_columns(demand, sites), existing=ex_arg, name=p.stem, source=str(p),
        paths={"demand": dpath, "sites": spath, "existing": epath},
        row_base=2,  # the header is line 1: rows are the file's line numbers
        network=walk,
    )
    inst.notes = notes
    return inst


def _plain_csv(p: Path, unit_weights: bool, how: Reading) -> Instance | None:
    """The instance of a plain CSV folder or file, read without pandas: no CRS, no
    ``existing.csv``, every cell plainly valid (:mod:`siting.readers.plain`); the same
    instance as the strict path's, its frames made when first read. None for anything
    else, which the strict path reads (and, if wrong, says why)."""
    from siting.readers.csvfile import is_lonlat, records
    from siting.readers.plain import plain_columns

    files = {"demand": p / "demand.csv", "sites": p / "sites.csv"} if p.is_dir() else {
        "both": p}
    if (p / "existing.csv").exists() or not all(f.is_file() for f in files.values()):
        return None
    read: dict[str, Any] = {}
    try:
        for role, path in files.items():
            rules = csv_columns(role, unit_weights)
            found = records(path, rules, known=KNOWN_COLUMNS,
                            what="demand" if role == "both" else role, encoding=how.encoding,
                            fix=how.encoding_fix, xy=how.xy)
            columns = plain_columns(found, rules)
            if columns is None or not found.body or (
                    found.xy_columns is not None and is_lonlat(*found.xy_columns)):
                return None
            read[role] = found, columns
        demand, sites = (read[role][1] if role in read else read["both"][1]
                         for role in ("demand", "sites"))
        for found, columns in read.values():
            if looks_like_degrees(frame_bounds(columns)):
                return None
            check_near((str(files.get("demand", p)), demand), (str(found.path), columns), "")
    except InputError:
        return None
    n, m = len(demand["x"]), len(sites["x"])
    cost = sites.get("cost", np.ones(m))
    demand_xy = np.column_stack([demand["x"], demand["y"]])
    site_xy = np.column_stack([sites["x"], sites["y"]])
    inst = CsvInstance(
        name=p.stem, demand_ids=demand.get("id", np.arange(n)),
        weight=demand.get("weight", np.ones(n)),
        site_ids=sites["id"].copy() if "id" in sites else np.arange(m),
        metric=EuclideanMetric(demand_xy, site_xy), site_cost=cost,
        fixed_cost=sites.get("fixed_cost", cost.copy()),
        capacity=sites.get("capacity", np.full(m, np.inf)),
        existing=sites.get("existing", np.zeros(m, dtype=bool)), source=str(p),
        demand_xy=demand_xy, site_xy=site_xy,
    )
    inst.notes = [NO_CRS]
    inst.frames = CsvFrames({role: (found.path, found.text) for role, (found, _) in
                             read.items()}, unit_weights, how.xy)
    return inst


@dataclass
class CsvFrames:
    """How a plain CSV instance's frames are made: the strict reader's records and
    conversion of the text already read (so they are the frames the strict path keeps;
    the text is smaller than its rows)."""

    texts: dict[str, tuple[Path, str]]
    unit_weights: bool
    xy: XY | None

    def __call__(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        from siting.readers.csvfile import converted, records_of

        frames = {}
        for role, (path, text) in self.texts.items():
            what = "demand" if role == "both" else role
            rules = csv_columns(role, self.unit_weights)
            found = records_of(text, path, rules, known=KNOWN_COLUMNS, what=what, xy=self.xy)
            frames[role] = converted(found, rules, what).frame
        if "both" in frames:
            return frames["both"], frames["both"]
        return frames["demand"], frames["sites"]


class CsvInstance(Instance):
    """An :class:`~siting.instance.Instance` of a plain CSV folder: its ``demand_frame``
    and ``site_frame`` (for the solution's frames and files) are made when first read,
    so that a solve that reads neither imports no pandas."""

    frames: CsvFrames | None = None

    @property
    def demand_frame(self) -> pd.DataFrame | None:
        self._made()
        return self.__dict__["_demand_frame"]

    @demand_frame.setter
    def demand_frame(self, frame: pd.DataFrame | None) -> None:
        self.__dict__["_demand_frame"] = frame

    @property
    def site_frame(self) -> pd.DataFrame | None:
        self._made()
        return self.__dict__["_site_frame"]

    @site_frame.setter
    def site_frame(self, frame: pd.DataFrame | None) -> None:
        self.__dict__["_site_frame"] = frame

    def _made(self) -> None:
        if self.frames is not None:
            make, self.frames = self.frames, None
            self.__dict__["_demand_frame"], self.__dict__["_site_frame"] = make()


def _csv_crs(
    tables: dict[str, CsvTable], crs: str | None, notes: list[str]
) -> tuple[dict[str, Any], Any, Any]:
    """The CSV frames checked against their CRS (``--crs``, else WGS 84 for lon/lat
    columns, else none), as GeoDataFrames in a metric CRS when they have one; and the
    CRS they were read in and the one they are in."""
    labels = {role: str(t.path) for role, t in tables.items()}
    lonlat = [t for t in tables.values() if t.lonlat]
    if crs is None and not lonlat:
        # No CRS: the checks read the x, y columns (no geometry, so no geopandas).
        plain = {role: t.frame for role, t in tables.items()}
        for role, frame in plain.items():
            bounds = frame_bounds(frame)
            if looks_like_degrees(bounds):
                raise degrees_refused(labels[role], bounds, CRS_FIX, "--crs")
        for role, frame in plain.items():
            check_near((labels["demand"], plain["demand"]), (labels[role], frame),
                       "check their coordinates (or give --crs)")
        notes.append(NO_CRS)
        return plain, None, None
    import geopandas as gpd

    points = {role: gpd.GeoSeries(gpd.points_from_xy(t.frame["x"], t.frame["y"]))
              for role, t in tables.items()}
    if crs is not None:
        original, why = parse_crs(crs, "--crs"), "--crs"
    else:
        original, why = parse_crs(WGS84), "columns named as longitude/latitude"
        x, y = lonlat[0].xy_columns or ("x", "y")
        notes.append(f"{lonlat[0].path.name}: columns {x!r} and {y!r} are taken as WGS 84 "
                     f"longitude/latitude ({WGS84}); give --crs if they are not")
    for role, pts in points.items():
        check_fits(pts, original, labels[role], why, CRS_FIX, "--crs")
    target = original
    demand = gpd.GeoDataFrame(geometry=points["demand"], crs=original)
    if original.is_geographic:
        target = demand.estimate_utm_crs()
        notes.append(f"the points are in {crs_name(original)} ({why}, degrees): projected to "
                     f"their local UTM zone, {crs_name(target)}, so that distances are in "
                     "metres")
    frames: dict[str, Any] = {}
    for role, t in tables.items():
        geometry = points[role].set_crs(original).to_crs(target)
        frames[role] = gpd.GeoDataFrame(t.frame, geometry=geometry.to_numpy(), crs=target)
    for role, frame in frames.items():
        check_near((labels["demand"], frames["demand"]), (labels[role], frame),
                   "check their coordinates and CRS (--crs)")
    return frames, original, target


def load_gpkg(
    p: Path, *, unit_weights: bool = False, network: str | None = None,
    crs: str | None = None, encoding: str | None = None, streets: StreetRules | None = None,
) -> Instance:
    """The instance of a GeoPackage with layers demand, sites (and existing)."""
    import pyogrio

    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(p)}
    except Exception as exc:  # GDAL's message, on one line
        raise FormatError(f"not a readable GeoPackage: {str(exc).splitlines()[0]}",
                          path=p) from None
    for need in ("demand", "sites"):
        if need not in layers:
            raise FormatError(
                f"layer {need!r} missing (layers: {', '.join(sorted(layers))})",
                path=p, field="layer", value=need,
            )
    frames: dict[str, Any] = {
        name: _layer(p, name, unit_weights) for name in ("demand", "sites", "existing")
        if name in layers
    }
    notes: list[str] = []
    original = _given_crs(frames, p, crs, notes)
    target = _metric_crs(frames, p, notes)
    demand, sites, existing = frames["demand"], frames["sites"], frames.get("existing")
    walk = _network(network, original, target, (f"{p}:demand", demand), notes, given=crs,
                    how=reading(encoding), rules=streets)
    inst = Instance.from_frames(
        demand, sites, **_columns(demand, sites),
        existing="existing" if existing is None and "existing" in sites.columns else existing,
        name=p.stem, source=str(p), row_base=1, network=walk,  # features are numbered from 1
    )
    inst.notes = notes
    return inst


def _columns(demand: pd.DataFrame, sites: pd.DataFrame) -> dict[str, Any]:
    """The column arguments of Instance.from_frames present in these frames."""
    return {
        "demand_id": "id" if "id" in demand.columns else None,
        "site_id": "id" if "id" in sites.columns else None,
        "weight": "weight" if "weight" in demand.columns else None,
        "cost": "cost" if "cost" in sites.columns else None,
        "fixed_cost": "fixed_cost" if "fixed_cost" in sites.columns else None,
        "capacity": "capacity" if "capacity" in sites.columns else None,
    }


def _layer(p: Path, name: str, unit_weights: bool) -> Any:
    """One GeoPackage layer, its columns checked as a CSV's are (ids as text, booleans)."""
    import geopandas as gpd

    from siting.readers.csvfile import near_misses
    from siting.readers.values import Where, to_booleans, to_ids

    try:
        frame = gpd.read_file(p, layer=name, engine="pyogrio")
    except Exception as exc:  # GDAL's message, on one line
        raise FormatError(f"layer {name!r} cannot be read: {str(exc).splitlines()[0]}",
                          path=p, field="layer", value=name) from None
    near_misses([str(c) for c in frame.columns if c != frame.geometry.name], KNOWN_COLUMNS,
                f"{p}:{name}", None)
    where = Where(f"{p}:{name}")
    if name == "demand" and "weight" not in frame.columns and not unit_weights:
        raise InputError("missing column 'weight': every demand point needs a weight "
                         "(or ask for unit weights: --unit-weights)", path=where.path,
                         field="weight")
    if "id" in frame.columns:
        frame["id"] = to_ids(frame["id"], where, "id")
    if "existing" in frame.columns:
        frame["existing"] = to_booleans(frame["existing"], where, "existing")
    return frame


def _given_crs(frames: dict[str, Any], p: Path, crs: str | None, notes: list[str]) -> Any:
    """Layers without a CRS take ``--crs``; each layer's coordinates are checked against
    its CRS (degrees without one refused); the demand's CRS as read is returned."""

    given = parse_crs(crs, "--crs") if crs is not None else None
    for name, frame in frames.items():
        label = f"{p}:{name}"
        if frame.crs is None and given is not None:
            frames[name] = frame = frame.set_crs(given)
            notes.append(f"{p.name}: layer {name!r} has no CRS: taken to be in "
                         f"{crs_name(given)} (--crs)")
        if frame.crs is not None:
            why = "--crs" if given is not None and frame.crs == given else "its own CRS"
            check_fits(frame, frame.crs, label, why, CRS_FIX, "--crs")
        elif len(frame) and looks_like_degrees(frame.total_bounds):
            raise degrees_refused(label, frame.total_bounds, CRS_FIX, "--crs")
    return frames["demand"].crs


def _metric_crs(frames: dict[str, Any], p: Path, notes: list[str]) -> Any:
    """Bring the layers into the demand's CRS, or its UTM zone when it is in degrees."""

    demand = frames["demand"]
    crs = demand.crs
    if crs is None:
        if any(f.crs is not None for f in frames.values()):
            raise CRSError("layer 'demand' has no CRS while another layer has one",
                           path=p, field="crs")
        for name, frame in frames.items():
            check_near((f"{p}:demand", demand), (f"{p}:{name}", frame),
                       "check their coordinates (or give --crs)")
        return None
    target = crs
    if crs.is_geographic:
        target = demand.estimate_utm_crs()
        notes.append(f"{p.name}: the layers are in {crs.name} (degrees): reprojected to their "
                     f"local UTM zone, {target.name}, so that distances are in metres")
    for name, frame in frames.items():
        if frame.crs is None:
            raise CRSError(f"layer {name!r} has no CRS while 'demand' has one", path=p,
                           field="crs")
        if frame.crs != target:
            if frame.crs != crs:
                notes.append(f"{p.name}: layer {name!r} is in {frame.crs.name}: reprojected to "
                             f"{target.name}")
            frames[name] = frame.to_crs(target)
    for name, frame in frames.items():
        check_near((f"{p}:demand", frames["demand"]), (f"{p}:{name}", frame),
                   "check their CRS (or --crs)")
    return target


def _network(
    source: str | None, original: Any, target: Any, demand: tuple[str, Any],
    notes: list[str], *, given: str | None, how: Reading, rules: StreetRules | None = None,
) -> Any:
    """The walking network of a line layer, in the instance's CRS (None without one).

    Lines without a CRS take ``--crs``, else the points' CRS as read (``original``);
    ``demand`` (label, frame) is the layer they must lie near; ``rules`` say how the
    layer is filtered and built (``--junctions``, ``--level``, ``--max-access``,
    ``--network-where``).
    """
    if source is None:
        return None
    from siting.data.layers import open_layer
    from siting.data.streets import street_network

    rules = rules or StreetRules()
    layer = open_layer(source, "--network", how, where_sql=rules.where,
                       where_key="--network-where")
    notes += layer.notes
    lines = layer.frame
    bounds = lines.total_bounds if len(lines) else None
    if lines.crs is None:
        assumed = parse_crs(given, "--crs") if given is not None else original
        if (assumed is None or not assumed.is_geographic) and looks_like_degrees(bounds):
            raise degrees_refused(layer.label, bounds, CRS_FIX, "--crs")
        if assumed is not None:
            why = "--crs" if given is not None else "the points' CRS"
            check_fits(lines, assumed, layer.label, why, CRS_FIX, "--crs")
            lines = lines.set_crs(assumed)
    else:
        check_fits(lines, lines.crs, layer.label, "its own CRS", CRS_FIX, "--crs")
    if target is not None and lines.crs is not None and lines.crs != target:
        notes.append(f"{layer.label}: reprojected from {crs_name(lines.crs)} to "
                     f"{crs_name(target)}")
        lines = lines.to_crs(target)
    elif target is None and lines.crs is not None and lines.crs.is_geographic:
        raise InputError("the street network is in degrees but the points have no CRS: give "
                         "--crs, or the network in metres",
                         path=layer.label, field="crs")
    check_near(demand, (layer.label, lines), "check their CRS (or --crs)")
    notes.append(f"distances are walking distances along {layer.label}")
    return street_network(lines, where=layer.where, **rules.builder_arguments())

