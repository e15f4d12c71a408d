"""Multi-service model: one small hand-made instance per constraint kind, answers by hand.

Blocks and parcels lie on a line (straight-line distance, EPSG:32650); each test
states the optimum and why, and runs on every back end able to take the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from siting.backends.base import Status, available_backends
from siting.errors import InputError, SpecError
from siting.multi import MultiService, MultiServiceProblem, ServiceData
from tests.helpers import MULTI_BACKENDS, blocks, existing, parcels, spec

BACKENDS = [b for b in available_backends() if b in MULTI_BACKENDS]


def solve(sp: Any, data: ServiceData, backend: str) -> Any:
    sol = MultiService(sp).solve(data, solver=backend)
    return sol


def ok(sol: Any, objective: float) -> None:
    assert sol.status == Status.OPTIMAL, (sol.status, sol.message, sol.explanation)
    assert sol.verified, sol.verification
    assert sol.objective == pytest.approx(objective, abs=1e-6)


TWO = blocks((0, {"pop": 10}, "S1"), (1000, {"pop": 30}, "S1"))
P_TWO = parcels({"id": "P1", "x": 0, "area": 500}, {"id": "P2", "x": 1000, "area": 500})
NONE = existing()


def room(**kw: Any) -> dict[str, Any]:
    return {"group": "pop", "radius_m": 100, "footprint_m2": 100, "build_cost": 1, **kw}


@pytest.mark.parametrize("backend", BACKENDS)
def test_coverage_picks_the_bigger_block(backend: str) -> None:
    # one facility: P2 covers 30 residents, P1 only 10
    sol = solve(spec({"a": room(count={"total": 1})}), ServiceData(TWO, P_TWO, NONE), backend)
    ok(sol, 30)
    assert sol.facilities["parcel_id"].tolist() == ["P2"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_phasing_rewards_earlier_coverage_and_respects_availability(backend: str) -> None:
    b = blocks((0, {"pop": 10}, "S1"), (1000, {"pop": 15}, "S1"))
    p = parcels(
        {"id": "P1", "x": 0, "area": 500, "year": 2026},
        {"id": "P2", "x": 1000, "area": 500, "year": 2027},
    )
    data = ServiceData(b, p, NONE)
    # one facility over two years: P1 from 2026 covers 10 x 2 = 20 > P2 from 2027 = 15
    sol = solve(spec({"a": room(count={"total": 1})}, years=[2026, 2027]), data, backend)
    ok(sol, 20)
    assert sol.facilities[["parcel_id", "year"]].values.tolist() == [["P1", 2026]]
    # one per year: P1 in 2026, P2 in 2027 (not before it is free): 10 x 2 + 15 = 35
    sol = solve(spec({"a": room(count={"2026": 1, "2027": 1})}, years=[2026, 2027]), data, backend)
    ok(sol, 35)
    assert sorted(sol.facilities[["parcel_id", "year"]].values.tolist()) == [
        ["P1", 2026],
        ["P2", 2027],
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_total_and_yearly_budget_with_land_cost(backend: str) -> None:
    p = parcels(
        {"id": "P1", "x": 0, "area": 100, "land": 100},
        {"id": "P2", "x": 1000, "area": 100, "land": 1000},
    )
    data = ServiceData(TWO, p, NONE)
    a = room(build_cost=0, land_cost=True)  # cost = land of the 100 m² footprint
    # total budget 500: P2 (1000) is out of reach -> P1 only
    ok(solve(spec({"a": a}, budget={"total": 500}), data, backend), 10)
    # yearly budgets: 500 in 2026, 2000 in 2027 -> P1 in 2026, P2 waits for 2027
    sol = solve(
        spec({"a": a}, years=[2026, 2027], budget={"per_year": {"2026": 500, "2027": 2000}}),
        data,
        backend,
    )
    ok(sol, 10 * 2 + 30)
    assert dict(sol.facilities[["parcel_id", "year"]].values.tolist()) == {"P1": 2026, "P2": 2027}


@pytest.mark.parametrize("backend", BACKENDS)
def test_shared_parcel_fits_footprints_and_allowed_uses(backend: str) -> None:
    b = blocks((0, {"ga": 10, "gb": 20}, "S1"))
    two_types = {
        "a": {"group": "ga", "radius_m": 100, "footprint_m2": 200},
        "b": {"group": "gb", "radius_m": 100, "footprint_m2": 150},
    }
    small = ServiceData(b, parcels({"id": "P", "x": 0, "area": 300}), NONE)
    sol = solve(spec(two_types), small, backend)
    ok(sol, 20)  # 200 + 150 > 300: only one fits, b serves more
    big = ServiceData(b, parcels({"id": "P", "x": 0, "area": 400}), NONE)
    sol = solve(spec(two_types), big, backend)
    ok(sol, 30)  # both share the parcel (an integrated service complex)
    assert sorted(sol.facilities["type"]) == ["a", "b"]
    only_a = ServiceData(b, parcels({"id": "P", "x": 0, "area": 400, "uses": "a"}), NONE)
    ok(solve(spec(two_types), only_a, backend), 10)  # b is not an allowed use


@pytest.mark.parametrize("backend", BACKENDS)
def test_sized_parking_spaces_bounded_by_area_and_target(backend: str) -> None:
    b = blocks((0, {"cars": 50}, "S1"))
    p = parcels({"id": "P", "x": 0, "area": 1000})
    park = {
        "group": "cars",
        "radius_m": 100,
        "sized": True,
        "m2_per_space": 25,
        "cost_per_space": 10,
        "min_spaces": 5,
    }
    data = ServiceData(b, p, NONE)
    sol = solve(
        spec(
            {"parking": park},
            target=[{"kind": "spaces", "facility": "parking", "at_least": 30}],
            budget={"total": 350},
        ),
        data,
        backend,
    )
    ok(sol, 50)
    spaces = int(sol.facilities["spaces"].iloc[0])
    assert 30 <= spaces <= 35  # target 30, budget 350 at 10 per space
    # 40 spaces fit on 1,000 m² at 25 m² each: asking for 41 cannot be met
    sol = solve(
        spec({"parking": park}, target=[{"kind": "spaces", "facility": "parking", "at_least": 41}]),
        data,
        backend,
    )
    assert sol.status == Status.INFEASIBLE
    assert any("at most 40" in e for e in sol.explanation), sol.explanation


@pytest.mark.parametrize("backend", BACKENDS)
def test_parking_lot_grows_in_a_later_year_and_each_year_pays_its_share(backend: str) -> None:
    # 20 spaces is all 2026's budget buys; 30 are required by 2027: the lot opens in
    # 2026 (covering its 50 cars twice) and gains spaces in 2027. The solution lists
    # the 2027 extension as its own row, so each year's cost stays within its budget.
    b = blocks((0, {"cars": 50}, "S1"))
    data = ServiceData(b, parcels({"id": "P", "x": 0, "area": 1000}), NONE)
    park = {"group": "cars", "radius_m": 100, "sized": True, "m2_per_space": 25,
            "cost_per_space": 10, "min_spaces": 5}
    sol = solve(
        spec(
            {"parking": park},
            years=[2026, 2027],
            target=[{"kind": "spaces", "facility": "parking", "at_least": 30, "year": 2027}],
            budget={"per_year": {"2026": 200, "2027": 200}},
        ),
        data,
        backend,
    )
    ok(sol, 100)
    rows = sol.facilities.sort_values("year")
    assert rows["year"].tolist() == [2026, 2027]
    assert rows["count"].tolist() == [1, 0]  # opened once, extended once
    assert rows["spaces"].iloc[0] <= 20 and rows["spaces"].sum() >= 30
    assert sol.summary()["n_facilities"] == 1
    assert (sol.budget.groupby("year")["cost_est"].sum() <= 200).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_whole_parcel_park_counts_only_above_minimum_size(backend: str) -> None:
    b = blocks((0, {"pop": 100}, "S1"), (2000, {"pop": 10}, "S1"))
    p = parcels({"id": "small", "x": 0, "area": 5000}, {"id": "big", "x": 2000, "area": 12000})
    park = {
        "group": "pop",
        "radius_m": 300,
        "whole_parcel": True,
        "min_area_m2": 10000,
        "access": "boundary",
    }
    sol = solve(spec({"park": park}), ServiceData(b, p, NONE), backend)
    ok(sol, 10)  # the 0.5 ha parcel is too small to count as a park
    assert sol.facilities["parcel_id"].tolist() == ["big"]
    assert sol.facilities["footprint_m2"].iloc[0] == pytest.approx(12000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_existing_facilities_kept_or_relocated(backend: str) -> None:
    ex = existing(("E1", "a", 0.0, np.nan))
    data = ServiceData(TWO, P_TWO, ex)
    # kept: the block at 0 is covered from the start; one new site covers the other
    ok(solve(spec({"a": room(count={"total": 1})}), data, backend), 40)
    # at most one 'a' in all, closing allowed: relocate from 0 to 1000
    sol = solve(spec({"a": room(existing="may_close", max_close=1, max_total=1)}), data, backend)
    ok(sol, 30)
    assert sol.closed == ["E1"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_coverage_target_overrides_the_objective(backend: str) -> None:
    b = blocks((0, {"pop": 10, "kids": 8}, "S1"), (1000, {"pop": 30, "kids": 2}, "S1"))
    tgt = [{"kind": "coverage", "facility": "a", "group": "kids", "radius_m": 100, "share": 0.5}]
    sol = solve(
        spec({"a": room(count={"total": 1})}, target=tgt), ServiceData(b, P_TWO, NONE), backend
    )
    ok(sol, 10)  # half the children must be covered: only P1 does that
    assert sol.targets["met"].all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_service_circle_needs_every_type(backend: str) -> None:
    b = blocks((0, {"pop": 10}, "S1"), (1000, {"pop": 30}, "S1"))
    p = parcels(
        {"id": "P1", "x": 0, "area": 500},
        {"id": "P2", "x": 1000, "area": 500},
        {"id": "P3", "x": 1050, "area": 500},
    )
    types = {"a": room(count={"total": 1}), "b": room(count={"total": 1})}
    circle = [
        {
            "kind": "service_circle",
            "facilities": ["a", "b"],
            "radius_m": 100,
            "group": "pop",
            "share": 0.25,
        }
    ]
    # objective alone: a and b both at 1000 (60); the circle target asks 25% with both
    # types -> block 0 (10 of 40) or block 1000 (30): a and b near 1000 satisfy it.
    sol = solve(spec(types, target=circle), ServiceData(b, p, NONE), backend)
    ok(sol, 60)
    assert sol.targets["reached"].iloc[0] == pytest.approx(0.75)
    circle[0]["share"] = 1.0  # everyone: impossible with one of each
    sol = solve(spec(types, target=circle), ServiceData(b, p, NONE), backend)
    assert sol.status == Status.INFEASIBLE
    assert any("cannot be reached: at most 75.0%" in e for e in sol.explanation)


@pytest.mark.parametrize("backend", BACKENDS)
def test_capacity_limits_served_residents(backend: str) -> None:
    b = blocks((0, {"kids": 25}, "S1"))
    p = parcels({"id": "P", "x": 0, "area": 500, "uses": "kg"})
    ex = existing(("E", "kg", 50.0, 5.0))
    kg = {
        "group": "kids",
        "radius_m": 100,
        "footprint_m2": 100,
        "capacity": 10,
        "count": {"total": 1},
    }
    data = ServiceData(b, p, ex)
    ok(solve(spec({"kg": kg}), data, backend), 15)  # 10 new places + 5 existing
    kg2 = {**kg, "max_per_parcel": 2, "count": {"total": 2}}
    ok(solve(spec({"kg": kg2}), data, backend), 25)  # two on one parcel: 20 + 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_equity_floor_and_presence(backend: str) -> None:
    b = blocks((0, {"pop": 30}, "S1"), (500, {"pop": 25}, "S1"), (3000, {"pop": 10}, "S2"))
    p = parcels(
        {"id": "A", "x": 0, "area": 500, "sd": "S1"},
        {"id": "B", "x": 500, "area": 500, "sd": "S1"},
        {"id": "C", "x": 3000, "area": 500, "sd": "S2"},
    )
    data = ServiceData(b, p, NONE)
    a = room(count={"total": 2})
    ok(solve(spec({"a": a}), data, backend), 55)  # both in S1 without a floor
    ratio = [{"facility": "a", "min_ratio_to_area": 0.5}]
    ok(solve(spec({"a": a}, equity=ratio), data, backend), 40)  # S2 must get one
    share = [{"facility": "a", "min_share": 1.0, "areas": ["S2"]}]
    ok(solve(spec({"a": a}, equity=share), data, backend), 40)
    presence = [{"facility": "a", "min_facilities": 1}]
    ok(solve(spec({"a": a}, equity=presence), data, backend), 40)


def test_quota_beyond_available_parcels_is_explained() -> None:
    p = parcels(
        {"id": "P1", "x": 0, "area": 500, "year": 2026},
        {"id": "P2", "x": 1000, "area": 500, "year": 2027},
    )
    model = MultiService(spec({"a": room(count={"2026": 2})}, years=[2026, 2027]))
    sol = model.solve(ServiceData(TWO, p, NONE))
    assert sol.status == Status.INFEASIBLE
    assert sol.explanation == [
        "a: 2 must be open by 2026 (quota 2 in 2026) but only 1 allowed parcels are free by then"
    ]


def test_total_quota_beyond_allowed_parcels_is_explained() -> None:
    data = ServiceData(TWO, parcels({"id": "P1", "x": 0, "area": 500, "uses": "b"}), NONE)
    with pytest.raises(InputError, match="nothing can be built"):  # the data checks say so
        MultiService(spec({"a": room(count={"total": 1})})).solve(data)
    sol = MultiService(spec({"a": room(count={"total": 1})})).solve(data, findings=[])
    assert sol.status == Status.INFEASIBLE
    assert sol.explanation == ["a: 1 required in all but only 0 allowed parcels exist for it"]


def test_aggregation_is_exact() -> None:
    # blocks with identical covering sets merge; the objective is unchanged
    rng = np.random.default_rng(1)
    xs = rng.integers(0, 10, 200) * 100.0
    b = blocks(*[(x, {"pop": float(rng.integers(1, 9))}, "S1") for x in xs])
    p = parcels(*[{"id": f"P{k}", "x": k * 100.0, "area": 500} for k in range(10)])
    sp_ = spec({"a": room(radius_m=150, count={"total": 3})})
    prob = MultiServiceProblem(sp_, ServiceData(b, p, NONE))
    fam = prob.types["a"].family
    assert fam is not None and fam.size <= 10 < len(b)
    sol = MultiService(sp_).solve(ServiceData(b, p, NONE))
    assert sol.verified


def test_spec_errors_name_the_path() -> None:
    with pytest.raises(SpecError, match=r"facility\.a\.radius_m: -300 must be > 0"):
        spec({"a": room(radius_m=-300)})
    with pytest.raises(
        SpecError, match=r"facility\.a\.radiuss: unknown key \(did you mean 'radius_m'\?\)"
    ):
        spec({"a": {**room(), "radiuss": 3}})
    with pytest.raises(SpecError, match=r"target\[0\]: unknown facility 'b'"):
        spec({"a": room()}, target=[{"kind": "count", "facility": "b", "at_least": 1}])
    with pytest.raises(SpecError, match=r"facility\.a\.count: year 2031"):
        spec({"a": room(count={"2031": 1})})


def test_area_floor_names_the_area_and_best_share() -> None:
    b = blocks(
        (0, {"pop": 30}, "S1"),
        (500, {"pop": 25}, "S1"),
        (3000, {"pop": 10}, "S2"),
        (6000, {"pop": 10}, "S2"),
    )
    p = parcels(
        {"id": "A", "x": 0, "area": 500, "sd": "S1"},
        {"id": "C", "x": 3000, "area": 500, "sd": "S2"},
    )
    floor = [{"facility": "a", "min_share": 0.8}]
    model = MultiService(spec({"a": room(count={"total": 2})}, equity=floor))
    sol = model.solve(ServiceData(b, p, NONE))
    assert sol.status == Status.INFEASIBLE
    assert "a in S1: floor 80.0% cannot be reached: at most 54.5%" in sol.explanation[0]
    assert "a in S2: floor 80.0% cannot be reached: at most 50.0%" in sol.explanation[1]


def test_yearly_budget_below_the_quotas_is_explained() -> None:
    p = parcels(
        {"id": "P1", "x": 0, "area": 100, "land": 100},
        {"id": "P2", "x": 1000, "area": 100, "land": 1000},
    )
    a = room(build_cost=0, land_cost=True, count={"2026": 2})
    model = MultiService(spec({"a": a}, years=[2026, 2027], budget={"per_year": {"2026": 500}}))
    sol = model.solve(ServiceData(TWO, p, NONE))
    assert sol.status == Status.INFEASIBLE
    assert sol.explanation[0].startswith("budget.per_year 2026 500 is below the 1,100")
