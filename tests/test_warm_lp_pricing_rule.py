"""The bound LP's cold solves price by Devex; its warm rounds keep HiGHS's choice; a
caller's ``solver_options`` win. The held LP and the first release are solved in one
HiGHS instance (the model is handed over once for both). The first warm round runs
dual simplex, primal from ``PRIMAL_FROM_ROWS`` rows; the rounds after it primal."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import siting.backends.highs_lp as highs_lp
from siting.backends.base import SolveOptions, Status
from siting.milp import MilpArrays

RULE = "simplex_dual_edge_weight_strategy"


def _lp(seed: int) -> tuple[MilpArrays, np.ndarray]:
    """A max LP of 120 columns and 16 rows, 60 % of its columns held: it needs the
    first release (cold) and warm rounds after it."""
    rng = np.random.default_rng(seed)
    n, m = 120, 16
    milp = MilpArrays(
        c=rng.uniform(-1, 4, n), A=sp.csr_matrix(rng.integers(0, 4, (m, n)).astype(float)),
        row_lower=np.full(m, -np.inf), row_upper=rng.uniform(2, 8, m),
        col_lower=np.zeros(n), col_upper=rng.choice([1.0, 3.0], n),
        integrality=np.ones(n, dtype=bool), sense="max",
    )
    return milp, rng.random(n) < 0.6


def _rules(monkeypatch: pytest.MonkeyPatch, options: SolveOptions) -> list[int]:
    """The pricing rule of each HiGHS instance warm_lp runs, in order (at its run)."""
    made: list[Any] = []
    configured = highs_lp._configured

    def recording(core: Any, opts: SolveOptions, **kw: Any) -> Any:
        h = configured(core, opts, **kw)
        made.append(h)
        return h

    monkeypatch.setattr(highs_lp, "_configured", recording)
    for seed in range(40):  # the first seed whose LP needs a warm round
        made.clear()
        milp, held = _lp(seed)
        res = highs_lp.warm_lp(milp, held, options)
        rounds = res.extra["rounds"]
        assert res.status == Status.OPTIMAL and isinstance(rounds, int)
        if rounds >= 3:
            return [int(h.getOptionValue(RULE)[1]) for h in made]
    raise AssertionError("no LP needed a warm round")


def test_cold_solves_price_by_devex_and_warm_rounds_by_highs_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _rules(monkeypatch, SolveOptions()) == [1, -1]


def test_the_callers_pricing_rule_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    options = SolveOptions(solver_options={"highs": {RULE: 2}})
    assert _rules(monkeypatch, options) == [2, 2]


def _strategies(monkeypatch: pytest.MonkeyPatch, primal_from_rows: int) -> list[int]:
    """HiGHS's ``simplex_strategy`` at each run of warm_lp, for the first LP with two
    warm rounds, with ``PRIMAL_FROM_ROWS`` set to ``primal_from_rows``."""
    monkeypatch.setattr(highs_lp, "PRIMAL_FROM_ROWS", primal_from_rows)
    seen: list[int] = []
    run = highs_lp._run_interruptible

    def recording(h: Any, core: Any, *args: Any, **kw: Any) -> Any:
        seen.append(int(h.getOptionValue("simplex_strategy")[1]))
        return run(h, core, *args, **kw)

    monkeypatch.setattr(highs_lp, "_run_interruptible", recording)
    for seed in range(200):
        seen.clear()
        milp, held = _lp(seed)
        res = highs_lp.warm_lp(milp, held, SolveOptions())
        rounds = res.extra["rounds"]
        assert res.status == Status.OPTIMAL and isinstance(rounds, int)
        if rounds >= 4:
            return seen
    raise AssertionError("no LP needed two warm rounds")


@pytest.mark.parametrize(("primal_from_rows", "first_warm"), [(10**9, 1), (16, 4)])
def test_the_first_warm_round_is_dual_below_the_size_primal_from_it(
    monkeypatch: pytest.MonkeyPatch, primal_from_rows: int, first_warm: int,
) -> None:
    seen = _strategies(monkeypatch, primal_from_rows)  # the test LPs have 16 rows
    cold = seen[:2]  # the held LP and the first release: HiGHS's choice, as set
    assert seen[2] == first_warm and set(seen[3:]) == {4} and 4 not in cold
