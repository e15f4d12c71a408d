"""The command line: one-line errors, documented exit codes, JSON output, written files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from siting.cli import EXIT_INFEASIBLE, EXIT_INPUT, main
from tests.conftest import REFERENCE

SWAIN = REFERENCE / "swain" / "swain.dat"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_json_has_the_promised_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["solve", str(SWAIN), "--model", "mclp", "--radius", "5", "--p", "2", "--json"], capsys
    )
    assert code == 0
    res = json.loads(out)
    for key in ("status", "objective", "bound", "gap", "runtime_s", "selected", "verified"):
        assert key in res
    assert res["objective"] == 366


def test_summary_table_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["solve", str(SWAIN), "--model", "p-median", "--p", "3", "--out", str(tmp_path / "sol")],
        capsys,
    )
    assert code == 0
    assert "status" in out and "optimal" in out
    names = {p.name for p in (tmp_path / "sol").iterdir()}
    assert {"solution.json", "selected.csv", "assignment.csv"} <= names
    assert not [n for n in names if n.endswith(".tmp")]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["solve", "nope.txt"], "file not found"),
        (["solve", str(SWAIN), "--model", "mclp", "--radius", "-3", "--p", "2"], "radius"),
        (["solve", str(SWAIN), "--model", "mclp", "--radius", "5", "--p", "999"], "p"),
        (["solve", str(SWAIN), "--model", "nosuch"], "nosuch"),
        (
            [
                "solve",
                str(SWAIN),
                "--model",
                "mclp",
                "--radius",
                "5",
                "--p",
                "2",
                "--solver",
                "gurobi",
            ],
            "gurobi",
        ),
        (["solve", str(SWAIN), "--model", "mclp", "--radius", "5", "--p", "x"], "x"),
        (
            [
                "solve",
                str(SWAIN),
                "--model",
                "mclp",
                "--radius",
                "5",
                "--p",
                "2",
                "--time-limit",
                "0",
            ],
            "time-limit",
        ),
        (["solve", str(SWAIN), "--format", "bds"], str(SWAIN)),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(args, capsys)
    assert code == EXIT_INPUT
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err


def test_infeasible_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "demand.csv").write_text("id,x,y,weight\na,0,0,1\nb,100,0,1\n")
    (tmp_path / "sites.csv").write_text("id,x,y\ns1,1,0\n")
    code, _, err = run(["solve", str(tmp_path), "--model", "lscp", "--radius", "5"], capsys)
    assert code == EXIT_INFEASIBLE
    assert "infeasible" in err and len(err.strip().splitlines()) == 1


def test_console_script_runs_as_a_process() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "siting.cli",
            "solve",
            str(SWAIN),
            "--model",
            "lscp",
            "--radius",
            "15",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["status"] == "optimal" and res["verified"] is True


def test_info(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["info", str(SWAIN), "--json"], capsys)
    assert code == 0
    assert json.loads(out)["demand_points"] == 55


def test_progress_hook_formats_incumbent_and_gap() -> None:
    from siting.cli.progress import Phases

    phases = Phases(enabled=False)
    assert phases.solver_progress() is None  # nothing to show: no hook, no overhead
    phases.enabled = True  # as on a terminal
    hook = phases.solver_progress()
    assert hook is not None
    hook(None, None, None)
    assert phases.live == "no solution yet"
    hook(None, 120.0, None)
    assert phases.live == "bound 120"
    hook(100.0, 120.0, 0.2)
    assert phases.live == "incumbent 100, gap 20.00%"
