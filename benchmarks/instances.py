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


#: (n demand, m sites) of the Cordeau-style cases (Cordeau, Furini & Ljubić 2019).
CORDEAU_CASES = [(1_000_000, 100), (1_000_000, 200), (10_000_000, 100)]
#: Side of the Cordeau-style square, coverage radius, site costs and budget.
CORDEAU_SIDE, CORDEAU_RADIUS, CORDEAU_BUDGET = 30.0, 3.5, 1000.0


def cordeau_mclp(
    n: int, m: int, seed: int = 11
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Budgeted MCLP as in Cordeau, Furini & Ljubić (2019): uniform points in a 30 × 30 square.

    ``n`` demand points with integer weights 1–100 (int32 / float32 columns:
    exact, and half the memory at ten million rows), ``m`` sites with integer
    costs 40–80; radius :data:`CORDEAU_RADIUS` (a site covers ≈ 4.3 % of the
    square), budget :data:`CORDEAU_BUDGET` (≈ 16 sites).

    >>> d, s = cordeau_mclp(1000, 10)
    >>> len(d), len(s), d["weight"].dtype.name, int(s["cost"].min()) >= 40
    (1000, 10, 'float32', True)
    """
    rng = np.random.default_rng(seed + n + m)
    demand = pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int32),
            "x": rng.uniform(0, CORDEAU_SIDE, n),
            "y": rng.uniform(0, CORDEAU_SIDE, n),
            "weight": rng.integers(1, 101, n).astype(np.float32),
        }
    )
    sites = pd.DataFrame(
        {
            "id": np.arange(m, dtype=np.int32),
            "x": rng.uniform(0, CORDEAU_SIDE, m),
            "y": rng.uniform(0, CORDEAU_SIDE, m),
            "cost": rng.integers(40, 81, m).astype(float),
        }
    )
    return demand, sites


#: Radius of the clustered 5,000 × 500 case (units of the blobs' plane).
CLUSTERED_RADIUS = 1.5


def clustered_mclp(
    n: int = 5_000, m: int = 500, seed: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clustered MCLP from scikit-learn's ``make_blobs`` (a generator that is not ours).

    Demand: ``n`` points in 20 Gaussian blobs (centres in a 40 × 40 box, σ 2.5),
    integer weights 1–100; sites: ``m`` points from the same blobs' law.

    >>> d, s = clustered_mclp(200, 20)
    >>> len(d), len(s)
    (200, 20)
    """
    from sklearn.datasets import make_blobs

    centres = np.random.default_rng(seed).uniform(-20, 20, size=(20, 2))
    dxy, _ = make_blobs(n_samples=n, centers=centres, cluster_std=2.5, random_state=seed)
    sxy, _ = make_blobs(n_samples=m, centers=centres, cluster_std=2.5, random_state=seed + 1)
    weight = np.random.default_rng(seed + 2).integers(1, 101, n).astype(float)
    demand = pd.DataFrame({"id": np.arange(n), "x": dxy[:, 0], "y": dxy[:, 1], "weight": weight})
    sites = pd.DataFrame({"id": np.arange(m), "x": sxy[:, 0], "y": sxy[:, 1]})
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
