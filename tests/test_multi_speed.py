"""The multi-service model's speed levers keep every answer: exact rows, the pool
heuristic, the certified LP bound, HiGHS's user solutions and cancel, progress lines.

Small random cities (straight-line distance) with every kind of row the 回天 specs
use: shared parcels (a whole-parcel park, footprints, sized parking), capacity,
phasing over three years with yearly budgets, a spaces target and equity floors.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import siting.multi.rows as rows
from siting.backends.base import Result, SolveOptions, Status, get_backend
from siting.backends.highs_lp import warm_lp
from siting.milp import MilpArrays
from siting.multi import MultiService, MultiServiceProblem, ServiceData
from siting.multi.heuristic import Incumbent, PoolHeuristic, dual_bound, one_year_spec
from siting.multi.pipeline import tuned, with_incumbent
from siting.multi.rows import build
from tests.helpers import blocks, existing, parcels, spec

YEARS = [2026, 2027, 2028]
EXACT = SolveOptions(mip_gap=1e-9, time_limit=60)


def city(seed: int, *, ratio_year: int | None = None) -> tuple[Any, ServiceData]:
    """A random small city and a phased spec over it (feasible by construction)."""
    rng = np.random.default_rng(seed)
    xs = rng.uniform(0, 3000, 40)
    b = blocks(*[
        (float(x), {"pop": float(rng.integers(1, 50)), "kids": float(rng.integers(0, 6))},
         "S1" if x < 1500 else "S2")
        for x in xs
    ])
    p = parcels(*[
        {"id": f"P{k}", "x": float(rng.uniform(0, 3000)),
         "area": float(rng.choice([400, 700, 1200, 6000, 12000])),
         "year": int(rng.choice(YEARS)), "sd": "S1" if k % 2 else "S2"}
        for k in range(12)
    ])
    facility = {
        "a": {"group": "pop", "radius_m": 400, "footprint_m2": 300, "build_cost": 5,
              "max_count": {"total": 4}},
        "b": {"group": "kids", "radius_m": 300, "footprint_m2": 500, "build_cost": 8,
              "capacity": 12, "max_count": {"total": 3}},
        "park": {"group": "pop", "radius_m": 300, "whole_parcel": True, "min_area_m2": 5000,
                 "build_cost": 10, "max_count": {"total": 2}},
        "parking": {"group": "pop", "radius_m": 250, "sized": True, "m2_per_space": 25,
                    "min_spaces": 10, "cost_per_space": 0.1},
    }
    equity = [{"facility": "a", "min_ratio_to_area": 0.5, "year": ratio_year}]
    sections: dict[str, Any] = {
        "budget": {"per_year": {str(y): 14.0 for y in YEARS}},
        "target": [{"kind": "spaces", "facility": "parking", "at_least": 40, "year": 2028},
                   {"kind": "service_circle", "facilities": ["a", "park"], "radius_m": 500,
                    "share": 0.9, "mode": "report"}],
        "equity": equity,
    }
    return spec(facility, years=YEARS, **sections), ServiceData(b, p, existing())


def optimum(milp: MilpArrays) -> Result:
    res = get_backend("highs").solve(milp, EXACT)
    assert res.status == Status.OPTIMAL, res.message
    return res


def lp_value(milp: MilpArrays) -> float:
    res = get_backend("highs").solve(
        replace(milp, integrality=np.zeros(milp.num_cols, dtype=bool)), EXACT
    )
    assert res.objective is not None
    return res.objective


# ------------------------------------------------------------------ exact rows
@pytest.mark.parametrize("seed", range(3))
def test_conflict_rows_cut_no_plan(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    sp_, data = city(seed)
    prob = MultiServiceProblem(sp_, data)
    with_rows, _ = build(prob)
    monkeypatch.setattr(rows, "_conflict_rows", lambda *args: None)
    without, _ = build(prob)
    assert with_rows.num_rows > without.num_rows  # the city has parcels two types cannot share
    assert optimum(with_rows).objective == pytest.approx(optimum(without).objective, abs=1e-6)
    assert lp_value(with_rows) <= lp_value(without) + 1e-6  # never looser, often tighter


@pytest.mark.parametrize("seed", [0, 1])
def test_exact_coverage_rows_only_where_a_ratio_floor_reads_them(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    sp_, data = city(seed, ratio_year=2027)
    prob = MultiServiceProblem(sp_, data)
    milp, _ = build(prob)
    exact = [blk.name for blk in milp.row_blocks if blk.name.endswith("_exact")]
    assert exact == ["z_a_a_2027_exact"]
    monkeypatch.setattr(rows, "ratio_years", lambda prob, name: frozenset(range(prob.T)))
    everywhere, _ = build(prob)
    assert everywhere.num_rows > milp.num_rows
    assert optimum(milp).objective == pytest.approx(optimum(everywhere).objective, abs=1e-6)


def test_a_report_only_target_adds_no_columns() -> None:
    sp_, data = city(0)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    assert not lay.c and not prob.indicators  # the service circle is only reported
    sp_.target[1].mode = "constraint"
    sp_.target[1].share = 0.0
    enforced = MultiServiceProblem(sp_, data)
    milp2, lay2 = build(enforced)
    assert list(lay2.c) == ["target1"] and milp2.num_cols > milp.num_cols
    assert optimum(milp).objective == pytest.approx(optimum(milp2).objective, abs=1e-6)


def test_a_restricted_problem_cuts_the_lent_coverage() -> None:
    sp_, data = city(1)
    full = MultiServiceProblem(sp_, data)
    only = {name: td.cand[::2] for name, td in full.types.items()}
    lent = MultiServiceProblem(sp_, data, only=only, reuse=full)
    fresh = MultiServiceProblem(sp_, data, only=only)
    for name in full.types:
        assert (lent.types[name].coverage != fresh.types[name].coverage).nnz == 0
        assert lent.types[name].family.size == fresh.types[name].family.size


# ------------------------------------------------------------------ heuristic
@pytest.mark.parametrize("seed", range(4))
def test_pool_heuristic_plans_are_feasible_and_its_bound_holds(seed: int) -> None:
    sp_, data = city(seed)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    best = optimum(milp).objective
    assert best is not None
    heuristic = PoolHeuristic(prob, milp, lay, "highs",
                              tuned(SolveOptions(mip_gap=1e-3)))
    heuristic.run()
    assert heuristic.best is not None, heuristic.stats
    x = heuristic.best.x
    assert milp.max_violation(x) <= 1e-6
    assert heuristic.best.objective == pytest.approx(milp.objective_of(x))
    assert heuristic.best.objective <= best + 1e-6
    assert heuristic.bound is not None and heuristic.bound >= best - 1e-6


@pytest.mark.parametrize("seed", [0, 6, 7])
def test_a_pool_that_misses_the_plans_parcels_is_widened_by_the_full_lp(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-year LPs' pool without the parcels type ``a`` uses in the optimum (as a
    tight budget's phasing can leave them out): every plan of that pool is below its
    LP, far from the optimum; the pool widened by the full model's LP support finds
    a plan above it (within 1 % of the optimum here; the optimum on seeds 6 and 7)."""
    sp_, data = city(seed)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    exact = optimum(milp)
    assert exact.x is not None and exact.objective is not None
    td = prob.types["a"]
    used = td.cand[exact.x[lay.w["a"].slice].reshape(prob.T, td.n_cand).max(axis=0) > 0.5]
    relaxation = PoolHeuristic._relaxation

    def without_used(self: PoolHeuristic, index: int) -> dict[str, Any]:
        pool = relaxation(self, index)
        return {**pool, "a": np.setdiff1d(pool.get("a", used[:0]), used)}

    monkeypatch.setattr(PoolHeuristic, "_relaxation", without_used)
    heuristic = PoolHeuristic(prob, milp, lay, "highs", tuned(SolveOptions(mip_gap=1e-3)))
    heuristic.run()
    narrow = heuristic.stats["pool"]["lp"]
    assert narrow < 0.95 * exact.objective  # no plan of the narrow pool comes near
    assert "lp pool" in heuristic.stats and heuristic.best is not None
    assert heuristic.best.source.startswith("lp pool")
    assert milp.max_violation(heuristic.best.x) <= 1e-6
    assert narrow < heuristic.best.objective <= exact.objective + 1e-6
    assert heuristic.best.objective >= 0.99 * exact.objective


@pytest.mark.parametrize("seed", range(3))
def test_pool_heuristic_side_by_side_is_the_sequential_run(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two solves at a time (relaxations, the bound LP beside the rounding) give the
    plan, bound and stats of the one-at-a-time order; the bound LP runs in a thread
    of its own."""
    sp_, data = city(seed)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    bound_threads: list[str] = []
    bound_lp = PoolHeuristic._bound_lp

    def spy(self: PoolHeuristic, pool: Any) -> Any:
        bound_threads.append(threading.current_thread().name)
        return bound_lp(self, pool)

    monkeypatch.setattr(PoolHeuristic, "_bound_lp", spy)
    runs: dict[bool, PoolHeuristic] = {}
    for side_by_side in (False, True):
        monkeypatch.setattr(PoolHeuristic, "_side_by_side", lambda self, t=side_by_side: t)
        heuristic = PoolHeuristic(prob, milp, lay, "highs", tuned(SolveOptions(mip_gap=1e-3)))
        heuristic.run()
        assert heuristic.best is not None
        runs[side_by_side] = heuristic
    alone, together = runs[False], runs[True]
    assert bound_threads[0] == threading.current_thread().name
    assert bound_threads[1] != threading.current_thread().name
    assert together.best is not None and alone.best is not None
    assert together.best.objective == alone.best.objective
    assert np.array_equal(together.best.x, alone.best.x)
    assert together.bound == alone.bound and together.proven == alone.proven
    assert list(together.stats) == list(alone.stats)


def test_pool_heuristic_without_a_plan_keeps_its_bound_lp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No plan, but the pool's problem has an LP: the bound LP started beside is kept, as
    the sequential order solves it (its point leads the search for a plan in the full
    model); no pool at all: none is started."""
    sp_, data = city(0)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    opts = tuned(SolveOptions(mip_gap=1e-3))
    monkeypatch.setattr(PoolHeuristic, "_plan", lambda self, restricted: False)
    # nor any plan of the pool's problem (siting.multi.feasible)
    monkeypatch.setattr(PoolHeuristic, "_any_plan", lambda self, restricted: None)
    bounds = []
    for threads in (None, 1):  # side by side, then in order
        heuristic = PoolHeuristic(prob, milp, lay, "highs", replace(opts, threads=threads))
        heuristic.first()
        assert heuristic.best is None and heuristic.bound is not None
        assert heuristic._bound_x is not None and "bound" in heuristic.stats
        assert not heuristic._bound_cancel.is_set() and not heuristic.interrupted
        bounds.append(heuristic.bound)
    assert bounds[0] == bounds[1]
    monkeypatch.setattr(PoolHeuristic, "_relaxation", lambda self, index: {})
    empty = PoolHeuristic(prob, milp, lay, "highs", opts)
    empty.first()
    assert empty.best is None and "bound" not in empty.stats


def test_one_year_spec_keeps_final_minimums_and_spending() -> None:
    sp_, _ = city(0)
    sp_.facility["a"].min_count = {"2027": 1, "2028": 2}
    first, last = one_year_spec(sp_, 0), one_year_spec(sp_, 2)
    assert first.budget.total == 14.0 and last.budget.total == 42.0
    assert first.facility["a"].min_count == {} and last.facility["a"].min_count == {"total": 3}
    assert first.facility["a"].max_count == {"total": 4}
    assert [t.year for t in last.target] == [None, None]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(-5, 5))
def test_dual_bound_holds_for_any_multipliers(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    n, m = 8, 5
    A = sp.csr_matrix(rng.integers(-3, 4, (m, n)).astype(float))
    milp = MilpArrays(
        c=rng.uniform(-1, 3, n), A=A, row_lower=np.where(rng.random(m) < 0.5, -np.inf, -4.0),
        row_upper=np.full(m, 6.0), col_lower=np.zeros(n), col_upper=np.full(n, 2.0),
        integrality=np.ones(n, dtype=bool), sense="max", offset=1.5,
    )
    lp = get_backend("highs").solve(replace(milp, integrality=np.zeros(n, dtype=bool)), EXACT)
    if lp.status != Status.OPTIMAL:
        return
    assert lp.objective is not None
    y = scale * rng.normal(size=m)
    assert dual_bound(milp, y) >= lp.objective - 1e-7


def test_warm_lp_is_the_cold_lp() -> None:
    sp_, data = city(2)
    prob = MultiServiceProblem(sp_, data)
    milp, lay = build(prob)
    held = np.zeros(milp.num_cols, dtype=bool)
    for name, td in prob.types.items():
        held[lay.w[name].slice] = np.tile(np.arange(td.n_cand) % 2 == 0, prob.T)
    res = warm_lp(milp, held, SolveOptions())
    assert res.status == Status.OPTIMAL
    assert res.objective == pytest.approx(lp_value(milp), rel=1e-9)
    duals = res.extra["row_dual"]
    assert isinstance(duals, np.ndarray)
    assert dual_bound(milp, duals) == pytest.approx(res.objective, rel=1e-7)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["max", "min"]),
       st.sampled_from([(14, 6), (120, 16)]))
def test_warm_lp_prices_out_every_held_column(
    seed: int, sense: str, shape: tuple[int, int]
) -> None:
    """Whatever is held and whichever the sense, the priced LP is the whole LP: its
    objective is the cold one and its duals certify it (a held column that still
    prices out would leave the objective short of the cold LP's). The larger shape
    needs a warm round (dual simplex) in about two cases in three and more after
    it (primal simplex) in about one in eight."""
    rng = np.random.default_rng(seed)
    n, m = shape
    milp = MilpArrays(
        c=rng.uniform(-1, 4, n) * (1 if sense == "max" else -1),
        A=sp.csr_matrix(rng.integers(0, 4, (m, n)).astype(float)),
        row_lower=np.full(m, -np.inf), row_upper=rng.uniform(2, 8, m),
        col_lower=np.zeros(n), col_upper=rng.choice([1.0, 3.0], n),
        integrality=np.ones(n, dtype=bool), sense=sense, offset=0.5,  # type: ignore[arg-type]
    )
    held = rng.random(n) < 0.6
    cold = get_backend("highs").solve(replace(milp, integrality=np.zeros(n, dtype=bool)), EXACT)
    res = warm_lp(milp, held, SolveOptions())
    assert res.status == Status.OPTIMAL and cold.objective is not None
    assert res.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-9)
    assert res.extra["rounds"] >= 1
    if sense == "max":
        assert dual_bound(milp, res.extra["row_dual"]) == pytest.approx(res.objective, rel=1e-7)


def test_a_better_plan_or_bound_from_the_heuristic_wins() -> None:
    x = np.zeros(2)
    solver = Result(Status.FEASIBLE, "highs", objective=95.0, bound=110.0, gap=0.16,
                    x=np.ones(2), message="time limit reached")
    worse = with_incumbent(solver, Incumbent(x, 90.0, "pool", 1.0), None, 1e-3)
    assert worse.objective == 95.0 and worse.x is solver.x
    better = with_incumbent(solver, Incumbent(x, 100.0, "pool", 1.0), 100.05, 1e-3)
    assert better.status == Status.OPTIMAL and better.objective == 100.0
    assert better.bound == 100.05 and better.message == ""
    assert better.extra["bound_from"].startswith("LP relaxation")
    infeasible = Result(Status.INFEASIBLE, "highs")
    assert with_incumbent(infeasible, None, 5.0, 1e-3) is infeasible


# ------------------------------------------------------------------ the pipeline
@pytest.mark.parametrize("gap", [1e-3, 1e-6])
def test_pipeline_plans_verify_with_and_without_a_search(gap: float) -> None:
    sp_, data = city(3)
    sp_.solver.mip_gap = gap
    stages: list[tuple[str, bool]] = []
    sol = MultiService(sp_).solve(data, on_stage=lambda s, done, note: stages.append((s, done)))
    assert sol.status == Status.OPTIMAL and sol.verified, (sol.message, sol.verification)
    prob = MultiServiceProblem(sp_, data)
    best = optimum(build(prob)[0]).objective
    assert best is not None and sol.objective >= best * (1 - gap) - 1e-6
    assert sol.bound is not None and sol.bound >= best - 1e-6
    ended = [s for s, done in stages if done]
    assert ended == ["coverage", "model", "start", "search", "verify", "reasons"]
    assert "start" in sol.stats


# ------------------------------------------------------------------ HiGHS hooks
def knapsack(n: int = 60, seed: int = 0) -> tuple[MilpArrays, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.integers(10, 100, n).astype(float)
    v = w + rng.integers(0, 10, n)
    milp = MilpArrays(c=v, A=sp.csr_matrix(w[None, :]), row_lower=np.array([-np.inf]),
                      row_upper=np.array([w.sum() / 3]), col_lower=np.zeros(n),
                      col_upper=np.ones(n), integrality=np.ones(n, dtype=bool), sense="max")
    return milp, optimum(milp).x  # type: ignore[return-value]


def test_highs_takes_a_solution_handed_over_during_the_solve() -> None:
    milp, best = knapsack()
    asked: list[bool] = []

    def feed() -> np.ndarray | None:
        asked.append(True)
        return best if len(asked) == 1 else None

    # without its own heuristics HiGHS keeps what it is given
    quiet = {"highs": {"mip_heuristic_effort": 0.0, "mip_heuristic_run_feasibility_jump": False}}
    res = get_backend("highs").solve(
        milp, SolveOptions(mip_gap=1e-9, incumbents=feed, solver_options=quiet)
    )
    assert asked and res.status == Status.OPTIMAL
    assert res.objective == pytest.approx(milp.objective_of(best))


def test_highs_ignores_a_handed_solution_of_the_wrong_length() -> None:
    milp, best = knapsack()
    res = get_backend("highs").solve(
        milp, SolveOptions(mip_gap=1e-9, incumbents=lambda: np.ones(3))
    )
    assert res.status == Status.OPTIMAL
    assert res.objective == pytest.approx(milp.objective_of(best))


def market_split(planted: bool) -> MilpArrays:
    """Cornuéjols–Dawande market split, 5 × 40: the proof takes hours on any machine.

    With slack (``planted`` False) a plan is at hand at once; ``planted`` leaves only
    the equalities, whose plans are as hard to find as the optimum.
    """
    rng = np.random.default_rng(0)
    a = rng.integers(0, 100, size=(5, 40)).astype(float)
    if planted:
        d = a @ rng.integers(0, 2, 40).astype(float)
        return MilpArrays(c=rng.integers(1, 20, 40).astype(float), A=sp.csr_matrix(a),
                          row_lower=d, row_upper=d, col_lower=np.zeros(40),
                          col_upper=np.ones(40), integrality=np.ones(40, dtype=bool))
    d = np.floor(a.sum(axis=1) / 2)
    eye = sp.identity(5)
    return MilpArrays(c=np.r_[np.zeros(40), np.ones(10)],
                      A=sp.hstack([sp.csr_matrix(a), eye, -eye]).tocsr(),
                      row_lower=d, row_upper=d, col_lower=np.zeros(50),
                      col_upper=np.r_[np.ones(40), np.full(10, np.inf)],
                      integrality=np.ones(50, dtype=bool))


def test_cancel_with_an_incumbent_stops_highs_like_a_time_limit() -> None:
    """Cancelled from the solver's own report once it holds a plan: ``feasible`` with
    that plan and its gap, and not Ctrl-C (nothing to re-raise)."""
    milp = market_split(planted=False)
    cancel = threading.Event()

    def cancel_with_an_incumbent(incumbent: float | None, *_: object) -> None:
        if incumbent is not None:
            cancel.set()

    # the time limit only ends a broken cancel, which the message then shows
    res = get_backend("highs").solve(milp, SolveOptions(
        mip_gap=0.0, cancel=cancel, progress=cancel_with_an_incumbent, time_limit=120))
    assert res.message == "Interrupted by user"
    assert cancel.is_set() and res.status == Status.FEASIBLE, (res.status, res.message)
    assert res.x is not None and milp.max_violation(res.x) <= 1e-6
    assert res.gap is not None and res.gap > 0
    assert not res.extra.get("interrupted")


def test_cancel_before_any_plan_stops_highs_without_one() -> None:
    milp = market_split(planted=True)
    cancel = threading.Event()
    cancel.set()
    res = get_backend("highs").solve(milp, SolveOptions(mip_gap=0.0, cancel=cancel,
                                                        time_limit=120))
    assert res.message == "Interrupted by user"
    assert res.status == Status.NO_SOLUTION and res.x is None, (res.status, res.message)
    assert not res.extra.get("interrupted")


# ------------------------------------------------------------------ progress
def test_progress_without_a_terminal_prints_one_line_a_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from siting.cli.progress import Phases

    phases = Phases(enabled=True)  # pytest's stderr is not a terminal
    assert phases.plain and not phases.enabled
    hook = phases.stage_hook(60.0)
    assert hook is not None
    sp_, data = city(0)
    MultiService(sp_).solve(data, on_stage=hook)
    lines = capsys.readouterr().err.splitlines()
    names = [line.split(":")[1].strip() for line in lines]
    assert names == ["coverage", "model", "start (heuristic plan)",
                     "search (full model)", "verify", "reasons (what binds the plan)"]
    assert "incumbent" in lines[2] and "objective" in lines[3]
    assert Phases(enabled=False).stage_hook(60.0) is None


def test_block_points_made_once_for_the_same_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocks' points are made once for every metric asked of the same shapes; a
    geometry put in place of another is a new shape and gets its own point."""
    import shapely

    import siting.multi.data as multi_data

    _, data = city(3)
    made: list[int] = []
    counted = multi_data.points_of

    def counting(shapes: Any) -> Any:
        made.append(len(shapes))
        return counted(shapes)

    monkeypatch.setattr(multi_data, "points_of", counting)
    getattr(multi_data, "_POINTS_OF", {}).clear()
    first = data.block_xy()
    first[0] = -1.0  # the caller's copy: the remembered points stay as made
    again = data.block_xy()
    assert made == [len(data.blocks)]
    assert again[0].tolist() != [-1.0, -1.0]
    data.blocks.loc[data.blocks.index[0], "geometry"] = shapely.Point(-5.0, 7.0)
    assert data.block_xy()[0].tolist() == [-5.0, 7.0]
    assert made == [len(data.blocks)] * 2


def _uses_by_pandas(allowed: Any) -> Any:
    """Allowed uses normalised by pandas' string accessor (the reference)."""
    from siting.multi.data import USE_SEPARATORS

    text = allowed.astype(object).where(allowed.notna(), "").astype(str)
    joined = text.str.replace(USE_SEPARATORS, ";", regex=True).str.strip()
    return joined.str.replace(r";{2,}", ";", regex=True).str.strip(";").astype("str")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab 幼;,、，；|\t"), st.integers(0, 9)),
                max_size=12),
       st.sampled_from(["a", "b", " a ", "幼", "ab"]))
def test_allowed_uses_read_as_pandas_reads_them(values: list[Any], use: str) -> None:
    """Normalised uses and the use mask are those of pandas' string accessor, value for
    value (and dtype, index and name)."""
    import pandas as pd

    from siting.multi.data import normalise_uses, uses_mask

    allowed = pd.Series(values, index=np.arange(len(values))[::-1] * 3, name="allowed_uses",
                        dtype=object)
    expect = _uses_by_pandas(allowed)
    got = normalise_uses(allowed)
    pd.testing.assert_series_equal(got, expect)
    padded = ";" + expect + ";"
    mask = uses_mask(allowed, use)
    assert mask.dtype == np.bool_
    assert mask.tolist() == padded.str.contains(f";{use.strip()};", regex=False).tolist()


def test_coverage_by_year_measures_a_repeated_open_set_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Years whose open sites of a type are an earlier year's get that coverage, measured
    once; every year's coverage is what measuring it alone gives."""
    from siting.multi import tables

    sp_, data = city(0)
    sol = MultiService(sp_).solve(data, reasons=False)
    assert sol.status.has_solution
    prob = MultiServiceProblem(sp_, data)
    alone = {(name, t): tables.covered(prob, sol, name, t, td.spec.radius_m)
             for name, td in prob.types.items() for t in range(prob.T)}
    distinct = {(name, *(a.tobytes() for a in tables.open_sites(prob, sol, name, t)))
                for name in prob.types for t in range(prob.T)}
    assert len(distinct) < len(alone)  # the case the test is about
    calls = []
    fresh = MultiServiceProblem(sp_, data)  # ``prob`` remembers the answers measured above
    for td in fresh.types.values():  # the plan's sites are candidates: the types' metrics
        measure = td.instance.metric.nearest_in

        def counted(sites: Any, measure: Any = measure) -> Any:
            calls.append(sites)
            return measure(sites)

        monkeypatch.setattr(td.instance.metric, "nearest_in", counted)
    made = []
    metric = ServiceData.metric

    def making(self: ServiceData, *args: Any, **kwargs: Any) -> Any:
        made.append(args)
        return metric(self, *args, **kwargs)

    monkeypatch.setattr(ServiceData, "metric", making)
    cov = tables.coverage_by_year(fresh, sol)
    assert len(calls) == len(distinct) and not made
    assert cov.keys() == alone.keys()
    assert all(np.array_equal(cov[k], alone[k]) for k in alone)
