"""Lagrangian probing of p-median sites: no plan better than the limit opens a closed one."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.heuristics.pmedian import PairsData, lagrangian_pmedian
from siting.models.pmedian_screen import lagrangian_fixing, probe_sites


def _plans(cost: np.ndarray, existing: np.ndarray, p: int) -> list[tuple[frozenset[int], float]]:
    """Every plan (p new sites with the existing ones) and its cost, by brute force."""
    new = np.flatnonzero(~existing).tolist()
    plans = []
    for chosen in itertools.combinations(new, p):
        open_sites = set(chosen) | set(np.flatnonzero(existing).tolist())
        plans.append((frozenset(chosen), float(cost[:, sorted(open_sites)].min(axis=1).sum())))
    return plans


@settings(max_examples=120, deadline=None)
@given(st.integers(2, 9), st.integers(3, 8), st.integers(1, 3), st.integers(0, 1),
       st.integers(0, 3), st.integers(0, 2**31))
def test_probed_sites_are_closed_in_every_better_plan(
    n: int, m: int, p: int, n_existing: int, slack: int, seed: int
) -> None:
    """Integer costs, an incumbent value ``slack`` above the optimum: every plan costing
    at most that value less one opens none of the sites fixing and probing close, and
    probing keeps every site fixing closed (and the incumbent's sites open)."""
    rng = np.random.default_rng(seed)
    existing = np.zeros(m, dtype=bool)
    existing[:n_existing] = True
    if m - n_existing < p:
        return
    cost = rng.integers(0, 20, (n, m)).astype(float)
    demand, site = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    c = cost.ravel()
    order = np.lexsort((site, c, demand))
    pm = PairsData(demand[order], site[order], c[order], n, m)
    plans = _plans(cost, existing, p)
    best_plan, optimum = min(plans, key=lambda plan: plan[1])
    upper = optimum + slack
    incumbent = existing.copy()
    incumbent[sorted(best_plan)] = True
    bound, _, rho = lagrangian_pmedian(pm, p, existing, upper=upper)
    closed, force = lagrangian_fixing(rho, bound, upper, 1.0, p, existing, integral=True)
    probed = probe_sites(pm, p, existing, closed, force, rho,
                         lambda b: math.ceil(b - 1e-6) > upper - 1, upper,
                         incumbent if slack == 0 else None)
    assert probed[closed].all()
    if slack == 0:
        assert not (probed & incumbent & ~closed).any()
    for chosen, value in plans:
        if value <= upper - 1:
            assert not probed[sorted(chosen)].any(), (chosen, value, upper)
