"""The walking network: an undirected street graph and walking distances between point sets.

A :class:`WalkingNetwork` holds street nodes (metric coordinates) and straight
edges between them with walking lengths in metres (at least the straight line;
longer where a length column holds detours). Points (demand blocks, candidate
parcels, facilities) meet it on their nearest *edge* (:func:`siting.network.locate`):
the walking distance between two points is

    access(a) + along the edge + shortest path + along the edge + access(b)

computed as one shortest path on the graph with the points attached
(:class:`siting.network.PointGraph`), only for pairs within a cutoff, a chunk of
origins at a time, so no dense ``n_sources × n_destinations`` array is built.

Zero distances (two points at the same spot of a street) are real answers that a
sparse matrix would silently lose. :meth:`WalkingNetwork.pairs_within` returns an
exact ``(rows, cols, dist)`` triple; :meth:`WalkingNetwork.distances_within` a CSR
matrix in which an exact zero is stored as :data:`ZERO_DISTANCE` (1e-9 m).

>>> import numpy as np
>>> net = WalkingNetwork(np.array([0.0, 100.0, 200.0]), np.zeros(3),
...                      np.array([0, 1]), np.array([1, 2]), np.array([100.0, 100.0]))
>>> m = net.distances_within([0.0, 200.0], [0.0, 10.0], [100.0], [0.0], cutoff=150.0)
>>> m.shape, m.toarray().round(1).tolist()
((2, 1), [[100.0], [110.0]])
>>> rows, cols, dist = net.pairs_within([0.0], [0.0], [50.0, 200.0], [5.0, 0.0], cutoff=500.0)
>>> rows.tolist(), cols.tolist(), dist.tolist()
([0, 0], [0, 1], [55.0, 200.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csgraph

from siting.errors import InputError
from siting.network.access import Located, PointGraph, locate

if TYPE_CHECKING:  # geopandas is only needed by from_frames, cKDTree by snap
    import geopandas as gpd
    import shapely
    from scipy.spatial import cKDTree

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
    arr = np.array(values, dtype=np.float64).reshape(-1)  # a copy: the caller's stays theirs
    if not np.all(np.isfinite(arr)):
        raise InputError("coordinates must be finite numbers", field=name)
    return arr


class WalkingNetwork:
    """Undirected street graph; points located on its edges; cutoff Dijkstra.

    Args:
        node_x, node_y: node coordinates in a metric CRS (metres).
        u, v: edge end points as node *positions* (0 … n_nodes-1); an edge is the
            straight segment between its nodes.
        length: edge lengths in metres (≥ 0). Parallel edges keep the shortest;
            self-loops are ignored; zero-length edges are kept as zero-weight edges.
        node_ids: optional user ids of the nodes (default: positions).
        max_access: a point farther than this (metres) from every edge is not
            located: unreachable (default: no limit).
        line: optional source line (a row of the street layer) of every edge, for
            messages.
        crs: the CRS of the coordinates, when known.

    The network keeps copies of its inputs and its arrays (``node_x``, ``node_y``,
    ``node_ids``, ``edge_u``, ``edge_v``, ``edge_length``, ``edge_line``) are
    read-only: what is cached from them (located points, the segment tree, point
    graphs) can never go stale. Build a new network to change a street.
    """

    def __init__(
        self,
        node_x: ArrayLike,
        node_y: ArrayLike,
        u: ArrayLike,
        v: ArrayLike,
        length: ArrayLike,
        node_ids: ArrayLike | None = None,
        *,
        max_access: float = np.inf,
        line: ArrayLike | None = None,
        crs: Any = None,
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
        if not (max_access > 0):
            raise InputError("max_access must be > 0", field="max_access", value=max_access)
        src = (np.full(uu.size, -1, dtype=np.int64) if line is None
               else np.asarray(line, dtype=np.int64).reshape(-1))
        self.node_x: FloatArray = x
        self.node_y: FloatArray = y
        self.node_ids: NDArray[Any] = (
            np.arange(n, dtype=np.int64) if node_ids is None else np.array(node_ids)
        )
        self.max_access = float(max_access)
        self.crs = crs
        #: What building the network found (junctions, components, crossings), when built
        #: from a street layer (:func:`siting.data.street_network`); else None.
        self.diagnostics: Any = None
        #: Reprojections and defaults taken while building, one sentence each.
        self.notes: list[str] = []
        #: The distinct undirected edges (shortest of parallels), and their source lines.
        self.edge_u, self.edge_v, self.edge_length, self.edge_line = _distinct_edges(
            uu, vv, ll, src
        )
        self.graph: sp.csr_matrix = _upper_csr(
            n, self.edge_u, self.edge_v.copy(), self.edge_length.copy()
        )
        # Read-only: the located points, the segment tree and the point graphs are cached
        # from these arrays, so an edit in place would leave them stale (a new network
        # is the way to change a street).
        for arr in (self.node_x, self.node_y, self.node_ids, self.edge_u, self.edge_v,
                    self.edge_length, self.edge_line):
            arr.flags.writeable = False
        self._tree: cKDTree | None = None  # made by the first snap
        self._segments: shapely.STRtree | None = None
        self._components: ComponentInfo | None = None

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
            crs=getattr(nodes, "crs", None),
        )

    # ------------------------------------------------------------ properties
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_x.size)

    @property
    def n_edges(self) -> int:
        """Number of distinct undirected edges."""
        return int(self.edge_u.size)

    def segment_tree(self) -> shapely.STRtree:
        """A spatial index of the edges as straight segments, in edge order (built once)."""
        if self._segments is None:
            import shapely

            start = np.column_stack([self.node_x[self.edge_u], self.node_y[self.edge_u]])
            end = np.column_stack([self.node_x[self.edge_v], self.node_y[self.edge_v]])
            self._segments = shapely.STRtree(shapely.linestrings(np.stack([start, end], axis=1)))
        return self._segments

    # --------------------------------------------------------------- locating
    def locate(self, x: ArrayLike, y: ArrayLike) -> Located:
        """Where each point meets the network: its nearest edge (see
        :func:`siting.network.locate`)."""
        px = _as_1d_float(x, "x")
        py = _as_1d_float(y, "y")
        if px.shape != py.shape:
            raise InputError("x and y differ in length", field="y")
        return locate(self, np.column_stack([px, py]))

    def snap(self, x: ArrayLike, y: ArrayLike) -> tuple[IntArray, FloatArray]:
        """Nearest node position and straight-line distance of each point (for maps and
        statistics; distances locate points on edges, :meth:`locate`)."""
        px = _as_1d_float(x, "x")
        py = _as_1d_float(y, "y")
        if px.shape != py.shape:
            raise InputError("x and y differ in length", field="y")
        if px.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if self._tree is None:
            from scipy.spatial import cKDTree  # here: building and walking never snap

            self._tree = cKDTree(np.column_stack([self.node_x, self.node_y]))
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

    def component_of(self, where: Located) -> IntArray:
        """Per point: the component label of the edge it meets (-1: not located); a
        point on several equally near edges takes the largest of their components."""
        labels = self.connected_components().labels
        out = np.full(where.n_points, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(out, where.point, labels[self.edge_u[where.edge]])
        out[out == np.iinfo(np.int64).max] = -1
        return out

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

        Returns ``(rows, cols, dist)`` sorted by row then column; ``dist`` is exact
        (zeros included) and includes both access distances.
        """
        if not np.isfinite(cutoff) or cutoff < 0:
            raise InputError("cutoff must be a finite number >= 0", field="cutoff", value=cutoff)
        graph = PointGraph(self, [self.locate(src_x, src_y), self.locate(dst_x, dst_y)])
        return graph.pairs(0, 1, cutoff, chunk=chunk)

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

        One Dijkstra from all destinations at once (a virtual node joined to them).
        Returns ``(dist, dst_index)``; ``inf`` and ``-1`` where no destination is
        within ``cutoff``.
        """
        graph = PointGraph(self, [self.locate(src_x, src_y), self.locate(dst_x, dst_y)])
        return graph.nearest(0, 1, cutoff=cutoff)

    def node_distances(self, sources: Sequence[int] | IntArray, cutoff: float) -> FloatArray:
        """Dense ``len(sources) × n_nodes`` node-to-node distances (inf beyond cutoff).

        For small source sets and tests; the point-set methods above are the
        scalable path.
        """
        idx = np.asarray(sources, dtype=np.int64)
        return np.asarray(
            csgraph.dijkstra(self.graph, directed=False, indices=idx, limit=cutoff)
        )


def _distinct_edges(
    u: IntArray, v: IntArray, length: FloatArray, line: IntArray
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Undirected edges without self-loops, the shortest of parallel ones kept."""
    keep = u != v
    a = np.minimum(u[keep], v[keep])
    b = np.maximum(u[keep], v[keep])
    w = length[keep]
    src = line[keep]
    order = np.lexsort((w, b, a))
    a, b, w, src = a[order], b[order], w[order], src[order]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[first], b[first], w[first], src[first]


def _upper_csr(n: int, a: IntArray, b: IntArray, w: FloatArray) -> sp.csr_matrix:
    """The upper triangle as CSR (csgraph reads it as undirected), explicit zeros kept.

    Built from (data, indices, indptr) directly: a COO → CSR conversion keeps
    zero-length edges too, but later arithmetic could drop them.
    """
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, a + 1, 1)
    np.cumsum(indptr, out=indptr)
    return sp.csr_matrix((w, b, indptr), shape=(n, n))
