"""Point-graph walks go a bounded number of nearby sources at a time, each on the part of the
graph it can reach, with the same answers.

:meth:`PointGraph.pairs` bounds each Dijkstra call by the bytes of its dense output
(:data:`siting.network.access.WALK_BYTES`); the pairs must be those of one Dijkstra from
every source at once, bit for bit and in the same order.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

import siting.network.access as access
import siting.network.local_walks as local_walks
from siting.network import WalkingNetwork
from siting.network.access import PointGraph, locate

StreetCase = tuple[WalkingNetwork, np.ndarray, np.ndarray, float, int, int]


@st.composite
def street_grid(draw: st.DrawFn) -> StreetCase:
    """A jittered street grid with missing blocks' sides, some detours, and two point sets."""
    nx, ny = draw(st.integers(2, 7)), draw(st.integers(2, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(nx) * 100.0, np.arange(ny) * 100.0)
    xs = gx.ravel() + rng.uniform(-20, 20, nx * ny)
    ys = gy.ravel() + rng.uniform(-20, 20, nx * ny)
    node = np.arange(nx * ny).reshape(ny, nx)
    u = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    v = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    keep = rng.random(u.size) < draw(st.floats(0.5, 1.0))
    u, v = u[keep], v[keep]
    stretch = np.where(rng.random(u.size) < 0.2, rng.uniform(1.0, 1.5, u.size), 1.0)
    length = np.hypot(xs[u] - xs[v], ys[u] - ys[v]) * stretch
    net = WalkingNetwork(xs, ys, u, v, length)
    span = (-50.0, 100.0 * max(nx, ny))
    demand = rng.uniform(*span, size=(draw(st.integers(1, 40)), 2))
    sites = rng.uniform(*span, size=(draw(st.integers(1, 40)), 2))
    if draw(st.booleans()):  # points on nodes and on each other: zero distances
        demand[0] = sites[0] = (xs[0], ys[0])
    cutoff = draw(st.sampled_from([0.0, 50.0, 150.0, 300.0, 1000.0]))
    chunk = draw(st.integers(1, 300))
    rows_budget = draw(st.integers(1, 50))
    return net, demand, sites, cutoff, chunk, rows_budget


#: scipy's Dijkstra as imported, before any test records its calls.
PLAIN_DIJKSTRA = csgraph.dijkstra


def recorded_walks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Record every Dijkstra call's (sources, nodes of the graph walked) from now on."""
    calls: list[tuple[int, int]] = []

    def counted(g: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((int(np.asarray(kwargs["indices"]).size), int(g.shape[0])))
        return PLAIN_DIJKSTRA(g, *args, **kwargs)

    monkeypatch.setattr(access.csgraph, "dijkstra", counted)
    return calls


def one_dijkstra_pairs(
    graph: PointGraph, a: int, b: int, cutoff: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of one Dijkstra from every source of the smaller set, read at the other
    set's sinks (the plain way, with its dense sources × nodes output)."""
    swap = int(graph.sets[b].reached.sum()) < int(graph.sets[a].reached.sum())
    origin, target = (b, a) if swap else (a, b)
    starts = np.flatnonzero(graph.sets[origin].reached)
    ends = np.flatnonzero(graph.sets[target].reached)
    if starts.size == 0 or ends.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    limit = cutoff * (1 + access.CUTOFF_SLACK) + access.CUTOFF_SLACK
    dist = PLAIN_DIJKSTRA(graph.graph, directed=True, indices=graph.source[origin][starts],
                          limit=limit)[:, graph.sink[target][ends]]
    gi, gj = np.nonzero(dist <= cutoff)
    o, t, d = starts[gi], ends[gj], dist[gi, gj]
    rows, cols = (t, o) if swap else (o, t)
    order = np.lexsort((cols, rows))
    return rows[order], cols[order], d[order]


@settings(max_examples=60, deadline=None)
@given(street_grid(), st.sampled_from([local_walks.LOCAL_SHARE, 2.0]),
       st.sampled_from([0, access.LOCAL_FROM_BYTES]))
def test_walks_in_bounded_chunks_give_the_pairs_of_one_dijkstra(
    case: StreetCase, share: float, local_from: int
) -> None:
    net, demand, sites, cutoff, chunk, rows_budget = case
    graph = PointGraph(net, [locate(net, demand), locate(net, sites)])
    for a, b in ((0, 1), (1, 0), (1, 1)):  # either way, and a set with itself
        expect = one_dijkstra_pairs(graph, a, b, cutoff)
        # by parts of the graph (every chunk on its part with share 2, or as the share
        # decides), and on the whole graph as small walks go
        with mock.patch.object(access, "WALK_BYTES", 8 * graph.n_nodes * rows_budget), \
                mock.patch.object(access, "LOCAL_FROM_BYTES", local_from), \
                mock.patch.object(local_walks, "LOCAL_SHARE", share):
            got = graph._walk_pairs(a, b, cutoff, chunk)
        for have, want in zip(got, expect, strict=True):
            assert have.tolist() == want.tolist()  # bit for bit, in the same order


def test_each_dijkstra_call_returns_at_most_the_byte_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A walk asked in chunks of 256 sources goes fewer at a time when the dense output of a
    call (sources × the nodes of the graph it walks) would pass :data:`WALK_BYTES`; every
    source is walked once, and the pairs are those of one Dijkstra."""
    xs = np.arange(10) * 100.0
    net = WalkingNetwork(xs, np.zeros(10), np.arange(9), np.arange(1, 10), np.full(9, 100.0))
    demand = np.column_stack([np.linspace(0, 900, 30), np.full(30, 5.0)])
    sites = np.column_stack([np.linspace(10, 890, 20), np.full(20, 7.0)])
    graph = PointGraph(net, [locate(net, demand), locate(net, sites)])
    budget = 8 * graph.n_nodes * 3
    monkeypatch.setattr(access, "WALK_BYTES", budget)
    monkeypatch.setattr(access, "LOCAL_FROM_BYTES", 0)  # by parts, however small
    calls = recorded_walks(monkeypatch)
    rows, cols, dist = graph.pairs(0, 1, 300.0, chunk=256)
    assert sum(size for size, _ in calls) == 20  # the 20 sites (the smaller set)
    assert all(size * width * 8 <= budget for size, width in calls)
    assert all(width < graph.n_nodes for _, width in calls)  # each on the part it reaches
    expect = one_dijkstra_pairs(graph, 0, 1, 300.0)
    assert [rows.tolist(), cols.tolist(), dist.tolist()] == [x.tolist() for x in expect]


def test_a_street_shorter_than_its_straight_line_walks_the_whole_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The box a walk reaches rests on no edge being shorter than its straight line; a
    street layer's length column that says otherwise (one street of 10 m between nodes
    300 m apart) makes every chunk walk the whole graph, with the same pairs."""
    xs = np.arange(10) * 100.0
    length = np.full(9, 100.0)
    net = WalkingNetwork(np.r_[xs, 0.0], np.r_[np.zeros(10), 300.0],
                         np.r_[np.arange(9), 0], np.r_[np.arange(1, 10), 10],
                         np.r_[length, 10.0])
    demand = np.column_stack([np.linspace(0, 900, 30), np.full(30, 5.0)])
    sites = np.r_[np.column_stack([np.linspace(10, 890, 20), np.full(20, 7.0)]), [[0, 299]]]
    graph = PointGraph(net, [locate(net, demand), locate(net, sites)])
    monkeypatch.setattr(access, "LOCAL_FROM_BYTES", 0)  # parts wanted, however small
    calls = recorded_walks(monkeypatch)
    rows, cols, dist = graph.pairs(0, 1, 300.0)
    assert calls and {width for _, width in calls} == {graph.n_nodes}
    assert (0, 20) in set(zip(rows.tolist(), cols.tolist(), strict=True))  # via the short one
    expect = one_dijkstra_pairs(graph, 0, 1, 300.0)
    assert [rows.tolist(), cols.tolist(), dist.tolist()] == [x.tolist() for x in expect]


def test_a_small_walk_goes_on_the_whole_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below :data:`LOCAL_FROM_BYTES` of whole-graph output, cutting parts costs more
    than it saves: every chunk walks the whole graph."""
    xs = np.arange(10) * 100.0
    net = WalkingNetwork(xs, np.zeros(10), np.arange(9), np.arange(1, 10), np.full(9, 100.0))
    graph = PointGraph(net, [locate(net, np.column_stack([xs, np.full(10, 5.0)])),
                             locate(net, np.column_stack([xs + 3, np.full(10, 7.0)]))])
    assert 8 * 10 * graph.n_nodes < access.LOCAL_FROM_BYTES
    calls = recorded_walks(monkeypatch)
    graph.pairs(0, 1, 150.0)
    assert calls and {width for _, width in calls} == {graph.n_nodes}
