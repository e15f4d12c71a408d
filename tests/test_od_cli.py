"""``siting solve DIR --costs TABLE``: distances from a travel table, recorded for ``verify``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siting.cli import EXIT_INFEASIBLE, EXIT_INPUT, EXIT_UNVERIFIED, main
from tests.conftest import REFERENCE

TABLE = ("from_id,to_id,travel_time\nb1,p1,3\nb1,p2,9\nb2,p1,4\nb2,p2,2\nb3,p2,3\nb3,p3,\n"
         "b4,p3,6\n")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Four blocks and three parcels on a line (metres), and travel minutes between them."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "demand.csv").write_text("id,x,y,weight\nb1,0,0,10\nb2,100,0,20\nb3,200,0,5\n"
                                     "b4,900,0,7\n")
    (data / "sites.csv").write_text("id,x,y\np1,50,0\np2,150,0\np3,800,0\n")
    (tmp_path / "od.csv").write_text(TABLE)
    return tmp_path


def costs(folder: Path) -> list[str]:
    return ["--costs", str(folder / "od.csv"), "--costs-columns", "from_id,to_id,travel_time",
            "--costs-unit", "min"]


def test_distances_come_from_the_table_and_verify_reads_it_again(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = folder / "sol"
    code, text, _ = run(["solve", str(folder / "data"), "--model", "p-median", "--p", "2",
                         *costs(folder), "--out", str(out), "--json"], capsys)
    assert code == 0
    res = json.loads(text)
    # b1→p2 9 min, b2→p2 2, b3→p2 3, b4→p3 6: the straight lines would give p1 and p3.
    assert res["selected"] == ["p2", "p3"] and res["objective"] == 10 * 9 + 20 * 2 + 5 * 3 + 7 * 6
    assert res["inputs"]["costs"] == str((folder / "od.csv").resolve())
    assert any("in min: the radius is in the same units" in n for n in res["notes"])
    code, text, _ = run(["verify", str(out), "--json"], capsys)
    assert code == 0 and json.loads(text)["verified"]
    # The table changed since the solve: the written plan no longer holds.
    (folder / "od.csv").write_text(TABLE.replace("b1,p2,9", "b1,p2,"))
    code, text, _ = run(["verify", str(out), "--json"], capsys)
    assert code == EXIT_UNVERIFIED
    assert "'b1' is assigned to site 'p2', which it cannot reach" in text


def test_the_radius_is_in_the_tables_units(folder: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = run(["solve", str(folder / "data"), "--model", "mclp", "--radius", "3",
                         "--p", "1", *costs(folder), "--json"], capsys)
    assert code == 0 and json.loads(text)["objective"] == 20 + 5  # p2 within 3 min of b2, b3
    code, _, err = run(["solve", str(folder / "data"), "--model", "p-median", "--p", "1",
                        *costs(folder)], capsys)
    assert code == EXIT_INFEASIBLE and "no plan with 1 new site serves" in err


@pytest.mark.parametrize("extra, needle", [
    (["--network", "streets.gpkg"], "give one distance source"),
    (["--costs-columns", "a,b"], "give three column names"),
])
def test_costs_options_are_checked_first(folder: Path, capsys: pytest.CaptureFixture[str],
                                         extra: list[str], needle: str) -> None:
    code, _, err = run(["solve", str(folder / "data"), "--model", "p-median", "--p", "2",
                        "--costs", str(folder / "od.csv"), *extra], capsys)
    assert code == EXIT_INPUT and needle in err and len(err.strip().splitlines()) == 1


def test_a_table_for_an_orlib_file_or_a_missing_one_is_refused(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pmed = REFERENCE / "orlib-pmed" / "pmed1.txt"
    code, _, err = run(["solve", str(pmed), "--model", "p-median", "--costs",
                        str(folder / "od.csv")], capsys)
    assert code == EXIT_INPUT and "applies to CSV and GeoPackage instances" in err
    code, _, err = run(["solve", str(folder / "data"), "--model", "p-median", "--p", "2",
                        "--costs", str(folder / "nope.csv")], capsys)
    assert code == EXIT_INPUT and "nope.csv" in err and "file not found" in err
