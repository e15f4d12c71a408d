"""Benchmark instances: uniform random MCLP, a clustered million-point city, file sets.

All generators are seeded, so every run of the suite sees the same data.

>>> d, s = uniform_mclp(100, 10, seed=1)
>>> len(d), len(s), int(d["weight"].min()) >= 1
(100, 10, True)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "instances" / "reference"

#: Side of the square of the uniform instances (metres).
SIDE = 10_000.0
#: Radius at which a site's disc covers 2 % of the square.
RADIUS_2PCT = SIDE * math.sqrt(0.02 / math.pi)

#: (n demand, m sites, p) of the uniform MCLP cases.
UNIFORM_CASES = [(1_000, 100, 5), (5_000, 500, 25), (20_000, 1_000, 50)]


def uniform_mclp(n: int, m: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` demand points (integer weights 1–100) and ``m`` sites, uniform in the square."""
    rng = np.random.default_rng(seed + 1000 * n + m)
    demand = pd.DataFrame(
        {
            "id": np.arange(n),
            "x": rng.uniform(0, SIDE, n),
            "y": rng.uniform(0, SIDE, n),
            "weight": rng.integers(1, 101, n).astype(float),
        }
    )
    sites = pd.DataFrame(
        {"id": np.arange(m), "x": rng.uniform(0, SIDE, m), "y": rng.uniform(0, SIDE, m)}
    )
    return demand, sites


def clustered_city(
    n: int = 1_000_000, m: int = 10_000, seed: int = 7, side: float = 30_000.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A clustered city: demand in Gaussian neighbourhoods, sites near demand, costs vary.

    Demand: 400 neighbourhood centres, points scattered around them (σ 300–1500 m),
    weights 1–50 residents; sites: parcels scattered around the same centres,
    land cost 1–10 (cheaper at the edge).
    """
    rng = np.random.default_rng(seed)
    k = 400
    centres = rng.uniform(0.1 * side, 0.9 * side, size=(k, 2))
    sigma = rng.uniform(300, 1500, k)
    share = rng.dirichlet(np.full(k, 2.0))
    which = rng.choice(k, size=n, p=share)
    xy = centres[which] + rng.normal(size=(n, 2)) * sigma[which, None]
    xy = np.clip(xy, 0, side)
    demand = pd.DataFrame(
        {"id": np.arange(n), "x": xy[:, 0], "y": xy[:, 1],
         "weight": rng.integers(1, 51, n).astype(float)}
    )
    swhich = rng.choice(k, size=m, p=share)
    sxy = np.clip(centres[swhich] + rng.normal(size=(m, 2)) * 1.5 * sigma[swhich, None], 0, side)
    centre = np.array([side / 2, side / 2])
    edge = np.linalg.norm(sxy - centre, axis=1) / (side / 2)
    cost = np.round(np.clip(10 - 8 * edge + rng.uniform(-1, 1, m), 1, 10), 1)
    sites = pd.DataFrame({"id": np.arange(m), "x": sxy[:, 0], "y": sxy[:, 1], "cost": cost})
    return demand, sites


def write_csv_folder(folder: Path, demand: pd.DataFrame, sites: pd.DataFrame) -> Path:
    """Write ``demand.csv`` and ``sites.csv`` (the layout ``siting solve`` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    demand.to_csv(folder / "demand.csv", index=False)
    sites.to_csv(folder / "sites.csv", index=False)
    return folder


def pmed_path(k: int) -> Path:
    return REFERENCE / "orlib-pmed" / f"pmed{k}.txt"


def bds_path(name: str) -> Path:
    return REFERENCE / "bds" / f"{name}.txt"
