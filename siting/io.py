"""Load instances from files: OR-Library, Swain, BDS, CSV folders and GeoPackages.

:func:`load_instance` returns the :class:`~siting.instance.Instance` and the
parameters a file carries itself (``p`` in an OR-Library p-median file).

File layouts for the user's own data:

- **CSV**: a folder with ``demand.csv`` (``id, x, y, weight``) and ``sites.csv``
  (``id, x, y`` and optionally ``cost, fixed_cost, capacity, existing``), or a
  single CSV of points that are both demand and candidate sites. Read by the
  strict reader :func:`siting.data.csvfile.read_csv`: ids stay text, ``existing``
  takes true/false, yes/no, 1/0, t/f, y/n only, a demand file needs ``weight``
  unless ``unit_weights=True``, coordinates are finite with ``|v| <= 1e9``.
- **GeoPackage**: layers ``demand`` and ``sites`` (and optionally ``existing``),
  same columns, geometry instead of x/y; the layers' CRS must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.coverage import CoverageMetric, EuclideanMetric, MatrixMetric
from siting.errors import FormatError, InputError
from siting.instance import Instance

FORMATS = ("auto", "orlib-pmed", "orlib-scp", "orlib-cap", "swain", "bds", "csv", "gpkg")


@dataclass
class Loaded:
    """An instance and the model parameters its file carries (e.g. ``{"p": 5}``)."""

    instance: Instance
    defaults: dict[str, Any] = field(default_factory=dict)
    format: str = ""


def detect(path: Path) -> str:
    """The format of ``path``: by suffix for CSV / GeoPackage / folders, else by content."""
    if path.is_dir():
        return "csv"
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return "gpkg"
    if suffix == ".csv":
        return "csv"
    from siting.readers import detect_format

    return str(detect_format(path))


def load_instance(path: str | Path, format: str = "auto", *, unit_weights: bool = False) -> Loaded:
    """Read an instance file (or CSV folder) in the given or detected format.

    ``unit_weights``: a CSV demand file without a ``weight`` column gives every
    point weight 1 (without it, the missing column is an error).
    """
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=p)
    if format not in FORMATS:
        raise InputError(
            f"unknown format; choose one of {', '.join(FORMATS)}",
            path=p,
            field="format",
            value=format,
        )
    fmt = detect(p) if format == "auto" else format
    loaded = _load_csv(p, unit_weights) if fmt == "csv" else _LOADERS[fmt](p)
    loaded.format = fmt
    return loaded


def _load_pmed(p: Path) -> Loaded:
    from siting.readers import read_pmed

    data = read_pmed(p)
    dist = data.distances()
    ids = np.arange(1, data.n + 1)
    unreachable = ~np.isfinite(dist[0])
    if unreachable.any():
        node = int(np.flatnonzero(unreachable)[0]) + 1
        raise FormatError(
            f"the graph is not connected: node {node} cannot be reached from node 1",
            path=p,
            field="node",
            value=node,
        )
    inst = Instance(
        name=p.stem,
        demand_ids=ids,
        weight=np.ones(data.n),
        site_ids=ids.copy(),
        metric=MatrixMetric(dist, dist),
        source=str(p),
    )
    return Loaded(inst, {"p": int(data.p)})


def _load_scp(p: Path) -> Loaded:
    from siting.readers import read_scp

    data = read_scp(p)
    inst = Instance(
        name=p.stem,
        demand_ids=np.arange(1, data.n_rows + 1),
        weight=np.ones(data.n_rows),
        site_ids=np.arange(1, data.n_cols + 1),
        metric=CoverageMetric(data.cover),
        site_cost=np.asarray(data.costs, float),
        source=str(p),
    )
    return Loaded(inst, {})


def _load_cap(p: Path) -> Loaded:
    from siting.readers import read_cap

    data = read_cap(p)
    inst = Instance(
        name=p.stem,
        demand_ids=np.arange(1, data.n_customers + 1),
        weight=np.asarray(data.demand, float),
        site_ids=np.arange(1, data.n_facilities + 1),
        metric=MatrixMetric(np.asarray(data.cost, float)),
        site_cost=np.asarray(data.fixed_cost, float),
        fixed_cost=np.asarray(data.fixed_cost, float),
        capacity=np.asarray(data.capacity, float),
        cost_scales_with_weight=False,
        source=str(p),
    )
    return Loaded(inst, {})


def _load_swain(p: Path) -> Loaded:
    from siting.readers import read_swain

    data = read_swain(p)
    xy = np.column_stack([data.x, data.y]).astype(float)
    inst = Instance(
        name=p.stem,
        demand_ids=np.asarray(data.ids),
        weight=np.asarray(data.weight, float),
        site_ids=np.asarray(data.ids).copy(),
        metric=EuclideanMetric(xy, xy),
        source=str(p),
        demand_xy=xy,
        site_xy=xy,
    )
    return Loaded(inst, {})


def _load_bds(p: Path) -> Loaded:
    from siting.readers import read_bds

    d = read_bds(p)
    demand_xy = np.column_stack([d.customer_x, d.customer_y]).astype(float)
    site_xy = np.column_stack([d.site_x, d.site_y]).astype(float)
    inst = Instance(
        name=p.stem,
        demand_ids=np.asarray(d.customer_ids),
        weight=np.asarray(d.demand, float),
        site_ids=np.asarray(d.site_ids),
        metric=EuclideanMetric(demand_xy, site_xy),
        site_cost=np.asarray(d.site_cost, float),
        source=str(p),
        demand_xy=demand_xy,
        site_xy=site_xy,
    )
    return Loaded(inst, {})


#: Columns the CSV / GeoPackage layers may carry; a near miss (``wieght``) is refused.
_KNOWN_COLUMNS = ("id", "x", "y", "weight", "cost", "fixed_cost", "capacity", "existing")


def _csv_columns(role: str, unit_weights: bool) -> dict[str, Any]:
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
            "(or ask for unit weights)",
        )
    if role in ("sites", "both"):
        rules["cost"] = Column("number")
        rules["fixed_cost"] = Column("number", allow_missing=True)
        rules["existing"] = Column("boolean")
    if role != "demand":
        rules["capacity"] = Column("number", allow_inf=True)
    return rules


def _read_csv(path: Path, role: str = "both", unit_weights: bool = False) -> pd.DataFrame:
    """A classic CSV file through the strict reader (siting.data.csvfile)."""
    from siting.data.csvfile import read_csv

    what = "demand" if role == "both" else role
    rules = _csv_columns(role, unit_weights)
    return read_csv(path, rules, known=_KNOWN_COLUMNS, what=what).frame


def _check_columns(frame: pd.DataFrame, path: Path, layer: str | None = None) -> None:
    """Refuse a column whose name is a near miss of a known one (``wieght`` for ``weight``)."""
    import difflib

    names = [str(c) for c in frame.columns]
    for name in names:
        if name in _KNOWN_COLUMNS or name == "geometry":
            continue
        close = difflib.get_close_matches(name.strip().lower(), _KNOWN_COLUMNS, n=1, cutoff=0.75)
        if close and close[0] not in names:
            where = f"layer {layer!r}: " if layer else ""
            raise InputError(
                f"{where}unknown column (did you mean {close[0]!r}?)",
                path=path,
                row=1 if layer is None else None,
                field=name,
                value=name,
            )


def _id_col(frame: pd.DataFrame) -> str | None:
    return "id" if "id" in frame.columns else None


def _load_csv(p: Path, unit_weights: bool = False) -> Loaded:
    if p.is_dir():
        dpath, spath, epath = p / "demand.csv", p / "sites.csv", p / "existing.csv"
        for need in (dpath, spath):
            if not need.exists():
                raise InputError(
                    "file not found (a CSV folder needs demand.csv and sites.csv)", path=need
                )
        demand = _read_csv(dpath, "demand", unit_weights)
        sites = _read_csv(spath, "sites")
        existing = _read_csv(epath, "existing") if epath.exists() else None
        src = str(p)
    else:
        dpath = spath = epath = p
        demand = _read_csv(p, "both", unit_weights)
        sites = demand
        existing = None
        src = str(p)
    ex_arg: Any = existing
    if existing is None and "existing" in sites.columns:
        ex_arg = "existing"
    inst = Instance.from_frames(
        demand,
        sites,
        demand_id=_id_col(demand),
        site_id=_id_col(sites),
        weight="weight",
        cost="cost" if "cost" in sites.columns else None,
        fixed_cost="fixed_cost" if "fixed_cost" in sites.columns else None,
        capacity="capacity" if "capacity" in sites.columns else None,
        existing=ex_arg,
        name=p.stem,
        source=src,
        paths={"demand": dpath, "sites": spath, "existing": epath},
        row_base=2,  # the header is line 1: rows are the file's line numbers
    )
    return Loaded(inst, {})


def _load_gpkg(p: Path) -> Loaded:
    import geopandas as gpd
    import pyogrio

    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(p)}
    except Exception as exc:  # GDAL's message, on one line
        raise FormatError(
            f"not a readable GeoPackage: {str(exc).splitlines()[0]}", path=p
        ) from None
    for need in ("demand", "sites"):
        if need not in layers:
            raise FormatError(
                f"layer {need!r} missing (layers: {', '.join(sorted(layers))})",
                path=p,
                field="layer",
                value=need,
            )
    frames = {}
    for name in ("demand", "sites", "existing"):
        if name not in layers:
            continue
        try:
            frames[name] = gpd.read_file(p, layer=name)
        except Exception as exc:  # GDAL's message, on one line
            raise FormatError(
                f"layer {name!r} cannot be read: {str(exc).splitlines()[0]}",
                path=p,
                field="layer",
                value=name,
            ) from None
        _check_columns(frames[name], p, layer=name)
    demand, sites, existing = frames["demand"], frames["sites"], frames.get("existing")
    inst = Instance.from_frames(
        demand,
        sites,
        demand_id=_id_col(demand),
        site_id=_id_col(sites),
        weight="weight",
        cost="cost" if "cost" in sites.columns else None,
        fixed_cost="fixed_cost" if "fixed_cost" in sites.columns else None,
        capacity="capacity" if "capacity" in sites.columns else None,
        existing=existing,
        name=p.stem,
        source=str(p),
        row_base=1,  # features are numbered from 1
    )
    return Loaded(inst, {})


_LOADERS = {
    "orlib-pmed": _load_pmed,
    "orlib-scp": _load_scp,
    "orlib-cap": _load_cap,
    "swain": _load_swain,
    "bds": _load_bds,
    "csv": _load_csv,
    "gpkg": _load_gpkg,
}
