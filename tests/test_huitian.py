"""Checks of the committed 回天 instance and of its generator (``instances/huitian/generator``,
outside the package)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import shapely

from instances.huitian.generator import HuitianData, load_huitian
from instances.huitian.generator.facts import SUBDISTRICTS, default_instance_dir
from instances.huitian.generator.generate import GPKG_NAME, PNG_NAME, README_NAME, generate
from instances.huitian.generator.load import ENV_VAR, LAYERS
from instances.huitian.generator.parcels import MIN_AREA, USES
from instances.huitian.generator.stats import detour_stats, park_coverage
from tests.plain_network import plain_walks

ID_COLUMNS = {
    "subdistricts": "subdistrict",
    "blocks": "block_id",
    "parcels": "parcel_id",
    "existing": "facility_id",
    "parks": "facility_id",
    "network_nodes": "node_id",
    "network_edges": "edge_id",
    "barriers": "barrier_id",
    "crossings": "crossing_id",
    "stations": "station_id",
}
GROUPS = ["age_0_3", "age_3_6", "age_6_12", "age_12_15", "age_60_plus"]


@pytest.fixture(scope="module")
def data() -> HuitianData:
    return load_huitian(default_instance_dir())


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("huitian")
    generate(out, seed=2018)
    return out


def test_all_layers_present(data: HuitianData) -> None:
    assert set(data.layers()) == set(LAYERS)
    for name, frame in data.layers().items():
        assert len(frame) > 0, name


def test_population_per_subdistrict_matches_facts(data: HuitianData) -> None:
    pop = data.blocks.groupby("subdistrict")["pop_total"].sum()
    for sd in SUBDISTRICTS:
        assert abs(pop[sd.name] - sd.residents) <= 0.01 * sd.residents, sd.name
    assert set(pop.index) == {sd.name for sd in SUBDISTRICTS}


def test_block_counts_and_groups(data: HuitianData) -> None:
    bl = data.blocks
    assert len(bl) >= 3000
    assert (bl["pop_total"] > 0).all()
    assert (bl[GROUPS].sum(axis=1) <= bl["pop_total"]).all()
    assert (bl[GROUPS] >= 0).all().all()
    assert (bl["households"] <= bl["pop_total"]).all()
    assert (bl["households_with_car"] <= bl["households"]).all()
    for col in ["pop_total", *GROUPS, "households", "households_with_car"]:
        assert bl[col].dtype.kind == "i", col
    # Denser in the high-rise compounds: 天通苑北 blocks hold more people than 东小口's.
    mean = bl.groupby("subdistrict")["pop_total"].mean()
    assert mean["天通苑北街道"] > mean["东小口镇"]


def test_parcels(data: HuitianData) -> None:
    pa = data.parcels
    assert len(pa) >= 400
    assert pa["area_m2"].min() >= 200.0
    assert pa["area_m2"].min() < 300.0
    assert pa["area_m2"].max() >= 30_000.0  # several hectares
    assert np.allclose(pa["area_m2"], pa.geometry.area, atol=0.5)
    assert pa["year_available"].dtype.kind == "i"
    assert pa["year_available"].between(2018, 2030).all()
    assert (pa["land_cost_est"] > 0).all()
    assert (pa["build_cost_per_m2_est"] > 0).all()
    # More freed land on the fringe than in dense 天通苑.
    area = pa.groupby("subdistrict")["area_m2"].sum()
    assert area["东小口镇"] > 3 * area["天通苑北街道"]
    assert area["史各庄街道"] > 3 * area["天通苑南街道"]


def test_allowed_uses_valid(data: HuitianData) -> None:
    for uses, area, kind in zip(
        data.parcels["allowed_uses"], data.parcels["area_m2"], data.parcels["kind"], strict=True
    ):
        items = uses.split(";")
        assert items and set(items) <= set(USES), uses
        assert len(items) == len(set(items))
        for use in items:
            assert area >= MIN_AREA[use], (use, area)
        if kind in {"idle_room", "boiler_room"}:
            assert "park" not in items and "primary_school" not in items


def test_crs_on_every_layer(data: HuitianData) -> None:
    for name, frame in data.layers().items():
        assert frame.crs is not None and frame.crs.to_epsg() == 32650, name


def test_ids_unique(data: HuitianData) -> None:
    for name, col in ID_COLUMNS.items():
        ids = data.layers()[name][col]
        assert ids.is_unique, name
        assert ids.notna().all(), name


def test_geometry_inside_area_and_partition(data: HuitianData) -> None:
    outline = data.outline()
    total = outline.area
    assert 59e6 <= total <= 65e6
    geoms = np.asarray(data.subdistricts.geometry)
    assert shapely.is_valid(geoms).all()
    overlap = sum(
        geoms[i].intersection(geoms[j]).area
        for i in range(len(geoms)) for j in range(i + 1, len(geoms))
    )
    assert overlap < 0.001 * total
    for sd, row in zip(SUBDISTRICTS, data.subdistricts.itertuples(), strict=True):
        assert row.subdistrict == sd.name
        assert abs(row.geometry.area / 1e6 - sd.area_km2) < 0.1 * sd.area_km2
    area = outline.buffer(0.01)
    assert shapely.contains(area, np.asarray(data.blocks.geometry)).all()
    assert shapely.contains(area, np.asarray(data.parcels.geometry)).all()


def test_blocks_mostly_in_their_subdistrict(data: HuitianData) -> None:
    joined = data.blocks.sjoin(data.subdistricts[["subdistrict", "geometry"]], how="left",
                               predicate="within", lsuffix="b", rsuffix="s")
    same = (joined["subdistrict_b"] == joined["subdistrict_s"]).mean()
    assert same > 0.97


def test_baseline_park_coverage(data: HuitianData) -> None:
    assert 0.70 <= park_coverage(data.blocks, data.parks, 500.0) <= 0.90


def test_kindergarten_capacity_short_of_need(data: HuitianData) -> None:
    seats = data.existing.loc[data.existing["type"] == "kindergarten", "capacity"].sum()
    assert seats < 0.8 * data.blocks["age_3_6"].sum()


def test_network_connected_with_crossings(data: HuitianData) -> None:
    net = data.network()
    assert net.unreachable_nodes().size == 0
    edges = data.network_edges
    assert edges["u"].isin(data.network_nodes["node_id"]).all()
    assert edges["v"].isin(data.network_nodes["node_id"]).all()
    for bid in data.barriers["barrier_id"]:
        assert (data.crossings["barrier_id"] == bid).sum() >= 3, bid
    # Apart from crossing links, no street link crosses a barrier.
    barrier = shapely.union_all(np.asarray(data.barriers.geometry))
    street = edges["kind"].isin(["street", "arterial", "path"]).to_numpy()
    assert not shapely.intersects(np.asarray(edges.geometry[street]), barrier).any()


def test_network_detour_across_barrier(data: HuitianData) -> None:
    stats = detour_stats(data.network(), data.blocks, data.parcels, data.barriers, radius=600.0)
    assert stats.n_crossing > 0
    assert stats.share_over_crossing > 0.5
    assert stats.examples
    ex = stats.examples[0]
    assert float(ex["network_m"]) > 1.3 * float(ex["straight_m"])  # type: ignore[arg-type]


def test_distances_within_matches_brute_force_sample(data: HuitianData) -> None:
    """Blocks to parcels on the 回天 network against a plain reference: points projected
    onto their nearest edges by hand, a heapq Dijkstra over a dict graph."""
    net = data.network()
    rng = np.random.default_rng(7)
    b = data.blocks.iloc[rng.choice(len(data.blocks), 16, replace=False)]
    p = data.parcels.iloc[rng.choice(len(data.parcels), 10, replace=False)]
    bx, by = np.asarray(b.geometry.x), np.asarray(b.geometry.y)
    c = p.geometry.centroid
    px, py = np.asarray(c.x), np.asarray(c.y)
    cutoff = 3000.0
    got = net.distances_within(bx, by, px, py, cutoff).toarray()
    nodes = list(zip(net.node_x.tolist(), net.node_y.tolist(), strict=True))
    edges = list(zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(),
                     strict=True))
    expect = np.array(plain_walks(nodes, edges, list(zip(bx, by, strict=True)),
                                  list(zip(px, py, strict=True)), net.max_access))
    expect = np.where(expect <= cutoff, expect, 0.0)
    assert np.count_nonzero(expect) > 10
    assert np.allclose(got, expect)


def test_regeneration_is_byte_identical(regenerated: Path) -> None:
    committed = default_instance_dir()
    for name in (GPKG_NAME, PNG_NAME, README_NAME):
        new = hashlib.sha256((regenerated / name).read_bytes()).hexdigest()
        old = hashlib.sha256((committed / name).read_bytes()).hexdigest()
        assert new == old, f"{name} differs from the committed file; regenerate and commit"


def test_loader_env_var(regenerated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(regenerated))
    loaded = load_huitian()
    assert len(loaded.blocks) >= 3000
    monkeypatch.setenv(ENV_VAR, str(regenerated / "missing"))
    with pytest.raises(ValueError, match="not found"):
        load_huitian()


def test_instance_from_frames(data: HuitianData) -> None:
    try:
        from siting.instance import Instance
    except ImportError:
        pytest.skip("instance model not available")
    inst = Instance.from_frames(
        demand=data.blocks,
        sites=data.parcels,
        demand_id="block_id",
        site_id="parcel_id",
        weight="pop_total",
        cost="land_cost_est",
        crs=None,
    )
    assert inst is not None
