"""The command line on multi-service specs: solve, report, verify, info, sweep.

Runs on the small hand-made instance of ``tests/helpers.py``, written as a
huitian.gpkg-like GeoPackage, with a spec whose ``meta.instance`` points to it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from siting.cli import EXIT_INFEASIBLE, EXIT_INPUT, EXIT_OK, EXIT_UNVERIFIED, main
from tests.helpers import small_spec, toml_of, write_small_instance


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    write_small_instance(root / "instance")
    (root / "small.toml").write_text(toml_of(small_spec(str(root / "instance"))), "utf-8")
    return root


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_solve_report_verify(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = case / "out"
    code, stdout, _ = run(["solve", str(case / "small.toml"), "--out", str(out), "--report",
                           "--json"], capsys)
    assert code == EXIT_OK
    res = json.loads(stdout)
    assert res["status"] == "optimal" and res["verified"] is True
    assert res["spec_path"] == str((case / "small.toml").resolve())
    assert Path(res["instance"]) == case / "instance"
    names = {p.name for p in out.iterdir()}
    assert {"solution.json", "facilities.csv", "coverage.csv", "targets.csv", "budget.csv",
            "baseline.csv", "subdistricts.csv", "served.csv", "report.html"} <= names
    assert json.loads((out / "solution.json").read_text("utf-8"))["spec_data"]["meta"]["name"]
    # the report rebuilt from the files alone
    code, stdout, _ = run(["report", str(out), "--out", str(case / "again.html")], capsys)
    assert code == EXIT_OK and "again.html" in stdout
    page = (case / "again.html").read_text("utf-8")
    assert '<svg id="map"' in page and '<table id="targets">' in page
    # verified from the files; a tampered plan fails with the reason
    code, stdout, _ = run(["verify", str(out)], capsys)
    assert code == EXIT_OK and "verified" in stdout
    code, stdout, _ = run(["verify", str(out), "--json"], capsys)
    assert code == EXIT_OK and json.loads(stdout)["verified"] is True
    fac = pd.read_csv(out / "facilities.csv")
    fac.loc[0, "parcel_id"] = "P3"  # free only from 2027
    fac.loc[0, "year"] = 2026
    fac.to_csv(out / "facilities.csv", index=False)
    code, stdout, _ = run(["verify", str(out)], capsys)
    assert code == EXIT_UNVERIFIED
    assert "P3" in stdout and "FAILED" in stdout


def test_readable_summary_marks_enforced_and_reported_targets(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(
        ["solve", str(case / "small.toml"), "--out", str(case / "plain"), "--gap", "0.2"], capsys
    )
    assert code == EXIT_OK
    flat = " ".join(stdout.split())
    assert "plan targets" in flat and "enforced" in flat and "reported" in flat
    first = stdout.splitlines()[0]
    # a plan proven only within a tolerance says so
    assert ("gap 0.000%" in first) or ("within the 20% gap tolerance" in first), first


def test_infeasible_spec_exit_3_and_report(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = small_spec(str(case / "instance"))
    spec["target"][0]["share"] = 0.999  # type: ignore[index]
    (case / "hard.toml").write_text(toml_of(spec), "utf-8")
    out = case / "hard"
    code, _, err = run(["solve", str(case / "hard.toml"), "--out", str(out), "--report",
                        "--quiet"], capsys)
    assert code == EXIT_INFEASIBLE and "elderly" in err
    assert (out / "report.html").is_file()
    code, _, _ = run(["report", str(out)], capsys)
    assert code == EXIT_OK
    assert "Why there is no solution" in (out / "report.html").read_text("utf-8")


def test_info_on_spec_and_folder(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(["info", str(case / "small.toml"), "--json"], capsys)
    assert code == EXIT_OK
    d = json.loads(stdout)
    assert d["spec"] == "small" and d["blocks"] == 50 and d["parcels"] == 8
    assert d["existing"] == {"elderly_station": 1}
    code, stdout, _ = run(["info", str(case / "instance")], capsys)
    assert code == EXIT_OK and "blocks: 50" in stdout


def test_an_instance_folder_is_known_by_its_layers_not_its_file_name(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "district"
    folder.mkdir()
    shutil.copyfile(case / "instance" / "huitian.gpkg", folder / "district.gpkg")
    code, stdout, _ = run(["info", str(folder), "--json"], capsys)
    assert code == EXIT_OK and json.loads(stdout)["blocks"] == 50
    code, stdout, _ = run(["check", str(folder)], capsys)
    assert code == EXIT_OK and "blocks: 50" in stdout


def test_a_spec_naming_no_data_is_refused(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = small_spec()
    del spec["meta"]["instance"]
    (tmp_path / "plan.toml").write_text(toml_of(spec), "utf-8")
    for command in ("solve", "check", "info"):
        code, _, err = run([command, str(tmp_path / "plan.toml")], capsys)
        assert code == EXIT_INPUT, (command, err)
        assert f"{tmp_path / 'plan.toml'}: [data] and meta.instance: both missing" in err, err
    # ... unless the command gives the data
    code, _, err = run(["solve", str(tmp_path / "plan.toml"), "--instance", str(case / "instance"),
                        "--out", str(tmp_path / "out"), "--quiet"], capsys)
    assert code == EXIT_OK, err


def test_sweep_command(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = case / "sweep"
    code, stdout, _ = run(["sweep", str(case / "small.toml"), "--budget", "1e6:7e6:3",
                           "--workers", "2", "--out", str(out), "--json"], capsys)
    assert code == EXIT_OK
    res = json.loads(stdout)
    assert res["scenarios"] == 3 and res["failed"] == 1 and res["workers"] == 2
    assert [r["status"] for r in res["table"]] == ["infeasible", "optimal", "optimal"]
    table = pd.read_csv(out / "pareto.csv")
    assert list(table["budget"]) == [1e6, 4e6, 7e6]
    assert {"coverage:service_room", "coverage:elderly_station", "targets_met", "pareto"} <= set(
        table.columns
    )
    assert (out / "pareto.png").stat().st_size > 10_000
    assert '<svg id="curve"' in (out / "report.html").read_text("utf-8")
    code, _, _ = run(["report", str(out)], capsys)  # the sweep page, rebuilt from its files
    assert code == EXIT_OK


@pytest.mark.parametrize(
    "args, needle",
    [
        (["sweep", "{spec}"], "nothing to sweep"),
        (["sweep", "{spec}", "--budget", "1:2"], "START:STOP:N"),
        (["sweep", "{spec}", "--target", "nosuch=0.5:0.6:2"], "no single target"),
        (["sweep", "{spec}", "--radius", "school=300:400:2"], "unknown facility"),
        (["sweep", "{spec}", "--target", "0=0.5:1.5:2"], "share"),
        (["verify", "{root}"], "solution.json"),
        (["report", "{root}"], "solution.json"),
    ],
)
def test_bad_arguments_exit_2(
    case: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    args = [a.format(spec=case / "small.toml", root=case / "instance") for a in args]
    code, _, err = run(args, capsys)
    assert code == EXIT_INPUT, err
    assert needle in err and err.count("\n") == 1
