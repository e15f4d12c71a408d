"""Classic models on walking distances: ``--network`` against an independent Dijkstra.

The grid: streets every 100 m on a 5 × 5 grid of junctions, with the middle
vertical street missing between y = 100 and y = 300, so that walking across it
is longer than the straight line. Demand points and sites sit on junctions.
"""

from __future__ import annotations

import heapq
import itertools
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from siting import MCLP, Instance, PMedian
from siting.data import street_network

ROOT = Path(__file__).resolve().parent.parent
CRS = "EPSG:32650"
X0, Y0 = 440_000.0, 4_430_000.0
MISSING = {((200, 100), (200, 200)), ((200, 200), (200, 300))}


def grid_lines() -> list[tuple[tuple[int, int], tuple[int, int]]]:
    segs = []
    for i, j in itertools.product(range(5), range(5)):
        a = (100 * i, 100 * j)
        for b in ((100 * (i + 1), 100 * j), (100 * i, 100 * (j + 1))):
            if b[0] <= 400 and b[1] <= 400 and (a, b) not in MISSING:
                segs.append((a, b))
    return segs


def dijkstra(segs: list[tuple[tuple[int, int], tuple[int, int]]], src: tuple[int, int]
             ) -> dict[tuple[int, int], float]:
    """Plain heapq Dijkstra over the segment list (written here, independent of siting)."""
    adj: dict[tuple[int, int], list[tuple[tuple[int, int], float]]] = {}
    for a, b in segs:
        w = float(np.hypot(a[0] - b[0], a[1] - b[1]))
        adj.setdefault(a, []).append((b, w))
        adj.setdefault(b, []).append((a, w))
    dist = {src: 0.0}
    heap = [(0.0, src)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, np.inf):
            continue
        for v, w in adj[u]:
            if d + w < dist.get(v, np.inf):
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return dist


DEMAND = [(0, 100, 4.0), (100, 200, 2.0), (300, 200, 5.0), (400, 300, 3.0), (200, 400, 1.0),
          (300, 100, 6.0)]
SITES = [(100, 100), (300, 300), (200, 0), (0, 400)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("grid")
    pd.DataFrame({"id": [f"d{k}" for k in range(len(DEMAND))],
                  "x": [X0 + x for x, _, _ in DEMAND], "y": [Y0 + y for _, y, _ in DEMAND],
                  "weight": [w for _, _, w in DEMAND]}).to_csv(base / "demand.csv", index=False)
    pd.DataFrame({"id": [f"s{k}" for k in range(len(SITES))],
                  "x": [X0 + x for x, _ in SITES], "y": [Y0 + y for _, y in SITES]}
                 ).to_csv(base / "sites.csv", index=False)
    lines = [LineString([(X0 + a[0], Y0 + a[1]), (X0 + b[0], Y0 + b[1])]) for a, b in grid_lines()]
    gpd.GeoDataFrame({"kind": ["street"] * len(lines)}, geometry=lines, crs=CRS).to_file(
        base / "streets.gpkg", layer="roads", driver="GPKG")
    return base


def walking() -> np.ndarray:
    segs = grid_lines()
    out = np.zeros((len(DEMAND), len(SITES)))
    for j, s in enumerate(SITES):
        dist = dijkstra(segs, s)
        for i, (x, y, _) in enumerate(DEMAND):
            out[i, j] = dist[(x, y)]
    return out


def brute_mclp(radius: float, p: int) -> float:
    d = walking()
    w = np.array([w for *_, w in DEMAND])
    return max(float(w[(d[:, list(c)] <= radius).any(axis=1)].sum())
               for c in itertools.combinations(range(len(SITES)), p))


@pytest.mark.parametrize(("radius", "p"), [(150, 1), (250, 2), (300, 1), (350, 2)])
def test_mclp_on_streets_matches_an_independent_dijkstra(
    folder: Path, radius: float, p: int, tmp_path: Path
) -> None:
    out = tmp_path / "sol"
    done = subprocess.run(
        [sys.executable, "-m", "siting.cli", "solve", str(folder), "--model", "mclp",
         "--radius", str(radius), "--p", str(p), "--network", str(folder / "streets.gpkg:roads"),
         "--json", "--quiet", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "optimal" and summary["verified"] is True
    assert summary["objective"] == pytest.approx(brute_mclp(radius, p))
    assert any("walking distances" in n for n in summary["notes"])
    again = subprocess.run([sys.executable, "-m", "siting.cli", "verify", str(out)],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr


def test_walking_is_longer_than_the_straight_line_across_the_gap() -> None:
    d = walking()
    straight = np.hypot(*(np.array(DEMAND)[:, None, :2] - np.array(SITES)[None, :, :]).T).T
    assert (d >= straight - 1e-9).all() and (d > straight + 50).any()


def test_pmedian_api_on_streets_matches_brute_force(folder: Path) -> None:
    lines = gpd.read_file(folder / "streets.gpkg", layer="roads")
    demand = pd.read_csv(folder / "demand.csv", dtype={"id": str})
    sites = pd.read_csv(folder / "sites.csv", dtype={"id": str})
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id",
                                network=street_network(lines))
    d, w = walking(), np.array([w for *_, w in DEMAND])
    best = min(float((w * d[:, list(c)].min(axis=1)).sum())
               for c in itertools.combinations(range(len(SITES)), 2))
    sol = PMedian(p=2).solve(inst)
    assert sol.verified and sol.objective == pytest.approx(best)
    mclp = MCLP(radius=250, p=2).solve(inst)
    assert mclp.objective == pytest.approx(brute_mclp(250, 2))
