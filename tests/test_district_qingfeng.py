"""青枫新城片区 (instances/qingfeng): a district as planners hold their files, and its plan
checked against an independent computation (tests/walk_reference.py, plan_reference.py).

The reference reads the files with geopandas and pandas, nodes the un-split centre lines
at crossings within a level (the bridge over the railway meets no street it crosses),
joins every point on its nearest edge and walks with a heap Dijkstra; from that it
computes each block's coverage, a plan's objective, and the best plan by a MILP of its
own. ``siting solve models/qingfeng.toml`` must give that plan's value, verified.
"""

from __future__ import annotations

import importlib.util
import itertools
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from tests.plan_reference import (
    District,
    best_plan,
    plan_coverage,
    plan_objective,
    plan_problems,
    read_district,
)
from tests.walk_reference import Streets, runner_up_gap, walk

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "instances" / "qingfeng"
SPEC = ROOT / "models" / "qingfeng.toml"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("qingfeng_make", FOLDER / "make.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The generator's local origin (EPSG:4545): the points checked by hand are local.
ORIGIN = np.array(generator().ORIGIN)


@pytest.fixture(scope="module")
def district() -> District:
    return read_district(SPEC)


@pytest.fixture(scope="module")
def best(district: District) -> tuple[float, pd.DataFrame]:
    return best_plan(district)


def all_points(d: District) -> np.ndarray:
    """Every point that joins the streets: blocks, parcels and existing facilities, at
    their inner points and along their edges."""
    pts = [d.block_xy]
    for access in ("point", "boundary"):
        pts.append(d.access_points(d.parcels.geometry, access)[0])
        pts.append(d.access_points(d.existing.geometry, access)[0])
    return np.vstack(pts)


# ------------------------------------------------------------------ the files


def same_frames(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame, atol: float) -> None:
    """Same attributes and shapes (a Shapefile turns its rings clockwise)."""
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")).reset_index(drop=True),
        pd.DataFrame(want.drop(columns="geometry")).reset_index(drop=True),
        check_dtype=False,
    )
    a = shapely.normalize(got.geometry.to_numpy())
    b = shapely.normalize(want.geometry.to_numpy())
    assert shapely.equals_exact(a, b, tolerance=atol).all()


def test_shipped_files_are_what_the_generator_writes() -> None:
    layers = generator().district_layers()
    same_frames(gpd.read_file(FOLDER / "居住小区.shp"), layers["blocks"], 0.0)
    same_frames(gpd.read_file(FOLDER / "候选地块.geojson"), layers["parcels"], 1e-12)
    same_frames(gpd.read_file(FOLDER / "道路中心线.gpkg", layer="道路中心线"),
                layers["streets"], 0.0)
    same_frames(gpd.read_file(FOLDER / "行政边界.gpkg", layer="街道"), layers["subdistricts"], 0)
    same_frames(gpd.read_file(FOLDER / "行政边界.gpkg", layer="现状公园"), layers["park"], 0)
    csv = (FOLDER / "现状设施.csv").read_bytes()
    assert csv == generator().existing_csv_bytes(layers["existing"])


def test_the_files_carry_the_mess_planners_files_do() -> None:
    csv = (FOLDER / "现状设施.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        csv.decode("utf-8")  # GBK, as Excel saves a CSV on a Chinese Windows
    header = csv.decode("gbk").split("\r\n")[0].split(",")
    assert header == ["设施编号", "设施类型", "设施名称", "经度", "纬度", "规模"]
    assert (FOLDER / "居住小区.cpg").read_text() == "GBK"
    assert "小区编号".encode("gbk") in (FOLDER / "居住小区.dbf").read_bytes()[:600]
    blocks = gpd.read_file(FOLDER / "居住小区.shp")
    assert blocks.crs.to_epsg() == 4545 and (blocks["常住人口"] == 0).sum() == 1
    assert (blocks.geom_type == "MultiPolygon").sum() == 2
    parcels = gpd.read_file(FOLDER / "候选地块.geojson")
    assert parcels.crs.to_epsg() == 4326
    assert [c for c in parcels.columns if "面积" in c or "area" in c.lower()] == ["面积（亩）"]
    uses = parcels["允许用途"]
    assert uses.str.contains("，").any() and uses.str.contains("、").any()
    streets = gpd.read_file(FOLDER / "道路中心线.gpkg", layer="道路中心线")
    assert streets["道路名称"].is_unique  # one feature per street, not split at crossings
    west = streets.geometry[streets["道路名称"] == "西环路"].iloc[0]
    assert len(shapely.get_coordinates(west)) == 2  # nine streets meet it in between
    bridge = streets[streets["层"] == 1]
    assert set(bridge["道路名称"]) == {"青枫路跨线桥", "绕城高速"}
    ground = streets[streets["层"] == 0].geometry.union_all()
    assert bridge.geometry.iloc[0].crosses(ground)  # over the railway's frontage roads


# ------------------------------------------------------------------ the reference


def test_reference_distances_checked_by_hand(district: District) -> None:
    def local(*pts: tuple[float, float]) -> np.ndarray:
        return np.asarray(pts, dtype=float) + ORIGIN

    net = district.streets
    # Either side of the railway, 100 m apart: down a street, over the bridge, back.
    across = walk(net, local((1100, 1050)), local((1100, 1150)))[0, 0]
    assert across == pytest.approx(10 + 100 + 100 + 130 + 330 + 130 + 110 + 100 + 10, abs=1e-9)
    # Were the bridge a street crossing the frontage roads, it would be 200 m.
    lines = gpd.read_file(FOLDER / "道路中心线.gpkg", layer="道路中心线")
    flat = Streets(list(lines[lines["道路等级"] != "高速公路"].geometry))
    assert walk(flat, local((1100, 1050)), local((1100, 1150)))[0, 0] == pytest.approx(200.0)
    # From the dead end 梧桐巷, which starts part-way along 青枫街 (no vertex there).
    assert walk(net, local((1670, 600)), local((1700, 470)))[0, 0] == pytest.approx(180.0)
    # Two points on one edge meet along it, not through a node.
    assert walk(net, local((300, 10)), local((400, 22)))[0, 0] == pytest.approx(132.0)


def test_every_point_joins_the_ground_streets_unambiguously(district: District) -> None:
    """No point is equally near two places on the streets (ties broken either way give
    the same walk) or nearest to the bridge; none is farther than network_max_access."""
    gap, level = runner_up_gap(district.streets, all_points(district))
    assert gap.min() >= 1.0 - 1e-9
    assert (level == 0).all()
    access = district.streets.locate(all_points(district)).access
    assert access.max() <= district.spec["data"]["network_max_access"]


def test_walking_is_never_shorter_than_the_straight_line(district: District) -> None:
    targets = all_points(district)[len(district.blocks):]
    walked = walk(district.streets, district.block_xy, targets)
    straight = np.hypot(*(district.block_xy[:, None] - targets[None]).transpose(2, 0, 1))
    assert np.isfinite(walked).all()  # every point reaches every other
    assert (walked >= straight * (1 - 1e-12)).all()
    assert (walked > 1.2 * straight).mean() > 0.5  # the streets make real detours


def test_no_walk_ends_within_a_centimetre_of_a_radius(district: District) -> None:
    """Coverage flags do not hang on round-off: every block-to-site walk is clear of
    every radius (the nearest, 500.1 m against a park's 500 m), so any program that walks
    the same streets gets the same flags."""
    for name, f in district.spec["facility"].items():
        access = f.get("access", "point")
        d = np.hstack([district.to_parcels(access), district.to_existing(name, access)])
        assert (np.abs(d - f["radius_m"]) > 0.01).all(), name


# ------------------------------------------------------------------ against siting today


def test_reference_and_siting_agree_node_to_node(district: District) -> None:
    """On a copy of the streets split where the reference nodes them, today's siting
    (lines meet at shared ends) walks the same node-to-node distances."""
    from siting.data import street_network

    pieces = [shapely.LineString(c) for c, _ in district.streets.pieces]
    net = street_network(pieces, tolerance=0.0)
    ends = np.unique(district.streets.segments.reshape(-1, 2), axis=0)
    gap, pos = cKDTree(np.column_stack([net.node_x, net.node_y])).query(ends)
    assert gap.max() == 0.0
    assert net.n_nodes == len(ends)
    rows = np.arange(0, len(ends), 7)
    ours = walk(district.streets, ends[rows], ends)
    theirs = net.node_distances(pos[rows], cutoff=np.inf)[:, pos]
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-9)


def split_at_feet(d: District, points: np.ndarray) -> list[Any]:
    """The streets as two-point lines, cut at every point's foot: a point's nearest vertex
    is then its foot, so nearest-vertex snapping walks as nearest-edge access does."""
    where = d.streets.locate(points)
    lines = []
    for s, (a, b) in enumerate(d.streets.segments):
        cuts = sorted({float(t) for t in where.t[where.segment == s]} - {0.0, 1.0})
        at = [a, *(a + t * (b - a) for t in cuts), b]
        lines += [shapely.LineString([p, q]) for p, q in itertools.pairwise(at)]
    return lines


def service_data_today(d: District) -> Any:
    """The district as today's siting takes it from GeoDataFrames (its own names)."""
    from siting.data import street_network
    from siting.multi.data import ServiceData

    crs = d.blocks.crs
    blocks = d.blocks.rename(columns={"小区编号": "block_id"}).assign(subdistrict="all")
    parcels = gpd.GeoDataFrame({
        "parcel_id": d.parcels["parcel_id"], "area_m2": d.parcels["area_m2"],
        "allowed_uses": [";".join(sorted(u)) for u in d.parcels["uses"]],
        "year_available": d.parcels["year"]}, geometry=d.parcels.geometry, crs=crs)
    points = d.existing.geometry.representative_point()
    existing = gpd.GeoDataFrame(d.existing[["facility_id", "type"]], geometry=points, crs=crs)
    shapes = d.existing[d.existing.geom_type != "Point"][["facility_id", "geometry"]]
    network = street_network(split_at_feet(d, all_points(d)), tolerance=0.0)
    return ServiceData(blocks=blocks, parcels=parcels, existing=existing, network=network,
                       existing_shapes=gpd.GeoDataFrame(shapes, crs=crs))


def spec_today() -> Any:
    """The district's spec without its [data] table (today's siting knows none of its keys)."""
    from siting.multi import parse_spec

    data = tomllib.loads(SPEC.read_text(encoding="utf-8"))
    data.pop("data")
    return parse_spec(data)


@pytest.fixture(scope="module")
def split_copy(district: District) -> Any:
    return service_data_today(district)


def test_reference_and_siting_walk_alike_on_a_copy_split_at_every_foot(
    district: District, split_copy: Any
) -> None:
    """Block-to-parcel walks, to a parcel's point and to its edge (siting's own entrances),
    equal the reference's once nearest-vertex snapping lands where nearest-edge access
    does."""
    parcels, none = np.arange(len(district.parcels)), np.zeros(0, dtype=np.int64)
    for access in ("point", "boundary"):
        theirs = split_copy.metric(parcels, none, "network", access).within(1e5).toarray()
        np.testing.assert_allclose(theirs, district.to_parcels(access), rtol=1e-9)


def test_reference_plan_agrees_with_siting_on_a_copy_split_at_every_foot(
    district: District, best: tuple[float, pd.DataFrame], split_copy: Any
) -> None:
    """Today's siting on the district's data in its own names, the streets split where the
    reference joins each point: the same optimum, objective and coverage."""
    from siting import SolveOptions
    from siting.multi import MultiService

    plan = MultiService(spec_today()).solve(
        split_copy, options=SolveOptions(time_limit=60, mip_gap=0)
    )
    assert str(plan.status) == "optimal" and plan.verified
    check_plan_against_reference(district, best, plan)


def check_plan_against_reference(
    district: District, best: tuple[float, pd.DataFrame], plan: Any
) -> None:
    rows = plan.facilities[["type", "parcel_id", "year"]]
    assert plan_problems(district, rows) == []
    cover = plan_coverage(district, rows)
    assert plan.objective == pytest.approx(plan_objective(district, cover), rel=1e-6)
    assert plan.objective == pytest.approx(best[0], rel=1e-6)
    ids = district.blocks["小区编号"].astype(str).tolist()
    table = plan.coverage.set_index(plan.coverage["block_id"].astype(str)).loc[ids]
    last = district.years[-1]
    for name in district.spec["facility"]:
        said = table[name].astype(str).str.lower().isin(["true", "1", "1.0"]).to_numpy()
        assert (said == cover[name, last]).all(), name


# ------------------------------------------------------------------ the spec as held


def test_solve_as_held_is_optimal_verified_and_the_reference_plan(
    district: District, best: tuple[float, pd.DataFrame]
) -> None:
    """``siting solve models/qingfeng.toml`` on the files as held (GBK, 亩, 经度/纬度, centre
    lines not split, a bridge): its plan's objective and coverage per block equal the
    reference's, and no plan is better."""
    from siting import SolveOptions
    from siting.data import load_service_data
    from siting.multi import MultiService, load_spec

    spec = load_spec(SPEC)
    solved = MultiService(spec).solve(load_service_data(spec),
                                      options=SolveOptions(time_limit=120, mip_gap=0))
    assert str(solved.status) == "optimal" and solved.verified
    check_plan_against_reference(district, best, solved)


def test_the_reference_optimum_is_a_real_plan(best: tuple[float, pd.DataFrame],
                                              district: District) -> None:
    value, plan = best
    assert plan_problems(district, plan) == []
    assert value == pytest.approx(plan_objective(district, plan_coverage(district, plan)))
    # The park target binds: without it the best plan is worth more.
    free = District(dict(district.spec, target=[]), district.blocks, district.block_xy,
                    district.parcels, district.existing, district.streets)
    assert best_plan(free)[0] > value * 1.1


def test_the_written_folder_verifies(tmp_path: Path) -> None:
    """``siting solve`` then ``siting verify`` on the district's folder: the blocks are
    polygons, written to the GeoPackage as multipolygons of one part, and a plan siting
    wrote itself must verify (the layer check compares shapes, not their container)."""
    from siting.cli import main

    out = tmp_path / "plan"
    assert main(["solve", str(SPEC), "--out", str(out), "--quiet"]) == 0
    assert main(["verify", str(out)]) == 0
