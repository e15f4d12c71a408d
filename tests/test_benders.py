"""Branch-and-Benders-cut for MCLP agrees with the compact formulation.

Random instances (p, budget, existing sites, grouped or single ``θ``) are solved
both ways on every back end that can take the master; the cut itself is
checked against its definition (valid everywhere, exact at its point).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.backends.base import SolveOptions, Status
from siting.errors import ParameterError
from siting.instance import Instance
from siting.models import MCLP
from siting.models.benders import CoverData
from siting.models.covering import choose_formulation, master_capable
from tests.conftest import mip_backends, uniform_instance

MASTER_BACKENDS = [name for name in mip_backends() if master_capable(name)]


def _instance(seed: int, n: int, m: int, existing: int) -> Instance:
    rng = np.random.default_rng(seed)
    demand = pd.DataFrame({
        "id": np.arange(n), "x": rng.integers(0, 30, n).astype(float),
        "y": rng.integers(0, 30, n).astype(float), "weight": rng.integers(0, 9, n).astype(float),
    })
    sites = pd.DataFrame({
        "id": np.arange(m), "x": rng.integers(0, 30, m).astype(float),
        "y": rng.integers(0, 30, m).astype(float), "cost": rng.integers(1, 5, m).astype(float),
        "existing": np.arange(m) < existing,
    })
    return Instance.from_frames(demand, sites, demand_id="id", site_id="id", cost="cost",
                                existing="existing")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(5, 60),
    m=st.integers(2, 12),
    radius=st.sampled_from([4.0, 7.0, 11.0]),
    limit=st.sampled_from(["p", "budget", "both"]),
    existing=st.integers(0, 2),
    groups=st.sampled_from([1, 3, None]),
    solver=st.sampled_from(MASTER_BACKENDS),
)
def test_benders_and_compact_agree(
    seed: int, n: int, m: int, radius: float, limit: str, existing: int,
    groups: int | None, solver: str,
) -> None:
    inst = _instance(seed, n, m, min(existing, m - 1))
    free = m - min(existing, m - 1)
    p = None if limit == "budget" else 1 + seed % free
    budget = None if limit == "p" else float(1 + seed % 9)
    opts = SolveOptions(time_limit=60)
    compact = MCLP(radius=radius, p=p, budget=budget, formulation="compact").solve(
        inst, solver, opts)
    benders = MCLP(radius=radius, p=p, budget=budget, formulation="benders",
                   theta_groups=groups).solve(inst, solver, opts)
    assert compact.status == Status.OPTIMAL and benders.status == Status.OPTIMAL
    assert benders.verified
    assert benders.stats["formulation"] == "benders"
    assert benders.objective == pytest.approx(compact.objective, abs=1e-6)
    assert benders.bound is not None and benders.bound >= benders.objective - 1e-6


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 30), sites=st.integers(1, 8),
       groups=st.integers(1, 4))
def test_cut_is_valid_and_exact_at_its_point(seed: int, rows: int, sites: int, groups: int) -> None:
    rng = np.random.default_rng(seed)
    cov = sp.csr_matrix(rng.random((rows, sites)) < 0.4, dtype=np.float64)
    weight = rng.integers(0, 5, rows).astype(float)
    data = CoverData.build(cov, weight, groups)
    at = rng.random(sites) * (rng.random(sites) < 0.7)
    const, coef = data.cut(at)
    assert np.allclose(const + coef @ at, data.values(at))  # exact at its point
    for _ in range(10):  # an upper bound of the covered weight at every other point
        y = (rng.random(sites) < 0.5).astype(float) * rng.random(sites).round(1)
        assert np.all(const + coef @ y >= data.values(y) - 1e-9)
    full = np.ones(sites)
    dense = cov.toarray()
    expect = (weight * np.minimum(dense @ full, 1.0)).sum()
    assert data.total(full) == pytest.approx(expect)


def test_auto_choice_is_recorded() -> None:
    inst = _instance(3, 400, 6, 0)
    sol = MCLP(radius=9.0, p=2).solve(inst)
    assert sol.stats["formulation"] in ("compact", "benders")
    assert choose_formulation("auto", 10_000, 10, "highs") == "benders"
    assert choose_formulation("auto", 25, 10, "highs") == "compact"


def test_benders_needs_a_master_backend() -> None:
    inst = _instance(1, 20, 4, 0)
    with pytest.raises(ParameterError, match="Benders"):
        MCLP(radius=9.0, p=1, formulation="benders").solve(inst, "heuristic")
    with pytest.raises(ParameterError, match="formulation"):
        MCLP(radius=9.0, p=1, formulation="dual").solve(inst)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [1e-9, None])
def test_benders_time_limit_is_honest(limit: float | None) -> None:
    """A run stopped early (a limit no machine does anything in) is feasible with a valid
    bound, never optimal without proof; without a limit it is proven."""
    inst = uniform_instance(5, 3000, 300)
    sol = MCLP(radius=8.0, p=15, formulation="benders").solve(
        inst, "highs", SolveOptions(time_limit=limit))
    assert sol.status == (Status.FEASIBLE if limit else Status.OPTIMAL)
    assert sol.verified
    assert sol.bound is not None and sol.bound >= sol.objective - 1e-6
    assert sol.gap is not None and (sol.gap > 0 if limit else sol.gap <= 1e-6)


def test_highs_reports_improving_incumbents_and_stops_on_request() -> None:
    from siting.backends.highs import HighsBackend
    from siting.milp import MilpBuilder

    rng = np.random.default_rng(0)
    n = 40
    b = MilpBuilder()
    y = b.add_block("y", n, lower=0, upper=1, integer=True, cost=rng.uniform(1, 10, n))
    b.add_rows(sp.csr_matrix(rng.uniform(1, 10, n)[None, :]), lower=-np.inf, upper=30.0, cols=y)
    milp = b.build(sense="max")
    seen: list[np.ndarray] = []
    full = HighsBackend().solve(milp, SolveOptions(),
                                on_solution=lambda x: bool(seen.append(np.asarray(x))))
    assert full.status == Status.OPTIMAL and seen
    assert all(milp.max_violation(x) <= 1e-6 for x in seen)
    stopped = HighsBackend().solve(milp, SolveOptions(), on_solution=lambda x: True)
    assert stopped.status == Status.FEASIBLE  # stopped at its first incumbent, unproven
    assert stopped.objective is not None and stopped.objective <= full.objective + 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(5, 60), m=st.integers(3, 12),
       prove_from=st.sampled_from([-1.0, np.inf]))
def test_masters_drop_heuristics_only_close_to_the_root_bound(
    seed: int, n: int, m: int, prove_from: float
) -> None:
    # Masters without HiGHS's heuristics when the incumbent is within PROVE_FROM_GAP of
    # the root bound; the answer is the compact model's either way.
    from unittest import mock

    from siting.backends.base import Tuning
    from siting.models import benders

    inst = _instance(seed, n, m, 0)
    p = 1 + seed % (m - 1)
    tunings: list[frozenset[Tuning]] = []
    real = benders._solve_master

    def spy(backend, milp, options, master, seen, mode):  # type: ignore[no-untyped-def]
        tunings.append(options.tuning)
        return real(backend, milp, options, master, seen, mode)

    with mock.patch.object(benders, "PROVE_FROM_GAP", prove_from), \
            mock.patch.object(benders, "_solve_master", spy):
        sol = MCLP(radius=7.0, p=p, formulation="benders").solve(inst)
    compact = MCLP(radius=7.0, p=p, formulation="compact").solve(inst)
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective == pytest.approx(compact.objective, abs=1e-6)
    proving = prove_from > 0
    assert sol.stats["master_heuristics"] == ("off" if proving else "on")
    for tuning in tunings:
        assert (Tuning.NO_HEURISTICS in tuning) == proving and Tuning.NO_RESTART in tuning


@pytest.mark.parametrize("seed", [3, 17])
def test_stats_split_the_root_loop_from_the_plan_improved_after_it(seed: int) -> None:
    # root_s is the cut loop alone, improve_s the plan improved from its LP point; the plan
    # before and after are recorded and never fall.
    inst = _instance(seed, 60, 12, 0)
    sol = MCLP(radius=7.0, budget=6.0, formulation="benders").solve(inst)
    stats = sol.stats
    assert sol.verified and {"root_s", "improve_s"} <= stats.keys()
    assert float(stats["root_s"]) + float(stats["improve_s"]) <= float(stats["benders_s"])
    assert float(stats["start_plan"]) <= float(stats["improved_plan"]) <= sol.objective + 1e-9
