"""A walking network from a line layer of streets (LineStrings / MultiLineStrings).

Every vertex of every line becomes a node and every segment an edge, so points
snap to the nearest vertex of a street, not only to its junctions. Lines meet
where their ends meet: line ends closer than ``tolerance`` (default 0.5 m) are
one node (clustered with a KD-tree and connected components), and a line end
within ``tolerance`` of an interior vertex of another line joins it there (a
T-junction at a vertex). Two lines that merely cross, or share an interior
vertex where neither ends, do not meet (a bridge over a street); neither does a
line end lying on another line between two of its vertices.

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
[[0.0, 200.0, 100.0, 149.7]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from siting.data.values import Where, to_numbers
from siting.errors import InputError
from siting.network import WalkingNetwork

__all__ = ["street_network"]

_LINE_TYPES = (1, 2, 5)  # shapely type ids: LineString, LinearRing, MultiLineString


def street_network(
    lines: Any,
    *,
    length: str | None = None,
    tolerance: float = 0.5,
    where: Where | None = None,
) -> WalkingNetwork:
    """Build a :class:`~siting.network.WalkingNetwork` from line geometries.

    Args:
        lines: a GeoDataFrame (with ``length``, a column of lengths in metres), a
            GeoSeries or a sequence of shapely lines, in a metric CRS.
        length: column of ``lines`` holding each line's walking length; default:
            the geometry's length.
        tolerance: line ends (and vertices) closer than this are one node.
        where: the file the lines come from, for messages.
    """
    where = where or Where("<streets>")
    if not (np.isfinite(tolerance) and tolerance >= 0):
        raise InputError("tolerance must be a finite number >= 0", field="network_tolerance",
                         value=tolerance)
    geoms = np.asarray(getattr(lines, "geometry", lines), dtype=object)
    if geoms.size == 0:
        raise InputError("the street layer has no lines", path=where.path, field="geometry")
    _check_lines(geoms, where)
    given: NDArray[np.float64] | None = None
    if length is not None:
        frame = lines if isinstance(lines, pd.DataFrame) else None
        if frame is None or length not in frame.columns:
            raise InputError(
                "the street layer has no length column", path=where.path, field=length
            )
        given = to_numbers(frame[length], where, length)

    parts, part_row = shapely.get_parts(geoms, return_index=True)
    coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
    if coords.size and not np.isfinite(coords).all():
        k = int(part_row[vertex_part[np.flatnonzero(~np.isfinite(coords).all(axis=1))[0]]])
        raise where.error("coordinate is not a finite number", k, "geometry", str(geoms[k])[:60])
    n_vertices = coords.shape[0]
    first = np.ones(n_vertices, dtype=bool)
    first[1:] = vertex_part[1:] != vertex_part[:-1]
    last = np.ones(n_vertices, dtype=bool)
    last[:-1] = first[1:]
    node = _node_of_vertex(coords, first | last, tolerance)

    # Segments: consecutive vertices of the same part.
    seg = np.flatnonzero(~last)
    seg_row = part_row[vertex_part[seg]]
    seg_len = np.hypot(*(coords[seg + 1] - coords[seg]).T)
    if given is None:
        weight = seg_len
    else:
        row_len = np.bincount(seg_row, weights=seg_len, minlength=geoms.size)
        row_segs = np.bincount(seg_row, minlength=geoms.size).astype(np.float64)
        share = np.where(
            row_len[seg_row] > 0,
            seg_len / np.where(row_len[seg_row] > 0, row_len[seg_row], 1.0),
            1.0 / np.maximum(row_segs[seg_row], 1.0),
        )
        weight = given[seg_row] * share
    # A node sits on its first vertex (exact where ends coincide, as in node tables).
    order = np.argsort(node, kind="stable")
    head = np.ones(order.size, dtype=bool)
    head[1:] = node[order][1:] != node[order][:-1]
    at = coords[order[head]]
    return WalkingNetwork(at[:, 0], at[:, 1], node[seg], node[seg + 1], weight)


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


def _node_of_vertex(
    coords: NDArray[np.float64], is_end: NDArray[np.bool_], tolerance: float
) -> NDArray[np.int64]:
    """Node number of every vertex: line ends clustered, interior vertices joined to a
    nearby end cluster (T-junction) or kept as their own node."""
    ends = np.flatnonzero(is_end)
    inner = np.flatnonzero(~is_end)
    tree = cKDTree(coords[ends])
    pairs = tree.query_pairs(tolerance, output_type="ndarray")
    graph = sp.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(ends.size, ends.size)
    )
    n_clusters, cluster = csgraph.connected_components(graph, directed=False)
    node = np.empty(coords.shape[0], dtype=np.int64)
    node[ends] = cluster
    if inner.size:
        # query() keeps distances < bound, query_pairs() <= r: the same rule for both.
        bound = float(np.nextafter(tolerance, np.inf))
        dist, nearest = tree.query(coords[inner], distance_upper_bound=bound)
        joined = np.isfinite(dist)
        node[inner[joined]] = cluster[nearest[joined]]
        alone = inner[~joined]
        node[alone] = n_clusters + np.arange(alone.size)
    return node
