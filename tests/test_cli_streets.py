"""Street options of a classic solve: the junction rule, levels, a filter and the access
distance, said on the command line, recorded, and read again by `siting verify`."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.cli import EXIT_INPUT, EXIT_OK, main

X0, Y0 = 440_000.0, 4_430_000.0


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 km grid of centre lines not split at crossings (one on level 1), and points."""
    root = tmp_path_factory.mktemp("streets")
    rows = [shapely.LineString([(X0, Y0 + y), (X0 + 1000, Y0 + y)]) for y in range(0, 1001, 200)]
    cols = [shapely.LineString([(X0 + x, Y0), (X0 + x, Y0 + 1000)]) for x in range(0, 1001, 200)]
    gpd.GeoDataFrame({"name": [f"r{k}" for k in range(12)], "layer": [0] * 11 + [1],
                      "kind": ["street"] * 11 + ["motorway"]},
                     geometry=rows + cols, crs="EPSG:32650").to_file(root / "streets.gpkg",
                                                                    layer="roads")
    rng = np.random.default_rng(1)
    (root / "data").mkdir()
    pd.DataFrame({"id": [f"d{i}" for i in range(30)], "x": X0 + rng.uniform(0, 1000, 30),
                  "y": Y0 + rng.uniform(0, 1000, 30), "weight": 1}).to_csv(
        root / "data" / "demand.csv", index=False)
    pd.DataFrame({"id": [f"s{i}" for i in range(8)], "x": X0 + rng.uniform(0, 1000, 8),
                  "y": Y0 + rng.uniform(0, 1000, 8)}).to_csv(root / "data" / "sites.csv",
                                                               index=False)
    return root


def solve(case: Path, *extra: str) -> list[str]:
    return ["solve", str(case / "data"), "--model", "mclp", "--radius", "300", "--p", "2",
            "--crs", "EPSG:32650", "--network", f"{case / 'streets.gpkg'}:roads", *extra]


def test_an_unnoded_layer_is_refused_naming_the_option(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(solve(case)) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "looks un-noded" in err and "--junctions" in err and "row 1 (r0) ×" in err


def test_the_rules_are_recorded_and_read_again_by_verify(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = case / "out"
    assert main(solve(case, "--junctions", "crossings", "--level", "layer",
                      "--network-where", "kind <> 'motorway'", "--max-access", "400",
                      "--out", str(out), "--json")) == EXIT_OK
    said = json.loads(capsys.readouterr().out)
    assert said["verified"] and said["inputs"]["streets"] == {
        "junctions": "crossings", "level": "layer", "max_access": 400.0,
        "where": "kind <> 'motorway'", "tolerance": 0.5}
    assert main(["verify", str(out)]) == EXIT_OK
    # without the rules the same layer is refused: verify did read them
    path = out / "solution.json"
    saved = json.loads(path.read_text("utf-8"))
    del saved["inputs"]["streets"]
    path.write_text(json.dumps(saved), "utf-8")
    assert main(["verify", str(out)]) == EXIT_INPUT


def test_street_options_are_checked_before_any_data_is_read(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(solve(case, "--junctions", "crossings", "--max-access", "0")) == EXIT_INPUT
    assert "--max-access" in capsys.readouterr().err
    no_network = ["solve", str(case / "data"), "--model", "mclp", "--radius", "300", "--p",
                  "2", "--crs", "EPSG:32650", "--junctions", "crossings"]
    assert main(no_network) == EXIT_INPUT
    assert "give it with --network" in capsys.readouterr().err


def test_check_lists_the_street_findings(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", str(case / "data"), "--crs", "EPSG:32650", "--network",
            f"{case / 'streets.gpkg'}:roads", "--junctions", "crossings"]
    assert main(args) == EXIT_OK
    out = capsys.readouterr().out
    assert "junction rule 'crossings'" in out
    assert "a column 'layer' that looks like levels" in out and "--level layer" in out
