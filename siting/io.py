"""Load instances from files: OR-Library, Swain, BDS, CSV folders and GeoPackages.

:func:`load_instance` returns the :class:`~siting.instance.Instance` and the
parameters a file carries itself (``p`` in an OR-Library p-median file).

File layouts for the user's own data:

- **CSV** folders and **GeoPackages** (:mod:`siting.data.classic`, strict:
  ids stay text, booleans from a fixed vocabulary, a weight column required
  unless unit weights are asked for; degrees reprojected to metres; an
  optional street network for walking distances).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siting.coverage import CoverageMetric, EuclideanMetric, MatrixMetric
from siting.errors import FormatError, InputError
from siting.instance import Instance

if TYPE_CHECKING:
    from siting.data.street_rules import StreetRules

FORMATS = ("auto", "orlib-pmed", "orlib-scp", "orlib-cap", "swain", "bds", "csv", "gpkg")


@dataclass
class Loaded:
    """An instance and the model parameters its file carries (e.g. ``{"p": 5}``).

    Parameters
    ----------
    instance : siting.Instance
        The instance read.
    defaults : dict
        Model parameters the file states (an OR-Library p-median file's ``p``).
    format : str
        The format read (one of :data:`FORMATS`).

    Examples
    --------
    >>> import numpy as np
    >>> from siting import Instance
    >>> inst = Instance.from_cost_matrix(np.array([[1.0]]))
    >>> Loaded(inst, {"p": 1}, "orlib-pmed").defaults
    {'p': 1}
    """

    instance: Instance
    defaults: dict[str, Any] = field(default_factory=dict)
    format: str = ""


def detect(path: Path) -> str:
    """The format of ``path``: by suffix for CSV / GeoPackage / folders, else by content.

    Parameters
    ----------
    path : pathlib.Path
        A file or a CSV folder.

    Returns
    -------
    str
        One of :data:`FORMATS` but ``auto``.

    Raises
    ------
    siting.FormatError
        A file whose content matches no format.

    Examples
    --------
    >>> import tempfile
    >>> detect(Path(tempfile.mkdtemp())), detect(Path("district.gpkg"))
    ('csv', 'gpkg')
    """
    if path.is_dir():
        return "csv"
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return "gpkg"
    if suffix == ".csv":
        return "csv"
    from siting.readers import detect_format

    return str(detect_format(path))


#: Default columns of a travel table: demand point id, site id, cost.
COST_COLUMNS = ("origin", "destination", "cost")


def load_instance(
    path: str | Path, format: str = "auto", *, unit_weights: bool = False,
    network: str | None = None, crs: str | None = None, encoding: str | None = None,
    xy: tuple[str, str] | None = None, costs: str | Path | None = None,
    cost_columns: tuple[str, str, str] = COST_COLUMNS, cost_unit: str | None = None,
    streets: StreetRules | None = None,
) -> Loaded:
    """Read an instance file (or CSV folder) in the given or detected format.

    ``unit_weights``: a CSV or GeoPackage demand layer without a ``weight``
    column gives every point weight 1 (without it, the missing column is an
    error). ``network``: ``"FILE[:LAYER]"``, a line layer of streets; distances
    are then walking distances. ``crs``: the CRS of layers without one (a
    geographic one is projected to its UTM zone); ``encoding``: the text
    encoding of files that are not UTF-8 (``"GBK"``); ``xy``: a CSV's coordinate
    columns (default ``x``, ``y``, else longitude / latitude names). These apply
    to CSV and GeoPackage instances (:mod:`siting.data.classic`). ``costs``: an
    origin–destination table (CSV or Parquet, columns ``cost_columns``: demand
    id, site id, cost in any unit, labelled ``cost_unit``); distances are then
    its costs, a pair not in it unreachable (:mod:`siting.coverage.od`). One
    distance source: not both. ``streets``: how the network layer is filtered and
    built (:class:`siting.data.streets.StreetRules`).

    Parameters
    ----------
    path : str or pathlib.Path
        The file or CSV folder.
    format : str, default "auto"
        One of :data:`FORMATS` (``auto``: by suffix, then by content).
    unit_weights : bool, default False
        A demand layer without a ``weight`` column gives every point weight 1.
    network : str, optional
        ``"FILE[:LAYER]"``, a line layer of streets: walking distances.
    crs : str, optional
        The CRS of layers without one.
    encoding : str, optional
        The text encoding of files that are not UTF-8.
    xy : (str, str), optional
        A CSV's coordinate columns.
    costs : str or pathlib.Path, optional
        An origin–destination table: distances are its costs.
    cost_columns : (str, str, str), default ("origin", "destination", "cost")
        The table's columns.
    cost_unit : str, optional
        A label for the table's costs (``"min"``).
    streets : siting.data.streets.StreetRules, optional
        How the network layer is filtered and built.

    Returns
    -------
    Loaded
        The instance, the parameters the file carries and the format read.

    Raises
    ------
    siting.InputError
        A missing file, an unknown format, options that do not apply to the
        format, or bad data, naming the file, row, field and value.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "demand.csv").write_text("id,x,y,weight\\nb1,0,0,120\\nb2,800,0,80\\n")
    >>> _ = (folder / "sites.csv").write_text("id,x,y\\nlot7,100,0\\n")
    >>> loaded = load_instance(folder)
    >>> loaded.format, loaded.instance.n_demand, list(loaded.instance.site_ids)
    ('csv', 2, ['lot7'])
    """
    p = Path(path)
    if not p.exists():
        from siting.readers.names import not_found

        raise InputError(not_found(p), path=p)
    if format not in FORMATS:
        raise InputError(
            f"unknown format; choose one of {', '.join(FORMATS)}",
            path=p,
            field="format",
            value=format,
        )
    fmt = detect(p) if format == "auto" else format
    if streets is not None and network is None and streets.said():
        raise InputError("--junctions, --level, --max-access and --network-where say how a "
                         "street network is read: give it with --network", field="--network")
    if costs is not None and network is not None:
        raise InputError("give one distance source: a travel table (--costs) or a street "
                         "network (--network), not both", field="--costs", value=str(costs))
    if costs is not None and fmt not in ("csv", "gpkg"):
        raise InputError(f"a travel table applies to CSV and GeoPackage instances, not {fmt} "
                         "files (give the distances as the file's own)", path=p,
                         field="--costs", value=str(costs))
    if fmt in ("csv", "gpkg"):
        from siting.data.classic import load_csv, load_gpkg

        if fmt == "csv":
            inst = load_csv(p, unit_weights=unit_weights, network=network, crs=crs,
                            encoding=encoding, xy=xy, streets=streets)
        else:
            if xy is not None:
                raise InputError("--xy names a CSV's coordinate columns, not a GeoPackage's",
                                 path=p, field="--xy", value=",".join(xy))
            inst = load_gpkg(p, unit_weights=unit_weights, network=network, crs=crs,
                             encoding=encoding, streets=streets)
        loaded = Loaded(inst)
    elif network is not None:
        raise InputError(f"a street network applies to CSV and GeoPackage instances, not "
                         f"{fmt} files", path=p, field="--network", value=network)
    elif crs is not None or xy is not None:
        option = "--crs" if crs is not None else "--xy"
        raise InputError(f"{option} applies to CSV and GeoPackage instances, not {fmt} files",
                         path=p, field=option)
    else:
        loaded = _LOADERS[fmt](p)
    loaded.format = fmt
    if costs is not None:
        from siting.coverage.od import read_od_table

        origin, destination, cost = cost_columns
        table = read_od_table(costs, origin=origin, destination=destination, cost=cost)
        loaded.instance = loaded.instance.with_table(table, cost_unit)
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


_LOADERS = {
    "orlib-pmed": _load_pmed,
    "orlib-scp": _load_scp,
    "orlib-cap": _load_cap,
    "swain": _load_swain,
    "bds": _load_bds,
}
