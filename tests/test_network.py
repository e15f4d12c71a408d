"""Unit and property tests of siting.network.WalkingNetwork on tiny hand-made graphs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.errors import InputError
from siting.network import ZERO_DISTANCE, WalkingNetwork
from tests.plain_network import plain_walks


def path_network(n: int = 5, step: float = 100.0) -> WalkingNetwork:
    """Nodes 0..n-1 on the x axis, 100 m apart, linked in a path."""
    x = np.arange(n) * step
    return WalkingNetwork(x, np.zeros(n), np.arange(n - 1), np.arange(1, n), np.full(n - 1, step))


def brute_force(
    net: WalkingNetwork,
    sx: np.ndarray, sy: np.ndarray, dx: np.ndarray, dy: np.ndarray, cutoff: float,
) -> np.ndarray:
    """Points projected onto their nearest edges and a plain heapq Dijkstra (tests only)."""
    nodes = list(zip(net.node_x.tolist(), net.node_y.tolist(), strict=True))
    edges = list(zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(),
                     strict=True))
    full = np.array(plain_walks(nodes, edges, list(zip(sx, sy, strict=True)),
                                list(zip(dx, dy, strict=True)), net.max_access))
    full = full.reshape(len(sx), len(dx))
    return np.where(full <= cutoff, full, np.inf)


def test_path_distances_and_snap() -> None:
    net = path_network()
    node, snap = net.snap([10.0, 390.0], [0.0, 30.0])
    assert node.tolist() == [0, 4]
    assert snap.tolist() == pytest.approx([10.0, np.hypot(10.0, 30.0)])
    m = net.distances_within([0.0, 400.0], [0.0, 0.0], [100.0, 300.0], [0.0, 0.0], cutoff=250.0)
    assert isinstance(m, sp.csr_matrix)
    assert m.shape == (2, 2)
    assert m.toarray().tolist() == [[100.0, 0.0], [0.0, 100.0]]


def test_cutoff_respected_and_includes_snaps() -> None:
    net = path_network()
    # 200 m along the path plus 20 m + 30 m of snap = 250 m.
    _rows, _cols, dist = net.pairs_within([0.0], [20.0], [200.0], [-30.0], cutoff=250.0)
    assert dist.tolist() == pytest.approx([250.0])
    rows, _cols, dist = net.pairs_within([0.0], [20.0], [200.0], [-30.0], cutoff=249.9)
    assert rows.size == 0


def test_barrier_with_single_crossing() -> None:
    # Two parallel streets 50 m apart (a barrier between them), joined only at x = 400.
    xs = np.r_[np.arange(5) * 100.0, np.arange(5) * 100.0]
    ys = np.r_[np.zeros(5), np.full(5, 50.0)]
    u = np.r_[np.arange(4), 5 + np.arange(4), 4]
    v = np.r_[np.arange(1, 5), 6 + np.arange(4), 9]
    length = np.r_[np.full(8, 100.0), 50.0]
    net = WalkingNetwork(xs, ys, u, v, length)
    m = net.distances_within([0.0], [0.0], [0.0], [50.0], cutoff=2000.0)
    # Straight line 50 m; walking 400 + 50 + 400 = 850 m.
    assert m[0, 0] == pytest.approx(850.0)
    assert m[0, 0] / 50.0 > 1.3
    assert net.distances_within([0.0], [0.0], [0.0], [50.0], cutoff=800.0).nnz == 0


def test_disconnected_part_reported_and_unreachable() -> None:
    # Path 0-1-2 and an island 3-4.
    x = np.array([0.0, 100.0, 200.0, 1000.0, 1100.0])
    net = WalkingNetwork(x, np.zeros(5), [0, 1, 3], [1, 2, 4], [100.0, 100.0, 100.0])
    info = net.connected_components()
    assert info.n_components == 2
    assert info.sizes.tolist() == [3, 2]
    assert net.unreachable_nodes().tolist() == [3, 4]
    m = net.distances_within([0.0], [0.0], [1000.0, 200.0], [0.0, 0.0], cutoff=1e6)
    assert m.nnz == 1
    assert m[0, 1] == pytest.approx(200.0)


def test_zero_distance_kept() -> None:
    net = path_network()
    rows, _cols, dist = net.pairs_within([100.0, 0.0], [0.0, 0.0], [100.0], [0.0], cutoff=50.0)
    assert rows.tolist() == [0]
    assert dist.tolist() == [0.0]
    m = net.distances_within([100.0, 0.0], [0.0, 0.0], [100.0], [0.0], cutoff=50.0)
    assert m.nnz == 1
    assert m[0, 0] == ZERO_DISTANCE


def test_zero_length_edge_is_an_edge() -> None:
    net = WalkingNetwork([0.0, 0.0, 100.0], [0.0, 0.0, 0.0], [0, 1], [1, 2], [0.0, 100.0])
    d = net.node_distances([0], cutoff=1e9)
    assert d[0].tolist() == [0.0, 0.0, 100.0]


def test_parallel_edges_keep_shortest() -> None:
    net = WalkingNetwork([0.0, 100.0], [0.0, 0.0], [0, 1, 0], [1, 0, 0], [120.0, 100.0, 5.0])
    assert net.n_edges == 1
    assert net.node_distances([0], cutoff=1e9)[0, 1] == 100.0


def test_swapped_side_gives_same_matrix() -> None:
    """Dijkstra from either side (fewer sources or fewer destinations) agrees."""
    net = path_network(8)
    few = (np.array([150.0]), np.array([10.0]))
    many = (np.arange(8) * 100.0 + 3.0, np.full(8, -4.0))
    a = net.distances_within(*few, *many, cutoff=450.0)
    b = net.distances_within(*many, *few, cutoff=450.0)
    assert np.allclose(a.toarray(), b.T.toarray())


def test_nearest_within_matches_min_of_pairs() -> None:
    net = path_network(10)
    sx = np.array([0.0, 420.0, 880.0])
    sy = np.array([5.0, -8.0, 0.0])
    dx = np.array([300.0, 600.0, 610.0])
    dy = np.array([0.0, 9.0, 2.0])
    dist, idx = net.nearest_within(sx, sy, dx, dy, cutoff=350.0)
    brute = brute_force(net, sx, sy, dx, dy, 350.0)
    expect = brute.min(axis=1)
    assert np.allclose(dist, expect)
    ok = np.isfinite(expect)
    assert np.allclose(brute[np.flatnonzero(ok), idx[ok]], expect[ok])
    assert idx[~ok].tolist() == [-1] * int((~ok).sum())


def test_from_frames_uses_ids() -> None:
    nodes = gpd.GeoDataFrame(
        {"node_id": [30, 10, 20]}, geometry=shapely.points([200.0, 0.0, 100.0], [0.0, 0.0, 0.0])
    )
    edges = pd.DataFrame({"u": [10, 20], "v": [20, 30], "length_m": [100.0, 100.0]})
    net = WalkingNetwork.from_frames(nodes, edges)
    assert net.distances_within([0.0], [0.0], [200.0], [0.0], cutoff=500.0)[0, 0] == 200.0
    bad = pd.DataFrame({"u": [10], "v": [99], "length_m": [1.0]})
    with pytest.raises(InputError):
        WalkingNetwork.from_frames(nodes, bad)


def test_bad_inputs() -> None:
    with pytest.raises(InputError):
        WalkingNetwork([0.0], [0.0], [0], [1], [1.0])
    with pytest.raises(InputError):
        WalkingNetwork([0.0, 1.0], [0.0, 0.0], [0], [1], [-1.0])
    with pytest.raises(InputError):
        path_network().distances_within([0.0], [0.0], [0.0], [0.0], cutoff=-1.0)


@st.composite
def small_case(draw: st.DrawFn) -> tuple[WalkingNetwork, np.ndarray, np.ndarray, float, int]:
    n = draw(st.integers(2, 12))
    coords = st.floats(0.0, 1000.0, allow_nan=False, allow_infinity=False)
    xs = np.array(draw(st.lists(coords, min_size=n, max_size=n)))
    ys = np.array(draw(st.lists(coords, min_size=n, max_size=n)))
    m = draw(st.integers(0, 3 * n))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    # Lengths at least the straight distance, sometimes zero for coincident nodes.
    stretch = np.array(draw(st.lists(st.floats(1.0, 2.0), min_size=m, max_size=m)))
    length = np.hypot(xs[u] - xs[v], ys[u] - ys[v]) * stretch
    net = WalkingNetwork(xs, ys, u, v, length)
    k = draw(st.integers(1, 8))
    pts = np.array(draw(st.lists(st.tuples(coords, coords), min_size=k, max_size=k)))
    j = draw(st.integers(1, 8))
    dst = np.array(draw(st.lists(st.tuples(coords, coords), min_size=j, max_size=j)))
    # Also put some points exactly on nodes (zero snap, possible zero distance).
    if draw(st.booleans()):
        pts[0] = (xs[0], ys[0])
        dst[0] = (xs[0], ys[0])
    cutoff = draw(st.floats(0.0, 2500.0))
    chunk = draw(st.integers(1, 4))
    return net, pts, dst, cutoff, chunk


@settings(max_examples=50, deadline=None)
@given(small_case())
def test_distances_within_equals_brute_force(
    case: tuple[WalkingNetwork, np.ndarray, np.ndarray, float, int],
) -> None:
    net, pts, dst, cutoff, chunk = case
    rows, cols, dist = net.pairs_within(pts[:, 0], pts[:, 1], dst[:, 0], dst[:, 1], cutoff,
                                        chunk=chunk)
    got = np.full((len(pts), len(dst)), np.inf)
    got[rows, cols] = dist
    full = brute_force(net, pts[:, 0], pts[:, 1], dst[:, 0], dst[:, 1], np.inf)
    expect = np.where(full <= cutoff, full, np.inf)
    # Pairs right at the cutoff may fall either side by rounding: skip them.
    at_cutoff = np.isclose(full, cutoff, rtol=1e-9, atol=1e-6)
    assert np.allclose(got[~at_cutoff], expect[~at_cutoff])
    m = net.distances_within(pts[:, 0], pts[:, 1], dst[:, 0], dst[:, 1], cutoff, chunk=chunk)
    assert m.nnz == rows.size


def test_remembered_locations_follow_edited_points() -> None:
    """The metric remembers locations by the points' content: a point edited in place is
    located anew, never answered from the old set."""
    from siting.coverage.walking import located

    net = WalkingNetwork(np.array([0.0, 100.0, 200.0]), np.zeros(3), np.array([0, 1]),
                         np.array([1, 2]), np.array([100.0, 100.0]))
    xy = np.array([[0.0, 10.0], [190.0, 0.0]])
    assert located(net, xy).edge.tolist() == [0, 1]
    xy[1, 0] = 90.0
    assert located(net, xy).edge.tolist() == [0, 0]
    assert located(net, xy) is located(net, xy.copy())


def test_metrics_on_the_same_points_share_one_graph_and_follow_edited_sites() -> None:
    """Metrics on the same network and the same demand and access points share one point
    graph (the verifier asks again for each type and year); access points edited in place
    get a graph of their own, never the old one."""
    from siting.coverage.walking import NetworkMetric

    net = path_network()
    demand = np.array([[0.0, 10.0], [250.0, 5.0], [400.0, 0.0]])
    sites = np.array([[100.0, 0.0], [300.0, 0.0]])
    first, again = NetworkMetric(net, demand, sites), NetworkMetric(net, demand, sites.copy())
    assert first.graph is again.graph
    assert first.nearest_in(np.array([1]))[1].round(1).tolist() == [310.0, 55.0, 100.0]
    sites[1, 0] = 400.0
    moved = NetworkMetric(net, demand, sites)
    assert moved.graph is not first.graph
    assert moved.nearest_in(np.array([1]))[1].round(1).tolist() == [410.0, 155.0, 0.0]
    assert first.nearest_in(np.array([1]))[1].round(1).tolist() == [310.0, 55.0, 100.0]


@settings(max_examples=30, deadline=None)
@given(small_case())
def test_root_joined_graph_is_the_triplets_graph(
    case: tuple[WalkingNetwork, np.ndarray, np.ndarray, float, int],
) -> None:
    """The nearest-site search joins a root to the chosen sources by appending one row: the
    same arrays (so the same Dijkstra ties) as building the whole graph from triplets."""
    from siting.network.access import PointGraph, _with_root, csr_keep_zeros, locate

    net, pts, dst, _, _ = case
    graph = PointGraph(net, [locate(net, pts), locate(net, dst)])
    targets = graph.source[1][::-1]
    g = graph.graph.tocoo()
    root = graph.n_nodes
    built = csr_keep_zeros(np.concatenate([g.row, np.full(targets.size, root)]),
                           np.concatenate([g.col, targets]),
                           np.concatenate([g.data, np.zeros(targets.size)]), root + 1)
    joined = _with_root(graph.graph, targets)
    assert joined.shape == built.shape
    assert joined.indptr.tolist() == built.indptr.tolist()
    assert joined.indices.tolist() == built.indices.tolist()
    assert joined.data.tolist() == built.data.tolist()


def test_kept_point_graphs_stay_within_their_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Graphs are kept up to a byte budget per network, the least recently used dropped
    first; a graph larger than the budget is not kept at all."""
    import siting.coverage.walking as walking

    net = path_network()
    demand = np.array([[0.0, 10.0], [250.0, 5.0]])
    one = walking.NetworkMetric(net, demand, np.array([[105.0, 0.0]])).graph
    monkeypatch.setattr(walking, "_GRAPHS_BYTES", one.nbytes + 1)
    for x in (110.0, 120.0, 130.0):
        assert walking.NetworkMetric(net, demand, np.array([[x, 0.0]])).graph.n_nodes
    kept = walking._GRAPHS[net]
    assert len(kept) == 1
    assert sum(g.nbytes for g in kept.values()) <= one.nbytes + 1
    monkeypatch.setattr(walking, "_GRAPHS_BYTES", 0)
    assert walking.NetworkMetric(net, demand, np.array([[140.0, 0.0]])).graph.n_nodes
    assert len(walking._GRAPHS[net]) == 0
