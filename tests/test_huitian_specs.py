"""The two 回天 plans as specs: they load, solve, verify, and meet their enforced targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siting.backends.base import SolveOptions, Status
from siting.data import load_service_data
from siting.multi import MultiService, ServiceData, load_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "models").glob("huitian-*.toml"))
REFERENCE = ROOT / "solutions" / "huitian-reference.json"


@pytest.fixture(scope="module")
def data() -> ServiceData:
    return load_service_data(None, ROOT / "instances" / "huitian")  # the layers both specs name


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_spec_loads(path: Path) -> None:
    spec = load_spec(path)
    assert spec.meta.name == path.stem
    assert spec.budget.estimated  # budgets are estimates, and say so


def check(sol, name: str) -> None:
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE), (sol.status, sol.explanation)
    assert sol.verified, sol.verification
    enforced = sol.targets[sol.targets["mode"] == "constraint"]
    assert enforced["met"].all(), enforced
    ref = json.loads(REFERENCE.read_text())[name]
    # the reference is a proven bound: no solution may beat it
    assert sol.objective <= ref["bound"] * (1 + 1e-6)
    assert sol.objective >= ref["objective"] * (1 - ref["tolerance"])


def test_2018_2020_plan(data: ServiceData) -> None:
    spec = load_spec(ROOT / "models" / "huitian-2018-2020.toml")
    sol = MultiService(spec).solve(data, options=SolveOptions(time_limit=60, mip_gap=1e-3))
    check(sol, "huitian-2018-2020")
    # the plan's quotas hold exactly
    counts = sol.facilities.groupby(["type", "year"])["count"].sum()
    assert counts["kindergarten"].to_dict() == {2018: 1, 2019: 6, 2020: 1}
    assert counts["elderly_station"].to_dict() == {2018: 9, 2019: 7, 2020: 4}


@pytest.mark.slow
def test_2026_2030_plan(data: ServiceData) -> None:
    spec = load_spec(ROOT / "models" / "huitian-2026-2030.toml")
    sol = MultiService(spec).solve(data)
    check(sol, "huitian-2026-2030")
    spaces = sol.facilities.loc[sol.facilities["type"].str.startswith("parking"), "spaces"]
    assert spaces.sum() >= 10_000
