"""Reading layers of any format, one metric CRS, and [data] tables built from them."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.data import load_data_table, read_layer
from siting.data.layers import split_source
from siting.errors import CRSError, InputError
from siting.multi.spec import DataTable, parse_spec

CRS = "EPSG:32633"
X0, Y0 = 400_000.0, 5_800_000.0


def spec(**facility: object) -> object:
    return parse_spec(
        {
            "meta": {"name": "t", "years": [2030]},
            "facility": {"kg": {"group": "kids", "radius_m": 400, **facility}},
        }
    )


def frames() -> dict[str, gpd.GeoDataFrame]:
    blocks = gpd.GeoDataFrame(
        {"hid": ["007", "008", "009"], "kids": [10, 20, 30], "ward": ["N", "N", "S"]},
        geometry=gpd.points_from_xy(X0 + np.array([0.0, 100, 200]), [Y0] * 3),
        crs=CRS,
    )
    lots = gpd.GeoDataFrame(
        {"lot": [1, 2]},
        geometry=[shapely.box(X0 + 40, Y0 + 10, X0 + 80, Y0 + 50),
                  shapely.box(X0 + 140, Y0 + 10, X0 + 170, Y0 + 50)],
        crs=CRS,
    )
    streets = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(X0, Y0), (X0 + 100, Y0), (X0 + 200, Y0)])], crs=CRS
    )
    return {"blocks": blocks, "lots": lots, "streets": streets}


def test_gpkg_geojson_shapefile_parquet_and_csv_layers(tmp_path: Path) -> None:
    f = frames()
    f["blocks"].to_file(tmp_path / "d.gpkg", layer="homes", driver="GPKG")
    f["lots"].to_crs("EPSG:4326").to_file(tmp_path / "lots.geojson", driver="GeoJSON")
    f["lots"].to_file(tmp_path / "lots.shp")
    homes = read_layer(f"{tmp_path / 'd.gpkg'}:homes")
    assert homes["hid"].tolist() == ["007", "008", "009"] and homes.crs == CRS
    assert read_layer(tmp_path / "lots.geojson").crs.to_epsg() == 4326  # GeoJSON: WGS 84
    assert len(read_layer(tmp_path / "lots.shp")) == 2
    (tmp_path / "pts.csv").write_text("id,x,y,n\n007,1,2,3\n", encoding="utf-8")
    pts = read_layer(tmp_path / "pts.csv")
    assert pts.crs is None and pts["id"].tolist() == ["007"] and pts.geometry.x.tolist() == [1.0]


def test_geoparquet(tmp_path: Path) -> None:
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match=r"junk.parquet: reading GeoParquet needs pyarrow"):
            read_layer(tmp_path / "junk.parquet")
        pytest.skip("pyarrow is not installed (pip install pyarrow)")
    with pytest.raises(InputError, match=r"junk\.parquet: cannot be read"):
        read_layer(tmp_path / "junk.parquet")
    frames()["lots"].to_parquet(tmp_path / "lots.parquet")
    lots = read_layer(tmp_path / "lots.parquet")
    assert lots["lot"].tolist() == [1, 2] and lots.crs == CRS


def test_unknown_layer_lists_the_layers_with_a_suggestion(tmp_path: Path) -> None:
    f = frames()
    f["blocks"].to_file(tmp_path / "d.gpkg", layer="homes", driver="GPKG")
    f["lots"].to_file(tmp_path / "d.gpkg", layer="parcels", driver="GPKG")
    with pytest.raises(InputError, match=r"no layer 'home' \(layers: homes, parcels\); did you "
                       r"mean 'homes'\?"):
        read_layer(f"{tmp_path / 'd.gpkg'}:home")
    with pytest.raises(InputError, match="file not found"):
        read_layer(tmp_path / "nope.gpkg")
    with pytest.raises(InputError, match="no other ':'"):
        split_source("a:b:c")
    (tmp_path / "pts.csv").write_text("id,x,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="a CSV file has no layers"):
        read_layer(f"{tmp_path / 'pts.csv'}:x")


def test_csv_blocks_and_shapefile_parcels_load(tmp_path: Path) -> None:
    f = frames()
    b = f["blocks"]
    rows = "".join(
        f"{h},{p.x},{p.y},{k},{w}\n"
        for h, p, k, w in zip(b["hid"], b.geometry, b["kids"], b["ward"], strict=True)
    )
    (tmp_path / "homes.csv").write_text("hid,x,y,kids,ward\n" + rows, encoding="utf-8")
    f["lots"].to_file(tmp_path / "lots.shp")
    f["streets"].to_file(tmp_path / "streets.gpkg", layer="roads", driver="GPKG")
    table = DataTable(
        blocks=str(tmp_path / "homes.csv"), block_id="hid", area="ward",
        parcels=str(tmp_path / "lots.shp"), parcel_id="lot",
        network=f"{tmp_path / 'streets.gpkg'}:roads", crs=CRS,
    )
    data = load_data_table(table, spec())  # type: ignore[arg-type]
    assert data.blocks["block_id"].tolist() == ["007", "008", "009"]
    assert data.blocks["kids"].tolist() == [10.0, 20.0, 30.0]
    assert data.parcels["parcel_id"].tolist() == ["1", "2"]  # numbers read as text ids
    assert data.parcels["area_m2"].tolist() == pytest.approx([1600.0, 1200.0])
    assert data.parcels["allowed_uses"].tolist() == ["kg", "kg"]
    assert data.parcels["year_available"].tolist() == [2030, 2030]
    assert data.parcels["subdistrict"].tolist() == ["N", "S"]  # the nearest block's ward
    assert len(data.existing) == 0 and data.network is not None
    notes = " ".join(data.notes)
    for said in ("homes.csv has no CRS: taken to be in EPSG:32633 ([data] crs)",
                 "areas are the polygons'", "every parcel allows every facility type",
                 "available from 2030", "land costs 0", "nearest block's"):
        assert said in notes, (said, data.notes)
    assert all(note.endswith(".") and "\n" not in note for note in data.notes)


def test_geographic_blocks_go_to_utm_and_the_rest_follows(tmp_path: Path) -> None:
    f = frames()
    f["blocks"].to_crs("EPSG:4326").to_file(tmp_path / "homes.geojson", driver="GeoJSON")
    f["lots"].to_crs("EPSG:3857").to_file(tmp_path / "lots.gpkg", driver="GPKG")
    table = DataTable(blocks=str(tmp_path / "homes.geojson"), block_id="hid",
                      parcels=str(tmp_path / "lots.gpkg"), parcel_id="lot")
    data = load_data_table(table, spec())  # type: ignore[arg-type]
    assert data.blocks.crs.to_epsg() == 32633  # the local UTM zone
    assert data.parcels.crs == data.blocks.crs
    xy = data.block_xy()
    assert np.allclose(xy[:, 0], X0 + np.array([0.0, 100, 200]), atol=1e-3)
    notes = " ".join(data.notes)
    assert "homes.geojson is in EPSG:4326 (degrees): reprojected to its local UTM zone, " \
           "EPSG:32633" in notes
    assert "lots.gpkg is in EPSG:3857: reprojected to EPSG:32633, the blocks' CRS" in notes
    assert "every block is in one area, 'all'" in notes


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_layers_without_crs(tmp_path: Path) -> None:
    f = frames()
    lots = f["lots"]
    (tmp_path / "homes.csv").write_text(
        "block_id,x,y,kids\na,12.4964,41.9028,1\nb,12.5113,41.8986,2\n", encoding="utf-8"
    )
    lots.to_file(tmp_path / "lots.gpkg", driver="GPKG")
    table = DataTable(blocks=str(tmp_path / "homes.csv"), parcels=str(tmp_path / "lots.gpkg"),
                      parcel_id="lot")
    with pytest.raises(CRSError, match="set \\[data\\] crs"):
        load_data_table(table, spec())  # type: ignore[arg-type]
    lots.set_crs(None, allow_override=True).to_file(tmp_path / "plain.gpkg", driver="GPKG")
    table = DataTable(blocks=str(tmp_path / "homes.csv"), parcels=str(tmp_path / "plain.gpkg"),
                      parcel_id="lot")
    with pytest.raises(CRSError, match="look like longitude/latitude"):
        load_data_table(table, spec())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"block_id": "house"}, ("homes.gpkg:homes", "no column 'house'", "data.block_id")),
        ({"parcel_uses": "zoning"}, ("lots.gpkg", "no column 'zoning'", "data.parcel_uses")),
        ({"area": "district"}, ("no column 'district'", "data.area")),
    ],
)
def test_named_columns_must_exist(tmp_path: Path, change: dict[str, str],
                                  needles: tuple[str, ...]) -> None:
    f = frames()
    f["blocks"].to_file(tmp_path / "homes.gpkg", layer="homes", driver="GPKG")
    f["lots"].to_file(tmp_path / "lots.gpkg", driver="GPKG")
    keys = {"blocks": f"{tmp_path / 'homes.gpkg'}:homes", "block_id": "hid",
            "parcels": str(tmp_path / "lots.gpkg"), "parcel_id": "lot", **change}
    with pytest.raises(InputError) as info:
        load_data_table(DataTable(**keys), spec())  # type: ignore[arg-type]
    for needle in needles:
        assert needle in str(info.value), str(info.value)


def test_population_values_and_columns(tmp_path: Path) -> None:
    f = frames()
    f["blocks"].to_file(tmp_path / "homes.gpkg", layer="homes", driver="GPKG")
    f["lots"].to_file(tmp_path / "lots.gpkg", driver="GPKG")
    table = DataTable(blocks=f"{tmp_path / 'homes.gpkg'}:homes", block_id="hid",
                      parcels=str(tmp_path / "lots.gpkg"), parcel_id="lot")
    s = parse_spec({"meta": {"name": "t", "years": [2030]},
                    "facility": {"park": {"group": "pop_total", "radius_m": 400}}})
    with pytest.raises(InputError, match=r"homes.gpkg:homes: field 'pop_total': no population "
                       r"column 'pop_total' for facility.park.group"):
        load_data_table(table, s)
    bad = f["blocks"].assign(kids=pd.array([1, None, 3], dtype="Int64"))
    bad.to_file(tmp_path / "bad.gpkg", layer="homes", driver="GPKG")
    table.blocks = f"{tmp_path / 'bad.gpkg'}:homes"
    with pytest.raises(InputError, match=r"row 2: field 'kids'.*missing value"):
        load_data_table(table, spec())  # type: ignore[arg-type]


def test_parcel_points_need_an_area_and_duplicates_are_named(tmp_path: Path) -> None:
    f = frames()
    f["blocks"].to_file(tmp_path / "homes.gpkg", driver="GPKG")
    pts = gpd.GeoDataFrame({"lot": ["a", "a"]}, geometry=gpd.points_from_xy([X0, X0 + 5],
                                                                            [Y0, Y0]), crs=CRS)
    pts.to_file(tmp_path / "pts.gpkg", driver="GPKG")
    table = DataTable(blocks=str(tmp_path / "homes.gpkg"), block_id="hid",
                      parcels=str(tmp_path / "pts.gpkg"), parcel_id="lot")
    with pytest.raises(InputError, match=r"pts.gpkg: row 2: field 'lot': value 'a': duplicate"):
        load_data_table(table, spec())  # type: ignore[arg-type]
    pts.assign(lot=["a", "b"]).to_file(tmp_path / "pts2.gpkg", driver="GPKG")
    table.parcels = str(tmp_path / "pts2.gpkg")
    with pytest.raises(InputError, match="a parcel given as a point needs an area column"):
        load_data_table(table, spec())  # type: ignore[arg-type]


def test_sub_districts_from_columns_or_polygons(tmp_path: Path) -> None:
    f = frames()
    halves = gpd.GeoDataFrame(
        {"ward": ["W", "E"]},
        geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 90, Y0 + 90),
                  shapely.box(X0 + 90, Y0 - 50, X0 + 250, Y0 + 90)],
        crs=CRS,
    )
    f["blocks"].drop(columns="ward").to_file(tmp_path / "homes.gpkg", driver="GPKG")
    f["lots"].assign(ward=["own", "own"]).to_file(tmp_path / "lots.gpkg", driver="GPKG")
    halves.to_file(tmp_path / "wards.gpkg", driver="GPKG")
    table = DataTable(blocks=str(tmp_path / "homes.gpkg"), block_id="hid", area="ward",
                      parcels=str(tmp_path / "lots.gpkg"), parcel_id="lot",
                      subdistricts=str(tmp_path / "wards.gpkg"))
    with pytest.raises(InputError, match="no column 'ward'"):  # named, so it must exist
        load_data_table(table, spec())  # type: ignore[arg-type]
    table.area = None
    halves.rename(columns={"ward": "subdistrict"}).to_file(tmp_path / "subs.gpkg", driver="GPKG")
    table.subdistricts = str(tmp_path / "subs.gpkg")
    data = load_data_table(table, spec())  # type: ignore[arg-type]
    assert data.blocks["subdistrict"].tolist() == ["W", "E", "E"]  # the polygons they lie in
    assert data.parcels["subdistrict"].tolist() == ["W", "E"]
    assert data.existing.columns.tolist()[:3] == ["facility_id", "type", "subdistrict"]
    table.area = "ward"
    table.subdistricts = None
    f["blocks"].to_file(tmp_path / "homes2.gpkg", driver="GPKG")
    table.blocks = str(tmp_path / "homes2.gpkg")
    data = load_data_table(table, spec())  # type: ignore[arg-type]
    assert data.parcels["subdistrict"].tolist() == ["own", "own"]  # their own column
    assert data.blocks["ward"].tolist() == data.blocks["subdistrict"].tolist() == ["N", "N", "S"]


def test_a_load_lists_each_files_layers_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A spec's layers are mostly one GeoPackage's: its layers are listed once per load,
    and afresh at the next load (a layer added between two loads is seen)."""
    import pyogrio

    from siting.data import load_service_data
    from siting.multi.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[1] / "models" / "riverbend.toml")
    listed: list[str] = []
    real = pyogrio.list_layers

    def counted(path: object, *args: object, **kwargs: object) -> object:
        listed.append(Path(str(path)).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pyogrio, "list_layers", counted)
    load_service_data(spec)
    assert sorted(listed) == ["homes.gpkg", "town.gpkg"]
    load_service_data(spec)
    assert sorted(listed) == ["homes.gpkg", "homes.gpkg", "town.gpkg", "town.gpkg"]
