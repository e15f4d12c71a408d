"""Covering models: MCLP, LSCP (and weighted set covering), LSCP-B backup coverage.

All three start from the sparse coverage matrix ``A`` (demand × site, a stored
entry when the site is within the radius). Existing facilities are open from
the start: demand they already cover is a constant, not a variable.

>>> import pandas as pd
>>> d = pd.DataFrame({"x": [0, 10, 20.0], "y": [0, 0, 0.0], "weight": [5, 3, 4]})
>>> s = pd.DataFrame({"x": [1, 19.0], "y": [0, 0.0]})
>>> from siting.instance import Instance
>>> inst = Instance.from_frames(d, s)
>>> MCLP(radius=2, p=1).solve(inst).objective
5.0
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import SolveOptions, Status, get_backend
from siting.errors import InfeasibleError
from siting.instance import Instance
from siting.milp import MilpBuilder, Sense
from siting.models.base import (
    Built,
    LocationModel,
    check_p,
    check_radius,
    coverage_table,
    finish,
    selected_from,
)
from siting.params import Count, NonNegative, Positive
from siting.reduce import RowReduction, dominated_columns, merge_equal_rows
from siting.solution import Solution


def coverage_pattern(inst: Instance, radius: float) -> sp.csr_matrix:
    """0/1 demand × site matrix of pairs within ``radius``."""
    cov = inst.metric.within(radius).astype(bool).astype(np.float64)
    cov.sort_indices()
    return sp.csr_matrix(cov)


def reduce_covering(
    sub: sp.csr_matrix,
    weight: NDArray[np.float64],
    cost: NDArray[np.float64],
    existing: NDArray[np.bool_],
    *,
    use_cost: bool,
) -> tuple[RowReduction, NDArray[np.bool_], dict[str, int]]:
    """Merge equal rows, fix dominated sites closed, merge again (see :mod:`siting.reduce`).

    Returns the merged rows (only kept sites have entries), the closed-site
    mask and the counts reported in ``Solution.stats``.
    """
    first = merge_equal_rows(sub, weight)
    closed = dominated_columns(first.cov, cost, protect=existing, use_cost=use_cost)
    kept = first.cov @ sp.diags((~closed).astype(np.float64))
    kept = sp.csr_matrix(kept)
    kept.eliminate_zeros()
    second = merge_equal_rows(kept, first.weight)
    stats = {
        "demand_rows": int(sub.shape[0]),
        "rows_merged": int(sub.shape[0] - second.cov.shape[0]),
        "sites_dropped": int(closed.sum()),
    }
    return second, closed, stats


def covered_by_existing(inst: Instance, cov: sp.csr_matrix) -> NDArray[np.bool_]:
    if not inst.existing.any():
        return np.zeros(inst.n_demand, dtype=bool)
    return np.asarray(cov[:, np.flatnonzero(inst.existing)].sum(axis=1)).ravel() > 0


@dataclass
class MCLP(LocationModel):
    """Maximal covering: open at most ``p`` new sites and/or spend at most ``budget``.

    Maximises the weight of demand within ``radius`` of an open site. Existing
    facilities are open and their coverage counts; ``p`` counts new sites only.
    """

    radius: Positive | None = None
    p: Count | None = None
    budget: NonNegative | None = None
    name: ClassVar[str] = "mclp"
    sense: ClassVar[Sense] = "max"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_radius(self.radius, inst)
        check_p(self.p, inst, required=self.budget is None)

    def build(self, inst: Instance) -> Built:
        cov = coverage_pattern(inst, check_radius(self.radius, inst))
        pre = covered_by_existing(inst, cov)
        # Rows for demand that is already covered, or that no site can cover, are constants.
        reachable = np.diff(cov.indptr) > 0
        rows = np.flatnonzero(reachable & ~pre)
        b = MilpBuilder()
        new = ~inst.existing
        # Exact reductions (siting.reduce): equal rows merge, dominated sites are fixed closed.
        red, closed, stats = reduce_covering(
            cov[rows], inst.weight[rows], inst.site_cost * new, inst.existing,
            use_cost=self.budget is not None,
        )
        y = b.add_block(
            "y", inst.n_sites, lower=inst.existing.astype(float),
            upper=(~closed).astype(float), integer=True,
        )
        z = b.add_block("z", red.cov.shape[0], lower=0.0, upper=1.0, cost=red.weight)
        # z_g - sum_j a_gj y_j <= 0, one row per group of demand points with equal coverage
        b.concat_rows(
            [(sp.identity(red.cov.shape[0], format="csr"), z), (-red.cov, y)],
            lower=-np.inf,
            upper=0.0,
            name="cover",
        )
        if self.p is not None:
            b.add_rows(
                sp.csr_matrix(new.astype(float)[None, :]),
                lower=-np.inf,
                upper=float(self.p),
                cols=y,
                name="p",
            )
        if self.budget is not None:
            b.add_rows(
                sp.csr_matrix((inst.site_cost * new)[None, :]),
                lower=-np.inf,
                upper=float(self.budget),
                cols=y,
                name="budget",
            )
        milp = b.build(sense="max", offset=float(inst.weight[pre].sum()))
        milp.structure = {
            "kind": "mclp", "cov": red.cov, "weight": red.weight, "p": self.p,
            "cost": inst.site_cost * new, "budget": self.budget,
            "fixed_open": inst.existing.copy(), "closed": closed, "y": y, "z": z,
        }
        return Built(milp, {"rows": rows, "cov": cov, "reduction": stats})

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        y = x[built.milp.block("y").slice]
        selected, pos = selected_from(inst, y)
        counts = np.asarray(built.data["cov"][:, pos].sum(axis=1)).ravel()
        return {"selected": selected, "coverage": coverage_table(inst, counts)}


@dataclass
class LSCP(LocationModel):
    """Location set covering: cover every demand point at least cost.

    With ``weighted_cost=False`` each site costs 1 (the classic LSCP: fewest
    sites); with ``True`` the sites' costs are used (OR-Library set covering).
    """

    radius: Positive | None = None
    weighted_cost: bool = False
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

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        y = x[built.milp.block("y").slice]
        selected, pos = selected_from(inst, y)
        counts = np.asarray(built.data["cov"][:, pos].sum(axis=1)).ravel()
        return {"selected": selected, "coverage": coverage_table(inst, counts)}


@dataclass
class SetCover(LSCP):
    """Weighted set covering (OR-Library scp): LSCP with the sites' own costs."""

    weighted_cost: bool = True
    name: ClassVar[str] = "set-cover"


@dataclass
class LSCPB(LocationModel):
    """Backup coverage (Hogan & ReVelle 1986): cover all demand with the fewest sites,
    then, with that many sites, maximise the weight of demand covered at least twice.
    """

    radius: Positive | None = None
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

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        y = x[built.milp.block("y").slice]
        selected, pos = selected_from(inst, y)
        counts = np.asarray(built.data["cov"][:, pos].sum(axis=1)).ravel()
        return {"selected": selected, "coverage": coverage_table(inst, counts)}

    def solve(
        self,
        inst: Instance,
        solver: str = "highs",
        options: SolveOptions | None = None,
        *,
        verify: bool = True,
    ) -> Solution:
        options = options or SolveOptions()
        self.check(inst)
        t0 = time.perf_counter()
        first = LSCP(radius=self.radius).solve(inst, solver, options, verify=False)
        if not first.status.has_solution:
            first.model = self.name
            return first
        p_star = len(first.selected) - len(first.existing)
        self.p_ = p_star
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
