"""A multi-service facility type with a travel table: spec keys, the model, the verifier.

Six blocks 500 m apart and four parcels; the fire station's travel minutes
come from a table next to the spec (``travel_table``, relative to it), so that
parcel p1, 1 km from most blocks, is the only one within 5 minutes of four of
them. The straight lines (radius 5 read as metres) would cover nobody.
"""

from __future__ import annotations

import copy
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from siting.backends.base import SolveOptions
from siting.errors import InputError, SpecError
from siting.multi import MultiService, MultiServiceProblem
from siting.multi.data import ServiceData
from siting.multi.reasons import plan_reasons
from siting.multi.spec import load_spec, parse_spec
from siting.verify import verify_solution

TABLE = ("block,station,minutes\n"
         "b0,p0,2\nb1,p0,6\nb1,p1,3\nb2,p1,2\nb3,p1,4\nb4,p1,4.5\nb4,p2,1\nb5,p2,2\n"
         "b5,p3,9\nb0,p3,\n")
SPEC = """
[meta]
name = "fire"
years = [2026]
distance = "euclidean"

[facility.fire]
group = "pop_total"
radius = 5
travel_table = "tables/fire_minutes.csv"
travel_columns = ["block", "station", "minutes"]
travel_unit = "min"
build_cost = 1.0
count = { total = 1 }
"""


def service_data() -> ServiceData:
    xs = [0.0, 500, 1000, 1500, 2000, 2500]
    blocks = gpd.GeoDataFrame(
        {"block_id": [f"b{i}" for i in range(6)], "subdistrict": ["A"] * 3 + ["B"] * 3,
         "pop_total": [100.0, 200, 300, 400, 500, 600]},
        geometry=[Point(x, 0) for x in xs], crs="EPSG:32650")
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["p0", "p1", "p2", "p3"], "area_m2": [3000.0] * 4,
         "allowed_uses": ["fire"] * 4, "year_available": [2026] * 4},
        geometry=[box(x - 20, -20, x + 20, 20) for x in (0.0, 1000, 2000, 2500)],
        crs="EPSG:32650")
    existing = gpd.GeoDataFrame(
        {"facility_id": pd.Series([], dtype=str), "type": pd.Series([], dtype=str)},
        geometry=[], crs="EPSG:32650")
    return ServiceData(blocks, parcels, existing, source="small.gpkg")


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    (tmp_path / "specs" / "tables").mkdir(parents=True)
    (tmp_path / "specs" / "tables" / "fire_minutes.csv").write_text(TABLE)
    path = tmp_path / "specs" / "fire.toml"
    path.write_text(SPEC)
    return path


def test_a_type_takes_its_distances_from_its_table(spec_file: Path) -> None:
    spec = load_spec(spec_file)
    fire = spec.facility["fire"]
    assert fire.travel_table == str(spec_file.parent / "tables" / "fire_minutes.csv")
    assert fire.radius_m == 5.0 and fire.radius_unit == "min"
    data = service_data()
    sol = MultiService(spec).solve(data)
    assert sol.verified, sol.verification
    assert sol.facilities["parcel_id"].tolist() == ["p1"]
    covered = sol.coverage.set_index("block_id")["fire"]
    assert covered[covered].index.tolist() == ["b1", "b2", "b3", "b4"]
    assert sol.objective == pytest.approx(200 + 300 + 400 + 500)
    prob = MultiServiceProblem(spec, data)
    (reason,) = plan_reasons(prob, sol, "highs", SolveOptions(time_limit=10), types=["fire"])
    assert "of pop_total within 5 min in 2026" in reason["text"], reason["text"]
    # The verifier recomputes coverage from the same table: p3 (9 min from b5) covers no one.
    bad = copy.deepcopy(sol)
    bad.verified, bad.verification = None, []
    bad.facilities.loc[0, "parcel_id"] = "p3"
    bad.accept(verify_solution(prob, MultiService(spec), bad), "max")
    assert bad.verified is False
    assert any("objective claimed" in m or "covered" in m for m in bad.verification)


def test_blocks_and_sites_the_table_leaves_out_are_noted(spec_file: Path) -> None:
    spec = load_spec(spec_file)
    data = service_data()
    data.parcels.loc[len(data.parcels)] = ["p4", 3000.0, "fire", 2026, box(0, 50, 40, 90)]
    spec_file.parent.joinpath("tables", "fire_minutes.csv").write_text(
        TABLE.replace("b0,p0,2\n", ""))
    sol = MultiService(spec).solve(data)
    assert sol.verified
    notes = " ".join(sol.notes)
    assert "1 of 6 blocks has no finite cost to any parcel or existing facility (e.g. 'b0')" \
        in notes
    assert "1 of 5 sites (candidate parcels and existing facilities) has no finite cost " \
        "from any block (e.g. 'p4')" in notes


def test_bad_rows_of_a_types_table_are_refused(spec_file: Path) -> None:
    spec_file.parent.joinpath("tables", "fire_minutes.csv").write_text(
        "block,station,minutes\nb0,p0,2\nb1,school9,3\n")
    with pytest.raises(InputError, match=r"fire_minutes.csv: row 3: field 'station': value "
                       r"'school9': destination id is not a parcel or existing facility"):
        MultiService(load_spec(spec_file)).solve(service_data())


@pytest.mark.parametrize("keys, message", [
    ({"radius": 5, "radius_m": 5, "travel_table": "t.csv"}, "radius and radius_m both given"),
    ({"radius": -5, "travel_table": "t.csv"}, "radius: -5 must be > 0"),
    ({"radius_m": 500, "travel_unit": "min"}, "travel_unit and travel_columns describe a "
     "travel_table"),
    ({"radius": 5, "travel_table": "t.csv", "distance": "network"}, "one distance source"),
    ({"radius": 5, "travel_table": "t.csv", "access": "boundary"}, "access applies to measured"),
    ({"radius": 5, "travel_tabel": "t.csv"}, "unknown key (did you mean 'travel_table'?)"),
])
def test_travel_keys_are_checked(keys: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?")):
        parse_spec({"meta": {"name": "x", "years": [2026]},
                    "facility": {"fire": {"group": "pop_total", **keys}}})


def test_a_written_plan_is_verified_against_the_table_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Riverbend's kindergartens within 7 minutes of the example table: `siting verify`
    reloads the spec, its table, and fails the folder once the table says otherwise."""
    from siting.cli import EXIT_UNVERIFIED, main

    root = Path(__file__).resolve().parent.parent
    table = tmp_path / "walk.csv"
    table.write_text((root / "examples" / "riverbend-walk-minutes.csv").read_text())
    text = (root / "models" / "riverbend.toml").read_text()
    text = text.replace('"../instances', f'"{root}/instances').replace(
        "radius_m = 500", 'radius = 7\ntravel_table = "walk.csv"\n'
        'travel_columns = ["from_id", "to_id", "travel_time"]\ntravel_unit = "min"')
    spec = tmp_path / "riverbend-minutes.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    assert main(["solve", str(spec), "--out", str(out), "--quiet"]) == 0
    assert main(["verify", str(out), "--quiet"]) == 0
    chosen = pd.read_csv(out / "facilities.csv")
    lot = chosen.loc[chosen["type"] == "kindergarten", "parcel_id"].iloc[0]
    rows = [r for r in table.read_text().splitlines() if f",{lot}," not in r]
    table.write_text("\n".join(rows) + "\n")  # no route to the chosen lot any more
    capsys.readouterr()
    assert main(["verify", str(out)]) == EXIT_UNVERIFIED
    assert "kindergarten" in capsys.readouterr().out
