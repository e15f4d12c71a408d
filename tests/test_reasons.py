"""What binds a plan (siting.multi.reasons) on the small hand-made case."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from siting.backends.base import SolveOptions
from siting.errors import InputError
from siting.multi import MultiService
from siting.multi.problem import MultiServiceProblem
from siting.multi.reasons import MIN_GAIN, low_types, plan_reasons
from siting.multi.spec import parse_spec
from tests.helpers import small_data, small_spec


def solve(raw: dict[str, Any], **kwargs: Any) -> Any:
    spec = parse_spec(raw)
    data = small_data()
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1), **kwargs)
    assert sol.status.has_solution and sol.verified
    return spec, data, sol


def reasons_of(raw: dict[str, Any], name: str) -> dict[str, Any]:
    spec, data, sol = solve(raw, reasons=False)
    prob = MultiServiceProblem(spec, data)
    (row,) = plan_reasons(prob, sol, "highs", SolveOptions(threads=1), [name])
    return row


def test_a_quota_that_binds_is_named_with_what_lifting_it_gives() -> None:
    raw = small_spec()
    raw["budget"] = {"total": 1e9}
    raw["facility"]["service_room"]["max_count"] = {"total": 1}
    row = reasons_of(raw, "service_room")
    assert row["binds"][0] == "quota" and "budget" not in row["binds"]
    assert row["relaxed"]["quota"] >= row["share"] + MIN_GAIN
    assert "the quota (at most 1 (total); the plan builds all 1)" in row["text"]
    assert "Not binding: the budget" in row["text"]


def test_the_quota_is_said_with_the_plans_own_count() -> None:
    """A plan that builds 9 of the 10 kindergartens its quota allows is not 'bound by the
    quota (at most 10)' without saying so: the text gives the plan's count beside the quota."""
    from siting.multi.reasons import reason_text

    raw = small_spec()
    raw["facility"]["service_room"]["max_count"] = {"total": 10}
    spec = parse_spec(raw)
    row = {
        "type": "service_room", "label": "service room", "group": "pop_total",
        "radius_m": 350.0, "year": 2027, "share": 0.5, "baseline": 0.1, "reachable_now": None,
        "ceiling": 1.0, "relaxed": {"quota": 0.6, "budget": 0.5}, "binds": ["quota"],
        "together": [], "built": 9, "existing": 0, "budget_left": None,
        "budget_left_by_year": {},
    }
    text = reason_text(row, spec)
    assert "at most 10 (total); the plan builds 9 of the 10 it allows" in text
    assert "9 new" in text
    row["built"] = 10
    assert "the plan builds all 10)" in reason_text(row, spec)
    # max_total counts the existing facilities: 12 in all with 3 standing leaves 9 new
    raw["facility"]["service_room"].update(max_count={}, max_total=12)
    row.update(built=9, existing=3)
    assert "the plan builds all 9)" in reason_text(row, parse_spec(raw))


def test_a_budget_that_binds_is_named() -> None:
    raw = small_spec()
    raw["budget"] = {"total": 5_000_000}  # stations for the target, little left for rooms
    raw["facility"]["service_room"]["max_count"] = {"total": 10}
    row = reasons_of(raw, "service_room")
    assert "budget" in row["binds"] and "quota" not in row["binds"]
    assert row["budget_left"] <= 1_000_000 + 1
    assert "the budget:" in row["text"] and "without a budget limit" in row["text"]


def test_residents_out_of_reach_of_every_allowed_parcel() -> None:
    """A 100 m radius: most blocks have no allowed parcel so close, whatever is built."""
    raw = small_spec()
    raw["budget"] = {"total": 1e9}
    raw["facility"]["service_room"].update(radius_m=100, max_count={"total": 8})
    row = reasons_of(raw, "service_room")
    assert row["binds"] == ["reach"]
    assert row["ceiling"] < 0.5 and abs(row["share"] - row["ceiling"]) < 1e-9
    assert "have no allowed parcel or existing facility within 100 m" in row["text"]


def test_solve_gives_the_reasons_of_low_types_in_its_summary() -> None:
    raw = small_spec()
    raw["facility"]["service_room"].update(radius_m=150, max_count={"total": 1})
    spec, _, sol = solve(raw)
    low = low_types(sol)
    types = [r for r in sol.reasons if r["kind"] == "type"]
    assert [r["type"] for r in types] == low and "service_room" in low
    summary = json.loads(sol.to_json())
    assert summary["reasons"][0]["text"] == sol.reasons[0]["text"]
    assert summary["reasons"][0]["binds"]
    # then one line per plan target: enforced and tight, met with room, or not met
    targets = [r for r in sol.reasons if r["kind"] == "target"]
    assert [r["target"] for r in targets] == ["elderly within 450 m", "service rooms"]
    assert {r["state"] for r in targets} <= {"binding", "met", "not met"}
    assert targets[1]["state"] == "met" and "reported, not enforced" in targets[1]["text"]
    # the limits are put back after each re-solve: the spec is left as it was
    assert spec.facility["service_room"].max_count == {"total": 1}


@pytest.mark.parametrize("margin", [0.0, 1.0])
def test_low_types_margin(margin: float) -> None:
    _, _, sol = solve(small_spec(), reasons=False)
    low = low_types(copy.deepcopy(sol), margin)
    assert low == ([] if margin == 0.0 else ["service_room", "elderly_station"])


# ------------------------------------------------------------ no parcel, nothing built


def test_a_type_no_parcel_allows_is_not_blamed_on_distance() -> None:
    raw = small_spec()
    raw["facility"]["kindergarten"] = {"group": "pop_total", "radius_m": 300,
                                       "footprint_m2": 600, "build_cost": 1_000_000}
    _, _, sol = solve(raw)
    (row,) = [r for r in sol.reasons if r.get("type") == "kindergarten"]
    assert row["binds"] == ["parcels"] and row["relaxed"] == {}
    assert row["text"].endswith("Binding: the parcels: no parcel lists its use 'kindergarten'.")
    assert "reach" not in row["text"]
    assert not any(r["kind"] == "plan" for r in sol.reasons)  # the plan builds others


def nothing_built_line(**changes: Any) -> str:
    """The first reason of the small case without targets, changed as asked."""
    raw = small_spec()
    raw["target"] = []
    del raw["facility"]["elderly_station"]["capacity"]
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if section == "budget":
            raw["budget"] = value
        else:
            raw["facility"][section][field] = value
    _, _, sol = solve(raw, findings=[])  # past the data checks, as a caller that made its own
    assert len(sol.facilities) == 0
    first = sol.reasons[0]
    assert first["kind"] == "plan"
    return str(first["text"])


def test_an_empty_plan_says_why_in_one_line() -> None:
    assert nothing_built_line(budget={"total": 0}) == \
        "no new facility: the budget (0万元) allows none"
    assert nothing_built_line(budget={"total": 500_000}) == (
        "no new facility: the budget (50万元) is below the cheapest new facility "
        "(service_room, 100万元)")
    assert nothing_built_line(service_room__max_count={"total": 0},
                              elderly_station__max_count={"total": 0}) == \
        "no new facility: the quotas (count, max_count, max_total) allow none"
    assert nothing_built_line(service_room__use="room", elderly_station__use="care") == (
        "no new facility: no parcel allows service_room or elderly_station (uses seen: "
        "elderly_station (8), service_room (8))")
    # solved as they come, such data are refused before any work, with the fix
    raw = small_spec()
    raw["facility"]["service_room"]["use"] = "room"
    raw["facility"]["elderly_station"]["use"] = "care"
    with pytest.raises(InputError, match=r"nothing can be built.*Fix: give each type"):
        MultiService(parse_spec(raw)).solve(small_data())
    assert nothing_built_line(service_room__use="room", elderly_station__radius_m=5000) == (
        "no new facility: every type already reaches all of its group with existing facilities")


def test_a_plan_that_builds_has_no_such_line() -> None:
    _, _, sol = solve(small_spec())
    assert len(sol.facilities) and all(r["kind"] != "plan" for r in sol.reasons)


def test_types_re_planned_two_at_a_time_give_the_rows_of_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without ``threads`` the types' re-solves run two types at a time, in threads of
    their own; the rows are those of the sequential order, in order."""
    import threading

    import siting.multi.reasons as reasons

    raw = small_spec()
    raw["facility"]["service_room"].update(radius_m=150, max_count={"total": 1})
    spec, data, sol = solve(raw, reasons=False)
    prob = MultiServiceProblem(spec, data)
    names = list(prob.types)
    assert len(names) >= 2
    seen: list[str] = []
    type_reason = reasons.type_reason

    def spy(*args: Any) -> dict[str, Any]:
        seen.append(threading.current_thread().name)
        return type_reason(*args)

    monkeypatch.setattr(reasons, "type_reason", spy)
    alone = plan_reasons(prob, sol, "highs", SolveOptions(threads=1), names)
    assert set(seen) == {threading.current_thread().name}
    seen.clear()
    together = plan_reasons(prob, sol, "highs", SolveOptions(), names)
    assert len(seen) == len(names) and threading.current_thread().name not in seen
    assert together == alone


def test_the_re_solves_run_without_probing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each one-type re-solve asks for no probing in presolve (on the 2026-2030 plan
    probing took most of each middle-school re-solve and changed no share)."""
    from siting.backends.base import Tuning, get_backend

    raw = small_spec()
    raw["facility"]["service_room"]["max_count"] = {"total": 1}
    spec, data, sol = solve(raw, reasons=False)
    prob = MultiServiceProblem(spec, data)
    backend = type(get_backend("highs"))
    asked: list[frozenset[Tuning]] = []
    solve_ = backend.solve

    def spy(self: Any, milp: Any, opts: SolveOptions) -> Any:
        asked.append(opts.tuning)
        return solve_(self, milp, opts)

    monkeypatch.setattr(backend, "solve", spy)
    plan_reasons(prob, sol, "highs", SolveOptions(threads=1), ["service_room"])
    assert asked and all(Tuning.NO_PROBING in t for t in asked)


@pytest.mark.parametrize("quota", [
    {"count": {"2026": 1, "2027": 1}},
    {"count": {"total": 2}},
    {"min_count": {"total": 1}, "max_count": {"total": 3}},
    {"min_count": {"2026": 1}, "max_count": {"2026": 2}, "count": {"2027": 1}},
    {"max_count": {"total": 3}},
    {"min_count": {"2026": 1}, "max_count": {"2026": 2, "total": 3}},
    {"count": {"total": 2}, "max_total": 5},
])
def test_quota_ceilings_lifted_by_row_bounds_are_the_model_built_without_them(
    quota: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When every quota row keeps a floor, the one-type model with its ceilings lifted is
    the model as it stands with those rows unbounded above (identical arrays to a build
    without the ceilings), and it is not built again; a ceiling alone (or ``max_total``)
    is no row once lifted: that model is built."""
    import numpy as np

    import siting.multi.reasons as reasons
    from siting.multi.rows import build

    raw = small_spec()
    room = raw["facility"]["service_room"]
    room.pop("max_count")
    room.update(quota)
    spec, data, sol = solve(raw, reasons=False)
    prob = MultiServiceProblem(spec, data)
    one = MultiServiceProblem(reasons.one_type_spec(prob, sol, "service_room"), data, reuse=prob)
    td = one.types["service_room"]
    builds: list[int] = []

    def counted(problem: Any, *args: Any, **kwargs: Any) -> Any:
        builds.append(1)
        return build(problem, *args, **kwargs)

    monkeypatch.setattr(reasons, "build", counted)
    built: dict[tuple[bool, bool], Any] = {}
    reasons._build_lifted(one, td, True, built)
    f = td.spec
    f.min_count, f.count, f.max_count, f.max_total = {**f.min_count, **f.count}, {}, {}, None
    want = build(one)[0]
    got = built[True, False]
    floors = set(quota.get("count", {})) | set(quota.get("min_count", {}))
    by_bounds = "max_total" not in quota and set(quota.get("max_count", {})) <= floors
    assert len(builds) == (1 if by_bounds else 2)
    assert got.A.shape == want.A.shape and (got.A != want.A).nnz == 0
    for part in ("c", "row_lower", "row_upper", "col_lower", "col_upper", "integrality"):
        assert np.array_equal(getattr(got, part), getattr(want, part)), part
    assert got.row_blocks == want.row_blocks and got.col_blocks == want.col_blocks


@pytest.mark.parametrize("widen", [False, True])
def test_types_re_planned_in_two_lanes_are_handed_out_largest_first(
    widen: bool, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two lanes (beside the bound LP once it ends, or two at a time) take the types with
    the largest one-type model first, so that a small one is left running alone at the
    end; the rows are those of the sequential order, in the order asked."""
    import threading

    import siting.multi.reasons as reasons

    raw = small_spec()
    raw["facility"]["service_room"].update(radius_m=150, max_count={"total": 1})
    spec, data, sol = solve(raw, reasons=False)
    prob = MultiServiceProblem(spec, data)
    size = {n: td.n_cand + td.family.size for n, td in prob.types.items()}
    names = sorted(prob.types, key=lambda n: size[n])
    assert size[names[0]] < size[names[-1]]  # the case the test is about
    alone = plan_reasons(prob, sol, "highs", SolveOptions(threads=1), names)
    seen: list[str] = []
    type_reason = reasons.type_reason

    def spy(prob: Any, sol: Any, name: str, *args: Any) -> dict[str, Any]:
        seen.append(name)
        return type_reason(prob, sol, name, *args)

    monkeypatch.setattr(reasons, "type_reason", spy)
    gate = threading.Event()
    gate.set()
    rows = plan_reasons(prob, sol, "highs", SolveOptions(), names,
                        widen=gate if widen else None)
    assert seen[0] == names[-1] and sorted(seen) == sorted(names)
    assert rows == alone


def test_the_plans_shares_are_summed_once_for_all_types(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every type's row reads the plan's shares: they are summed once per call, not per row."""
    from siting.multi import reasons

    raw = small_spec()
    spec, data, sol = solve(raw, reasons=False)
    prob = MultiServiceProblem(spec, data)
    names = list(prob.types)
    assert len(names) >= 2
    expected = plan_reasons(prob, sol, "highs", SolveOptions(threads=1), names)
    summed: list[int] = []
    plan_shares = reasons.plan_shares

    def counted(of: Any) -> dict[str, float]:
        summed.append(1)
        return plan_shares(of)

    monkeypatch.setattr(reasons, "plan_shares", counted)
    assert plan_reasons(prob, sol, "highs", SolveOptions(threads=1), names) == expected
    assert len(summed) == 1
    summed.clear()
    plan_reasons(prob, sol, "highs", SolveOptions(threads=1))
    assert len(summed) == 1
