"""``siting check`` and the checks' place in ``siting solve``: output, exit codes, the
summary's lines, solution.json, verify and report, on the small hand-made case."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from siting.cli import EXIT_INPUT, EXIT_OK, main
from tests.helpers import small_spec, toml_of, write_small_instance


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("check")
    write_small_instance(root / "instance")
    return root


def spec_file(case: Path, name: str, raw: dict[str, Any]) -> Path:
    path = case / f"{name}.toml"
    path.write_text(toml_of(raw), "utf-8")
    return path


def small(case: Path) -> dict[str, Any]:
    return small_spec(str(case / "instance"))


def naive(case: Path) -> dict[str, Any]:
    """Facility keys that no parcel's use names (the parcels say elderly_station;service_room)."""
    raw = small(case)
    raw["facility"] = {
        "kindergarten": {"group": "pop_total", "radius_m": 300, "footprint_m2": 600,
                         "build_cost": 1_000_000},
        "park": {"group": "pop_total", "radius_m": 500, "whole_parcel": True,
                 "build_cost": 2_000_000},
    }
    raw["target"] = []
    return raw


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def network_notes_only(lines: list[str]) -> bool:
    """The notes listed are about the street network only (its figures), if any, or the
    one default every area column takes (its unit)."""
    notes = lines[lines.index("notes:") + 1:lines.index("counts:")] if "notes:" in lines else []
    return all(line.startswith("- street network: ") or "(data.parcel_area_unit)" in line
               for line in notes)


# ------------------------------------------------------------------ siting check


def test_check_a_clean_spec(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = spec_file(case, "clean", small(case))
    code, out, err = run(["check", str(path)], capsys)
    assert code == EXIT_OK and err == ""
    lines = out.splitlines()
    assert re.fullmatch(r"small: 0 errors, 0 warnings, \d+ notes?", lines[0])
    assert network_notes_only(lines)
    assert "counts:" in lines and "  blocks: 50" in lines and "  parcels: 8" in lines
    code, out, _ = run(["check", str(path), "--json"], capsys)
    res = json.loads(out)
    assert code == EXIT_OK and res["ok"] is True
    assert (res["error"], res["warning"]) == (0, 0)
    assert {f["code"] for f in res["findings"]} <= {"network", "loading"}
    assert res["counts"]["blocks"] == 50 and res["counts"]["spec"] == "small"


def test_check_lists_findings_by_level_and_exits_2_on_an_error(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = spec_file(case, "naive", naive(case))
    code, out, err = run(["check", str(path)], capsys)
    assert code == EXIT_INPUT
    lines = out.splitlines()
    assert re.fullmatch(r"small: 1 error, 1 warning, \d+ notes?", lines[0])
    assert lines[1] == "errors:"
    assert lines[2].startswith("- nothing can be built: no parcel lists the use of any "
                               "facility type (kindergarten, park;")
    assert "the parcels' uses are elderly_station (8), service_room (8)" in lines[2]
    assert lines[3:5] == ["warnings:", "- existing types elderly_station (1) match no facility "
                          "key (kindergarten, park): they are left out of the baseline; name the "
                          "facility tables after the existing types (e.g. "
                          '[facility."elderly_station"]) or the other way round']
    assert lines[5] == "notes:"
    assert any(line.startswith("- instance/huitian.gpkg:existing: ")  # the loading note
               for line in lines[6:])
    assert err.strip() == (f"siting: error: 1 error in the data of {path} (listed above): a "
                           "solve would stop")
    code, out, _ = run(["check", str(path), "--json"], capsys)
    res = json.loads(out)
    assert code == EXIT_INPUT and res["ok"] is False and res["error"] == 1
    found = [f["code"] for f in res["findings"]]
    assert found[:2] == ["nothing-buildable", "existing-unmatched"] and "loading" in found


def test_check_groups_warnings_before_notes(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = small(case)
    raw["facility"]["elderly_station"]["use"] = "nursing"  # kept only: a note
    raw["facility"]["service_room"]["build_cost"] = 0  # free: a warning
    raw["target"] = []
    code, out, _ = run(["check", str(spec_file(case, "mixed", raw))], capsys)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert re.fullmatch(r"small: 0 errors, 1 warning, \d+ notes?", lines[0])
    assert lines[1] == "warnings:" and lines[2].startswith("- service_room costs nothing")
    assert lines[3] == "notes:" and lines[4].startswith("- elderly_station: no new one")


def test_check_an_instance_folder(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(case / "instance"), "--json"], capsys)
    res = json.loads(out)
    assert code == EXIT_OK and res["ok"] and res["counts"]["blocks"] == 50


def test_check_a_classic_folder_in_lonlat(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "demand.csv").write_text(
        "id,x,y,weight\na,114.3011,30.4705,5\nb,114.3105,30.4810,3\nc,114.3205,30.4910,2\n")
    (tmp_path / "sites.csv").write_text("id,x,y\ns1,114.3051,30.4755\ns2,114.3302,30.4901\n")
    code, out, err = run(["check", str(tmp_path)], capsys)
    assert code == EXIT_INPUT  # refused while loading, with the fix
    assert "look like longitude/latitude" in err and "give --crs EPSG:4326" in err
    code, out, _ = run(["check", str(tmp_path), "--crs", "EPSG:4326"], capsys)
    assert code == EXIT_OK and "  demand_points: 3" in out.splitlines()
    # metres on a grid: nothing to say
    (tmp_path / "demand.csv").write_text("id,x,y,weight\na,0,0,1\nb,100,0,1\n")
    (tmp_path / "sites.csv").write_text("id,x,y\ns1,1,0\n")
    code, out, _ = run(["check", str(tmp_path)], capsys)
    assert code == EXIT_OK and ": 0 errors, 0 warnings, " in out.splitlines()[0]


# --------------------------------------------------------------- siting solve


def test_solve_stops_before_any_work_when_nothing_can_be_built(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = case / "out-naive"
    code, stdout, err = run(["solve", str(spec_file(case, "naive2", naive(case))),
                             "--out", str(out), "--quiet"], capsys)
    assert code == EXIT_INPUT and stdout == ""
    assert err.count("\n") == 1 and err.startswith("siting: error: ")
    assert "nothing can be built" in err and 'Fix: give each type the parcels' in err
    assert not out.exists()


def test_solve_says_warnings_and_keeps_them(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = small(case)
    raw["facility"]["service_room"]["build_cost"] = 0
    path = spec_file(case, "free", raw)
    out = case / "out-free"
    code, stdout, err = run(["solve", str(path), "--out", str(out), "--report"], capsys)
    assert code == EXIT_OK
    warning = ("siting: warning: service_room costs nothing (build_cost 0, no cost_per_space, no "
               "land cost): free under the budget: only its quotas and land limit it")
    assert warning in err
    flat = " ".join(stdout.split())  # the summary wraps at the console's width
    assert re.search(rf"data checks: 1 warning(, [^(]+)? \(`siting check "
                     rf"{re.escape(str(path.resolve()))}` lists them all\)", flat)
    assert "- service_room costs nothing" in stdout
    saved = json.loads((out / "solution.json").read_text("utf-8"))
    assert [f["code"] for f in saved["findings"]
            if not f["code"].startswith("network")] == ["free-type"]
    page = (out / "report.html").read_text("utf-8")
    assert '<ul id="data-checks" class="findings">' in page
    assert 'data-code="free-type"><b>warning</b> service_room costs nothing' in page
    assert "1 data warning: see" in page
    code, _, _ = run(["verify", str(out)], capsys)
    assert code == EXIT_OK
    code, _, _ = run(["report", str(out), "--out", str(case / "again.html")], capsys)
    assert code == EXIT_OK
    again = (case / "again.html").read_text("utf-8")
    assert 'data-code="free-type"' in again
    _, _, err = run(["solve", str(path), "--out", str(out), "--quiet"], capsys)
    assert err == ""  # --quiet: nothing but errors


def test_an_empty_plan_says_why_in_one_line(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = small_spec(str(case / "instance"), total=0)
    raw["target"] = [dict(raw["target"][0], share=0.0), raw["target"][1]]
    out = case / "out-zero"
    code, stdout, _ = run(["solve", str(spec_file(case, "zero", raw)), "--out", str(out),
                           "--report"], capsys)
    assert code == EXIT_OK
    lines = stdout.splitlines()
    assert lines[1].startswith("no new facility: the budget (") and lines[1].endswith(
        ") allows none")
    page = (out / "report.html").read_text("utf-8")
    assert '<p class="alert" id="nothing-built">no new facility: the budget (' in page
    assert "<small>of 0" in page  # the cost card: of a budget of 0, not "no total budget"
    assert "data checks: 1 warning" in stdout and "- the budget is 0 (budget.total)" in stdout


def test_check_is_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--help"], capsys)
    assert code == EXIT_OK and "siting check models/qingfeng.toml" in out
