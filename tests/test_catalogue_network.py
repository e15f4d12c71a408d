"""Catalogue models on walking distances: competitors and site pairs measured on the network.

A street grid with a river crossed by one bridge: straight lines and walks
differ, and every model must use the walk (its objective is recomputed here
from walking distances by enumeration).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from siting.coverage import NetworkMetric
from siting.instance import Instance
from siting.models import Attendance, MarketShare, PDispersion
from siting.models.decay import Decay
from siting.network import WalkingNetwork


def grid_with_bridge() -> WalkingNetwork:
    """A 5 × 5 grid of 100 m blocks; the river between x = 200 and 300, one bridge at y = 0."""
    xs, ys = np.meshgrid(np.arange(5) * 100.0, np.arange(5) * 100.0)
    x, y = xs.ravel(), ys.ravel()
    node = np.arange(25).reshape(5, 5)  # node[row(y), col(x)]
    u, v = [], []
    for r in range(5):
        for c in range(5):
            if c < 4 and (c != 2 or r == 0):  # east edge; only the bridge crosses 200 -> 300
                u.append(node[r, c]), v.append(node[r, c + 1])
            if r < 4:
                u.append(node[r, c]), v.append(node[r + 1, c])
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    return WalkingNetwork(x, y, np.array(u), np.array(v), length)


@pytest.fixture(scope="module")
def walk() -> Instance:
    rng = np.random.default_rng(3)
    demand = pd.DataFrame({"x": rng.uniform(0, 400, 12), "y": rng.uniform(0, 400, 12),
                           "weight": rng.integers(1, 10, 12).astype(float)})
    sites = pd.DataFrame({"x": [0.0, 100, 200, 300, 400, 400], "y": [400.0, 0, 300, 400, 0, 200]})
    return Instance.from_frames(demand, sites, network=grid_with_bridge())


def test_network_metric_is_used(walk: Instance) -> None:
    assert isinstance(walk.metric, NetworkMetric)


def test_attendance_on_walks(walk: Instance) -> None:
    f = Decay("linear", cutoff=600.0)
    n, m = walk.n_demand, walk.n_sites
    dist = walk.metric.pair_distance(np.repeat(np.arange(n), m), np.tile(np.arange(m), n))
    dist = dist.reshape(n, m)
    best = max(float(walk.weight @ f.value(dist[:, list(s)].min(axis=1)))
               for s in itertools.combinations(range(m), 2))
    sol = Attendance(p=2, decay="linear", cutoff=600.0).solve(walk)
    assert sol.verified and sol.objective == pytest.approx(best)


def test_market_share_measures_competitors_on_walks(walk: Instance) -> None:
    rivals = pd.DataFrame({"x": [350.0, 50.0], "y": [350.0, 50.0]})
    f = Decay("power", beta=2.0, scale=100.0)
    n, m = walk.n_demand, walk.n_sites
    dist = walk.metric.pair_distance(np.repeat(np.arange(n), m), np.tile(np.arange(m), n))
    own = f.value(dist.reshape(n, m))
    rmetric = NetworkMetric(walk.metric.network, walk.metric.demand_xy,  # type: ignore[attr-defined]
                            rivals[["x", "y"]].to_numpy())
    rd = rmetric.pair_distance(np.repeat(np.arange(n), 2), np.tile(np.arange(2), n))
    pull = f.value(rd.reshape(n, 2)).sum(axis=1)
    best = max(float(walk.weight @ (own[:, list(s)].sum(1) / (own[:, list(s)].sum(1) + pull)))
               for s in itertools.combinations(range(m), 2))
    for formulation in ("outer", "haase"):
        sol = MarketShare(p=2, competitors=rivals, beta=2.0, scale=100.0,
                          formulation=formulation).solve(walk)
        assert sol.verified and sol.objective == pytest.approx(best), formulation


def test_dispersion_on_walks(walk: Instance) -> None:
    sites = walk.metric.site_to_site()
    m = walk.n_sites
    best = max(
        float(sites.pair_distance(np.array(s)[list(a)], np.array(s)[list(b)]).min())
        for s in itertools.combinations(range(m), 3)
        for a, b in [zip(*itertools.combinations(range(3), 2), strict=True)]
    )
    sol = PDispersion(p=3).solve(walk)
    assert sol.verified and sol.objective == pytest.approx(best)
