"""Partial set covering (pscp) against brute force, LSCP, its verifier and the command line.

Small random instances are enumerated (``itertools.combinations`` over the new
sites, coverage from dense distances) and every back end that takes the model
(the MILP back ends with continuous columns: CP-SAT wants integer columns only)
must reach the enumerated optimum with both formulations, verified, and the
``heuristic`` back end's greedy plan must never beat it, nor its bound cut it
off; 20 examples by default, more in the ``slow`` suite.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.backends.base import SolveOptions, Status
from siting.cli import EXIT_INFEASIBLE, EXIT_INPUT, main
from siting.errors import InfeasibleError, ParameterError
from siting.heuristics.structure import CoverStructure
from siting.instance import Instance
from siting.models import LSCP, PSCP
from siting.models.benders import Master
from siting.models.cover_cuts import CoverData
from siting.models.covering import master_capable
from siting.models.partial import descend_partial, greedy_partial, structure_of
from siting.verify import verify_solution
from tests.conftest import REFERENCE, mip_backends, tiny_instance, uniform_instance

BACKENDS = [name for name in mip_backends() if master_capable(name)]
FORMULATIONS = ("compact", "benders")
COMMON: dict[str, Any] = {"deadline": None, "derandomize": True,
                          "suppress_health_check": [HealthCheck.too_slow]}


def distances(inst: Instance) -> Any:
    assert inst.demand_frame is not None and inst.site_frame is not None
    d = inst.demand_frame[["x", "y"]].to_numpy(float)
    s = inst.site_frame[["x", "y"]].to_numpy(float)
    return np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))


def brute_force(inst: Instance, radius: float, share: float, weighted: bool) -> float | None:
    """The least count (or cost) of new sites covering the share; None when none does."""
    within = distances(inst) <= radius
    goal = share * float(inst.weight.sum()) * (1 - 1e-9)
    existing = np.flatnonzero(inst.existing)
    new = np.flatnonzero(~inst.existing)
    cost = inst.site_cost if weighted else np.ones(inst.n_sites)
    best = None
    for k in range(new.size + 1):
        for chosen in itertools.combinations(new.tolist(), k):
            open_sites = np.r_[existing, np.array(chosen, dtype=np.int64)].astype(np.int64)
            if float(inst.weight[within[:, open_sites].any(axis=1)].sum()) >= goal:
                value = float(cost[list(chosen)].sum())
                best = value if best is None else min(best, value)
    return best


def _case(seed: int, n: int, m: int, existing: int, radius: float, share: float,
          weighted: bool) -> tuple[Instance, PSCP, float | None]:
    inst = tiny_instance(seed, n=n, m=m, existing=min(existing, m - 1))
    best = brute_force(inst, radius, share, weighted)
    return inst, PSCP(radius=radius, share=share, weighted_cost=weighted), best


def check_against_brute_force(inst: Instance, model: PSCP, best: float | None) -> None:
    for solver in BACKENDS:
        for formulation in FORMULATIONS:
            chosen = PSCP(radius=model.radius, share=model.share,
                          weighted_cost=model.weighted_cost, formulation=formulation)
            if best is None:
                with pytest.raises(InfeasibleError, match="at most"):
                    chosen.solve(inst, solver)
                continue
            sol = chosen.solve(inst, solver)
            where = (solver, formulation, sol.status, sol.message)
            assert sol.status == Status.OPTIMAL, where
            assert sol.verified is True, (where, sol.verification)
            assert sol.stats["formulation"] == formulation
            assert sol.objective is not None
            assert math.isclose(sol.objective, best, rel_tol=1e-9, abs_tol=1e-6), (
                where, sol.objective, best)
            assert sol.bound is not None and sol.bound <= sol.objective + 1e-6
    if best is None:
        return
    greedy = model.solve(inst, "heuristic")  # the greedy plan and the knapsack bound
    assert greedy.status.has_solution and greedy.verified is True, greedy.verification
    assert greedy.objective is not None and greedy.objective >= best - 1e-6
    assert greedy.bound is not None and greedy.bound <= best + 1e-6


CASES = st.builds(
    _case, st.integers(0, 10_000), st.integers(3, 10), st.integers(2, 7), st.integers(0, 2),
    st.sampled_from([4.5, 7.5, 10.5]), st.sampled_from([0.2, 0.5, 0.8, 0.95, 1.0]),
    st.booleans(),
)


@settings(max_examples=20, **COMMON)
@given(case=CASES)
def test_every_backend_and_formulation_reach_the_enumerated_optimum(case: Any) -> None:
    check_against_brute_force(*case)


@pytest.mark.slow
@settings(max_examples=150, **COMMON)
@given(case=CASES)
def test_every_backend_and_formulation_reach_the_enumerated_optimum_extended(case: Any) -> None:
    check_against_brute_force(*case)


def _spread(seed: int, n: int, m: int, existing: int, scale: float) -> Instance:
    """Random points on a 30 × 30 grid, integer weights times ``scale``, costs 1–4."""
    rng = np.random.default_rng(seed)
    demand = pd.DataFrame({
        "id": np.arange(n), "x": rng.integers(0, 30, n).astype(float),
        "y": rng.integers(0, 30, n).astype(float),
        "weight": rng.integers(0, 9, n).astype(float) * scale,
    })
    sites = pd.DataFrame({
        "id": np.arange(m), "x": rng.integers(0, 30, m).astype(float),
        "y": rng.integers(0, 30, m).astype(float), "cost": rng.integers(1, 5, m).astype(float),
        "existing": np.arange(m) < existing,
    })
    return Instance.from_frames(demand, sites, demand_id="id", site_id="id", cost="cost",
                                existing="existing")


@settings(max_examples=20, **COMMON)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 80), m=st.integers(2, 14),
       existing=st.integers(0, 2), radius=st.sampled_from([4.0, 7.0, 11.0]),
       share=st.sampled_from([0.3, 0.6, 0.9]), weighted=st.booleans(),
       groups=st.sampled_from([1, 3, None]), solver=st.sampled_from(BACKENDS))
def test_compact_and_benders_agree(seed: int, n: int, m: int, existing: int, radius: float,
                                   share: float, weighted: bool, groups: int | None,
                                   solver: str) -> None:
    """Larger instances, grouped θ, and weights large enough to scale the master's θ."""
    for scale in (1.0, 1e6):
        inst = _spread(seed, n, m, min(existing, m - 1), scale)
        try:
            compact = PSCP(radius=radius, share=share, weighted_cost=weighted,
                           formulation="compact").solve(inst, solver)
        except InfeasibleError:
            with pytest.raises(InfeasibleError):
                PSCP(radius=radius, share=share, formulation="benders").solve(inst, solver)
            return
        benders = PSCP(radius=radius, share=share, weighted_cost=weighted,
                       formulation="benders", theta_groups=groups).solve(
                           inst, solver, SolveOptions(time_limit=60))
        assert compact.status == Status.OPTIMAL and benders.status == Status.OPTIMAL, scale
        assert compact.verified and benders.verified, benders.verification
        assert benders.objective == pytest.approx(compact.objective, abs=1e-6)


def test_benders_time_limit_is_honest() -> None:
    """A run stopped early (a limit no machine does anything in) keeps a verified plan and
    a valid bound, and is not called optimal."""
    inst = uniform_instance(5, 3000, 300)
    sol = PSCP(radius=8.0, share=0.8, formulation="benders").solve(
        inst, "highs", SolveOptions(time_limit=1e-9))
    assert sol.status == Status.FEASIBLE
    assert sol.verified
    assert sol.bound is not None and sol.bound <= sol.objective + 1e-6
    assert sol.gap is not None and sol.gap > 0


def test_the_coverage_row_is_in_the_theta_scale() -> None:
    cov = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1], [0, 0, 1]], float)
    data = CoverData.build(sp.csr_matrix(cov), np.array([4e6, 3e6, 2e6, 5e6]), groups=1)
    master = Master(data, np.zeros(3), np.ones(3), sp.csr_matrix((0, 3)), np.zeros(0), 0.0,
                    cost=np.ones(3), required=8e6)
    assert master.scale > 1 and master.sense == "min"
    arrays = master.milp(integer=True)
    row = arrays.A.toarray()[0]
    assert arrays.row_lower[0] * master.scale == pytest.approx(8e6)
    assert row[:3] * master.scale == pytest.approx(data.linear)  # the 5e6 row: site 2 alone
    assert row[3:].tolist() == [1.0]
    assert arrays.c.tolist() == [1.0, 1.0, 1.0, 0.0]
    assert master.covers(np.array([1.0, 0.0, 0.0])) is False  # rows 0 and 2: 6e6
    assert master.covers(np.array([0.0, 0.0, 1.0])) is True  # rows 1, 2 and 3: 1e7


def _line() -> Instance:
    """Points at 0, 10, 20, 30 (weights 5, 3, 4, 8), sites next to each; site costs vary."""
    demand = pd.DataFrame({"x": [0, 10, 20, 30.0], "y": [0.0] * 4, "weight": [5, 3, 4, 8]})
    sites = pd.DataFrame({"x": [1, 9, 21, 30, 5.0], "y": [0.0] * 5,
                          "cost": [3, 1, 1, 9, 2.0], "existing": [False] * 4 + [True]})
    return Instance.from_frames(demand, sites, cost="cost", existing="existing")


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_existing_sites_count_and_cost_nothing(formulation: str) -> None:
    inst = _line()  # the existing site at x = 5 covers the points at 0 and 10 (radius 5.5)
    already = PSCP(radius=5.5, share=0.4, formulation=formulation).solve(inst)
    assert already.objective == 0.0 and already.verified  # 8 of 20
    sol = PSCP(radius=5.5, share=0.6, formulation=formulation).solve(inst)  # 12: one more
    assert sol.objective == 1.0 and sol.verified
    assert set(sol.existing) <= set(sol.selected) and len(sol.selected) == 2


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_weighted_cost_prefers_cheaper_sites(formulation: str) -> None:
    inst = _line()  # radius 1.5: each new site covers its own point; 12 of 20 needed
    count = PSCP(radius=1.5, share=0.6, formulation=formulation).solve(inst)
    cost = PSCP(radius=1.5, share=0.6, weighted_cost=True, formulation=formulation).solve(inst)
    assert count.verified and cost.verified
    assert count.objective == 2.0  # 8 + 5 or 8 + 4: the point at 30 costs 9
    assert cost.objective == 5.0  # 5 + 3 + 4 for 3 + 1 + 1
    assert len(cost.selected) == 3 + 1  # and the existing site


def test_an_unreachable_share_is_refused_before_any_solve() -> None:
    demand = pd.DataFrame({"x": [0, 100.0], "y": [0, 0.0], "weight": [3, 1]})
    inst = Instance.from_frames(demand, pd.DataFrame({"x": [1.0], "y": [0.0]}))
    assert PSCP(radius=5, share=0.75).solve(inst).objective == 1.0
    with pytest.raises(InfeasibleError, match=r"share 0.8 asks for weight 3.2 of 4, but at "
                       r"most 3 \(75.00%\) lies within radius 5"):
        PSCP(radius=5, share=0.8).solve(inst)


@pytest.mark.parametrize("kwargs, field", [
    ({"radius": 5}, "share"), ({"radius": 5, "share": 0}, "share"),
    ({"radius": 5, "share": 1.2}, "share"), ({"radius": -1, "share": 0.5}, "radius"),
    ({"radius": 5, "share": 0.5, "formulation": "dual"}, "formulation"),
])
def test_bad_parameters_name_their_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ParameterError) as err:
        PSCP(**kwargs).solve(_line())
    assert err.value.field == field


def test_benders_needs_a_master_backend() -> None:
    with pytest.raises(ParameterError, match="Benders"):
        PSCP(radius=5, share=0.5, formulation="benders").solve(_line(), "heuristic")


@settings(max_examples=20, **COMMON)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 30), m=st.integers(2, 10),
       formulation=st.sampled_from(FORMULATIONS))
def test_share_one_is_lscp_where_everyone_can_be_covered(seed: int, n: int, m: int,
                                                         formulation: str) -> None:
    inst = tiny_instance(seed, n=n, m=m)  # weights 1–9: every point counts
    radius = float(np.ceil(distances(inst).min(axis=1).max())) + 0.5  # everyone in reach
    full = PSCP(radius=radius, share=1.0, formulation=formulation).solve(inst)
    lscp = LSCP(radius=radius).solve(inst)
    assert full.status == lscp.status == Status.OPTIMAL
    assert full.objective == pytest.approx(lscp.objective)


@settings(max_examples=30, **COMMON)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 40), m=st.integers(2, 10),
       radius=st.sampled_from([4.5, 7.5]), share=st.sampled_from([0.3, 0.7, 1.0]),
       weighted=st.booleans())
def test_the_greedy_start_meets_the_share_and_never_beats_the_optimum(
    seed: int, n: int, m: int, radius: float, share: float, weighted: bool
) -> None:
    inst = tiny_instance(seed, n=n, m=m, existing=seed % 2)
    model = PSCP(radius=radius, share=share, weighted_cost=weighted, formulation="compact")
    try:
        built = model.build(inst)
    except InfeasibleError:
        return
    s = structure_of(built)
    mask = greedy_partial(s)
    assert (mask >= s.fixed_open).all() and not (mask & s.closed).any()
    covered = np.minimum(s.cov @ mask.astype(float), 1.0)
    assert float(s.weight @ covered) >= s.required - 1e-9
    optimum = model.solve(inst).objective
    assert float(s.cost @ mask) >= optimum - 1e-9


# ---------------------------------------------------------------------- verifier
def _solved() -> tuple[Instance, PSCP, Any]:
    inst = tiny_instance(11, n=12, m=7)
    model = PSCP(radius=7.5, share=0.8)
    sol = model.solve(inst)
    assert sol.status == Status.OPTIMAL and sol.verified and len(sol.selected) >= 2
    return inst, model, sol


def test_a_plan_below_the_share_fails_verification() -> None:
    inst, model, sol = _solved()
    sol.selected = sol.selected[:-1]  # an optimum: one site fewer cannot meet the share
    sol.objective -= 1
    sol.coverage = None
    report = verify_solution(inst, model, sol)
    assert not report.ok
    assert any("below share 0.8" in m for m in report.messages), report.messages


def test_a_wrongly_claimed_objective_fails_verification() -> None:
    inst, model, sol = _solved()
    claimed = sol.objective
    sol.objective = claimed - 1  # fewer sites than it opens
    report = verify_solution(inst, model, sol)
    assert not report.ok and any("claimed" in m for m in report.messages)
    sol.objective, sol.bound = claimed, claimed + 1  # a bound the plan beats
    report = verify_solution(inst, model, sol)
    assert not report.ok and any("beats" in m for m in report.messages)


def test_a_false_coverage_claim_fails_verification() -> None:
    inst, model, sol = _solved()
    uncovered = np.flatnonzero(sol.coverage["covered"].to_numpy() == 0)
    assert uncovered.size  # a share of 0.8 leaves someone out here
    sol.coverage.loc[uncovered[0], "covered"] = 1
    report = verify_solution(inst, model, sol)
    assert not report.ok and any("claimed covered" in m for m in report.messages)


# ---------------------------------------------------------------------- command line
SWAIN = REFERENCE / "swain" / "swain.dat"


def test_cli_solves_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not SWAIN.exists():
        pytest.skip("instances/reference not present")
    out = tmp_path / "sol"
    code = main(["solve", str(SWAIN), "--model", "pscp", "--radius", "10", "--share", "0.9",
                 "--formulation", "benders", "--weighted-cost", "--out", str(out), "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    written = json.loads((out / "solution.json").read_text())
    assert written["model"] == "pscp" and written["verified"] is True
    assert written["params"]["share"] == 0.9 and written["params"]["weighted_cost"] is True
    assert printed["stats"]["formulation"] == "benders"
    assert printed["objective"] == 4


@pytest.mark.parametrize("share, needle", [
    (None, "field '--share': is required"), ("1.5", "field '--share': value 1.5: must be <= 1"),
    ("0", "field '--share': value 0.0: must be > 0"), ("most", "field '--share': value 'most'"),
])
def test_cli_bad_share_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   share: str | None, needle: str) -> None:
    (tmp_path / "demand.csv").write_text("id,x,y,weight\na,0,0,1\nb,100,0,1\n")
    (tmp_path / "sites.csv").write_text("id,x,y\ns1,1,0\n")
    args = ["solve", str(tmp_path), "--model", "pscp", "--radius", "5"]
    code = main(args + ([] if share is None else ["--share", share]))
    err = capsys.readouterr().err
    assert code == EXIT_INPUT
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


def test_cli_unreachable_share_exits_infeasible(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "demand.csv").write_text("id,x,y,weight\na,0,0,1\nb,100,0,1\n")
    (tmp_path / "sites.csv").write_text("id,x,y\ns1,1,0\n")
    code = main(["solve", str(tmp_path), "--model", "pscp", "--radius", "5", "--share", "0.9"])
    err = capsys.readouterr().err
    assert code == EXIT_INFEASIBLE
    assert "at most 1 (50.00%)" in err and len(err.strip().splitlines()) == 1


@settings(max_examples=60, **COMMON)
@given(seed=st.integers(0, 10_000), rows=st.integers(2, 40), m=st.integers(2, 10),
       share=st.sampled_from([0.3, 0.6, 0.9]), weighted=st.booleans(), fixed=st.integers(0, 1))
def test_descent_keeps_the_share_and_never_costs_more(
    seed: int, rows: int, m: int, share: float, weighted: bool, fixed: int
) -> None:
    rng = np.random.default_rng(seed)
    cov = sp.csr_matrix(rng.random((rows, m)) < 0.3, dtype=np.float64)
    weight = rng.integers(1, 9, rows).astype(float)
    cost = rng.integers(1, 5, m).astype(float) if weighted else np.ones(m)
    fixed_open = np.arange(m) < fixed
    closed = (rng.random(m) < 0.2) & ~fixed_open
    most = float(weight @ (cov @ (~closed).astype(float) > 0))
    required = share * most
    s = CoverStructure.of(cov, weight, cost=cost, fixed_open=fixed_open, closed=closed,
                          required=required)
    start = greedy_partial(s)
    plan = descend_partial(s, start)
    assert float(weight @ (cov @ plan.astype(float) > 0)) >= required - 1e-9
    assert plan[fixed_open].all() and not plan[closed].any()
    new = plan & ~fixed_open
    assert cost[new].sum() <= cost[start & ~fixed_open].sum()


def test_descent_improves_the_greedy_plan_at_scale() -> None:
    """On a uniform 3,000 × 200 instance the greedy plan for share 0.8 has sites to spare."""
    inst = uniform_instance(5, 3_000, 200)
    model = PSCP(radius=6.0, share=0.8)
    s = structure_of(model.build(inst))
    start = greedy_partial(s)
    plan = descend_partial(s, start)
    assert plan.sum() < start.sum()
    sol = model.solve(inst, "heuristic")
    assert sol.verified and sol.objective == plan.sum()
