"""The conventions planners' files come in: coordinate column names, area units, land-use
lists, text encodings, sub-district names, a street filter and the street-network keys."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from siting.data import load_service_data, read_csv
from siting.errors import FormatError, InputError, SpecError
from siting.multi.data import normalise_uses, uses_mask
from siting.multi.spec import load_spec, parse_spec
from siting.textio import read_text
from tests.planner_files import CRS, HELD, X0, Y0, lonlat, parcels, spec_text, write_district

SHARED = Path(__file__).resolve().parents[2] / "shared" / "planner-district"
pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided")


@pytest.fixture
def district(tmp_path: Path) -> Path:
    return write_district(tmp_path)


def load(folder: Path, data: dict[str, Any], facilities: dict[str, Any] | None = None) -> Any:
    path = folder / "spec.toml"
    path.write_text(spec_text(data, facilities), encoding="utf-8")
    return load_service_data(load_spec(path))


def notes_of(data: Any) -> str:
    return " ".join(data.notes)


def test_the_district_as_held_loads_with_every_convention_said(district: Path) -> None:
    got = load(district, HELD)
    assert got.parcels["allowed_uses"].tolist() == [
        "幼儿园;养老服务驿站", "养老服务驿站;社区卫生服务站", "幼儿园;社区公园"]
    assert got.parcels["area_m2"].to_numpy() == pytest.approx([3000.0, 4800.0, 6400.0], rel=1e-3)
    assert got.existing["facility_id"].tolist() == ["YEY-01", "WSZ-01"]
    assert sorted(set(got.blocks["subdistrict"])) == ["南湖街道", "狮子山街道"]
    notes = notes_of(got)
    for said in ("are in 亩 (mu) (data.parcel_area_unit): converted to m² (× 666.667)",
                 "the allowed uses (允许用途) are split at 、 ， as at ';'",
                 "taken as WGS 84 longitude/latitude"):
        assert said in notes, got.notes


# ------------------------------------------------------------------ coordinate columns


@pytest.mark.parametrize("names", [("lon", "lat"), ("LNG", "Lat"), ("long", "latitude"),
                                   ("经度", "纬度"), ("Longitude", "LATITUDE")])
def test_lonlat_names_are_recognised(district: Path, names: tuple[str, str]) -> None:
    rows = pd.read_csv(district / "existing.csv", encoding="gbk")
    rows.rename(columns={"lon": names[0], "lat": names[1]}).to_csv(
        district / "e.csv", index=False, encoding="gbk")
    got = load(district, {**HELD, "existing": "e.csv"})
    assert np.allclose(got.existing_xy()[:, 0], X0 + np.array([150.0, 450.0]), atol=0.5)
    assert f"its columns {names[0]!r} and {names[1]!r} are taken as WGS 84" in notes_of(got)


def test_x_and_y_keys_name_the_columns(district: Path) -> None:
    lon, lat = lonlat([150.0], [250.0])
    pd.DataFrame({"设施编号": ["A"], "设施类型": ["幼儿园"], "东经": lon, "北纬": lat}).to_csv(
        district / "e.csv", index=False)
    data = {**HELD, "existing": "e.csv", "existing_capacity": None}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(InputError, match=r"e.csv: row 1: field 'x': has neither a geometry nor "
                       r"coordinate columns.*name them with \[data\] x and y"):
        load(district, data)
    with pytest.raises(InputError, match=r"no coordinate column 'east' \(\[data\] x and y"):
        load(district, {**data, "x": "east", "y": "北纬"})
    got = load(district, {**data, "x": "东经", "y": "北纬", "crs": "EPSG:4326"})
    assert np.allclose(got.existing_xy()[0], [X0 + 150, Y0 + 250], atol=0.5)


def test_two_longitude_columns_are_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("id,lon,longitude,lat\na,1,2,3\n", encoding="utf-8")
    from siting.readers.csvfile import XY

    with pytest.raises(InputError, match=r"more than one longitude / latitude column \(lon, "
                       r"longitude, lat\): say which with \[data\] x and y"):
        read_csv(tmp_path / "p.csv", xy=XY())


# ------------------------------------------------------------------ parcel area unit


@pytest.mark.parametrize(("column", "unit"), [("面积（亩）", "mu"), ("面积（亩）", "亩"),
                                              ("area ha", "ha"), ("area ha", "公顷")])
def test_area_units_convert_to_square_metres(district: Path, column: str, unit: str) -> None:
    got = load(district, {**HELD, "parcel_area": column, "parcel_area_unit": unit})
    assert got.parcels["area_m2"].to_numpy() == pytest.approx([3000.0, 4800.0, 6400.0],
                                                              rel=2e-3)


@pytest.mark.parametrize(("column", "unit", "looks"), [
    ("面积（亩）", None, 'they look like 亩 (mu): set parcel_area_unit = "mu"'),
    ("面积（亩）", "m²", 'they look like 亩 (mu): set parcel_area_unit = "mu"'),
    ("area ha", None, 'they look like ha (公顷): set parcel_area_unit = "ha"'),
    ("area ha", "mu", 'they look like ha (公顷): set parcel_area_unit = "ha"'),
])
def test_an_area_column_in_another_unit_is_refused(district: Path, column: str,
                                                   unit: str | None, looks: str) -> None:
    data = {k: v for k, v in HELD.items() if k != "parcel_area_unit"}
    data["parcel_area"] = column
    if unit is not None:
        data["parcel_area_unit"] = unit
    with pytest.raises(InputError) as info:
        load(district, data)
    msg = str(info.value)
    assert f"field {column!r}" in msg and "times smaller than the polygons' own" in msg, msg
    assert "row 1: " in msg and looks in msg, msg


def test_an_area_somewhat_off_is_said_and_used(district: Path) -> None:
    lots = parcels()
    lots["floor_m2"] = (lots.to_crs(CRS).geometry.area * 1.8).round()
    lots.to_file(district / "floor.geojson", driver="GeoJSON")
    got = load(district, {**HELD, "parcels": "floor.geojson", "parcel_area": "floor_m2",
                          "parcel_area_unit": "m2"})
    assert got.parcels["area_m2"].to_numpy() == pytest.approx([5400.0, 8640.0, 11520.0],
                                                              rel=2e-3)
    assert "1.8 times larger than the polygons' own" in notes_of(got)
    assert "the column 'floor_m2' is used as given" in notes_of(got)


def test_area_unit_keys_are_checked(district: Path) -> None:
    base = {"meta": {"name": "t", "years": [2026]},
            "facility": {"k": {"group": "g", "radius_m": 300}}}
    with pytest.raises(SpecError, match=r"data.parcel_area_unit: 'acre' must be one of m2, "
                       r"ha, mu \(or m², 公顷, 亩\)"):
        parse_spec({**base, "data": {"blocks": "b", "parcels": "p",
                                     "parcel_area_unit": "acre"}})
    data = {k: v for k, v in HELD.items() if k != "parcel_area"}
    with pytest.raises(InputError, match="parcel_area_unit is set but no area column is read"):
        load(district, data)


# ------------------------------------------------------------------ land uses


def test_use_lists_split_on_every_separator() -> None:
    allowed = pd.Series(["a;b", "a,b", "a、b", "a，b", "a；b", "a|b", " a ; b ", "ab", None,
                         "elderly care, park"])
    assert normalise_uses(allowed).tolist()[:7] == ["a;b"] * 7
    assert uses_mask(allowed, "b").tolist() == [True] * 7 + [False, False, False]
    assert uses_mask(allowed, "elderly care").tolist()[-1]  # a space inside a use is kept


def test_a_facility_type_no_parcel_allows_is_said(district: Path) -> None:
    facilities = {"kindergarten": {"group": "3-6岁", "radius_m": 300, "footprint_m2": 1000}}
    got = load(district, HELD, facilities)
    said = ("no parcel allows 'kindergarten' (facility.kindergarten; uses in 允许用途: "
            "养老服务驿站, 幼儿园, 社区公园, 社区卫生服务站): set facility.kindergarten.use")
    assert said in notes_of(got)


def test_plans_on_separated_use_lists_use_only_allowed_parcels(district: Path) -> None:
    import re

    from siting.multi import MultiService

    path = district / "spec.toml"
    path.write_text(spec_text(HELD), encoding="utf-8")
    spec = load_spec(path)
    data = load_service_data(spec)
    sol = MultiService(spec).solve(data)
    assert sol.verified, sol.verification
    raw = gpd.read_file(district / "parcels.geojson").set_index("地块编号")["允许用途"]
    built = sol.facilities[sol.facilities["count"] > 0]
    assert len(built) >= 2
    for r in built.itertuples():  # the file's own list, split here independently
        assert r.type in re.split(r"[、，;]", raw[r.parcel_id].replace(" ", "")), r


# ------------------------------------------------------------------ encodings


def test_a_gbk_csv_gets_the_hint_and_reads_with_the_key(district: Path) -> None:
    data = {k: v for k, v in HELD.items() if k != "encoding"}
    with pytest.raises(FormatError) as info:
        load(district, data)
    msg = str(info.value)
    assert "existing.csv: row 1:" in msg and "not UTF-8 text" in msg, msg
    assert 'it reads as GBK (Chinese, as Excel saves it): set [data] encoding = "GBK"' in msg
    got = load(district, HELD)
    assert got.existing["type"].tolist() == ["幼儿园", "社区卫生服务站"]


def test_a_utf8_file_stays_utf8_whatever_the_key(district: Path) -> None:
    rows = pd.read_csv(district / "existing.csv", encoding="gbk")
    rows.to_csv(district / "u.csv", index=False, encoding="utf-8")
    got = load(district, {**HELD, "existing": "u.csv"})  # encoding = "GBK" in HELD
    assert got.existing["type"].tolist() == ["幼儿园", "社区卫生服务站"]


def test_a_latin1_file_is_not_said_to_be_gbk(tmp_path: Path) -> None:
    (tmp_path / "k.csv").write_bytes("id,Straße\n1,Köln\n".encode("latin-1"))
    with pytest.raises(FormatError) as info:
        read_text(tmp_path / "k.csv", fix='set [data] encoding = "{}"')
    assert "GBK" not in str(info.value)
    assert read_text(tmp_path / "k.csv", encoding="latin-1") == "id,Straße\n1,Köln\n"


def test_unknown_encodings_are_refused_at_validation() -> None:
    with pytest.raises(SpecError, match=r"data.encoding: unknown text encoding 'gbk2'"):
        parse_spec({"meta": {"name": "t", "years": [2026]},
                    "facility": {"k": {"group": "g", "radius_m": 300}},
                    "data": {"blocks": "b", "parcels": "p", "encoding": "gbk2"}})


def test_a_shapefile_cpg_is_honoured(district: Path) -> None:
    """GDAL (through pyogrio) decodes a .dbf as its .cpg says, with no encoding given."""
    data = {k: v for k, v in HELD.items() if not k.startswith("existing") and k != "encoding"}
    got = load(district, data)
    assert "常住人口" in got.blocks.columns and got.blocks["block_id"].iloc[0] == "NH01"


def test_classic_csv_in_gbk_gets_the_option_in_the_hint(tmp_path: Path) -> None:
    from siting.io import load_instance

    pd.DataFrame({"id": ["甲", "乙"], "x": [X0, X0 + 100.0], "y": [Y0, Y0],
                  "weight": [1.0, 2.0]}).to_csv(tmp_path / "demand.csv", index=False,
                                                encoding="gbk")
    pd.DataFrame({"id": ["s"], "x": [X0], "y": [Y0]}).to_csv(tmp_path / "sites.csv",
                                                            index=False)
    with pytest.raises(FormatError, match=r"demand.csv: row 2: .*it reads as GBK .*: give "
                       r"--encoding GBK"):
        load_instance(tmp_path)
    inst = load_instance(tmp_path, encoding="GBK", crs=CRS).instance
    assert inst.demand_ids.tolist() == ["甲", "乙"] and inst.crs.to_epsg() == 4547


def test_a_shapefile_without_cpg_is_refused_with_the_fix(district: Path) -> None:
    (district / "居住小区.cpg").unlink()
    data = {k: v for k, v in HELD.items() if k != "encoding"}
    with pytest.raises(FormatError) as info:
        load(district, data)
    msg = str(info.value)
    for said in ("居住小区.shp", "its text is not ASCII and no .cpg file says its encoding",
                 "as GBK: 小区编号", 'set [data] encoding = "GBK", or write the encoding into '
                 "居住小区.cpg"):
        assert said in msg, msg
    got = load(district, HELD)  # encoding = "GBK"
    assert "常住人口" in got.blocks.columns


def test_encoding_given_against_the_cpg_wins_and_is_said(district: Path) -> None:
    for part in district.glob("居住小区.*"):
        shutil.copy(part, district / f"b{part.suffix}")
    (district / "b.cpg").write_text("UTF-8", encoding="ascii")  # wrong: the text is GBK
    got = load(district, {**HELD, "blocks": "b.shp"})  # encoding = "GBK"
    assert "常住人口" in got.blocks.columns
    assert "b.shp: its text is read as GBK ([data] encoding), not as its .cpg file says " \
           "(UTF-8)" in notes_of(got)


# ------------------------------------------------------------------ sub-district names


def test_subdistrict_name_names_the_polygons_column(district: Path) -> None:
    data = {k: v for k, v in HELD.items() if k != "subdistrict_name"}
    with pytest.raises(InputError, match=r"boundaries.gpkg:街道: field 'subdistrict': no column "
                       r"'subdistrict' \(data.subdistrict_name; columns: 街道名称\)"):
        load(district, data)
    got = load(district, HELD)
    assert sorted(set(got.subdistricts["subdistrict"])) == ["南湖街道", "狮子山街道"]
    assert got.blocks["subdistrict"].value_counts().to_dict() == {"狮子山街道": 6, "南湖街道": 3}


# ------------------------------------------------------------------ streets


def test_network_where_filters_the_street_layer(district: Path) -> None:
    got = load(district, {**HELD, "network_where": "道路等级 <> '快速路'"})
    assert "streets.gpkg:道路: data.network_where (道路等级 <> '快速路') keeps 40 of 41 lines" \
        in notes_of(got)
    assert got.network.n_edges == 40
    with pytest.raises(InputError, match=r"field 'data.network_where'.*not a filter GDAL "
                       r"accepts \(no such column: 快速路\)"):
        load(district, {**HELD, "network_where": "道路等级 <> 快速路"})
    with pytest.raises(InputError, match=r"data.network_where keeps none of the 41 lines"):
        load(district, {**HELD, "network_where": "道路等级 = '步行道'"})


def test_network_keys_reach_street_network_only_when_set(
    district: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import siting.data.load_layers as loader

    seen: list[dict[str, Any]] = []
    real = loader.street_network

    def spy(lines: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        plain = {k: kwargs[k] for k in ("length", "tolerance", "where")}
        return real(lines, **plain)

    monkeypatch.setattr(loader, "street_network", spy)
    load(district, HELD)
    assert set(seen[-1]) == {"length", "tolerance", "where"}
    load(district, {**HELD, "network_junctions": "crossings", "network_level": "道路等级",
                    "network_max_access": 80.0, "network_tolerance": 1.5})
    assert {k: seen[-1][k] for k in ("junctions", "level", "max_access", "tolerance")} == {
        "junctions": "crossings", "level": "道路等级", "max_access": 80.0, "tolerance": 1.5}
    with pytest.raises(InputError, match=r"no column 'layer' \(data.network_level"):
        load(district, {**HELD, "network_level": "layer"})


@pytest.mark.parametrize(("data", "needle"), [
    ({"network_junctions": "nodes"}, "data.network_junctions: 'nodes' must be one of"),
    ({"network_max_access": 0}, "data.network_max_access: 0 must be > 0"),
    ({"network": None, "network_where": "a = 1"}, "network_where needs network"),
    ({"subdistricts": None}, "subdistrict_name needs subdistricts"),
])
def test_new_keys_are_validated(data: dict[str, Any], needle: str) -> None:
    table = {**HELD, **data}
    table = {k: v for k, v in table.items() if v is not None}
    with pytest.raises(SpecError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        parse_spec({"meta": {"name": "t", "years": [2026]},
                    "facility": {"k": {"group": "g", "radius_m": 300}}, "data": table})


# ------------------------------------------------------------------ the first spec


def test_first_spec_mistakes_are_refused_or_said(district: Path) -> None:
    """A spec written from the README on the files as held: each mistake, fixed one by one,
    is refused or said; none gives a silent plan."""
    rows = pd.read_csv(district / "existing.csv", encoding="gbk")
    rows.rename(columns={"lon": "x", "lat": "y"}).to_csv(
        district / "existing_xy.csv", index=False, encoding="utf-8")
    naive = {"blocks": "居住小区.shp", "block_id": "小区编号", "parcels": "parcels.geojson",
             "parcel_id": "地块编号", "parcel_uses": "允许用途", "parcel_area": "面积（亩）",
             "parcel_year": "可用年份", "existing": "existing_xy.csv", "existing_id": "设施编号",
             "existing_type": "设施类型", "network": "streets.gpkg:道路"}
    english = {"kindergarten": {"group": "3-6岁", "radius_m": 300, "footprint_m2": 1000}}
    with pytest.raises(InputError, match="look like longitude/latitude"):
        load(district, naive, english)
    naive["crs"] = "EPSG:4326"
    with pytest.raises(InputError, match='set parcel_area_unit = "mu"'):
        load(district, naive, english)
    naive["parcel_area_unit"] = "mu"
    got = load(district, naive, english)
    assert "no parcel allows 'kindergarten'" in notes_of(got)
    assert "split at 、 ， as at ';'" in notes_of(got)


@pytest.mark.skipif(not (SHARED / "nanhu_naive.toml").exists(),
                    reason="the shared planner-district files are not beside the checkout")
def test_the_shared_naive_spec_is_refused() -> None:
    with pytest.raises(InputError, match=r"existing_facilities_xy.csv: .*look like "
                       r"longitude/latitude.*set \[data\] crs = \"EPSG:4326\""):
        load_service_data(load_spec(SHARED / "nanhu_naive.toml"))

