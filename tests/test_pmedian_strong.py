"""The radius p-median: published optima of OR-Library pmed, agreement with the textbook model."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from siting.backends import SolveOptions, Status
from siting.errors import ParameterError
from siting.instance import Instance
from siting.io import load_instance
from siting.models import PMedian
from siting.readers import read_optima
from tests.conftest import REFERENCE, tiny_instance


def optimum(k: int) -> float:
    table = read_optima()
    row = table[table["instance"] == f"pmed{k}"]
    return float(row["optimum"].iloc[0])


def solve_pmed(k: int) -> None:
    path = REFERENCE / "orlib-pmed" / f"pmed{k}.txt"
    if not path.exists():
        pytest.skip("reference instances not present")
    loaded = load_instance(path)
    sol = PMedian(p=loaded.defaults["p"]).solve(loaded.instance, "highs",
                                                 SolveOptions(time_limit=600))
    assert sol.status == Status.OPTIMAL, (sol.status, sol.message)
    assert sol.verified, sol.verification
    assert sol.objective == pytest.approx(optimum(k))
    assert sol.gap == 0.0


@pytest.mark.parametrize("k", range(1, 6))
def test_pmed_fast(k: int) -> None:
    solve_pmed(k)


@pytest.mark.slow
@pytest.mark.parametrize("k", range(6, 41))
def test_pmed_all(k: int) -> None:
    solve_pmed(k)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("p", [1, 2, 3])
def test_radius_agrees_with_assignment(seed: int, p: int) -> None:
    inst = tiny_instance(seed, n=12, m=7, existing=seed % 3 == 0)
    a = PMedian(p=p, formulation="assignment").solve(inst)
    r = PMedian(p=p, formulation="radius").solve(inst)
    assert a.status == r.status == Status.OPTIMAL
    assert r.verified and a.verified
    assert r.objective == pytest.approx(a.objective)


def test_unknown_formulation_is_refused() -> None:
    with pytest.raises(ParameterError, match="formulation"):
        PMedian(p=1, formulation="nope").solve(tiny_instance(0))


def test_restricted_pairs_fall_back_to_assignment() -> None:
    inst = tiny_instance(5, n=12, m=7)
    sol = PMedian(p=2, candidates=3).solve(inst)
    assert sol.status == Status.FEASIBLE and sol.verified


def test_restricted_solves_run_highs_for_the_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    """Started from the incumbent, HiGHS gets the proof settings; the caller's own
    entries still win, and the optimum is the same."""
    from siting.backends.highs import HighsBackend
    from siting.backends.highs_core import PROOF, highs_options

    path = REFERENCE / "orlib-pmed" / "pmed3.txt"
    if not path.exists():
        pytest.skip("reference instances not present")
    seen: list[dict[str, object]] = []
    original = HighsBackend.solve

    def spy(self: HighsBackend, milp: object, options: SolveOptions, **kwargs: object) -> object:
        if options.warm_start is not None:
            seen.append(highs_options(options, mip=True))
        return original(self, milp, options, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(HighsBackend, "solve", spy)
    loaded = load_instance(path)
    p = loaded.defaults["p"]
    sol = PMedian(p=p).solve(loaded.instance, "highs")
    assert seen and all(PROOF.items() <= opts.items() for opts in seen)
    assert sol.objective == pytest.approx(optimum(3))
    seen.clear()
    mine = SolveOptions(solver_options={"highs": {"mip_pscost_minreliable": 8}})
    again = PMedian(p=p).solve(loaded.instance, "highs", mine)
    assert seen and all(opts["mip_pscost_minreliable"] == 8 for opts in seen)
    assert all(opts["mip_lp_solver"] == "ipm" for opts in seen)
    assert again.objective == pytest.approx(sol.objective)


def _graph_instance(seed: int, n: int) -> Instance:
    """Shortest paths of a random connected graph with small integer edge lengths, as in
    the OR-Library sets: many equal distances and plans a unit apart."""
    rng = np.random.default_rng(seed)
    u = np.concatenate([np.arange(1, n), rng.integers(0, n, 2 * n)])
    v = np.concatenate([rng.integers(0, np.arange(1, n)), rng.integers(0, n, 2 * n)])
    keep = u != v
    g = sp.coo_matrix((rng.integers(1, 6, keep.sum()).astype(float), (u[keep], v[keep])),
                      shape=(n, n)).tocsr()
    d = shortest_path(g, directed=False)
    return Instance.from_cost_matrix(d)


@pytest.mark.parametrize("seed", range(80))
def test_radius_agrees_with_assignment_on_integer_graphs(seed: int) -> None:
    """Integer costs: the Lagrangian fixings round each raised bound up on its own
    (rounding the bound first, then adding the fraction, closed sites of every
    optimum on 9 of these 80 graphs: a plan a unit above the optimum was called
    optimal)."""
    inst = _graph_instance(seed, 20 + seed % 40)
    p = 2 + seed % 9
    a = PMedian(p=p, formulation="assignment").solve(inst)
    r = PMedian(p=p, formulation="radius").solve(inst)
    assert a.status == r.status == Status.OPTIMAL
    assert r.verified and a.verified
    assert r.objective == pytest.approx(a.objective)


def test_lagrangian_heuristic_lets_the_bound_prove_pmed4() -> None:
    """Greedy + swap stops at 3,046 on pmed4; the sites of least Lagrangian cost, then
    the swaps, find the optimum 3,034, which the Lagrangian bound proves: no MIP."""
    path = REFERENCE / "orlib-pmed" / "pmed4.txt"
    if not path.exists():
        pytest.skip("reference instances not present")
    loaded = load_instance(path)
    sol = PMedian(p=loaded.defaults["p"]).solve(loaded.instance, "highs")
    assert sol.status == Status.OPTIMAL and sol.verified
    assert sol.stats["greedy_swap_objective"] > sol.objective == pytest.approx(optimum(4))
    assert sol.stats["refinements"] == 0
