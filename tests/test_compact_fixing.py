"""The compact MCLP after the probe: sites the root LP's reduced costs close leave the
model (``siting.models.support.fixed_by_root``, ``without_sites``), and no plan that
opens one of them beats the start; the whole path still finds the optimum."""

from __future__ import annotations

import itertools
import math
import time
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.backends.base import Result, SolveOptions, Status
from siting.heuristics.structure import CoverStructure, mclp_arrays
from siting.instance import Instance
from siting.milp import MilpArrays, relative_gap
from siting.models import MCLP, cover_choice
from siting.models import base as model_base
from siting.models.benders_root import RootLP, root_cut_loop
from siting.models.support import cover_value, fixed_by_root, without_sites


def _nodes(seed: int, n: int, side: float = 20.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(n), "x": rng.integers(0, int(side), n).astype(float),
                         "y": rng.integers(0, int(side), n).astype(float),
                         "weight": rng.integers(0, 9, n).astype(float)})


def _plans(s: CoverStructure) -> list[np.ndarray]:
    """Every plan of ``s`` within ``p`` (closed sites shut, fixed ones open)."""
    free = np.flatnonzero(s.free)
    out = []
    assert s.p is not None
    for k in range(min(s.p, free.size) + 1):
        for combo in itertools.combinations(free, k):
            mask = s.fixed_open.copy()
            mask[list(combo)] = True
            out.append(mask)
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 14), m=st.integers(2, 7),
       p=st.integers(1, 3))
def test_without_sites_keeps_every_plan_that_avoids_them(seed: int, n: int, m: int,
                                                         p: int) -> None:
    rng = np.random.default_rng(seed)
    cov = sp.csr_matrix((rng.random((n, m)) < 0.4).astype(float))
    w = rng.integers(1, 9, n).astype(float)
    fixed = rng.random(m) < 0.15
    s = CoverStructure.of(cov, w, p=p, fixed_open=fixed, closed=~fixed & (rng.random(m) < 0.2),
                          offset=3.0)
    shut = rng.random(m) < 0.4
    t = without_sites(s, shut)
    assert t.n_sites == s.n_sites and t.n_rows <= s.n_rows
    assert (t.closed == (s.closed | (shut & ~fixed))).all() and t.offset == s.offset
    assert (t.fixed_open == s.fixed_open).all()
    # no row twice, none that no open-able site covers
    assert len({tuple(r) for r in t.cov.tolil().rows}) == t.n_rows
    assert (np.diff(t.cov.indptr) > 0).all()
    for plan in _plans(t):
        assert cover_value(t, plan) == cover_value(s, plan)


def _root(seed: int, n: int, m: int, p: int,
          radius: float) -> tuple[CoverStructure, RootLP, np.ndarray, float]:
    """A small instance's structure, its Benders root LP and the probe's plan and value."""
    demand = _nodes(seed, n)
    sites = _nodes(seed + 1, m)[["id", "x", "y"]]
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id")
    model = MCLP(radius=radius, p=min(p, m))
    built = model.build(inst)
    s = built.milp.structure
    assert isinstance(s, CoverStructure)
    plan, _ = model._start(built, None)
    master = model._master(inst, built)
    root = root_cut_loop(master, plan, time.perf_counter() + 60)
    return s, root, plan, master.value(plan)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(5, 40), m=st.integers(3, 8),
       p=st.integers(1, 3), radius=st.sampled_from([3.0, 5.0, 8.0]))
def test_no_plan_opening_a_fixed_site_beats_the_start(
    seed: int, n: int, m: int, p: int, radius: float
) -> None:
    s, root, _, _ = _root(seed, n, m, p, radius)
    if not math.isfinite(root.bound):
        return
    plans = _plans(s)
    # Any plan may be the start (the probe's is often optimal: no gap to fix by).
    for start in plans[:: max(1, len(plans) // 12)]:
        best = cover_value(s, start) + s.offset
        shut = fixed_by_root(s, root, start.astype(float), best,
                             integral=True)
        assert not (shut & start).any()  # the start stays a plan
        assert not (shut & ~s.free).any()
        for other in plans:
            if (other & shut).any():
                assert cover_value(s, other) + s.offset <= best + 1e-6


def test_sites_are_fixed_on_a_case_with_a_root_gap() -> None:
    # Seed 2: the root LP bound 169, the probe's plan 163; 7 of 15 free sites fixed.
    s, root, plan, best = _root(2, 80, 20, 3, 4.0)
    assert root.bound > best
    shut = fixed_by_root(s, root, plan, best, integral=True)
    assert shut.any()
    assert not fixed_by_root(s, root, plan, -np.inf, integral=True).any()


def test_compact_after_the_probe_solves_the_smaller_model() -> None:
    nodes = _nodes(2, 80)
    sites = _nodes(3, 20)[["id", "x", "y"]]
    inst = Instance.from_frames(nodes, sites, demand_id="id", site_id="id")
    with mock.patch.object(cover_choice, "ROOT_GAP_BENDERS", -1.0):
        sol = MCLP(radius=4.0, p=3).solve(inst)
    full = MCLP(radius=4.0, p=3, formulation="compact").solve(inst)
    assert sol.stats["formulation"] == "compact"
    assert sol.stats["sites_fixed_by_reduced_cost"] > 0
    assert sol.stats["rows"] < full.stats["rows"]
    assert sol.stats["start_plan"] >= sol.stats["probe_plan"]
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective == pytest.approx(full.objective)
    assert sol.objective is not None and sol.bound is not None
    assert sol.bound >= sol.objective - 1e-6


class _StopsBeforeRoot:
    """A back end stopped before its root: the warm start and the trivial bound."""

    def __init__(self, trivial: float) -> None:
        self.trivial = trivial

    def solve(self, milp: MilpArrays, options: SolveOptions) -> Result:
        assert options.warm_start is not None
        x = np.asarray(options.warm_start, dtype=np.float64)
        value = milp.objective_of(x)
        return Result(Status.FEASIBLE, "highs", objective=value, bound=self.trivial,
                      gap=relative_gap(value, self.trivial, "max"), x=x,
                      message="time limit reached")


def test_a_compact_solve_stopped_before_its_root_keeps_the_probe_root_bound() -> None:
    # Seed 0: the root LP bound 4,033.7, the optimum 4,020, all weight 4,066. The back end
    # stops before its root, as at a short time limit, with the total weight as bound.
    rng = np.random.default_rng(0)
    demand = pd.DataFrame({"id": np.arange(400), "x": rng.uniform(0, 10, 400),
                           "y": rng.uniform(0, 10, 400)})
    demand["weight"] = rng.integers(1, 20, 400).astype(float)
    sites = pd.DataFrame({"id": np.arange(80), "x": rng.uniform(0, 10, 80),
                          "y": rng.uniform(0, 10, 80)})
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id")
    trivial = float(demand["weight"].sum())
    with mock.patch.object(model_base, "get_backend", lambda name: _StopsBeforeRoot(trivial)):
        sol = MCLP(radius=2.5, p=8).solve(inst)
    root = sol.stats["probe_root_bound"]
    assert sol.stats["formulation"] == "compact" and root is not None and root < trivial
    best = MCLP(radius=2.5, p=8, formulation="compact").solve(inst)
    assert best.status == Status.OPTIMAL and best.objective is not None
    assert sol.objective is not None and sol.bound is not None
    assert sol.objective < best.objective - 1e-6 < root  # a gap is left open
    assert sol.status == Status.FEASIBLE and sol.verified
    assert sol.bound == pytest.approx(root)
    assert sol.gap == pytest.approx(relative_gap(sol.objective, root, "max"))


def test_a_handed_bound_a_rounding_below_the_plan_is_the_plan_value() -> None:
    # A root LP bound of an integral LP can come back a few ulps below the plan.
    s = CoverStructure.of(sp.identity(2, format="csr"), np.array([4.0, 9]), p=1)
    milp = mclp_arrays(s)
    result = Result(Status.FEASIBLE, "highs", objective=242.0, bound=400.0, gap=0.65)
    model_base.tighten_bound(milp, result, 241.99999999999997, 1e-6)
    assert result.bound == 242.0 and result.gap == 0.0
    assert result.status == Status.OPTIMAL


def test_a_handed_bound_well_below_the_plan_is_not_taken() -> None:
    # Below the plan by more than an LP's tolerance it is no bound: kept out, not masked.
    s = CoverStructure.of(sp.identity(2, format="csr"), np.array([4.0, 9]), p=1)
    milp = mclp_arrays(s)
    result = Result(Status.FEASIBLE, "highs", objective=242.0, bound=400.0, gap=0.65)
    model_base.tighten_bound(milp, result, 241.9, 1e-6)
    assert result.bound == 400.0 and result.status == Status.FEASIBLE
