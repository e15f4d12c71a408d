"""Street networks from line layers: junctions, tolerance, lengths, and the 回天 network."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.data.streets import street_network
from siting.data.values import Where
from siting.errors import InputError
from siting.network import WalkingNetwork
from tests.plain_network import plain_dijkstra

ROOT = Path(__file__).resolve().parent.parent
HUITIAN = ROOT / "instances" / "huitian" / "huitian.gpkg"


def line(*xy: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString(xy)


def walk(net: WalkingNetwork, a: tuple[float, float], b: tuple[float, float]) -> float:
    _, _, d = net.pairs_within([a[0]], [a[1]], [b[0]], [b[1]], cutoff=1e9)
    return float(d[0]) if d.size else np.inf


def test_ends_meet_within_tolerance_only() -> None:
    lines = [line((0, 0), (100, 0)), line((100.4, 0), (100.4, 100))]
    assert walk(street_network(lines), (0, 0), (100.4, 100)) == pytest.approx(200.0, abs=1e-9)
    # 0.4 m apart: joined at 0.5 m, not at 0.3 m (then the nearest node is off the path)
    apart = street_network(lines, tolerance=0.3)
    assert apart.connected_components().n_components == 2


def test_t_junction_at_a_vertex_but_not_a_plain_crossing() -> None:
    main = line((0, 0), (50, 0), (100, 0))
    branch = line((50, 0), (50, 80))  # ends on main's vertex: a junction
    bridge = line((80, -50), (80, 50))  # crosses main between vertices: no junction
    net = street_network([main, branch, bridge])
    assert walk(net, (0, 0), (50, 80)) == pytest.approx(130.0)
    assert walk(net, (0, 0), (80, 50)) == np.inf
    # two lines sharing an interior vertex where neither ends: an overpass, no junction
    over = street_network([line((0, 0), (50, 0), (100, 0)), line((50, -50), (50, 0), (50, 50))])
    assert over.connected_components().n_components == 2


def test_multilinestrings_and_a_length_column() -> None:
    frame = gpd.GeoDataFrame(
        {"len": [300.0, 10.0]},
        geometry=[
            shapely.MultiLineString([[(0, 0), (100, 0)], [(100, 0), (100, 50)]]),
            line((100, 50), (100, 60)),
        ],
    )
    net = street_network(frame, length="len")
    # the first line's 300 m is shared 2:1 by its parts (100 m and 50 m long)
    assert walk(net, (0, 0), (100, 0)) == pytest.approx(200.0)
    assert walk(net, (0, 0), (100, 60)) == pytest.approx(310.0)
    assert walk(street_network(frame), (0, 0), (100, 60)) == pytest.approx(160.0)


@pytest.mark.parametrize(
    ("geoms", "needle"),
    [
        ([line((0, 0), (1, 0)), shapely.Point(0, 0)], "row 2: field 'geometry'"),
        ([None], "missing geometry"),
        ([shapely.LineString()], "empty geometry"),
    ],
)
def test_bad_geometries_are_named(geoms: list[object], needle: str) -> None:
    with pytest.raises(InputError, match=needle) as info:
        street_network(np.array(geoms, dtype=object), where=Where("roads.gpkg:roads"))
    assert str(info.value).startswith("roads.gpkg:roads: ")


def test_bad_length_is_named() -> None:
    frame = gpd.GeoDataFrame({"len": [1.0, -2.0]}, geometry=[line((0, 0), (1, 0))] * 2)
    with pytest.raises(InputError, match=r"row 2: field 'len': value -2.0"):
        street_network(frame, length="len", where=Where("roads.shp"))
    with pytest.raises(InputError, match="no length column"):
        street_network(frame, length="metres")


coordinate = st.integers(0, 6).map(lambda v: v * 10.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=4, unique=True),
                min_size=1, max_size=6))
def test_node_distances_match_a_plain_dijkstra(lines: list[list[tuple[float, float]]]) -> None:
    shapes = [line(*c) for c in lines]
    net = street_network(shapes, tolerance=0.5)
    nodes, dist = plain_dijkstra(lines, 0.5)
    assert net.n_nodes == len(nodes)
    # match nodes by coordinates (every node is a vertex; merged ones coincide here)
    ours = {(float(x), float(y)): k for k, (x, y) in enumerate(zip(net.node_x, net.node_y,
                                                                     strict=True))}
    if len(ours) < net.n_nodes:  # interior vertices of crossing lines share a spot
        return
    order = [ours[n] for n in nodes]
    got = net.node_distances(order, cutoff=1e9)[:, order]
    assert np.allclose(got, np.array(dist), equal_nan=False)


@pytest.mark.skipif(not HUITIAN.exists(), reason="the 回天 GeoPackage is not present")
def test_huitian_line_layer_gives_the_node_table_distances() -> None:
    nodes = gpd.read_file(HUITIAN, layer="network_nodes")
    edges = gpd.read_file(HUITIAN, layer="network_edges")
    tables = WalkingNetwork.from_frames(nodes, edges)
    lines = street_network(edges, length="length_m")
    assert (lines.n_nodes, lines.n_edges) == (tables.n_nodes, tables.n_edges)
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = edges.total_bounds
    src = rng.uniform([x0, y0], [x1, y1], (400, 2))
    dst = rng.uniform([x0, y0], [x1, y1], (150, 2))
    a = lines.pairs_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=2500)
    b = tables.pairs_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=2500)
    assert a[0].size > 1000
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert np.allclose(a[2], b[2], rtol=0, atol=1e-6)
    # and the geometric lengths alone would be shorter: the detours are in length_m
    plain = street_network(edges)
    c = plain.pairs_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=2500)
    assert c[0].size > a[0].size
