"""Coordinates checked against their CRS: degrees without one, CRSs that cannot hold them,
layers far from the blocks; in specs and in classic CSV folders and GeoPackages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting import MCLP
from siting.data.crs import looks_like_degrees
from siting.errors import CRSError, InputError
from siting.io import load_instance
from siting.multi.spec import load_spec
from tests.planner_files import CRS, HELD, X0, Y0, lonlat, spec_text, write_district

pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided")


def load(folder: Path, data: dict[str, object]) -> object:
    from siting.data import load_service_data

    path = folder / "spec.toml"
    path.write_text(spec_text(data), encoding="utf-8")
    return load_service_data(load_spec(path))


@pytest.fixture
def district(tmp_path: Path) -> Path:
    return write_district(tmp_path)


def without(data: dict[str, object], *keys: str) -> dict[str, object]:
    return {k: v for k, v in data.items() if k not in keys}


# ------------------------------------------------------------------ specs


def test_csv_in_degrees_without_crs_is_refused_whatever_layer(district: Path) -> None:
    """Today's flaw: a CRS-less CSV in degrees was taken in the blocks' CRS, 3,000 km away."""
    rows = pd.read_csv(district / "existing.csv", encoding="gbk").rename(
        columns={"lon": "x", "lat": "y"})
    rows.to_csv(district / "existing_xy.csv", index=False)
    data = {**without(HELD, "encoding"), "existing": "existing_xy.csv"}
    with pytest.raises(CRSError) as info:
        load(district, data)
    msg = str(info.value)
    for said in ("existing_xy.csv", "coordinates look like longitude/latitude",
                 "x 114.3", "but the file has no CRS", 'set [data] crs = "EPSG:4326"'):
        assert said in msg, msg
    got = load(district, {**data, "crs": "EPSG:4326"})
    xy = got.existing_xy()  # type: ignore[attr-defined]
    assert np.allclose(xy[0], [X0 + 150, Y0 + 250], atol=0.5)  # where it was put


def test_lonlat_columns_mean_wgs84_and_are_said(district: Path) -> None:
    got = load(district, HELD)
    notes = " ".join(got.notes)  # type: ignore[attr-defined]
    assert "its columns 'lon' and 'lat' are taken as WGS 84 longitude/latitude" in notes
    xy = got.existing_xy()  # type: ignore[attr-defined]
    assert np.allclose(xy[:, 0], X0 + np.array([150.0, 450.0]), atol=0.5)


def test_lonlat_columns_holding_metres_are_refused(district: Path) -> None:
    pd.DataFrame({"设施编号": ["A"], "设施类型": ["幼儿园"], "lon": [X0 + 150], "lat": [Y0 + 250]}
                 ).to_csv(district / "metres.csv", index=False)
    data = {**without(HELD, "existing_capacity"), "existing": "metres.csv"}
    with pytest.raises(CRSError, match=r"metres.csv: field 'data.crs': coordinates .* are not "
                       r"longitude/latitude, but EPSG:4326 \(its columns are named"):
        load(district, data)
    got = load(district, {**data, "crs": CRS})  # [data] crs says otherwise: it wins
    assert np.allclose(got.existing_xy()[0], [X0 + 150, Y0 + 250])  # type: ignore[attr-defined]


def test_a_projected_crs_given_to_degrees_is_refused(district: Path) -> None:
    with pytest.raises(CRSError) as info:
        load(district, {**HELD, "crs": CRS})
    msg = str(info.value)
    assert "existing.csv" in msg and "look like longitude/latitude" in msg, msg
    assert "EPSG:4547 ([data] crs) is in metres" in msg, msg


def test_a_layer_far_outside_its_crs_area_of_use_is_refused(district: Path) -> None:
    # The blocks' coordinates declared in a German UTM zone: they would lie near Africa.
    wrong = gpd.read_file(district / "居住小区.shp").set_crs("EPSG:25832", allow_override=True)
    wrong.to_file(district / "wrong.gpkg", driver="GPKG")
    with pytest.raises(CRSError) as info:
        load(district, {**HELD, "blocks": "wrong.gpkg"})
    msg = str(info.value)
    for said in ("wrong.gpkg", "in EPSG:25832 (its own CRS) lie at", "far outside where "
                 "EPSG:25832 is used", "6° to 12.01° longitude"):
        assert said in msg, msg


def test_a_layer_far_from_the_blocks_is_refused_naming_both(district: Path) -> None:
    far = gpd.read_file(district / "boundaries.gpkg", layer="街道").translate(0, 50_000)
    gpd.GeoDataFrame({"街道名称": ["甲", "乙"]}, geometry=far, crs=CRS).to_file(
        district / "far.gpkg", driver="GPKG")
    with pytest.raises(CRSError) as info:
        load(district, {**HELD, "subdistricts": "far.gpkg"})
    msg = str(info.value)
    assert "far.gpkg" in msg and "lies 49 km from" in msg and "居住小区.shp" in msg, msg


def test_crs_less_blocks_in_degrees_and_metres(district: Path) -> None:
    lon, lat = lonlat([0.0, 300.0, 500.0], [0.0, 100.0, 400.0])
    pd.DataFrame({"小区编号": ["a", "b", "c"], "x": lon, "y": lat, "常住人口": [1, 2, 3],
                  "3-6岁": [1, 1, 1]}).to_csv(district / "homes.csv", index=False)
    data = {**HELD, "blocks": "homes.csv", "existing": None, "existing_id": "设施编号"}
    data = {k: v for k, v in data.items() if v is not None and not k.startswith("existing")}
    with pytest.raises(CRSError, match=r"homes.csv: .*look like longitude/latitude"):
        load(district, data)
    got = load(district, {**data, "crs": "EPSG:4326"})
    assert got.blocks.crs.to_epsg() == 32650  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(lon=st.floats(-179, 175), lat=st.floats(-85, 85), span=st.floats(0.001, 4.5))
def test_anything_that_is_longitude_latitude_looks_like_it(lon: float, lat: float,
                                                           span: float) -> None:
    if max(abs(lon), abs(lat)) <= 1.0 + span:
        return  # near (0, 0): read as a small metric grid
    bounds = [lon, lat, lon + span, min(lat + span, 90.0)]
    bounds = [round(v, 6) + 0.000123 for v in bounds]
    assert looks_like_degrees(bounds)


def test_metric_grids_do_not_look_like_degrees() -> None:
    assert not looks_like_degrees([0.0, 0.0, 3.0, 4.0])            # a test grid
    assert not looks_like_degrees([10.0, 10.0, 12.5, 13.5])       # steps of 0.5
    assert not looks_like_degrees([X0, Y0, X0 + 500, Y0 + 500])    # projected metres
    assert not looks_like_degrees([114.3012, 30.47, 120.5, 31.0])  # 6 units across


# ------------------------------------------------------------------ classic


def lonlat_folder(folder: Path, xy: tuple[str, str] = ("x", "y")) -> Path:
    """A CSV folder in degrees: a 3 × 3 grid of demand 200 m apart, two sites."""
    gx, gy = np.meshgrid([0.0, 200.0, 400.0], [0.0, 200.0, 400.0])
    lon, lat = lonlat(gx.ravel(), gy.ravel())
    pd.DataFrame({"id": [f"d{k}" for k in range(9)], xy[0]: lon, xy[1]: lat,
                  "weight": np.arange(1.0, 10.0)}).to_csv(folder / "demand.csv", index=False)
    slon, slat = lonlat([0.0, 400.0], [0.0, 400.0])
    pd.DataFrame({"id": ["s1", "s2"], xy[0]: slon, xy[1]: slat}).to_csv(
        folder / "sites.csv", index=False)
    return folder


def test_classic_csv_in_degrees_needs_crs(tmp_path: Path) -> None:
    folder = lonlat_folder(tmp_path)
    with pytest.raises(CRSError) as info:
        load_instance(folder)
    msg = str(info.value)
    for said in ("demand.csv", "coordinates look like longitude/latitude (x 114.3",
                 "but the file has no CRS: give --crs EPSG:4326 (they are then projected"):
        assert said in msg, msg
    inst = load_instance(folder, crs="EPSG:4326").instance
    assert inst.crs.to_epsg() == 32650 and "UTM zone, EPSG:32650" in " ".join(inst.notes)
    # 250 m covers a site's own corner block and its two neighbours 200 m away: 3 each.
    sol = MCLP(p=1, radius=250).solve(inst)
    assert sol.verified and sol.objective == pytest.approx(max(1 + 2 + 4, 9 + 8 + 6))


@pytest.mark.parametrize("names", [("lon", "lat"), ("Longitude", "Latitude"), ("经度", "纬度"),
                                   ("lng", "lat")])
def test_classic_lonlat_names_mean_wgs84(tmp_path: Path, names: tuple[str, str]) -> None:
    inst = load_instance(lonlat_folder(tmp_path, names)).instance
    assert inst.crs.to_epsg() == 32650
    assert f"columns {names[0]!r} and {names[1]!r} are taken as WGS 84" in " ".join(inst.notes)


def test_classic_xy_option_and_its_errors(tmp_path: Path) -> None:
    folder = lonlat_folder(tmp_path, ("东", "北"))
    with pytest.raises(InputError, match=r"demand has neither a geometry nor coordinate "
                       r"columns 'x' and 'y'.*name them with --xy X,Y"):
        load_instance(folder)
    with pytest.raises(CRSError, match="give --crs EPSG:4326"):
        load_instance(folder, xy=("东", "北"))
    inst = load_instance(folder, xy=("东", "北"), crs="EPSG:4326").instance
    assert inst.n_demand == 9 and inst.crs.to_epsg() == 32650
    with pytest.raises(InputError, match=r"no coordinate column 'east' \(--xy"):
        load_instance(folder, xy=("east", "北"))


def test_classic_gpkg_without_crs_takes_crs(tmp_path: Path) -> None:
    lon, lat = lonlat([0.0, 100.0], [0.0, 0.0])
    pts = gpd.GeoDataFrame({"id": ["a", "b"], "weight": [1.0, 2.0]},
                           geometry=gpd.points_from_xy(lon, lat))
    pts.to_file(tmp_path / "d.gpkg", layer="demand", driver="GPKG")
    pts.drop(columns="weight").to_file(tmp_path / "d.gpkg", layer="sites", driver="GPKG")
    with pytest.raises(CRSError, match=r"d.gpkg:demand: .*give --crs EPSG:4326"):
        load_instance(tmp_path / "d.gpkg")
    inst = load_instance(tmp_path / "d.gpkg", crs="EPSG:4326").instance
    assert inst.crs.to_epsg() == 32650
    assert np.hypot(*(inst.demand_xy[1] - inst.demand_xy[0])) == pytest.approx(100, abs=0.5)


def test_classic_network_in_degrees_without_crs_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    pd.DataFrame({"id": ["a"], "x": [X0], "y": [Y0], "weight": [1.0]}).to_csv(
        folder / "demand.csv", index=False)
    pd.DataFrame({"id": ["s"], "x": [X0 + 100], "y": [Y0]}).to_csv(folder / "sites.csv",
                                                                  index=False)
    lon, lat = lonlat([0.0, 300.0], [0.0, 0.0])
    gpd.GeoDataFrame(geometry=[shapely.LineString(zip(lon, lat, strict=True))]).to_file(
        tmp_path / "roads.gpkg", driver="GPKG")
    with pytest.raises(CRSError, match=r"roads.gpkg: .*look like longitude/latitude"):
        load_instance(folder, network=str(tmp_path / "roads.gpkg"))


def test_classic_cli_crs_is_recorded_and_verify_reloads_it(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    folder = lonlat_folder(tmp_path / "in")
    run = [sys.executable, "-m", "siting.cli"]
    bad = subprocess.run([*run, "solve", str(folder), "--model", "mclp", "--radius", "250",
                          "--p", "1", "--quiet"], capture_output=True, text=True)
    assert bad.returncode == 2 and "give --crs EPSG:4326" in bad.stderr, bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    out = tmp_path / "out"
    ok = subprocess.run([*run, "solve", str(folder), "--model", "mclp", "--radius", "250",
                         "--p", "1", "--crs", "EPSG:4326", "--out", str(out), "--quiet"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    check = subprocess.run([*run, "verify", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    wrong = subprocess.run([*run, "solve", str(folder), "--model", "mclp", "--radius", "250",
                            "--p", "1", "--crs", "EPSG:9"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "--crs: not a CRS pyproj knows" in wrong.stderr
