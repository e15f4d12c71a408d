"""p-median and p-center.

>>> import pandas as pd
>>> d = pd.DataFrame({"x": [0, 1, 10, 11.0], "y": [0.0] * 4})
>>> inst = Instance.from_frames(d, d, weight=None)   # every point counts 1
>>> PMedian(p=2).solve(inst).objective
2.0
>>> PCenter(p=2).solve(inst).objective
1.0
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import SolveOptions, Status
from siting.heuristics.pmedian import PairsData
from siting.heuristics.structure import MedianStructure
from siting.instance import Instance
from siting.milp import MilpBuilder
from siting.models.assign import Pairs, assignment_pairs
from siting.models.base import (
    AssignmentModel,
    Built,
    LocationModel,
    assignment_table,
    check_p,
    finish,
    selected_from,
    top_up,
)
from siting.models.covering import LSCP, coverage_pattern
from siting.models.reach import (
    largest_distance,
    no_plan,
    refuse_alone,
    refuse_unreached,
    unserved_message,
)
from siting.registry import CANDIDATES, EXACTLY_P, P, Param, Value, parameter
from siting.solution import Solution

#: p-median formulations: distance levels (default), Benders on their projection,
#: or the textbook assignment one.
FORMULATIONS = ("radius", "benders", "assignment")
FORMULATION = Param(None, "p-median: radius (distance levels), benders or assignment.",
                    Value(str, choices=FORMULATIONS))


def _assignment_block(
    b: MilpBuilder, inst: Instance, pairs: Pairs, cost: NDArray[np.float64], y_cols: Any
) -> Any:
    """x_ij on the pairs, with sum_j x_ij = 1 and x_ij <= y_j (no loop over pairs)."""
    n = inst.n_demand
    x = b.add_block("x", pairs.size, lower=0.0, upper=1.0, cost=cost)
    k = np.arange(pairs.size)
    one = np.ones(pairs.size)
    b.add_rows(
        sp.csr_matrix((one, (pairs.demand, k)), shape=(n, pairs.size)),
        lower=1.0,
        upper=1.0,
        cols=x,
        name="assign",
    )
    link_x = sp.csr_matrix((one, (k, k)), shape=(pairs.size, pairs.size))
    link_y = sp.csr_matrix((-one, (k, pairs.site)), shape=(pairs.size, inst.n_sites))
    b.concat_rows([(link_x, x), (link_y, y_cols)], lower=-np.inf, upper=0.0, name="link")
    return x


@dataclass
class PMedian(AssignmentModel):
    r"""Weighted p-median: open ``p`` new sites (existing ones stay open), minimise
    the weighted distance of every demand point to its site.

    Hakimi (1964); ReVelle & Swain (1970), *Central facilities location*,
    Geographical Analysis 2(1). Distances :math:`d_{ij}`; :math:`x_{ij} \in
    [0, 1]` the share of point :math:`i` served by site :math:`j`, on the
    usable pairs (every reachable pair, or the ``candidates`` nearest)::

        min  Σ_i Σ_j w_i d_ij x_ij
        s.t. Σ_j x_ij = 1                 for every i       (row "assign")
             x_ij ≤ y_j                   for every pair    (row "link")
             Σ_{j ∉ J_0} y_j = p                            (row "p")
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    That is ``formulation="assignment"``. The default, ``"radius"``, solves
    the same problem in Elloumi's distance-level form, one row per point and
    distinct distance (:mod:`siting.models.pmedian_radius`), with level
    refinement; ``"benders"`` projects its levels out
    (:mod:`siting.models.pmedian_benders`). A point that reaches no site is
    refused before any solve; for data that give the cost of serving a
    point's whole demand (OR-Library cap), that cost replaces
    :math:`w_i d_{ij}`.

    Parameters
    ----------
    p : int
        Number of new sites to open, exactly (existing ones are not counted).
    candidates : int, optional
        Restrict each point to its k nearest sites: faster, but the result is
        then optimal only for that restriction and is reported as feasible.
    formulation : {"radius", "benders", "assignment"}
        How the problem is solved (default ``"radius"``); the optimum is the same.

    Notes
    -----
    ``p`` counts new sites: with existing facilities, spopt's ``PMedian``
    (whose ``p`` counts every open facility) matches ``p + len(existing)``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [0, 1, 10, 11.0], "y": [0.0] * 4})
    >>> PMedian(p=2).solve(Instance.from_frames(d, d, weight=None)).objective
    2.0
    """

    p: int | None = parameter(P)
    candidates: int | None = parameter(CANDIDATES)
    formulation: Literal["radius", "benders", "assignment"] = parameter(FORMULATION, "radius")
    name: ClassVar[str] = "p-median"
    needs_distances: ClassVar[bool] = True

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_p(self.p, inst, required=True)

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        """Solve with the radius formulation (default) or the assignment one.

        The radius formulation (:mod:`siting.models.pmedian_radius`) needs every
        (customer, site) pair and an exact back end; otherwise — restricted
        pairs, the ``heuristic`` back end, ``p = 0`` without existing sites —
        the assignment formulation is used.
        """
        assert self.p is not None
        if self.formulation == "assignment" or solver == "heuristic" or (
            self.p == 0 and not inst.existing.any()
        ):
            return self._assignment_run(inst, solver, options, verify)
        t0 = time.perf_counter()
        pairs = assignment_pairs(inst, self.candidates)
        refuse_unreached(inst, pairs.demand, self.name)
        if not pairs.complete:
            return self._assignment_run(inst, solver, options, verify)
        from siting.heuristics.pmedian import assignment_of
        from siting.models.pmedian_radius import solve_radius

        t_build = time.perf_counter() - t0
        if self.formulation == "benders":
            from siting.models.pmedian_benders import solve_pmedian_benders

            result, mask, stats = solve_pmedian_benders(inst, pairs, int(self.p), solver, options)
        else:
            result, mask, stats = solve_radius(inst, pairs, int(self.p), solver, options)
        pm = PairsData(pairs.demand, pairs.site, pairs.distance, inst.n_demand, inst.n_sites)
        pos, _ = assignment_of(pm, mask)
        if result.status.has_solution and (pos < 0).any():
            # The best plan leaves a point with no open site it reaches: no plan at all.
            # Proven best (the penalty of an unserved point exceeds any full assignment):
            # no plan reaches everyone.
            proven = result.status == Status.OPTIMAL
            result.status = Status.INFEASIBLE if proven else Status.NO_SOLUTION
            result.message = unserved_message(inst, pos < 0, int(self.p), self.name)
            result.objective = result.bound = result.gap = None
        fields: dict[str, Any] = {"selected": [], "existing": list(inst.site_ids[inst.existing])}
        if result.status.has_solution:
            selected, _ = selected_from(inst, mask.astype(np.float64))
            served = pos >= 0
            fields.update(
                selected=selected,
                assignment=assignment_table(
                    inst, pairs.demand[pos[served]], pairs.site[pos[served]],
                    np.ones(int(served.sum())),
                ),
            )
        sol = Solution(
            model=self.name, instance=inst.name, status=result.status, backend=result.backend,
            objective=result.objective, bound=result.bound, gap=result.gap,
            runtime_s=result.runtime_s, params=self.params(), message=result.message,
            **fields,
        )
        sol.stats.update(stats, pairs_s=round(t_build, 6))
        sol.runtime_s = time.perf_counter() - t0
        return finish(inst, self, sol, verify)

    def _assignment_run(
        self, inst: Instance, solver: str, options: SolveOptions, verify: bool
    ) -> Solution:
        """The assignment formulation, whose only infeasibility (every point reaching some
        site) is that no ``p`` sites reach every point: said so."""
        sol = super().run(inst, solver, options, verify=verify)
        if sol.status == Status.INFEASIBLE:
            sol.message = no_plan(inst, int(self.p or 0), self.name)
        return sol

    def build(self, inst: Instance) -> Built:
        assert self.p is not None, "check() requires p"
        pairs = assignment_pairs(inst, self.candidates)
        refuse_unreached(inst, pairs.demand, self.name)
        b = MilpBuilder()
        new = ~inst.existing
        y = b.add_block(
            "y", inst.n_sites, lower=inst.existing.astype(float), upper=1.0, integer=True
        )
        _assignment_block(b, inst, pairs, inst.weight[pairs.demand] * pairs.distance, y)
        b.add_rows(
            sp.csr_matrix(new.astype(float)[None, :]),
            lower=float(self.p),
            upper=float(self.p),
            cols=y,
            name="p",
        )
        milp = b.build(sense="min")
        # Structure for the heuristic back end and warm starts (the x block is in pairs order).
        milp.structure = MedianStructure(
            PairsData(pairs.demand, pairs.site, inst.weight[pairs.demand] * pairs.distance,
                      inst.n_demand, inst.n_sites),
            int(self.p), inst.existing.copy(), y, milp.block("x"),
        )
        return Built(milp, {"pairs": pairs})


@dataclass
class PCenter(LocationModel):
    r"""p-center: open ``p`` new sites minimising the largest distance of any demand point
    to its nearest open site.

    Hakimi (1964), *Optimum locations of switching centers and the absolute
    centers and medians of a graph*, Operations Research 12(3)::

        min  max_i  min_{j open} d_ij
        s.t. Σ_{j ∉ J_0} y_j ≤ p,  y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    solved exactly by bisection over the distinct distances :math:`r`, each
    step a set covering problem (:class:`~siting.models.covering.LSCP` with
    radius :math:`r`: can at most ``p`` new sites cover everyone within
    :math:`r`?), from a greedy upper bound. The result is optimal only when
    every step was proven. The weights do not matter (see
    :class:`~siting.models.center.WeightedPCenter`).

    Parameters
    ----------
    p : int
        Most new sites to open (existing ones are not counted).
    exactly_p : bool, default False
        Open exactly ``p`` new sites, as spopt does: the plan is topped up after
        the solve with the site nearest the farthest point (the largest
        distance cannot grow).

    Notes
    -----
    spopt's ``PCenter`` opens exactly ``p`` facilities; here at most ``p``
    new ones unless ``exactly_p``. The largest distance is the same (another open site never
    lengthens a distance).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [0, 1, 10, 11.0], "y": [0.0] * 4})
    >>> PCenter(p=2).solve(Instance.from_frames(d, d, weight=None)).objective
    1.0
    """

    p: int | None = parameter(P)
    exactly_p: bool = parameter(EXACTLY_P, False)
    name: ClassVar[str] = "p-center"
    needs_distances: ClassVar[bool] = True

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_p(self.p, inst, required=True)

    def build(self, inst: Instance) -> Built:  # pragma: no cover - staged model
        raise NotImplementedError("p-center is solved as a sequence of covering problems")

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        raise NotImplementedError

    def _top_up(self, inst: Instance, pos: NDArray[np.int64]) -> NDArray[np.int64]:
        """``pos`` with new sites, each the one nearest the point farthest from an open site."""
        assert self.p is not None
        while int((~inst.existing[pos]).sum()) < self.p:
            _, d = inst.metric.nearest_in(pos)
            score = np.zeros(inst.n_sites)
            free = np.setdiff1d(np.flatnonzero(~inst.existing), pos)
            if not free.size:
                break
            far = int(np.argmax(np.where(np.isfinite(d), d, -1.0)))
            to_far = inst.metric.pair_distance(np.full(free.size, far, dtype=np.int64), free)
            score[free] = -np.where(np.isfinite(to_far), to_far, np.inf)
            pos = top_up(inst, pos, int((~inst.existing[pos]).sum()) + 1, score)
        return pos

    def _greedy_radius(self, inst: Instance, lower: float) -> float:
        """A radius at which greedy covering needs at most p new sites (an upper bound).

        Where the metric knows its largest finite distance (a table), growing
        stops beyond it: every reachable pair is then within the radius.
        """
        assert self.p is not None
        r = max(lower, 1e-9)
        largest = largest_distance(inst.metric)
        for _ in range(200):
            cov = coverage_pattern(inst, r)
            uncovered = ~(np.asarray(cov[:, np.flatnonzero(inst.existing)].sum(axis=1)).ravel() > 0)
            used = 0
            csc = cov.tocsc()
            while uncovered.any() and used <= self.p:
                gain = csc.T @ uncovered.astype(float)
                gain[inst.existing] = -1
                j = int(np.argmax(gain))
                if gain[j] <= 0:
                    break
                uncovered &= ~(np.asarray(cov[:, j].todense()).ravel() > 0)
                used += 1
            if not uncovered.any() and used <= self.p:
                return r
            if largest is not None and r >= largest:
                return r
            r *= 1.25
        return r

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        assert self.p is not None
        t0 = time.perf_counter()
        deadline = None if options.time_limit is None else t0 + options.time_limit
        _, nearest_all = inst.metric.nearest_in(np.arange(inst.n_sites))
        refuse_alone(inst, ~np.isfinite(nearest_all), self.name)
        lower = float(nearest_all.max())
        upper = self._greedy_radius(inst, lower)
        d = inst.metric.within(upper).data
        d = np.where(d <= 1e-11, 0.0, d)
        radii = np.unique(d[d >= lower - 1e-12])
        if radii.size == 0 or radii[0] > lower:
            radii = np.unique(np.concatenate([[lower], radii]))
        lo, hi = 0, radii.size - 1
        best: Solution | None = None
        statuses: list[Status] = []
        proven_lower = lower
        while lo < hi:
            mid = (lo + hi) // 2
            step_opts = SolveOptions(**{**vars(options)})
            if deadline is not None:
                step_opts.time_limit = max(deadline - time.perf_counter(), 0.01)
            step = LSCP(radius=float(radii[mid]) if radii[mid] > 0 else 1e-12).solve(
                inst, solver, step_opts, verify=False
            )
            statuses.append(step.status)
            n_new = len(step.selected) - len(step.existing)
            if step.status.has_solution and n_new <= self.p:
                hi = mid
                best = step
            elif (
                step.status == Status.OPTIMAL
                or step.status == Status.INFEASIBLE
                or (
                    step.status == Status.FEASIBLE
                    and step.bound is not None
                    and step.bound > self.p
                )
            ):
                lo = mid + 1
                proven_lower = float(radii[lo])
            else:  # not proven either way: stop refining, keep what we have
                break
        if best is None or hi != lo:
            final = LSCP(radius=float(radii[hi]) if radii[hi] > 0 else 1e-12).solve(
                inst, solver, options, verify=False
            )
            statuses.append(final.status)
            if final.status.has_solution and len(final.selected) - len(final.existing) <= self.p:
                best = final
        if best is None:
            # At a radius beyond every finite distance the covering problem is the reach
            # relation itself: p sites that cannot cover it cannot serve everyone at all.
            largest = largest_distance(inst.metric)
            covers_all = largest is not None and float(radii[hi]) >= largest
            proven = statuses[-1] in (Status.OPTIMAL, Status.INFEASIBLE)
            return Solution(
                model=self.name,
                instance=inst.name,
                status=Status.INFEASIBLE if covers_all and proven else Status.NO_SOLUTION,
                message=no_plan(inst, int(self.p), self.name) if covers_all and proven
                else "",
                backend=solver,
                objective=None,
                bound=proven_lower,
                gap=None,
                runtime_s=time.perf_counter() - t0,
                selected=[],
                params=self.params(),
            )
        sel_pos = inst.site_positions(best.selected)
        # Extra sites cannot increase the radius: topping up to exactly p keeps it optimal.
        if self.exactly_p:
            sel_pos = self._top_up(inst, sel_pos)
        near_site, near_d = inst.metric.nearest_in(sel_pos)
        objective = float(near_d.max())
        status = (
            Status.OPTIMAL
            if lo == hi and all(s in (Status.OPTIMAL, Status.INFEASIBLE) for s in statuses)
            else Status.FEASIBLE
        )
        bound = objective if status == Status.OPTIMAL else proven_lower
        gap = 0.0 if status == Status.OPTIMAL else (objective - bound) / max(objective, 1e-9)
        sol = Solution(
            model=self.name,
            instance=inst.name,
            status=status,
            backend=best.backend,
            objective=objective,
            bound=bound,
            gap=gap,
            runtime_s=time.perf_counter() - t0,
            selected=list(inst.site_ids[sel_pos]),
            existing=best.existing,
            params=self.params(),
            assignment=assignment_table(
                inst, np.arange(inst.n_demand), near_site, np.ones(inst.n_demand)
            ),
            stats={"bisection_steps": len(statuses), "candidate_radii": int(radii.size)},
        )
        return finish(inst, self, sol, verify)
