"""HiGHS holds ``time_limit`` against an instance's run time summed over all its runs:
a later run in the same instance gets the time left, not the time left less the earlier
runs (the cut loop's LP session, the bound LP's releases)."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from siting.backends.base import SolveOptions
from siting.backends.highs_lp import HighsLp, _limit
from siting.milp import MilpArrays


def _session() -> HighsLp:
    lp = MilpArrays(c=np.ones(2), A=sp.csr_matrix(np.ones((1, 2))), row_lower=np.zeros(1),
                    row_upper=np.ones(1), col_lower=np.zeros(2), col_upper=np.ones(2),
                    integrality=np.zeros(2, dtype=bool), sense="max")
    return HighsLp(lp)


def test_a_later_run_gets_the_time_left() -> None:
    session = _session()
    assert session.solve()
    before = session._h.getRunTime()
    assert before > 0.0
    assert session.solve(7.0)
    assert session._h.getOptionValue("time_limit")[1] == before + 7.0


class _Ran:
    """A HiGHS instance that has already run for 50 s (records the limits set)."""

    def __init__(self) -> None:
        self.limits: list[float] = []

    def getRunTime(self) -> float:  # noqa: N802 (HiGHS's name)
        return 50.0

    def setOptionValue(self, name: str, value: float) -> None:  # noqa: N802
        assert name == "time_limit"
        self.limits.append(value)


def test_the_bound_lps_rounds_get_the_time_left() -> None:
    """``warm_lp``'s rounds after the first in one instance (the first release)."""
    solver = _Ran()
    _limit(solver, SolveOptions(time_limit=100.0), t0=time.perf_counter())
    assert len(solver.limits) == 1 and 149.0 < solver.limits[0] <= 150.0
