"""A classic model's own data: CSV folders and GeoPackages, on straight lines or streets.

- **CSV**: a folder with ``demand.csv`` (``id, x, y, weight``) and ``sites.csv``
  (``id, x, y`` and optionally ``cost, fixed_cost, capacity, existing``), and
  optionally ``existing.csv``; or one CSV of points that are both. Read by the
  strict reader (:func:`siting.data.csvfile.read_csv`): ids stay text,
  ``existing`` takes true/false, yes/no, 1/0, t/f, y/n only, a demand file needs
  ``weight`` unless unit weights are asked for, coordinates are finite with
  ``|v| <= 1e9``.
- **GeoPackage**: layers ``demand`` and ``sites`` (and optionally ``existing``),
  the same columns checked the same way, geometry instead of x/y. Layers in
  another CRS than the demand's are reprojected to it; a geographic CRS
  (degrees) becomes its local UTM zone, so that a radius is in metres. Each
  change is said in :attr:`siting.instance.Instance.notes`.
- **Street network** (either format): ``network = "FILE[:LAYER]"``, a line layer
  of walkable streets (:func:`siting.data.street_network`), reprojected to the
  instance's CRS; distances are then walking distances.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from siting.errors import CRSError, FormatError, InputError
from siting.instance import Instance

#: Columns the CSV / GeoPackage layers may carry; a near miss (``wieght``) is refused.
KNOWN_COLUMNS = ("id", "x", "y", "weight", "cost", "fixed_cost", "capacity", "existing")


def csv_columns(role: str, unit_weights: bool) -> dict[str, Any]:
    """Conversion rules of a classic CSV file: ``demand``, ``sites``, ``existing`` or ``both``."""
    from siting.data.csvfile import Column

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


def read_classic_csv(path: Path, role: str = "both", unit_weights: bool = False) -> pd.DataFrame:
    """A classic CSV file through the strict reader (siting.data.csvfile)."""
    from siting.data.csvfile import read_csv

    what = "demand" if role == "both" else role
    return read_csv(path, csv_columns(role, unit_weights), known=KNOWN_COLUMNS, what=what).frame


def load_csv(p: Path, *, unit_weights: bool = False, network: str | None = None) -> Instance:
    """The instance of a CSV folder or a single CSV of points (see the module docstring)."""
    if p.is_dir():
        dpath, spath, epath = p / "demand.csv", p / "sites.csv", p / "existing.csv"
        for need in (dpath, spath):
            if not need.exists():
                raise InputError(
                    "file not found (a CSV folder needs demand.csv and sites.csv)", path=need
                )
        demand = read_classic_csv(dpath, "demand", unit_weights)
        sites = read_classic_csv(spath, "sites")
        existing = read_classic_csv(epath, "existing") if epath.exists() else None
    else:
        dpath = spath = epath = p
        demand = read_classic_csv(p, "both", unit_weights)
        sites, existing = demand, None
    ex_arg: Any = existing
    if existing is None and "existing" in sites.columns:
        ex_arg = "existing"
    notes: list[str] = []
    walk = _network(network, None, notes)
    inst = Instance.from_frames(
        demand, sites, **_columns(demand, sites), existing=ex_arg, name=p.stem, source=str(p),
        paths={"demand": dpath, "sites": spath, "existing": epath},
        row_base=2,  # the header is line 1: rows are the file's line numbers
        network=walk,
    )
    inst.notes = notes
    return inst


def load_gpkg(p: Path, *, unit_weights: bool = False, network: str | None = None) -> Instance:
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
    crs = _metric_crs(frames, p, notes)
    demand, sites, existing = frames["demand"], frames["sites"], frames.get("existing")
    walk = _network(network, crs, notes)
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

    from siting.data.csvfile import near_misses
    from siting.data.values import Where, to_booleans, to_ids

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


def _metric_crs(frames: dict[str, Any], p: Path, notes: list[str]) -> Any:
    """Bring the layers into the demand's CRS, or its UTM zone when it is in degrees."""
    demand = frames["demand"]
    crs = demand.crs
    if crs is None:
        if any(f.crs is not None for f in frames.values()):
            raise CRSError("layer 'demand' has no CRS while another layer has one",
                           path=p, field="crs")
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
    return target


def _network(source: str | None, crs: Any, notes: list[str]) -> Any:
    """The walking network of a line layer, in the instance's CRS (None without one)."""
    if source is None:
        return None
    from siting.data.layers import open_layer
    from siting.data.streets import street_network

    layer = open_layer(source, "--network")
    lines = layer.frame
    if crs is not None and lines.crs is not None and lines.crs != crs:
        notes.append(f"{layer.label}: reprojected from {lines.crs.name} to {crs.name}")
        lines = lines.to_crs(crs)
    elif crs is None and lines.crs is not None and lines.crs.is_geographic:
        raise InputError("the street network is in degrees but the points have no CRS: give "
                         "the points as a GeoPackage in a CRS, or the network in metres",
                         path=layer.label, field="crs")
    notes.append(f"distances are walking distances along {layer.label}")
    return street_network(lines, where=layer.where)

