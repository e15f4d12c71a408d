"""Models that bring their own heuristic start: warm start for exact back ends, or the answer.

:class:`ModelWithStart` runs the same build → back end → decode → verify path
as every :class:`~siting.models.base.LocationModel`, with one hook,
:meth:`ModelWithStart.start`: a feasible column vector (and, where the
heuristic has one, a bound). An exact back end that takes warm starts starts
from it; ``solver="heuristic"`` returns it, ``feasible`` with its gap (or
``optimal`` when it meets its bound). A model without a start answers the
``heuristic`` back end with an ``error`` result, as the back end does for
models it does not know.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import (
    Result,
    SolveOptions,
    Status,
    capabilities,
    get_backend,
    relative_gap,
)
from siting.instance import Instance
from siting.models.base import (
    RESTRICTED_INFEASIBLE,
    Built,
    LocationModel,
    finish,
    record_stats,
    tighten_bound,
)
from siting.solution import Solution

HEURISTIC = "heuristic"
#: Share of the time limit a warm start may take.
START_SHARE = 0.2


@dataclass
class Start:
    """A heuristic solution as column values, with a bound on the optimum when known."""

    x: NDArray[np.float64]
    bound: float | None = None


class ModelWithStart(LocationModel):
    """A location model whose :meth:`start` gives a feasible solution (see the module doc)."""

    def start(self, inst: Instance, built: Built, time_limit: float | None) -> Start | None:
        """A feasible solution of ``built``'s arrays, or None when the model has no heuristic."""
        return None

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        """Build, start, solve and decode; verify from the instance unless told not to."""
        t0 = time.perf_counter()
        built = self.build(inst)
        t_build = time.perf_counter() - t0
        if solver == HEURISTIC:
            result = self.heuristic_result(inst, built, options)
        else:
            backend = get_backend(solver)
            run, t_start, bound = self._warm(inst, built, solver, options)
            result = backend.solve(built.milp, run)
            tighten_bound(built.milp, result, bound, options.mip_gap)
            if t_start is not None:
                result.extra["warm_start_s"] = t_start
        sol = self.to_solution(inst, built, result)
        self.qualify(built, sol)
        record_stats(sol, built, t_build, result.runtime_s)
        if "warm_start_s" in result.extra:
            sol.stats["warm_start_s"] = round(float(result.extra["warm_start_s"]), 6)  # type: ignore[arg-type]
        sol.runtime_s = time.perf_counter() - t0
        return finish(inst, self, sol, verify)

    def qualify(self, built: Built, sol: Solution) -> None:
        """Drop a proof and bound that hold only for a restriction (nearest candidates)."""
        complete = built.data.get("complete", True)
        if not complete and sol.status == Status.INFEASIBLE:
            sol.status, sol.message = Status.NO_SOLUTION, RESTRICTED_INFEASIBLE
        if not complete and sol.status.has_solution:
            # The restriction's bound is no bound on the full problem.
            if sol.status == Status.OPTIMAL:
                sol.message = ("pairs restricted to the nearest candidates: optimal for that "
                               "restriction only")
            sol.status, sol.bound, sol.gap = Status.FEASIBLE, None, None

    def heuristic_result(self, inst: Instance, built: Built, options: SolveOptions) -> Result:
        """The heuristic alone, as a back end's result."""
        t0 = time.perf_counter()
        found = self.start(inst, built, options.time_limit)
        runtime = time.perf_counter() - t0
        if found is None:
            return Result(Status.ERROR, HEURISTIC, runtime_s=runtime,
                          message=f"the heuristic has no start for {self.name}")
        milp = built.milp
        if milp.max_violation(found.x) > 1e-6:
            return Result(Status.ERROR, HEURISTIC, runtime_s=runtime,
                          message=f"{self.name}: the heuristic found no feasible solution")
        objective = milp.objective_of(found.x)
        gap = relative_gap(objective, found.bound, milp.sense)
        proven = gap is not None and gap <= max(options.mip_gap, 1e-9)
        return Result(
            Status.OPTIMAL if proven else Status.FEASIBLE, HEURISTIC, objective=objective,
            bound=found.bound, gap=gap, runtime_s=runtime, x=found.x,
            message="" if proven else "heuristic: local optimum with its gap",
        )

    def _warm(
        self, inst: Instance, built: Built, solver: str, options: SolveOptions
    ) -> tuple[SolveOptions, float | None, float | None]:
        """Options with the heuristic start as warm start, its time and its bound."""
        if options.warm_start is not None or not capabilities(solver).warm_start:
            return options, None, None
        t0 = time.perf_counter()
        limit = None if options.time_limit is None else START_SHARE * options.time_limit
        found = self.start(inst, built, limit)
        took = time.perf_counter() - t0
        if found is None:
            return options, None, None
        if built.milp.max_violation(found.x) > 1e-6:
            return options, took, None
        left = None if options.time_limit is None else max(options.time_limit - took, 0.01)
        return replace(options, warm_start=found.x, time_limit=left), took, found.bound
