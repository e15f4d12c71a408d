"""A first plan when rounding the LP finds none: any plan of the restricted problem, then
the best one near it (:mod:`siting.multi.heuristic`, after RENS and the LP's support).

A target enforced close to the most it can reach leaves no plan near the LP's point:
on 回天 2026-2030 with the service circle enforced at 93 % (94.2 % at most), the
restricted problem's LP is whole-numbered but for 52 of 4,124 integer columns, and
with only its ones fixed (every other column free) no plan exists; its support reaches
the circle for 367,279 residents against 369,986 asked. The restricted MIP itself has
plans, but its cut rounds for the objective took 13 s before the first; the full
model's search took 106 s (at 94 %: none in 113 s).

1. *Any plan.* The restricted MIP with no objective, without the solver's own
   heuristics: any plan ends it (93 %: 4.4 s; 94 %: 11-14 s). ``probing`` puts
   presolve's probing back (the model's other solves leave it out,
   :func:`siting.multi.pipeline.tuned`), as the heuristic does for the full
   model: with no objective the search is propagation and branching, and on the
   full model probing's implications paid. 回天 2018-2020 with both circle targets
   enforced, at seven pairs of shares (2019 / 2020: 75-85 % / 88-90 %), any plan of
   the full model took 91.7 s in all with probing, at most 25.1 s, and at least
   146.5 s without (at 75 % / 90 % none in 30 s, at 80 % / 90 % 37 s against 7.5 s);
   on the pools of those specs and of 2026-2030 with the circle at 93-93.7 % it
   cost more than it gave (62.2 against 40.9 s over eleven pools, 22.3 against
   6.6 s on one), and 2026-2030's full model had no plan in 30 s either way.
2. *RINS.* The integer columns on which that plan and the LP agree are fixed, the
   others searched with the objective, from that plan (93 %: 16,414,819 in 6.5 s
   against the full model's optimum 16,419,560).

>>> import scipy.sparse as sp
>>> from siting.backends import DEFAULT_BACKEND, SolveOptions, get_backend
>>> exact = MilpArrays(c=np.array([1.0, 1.0, 1.0]), A=sp.csr_matrix([[2.0, 2.0, 3.0]]),
...     row_lower=np.array([5.0]), row_upper=np.array([5.0]), col_lower=np.zeros(3),
...     col_upper=np.ones(3), integrality=np.ones(3, dtype=bool), sense="max")
>>> lp_x = np.array([1.0, 0.5, 0.333])     # an LP point no rounding completes
>>> x, info = feasible_plan(exact, lp_x, get_backend(DEFAULT_BACKEND).solve, SolveOptions())
>>> float((exact.A @ x)[0]), float(x @ exact.c), info["step"]
(5.0, 2.0, 'rins')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import Result, SolveOptions, Status, Tuning
from siting.milp import MilpArrays

__all__ = ["feasible_plan"]

FloatArray = NDArray[np.float64]

#: A plan's integer column counts as agreeing with the LP within this.
AGREE_TOL = 1e-6


def feasible_plan(
    milp: MilpArrays, lp_x: FloatArray, solve: Callable[[MilpArrays, SolveOptions], Result],
    opts: SolveOptions, *, probing: bool = False,
) -> tuple[FloatArray | None, dict[str, Any]]:
    """A plan of ``milp`` (see the module doc) and what each step found; with
    ``probing``, the first solve has presolve's probing whatever ``opts`` say.

    ``opts.time_limit`` bounds both steps together; RINS gets what the first left, and
    is not run after a Ctrl-C in the first (its result says ``interrupted``).
    Returns the plan (RINS's, else the first one; None when there is none) and the
    stats: ``any`` (whether a plan was found), ``infeasible`` (set when the solver
    proved there is none), ``rins`` (its objective), each step's seconds and
    ``step``, the step whose plan is returned.
    """
    start = time.perf_counter()
    quiet = opts.tuned(Tuning.NO_HEURISTICS)
    found = solve(replace(milp, c=np.zeros(milp.num_cols), offset=0.0),
                  quiet.untuned(Tuning.NO_PROBING) if probing else quiet)
    info: dict[str, Any] = {"any": found.status.has_solution,
                            "any_s": round(time.perf_counter() - start, 3)}
    if found.status == Status.INFEASIBLE:  # proven: ``milp`` has no plan at all
        info["infeasible"] = True
    if not found.status.has_solution or found.x is None:
        return None, info
    plan = found.x
    info["step"] = "any plan"
    left = None if opts.time_limit is None else opts.time_limit - (time.perf_counter() - start)
    if (left is not None and left <= 0) or found.extra.get("interrupted"):
        return plan, info  # out of time, or Ctrl-C: the plan as it is
    ints = milp.integrality
    agree = ints & (np.abs(plan - lp_x) <= AGREE_TOL)
    lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
    lower[agree] = upper[agree] = np.round(plan[agree])
    t = time.perf_counter()
    better = solve(replace(milp, col_lower=lower, col_upper=upper),
                   replace(quiet, time_limit=left, warm_start=plan))
    info["rins"] = better.objective
    info["rins_s"] = round(time.perf_counter() - t, 3)
    if better.status.has_solution and better.x is not None:
        plan, info["step"] = better.x, "rins"
    return plan, info
