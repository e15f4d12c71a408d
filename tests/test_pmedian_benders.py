"""p-median by Benders on the radius projection agrees with the radius formulation.

Random instances (with existing sites, ties in distances) on every back end that
takes the master; the cut is checked against its definition; OR-Library pmed1–5
reach their published optima.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.backends.base import SolveOptions, Status
from siting.models import PMedian
from siting.models.covering import master_capable
from siting.models.pmedian_benders import MedianData
from tests.conftest import REFERENCE, mip_backends, tiny_instance

MASTER_BACKENDS = [name for name in mip_backends() if master_capable(name)]
PMED_OPTIMA = {1: 5819, 2: 4093, 3: 4250, 4: 3034, 5: 1355}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(3, 25), m=st.integers(2, 9),
       existing=st.integers(0, 2), solver=st.sampled_from(MASTER_BACKENDS))
def test_benders_and_radius_agree(seed: int, n: int, m: int, existing: int, solver: str) -> None:
    existing = min(existing, m - 1)
    inst = tiny_instance(seed, n=n, m=m, existing=existing)
    p = 1 + seed % (m - existing)
    radius = PMedian(p=p, formulation="radius").solve(inst, solver)
    benders = PMedian(p=p, formulation="benders").solve(inst, solver)
    assert radius.status == Status.OPTIMAL and benders.status == Status.OPTIMAL
    assert benders.verified
    assert benders.objective == pytest.approx(radius.objective, rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12), m=st.integers(1, 6))
def test_median_cut_is_valid_and_exact(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    dist = rng.integers(0, 6, (n, m)).astype(float)  # ties on purpose
    weight = rng.integers(0, 4, n).astype(float)
    demand = np.repeat(np.arange(n), m)
    site = np.tile(np.arange(m), n)
    order = np.lexsort((dist.ravel(), demand))
    data = MedianData.build(demand[order], site[order], dist.ravel()[order], weight, m)
    at = rng.random(m)
    at *= min(1.0, 2.0 / max(at.sum(), 1e-9))
    for once in (False, True):
        const, coef = data.cut(at, once)
        for _ in range(8):  # valid: never above the negated cost of an integer plan
            y = (rng.random(m) < 0.5).astype(float)
            if not y.any():
                y[rng.integers(m)] = 1.0
            true = -weight * np.where(y > 0, dist, np.inf).min(axis=1)
            assert np.all(const + coef @ y >= true - 1e-9)
    y = np.zeros(m)
    y[rng.integers(m)] = 1.0
    true = -weight * np.where(y > 0, dist, np.inf).min(axis=1)
    for once in (False, True):  # exact at an integer point, both ways
        const, coef = data.cut(y, once)
        assert np.allclose(const + coef @ y, true)


@pytest.mark.parametrize("k", sorted(PMED_OPTIMA))
def test_orlib_pmed_by_benders(k: int) -> None:
    from siting.io import load_instance

    path = REFERENCE / "orlib-pmed" / f"pmed{k}.txt"
    if not path.exists():
        pytest.skip("instances/reference not present")
    loaded = load_instance(path)
    sol = PMedian(p=int(loaded.defaults["p"]), formulation="benders").solve(
        loaded.instance, "highs", SolveOptions(time_limit=120))
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective == pytest.approx(PMED_OPTIMA[k])
