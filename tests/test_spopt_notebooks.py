"""spopt's ``mclp``, ``p-median`` and ``p-median_variations`` notebooks, redone with siting's
public API (spopt itself is not needed).

The notebooks simulate their points with ``numpy.random.seed`` and uniform
draws kept when inside the study area (spopt's ``simulated_geo_points``);
:func:`simulated` draws the same numbers, so the points are the notebooks'
own (the first candidate site is ``POINT (9.32146 3.15178)`` as printed
there). Points are snapped to the 10 × 10 street lattice as spaghetti does
(the nearest point on a street) and network distances come from
:func:`siting.data.street_network`; they equal the cost matrix the notebook
prints. The reference numbers are the ones the notebooks print.

Semantics that differ, said where they are used: spopt's ``p_facilities``
counts the predefined (existing) sites, siting's ``p`` counts new sites only;
spopt's MCLP opens exactly ``p`` (``exactly_p=True`` here); spopt's
capacitated p-median serves each client from one site
(``CPMedian(single_source=True)``); spopt's ``perc_cov`` counts clients, not
weight.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from siting import MCLP, CPMedian, Instance, PMedian
from siting.data import street_network


def simulated(area: shapely.Geometry, needed: int, seed: int) -> np.ndarray:
    """The points spopt's ``simulated_geo_points(area, needed, seed)`` gives, as x, y rows."""
    rs = np.random.RandomState(seed)  # the legacy stream numpy.random.seed sets
    xmin, ymin, xmax, ymax = area.bounds
    u = rs.random_sample(8 * needed)  # draws alternate x, y; points outside are skipped
    x, y = xmin + (xmax - xmin) * u[0::2], ymin + (ymax - ymin) * u[1::2]
    inside = shapely.intersects(area, shapely.points(x, y))
    assert inside.sum() >= needed
    return np.column_stack([x, y])[inside][:needed]


def weights(n: int) -> np.ndarray:
    """``numpy.random.seed(0); numpy.random.randint(1, 12, n)`` as in the notebooks."""
    return np.random.RandomState(0).randint(1, 12, n)


SEGMENTS = [shapely.LineString([(i, j), (i, j + 1)]) for i in range(11) for j in range(10)] + [
    shapely.LineString([(j, i), (j + 1, i)]) for i in range(11) for j in range(10)
]


@pytest.fixture(scope="module")
def lattice() -> dict[str, gpd.GeoDataFrame]:
    """The notebooks' clients (100, seed 5) and candidate sites (10, seed 6), snapped."""
    grid = shapely.union_all(np.array(SEGMENTS))
    area = shapely.union_all(shapely.buffer(np.array(SEGMENTS), 0.5))

    def snapped(xy: np.ndarray) -> np.ndarray:
        on_street = shapely.get_point(shapely.shortest_line(grid, shapely.points(xy)), 0)
        return shapely.points(shapely.get_coordinates(on_street))

    clients = gpd.GeoDataFrame({"weights": weights(100)},
                               geometry=snapped(simulated(area, 100, 5)))
    sites = gpd.GeoDataFrame({"dv": [f"y{j}" for j in range(10)]},
                             geometry=snapped(simulated(area, 10, 6)))
    return {"clients": clients, "sites": sites}


def instance(lattice: dict[str, gpd.GeoDataFrame], *, network: bool,
             existing: tuple[str, ...] = ()) -> Instance:
    sites = lattice["sites"].assign(existing=lattice["sites"]["dv"].isin(existing))
    net = street_network(gpd.GeoSeries(SEGMENTS), tolerance=1e-6) if network else None
    return Instance.from_frames(lattice["clients"], sites, site_id="dv", weight="weights",
                                existing="existing", network=net)


def test_the_points_and_network_distances_are_the_notebooks(
        lattice: dict[str, gpd.GeoDataFrame]) -> None:
    area = shapely.union_all(shapely.buffer(np.array(SEGMENTS), 0.5))
    assert simulated(area, 10, 6)[0] == pytest.approx([9.32146, 3.15178], abs=1e-5)
    assert int(lattice["clients"]["weights"].sum()) == 579
    inst = instance(lattice, network=True)
    row = inst.metric.pair_distance(np.zeros(10, dtype=np.int64), np.arange(10))
    assert row == pytest.approx([13.39951703, 15.61157572, 4.39383189, 8.40604635, 3.73034161,
                                 3.4833522, 6.2764559, 5.52085069, 11.59649553, 7.51670161])


@pytest.mark.parametrize(("network", "existing", "p", "perc_cov"), [
    (True, (), 4, 0.72),  # MCLP.from_cost_matrix, network distance
    (False, (), 4, 0.87),  # MCLP.from_geodataframe, euclidean
    (False, ("y0", "y1", "y3"), 1, 0.70),  # predefined y0, y1, y3 and p_facilities=4
])
def test_mclp_notebook(lattice: dict[str, gpd.GeoDataFrame], network: bool,
                       existing: tuple[str, ...], p: int, perc_cov: float) -> None:
    sol = MCLP(radius=4, p=p, exactly_p=True).solve(instance(lattice, network=network,
                                                               existing=existing))
    assert sol.is_optimal and sol.verified
    assert len(sol.selected) == 4
    frame = sol.demand_frame()
    assert (frame["covered"] > 0).mean() == pytest.approx(perc_cov)  # spopt's perc_cov
    # every covered client's covering sites are open and within the radius
    covered = frame[frame["covered"] > 0]
    assert all(set(c) <= set(sol.selected) and c for c in covered["covering_sites"])
    assert (covered["distance"] <= 4).all()


@pytest.mark.parametrize(("network", "existing", "p", "objective", "mean"), [
    (True, (), 3, 2117.596, 3.657),  # PMedian.from_cost_matrix, network distance
    (False, (), 3, 1642.918, 2.838),  # PMedian.from_geodataframe, euclidean
    (False, ("y0", "y1"), 1, 2080.805, 3.594),  # predefined y0, y1 and p_facilities=3
])
def test_p_median_notebook(lattice: dict[str, gpd.GeoDataFrame], network: bool,
                           existing: tuple[str, ...], p: int, objective: float,
                           mean: float) -> None:
    sol = PMedian(p=p).solve(instance(lattice, network=network, existing=existing))
    assert sol.is_optimal and sol.verified
    assert sol.objective == pytest.approx(objective, abs=5e-4)
    assert sol.mean_distance == pytest.approx(mean, abs=5e-4)  # spopt's mean_dist


@pytest.fixture(scope="module")
def square() -> Instance:
    """p-median_variations: 100 clients (seed 7) and 100 sites (seed 5) in a 10 × 10 square."""
    area = shapely.box(0, 0, 10, 10)
    clients = gpd.GeoDataFrame({"weights": weights(100)},
                               geometry=shapely.points(simulated(area, 100, 7)))
    capacity = np.random.RandomState(1).randint(50, 200, 100)
    sites = gpd.GeoDataFrame({"dv": [f"y{j}" for j in range(100)], "capacity": capacity},
                             geometry=shapely.points(simulated(area, 100, 5)))
    assert int(capacity.sum()) == 12126  # as printed
    return Instance.from_frames(clients, sites, site_id="dv", weight="weights",
                                capacity="capacity")


def test_p_median_variations_classic(square: Instance) -> None:
    sol = PMedian(p=8).solve(square)
    assert sol.is_optimal and sol.verified
    assert sol.objective == pytest.approx(668.880, abs=5e-4)
    assert sorted(sol.selected, key=lambda s: int(s[1:])) == [
        "y25", "y34", "y45", "y68", "y70", "y88", "y89", "y91"]


def test_p_median_variations_capacitated(square: Instance) -> None:
    # spopt's capacitated PMedian serves each client from one site: single_source=True.
    sol = CPMedian(p=8, single_source=True).solve(square)
    assert sol.is_optimal and sol.verified
    assert sol.objective == pytest.approx(675.964, abs=5e-4)
    assert sorted(sol.selected, key=lambda s: int(s[1:])) == [
        "y25", "y45", "y46", "y68", "y70", "y88", "y89", "y91"]
    sites = sol.sites_frame()
    assert (sites["served_weight"] <= sites["capacity"] + 1e-9).all()
    # siting's default splits demand between sites: never worse than single-source
    split = CPMedian(p=8).solve(square)
    assert split.objective is not None and split.objective <= sol.objective + 1e-9
