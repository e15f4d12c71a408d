"""Riverbend, a district that is not 回天: `siting solve` on its spec against brute force.

The brute force reads the files itself, builds its own walking distances (every
street vertex a node, line ends within 0.5 m merged, nearest node by a full
scan, shortest paths by a heapq Dijkstra; snap + path + snap as in
siting.network) and enumerates every plan.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from siting.data.riverbend import riverbend_layers
from tests.plain_network import plain_dijkstra

ROOT = Path(__file__).resolve().parent.parent
TOWN = ROOT / "instances" / "riverbend"
SPEC = ROOT / "models" / "riverbend.toml"
TOLERANCE = 0.5


def walking_distance_function() -> tuple[object, np.ndarray, np.ndarray]:
    """A function (point a, point b) -> walking distance, from the footways alone."""
    ways = gpd.read_file(TOWN / "town.gpkg", layer="footways").explode(index_parts=False)
    lines = [list(g.coords) for g in ways.geometry]
    nodes, paths = plain_dijkstra(lines, TOLERANCE)
    xy, dist = np.array(nodes), np.array(paths)

    def snap(p: tuple[float, float]) -> tuple[int, float]:
        gaps = np.hypot(xy[:, 0] - p[0], xy[:, 1] - p[1])
        k = int(np.argmin(gaps))
        return k, float(gaps[k])

    def walk(a: tuple[float, float], b: tuple[float, float]) -> float:
        (na, sa), (nb, sb) = snap(a), snap(b)
        return sa + float(dist[na, nb]) + sb

    return walk, xy, dist


def brute_force() -> tuple[float, tuple[int, ...], float]:
    """Best objective over every plan (lot -> nothing / kindergarten / park)."""
    spec = tomllib.loads(SPEC.read_text(encoding="utf-8"))
    kg, park = spec["facility"]["kindergarten"], spec["facility"]["park"]
    budget, share = spec["budget"]["total"], spec["target"][0]["share"]
    walk, _, dist = walking_distance_function()
    assert np.isfinite(dist).all()  # one connected network
    homes = gpd.read_file(TOWN / "homes.gpkg", layer="households")
    lots = gpd.read_file(TOWN / "lots.geojson").to_crs(homes.crs)
    services = pd.read_csv(TOWN / "services.csv", dtype=str)
    green = gpd.read_file(TOWN / "town.gpkg", layer="green")
    home_xy = [(g.x, g.y) for g in homes.geometry]
    lot_xy = [(p.x, p.y) for p in lots.geometry.representative_point()]
    area = lots.geometry.area.to_numpy()
    uses = [set(z.split(";")) for z in lots["zoning"]]
    kids = homes["children_3_6"].to_numpy(float)
    people = homes["residents"].to_numpy(float)
    kg_now = [(float(r.x), float(r.y)) for r in services.itertuples() if r.kind == "kindergarten"]
    park_now = [(p.x, p.y) for p in green.geometry.representative_point()]  # the park's shape

    def near(points: list[tuple[float, float]], radius: float) -> np.ndarray:
        return np.array([[walk(h, p) <= radius for p in points] for h in home_xy]).reshape(
            len(home_xy), len(points)
        )

    kg_lot, park_lot = near(lot_xy, kg["radius_m"]), near(lot_xy, park["radius_m"])
    kg_base = near(kg_now, kg["radius_m"]).any(axis=1)
    park_base = near(park_now, park["radius_m"]).any(axis=1)
    best = (-np.inf, (), 0.0)
    for plan in itertools.product((0, 1, 2), repeat=len(lot_xy)):
        choice = np.array(plan)
        if any(c == 1 and ("kindergarten" not in uses[j] or area[j] < kg["footprint_m2"])
               for j, c in enumerate(plan)):
            continue
        if any(c == 2 and ("park" not in uses[j] or area[j] < park["min_area_m2"])
               for j, c in enumerate(plan)):
            continue
        cost = kg["build_cost"] * (choice == 1).sum() + park["build_cost"] * (choice == 2).sum()
        if cost > budget:
            continue
        kg_cover = kg_base | kg_lot[:, choice == 1].any(axis=1)
        park_cover = park_base | park_lot[:, choice == 2].any(axis=1)
        reached = people[park_cover].sum() / people.sum()
        if reached < share:
            continue
        value = kids[kg_cover].sum() + park.get("weight", 1.0) * people[park_cover].sum()
        if value > best[0]:
            best = (float(value), plan, float(reached))
    return best


def same_layer(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame, atol: float = 0.0) -> None:
    """Same attributes and coordinates (a file may store lines as MultiLineStrings)."""
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(want.drop(columns="geometry")),
        check_dtype=False,
    )
    a, b = got.geometry.get_coordinates(), want.geometry.get_coordinates()
    assert a.index.tolist() == b.index.tolist()
    assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=atol)


def test_committed_files_are_what_the_script_writes() -> None:
    layers = riverbend_layers()
    same_layer(gpd.read_file(TOWN / "homes.gpkg", layer="households"), layers["households"])
    for name in ("footways", "quarters", "green"):
        same_layer(gpd.read_file(TOWN / "town.gpkg", layer=name), layers[name])
    same_layer(gpd.read_file(TOWN / "lots.geojson"), layers["lots"], atol=1e-8)
    services = pd.read_csv(TOWN / "services.csv")
    pd.testing.assert_frame_equal(services, layers["services"])


def test_walking_is_longer_than_the_straight_line_across_the_river() -> None:
    walk, _, _ = walking_distance_function()
    west, east = (561_540.0, 5_930_100.0), (561_760.0, 5_930_100.0)  # either bank, in the south
    assert walk(west, east) > 3 * np.hypot(east[0] - west[0], east[1] - west[1])


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("riverbend") / "out"
    run = subprocess.run(
        [sys.executable, "-m", "siting.cli", "solve", str(SPEC), "--json", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    result["out"] = str(out)
    return result


def test_solve_is_optimal_verified_and_matches_brute_force(solved: dict[str, object]) -> None:
    value, plan, reached = brute_force()
    assert reached >= 0.7
    assert solved["status"] == "optimal"
    assert solved["verified"] is True
    assert solved["objective"] == pytest.approx(value, rel=1e-9, abs=1e-6)
    target = solved["targets"][0]  # type: ignore[index]
    assert target["met"] and target["reached"] >= 0.7 - 1e-12
    assert 0 < sum(c > 0 for c in plan) == len(solved["selected"])  # type: ignore[arg-type]


def test_solution_keeps_the_districts_ids(solved: dict[str, object]) -> None:
    out = Path(str(solved["out"]))
    coverage = pd.read_csv(out / "coverage.csv", dtype=str)
    assert coverage["block_id"].iloc[0] == "001"  # text ids, leading zeros kept
    assert set(coverage["subdistrict"]) == {"Old Town", "Mill Quarter", "Eastbank"}
    facilities = pd.read_csv(out / "facilities.csv", dtype=str)
    assert set(facilities["parcel_id"]) <= {f"L{k}" for k in range(1, 9)}


def test_readme_shows_the_whole_spec() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```toml\n{SPEC.read_text(encoding='utf-8')}```" in readme
