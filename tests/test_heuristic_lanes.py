"""The pool heuristic's two lanes: the final year's relaxation (the longest one-year
solve, which the bound LP waits for) is built before the second lane starts."""

from __future__ import annotations

from typing import Any

import pytest

import siting.multi.heuristic as heuristic_module
from siting.backends.base import SolveOptions
from siting.multi import MultiServiceProblem
from siting.multi.heuristic import PoolHeuristic
from siting.multi.pipeline import tuned
from siting.multi.rows import build
from tests.test_multi_speed import city


def test_the_final_years_lp_is_built_before_the_second_lane_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building is Python: two builds at once take turns on the interpreter's lock, so
    the final year's LP is built alone and the first year's in the second lane while
    the final year's solve runs."""
    sp_, data = city(0)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    started: list[Any] = []  # the work handed to a second lane, in order
    lanes_before: dict[int, int] = {}  # year of a one-year LP -> lanes started before its build
    beside, real_build = PoolHeuristic._beside, heuristic_module.build

    def counting(self: PoolHeuristic, work: Any, *args: Any) -> Any:
        started.append(work)
        return beside(self, work, *args)

    def spying(problem: MultiServiceProblem, **kwargs: Any) -> Any:
        if problem.T == 1:
            lanes_before.setdefault(problem.years[0], len(started))
        return real_build(problem, **kwargs)

    monkeypatch.setattr(PoolHeuristic, "_beside", counting)
    monkeypatch.setattr(heuristic_module, "build", spying)
    heuristic = PoolHeuristic(prob, milp, lay, "highs", tuned(SolveOptions(mip_gap=1e-3)))
    heuristic.first()
    assert prob.T > 1 and heuristic.best is not None
    assert lanes_before == {prob.years[-1]: 0, prob.years[0]: 1}
