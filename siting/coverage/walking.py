"""Walking distances on a street network, as a metric: snap, shortest path, snap.

Sites are reached at access points: their own point, or entrances along their
edge (several per site; the nearest counts). Pairs within a radius come from
cutoff Dijkstra (:meth:`siting.network.WalkingNetwork.pairs_within`); the
verifier's route is one multi-source Dijkstra from the open sites
(:meth:`~siting.network.WalkingNetwork.nearest_within`); full distances, for
the assignment models, from site nodes a chunk at a time.

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
import weakref

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from siting.coverage.base import FloatArray, IntArray, Metric, no_sites, pairs_to_csr, top_k
from siting.network import WalkingNetwork

#: Distances held at once when whole rows of node distances are needed (float64 entries).
_BLOCK_ENTRIES = 20_000_000


#: Per network, the snaps of demand point sets already made (by the points' bytes): the
#: multi-service model and its verifier build a metric per type and year on the same blocks.
_SNAPS: weakref.WeakKeyDictionary[WalkingNetwork, dict[bytes, tuple[IntArray, FloatArray]]] = (
    weakref.WeakKeyDictionary()
)


def snapped(network: WalkingNetwork, xy: FloatArray) -> tuple[IntArray, FloatArray]:
    """``network.snap`` of the points ``xy`` (n × 2), remembered for the same points."""
    key = hashlib.blake2b(np.ascontiguousarray(xy).tobytes(), digest_size=16).digest()
    known = _SNAPS.setdefault(network, {})
    if key not in known:
        if len(known) >= 8:  # a few point sets per network are reused; keep memory bounded
            known.clear()
        node, dist = network.snap(xy[:, 0], xy[:, 1])
        node.setflags(write=False)
        dist.setflags(write=False)
        known[key] = (node, dist)
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
        self._demand_snap = snapped(network, self.demand_xy)
        self._access_snap = network.snap(self.access_xy[:, 0], self.access_xy[:, 1])

    def within(self, radius: float) -> sp.csr_matrix:
        if self.n_demand == 0 or self.access_xy.shape[0] == 0:
            return sp.csr_matrix((self.n_demand, self.n_sites))
        rows, cols, dist = self.network.pairs_within(
            self.demand_xy[:, 0], self.demand_xy[:, 1],
            self.access_xy[:, 0], self.access_xy[:, 1], cutoff=float(radius),
        )
        return pairs_to_csr(rows, self.owner[cols], dist, (self.n_demand, self.n_sites))

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        sites = np.asarray(sites, dtype=np.int64)
        chosen = np.isin(self.owner, sites)
        if sites.size == 0 or not chosen.any() or self.n_demand == 0:
            return no_sites(self.n_demand)
        xy = self.access_xy[chosen]
        dist, idx = self.network.nearest_within(
            self.demand_xy[:, 0], self.demand_xy[:, 1], xy[:, 0], xy[:, 1], cutoff=np.inf
        )
        arg = np.where(idx >= 0, self.owner[chosen][np.maximum(idx, 0)], -1)
        return arg.astype(np.int64), dist

    def _site_columns(self, sites: IntArray) -> tuple[FloatArray, IntArray]:
        """Distances from every demand point to each access point of ``sites``.

        Returns a ``n_demand × n_access`` block and, per column, its site's
        position in ``sites``; whole rows of node distances are computed from
        the distinct access nodes, so callers pass a bounded number of sites.
        """
        counts = self._count[sites]
        group = np.repeat(np.arange(sites.size), counts)
        offset = np.arange(group.size) - np.repeat(np.cumsum(counts) - counts, counts)
        access = self._order[self._start[sites][group] + offset]
        a_node, a_snap = self._access_snap[0][access], self._access_snap[1][access]
        nodes, inverse = np.unique(a_node, return_inverse=True)
        rows = csgraph.dijkstra(self.network.graph, directed=False, indices=nodes)
        d_node, d_snap = self._demand_snap
        dist = rows[inverse][:, d_node].T + a_snap[None, :] + d_snap[:, None]
        return dist, group

    def _chunk(self) -> int:
        return max(1, _BLOCK_ENTRIES // max(self.network.n_nodes, self.n_demand, 1))

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
