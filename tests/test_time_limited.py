"""Time-limited and interrupted solves return valid plans, and a valid plan always verifies.

A solve stopped by its limit may hold coverage variables below what its open
sites cover: its plan is then *better* than the solver claims. The verifier
reports the recomputed value (with its gap against the bound) and fails only a
violated constraint or a value worse than the claim.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.backends.base import SolveOptions, Status, relative_gap
from siting.instance import Instance
from siting.models import MCLP, PMedian
from siting.verify import verify_solution

ROOT = Path(__file__).resolve().parent.parent


def clustered(seed: int, n: int = 4000, m: int = 400) -> Instance:
    """Demand in clusters, sites spread: HiGHS needs a few seconds to prove an MCLP."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 10_000, (40, 2))
    pts = centres[rng.integers(0, 40, n)] + rng.normal(0, 600, (n, 2))
    demand = pd.DataFrame({"x": pts[:, 0], "y": pts[:, 1], "weight": rng.integers(1, 100, n)})
    sxy = rng.uniform(0, 10_000, (m, 2))
    sites = pd.DataFrame({"x": sxy[:, 0], "y": sxy[:, 1], "cost": rng.integers(1, 10, m)})
    return Instance.from_frames(demand, sites, name=f"clustered{seed}")


def test_a_plan_better_than_claimed_verifies_with_its_true_value() -> None:
    inst = clustered(0, n=600, m=60)
    model = MCLP(radius=700, p=5)
    sol = model.solve(inst)
    assert sol.verified
    low = copy.deepcopy(sol)
    low.objective = sol.objective - 50.0  # as if some z_i sat below its coverage
    low.bound = sol.objective + 10.0
    rep = verify_solution(inst, model, low)
    assert rep.ok, rep.messages
    assert rep.objective == pytest.approx(sol.objective)
    # a claim above the true value is still a failure, and so is beating the bound
    high = copy.deepcopy(sol)
    high.objective = sol.objective + 1.0
    assert not verify_solution(inst, model, high).ok
    beyond = copy.deepcopy(sol)
    beyond.bound = sol.objective - 1.0
    assert any("bound" in m for m in verify_solution(inst, model, beyond).messages)


def test_minimising_models_fail_only_a_higher_cost() -> None:
    inst = clustered(1, n=300, m=40)
    model = PMedian(p=4)
    sol = model.solve(inst)
    worse = copy.deepcopy(sol)
    worse.objective = sol.objective * 0.99  # claims less cost than the plan has
    assert not verify_solution(inst, model, worse).ok
    better = copy.deepcopy(sol)
    better.objective, better.bound = sol.objective * 1.01, sol.objective * 0.9
    assert verify_solution(inst, model, better).ok


def uniform(seed: int, n: int = 10_000, m: int = 800) -> Instance:
    """Uniform points: 10,000 demand points, 800 sites."""
    rng = np.random.default_rng(seed)
    demand = pd.DataFrame({"x": rng.uniform(0, 1e4, n), "y": rng.uniform(0, 1e4, n),
                           "weight": rng.integers(1, 100, n)})
    sites = pd.DataFrame({"x": rng.uniform(0, 1e4, m), "y": rng.uniform(0, 1e4, m)})
    return Instance.from_frames(demand, sites, name=f"uniform{seed}")


#: A time limit no machine does anything in: the solver stops at its first check, so
#: the plan is the model's own start, stopped by the limit, whatever the machine.
NO_TIME = SolveOptions(time_limit=1e-9)


def test_time_limited_mclp_verifies() -> None:
    inst = uniform(5)
    sol = MCLP(radius=450, p=40).solve(inst, "highs", NO_TIME)
    assert sol.status == Status.FEASIBLE and "time limit" in sol.message.lower()
    assert sol.verified, sol.verification
    assert sol.gap == pytest.approx(relative_gap(sol.objective, sol.bound, "max"))


def test_time_limited_pmedian_verifies() -> None:
    inst = clustered(3, n=1500, m=150)
    sol = PMedian(p=12).solve(inst, "highs", NO_TIME)
    assert sol.status == Status.FEASIBLE and "time limit" in sol.message.lower()
    assert sol.verified, sol.verification
    assert sol.gap is not None and sol.gap > 0


def _spec_solve(spec: str, limit: float, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "siting.cli", "solve", str(ROOT / "models" / spec),
         "--time-limit", str(limit), "--out", str(tmp_path / "out"), "--json", "--quiet"],
        capture_output=True, text=True, cwd=ROOT, timeout=limit * 3 + 120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("limit", [10, 20, 40])
def test_time_limited_2026_2030_plan_verifies(limit: float, tmp_path: Path) -> None:
    run = _spec_solve("huitian-2026-2030.toml", limit, tmp_path)
    assert run.returncode == 0, run.stderr
    assert '"verified": true' in run.stdout
