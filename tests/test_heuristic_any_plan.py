"""A first plan when no rounding of the LP has one (:mod:`siting.multi.feasible`): any
plan of the restricted problem, then RINS around it.

Checked against brute force on random small MILPs (a plan exists exactly when one is
returned, and it is one), on a small city whose roundings are made to find nothing (the
heuristic still hands over a verified plan, and the step does not run when a rounding
has one), on the same city where no pool has a plan (the full model's step finds one,
the same side by side and in order), and, in the slow suite, on 回天 2026-2030 with the
service circle enforced at 93 % (at most 94.2 %), where only this step finds a plan
before the full model's search, and on 回天 2018-2020 with both circle targets enforced,
where no pool has a plan and the full model's search found none in 60 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import siting.multi.heuristic as heuristic_module
from siting.backends.base import Result, SolveOptions, Status, Tuning, get_backend
from siting.milp import MilpArrays
from siting.multi import MultiService, MultiServiceProblem
from siting.multi.feasible import feasible_plan
from siting.multi.heuristic import PoolHeuristic, Restricted
from siting.multi.pipeline import tuned
from siting.multi.rows import build
from tests.test_explain_reach import _brute_force
from tests.test_multi_speed import city

ROOT = Path(__file__).resolve().parent.parent


def _feasible(milp: MilpArrays, x: np.ndarray) -> bool:
    act = milp.A @ x
    whole = np.all(np.abs(x[milp.integrality] - np.round(x[milp.integrality])) <= 1e-6)
    return bool(whole and np.all(act <= milp.row_upper + 1e-6)
                and np.all(act >= milp.row_lower - 1e-6)
                and np.all(x >= milp.col_lower - 1e-9) and np.all(x <= milp.col_upper + 1e-9))


@st.composite
def cases(draw: Any) -> tuple[MilpArrays, np.ndarray]:
    """A 0-1 maximisation with knapsack rows and rows asking for at least some weight
    (often no plan near any LP point, sometimes none at all), and a point in [0, 1]."""
    n = draw(st.integers(2, 8))
    rows = draw(st.integers(1, 3))
    weights = np.array(draw(st.lists(st.integers(0, 9), min_size=n * rows,
                                     max_size=n * rows)), float).reshape(rows, n)
    lower = np.full(rows, -np.inf)
    upper = np.full(rows, np.inf)
    for k, w in enumerate(weights):
        level = float(draw(st.integers(0, int(w.sum()) + 1)))
        if draw(st.booleans()):
            upper[k] = level
        else:
            lower[k] = level
    c = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), float)
    point = np.array(draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=n,
                                   max_size=n)))
    milp = MilpArrays(c=c, A=sp.csr_matrix(weights), row_lower=lower, row_upper=upper,
                      col_lower=np.zeros(n), col_upper=np.ones(n),
                      integrality=np.ones(n, dtype=bool), sense="max")
    return milp, point


@settings(max_examples=80, deadline=None)
@given(cases())
def test_a_plan_exactly_when_one_exists(case: tuple[MilpArrays, np.ndarray]) -> None:
    milp, point = case
    best = _brute_force(milp)
    x, info = feasible_plan(milp, point, get_backend("highs").solve, SolveOptions())
    if best == -np.inf:  # proven so, with no time limit
        assert x is None and info["any"] is False and info["infeasible"] is True
        return
    assert x is not None and _feasible(milp, x) and "infeasible" not in info
    assert info["step"] in ("any plan", "rins")
    assert float(milp.c @ x) <= best + 1e-6


def _no_rounding_completes() -> tuple[MilpArrays, np.ndarray]:
    """2 a + 2 b + 3 c = 5 in 0-1, and an LP point no rounding completes."""
    return MilpArrays(
        c=np.ones(3), A=sp.csr_matrix([[2.0, 2.0, 3.0]]), row_lower=np.array([5.0]),
        row_upper=np.array([5.0]), col_lower=np.zeros(3), col_upper=np.ones(3),
        integrality=np.ones(3, dtype=bool), sense="max"), np.array([1.0, 0.5, 0.3])


def test_no_rins_after_ctrl_c() -> None:
    """A Ctrl-C in the first solve: its plan as it is, and no second solve."""
    milp, point = _no_rounding_completes()
    solves: list[SolveOptions] = []

    def stopped(lp: MilpArrays, opts: SolveOptions) -> Result:
        solves.append(opts)
        return Result(Status.FEASIBLE, "highs", objective=0.0, x=np.array([1.0, 0.0, 1.0]),
                      extra={"interrupted": True})

    x, info = feasible_plan(milp, point, stopped, SolveOptions())
    assert len(solves) == 1 and info["step"] == "any plan" and x is not None


def test_probing_in_the_any_plan_solve_only_when_asked() -> None:
    """Asked for, the solve for any plan has presolve's probing whatever the caller's
    tuning; RINS keeps the caller's options, as both do when it is not asked for."""
    milp, point = _no_rounding_completes()
    solves: list[SolveOptions] = []

    def recorded(lp: MilpArrays, opts: SolveOptions) -> Result:
        solves.append(opts)
        return get_backend("highs").solve(lp, opts)

    both = {Tuning.NO_HEURISTICS, Tuning.NO_PROBING}
    x, info = feasible_plan(milp, point, recorded, tuned(SolveOptions()), probing=True)
    assert x is not None and info["step"] == "rins" and len(solves) == 2
    assert solves[0].tuning == {Tuning.NO_HEURISTICS} and solves[1].tuning == both
    solves.clear()
    feasible_plan(milp, point, recorded, tuned(SolveOptions()))
    assert [opts.tuning for opts in solves] == [both, both]


def _no_rounding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every rounding of the heuristic finds nothing; the any-plan steps taken are listed."""
    taken: list[str] = []
    real = heuristic_module.feasible_plan

    def listed(*args: Any, **kwargs: Any) -> Any:
        x, info = real(*args, **kwargs)
        taken.append(info.get("step", "none"))
        return x, info

    monkeypatch.setattr(PoolHeuristic, "_round", lambda self, r, step: False)
    monkeypatch.setattr(heuristic_module, "feasible_plan", listed)
    return taken


def test_a_plan_when_no_rounding_has_one(monkeypatch: pytest.MonkeyPatch) -> None:
    sp_, data = city(0)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    taken = _no_rounding(monkeypatch)
    heuristic = PoolHeuristic(prob, milp, lay, "highs", tuned(SolveOptions(mip_gap=1e-3)))
    heuristic.run()
    assert taken and taken[-1] in ("any plan", "rins")
    assert heuristic.best is not None and heuristic.best.source.endswith(taken[-1])
    assert milp.max_violation(heuristic.best.x) <= 1e-6
    # the whole run from that plan: verified
    sol = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=1e-3))
    assert sol.status.has_solution and sol.verified, sol.verification
    assert sol.stats["start"]["source"].endswith(("any plan", "rins"))


def test_a_plan_of_the_full_model_when_no_pool_has_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No rounding and no pool's problem has a plan: the full model's any-plan step
    hands one over, from the bound LP's point, the same side by side and in order; the
    run from it is verified."""
    sp_, data = city(0)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    taken = _no_rounding(monkeypatch)
    real = PoolHeuristic._any_plan
    sought: list[tuple[str, bool]] = []

    def full_only(self: PoolHeuristic, r: Restricted, *, probing: bool = False) -> None:
        sought.append((r.label, probing))
        if r.label == "full model":
            real(self, r, probing=probing)

    monkeypatch.setattr(PoolHeuristic, "_any_plan", full_only)
    plans = []
    for threads in (None, 1):
        heuristic = PoolHeuristic(prob, milp, lay, "highs",
                                  tuned(SolveOptions(mip_gap=1e-3, threads=threads)))
        heuristic.run()
        assert sought[-1] == ("full model", True) and taken[-1] in ("any plan", "rins")
        assert heuristic.best is not None
        assert heuristic.best.source == f"full model {taken[-1]}"
        assert milp.max_violation(heuristic.best.x) <= 1e-6
        assert heuristic.bound is not None and heuristic.best.objective <= heuristic.bound
        plans.append(heuristic.best.x)
    assert np.array_equal(plans[0], plans[1])
    sol = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=1e-3))
    assert sol.status.has_solution and sol.verified, sol.verification
    assert sol.stats["start"]["source"].startswith("full model")


def test_no_plan_proven_by_the_full_model_ends_the_run_infeasible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the full model's any-plan solve proves there is no plan (its spaces relaxed:
    a relaxation), the run is infeasible without the search; an unproven miss leaves
    the search to run."""
    sp_, data = city(0)
    monkeypatch.setattr(PoolHeuristic, "_round", lambda self, r, step: False)
    real = PoolHeuristic._any_plan

    def full_only(self: PoolHeuristic, r: Restricted, *, probing: bool = False) -> None:
        if r.label == "full model":
            real(self, r, probing=probing)

    monkeypatch.setattr(PoolHeuristic, "_any_plan", full_only)
    for proven in (True, False):
        info = {"any": False, **({"infeasible": True} if proven else {})}
        monkeypatch.setattr(heuristic_module, "feasible_plan",
                            lambda *args, info=info, **kwargs: (None, dict(info)))
        notes: dict[str, str] = {}

        def heard(stage: str, done: bool, note: str, notes: dict[str, str] = notes) -> None:
            if done:
                notes[stage] = note

        sol = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=1e-3),
                                      explain=False, on_stage=heard)
        if proven:
            assert sol.status == Status.INFEASIBLE
            assert notes["search"].startswith("not run, the heuristic proved")
        else:  # the search finds the city's plan
            assert sol.status.has_solution and sol.verified
            assert not notes["search"].startswith("not run")


def test_not_sought_when_a_rounding_has_a_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    sp_, data = city(0)
    calls: list[Any] = []

    def counted(*args: Any, **kwargs: Any) -> tuple[None, dict[str, Any]]:
        calls.append(args)
        return None, {}

    monkeypatch.setattr(heuristic_module, "feasible_plan", counted)
    sol = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=1e-3))
    assert sol.status.has_solution and not calls


@pytest.mark.slow
def test_huitian_circle_enforced_near_its_reach() -> None:
    """回天 2026-2030, the service circle enforced at 93 % (94.2 % at most): RENS and the
    support of both pools have no plan; the full model's search found its first after
    more than a minute. The plan now comes from the heuristic, verified, target met."""
    from siting.data import load_service_data
    from siting.multi import load_spec

    spec = load_spec(ROOT / "models" / "huitian-2026-2030.toml")
    circle = next(k for k, t in enumerate(spec.target) if t.kind == "service_circle")
    targets = list(spec.target)
    targets[circle] = targets[circle].model_copy(update={"share": 0.93, "mode": "constraint"})
    spec = spec.model_copy(update={"target": targets})
    sol = MultiService(spec).solve(load_service_data(spec))
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE) and sol.verified, sol.verification
    assert sol.stats["start"]["source"] in ("wider pool rins", "wider pool any plan")
    enforced = sol.targets[sol.targets["mode"] == "constraint"]
    assert enforced["met"].all(), enforced


@pytest.mark.slow
def test_huitian_circles_enforced_with_no_plan_in_any_pool() -> None:
    """回天 2018-2020 with the service circle enforced at 80 % in 2019 and 90 % in 2020
    (at most 86.3 % and 90.4 %): no pool's problem has a plan and the full model's
    search found none in the spec's 60 s. The full model's any-plan step finds one."""
    from siting.data import load_service_data
    from siting.multi import load_spec

    spec = load_spec(ROOT / "models" / "huitian-2018-2020.toml")
    targets = []
    for target in spec.target:
        if target.kind == "service_circle" and target.year in (2019, 2020):
            share = 0.80 if target.year == 2019 else 0.90
            target = target.model_copy(update={"share": share, "mode": "constraint"})
        targets.append(target)
    spec = spec.model_copy(update={"target": targets})
    sol = MultiService(spec).solve(load_service_data(spec))
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE) and sol.verified, sol.verification
    assert sol.stats["start"]["source"].startswith("full model")
    enforced = sol.targets[sol.targets["mode"] == "constraint"]
    assert len(enforced) >= 3 and enforced["met"].all(), enforced


def test_the_bound_lp_is_held_to_the_wider_pool_when_the_first_has_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Side by side, the bound LP starts held to the first pool; when that LP has no
    solution and the wider pool's problem has an LP, it is solved again held to the
    wider pool (as it is in order), and its point leads the full model's any-plan step:
    the same bound and plan either way."""
    sp_, data = city(0)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    assert prob.T > 2  # a wider pool is built when the first has no plan
    _no_rounding(monkeypatch)
    real_any, real_bound = PoolHeuristic._any_plan, PoolHeuristic._bound_lp
    held: list[int] = []

    def full_only(self: PoolHeuristic, r: Restricted, *, probing: bool = False) -> None:
        if r.label == "full model":
            real_any(self, r, probing=probing)

    def first_pool_has_none(self: PoolHeuristic, pool: dict[str, Any]) -> Any:
        held.append(sum(len(v) for v in pool.values()))
        if len(held) == 1 and self._side_by_side():  # the first pool's held LP
            return Result(Status.NO_SOLUTION, "highs", message="no solution"), 0.0
        return real_bound(self, pool)

    monkeypatch.setattr(PoolHeuristic, "_any_plan", full_only)
    monkeypatch.setattr(PoolHeuristic, "_bound_lp", first_pool_has_none)
    runs = []
    for threads in (None, 1):
        held.clear()
        heuristic = PoolHeuristic(prob, milp, lay, "highs",
                                  tuned(SolveOptions(mip_gap=1e-3, threads=threads)))
        heuristic.run()
        assert heuristic.stats["bound"]["status"] == str(Status.OPTIMAL), heuristic.stats
        assert heuristic.best is not None and heuristic.best.source.startswith("full model")
        runs.append((held[-1], heuristic.bound, heuristic.best.x))
    (wider, bound, plan), (wider_1, bound_1, plan_1) = runs
    assert wider == wider_1 and bound == bound_1 and np.array_equal(plan, plan_1)
