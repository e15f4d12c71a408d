"""Reliability by class: options checked before any work, names that do not exist, output
folders written as a unit, identical bytes for identical runs.

Each case runs the command line as a user would (``python -m siting.cli``) and
checks the one line it prints, its exit code, and what it left on disk.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REFERENCE

ROOT = Path(__file__).resolve().parent.parent
SWAIN = str(REFERENCE / "swain" / "swain.dat")
PMED = str(REFERENCE / "orlib-pmed" / "pmed1.txt")
MCLP = ["--model", "mclp", "--radius", "10", "--p", "3"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "siting.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


# ----------------------------------------------------- options, before any work
OPTION_CASES = {
    "gap above 1": (["--gap", "2"], "--gap", "must be < 1"),
    "zero time limit": (["--time-limit", "0"], "--time-limit", "must be > 0"),
    "nan time limit": (["--time-limit", "nan"], "--time-limit", "finite"),
    "negative time limit": (["--time-limit", "-5"], "--time-limit", "must be > 0"),
    "zero threads": (["--threads", "0"], "--threads", "must be >= 1"),
    "a hundred thousand threads": (["--threads", "100000"], "--threads", "must be <= 1024"),
    "negative candidates": (["--candidates", "-1"], "--candidates", "must be >= 1"),
    "unknown solver": (["--solver", "no-such-solver"], "--solver", "unknown solver"),
    "misspelt solver": (["--solver", "higsh"], "--solver", "did you mean 'highs'"),
}


@pytest.mark.parametrize("name", list(OPTION_CASES))
def test_an_option_out_of_range_is_refused_before_any_work(name: str, tmp_path: Path) -> None:
    extra, option, needle = OPTION_CASES[name]
    out = tmp_path / "out"
    done = run("solve", PMED, "--model", "p-median", *extra, "--out", str(out))
    assert done.returncode == 2, done.stderr
    line = one_line(done)
    assert f"'{option}'" in line and needle in line, line
    assert not out.exists()


def test_spec_options_are_checked_before_the_data_are_read(tmp_path: Path) -> None:
    spec = ROOT / "models" / "riverbend.toml"
    done = run("solve", str(spec), "--gap", "1.5", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "'--gap'" in one_line(done)
    bad = tmp_path / "bad.toml"
    text = spec.read_text().replace("../instances", str(ROOT / "instances"))
    bad.write_text(text.replace('backend = "highs"', 'backend = "higs"', 1))
    done = run("solve", str(bad))
    assert done.returncode == 2
    line = one_line(done)
    assert "solver.backend" in line and "did you mean 'highs'" in line


def test_a_count_beyond_reason_is_refused_with_its_path(tmp_path: Path) -> None:
    spec = (ROOT / "models" / "riverbend.toml").read_text().replace(
        "../instances", str(ROOT / "instances"))
    bad = tmp_path / "huge.toml"
    bad.write_text(spec.replace("[facility.park]", "[facility.park]\nmax_count = "
                                "{ total = 100000000000000000000 }", 1))
    done = run("solve", str(bad))
    assert done.returncode == 2
    assert "facility.park.max_count.total" in one_line(done)


# -------------------------------------------------------------- output folders
def test_files_of_an_earlier_run_never_stay_behind(tmp_path: Path) -> None:
    out = tmp_path / "sol"
    assert run("solve", PMED, "--model", "p-median", "--out", str(out), "--quiet").returncode == 0
    assert (out / "assignment.csv").exists()
    assert run("solve", SWAIN, *MCLP, "--out", str(out), "--quiet").returncode == 0
    names = {p.name for p in out.iterdir()}
    assert "assignment.csv" not in names and "coverage.csv" in names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".sol.")]


def test_an_out_that_is_a_file_is_refused_before_the_solve(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    done = run("solve", SWAIN, *MCLP, "--out", str(target))
    assert done.returncode == 2 and "is a file" in one_line(done)
    assert target.read_text() == "not a folder"


def test_a_folder_siting_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "letter.txt").write_text("keep me")
    done = run("solve", SWAIN, *MCLP, "--out", str(mine))
    assert done.returncode == 2 and "did not write" in one_line(done)
    assert (mine / "letter.txt").read_text() == "keep me"


def test_a_spec_name_cannot_leave_out(tmp_path: Path) -> None:
    spec = (ROOT / "models" / "riverbend.toml").read_text().replace(
        "../instances", str(ROOT / "instances"))
    bad = tmp_path / "escape.toml"
    bad.write_text(spec.replace('name = "riverbend"', 'name = "../../escape"', 1))
    done = run("solve", str(bad), cwd=tmp_path)
    assert done.returncode == 2 and "meta.name" in one_line(done)
    assert not (tmp_path.parent / "escape").exists()


# ------------------------------------------------------------------ determinism
def test_a_plan_folder_is_byte_identical_between_runs(tmp_path: Path) -> None:
    spec = str(ROOT / "models" / "riverbend.toml")
    folders = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        assert run("solve", spec, "--out", str(out), "--quiet").returncode == 0
        folders.append({p.name: p.read_bytes() for p in sorted(out.iterdir())
                        if p.name != "timing.json"})
    assert "facilities.gpkg" in folders[0]
    assert folders[0] == folders[1]
    timing = json.loads((tmp_path / "run0" / "timing.json").read_text())
    assert "runtime_s" in timing and b"runtime_s" not in folders[0]["solution.json"]


def test_a_spec_run_without_a_plan_says_nothing_was_written(tmp_path: Path) -> None:
    """A limit too short for any plan: exit 4, the earlier folder as it was, and the
    summary says so and what may help (not "wrote …")."""
    out = tmp_path / "plan"
    out.mkdir()
    (out / "solution.json").write_text("earlier")
    proc = run("solve", str(ROOT / "models" / "huitian-2018-2020.toml"), "--time-limit", "1e-9",
               "--out", str(out))
    assert proc.returncode == 4, proc.stderr
    assert (out / "solution.json").read_text() == "earlier"
    assert f"no plan, so nothing was written ({out} is as it was)" in proc.stdout
    assert "wrote" not in proc.stdout
    assert proc.stderr.strip().splitlines()[-1].startswith(
        "siting: error: no plan was found") and "a longer --time-limit" in proc.stderr
