"""The full model's LP may use the whole time limit (the search after the heuristic would
begin by solving that LP again, from no basis); a search with no time left is not
started, and the plan is returned with what is known of its bound, never as optimal."""

from __future__ import annotations

import time
from typing import Any

import pytest

import siting.multi.pipeline as pipeline_module
from siting.backends.base import SolveOptions, Status
from siting.backends.highs import HighsBackend
from siting.multi import MultiService, MultiServiceProblem
from siting.multi.heuristic import PoolHeuristic
from siting.multi.pipeline import tuned
from siting.multi.rows import build
from tests.test_multi_speed import city


def test_the_bound_lp_may_run_past_the_heuristics_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its time limit runs to ``bound_deadline``; the other solves stop at ``deadline``."""
    sp_, data = city(0)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    limits: list[float | None] = []
    real = HighsBackend.warm_lp

    def spying(self: HighsBackend, lp: Any, held: Any, options: SolveOptions) -> Any:
        limits.append(options.time_limit)
        return real(self, lp, held, options)

    monkeypatch.setattr(HighsBackend, "warm_lp", spying)
    heuristic = PoolHeuristic(prob, milp, lay, "highs", tuned(SolveOptions(mip_gap=1e-3)))
    now = time.perf_counter()
    heuristic.deadline, heuristic.bound_deadline = now + 1000.0, now + 5000.0
    heuristic.first()
    assert limits and all(limit is not None and limit > 2000.0 for limit in limits)
    assert heuristic.best is not None and heuristic.bound is not None


def _searches_of_the_full_model(monkeypatch: pytest.MonkeyPatch, problem: MultiServiceProblem,
                                 ) -> list[float | None]:
    """The time limits of the searches of ``problem``'s full model from the plan (solves
    of that model with a start), as the run makes them."""
    columns = build(problem)[0].num_cols
    limits: list[float | None] = []
    real_solve = HighsBackend.solve

    def counting(self: HighsBackend, lp: Any, options: SolveOptions) -> Any:
        if lp.num_cols == columns and options.warm_start is not None:
            limits.append(options.time_limit)
        return real_solve(self, lp, options)

    monkeypatch.setattr(HighsBackend, "solve", counting)
    return limits


def test_no_search_when_the_bound_lp_took_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The heuristic's plan comes back feasible, with no bound, verified, and the full
    model's search is never run."""
    sp_, data = city(0)
    real_first_bound = PoolHeuristic.first_bound

    def late_and_unproven(self: PoolHeuristic, beside: Any) -> None:
        real_first_bound(self, beside)
        self.proven = False  # as if the LP had not proven the plan in time
        self.bound = None
        self.deadline = time.perf_counter() - 1.0  # it ran past the heuristic's deadline

    searches = _searches_of_the_full_model(monkeypatch, MultiServiceProblem(sp_, data))
    monkeypatch.setattr(PoolHeuristic, "first_bound", late_and_unproven)
    monkeypatch.setattr(pipeline_module, "_left", lambda t0, limit, floor=0.2: floor * limit)
    sol = MultiService(sp_).solve(data, options=SolveOptions(time_limit=1000.0, mip_gap=1e-3))
    assert searches == []
    assert sol.status == Status.FEASIBLE and sol.verified
    assert sol.bound is None or sol.gap is None or sol.gap > 0.0
    assert sol.objective > 0


def test_a_search_with_time_left_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the heuristic's deadline the search keeps at least a fifth of the limit."""
    sp_, data = city(0)
    real_first_bound = PoolHeuristic.first_bound

    def unproven(self: PoolHeuristic, beside: Any) -> None:
        real_first_bound(self, beside)
        self.proven = False

    limits = _searches_of_the_full_model(monkeypatch, MultiServiceProblem(sp_, data))
    monkeypatch.setattr(PoolHeuristic, "first_bound", unproven)
    sol = MultiService(sp_).solve(data, options=SolveOptions(time_limit=1000.0, mip_gap=1e-3))
    assert len(limits) == 1 and limits[0] is not None and limits[0] >= 200.0
    assert sol.status == Status.OPTIMAL and sol.verified
