"""Conflicting targets are explained two at a time (:mod:`siting.multi.explain`).

When every target is reachable alone, each is maximised with the others kept,
and those searches are independent: unless the caller sets ``threads`` they run
in two lanes, with the reasons in the targets' order and the same as one at a
time. A Ctrl-C in one lane stops the other's solve. A target that every plan meets
(its LP minimum reaches it: checked against brute force) is not searched.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

import siting.multi.explain as explain
from siting.backends.base import Result, SolveOptions, Status
from siting.milp import MilpArrays
from siting.multi import MultiServiceProblem
from siting.multi.data import ServiceData
from tests.test_explain_reach import _brute_force, knapsacks
from tests.test_infeasibility import OPTS, PARK, PARKING, K, kindergarten, service_data, spec

#: Long enough never to end a test that works, short enough to end one that hangs.
WAIT_S = 60.0

#: One kindergarten or the park fits the budget, not both: each target is reachable
#: alone, and neither with the other met.
CONFLICT = {
    "facility": {K: kindergarten(count={}, max_count={"total": 1}), "park": PARK},
    "budget": {"total": 1.05e7},
    "target": [{"kind": "coverage", "facility": K, "share": 0.3, "name": "kg 30%"},
               {"kind": "coverage", "facility": "park", "share": 0.25, "name": "park 25%"}],
}


@pytest.fixture(scope="module")
def prob() -> MultiServiceProblem:
    data: ServiceData = service_data()
    return MultiServiceProblem(spec(**CONFLICT), data)


def test_conflicting_targets_are_named_the_same_in_two_lanes_and_in_one(
    prob: MultiServiceProblem,
) -> None:
    both = explain.explain_infeasible(prob, "highs", replace(OPTS, threads=None))
    one = explain.explain_infeasible(prob, "highs", replace(OPTS, threads=1))
    assert both == one
    assert [r.split(" cannot")[0] for r in both] == ["kg 30%", "park 25%"]
    assert all("while the other targets are met" in r for r in both), both
    # a solver's -1e-12 is worded as 0.0 %, never -0.0 %
    assert not any("-0.0%" in r for r in both), both


def _short_of_it(required: float) -> Result:
    return Result(Status.FEASIBLE, "fake", objective=0.0, bound=required / 2)


def _reached(required: float) -> Result:
    return Result(Status.FEASIBLE, "fake", objective=required, bound=required)


def test_two_targets_are_decided_at_once_unless_threads_are_set(
    prob: MultiServiceProblem, monkeypatch: pytest.MonkeyPatch,
) -> None:
    together = threading.Barrier(2, timeout=WAIT_S)  # both searches in flight at once
    lanes: list[str] = []

    def both_at_once(milp: Any, required: float, backend: str, opts: SolveOptions,
                     **kw: Any) -> Result:
        if kw.get("lp") is not None:  # the alone phase: reachable
            return _reached(required)
        lanes.append(threading.current_thread().name)
        together.wait()  # raises BrokenBarrierError when the other never comes
        return _short_of_it(required)

    monkeypatch.setattr(explain, "reach", both_at_once)
    reasons = explain.explain_infeasible(prob, "highs", replace(OPTS, threads=None))
    assert len(reasons) == 2 and len(set(lanes)) == 2, (reasons, lanes)
    assert all("while the other targets are met" in r for r in reasons), reasons

    lanes.clear()

    def one_at_a_time(milp: Any, required: float, backend: str, opts: SolveOptions,
                      **kw: Any) -> Result:
        lanes.append(threading.current_thread().name)
        return _reached(required) if kw.get("lp") is not None else _short_of_it(required)

    monkeypatch.setattr(explain, "reach", one_at_a_time)
    assert explain.explain_infeasible(prob, "highs", replace(OPTS, threads=1)) == reasons
    assert set(lanes) == {threading.current_thread().name}


def test_ctrl_c_in_one_lane_stops_the_other(
    prob: MultiServiceProblem, monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = threading.Barrier(2, timeout=WAIT_S)
    heard: dict[str, bool] = {}

    def interrupted_or_waiting(milp: Any, required: float, backend: str, opts: SolveOptions,
                               **kw: Any) -> Result:
        if kw.get("lp") is not None:  # the alone phase: reachable
            return _reached(required)
        started.wait()
        if threading.current_thread() is threading.main_thread():
            # the solve heard Ctrl-C (run_interruptible caught it and returned its best)
            return Result(Status.FEASIBLE, "fake", objective=0.0, bound=required / 2,
                          extra={"interrupted": True})
        assert opts.cancel is not None
        # a solve's own stop (its reach decided) reads as set once the whole is stopped
        heard["own stop"] = explain.decided_at(required, opts).cancel.is_set() \
            if opts.cancel.wait(WAIT_S) else False
        return _short_of_it(required)

    monkeypatch.setattr(explain, "reach", interrupted_or_waiting)
    explain.explain_infeasible(prob, "highs", replace(OPTS, threads=None))
    assert heard == {"own stop": True}


@settings(max_examples=150, deadline=None)
@given(knapsacks())
def test_met_by_every_plan_agrees_with_brute_force(case: tuple[MilpArrays, float]) -> None:
    milp, required = case
    least = -_brute_force(replace(milp, c=-milp.c))  # the least measure of any plan
    met = explain.met_by_every_plan(milp, required, "highs", SolveOptions())
    if met:  # never wrong: every plan reaches it, or there is none
        assert least >= required - 1e-6 or least == np.inf
    elif least == np.inf:  # no plan at all: its LP can still have a point
        pass


def test_a_target_every_plan_meets_is_not_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The conflicting pair and a count target the quotas imply: the pair is named, and
    no search maximises the count target with the others kept."""
    implied = {**CONFLICT, "facility": {
        **CONFLICT["facility"], "parking": {**PARKING, "count": {"total": 1}, "max_count": {}}}}
    implied["budget"] = {"total": 1.05e7 + 2e4}
    implied["target"] = [*CONFLICT["target"],
                         {"kind": "count", "facility": "parking", "at_least": 1,
                          "name": "one car park"}]
    prob = MultiServiceProblem(spec(**implied), service_data())
    searched: list[float] = []
    real = explain.reach

    def listed(milp: Any, required: float, *args: Any, **kw: Any) -> Result:
        if kw.get("lp") is None:  # the searches with the other targets kept
            searched.append(required)
        return real(milp, required, *args, **kw)

    monkeypatch.setattr(explain, "reach", listed)
    reasons = explain.explain_infeasible(prob, "highs", replace(OPTS, threads=1))
    assert [r.split(" cannot")[0] for r in reasons] == ["kg 30%", "park 25%"], reasons
    count = prob.target_required(2)
    assert count == 1 and len(searched) == 2 and count not in searched, searched


def test_each_targets_lp_alone_two_at_a_time_and_the_same(
    prob: MultiServiceProblem, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """:func:`siting.multi.explain.alone_lps`: the same LPs two at a time as one at a
    time, two in flight at once unless threads are set."""
    one = explain.alone_lps(prob, "highs", replace(OPTS, threads=1))
    both = explain.alone_lps(prob, "highs", replace(OPTS, threads=None))
    assert sorted(one) == sorted(both) == [0, 1]
    assert all(one[k][1].objective == both[k][1].objective for k in one)
    together = threading.Barrier(2, timeout=WAIT_S)
    real = explain._lp
    lanes: list[str] = []

    def both_at_once(milp: MilpArrays, backend: str, opts: SolveOptions) -> Result:
        lanes.append(threading.current_thread().name)
        together.wait()  # raises BrokenBarrierError when the other never comes
        return real(milp, backend, opts)

    monkeypatch.setattr(explain, "_lp", both_at_once)
    assert sorted(explain.alone_lps(prob, "highs", replace(OPTS, threads=None))) == [0, 1]
    assert len(set(lanes)) == 2, lanes


def test_ctrl_c_in_one_targets_lp_stops_the_other(
    prob: MultiServiceProblem, monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = threading.Barrier(2, timeout=WAIT_S)
    heard: list[bool] = []

    def interrupted_or_waiting(milp: MilpArrays, backend: str, opts: SolveOptions) -> Result:
        started.wait()
        if threading.current_thread() is threading.main_thread():
            return Result(Status.NO_SOLUTION, "fake", extra={"interrupted": True})
        assert opts.cancel is not None
        heard.append(opts.cancel.wait(WAIT_S))
        return Result(Status.NO_SOLUTION, "fake")

    monkeypatch.setattr(explain, "_lp", interrupted_or_waiting)
    with pytest.raises(KeyboardInterrupt):
        explain.alone_lps(prob, "highs", replace(OPTS, threads=None))
    assert heard == [True]
