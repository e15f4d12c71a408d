"""Verifiers of the catalogue models reject corrupted solutions (mutation tests).

Each model is solved on a small instance, the verified solution is corrupted
in one way (a better objective claimed, a site too many, service from a
closed or out-of-reach site, a capacity overrun, a share above the gravity
share, ...) and the registered verifier must reject it, naming the fault.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from siting.instance import Instance
from siting.models import (
    CLSCP,
    CMCLP,
    Attendance,
    CPMedian,
    MarketShare,
    PDispersion,
    TargetShare,
    WeightedPCenter,
)
from siting.solution import Solution
from siting.verify import verify_solution
from tests.conftest import tiny_instance

RIVALS = pd.DataFrame({"x": [3.0, 15.0], "y": [4.0, 12.0], "attractiveness": [1.0, 2.0]})


def solved(model: Any, inst: Instance) -> Solution:
    sol = model.solve(inst)
    assert sol.verified, sol.verification
    return sol


def rejected(inst: Instance, model: Any, sol: Solution, mutate: Callable[[Solution], None],
             words: str) -> None:
    bad = copy.deepcopy(sol)
    mutate(bad)
    report = verify_solution(inst, model, bad)
    assert not report.ok, "the corrupted solution was accepted"
    assert any(words in m for m in report.messages), report.messages


def closed_site(inst: Instance, sol: Solution) -> Any:
    return next(s for s in inst.site_ids if s not in set(sol.selected))


def claim(factor: float) -> Callable[[Solution], None]:
    def mutate(sol: Solution) -> None:
        assert sol.objective is not None
        sol.objective = sol.objective * factor + (1.0 if factor > 1 else -1.0)
    return mutate


def add_site(inst: Instance) -> Callable[[Solution], None]:
    def mutate(sol: Solution) -> None:
        sol.selected = [*sol.selected, closed_site(inst, sol)]
    return mutate


def unknown_site(sol: Solution) -> None:
    sol.selected = [*sol.selected, "nowhere"]


def reassign(to: Any, row: int = 0) -> Callable[[Solution], None]:
    def mutate(sol: Solution) -> None:
        assert sol.assignment is not None
        sol.assignment.loc[sol.assignment.index[row], "site_id"] = to
    return mutate


# ------------------------------------------------------------------- p-dispersion
def test_dispersion_rejects() -> None:
    inst = tiny_instance(3, n=3, m=8)
    model = PDispersion(p=3)
    sol = solved(model, inst)
    rejected(inst, model, sol, claim(1.5), "worse")
    rejected(inst, model, sol, add_site(inst), "new sites open but p = 3")
    rejected(inst, model, sol, unknown_site, "unknown site id")

    def drop_all_but_one(s: Solution) -> None:
        s.selected = s.selected[:1]
    rejected(inst, model, sol, drop_all_but_one, "fewer than two open sites")


# ------------------------------------------------------------------ capacitated
def test_cp_median_rejects() -> None:
    inst = tiny_instance(0, n=6, m=5, existing=1, capacity=True)
    model = CPMedian(p=2, fulfil_existing=True)
    sol = solved(model, inst)
    rejected(inst, model, sol, claim(0.5), "worse")
    rejected(inst, model, sol, reassign(closed_site(inst, sol)), "closed site")

    def all_to_one(s: Solution) -> None:
        assert s.assignment is not None
        a = s.assignment.drop_duplicates("demand_id").copy()
        a["site_id"], a["fraction"] = s.selected[-1], 1.0
        s.assignment = a
    rejected(inst, model, sol, all_to_one, "above its capacity")

    def half(s: Solution) -> None:
        assert s.assignment is not None
        s.assignment.loc[s.assignment.index[0], "fraction"] *= 0.5
    rejected(inst, model, sol, half, "of its weight, not 1")

    def empty_existing(s: Solution) -> None:
        assert s.assignment is not None
        ex = inst.site_ids[inst.existing][0]
        s.assignment = s.assignment[s.assignment["site_id"] != ex]
    rejected(inst, model, sol, empty_existing, "not 1")

    def move_off_existing(s: Solution) -> None:
        assert s.assignment is not None
        ex = inst.site_ids[inst.existing][0]
        new = next(x for x in s.selected if x != ex)
        row = s.assignment.index[s.assignment["site_id"] == ex][0]
        s.assignment.loc[row, "site_id"] = new
    rejected(inst, model, sol, move_off_existing, "not its capacity")
    rejected(inst, model, sol, add_site(inst), "new sites open but p = 2")


def test_cp_median_single_source_rejects_a_split() -> None:
    inst = tiny_instance(5, n=6, m=5, capacity=True)
    model = CPMedian(p=3, single_source=True)
    sol = solved(model, inst)

    def split(s: Solution) -> None:
        assert s.assignment is not None
        a = s.assignment
        first = a.index[0]
        other = next(x for x in s.selected if x != a.loc[first, "site_id"])
        a.loc[first, "fraction"] = 0.5
        s.assignment = pd.concat([a, pd.DataFrame({"demand_id": [a.loc[first, "demand_id"]],
                                                   "site_id": [other], "fraction": [0.5]})])
    rejected(inst, model, sol, split, "single source")


def test_clscp_rejects() -> None:
    inst = tiny_instance(8, n=6, m=6, capacity=True)
    model = CLSCP(radius=9.5)
    sol = solved(model, inst)
    rejected(inst, model, sol, claim(0.5), "worse")
    d = inst.demand_frame[["x", "y"]].to_numpy(float)  # type: ignore[index]
    s = inst.site_frame[["x", "y"]].to_numpy(float)  # type: ignore[index]
    far = np.sqrt(((d[:, None] - s[None]) ** 2).sum(-1))
    assert sol.assignment is not None
    first = inst.demand_ids.tolist().index(sol.assignment["demand_id"].iloc[0])
    beyond = inst.site_ids[int(np.argmax(far[first]))]

    def serve_far(x: Solution) -> None:
        x.selected = [*x.selected, beyond] if beyond not in x.selected else x.selected
        reassign(beyond)(x)
    if far[first].max() > 9.5:
        rejected(inst, model, sol, serve_far, "beyond radius")

    def close_one(x: Solution) -> None:
        x.selected = x.selected[1:]
    rejected(inst, model, sol, close_one, "closed site")


def test_cmclp_rejects() -> None:
    inst = tiny_instance(2, n=8, m=5, capacity=True)
    model = CMCLP(radius=8.5, p=2)
    sol = solved(model, inst)
    rejected(inst, model, sol, claim(2.0), "worse")

    def twice(s: Solution) -> None:
        assert s.assignment is not None
        s.assignment = pd.concat([s.assignment, s.assignment.iloc[:1]])
    rejected(inst, model, sol, twice, "more than 1")
    rejected(inst, model, sol, add_site(inst), "new sites open but p = 2")

    def overload(s: Solution) -> None:
        site = s.selected[0]
        s.assignment = pd.DataFrame({"demand_id": inst.demand_ids, "site_id": site,
                                     "fraction": 1.0})
    rejected(inst, model, sol, overload, "capacity")


# -------------------------------------------------------------- weighted center
def test_weighted_center_rejects() -> None:
    inst = tiny_instance(4, n=7, m=6)
    model = WeightedPCenter(p=2)
    sol = solved(model, inst)
    rejected(inst, model, sol, claim(0.5), "worse")
    rejected(inst, model, sol, add_site(inst), "new sites open but p = 2")


# ------------------------------------------------------------------- attendance
def test_attendance_rejects() -> None:
    inst = tiny_instance(6, n=8, m=6)
    model = Attendance(p=2, decay="linear", cutoff=9.0)
    sol = solved(model, inst)
    rejected(inst, model, sol, claim(1.5), "worse")
    rejected(inst, model, sol, add_site(inst), "new sites open but p = 2")
    rejected(inst, model, sol, reassign(closed_site(inst, sol)), "attends closed site")

    def inflate(s: Solution) -> None:
        assert s.assignment is not None
        s.assignment.loc[s.assignment.index[0], "attendance"] += 5.0
    rejected(inst, model, sol, inflate, "claimed")


# ----------------------------------------------------------------------- market
@pytest.mark.parametrize("formulation", ["outer", "haase"])
def test_market_share_rejects(formulation: str) -> None:
    inst = tiny_instance(7, n=8, m=6)
    model = MarketShare(p=2, competitors=RIVALS, beta=1.0, scale=2.0, formulation=formulation)
    sol = solved(model, inst)
    rejected(inst, model, sol, claim(1.5), "worse")
    rejected(inst, model, sol, add_site(inst), "new sites open but p = 2")

    def greedy_share(s: Solution) -> None:
        assert s.assignment is not None
        s.assignment.loc[s.assignment.index[0], "fraction"] = 1.0
    rejected(inst, model, sol, greedy_share, "gravity share")
    rejected(inst, model, sol, reassign(closed_site(inst, sol)), "closed site")


def test_target_share_rejects_a_missed_target() -> None:
    inst = tiny_instance(7, n=8, m=6)
    model = TargetShare(share=0.5, competitors=RIVALS, beta=1.0, scale=2.0)
    sol = solved(model, inst)
    assert sol.objective is not None and sol.objective >= 1

    def drop(s: Solution) -> None:
        s.selected = s.selected[1:]
        s.assignment = None
    rejected(inst, model, sol, drop, "below the target")
    rejected(inst, model, sol, claim(0.5), "worse")
