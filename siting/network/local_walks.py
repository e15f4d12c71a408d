"""Cutoff walks on the part of a point graph that a chunk of nearby sources can reach.

No edge of a :class:`~siting.network.PointGraph` is shorter than the straight line
between its ends (streets are at least their chord, a split edge's pieces their share
of it, a point's access the straight line to its spot), so a walk of at most ``limit``
metres never leaves the disc of that radius around the spot where it starts. A
Dijkstra from a chunk of sources close to each other therefore needs only the street
nodes in the box around their spots widened by ``limit``, the chunk's source nodes and
the sink nodes of the target points entering there: the same distances, bit for bit
(nodes outside are never reached within the limit, so the search visits the same nodes
in the same order), from a dense output of the subgraph's width rather than the whole
graph's. Sources are taken in a space-filling order so that each chunk's box is small.

The whole graph's dense output grows with the graph; a chunk's part grows only with
the cutoff. On grid districts of 14,400 and 90,000 street nodes (2,000 parcels to
20,000 blocks within 500 m; 5,000 to 60,000 within 800 m) a walk took 0.10 s against
0.29 s and 0.48 s against 2.2 s on the whole graph; on small graphs cutting the parts
costs more than it saves (:data:`~siting.network.access.LOCAL_FROM_BYTES`).

>>> import numpy as np
>>> morton_order(np.array([0.0, 5.0, 0.5, 5.5]), np.array([0.0, 5.0, 0.5, 0.0]), 1.0).tolist()
[0, 2, 3, 1]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Relative and absolute (metres) widening of a chunk's box beyond the walk's limit,
#: for round-off in the coordinates of spots on edges.
BOX_SLACK = 1e-9
BOX_SLACK_M = 1e-6
#: A chunk's subgraph larger than this share of the graph is not cut out (the cut
#: costs more than the narrower output saves): the whole graph is walked instead.
LOCAL_SHARE = 0.5


@dataclass(frozen=True)
class WalkSide:
    """What a walk needs of one point set of a point graph.

    Attributes:
        terminal: the source (origin side) or sink (target side) node of every point.
        entry_point: the point of each entry (a point may enter at several spots).
        entry_node: the street or spot node of each entry.
    """

    terminal: IntArray
    entry_point: IntArray
    entry_node: IntArray


def morton_order(x: FloatArray, y: FloatArray, cell: float) -> IntArray:
    """Positions of the points in Z order of the ``cell``-sized grid squares they lie in
    (ties in their order): consecutive points are near each other."""
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    ix = np.floor((x - x.min()) / cell).astype(np.int64)
    iy = np.floor((y - y.min()) / cell).astype(np.int64)
    ix = np.minimum(ix, 2**20 - 1)
    iy = np.minimum(iy, 2**20 - 1)
    code = np.zeros(x.size, dtype=np.int64)
    for bit in range(21):
        code |= ((ix >> bit) & 1) << (2 * bit)
        code |= ((iy >> bit) & 1) << (2 * bit + 1)
    return np.argsort(code, kind="stable").astype(np.int64)


def induced_subgraph(graph: sp.csr_matrix, nodes: IntArray) -> sp.csr_matrix:
    """The subgraph on ``nodes`` (sorted, distinct), rows and entries in the graph's order,
    explicit zeros and repeated entries kept (as :func:`~siting.network.access.csr_keep_zeros`
    made them).

    >>> g = sp.csr_matrix((np.array([1.0, 0.0, 2.0]), np.array([1, 2, 0]),
    ...                    np.array([0, 2, 3, 3])), shape=(3, 3))
    >>> sub = induced_subgraph(g, np.array([0, 2]))
    >>> sub.indices.tolist(), sub.data.tolist(), sub.indptr.tolist()
    ([1], [0.0], [0, 1, 1])
    """
    n = graph.shape[0]
    local = np.full(n, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.size, dtype=np.int64)
    begin = graph.indptr[nodes].astype(np.int64)
    count = graph.indptr[nodes + 1].astype(np.int64) - begin
    total = int(count.sum())
    row = np.repeat(np.arange(nodes.size, dtype=np.int64), count)
    # position of every entry of the chosen rows, in row order
    pos = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count) \
        + np.repeat(begin, count)
    col = local[graph.indices[pos]]
    keep = col >= 0
    indptr = np.zeros(nodes.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[keep], minlength=nodes.size), out=indptr[1:])
    return sp.csr_matrix((graph.data[pos[keep]], col[keep], indptr),
                         shape=(nodes.size, nodes.size))


class BoxIndex:
    """Points sorted by x, for the positions of those in an axis-aligned box (a slab of
    x found by bisection, then y tested there; a chunk's box is a small part of the
    area, so this reads a small part of the points).

    >>> BoxIndex(np.array([3.0, 1.0, 2.0]), np.array([0.0, 0.0, 9.0])).within(
    ...     1.0, 3.0, -1.0, 1.0).tolist()
    [1, 0]
    """

    def __init__(self, x: FloatArray, y: FloatArray) -> None:
        self.order = np.argsort(x, kind="stable").astype(np.int64)
        self.x = x[self.order]
        self.y = y[self.order]

    def within(self, x0: float, x1: float, y0: float, y1: float) -> IntArray:
        lo = np.searchsorted(self.x, x0, side="left")
        hi = np.searchsorted(self.x, x1, side="right")
        ys = self.y[lo:hi]
        return self.order[lo:hi][(ys >= y0) & (ys <= y1)]


def local_chunks(
    graph: sp.csr_matrix, street_x: FloatArray, street_y: FloatArray,
    origin: WalkSide, target: WalkSide, starts: IntArray, ends: IntArray,
    limit: float, chunk: int, max_bytes: int,
) -> Iterator[tuple[IntArray, sp.csr_matrix, IntArray, IntArray, IntArray]]:
    """The chunks of a cutoff walk from points ``starts`` of the origin set to points
    ``ends`` of the target set: ``(part, subgraph, sources, sink columns, their ends)``,
    each chunk at most ``chunk`` points and at most ``max_bytes`` of dense output
    (one point at a time if even one passes it); ``sources`` and the sink columns are
    positions in the subgraph, which is the whole graph when a chunk would reach most
    of it."""
    n_nodes = graph.shape[0]
    reach = limit * (1 + BOX_SLACK) + BOX_SLACK_M
    # Each start's spots (entries): its box is that of its spots.
    wanted = np.zeros(origin.terminal.size, dtype=bool)
    wanted[starts] = True
    mine = wanted[origin.entry_point]
    e_point, e_node = origin.entry_point[mine], origin.entry_node[mine]
    lo_x = np.full(origin.terminal.size, np.inf)
    hi_x = np.full(origin.terminal.size, -np.inf)
    lo_y, hi_y = lo_x.copy(), hi_x.copy()
    np.minimum.at(lo_x, e_point, street_x[e_node])
    np.maximum.at(hi_x, e_point, street_x[e_node])
    np.minimum.at(lo_y, e_point, street_y[e_node])
    np.maximum.at(hi_y, e_point, street_y[e_node])
    order = starts[morton_order(lo_x[starts], lo_y[starts], max(limit, 1.0))]
    # The target's entries whose sinks are read, placed by their spots.
    read = np.zeros(target.terminal.size, dtype=bool)
    read[ends] = True
    t_mine = read[target.entry_point]
    t_point, t_node = target.entry_point[t_mine], target.entry_node[t_mine]
    streets = BoxIndex(street_x, street_y)
    entries = BoxIndex(street_x[t_node], street_y[t_node])
    hit = np.zeros(target.terminal.size, dtype=bool)
    at, size = 0, max(chunk, 1)
    while at < order.size:
        while True:
            part = order[at : at + size]
            box = (lo_x[part].min() - reach, hi_x[part].max() + reach,
                   lo_y[part].min() - reach, hi_y[part].max() + reach)
            inside = streets.within(*box)
            entered = entries.within(*box)
            width = inside.size + part.size + entered.size  # at most the subgraph's
            whole = width > LOCAL_SHARE * n_nodes  # most of the graph: walk all of it
            if whole:
                width = n_nodes
            if part.size == 1 or part.size * width * 8 <= max_bytes:
                break
            size = max(1, min(part.size // 2, max_bytes // (8 * width)))
        at += part.size
        hit[t_point[entered]] = True
        entering = np.flatnonzero(hit)  # the target points entering the box
        hit[entering] = False
        sinks = target.terminal[entering]
        if whole:
            yield part, graph, origin.terminal[part], sinks, entering
        else:
            # street, source and sink nodes are distinct; sorted, the subgraph keeps
            # the graph's order (Dijkstra then breaks ties alike)
            nodes = np.sort(np.concatenate([inside, origin.terminal[part], sinks]))
            local = np.searchsorted(nodes, np.concatenate([origin.terminal[part], sinks]))
            yield (part, induced_subgraph(graph, nodes), local[: part.size],
                   local[part.size :], entering)
        size = min(max(chunk, 1), 2 * size)  # the next box is alike: start near this size
