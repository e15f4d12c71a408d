"""A physical floor under every walking distance: never shorter than the straight line.

Whatever the street layer, its junctions, lengths or CRS, a walk from a point to a
site cannot be shorter than the straight line between them. The verifier checks
it on the distances it recomputes (each point to its nearest open site): a plan
whose distances break it fails verification with the pair named. The same pass
gives the walk / straight-line ratio of covered pairs, a plain measure of how
the street network shapes the plan (summaries and reports show it).

>>> import numpy as np
>>> from siting.coverage import NetworkMetric
>>> from siting.network import WalkingNetwork
>>> net = WalkingNetwork(np.array([0.0, 100.0]), np.zeros(2), np.array([0]), np.array([1]),
...                      np.array([100.0]))
>>> metric = NetworkMetric(net, np.array([[0.0, 30.0], [50.0, 40.0]]), np.array([[100.0, 0.0]]))
>>> floor = walk_floor(metric, np.array([0]), radius=500.0)
>>> floor.breaches, [round(r, 3) for r in floor.ratios]
(0, [1.245, 1.406])
>>> short = WalkingNetwork(net.node_x, net.node_y, net.edge_u, net.edge_v,
...                        np.array([20.0]))   # a street said to be shorter than it is
>>> broken = NetworkMetric(short, metric.demand_xy, metric.access_xy)
>>> walk_floor(broken, np.array([0])).breaches
2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["WalkFloor", "walk_floor"]

#: A walk may fall below the straight line by this much (round-off), no more.
REL_SLACK = 1e-9
ABS_SLACK = 1e-6


@dataclass
class WalkFloor:
    """What the check found: breaches, the worst one, and the ratios of covered pairs."""

    breaches: int = 0
    #: (demand position, site position, walk, straight line) of the worst breach.
    worst: tuple[int, int, float, float] | None = None
    #: walk / straight line of every pair within the radius (straight line > 0).
    ratios: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Median, 90th percentile and largest walk / straight-line ratio, and the count."""
        if not self.ratios:
            return {"pairs": 0}
        r = np.asarray(self.ratios)
        return {"pairs": int(r.size), "median": round(float(np.median(r)), 3),
                "p90": round(float(np.quantile(r, 0.9)), 3), "max": round(float(r.max()), 3)}


def walk_floor(
    metric: Any, sites: NDArray[np.int64], radius: float | None = None,
    nearest: tuple[NDArray[np.int64], NDArray[np.float64]] | None = None,
) -> WalkFloor:
    """Check each demand point's distance to its nearest of ``sites`` against the straight
    line (see the module docstring); ``radius`` picks the covered pairs for the ratios;
    ``nearest`` is ``metric.nearest_in(sites)`` when the caller has it already.
    Metrics without a straight-line floor (straight lines, given tables) pass as they are."""
    out = WalkFloor()
    sites = np.asarray(sites, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    if sites.size == 0 or metric.straight_line(none, none) is None:
        return out
    arg, dist = metric.nearest_in(sites) if nearest is None else nearest
    ok = np.flatnonzero((arg >= 0) & np.isfinite(dist))
    floor = np.asarray(metric.straight_line(ok, arg[ok]), dtype=np.float64)
    walk = dist[ok]
    short = walk < floor * (1 - REL_SLACK) - ABS_SLACK
    out.breaches = int(short.sum())
    if out.breaches:
        k = int(np.argmax(np.where(short, floor - walk, -np.inf)))
        out.worst = (int(ok[k]), int(arg[ok[k]]), float(walk[k]), float(floor[k]))
    near = (floor > 0) if radius is None else (floor > 0) & (walk <= radius * (1 + 1e-9))
    out.ratios = (walk[near] / floor[near]).tolist()
    return out
