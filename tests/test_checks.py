"""Data checks before a solve (siting.multi.checks): each finding appears when it should,
and not when it should not (the small case, the 回天 and Riverbend specs)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.findings import Finding, findings_from
from siting.multi import checks
from siting.multi.checks import check_plan_data
from siting.multi.data import ServiceData
from siting.multi.funnel import parcel_funnel, use_names
from siting.multi.problem import MultiServiceProblem
from siting.multi.spec import load_spec, parse_spec
from tests.helpers import small_data, small_spec

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted((ROOT / "models").glob("*.toml"))


def found(raw: dict[str, Any], data: ServiceData | None = None) -> list[Finding]:
    return check_plan_data(parse_spec(raw), data if data is not None else small_data())


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def one(findings: list[Finding], code: str) -> Finding:
    (hit,) = [f for f in findings if f.code == code]
    return hit


def kindergarten(**extra: Any) -> dict[str, Any]:
    return {"group": "pop_total", "radius_m": 300, "footprint_m2": 600,
            "build_cost": 1_000_000, **extra}


# ------------------------------------------------------------------ no false alarms


def test_the_small_case_raises_nothing() -> None:
    assert found(small_spec()) == []


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_no_warning_on_the_specs_of_the_repository(path: Path) -> None:
    """The 回天 and Riverbend specs: nothing but notes (loading notes, the street network's
    figures, and existing parking kept apart from the parking types of 2026-2030)."""
    from siting.data import load_service_data

    spec = load_spec(path)
    findings = check_plan_data(spec, load_service_data(spec, cache=True))
    assert [f for f in findings if f.level != "note"] == []
    assert {f.code for f in findings} <= {"loading", "existing-by-use", "network", "network-levels"}


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_parcels_counted_as_the_model_picks_its_candidates(path: Path) -> None:
    from siting.data import load_service_data

    spec = load_spec(path)
    data = load_service_data(spec, cache=True)
    spec.target, spec.equity = [], []
    for name in spec.facility:
        one_type = spec.model_copy(deep=True)
        one_type.facility = {name: one_type.facility[name]}
        prob = MultiServiceProblem(one_type, data)
        assert parcel_funnel(spec, data, name).in_time == prob.types[name].n_cand, name


# ------------------------------------------------------------------ parcels


def test_a_type_no_parcel_allows_is_named_with_the_uses_seen() -> None:
    raw = small_spec()
    raw["facility"]["kindergarten"] = kindergarten()
    hit = one(found(raw), "no-parcel")
    assert hit.level == "warning"
    assert hit.text.startswith("kindergarten cannot be built and has no existing facility")
    assert "no parcel lists its use 'kindergarten'" in hit.text
    assert "uses seen: elderly_station (8), service_room (8)" in hit.text


def test_the_closest_use_name_is_suggested() -> None:
    raw = small_spec()
    raw["facility"]["service_room"]["use"] = "service-rooms"
    hit = one(found(raw), "no-parcel")
    assert "did you mean use = 'service_room'?" in hit.text
    raw["facility"]["elderly_station"]["use"] = "elderly"
    hit = one(found(raw), "nothing-buildable")
    assert "(service_room (use 'service-rooms') (did you mean use = 'service_room'?), " \
        "elderly_station (use 'elderly') (did you mean use = 'elderly_station'?);" in hit.text


def test_a_type_with_existing_facilities_and_no_parcel_is_a_note() -> None:
    raw = small_spec()
    raw["facility"]["elderly_station"]["use"] = "nursing"
    raw["target"] = []
    hit = one(found(raw), "no-parcel")
    assert hit.level == "note"
    assert "only its 1 existing facility count" in hit.text


def test_nothing_buildable_is_an_error_with_the_fix() -> None:
    raw = small_spec()
    raw["facility"] = {"kindergarten": kindergarten(), "park": kindergarten(group="age_60_plus")}
    raw["target"] = []
    findings = found(raw)
    hit = one(findings, "nothing-buildable")
    assert hit.level == "error" and findings[0] == hit
    assert "(kindergarten, park; facility.X.use, default the type's key)" in hit.text
    assert "the parcels' uses are elderly_station (8), service_room (8)" in hit.text
    assert 'facility.kindergarten.use = "…"' in hit.text
    assert "no-parcel" not in codes(findings)  # said once, in the error


def test_parcels_too_small_and_the_area_unit_hint() -> None:
    raw = small_spec()
    raw["facility"]["service_room"]["footprint_m2"] = 2000  # parcels have 1,600 m²
    findings = found(raw)
    hit = one(findings, "parcels-too-small")
    assert "a 2,000 m² footprint" in hit.text and "largest 1,600.0 m²" in hit.text
    assert "亩" not in hit.text  # a near miss, not a unit
    assert "parcel-area-unit" not in codes(findings)
    data = small_data()
    data.parcels["area_m2"] = 2.4  # the 40 m × 40 m polygons' areas in 亩, read as m²
    findings = found(small_spec(), data)
    hit = one(findings, "nothing-buildable")
    assert "service_room: it needs a 200 m² footprint" in hit.text
    assert hit.text.endswith("the parcels' areas look like 亩, not m² (set "
                             'data.parcel_area_unit = "mu")')
    assert hit.text.count("亩") == 1
    unit = one(findings, "parcel-area-unit")
    assert "look like 亩: the polygons are 666.7 times larger" in unit.text
    data.parcels["area_m2"] = 0.16  # hectares
    assert "look like ha" in one(found(small_spec(), data), "parcel-area-unit").text


def test_points_with_tiny_areas_get_the_generic_unit_hint() -> None:
    data = small_data()
    data.parcels = data.parcels.set_geometry(data.parcels.geometry.centroid)
    data.parcels["area_m2"] = 2.4
    findings = found(small_spec(), data)
    assert "parcel-area-unit" not in codes(findings)  # no polygon to compare with
    assert one(findings, "nothing-buildable").text.endswith(
        "parcel areas must be in m² (are they in 亩 or ha?)")


def test_whole_parcel_types_below_min_area() -> None:
    raw = small_spec()
    raw["facility"]["service_room"].update(whole_parcel=True, min_area_m2=5000)
    hit = one(found(raw), "parcels-too-small")
    assert "whole parcels of at least 5,000 m²" in hit.text


def test_parcels_free_only_after_the_last_year() -> None:
    data = small_data()
    data.parcels["year_available"] = 2031
    hit = one(found(small_spec(), data), "nothing-buildable")
    assert "free only from 2031, after the last year 2027" in hit.text


@pytest.mark.parametrize("splits", [False, True])
def test_uses_joined_by_a_separator_not_read(monkeypatch: pytest.MonkeyPatch,
                                             splits: bool) -> None:
    """Said exactly when the use matcher does not split at '、' (whatever it reads)."""

    def semicolons_only(allowed: pd.Series, use: str) -> Any:
        padded = ";" + allowed.fillna("").astype(str) + ";"
        text = padded.str.replace("、", ";") if splits else padded
        return text.str.contains(f";{use};", regex=False).to_numpy()

    monkeypatch.setattr(checks, "uses_mask", semicolons_only)
    data = small_data()
    data.parcels.loc[:3, "allowed_uses"] = "elderly_station、service_room"
    findings = found(small_spec(), data)
    if splits:
        assert "use-separator" not in codes(findings)
    else:
        hit = one(findings, "use-separator")
        assert hit.text.startswith("4 parcels join their uses with '、'")
        assert "'elderly_station、service_room' is one use name" in hit.text


def test_use_names_count_each_parcel_once() -> None:
    allowed = pd.Series(["a;b", "a、a", "b，c", "", None, "a | c"])
    assert use_names(allowed).to_dict() == {"a": 3, "b": 2, "c": 2}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["幼儿园", "park", "养老", "x_y"]), max_size=4),
                min_size=1, max_size=8))
def test_use_names_agree_with_the_matcher_on_semicolons(uses: list[list[str]]) -> None:
    from siting.multi.data import uses_mask

    allowed = pd.Series([";".join(u) for u in uses])
    names = use_names(allowed)
    for name in {u for row in uses for u in row}:
        assert names[name] == int(uses_mask(allowed, name).sum())


# ------------------------------------------------------------ where things are


def test_existing_facilities_far_outside_the_blocks() -> None:
    data = small_data()
    data.existing = data.existing.set_geometry([shapely.Point(116.3, 40.1)], crs=data.blocks.crs)
    hit = one(found(small_spec(), data), "far-away")
    assert hit.text.startswith("1 of 1 existing facilities lie far outside the blocks' extent")
    assert "E1 at x=116.3, y=40.1" in hit.text
    near = small_data()
    near.existing = near.existing.set_geometry(
        near.existing.geometry.translate(1500, 0), crs=near.blocks.crs)  # a block away
    assert "far-away" not in codes(found(small_spec(), near))


# ------------------------------------------------------------------ existing


def test_existing_types_that_match_no_key() -> None:
    data = small_data()
    data.existing["type"] = "养老服务驿站"
    hit = one(found(small_spec(), data), "existing-unmatched")
    assert hit.level == "warning"
    assert hit.text.startswith("existing types 养老服务驿站 (1) match no facility key "
                               "(service_room, elderly_station): they are left out")


def test_an_unmatched_type_among_matched_ones_is_said_only_when_close() -> None:
    data = small_data()
    extra = data.existing.iloc[[0]].assign(facility_id="E2", type="clinic")
    data.existing = pd.concat([data.existing, extra], ignore_index=True)
    assert "existing-unmatched" not in codes(found(small_spec(), data))  # the loader says it
    data.existing.loc[1, "type"] = "elderly_statoin"
    hit = one(found(small_spec(), data), "existing-unmatched")
    assert "did you mean 'elderly_station'?" in hit.text


def test_existing_type_named_as_a_use_not_a_key() -> None:
    raw = small_spec()
    raw["facility"]["station"] = raw["facility"].pop("elderly_station")
    raw["facility"]["station"]["use"] = "elderly_station"
    raw["target"] = [dict(raw["target"][0], facility="station"), raw["target"][1]]
    hit = one(found(raw), "existing-by-use")
    assert hit.level == "note" and "not in its baseline" in hit.text


# ------------------------------------------------------------------ costs


def test_a_free_type_under_a_budget() -> None:
    raw = small_spec()
    raw["facility"]["elderly_station"]["build_cost"] = 0
    hit = one(found(raw), "free-type")
    assert hit.text.startswith("elderly_station costs nothing")
    assert "free under the budget: only its quotas and land limit it (it has no max_count)" \
        in hit.text
    no_budget = copy.deepcopy(raw)
    no_budget["budget"] = {}
    assert found(no_budget) == []
    data = small_data()
    data.parcels["land_cost_est"] = 5e5
    raw["facility"]["elderly_station"]["land_cost"] = True
    assert found(raw, data) == []


def test_a_budget_of_zero() -> None:
    hit = one(found(small_spec(total=0)), "budget-zero")
    assert hit.text == "the budget is 0 (budget.total): no service_room or elderly_station can " \
        "be built"
    per_year = small_spec(per_year={"2026": 0, "2027": 0})
    per_year["budget"].pop("total")
    assert codes(found(per_year)) == ["budget-zero"]
    per_year["budget"]["per_year"]["2027"] = 1e6
    assert found(per_year) == []


# ------------------------------------------------------------- groups, targets


def test_a_group_that_sums_to_zero_and_one_with_holes() -> None:
    data = small_data()
    data.blocks["age_60_plus"] = 0
    hit = one(found(small_spec(), data), "group-zero")
    assert hit.text == ("population column 'age_60_plus' sums to 0 over 50 blocks: "
                        "elderly_station covers no one")
    data.blocks["age_60_plus"] = np.where(np.arange(50) == 3, np.nan, 5.0)
    hit = one(found(small_spec(), data), "group-missing")
    assert hit.level == "error" and "1 of 50 blocks have no number >= 0 (first: block B03" \
        in hit.text


def test_a_target_that_cannot_be_measured() -> None:
    raw = small_spec()
    raw["facility"]["kindergarten"] = kindergarten()
    raw["target"].append({"name": "kindergartens", "kind": "count",
                          "facility": "kindergarten", "at_least": 1})
    hit = one(found(raw), "target-unmeasurable")
    assert hit.text.startswith("target 'kindergartens' cannot be measured: kindergarten has no "
                               "parcel")
    raw["target"][-1]["facility"] = "service_room"
    assert "target-unmeasurable" not in codes(found(raw))


# ------------------------------------------------------------ notes, load-time


def test_loading_notes_and_load_time_findings_come_along() -> None:
    data = small_data()
    data.notes.append("lots.geojson is in EPSG:4326: reprojected")
    data.findings.append(Finding("warning", "network-components", "2 street components"))
    findings = found(small_spec(), data)
    assert [(f.level, f.code) for f in findings] == [("warning", "network-components"),
                                                     ("note", "loading")]


def test_the_street_network_diagnostics_are_findings() -> None:
    """Separate parts and crossings without a junction are warnings; the summary a note;
    said once when loading already holds them."""
    import shapely

    from siting.data.streets import street_network

    data = small_data()
    data.network = street_network([shapely.LineString([(0, 0), (100, 0), (200, 0)]),
                                   shapely.LineString([(50, -50), (50, 50)]),
                                   shapely.LineString([(900, 900), (950, 900)])],
                                  junctions="vertices")
    got = [f for f in found(small_spec(), data) if f.code.startswith("network")]
    said = {f.code: f for f in got}
    assert {(f.level, c) for c, f in said.items()} == {
        ("note", "network"), ("warning", "network-parts"), ("warning", "network-unjoined")}
    assert "3 separate parts" in said["network-parts"].text
    assert "row 1 × row 2" in said["network-unjoined"].text
    data.findings.extend(got)
    assert codes(found(small_spec(), data)).count("network-parts") == 1


def test_findings_round_trip_through_json() -> None:
    items = [Finding("warning", "free-type", "x"), Finding("note", "loading", "y")]
    assert findings_from([f.as_dict() for f in items]) == items
    with pytest.raises(ValueError):
        Finding("loud", "x", "y")  # type: ignore[arg-type]
