"""The plan verifier costs each facility itself: a plan whose costs the model got wrong fails."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

import siting.multi.decode as decode_module
import siting.verify.plan as plan_verifier
from siting.multi import MultiService, MultiServiceProblem, ServiceData, parse_spec
from siting.verify.plan import facility_costs

CRS = "EPSG:32650"


def _data() -> ServiceData:
    blocks = gpd.GeoDataFrame(
        {"block_id": ["b0", "b1"], "subdistrict": ["S1", "S1"], "pop": [10.0, 30.0],
         "cars": [0.0, 40.0]},
        geometry=[Point(0, 0), Point(1000, 0)], crs=CRS)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], "area_m2": [900.0, 1600.0],
         "allowed_uses": ["room;park;parking", "room;park;parking"], "year_available": [2026, 2026],
         "land_cost_est": [900.0, 3200.0], "subdistrict": ["S1", "S1"]},
        geometry=[box(-15, -15, 15, 15), box(980, -20, 1020, 20)], crs=CRS)
    existing = gpd.GeoDataFrame({"facility_id": [], "type": [], "capacity": [],
                                 "subdistrict": []}, geometry=[], crs=CRS)
    return ServiceData(blocks, parcels, existing)


def _spec() -> Any:
    return parse_spec({
        "meta": {"name": "costs", "years": [2026], "distance": "euclidean"},
        "facility": {
            "room": {"group": "pop", "radius_m": 100, "footprint_m2": 100, "build_cost": 50,
                     "land_cost": True, "count": {"total": 1}},
            "park": {"group": "pop", "radius_m": 100, "whole_parcel": True, "use": "park",
                     "build_cost": 7, "land_cost": True, "count": {"total": 1}},
            "parking": {"group": "cars", "radius_m": 100, "sized": True, "m2_per_space": 25,
                        "levels": 2, "surface_share": 0.5, "cost_per_space": 3,
                        "min_spaces": 4, "count": {"total": 1}},
        },
    })


def test_the_verifier_costs_agree_with_the_model_on_an_honest_plan() -> None:
    sol = MultiService(_spec()).solve(_data())
    assert sol.verified, sol.verification
    prob = MultiServiceProblem(_spec(), _data())
    again = facility_costs(prob, sol.facilities.drop(columns=["footprint_m2", "cost_est"]))
    assert again["cost_est"].tolist() == pytest.approx(sol.facilities["cost_est"].tolist())
    assert again["footprint_m2"].tolist() == pytest.approx(
        sol.facilities["footprint_m2"].tolist())
    assert set(sol.facilities["type"]) == {"room", "park", "parking"}


def test_a_plan_whose_costs_the_model_got_wrong_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = decode_module.with_costs

    def halved(prob: Any, fac: pd.DataFrame) -> pd.DataFrame:
        out = honest(prob, fac)
        out["cost_est"] = out["cost_est"] / 2
        return out

    # The model's costing is wrong; a verifier sharing it would agree with it.
    monkeypatch.setattr(decode_module, "with_costs", halved)
    monkeypatch.setattr(plan_verifier, "with_costs", halved, raising=False)
    sol = MultiService(_spec()).solve(_data())
    assert not sol.verified
    assert any("cost_est" in m and "the spec and parcel give" in m for m in sol.verification)


def test_uses_checked_per_use_and_a_use_not_allowed_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The verifier reads a parcel's allowed uses once per facility use, not once per
    facility row, and still names each row whose use the parcel does not allow."""
    prob = MultiServiceProblem(_spec(), _data())
    sol = MultiService(_spec()).solve(_data())
    rows = sol.facilities.copy()
    rows.loc[rows["type"] == "room", "parcel_id"] = "P2"
    extra = rows[rows["type"] == "room"].assign(parcel_id="P1")
    prob.data.parcels.loc[prob.data.parcels["parcel_id"] == "P1", "allowed_uses"] = "park;parking"
    calls: list[str] = []
    counted = plan_verifier.uses_mask

    def counting(allowed: pd.Series, use: str) -> Any:
        calls.append(use)
        return counted(allowed, use)

    monkeypatch.setattr(plan_verifier, "uses_mask", counting)
    tampered = replace(sol, facilities=pd.concat([rows, extra], ignore_index=True))
    report = plan_verifier.verify_plan(prob, MultiService(_spec()), tampered)
    assert sorted(calls) == ["park", "parking", "room"]
    assert "room on parcel P1: use not allowed there" in report.messages
    assert not any("on parcel P2: use not allowed" in m for m in report.messages)
