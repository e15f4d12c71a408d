"""The bound LP's cold solves price by Devex; its warm rounds keep HiGHS's choice; a
caller's ``solver_options`` win. The held LP and the first release are solved in one
HiGHS instance (the model is handed over once for both)."""

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
