"""Common machinery of the location models: build arrays, solve, decode.

A model turns an :class:`~siting.instance.Instance` into
:class:`~siting.milp.MilpArrays` (:meth:`LocationModel.build`), hands them to a
back end, and decodes the values into a :class:`~siting.solution.Solution`
keyed by the user's ids. Staged models (LSCP-B, p-center) override
:meth:`LocationModel.solve`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from siting.backends import DEFAULT_BACKEND
from siting.backends.base import Result, SolveOptions, Status, get_backend
from siting.errors import ParameterError
from siting.instance import Instance
from siting.milp import MilpArrays, Sense
from siting.params import validate_fields
from siting.registry import verify_and_accept
from siting.solution import Solution, result_fields


@dataclass
class Built:
    """Arrays of one MILP plus what decoding needs (positions, constants, reductions)."""

    milp: MilpArrays
    data: dict[str, Any] = field(default_factory=dict)


#: Why a restriction to the nearest candidates that has no plan is not a proof of infeasibility.
RESTRICTED_INFEASIBLE = (
    "no plan serves every point from its nearest candidate sites (a restriction, not a "
    "proof that no plan exists): allow more candidates"
)


class LocationModel(ABC):
    """Base class: parameters are stored by the constructor and checked early.

    A model is a dataclass whose fields are its parameters, each declared once
    with :func:`siting.registry.parameter` (command-line flag, help, value
    range); the constructor checks them (:func:`siting.params.validate_fields`)
    before any data is read, and :meth:`check` checks them against an instance.
    A new model is registered with :func:`siting.registry.register`; its
    verifier with :func:`siting.verify.verifies`, under the model's ``name``.

    Examples
    --------
    >>> from siting import MCLP, LocationModel
    >>> model = MCLP(radius=2.0, p=3)
    >>> isinstance(model, LocationModel), model.name, model.sense, model.params()["p"]
    (True, 'mclp', 'max', 3)
    """

    name: ClassVar[str] = "model"
    #: Models whose data need distances (not only a coverage relation).
    needs_distances: ClassVar[bool] = False
    #: Whether the objective is minimised or maximised (the verifier's direction).
    sense: ClassVar[Sense] = "min"

    def __post_init__(self) -> None:
        # The constraints are in the fields' types (siting.params): checked once, here,
        # before any data is read; checks that need the data are in check().
        validate_fields(self)

    def params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def check(self, inst: Instance) -> None:
        """Raise :class:`ParameterError` for parameters that do not fit the instance.

        The fields are checked against their types again first (a field may have
        been changed since the model was made).
        """
        validate_fields(self)
        if self.needs_distances and not inst.metric.has_distances:
            raise ParameterError(
                f"{self.name} needs distances but {inst.name} only gives a coverage relation",
                path=inst.source,
                field="model",
                value=self.name,
            )

    @abstractmethod
    def build(self, inst: Instance) -> Built:
        """The MILP arrays of this model on ``inst``."""

    @abstractmethod
    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        """Solution fields (``selected``, ``coverage`` / ``assignment``) from column values."""

    def solve(
        self,
        inst: Instance,
        solver: str = DEFAULT_BACKEND,
        options: SolveOptions | None = None,
        *,
        verify: bool = True,
    ) -> Solution:
        """Solve on ``inst``; verify the solution from the instance unless told not to.

        The back end's name and the parameters (against the instance) are checked
        first, then :meth:`run` does the work.

        Parameters
        ----------
        inst : Instance
            Demand points, candidate sites and their distances.
        solver : str
            Back end: ``highs`` (default), ``ortools``, ``cpsat``, ``cbc`` or
            ``heuristic`` (:func:`siting.backends.base.available_backends`).
        options : SolveOptions, optional
            Time limit, relative gap, threads, progress callback.
        verify : bool
            Recompute the objective and every constraint from the instance,
            independently of the solver (default True).

        Returns
        -------
        Solution
            ``status`` (``optimal`` only when proven within the gap), ``objective``,
            ``bound`` and ``gap``; ``selected`` (the open sites' ids, existing ones
            included) and ``existing``; ``coverage`` (covering models: per point,
            how many open sites cover it) or ``assignment`` (per pair, the share
            served); ``params`` (this model's); ``verified`` and ``verification``
            (the failed checks); ``stats``. A time-limited plan is ``feasible``.

        Raises
        ------
        ParameterError
            A parameter that does not fit the instance (``p`` above the number of
            candidate sites), or an unknown back end, before any work.
        InfeasibleError
            Data that no plan can satisfy, with the requirement that fails.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting.instance import Instance
        >>> from siting.models import MCLP
        >>> d = pd.DataFrame({"x": [0, 10.0], "y": [0, 0.0], "weight": [5, 3]})
        >>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d))
        >>> sol.status.value, sol.objective, sol.verified
        ('optimal', 5.0, True)
        """
        options = options or SolveOptions()
        get_backend(solver)  # an unknown name is refused before any work
        self.check(inst)
        return self.run(inst, solver, options, verify=verify)

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        """Build, solve and decode (staged models, and those with their own loop, override
        this; the checks of :meth:`solve` have run)."""
        t0 = time.perf_counter()
        built = self.build(inst)
        return self.solve_built(inst, built, solver, options, t0=t0, verify=verify)

    def solve_built(
        self, inst: Instance, built: Built, solver: str, options: SolveOptions, *,
        t0: float, verify: bool, bound: float | None = None,
    ) -> Solution:
        """Solve arrays already built (at ``t0``), decode and verify: the second half of
        :meth:`solve`, for models that choose a formulation from the built arrays.

        ``bound``: one the caller proved on the problem the arrays solve (e.g. a root
        LP's); the solution keeps it when it is tighter than the solver's."""
        t_build = time.perf_counter() - t0
        options, t_warm, h_bound = warm_started(built.milp, solver, options)
        result = get_backend(solver).solve(built.milp, options)
        tighten_bound(built.milp, result, h_bound, options.mip_gap)
        tighten_bound(built.milp, result, bound, options.mip_gap)
        sol = self.to_solution(inst, built, result)
        pairs = built.data.get("pairs")
        if pairs is not None and not pairs.complete and sol.status == Status.OPTIMAL:
            # Optimal for the nearest-candidate restriction only: no bound on the full problem.
            sol.status, sol.bound, sol.gap = Status.FEASIBLE, None, None
            sol.message = (
                "assignment restricted to nearest candidates: optimal for that restriction only"
            )
        elif pairs is not None and not pairs.complete and sol.status == Status.INFEASIBLE:
            sol.status, sol.message = Status.NO_SOLUTION, RESTRICTED_INFEASIBLE
        record_stats(sol, built, t_build, result.runtime_s)
        if t_warm is not None:
            sol.stats["warm_start_s"] = round(t_warm, 6)
        sol.runtime_s = time.perf_counter() - t0
        return finish(inst, self, sol, verify)

    def to_solution(self, inst: Instance, built: Built, result: Result) -> Solution:
        fields: dict[str, Any] = {"selected": [], "existing": list(inst.site_ids[inst.existing])}
        if result.status.has_solution and result.x is not None:
            fields.update(self.decode(inst, built, result.x))
        return Solution(
            model=self.name,
            instance=inst.name,
            params=self.params(),
            **result_fields(result),
            **fields,
        )


class CoverageModel(LocationModel):
    """A model with a ``y`` block whose ``built.data["cov"]`` is the demand × site coverage."""

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        """The open sites and, per demand point, how many of them cover it."""
        selected, pos = selected_from(inst, x[built.milp.block("y").slice])
        counts = np.asarray(built.data["cov"][:, pos].sum(axis=1)).ravel()
        return {"selected": selected, "coverage": coverage_table(inst, counts)}


class AssignmentModel(LocationModel):
    """A model with ``y`` and ``x`` blocks, ``x`` over the pairs in ``built.data["pairs"]``."""

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        """The open sites and the share of each point's demand along each pair."""
        selected, _ = selected_from(inst, x[built.milp.block("y").slice])
        pairs = built.data["pairs"]
        frac = x[built.milp.block("x").slice]
        return {
            "selected": selected,
            "assignment": assignment_table(inst, pairs.demand, pairs.site, frac),
        }


def warm_started(
    milp: MilpArrays, solver: str, options: SolveOptions
) -> tuple[SolveOptions, float | None, float | None]:
    """Options with the heuristic's solution as warm start, for exact back ends that take one.

    Only when the arrays carry model structure (MCLP, p-median) and the caller
    gave no start of their own. Returns the options, the heuristic's time and
    its (Lagrangian) bound, which may be tighter than a time-limited solver's.
    """
    from siting.backends.base import capabilities

    if options.warm_start is not None or milp.structure is None:
        return options, None, None
    if solver == "heuristic" or not capabilities(solver).warm_start:
        return options, None, None
    from siting.heuristics import solve_structure, supports

    if not supports(milp):
        return options, None, None
    t0 = time.perf_counter()
    # A small share of the time limit: the start matters less than the exact solve.
    limit = None if options.time_limit is None else 0.2 * options.time_limit
    out = solve_structure(milp, time_limit=limit, bound=True)
    t = time.perf_counter() - t0
    if milp.max_violation(out.x) > 1e-6:
        return options, t, out.bound
    left = None if options.time_limit is None else max(options.time_limit - t, 0.01)
    return replace(options, warm_start=out.x, time_limit=left), t, out.bound


#: How far (relative) a bound may sit on the wrong side of a plan and still be taken as
#: the plan's value: an LP's optimality tolerance, not a modelling slack.
BOUND_TOLERANCE = 1e-7


def tighten_bound(
    milp: MilpArrays, result: Result, bound: float | None, mip_gap: float
) -> None:
    """Keep the better of the solver's and ``bound`` (a heuristic's or the caller's; both valid)."""
    from siting.backends.base import relative_gap

    if bound is None or not result.status.has_solution or result.objective is None:
        return
    # A bound within the LP's tolerance of the plan: the plan's value is the bound. One
    # farther on the wrong side of the plan is not a bound (kept out rather than masked).
    shortfall = (result.objective - bound) if milp.sense == "max" else (bound - result.objective)
    if shortfall > BOUND_TOLERANCE * max(1.0, abs(result.objective)):
        return
    bound = max(bound, result.objective) if milp.sense == "max" else min(bound, result.objective)
    better = result.bound is None or (
        bound < result.bound if milp.sense == "max" else bound > result.bound
    )
    if not better:
        return
    result.bound = bound
    result.gap = relative_gap(result.objective, bound, milp.sense)
    if result.gap is not None and result.gap <= mip_gap and result.status == Status.FEASIBLE:
        result.status, result.message = Status.OPTIMAL, ""


def record_stats(sol: Solution, built: Built, t_build: float, solve_s: float) -> None:
    """Record the build and solve times, the arrays' sizes and the reductions in ``sol.stats``."""
    sol.stats.update(
        build_s=round(t_build, 6),
        solve_s=round(solve_s, 6),
        columns=built.milp.num_cols,
        rows=built.milp.num_rows,
        nonzeros=int(built.milp.A.nnz),
    )
    sol.stats.update(built.data.get("reduction", {}))


def finish(inst: Instance, model: LocationModel, sol: Solution, verify: bool) -> Solution:
    """Hand the decoded solution to the workflow's verify-and-accept step (when asked).

    The verifier sits above the models, so they do not call it:
    :mod:`siting.workflow` installs the step in :mod:`siting.registry`.
    """
    sol.source = inst
    sol.notes = list(inst.notes)
    if verify and sol.status.has_solution:
        verify_and_accept(inst, model, sol)
    return sol


def selected_from(inst: Instance, y: NDArray[np.float64]) -> tuple[list[Any], NDArray[np.int64]]:
    """Selected site ids (existing ones included) and their positions, from ``y`` values."""
    pos = np.flatnonzero((y > 0.5) | inst.existing)
    return list(inst.site_ids[pos]), pos


def check_p(p: int | None, inst: Instance, *, required: bool) -> None:
    if p is None:
        if required:
            raise ParameterError("p (number of facilities) is required", field="p")
        return
    n_new = int((~inst.existing).sum())
    if p > n_new:
        raise ParameterError(
            f"p exceeds the {n_new} candidate sites of {inst.name}", field="p", value=p
        )


def top_up(inst: Instance, pos: NDArray[np.int64], p: int,
           score: NDArray[np.float64]) -> NDArray[np.int64]:
    """The open sites ``pos`` with new sites added, highest ``score`` first, until ``p``
    new sites are open (``exactly_p``).

    Exact for models whose objective cannot get worse with one more open site
    (MCLP, p-center): a plan that is optimal with at most ``p`` new sites stays
    optimal with exactly ``p``.

    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 0.0, 0.0]})
    >>> inst = Instance.from_frames(d, d, weight=None)
    >>> top_up(inst, np.array([1]), 2, np.array([0.0, 0.0, 5.0]))
    array([1, 2])
    """
    new = int((~inst.existing[pos]).sum())
    if new >= p:
        return pos
    free = np.ones(inst.n_sites, dtype=bool)
    free[pos] = False
    free &= ~inst.existing
    order = np.flatnonzero(free)
    order = order[np.argsort(-score[order], kind="stable")]
    return np.sort(np.concatenate([pos, order[: p - new]])).astype(np.int64)


def check_radius(radius: float | None, inst: Instance) -> float:
    if not inst.metric.has_distances:
        return 0.0 if radius is None else float(radius)
    if radius is None:
        raise ParameterError("radius is required for this model", field="radius")
    r = float(radius)
    inst.check_radius(r)
    return r


def coverage_table(inst: Instance, counts: NDArray[np.float64]) -> Any:
    from siting.solution_base import CoverageCounts  # a frame when Solution.coverage is read

    return CoverageCounts(inst.demand_ids, inst.weight, counts.astype(np.int64))


def assignment_table(
    inst: Instance, rows: NDArray[np.int64], cols: NDArray[np.int64], frac: NDArray[np.float64]
) -> Any:
    import pandas as pd

    keep = frac > 1e-9
    return pd.DataFrame(
        {
            "demand_id": inst.demand_ids[rows[keep]],
            "site_id": inst.site_ids[cols[keep]],
            "fraction": np.round(frac[keep], 12),
        }
    )


def status_after_stages(statuses: list[Status]) -> Status:
    """Status of a staged solve: optimal only when every stage was proven optimal."""
    if all(s == Status.OPTIMAL for s in statuses):
        return Status.OPTIMAL
    if statuses and statuses[-1].has_solution:
        return Status.FEASIBLE
    return statuses[-1] if statuses else Status.ERROR
