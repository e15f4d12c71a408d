"""``siting verify`` fails on every edit of a written folder: each value is recomputed.

A folder siting wrote holds the recomputed values, so any difference is an
edit: the objective (lowered, NaN), the status against its gap, the spec hash,
each table, a layer swapped in from another plan.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REFERENCE

ROOT = Path(__file__).resolve().parent.parent
RIVERBEND = ROOT / "models" / "riverbend.toml"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "siting.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Riverbend's plan, and another plan of it (a smaller budget) to swap files from."""
    base = tmp_path_factory.mktemp("plans")
    spec = RIVERBEND.read_text(encoding="utf-8")
    cheaper = base / "cheaper.toml"
    cheaper.write_text(spec.replace("total = 14_000_000", "total = 8_000_000")
                       .replace('name = "riverbend"', 'name = "riverbend-cheaper"'),
                       encoding="utf-8")
    cheaper_out = base / "cheaper"
    # the same data folder, named from the copied spec's folder
    text = cheaper.read_text(encoding="utf-8")
    cheaper.write_text(text.replace('"../instances/', f'"{ROOT / "instances"}/'),
                       encoding="utf-8")
    out = {"plan": base / "plan", "other": cheaper_out}
    for spec_path, folder in ((RIVERBEND, out["plan"]), (cheaper, cheaper_out)):
        done = run("solve", str(spec_path), "--out", str(folder), "--quiet")
        assert done.returncode == 0, done.stderr
    return out


def edited(src: Path, dst: Path, name: str, edit: Callable[[str], str]) -> Path:
    shutil.copytree(src, dst)
    text = (dst / name).read_text(encoding="utf-8")
    changed = edit(text)
    assert changed != text, f"the edit did not apply to {name}"
    (dst / name).write_text(changed, encoding="utf-8")
    return dst


def summary_edit(change: Callable[[dict[str, object]], None]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        meta = json.loads(text)
        change(meta)
        return json.dumps(meta, indent=2)
    return edit


def _lowered(meta: dict[str, object]) -> None:
    meta["objective"] = float(meta["objective"]) * 0.8  # type: ignore[arg-type]


def _nan(meta: dict[str, object]) -> None:
    meta["objective"] = float("nan")


def _optimal_with_gap(meta: dict[str, object]) -> None:
    meta["bound"] = float(meta["objective"]) * 1.62  # type: ignore[arg-type]
    meta["gap"] = 0.62
    meta["status"] = "optimal"


def _no_hash_and_more_budget(meta: dict[str, object]) -> None:
    meta.pop("spec_sha256")
    meta["spec_data"]["budget"]["total"] = 99_000_000.0  # type: ignore[index]


def _sub(old: str, new: str, line: int) -> Callable[[str], str]:
    """Replace ``old`` by ``new`` on line ``line`` (1: the header) of a CSV file."""
    def edit(text: str) -> str:
        lines = text.splitlines()
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        return "\n".join(lines) + "\n"
    return edit


EDITS = {
    "objective lowered by 20 %": ("solution.json", summary_edit(_lowered), "objective"),
    "objective NaN": ("solution.json", summary_edit(_nan), "objective"),
    "optimal with a 62 % gap": ("solution.json", summary_edit(_optimal_with_gap), "gap of 62"),
    "spec hash removed, budget raised": ("solution.json", summary_edit(_no_hash_and_more_budget),
                                         "spec hash"),
    "targets.csv reached": ("targets.csv", _sub("0.797932", "0.9", 2), "targets.csv"),
    "budget.csv cost": ("budget.csv", _sub("6000000", "5000000", 2), "budget.csv"),
    "baseline.csv share": ("baseline.csv", _sub("0.142424", "0.3", 2), "baseline.csv"),
    "subdistricts.csv covered": ("subdistricts.csv", _sub(",79,", ",99,", 2), "subdistricts.csv"),
    "facilities.csv subdistrict": ("facilities.csv", _sub(",Eastbank,", ",Old Town,", 2),
                                   "facilities.csv"),
}


def test_an_honest_plan_folder_verifies(plans: dict[str, Path]) -> None:
    done = run("verify", str(plans["plan"]))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", list(EDITS))
def test_every_edit_of_a_plan_folder_fails(name: str, plans: dict[str, Path],
                                           tmp_path: Path) -> None:
    file, edit, needle = EDITS[name]
    bad = edited(plans["plan"], tmp_path / "bad", file, edit)
    done = run("verify", str(bad))
    assert done.returncode == 5, done.stdout + done.stderr
    assert "FAILED" in done.stdout and needle in done.stdout, done.stdout


@pytest.mark.parametrize("layer", ["facilities.gpkg", "facilities.geojson"])
def test_a_layer_from_another_plan_fails(layer: str, plans: dict[str, Path],
                                         tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(plans["plan"], bad)
    assert (plans["other"] / layer).read_bytes() != (bad / layer).read_bytes()
    shutil.copyfile(plans["other"] / layer, bad / layer)
    done = run("verify", str(bad))
    assert done.returncode == 5, done.stdout + done.stderr
    assert layer in done.stdout, done.stdout


# ------------------------------------------------------------ a classic folder
@pytest.fixture(scope="module")
def mclp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("classic") / "mclp"
    done = run("solve", str(REFERENCE / "swain" / "swain.dat"), "--model", "mclp",
               "--radius", "10", "--p", "3", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("change", [_lowered, _nan, _optimal_with_gap],
                         ids=["lowered", "nan", "optimal-with-gap"])
def test_a_classic_summary_edit_fails(change: Callable[[dict[str, object]], None], mclp: Path,
                                      tmp_path: Path) -> None:
    bad = edited(mclp, tmp_path / "bad", "solution.json", summary_edit(change))
    done = run("verify", str(bad))
    assert done.returncode == 5, done.stdout + done.stderr
    assert "FAILED" in done.stdout


def test_a_classic_layer_edit_fails(mclp: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(mclp, bad)
    geo = json.loads((bad / "sites.geojson").read_text(encoding="utf-8"))
    geo["features"][0]["geometry"]["coordinates"][0] += 1.0
    (bad / "sites.geojson").write_text(json.dumps(geo), encoding="utf-8")
    done = run("verify", str(bad))
    assert done.returncode == 5, done.stdout + done.stderr
    assert "sites.geojson" in done.stdout
