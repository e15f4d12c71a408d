"""Benchmark instances: uniform random MCLP, a clustered million-point city, file sets.

All generators are seeded, so every run of the suite sees the same data.

>>> d, s = uniform_mclp(100, 10, seed=1)
>>> len(d), len(s), int(d["weight"].min()) >= 1
(100, 10, True)
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

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


#: Radius of the Gaussian-mixed and Thomas-process clustered cases (units of the 40 × 40 box).
MIXED_RADIUS = 1.2


def gaussian_mixed_mclp(
    n: int = 5_000, m: int = 500, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gaussian clusters of unequal size and spread; sites half near clusters, half uniform.

    Demand: ``n`` points around 15 centres in a 40 × 40 box (σ 0.8–3, shares
    from a Dirichlet law), integer weights 1–100; sites: half drawn like the
    demand, half uniform over the box (parcels wherever land is free).

    >>> d, s = gaussian_mixed_mclp(300, 40, seed=1)
    >>> len(d), len(s), bool(s["x"].between(-20, 20).all())
    (300, 40, True)
    """
    rng = np.random.default_rng(seed + 7_000)
    k = 15
    centres = rng.uniform(-16, 16, size=(k, 2))
    sigma = rng.uniform(0.8, 3.0, k)
    share = rng.dirichlet(np.full(k, 1.5))

    def near(size: int) -> NDArray[np.float64]:
        which = rng.choice(k, size=size, p=share)
        xy = centres[which] + rng.normal(size=(size, 2)) * sigma[which, None]
        return np.clip(xy, -20, 20)

    dxy = near(n)
    half = m // 2
    sxy = np.vstack([near(half), rng.uniform(-20, 20, size=(m - half, 2))])
    weight = rng.integers(1, 101, n).astype(float)
    demand = pd.DataFrame({"id": np.arange(n), "x": dxy[:, 0], "y": dxy[:, 1], "weight": weight})
    sites = pd.DataFrame({"id": np.arange(m), "x": sxy[:, 0], "y": sxy[:, 1]})
    return demand, sites


def thomas_mclp(
    n: int = 5_000, m: int = 500, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Thomas cluster process: Poisson parents, Poisson offspring scattered (σ 1) around them.

    Parents: Poisson (mean 40) over a 40 × 40 box; each has a Poisson(5)
    offspring intensity, so cluster sizes vary widely; ``n`` demand points are
    drawn from the offspring law, weights log-normal (median 20, rounded, ≥ 1).
    Sites: ``m`` points of the same process at 1.5 σ (parcels near settlements,
    a few far off).

    >>> d, s = thomas_mclp(300, 40, seed=1)
    >>> len(d), len(s), float(d["weight"].min()) >= 1
    (300, 40, True)
    """
    rng = np.random.default_rng(seed + 9_000)
    k = max(int(rng.poisson(40)), 2)
    parents = rng.uniform(-20, 20, size=(k, 2))
    intensity = rng.poisson(5, k) + 0.5  # a parent with no offspring still gets a few points
    share = intensity / intensity.sum()
    which = rng.choice(k, size=n, p=share)
    dxy = np.clip(parents[which] + rng.normal(size=(n, 2)), -20, 20)
    swhich = rng.choice(k, size=m, p=share)
    sxy = np.clip(parents[swhich] + 1.5 * rng.normal(size=(m, 2)), -20, 20)
    weight = np.maximum(np.round(rng.lognormal(np.log(20), 1.0, n)), 1.0)
    demand = pd.DataFrame({"id": np.arange(n), "x": dxy[:, 0], "y": dxy[:, 1], "weight": weight})
    sites = pd.DataFrame({"id": np.arange(m), "x": sxy[:, 0], "y": sxy[:, 1]})
    return demand, sites


#: Generators of the ``generators`` group: name → (function, radius).
GENERATORS = {
    "blobs": (clustered_mclp, CLUSTERED_RADIUS),
    "gauss-mixed": (gaussian_mixed_mclp, MIXED_RADIUS),
    "thomas": (thomas_mclp, MIXED_RADIUS),
}


#: Literature point sets (not in the repository: see :func:`literature_dir`).
LITERATURE_ENV = "SITING_LITERATURE"
#: São José dos Campos sets (Lorena & Pereira) and the (radius m, p) each is solved at.
SJC_SETS = ["SJC324", "SJC402", "SJC500", "SJC708", "SJC818"]
SJC_SETTINGS = [(800.0, 10), (1200.0, 5)]


def literature_dir() -> Path:
    """Folder of the literature files: ``$SITING_LITERATURE``, else
    ``instances/reference/literature``, else ``../shared/reference/literature``
    beside the checkout."""
    if os.environ.get(LITERATURE_ENV):
        return Path(os.environ[LITERATURE_ENV])
    here = REFERENCE / "literature"
    shared = ROOT.parent / "shared" / "reference" / "literature"
    return here if (here / "SJC324.txt").exists() or not shared.exists() else shared


def sjc_nodes(name: str, folder: Path | None = None) -> pd.DataFrame:
    """An SJC set as nodes (x, y in metres, weight = demand): ``NAME.txt`` and ``demand-NAME.dat``.

    The first line of ``NAME.txt`` is the node count, then ``x y`` lines; the
    demand file has one integer a line, in the same order.
    """
    folder = folder or literature_dir()
    xy = np.loadtxt(folder / f"{name}.txt", skiprows=1, ndmin=2)
    weight = np.loadtxt(folder / f"demand-{name}.dat", ndmin=1)
    if len(xy) != len(weight):
        raise ValueError(f"{name}: {len(xy)} nodes but {len(weight)} demands")
    return pd.DataFrame({"id": np.arange(len(xy)), "x": xy[:, 0], "y": xy[:, 1],
                         "weight": weight.astype(float)})


def tsplib_nodes(name: str, folder: Path | None = None) -> pd.DataFrame:
    """A TSPLIB-derived point set (``index x y`` lines after any header), unit weights."""
    folder = folder or literature_dir()
    rows = []
    for line in (folder / f"{name}.tsp").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].isdigit():
            rows.append((float(parts[1]), float(parts[2])))
    xy = np.array(rows)
    return pd.DataFrame({"id": np.arange(len(xy)), "x": xy[:, 0], "y": xy[:, 1],
                         "weight": np.ones(len(xy))})


def bds_nodes(name: str) -> pd.DataFrame:
    """A BDS file's customers (``C id x y demand`` lines) as nodes: each also a candidate site."""
    rows = [parts for parts in map(str.split, bds_path(name).read_text().splitlines())
            if parts and parts[0] == "C"]
    arr = np.array([[float(r[2]), float(r[3]), float(r[4])] for r in rows])
    return pd.DataFrame({"id": np.arange(len(arr)), "x": arr[:, 0], "y": arr[:, 1],
                         "weight": arr[:, 2]})


def bds_style_nodes(n: int = 1_000, seed: int = 0) -> pd.DataFrame:
    """BDS-style nodes: uniform in the 30 × 30 square, integer demand 1–100, every node a site.

    >>> len(bds_style_nodes(50))
    50
    """
    rng = np.random.default_rng(seed + 31_000)
    return pd.DataFrame({"id": np.arange(n), "x": rng.uniform(0, 30, n),
                         "y": rng.uniform(0, 30, n),
                         "weight": rng.integers(1, 101, n).astype(float)})


def literature_cases() -> list[tuple[str, pd.DataFrame, float, int]]:
    """(case, nodes, radius, p) of the ``literature`` group whose files are present.

    Every node is a demand point and a candidate site.
    """
    out: list[tuple[str, pd.DataFrame, float, int]] = []
    folder = literature_dir()
    for name in SJC_SETS:
        if (folder / f"{name}.txt").exists():
            nodes = sjc_nodes(name, folder)
            out += [(f"{name} r{r:g} p{p}", nodes, r, p) for r, p in SJC_SETTINGS]
    if (folder / "pr1002.tsp").exists():
        # pr1002 spans 16,600 × 11,100: radius 500 reaches ≈ 1 % of the box.
        out += [("pr1002 r500 p20", tsplib_nodes("pr1002", folder), 500.0, 20)]
    if bds_path("BDS1000").exists():
        out += [("BDS1000-nodes r1.5 p20", bds_nodes("BDS1000"), 1.5, 20)]
    out += [("bds-style-1000 s1 r1.5 p20", bds_style_nodes(1_000, seed=1), 1.5, 20)]
    return out


def literature_case(case: str) -> tuple[pd.DataFrame, float]:
    """The nodes and radius of one ``literature`` case, by its name."""
    for name, nodes, radius, _ in literature_cases():
        if name == case:
            return nodes, radius
    raise KeyError(f"{case}: not a literature case here (files in {literature_dir()}?)")
