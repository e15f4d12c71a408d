"""Heuristic core: greedy + swap below the optimum, bounds above (below for p-median)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from siting.backends import SolveOptions, Status, available_backends, get_backend
from siting.heuristics import (
    PairsData,
    greedy_mclp,
    lagrangian_bound_mclp,
    lagrangian_bound_pmedian,
    pmedian_greedy,
    pmedian_greedy_swap,
    solve_structure,
    swap_mclp,
)
from siting.models import LSCP, MCLP, PMedian
from siting.models.assign import assignment_pairs
from tests.conftest import tiny_instance


def brute_cover(cov: np.ndarray, w: np.ndarray, p: int | None, cost: np.ndarray | None,
                budget: float | None) -> float:
    m = cov.shape[1]
    best = 0.0
    for r in range(m + 1):
        if p is not None and r > p:
            break
        for combo in itertools.combinations(range(m), r):
            if budget is not None and cost is not None and cost[list(combo)].sum() > budget:
                continue
            best = max(best, float(w[cov[:, list(combo)].any(axis=1)].sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("mode", ["p", "budget", "both"])
def test_mclp_heuristic_and_bound_bracket_the_optimum(seed: int, mode: str) -> None:
    rng = np.random.default_rng(seed)
    cov = rng.random((25, 8)) < 0.25
    w = rng.integers(1, 20, 25).astype(float)
    cost = rng.integers(1, 5, 8).astype(float)
    p = 3 if mode != "budget" else None
    budget = 6.0 if mode != "p" else None
    A = sp.csr_matrix(cov.astype(float))
    opt = brute_cover(cov, w, p, cost if budget else None, budget)
    mask, value = greedy_mclp(A, w, p, cost, budget)
    mask, value = swap_mclp(A, w, mask, p, cost, budget)
    assert value == pytest.approx(float(w[cov[:, mask].any(axis=1)].sum()))
    assert value <= opt + 1e-9
    if p is not None:
        assert mask.sum() <= p
    if budget is not None:
        assert cost[mask].sum() <= budget + 1e-9
    ub = lagrangian_bound_mclp(A, w, p, cost, budget, lower=value)
    assert ub >= opt - 1e-6


@pytest.mark.parametrize("seed", range(10))
def test_pmedian_heuristic_and_bound_bracket_the_optimum(seed: int) -> None:
    inst = tiny_instance(seed, n=10, m=6, existing=seed % 2)
    pairs = assignment_pairs(inst)
    cost = inst.weight[pairs.demand] * pairs.distance
    pm = PairsData(pairs.demand, pairs.site, cost, inst.n_demand, inst.n_sites)
    p = 2
    mask, value = pmedian_greedy_swap(pm, p, inst.existing)
    assert int((mask & ~inst.existing).sum()) == p
    dense = np.zeros((inst.n_demand, inst.n_sites))
    dense[pairs.demand, pairs.site] = cost
    new = np.flatnonzero(~inst.existing)
    opt = min(
        dense[:, np.concatenate([np.flatnonzero(inst.existing), list(c)]).astype(int)]
        .min(axis=1).sum()
        for c in itertools.combinations(new, p)
    )
    assert value >= opt - 1e-6
    lb = lagrangian_bound_pmedian(pm, p, inst.existing, upper=value)
    assert lb <= opt + 1e-6


@pytest.mark.parametrize("seed", range(5))
def test_heuristic_backend_mclp_and_pmedian(seed: int) -> None:
    inst = tiny_instance(seed, n=14, m=7, existing=seed % 2)
    exact = MCLP(radius=6.0, p=2).solve(inst)
    heur = MCLP(radius=6.0, p=2).solve(inst, "heuristic")
    assert heur.verified and heur.backend == "heuristic"
    assert heur.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert heur.objective is not None and exact.objective is not None
    assert heur.objective <= exact.objective + 1e-9
    assert heur.bound is not None and heur.bound >= exact.objective - 1e-6
    if heur.status == Status.OPTIMAL:
        assert heur.objective == pytest.approx(exact.objective)
    pm = PMedian(p=2).solve(inst, "heuristic")
    ref = PMedian(p=2, formulation="assignment").solve(inst)
    assert pm.verified and pm.objective is not None and ref.objective is not None
    assert pm.objective >= ref.objective - 1e-6
    assert pm.bound is not None and pm.bound <= ref.objective + 1e-6


def test_heuristic_backend_refuses_other_models() -> None:
    inst = tiny_instance(1)
    milp = LSCP(radius=30.0).build(inst).milp
    r = get_backend("heuristic").solve(milp, SolveOptions())
    assert r.status == Status.ERROR and "mclp and p-median" in r.message
    with pytest.raises(ValueError):
        solve_structure(milp)


def test_heuristic_listed_only_as_structured() -> None:
    assert "heuristic" not in available_backends()
    assert "heuristic" in available_backends(structured=True)


def test_exact_backend_gets_the_warm_start() -> None:
    inst = tiny_instance(2, n=20, m=8)
    sol = MCLP(radius=6.0, p=3).solve(inst, "highs")
    assert "warm_start_s" in sol.stats and sol.verified
    sol = PMedian(p=2, formulation="assignment").solve(inst, "highs")
    assert "warm_start_s" in sol.stats and sol.verified


def test_warm_start_is_feasible_for_the_milp() -> None:
    inst = tiny_instance(4, n=20, m=8, existing=1)
    for model in (MCLP(radius=6.0, p=2), MCLP(radius=6.0, budget=3.0),
                  PMedian(p=2, formulation="assignment")):
        milp = model.build(inst).milp
        out = solve_structure(milp)
        assert milp.max_violation(out.x) <= 1e-9
        assert milp.objective_of(out.x) == pytest.approx(out.objective)


def _greedy_by_full_passes(
    pm: PairsData, p: int, fixed: np.ndarray, closed: np.ndarray
) -> np.ndarray:
    """The greedy add recomputing every site's gain from all pairs at each step."""
    open_mask = fixed.copy()
    for _ in range(p):
        d1 = np.full(pm.n, pm.penalty)
        np.minimum.at(d1, pm.demand[open_mask[pm.site]], pm.cost[open_mask[pm.site]])
        gain = np.bincount(pm.site, weights=np.maximum(d1[pm.demand] - pm.cost, 0.0),
                           minlength=pm.m)
        free = ~open_mask & ~closed
        if not free.any():
            break
        open_mask[int(np.argmax(np.where(free, gain, -np.inf)))] = True
    return open_mask


@pytest.mark.parametrize("seed", range(30))
def test_pmedian_greedy_keeps_gains_as_full_passes_would(seed: int) -> None:
    """The greedy's gains, updated from the points each opening brings nearer, pick the
    same sites as gains recomputed from every pair (integer costs: exact ties),
    with existing, closed and unreachable pairs."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(5, 40)), int(rng.integers(3, 25))
    cost = rng.integers(0, 12, (n, m)).astype(float)
    reach = rng.random((n, m)) < (1.0 if seed % 3 else 0.6)
    dem, site = np.nonzero(reach)
    c = cost[dem, site]
    order = np.lexsort((site, c, dem))
    pm = PairsData(dem[order], site[order], c[order], n, m)
    fixed = rng.random(m) < 0.15 if seed % 2 else np.zeros(m, dtype=bool)
    closed = (rng.random(m) < 0.2) & ~fixed
    p = int(rng.integers(1, max(2, m - int(fixed.sum()) - int(closed.sum()))))
    got = pmedian_greedy(pm, p, fixed, closed)
    assert got.tolist() == _greedy_by_full_passes(pm, p, fixed, closed).tolist()
