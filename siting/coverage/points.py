"""Straight-line metrics: to sites' points (KD-trees) or to the nearest point of their shapes.

>>> import numpy as np, shapely
>>> m = EuclideanMetric(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[0.0, 3.0], [9.0, 0.0]]))
>>> m.within(5.0).toarray().round(1)
array([[3., 0.],
       [0., 1.]])
>>> m.pair_distance(np.array([0, 1]), np.array([1, 0])).round(3)
array([ 9.  , 10.44])
>>> park = shapely.box(4.0, -1.0, 6.0, 1.0)     # reached at its edge, 4 m from either point
>>> ShapeMetric(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([park])).within(4.0).toarray()
array([[4.],
       [4.]])
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.coverage.base import FloatArray, IntArray, Metric, no_sites, pairs_to_csr
from siting.coverage.grid import SiteGrid

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

#: Relative slack on a radius, so that a pair at exactly the radius is never lost to round-off.
RADIUS_SLACK = 1e-12


def points_of(shapes: NDArray[Any]) -> FloatArray:
    """A point for each shape: the point itself, else a point surely inside it.

    A representative point, not the centroid: an L-shaped parcel's centroid may
    lie outside the parcel.
    """
    import shapely

    shapes = np.asarray(shapes, dtype=object)
    if shapes.size == 0:
        return np.zeros((0, 2))
    is_point = shapely.get_type_id(shapes) == 0
    pts = np.where(is_point, shapes, shapely.point_on_surface(shapes))
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]).astype(np.float64)


def entrances(shapes: NDArray[Any], spacing: float = 100.0) -> tuple[FloatArray, IntArray]:
    """Access points along each shape's edge (every ``spacing`` m; a point is its own).

    Returns the points and, for each, the position of the shape it belongs to.

    >>> import shapely
    >>> xy, owner = entrances(np.array([shapely.box(0, 0, 100, 100), shapely.Point(5, 5)]))
    >>> len(xy), owner.tolist()[-2:]
    (6, [0, 1])
    """
    import shapely

    shapes = np.asarray(shapes, dtype=object)
    edges = np.where(shapely.get_type_id(shapes) == 0, shapes, shapely.boundary(shapes))
    coords, owner = shapely.get_coordinates(shapely.segmentize(edges, spacing), return_index=True)
    return coords.astype(np.float64), owner.astype(np.int64)


class EuclideanMetric(Metric):
    """Straight-line distances between points, queried in chunks of demand points.

    Pairs within a radius come from a grid of cells listing the sites in reach
    (:mod:`siting.coverage.grid`) or, where no grid fits, from KD-trees; the
    nearest sites (what the verifier asks) always from a KD-tree of the sites.
    """

    kind = "straight line"

    def __init__(self, demand_xy: FloatArray, site_xy: FloatArray, chunk: int = 50_000) -> None:
        self.demand_xy = np.ascontiguousarray(demand_xy, dtype=np.float64).reshape(-1, 2)
        self.site_xy = np.ascontiguousarray(site_xy, dtype=np.float64).reshape(-1, 2)
        self.n_demand = self.demand_xy.shape[0]
        self.n_sites = self.site_xy.shape[0]
        self.chunk = chunk
        self._site_tree: cKDTree | None = None

    @property
    def site_tree(self) -> cKDTree:
        if self._site_tree is None:
            from scipy.spatial import cKDTree  # scipy.spatial only where a tree is used

            self._site_tree = cKDTree(self.site_xy)
        return self._site_tree

    def within(self, radius: float) -> sp.csr_matrix:
        if self.n_demand == 0 or self.n_sites == 0:
            return sp.csr_matrix((self.n_demand, self.n_sites))
        blocks = [block for _, block in self.within_blocks(radius)]
        return sp.csr_matrix(sp.vstack(blocks, format="csr"))

    def within_blocks(self, radius: float) -> Iterator[tuple[int, sp.csr_matrix]]:
        """Pairs within ``radius``, ``chunk`` demand points at a time.

        >>> m = EuclideanMetric(np.array([[0.0, 0.0], [5.0, 0.0], [9.0, 0.0]]),
        ...                     np.array([[1.0, 0.0]]), chunk=2)
        >>> [(start, block.toarray().ravel().tolist()) for start, block in m.within_blocks(4.0)]
        [(0, [1.0, 4.0]), (2, [0.0])]
        """
        r = radius * (1 + RADIUS_SLACK)
        grid = SiteGrid.fitting(self.site_xy, r)
        for start in range(0, self.n_demand, self.chunk):
            xy = self.demand_xy[start : start + self.chunk]
            if grid is not None:  # cells listing the sites in reach: the pairs come sorted
                yield start, grid.pairs(xy)
                continue
            from scipy.spatial import cKDTree

            tree = self.site_tree
            # A throw-away tree over the chunk: unbalanced, uncompacted nodes and
            # larger leaves build in about half the time and find the same pairs.
            chunk_tree = cKDTree(xy, leafsize=64, balanced_tree=False, compact_nodes=False)
            # The tree-tree query runs in C and keeps exact zero distances.
            pairs = chunk_tree.sparse_distance_matrix(tree, r, output_type="ndarray")
            yield start, pairs_to_csr(pairs["i"], pairs["j"], pairs["v"],
                                      (xy.shape[0], self.n_sites))

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        d = self.demand_xy[demand] - self.site_xy[sites]
        return np.sqrt(np.einsum("ij,ij->i", d, d))

    def nearest(self, k: int) -> tuple[IntArray, FloatArray]:
        k = min(k, self.n_sites)
        dist, idx = self.site_tree.query(self.demand_xy, k=k)
        if k == 1:
            dist, idx = dist[:, None], idx[:, None]
        return idx.astype(np.int64), dist.astype(np.float64)

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        sites = np.asarray(sites, dtype=np.int64)
        if sites.size == 0:
            return no_sites(self.n_demand)
        from scipy.spatial import cKDTree

        dist, pos = cKDTree(self.site_xy[sites]).query(self.demand_xy, k=1)
        return sites[pos], np.asarray(dist, dtype=np.float64)

    def site_to_site(self) -> Metric:
        return EuclideanMetric(self.site_xy, self.site_xy, self.chunk)


class ShapeMetric(Metric):
    """Straight-line distance from each point to the nearest point of a site's shape.

    For sites reached anywhere on their edge (a park's 500 m service radius is
    measured to the park's boundary); a point inside a shape is at distance 0.
    Pairs come from an STRtree ``dwithin`` query, the verifier's route from
    ``query_nearest``.
    """

    kind = "straight line to the site's edge"

    def __init__(self, demand_xy: FloatArray, shapes: NDArray[Any]) -> None:
        import shapely

        self.demand_xy = np.ascontiguousarray(demand_xy, dtype=np.float64).reshape(-1, 2)
        self.shapes = np.asarray(shapes, dtype=object)
        self.n_demand = self.demand_xy.shape[0]
        self.n_sites = int(self.shapes.size)
        self._points = shapely.points(self.demand_xy)

    def within(self, radius: float) -> sp.csr_matrix:
        import shapely

        if self.n_demand == 0 or self.n_sites == 0:
            return sp.csr_matrix((self.n_demand, self.n_sites))
        tree = shapely.STRtree(self.shapes)
        rows, cols = tree.query(
            self._points, predicate="dwithin", distance=radius * (1 + RADIUS_SLACK)
        )
        dist = shapely.distance(self._points[rows], self.shapes[cols])
        return pairs_to_csr(rows, cols, dist, (self.n_demand, self.n_sites))

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        import shapely

        return np.asarray(
            shapely.distance(self._points[demand], self.shapes[sites]), dtype=np.float64
        )

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        return self.nearest_within(sites, np.inf)

    def nearest_within(self, sites: IntArray, cutoff: float) -> tuple[IntArray, FloatArray]:
        """The tree's search stops at ``cutoff`` (a little beyond: a point at it is found)."""
        import shapely

        sites = np.asarray(sites, dtype=np.int64)
        if sites.size == 0 or self.n_demand == 0:
            return no_sites(self.n_demand)
        reach = cutoff * (1 + RADIUS_SLACK) + RADIUS_SLACK if 0 < cutoff < np.inf else None
        tree = shapely.STRtree(self.shapes[sites])
        (point, pos), dist = tree.query_nearest(
            self._points, max_distance=reach, return_distance=True, all_matches=False
        )
        keep = dist <= cutoff
        arg, best = no_sites(self.n_demand)
        arg[point[keep]] = sites[pos[keep]]
        best[point[keep]] = dist[keep]
        return arg, best
