"""Every back end and a brute-force enumeration agree on small random instances.

MCLP, p-median and LSCP on instances of up to 9 demand points and 6 sites: the
optimum by enumerating every set of sites is what each exact back end reports
(CP-SAT only where every column and coefficient is integer: LSCP). The ``heuristic``
back end never beats the optimum and its bound never cuts it off. About 20
examples run by default; the ``slow`` suite runs 240.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.backends.base import Status, available_backends, capabilities
from siting.errors import InfeasibleError
from siting.instance import Instance
from siting.models import MODELS
from tests.conftest import tiny_instance

TOL = 1e-6
MODEL_NAMES = ("mclp", "p-median", "lscp")


def _distances(inst: Instance) -> Any:
    assert inst.demand_frame is not None and inst.site_frame is not None
    d = inst.demand_frame[["x", "y"]].to_numpy(float)
    s = inst.site_frame[["x", "y"]].to_numpy(float)
    return np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))  # tiny: 9 × 6


def brute_force(name: str, inst: Instance, p: int, radius: float) -> float | None:
    """The optimum by enumeration (None when infeasible)."""
    D = _distances(inst)
    w = inst.weight
    m = inst.n_sites
    cover = radius >= D
    if name == "mclp":
        return max(
            float(w[cover[:, list(S)].any(axis=1)].sum()) if S else 0.0
            for k in range(p + 1)
            for S in itertools.combinations(range(m), k)
        )
    if name == "p-median":
        return min(
            float((w * D[:, list(S)].min(axis=1)).sum())
            for S in itertools.combinations(range(m), p)
        )
    for k in range(m + 1):  # lscp: fewest sites covering everyone
        for S in itertools.combinations(range(m), k):
            if cover[:, list(S)].any(axis=1).all():
                return float(k)
    return None


def _model(name: str, p: int, radius: float) -> Any:
    if name == "mclp":
        return MODELS[name](radius=radius, p=p)
    if name == "p-median":
        return MODELS[name](p=p)
    return MODELS[name](radius=radius)


def _backends(name: str) -> list[str]:
    out = []
    for b in available_backends():
        if capabilities(b).integer_coefficients_only and name != "lscp":
            continue  # integer columns and coefficients only: the set covering model
        out.append(b)
    return out


def check_example(name: str, seed: int, p: int, r: int) -> None:
    inst = tiny_instance(seed)
    radius = r + 0.5  # never equal to a distance between integer points: no ties
    best = brute_force(name, inst, p, radius)
    sense_max = name == "mclp"
    for backend in _backends(name):
        if best is None:  # a point no site reaches: refused before any solver runs
            with pytest.raises(InfeasibleError, match="nothing can cover it"):
                _model(name, p, radius).solve(inst, backend)
            continue
        sol = _model(name, p, radius).solve(inst, backend)
        assert sol.status == Status.OPTIMAL, (backend, sol.status, sol.message)
        assert sol.verified is True, (backend, sol.verification)
        assert sol.objective is not None
        assert math.isclose(sol.objective, best, rel_tol=1e-6, abs_tol=TOL), (
            backend, sol.objective, best,
        )
    if best is not None and name in ("mclp", "p-median") and "heuristic" in available_backends(
        structured=True
    ):
        sol = _model(name, p, radius).solve(inst, "heuristic")
        assert sol.status.has_solution and sol.objective is not None
        if sense_max:
            assert sol.objective <= best + TOL
            assert sol.bound is None or sol.bound >= best - TOL
        else:
            assert sol.objective >= best - TOL
            assert sol.bound is None or sol.bound <= best + TOL


examples = st.tuples(
    st.sampled_from(MODEL_NAMES),
    st.integers(0, 10_000),
    st.integers(1, 4),
    st.integers(2, 12),
)
COMMON = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow],
}


@settings(max_examples=20, **COMMON)
@given(examples)
def test_backends_agree_with_brute_force(ex: tuple[str, int, int, int]) -> None:
    check_example(*ex)


@pytest.mark.slow
@settings(max_examples=240, **COMMON)
@given(examples)
def test_backends_agree_with_brute_force_extended(ex: tuple[str, int, int, int]) -> None:
    check_example(*ex)
