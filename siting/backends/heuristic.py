"""The ``heuristic`` back end: greedy + swap local search with a Lagrangian bound.

Unlike the MILP solvers it needs the model structure that MCLP and p-median
attach to their arrays (``MilpArrays.structure``); other models get an
``error`` result. A solution is ``feasible`` with its gap, ``optimal`` only
when the value meets the bound (relative gap within ``mip_gap``).

Options honoured: ``time_limit`` (local search and bound share it); the
others are ignored.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> from siting.models import MCLP
>>> d = pd.DataFrame({"x": [0, 1, 10, 11, 30.0], "y": [0.0] * 5, "weight": [1, 2, 3, 4, 5]})
>>> sol = MCLP(radius=1.5, p=2).solve(Instance.from_frames(d, d), "heuristic")
>>> sol.status.value, sol.objective, sol.verified
('optimal', 12.0, True)
"""

from __future__ import annotations

import time

from siting.backends.base import (
    Capabilities,
    Capability,
    Result,
    SolveOptions,
    Status,
    register,
    relative_gap,
    supports,
)
from siting.milp import MilpArrays

NAME = "heuristic"
UNSUPPORTED = "heuristic supports mclp and p-median"


class HeuristicBackend:
    """Greedy + swap on the model structure; bound from Lagrangian relaxation."""

    name = NAME

    def available(self) -> bool:
        return True

    def supports(self, capability: Capability) -> bool:
        return supports(self.name, capability)

    def solve(self, milp: MilpArrays, options: SolveOptions) -> Result:
        from siting.heuristics import solve_structure, supports

        t0 = time.perf_counter()
        if not supports(milp):
            return Result(Status.ERROR, NAME, runtime_s=time.perf_counter() - t0,
                          message=UNSUPPORTED)
        out = solve_structure(milp, time_limit=options.time_limit, bound=True)
        if milp.max_violation(out.x) > 1e-6:  # e.g. a point left with no site it reaches
            return Result(Status.NO_SOLUTION, NAME, runtime_s=time.perf_counter() - t0,
                          message="heuristic: no feasible plan found (every demand point "
                          "served by a site it reaches)")
        gap = relative_gap(out.objective, out.bound, milp.sense)
        status = (
            Status.OPTIMAL
            if gap is not None and gap <= max(options.mip_gap, 1e-9)
            else Status.FEASIBLE
        )
        return Result(
            status, NAME, objective=out.objective, bound=out.bound, gap=gap,
            runtime_s=time.perf_counter() - t0, x=out.x,
            message="" if status == Status.OPTIMAL else "heuristic: local optimum with its gap",
        )


register(
    NAME,
    HeuristicBackend,
    Capabilities(
        Capability.TIME_LIMIT,
        description="greedy + swap local search with a Lagrangian bound (MCLP, p-median)",
    ),
)
