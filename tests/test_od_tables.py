"""Origin–destination tables and cost matrices as data: the table metric, reading, constructors.

The table metric must answer every coverage question as the dense matrix
would (unreachable pairs absent, a cost of 0 kept exact), never storing a
dense array; a table from a routing engine (CSV, Parquet, a DataFrame) is read
strictly, each bad row refused naming its line, origin, destination and value;
demand points or sites the table leaves out are said in the notes.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from siting import Instance, TableMetric, read_od_table
from siting.coverage import MatrixMetric
from siting.coverage.od import table_metric
from siting.errors import InputError
from siting.models import MCLP, PMedian
from siting.models import assign as assign_module
from siting.models.assign import assignment_pairs

INF, NAN = float("inf"), float("nan")
COMMON: dict[str, Any] = {"deadline": None, "derandomize": True,
                          "suppress_health_check": [HealthCheck.too_slow]}


def holed(n: int, m: int) -> Any:
    cell = st.one_of(st.integers(0, 30).map(float), st.just(INF), st.just(NAN))
    return hnp.arrays(np.float64, (n, m), elements=cell)


@settings(max_examples=60, **COMMON)
@given(D=holed(5, 4), radius=st.integers(0, 30).map(float), k=st.integers(1, 4),
       sites=st.lists(st.integers(0, 3), max_size=4, unique=True))
def test_table_metric_answers_as_the_dense_matrix(D: Any, radius: float, k: int,
                                                  sites: list[int]) -> None:
    table = Instance.from_cost_matrix(D, unit="min").metric
    assert isinstance(table, TableMetric)
    dense = np.where(np.isnan(D), INF, D)
    reference = MatrixMetric(D)
    got = table.within(radius).toarray()
    want = reference.within(radius).toarray()
    assert np.array_equal(got, want)
    rows, cols = np.repeat(np.arange(5), 4), np.tile(np.arange(4), 5)
    assert np.array_equal(table.pair_distance(rows, cols), dense.ravel())  # 0 stays 0
    arg, dist = table.nearest_in(np.array(sites, dtype=np.int64))
    _, want_dist = reference.nearest_in(np.array(sites, dtype=np.int64))
    assert np.array_equal(dist, want_dist)
    assert np.array_equal(arg >= 0, np.isfinite(dist))
    picked = table.pair_distance(np.flatnonzero(arg >= 0), arg[arg >= 0])
    assert np.array_equal(picked, dist[arg >= 0])
    idx, near = table.nearest(k)
    assert np.array_equal(near, np.sort(dense, axis=1)[:, :k])
    ok = idx >= 0
    assert np.array_equal(table.pair_distance(np.nonzero(ok)[0], idx[ok]), near[ok])


def test_a_dense_matrix_with_nan_is_read_as_unreachable() -> None:
    """NaN used to win np.argmin: the verifier's nearest site was an unreachable one."""
    m = MatrixMetric(np.array([[NAN, 5.0], [NAN, NAN]]))
    arg, dist = m.nearest_in(np.array([0, 1]))
    assert arg.tolist() == [1, -1] and dist.tolist() == [5.0, INF]
    assert m.pair_distance(np.array([0]), np.array([0])).tolist() == [INF]


def test_from_cost_matrix_picks_the_representation() -> None:
    full = Instance.from_cost_matrix(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert isinstance(full.metric, MatrixMetric)
    holes = Instance.from_cost_matrix(np.array([[1.0, INF], [3.0, 4.0]]))
    assert isinstance(holes.metric, TableMetric) and holes.metric.nnz == 3
    frame = pd.DataFrame([[0.0, NAN]], index=["home"], columns=["school", "clinic"])
    inst = Instance.from_cost_matrix(frame, weight=[4.0])
    assert inst.demand_ids.tolist() == ["home"] and inst.site_ids.tolist() == ["school", "clinic"]
    assert inst.metric.pair_distance(np.array([0, 0]), np.array([0, 1])).tolist() == [0.0, INF]
    stored = sp.csr_matrix((np.array([0.0, 7.0]), (np.array([0, 1]), np.array([1, 0]))),
                           shape=(2, 2))
    inst = Instance.from_cost_matrix(stored)  # a stored 0 costs 0, a missing entry is no route
    assert inst.metric.pair_distance(np.array([0, 0, 1]), np.array([0, 1, 0])).tolist() == [
        INF, 0.0, 7.0]


@pytest.mark.parametrize("matrix, message", [
    (np.array([[1.0, -2.0]]), "negative cost from demand point 'a' to site 'y'"),
    (np.array([[1.0, 2.0, 3.0]]), "the cost matrix is 1 × 3 but 1 demand ids and 2 site ids"),
])
def test_from_cost_matrix_refuses(matrix: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Instance.from_cost_matrix(matrix, ["a"], ["x", "y"])


def write(tmp_path: Path, text: str, name: str = "od.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


DEMAND = pd.DataFrame({"id": ["007", "b", "c"], "weight": [1.0, 2.0, 3.0]})
SITES = pd.DataFrame({"id": ["s1", "s2"], "cost": [1.0, 1.0]})


def from_table(path: Any, **kw: Any) -> Instance:
    return Instance.from_od_table(path, DEMAND, SITES, demand_id="id", site_id="id", **kw)


def test_a_routing_engines_csv_becomes_an_instance(tmp_path: Path) -> None:
    path = write(tmp_path, "from,to,minutes\n007,s1,4\n007,s2,\nb,s2,2.5\nb,s1,inf\n"
                 "c,s1,null\n")
    inst = from_table(path, origin="from", destination="to", cost="minutes", unit="min")
    assert inst.metric.kind == "travel table (min)" and inst.demand_xy is None
    assert inst.metric.pair_distance(np.array([0, 0, 1]), np.array([0, 1, 1])).tolist() == [
        4.0, INF, 2.5]
    notes = " ".join(inst.notes)
    assert "in min: the radius is in the same units" in notes
    assert "1 of 3 demand points has no finite cost to any site (e.g. 'c')" in notes
    sol = MCLP(radius=3, p=1).solve(inst)
    assert sol.selected == ["s2"] and sol.objective == 2.0 and sol.verified


@pytest.mark.parametrize("body, message", [
    ("origin,destination,cost\n007,s1,-4\n",
     r"od.csv: row 2: field 'cost': value -4.0: negative travel cost from origin '007' to "
     r"destination 's1'"),
    ("origin,destination,cost\n007,s1,4\nb,s1,3\n007,s1,5\n",
     r"row 4: .*the pair from '007' to 's1' is given twice \(first in row 2\)"),
    ("origin,destination,cost\ns1,007,4\n",
     r"row 2: field 'origin': value 's1': origin id is not a demand point; it is a site id: "
     r"the table may run from the sites to the demand points, then pass "
     r"origin='destination', destination='origin' \(1 such row\)"),
    ("origin,destination,cost\n007,zz,4\n", r"row 2: field 'destination': value 'zz': "
     r"destination id is not a site \(1 such row\)"),
    ("origin,destination,cost\n007,s1,four\n", r"value 'four': not a number"),
    ("origin,destination,costs\n007,s1,4\n", r"row 1: field 'costs': value 'costs': unknown "
     r"column \(did you mean 'cost'\?\)"),
    ("origin,destination,minutes\n007,s1,4\n", r"row 1: field 'cost': missing column 'cost' "
     r"\(columns: origin, destination, minutes\)"),
    ("origin,destination,cost\n7,s1,4\n", r"value '7': origin id is not a demand point"),
])
def test_bad_tables_are_refused_naming_the_row(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        from_table(write(tmp_path, body))


def test_frames_and_parquet_are_read_the_same_way(tmp_path: Path) -> None:
    frame = pd.DataFrame({"origin": ["007", "b"], "destination": ["s1", "s1"],
                          "cost": [3.0, NAN]})
    inst = from_table(frame)
    assert inst.metric.pair_distance(np.array([0, 1]), np.array([0, 0])).tolist() == [3.0, INF]
    with pytest.raises(InputError, match=r"OD table: row 1: field 'cost': value -1.0: negative"):
        from_table(frame.assign(cost=[3.0, -1.0]))
    pytest.importorskip("pyarrow")
    frame.to_parquet(tmp_path / "od.parquet")
    inst = from_table(tmp_path / "od.parquet")
    assert inst.metric.nnz == 1 and inst.source == str(tmp_path / "od.parquet")


def test_ids_alone_weights_and_existing_facilities() -> None:
    table = pd.DataFrame({"origin": [1, 2, 2], "destination": ["new", "old", "new"],
                          "cost": [5.0, 1.0, 2.0]})
    inst = Instance.from_od_table(table, [1, 2], pd.DataFrame({"id": ["new"]}),
                                  site_id="id", weight=[3.0, 1.0],
                                  existing=pd.DataFrame({"id": ["old"]}))
    assert inst.site_ids.tolist() == ["new", "old"] and inst.existing.tolist() == [False, True]
    assert inst.weight.tolist() == [3.0, 1.0]
    sol = PMedian(p=1).solve(inst)
    assert sol.objective == 3 * 5.0 + 1 * 1.0 and sol.verified


def test_points_in_degrees_keep_their_map_and_give_no_radius_warning() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    demand = gpd.GeoDataFrame({"id": ["a", "b"], "weight": [1.0, 1.0]},
                              geometry=[Point(116.3, 39.9), Point(116.4, 39.9)], crs=4326)
    sites = gpd.GeoDataFrame({"id": ["s"]}, geometry=[Point(116.35, 39.9)], crs=4326)
    table = pd.DataFrame({"origin": ["a", "b"], "destination": ["s", "s"], "cost": [7.0, 12.0]})
    inst = Instance.from_od_table(table, demand, sites, demand_id="id", site_id="id",
                                  unit="min")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sol = MCLP(radius=10, p=1).solve(inst)
    assert sol.objective == 1.0 and inst.demand_xy is not None
    assert sol.demand_frame().crs == demand.crs


def test_sites_no_demand_point_reaches_are_noted() -> None:
    table = read_od_table(pd.DataFrame({"origin": ["a"], "destination": ["s"], "cost": [1.0]}))
    _, notes = table_metric(table, ["a"], ["s", "t", "u"])
    assert notes == ["OD table: 2 of 3 sites have no finite cost from any demand point "
                     "(e.g. 't'): unreachable"]


def test_a_tables_pairs_are_all_its_pairs_however_many_sites(monkeypatch: Any) -> None:
    """The assignment models take a table's stored pairs: no n × m enumeration, and never a
    restriction to the nearest candidates because the instance is large."""
    monkeypatch.setattr(assign_module, "FULL_PAIRS_LIMIT", 0)
    inst = Instance.from_cost_matrix(np.array([[1.0, INF, 3.0], [INF, 2.0, 4.0]]))
    pairs = assignment_pairs(inst)
    assert pairs.complete and pairs.size == 4
    assert pairs.site.tolist() == [0, 2, 1, 2]
    restricted = assignment_pairs(inst, 1)
    assert not restricted.complete and restricted.site.tolist() == [0, 1]


def test_the_readme_example_table_is_riverbends_walking_minutes() -> None:
    """examples/riverbend-walk-minutes.csv: footway metres / 80 a minute, to 0.1 min, pairs
    over 15 minutes left out (as r5's max_time does); recomputed here."""
    import geopandas as gpd

    from siting.data import street_network

    root = Path(__file__).resolve().parent.parent
    town = root / "instances" / "riverbend"
    homes = gpd.read_file(town / "homes.gpkg", layer="households")
    lots = gpd.read_file(town / "lots.geojson").to_crs(homes.crs)
    walk = Instance.from_frames(homes, lots, demand_id="hid", site_id="lot",
                                weight="children_3_6",
                                network=street_network(gpd.read_file(town / "town.gpkg",
                                                                     layer="footways")))
    pairs = walk.metric.within(15 * 80).tocoo()
    want = pd.DataFrame({"from_id": walk.demand_ids[pairs.row], "to_id": walk.site_ids[pairs.col],
                         "travel_time": np.round(pairs.data / 80, 1)})
    got = pd.read_csv(root / "examples" / "riverbend-walk-minutes.csv", dtype={"from_id": str})
    key = ["from_id", "to_id"]
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  want.sort_values(key).reset_index(drop=True),
                                  check_dtype=False)


def test_market_models_say_a_table_has_no_pairs_to_competitors() -> None:
    from siting.errors import ParameterError
    from siting.models import MarketShare

    inst = Instance.from_cost_matrix(np.array([[1.0, INF]]))
    with pytest.raises(ParameterError, match="distances are a travel table, which holds no "
                       "pairs to the competitors"):
        MarketShare(p=1, competitors=np.array([[0.0, 0.0]])).solve(inst)
