"""Sweeps on Dask: identical tables for 1 and 2 workers, failed scenarios kept as rows.

The small case (``tests/helpers.py``, also used by the report and CLI tests) is a
hand-made instance: 50 blocks in two sub-districts, 8 parcels, one existing station,
straight-line distances, solved in well under a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.errors import InputError, ParameterError
from siting.multi.data import ServiceData
from siting.multi.spec import Spec, parse_spec
from siting.sweep import apply_scenario, parse_axis, parse_range, run_sweep, scenario_grid
from tests.helpers import small_data, small_spec


def test_ranges_and_axes() -> None:
    assert parse_range("0.8:0.9:3", "--target") == (0.8, 0.85, 0.9)
    assert parse_range("5", "--budget") == (5.0,)
    for bad in ("1:2", "a:b:3", "1:2:0", "nan"):
        with pytest.raises(ParameterError):
            parse_range(bad, "--budget")
    with pytest.raises(ParameterError, match="TYPE=START:STOP:N"):
        parse_axis("radius", "400:600:3")
    ax = parse_axis("target", "公园 >= 85%=0.8:0.9:2")  # names may hold '='
    assert ax.key == "公园 >= 85%" and ax.values == (0.8, 0.9)
    assert len(scenario_grid([parse_axis("budget", "1:3:3"), ax])) == 6


def test_apply_scenario_sets_budget_target_and_radius() -> None:
    spec = parse_spec(small_spec(per_year={"2026": 2_000_000, "2027": 4_000_000}))
    out = apply_scenario(
        spec, {"budget": 3e6, "target:elderly_station": 0.7, "radius:service_room": 500}
    )
    assert out.budget.total == 3e6
    assert out.budget.per_year == {"2026": 1e6, "2027": 2e6}
    assert out.target[0].share == 0.7
    assert out.facility["service_room"].radius_m == 500
    assert apply_scenario(spec, {"target:1": 2}).target[1].at_least == 2
    with pytest.raises(ParameterError, match="no single target"):
        apply_scenario(spec, {"target:nosuch": 0.5})
    with pytest.raises(ParameterError, match="unknown facility"):
        apply_scenario(spec, {"radius:school": 500})
    with pytest.raises(InputError, match="share"):  # validated again: a share is <= 1
        apply_scenario(spec, {"target:0": 1.5})


def _sweep(workers: int, spec: Spec, data: ServiceData) -> pd.DataFrame:
    axes = [parse_axis("budget", "1e6:7e6:4"), parse_axis("radius", "service_room=300,400")]
    res = run_sweep(spec, axes, data=data, workers=workers, processes=True)
    assert res.workers == workers
    return res.table


def test_sweep_identical_on_one_and_two_workers(tmp_path: Path) -> None:
    spec, data = parse_spec(small_spec()), small_data()
    one = _sweep(1, spec, data)
    two = _sweep(2, spec, data)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == 8 and list(one["scenario"]) == list(range(8))
    # the lowest budget cannot open a station: reported as infeasible, not dropped
    low = one[one["budget"] == 1e6]
    assert set(low["status"]) == {"infeasible"} and low["message"].str.len().min() > 0
    ok = one[one["status"].isin(["optimal", "feasible"])]
    assert len(ok) == 4 and ok["verified"].all()
    assert (ok["coverage:elderly_station"] >= 0.6 - 1e-9).all()
    assert (ok["cost"] <= ok["budget"] + 1).all()
    # more budget never covers fewer residents (same radius)
    for _, g in ok.groupby("radius:service_room"):
        assert g.sort_values("budget")["objective"].is_monotonic_increasing
    assert one["pareto"].any()


def test_failed_scenario_is_a_row(tmp_path: Path) -> None:
    spec, data = parse_spec(small_spec()), small_data()
    broken = ServiceData(
        blocks=data.blocks, parcels=data.parcels.drop(columns="land_cost_est"),
        existing=data.existing, source="small",
    )
    broken.parcels = broken.parcels.assign(area_m2="x")  # breaks inside the worker
    res = run_sweep(spec, [parse_axis("budget", "4e6,6e6")], data=broken, workers=1)
    assert list(res.table["status"]) == ["error", "error"]
    assert res.table["message"].str.len().min() > 0
    paths = res.write(tmp_path / "sw")
    assert {p.name for p in paths} == {"pareto.csv", "sweep.json", "pareto.png", "report.html"}


def test_sweep_without_any_solution_says_why_and_what_to_do(tmp_path: Path) -> None:
    """Every scenario stopped at its limit: advice names the time the full model needs, the
    page says why there is no curve, no cell reads None, pareto.png is still drawn, and the
    command's exit code is 4."""
    import typer

    from siting.cli.sweep import _conclude
    from siting.report import sweep_report_html
    from siting.sweep import SweepResult, sweep_advice

    spec = parse_spec(small_spec())
    table = pd.DataFrame({
        "scenario": [0, 1], "budget": [4e6, 6e6], "status": ["no_solution"] * 2,
        "objective": [None, None], "gap": [np.nan, np.nan], "cost": [np.nan, np.nan],
        "facilities": [np.nan, np.nan], "coverage:service_room": [np.nan, np.nan],
        "coverage:elderly_station": [np.nan, np.nan], "targets_met": [0, 0],
        "targets": [2, 2], "verified": [None, None], "pareto": [False, False],
        "message": ["time limit reached", "time limit reached"],
    })
    advice = sweep_advice(table, spec, [5.1, 5.2], [3.0, 3.0], [5.0, 5.0])
    assert advice and "2 of 2 scenarios stopped at the 5 s time limit" in advice[0]
    assert "--time-limit 20 or more" in advice[0]  # the spec's own limit (20 s) > 2 × 5 s
    result = SweepResult(table=table, axes=[parse_axis("budget", "4e6,6e6")], spec_name="small",
                         types=list(spec.facility), advice=advice)
    page = sweep_report_html(table, result.info())
    assert '<p id="nocurve">No scenario has a solution, so there is no curve.' in page
    assert '<svg id="curve"' not in page and '<ul id="advice">' in page
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert cells and "None" not in cells and "nan" not in cells
    paths = result.write(tmp_path / "sw")
    assert (tmp_path / "sw" / "pareto.png").stat().st_size > 10_000 and len(paths) == 4
    with pytest.raises(typer.Exit) as stop:
        _conclude(table, advice)
    assert stop.value.exit_code == 4
