"""Results as frames of the user's rows, measures as properties, exactly p, short reprs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import siting
from siting import MCLP, Instance, MultiSolution, PCenter, PMedian, Status
from siting.solution_frames import InputColumnRenamed
from siting.verify import verify_solution


def blocks() -> gpd.GeoDataFrame:
    """Five square blocks on a line (polygons), with the planner's own columns."""
    x = np.array([0.0, 1.0, 2.0, 10.0, 11.0])
    return gpd.GeoDataFrame(
        {"block": ["B1", "B2", "B3", "B4", "B5"], "pop": [10, 20, 30, 40, 5],
         "district": ["east", "east", "east", "west", "west"]},
        geometry=shapely.box(x - 0.2, -0.2, x + 0.2, 0.2), crs="EPSG:3857",
        index=pd.Index([101, 102, 103, 104, 105], name="fid"),
    )


def lots() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"lot": ["L1", "L2", "L3"], "owner": ["city", "state", "city"]},
        geometry=shapely.points([(1.0, 0.0), (10.5, 0.0), (30.0, 0.0)]), crs="EPSG:3857",
    )


def solved(model: siting.LocationModel, d: gpd.GeoDataFrame | None = None,
           s: gpd.GeoDataFrame | None = None) -> siting.Solution:
    inst = Instance.from_frames(blocks() if d is None else d, lots() if s is None else s,
                                demand_id="block", site_id="lot", weight="pop")
    return model.solve(inst)


def test_covering_demand_frame_keeps_the_users_rows() -> None:
    sol = solved(MCLP(radius=1.5, p=1))
    frame = sol.demand_frame()
    assert isinstance(frame, gpd.GeoDataFrame)
    assert list(frame.index) == [101, 102, 103, 104, 105]  # the user's index
    assert (frame.geom_type == "Polygon").all() and frame.crs == "EPSG:3857"
    assert list(frame["district"]) == ["east", "east", "east", "west", "west"]
    assert list(frame["covered"]) == [1, 1, 1, 0, 0]
    assert list(frame["covering_sites"]) == [["L1"], ["L1"], ["L1"], [], []]
    assert list(frame["nearest_site"]) == ["L1"] * 5
    assert frame["distance"].to_numpy() == pytest.approx([1.0, 0.0, 1.0, 9.0, 10.0])
    plain = sol.demand_frame(input_columns=False)
    assert "district" not in plain.columns and list(plain.index) == [0, 1, 2, 3, 4]


def test_sites_frame_keeps_the_users_rows_and_says_whom_they_serve() -> None:
    sol = solved(MCLP(radius=1.5, p=2))
    sites = sol.sites_frame()
    assert list(sites["lot"]) == ["L1", "L2"] and list(sites["owner"]) == ["city", "state"]
    assert list(sites["demand_ids"]) == [["B1", "B2", "B3"], ["B4", "B5"]]
    assert list(sites["served_weight"]) == [60.0, 45.0]
    pm = solved(PMedian(p=1)).sites_frame()
    assert list(pm["demand_ids"]) == [["B1", "B2", "B3", "B4", "B5"]]
    assert list(pm["served_weight"]) == [105.0]


def test_measures_as_properties() -> None:
    sol = solved(MCLP(radius=1.5, p=1))
    assert sol.share_covered == pytest.approx(60 / 105)
    assert sol.mean_distance == pytest.approx((10 * 1 + 30 * 1 + 40 * 9 + 5 * 10) / 105)
    assert sol.max_distance == pytest.approx(10.0)
    pm = solved(PMedian(p=1))
    assert pm.share_covered == pytest.approx(1.0)
    assert pm.mean_distance == pytest.approx(pm.objective / 105)
    assert pm.max_distance == pytest.approx(10.0)


def test_a_column_named_like_sitings_is_kept_under_another_name() -> None:
    d = blocks().assign(covered=["yes", "no", "no", "no", "no"], demand_id=blocks()["block"])
    with pytest.warns(InputColumnRenamed, match="'covered'.*'covered_input'"):
        frame = solved(MCLP(radius=1.5, p=1), d).demand_frame()
    assert list(frame["covered_input"]) == ["yes", "no", "no", "no", "no"]  # the user's
    assert list(frame["covered"]) == [1, 1, 1, 0, 0]  # siting's, under its own name
    # a demand_id column holding the ids themselves is kept once, without a warning
    assert list(frame.columns).count("demand_id") == 1 and "demand_id_input" not in frame


def test_frames_without_the_users_frame() -> None:
    inst = Instance.from_cost_matrix(np.array([[1.0, 5.0], [4.0, 1.0]]), ["a", "b"],
                                     ["s", "t"], weight=[3, 1])
    frame = PMedian(p=1).solve(inst).demand_frame()
    assert list(frame["site_id"]) == ["s", "s"] and list(frame["distance"]) == [1.0, 4.0]


def test_repr_is_short_and_html_is_a_table() -> None:
    sol = solved(MCLP(radius=1.5, p=1))
    text = repr(sol)
    assert len(text) < 200 and text.startswith("<Solution mclp on instance, optimal")
    html = sol._repr_html_()
    assert html.startswith("<table>") and "mean distance" in html and "highs" in html
    plan = MultiSolution(status=Status.OPTIMAL, spec_name="demo", objective=3.0)
    assert repr(plan) == "<MultiSolution plan of demo, optimal, objective 3, not verified>"


def test_plan_solutions_have_the_classic_names() -> None:
    plan = MultiSolution(status=Status.OPTIMAL, spec_name="demo",
                         coverage=pd.DataFrame({"block_id": ["b"], "school": [0.5]}))
    assert plan.demand_frame().equals(plan.coverage_frame())
    assert plan.sites_frame().equals(plan.facilities_frame())


def test_every_model_is_exported() -> None:
    for model in siting.MODELS.values():
        assert getattr(siting, model.__name__) is model


def test_exactly_p_opens_p_sites_with_the_same_objective() -> None:
    # one site covers everyone within 50: "at most 3" opens one, "exactly 3" three
    loose = solved(MCLP(radius=50, p=3))
    exact = solved(MCLP(radius=50, p=3, exactly_p=True))
    assert len(loose.selected) == 1 and len(exact.selected) == 3
    assert exact.objective == loose.objective == 105.0 and exact.verified
    center = solved(PCenter(p=2, exactly_p=True), s=lots().assign(
        geometry=shapely.points([(1.0, 0.0), (10.5, 0.0), (1.2, 0.0)])))
    assert len(center.selected) == 2 and center.verified
    assert center.objective == solved(PCenter(p=2)).objective


def test_exactly_p_verification_refuses_fewer_sites() -> None:
    inst = Instance.from_frames(blocks(), lots(), demand_id="block", site_id="lot",
                                weight="pop")
    model = MCLP(radius=50, p=3, exactly_p=True)
    sol = model.solve(inst)
    short = dataclasses.replace(sol, selected=sol.selected[:1])
    report = verify_solution(inst, model, short)
    assert not report.ok and any("p = 3" in m for m in report.messages)


def test_exactly_p_with_a_budget_is_refused() -> None:
    with pytest.raises(siting.ParameterError, match="exactly_p"):
        solved(MCLP(radius=50, p=3, budget=2, exactly_p=True))


def test_covering_sites_of_a_coverage_relation(tmp_path: Path) -> None:
    # OR-Library set covering: no distances, no radius; the relation says who covers whom
    path = tmp_path / "tiny.txt"
    path.write_text("3 3\n1 1 1\n2\n1 2\n1\n2\n2\n2 3\n")
    sol = siting.SetCover().solve(siting.load_instance(path, "orlib-scp").instance)
    frame = sol.demand_frame()
    assert list(frame["covering_sites"]) == [[2], [2], [2]]
    assert frame["nearest_site"].isna().all() and sol.mean_distance is None
    assert sol.share_covered == 1.0


def test_a_repeated_index_keeps_rows_in_place() -> None:
    d = blocks().set_axis(pd.Index([7, 7, 8, 8, 9], name="fid"))
    frame = solved(MCLP(radius=1.5, p=1), d).demand_frame()
    assert list(frame.index) == [7, 7, 8, 8, 9]
    assert list(frame["block"]) == list(frame["demand_id"]) == ["B1", "B2", "B3", "B4", "B5"]


def test_a_renamed_column_takes_a_free_name() -> None:
    d = blocks().assign(covered="x", covered_input="y")
    with pytest.warns(InputColumnRenamed, match="'covered_input_input'"):
        frame = solved(MCLP(radius=1.5, p=1), d).demand_frame()
    assert frame.columns.is_unique
    assert list(frame["covered_input_input"]) == ["x"] * 5
