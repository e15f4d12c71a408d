"""Distances given as a sparse table (a routing engine's travel times): absent pairs unreachable.

A :class:`TableMetric` holds only the pairs it was given, sorted by demand
point and site (a CSR layout of its own, so that a cost of exactly 0 stays 0);
a pair that is not stored has no finite distance. Every query is a vectorised
pass over the stored pairs, never over ``n_demand × n_sites``.

>>> import numpy as np
>>> m = TableMetric(np.array([0, 0, 1]), np.array([0, 2, 1]), np.array([4.0, 0.0, 7.5]), (2, 3),
...                 unit="min")
>>> m.within(5.0).toarray()
array([[4.e+00, 0.e+00, 1.e-12],
       [0.e+00, 0.e+00, 0.e+00]])
>>> m.pair_distance(np.array([0, 0, 1]), np.array([2, 1, 1])).tolist()
[0.0, inf, 7.5]
>>> m.nearest_in(np.array([0, 1]))
(array([0, 1]), array([4. , 7.5]))
>>> m.nearest(2)[0].tolist(), m.kind
([[2, 0], [1, -1]], 'travel table (min)')
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from siting.coverage.base import FloatArray, IntArray, Metric, no_sites, pairs_to_csr
from siting.coverage.points import RADIUS_SLACK


class TableMetric(Metric):
    """Given (demand, site, distance) pairs; every other pair is unreachable.

    The pairs must be distinct, with finite distances ``>= 0`` (the readers of
    :mod:`siting.coverage.od` refuse anything else, naming the row). ``unit``
    labels the distances in messages (``"min"``: the radius is then in
    minutes); ``site_table``, when known, gives distances between sites.

    Parameters
    ----------
    demand, sites : numpy.ndarray of int
        Positions of the demand point and the site of each pair.
    distance : numpy.ndarray of float
        The pairs' distances, finite and ``>= 0``.
    shape : (int, int)
        Number of demand points and of sites.
    unit : str, optional
        A label for the distances (``"min"``).
    site_table : TableMetric, optional
        Distances between sites (for p-center bounds).

    Raises
    ------
    ValueError
        A repeated pair, or a distance that is negative or not finite.

    Examples
    --------
    >>> metric = TableMetric(np.array([0, 1]), np.array([1, 1]), np.array([4.0, 2.5]), (2, 2),
    ...                      unit="min")
    >>> metric.pair_distance(np.array([0, 0]), np.array([0, 1]))
    array([inf,  4.])
    >>> metric.kind
    'travel table (min)'
    """

    kind = "travel table"
    #: Distances are the table's own (any unit), not measured between coordinates.
    from_table = True

    def __init__(
        self,
        demand: IntArray,
        sites: IntArray,
        distance: FloatArray,
        shape: tuple[int, int],
        *,
        unit: str | None = None,
        site_table: TableMetric | None = None,
    ) -> None:
        demand = np.asarray(demand, dtype=np.int64)
        sites = np.asarray(sites, dtype=np.int64)
        distance = np.asarray(distance, dtype=np.float64)
        self.n_demand, self.n_sites = int(shape[0]), int(shape[1])
        if distance.size and not (np.isfinite(distance).all() and (distance >= 0).all()):
            raise ValueError("a table metric holds finite distances >= 0 only")
        order = np.lexsort((sites, demand))
        self.keys = demand[order] * max(self.n_sites, 1) + sites[order]
        if self.keys.size > 1 and not (np.diff(self.keys) > 0).all():
            raise ValueError("a table metric holds each (demand, site) pair once")
        self.indices = sites[order]
        self.data = distance[order]
        counts = np.bincount(demand, minlength=self.n_demand)
        self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.unit = unit
        if unit:
            self.kind = f"travel table ({unit})"
        self._site_table = site_table

    @property
    def nnz(self) -> int:
        """The number of reachable pairs stored."""
        return int(self.data.size)

    def rows(self) -> IntArray:
        """The demand point of every stored pair (in storage order)."""
        return np.repeat(np.arange(self.n_demand, dtype=np.int64), np.diff(self.indptr))

    def largest(self) -> float:
        """The largest stored distance (0 for an empty table)."""
        return float(self.data.max(initial=0.0))

    def reached(self) -> np.ndarray:
        """Per demand point: whether any site reaches it."""
        return np.diff(self.indptr) > 0

    def pairs(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Every stored pair, sorted by demand point, then distance, then site."""
        rows = self.rows()
        order = np.lexsort((self.indices, self.data, rows))
        return rows[order], self.indices[order], self.data[order]

    def within(self, radius: float) -> sp.csr_matrix:
        keep = self.data <= float(radius) * (1 + RADIUS_SLACK)
        return pairs_to_csr(self.rows()[keep], self.indices[keep], self.data[keep],
                            (self.n_demand, self.n_sites))

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        demand = np.asarray(demand, dtype=np.int64)
        sites = np.asarray(sites, dtype=np.int64)
        out = np.full(demand.size, np.inf)
        if self.keys.size == 0 or demand.size == 0:
            return out
        wanted = demand * max(self.n_sites, 1) + sites
        pos = np.minimum(np.searchsorted(self.keys, wanted), self.keys.size - 1)
        found = self.keys[pos] == wanted
        out[found] = self.data[pos[found]]
        return out

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        sites = np.asarray(sites, dtype=np.int64)
        if sites.size == 0:
            return no_sites(self.n_demand)
        chosen = np.zeros(self.n_sites, dtype=bool)
        chosen[sites] = True
        take = np.flatnonzero(chosen[self.indices])
        rows = self.rows()[take]
        order = np.lexsort((self.indices[take], self.data[take], rows))
        rows = rows[order]
        first = np.ones(rows.size, dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        arg, best = no_sites(self.n_demand)
        pick = take[order][first]
        arg[rows[first]] = self.indices[pick]
        best[rows[first]] = self.data[pick]
        return arg, best

    def nearest(self, k: int) -> tuple[IntArray, FloatArray]:
        """The ``k`` nearest sites of each point; ``(-1, inf)`` where it reaches fewer."""
        k = min(int(k), self.n_sites)
        idx = np.full((self.n_demand, k), -1, dtype=np.int64)
        dist = np.full((self.n_demand, k), np.inf)
        rows, cols, data = self.pairs()
        rank = np.arange(rows.size) - self.indptr[rows]
        keep = rank < k
        idx[rows[keep], rank[keep]] = cols[keep]
        dist[rows[keep], rank[keep]] = data[keep]
        return idx, dist

    def site_to_site(self) -> Metric | None:
        return self._site_table
