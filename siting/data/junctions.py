"""Where street lines meet: the junction rules, as GIS tools state them.

A street layer is a set of line *parts* (the LineStrings of its features). Lines
meet at shared nodes; which vertices become one node is the junction rule:

- ``"vertices"`` (OpenStreetMap's rule, the default): lines meet where they share
  a vertex, an end or an interior one. Lines that cross between vertices do not
  meet (a bridge).
- ``"crossings"`` (for un-noded centre lines: one line per named street, running
  through its crossings): lines meet at every point where they cross or touch —
  except where a level column says the two are on different levels (an
  overpass); a line *ending* on another still meets it (a ramp, a T-junction).
  A line end within the tolerance of another line (an undershoot) meets it too.
- ``"ends"``: only line ends meet (each other, or a vertex of another line).

In every rule, vertices closer than the tolerance (metres) are one node, but two
vertices of the same line are never merged: a tolerance cannot shorten a street.

>>> import shapely
>>> parts = shapely.linestrings([[(0, 0), (100, 0)], [(50, -50), (50, 50)]])
>>> coords, part = crossing_vertices(parts, np.zeros(2, dtype=np.int64), 0.5)
>>> coords.tolist()       # the crossing (50, 0) is now a vertex of both lines
[[0.0, 0.0], [50.0, 0.0], [100.0, 0.0], [50.0, -50.0], [50.0, 0.0], [50.0, 50.0]]
>>> node_of_vertex(coords, part, "vertices", 0.5).tolist()
[0, 1, 2, 3, 1, 4]
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse import csgraph

__all__ = ["JUNCTION_RULES", "Junctions", "crossing_vertices", "meeting_points",
           "node_of_vertex", "part_ends"]

Junctions = Literal["vertices", "crossings", "ends"]
JUNCTION_RULES: tuple[str, ...] = ("vertices", "crossings", "ends")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def part_ends(vertex_part: IntArray) -> tuple[BoolArray, BoolArray]:
    """Which vertices start and which end their part (vertices ordered by part)."""
    n = vertex_part.size
    first = np.ones(n, dtype=bool)
    first[1:] = vertex_part[1:] != vertex_part[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = first[1:]
    return first, last


def crossing_vertices(
    parts: NDArray[Any], level: IntArray, tolerance: float
) -> tuple[FloatArray, IntArray]:
    """The vertices of every part, with the points where it meets another part inserted.

    Returns ``(coords, part)`` ordered by part, then along it. A crossing of two
    parts on the same level, and a point where a part ends on another (whatever
    their levels), becomes a vertex of both; a part end within ``tolerance`` of
    another part adds its projection to that part.
    """
    import shapely

    coords, part = shapely.get_coordinates(parts, return_index=True)
    position = _positions(coords, part)
    tree = shapely.STRtree(parts)
    a, b, xy = meeting_points(parts, tree)
    starts = shapely.get_point(parts, 0)
    ends = shapely.get_point(parts, -1)
    new_xy: list[FloatArray] = []
    new_part: list[IntArray] = []
    if a.size:
        spots = shapely.points(xy)
        at_end = np.zeros(xy.shape[0], dtype=bool)
        for k in (a, b):
            at_end |= shapely.dwithin(spots, starts[k], tolerance)
            at_end |= shapely.dwithin(spots, ends[k], tolerance)
        ok = (level[a] == level[b]) | at_end
        new_xy += [xy[ok], xy[ok]]
        new_part += [a[ok], b[ok]]
    # Undershoots: a part end near another part (not touching it) meets it there.
    tips = np.concatenate([starts, ends])
    tip_part = np.tile(np.arange(parts.size, dtype=np.int64), 2)
    near_tip, near_part = tree.query(tips, predicate="dwithin", distance=tolerance)
    other = (tip_part[near_tip] != near_part) & (
        shapely.distance(tips[near_tip], parts[near_part]) > 0
    )
    if other.any():
        tip, target = near_tip[other], near_part[other]
        foot = shapely.line_interpolate_point(
            parts[target], shapely.line_locate_point(parts[target], tips[tip])
        )
        new_xy.append(shapely.get_coordinates(foot))
        new_part.append(target)
    if not new_xy:
        return coords, part.astype(np.int64)
    add_xy = np.concatenate(new_xy)
    add_part = np.concatenate(new_part).astype(np.int64)
    add_pos = shapely.line_locate_point(parts[add_part], shapely.points(add_xy))
    all_xy = np.concatenate([coords, add_xy])
    all_part = np.concatenate([part, add_part]).astype(np.int64)
    all_pos = np.concatenate([position, add_pos])
    inserted = np.r_[np.zeros(coords.shape[0]), np.ones(add_xy.shape[0])]
    order = np.lexsort((inserted, all_pos, all_part))
    all_xy, all_part = all_xy[order], all_part[order]
    # The same point inserted twice into one part (two crossings there) is one vertex.
    again = np.zeros(all_part.size, dtype=bool)
    again[1:] = (all_part[1:] == all_part[:-1]) & (all_xy[1:] == all_xy[:-1]).all(axis=1)
    return all_xy[~again], all_part[~again]


def meeting_points(
    parts: NDArray[Any], tree: Any = None
) -> tuple[IntArray, IntArray, FloatArray]:
    """Where parts meet: one row a point, ``(a, b, xy)``, as ``shapely.intersection`` gives
    the points of every pair ``a < b`` of parts that intersect (pairs in the order of a query
    of ``tree``, an STRtree of ``parts``, with the predicate ``"intersects"``).

    Two straight segments that share one end exactly and leave it in clearly different
    directions meet there only: that end is taken as it is (most pairs of a noded layer),
    the intersection computed for the other pairs.

    >>> import shapely
    >>> parts = shapely.linestrings([[(0, 0), (10, 0)], [(10, 0), (10, 10)], [(5, -5), (5, 5)]])
    >>> a, b, xy = meeting_points(parts)
    >>> a.tolist(), b.tolist(), xy.tolist()
    ([0, 0], [2, 1], [[5.0, 0.0], [10.0, 0.0]])
    """
    import shapely

    tree = shapely.STRtree(parts) if tree is None else tree
    left, right = tree.query(parts)  # boxes; the predicate's order, which only filters them
    keep = left < right
    left, right = left[keep].astype(np.int64), right[keep].astype(np.int64)
    end = _shared_end(parts, left, right)
    known = ~np.isnan(end[:, 0])
    rest = np.flatnonzero(~known)
    if rest.size:
        shapely.prepare(parts[left[rest]])  # as the query's predicate tests them
        rest = rest[shapely.intersects(parts[left[rest]], parts[right[rest]])]
    xy, k = shapely.get_coordinates(shapely.intersection(parts[left[rest]], parts[right[rest]]),
                                    return_index=True)
    pair = np.concatenate([np.flatnonzero(known), rest[k]])
    order = np.argsort(pair, kind="stable")
    pair = pair[order]
    xy = np.concatenate([end[known], xy])[order]
    return left[pair], right[pair], xy


def _shared_end(parts: NDArray[Any], left: IntArray, right: IntArray) -> FloatArray:
    """Per pair of parts, the end they share where both are straight segments with exactly
    one end in common and the other ends clearly off one line through it, or on both sides
    of it along one line (so they meet there only, whatever the rounding); NaN for every
    other pair."""
    import shapely

    count = shapely.get_num_coordinates(parts)
    coords = shapely.get_coordinates(parts)
    out = np.full((left.size, 2), np.nan)
    k = np.flatnonzero((count[left] == 2) & (count[right] == 2))
    if k.size == 0:
        return out
    first = np.cumsum(count) - count
    p1, q1 = coords[first[left[k]]], coords[first[left[k]] + 1]
    p2, q2 = coords[first[right[k]]], coords[first[right[k]] + 1]
    same = [(u == v).all(axis=1) for u, v in ((p1, p2), (p1, q2), (q1, p2), (q1, q2))]
    one = np.sum(same, axis=0) == 1
    at_p1 = same[0] | same[1]
    shared = np.where(at_p1[:, None], p1, q1)
    d1 = np.where(at_p1[:, None], q1, p1) - shared
    d2 = np.where((same[0] | same[2])[:, None], q2, p2) - shared
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    dot = d1[:, 0] * d2[:, 0] + d1[:, 1] * d2[:, 1]
    # Off one line through the shared end, or on it but on both sides of it, by a sine or
    # cosine of 1e-9: a million times what rounding the differences and products can do.
    margin = 1e-9 * np.hypot(*d1.T) * np.hypot(*d2.T)
    clear = (np.abs(cross) > margin) | (dot < -margin)
    take = one & clear & (margin > 0)
    out[k[take]] = shared[take]
    return out


def _positions(coords: FloatArray, part: IntArray) -> FloatArray:
    """Distance along its part of every vertex (parts' vertices consecutive)."""
    step = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    first, _ = part_ends(part)
    step[first] = 0.0
    total = np.cumsum(step)
    return total - np.maximum.accumulate(np.where(first, total, 0.0))


def node_of_vertex(
    coords: FloatArray, part: IntArray, junctions: str, tolerance: float
) -> IntArray:
    """Node number of every vertex under a junction rule (see the module docstring)."""
    first, last = part_ends(part)
    is_end = first | last
    spot = _spots(coords, part, is_end, junctions)
    n_spots = int(spot.max()) + 1 if spot.size else 0
    if tolerance <= 0 or n_spots < 2:
        return _in_order(spot)
    # One point per spot, and whether a line ends there.
    at = np.zeros((n_spots, 2))
    at[spot] = coords
    end_spot = np.zeros(n_spots, dtype=bool)
    end_spot[spot[is_end]] = True
    pairs = _pairs_within(at, tolerance)
    if junctions == "ends":  # an interior vertex only joins a line end
        pairs = pairs[end_spot[pairs[:, 0]] | end_spot[pairs[:, 1]]]
    if pairs.size == 0:
        return _in_order(spot)
    return _in_order(_merge(spot, part, at, pairs)[spot])


def _pairs_within(at: FloatArray, tolerance: float) -> IntArray:
    """Pairs ``i < j`` of points with ``dx² + dy² <= tolerance²``, ordered by ``(i, j)``."""
    import shapely

    points = shapely.points(at)
    # The index finds candidates a hair beyond; the test itself is on squared distances.
    i, j = shapely.STRtree(points).query(points, predicate="dwithin",
                                         distance=tolerance * (1 + 1e-9) + 1e-12)
    keep = i < j
    i, j = i[keep], j[keep]
    step = at[i] - at[j]
    near = step[:, 0] * step[:, 0] + step[:, 1] * step[:, 1] <= tolerance * tolerance
    pairs = np.column_stack([i[near], j[near]]).astype(np.int64)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def _in_order(node: IntArray) -> IntArray:
    """Nodes renumbered in the order their first vertex comes (stable, readable)."""
    _, first, inverse = np.unique(node, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[np.asarray(inverse).reshape(-1)]


def _spots(coords: FloatArray, part: IntArray, is_end: BoolArray, junctions: str) -> IntArray:
    """Vertices at exactly the same place are one spot — in the ``ends`` rule only where
    a line ends there; interior vertices of different lines at one place stay apart."""
    # One complex number a point: sorted by x, then y, as rows are, and sooner.
    _, place = np.unique(coords[:, 0] + 1j * coords[:, 1], return_inverse=True)
    place = np.asarray(place, dtype=np.int64).reshape(-1)
    if junctions != "ends":
        return place
    ends_here = np.zeros(int(place.max()) + 1, dtype=bool)
    ends_here[place[is_end]] = True
    # Without a line end, a place is split by part: (place, part) is the spot.
    combined = np.column_stack([place, np.where(ends_here[place], -1, part)])
    _, spot = np.unique(combined, axis=0, return_inverse=True)
    return np.asarray(spot, dtype=np.int64).reshape(-1)


def _merge(spot: IntArray, part: IntArray, at: FloatArray, pairs: IntArray) -> IntArray:
    """Merge spots closer than the tolerance (``pairs``), nearest first, never two spots
    holding vertices of the same part; returns the node of every spot."""
    n_spots = at.shape[0]
    near = np.unique(pairs.reshape(-1))
    # Parts present at each spot that takes part in a merge (few: junction spots).
    involved = np.isin(spot, near)
    parts_at: dict[int, set[int]] = {}
    for s, p in zip(spot[involved].tolist(), part[involved].tolist(), strict=True):
        parts_at.setdefault(s, set()).add(p)
    gap = np.hypot(*(at[pairs[:, 0]] - at[pairs[:, 1]]).T)
    parent = np.arange(n_spots)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    merged = []
    for k in np.argsort(gap, kind="stable").tolist():  # near spots only: junction areas
        a, b = find(int(pairs[k, 0])), find(int(pairs[k, 1]))
        if a == b or parts_at[a] & parts_at[b]:
            continue
        if a > b:
            a, b = b, a
        parent[b] = a
        parts_at[a] |= parts_at.pop(b)
        merged.append((a, b))
    if not merged:
        return np.arange(n_spots, dtype=np.int64)
    m = np.array(merged)
    graph = sp.coo_matrix((np.ones(len(m)), (m[:, 0], m[:, 1])), shape=(n_spots, n_spots))
    _, label = csgraph.connected_components(graph, directed=False)
    return np.asarray(label, dtype=np.int64)
