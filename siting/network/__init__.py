"""Walking networks: a street graph, points located on its edges, and distances with a cutoff.

- :class:`WalkingNetwork` (:mod:`siting.network.graph`) — the undirected street graph
  (nodes, straight edges with walking lengths), its components and the distance queries
  between point sets;
- :func:`locate` and :class:`PointGraph` (:mod:`siting.network.access`) — where points meet
  the network (the nearest point of the nearest edge) and the graph with point sets
  attached, on which every walking distance is a plain shortest path.

>>> import numpy as np
>>> net = WalkingNetwork(np.array([0.0, 100.0]), np.zeros(2), np.array([0]), np.array([1]),
...                      np.array([100.0]))
>>> net.distances_within([30.0], [40.0], [90.0], [-5.0], cutoff=500.0).toarray().round(1)
array([[105.]])
"""

from siting.network.access import Located, PointGraph, locate
from siting.network.graph import ZERO_DISTANCE, ComponentInfo, WalkingNetwork

__all__ = ["ZERO_DISTANCE", "ComponentInfo", "Located", "PointGraph", "WalkingNetwork", "locate"]
