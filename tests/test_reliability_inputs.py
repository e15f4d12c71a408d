"""No "unexpected error" from any input: each bad input gives exit 2 and one line naming it.

An empty optional layer simply solves; an empty parcel layer, a loop of links,
an equity year outside the plan, a scheduler address that is none, a missing
data file of a sweep and a tampered year in a written plan are each one line
naming what the user wrote; a capacity of 0 serves no one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from siting.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "instances" / "riverbend"
#: A scheduler nobody listens on: a sweep that reached Dask would fail differently.
NOWHERE = {"DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:1"}


def riverbend(tmp_path: Path, extra: str = "", **files: str) -> Path:
    """Riverbend's spec on a copy of its data; ``files`` replace a file name in the spec."""
    shutil.copytree(DATA, tmp_path / "riverbend")
    text = (ROOT / "models" / "riverbend.toml").read_text(encoding="utf-8")
    text = text.replace("../instances/riverbend/", "riverbend/")
    for old, new in files.items():
        text = text.replace(f"riverbend/{old.replace('_', '.')}", new)
    spec = tmp_path / "spec.toml"
    spec.write_text(text + extra, encoding="utf-8")
    return spec


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "unexpected" not in lines[0] and "Traceback" not in lines[0], lines[0]
    return lines[0]


def test_a_header_only_existing_facilities_file_simply_solves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = riverbend(tmp_path)
    services = tmp_path / "riverbend" / "services.csv"
    services.write_text(services.read_text(encoding="utf-8").splitlines()[0] + "\n",
                        encoding="utf-8")
    assert main(["solve", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert main(["verify", str(tmp_path / "out"), "--quiet"]) == 0


def test_an_empty_parcel_layer_is_named_with_its_layer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = riverbend(tmp_path, lots_geojson="riverbend/none.gpkg:lots")
    lots = gpd.read_file(DATA / "lots.geojson")
    lots.iloc[:0].to_file(tmp_path / "riverbend" / "none.gpkg", layer="lots", driver="GPKG")
    assert main(["solve", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    line = one_line(capsys)
    assert "none.gpkg:lots" in line and "no features" in line and "data.parcels" in line


def test_a_loop_of_links_as_a_data_path_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = riverbend(tmp_path, lots_geojson="riverbend/loop.geojson")
    (tmp_path / "riverbend" / "loop.geojson").symlink_to(tmp_path / "riverbend" / "back")
    (tmp_path / "riverbend" / "back").symlink_to(tmp_path / "riverbend" / "loop.geojson")
    assert main(["solve", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "a link that leads nowhere" in one_line(capsys)
    assert main(["check", str(tmp_path / "riverbend" / "loop.geojson")]) == 2
    assert "a link that leads nowhere" in one_line(capsys)
    assert main(["solve", str(spec), "--out", str(tmp_path / "loop.geojson"), "--quiet"]) == 2
    capsys.readouterr()
    loop = tmp_path / "riverbend" / "loop.geojson"
    assert main(["solve", str(loop), "--model", "mclp", "--radius", "5", "--p", "1"]) == 2
    assert "a link that leads nowhere" in one_line(capsys)


def test_an_equity_year_outside_the_plan_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = '\n[[equity]]\nfacility = "park"\nmin_share = 0.1\nyear = 2031\n'
    spec = riverbend(tmp_path, extra)
    assert main(["solve", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    line = one_line(capsys)
    assert "equity[0].year" in line and "2031" in line


def test_a_tampered_year_in_a_written_plan_is_named_with_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["solve", str(ROOT / "models" / "riverbend.toml"), "--out", str(out),
                 "--quiet"]) == 0
    table = (out / "facilities.csv").read_text(encoding="utf-8").splitlines()
    table[2] = table[2].replace(",2026,", ",20x6,")
    (out / "facilities.csv").write_text("\n".join(table) + "\n", encoding="utf-8")
    assert main(["verify", str(out), "--quiet"]) == 2
    line = one_line(capsys)
    assert "facilities.csv: row 3: field 'year': value '20x6'" in line


def sweep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "siting.cli", "sweep", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=600,
                          env={**os.environ, **NOWHERE})


def test_a_scheduler_that_is_no_address_is_refused(tmp_path: Path) -> None:
    done = sweep(str(ROOT / "models" / "riverbend.toml"), "--budget", "1e7,2e7",
                 "--scheduler", "not-an-address", "--out", str(tmp_path / "sw"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'--scheduler'" in lines[0] and "not-an-address" in lines[0]


def test_a_sweep_with_a_missing_data_file_fails_before_dask(tmp_path: Path) -> None:
    spec = riverbend(tmp_path, lots_geojson="riverbend/gone.geojson")
    done = sweep(str(spec), "--budget", "1e7,2e7", "--out", str(tmp_path / "sw"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "gone.geojson" in lines[0] and "data.parcels" in lines[0]


def test_a_capacity_of_zero_serves_no_one() -> None:
    from siting.instance import Instance
    from siting.models import CMCLP

    demand = pd.DataFrame({"x": [0.0, 50.0], "y": [0.0, 0.0], "weight": [5.0, 3.0]})
    sites = pd.DataFrame({"x": [0.0, 50.0], "y": [0.0, 0.0], "capacity": [0.0, 10.0]})
    inst = Instance.from_frames(demand, sites, capacity="capacity")
    sol = CMCLP(radius=1, p=2).solve(inst)
    assert sol.verified, sol.verification
    assert sol.objective == pytest.approx(3.0)


@pytest.mark.parametrize("written", [r"C:\data\lots.geojson", "survey:2024/lots.geojson"])
def test_a_path_with_a_colon_is_shown_whole(
    written: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = riverbend(tmp_path, lots_geojson=written.replace("\\", "\\\\"))
    assert main(["solve", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    line = one_line(capsys)
    assert written in line and "file not found" in line, line


def test_a_folder_with_a_colon_is_read(tmp_path: Path) -> None:
    from siting.data import read_layer

    folder = tmp_path / "survey:2024"
    folder.mkdir()
    shutil.copyfile(DATA / "lots.geojson", folder / "lots.geojson")
    assert len(read_layer(f"{folder}/lots.geojson")) == 8
