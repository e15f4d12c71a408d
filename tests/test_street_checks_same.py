"""The street checks find what they found before their speed-ups.

Where lines meet (:func:`siting.data.junctions.meeting_points`), the vertices merged
into one node (:func:`~siting.data.junctions.node_of_vertex`) and the crossings without a
junction (:func:`siting.data.netcheck.unjoined_crossings`) are compared with the plain
computations they replace: shapely's query and intersection of every pair, and a k-d tree
for the vertices within the tolerance and the node nearest each crossing. On random street
layers (noded grids, collinear runs, near misses within the tolerance, lines through
crossings) and on the qingfeng, riverbend and 回天 layers as the specs read them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.spatial import cKDTree

import siting.data.streets as streets
from siting.data import junctions
from siting.data.junctions import crossing_vertices, meeting_points, node_of_vertex
from siting.data.load import load_service_data
from siting.data.netcheck import Crossings, unjoined_crossings
from siting.multi.spec import load_spec

MODELS = Path(__file__).resolve().parents[1] / "models"


def reference_meeting(parts: NDArray[Any]) -> tuple[NDArray[Any], ...]:
    """Every intersecting pair by the query's predicate, every intersection computed."""
    left, right = shapely.STRtree(parts).query(parts, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    xy, pair = shapely.get_coordinates(shapely.intersection(parts[left], parts[right]),
                                       return_index=True)
    return left[pair], right[pair], xy


def reference_unjoined(parts: NDArray[Any], level: NDArray[np.int64], coords: NDArray[Any],
                       vertex_part: NDArray[np.int64], node: NDArray[np.int64],
                       tolerance: float) -> Crossings:
    """The crossings without a junction, with a k-d tree for the nearest node."""
    none = Crossings(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 2)),
                     np.zeros(0, bool))
    a, b, xy = reference_meeting(parts)
    if xy.size == 0:
        return none
    _, first = np.unique(np.column_stack([a, b, xy]), axis=0, return_index=True)
    first = np.sort(first)
    a, b, xy = a[first], b[first], xy[first]
    n_nodes = int(node.max()) + 1
    place = np.zeros((n_nodes, 2))
    place[node[::-1]] = coords[::-1]
    dist, near = cKDTree(place).query(xy)
    on = np.unique(vertex_part * n_nodes + node)
    joined = (dist <= tolerance * (1 + 1e-9) + 1e-9) & np.isin(a * n_nodes + near, on) & (
        np.isin(b * n_nodes + near, on))
    spots = shapely.points(xy[~joined])
    end = np.zeros(spots.size, dtype=bool)
    for k in (a[~joined], b[~joined]):
        for tip in (shapely.get_point(parts[k], 0), shapely.get_point(parts[k], -1)):
            end |= shapely.dwithin(spots, tip, max(tolerance, 1e-9))
    return Crossings(a[~joined], b[~joined], xy[~joined], end)


def reference_spots(coords: NDArray[Any], part: NDArray[np.int64], is_end: NDArray[np.bool_],
                    rule: str) -> NDArray[np.int64]:
    """Vertices at one place are one spot (in the ``ends`` rule, where a line ends there),
    with the places as unique rows."""
    _, place = np.unique(coords, axis=0, return_inverse=True)
    place = np.asarray(place, dtype=np.int64).reshape(-1)
    if rule != "ends":
        return place
    ends_here = np.zeros(int(place.max()) + 1, dtype=bool)
    ends_here[place[is_end]] = True
    combined = np.column_stack([place, np.where(ends_here[place], -1, part)])
    _, spot = np.unique(combined, axis=0, return_inverse=True)
    return np.asarray(spot, dtype=np.int64).reshape(-1)


def reference_nodes(coords: NDArray[Any], part: NDArray[np.int64], rule: str,
                    tolerance: float) -> NDArray[np.int64]:
    """The nodes, with places as unique rows and the vertex pairs within the tolerance
    from a k-d tree."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(junctions, "_pairs_within", lambda at, tol: np.asarray(
            cKDTree(at).query_pairs(tol, output_type="ndarray"), dtype=np.int64))
        patch.setattr(junctions, "_spots", reference_spots)
        return node_of_vertex(coords, part, rule, tolerance)


@pytest.mark.parametrize("rule", ["vertices", "ends"])
def test_spots_are_places_with_signed_zeros_as_one(rule: str) -> None:
    coords = np.array([[0.0, -0.0], [-0.0, 0.0], [1, 2], [1, -2], [-1, 2], [0, 0], [1, 2]])
    part = np.array([0, 0, 0, 1, 1, 1, 2])
    is_end = np.array([True, False, True, True, False, True, True])
    got = junctions._spots(coords, part, is_end, rule)
    assert np.array_equal(got, reference_spots(coords, part, is_end, rule))
    assert got[0] == got[1] == got[5] and got[2] == got[6]


def same_crossings(one: Crossings, other: Crossings) -> bool:
    return all(np.array_equal(getattr(one, k), getattr(other, k)) for k in ("a", "b", "xy", "end"))


def vertices(parts: NDArray[Any], level: NDArray[np.int64], rule: str,
             tolerance: float) -> tuple[NDArray[Any], NDArray[np.int64]]:
    if rule == "crossings":
        return crossing_vertices(parts, level, tolerance)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    return coords, part.astype(np.int64)


# Street layers: points of a 20 m grid (shared ends, collinear runs, crossings between
# vertices), some moved by less than a metre (near misses within or beyond the tolerance).
grid_point = st.tuples(st.integers(0, 4), st.integers(0, 4), st.sampled_from(
    [(0.0, 0.0)] * 6 + [(0.3, 0.0), (0.5, 0.0), (0.0, -0.45), (0.5, 0.5), (1e-7, 0.0),
     (0.8, 0.1)]))
street = st.lists(grid_point, min_size=2, max_size=4).map(
    lambda pts: [(20.0 * i + dx, 20.0 * j + dy) for i, j, (dx, dy) in pts])
layer = st.lists(street, min_size=1, max_size=12)


def parts_of(lines: list[list[tuple[float, float]]]) -> NDArray[Any]:
    shapes = np.asarray(shapely.linestrings(lines) if len({len(s) for s in lines}) == 1
                        else [shapely.LineString(s) for s in lines], dtype=object)
    return shapes.reshape(-1)


def has_ties(xy: NDArray[Any], place: NDArray[Any], limit: float) -> bool:
    """Whether a point has two nodes equally near within the limit (the tree's pick)."""
    if xy.size == 0:
        return False
    dist = np.sqrt(((xy[:, None, :] - place[None, :, :]) ** 2).sum(axis=2))
    near = np.sort(np.where(dist <= limit, dist, np.inf), axis=1)
    return bool(near.shape[1] > 1 and np.any(np.isfinite(near[:, 1]) & (near[:, 0] == near[:, 1])))


def equal_gaps(coords: NDArray[Any], tolerance: float) -> bool:
    """Whether two vertex pairs within the tolerance are equally far apart (the merge
    order among them is the pair finder's order)."""
    at = np.unique(coords, axis=0)
    dist = np.sqrt(((at[:, None, :] - at[None, :, :]) ** 2).sum(axis=2))
    gaps = dist[np.triu_indices(len(at), 1)]
    gaps = gaps[gaps <= tolerance]
    return bool(np.unique(gaps).size < gaps.size)


@settings(max_examples=300, deadline=None)
@given(layer)
def test_meeting_points_are_shapelys_intersections(lines: list[list[tuple[float, float]]]) -> None:
    parts = parts_of(lines)
    got, want = meeting_points(parts), reference_meeting(parts)
    assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))


@settings(max_examples=200, deadline=None)
@given(layer, st.sampled_from(["vertices", "crossings", "ends"]),
       st.sampled_from([0.0, 0.35, 0.5, 1.0]), st.lists(st.integers(0, 1), min_size=12,
                                                       max_size=12))
def test_nodes_and_unjoined_crossings_are_as_before(
    lines: list[list[tuple[float, float]]], rule: str, tolerance: float, levels: list[int],
) -> None:
    parts = parts_of(lines)
    level = np.asarray(levels[: parts.size], dtype=np.int64)
    coords, part = vertices(parts, level, rule, tolerance)
    assume(not equal_gaps(coords, tolerance))
    node = node_of_vertex(coords, part, rule, tolerance)
    assert np.array_equal(node, reference_nodes(coords, part, rule, tolerance))
    place = np.zeros((int(node.max()) + 1, 2))
    place[node[::-1]] = coords[::-1]
    assume(not has_ties(reference_meeting(parts)[2], place, tolerance * (1 + 1e-9) + 1e-9))
    assert same_crossings(unjoined_crossings(parts, level, coords, part, node, tolerance),
                          reference_unjoined(parts, level, coords, part, node, tolerance))


def test_a_crossing_at_two_equally_near_nodes_is_joined_if_either_is_shared() -> None:
    # Line 0 has vertices 0.5 m apart (one line: never merged); line 1's vertex between them
    # is merged into the node at (10, 0), and the lines cross at (10.25, 0), 0.25 m from
    # both nodes. The nearest node a k-d tree picks could be the other one (it was, with
    # scipy 1.17): a crossing without a junction where the lines share a node.
    parts = parts_of([[(20, 0), (10.5, 0), (10, 0), (0, 0)],
                      [(10.25, -10), (10.25, 0), (10.25, 10)]])
    coords, part = vertices(parts, np.zeros(2, np.int64), "vertices", 0.5)
    node = node_of_vertex(coords, part, "vertices", 0.5)
    found = unjoined_crossings(parts, np.zeros(2, np.int64), coords, part, node, 0.5)
    assert node[5] == node[2] and found.a.size == 0


def captured(spec: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    """The arguments the spec's loading gives the node and crossing checks."""
    nodes: list[Any] = []
    crossings: list[Any] = []

    def keep(into: list[Any], check: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            into.append(args)
            return check(*args)
        return run

    with monkeypatch.context() as patch:
        patch.setattr(streets, "node_of_vertex", keep(nodes, streets.node_of_vertex))
        patch.setattr(streets, "unjoined_crossings", keep(crossings, streets.unjoined_crossings))
        load_service_data(load_spec(spec))
    return nodes, crossings


@pytest.mark.parametrize("name", ["qingfeng", "riverbend", "huitian-2018-2020"])
def test_the_shipped_street_layers_give_the_same_findings(
    name: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = MODELS / f"{name}.toml"
    if not spec.exists():
        pytest.skip(f"{spec} is not present")
    nodes, crossings = captured(spec, monkeypatch)
    assert len(nodes) == len(crossings) == 1
    coords, part, rule, tolerance = nodes[0]
    assert np.array_equal(node_of_vertex(*nodes[0]),
                          reference_nodes(coords, part, rule, tolerance))
    assert same_crossings(unjoined_crossings(*crossings[0]), reference_unjoined(*crossings[0]))
    parts, level = crossings[0][0], crossings[0][1]
    assert all(np.array_equal(got, want) for got, want in zip(
        crossing_vertices(parts, level, tolerance),
        _reference_crossing_vertices(parts, level, tolerance), strict=True))


def _reference_crossing_vertices(parts: NDArray[Any], level: NDArray[np.int64],
                                 tolerance: float) -> tuple[NDArray[Any], ...]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(junctions, "meeting_points", lambda p, tree=None: reference_meeting(p))
        return crossing_vertices(parts, level, tolerance)
