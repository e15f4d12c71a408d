"""Each refusal names what the user wrote: the file and layer of a block cut off from the
streets (not the data's folder), and a spec's ``[data]`` paths as the spec writes them
(not made absolute against the spec's folder), with the spec file named.

The district: three blocks on a line, two parcels, streets along the blocks and one short
street 4 km away, not joined to them, on which the third block lies.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from siting.cli import main
from siting.data import load_service_data
from siting.errors import InputError
from siting.multi.spec import load_spec

CRS = "EPSG:32650"
X0, Y0 = 440_000.0, 4_430_000.0
EXIT_INPUT = 2


def _blocks(island: bool = True) -> gpd.GeoDataFrame:
    third = Point(X0 + 5050, Y0) if island else Point(X0 + 800, Y0)
    return gpd.GeoDataFrame(
        {"block_id": ["b1", "b2", "b3"], "pop_total": [100.0, 200.0, 300.0]},
        geometry=[Point(X0, Y0), Point(X0 + 400, Y0), third], crs=CRS,
    )


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2"], "area_m2": [5000.0, 5000.0],
         "allowed_uses": ["kindergarten", "kindergarten"], "year_available": [2026, 2026]},
        geometry=[Point(X0 + 50, Y0), Point(X0 + 750, Y0)], crs=CRS,
    )


def _streets() -> gpd.GeoDataFrame:
    lines = [LineString([(X0 + a, Y0), (X0 + b, Y0)]) for a, b in ((0, 400), (400, 800))]
    lines.append(LineString([(X0 + 5000, Y0), (X0 + 5100, Y0)]))  # the island
    return gpd.GeoDataFrame({"name": ["a", "b", "far"]}, geometry=lines, crs=CRS)


def _spec(folder: Path, data: dict[str, str]) -> Path:
    """plan.toml in ``folder`` with this [data] table (values written as TOML literals)."""
    lines = ["[meta]", 'name = "named"', "years = [2026]", "", "[data]"]
    lines += [f"{key} = '{value}'" for key, value in data.items()]
    lines += ["", "[facility.kindergarten]", 'group = "pop_total"', "radius_m = 500",
              "footprint_m2 = 1000", "build_cost = 1e6", "", "[budget]", "total = 2e6"]
    path = folder / "plan.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def district(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The district's files in ``tmp_path/district``; the working folder elsewhere."""
    folder = tmp_path / "district"
    folder.mkdir()
    _blocks().to_file(folder / "blocks.shp")
    _blocks().to_file(folder / "data.gpkg", layer="blocks", driver="GPKG")
    _parcels().to_file(folder / "data.gpkg", layer="parcels", driver="GPKG")
    _streets().to_file(folder / "data.gpkg", layer="streets", driver="GPKG")
    away = tmp_path / "elsewhere"
    away.mkdir()
    monkeypatch.chdir(away)
    return folder


def _refusal(spec: Path) -> str:
    with pytest.raises(InputError) as info:
        load_service_data(load_spec(spec))
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# ----------------------------------------------------------------- an island of blocks


@pytest.mark.parametrize("blocks", ["blocks.shp", "data.gpkg:blocks"])
def test_a_block_on_a_street_island_names_its_file_and_layer(district: Path, blocks: str) -> None:
    spec = _spec(district, {"blocks": blocks, "parcels": "data.gpkg:parcels",
                            "network": "data.gpkg:streets"})
    msg = _refusal(spec)
    assert msg.startswith(f"{blocks}: row 3: field 'block_id': value 'b3': "), msg
    assert "not connected to the rest" in msg and "rows 3 " in msg, msg
    assert str(district) not in msg, msg


def test_a_block_on_a_street_island_in_a_csv_names_its_line(district: Path) -> None:
    """A CSV's rows are its lines: the third block is on line 4 (after the header)."""
    frame = _blocks()
    table = pd.DataFrame({**{c: frame[c] for c in ("block_id", "pop_total")},
                          "x": frame.geometry.x, "y": frame.geometry.y})
    table.to_csv(district / "blocks.csv", index=False)
    spec = _spec(district, {"blocks": "blocks.csv", "parcels": "data.gpkg:parcels",
                            "network": "data.gpkg:streets", "crs": CRS})
    msg = _refusal(spec)
    assert msg.startswith("blocks.csv: row 4: field 'block_id': value 'b3': "), msg


def test_blocks_in_reach_are_accepted(district: Path) -> None:
    _blocks(island=False).to_file(district / "blocks.shp")
    spec = _spec(district, {"blocks": "blocks.shp", "parcels": "data.gpkg:parcels",
                            "network": "data.gpkg:streets"})
    data = load_service_data(load_spec(spec))
    assert data.where("blocks").path == "blocks.shp"
    assert data.where("parcels").path == "data.gpkg:parcels"


# ------------------------------------------------------- spec paths as the spec writes them


@pytest.mark.parametrize(
    "written",
    ["C:\\data\\lots.geojson", "lots/parcels.geojson", "../shared/parcels.gpkg:parcels",
     "./data.gpkg.bak:parcels"],
)
def test_a_missing_data_file_is_shown_as_written(district: Path, written: str) -> None:
    spec = _spec(district, {"blocks": "blocks.shp", "parcels": written})
    msg = _refusal(spec)
    file = written.rsplit(":", 1)[0] if written.endswith(":parcels") else written
    assert msg == f"{file}: file not found (data.parcels in {spec})", msg


def test_a_missing_layer_is_shown_as_written(district: Path) -> None:
    spec = _spec(district, {"blocks": "blocks.shp", "parcels": "./data.gpkg:parcel"})
    msg = _refusal(spec)
    assert msg.startswith("./data.gpkg: field 'layer': value 'parcel': no layer 'parcel'"), msg


def test_a_bad_row_of_a_csv_named_by_the_spec_is_shown_as_written(district: Path) -> None:
    (district / "sub").mkdir()
    (district / "sub" / "blocks.csv").write_text(
        "block_id,pop_total,x,y\n"
        f"b1,100,{X0},{Y0}\n"
        f"b2,200,{X0 + 400},not-a-number\n", encoding="utf-8")
    spec = _spec(district, {"blocks": "sub/blocks.csv", "parcels": "data.gpkg:parcels",
                            "crs": CRS})
    msg = _refusal(spec)
    assert msg.startswith("sub/blocks.csv: row 3: "), msg
    assert "not-a-number" in msg, msg


def test_a_path_changed_in_code_is_shown_as_it_is(district: Path) -> None:
    """A [data] value an analyst sets in code is not the spec's: shown as it is."""
    spec = load_spec(_spec(district, {"blocks": "blocks.shp", "parcels": "data.gpkg:parcels"}))
    assert spec.data is not None
    spec.data.parcels = str(district / "gone.geojson")
    with pytest.raises(InputError) as info:
        load_service_data(spec)
    assert str(info.value).startswith(f"{district / 'gone.geojson'}: file not found"), info.value


def test_the_cli_names_the_path_as_written(
    district: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec(district, {"blocks": "blocks.shp", "parcels": "C:\\data\\lots.geojson"})
    code = main(["solve", str(spec), "--out", str(district / "out"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == EXIT_INPUT, err
    assert len(err.splitlines()) == 1, err
    assert "C:\\data\\lots.geojson: file not found (data.parcels in" in err, err
    assert str(district) + "/C:" not in err, err


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX spec folder")
def test_a_spec_in_the_working_folder_shows_the_same(
    district: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(district)
    spec = _spec(district, {"blocks": "blocks.shp", "parcels": "data.gpkg:parcels",
                            "network": "data.gpkg:streets"})
    with pytest.raises(InputError) as info:
        load_service_data(load_spec(Path(spec.name)))
    assert str(info.value).startswith("blocks.shp: row 3: "), info.value


def test_a_missing_instance_folder_is_shown_as_written(district: Path) -> None:
    spec = district / "plan.toml"
    spec.write_text('[meta]\nname = "named"\nyears = [2026]\ninstance = "runs/nowhere"\n'
                    '[facility.kindergarten]\ngroup = "pop_total"\nradius_m = 500\n',
                    encoding="utf-8")
    msg = _refusal(spec)
    assert msg == f"runs/nowhere: instance folder not found (meta.instance in {spec})", msg


def test_an_instance_folder_without_a_layer_is_shown_as_written(district: Path) -> None:
    (district / "inst").mkdir()
    _parcels().to_file(district / "inst" / "d.gpkg", layer="parcels", driver="GPKG")
    spec = district / "plan.toml"
    spec.write_text('[meta]\nname = "named"\nyears = [2026]\ninstance = "inst"\n'
                    '[facility.kindergarten]\ngroup = "pop_total"\nradius_m = 500\n',
                    encoding="utf-8")
    msg = _refusal(spec)
    assert msg.startswith("inst/d.gpkg: field 'layer': value 'blocks': no layer 'blocks'"), msg
    assert msg.endswith(f"(meta.instance in {spec})"), msg
