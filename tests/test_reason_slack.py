"""A limit proven slack (siting.multi.reason_slack) is not re-solved: the reasons are
those of the re-solves, on hand-made cases where each limit binds or not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import siting.multi.reasons as reasons
from siting.backends.base import SolveOptions
from siting.multi import MultiService
from siting.multi.problem import MultiServiceProblem
from siting.multi.reason_slack import slack_limits
from siting.multi.reasons import land_used, one_type_spec, plan_reasons
from siting.multi.rows import build
from siting.multi.spec import parse_spec
from tests.helpers import small_data, small_spec


def case(footprint: float = 200, per_parcel: int = 1, total: float | None = 6e6,
         per_year: dict[str, float] | None = None,
         quota: dict[str, Any] | None = None, others: bool = False) -> dict[str, Any]:
    """The small case with the service room's limits set, no target, and the elderly
    stations (2,000,000 each, 400 m²) only with ``others``."""
    raw = small_spec()
    if not others:
        del raw["facility"]["elderly_station"]
    room = raw["facility"]["service_room"]
    room.update(footprint_m2=footprint, max_per_parcel=per_parcel, radius_m=250)
    room.pop("max_count")
    room.update(quota or {})
    raw["budget"] = {"total": total, "per_year": per_year or {}}
    raw["target"] = []
    return raw


def rows_and_slack(raw: dict[str, Any], *, skip: bool = True) -> tuple[dict[str, Any],
                                                                       frozenset[str], int]:
    """The service room's reason row, the limits proven slack, and the re-solves run
    (every limit re-solved when not ``skip``)."""
    spec, data = parse_spec(raw), small_data()
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1), reasons=False)
    if not sol.status.has_solution:  # e.g. a count the budget cannot pay for
        return {}, frozenset(), 0
    prob = MultiServiceProblem(spec, data)
    found: list[frozenset[str]] = []
    solves = [0]
    lifted = reasons._solve_lifted

    def proven(*args: Any) -> frozenset[str]:
        found.append(slack_limits(*args))
        return found[-1] if skip else frozenset()

    def counted(*args: Any, **kwargs: Any) -> Any:
        solves[0] += 1
        return lifted(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reasons, "slack_limits", proven)
        mp.setattr(reasons, "_solve_lifted", counted)
        (row,) = plan_reasons(prob, sol, "highs", SolveOptions(threads=1), ["service_room"])
    return row, (found[0] if found else frozenset()), solves[0]


def same_rows(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["relaxed"] == pytest.approx(b["relaxed"], rel=1e-9, abs=1e-12)
    assert {k: v for k, v in a.items() if k != "relaxed"} == {
        k: v for k, v in b.items() if k != "relaxed"}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    footprint=st.sampled_from([200.0, 900.0, 1300.0]),
    per_parcel=st.integers(1, 2),
    total=st.sampled_from([None, 1e6, 2.5e6, 4e6, 8e6, 3e7]),
    first_year=st.sampled_from([None, 0.0, 1e6, 3e6]),
    quota=st.sampled_from([{}, {"max_count": {"total": 1}}, {"max_count": {"total": 3}},
                           {"count": {"2026": 1}}, {"max_count": {"2027": 2}},
                           {"max_total": 2}, {"max_count": {"total": 20}}]),
    others=st.booleans(),
)
@example(footprint=1300.0, per_parcel=1, total=3e7, first_year=None, quota={}, others=True)
@example(footprint=200.0, per_parcel=1, total=2.5e6, first_year=None,
         quota={"max_count": {"total": 3}}, others=False)
def test_skipped_re_solves_give_the_reasons_of_every_re_solve(
    footprint: float, per_parcel: int, total: float | None, first_year: float | None,
    quota: dict[str, Any], others: bool,
) -> None:
    """Whatever the budget, quotas and land: the row with the slack limits skipped is
    the row with every limit re-solved, and each skipped limit's re-solve is the
    model's own best (so a wrong proof, claiming a binding limit slack, fails here)."""
    per_year = {} if first_year is None else {"2026": first_year}
    if total is None and first_year is None:
        total = 8e6
    raw = case(footprint, per_parcel, total, per_year, quota, others)
    try:
        parse_spec(raw)
    except Exception:  # a combination the spec refuses (e.g. count over max_total)
        return
    every, slack, _ = rows_and_slack(raw, skip=False)
    if not every:
        return
    skipped, slack_again, _ = rows_and_slack(raw)
    assert slack == slack_again
    same_rows(skipped, every)
    for k in slack:
        assert every["relaxed"][k] == pytest.approx(every["reachable_now"], rel=1e-9)


def test_a_budget_that_pays_for_every_facility_the_quota_allows_is_not_re_solved() -> None:
    """Three rooms at 1,000,000 each: a budget of 3,000,000 cannot bind, 2,999,999 can."""
    quota = {"max_count": {"total": 3}}
    row, slack, solves = rows_and_slack(case(total=3e6, quota=quota))
    every, _, all_solves = rows_and_slack(case(total=3e6, quota=quota), skip=False)
    assert "budget" in slack and solves == all_solves - len(slack)
    same_rows(row, every)
    _, tight, _ = rows_and_slack(case(total=3e6 - 1, quota=quota))
    assert "budget" not in tight


def test_a_quota_the_budget_cannot_reach_is_not_re_solved() -> None:
    """A budget of 2,500,000 buys two rooms: a ceiling of 2 cannot bind, one of 1 can;
    a yearly budget of 1,000,000 in 2026 caps that year's count at 1 as well."""
    _, slack, _ = rows_and_slack(case(total=2.5e6, quota={"max_count": {"total": 2}}))
    assert "quota" in slack
    row, tight, _ = rows_and_slack(case(total=2.5e6, quota={"max_count": {"total": 1}}))
    assert "quota" not in tight and "quota" in row["binds"]
    _, yearly, _ = rows_and_slack(case(total=None, per_year={"2026": 1e6, "2027": 0.0},
                                       quota={"max_count": {"2026": 1}}))
    assert "quota" in yearly


def test_land_that_holds_every_facility_is_not_re_solved() -> None:
    """Parcels of 1,600 m² always hold two rooms of 200 m² beside the plan's elderly
    stations (400 m²); two of 700 m² fit only where the plan builds no station, and one
    of 1,300 m² neither, which holds the rooms back."""
    _, slack, _ = rows_and_slack(case(footprint=200, per_parcel=2, total=3e7, others=True))
    assert "land" in slack
    _, tight, _ = rows_and_slack(case(footprint=700, per_parcel=2, total=3e7, others=True))
    assert "land" not in tight
    row, binds, _ = rows_and_slack(case(footprint=1300, total=3e7, others=True))
    every, _, _ = rows_and_slack(case(footprint=1300, total=3e7, others=True), skip=False)
    assert "land" not in binds and "land" in row["binds"]
    same_rows(row, every)


def test_no_proof_when_the_model_as_it_stands_is_not_solved_to_optimality(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A limit proven slack takes the model's own best only when that best is proven:
    a re-solve stopped early says nothing of the lifted model's best."""
    from siting.backends.base import Status

    raw = case(total=3e6, quota={"max_count": {"total": 3}})
    spec, data = parse_spec(raw), small_data()
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1), reasons=False)
    prob = MultiServiceProblem(spec, data)
    one = MultiServiceProblem(one_type_spec(prob, sol, "service_room"), data, reuse=prob)
    td = one.types["service_room"]
    used = land_used(prob, sol.facilities, "service_room")
    assert "budget" in slack_limits(one, td, build(one)[0], one.area[td.cand] - used[td.cand])
    backend = type(reasons.get_backend("highs"))
    solve = backend.solve

    def stopped(self: Any, milp: Any, opts: SolveOptions) -> Any:
        res = solve(self, milp, opts)
        res.status = Status.FEASIBLE  # as a re-solve stopped by its time limit
        return res

    asked: list[Any] = []

    def proof(*args: Any) -> frozenset[str]:
        asked.append(args)
        return frozenset()

    monkeypatch.setattr(backend, "solve", stopped)
    monkeypatch.setattr(reasons, "slack_limits", proof)
    plan_reasons(prob, sol, "highs", SolveOptions(threads=1), ["service_room"])
    assert not asked


@pytest.mark.parametrize("name", ["service_room", "elderly_station"])
def test_every_parcel_free_is_the_model_built_with_every_parcel_free(name: str) -> None:
    """The phasing lifted by column bounds gives the arrays a build with every parcel free
    from the first year gives (P3 is free only from 2027), quotas lifted or not."""
    import numpy as np

    from siting.multi.reasons import _build_lifted, every_parcel_free

    raw = case(total=3e7, per_parcel=2, quota={"max_count": {"total": 3}}, others=True)
    spec, data = parse_spec(raw), small_data()
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1), reasons=False)
    prob = MultiServiceProblem(spec, data)
    one = MultiServiceProblem(one_type_spec(prob, sol, name), data, reuse=prob)
    td = one.types[name]
    assert (td.avail_t > 0).any()
    built: dict[tuple[bool, bool], Any] = {}
    for quota in (False, True):
        _build_lifted(one, td, quota, built)
        free = every_parcel_free(built[quota, False], td)
        saved = td.avail_t.copy()
        td.avail_t[:] = 0
        try:
            rebuilt: dict[tuple[bool, bool], Any] = {}
            _build_lifted(one, td, quota, rebuilt)
        finally:
            td.avail_t[:] = saved
        again = rebuilt[quota, False]
        assert (free.A != again.A).nnz == 0
        for field in ("c", "row_lower", "row_upper", "col_lower", "col_upper", "integrality"):
            assert np.array_equal(getattr(free, field), getattr(again, field)), field
        assert free.row_blocks == again.row_blocks and free.col_blocks == again.col_blocks
        assert not np.array_equal(free.col_upper, built[quota, False].col_upper)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    footprint=st.sampled_from([200.0, 900.0, 1300.0]),
    total=st.sampled_from([1e6, 2.5e6, 4e6, 3e7]),
    quota=st.sampled_from([{}, {"max_count": {"total": 1}}, {"count": {"2026": 1}},
                           {"max_total": 2}]),
    others=st.booleans(),
)
def test_lifted_re_solves_start_from_the_plan_as_it_is(
    footprint: float, total: float, quota: dict[str, Any], others: bool,
) -> None:
    """Every re-solve after the first (the model as it is) starts from that model's plan,
    which each lifted model keeps (HiGHS checks the start); the row is the one every
    re-solve gives from no start."""
    raw = case(footprint, 1, total, {}, quota, others)
    try:
        parse_spec(raw)
    except Exception:  # a combination the spec refuses
        return
    starts: list[bool] = []
    share = reasons._solve_share

    def seen(*args: Any, **kwargs: Any) -> Any:
        plans = kwargs.get("plans")
        starts.append(bool(plans))
        return share(*args, **kwargs)

    def without_start(*args: Any, **kwargs: Any) -> Any:
        return share(*args, **{**kwargs, "plans": None})

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reasons, "_solve_share", seen)
        warm, _, _ = rows_and_slack(raw, skip=False)
    if not warm:
        return
    assert starts[0] is False and all(starts[1:]) and len(starts) > 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reasons, "_solve_share", without_start)
        cold, _, _ = rows_and_slack(raw, skip=False)
    same_rows(warm, cold)
