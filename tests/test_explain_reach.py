"""Whether a target can be reached, decided cheaply (:func:`siting.multi.explain.reach`).

The LP and sub-MIPs around its point decide a reachable target; the MIP decides
one out of reach. Checked against brute force on random small MILPs, and on the
small multi-service instance of ``test_infeasibility``: a target reachable alone
never goes to the full MIP, and the unreachable one is worded as before.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.backends.base import SolveOptions, get_backend
from siting.milp import MilpArrays
from siting.multi import MultiServiceProblem
from siting.multi.explain import explain_infeasible, reach
from tests.test_infeasibility import CASES, OPTS, K, kindergarten, service_data, spec


def _brute_force(milp: MilpArrays) -> float:
    """The best objective of a pure 0-1 ``milp`` (max) over every point, -inf if none."""
    best = -np.inf
    for bits in itertools.product((0.0, 1.0), repeat=milp.num_cols):
        x = np.array(bits)
        act = milp.A @ x
        if np.all(act <= milp.row_upper + 1e-9) and np.all(act >= milp.row_lower - 1e-9):
            best = max(best, float(milp.c @ x))
    return best


#: A spec whose one target (a coverage share of 99 %) is out of reach, and its reason.
CASES_OUT_OF_REACH = CASES["coverage target too high"]


@st.composite
def knapsacks(draw: Any) -> tuple[MilpArrays, float]:
    """A 0-1 maximisation with one or two knapsack rows and maybe a cover row (at least
    one column), and a level to reach."""
    n = draw(st.integers(2, 8))
    rows = draw(st.integers(1, 2))
    weights = np.array(draw(st.lists(st.integers(1, 9), min_size=n * rows,
                                     max_size=n * rows)), float).reshape(rows, n)
    caps = np.array([draw(st.integers(1, int(w.sum()))) for w in weights], float)
    lower = np.full(rows, -np.inf)
    if draw(st.booleans()):  # at least one column open: may leave no plan at all
        weights = np.vstack([weights, np.ones(n)])
        caps, lower = np.append(caps, np.inf), np.append(lower, 1.0)
    c = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), float)
    milp = MilpArrays(c=c, A=sp.csr_matrix(weights), row_lower=lower, row_upper=caps,
                      col_lower=np.zeros(n), col_upper=np.ones(n),
                      integrality=np.ones(n, dtype=bool), sense="max")
    return milp, float(draw(st.integers(0, int(c.sum()) + 2)))


@settings(max_examples=60, deadline=None)
@given(knapsacks())
def test_reach_agrees_with_brute_force(case: tuple[MilpArrays, float]) -> None:
    """A plan at or above the level when one exists (with a bound at least its value),
    else a bound at or above the true optimum and below the level."""
    milp, required = case
    best = _brute_force(milp)
    res = reach(milp, required, "highs", SolveOptions(time_limit=20))
    if best == -np.inf:
        assert not res.status.has_solution
        return
    assert res.status.has_solution
    top = res.bound if res.bound is not None else res.objective
    assert top is not None and top >= best - 1e-6  # a valid bound
    if best >= required - 1e-6:
        assert top >= required - 1e-6
        if res.objective is not None and res.objective >= required - 1e-6:
            assert res.x is not None
            x = np.round(res.x)
            assert np.all(milp.A @ x <= milp.row_upper + 1e-6)
            assert float(milp.c @ x) >= required - 1e-6
    else:
        assert top < required - 1e-6


def test_a_reachable_target_is_not_sent_to_the_full_mip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two coverage targets, one reachable alone (10 %) and one not (99 %): the first
    is left at its LP (which reaches it), the second is decided by the MIP, and only
    the second is named, with the words it had before."""
    backend = get_backend("highs")
    full_mips: list[MilpArrays] = []
    any_mips: list[MilpArrays] = []
    solve = type(backend).solve
    spaces: list[np.ndarray] = []

    def spy(self: Any, milp: MilpArrays, options: Any, **kw: Any) -> Any:
        if milp.integrality.any():
            any_mips.append(milp)
            if any(np.array_equal(milp.col_upper, u) for u in spaces):
                full_mips.append(milp)
        return solve(self, milp, options, **kw)

    monkeypatch.setattr(type(backend), "solve", spy)
    targets = [{"kind": "coverage", "facility": K, "share": 0.10, "name": "kg 10%"},
               {"kind": "coverage", "facility": K, "share": 0.99, "name": "kg 99%"}]
    prob = MultiServiceProblem(spec(facility={K: kindergarten(count={"total": 1})},
                                    target=targets), service_data())
    from siting.multi.rows import build

    spaces.append(build(prob, drop=frozenset({0, 1}), objective=0)[0].col_upper)
    reasons = explain_infeasible(prob, "highs", OPTS)
    text = " | ".join(reasons)
    assert re.search(r"kg 99% cannot be reached: at most \d+\.\d% with every allowed parcel",
                     text), text
    assert "kg 10%" not in text
    # Only the target out of reach went to the full model's MIP.
    assert len(full_mips) == 1
    assert np.array_equal(full_mips[0].c, build(prob, drop=frozenset({0, 1}), objective=1)[0].c)
    # The 99 % target's LP falls short: the 10 % target, whose LP reaches, is not
    # searched at all (no sub-MIP around its LP either).
    assert len(any_mips) == 1


def test_a_target_beyond_its_lp_ends_the_solve_before_the_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The heuristic finds no plan for a spec with a target whose LP falls short even
    alone: the solve is infeasible with the same reason, and the full model's MIP
    never runs."""
    from test_infeasibility import CASES

    from siting.multi import MultiService
    from siting.multi.rows import build

    extra, patterns = CASES["coverage target too high"]
    full = build(MultiServiceProblem(spec(**extra), service_data()))[0]
    backend = get_backend("highs")
    searched: list[MilpArrays] = []
    solve = type(backend).solve

    def spy(self: Any, milp: MilpArrays, options: Any, **kw: Any) -> Any:
        if (milp.integrality.any() and milp.num_cols == full.num_cols
                and milp.num_rows == full.num_rows and np.array_equal(milp.c, full.c)):
            searched.append(milp)
        return solve(self, milp, options, **kw)

    monkeypatch.setattr(type(backend), "solve", spy)
    sol = MultiService(spec(**extra)).solve(service_data(), options=OPTS)
    assert sol.status.value == "infeasible"
    assert re.search(patterns[0], " | ".join(sol.explanation)), sol.explanation
    assert sol.message == "; ".join(sol.explanation)
    assert searched == []


def test_a_mip_stopped_without_a_bound_keeps_the_lps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The MIP that would give a target's figure stops with neither a plan nor a bound
    (its time limit before its root): the target is still named, with its LP's bound,
    which is at least the true figure."""
    from siting.backends.base import Result, Status

    backend = get_backend("highs")
    solve = type(backend).solve

    def stopped(self: Any, milp: MilpArrays, options: Any, **kw: Any) -> Any:
        if milp.integrality.any():
            return Result(Status.NO_SOLUTION, "highs", message="time limit reached")
        return solve(self, milp, options, **kw)

    extra, patterns = CASES_OUT_OF_REACH
    prob = MultiServiceProblem(spec(**extra), service_data())
    honest = explain_infeasible(prob, "highs", OPTS)
    monkeypatch.setattr(type(backend), "solve", stopped)
    reasons = explain_infeasible(prob, "highs", OPTS)
    assert len(reasons) == 1 and re.search(patterns[0], reasons[0]), reasons
    figure = float(re.findall(r"at most (\d+\.\d)%", reasons[0])[0])
    assert figure >= float(re.findall(r"at most (\d+\.\d)%", honest[0])[0])
