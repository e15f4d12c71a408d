"""How far the MCLP heuristic start is from the optimum, on several generators.

For each instance: greedy, then single swaps (the start before pair moves),
then single swaps and pair moves (:func:`siting.heuristics.mclp.exchange_mclp`),
each as its gap to the best plan the compact model finds in ``--limit``
seconds (optimal when the line says so), with the CPU seconds of greedy and
search. Run: ``python -m benchmarks.start_gap [--limit 60] [--sjc DIR]``;
``DIR`` holds the SJC point sets as github.com/etra0/mclp keeps them
(``SJC818.txt``: the count, then one ``x y`` a line; ``demand-SJC818.dat``:
one weight a line). Every node is a demand point and a candidate site.

>>> d, s = clustered(200, 20, seed=1)
>>> len(d), len(s), bool(d["weight"].min() >= 1)
(200, 20, True)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.instances import RADIUS_2PCT, uniform_mclp
from siting.backends import SolveOptions
from siting.heuristics.mclp import exchange_mclp, greedy_mclp, swap_mclp
from siting.instance import Instance
from siting.models import MCLP

Frames = tuple[pd.DataFrame, pd.DataFrame]


def _frames(demand: np.ndarray, weight: np.ndarray, sites: np.ndarray) -> Frames:
    d = pd.DataFrame({"id": np.arange(len(demand)), "x": demand[:, 0], "y": demand[:, 1],
                      "weight": weight})
    s = pd.DataFrame({"id": np.arange(len(sites)), "x": sites[:, 0], "y": sites[:, 1]})
    return d, s


def clustered(n: int = 5_000, m: int = 500, seed: int = 0, side: float = 20.0,
              k: int = 30) -> Frames:
    """Demand in ``k`` Gaussian clusters (σ 0.3–1.5) in a square of ``side``, weights
    1–100; half the sites scattered around the clusters, half uniform."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, side, (k, 2))
    sigma = rng.uniform(0.3, 1.5, k)
    label = rng.integers(0, k, n)
    demand = centres[label] + rng.normal(size=(n, 2)) * sigma[label, None]
    weight = rng.integers(1, 101, n).astype(float)
    near = rng.integers(0, k, m // 2)
    sites = np.vstack([centres[near] + rng.normal(size=(m // 2, 2)) * sigma[near, None],
                       rng.uniform(0, side, (m - m // 2, 2))])
    return _frames(demand, weight, sites)


def blobs(n: int = 5_000, m: int = 500, seed: int = 0, k: int = 8) -> Frames:
    """Demand and sites from the same ``k`` isotropic blobs (σ 1, centres uniform in
    (-10, 10)², as scikit-learn's ``make_blobs`` draws them), weights 1–100."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (k, 2))
    points = centres[rng.integers(0, k, n + m)] + rng.normal(size=(n + m, 2))
    return _frames(points[:n], rng.integers(1, 101, n).astype(float), points[n:])


def sjc(folder: Path, name: str) -> Frames:
    """An SJC point set: every node is a demand point (its weight) and a site."""
    words = (folder / f"{name}.txt").read_text().split()
    n = int(words[0])
    xy = np.array(words[1 : 1 + 2 * n], dtype=float).reshape(n, 2)
    weight = np.array((folder / f"demand-{name}.dat").read_text().split()[:n], dtype=float)
    return _frames(xy, weight, xy)


def cases(sjc_folder: Path | None) -> Iterator[tuple[str, Frames, float, int]]:
    """(name, frames, radius, p) of every case."""
    for seed in (0, 1, 2):
        yield f"clustered 5000x500 seed {seed}", clustered(seed=seed), 1.2, 25
    for seed in (0, 1):
        yield f"blobs 5000x500 seed {seed}", blobs(seed=seed), 1.0, 25
    for n, m, p in [(1_000, 100, 5), (5_000, 500, 25)]:
        yield f"uniform {n}x{m}", uniform_mclp(n, m), RADIUS_2PCT, p
    if sjc_folder is not None:
        for name, p, radius in [("SJC818", 5, 1200.0), ("SJC818", 10, 800.0),
                                ("SJC2000", 10, 600.0), ("SJC5000", 20, 400.0)]:
            yield f"{name} p {p} radius {radius:g}", sjc(sjc_folder, name), radius, p


def measure(name: str, frames: Frames, radius: float, p: int, limit: float) -> str:
    """One line: the starts' gaps to the best plan found, and their CPU seconds."""
    inst = Instance.from_frames(*frames)
    built = MCLP(radius=radius, p=p).build(inst)
    s, offset = built.milp.structure, built.milp.offset
    args = (s.p, s.cost, s.budget, s.fixed_open, s.closed)  # type: ignore[union-attr]
    cov, weight = s.cov, s.weight  # type: ignore[union-attr]
    t = time.process_time()
    greedy, _ = greedy_mclp(cov, weight, *args)
    t_greedy = time.process_time() - t
    t = time.process_time()
    _, swapped = swap_mclp(cov, weight, greedy, *args)
    t_swap = time.process_time() - t + t_greedy
    t = time.process_time()
    _, paired = exchange_mclp(cov, weight, greedy, *args)
    t_pairs = time.process_time() - t + t_greedy
    sol = MCLP(radius=radius, p=p, formulation="compact").solve(
        inst, options=SolveOptions(time_limit=limit))
    best = float(sol.objective or 0.0)

    def gap(value: float) -> str:
        return f"{100 * (best - value - offset) / best:.3f} %"

    return (f"{name}: swaps {gap(swapped)} ({t_swap:.2f} s), pairs {gap(paired)} "
            f"({t_pairs:.2f} s) below {best:,.0f} ({sol.status.value})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--sjc", type=Path, default=None)
    a = ap.parse_args()
    for name, frames, radius, p in cases(a.sjc):
        print(measure(name, frames, radius, p, a.limit), flush=True)


if __name__ == "__main__":
    main()
