"""What the commands of the report's room print: ``siting info`` and the classic summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siting.cli import main
from tests.helpers import write_csv_folder, write_small_instance

ROOT = Path(__file__).resolve().parent.parent


def test_info_counts_the_network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_small_instance(tmp_path / "inst")
    assert main(["info", str(folder), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["network_nodes"] == 3 and facts["network_edges"] == 2


def test_info_on_huitian_counts_its_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    if not (ROOT / "instances" / "huitian" / "huitian.gpkg").is_file():
        pytest.skip("instances/huitian/huitian.gpkg not present")
    assert main(["info", str(ROOT / "instances" / "huitian")]) == 0
    assert "network_nodes: 8865" in capsys.readouterr().out


def test_classic_summary_says_what_the_solution_means(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """p-median: a rounded objective and the mean and largest distance; MCLP: the share of
    the weight covered; both write the geometry beside the CSV files."""
    data = write_csv_folder(tmp_path / "data")
    out = tmp_path / "pm"
    assert main(["solve", str(data), "--model", "p-median", "--p", "4", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "mean distance" in text and "largest distance" in text
    assert "sites selected" in text and "gap" in text
    assert not any(len(w) > 12 and w.replace(".", "").isdigit() for w in text.split())
    names = {p.name for p in out.iterdir()}
    assert {"sites.gpkg", "sites.geojson", "demand.geojson", "lines.gpkg",
            "lines.geojson"} <= names
    lines = json.loads((out / "lines.geojson").read_text(encoding="utf-8"))
    assert lines["features"][0]["geometry"]["type"] == "LineString"
    assert main(["solve", str(data), "--model", "mclp", "--p", "4", "--radius", "800",
                 "--out", str(tmp_path / "mc")]) == 0
    assert "weight covered" in capsys.readouterr().out
    assert "lines.gpkg" not in {p.name for p in (tmp_path / "mc").iterdir()}
