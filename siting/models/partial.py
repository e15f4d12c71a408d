"""Partial set covering: the fewest (or cheapest) new sites that cover a share of the weight.

``PSCP(radius=R, share=S)`` opens new sites so that the demand weight within
``R`` of an open site, existing facilities included, is at least ``S`` times
the total weight (Daskin & Owen 1999); ``weighted_cost=True`` minimises the
sites' costs instead of their number. The compact formulation keeps one
column ``z_g ∈ [0, 1]`` per merged demand row,

    min Σ_i c_i y_i   s.t.   z_g ≤ Σ_i a_gi y_i,   Σ_g w_g z_g ≥ S·W − W_existing,

after the reductions of MCLP (:mod:`siting.models.covering`): rows already
covered, or that no site reaches, are constants; equal rows merge; a site is
closed when another covers a superset at no higher cost. The branch-and-
Benders-cut formulation (Cordeau, Furini & Ljubić 2019) projects ``z`` out
as :mod:`siting.models.benders` does for MCLP: a master over ``y`` and one
``θ`` per group of rows, minimising the cost under ``linear·y + Σ θ ≥
required``. Both start from a greedy plan (most uncovered weight per unit
cost, then redundant sites dropped) made cheaper by maximal covering with one
site fewer while that still reaches the share (:func:`descend_partial`); that
plan is also the ``heuristic`` back end's answer, with a fractional-knapsack
bound (:func:`knapsack_bound`).

>>> import pandas as pd
>>> from siting.instance import Instance
>>> d = pd.DataFrame({"x": [0, 10, 20.0], "y": [0, 0, 0.0], "weight": [5, 3, 4]})
>>> s = pd.DataFrame({"x": [1, 19, 10.0], "y": [0, 0, 0.0]})
>>> inst = Instance.from_frames(d, s)
>>> PSCP(radius=2, share=0.4).solve(inst).objective      # 4.8 of 12: the site at x = 1
1.0
>>> sol = PSCP(radius=2, share=0.75, formulation="benders").solve(inst)
>>> sol.objective, sol.status.value, sol.verified, sol.stats["formulation"]
(2.0, 'optimal', True, 'benders')
>>> PSCP(radius=2, share=0)
Traceback (most recent call last):
...
siting.errors.ParameterError: field 'share': value 0: must be > 0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import Result, SolveOptions, Status, capabilities, relative_gap
from siting.errors import InfeasibleError, ParameterError
from siting.heuristics.mclp import CoverState, solve_mclp
from siting.heuristics.structure import CoverStructure
from siting.instance import Instance
from siting.milp import MilpBuilder
from siting.models.base import Built, CoverageModel, check_radius, finish
from siting.models.benders import solve_benders
from siting.models.benders_master import Master
from siting.models.cover_cuts import CoverData
from siting.models.covering import (
    THETA_GROUPS,
    Formulation,
    benders_solution,
    choose_formulation,
    coverage_pattern,
    covered_by_existing,
    reduce_covering,
)
from siting.registry import COVER_FORMULATION, RADIUS, SHARE, WEIGHTED_COST, parameter
from siting.solution import Solution

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

#: The share is met within this relative tolerance (as ``target-share`` does).
TARGET_TOL = 1e-9


def _required(s: CoverStructure) -> float:
    assert s.required is not None, "a partial covering structure has its required weight"
    return s.required


def greedy_partial(s: CoverStructure, start: BoolArray | None = None) -> BoolArray:
    """Open sites by uncovered weight per unit cost until ``s.required`` weight is covered,
    then close the dearest open new sites the plan does not need.

    ``start`` (default: ``fixed_open``) is opened first. Gains are kept per site
    and updated over the rows a step covers (:class:`~siting.heuristics.mclp.CoverState`).

    >>> cov = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], float))
    >>> greedy_partial(CoverStructure.of(cov, np.array([5.0, 1, 2, 4]), required=9.0)).tolist()
    [True, False, True]
    """
    fixed_open, required, cost = s.fixed_open, _required(s), s.cost
    state = CoverState(s.cov, s.weight, fixed_open if start is None else start | fixed_open)
    allowed = s.free
    slack = 1e-9 * max(1.0, abs(required))
    got = state.value
    while got < required - slack:
        gain = np.where(allowed & ~state.open, state.gain, 0.0)
        if not (gain > 1e-12).any():
            break  # nothing left to add (the caller checked that the target is reachable)
        # Weight per unit cost; a free site with any gain comes first.
        score = np.where(cost > 0, gain / np.where(cost > 0, cost, 1.0), np.inf)
        score = np.where(gain > 1e-12, score, -np.inf)
        j = int(np.argmax(np.where(score >= score.max(), gain, -np.inf)))  # ties: more gain
        got += float(state.gain[j])
        state.add(j)
    movable = np.flatnonzero(state.open & allowed)
    for j in movable[np.argsort(-cost[movable], kind="stable")].tolist():
        loss = state.swap_gains(j)[0] if cost[j] > 0 else math.inf
        if got - loss >= required - slack:
            got -= loss
            state.remove(j)
    return state.open.copy()


def descend_partial(s: CoverStructure, plan: BoolArray, time_limit: float | None = None
                    ) -> BoolArray:
    """Cheaper plans by maximal covering: with one site fewer (unit costs) or a budget
    one below the plan's cost (integer costs), the MCLP heuristic
    (:func:`~siting.heuristics.mclp.solve_mclp`, greedy then swap) may still cover
    ``s.required``; repeat until it does not. Other costs: ``plan`` as it is.

    The greedy plan opens sites one by one, so its last picks serve what the first
    ones left; swaps over a whole plan of one site fewer often reach the share
    (uniform 20,000 × 1,000, share 0.8: 44 sites → 42).

    >>> cov = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], float))
    >>> s = CoverStructure.of(cov, np.array([5.0, 1, 2, 4]), required=6.0)
    >>> descend_partial(s, np.ones(3, dtype=bool)).tolist()
    [True, False, False]
    """
    cov, weight, cost, required = s.cov, s.weight, s.cost, _required(s)
    fixed_open, closed = s.fixed_open, s.closed
    allowed = s.free
    unit = bool(np.all(cost[allowed] == 1.0))
    if not unit and not np.all(cost == np.round(cost)):
        return plan
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    slack = 1e-9 * max(1.0, abs(required))
    while True:
        opened = plan & allowed
        if not opened.any():
            return plan
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            return plan
        p = int(opened.sum()) - 1 if unit else None
        budget = None if unit else float(cost[opened].sum()) - 1.0
        mask, value, _ = solve_mclp(cov, weight, p, None if unit else cost, budget, fixed_open,
                                    closed, time_limit=left, bound=False)
        if value < required - slack:
            return plan
        plan = mask


def knapsack_bound(s: CoverStructure) -> float:
    """A lower bound on the cost: covering ``required`` needs ``Σ_i gain_i y_i ≥ required``
    (a row covered twice counts once), whose fractional knapsack is solved by sorting.

    >>> cov = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], float))
    >>> knapsack_bound(CoverStructure.of(cov, np.array([4.0, 2, 3]), cost=np.array([2.0, 1]),
    ...                                  required=7.0))
    2.0
    """
    gain = np.asarray(s.cov.T @ s.weight).ravel()
    cost, required = s.cost, _required(s)
    usable = np.flatnonzero(~s.closed & (gain > 0))
    order = usable[np.lexsort((-gain[usable], cost[usable] / gain[usable]))]
    before = np.concatenate([[0.0], np.cumsum(gain[order])])
    k = int(np.searchsorted(before, required - 1e-9 * max(1.0, abs(required))))
    if k == 0:
        return 0.0
    last = order[k - 1]  # the site taken in part
    bound = float(cost[order[: k - 1]].sum() + cost[last] * (required - before[k - 1]) / gain[last])
    return float(math.ceil(bound - 1e-6)) if np.all(cost == np.round(cost)) else bound


def structure_of(built: Built) -> CoverStructure:
    """The covering structure partial covering's arrays carry."""
    s = built.milp.structure
    assert isinstance(s, CoverStructure) and s.required is not None
    return s


@dataclass
class PSCP(CoverageModel):
    r"""Partial set covering: the fewest new sites (or, with ``weighted_cost``, the
    cheapest) such that the weight within ``radius`` of an open site is at least
    ``share`` of the total weight.

    Daskin & Owen (1999), *Two new location covering problems: the partial
    P-center problem and the partial set covering problem*, Geographical
    Analysis 31(3). With the notation of :class:`~siting.models.covering.MCLP`,
    :math:`W = Σ_i w_i` and :math:`z_i \in [0, 1]` (point covered)::

        min  Σ_{j ∉ J_0} c_j y_j
        s.t. z_i ≤ Σ_{j ∈ N_i} y_j        for every i       (row "cover")
             Σ_i w_i z_i ≥ S · W                            (row "share")
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    with :math:`c_j = 1`, or the site's cost with ``weighted_cost``. The rows
    are reduced as MCLP's (the weight existing sites cover leaves the share
    row's right-hand side); a share out of reach with every site open is
    refused before any solve. ``benders`` projects :math:`z` out as for MCLP.

    Parameters
    ----------
    radius : float
        Service radius, in the instance's distance unit (> 0).
    share : float
        Share :math:`S` of all weight to cover, in (0, 1]; required.
    weighted_cost : bool
        Minimise the new sites' costs instead of their number (default False).
    formulation : {"auto", "compact", "benders"}
        As MCLP's: ``auto`` chooses from the reduced instance.
    theta_groups : int, optional
        Benders: number of :math:`θ` columns (None: one a site).

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0, 10, 20.0], "y": [0, 0, 0.0], "weight": [5, 3, 4]})
    >>> s = pd.DataFrame({"x": [1, 19, 10.0], "y": [0, 0, 0.0]})
    >>> PSCP(radius=2, share=0.75).solve(Instance.from_frames(d, s)).objective
    2.0
    """

    radius: float | None = parameter(RADIUS)
    share: float | None = parameter(SHARE)
    weighted_cost: bool = parameter(WEIGHTED_COST, False)
    formulation: Formulation = parameter(COVER_FORMULATION, "auto")
    theta_groups: int | None = parameter(THETA_GROUPS)
    name: ClassVar[str] = "pscp"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.share is None:
            raise ParameterError("is required: the share of all weight to cover, in (0, 1]",
                                 field="share")

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_radius(self.radius, inst)

    def site_costs(self, inst: Instance) -> FloatArray:
        """What each new site costs in the objective (existing sites cost nothing)."""
        costs = inst.site_cost if self.weighted_cost else np.ones(inst.n_sites)
        return np.asarray(costs, dtype=np.float64) * ~inst.existing

    def build(self, inst: Instance) -> Built:
        """The compact arrays; their :class:`CoverStructure` holds what the start and the
        Benders master need. Raises :class:`InfeasibleError` when the share is out of reach."""
        radius = check_radius(self.radius, inst)
        cov = coverage_pattern(inst, radius)
        pre = covered_by_existing(inst, cov)
        reachable = np.diff(cov.indptr) > 0
        need = self.required_weight(inst, float(inst.weight[reachable].sum()),
                                    float(inst.weight[pre].sum()), radius)
        rows = np.flatnonzero(reachable & ~pre)
        costs = self.site_costs(inst)
        every = rows.size == inst.n_demand  # no copy of the largest matrix when all rows stay
        red, closed, stats = reduce_covering(
            cov if every else cov[rows], inst.weight if every else inst.weight[rows],
            costs, inst.existing, use_cost=True,
        )
        b = MilpBuilder()
        y = b.add_block("y", inst.n_sites, lower=inst.existing.astype(float),
                        upper=(~closed).astype(float), integer=True, cost=costs)
        n_rows = red.cov.shape[0]
        z = b.add_block("z", n_rows, lower=0.0, upper=1.0)
        if n_rows:
            # z_g - sum_i a_gi y_i <= 0, one row per group of demand points with equal coverage
            b.concat_rows([(sp.identity(n_rows, format="csr"), z), (-red.cov, y)],
                          lower=-np.inf, upper=0.0, name="cover")
            b.add_rows(sp.csr_matrix(red.weight[None, :]), lower=need, upper=np.inf, cols=z,
                       name="share")
        milp = b.build(sense="min")
        milp.structure = CoverStructure(red.cov, red.weight, costs, inst.existing.copy(), closed,
                                        required=need)
        return Built(milp, {"cov": cov, "reduction": stats})

    def required_weight(self, inst: Instance, most: float, existing: float,
                        radius: float) -> float:
        """Weight the new sites must cover: the share's target less what existing sites
        cover (rounded up when weights are whole numbers); refused when out of reach."""
        total = float(inst.weight.sum())
        target = float(self.share or 0.0) * total
        goal = target * (1 - TARGET_TOL)
        if most < goal:
            raise InfeasibleError(
                f"{self.name}: share {self.share:g} asks for weight {target:.10g} of "
                f"{total:.10g}, but at most {most:.10g} ({most / total:.2%}) lies within "
                f"radius {radius:g} of a site, with every candidate site open"
            )
        need = goal - existing
        if np.all(inst.weight == np.round(inst.weight)):
            need = float(math.ceil(need))  # covered weight is then a whole number too
        return max(need, 0.0)

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        """Build, start greedily, choose the formulation, solve, decode and verify."""
        t0 = time.perf_counter()
        built = self.build(inst)
        s = structure_of(built)
        choice = choose_formulation(self.formulation, s.n_rows, int(s.free.sum()), solver)
        t_start = time.perf_counter()
        start = greedy_partial(s)
        share = None if options.time_limit is None else 0.1 * options.time_limit
        start = descend_partial(s, start, time_limit=share)
        t_start = time.perf_counter() - t_start
        if solver == "heuristic":
            sol = self._greedy_solution(inst, built, start, t0)
        elif choice == "compact":
            if options.warm_start is None and capabilities(solver).warm_start:
                options = replace(options, warm_start=s.columns(built.milp.num_cols, start))
            sol = self.solve_built(inst, built, solver, options, t0=t0, verify=False)
        else:
            sol = self._solve_benders(inst, built, solver, options, t0, start)
        sol.stats.update(formulation=choice, warm_start_s=round(t_start, 6))
        sol.runtime_s = time.perf_counter() - t0
        return finish(inst, self, sol, verify)

    def _greedy_solution(self, inst: Instance, built: Built, start: BoolArray,
                         t0: float) -> Solution:
        """The greedy plan as the ``heuristic`` back end's answer, with the knapsack bound."""
        s = structure_of(built)
        x = s.columns(built.milp.num_cols, start)
        objective = built.milp.objective_of(x)
        bound = knapsack_bound(s)
        gap = relative_gap(objective, bound, "min")
        status = Status.OPTIMAL if gap is not None and gap <= 1e-9 else Status.FEASIBLE
        result = Result(status, "heuristic", objective=objective, bound=bound, gap=gap,
                        runtime_s=time.perf_counter() - t0, x=x,
                        message="" if status == Status.OPTIMAL else "greedy plan with its gap")
        sol = self.to_solution(inst, built, result)
        sol.stats.update(built.data["reduction"])
        return sol

    def _solve_benders(
        self, inst: Instance, built: Built, solver: str, options: SolveOptions, t0: float,
        start: BoolArray,
    ) -> Solution:
        milp = built.milp
        s = structure_of(built)
        t_build = time.perf_counter() - t0
        y_slice = s.y.slice
        data = CoverData.build(s.cov, s.weight, self.theta_groups or inst.n_sites)
        master = Master(data, milp.col_lower[y_slice].copy(), milp.col_upper[y_slice].copy(),
                        sp.csr_matrix((0, inst.n_sites)), np.zeros(0), 0.0,
                        cost=s.cost, required=s.required)
        allowed = s.free

        def improve(y_lp: FloatArray) -> FloatArray:
            rounded = allowed & (y_lp > 0.5)
            return greedy_partial(s, start=rounded).astype(float)

        limit = options.time_limit
        left = None if limit is None else max(limit - (time.perf_counter() - t0), 0.01)
        integral = bool(np.all(s.cost == np.round(s.cost)))
        out = solve_benders(master, solver, replace(options, time_limit=left),
                            start=start.astype(np.float64), integral=integral, improve=improve)
        return benders_solution(self, inst, built, s, master, out, solver, t0, t_build)
