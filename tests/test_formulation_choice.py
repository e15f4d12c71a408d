"""MCLP's ``auto`` formulation: the rule's decisions, the reason recorded, and every
path (compact, Benders, Benders' root then either) agreeing with brute force."""

from __future__ import annotations

import itertools
import json
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.backends.base import SolveOptions, Status, Tuning
from siting.heuristics.structure import CoverStructure
from siting.instance import Instance
from siting.models import MCLP, benders, cover_choice, covering
from siting.models.benders_root import RootLP
from siting.models.covering import (
    DENSE_ROW,
    MANY_ROWS_PER_SITE,
    PROBE_MOST_ROWS,
    ROOT_GAP_BENDERS,
    choice_from_root,
    shape_choice,
)


def _nodes(seed: int, n: int, side: float = 20.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(n), "x": rng.integers(0, int(side), n).astype(float),
                         "y": rng.integers(0, int(side), n).astype(float),
                         "weight": rng.integers(0, 9, n).astype(float)})


def _brute_force(demand: pd.DataFrame, sites: pd.DataFrame, radius: float, p: int) -> float:
    """The best covered weight over every set of at most ``p`` sites."""
    d = demand[["x", "y"]].to_numpy()
    s = sites[["x", "y"]].to_numpy()
    reach = np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1]) <= radius
    w = demand["weight"].to_numpy()
    best = 0.0
    for k in range(1, p + 1):
        for combo in itertools.combinations(range(len(s)), k):
            best = max(best, float(w[reach[:, list(combo)].any(axis=1)].sum()))
    return best


# -- the rule on constructed shapes ---------------------------------------------------

def test_shape_decides_dense_rows_many_rows_and_large_instances() -> None:
    # Every node a candidate in a small city: rows of 120 sites each.
    assert shape_choice("auto", 700, 420, 84_000, "highs") == covering.Choice(
        "benders", "nonzeros 120.0 per merged row >= 20: benders")
    # Uniform 20,000 × 1,000: many distinct rows per site.
    assert shape_choice("auto", 19_000, 990, 190_000, "highs") == covering.Choice(
        "benders", "merged rows 19.2 per free site >= 8: benders")
    # Too large to probe: the rows-per-site rule, either way, saying so.
    big = shape_choice("auto", PROBE_MOST_ROWS + 1, 40_000, 10**6, "highs")
    assert big is not None and big.formulation == "compact"
    assert big.reason.startswith("too large to probe the root; merged rows 1.3 per free site")
    # A clustered 5,000 × 500 shape: the root decides.
    assert shape_choice("auto", 2_000, 480, 10_000, "highs") is None
    assert shape_choice("auto", 2_000, 0, 0, "highs") == covering.Choice(
        "compact", "no free site")
    assert shape_choice("auto", 2_000, 480, 10_000, "heuristic") == covering.Choice(
        "compact", "back end heuristic cannot take the Benders master")
    assert shape_choice("benders", 2_000, 480, 10_000, "highs") == covering.Choice(
        "benders", "requested")


def test_thresholds_sit_at_their_edges() -> None:
    rows = 1_000
    assert shape_choice("auto", rows, 500, int(DENSE_ROW * rows), "highs") is not None
    assert shape_choice("auto", rows, 500, int(DENSE_ROW * rows) - 1, "highs") is None
    sites = 100
    assert shape_choice("auto", int(MANY_ROWS_PER_SITE * sites), sites, 8_000, "highs") \
        is not None
    assert shape_choice("auto", int(MANY_ROWS_PER_SITE * sites) - 1, sites, 7_990, "highs") \
        is None


@pytest.mark.parametrize(("bound", "expected"), [
    (1000.0, "benders"),                                # the root proves the plan
    (1000.0 * (1 + ROOT_GAP_BENDERS), "benders"),       # at the limit
    (1000.0 * (1 + ROOT_GAP_BENDERS) + 1, "compact"),   # beyond it
    (1013.2, "compact"),
    (82_850.125 / 82_543 * 1000, "compact"),          # blobs s2's root gap, 0.37 %
    (1002.58, "benders"),                               # clustered r2's, 0.26 %
])
def test_root_gap_decides(bound: float, expected: str) -> None:
    choice = choice_from_root(1000.0, bound)
    assert choice.formulation == expected
    assert choice.reason.startswith("root LP bound ")


# -- the whole solve -------------------------------------------------------------------

def test_dense_rows_go_to_benders_and_say_why() -> None:
    # 150 nodes, every one a candidate, radius 8 in a 20 × 20 square: each merged row
    # holds more than 20 sites (the SJC sets' shape), which the rows-per-site rule
    # alone sent to the compact model.
    nodes = _nodes(5, 150)
    inst = Instance.from_frames(nodes, nodes[["id", "x", "y"]], demand_id="id", site_id="id")
    model = MCLP(radius=8.0, p=3)
    s = model.build(inst).milp.structure
    assert isinstance(s, CoverStructure)
    assert s.cov.nnz / s.n_rows >= DENSE_ROW and s.n_rows < 3 * int(s.free.sum())
    sol = model.solve(inst)
    assert sol.stats["formulation"] == "benders", sol.stats["formulation_reason"]
    assert sol.stats["formulation_reason"].startswith("nonzeros ")
    assert sol.status == Status.OPTIMAL and sol.verified
    shown = json.loads(sol.to_json())
    assert shown["stats"]["formulation_reason"] == sol.stats["formulation_reason"]


def _probe_case() -> tuple[pd.DataFrame, pd.DataFrame, Instance]:
    """60 nodes, 12 of them candidate sites: the instance the probe tests solve."""
    nodes = _nodes(11, 60)
    sites = nodes.sample(12, random_state=1)[["id", "x", "y"]]
    return nodes, sites, Instance.from_frames(nodes, sites, demand_id="id", site_id="id")


@pytest.mark.parametrize(("limit", "expected"), [(-1.0, "compact"), (np.inf, "benders")])
def test_probe_hands_over_either_way(limit: float, expected: str) -> None:
    nodes, sites, inst = _probe_case()
    with mock.patch.object(cover_choice, "ROOT_GAP_BENDERS", limit):
        sol = MCLP(radius=4.0, p=3).solve(inst)
    assert sol.stats["formulation"] == expected
    assert sol.stats["formulation_reason"].startswith("root LP bound ")
    assert "probe_s" in sol.stats
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective == pytest.approx(_brute_force(nodes, sites, 4.0, 3))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(3, 40), m=st.integers(2, 8),
       p=st.integers(1, 3), radius=st.sampled_from([3.0, 5.0, 8.0]),
       limit=st.sampled_from([-1.0, ROOT_GAP_BENDERS, np.inf]))
def test_every_path_agrees_with_brute_force(
    seed: int, n: int, m: int, p: int, radius: float, limit: float
) -> None:
    demand = _nodes(seed, n)
    sites = _nodes(seed + 1, m)[["id", "x", "y"]]
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id")
    p = min(p, m)
    best = _brute_force(demand, sites, radius, p)
    opts = SolveOptions(time_limit=60)
    with mock.patch.object(cover_choice, "ROOT_GAP_BENDERS", limit):
        for form in ("auto", "compact", "benders"):
            sol = MCLP(radius=radius, p=p, formulation=form).solve(inst, "highs", opts)
            assert sol.status == Status.OPTIMAL and sol.verified, (form, sol.message)
            assert sol.objective == pytest.approx(best, abs=1e-6), form
            assert sol.objective is not None and sol.bound is not None
            assert sol.bound >= sol.objective - 1e-6
            assert sol.stats["formulation_reason"]


def test_no_root_lp_in_time_falls_back_to_the_shape_rule() -> None:
    nodes, sites, inst = _probe_case()

    def no_bound(master: object, core: np.ndarray, deadline: float, solver: str) -> RootLP:
        return RootLP(bound=np.inf, x=np.zeros(0), rounds=0, reduced=None)

    seen: list[SolveOptions] = []
    real = MCLP.solve_built

    def spy(self: MCLP, inst: Instance, built: object, solver: str, options: SolveOptions,
            **kw: object) -> object:
        seen.append(options)
        return real(self, inst, built, solver, options, **kw)  # type: ignore[arg-type]

    with mock.patch.object(covering, "root_cut_loop", no_bound), \
            mock.patch.object(MCLP, "solve_built", spy):
        sol = MCLP(radius=4.0, p=3).solve(inst)
    # the greedy plan without a root keeps HiGHS's heuristics
    assert all(Tuning.NO_HEURISTICS not in o.tuning for o in seen)
    assert sol.stats["formulation_reason"].startswith("no root LP in time; merged rows ")
    assert sol.stats["probe_root_bound"] is None
    json.loads(sol.to_json())  # strict JSON: no Infinity
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective == pytest.approx(_brute_force(nodes, sites, 4.0, 3))


def test_compact_after_the_probe_runs_without_heuristics_and_restarts() -> None:
    # Started from the probe's plan, HiGHS's heuristics and restarts only repeat work.
    nodes, sites, inst = _probe_case()
    seen: list[SolveOptions] = []
    real = MCLP.solve_built

    def spy(self: MCLP, inst: Instance, built: object, solver: str, options: SolveOptions,
            **kw: object) -> object:
        seen.append(options)
        return real(self, inst, built, solver, options, **kw)  # type: ignore[arg-type]

    with mock.patch.object(cover_choice, "ROOT_GAP_BENDERS", -1.0), \
            mock.patch.object(MCLP, "solve_built", spy):
        sol = MCLP(radius=4.0, p=3).solve(inst)
    assert sol.stats["formulation"] == "compact" and len(seen) == 1
    assert {Tuning.NO_HEURISTICS, Tuning.NO_RESTART} <= seen[0].tuning
    assert seen[0].warm_start is not None
    assert sol.objective == pytest.approx(_brute_force(nodes, sites, 4.0, 3))


@pytest.mark.parametrize(("limit", "expected"), [(-1.0, "compact"), (np.inf, "benders")])
def test_the_plan_search_runs_once_whichever_way_the_probe_hands_over(
    limit: float, expected: str
) -> None:
    # Going to Benders on the rounded plan, the probe leaves the search to Benders'
    # improver (none when the root bound proves that plan already); going compact, it
    # searches itself (the compact path has no improver).
    nodes, sites, inst = _probe_case()
    with mock.patch.object(cover_choice, "ROOT_GAP_BENDERS", limit), \
            mock.patch.object(covering, "support_mclp", wraps=covering.support_mclp) as spy:
        sol = MCLP(radius=4.0, p=3).solve(inst)
    assert sol.stats["formulation"] == expected
    assert spy.call_count == (0 if sol.stats.get("proven_by") else 1)
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective == pytest.approx(_brute_force(nodes, sites, 4.0, 3))


def test_a_plan_the_probe_searched_is_not_searched_again_by_benders() -> None:
    # The rounded plan leaves the choice open, so the probe searches; the improved
    # plan sends the solve to Benders, whose root loop solves the same LP again and
    # lands on the same point: its improver answers from the probe's search.
    nodes, sites, inst = _probe_case()
    said = [covering.Choice("compact", "rounded: open"), covering.Choice("benders", "improved")]
    with mock.patch.object(covering, "choice_from_root", side_effect=said), \
            mock.patch.object(covering, "support_mclp", wraps=covering.support_mclp) as spy:
        sol = MCLP(radius=4.0, p=3).solve(inst)
    assert sol.stats["formulation"] == "benders" and sol.stats["formulation_reason"] == "improved"
    assert spy.call_count == 1
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective == pytest.approx(_brute_force(nodes, sites, 4.0, 3))


def test_a_plan_the_root_bound_proves_goes_through_benders_without_a_second_root() -> None:
    # The probe's rounded plan meets its root LP bound: Benders has nothing to do.
    nodes, sites, inst = _probe_case()
    with mock.patch.object(cover_choice, "ROOT_GAP_BENDERS", np.inf), \
            mock.patch.object(benders, "root_cut_loop", side_effect=AssertionError("a root")):
        sol = MCLP(radius=4.0, p=3).solve(inst)
    assert sol.stats["formulation"] == "benders" and sol.stats["proven_by"] == "the start bound"
    assert sol.stats["probe_root_bound"] == pytest.approx(sol.objective)
    assert sol.status == Status.OPTIMAL and sol.verified and sol.gap == 0
    assert sol.objective == pytest.approx(_brute_force(nodes, sites, 4.0, 3))
    # A start the bound does not prove still runs the root loop (the same instance,
    # Benders forced from the greedy plan, no bound given).
    with mock.patch.object(benders, "root_cut_loop", wraps=benders.root_cut_loop) as spy:
        forced = MCLP(radius=4.0, p=3, formulation="benders").solve(inst)
    assert spy.call_count == 1 and "proven_by" not in forced.stats
    assert forced.objective == pytest.approx(sol.objective)


def _uniform_case() -> Instance:
    """600 demand points and 120 sites, uniform on a 30 × 30 square (seeded)."""
    rng = np.random.default_rng(3)
    demand = pd.DataFrame({"x": rng.uniform(0, 30, 600), "y": rng.uniform(0, 30, 600),
                           "weight": rng.integers(1, 101, 600).astype(float)})
    sites = pd.DataFrame({"x": rng.uniform(0, 30, 120), "y": rng.uniform(0, 30, 120)})
    return Instance.from_frames(demand, sites)


def test_benders_improves_its_start_by_pair_moves_when_the_support_is_large() -> None:
    # A support too large for the MIP (and no RINS plan): pair moves run from the LP's
    # rounding and from the greedy + swap start, and the better of the two is offered.
    inst = _uniform_case()
    starts: list[np.ndarray] = []
    real = covering.exchange_mclp

    def spy(cov: object, weight: object, mask: np.ndarray, *args: object,
            **kw: object) -> object:
        starts.append(np.asarray(mask, dtype=bool).copy())
        return real(cov, weight, mask, *args, **kw)  # type: ignore[arg-type]

    greedy = covering.solve_structure(MCLP(radius=3.0, p=4).build(inst).milp, bound=False)
    other = np.zeros(greedy.open_mask.size, dtype=bool)  # a rounding unlike the start
    other[np.flatnonzero(~greedy.open_mask)[:4]] = True

    def rounding(s: CoverStructure, y_lp: np.ndarray, **kw: object) -> tuple[np.ndarray, float]:
        return other.copy(), float(covering.cover_value(s, other))

    with mock.patch.object(covering, "support_mclp", return_value=None), \
            mock.patch.object(covering, "rins_mclp", return_value=None), \
            mock.patch.object(covering, "rounding_mclp", side_effect=rounding), \
            mock.patch.object(covering, "exchange_mclp", side_effect=spy):
        sol = MCLP(radius=3.0, p=4, formulation="benders").solve(inst)
    assert any(np.array_equal(m, other) for m in starts)
    assert any(np.array_equal(m, greedy.open_mask) for m in starts), len(starts)
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective >= greedy.objective - 1e-9


def test_benders_kicks_its_best_pair_move_plan_when_the_support_is_large() -> None:
    # After the pair moves, kicks of the best plan (siting.heuristics.kicks) start from
    # it and its value, guided by the LP point; their plan is the one offered.
    inst = _uniform_case()
    calls: list[tuple[np.ndarray, float, float]] = []
    real = covering.kicked_exchange_mclp

    def spy(s: CoverStructure, start: np.ndarray, guide: np.ndarray,
            **kw: object) -> tuple[np.ndarray, float]:
        out = real(s, start, guide, **kw)  # type: ignore[arg-type]
        calls.append((start.copy(), float(kw["start_value"]), out[1]))  # type: ignore[arg-type]
        return out

    with mock.patch.object(covering, "support_mclp", return_value=None), \
            mock.patch.object(covering, "rins_mclp", return_value=None), \
            mock.patch.object(covering, "kicked_exchange_mclp", side_effect=spy):
        sol = MCLP(radius=3.0, p=4, formulation="benders").solve(inst)
    assert calls
    for start, value, reached in calls:
        assert value == pytest.approx(covering.cover_value(
            MCLP(radius=3.0, p=4).build(inst).milp.structure, start))  # type: ignore[arg-type]
        assert reached >= value
    assert sol.status == Status.OPTIMAL and sol.verified


def test_benders_after_the_probe_starts_from_the_root_bound() -> None:
    # A Benders run stopped before its first LP still has the probe's root LP as bound.
    nodes, sites, inst = _probe_case()
    roots: list[float] = []
    real_root = covering.root_cut_loop

    def seen_root(*args: object, **kw: object) -> RootLP:
        root = real_root(*args, **kw)  # type: ignore[arg-type]
        roots.append(root.bound)
        return root

    with mock.patch.object(cover_choice, "ROOT_GAP_BENDERS", np.inf), \
            mock.patch.object(covering, "root_cut_loop", seen_root), \
            mock.patch.object(covering, "solve_benders", wraps=covering.solve_benders) as spy:
        sol = MCLP(radius=4.0, p=3).solve(inst)
    assert sol.stats["formulation"] == "benders" and len(roots) == 1
    assert np.isfinite(roots[0])
    assert spy.call_args.kwargs["start_bound"] == roots[0]
    assert sol.bound is not None and sol.bound <= roots[0] + 1e-9
    assert sol.objective == pytest.approx(_brute_force(nodes, sites, 4.0, 3))


def test_the_root_point_is_rounded_once_on_a_compact_hand_over() -> None:
    # The probe rounds the root LP point to choose; its search then starts from that rounding.
    nodes, sites, inst = _probe_case()
    with mock.patch.object(cover_choice, "ROOT_GAP_BENDERS", -1.0), \
            mock.patch.object(covering, "rounding_mclp", wraps=covering.rounding_mclp) as spy:
        sol = MCLP(radius=4.0, p=3).solve(inst)
    assert sol.stats["formulation"] == "compact" and spy.call_count == 1
    assert sol.objective == pytest.approx(_brute_force(nodes, sites, 4.0, 3))
