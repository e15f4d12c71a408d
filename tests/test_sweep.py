"""Sweeps on Dask: identical tables for 1 and 2 workers, failed scenarios kept as rows.

``small_case`` (also used by the report and CLI tests) is a hand-made
instance: 50 blocks in two sub-districts, 8 parcels, one existing station,
straight-line distances, solved in well under a second.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.errors import InputError, ParameterError
from siting.multi.data import ServiceData
from siting.multi.spec import Spec, parse_spec
from siting.sweep import apply_scenario, parse_axis, parse_range, run_sweep, scenario_grid

CRS = "EPSG:32650"
X0, Y0 = 440_000.0, 4_430_000.0


def small_spec(instance: str = "instances/huitian", **budget: Any) -> dict[str, Any]:
    """Two services, one year, a budget and one coverage target (straight-line distances)."""
    return {
        "meta": {
            "name": "small",
            "description": "a hand-made test case",
            "instance": instance,
            "years": [2026, 2027],
            "distance": "euclidean",
        },
        "facility": {
            "service_room": {
                "label": "便民服务用房 service room",
                "group": "pop_total",
                "radius_m": 350,
                "footprint_m2": 200,
                "build_cost": 1_000_000,
                "max_count": {"total": 4},
            },
            "elderly_station": {
                "label": "养老服务驿站 elderly-care station",
                "group": "age_60_plus",
                "radius_m": 450,
                "footprint_m2": 400,
                "build_cost": 2_000_000,
                "capacity": 800,
            },
        },
        "budget": {"total": 6_000_000, **budget},
        "target": [
            {
                "name": "elderly within 450 m >= 60%",
                "kind": "coverage",
                "facility": "elderly_station",
                "share": 0.6,
            },
            {
                "name": "service rooms >= 1",
                "kind": "count",
                "facility": "service_room",
                "at_least": 1,
                "mode": "report",
            },
        ],
        "solver": {"time_limit": 20, "mip_gap": 0},
    }


def small_frames() -> dict[str, gpd.GeoDataFrame]:
    """The layers of the small instance, as in the 回天 GeoPackage (EPSG:32650)."""
    rng = np.random.default_rng(7)
    gx, gy = np.meshgrid(np.arange(10), np.arange(5))
    x = X0 + 100 + 200 * gx.ravel()
    y = Y0 + 100 + 200 * gy.ravel()
    pop = rng.integers(50, 400, x.size)
    blocks = gpd.GeoDataFrame(
        {
            "block_id": [f"B{k:02d}" for k in range(x.size)],
            "subdistrict": np.where(x < X0 + 1000, "东区", "西区"),
            "pop_total": pop,
            "age_60_plus": (pop * 0.2).round().astype(int),
        },
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )
    px = X0 + np.array([250, 650, 900, 1150, 1450, 1750, 400, 1600])
    py = Y0 + np.array([300, 700, 450, 250, 650, 350, 850, 850])
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k}" for k in range(px.size)],
            "subdistrict": np.where(px < X0 + 1000, "东区", "西区"),
            "area_m2": 1600.0,
            "land_cost_est": 0.0,
            "allowed_uses": "elderly_station;service_room",
            "year_available": [2020, 2020, 2020, 2027, 2020, 2020, 2020, 2020],
        },
        geometry=[shapely.box(a - 20, b - 20, a + 20, b + 20) for a, b in zip(px, py, strict=True)],
        crs=CRS,
    )
    existing = gpd.GeoDataFrame(
        {
            "facility_id": ["E1"],
            "type": ["elderly_station"],
            "name": ["东区养老驿站"],
            "subdistrict": ["东区"],
            "capacity": [300],
            "area_m2": [400.0],
        },
        geometry=gpd.points_from_xy([X0 + 300], [Y0 + 500]),
        crs=CRS,
    )
    subdistricts = gpd.GeoDataFrame(
        {"subdistrict": ["东区", "西区"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
            shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000),
        ],
        crs=CRS,
    )
    return {
        "blocks": blocks, "parcels": parcels, "existing": existing, "subdistricts": subdistricts
    }


def small_data() -> ServiceData:
    f = small_frames()
    return ServiceData(
        blocks=f["blocks"], parcels=f["parcels"], existing=f["existing"],
        subdistricts=f["subdistricts"], source="small",
    )


def write_small_instance(folder: Path) -> Path:
    """A folder holding a huitian.gpkg-like GeoPackage of the small case (tiny network)."""
    folder.mkdir(parents=True, exist_ok=True)
    f = small_frames()
    nodes = gpd.GeoDataFrame(
        {"node_id": [1, 2, 3], "kind": "street", "name": ""},
        geometry=gpd.points_from_xy([X0, X0 + 1000, X0 + 2000], [Y0 + 500] * 3),
        crs=CRS,
    )
    edges = gpd.GeoDataFrame(
        {"edge_id": [1, 2], "u": [1, 2], "v": [2, 3], "length_m": [1000.0, 1000.0],
         "kind": "street"},
        geometry=[
            shapely.LineString([(X0, Y0 + 500), (X0 + 1000, Y0 + 500)]),
            shapely.LineString([(X0 + 1000, Y0 + 500), (X0 + 2000, Y0 + 500)]),
        ],
        crs=CRS,
    )
    point = gpd.points_from_xy([X0 + 5], [Y0 + 5])
    line = [shapely.LineString([(X0, Y0), (X0 + 10, Y0)])]
    layers = {
        "subdistricts": f["subdistricts"],
        "blocks": f["blocks"],
        "parcels": f["parcels"],
        "existing": f["existing"],
        "parks": gpd.GeoDataFrame(
            {"facility_id": ["PK1"], "name": ["小公园"]},
            geometry=[shapely.box(X0 + 1900, Y0 + 900, X0 + 1990, Y0 + 990)],
            crs=CRS,
        ),
        "network_nodes": nodes,
        "network_edges": edges,
        "barriers": gpd.GeoDataFrame({"barrier_id": [1]}, geometry=line, crs=CRS),
        "crossings": gpd.GeoDataFrame({"crossing_id": [1]}, geometry=point, crs=CRS),
        "stations": gpd.GeoDataFrame({"station_id": [1]}, geometry=point, crs=CRS),
    }
    path = folder / "huitian.gpkg"
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return folder


def test_ranges_and_axes() -> None:
    assert parse_range("0.8:0.9:3", "--target") == (0.8, 0.85, 0.9)
    assert parse_range("5", "--budget") == (5.0,)
    for bad in ("1:2", "a:b:3", "1:2:0", "nan"):
        with pytest.raises(ParameterError):
            parse_range(bad, "--budget")
    with pytest.raises(ParameterError, match="TYPE=START:STOP:N"):
        parse_axis("radius", "400:600:3")
    ax = parse_axis("target", "公园 >= 85%=0.8:0.9:2")  # names may hold '='
    assert ax.key == "公园 >= 85%" and ax.values == (0.8, 0.9)
    assert len(scenario_grid([parse_axis("budget", "1:3:3"), ax])) == 6


def test_apply_scenario_sets_budget_target_and_radius() -> None:
    spec = parse_spec(small_spec(per_year={"2026": 2_000_000, "2027": 4_000_000}))
    out = apply_scenario(
        spec, {"budget": 3e6, "target:elderly_station": 0.7, "radius:service_room": 500}
    )
    assert out.budget.total == 3e6
    assert out.budget.per_year == {"2026": 1e6, "2027": 2e6}
    assert out.target[0].share == 0.7
    assert out.facility["service_room"].radius_m == 500
    assert apply_scenario(spec, {"target:1": 2}).target[1].at_least == 2
    with pytest.raises(ParameterError, match="no single target"):
        apply_scenario(spec, {"target:nosuch": 0.5})
    with pytest.raises(ParameterError, match="unknown facility"):
        apply_scenario(spec, {"radius:school": 500})
    with pytest.raises(InputError, match="share"):  # validated again: a share is <= 1
        apply_scenario(spec, {"target:0": 1.5})


def _sweep(workers: int, spec: Spec, data: ServiceData) -> pd.DataFrame:
    axes = [parse_axis("budget", "1e6:7e6:4"), parse_axis("radius", "service_room=300,400")]
    res = run_sweep(spec, axes, data=data, workers=workers, processes=True)
    assert res.workers == workers
    return res.table


def test_sweep_identical_on_one_and_two_workers(tmp_path: Path) -> None:
    spec, data = parse_spec(small_spec()), small_data()
    one = _sweep(1, spec, data)
    two = _sweep(2, spec, data)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == 8 and list(one["scenario"]) == list(range(8))
    # the lowest budget cannot open a station: reported as infeasible, not dropped
    low = one[one["budget"] == 1e6]
    assert set(low["status"]) == {"infeasible"} and low["message"].str.len().min() > 0
    ok = one[one["status"].isin(["optimal", "feasible"])]
    assert len(ok) == 4 and ok["verified"].all()
    assert (ok["coverage:elderly_station"] >= 0.6 - 1e-9).all()
    assert (ok["cost"] <= ok["budget"] + 1).all()
    # more budget never covers fewer residents (same radius)
    for _, g in ok.groupby("radius:service_room"):
        assert g.sort_values("budget")["objective"].is_monotonic_increasing
    assert one["pareto"].any()


def test_failed_scenario_is_a_row(tmp_path: Path) -> None:
    spec, data = parse_spec(small_spec()), small_data()
    broken = ServiceData(
        blocks=data.blocks, parcels=data.parcels.drop(columns="land_cost_est"),
        existing=data.existing, source="small",
    )
    broken.parcels = broken.parcels.assign(area_m2="x")  # breaks inside the worker
    res = run_sweep(spec, [parse_axis("budget", "4e6,6e6")], data=broken, workers=1)
    assert list(res.table["status"]) == ["error", "error"]
    assert res.table["message"].str.len().min() > 0
    paths = res.write(tmp_path / "sw")
    assert {p.name for p in paths} == {"pareto.csv", "sweep.json", "pareto.png", "report.html"}


def test_sweep_without_any_solution_says_why_and_what_to_do(tmp_path: Path) -> None:
    """Every scenario stopped at its limit: advice names the time the full model needs, the
    page says why there is no curve, no cell reads None, pareto.png is still drawn, and the
    command's exit code is 4."""
    import typer

    from siting.cli.sweep import _conclude
    from siting.report import sweep_report_html
    from siting.sweep import SweepResult, sweep_advice

    spec = parse_spec(small_spec())
    table = pd.DataFrame({
        "scenario": [0, 1], "budget": [4e6, 6e6], "status": ["no_solution"] * 2,
        "objective": [None, None], "gap": [np.nan, np.nan], "cost": [np.nan, np.nan],
        "facilities": [np.nan, np.nan], "coverage:service_room": [np.nan, np.nan],
        "coverage:elderly_station": [np.nan, np.nan], "targets_met": [0, 0],
        "targets": [2, 2], "verified": [None, None], "pareto": [False, False],
        "message": ["time limit reached", "time limit reached"],
    })
    advice = sweep_advice(table, spec, [5.1, 5.2], [3.0, 3.0], [5.0, 5.0])
    assert advice and "2 of 2 scenarios stopped at the 5 s time limit" in advice[0]
    assert "--time-limit 20 or more" in advice[0]  # the spec's own limit (20 s) > 2 × 5 s
    result = SweepResult(table=table, axes=[parse_axis("budget", "4e6,6e6")], spec_name="small",
                         types=list(spec.facility), advice=advice)
    page = sweep_report_html(table, result.info())
    assert '<p id="nocurve">No scenario has a solution, so there is no curve.' in page
    assert '<svg id="curve"' not in page and '<ul id="advice">' in page
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert cells and "None" not in cells and "nan" not in cells
    paths = result.write(tmp_path / "sw")
    assert (tmp_path / "sw" / "pareto.png").stat().st_size > 10_000 and len(paths) == 4
    with pytest.raises(typer.Exit) as stop:
        _conclude(table, advice)
    assert stop.value.exit_code == 4
