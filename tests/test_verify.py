"""The verifier rejects corrupted solutions and accepts honest ones."""

from __future__ import annotations

import copy

import pytest

from siting.models import CFLP, LSCP, MCLP, PMedian
from siting.verify import verify_solution
from tests.conftest import tiny_instance


def test_dropping_a_site_breaks_pmedian() -> None:
    inst = tiny_instance(1)
    model = PMedian(p=3)
    sol = model.solve(inst)
    assert sol.verified
    bad = copy.deepcopy(sol)
    bad.selected = bad.selected[1:]
    rep = verify_solution(inst, model, bad)
    assert not rep.ok
    assert any("closed site" in m or "p =" in m for m in rep.messages)


def test_flipping_an_assignment_is_caught() -> None:
    inst = tiny_instance(2)
    model = PMedian(p=2)
    sol = model.solve(inst)
    bad = copy.deepcopy(sol)
    a = bad.assignment
    open_sites = list(a["site_id"].unique())
    closed = next(s for s in inst.site_ids if s not in open_sites)
    a.loc[a.index[0], "site_id"] = closed
    rep = verify_solution(inst, model, bad)
    assert not rep.ok and any("closed site" in m for m in rep.messages)


def test_wrong_objective_and_false_coverage_are_caught() -> None:
    inst = tiny_instance(3)
    model = MCLP(radius=5, p=2)
    sol = model.solve(inst)
    bad = copy.deepcopy(sol)
    bad.objective = sol.objective + 1
    assert not verify_solution(inst, model, bad).ok
    bad = copy.deepcopy(sol)
    bad.coverage.loc[:, "covered"] = 1
    if (sol.coverage["covered"] == 0).any():
        assert not verify_solution(inst, model, bad).ok


def test_too_many_sites_and_uncovered_demand() -> None:
    inst = tiny_instance(4)
    model = MCLP(radius=5, p=1)
    sol = model.solve(inst)
    bad = copy.deepcopy(sol)
    bad.selected = list(inst.site_ids[:3])
    assert any("p = 1" in m for m in verify_solution(inst, model, bad).messages)
    lscp = LSCP(radius=30)
    sol = lscp.solve(inst)
    bad = copy.deepcopy(sol)
    bad.selected = []
    assert not verify_solution(inst, lscp, bad).ok


def test_capacity_overload_is_caught() -> None:
    inst = tiny_instance(6, n=8, m=5, capacity=True)
    model = CFLP()
    sol = model.solve(inst)
    bad = copy.deepcopy(sol)
    site = bad.assignment["site_id"].iloc[0]
    bad.assignment.loc[:, "site_id"] = site
    agg = bad.assignment.groupby(["demand_id", "site_id"], as_index=False)["fraction"].sum()
    bad.assignment = agg
    rep = verify_solution(inst, model, bad)
    assert not rep.ok


@pytest.mark.parametrize("seed", range(5))
def test_honest_solutions_verify(seed: int) -> None:
    inst = tiny_instance(seed)
    for model in (MCLP(radius=6, p=2), PMedian(p=2), LSCP(radius=40)):
        assert model.solve(inst).verified
