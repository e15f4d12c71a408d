"""The work after the search (decode, verify, tables, reasons) done on the heuristic's
first plan while the full model's bound LP still runs beside it: kept only when that
plan is the one the bound proves, and then the same as done after."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import siting.multi.reasons as reasons_module
from siting.backends.base import Result, SolveOptions, Status
from siting.multi import MultiService
from siting.multi.heuristic import PoolHeuristic
from siting.multi.pipeline import Ahead, decode, with_incumbent
from tests.test_multi_speed import city

#: A shell without job control starts background jobs with SIGINT ignored.
needs_ctrl_c = pytest.mark.skipif(
    signal.getsignal(signal.SIGINT) is signal.SIG_IGN,
    reason="SIGINT is ignored in this process (a background job)")


def held_bound(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Make the bound LP wait until the first plan's work ahead is done (so that it is
    always still running when the plan is found); the work done ahead, then each
    heuristic and each work ahead adopted, as they come."""
    gate = threading.Event()
    made: list[Any] = []
    bound_lp, first_bound = PoolHeuristic._bound_lp, PoolHeuristic.first_bound
    ahead = MultiService._ahead

    def slow_bound(self: PoolHeuristic, pool: Any) -> Any:
        gate.wait(timeout=120)
        return bound_lp(self, pool)

    def open_gate(self: PoolHeuristic, beside: Any) -> None:
        gate.set()  # the plan's work is done (or there was none): the bound may run
        first_bound(self, beside)

    def spy(self: MultiService, *args: Any, **kwargs: Any) -> Ahead:
        made.append(ahead(self, *args, **kwargs))
        return made[-1]

    run, adopt = PoolHeuristic.run, Ahead.adopt_checks

    def ran(self: PoolHeuristic, *args: Any) -> None:
        run(self, *args)
        made.append(self)

    def adopted(self: Ahead, *args: Any) -> None:
        made.append("adopted")
        adopt(self, *args)

    monkeypatch.setattr(PoolHeuristic, "run", ran)
    monkeypatch.setattr(Ahead, "adopt_checks", adopted)
    monkeypatch.setattr(PoolHeuristic, "_bound_lp", slow_bound)
    monkeypatch.setattr(PoolHeuristic, "first_bound", open_gate)
    monkeypatch.setattr(MultiService, "_ahead", spy)
    return made


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "timing.json"}


@pytest.mark.parametrize(("seed", "gap"), [(0, 1e-3), (0, 0.05), (1, 0.05), (2, 0.05),
                                         (3, 1e-3)])
def test_work_ahead_gives_the_folder_of_the_work_after(
    seed: int, gap: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every output file but timing.json is the one written when nothing is done
    ahead, whether the plan worked on ahead is the one proven (its work kept) or not."""
    sp_, data = city(seed)
    sp_.solver.mip_gap = gap
    run = PoolHeuristic.run
    with monkeypatch.context() as m:  # nothing done ahead: the work after, as before
        m.setattr(PoolHeuristic, "run", lambda self, while_bounding=None: run(self))
        alone = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=gap))
    made = held_bound(monkeypatch)
    ahead = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=gap))
    assert isinstance(made[0], Ahead)  # the plan was found while the bound LP ran
    heuristic = made[1]
    assert isinstance(heuristic, PoolHeuristic)
    assert (made[2:] == ["adopted"]) == heuristic.proven
    assert ahead.status == alone.status == Status.OPTIMAL and ahead.verified
    alone.write(tmp_path / "alone", data)
    ahead.write(tmp_path / "ahead", data)
    assert files(tmp_path / "ahead") == files(tmp_path / "alone")
    assert ahead.reasons == alone.reasons


@pytest.mark.parametrize("seed", [0, 1])
def test_reasons_ahead_take_the_second_core_when_the_bound_lp_ends(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound LP is held until the reasons worked on ahead begin, and they wait for
    it to end: then two types are re-planned at a time (a re-solve runs in the second
    lane), and every output file but timing.json is still the one written when nothing
    is done ahead."""
    sp_, data = city(seed)
    sp_.solver.mip_gap = 1e-3
    # a tighter budget leaves two types low (two re-plans: one for each lane)
    sp_.budget.per_year = {year: 9.0 for year in sp_.budget.per_year}
    run = PoolHeuristic.run
    with monkeypatch.context() as m:
        m.setattr(PoolHeuristic, "run", lambda self, while_bounding=None: run(self))
        alone = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=1e-3))
    gate = threading.Event()
    bound_lp, real_reasons, real_type = (PoolHeuristic._bound_lp, reasons_module.plan_reasons,
                                         reasons_module.type_reason)
    lanes: list[str] = []

    def held(self: PoolHeuristic, pool: Any) -> Any:
        assert gate.wait(timeout=120)
        return bound_lp(self, pool)

    def reasons_after_the_bound(*args: Any, widen: Any = None, **kwargs: Any) -> Any:
        if widen is not None:  # worked on ahead: the bound LP may run now, and ends
            gate.set()
            assert widen.wait(timeout=120)
        return real_reasons(*args, widen=widen, **kwargs)

    second = threading.Event()

    def type_lane(*args: Any, **kwargs: Any) -> Any:
        name = threading.current_thread().name
        lanes.append(name)
        if name == "siting-widen":
            second.set()
        elif gate.is_set() and len(lanes) == 1:  # the first type waits for the second lane
            assert second.wait(timeout=120)
        return real_type(*args, **kwargs)

    monkeypatch.setattr(PoolHeuristic, "_bound_lp", held)
    monkeypatch.setattr(reasons_module, "plan_reasons", reasons_after_the_bound)
    monkeypatch.setattr(reasons_module, "type_reason", type_lane)
    ahead = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=1e-3))
    assert gate.is_set() and "siting-widen" in lanes
    assert ahead.status == alone.status == Status.OPTIMAL and ahead.verified
    alone.write(tmp_path / "alone", data)
    ahead.write(tmp_path / "ahead", data)
    assert files(tmp_path / "ahead") == files(tmp_path / "alone")
    assert ahead.reasons == alone.reasons


def test_a_plan_worked_on_ahead_is_still_checked_against_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The verdict made ahead (no bound known) is finished against the bound: a bound
    below the recomputed objective fails the plan."""
    sp_, data = city(0)
    sp_.solver.mip_gap = 0.05
    made = held_bound(monkeypatch)
    model = MultiService(sp_)
    sol = model.solve(data, options=SolveOptions(mip_gap=0.05))
    assert sol.verified and made[2:] == ["adopted"]
    early = made[0]
    from siting.multi.problem import MultiServiceProblem
    from siting.multi.rows import build

    prob = MultiServiceProblem(sp_, data)
    lay = build(prob)[1]
    objective = float(early.sol.stats["solver_objective"])
    stopped = Result(Status.NO_SOLUTION, "highs")
    low = with_incumbent(stopped, _incumbent(early.x, objective), objective - 10.0, 1e-3)
    wrong = decode(prob, lay, low)
    early.adopt_checks(model, wrong)
    assert wrong.verified is False
    assert any("beats the solver's bound" in m for m in wrong.verification)


def test_reasons_made_ahead_hold_only_within_the_specs_gap() -> None:
    """Reasons read the plan's gap only to say it is above the spec's: made ahead (no
    gap known), they are kept only when the final gap is not above it."""
    early = Ahead(np.zeros(1), None, None, 0.0, 1e-3)  # type: ignore[arg-type]

    class Plan:
        gap: float | None = None

    plan = Plan()
    assert early.reasons_hold(plan)
    plan.gap = 1e-3
    assert early.reasons_hold(plan)
    plan.gap = 2e-3
    assert not early.reasons_hold(plan)


def _incumbent(x: np.ndarray, objective: float) -> Any:
    from siting.multi.heuristic import Incumbent

    return Incumbent(x, objective, "pool rens", 0.0)


@needs_ctrl_c
def test_ctrl_c_in_the_work_ahead_gives_the_plan_with_an_honest_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C while the first plan is worked on ahead (the bound LP still running beside
    it): the bound LP stops, the plan comes back verified, never called optimal."""
    sp_, data = city(0)
    sp_.solver.mip_gap = 1e-3
    made = held_bound(monkeypatch)
    ahead = MultiService._ahead
    main = threading.main_thread().ident
    assert main is not None

    def interrupted(self: MultiService, *args: Any, **kwargs: Any) -> Ahead:
        signal.pthread_kill(main, signal.SIGINT)  # as a terminal delivers Ctrl-C
        return ahead(self, *args, **kwargs)

    monkeypatch.setattr(MultiService, "_ahead", interrupted)
    sol = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=1e-3))
    heuristic = next(m for m in made if isinstance(m, PoolHeuristic))
    assert heuristic.interrupted and not heuristic.proven
    assert "adopted" not in made  # nothing made ahead was kept
    assert sol.status == Status.FEASIBLE, sol.message
    assert sol.message == "interrupted"
    assert sol.verified is True
    assert sol.objective is not None and sol.objective > 0
    assert sol.gap is None and sol.bound is None  # the bound LP was stopped: no gap claimed


def _stopped_once(monkeypatch: pytest.MonkeyPatch, module: Any, *, answered: bool) -> list[str]:
    """Make the first solve ``module`` asks of its back end come back as a solve that
    caught Ctrl-C does: marked interrupted, with its answer (``answered``) or none;
    every solve, as made ("stopped", then "after")."""
    solves: list[str] = []
    real = module.get_backend

    class Stopped:
        def __init__(self, name: str) -> None:
            self.backend = real(name)

        def solve(self, milp: Any, options: SolveOptions) -> Result:
            if solves:
                solves.append("after")
                return self.backend.solve(milp, options)
            solves.append("stopped")
            if not answered:
                return Result(Status.NO_SOLUTION, "highs", message="interrupted",
                              extra={"interrupted": True})
            res = self.backend.solve(milp, options)
            res.extra["interrupted"] = True
            return res

    monkeypatch.setattr(module, "get_backend", Stopped)
    return solves


def test_ctrl_c_caught_by_a_re_solve_ahead_stops_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C that a re-solve of the reasons (worked on ahead) caught and turned into
    its answer stops the run: no re-solve after it, the bound LP stopped, the plan kept,
    the reasons said not sought."""
    from siting.multi.pipeline import NOT_SOUGHT

    sp_, data = city(0)
    sp_.solver.mip_gap = 1e-3
    made = held_bound(monkeypatch)
    solves = _stopped_once(monkeypatch, reasons_module, answered=True)
    sol = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=1e-3))
    heuristic = next(m for m in made if isinstance(m, PoolHeuristic))
    assert heuristic.interrupted and not any(isinstance(m, Ahead) for m in made)
    assert solves == ["stopped"]  # nothing solved after the Ctrl-C
    assert sol.status == Status.FEASIBLE and sol.message == "interrupted" and sol.verified
    assert sol.reasons[0] == {"kind": "type", "text": NOT_SOUGHT}
    assert all(r["kind"] == "target" for r in sol.reasons[1:])
    assert sol.stats["reasons"].startswith("not sought")


def test_ctrl_c_in_the_reasons_after_the_search_keeps_the_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing done ahead: a Ctrl-C caught by a re-solve of the reasons stops them, and
    the plan comes back as found (proven here), verified, its reasons said not sought."""
    from siting.multi.pipeline import NOT_SOUGHT

    sp_, data = city(0)
    sp_.solver.mip_gap = 0.05
    run = PoolHeuristic.run
    monkeypatch.setattr(PoolHeuristic, "run", lambda self, while_bounding=None: run(self))
    solves = _stopped_once(monkeypatch, reasons_module, answered=True)
    sol = MultiService(sp_).solve(data, options=SolveOptions(mip_gap=0.05, threads=1))
    assert solves == ["stopped"]
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.reasons[0] == {"kind": "type", "text": NOT_SOUGHT}


def test_ctrl_c_caught_by_a_relaxation_starts_no_other_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C the first relaxation's LP caught (no plan yet) ends the heuristic there:
    no second try of that relaxation without its targets, no other solve."""
    import siting.multi.heuristic as heuristic_module

    sp_, data = city(0)
    solves = _stopped_once(monkeypatch, heuristic_module, answered=False)
    with pytest.raises(KeyboardInterrupt):  # no plan to keep: the caller hears Ctrl-C
        MultiService(sp_).solve(data, options=SolveOptions(threads=1))
    assert solves == ["stopped"]
