"""A street network's distances written plainly, as an independent reference for tests.

Every vertex of every line is a node; ends (and vertices near ends) within the
tolerance are merged by union-find; shortest paths by a heapq Dijkstra from each
node. Slow and simple on purpose: it shares no code with siting.network.
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np


def plain_dijkstra(
    lines: list[list[tuple[float, float]]], tolerance: float
) -> tuple[list[tuple[float, float]], list[list[float]]]:
    """Node coordinates and all-pairs distances, written plainly: vertices are nodes,
    ends (and vertices near ends) within the tolerance are merged (union-find)."""
    verts = [(x, y, k, i in (0, len(c) - 1)) for k, c in enumerate(lines) for i, (x, y) in
             enumerate(c)]
    parent = list(range(len(verts)))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    for a, b in itertools.combinations(range(len(verts)), 2):
        (xa, ya, _, ea), (xb, yb, _, eb) = verts[a], verts[b]
        if (ea or eb) and np.hypot(xa - xb, ya - yb) <= tolerance:
            parent[find(a)] = find(b)
    roots = sorted({find(a) for a in range(len(verts))})
    index = {r: k for k, r in enumerate(roots)}
    adj: list[dict[int, float]] = [{} for _ in roots]
    pos = 0
    for c in lines:
        for i in range(len(c) - 1):
            u, v = index[find(pos + i)], index[find(pos + i + 1)]
            w = float(np.hypot(c[i + 1][0] - c[i][0], c[i + 1][1] - c[i][1]))
            if u != v:
                adj[u][v] = min(adj[u].get(v, np.inf), w)
                adj[v][u] = adj[u][v]
        pos += len(c)
    dist = []
    for s in range(len(roots)):
        best = [np.inf] * len(roots)
        best[s] = 0.0
        heap = [(0.0, s)]
        while heap:
            d, u = heapq.heappop(heap)
            if d > best[u]:
                continue
            for v, w in adj[u].items():
                if d + w < best[v]:
                    best[v] = d + w
                    heapq.heappush(heap, (d + w, v))
        dist.append(best)
    nodes = [(verts[r][0], verts[r][1]) for r in roots]
    return nodes, dist
