"""A street network's distances written plainly, as an independent reference for tests.

Every vertex of every line is a node; vertices of different lines within the
tolerance are merged by union-find (or, under the "ends" rule, ends and vertices
near ends); shortest paths by a heapq Dijkstra from each node. Points are
projected onto their nearest edges by hand (:func:`plain_walks`). Slow and simple
on purpose: it shares no code with siting.network.
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np


def plain_dijkstra(
    lines: list[list[tuple[float, float]]], tolerance: float, rule: str = "vertices"
) -> tuple[list[tuple[float, float]], list[list[float]]]:
    """Node coordinates and all-pairs distances, written plainly: vertices are nodes;
    vertices of different lines within the tolerance are merged (union-find) — under
    the ``ends`` rule only where one of them is a line end."""
    verts = [(x, y, k, i in (0, len(c) - 1)) for k, c in enumerate(lines) for i, (x, y) in
             enumerate(c)]
    parent = list(range(len(verts)))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    for a, b in itertools.combinations(range(len(verts)), 2):
        (xa, ya, la, ea), (xb, yb, lb, eb) = verts[a], verts[b]
        wanted = (ea or eb) if rule == "ends" else (la != lb or (xa, ya) == (xb, yb))
        if wanted and np.hypot(xa - xb, ya - yb) <= tolerance:
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


def plain_walks(
    nodes: list[tuple[float, float]],
    edges: list[tuple[int, int, float]],
    sources: list[tuple[float, float]],
    targets: list[tuple[float, float]],
    max_access: float = float("inf"),
) -> list[list[float]]:
    """Walking distances between points located on their nearest edges, written plainly.

    Each point is projected onto every edge (a straight segment between its nodes)
    by hand; the nearest edges (ties included) are split at the projections, which
    become nodes joined to the point by its straight access; a heapq Dijkstra runs
    from each source over a dict-of-dicts graph in which a point is never passed
    through. ``edges`` are ``(u, v, length)``; the length is shared along the edge in
    proportion to the distance from ``u``.
    """
    adj: dict[object, dict[object, float]] = {k: {} for k in range(len(nodes))}

    def link(a: object, b: object, w: float) -> None:
        adj.setdefault(a, {})
        adj.setdefault(b, {})
        adj[a][b] = min(adj[a].get(b, float("inf")), w)
        adj[b][a] = adj[a][b]

    best_edge: dict[tuple[int, int], tuple[int, int, float]] = {}
    for u, v, w in edges:
        if u == v:
            continue
        key = (min(u, v), max(u, v))
        if key not in best_edge or w < best_edge[key][2]:
            best_edge[key] = (u, v, w)
    plain = list(best_edge.values())
    cuts: dict[int, list[tuple[float, object]]] = {k: [] for k in range(len(plain))}
    access: dict[object, list[tuple[object, float]]] = {}
    for role, points in (("s", sources), ("t", targets)):
        for i, (px, py) in enumerate(points):
            found = []
            for k, (u, v, _w) in enumerate(plain):
                (ax, ay), (bx, by) = nodes[u], nodes[v]
                dx, dy = bx - ax, by - ay
                sq = dx * dx + dy * dy
                t = 0.0 if sq == 0 else min(1.0, max(0.0, ((px - ax) * dx + (py - ay) * dy) / sq))
                qx, qy = ax + t * dx, ay + t * dy
                found.append((float(np.hypot(px - qx, py - qy)), k, t))
            if not found:
                continue
            near = min(d for d, _, _ in found)
            if near > max_access:
                continue
            spots = []
            for d, k, t in found:
                if d <= near * (1 + 1e-9) + 1e-9:
                    spot = ("spot", role, i, k)
                    cuts[k].append((t, spot))
                    spots.append((spot, d))
            access[(role, i)] = spots
    for k, (u, v, w) in enumerate(plain):
        stops = [(0.0, u), *sorted(cuts[k], key=lambda c: c[0]), (1.0, v)]
        for (t1, a), (t2, b) in itertools.pairwise(stops):
            link(a, b, (t2 - t1) * w)

    def dijkstra(start: list[tuple[object, float]]) -> dict[object, float]:
        best: dict[object, float] = {}
        heap: list[tuple[float, int, object]] = [(d, k, n) for k, (n, d) in enumerate(start)]
        heapq.heapify(heap)
        count = len(heap)
        while heap:
            d, _, n = heapq.heappop(heap)
            if n in best:
                continue
            best[n] = d
            for m, w in adj.get(n, {}).items():
                if m not in best:
                    count += 1
                    heapq.heappush(heap, (d + w, count, m))
        return best

    out = []
    for i in range(len(sources)):
        row = []
        reach = dijkstra(access.get(("s", i), []))
        for j in range(len(targets)):
            row.append(min((reach.get(spot, float("inf")) + d
                            for spot, d in access.get(("t", j), [])), default=float("inf")))
        out.append(row)
    return out
