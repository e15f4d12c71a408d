"""Walking networks: sparse shortest-path distances between point sets, with a cutoff.

A :class:`WalkingNetwork` is an undirected graph of street nodes (metric
coordinates) and edges (lengths in metres) held as one ``scipy.sparse`` CSR
matrix. Points (demand blocks, candidate parcels, facilities) are *snapped* to
their nearest node with a KD-tree; the walking distance between two points is

    snap(a) + shortest path(node(a), node(b)) + snap(b)

and is only ever computed for pairs within a cutoff. Dijkstra runs from the
unique snapped nodes of the *smaller* point set, a chunk of origins at a time,
with ``limit=cutoff``, so memory stays at ``chunk × n_nodes`` and no dense
``n_sources × n_destinations`` array is built.

Zero distances (a point lying exactly on a node that another point also lies
on) are real answers that a sparse matrix would silently lose. Two forms are
offered: :meth:`WalkingNetwork.pairs_within` returns an exact ``(rows, cols,
dist)`` triple; :meth:`WalkingNetwork.distances_within` returns a CSR matrix in
which an exact zero is stored as :data:`ZERO_DISTANCE` (1e-9 m), so every
stored entry means "within the cutoff".

>>> import numpy as np
>>> net = WalkingNetwork(np.array([0.0, 100.0, 200.0]), np.zeros(3),
...                      np.array([0, 1]), np.array([1, 2]), np.array([100.0, 100.0]))
>>> m = net.distances_within([0.0, 200.0], [0.0, 10.0], [100.0], [0.0], cutoff=150.0)
>>> m.shape, m.toarray().round(1).tolist()
((2, 1), [[100.0], [110.0]])
>>> rows, cols, dist = net.pairs_within([0.0], [0.0], [0.0, 200.0], [0.0, 0.0], cutoff=500.0)
>>> rows.tolist(), cols.tolist(), dist.tolist()
([0, 0], [0, 1], [0.0, 200.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from siting.errors import InputError

if TYPE_CHECKING:  # geopandas is only needed by from_frames
    import geopandas as gpd

__all__ = ["ZERO_DISTANCE", "ComponentInfo", "WalkingNetwork"]

#: Value stored in :meth:`WalkingNetwork.distances_within` for an exact zero distance.
ZERO_DISTANCE: float = 1e-9

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ComponentInfo:
    """Connected components of a network.

    Attributes:
        n_components: number of components.
        labels: component label of every node (0 = the largest component).
        sizes: node count per label, largest first.
    """

    n_components: int
    labels: IntArray
    sizes: IntArray


def _as_1d_float(values: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise InputError("coordinates must be finite numbers", field=name)
    return arr


class WalkingNetwork:
    """Undirected street graph with KD-tree snapping and cutoff Dijkstra.

    Args:
        node_x, node_y: node coordinates in a metric CRS (metres).
        u, v: edge end points as node *positions* (0 … n_nodes-1).
        length: edge lengths in metres (≥ 0). Parallel edges keep the shortest;
            self-loops are ignored; zero-length edges are kept as zero-weight edges.
        node_ids: optional user ids of the nodes (default: positions).
    """

    def __init__(
        self,
        node_x: ArrayLike,
        node_y: ArrayLike,
        u: ArrayLike,
        v: ArrayLike,
        length: ArrayLike,
        node_ids: ArrayLike | None = None,
    ) -> None:
        x = _as_1d_float(node_x, "node_x")
        y = _as_1d_float(node_y, "node_y")
        if x.shape != y.shape:
            raise InputError("node_x and node_y differ in length", field="node_y")
        n = x.size
        if n == 0:
            raise InputError("a walking network needs at least one node", field="node_x")
        uu = np.asarray(u, dtype=np.int64).reshape(-1)
        vv = np.asarray(v, dtype=np.int64).reshape(-1)
        ll = np.asarray(length, dtype=np.float64).reshape(-1)
        if not (uu.size == vv.size == ll.size):
            raise InputError("u, v and length differ in length", field="length")
        if uu.size and (min(uu.min(), vv.min()) < 0 or max(uu.max(), vv.max()) >= n):
            raise InputError("edge end point is not a node position", field="u")
        if np.any(~np.isfinite(ll)) or np.any(ll < 0):
            raise InputError("edge lengths must be finite and >= 0", field="length")
        self.node_x: FloatArray = x
        self.node_y: FloatArray = y
        self.node_ids: NDArray[Any] = (
            np.arange(n, dtype=np.int64) if node_ids is None else np.asarray(node_ids)
        )
        self.graph: sp.csr_matrix = self._build_graph(n, uu, vv, ll)
        self._tree = cKDTree(np.column_stack([x, y]))
        self._components: ComponentInfo | None = None

    # ------------------------------------------------------------------ build
    @staticmethod
    def _build_graph(n: int, u: IntArray, v: IntArray, length: FloatArray) -> sp.csr_matrix:
        keep = u != v
        a = np.minimum(u[keep], v[keep])
        b = np.maximum(u[keep], v[keep])
        w = length[keep]
        # Shortest of parallel edges: sort by (a, b, w) and keep the first of each (a, b).
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.ones(a.size, dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w = a[first], b[first], w[first]
        # Store the upper triangle only and let csgraph treat it as undirected.
        # The csr_matrix is built from (data, indices, indptr) directly, so explicit
        # zero-length edges survive (a COO -> CSR conversion would keep them too, but
        # any later arithmetic could drop them).
        order = np.lexsort((b, a))
        a, b, w = a[order], b[order], w[order]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(indptr, a + 1, 1)
        np.cumsum(indptr, out=indptr)
        return sp.csr_matrix((w, b, indptr), shape=(n, n))

    @classmethod
    def from_frames(
        cls,
        nodes: gpd.GeoDataFrame,
        edges: Any,
        node_id: str = "node_id",
        u: str = "u",
        v: str = "v",
        length: str = "length_m",
    ) -> WalkingNetwork:
        """Build from a node GeoDataFrame (point geometry) and an edge table.

        Edge end points ``u``/``v`` refer to values of ``nodes[node_id]``.
        """
        for col in (node_id,):
            if col not in nodes.columns:
                raise InputError("missing column in network nodes", field=col)
        for col in (u, v, length):
            if col not in edges.columns:
                raise InputError("missing column in network edges", field=col)
        ids = np.asarray(nodes[node_id])
        if np.unique(ids).size != ids.size:
            raise InputError("node ids are not unique", field=node_id)
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]

        def positions(values: NDArray[Any], field: str) -> IntArray:
            idx = np.searchsorted(sorted_ids, values)
            idx = np.clip(idx, 0, sorted_ids.size - 1)
            bad = sorted_ids[idx] != values
            if np.any(bad):
                raise InputError(
                    "edge end point is not a node id", field=field, value=values[bad][0]
                )
            return order[idx].astype(np.int64)

        geom = nodes.geometry
        return cls(
            np.asarray(geom.x, dtype=np.float64),
            np.asarray(geom.y, dtype=np.float64),
            positions(np.asarray(edges[u]), u),
            positions(np.asarray(edges[v]), v),
            np.asarray(edges[length], dtype=np.float64),
            node_ids=ids,
        )

    # ------------------------------------------------------------ properties
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_x.size)

    @property
    def n_edges(self) -> int:
        """Number of distinct undirected edges."""
        return int(self.graph.nnz)

    # --------------------------------------------------------------- snapping
    def snap(self, x: ArrayLike, y: ArrayLike) -> tuple[IntArray, FloatArray]:
        """Nearest node position and straight-line snap distance of each point."""
        px = _as_1d_float(x, "x")
        py = _as_1d_float(y, "y")
        if px.shape != py.shape:
            raise InputError("x and y differ in length", field="y")
        if px.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        dist, idx = self._tree.query(np.column_stack([px, py]))
        return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float64)

    # ------------------------------------------------------------- components
    def connected_components(self) -> ComponentInfo:
        """Connected components, labelled by decreasing size (0 = largest)."""
        if self._components is None:
            n_comp, raw = csgraph.connected_components(self.graph, directed=False)
            sizes = np.bincount(raw, minlength=n_comp)
            # Stable order: by size descending, then by smallest node position.
            first_node = np.full(n_comp, self.n_nodes, dtype=np.int64)
            np.minimum.at(first_node, raw, np.arange(self.n_nodes))
            rank = np.lexsort((first_node, -sizes))
            relabel = np.empty(n_comp, dtype=np.int64)
            relabel[rank] = np.arange(n_comp)
            self._components = ComponentInfo(
                n_components=int(n_comp),
                labels=relabel[raw].astype(np.int64),
                sizes=sizes[rank].astype(np.int64),
            )
        return self._components

    def unreachable_nodes(self) -> IntArray:
        """Positions of nodes outside the largest connected component (sorted)."""
        info = self.connected_components()
        return np.flatnonzero(info.labels != 0).astype(np.int64)

    # -------------------------------------------------------------- distances
    def pairs_within(
        self,
        src_x: ArrayLike,
        src_y: ArrayLike,
        dst_x: ArrayLike,
        dst_y: ArrayLike,
        cutoff: float,
        *,
        chunk: int = 256,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """All (source, destination) pairs whose walking distance is ≤ ``cutoff``.

        Returns ``(rows, cols, dist)`` sorted by row then column; ``dist`` is
        exact (zeros included). Distances include both snap distances.
        """
        if not np.isfinite(cutoff) or cutoff < 0:
            raise InputError("cutoff must be a finite number >= 0", field="cutoff", value=cutoff)
        if chunk < 1:
            raise InputError("chunk must be >= 1", field="chunk", value=chunk)
        s_node, s_snap = self.snap(src_x, src_y)
        d_node, d_snap = self.snap(dst_x, dst_y)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        if s_node.size == 0 or d_node.size == 0:
            return empty
        # Run Dijkstra from the side with fewer distinct nodes (the graph is
        # undirected, so the distances are the same either way).
        swap = np.unique(d_node).size < np.unique(s_node).size
        if swap:
            o_node, o_snap, t_node, t_snap = d_node, d_snap, s_node, s_snap
        else:
            o_node, o_snap, t_node, t_snap = s_node, s_snap, d_node, d_snap
        o_groups = _Groups(o_node, o_snap, cutoff)
        t_groups = _Groups(t_node, t_snap, cutoff)
        if o_groups.nodes.size == 0 or t_groups.nodes.size == 0:
            return empty
        t_min = float(t_groups.min_snap.min())

        out_o: list[IntArray] = []
        out_t: list[IntArray] = []
        out_d: list[FloatArray] = []
        for start in range(0, o_groups.nodes.size, chunk):
            sl = slice(start, start + chunk)
            nodes = o_groups.nodes[sl]
            limit = cutoff - t_min - float(o_groups.min_snap[sl].min())
            if limit < 0:
                continue
            dist = csgraph.dijkstra(self.graph, directed=False, indices=nodes, limit=limit)
            sub = dist[:, t_groups.nodes]  # chunk × distinct target nodes
            gi, gj = np.nonzero(sub <= limit)
            if gi.size == 0:
                continue
            net = sub[gi, gj]
            # Node pairs -> point pairs: every origin point of node gi times every
            # target point of node gj, then the exact filter with both snaps.
            oi, pair = o_groups.expand(gi + start)
            tj, pair2 = t_groups.expand(gj[pair])
            oi = oi[pair2]
            net = net[pair][pair2]
            total = o_snap[oi] + net + t_snap[tj]
            ok = total <= cutoff
            out_o.append(oi[ok])
            out_t.append(tj[ok])
            out_d.append(total[ok])
        if not out_o:
            return empty
        o_all = np.concatenate(out_o)
        t_all = np.concatenate(out_t)
        d_all = np.concatenate(out_d)
        rows, cols = (t_all, o_all) if swap else (o_all, t_all)
        order = np.lexsort((cols, rows))
        return rows[order], cols[order], d_all[order]

    def distances_within(
        self,
        src_x: ArrayLike,
        src_y: ArrayLike,
        dst_x: ArrayLike,
        dst_y: ArrayLike,
        cutoff: float,
        *,
        chunk: int = 256,
    ) -> sp.csr_matrix:
        """Sparse ``n_src × n_dst`` matrix of walking distances ≤ ``cutoff``.

        Every stored entry is a pair within the cutoff; an exact zero distance is
        stored as :data:`ZERO_DISTANCE` so that it cannot be mistaken for "absent".
        Use :meth:`pairs_within` for exact values.
        """
        rows, cols, dist = self.pairs_within(src_x, src_y, dst_x, dst_y, cutoff, chunk=chunk)
        n_src = np.asarray(src_x).reshape(-1).size
        n_dst = np.asarray(dst_x).reshape(-1).size
        data = np.where(dist == 0.0, ZERO_DISTANCE, dist)
        return sp.csr_matrix((data, (rows, cols)), shape=(n_src, n_dst))

    def nearest_within(
        self,
        src_x: ArrayLike,
        src_y: ArrayLike,
        dst_x: ArrayLike,
        dst_y: ArrayLike,
        cutoff: float,
    ) -> tuple[FloatArray, IntArray]:
        """Walking distance from each source to its nearest destination.

        One multi-source Dijkstra from all destination nodes at once (the
        destination snap distances enter as per-source offsets through a virtual
        super-source). Returns ``(dist, dst_index)``; ``inf`` and ``-1`` where no
        destination is within ``cutoff``.
        """
        s_node, s_snap = self.snap(src_x, src_y)
        d_node, d_snap = self.snap(dst_x, dst_y)
        n_src = s_node.size
        dist_out = np.full(n_src, np.inf)
        idx_out = np.full(n_src, -1, dtype=np.int64)
        if n_src == 0 or d_node.size == 0:
            return dist_out, idx_out
        # Best destination per node (smallest snap), then a super-source joined to
        # those nodes by edges of length = snap.
        order = np.lexsort((d_snap, d_node))
        first = np.ones(order.size, dtype=bool)
        first[1:] = d_node[order][1:] != d_node[order][:-1]
        best = order[first]
        n = self.n_nodes
        g = self.graph.tocoo()
        rows = np.concatenate([g.row, np.full(best.size, n)])
        cols = np.concatenate([g.col, d_node[best]])
        data = np.concatenate([g.data, d_snap[best]])
        aug = _csr_keep_zeros(rows, cols, data, n + 1)
        dist, pred = csgraph.dijkstra(
            aug, directed=False, indices=n, limit=cutoff, return_predecessors=True
        )
        # Walk predecessors back to the node attached to the super-source.
        node_of_best = np.full(n + 1, -1, dtype=np.int64)
        node_of_best[d_node[best]] = best
        attach = _attach_roots(pred, n)
        total = dist[s_node] + s_snap
        ok = np.isfinite(total) & (total <= cutoff)
        dist_out[ok] = total[ok]
        idx_out[ok] = node_of_best[attach[s_node[ok]]]
        return dist_out, idx_out

    def node_distances(self, sources: Sequence[int] | IntArray, cutoff: float) -> FloatArray:
        """Dense ``len(sources) × n_nodes`` node-to-node distances (inf beyond cutoff).

        For small source sets and tests; the point-set methods above are the
        scalable path.
        """
        idx = np.asarray(sources, dtype=np.int64)
        return np.asarray(
            csgraph.dijkstra(self.graph, directed=False, indices=idx, limit=cutoff)
        )


class _Groups:
    """Points grouped by snapped node (CSR-like): which points sit at each node."""

    def __init__(self, node: IntArray, snap: FloatArray, cutoff: float) -> None:
        usable = np.flatnonzero(snap <= cutoff)
        order = usable[np.lexsort((usable, node[usable]))]
        n_sorted = node[order]
        if order.size:
            starts = np.flatnonzero(np.r_[True, n_sorted[1:] != n_sorted[:-1]])
        else:
            starts = np.zeros(0, dtype=np.int64)
        self.order: IntArray = order
        self.nodes: IntArray = n_sorted[starts]
        self.starts: IntArray = starts.astype(np.int64)
        self.counts: IntArray = np.diff(np.r_[starts, order.size]).astype(np.int64)
        self.min_snap: FloatArray = (
            np.minimum.reduceat(snap[order], starts) if order.size else np.zeros(0)
        )

    def expand(self, group: IntArray) -> tuple[IntArray, IntArray]:
        """Point indices of the given groups, and for each the position in ``group``."""
        counts = self.counts[group]
        pair = np.repeat(np.arange(group.size, dtype=np.int64), counts)
        # Offset of each repeated item within its group.
        offs = np.arange(pair.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        points = self.order[self.starts[group][pair] + offs]
        return points, pair


def _csr_keep_zeros(rows: IntArray, cols: IntArray, data: FloatArray, n: int) -> sp.csr_matrix:
    """CSR from triplets without summing duplicates or dropping explicit zeros."""
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    np.cumsum(indptr, out=indptr)
    return sp.csr_matrix((data[order], cols[order], indptr), shape=(n, n))


def _attach_roots(pred: NDArray[Any], root: int) -> IntArray:
    """For every node, the first node after ``root`` on its shortest-path tree branch."""
    pred = np.asarray(pred, dtype=np.int64).copy()
    n = pred.size
    attach = np.arange(n, dtype=np.int64)
    # Pointer jumping: nodes whose predecessor is the root are their own attach
    # point; others inherit their predecessor's. log2(depth) rounds.
    parent = np.where(pred == root, np.arange(n), pred)
    parent = np.where(parent < 0, np.arange(n), parent)
    for _ in range(64):
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    attach[:] = parent
    return attach
