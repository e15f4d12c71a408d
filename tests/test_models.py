"""Every model on every back end that supports it, checked against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from siting.backends.base import SolveOptions, Status
from siting.errors import InfeasibleError, ParameterError
from siting.instance import Instance
from siting.models import CFLP, LSCP, LSCPB, MCLP, UFLP, PCenter, PMedian, SetCover
from tests.conftest import mip_backends, tiny_instance

BACKENDS = mip_backends()


def dense(inst: Instance) -> np.ndarray:
    """Full distance matrix of a tiny test instance (brute force only)."""
    rows = np.repeat(np.arange(inst.n_demand), inst.n_sites)
    cols = np.tile(np.arange(inst.n_sites), inst.n_demand)
    return inst.metric.pair_distance(rows, cols).reshape(inst.n_demand, inst.n_sites)


def subsets(inst: Instance, sizes: range) -> list[np.ndarray]:
    new = np.flatnonzero(~inst.existing)
    ex = np.flatnonzero(inst.existing)
    out = []
    for k in sizes:
        for combo in itertools.combinations(new.tolist(), k):
            out.append(np.concatenate([ex, np.array(combo, dtype=np.int64)]))
    return out


def brute_mclp(inst: Instance, r: float, p: int | None, budget: float | None) -> float:
    D = dense(inst) <= r
    best = 0.0
    for s in subsets(inst, range(0, (p if p is not None else inst.n_sites) + 1)):
        new = s[~inst.existing[s]]
        if budget is not None and inst.site_cost[new].sum() > budget:
            continue
        best = max(best, float(inst.weight[D[:, s].any(axis=1)].sum()))
    return best


def brute_pmedian(inst: Instance, p: int) -> float:
    D = dense(inst)
    return min(
        float((inst.weight * D[:, s].min(axis=1)).sum()) for s in subsets(inst, range(p, p + 1))
    )


def brute_pcenter(inst: Instance, p: int) -> float:
    D = dense(inst)
    return min(float(D[:, s].min(axis=1).max()) for s in subsets(inst, range(p, p + 1)))


def brute_lscp(inst: Instance, r: float, weighted: bool) -> float:
    D = dense(inst) <= r
    best = np.inf
    for s in subsets(inst, range(0, inst.n_sites + 1)):
        if D[:, s].any(axis=1).all():
            new = s[~inst.existing[s]]
            best = min(best, float(inst.site_cost[new].sum()) if weighted else float(new.size))
    return best


def brute_uflp(inst: Instance) -> float:
    D = dense(inst)
    best = np.inf
    for s in subsets(inst, range(1, inst.n_sites + 1)):
        new = s[~inst.existing[s]]
        best = min(
            best, float(inst.fixed_cost[new].sum() + (inst.weight * D[:, s].min(axis=1)).sum())
        )
    return best


def check(sol, expected: float) -> None:
    assert sol.status == Status.OPTIMAL, sol.message
    assert sol.verified, sol.verification
    assert sol.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mclp_p_and_budget_with_existing(backend: str, seed: int) -> None:
    inst = tiny_instance(seed, existing=seed % 2)
    check(MCLP(radius=6, p=2).solve(inst, backend), brute_mclp(inst, 6, 2, None))
    check(MCLP(radius=6, budget=4).solve(inst, backend), brute_mclp(inst, 6, None, 4))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 3])
def test_lscp_and_set_cover(backend: str, seed: int) -> None:
    inst = tiny_instance(seed, n=7, m=6)
    r = float(dense(inst).min(axis=1).max()) + 4
    check(LSCP(radius=r).solve(inst, backend), brute_lscp(inst, r, False))
    check(SetCover(radius=r).solve(inst, backend), brute_lscp(inst, r, True))


@pytest.mark.parametrize("backend", BACKENDS)
def test_lscp_b_backup(backend: str) -> None:
    inst = tiny_instance(4, n=8, m=6)
    D = dense(inst)
    r = float(D.min(axis=1).max()) + 5
    p_star = int(brute_lscp(inst, r, False))
    cov = r >= D
    expected = max(
        float(inst.weight[cov[:, s].sum(axis=1) >= 2].sum())
        for s in subsets(inst, range(p_star, p_star + 1))
        if cov[:, s].any(axis=1).all()
    )
    sol = LSCPB(radius=r).solve(inst, backend)
    check(sol, expected)
    assert sol.params["p"] == p_star


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 5])
def test_pmedian_and_pcenter(backend: str, seed: int) -> None:
    inst = tiny_instance(seed)
    check(PMedian(p=2).solve(inst, backend), brute_pmedian(inst, 2))
    check(PCenter(p=2).solve(inst, backend), brute_pcenter(inst, 2))


@pytest.mark.parametrize("backend", BACKENDS)
def test_uflp_and_cflp(backend: str) -> None:
    inst = tiny_instance(6, n=8, m=5, capacity=True)
    check(UFLP().solve(inst, backend), brute_uflp(inst))
    sol = CFLP().solve(inst, backend)
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.objective >= brute_uflp(inst) - 1e-6  # capacities can only cost more
    load = sol.assignment.merge(
        __import__("pandas").DataFrame({"demand_id": inst.demand_ids, "w": inst.weight})
    )
    per_site = (load["w"] * load["fraction"]).groupby(load["site_id"]).sum()
    caps = dict(zip(inst.site_ids, inst.capacity, strict=False))
    assert all(per_site[s] <= caps[s] + 1e-6 for s in per_site.index)


def test_existing_facility_counts_as_open() -> None:
    inst = tiny_instance(7, existing=2)
    sol = PMedian(p=1).solve(inst)
    assert set(inst.site_ids[inst.existing]) <= set(sol.selected)
    assert len(sol.selected) == 3
    check(sol, brute_pmedian_with_existing(inst, 1))


def brute_pmedian_with_existing(inst: Instance, p: int) -> float:
    D = dense(inst)
    return min(
        float((inst.weight * D[:, s].min(axis=1)).sum()) for s in subsets(inst, range(p, p + 1))
    )


def test_lscp_uncoverable_point_is_infeasible_with_its_id() -> None:
    inst = tiny_instance(0)
    with pytest.raises(InfeasibleError, match="no candidate site within radius"):
        LSCP(radius=0.5).solve(inst)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"radius": -1, "p": 1}, "radius"),
        ({"radius": 0, "p": 1}, "radius"),
        ({"radius": float("nan"), "p": 1}, "radius"),
        ({"radius": 5, "p": 99}, "p"),
        ({"radius": 5, "p": -1}, "p"),
        ({"radius": 5, "budget": -3}, "budget"),
        ({"radius": 5}, "p"),
    ],
)
def test_bad_parameters_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ParameterError) as err:
        MCLP(**kwargs).solve(tiny_instance(0))
    assert err.value.field == field


def test_time_limited_run_is_never_optimal() -> None:
    rng = np.random.default_rng(3)
    import pandas as pd

    d = pd.DataFrame(
        {
            "x": rng.uniform(0, 100, 3000),
            "y": rng.uniform(0, 100, 3000),
            "weight": rng.integers(1, 100, 3000),
        }
    )
    inst = Instance.from_frames(d, d.iloc[:400])
    # a limit no machine does anything in: stopped at the solver's first check
    sol = PMedian(p=20, candidates=30).solve(inst, "highs", SolveOptions(time_limit=1e-9))
    assert sol.status == Status.NO_SOLUTION and "time limit" in sol.message.lower()
