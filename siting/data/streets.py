"""A walking network from a line layer of streets (LineStrings / MultiLineStrings).

Every vertex of every line becomes a node and every segment a straight edge;
points later meet the network on their nearest edge (:func:`siting.network.locate`).
Where lines meet is the junction rule (:mod:`siting.data.junctions`):
``"vertices"`` (the default, OpenStreetMap's rule: a shared vertex, end or
interior), ``"crossings"`` (un-noded centre lines: every crossing, except between
lines a ``level`` column puts on different levels) or ``"ends"``. Vertices
closer than ``tolerance`` metres are one node, never two of the same line.

The layer is checked, not trusted: coordinates in degrees are projected to their
UTM zone (said in ``network.notes``); a length column shorter than the line is
refused (a walk would be shorter than the straight line); crossings without a
junction, and separate parts, are found and kept in ``network.diagnostics``
(:class:`siting.data.netcheck.NetworkDiagnostics`); and a layer that looks
un-noded while the rule was left at its default is refused with the fix.

Edge lengths come from the geometry, or from a length column (e.g. one that
holds crossing detours): a line's length is then shared among its segments in
proportion to their geometric lengths.

>>> import shapely
>>> lines = [shapely.LineString([(0, 0), (100, 0), (200, 0)]),
...          shapely.LineString([(100, 0.3), (100, 50)])]   # ends 0.3 m from a vertex
>>> net = street_network(lines)
>>> net.n_nodes, net.n_edges
(4, 3)
>>> net.node_distances([0], cutoff=1e9).round(1).tolist()
[[0.0, 100.0, 200.0, 150.0]]
>>> grid = [shapely.LineString([(0, 0), (200, 0)]), shapely.LineString([(100, -100), (100, 100)])]
>>> street_network(grid, junctions="crossings").n_nodes     # they meet at (100, 0)
5
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from siting.data.junctions import JUNCTION_RULES, crossing_vertices, node_of_vertex, part_ends
from siting.data.netcheck import SHOWN, NetworkDiagnostics, unjoined_crossings
from siting.data.street_rules import DEFAULT_MAX_ACCESS_M, StreetRules
from siting.errors import InputError
from siting.network import WalkingNetwork
from siting.readers.values import Where, to_numbers

__all__ = ["DEFAULT_MAX_ACCESS_M", "StreetRules", "street_network"]

_LINE_TYPES = (1, 2, 5)  # shapely type ids: LineString, LinearRing, MultiLineString

#: A length column may fall short of the geometry by this share (rounding), no more.
LENGTH_SLACK = 1e-3


def street_network(
    lines: Any,
    *,
    length: str | None = None,
    tolerance: float = 0.5,
    junctions: str | None = None,
    level: str | None = None,
    max_access: float | None = None,
    where: Where | None = None,
) -> WalkingNetwork:
    """Build a :class:`~siting.network.WalkingNetwork` from line geometries.

    Parameters
    ----------
    lines : geopandas.GeoDataFrame, geopandas.GeoSeries or sequence of shapely lines
        The streets, in a metric CRS (with ``length`` and ``level`` columns
        when named); a GeoDataFrame or GeoSeries in degrees is projected to
        its UTM zone (said in ``notes``).
    length : str, optional
        Column of ``lines`` holding each line's walking length in metres (at
        least the line's own length); default: the geometry's length.
    tolerance : float, default 0.5
        Vertices of different lines closer than this (metres) are one node.
    junctions : {"vertices", "crossings", "ends"}, optional
        Where lines meet (see the module docstring). Left unset,
        ``"vertices"`` is used and a layer that looks un-noded is refused,
        naming the crossings and the fix.
    level : str, optional
        Column of ``lines`` (``"crossings"``): lines with different values do
        not meet where they cross (bridges, tunnels, elevated roads).
    max_access : float, optional
        Points farther than this (metres) from every street are unreachable
        (default :data:`DEFAULT_MAX_ACCESS_M`).
    where : siting.readers.values.Where, optional
        The file the lines come from, for messages.

    Returns
    -------
    siting.network.WalkingNetwork
        The network; give it to :meth:`siting.Instance.from_frames` as
        ``network`` for walking distances.

    Raises
    ------
    siting.InputError
        A line that is not a line, a length shorter than its line, an
        un-noded layer under the default rule, bad option values.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> from siting import Instance
    >>> streets = gpd.GeoSeries([shapely.LineString([(0, 0), (100, 0)]),
    ...                          shapely.LineString([(100, 0), (100, 100)])], crs=3857)
    >>> net = street_network(streets)
    >>> d = gpd.GeoDataFrame({"weight": [1]}, geometry=[shapely.Point(0, 0)], crs=3857)
    >>> s = gpd.GeoDataFrame(geometry=[shapely.Point(100, 100)], crs=3857)
    >>> inst = Instance.from_frames(d, s, network=net)
    >>> float(inst.metric.pair_distance(np.array([0]), np.array([0]))[0])  # around the corner
    200.0
    """
    where = where or Where("<streets>")
    if not (np.isfinite(tolerance) and tolerance >= 0):
        raise InputError("tolerance must be a finite number >= 0", field="network_tolerance",
                         value=tolerance)
    if junctions is not None and junctions not in JUNCTION_RULES:
        raise InputError(f"junction rule must be one of {', '.join(JUNCTION_RULES)}",
                         field="network_junctions", value=junctions)
    access = DEFAULT_MAX_ACCESS_M if max_access is None else float(max_access)
    if not (access > 0):
        raise InputError("the maximum access distance must be > 0 (metres)",
                         field="network_max_access", value=max_access)
    lines, crs, notes = _metric(lines, where)
    geoms = np.asarray(getattr(lines, "geometry", lines), dtype=object)
    if geoms.size == 0:
        raise InputError("the street layer has no lines", path=where.path, field="geometry")
    _check_lines(geoms, where)
    frame = lines if isinstance(lines, pd.DataFrame) else None
    given = _given_lengths(frame, length, geoms, where)
    levels = _levels(frame, level, geoms.size, where)
    rule = junctions or "vertices"

    parts, part_row = shapely.get_parts(geoms, return_index=True)
    parts = np.asarray(parts, dtype=object)
    part_row = np.asarray(part_row, dtype=np.int64)
    part_level = levels[part_row]
    if rule == "crossings":
        coords, vertex_part = crossing_vertices(parts, part_level, tolerance)
    else:
        coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
        vertex_part = np.asarray(vertex_part, dtype=np.int64)
    if coords.size and not np.isfinite(coords).all():
        k = int(part_row[vertex_part[np.flatnonzero(~np.isfinite(coords).all(axis=1))[0]]])
        raise where.error("coordinate is not a finite number", k, "geometry", str(geoms[k])[:60])
    node = node_of_vertex(coords, vertex_part, rule, tolerance)
    _, last = part_ends(vertex_part)

    # Segments: consecutive vertices of the same part.
    seg = np.flatnonzero(~last)
    seg_row = part_row[vertex_part[seg]]
    seg_len = np.hypot(*(coords[seg + 1] - coords[seg]).T)
    weight = seg_len if given is None else _shared(given, seg_row, seg_len, geoms.size)
    # A node sits on its first vertex (exact where vertices coincide). An edge is never
    # shorter than the straight line between its nodes (merged vertices moved by up to
    # the tolerance): so no walk is ever shorter than the straight line.
    place = np.zeros((int(node.max()) + 1, 2))
    place[node[::-1]] = coords[::-1]
    chord = np.hypot(*(place[node[seg + 1]] - place[node[seg]]).T)
    weight = np.maximum(weight, chord)
    net = WalkingNetwork(place[:, 0], place[:, 1], node[seg], node[seg + 1], weight,
                         max_access=access, line=seg_row, crs=crs)
    net.notes = notes
    net.diagnostics = _diagnose(net, parts, part_row, part_level, coords, vertex_part, node,
                                tolerance, rule, junctions is not None, frame, where,
                                levels_said=level is not None)
    if junctions is None and net.diagnostics.looks_unnoded():
        raise _unnoded(net.diagnostics, where)
    return net


def _metric(lines: Any, where: Where) -> tuple[Any, Any, list[str]]:
    """The lines in a metric CRS: degrees (or feet) projected to the local UTM zone."""
    crs = getattr(lines, "crs", None)
    if crs is None or not hasattr(lines, "to_crs"):
        return lines, crs, []
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    if crs.is_geographic or unit not in ("metre", "meter"):
        target = lines.estimate_utm_crs()
        epsg = target.to_epsg()
        was = "degrees" if crs.is_geographic else unit
        said = (f"{where.path}: the streets are in {crs.name} ({was}): projected to their "
                f"UTM zone, {f'EPSG:{epsg}' if epsg else target.name}.")
        return lines.to_crs(target), target, [said]
    return lines, crs, []


def _given_lengths(
    frame: pd.DataFrame | None, length: str | None, geoms: NDArray[Any], where: Where
) -> NDArray[np.float64] | None:
    """The length column, checked: numbers, and never shorter than the line itself."""
    if length is None:
        return None
    if frame is None or length not in frame.columns:
        raise InputError("the street layer has no length column", path=where.path, field=length)
    given = to_numbers(frame[length], where, length)
    own = shapely.length(geoms)
    short = given < own * (1 - LENGTH_SLACK) - 0.01
    if short.any():
        k = int(np.flatnonzero(short)[0])
        raise where.error(
            f"walking length {given[k]:,.1f} is shorter than the line itself "
            f"({own[k]:,.1f} m): a walk would be shorter than the straight line "
            f"({int(short.sum())} such lines); is the column in metres?",
            k, length, float(given[k]),
        )
    return given


def _levels(frame: pd.DataFrame | None, level: str | None, n: int, where: Where) -> NDArray[Any]:
    """Level code of every line (0 without a level column; blanks are ground level)."""
    if level is None:
        return np.zeros(n, dtype=np.int64)
    if frame is None or level not in frame.columns:
        columns = "" if frame is None else f" (columns: {', '.join(map(str, frame.columns))})"
        raise InputError(f"the street layer has no level column{columns}", path=where.path,
                         field=level)
    values = frame[level]
    if pd.api.types.is_numeric_dtype(values.dtype):
        values = values.fillna(0)
    else:
        values = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        values = values.replace("", "0")
    codes, _ = pd.factorize(values.astype(str))
    return np.asarray(codes, dtype=np.int64)


def _shared(
    given: NDArray[np.float64], seg_row: NDArray[np.int64], seg_len: NDArray[np.float64], n: int
) -> NDArray[np.float64]:
    """Each line's given length shared among its segments by their geometric lengths."""
    row_len = np.bincount(seg_row, weights=seg_len, minlength=n)
    row_segs = np.bincount(seg_row, minlength=n).astype(np.float64)
    share = np.where(
        row_len[seg_row] > 0,
        seg_len / np.where(row_len[seg_row] > 0, row_len[seg_row], 1.0),
        1.0 / np.maximum(row_segs[seg_row], 1.0),
    )
    return given[seg_row] * share


def _diagnose(
    net: WalkingNetwork, parts: NDArray[Any], part_row: NDArray[np.int64],
    part_level: NDArray[np.int64], coords: NDArray[np.float64], vertex_part: NDArray[np.int64],
    node: NDArray[np.int64], tolerance: float, rule: str, said: bool,
    frame: pd.DataFrame | None, where: Where, *, levels_said: bool,
) -> NetworkDiagnostics:
    """Components, junctions and crossings without a junction (see siting.data.netcheck)."""
    info = net.connected_components()
    edge_part = info.labels[net.edge_u]
    comp_len = np.bincount(edge_part, weights=net.edge_length, minlength=info.n_components)
    rows: list[list[int]] = []
    for label in range(min(info.n_components, SHOWN + 1)):
        lines = np.unique(net.edge_line[edge_part == label])
        rows.append(where.rows(lines).tolist())
    degree = np.bincount(np.r_[net.edge_u, net.edge_v], minlength=net.n_nodes)
    found = unjoined_crossings(parts, part_level, coords, vertex_part, node, tolerance)
    # Crossings across levels are apart by design (an overpass), where levels are known.
    by_level = (part_level[found.a] != part_level[found.b]) & ~found.end
    shown = np.flatnonzero(~by_level)[:SHOWN]
    examples = [(where.row(int(part_row[found.a[k]])), where.row(int(part_row[found.b[k]])),
                 float(found.xy[k, 0]), float(found.xy[k, 1])) for k in shown]
    diag = NetworkDiagnostics(
        rule=rule, said=said, n_lines=int(np.unique(part_row).size), n_nodes=net.n_nodes,
        n_edges=net.n_edges, length_m=float(net.edge_length.sum()),
        component_nodes=[int(s) for s in info.sizes],
        component_length_m=[float(x) for x in comp_len],
        component_rows=rows,
        unjoined=int((~by_level).sum()), unjoined_ends=int((~by_level & found.end).sum()),
        across_levels=int(by_level.sum()), examples=examples,
        junction_nodes=int((degree >= 3).sum()),
    )
    diag.names = _names(frame, {r for pair in examples for r in pair[:2]}
                        | {r for rs in rows for r in rs[:SHOWN]}, where)
    if rule == "crossings" and not levels_said:
        diag.level_hint = _level_column(frame)
    return diag


#: Column names that usually hold a street's level (OpenStreetMap's layer, bridge, tunnel).
LEVEL_NAMES = ("level", "layer", "z_level", "z_order", "zlevel", "bridge", "tunnel", "层",
               "层级", "层次", "桥梁", "桥隧", "高架")


def _level_column(frame: pd.DataFrame | None) -> str | None:
    """A column that looks like levels (by its name, with more than one value), if any."""
    if frame is None:
        return None
    for column in frame.columns:
        if str(column).strip().lower() in LEVEL_NAMES and frame[column].nunique() > 1:
            return str(column)
    return None


def _names(frame: pd.DataFrame | None, rows: set[int], where: Where) -> dict[int, str]:
    """A readable name for the rows messages show: the layer's first text column."""
    if frame is None or not rows:
        return {}
    text = [c for c in frame.columns if c != getattr(frame, "geometry", pd.Series()).name
            and (pd.api.types.is_string_dtype(frame[c].dtype)
                 or pd.api.types.is_object_dtype(frame[c].dtype))]
    if not text:
        return {}
    column = frame[text[0]]
    numbers = where.rows(np.arange(len(frame)))
    out = {}
    for position in np.flatnonzero(np.isin(numbers, sorted(rows))).tolist():
        row = int(numbers[position])
        if pd.notna(column.iloc[position]) and str(column.iloc[position]):
            out[row] = str(column.iloc[position])
    return out


def _unnoded(diag: NetworkDiagnostics, where: Where) -> InputError:
    crossings = diag.unjoined - diag.unjoined_ends
    shown = "; ".join(f"{diag.line(a)} × {diag.line(b)} at ({x:,.0f}, {y:,.0f})"
                      for a, b, x, y in diag.examples[:3])
    return InputError(
        f"the street lines cross {crossings:,} times without sharing a vertex there "
        f"({shown}) and meet at only {diag.junction_nodes:,} junctions: the layer looks "
        "un-noded (one line per street, running through its crossings), and would be read as "
        "bridges. Say how lines meet: junction rule \"crossings\" (lines meet where they "
        "cross; with a level column, lines on different levels do not) or \"vertices\" "
        "(only where they share a vertex, as in OpenStreetMap): network_junctions (and "
        "network_level) in a spec's [data] table, --junctions (and --level) on the command "
        "line, junctions= (and level=) in Python",
        path=where.path, field="network_junctions",
    )


def _check_lines(geoms: NDArray[Any], where: Where) -> None:
    """Every feature a non-empty line; a clear error naming the first that is not."""
    missing = shapely.is_missing(geoms)
    if missing.any():
        raise where.error("missing geometry", int(np.flatnonzero(missing)[0]), "geometry", None)
    kind = shapely.get_type_id(geoms)
    bad = ~np.isin(kind, _LINE_TYPES)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise where.error(
            f"a street must be a line, not a {geoms[k].geom_type}",
            k,
            "geometry",
            geoms[k].wkt[:60],
        )
    empty = shapely.is_empty(geoms)
    if empty.any():
        raise where.error("empty geometry", int(np.flatnonzero(empty)[0]), "geometry", None)
