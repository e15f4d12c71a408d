"""Where points meet a street network, and the graph with point sets attached.

A point reaches the network at the nearest point of its nearest edge (its
*projection*), as ArcGIS Network Analyst, PySAL spaghetti and r5 locate points,
not at the nearest vertex: the access is the straight line from the point to its
projection, then the walk goes along the edge to either end. When several edges
are equally near (a block in the middle of a street grid cell), the point may use
any of them. A point farther than the network's ``max_access`` from every edge is
not located: it is unreachable, and callers report it.

:class:`PointGraph` is the street graph with point sets attached. Every edge with
a projection on it is split there, and every point gets a *source* node (edges out
to its projections, of the access length) and a *sink* node (edges in from them).
A shortest path therefore never passes through a point (no walk through a block
from one street to another), two points on the same edge are measured along it
exactly, and every walking distance is one plain Dijkstra: from sources, read at
sinks. Every edge is at least as long as the straight line between its ends, so no
walking distance is shorter than the straight line.

>>> import numpy as np
>>> from siting.network import WalkingNetwork
>>> net = WalkingNetwork(np.array([0.0, 100.0, 100.0]), np.array([0.0, 0.0, 100.0]),
...                      np.array([0, 1]), np.array([1, 2]), np.array([100.0, 100.0]))
>>> where = locate(net, np.array([[40.0, 30.0], [90.0, 60.0]]))
>>> where.point.tolist(), where.edge.tolist(), where.frac.tolist(), where.access.tolist()
([0, 1], [0, 1], [0.4, 0.6], [30.0, 10.0])
>>> graph = PointGraph(net, [where, where])
>>> rows, cols, dist = graph.pairs(0, 1, cutoff=500.0)
>>> dist.round(1).tolist()     # 0→1: 30 + 60 + 60 + 10; a point to itself: out and back
[60.0, 160.0, 160.0, 20.0]
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse import csgraph

from siting.errors import InputError
from siting.network.local_walks import WalkSide, local_chunks

if TYPE_CHECKING:
    import shapely

__all__ = ["Located", "PointGraph", "locate"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class WalkingNetwork(Protocol):
    """What locating points needs of a :class:`~siting.network.graph.WalkingNetwork`
    (declared here, so that the graph imports this module and not the reverse)."""

    node_x: FloatArray
    node_y: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length: FloatArray
    max_access: float

    @property
    def n_nodes(self) -> int: ...

    @property
    def n_edges(self) -> int: ...

    def segment_tree(self) -> shapely.STRtree: ...

ArrayLike2D = Any  # an n × 2 array of coordinates, or anything numpy reads as one

#: Relative (and, in metres, absolute) slack within which two edges are equally near.
TIE = 1e-9
#: Slack on a cutoff, so that a pair at exactly the cutoff is never lost to round-off.
CUTOFF_SLACK = 1e-12
#: Answers of :meth:`PointGraph.pairs` a graph keeps (the most recently asked), and the
#: bytes they may hold (an answer larger than this is not kept).
PAIRS_KEPT = 8
PAIRS_BYTES = 32 * 2**20
#: Bytes of the dense (sources × nodes walked) distances one Dijkstra call of
#: :meth:`PointGraph.pairs` may return. scipy allocates and fills all of them though only
#: the sinks' columns are read: past a few MB that costs fresh pages and cache misses (on a
#: 21,500-node graph, 7 coverage walks on the whole graph took 72 ms in chunks of 256
#: sources, 52-58 ms in chunks of 16-48), far more than the ~35 µs each extra call costs.
#: A chunk walks only the part of the graph it can reach
#: (:mod:`siting.network.local_walks`), so more sources fit in a call.
WALK_BYTES = 4 * 2**20
#: Walks whose dense output on the whole graph (sources × all nodes, over every chunk)
#: passes this many bytes go by parts of the graph (:mod:`siting.network.local_walks`);
#: below it, cutting the parts costs more than the narrower output saves.
LOCAL_FROM_BYTES = 256 * 2**20
#: Guards the answers graphs keep (graphs may be shared by threads; one lock for all, so
#: that a graph holds nothing a copy or pickle cannot take).
_KEPT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Located:
    """Where points meet the network: one *entry* per (point, nearest edge).

    Attributes:
        n_points: number of points located.
        point: the point of each entry.
        edge: the edge of each entry (a position in ``WalkingNetwork.edge_u``).
        frac: where along the edge, from ``edge_u`` (0) to ``edge_v`` (1).
        access: straight-line distance from the point to that spot.
        nearest: per point, the distance to its nearest edge (inf: the network has none).
        max_access: points farther than this from every edge have no entry.
    """

    n_points: int
    point: IntArray
    edge: IntArray
    frac: FloatArray
    access: FloatArray
    nearest: FloatArray
    max_access: float

    @property
    def reached(self) -> BoolArray:
        """Per point: located on the network (within ``max_access`` of an edge)."""
        out = np.zeros(self.n_points, dtype=bool)
        out[self.point] = True
        return out


def locate(network: WalkingNetwork, xy: ArrayLike2D) -> Located:
    """Locate points (``n × 2``) on their nearest edges (see the module docstring)."""
    import shapely

    xy = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(xy).all():
        raise InputError("coordinates must be finite numbers", field="xy")
    n = xy.shape[0]
    nearest = np.full(n, np.inf)
    none = np.zeros(0, dtype=np.int64)
    if n == 0 or network.n_edges == 0:
        return Located(n, none, none, np.zeros(0), np.zeros(0), nearest, network.max_access)
    tree = network.segment_tree()
    points = shapely.points(xy)
    (pi, _), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    nearest[pi] = dist
    limit = network.max_access
    ok = np.flatnonzero(nearest <= limit * (1 + TIE) + TIE)
    if ok.size == 0:
        return Located(n, none, none, np.zeros(0), np.zeros(0), nearest, limit)
    # Every edge as near as the nearest (ties: the point may use any of them).
    reach = nearest[ok] * (1 + TIE) + TIE
    qi, seg = tree.query(points[ok], predicate="dwithin", distance=reach)
    point = ok[qi]
    edge = np.asarray(seg, dtype=np.int64)
    frac, access = _project(network, xy[point], edge)
    keep = access <= nearest[point] * (1 + TIE) + TIE
    point, edge, frac, access = point[keep], edge[keep], frac[keep], access[keep]
    # One entry per spot: a point at a node reaches it by every edge that ends there.
    node = np.where(frac <= 0.0, network.edge_u[edge],
                    np.where(frac >= 1.0, network.edge_v[edge], -1))
    spot = np.where(node >= 0, node, network.n_nodes + edge)
    along = np.where(node >= 0, 0.0, frac)
    order = np.lexsort((along, spot, point))
    point, edge, frac, access = point[order], edge[order], frac[order], access[order]
    spot, along = spot[order], along[order]
    first = np.ones(point.size, dtype=bool)
    first[1:] = (point[1:] != point[:-1]) | (spot[1:] != spot[:-1]) | (along[1:] != along[:-1])
    return Located(n, point[first], edge[first], frac[first], access[first], nearest, limit)



def _project(
    network: WalkingNetwork, xy: FloatArray, edge: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Fraction along each edge of the point's projection, and the distance to it."""
    ax = network.node_x[network.edge_u[edge]]
    ay = network.node_y[network.edge_u[edge]]
    dx = network.node_x[network.edge_v[edge]] - ax
    dy = network.node_y[network.edge_v[edge]] - ay
    squared = dx * dx + dy * dy
    along = (xy[:, 0] - ax) * dx + (xy[:, 1] - ay) * dy
    frac = np.clip(np.divide(along, squared, out=np.zeros_like(along), where=squared > 0), 0, 1)
    access = np.hypot(xy[:, 0] - (ax + frac * dx), xy[:, 1] - (ay + frac * dy))
    return frac, access


class PointGraph:
    """The street graph with point sets attached (see the module docstring).

    ``sets`` are :class:`Located` point sets; ``source[k]`` and ``sink[k]`` give the
    node of each point of set ``k``. The graph is directed: streets both ways, a
    point's access out of its source and into its sink.
    """

    def __init__(self, network: WalkingNetwork, sets: Sequence[Located]) -> None:
        self.network = network
        self.sets = list(sets)
        n = network.n_nodes
        # Entries of every set: the spot each reaches (a node, or a new one on an edge).
        edge = np.concatenate([s.edge for s in self.sets]) if self.sets else np.zeros(0, np.int64)
        frac = np.concatenate([s.frac for s in self.sets]) if self.sets else np.zeros(0)
        inner = (frac > 0.0) & (frac < 1.0)
        spot_edge, spot_frac, spot_of = _distinct_spots(edge[inner], frac[inner])
        entry_node = np.where(frac <= 0.0, network.edge_u[edge], network.edge_v[edge])
        entry_node[inner] = n + np.asarray(spot_of, dtype=np.int64).reshape(-1)
        street_u, street_v, street_w = _split_edges(network, spot_edge, spot_frac, n)
        self.n_street = n + spot_edge.size
        self._spots = (spot_edge, spot_frac)
        self._street_xy: tuple[FloatArray, FloatArray] | None = None  # made by a walk
        # Source and sink nodes of every point of every set, and each entry's node.
        self.source: list[IntArray] = []
        self.sink: list[IntArray] = []
        self._entry_node: list[IntArray] = []
        rows = [street_u, street_v]
        cols = [street_v, street_u]
        data = [street_w, street_w]
        at = self.n_street
        offset = 0
        for s in self.sets:
            src = at + np.arange(s.n_points, dtype=np.int64)
            snk = src + s.n_points
            at += 2 * s.n_points
            node = entry_node[offset : offset + s.point.size]
            offset += s.point.size
            self.source.append(src)
            self.sink.append(snk)
            self._entry_node.append(node)
            rows += [src[s.point], node]
            cols += [node, snk[s.point]]
            data += [s.access, s.access]
        self.n_nodes = at
        self.graph = csr_keep_zeros(np.concatenate(rows), np.concatenate(cols),
                                    np.concatenate(data), at)
        self._kept: dict[tuple[int, int, float], tuple[IntArray, IntArray, FloatArray]] = {}

    @property
    def nbytes(self) -> int:
        """Bytes held by the graph's arrays and its point sets' (for callers that keep
        graphs)."""
        arrays = [self.graph.data, self.graph.indices, self.graph.indptr,
                  *self.source, *self.sink]
        arrays += [a for s in self.sets for a in (s.point, s.edge, s.frac, s.access, s.nearest)]
        arrays += [*self._spots, *self._entry_node, *(self._street_xy or ())]
        arrays += [a for kept in list(self._kept.values()) for a in kept]
        return int(sum(a.nbytes for a in arrays))

    # ---------------------------------------------------------------- queries
    def pairs(
        self, a: int, b: int, cutoff: float, *, chunk: int = 256
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Every (point of set ``a``, point of set ``b``) within ``cutoff``, sorted by row
        then column, with exact distances (zeros included).

        The walk goes at most ``chunk`` points at a time, nearby ones together, each
        chunk on the part of the graph it can reach (:mod:`siting.network.local_walks`),
        fewer points when the output would pass :data:`WALK_BYTES`; the answer does not
        depend on any of this.

        The last :data:`PAIRS_KEPT` answers (at most :data:`PAIRS_BYTES`) are kept: the
        same question (types of one radius on the same points) is answered again without
        walking again.
        """
        if not np.isfinite(cutoff) or cutoff < 0:
            raise InputError("cutoff must be a finite number >= 0", field="cutoff", value=cutoff)
        if chunk < 1:
            raise InputError("chunk must be >= 1", field="chunk", value=chunk)
        key = (a, b, float(cutoff))
        with _KEPT_LOCK:
            kept = self._kept.pop(key, None)
        if kept is None:
            kept = self._walk_pairs(a, b, float(cutoff), chunk)
            if sum(x.nbytes for x in kept) > PAIRS_BYTES:
                return kept  # too large to keep (nor to copy)
        with _KEPT_LOCK:  # last: the most recently asked
            self._kept[key] = kept
            while len(self._kept) > PAIRS_KEPT or sum(
                    x.nbytes for answer in self._kept.values() for x in answer) > PAIRS_BYTES:
                self._kept.pop(next(iter(self._kept)))
        rows, cols, dist = kept
        return rows.copy(), cols.copy(), dist.copy()

    def _walk_pairs(
        self, a: int, b: int, cutoff: float, chunk: int
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """:meth:`pairs`, walked."""
        from_a = self.sets[a].reached
        from_b = self.sets[b].reached
        # Dijkstra from the side with fewer points (distances are symmetric).
        swap = int(from_b.sum()) < int(from_a.sum())
        origin, target = (b, a) if swap else (a, b)
        starts = np.flatnonzero(self.sets[origin].reached)
        ends = np.flatnonzero(self.sets[target].reached)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        if starts.size == 0 or ends.size == 0:
            return empty
        limit = cutoff * (1 + CUTOFF_SLACK) + CUTOFF_SLACK
        out_o: list[IntArray] = []
        out_t: list[IntArray] = []
        out_d: list[FloatArray] = []
        whole_bytes = 8 * starts.size * self.n_nodes  # every start's row of the whole graph
        street = self._street_coordinates() if whole_bytes > LOCAL_FROM_BYTES else None
        if street is not None:  # each chunk of nearby sources on the part it can reach
            out_side = WalkSide(self.source[origin], self.sets[origin].point,
                                self._entry_node[origin])
            in_side = WalkSide(self.sink[target], self.sets[target].point,
                               self._entry_node[target])
            chunks = local_chunks(self.graph, *street, out_side, in_side, starts, ends, limit,
                                  chunk, WALK_BYTES)
        else:  # small enough, or a street shorter than its straight line: the whole graph
            step = max(1, min(chunk, WALK_BYTES // (8 * self.n_nodes)))
            sinks = self.sink[target][ends]
            parts = (starts[k : k + step] for k in range(0, starts.size, step))
            chunks = ((part, self.graph, self.source[origin][part], sinks, ends)
                      for part in parts)
        for part, graph, sources, sinks, reads in chunks:
            dist = csgraph.dijkstra(graph, directed=True, indices=sources, limit=limit)[:, sinks]
            gi, gj = np.nonzero(dist <= cutoff)
            out_o.append(part[gi])
            out_t.append(reads[gj])
            out_d.append(dist[gi, gj])
        o_all = np.concatenate(out_o)
        t_all = np.concatenate(out_t)
        d_all = np.concatenate(out_d).astype(np.float64)
        rows, cols = (t_all, o_all) if swap else (o_all, t_all)
        order = np.lexsort((cols, rows))
        return rows[order].astype(np.int64), cols[order].astype(np.int64), d_all[order]

    def _street_coordinates(self) -> tuple[FloatArray, FloatArray] | None:
        """Coordinates of the street and spot nodes (made once), or None when some street
        is shorter than the straight line between its ends: walks then cannot be cut to
        the box a chunk reaches (:mod:`siting.network.local_walks`)."""
        if self._street_xy is None:
            net = self.network
            u, v = net.edge_u, net.edge_v
            chord = np.hypot(net.node_x[u] - net.node_x[v], net.node_y[u] - net.node_y[v])
            if np.any(net.edge_length < chord * (1 - 1e-12)):
                return None
            spot_edge, spot_frac = self._spots
            su, sv = u[spot_edge], v[spot_edge]
            x = np.concatenate([net.node_x, net.node_x[su]
                                + spot_frac * (net.node_x[sv] - net.node_x[su])])
            y = np.concatenate([net.node_y, net.node_y[su]
                                + spot_frac * (net.node_y[sv] - net.node_y[su])])
            self._street_xy = (x, y)
        return self._street_xy

    def nearest(
        self, a: int, b: int, among: IntArray | None = None, cutoff: float = np.inf
    ) -> tuple[FloatArray, IntArray]:
        """For each point of set ``a``, the nearest point of set ``b`` (of ``among``, default
        all) and its distance; ``inf`` and ``-1`` where none is within ``cutoff``.

        One Dijkstra from a virtual node joined to the chosen points' sources.
        """
        n_a = self.sets[a].n_points
        dist_out = np.full(n_a, np.inf)
        idx_out = np.full(n_a, -1, dtype=np.int64)
        chosen = (np.arange(self.sets[b].n_points, dtype=np.int64) if among is None
                  else np.asarray(among, dtype=np.int64))
        if n_a == 0 or chosen.size == 0:
            return dist_out, idx_out
        root = self.n_nodes
        aug = _with_root(self.graph, self.source[b][chosen])
        limit = np.inf if not np.isfinite(cutoff) else cutoff * (1 + CUTOFF_SLACK) + CUTOFF_SLACK
        dist, pred = csgraph.dijkstra(aug, directed=True, indices=root, limit=limit,
                                      return_predecessors=True)
        first = _attach_roots(pred, root)
        sinks = self.sink[a]
        total = dist[sinks]
        ok = np.isfinite(total) & (total <= cutoff)
        point_of_source = np.full(root + 1, -1, dtype=np.int64)
        point_of_source[self.source[b][chosen]] = chosen
        dist_out[ok] = total[ok]
        idx_out[ok] = point_of_source[first[sinks[ok]]]
        return dist_out, idx_out

    def rows(self, a: int, points: IntArray, b: int) -> FloatArray:
        """Dense ``len(points) × n_b`` distances from the given points of set ``a`` to every
        point of set ``b`` (inf where unreachable): for a bounded number of points."""
        points = np.asarray(points, dtype=np.int64)
        if points.size == 0:
            return np.zeros((0, self.sets[b].n_points))
        dist = csgraph.dijkstra(self.graph, directed=True, indices=self.source[a][points])
        return np.asarray(dist[:, self.sink[b]], dtype=np.float64).reshape(points.size, -1)


def _split_edges(
    network: WalkingNetwork, spot_edge: IntArray, spot_frac: FloatArray, n: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """The street edges, those with spots on them split there (spots sorted by edge, frac)."""
    eu, ev, ew = network.edge_u, network.edge_v, network.edge_length
    split = np.zeros(eu.size, dtype=bool)
    split[spot_edge] = True
    keep = np.flatnonzero(~split)
    cut = np.flatnonzero(split)
    # Stops along each split edge: its start, its spots, its end (sorted by edge, frac).
    stop_edge = np.concatenate([cut, spot_edge, cut])
    stop_frac = np.concatenate([np.zeros(cut.size), spot_frac, np.ones(cut.size)])
    stop_node = np.concatenate([eu[cut], n + np.arange(spot_edge.size), ev[cut]])
    rank = np.concatenate([np.zeros(cut.size), np.ones(spot_edge.size), np.full(cut.size, 2)])
    order = np.lexsort((rank, stop_frac, stop_edge))
    stop_edge, stop_frac, stop_node = stop_edge[order], stop_frac[order], stop_node[order]
    same = stop_edge[1:] == stop_edge[:-1]
    piece_u = stop_node[:-1][same]
    piece_v = stop_node[1:][same]
    piece_w = (stop_frac[1:] - stop_frac[:-1])[same] * ew[stop_edge[1:][same]]
    return (np.concatenate([eu[keep], piece_u]), np.concatenate([ev[keep], piece_v]),
            np.concatenate([ew[keep], piece_w]))


def _distinct_spots(
    edge: IntArray, frac: FloatArray
) -> tuple[IntArray, FloatArray, IntArray]:
    """The distinct (edge, frac) spots sorted by edge then frac, and the spot of each entry
    (what ``np.unique`` of the pairs as rows returns, without its sort of rows).

    >>> e, f, of = _distinct_spots(np.array([4, 2, 4, 2]), np.array([0.5, 0.3, 0.5, 0.1]))
    >>> e.tolist(), f.tolist(), of.tolist()
    ([2, 2, 4], [0.1, 0.3, 0.5], [2, 1, 2, 0])
    """
    edge = np.asarray(edge, dtype=np.int64)
    order = np.lexsort((frac, edge))
    by_edge, by_frac = edge[order], frac[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = (by_edge[1:] != by_edge[:-1]) | (by_frac[1:] != by_frac[:-1])
    spot_of = np.empty(order.size, dtype=np.int64)
    spot_of[order] = np.cumsum(first) - 1
    return by_edge[first], np.asarray(by_frac[first], dtype=np.float64), spot_of


def csr_keep_zeros(rows: IntArray, cols: IntArray, data: FloatArray, n: int) -> sp.csr_matrix:
    """CSR from triplets without summing duplicates or dropping explicit zeros (zero-length
    edges are edges)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    # By row, then column, ties in their order: a stable sort of one key (lexsort's order,
    # in a third of its time).
    order = (np.argsort(rows * n + cols, kind="stable") if n < 2**31
             else np.lexsort((cols, rows)))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    np.cumsum(indptr, out=indptr)
    return sp.csr_matrix((np.asarray(data, dtype=np.float64)[order], cols[order], indptr),
                         shape=(n, n))


def _with_root(graph: sp.csr_matrix, targets: IntArray) -> sp.csr_matrix:
    """``graph`` with one more node, the last, joined by zero-length edges to ``targets``.

    The rows of ``graph`` are kept as they are and the new row is sorted, as
    :func:`csr_keep_zeros` would order the same triplets (so Dijkstra breaks ties alike).

    >>> g = csr_keep_zeros(np.array([0, 1]), np.array([1, 0]), np.array([2.0, 2.0]), 2)
    >>> _with_root(g, np.array([1, 0])).toarray().tolist()
    [[0.0, 2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> _with_root(g, np.array([1, 0])).indices.tolist()
    [1, 0, 0, 1]
    """
    n = graph.shape[0]
    cols = np.sort(np.asarray(targets, dtype=np.int64))
    indptr = np.concatenate([graph.indptr.astype(np.int64), [graph.indptr[-1] + cols.size]])
    indices = np.concatenate([graph.indices.astype(np.int64), cols])
    data = np.concatenate([graph.data, np.zeros(cols.size)])
    return sp.csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))


def _attach_roots(pred: NDArray[Any], root: int) -> IntArray:
    """For every node, the first node after ``root`` on its shortest-path tree branch."""
    pred = np.asarray(pred, dtype=np.int64)
    n = pred.size
    parent = np.where(pred == root, np.arange(n), pred)
    parent = np.where(parent < 0, np.arange(n), parent)
    for _ in range(64):  # pointer jumping: log2(depth) rounds
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    return parent
