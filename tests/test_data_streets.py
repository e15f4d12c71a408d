"""Street networks from line layers: junctions, tolerance, lengths, and the 回天 network."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.data.streets import street_network
from siting.errors import InputError
from siting.network import WalkingNetwork
from siting.readers.values import Where
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
    # merged at 0.5 m; the edge is never shorter than the line between its nodes
    assert walk(street_network(lines), (0, 0), (100.4, 100)) == pytest.approx(200.0, abs=1e-3)
    # 0.4 m apart: joined at 0.5 m, not at 0.3 m
    apart = street_network(lines, tolerance=0.3)
    assert apart.connected_components().n_components == 2


def test_vertex_rule_joins_shared_vertices_but_not_plain_crossings() -> None:
    main = line((0, 0), (50, 0), (100, 0))
    branch = line((50, 0), (50, 80))  # ends on main's vertex: a junction
    bridge = line((80, -50), (80, 50))  # crosses main between vertices: no junction
    net = street_network([main, branch, bridge])
    assert walk(net, (0, 0), (50, 80)) == pytest.approx(130.0)
    assert walk(net, (0, 0), (80, 50)) == np.inf
    assert net.diagnostics.unjoined == 1 and net.diagnostics.examples[0][:2] == (1, 3)
    # OpenStreetMap ways sharing an interior vertex where neither ends meet there ...
    osm = [line((0, 0), (50, 0), (100, 0)), line((50, -50), (50, 0), (50, 50))]
    assert street_network(osm).connected_components().n_components == 1
    assert walk(street_network(osm), (0, 0), (50, 50)) == pytest.approx(100.0)
    # ... but not under the ends-only rule (today's named option)
    assert street_network(osm, junctions="ends").connected_components().n_components == 2


def test_crossing_rule_meets_at_crossings_and_line_ends_on_lines() -> None:
    streets = [line((0, 0), (300, 0)), line((100, -100), (100, 100)),
               line((200, 0.3), (200, 100))]  # an end 0.3 m short of the first street
    net = street_network(streets, junctions="crossings")
    assert net.connected_components().n_components == 1
    assert walk(net, (0, 0), (100, 100)) == pytest.approx(200.0)
    assert walk(net, (0, 0), (200, 100)) == pytest.approx(300.0, abs=1e-3)
    assert net.diagnostics.unjoined == 0
    # the vertex rule keeps them apart and names both places
    apart = street_network(streets, junctions="vertices")
    assert apart.diagnostics.unjoined == 1  # the crossing; the undershoot touches nothing
    assert apart.connected_components().n_components == 3


def test_level_column_keeps_an_overpass_apart_but_joins_its_ramps() -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["ground", "cross", "overpass"], "level": [0, 0, 1]},
        geometry=[line((0, 0), (400, 0)), line((200, -100), (200, 100)),
                  # from a point on the ground street (a ramp) over the cross street
                  line((100, 0), (300, 50))],
    )
    net = street_network(frame, junctions="crossings", level="level")
    diag = net.diagnostics
    assert diag.across_levels == 1 and diag.unjoined == 0
    # from the cross street's north end to the overpass's far end: not at the crossing
    # (x = 200, y = 25), but round by the ramp at (100, 0)
    assert walk(net, (200, 100), (300, 50)) == pytest.approx(
        100 + 100 + np.hypot(200, 50), rel=1e-9)
    flat = street_network(frame, junctions="crossings")  # without levels they meet
    assert walk(flat, (200, 100), (300, 50)) == pytest.approx(75 + np.hypot(100, 25))
    with pytest.raises(InputError, match="no level column"):
        street_network(frame, junctions="crossings", level="layer")


def test_an_unnoded_layer_is_refused_unless_the_rule_is_said() -> None:
    rows = [line((0, y), (1000, y)) for y in range(0, 1001, 200)]
    cols = [line((x, 0), (x, 1000)) for x in range(0, 1001, 200)]
    frame = gpd.GeoDataFrame({"道路名称": [f"路{k}" for k in range(12)]}, geometry=rows + cols)
    with pytest.raises(InputError, match=r"looks un-noded.*network_junctions") as info:
        street_network(frame, where=Where("streets.gpkg:roads"))
    assert re.search(r"row \d+ \(路\d+\) × row \d+ \(路\d+\) at \(", str(info.value))
    said = street_network(frame, junctions="vertices")  # said: taken as bridges
    assert said.connected_components().n_components == 9  # only the border meets (corners)
    assert street_network(frame, junctions="crossings").connected_components().n_components == 1


def test_tolerance_never_merges_a_lines_own_vertices() -> None:
    zigzag = line(*[(0.3 * k, 0.3 * (k % 2)) for k in range(40)])
    net = street_network([zigzag], tolerance=5.0)
    assert net.n_nodes == 40
    assert walk(net, (0, 0), (0.3 * 39, 0.3)) == pytest.approx(zigzag.length)


def test_degrees_and_feet_are_projected_to_metres() -> None:
    grid = [line((0, 0), (1000, 0), (2000, 0)), line((1000, -1000), (1000, 0), (1000, 1000))]
    metres = gpd.GeoDataFrame(geometry=grid, crs="EPSG:32650").translate(440_000, 4_430_000)
    for crs in ("EPSG:4326", "EPSG:2263"):
        moved = metres.to_crs(crs)
        net = street_network(moved)
        assert net.crs is not None and net.crs.is_projected and net.n_edges == 4
        assert "projected to their UTM zone" in net.notes[0]
        assert net.edge_length.sum() == pytest.approx(4000.0, rel=1e-3)


def test_a_length_column_shorter_than_the_line_is_refused() -> None:
    frame = gpd.GeoDataFrame({"len": [100.0, 80.0]},
                             geometry=[line((0, 0), (100, 0)), line((100, 0), (200, 0))])
    with pytest.raises(InputError, match=r"row 2: field 'len': value 80.0: walking length"):
        street_network(frame, length="len", where=Where("roads.gpkg"))


def test_separate_parts_are_named() -> None:
    frame = gpd.GeoDataFrame({"name": ["a", "b", "island"]},
                             geometry=[line((0, 0), (100, 0)), line((100, 0), (100, 100)),
                                       line((500, 500), (600, 500))])
    diag = street_network(frame).diagnostics
    assert diag.component_nodes == [3, 2]
    assert diag.component_rows[1] == [3]
    assert "2 separate parts" in " ".join(diag.sentences())
    assert "row 3 (island)" in " ".join(diag.sentences())


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
    net = street_network(shapes, tolerance=0.5, junctions="vertices")
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
    lines = street_network(edges, length="length_m", max_access=np.inf)
    assert (lines.n_nodes, lines.n_edges) == (tables.n_nodes, tables.n_edges)
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = edges.total_bounds
    src = rng.uniform([x0, y0], [x1, y1], (400, 2))
    dst = rng.uniform([x0, y0], [x1, y1], (150, 2))
    a = lines.pairs_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=2500)
    b = tables.pairs_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=2500)
    assert a[0].size > 1000
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    # length_m is rounded to 0.1 m: an edge is never shorter than its straight line
    assert np.allclose(a[2], b[2], rtol=0, atol=0.5)
    # and the geometric lengths alone would be shorter: the detours are in length_m
    plain = street_network(edges, max_access=np.inf)
    c = plain.pairs_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=2500)
    assert c[0].size > a[0].size


def test_a_level_column_left_unsaid_under_the_crossing_rule_is_warned() -> None:
    frame = gpd.GeoDataFrame(
        {"名称": ["路", "桥"], "层": [0, 1]},
        geometry=[line((0, 0), (200, 0)), line((100, -100), (100, 100))],
    )
    unsaid = street_network(frame, junctions="crossings").diagnostics
    assert unsaid.level_hint == "层"
    assert [f.code for f in unsaid.findings()][-1] == "network-level-unset"
    assert street_network(frame, junctions="crossings", level="层").diagnostics.level_hint is None
