"""The point graph is built as it always was: same nodes, same edges in the same order.

:class:`siting.network.PointGraph` finds the distinct spots on edges and orders its
edges by row and column with one stable sort of a single key each; these tests build
the graph again with the former ``np.unique`` of rows and ``np.lexsort`` and compare the
arrays bit for bit, on random networks and points and on the 回天 district's streets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import siting.network.access as access
from siting.network import PointGraph, WalkingNetwork, locate

HUITIAN = Path(__file__).resolve().parents[1] / "instances" / "huitian" / "huitian.gpkg"


def unique_rows(edge: Any, frac: Any) -> tuple[Any, Any, Any]:
    """The former spots: ``np.unique`` of the (edge, frac) rows."""
    keys = np.column_stack([np.asarray(edge).astype(np.float64), frac])
    if not keys.size:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    spots, of = np.unique(keys, axis=0, return_inverse=True)
    return spots[:, 0].astype(np.int64), spots[:, 1], np.asarray(of).reshape(-1)


def lexsorted_csr(rows: Any, cols: Any, data: Any, n: int) -> sp.csr_matrix:
    """The former CSR: triplets ordered by ``np.lexsort``."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    np.cumsum(indptr, out=indptr)
    return sp.csr_matrix((np.asarray(data, dtype=np.float64)[order], cols[order], indptr),
                         shape=(n, n))


def former_graph(net: WalkingNetwork, sets: list[Any],
                 monkeypatch: pytest.MonkeyPatch) -> PointGraph:
    with monkeypatch.context() as patch:
        patch.setattr(access, "_distinct_spots", unique_rows)
        patch.setattr(access, "csr_keep_zeros", lexsorted_csr)
        return PointGraph(net, sets)


def assert_same(new: PointGraph, old: PointGraph) -> None:
    assert new.n_nodes == old.n_nodes and new.n_street == old.n_street
    for a, b in ((new.graph.indptr, old.graph.indptr), (new.graph.indices, old.graph.indices),
                 (new.graph.data, old.graph.data)):
        assert a.tobytes() == b.tobytes()
    for a, b in zip(new.source + new.sink, old.source + old.sink, strict=True):
        assert np.array_equal(a, b)


@st.composite
def networks_and_points(draw: st.DrawFn) -> tuple[WalkingNetwork, Any, Any]:
    n = draw(st.integers(2, 12))
    grid = st.integers(0, 6).map(lambda v: 50.0 * v)  # repeated places, shared spots
    x = np.array(draw(st.lists(grid, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(grid, min_size=n, max_size=n)))
    m = draw(st.integers(1, 20))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    line = np.hypot(x[u] - x[v], y[u] - y[v])
    stretch = np.array(draw(st.lists(st.sampled_from([1.0, 1.25, 2.0]), min_size=m,
                                     max_size=m)))
    net = WalkingNetwork(x, y, u, v, line * stretch, max_access=400.0)
    point = st.tuples(st.integers(-2, 14).map(lambda v: 25.0 * v),
                      st.integers(-2, 14).map(lambda v: 25.0 * v))
    a = np.array(draw(st.lists(point, min_size=1, max_size=15)), dtype=float)
    b = np.array(draw(st.lists(point, min_size=1, max_size=15)), dtype=float)
    return net, a, b


@settings(max_examples=150, deadline=None)
@given(networks_and_points())
def test_the_graph_is_the_former_one_on_random_networks(
    case: tuple[WalkingNetwork, Any, Any]) -> None:
    net, a, b = case
    sets = [locate(net, a), locate(net, b)]
    with pytest.MonkeyPatch.context() as monkeypatch:
        old = former_graph(net, sets, monkeypatch)
    new = PointGraph(net, sets)
    assert_same(new, old)
    for got, was in zip(new.pairs(0, 1, 300.0), old.pairs(0, 1, 300.0), strict=True):
        assert got.tobytes() == was.tobytes()


@pytest.mark.skipif(not HUITIAN.exists(), reason="the 回天 instance is not here")
def test_the_graph_is_the_former_one_on_the_huitian_streets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd

    from siting.data import street_network

    streets = gpd.read_file(HUITIAN, layer="network_edges")
    net = street_network(streets, length="length_m")
    blocks = gpd.read_file(HUITIAN, layer="blocks").to_crs(streets.crs)
    parcels = gpd.read_file(HUITIAN, layer="parcels").to_crs(streets.crs)
    demand = np.column_stack([blocks.geometry.centroid.x, blocks.geometry.centroid.y])
    sites = np.column_stack([parcels.geometry.centroid.x, parcels.geometry.centroid.y])
    sets = [locate(net, demand), locate(net, sites)]
    new = PointGraph(net, sets)
    assert_same(new, former_graph(net, sets, monkeypatch))
    assert new.n_street > net.n_nodes  # spots on edges were made
