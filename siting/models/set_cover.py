"""Set covering: LSCP (every point covered by the fewest sites), weighted set
covering (at least cost) and LSCP-B (backup coverage under a site count).

They start from the coverage matrix of :func:`~siting.models.covering.coverage_pattern`
and are re-exported by :mod:`siting.models.covering`:

>>> import pandas as pd
>>> from siting.instance import Instance
>>> d = pd.DataFrame({"x": [0, 20.0], "y": [0, 0.0]})
>>> s = pd.DataFrame({"x": [1, 19.0], "y": [0, 0.0]})
>>> LSCP(radius=2).solve(Instance.from_frames(d, s, weight=None)).objective
2.0
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import SolveOptions, Status, get_backend
from siting.errors import InfeasibleError
from siting.instance import Instance
from siting.milp import MilpBuilder, Sense
from siting.models.base import Built, CoverageModel, check_radius, finish
from siting.models.cover_pattern import coverage_pattern, covered_by_existing, reduce_covering
from siting.reduce import merge_equal_rows
from siting.registry import RADIUS, WEIGHTED_COST, parameter
from siting.solution import Solution


@dataclass
class LSCP(CoverageModel):
    r"""Location set covering: cover every demand point at least cost.

    Toregas, Swain, ReVelle & Bergman (1971), *The location of emergency
    service facilities*, Operations Research 19(6). With the notation of
    :class:`MCLP` (:math:`N_i` the sites within the radius of point :math:`i`,
    :math:`J_0` the existing sites)::

        min  Σ_{j ∉ J_0} c_j y_j
        s.t. Σ_{j ∈ N_i} y_j ≥ 1          for every i not covered by J_0   (row "cover")
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    where :math:`c_j = 1` (the fewest sites) or, with ``weighted_cost``, the
    site's cost. Duplicate rows go and a site no cheaper than one covering a
    superset of its points is closed (exact). A point that no site reaches
    makes the model infeasible, said before any solve.

    Parameters
    ----------
    radius : float
        Service radius, in the instance's distance unit (> 0).
    weighted_cost : bool
        Minimise the new sites' costs instead of their number (default False).

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0, 10, 20.0], "y": [0, 0, 0.0]})
    >>> s = pd.DataFrame({"x": [1, 11, 19.0], "y": [0, 0, 0.0]})
    >>> LSCP(radius=2).solve(Instance.from_frames(d, s, weight=None)).objective
    3.0
    """

    radius: float | None = parameter(RADIUS)
    weighted_cost: bool = parameter(WEIGHTED_COST, False)
    name: ClassVar[str] = "lscp"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_radius(self.radius, inst)

    def site_costs(self, inst: Instance) -> NDArray[np.float64]:
        return inst.site_cost if self.weighted_cost else np.ones(inst.n_sites)

    def build(self, inst: Instance) -> Built:
        cov = coverage_pattern(inst, check_radius(self.radius, inst))
        pre = covered_by_existing(inst, cov)
        empty = np.flatnonzero(np.diff(cov.indptr) == 0)
        if empty.size:
            more = f" (and {empty.size - 1} more)" if empty.size > 1 else ""
            raise InfeasibleError(
                f"{self.name}: demand point {inst.demand_ids[empty[0]]!r}{more} has no "
                f"candidate site within radius {self.radius:g}; nothing can cover it"
            )
        rows = np.flatnonzero(~pre)
        costs = self.site_costs(inst) * ~inst.existing
        # Exact reductions: duplicate rows go, dominated sites (no cheaper) are fixed closed.
        red, closed, stats = reduce_covering(
            cov[rows], np.ones(rows.size), costs, inst.existing, use_cost=True
        )
        b = MilpBuilder()
        y = b.add_block(
            "y",
            inst.n_sites,
            lower=inst.existing.astype(float),
            upper=(~closed).astype(float),
            integer=True,
            cost=costs,
        )
        b.add_rows(red.cov, lower=1.0, upper=np.inf, cols=y, name="cover")
        return Built(b.build(sense="min"), {"cov": cov, "reduction": stats})


@dataclass
class SetCover(LSCP):
    """Weighted set covering (OR-Library scp): :class:`LSCP` with the sites' own costs.

    The formulation is LSCP's with :math:`c_j` the site's cost.

    Parameters
    ----------
    radius : float
        Service radius; ignored for an instance that gives its coverage
        relation (OR-Library scp files).
    weighted_cost : bool
        True (default): minimise the total cost; False: the number of sites.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0, 2.0], "y": [0, 0.0]})
    >>> s = pd.DataFrame({"x": [0, 2, 1.0], "y": [0, 0, 0.0], "cost": [1, 1, 3]})
    >>> SetCover(radius=1.5).solve(Instance.from_frames(d, s, weight=None)).objective
    2.0
    """

    weighted_cost: bool = parameter(WEIGHTED_COST, True)
    name: ClassVar[str] = "set-cover"


@dataclass
class LSCPB(CoverageModel):
    r"""Backup coverage: cover every point with the fewest new sites, then, with that many,
    the most weight covered twice.

    Hogan & ReVelle (1986), *Concepts and applications of backup coverage*,
    Management Science 32(11). Two stages: :math:`p^*`, the optimum of
    :class:`LSCP` (fewest new sites covering everyone), then, with :math:`u_i
    \in [0, 1]` the share of point :math:`i` covered a second time::

        max  Σ_i w_i u_i
        s.t. Σ_{j ∈ N_i} y_j − u_i ≥ 1    for every i       (row "backup")
             Σ_{j ∉ J_0} y_j ≤ p*                           (row "p")
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    Points with the same :math:`N_i` share one row. The solution records
    :math:`p^*` as ``params["p"]``; it is optimal only when both stages are.

    Parameters
    ----------
    radius : float
        Service radius, in the instance's distance unit (> 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0, 1.0], "y": [0, 0.0], "weight": [5, 3]})
    >>> s = pd.DataFrame({"x": [0, 1, 0.5], "y": [0, 0, 0.0]})
    >>> sol = LSCPB(radius=0.6).solve(Instance.from_frames(d, s))
    >>> sol.params["p"], sol.objective      # one site covers both: nobody twice
    (1, 0.0)
    """

    radius: float | None = parameter(RADIUS)
    name: ClassVar[str] = "lscp-b"
    sense: ClassVar[Sense] = "max"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_radius(self.radius, inst)

    def build(self, inst: Instance, p: int | None = None) -> Built:
        cov = coverage_pattern(inst, check_radius(self.radius, inst))
        counts_existing = np.asarray(cov[:, np.flatnonzero(inst.existing)].sum(axis=1)).ravel()
        # Exact: demand points with the same covering sites are covered twice together.
        red = merge_equal_rows(cov, inst.weight)
        n = red.cov.shape[0]
        b = MilpBuilder()
        new = ~inst.existing
        y = b.add_block(
            "y", inst.n_sites, lower=inst.existing.astype(float), upper=1.0, integer=True
        )
        u = b.add_block("u", n, lower=0.0, upper=1.0, cost=red.weight)
        # sum_j a_gj y_j - u_g >= 1  (u_g = 1 only when the group is covered twice)
        b.concat_rows(
            [(red.cov, y), (-sp.identity(n, format="csr"), u)], lower=1.0, upper=np.inf,
            name="backup",
        )
        b.add_rows(
            sp.csr_matrix(new.astype(float)[None, :]),
            lower=-np.inf,
            upper=float(p if p is not None else new.sum()),
            cols=y,
            name="p",
        )
        stats = {"demand_rows": int(inst.n_demand), "rows_merged": red.merged,
                 "sites_dropped": 0}
        return Built(b.build(sense="max"),
                     {"cov": cov, "existing_counts": counts_existing, "reduction": stats})

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        t0 = time.perf_counter()
        first = LSCP(radius=self.radius).solve(inst, solver, options, verify=False)
        if not first.status.has_solution:
            first.model = self.name
            return first
        p_star = len(first.selected) - len(first.existing)
        built = self.build(inst, p=p_star)
        result = get_backend(solver).solve(built.milp, options)
        sol = self.to_solution(inst, built, result)
        if first.status != Status.OPTIMAL and sol.status == Status.OPTIMAL:
            sol.status = Status.FEASIBLE
            sol.message = (
                "the minimum number of sites was not proven; backup coverage is for that count"
            )
        sol.params["p"] = p_star
        sol.stats.update(built.data["reduction"])
        sol.runtime_s = time.perf_counter() - t0
        return finish(inst, self, sol, verify)
