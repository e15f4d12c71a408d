"""Walking distances on a street centre-line layer, written plainly as a GIS user would.

An independent reference for the district tests (with :mod:`tests.plan_reference`): it
shares no code with siting.

The street network, from a centre-line layer whose lines are not split at crossings:

1. lines of one level meet at every crossing (``shapely.node`` on each level's lines);
   lines of different levels meet only where the end of one lies on the other (a ramp
   landing on a street); an overpass crosses the streets below without meeting them;
2. every straight piece between two vertices is an edge of its length;
3. a point joins the network on its nearest edge: the straight line to its foot on that
   edge, then along the edge either way (the edges are cut at the feet of all points, so
   two points on one edge meet directly, never through a node);
4. shortest paths by Dijkstra with a heap.

>>> import shapely
>>> street = shapely.LineString([(0, 0), (300, 0)])
>>> lane = shapely.LineString([(200, 0), (200, 60)])        # starts part-way along the street
>>> bridge = shapely.LineString([(100, -80), (100, 80)])    # level 1: over the street
>>> net = Streets([street, lane, bridge], levels=[0, 0, 1])
>>> walk(net, [(90, 5)], [(110, 5), (190, 50), (100, 70)]).round(6).tolist()
[[30.0, 175.0, inf]]

(the last point's nearest edge is the bridge, which meets no street.)
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

#: Two places closer than this (m) are one node.
SAME = 1e-6
#: A park is reached at points every (at most) this many metres along its edge.
ENTRANCE_SPACING = 100.0


# --------------------------------------------------------------------------- network


def noded_pieces(lines: Sequence[Any], levels: Sequence[int]) -> list[tuple[list[tuple], int]]:
    """The lines cut at every node: crossings within a level, and points of a line where
    a line of another level ends on it. Each piece as (vertices, level).

    >>> pieces = noded_pieces([shapely.LineString([(0, 0), (10, 0)]),
    ...                        shapely.LineString([(5, -5), (5, 5)])], [0, 0])
    >>> sorted(p for p, _ in pieces)[:2]
    [[(0.0, 0.0), (5.0, 0.0)], [(5.0, -5.0), (5.0, 0.0)]]
    """
    parts = [(p, int(lv)) for g, lv in zip(lines, levels, strict=True)
             for p in shapely.get_parts(g)]
    pieces: list[tuple[list[tuple], int]] = []
    for level in sorted({lv for _, lv in parts}):
        same = [p for p, lv in parts if lv == level]
        ends = [c for p, lv in parts if lv != level for c in (p.coords[0], p.coords[-1])]
        for piece in shapely.get_parts(shapely.node(shapely.MultiLineString(same))):
            for coords in _cut_at(list(piece.coords), ends):
                pieces.append((coords, level))
    return pieces


def _cut_at(coords: list[tuple], points: list[tuple]) -> list[list[tuple]]:
    """``coords`` cut at every point of ``points`` lying on it (not at its ends)."""
    cuts = []
    for p in points:
        for i, (a, b) in enumerate(itertools.pairwise(coords)):
            t, foot = _foot(p, a, b)
            if math.dist(p, foot) <= SAME and math.dist(p, coords[0]) > SAME \
                    and math.dist(p, coords[-1]) > SAME:
                cuts.append((i, t, tuple(map(float, p))))
                break
    out, current, at = [], [coords[0]], 0
    for i, _, p in sorted(cuts):
        current += coords[at + 1: i + 1]
        at = i
        if math.dist(current[-1], p) > SAME:
            current.append(p)
        out.append(current)
        current = [p]
    current += coords[at + 1:]
    out.append(current)
    return [c for c in out if len(c) >= 2]


def _foot(p: Sequence[float], a: Sequence[float], b: Sequence[float]) -> tuple[float, tuple]:
    """Position (0..1) and point of the foot of ``p`` on the segment ``a``–``b``."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else min(1.0, max(0.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy)
                                               / length2))
    return t, (a[0] + t * dx, a[1] + t * dy)


class Streets:
    """The segments of a noded street layer, with their levels."""

    def __init__(self, lines: Sequence[Any], levels: Sequence[int] | None = None) -> None:
        levels = [0] * len(lines) if levels is None else list(levels)
        self.pieces = noded_pieces(lines, levels)
        segs, lv = [], []
        for coords, level in self.pieces:
            for a, b in itertools.pairwise(coords):
                if math.dist(a, b) > 0:
                    segs.append((a, b))
                    lv.append(level)
        self.segments = np.asarray(segs, dtype=np.float64)  # k × 2 (ends) × 2 (x, y)
        self.level = np.asarray(lv, dtype=np.int64)

    def locate(self, xy: Any) -> Located:
        """Each point's nearest segment, its foot there and the straight distance to it."""
        p = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        a, b = self.segments[None, :, 0], self.segments[None, :, 1]
        ab = b - a
        t = np.clip(((p[:, None] - a) * ab).sum(-1) / (ab * ab).sum(-1), 0.0, 1.0)
        foot = a + t[..., None] * ab
        gap = np.hypot(*(p[:, None] - foot).transpose(2, 0, 1))
        seg = gap.argmin(axis=1)
        rows = np.arange(p.shape[0])
        return Located(seg, t[rows, seg], foot[rows, seg], gap[rows, seg])


@dataclass
class Located:
    """Points on the network: segment, position along it (0..1), foot, access distance."""

    segment: np.ndarray
    t: np.ndarray
    foot: np.ndarray
    access: np.ndarray


def walk(streets: Streets, origins: Any, targets: Any) -> np.ndarray:
    """Walking distances, origins × targets (``inf`` where no path exists)."""
    o = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
    d = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
    where = streets.locate(np.vstack([o, d]))
    adj, foot_node = _graph(streets, where)
    out = np.full((o.shape[0], d.shape[0]), np.inf)
    for i in range(o.shape[0]):
        best = _dijkstra(adj, foot_node[i], float(where.access[i]))
        for j in range(d.shape[0]):
            k = o.shape[0] + j
            out[i, j] = best.get(foot_node[k], np.inf) + float(where.access[k])
    return out


def _graph(streets: Streets, where: Located) -> tuple[dict[int, list], list[int]]:
    """Adjacency lists of the segments, each cut at the feet that lie on it."""
    nodes: dict[tuple[int, int], int] = {}

    def node(xy: Sequence[float]) -> int:
        key = (round(xy[0] / SAME), round(xy[1] / SAME))
        return nodes.setdefault(key, len(nodes))

    on_segment: dict[int, list[tuple[float, int]]] = {}
    foot_node = []
    for k in range(where.segment.size):
        extra = -(k + 1)  # a foot is a node of its own, joined to the segment's ends
        foot_node.append(extra)
        on_segment.setdefault(int(where.segment[k]), []).append((float(where.t[k]), extra))
    adj: dict[int, list] = {}

    def join(u: int, v: int, w: float) -> None:
        adj.setdefault(u, []).append((v, w))
        adj.setdefault(v, []).append((u, w))

    for s, (a, b) in enumerate(streets.segments):
        length = math.dist(a, b)
        chain = [(0.0, node(a)), *sorted(on_segment.get(s, [])), (1.0, node(b))]
        for (t0, u), (t1, v) in itertools.pairwise(chain):
            join(u, v, (t1 - t0) * length)
    return adj, foot_node


def _dijkstra(adj: dict[int, list], source: int, start: float) -> dict[int, float]:
    best = {source: start}
    heap = [(start, source)]
    while heap:
        du, u = heapq.heappop(heap)
        if du > best.get(u, np.inf):
            continue
        for v, w in adj.get(u, ()):
            dv = du + w
            if dv < best.get(v, np.inf):
                best[v] = dv
                heapq.heappush(heap, (dv, v))
    return best


def entrances(shape: Any) -> np.ndarray:
    """Points along a polygon's edge, every ``ENTRANCE_SPACING`` m or less (each side cut
    into equal pieces); a point is its own entrance.

    >>> entrances(shapely.box(0, 0, 150, 100)).tolist()[:3]
    [[150.0, 0.0], [150.0, 100.0], [75.0, 100.0]]
    """
    if shape.geom_type == "Point":
        return np.array([[shape.x, shape.y]])
    out = []
    for ring in shapely.get_parts(shapely.boundary(shape)):
        c = list(ring.coords)
        for p, q in itertools.pairwise(c):
            n = math.ceil(math.dist(p, q) / ENTRANCE_SPACING)
            out += [[p[0] + (q[0] - p[0]) * k / n, p[1] + (q[1] - p[1]) * k / n]
                    for k in range(n)]
        out.append(list(c[-1]))
    return np.asarray(out)


def runner_up_gap(streets: Streets, xy: Any) -> tuple[np.ndarray, np.ndarray]:
    """For each point, how much farther the nearest *other* place on the streets is than
    its foot (a small gap means another program may join it elsewhere), and the level of
    its nearest segment."""
    p = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    where = streets.locate(p)
    a, b = streets.segments[None, :, 0], streets.segments[None, :, 1]
    ab = b - a
    t = np.clip(((p[:, None] - a) * ab).sum(-1) / (ab * ab).sum(-1), 0.0, 1.0)
    foot = a + t[..., None] * ab
    gap = np.hypot(*(p[:, None] - foot).transpose(2, 0, 1))
    elsewhere = np.hypot(*(foot - where.foot[:, None]).transpose(2, 0, 1)) > SAME
    runner_up = np.where(elsewhere, gap, np.inf).min(axis=1)
    return runner_up - where.access, streets.level[where.segment]

