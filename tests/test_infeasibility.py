"""Impossible requirements are explained in planners' words; the verifier rejects bad plans.

Small hand-made multi-service instances (straight-line distances in EPSG:32650,
no network) with one impossible requirement each, the classic models' own
impossibilities, and corrupted solutions that the multi-service verifier must
reject.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from siting.backends.base import SolveOptions, Status
from siting.errors import InfeasibleError
from siting.instance import Instance
from siting.models import MODELS
from siting.multi import MultiService, MultiServiceProblem, MultiSolution
from siting.multi.data import ServiceData
from siting.multi.spec import parse_spec
from siting.verify import verify_solution

K = "kindergarten"
OPTS = SolveOptions(time_limit=20)


def service_data() -> ServiceData:
    """Six blocks 500 m apart in two sub-districts; four parcels, two free from 2027."""
    xs = [0.0, 500, 1000, 1500, 2000, 2500]
    blocks = gpd.GeoDataFrame(
        {
            "block_id": [f"b{i}" for i in range(6)],
            "subdistrict": ["A"] * 3 + ["B"] * 3,
            "pop_total": [100.0, 200, 300, 400, 500, 600],
            "age_3_6": [10.0, 20, 30, 40, 50, 60],
        },
        geometry=[Point(x, 0) for x in xs],
        crs="EPSG:32650",
    )
    px = [0.0, 1000, 2000, 2500]
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["p0", "p1", "p2", "p3"],
            "area_m2": [3000.0, 3000, 3000, 1000],
            "allowed_uses": ["kindergarten;park;parking"] * 4,
            "year_available": [2026, 2026, 2027, 2027],
            "subdistrict": ["A", "A", "B", "B"],
        },
        geometry=[box(x - 20, -20, x + 20, 20) for x in px],
        crs="EPSG:32650",
    )
    existing = gpd.GeoDataFrame(
        {
            "facility_id": pd.Series([], dtype=str),
            "type": pd.Series([], dtype=str),
            "subdistrict": pd.Series([], dtype=str),
        },
        geometry=[],
        crs="EPSG:32650",
    )
    return ServiceData(blocks, parcels, existing, source="small.gpkg")


def kindergarten(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "group": "age_3_6",
        "radius_m": 600,
        "footprint_m2": 2000,
        "build_cost": 1e7,
        "count": {"total": 2},
    }
    base.update(kw)
    return base


def spec(**extra: Any) -> Any:
    d: dict[str, Any] = {
        "meta": {"name": "small", "years": [2026, 2027], "distance": "euclidean"},
        "facility": {K: kindergarten()},
    }
    d.update(extra)
    return parse_spec(d)


PARK = {"group": "pop_total", "radius_m": 300, "whole_parcel": True, "min_area_m2": 1000,
        "build_cost": 1e6, "max_count": {"total": 1}}
PARKING = {"group": "pop_total", "radius_m": 300, "sized": True, "m2_per_space": 30,
           "cost_per_space": 1e4, "max_count": {"total": 4}}

CASES = {
    "coverage target too high": (
        {"facility": {K: kindergarten(count={"total": 1})},
         "target": [{"kind": "coverage", "facility": K, "share": 0.99, "name": "kg 99%"}]},
        [r"kg 99% cannot be reached: at most \d+\.\d% with every allowed parcel"],
    ),
    "service circle too high": (
        {"facility": {K: kindergarten(), "park": PARK},
         "target": [{"kind": "service_circle", "facilities": [K, "park"], "radius_m": 600,
                     "share": 0.9, "name": "circle 90%"}]},
        [r"circle 90% cannot be reached: at most 52\.4% with every allowed parcel"],
    ),
    "spaces target too high": (
        {"facility": {K: kindergarten(), "parking": PARKING},
         "target": [{"kind": "spaces", "facility": "parking", "at_least": 10000,
                     "name": "10,000 spaces"}]},
        [r"10,000 spaces 10,000 cannot be reached: at most 333 spaces fit on every allowed parcel"],
    ),
    "count target impossible": (
        {"facility": {K: kindergarten(count={}, max_count={"total": 1})},
         "target": [{"kind": "count", "facility": K, "at_least": 3, "name": "3 kindergartens"}]},
        [r"3 kindergartens cannot be reached: at most 1 under the quotas and budget"],
    ),
    "per-year quota above parcels free that year": (
        {"facility": {K: kindergarten(count={"2026": 3})}},
        [r"kindergarten: 3 must be open by 2026 \(quota 3 in 2026\) but only 2 allowed "
         r"parcels are free by then"],
    ),
    "budget below the required counts": (
        {"budget": {"total": 1.5e7}},
        [r"budget.total 15,000,000 is below the 20,000,000 that the required counts cost "
         r"at least \(2 kindergarten from 10,000,000 each\)"],
    ),
    "equity floor impossible": (
        {"facility": {K: kindergarten(count={"total": 1})},
         "equity": [{"facility": K, "min_share": 0.9}]},
        [r"kindergarten in A: floor 90.0% cannot be reached: at most 83.3%"],
    ),
    "presence floor impossible": (
        {"facility": {K: kindergarten(count={}, max_count={"total": 3})},
         "equity": [{"facility": K, "min_facilities": 3}]},
        [r"kindergarten: subdistrict A needs at least 3 but can hold at most 2 by 2027",
         r"subdistrict B needs at least 3 but can hold at most 1 by 2027 \(0 existing, 1 on "
         r"allowed parcels free by then\)"],
    ),
}


@pytest.fixture(scope="module")
def data() -> ServiceData:
    return service_data()


@pytest.mark.parametrize("name", list(CASES))
def test_multi_infeasibility_is_explained(name: str, data: ServiceData) -> None:
    extra, patterns = CASES[name]
    sol = MultiService(spec(**extra)).solve(data, options=OPTS)
    assert sol.status == Status.INFEASIBLE
    text = " | ".join(sol.explanation)
    assert sol.message == "; ".join(sol.explanation)
    for pat in patterns:
        assert re.search(pat, text), (pat, text)


def test_feasible_spec_verifies(data: ServiceData) -> None:
    sol = MultiService(spec()).solve(data, options=OPTS)
    assert sol.status == Status.OPTIMAL and sol.verified is True, sol.verification
    assert sorted(sol.facilities["parcel_id"]) == ["p1", "p2"]


# ------------------------------------------------------------------- classic models


def test_lscp_uncoverable_point_is_named() -> None:
    demand = pd.DataFrame({"id": ["near", "far"], "x": [0.0, 100.0], "y": [0.0, 0.0]})
    sites = pd.DataFrame({"id": ["s1"], "x": [1.0], "y": [0.0]})
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id", weight=None)
    with pytest.raises(InfeasibleError, match=r"demand point 'far'.* has no candidate site "
                       r"within radius 5; nothing can cover it"):
        MODELS["lscp"](radius=5).solve(inst)


def test_cflp_capacity_below_demand_is_explained() -> None:
    demand = pd.DataFrame({"id": ["a", "b"], "x": [0.0, 1.0], "y": [0.0, 0.0],
                           "weight": [30.0, 40.0]})
    sites = pd.DataFrame({"id": ["s1", "s2"], "x": [0.0, 1.0], "y": [0.0, 0.0],
                          "capacity": [20.0, 25.0]})
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id",
                                capacity="capacity")
    try:
        sol = MODELS["cflp"]().solve(inst)
    except InfeasibleError as exc:
        msg = str(exc)
    else:
        assert sol.status == Status.INFEASIBLE
        msg = sol.message
    assert "capacity" in msg and "45" in msg and "70" in msg, msg


# ------------------------------------------------------------- verifier mutations


def _solved(data: ServiceData) -> tuple[MultiServiceProblem, MultiSolution]:
    s = spec(budget={"total": 2.5e7})
    sol = MultiService(s).solve(data, options=OPTS)
    assert sol.verified is True, sol.verification
    return MultiServiceProblem(s, data), sol


def verify_multi(prob: MultiServiceProblem, sol: MultiSolution) -> None:
    """Re-check ``sol`` with the registered verifier and record its verdict on it."""
    sol.accept(verify_solution(prob, MultiService(prob.spec), sol), "max")


def _mutant(sol: MultiSolution) -> MultiSolution:
    m = copy.deepcopy(sol)
    m.verified, m.verification = None, []
    return m


def _missing_site(m: MultiSolution) -> None:
    m.facilities = m.facilities.iloc[1:].reset_index(drop=True)


def _over_budget(m: MultiSolution) -> None:
    m.facilities.loc[0, "cost_est"] = 2e7


def _beyond_budget(m: MultiSolution) -> None:
    # A second facility on the first parcel: twice its cost, beyond the 2.5e7 budget.
    m.facilities = pd.concat([m.facilities, m.facilities.iloc[[0]]], ignore_index=True)


def _footprint_over_area(m: MultiSolution) -> None:
    m.facilities.loc[0, "footprint_m2"] = 3500.0


def _beyond_radius(m: MultiSolution) -> None:
    # The same count on a parcel at the end of the row: the claimed coverage no longer holds.
    m.facilities.loc[m.facilities["parcel_id"] == "p1", "parcel_id"] = "p0"


def _extension_without_facility(m: MultiSolution) -> None:
    # A row that only adds to a facility, on a parcel where none was ever built.
    m.facilities.loc[0, "count"] = 0


def _wrong_objective(m: MultiSolution) -> None:
    assert m.objective is not None
    m.objective += 10.0


MUTATIONS = {
    "missing site": (_missing_site, "opened in total, required 2..2"),
    "claimed cost changed": (_over_budget, "cost_est"),
    "facility beyond the budget": (_beyond_budget, "exceeds the total budget"),
    "claimed footprint changed": (_footprint_over_area, "footprint 3,500"),
    "second facility on a full parcel": (_beyond_budget, "exceed its 3000 m²"),
    "coverage beyond the radius": (_beyond_radius, "objective claimed"),
    "wrong objective": (_wrong_objective, "objective claimed"),
    "extension of no facility": (_extension_without_facility, "but never built"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_verifier_rejects_corrupted_solution(name: str, data: ServiceData) -> None:
    prob, sol = _solved(data)
    mutate, needle = MUTATIONS[name]
    bad = _mutant(sol)
    mutate(bad)
    verify_multi(prob, bad)
    assert bad.verified is False
    assert any(needle in m for m in bad.verification), bad.verification
    good = _mutant(sol)
    verify_multi(prob, good)
    assert good.verified is True, good.verification


def test_corrupted_served_residents_are_rejected(data: ServiceData) -> None:
    """Capacitated types: residents claimed as served beyond the radius are caught."""
    s = spec(facility={K: kindergarten(capacity=1000)})
    sol = MultiService(s).solve(data, options=OPTS)
    assert sol.verified is True, sol.verification
    prob = MultiServiceProblem(s, data)
    bad = _mutant(sol)
    key = (K, prob.T - 1)
    served = bad.served[key].copy()
    far = int(np.argmin(served))  # a block the plan does not reach
    served[far] = prob.types[K].pop[far]
    bad.served[key] = served
    verify_multi(prob, bad)
    assert bad.verified is False
    assert any("served residents outside reach" in m for m in bad.verification), bad.verification


def test_each_target_maximised_stops_once_its_reach_is_decided(
    data: ServiceData, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The MIPs that explain an unreachable target are handed a progress watch and a
    cancel event (:func:`siting.multi.explain.decided_at`): a plan reaching the
    target or a bound below it ends the solve, whose bound is still an upper bound."""
    import siting.multi.explain as explain
    from siting.backends.base import get_backend

    backend = get_backend("highs")
    seen: list[Any] = []
    solve = type(backend).solve

    def spy(self: Any, milp: Any, options: Any, **kw: Any) -> Any:
        seen.append(options)
        return solve(self, milp, options, **kw)

    monkeypatch.setattr(type(backend), "solve", spy)
    extra, patterns = CASES["coverage target too high"]
    prob = MultiServiceProblem(spec(**extra), data)
    reasons = explain.explain_infeasible(prob, "highs", OPTS)
    assert re.search(patterns[0], " | ".join(reasons)), reasons
    watched = [o for o in seen if o.cancel is not None and o.progress is not None]
    assert watched and not any(o.cancel is not None and o.cancel.is_set()
                               for o in seen if o not in watched)
