"""``siting verify DIR`` on classic-model folders: every claim re-checked, bad files refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REFERENCE

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "siting.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("classic")
    cases = {
        "mclp": ["swain/swain.dat", "--model", "mclp", "--radius", "10", "--p", "3"],
        "cflp": ["orlib-cap/cap41.txt", "--model", "cflp"],
        "pmedian": ["orlib-pmed/pmed1.txt", "--model", "p-median"],
    }
    out = {}
    for name, (path, *rest) in cases.items():
        run("solve", str(REFERENCE / path), *rest, "--out", str(base / name), "--quiet")
        out[name] = base / name
    return out


@pytest.mark.parametrize("name", ["mclp", "cflp", "pmedian"])
def test_an_honest_classic_folder_verifies(folders: dict[str, Path], name: str) -> None:
    done = run("verify", str(folders[name]))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "verified against" in done.stdout


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_a_dropped_site_fails(folders: dict[str, Path], tmp_path: Path) -> None:
    bad = _copy(folders["mclp"], tmp_path / "bad")
    lines = (bad / "selected.csv").read_text().splitlines()
    (bad / "selected.csv").write_text("\n".join(lines[:-1]) + "\n")
    done = run("verify", str(bad))
    assert done.returncode == 5, done.stdout
    assert "FAILED" in done.stdout


def test_a_false_coverage_claim_fails(folders: dict[str, Path], tmp_path: Path) -> None:
    bad = _copy(folders["mclp"], tmp_path / "bad")
    text = (bad / "coverage.csv").read_text().splitlines()
    head, rows = text[0], text[1:]
    flipped = [r.rsplit(",", 1)[0] + ("," + ("0" if r.endswith(",1") else "1")) for r in rows[:1]]
    (bad / "coverage.csv").write_text("\n".join([head, *flipped, *rows[1:]]) + "\n")
    done = run("verify", str(bad))
    assert done.returncode == 5, done.stdout
    assert "claimed" in done.stdout


def test_an_unknown_site_id_is_a_line_not_a_traceback(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    bad = _copy(folders["cflp"], tmp_path / "bad")
    (bad / "selected.csv").write_text("site_id,existing\nno-such-site,False\n")
    done = run("verify", str(bad))
    assert done.returncode == 2
    assert "no-such-site" in done.stderr and "Traceback" not in done.stderr


def test_a_changed_assignment_cost_is_caught(folders: dict[str, Path], tmp_path: Path) -> None:
    import json

    bad = _copy(folders["pmedian"], tmp_path / "bad")
    meta = json.loads((bad / "solution.json").read_text())
    meta["objective"] = meta["objective"] - 10  # claims less cost than the plan has
    (bad / "solution.json").write_text(json.dumps(meta))
    done = run("verify", str(bad))
    assert done.returncode == 5
    assert "worse" in done.stdout


# ------------------------------------------------------------ a plan's folder


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "riverbend"
    done = run("solve", str(ROOT / "models" / "riverbend.toml"), "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    return out


def test_an_honest_plan_folder_verifies(plan: Path) -> None:
    done = run("verify", str(plan))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("file", "edit", "code", "needle"),
    [
        ("solution.json", lambda t: t.replace('"status": "optimal"', '"status": "bogus"'), 2,
         "unknown status"),
        ("facilities.csv", lambda t: t.replace(",L", ",NOPE", 1), 5, "no such parcel"),
        ("facilities.csv", lambda t: t.replace("park,", "parc,", 1), 5, "not in the spec"),
        ("coverage.csv", lambda t: t.replace("True", "False", 1), 5, "coverage: block"),
    ],
    ids=["status", "parcel", "type", "coverage"],
)
def test_a_corrupted_plan_folder_is_refused_with_a_line(
    plan: Path, tmp_path: Path, file: str, edit: object, code: int, needle: str
) -> None:
    bad = _copy(plan, tmp_path / "bad")
    text = (bad / file).read_text()
    changed = edit(text)  # type: ignore[operator]
    assert changed != text, f"the edit did not apply to {file}"
    (bad / file).write_text(changed)
    done = run("verify", str(bad))
    assert done.returncode == code, done.stdout + done.stderr
    assert needle in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_an_edited_spec_file_fails_verification(plan: Path, tmp_path: Path) -> None:
    import json

    bad = _copy(plan, tmp_path / "bad")
    meta = json.loads((bad / "solution.json").read_text())
    meta["spec_path"] = str(ROOT / "models" / "riverbend.toml")
    meta["spec_sha256"] = "0" * 64  # as if the file had changed since the solve
    (bad / "solution.json").write_text(json.dumps(meta))
    done = run("verify", str(bad))
    assert done.returncode == 5, done.stdout + done.stderr
    assert "changed since the solve" in done.stdout


def test_plan_results_come_as_geodataframes(plan: Path) -> None:
    import geopandas as gpd

    from siting.readback_multi import read_solution

    sol, _, _ = read_solution(plan)
    facilities, coverage = sol.facilities_frame(), sol.coverage_frame()
    assert isinstance(facilities, gpd.GeoDataFrame) and facilities.geometry.notna().all()
    assert isinstance(coverage, gpd.GeoDataFrame) and len(coverage) == len(sol.coverage)
    assert coverage.crs is not None and not coverage.crs.is_geographic
