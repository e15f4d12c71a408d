"""Walking distances as geometry demands: points on their nearest edge, crossings as junctions,
never shorter than the straight line — against plain references, on random layers and CRSs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from siting.data.streets import street_network
from siting.network import WalkingNetwork, locate
from tests.plain_network import plain_walks


def walks(net: WalkingNetwork, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    rows, cols, dist = net.pairs_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=1e9)
    out = np.full((len(src), len(dst)), np.inf)
    out[rows, cols] = dist
    return out


def test_a_point_meets_the_street_on_its_nearest_edge_not_its_nearest_vertex() -> None:
    # One 1 km street with vertices only at its ends; a block 50 m off its middle and a
    # park entrance 80 m further along: 50 + 80 m, not out to a far vertex and back.
    net = WalkingNetwork([0.0, 1000.0], [0.0, 0.0], [0], [1], [1000.0])
    got = walks(net, np.array([[500.0, 50.0]]), np.array([[580.0, 0.0]]))
    assert got[0, 0] == pytest.approx(130.0)
    # adding vertices along the street changes nothing
    dense = street_network([shapely.LineString([(x, 0.0) for x in range(0, 1001, 20)])])
    assert walks(dense, np.array([[500.0, 50.0]]), np.array([[580.0, 0.0]]))[0, 0] == (
        pytest.approx(130.0))


def test_equally_near_streets_are_all_open_to_a_point() -> None:
    # A block in the middle of a 200 m street grid cell may leave by any side.
    lines = [shapely.LineString([(0, y), (400, y)]) for y in (0, 200)] + [
        shapely.LineString([(x, 0), (x, 200)]) for x in (0, 200, 400)]
    net = street_network(lines)
    where = locate(net, np.array([[100.0, 100.0]]))
    assert where.point.size == 4 and np.allclose(where.access, 100.0)
    # the walk east goes out by the east side: 100 + 100 (to x = 300 along y = 0 or 200)
    assert walks(net, np.array([[100.0, 100.0]]), np.array([[300.0, 0.0]]))[0, 0] == (
        pytest.approx(100 + 100 + 100))


def test_points_beyond_the_access_distance_are_unreachable() -> None:
    net = street_network([shapely.LineString([(0, 0), (100, 0)])], max_access=60.0)
    got = walks(net, np.array([[50.0, 59.0], [50.0, 61.0]]), np.array([[0.0, 0.0]]))
    assert got[0, 0] == pytest.approx(59 + 50) and got[1, 0] == np.inf
    assert locate(net, np.array([[50.0, 61.0]])).reached.tolist() == [False]


def test_a_merge_within_the_tolerance_never_shortens_a_walk() -> None:
    # Two collinear lines 0.4 m apart, joined at the first one's end: the second line's
    # edge now starts 0.4 m further back, and counts those 0.4 m.
    lines = [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100.4, 0), (200, 0)])]
    net = street_network(lines, tolerance=0.5)
    assert walks(net, np.array([[0.0, 0.0]]), np.array([[200.0, 0.0]]))[0, 0] >= 200.0


node_xy = st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 1))


@st.composite
def long_segments(draw: st.DrawFn) -> tuple[WalkingNetwork, np.ndarray, np.ndarray]:
    """Few nodes far apart (long edges), lengths at least the straight line, points
    anywhere, some exactly on edges or at nodes, some on the same edge."""
    n = draw(st.integers(2, 7))
    xs = np.array(draw(st.lists(node_xy, min_size=n, max_size=n)))
    ys = np.array(draw(st.lists(node_xy, min_size=n, max_size=n)))
    m = draw(st.integers(1, 2 * n))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    stretch = np.array(draw(st.lists(st.floats(1.0, 1.5), min_size=m, max_size=m)))
    net = WalkingNetwork(xs, ys, u, v, np.hypot(xs[u] - xs[v], ys[u] - ys[v]) * stretch,
                         max_access=draw(st.sampled_from([np.inf, 300.0])))
    pts = np.array(draw(st.lists(st.tuples(node_xy, node_xy), min_size=2, max_size=7)))
    if draw(st.booleans()) and net.n_edges:  # on an edge, and a second one on the same edge
        k = draw(st.integers(0, net.n_edges - 1))
        a, b = net.edge_u[k], net.edge_v[k]
        for row, t in ((0, 0.25), (1, 0.7)):
            pts[row] = (xs[a] + t * (xs[b] - xs[a]), ys[a] + t * (ys[b] - ys[a]))
    if draw(st.booleans()):
        pts[-1] = (xs[0], ys[0])
    cut = draw(st.integers(1, len(pts) - 1))
    return net, pts[:cut], pts[cut:]


@settings(max_examples=80, deadline=None)
@given(long_segments())
def test_edge_access_equals_projection_and_a_plain_dijkstra(
    case: tuple[WalkingNetwork, np.ndarray, np.ndarray],
) -> None:
    net, src, dst = case
    nodes = list(zip(net.node_x.tolist(), net.node_y.tolist(), strict=True))
    edges = list(zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(),
                     strict=True))
    expect = np.array(plain_walks(nodes, edges, [tuple(p) for p in src], [tuple(p) for p in dst],
                                  net.max_access)).reshape(len(src), len(dst))
    got = walks(net, src, dst)
    assert np.array_equal(np.isinf(got), np.isinf(expect))
    assert np.allclose(got[np.isfinite(got)], expect[np.isfinite(expect)], rtol=1e-9, atol=1e-6)
    # the verifier's route (nearest of the destinations) agrees
    dist, idx = net.nearest_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=np.inf)
    assert np.allclose(dist, expect.min(axis=1), rtol=1e-9, atol=1e-6, equal_nan=True)
    found = idx >= 0
    assert np.allclose(expect[found, idx[found]], dist[found], rtol=1e-9, atol=1e-6)
    # and no walk is shorter than the straight line
    straight = np.hypot(*(src[:, None, :] - dst[None, :, :]).transpose(2, 0, 1))
    assert (got >= straight * (1 - 1e-12) - 1e-9).all()


lattice = st.integers(0, 8).map(lambda v: v * 25.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(lattice, lattice), min_size=2, max_size=4, unique=True),
                min_size=1, max_size=6),
       st.lists(st.tuples(st.floats(-20, 220), st.floats(-20, 220)), min_size=2, max_size=6))
def test_crossing_rule_equals_the_layer_split_beforehand(
    lines: list[list[tuple[float, float]]], points: list[tuple[float, float]],
) -> None:
    shapes = [shapely.LineString(c) for c in lines]
    assume(all(s.is_simple and s.length > 0 for s in shapes))
    unnoded = street_network(shapes, junctions="crossings", tolerance=1e-6, max_access=np.inf)
    split = shapely.get_parts(shapely.node(shapely.MultiLineString(shapes)))
    noded = street_network(split, junctions="vertices", tolerance=1e-6, max_access=np.inf)
    pts = np.array(points)
    a = walks(unnoded, pts[:1], pts[1:])
    b = walks(noded, pts[:1], pts[1:])
    assert np.array_equal(np.isinf(a), np.isinf(b))
    assert np.allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-9, atol=1e-6)
    assert unnoded.diagnostics.unjoined == 0


CRSS = ["EPSG:32650", "EPSG:4326", "EPSG:4547", "EPSG:3857", "EPSG:2263", "EPSG:27700"]


#: Near a coarse lattice, so that vertices of different lines often fall within the tolerance.
jittered = st.builds(lambda k, e: k * 300.0 + e, st.integers(0, 6), st.floats(-12, 12))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(jittered, jittered), min_size=2, max_size=5), min_size=1,
                max_size=8),
       st.lists(st.tuples(st.floats(-200, 2000), st.floats(-200, 2000)), min_size=2, max_size=8),
       st.sampled_from(CRSS), st.sampled_from(["vertices", "crossings", "ends"]),
       st.floats(0, 30))
def test_no_walk_is_shorter_than_the_straight_line(
    lines: list[list[tuple[float, float]]], points: list[tuple[float, float]], crs: str,
    rule: str, tolerance: float,
) -> None:
    """Random layers in metre, degree and foot CRSs, any junction rule and tolerance."""
    shapes = [shapely.LineString(c) for c in lines]
    assume(all(s.length > 0 for s in shapes))
    base = gpd.GeoDataFrame(geometry=shapes, crs="EPSG:32650").translate(440_000, 4_430_000)
    layer = gpd.GeoDataFrame(geometry=base.to_crs(crs))
    net = street_network(layer, junctions=rule, tolerance=tolerance, max_access=np.inf)
    pts = gpd.GeoSeries(shapely.points(np.add(points, (440_000, 4_430_000))),
                        crs="EPSG:32650").to_crs(net.crs if net.crs is not None else crs)
    xy = shapely.get_coordinates(pts.to_numpy())
    got = walks(net, xy[:1], xy[1:])
    straight = np.hypot(*(xy[1:] - xy[0]).T)
    finite = np.isfinite(got[0])
    assert (got[0][finite] >= straight[finite] * (1 - 1e-9) - 1e-6).all()


def test_the_verifier_refuses_walks_shorter_than_the_straight_line() -> None:
    """A network whose lengths are too short gives plans that fail verification, naming
    the pair; the same plan on honest lengths passes, with the walk / straight ratios."""
    import pandas as pd

    from siting import Instance
    from siting.models import MCLP

    demand = pd.DataFrame({"id": ["a", "b", "c"], "x": [0.0, 500.0, 1000.0],
                           "y": [40.0, 40.0, 40.0], "weight": [1.0, 2.0, 3.0]})
    sites = pd.DataFrame({"id": ["s", "t"], "x": [100.0, 900.0], "y": [-20.0, -20.0]})
    xs = np.array([0.0, 500.0, 1000.0])
    honest = WalkingNetwork(xs, np.zeros(3), [0, 1], [1, 2], [500.0, 500.0])
    short = WalkingNetwork(xs, np.zeros(3), [0, 1], [1, 2], [50.0, 50.0])
    ok = MCLP(radius=700, p=1).solve(Instance.from_frames(demand, sites, demand_id="id",
                                                          site_id="id", network=honest))
    assert ok.verified
    wrong = MCLP(radius=700, p=1).solve(Instance.from_frames(demand, sites, demand_id="id",
                                                             site_id="id", network=short))
    assert not wrong.verified
    assert any("shorter than the straight line" in m for m in wrong.verification)


def test_the_same_streets_in_another_order_or_twice_give_the_same_walks() -> None:
    """Located on edges, with every equally near edge open, a point's walks do not depend
    on the order of the lines or on a line given twice (nearest-vertex snapping broke ties
    by node order: Riverbend's plan moved from 369.05 to 317.4 with every street doubled)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "instances" / "riverbend"
    lines = gpd.read_file(root / "town.gpkg", layer="footways")
    homes = gpd.read_file(root / "homes.gpkg", layer="households").to_crs(lines.crs)
    lots = gpd.read_file(root / "lots.geojson").to_crs(lines.crs)
    src = shapely.get_coordinates(homes.geometry.representative_point().to_numpy())
    dst = shapely.get_coordinates(lots.geometry.representative_point().to_numpy())
    base = walks(street_network(lines), src, dst)
    for layer in (lines.iloc[::-1], gpd.GeoDataFrame(
            pd.concat([lines, lines.iloc[::-1]], ignore_index=True), crs=lines.crs)):
        got = walks(street_network(layer), src, dst)
        assert np.allclose(got, base, rtol=1e-12, atol=1e-9)
