"""One coverage layer for every model: metrics that answer distance questions sparsely.

Every model, classic or multi-service, asks a :class:`Metric` the same
questions: which (demand, site) pairs lie within a radius (a ``scipy.sparse``
matrix of distances), the distances of given pairs, and, by a separate route
for the verifier, each point's nearest open site. The metrics:

- :class:`EuclideanMetric` — straight lines between points (KD-trees);
- :class:`ShapeMetric` — straight lines to the nearest point of a site's shape
  (a park reached at its edge);
- :class:`NetworkMetric` — walking on a street network (snap + cutoff Dijkstra),
  to a site's point or to entrances along its edge;
- :class:`MatrixMetric` — a given small dense matrix (OR-Library);
- :class:`CoverageMetric` — a given coverage relation, no distances (set covering);
- :class:`TableMetric` — given (demand, site, cost) pairs, e.g. a routing engine's
  travel times (:mod:`siting.coverage.od` reads them); absent pairs are unreachable.

:func:`make_metric` picks one from a distance mode and an access rule.

>>> import numpy as np, shapely
>>> demand = np.array([[0.0, 0.0], [30.0, 0.0]])
>>> sites = np.array([shapely.Point(10.0, 0.0), shapely.box(25.0, -5.0, 35.0, 5.0)])
>>> m = make_metric(demand, sites, distance="euclidean", access="boundary")
>>> m.within(25).toarray().round(6).tolist()    # inside the box: distance 0
[[10.0, 25.0], [20.0, 0.0]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from siting.coverage.base import ZERO, FloatArray, IntArray, Metric, pairs_to_csr
from siting.coverage.given import CoverageMetric, MatrixMetric
from siting.coverage.points import EuclideanMetric, ShapeMetric, entrances, points_of
from siting.coverage.table import TableMetric

if TYPE_CHECKING:
    from siting.coverage.walking import NetworkMetric
    from siting.network import WalkingNetwork

Distance = Literal["euclidean", "network"]
Access = Literal["point", "boundary"]

#: Spacing of the entrances placed along a site's edge for walking access (metres).
ENTRANCE_SPACING = 100.0

__all__ = [
    "ENTRANCE_SPACING",
    "ZERO",
    "Access",
    "CoverageMetric",
    "Distance",
    "EuclideanMetric",
    "FloatArray",
    "IntArray",
    "MatrixMetric",
    "Metric",
    "NetworkMetric",
    "ShapeMetric",
    "TableMetric",
    "entrances",
    "make_metric",
    "pairs_to_csr",
    "points_of",
]


def make_metric(
    demand_xy: FloatArray,
    sites: NDArray[Any],
    *,
    distance: Distance = "euclidean",
    access: Access = "point",
    network: WalkingNetwork | None = None,
) -> Metric:
    """The metric from demand points to site shapes for a distance mode and an access rule.

    ``access="point"`` reaches a site at its point (a polygon's representative
    point); ``"boundary"`` anywhere on its edge: exactly for straight lines,
    through entrances every :data:`ENTRANCE_SPACING` m when walking.
    ``distance="network"`` needs ``network``.
    """
    sites = np.asarray(sites, dtype=object)
    if distance == "network":
        from siting.coverage.walking import NetworkMetric

        if network is None:
            raise ValueError("walking distances need a street network")
        if access == "boundary":
            xy, owner = entrances(sites, ENTRANCE_SPACING)
            return NetworkMetric(network, demand_xy, xy, owner, n_sites=int(sites.size))
        return NetworkMetric(network, demand_xy, points_of(sites), n_sites=int(sites.size))
    if access == "boundary":
        return ShapeMetric(demand_xy, sites)
    return EuclideanMetric(demand_xy, points_of(sites))


def __getattr__(name: str) -> Any:
    """The walking metric on first use: straight-line and given distances need no graphs."""
    if name == "NetworkMetric":
        from siting.coverage.walking import NetworkMetric

        return NetworkMetric
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
