"""Walking distances on a street network, as a metric: located on edges, shortest paths.

Demand points and the sites' access points (their own point, or entrances
along their edge: several per site, the nearest counts) are located on their
nearest street edges and attached to the street graph
(:class:`siting.network.PointGraph`, built once per metric, and shared by metrics on
the same network and the same points: the multi-service model and its verifier ask
again for the same types and years). Pairs within a
radius come from cutoff Dijkstra; the verifier's route is one Dijkstra from a
virtual node joined to the open sites; full distances, for the assignment
models, from the sites' access points a chunk at a time.

>>> import numpy as np
>>> from siting.network import WalkingNetwork
>>> net = WalkingNetwork(np.array([0.0, 100.0, 200.0]), np.zeros(3),
...                      np.array([0, 1]), np.array([1, 2]), np.array([100.0, 100.0]))
>>> m = NetworkMetric(net, np.array([[0.0, 10.0], [200.0, 0.0]]), np.array([[100.0, 0.0]]))
>>> m.within(150.0).toarray().round(1).tolist()
[[110.0], [100.0]]
>>> m.nearest_in(np.array([0]))[1].round(1).tolist()
[110.0, 100.0]
"""

from __future__ import annotations

import hashlib
import threading
import weakref

import numpy as np
import scipy.sparse as sp

from siting.coverage.base import (
    FloatArray,
    IntArray,
    Metric,
    no_sites,
    pairs_to_csr,
    segment_offsets,
    top_k,
)
from siting.network import Located, PointGraph, WalkingNetwork, locate

#: Distances held at once when whole rows of distances are needed (float64 entries).
_BLOCK_ENTRIES = 20_000_000


#: Per network, the locations of demand point sets already made (by the points' bytes): the
#: multi-service model and its verifier build a metric per type and year on the same blocks.
_LOCATED: weakref.WeakKeyDictionary[WalkingNetwork, dict[bytes, Located]] = (
    weakref.WeakKeyDictionary()
)


#: Per network, the point graphs already built (by the bytes of both point sets and of the
#: network's arrays), most recently used last; at most :data:`_GRAPHS_KEPT` graphs and
#: :data:`_GRAPHS_BYTES` of arrays per network (a graph on the 回天 district holds 0.9 MB).
_GRAPHS: weakref.WeakKeyDictionary[
    WalkingNetwork, dict[tuple[bytes, bytes, bytes], PointGraph]
] = weakref.WeakKeyDictionary()
_GRAPHS_KEPT = 64
_GRAPHS_BYTES = 256 * 2**20
_GRAPHS_LOCK = threading.Lock()


def _points_key(xy: FloatArray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(xy).tobytes(), digest_size=16).digest()


def _streets_key(network: WalkingNetwork) -> bytes:
    """The network's nodes, edges, lengths and access limit as they are now (an array may
    be edited in place: a street's length corrected, say)."""
    digest = hashlib.blake2b(repr(float(network.max_access)).encode(), digest_size=16)
    for array in (network.node_x, network.node_y, network.edge_u, network.edge_v,
                  network.edge_length):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.digest()


def located(network: WalkingNetwork, xy: FloatArray) -> Located:
    """``locate(network, xy)`` of the points ``xy`` (n × 2), remembered for the same points."""
    key = _points_key(xy)
    known = _LOCATED.setdefault(network, {})
    if key not in known:
        if len(known) >= 8:  # a few point sets per network are reused; keep memory bounded
            known.clear()
        where = locate(network, xy)
        for array in (where.point, where.edge, where.frac, where.access, where.nearest):
            array.setflags(write=False)
        known[key] = where
    return known[key]


class NetworkMetric(Metric):
    """Walking distance from demand points to sites over a :class:`WalkingNetwork`.

    ``access_xy`` holds the sites' access points and ``owner`` the site of each
    (default: one access point per site, in order).
    """

    kind = "walking on the street network"

    def __init__(
        self,
        network: WalkingNetwork,
        demand_xy: FloatArray,
        access_xy: FloatArray,
        owner: IntArray | None = None,
        n_sites: int | None = None,
    ) -> None:
        self.network = network
        self.demand_xy = np.ascontiguousarray(demand_xy, dtype=np.float64).reshape(-1, 2)
        self.access_xy = np.ascontiguousarray(access_xy, dtype=np.float64).reshape(-1, 2)
        n_access = self.access_xy.shape[0]
        self.owner = (
            np.arange(n_access, dtype=np.int64) if owner is None
            else np.asarray(owner, dtype=np.int64)
        )
        self.n_demand = self.demand_xy.shape[0]
        self.n_sites = int(n_sites if n_sites is not None else self.owner.max(initial=-1) + 1)
        # Access points grouped by site: site s owns order[start[s] : start[s] + count[s]].
        self._order = np.argsort(self.owner, kind="stable")
        self._count = np.bincount(self.owner, minlength=self.n_sites)
        self._start = np.concatenate([[0], np.cumsum(self._count)[:-1]]).astype(np.int64)
        self.demand_located = located(network, self.demand_xy)
        self._graph: PointGraph | None = None

    @property
    def access_located(self) -> Located:
        """Where the access points meet the network (set 1 of :attr:`graph`)."""
        return self.graph.sets[1]

    @property
    def graph(self) -> PointGraph:
        """The street graph with the demand points (set 0) and access points (set 1):
        the same object for every metric on this network with the same points (a graph
        is never changed once built)."""
        if self._graph is None:
            key = (_points_key(self.demand_xy), _points_key(self.access_xy),
                   _streets_key(self.network))
            with _GRAPHS_LOCK:
                known = _GRAPHS.setdefault(self.network, {})
                graph = known.pop(key, None)
            if graph is None:
                graph = PointGraph(self.network, [self.demand_located,
                                                  locate(self.network, self.access_xy)])
            with _GRAPHS_LOCK:  # metrics may be built in several threads (sweeps)
                known.pop(key, None)
                held = graph.nbytes + sum(g.nbytes for g in known.values())
                while known and (len(known) >= _GRAPHS_KEPT or held > _GRAPHS_BYTES):
                    held -= known.pop(next(iter(known))).nbytes  # the least recently used
                if graph.nbytes <= _GRAPHS_BYTES:
                    known[key] = graph  # last: the most recently used
            self._graph = graph
        return self._graph

    def within(self, radius: float) -> sp.csr_matrix:
        if self.n_demand == 0 or self.access_xy.shape[0] == 0:
            return sp.csr_matrix((self.n_demand, self.n_sites))
        rows, cols, dist = self.graph.pairs(0, 1, cutoff=float(radius))
        return pairs_to_csr(rows, self.owner[cols], dist, (self.n_demand, self.n_sites))

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        return self.nearest_within(sites, np.inf)

    def nearest_within(self, sites: IntArray, cutoff: float) -> tuple[IntArray, FloatArray]:
        """The walk stops at ``cutoff`` (a few times fewer nodes settled at a service radius)."""
        sites = np.asarray(sites, dtype=np.int64)
        chosen = np.flatnonzero(np.isin(self.owner, sites))
        if sites.size == 0 or chosen.size == 0 or self.n_demand == 0:
            return no_sites(self.n_demand)
        dist, idx = self.graph.nearest(0, 1, among=chosen, cutoff=cutoff)
        arg = np.where(idx >= 0, self.owner[np.maximum(idx, 0)], -1)
        return arg.astype(np.int64), dist

    def straight_line(self, demand: IntArray, sites: IntArray) -> FloatArray:
        """The straight line from each demand point to the nearest access point of its site:
        no walk between them can be shorter (a physical floor the verifier checks)."""
        demand = np.asarray(demand, dtype=np.int64)
        sites = np.asarray(sites, dtype=np.int64)
        counts = self._count[sites]
        pair = np.repeat(np.arange(sites.size), counts)
        offset = segment_offsets(counts)
        access = self._order[self._start[sites][pair] + offset]
        gap = self.demand_xy[demand[pair]] - self.access_xy[access]
        out = np.full(sites.size, np.inf)
        np.minimum.at(out, pair, np.hypot(gap[:, 0], gap[:, 1]))
        return out

    def _site_columns(self, sites: IntArray) -> tuple[FloatArray, IntArray]:
        """Distances from every demand point to each access point of ``sites``.

        Returns a ``n_demand × n_access`` block and, per column, its site's
        position in ``sites``; whole rows of distances are computed from the
        access points, so callers pass a bounded number of sites.
        """
        counts = self._count[sites]
        group = np.repeat(np.arange(sites.size), counts)
        offset = segment_offsets(counts)
        access = self._order[self._start[sites][group] + offset]
        rows = self.graph.rows(1, access, 0)
        return rows.T, group

    def _chunk(self) -> int:
        return max(1, _BLOCK_ENTRIES // max(self.graph.n_nodes, self.n_demand, 1))

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        demand = np.asarray(demand, dtype=np.int64)
        sites = np.asarray(sites, dtype=np.int64)
        out = np.full(demand.size, np.inf)
        unique = np.unique(sites)
        step = self._chunk()
        for start in range(0, unique.size, step):  # a chunk of sites, not of pairs
            chunk = unique[start : start + step]
            dist, group = self._site_columns(chunk)
            per_site = _min_by_group(dist, group, chunk.size)
            take = np.isin(sites, chunk)
            out[take] = per_site[demand[take], np.searchsorted(chunk, sites[take])]
        return out

    def nearest(self, k: int) -> tuple[IntArray, FloatArray]:
        k = min(k, self.n_sites)
        best_idx = np.zeros((self.n_demand, 0), dtype=np.int64)
        best_dist = np.zeros((self.n_demand, 0))
        step = self._chunk()
        for start in range(0, self.n_sites, step):
            chunk = np.arange(start, min(start + step, self.n_sites), dtype=np.int64)
            dist, group = self._site_columns(chunk)
            per_site = _min_by_group(dist, group, chunk.size)
            idx = np.broadcast_to(chunk, per_site.shape)
            best_idx, best_dist = top_k(best_idx, best_dist, idx, per_site, k)
        return best_idx, best_dist

    def site_to_site(self) -> Metric:
        sites_xy = np.full((self.n_sites, 2), np.nan)
        first = self._order[self._start[self._count > 0]]
        sites_xy[self.owner[first]] = self.access_xy[first]
        return NetworkMetric(self.network, sites_xy, self.access_xy, self.owner, self.n_sites)


def _min_by_group(dist: FloatArray, group: IntArray, n_groups: int) -> FloatArray:
    """Column-wise minimum over columns of the same group (columns sorted by group)."""
    if dist.shape[1] == 0:
        return np.full((dist.shape[0], n_groups), np.inf)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    out = np.full((dist.shape[0], n_groups), np.inf)
    out[:, group[starts]] = np.minimum.reduceat(dist, starts, axis=1)
    return out
