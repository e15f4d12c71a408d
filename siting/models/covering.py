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

MCLP chooses between the compact formulation (one row per merged demand row)
and branch-and-Benders-cut (:mod:`siting.models.benders`) from the reduced
instance; ``formulation`` forces one and ``Solution.stats["formulation"]``
records the choice.

>>> sol = MCLP(radius=2, p=1, formulation="benders").solve(inst)
>>> sol.objective, sol.status.value, sol.stats["formulation"]
(5.0, 'optimal', 'benders')
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import (
    Result,
    SolveOptions,
    Status,
    backend_names,
    capabilities,
    get_backend,
    relative_gap,
)
from siting.errors import InfeasibleError, ParameterError
from siting.instance import Instance
from siting.milp import MilpArrays, MilpBuilder, Sense
from siting.models.base import (
    Built,
    CoverageModel,
    check_p,
    check_radius,
    finish,
)
from siting.params import AtLeastOne, Count, NonNegative, Positive
from siting.reduce import RowReduction, dominated_columns, merge_equal_rows
from siting.solution import Solution

if TYPE_CHECKING:  # the Benders room is imported only when a model uses it
    from siting.models.benders import BendersOutcome, Master


def coverage_pattern(inst: Instance, radius: float) -> sp.csr_matrix:
    """0/1 demand × site matrix of pairs within ``radius``."""
    cov = sp.csr_matrix(inst.metric.within(radius))
    cov.eliminate_zeros()  # metrics store a covered zero distance as a tiny positive number
    cov.data = np.ones(cov.data.size, dtype=np.float32)  # a 0/1 pattern: exact in float32
    cov.sort_indices()
    return cov


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


Formulation = Literal["auto", "compact", "benders"]
FORMULATIONS = ("auto", "compact", "benders")
#: ``auto`` picks Benders when the merged demand rows outnumber the free sites this much.
BENDERS_ROWS_PER_SITE = 3.0


def master_capable(solver: str) -> bool:
    """Whether back end ``solver`` can take the Benders master (a MILP with continuous ``θ``)."""
    if solver == "heuristic" or solver not in backend_names():
        return False  # an unknown name is reported by get_backend, with the choices
    caps = capabilities(solver)
    return caps.mip and not caps.integer_coefficients_only


def choose_formulation(
    requested: str, merged_rows: int, free_sites: int, solver: str
) -> Literal["compact", "benders"]:
    """The formulation to use: forced, or Benders when rows per free site are many.

    >>> from siting.backends import DEFAULT_BACKEND
    >>> choose_formulation("auto", 20_000, 100, DEFAULT_BACKEND)
    'benders'
    >>> choose_formulation("auto", 250, 100, DEFAULT_BACKEND)
    'compact'
    >>> choose_formulation("auto", 20_000, 100, "heuristic")
    'compact'
    """
    if requested not in FORMULATIONS:
        raise ParameterError(
            f"formulation must be one of {', '.join(FORMULATIONS)}",
            field="formulation", value=requested,
        )
    if requested == "benders" and not master_capable(solver):
        raise ParameterError(
            "the Benders formulation needs a MILP back end that takes continuous columns",
            field="solver", value=solver,
        )
    if requested != "auto":
        return requested  # type: ignore[return-value]
    if free_sites == 0 or not master_capable(solver):
        return "compact"
    return "benders" if merged_rows >= BENDERS_ROWS_PER_SITE * free_sites else "compact"


def cover_columns(
    milp: MilpArrays, structure: dict[str, Any], open_mask: NDArray[np.float64] | NDArray[np.bool_]
) -> NDArray[np.float64]:
    """The compact covering arrays' column values of a plan: ``y`` and each row's ``z``."""
    y = (np.asarray(open_mask, dtype=np.float64) > 0.5).astype(np.float64)
    x = np.zeros(milp.num_cols)
    x[structure["y"].slice] = y
    x[structure["z"].slice] = np.minimum(structure["cov"] @ y, 1.0)
    return x


def benders_solution(
    model: CoverageModel, inst: Instance, built: Built, structure: dict[str, Any],
    master: Master, out: BendersOutcome, solver: str, t0: float, t_build: float,
) -> Solution:
    """A Benders outcome as a solution of the compact arrays, with the loop's stats.

    The objective is recomputed from the columns; the bound is never worse than it.
    """
    milp = built.milp
    x = cover_columns(milp, structure, out.y)
    objective = milp.objective_of(x)
    bound = out.bound
    if bound is not None:
        bound = max(bound, objective) if milp.sense == "max" else min(bound, objective)
    result = Result(out.status, solver, objective=objective, bound=bound,
                    gap=relative_gap(objective, bound, milp.sense),
                    runtime_s=time.perf_counter() - t0, x=x, message=out.message)
    sol = model.to_solution(inst, built, result)
    sol.stats.update(build_s=round(t_build, 6), solve_s=round(float(out.stats["benders_s"]), 6),
                     columns=master.m + master.data.n_groups,
                     rows=master.n_cuts + (master.required is not None),
                     nonzeros=int(structure["cov"].nnz))
    sol.stats.update(out.stats)
    sol.stats.update(built.data.get("reduction", {}))
    return sol


def mclp_arrays(
    cov: sp.csr_matrix, weight: NDArray[np.float64], fixed_open: NDArray[np.bool_],
    closed: NDArray[np.bool_], p: int | None, cost: NDArray[np.float64],
    budget: float | None, offset: float = 0.0,
) -> MilpArrays:
    """The compact MCLP on (merged) rows ``cov``: max ``Σ w_g z_g`` with ``z_g ≤ Σ a_gj y_j``,
    at most ``p`` new sites and ``budget`` spent on them; ``structure`` says what each part is.

    >>> cov = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], float))
    >>> no = np.zeros(2, dtype=bool)
    >>> milp = mclp_arrays(cov, np.array([4.0, 2, 3]), no, no, 1, np.ones(2), None)
    >>> milp.num_cols, milp.structure["z"].size
    (5, 3)
    """
    b = MilpBuilder()
    new = ~fixed_open
    y = b.add_block("y", cov.shape[1], lower=fixed_open.astype(float),
                    upper=(~closed).astype(float), integer=True)
    z = b.add_block("z", cov.shape[0], lower=0.0, upper=1.0, cost=weight)
    # z_g - sum_j a_gj y_j <= 0, one row per group of demand points with equal coverage
    b.concat_rows([(sp.identity(cov.shape[0], format="csr"), z), (-cov, y)],
                  lower=-np.inf, upper=0.0, name="cover")
    if p is not None:
        b.add_rows(sp.csr_matrix(new.astype(float)[None, :]), lower=-np.inf, upper=float(p),
                   cols=y, name="p")
    if budget is not None:
        b.add_rows(sp.csr_matrix((cost * new)[None, :]), lower=-np.inf, upper=float(budget),
                   cols=y, name="budget")
    milp = b.build(sense="max", offset=offset)
    milp.structure = {
        "kind": "mclp", "cov": cov, "weight": weight, "p": p, "cost": cost * new,
        "budget": budget, "fixed_open": fixed_open.copy(), "closed": closed, "y": y, "z": z,
    }
    return milp


def covered_by_existing(inst: Instance, cov: sp.csr_matrix) -> NDArray[np.bool_]:
    if not inst.existing.any():
        return np.zeros(inst.n_demand, dtype=bool)
    return np.asarray(cov[:, np.flatnonzero(inst.existing)].sum(axis=1)).ravel() > 0


@dataclass
class MCLP(CoverageModel):
    """Maximal covering: open at most ``p`` new sites and/or spend at most ``budget``.

    Maximises the weight of demand within ``radius`` of an open site. Existing
    facilities are open and their coverage counts; ``p`` counts new sites only.
    ``formulation`` is ``compact``, ``benders`` or ``auto`` (the default: see
    :func:`choose_formulation`); ``theta_groups`` is the number of Benders
    ``θ`` columns (rows grouped by their first covering site; None: one a site).
    """

    radius: Positive | None = None
    p: Count | None = None
    budget: NonNegative | None = None
    formulation: Formulation = "auto"
    theta_groups: AtLeastOne | None = None
    name: ClassVar[str] = "mclp"
    sense: ClassVar[Sense] = "max"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_radius(self.radius, inst)
        check_p(self.p, inst, required=self.budget is None)

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        """Build, choose the formulation from the reduced rows, solve, decode and verify."""
        t0 = time.perf_counter()
        built = self.build(inst)
        s = built.milp.structure
        assert s is not None
        free = int((~s["closed"] & ~s["fixed_open"]).sum())
        choice = choose_formulation(self.formulation, int(s["cov"].shape[0]), free, solver)
        if choice == "compact":
            sol = self.solve_built(inst, built, solver, options, t0=t0, verify=verify)
        else:
            sol = self._solve_benders(inst, built, solver, options, t0, verify)
        sol.stats["formulation"] = choice
        return sol

    def _solve_benders(
        self, inst: Instance, built: Built, solver: str, options: SolveOptions, t0: float,
        verify: bool,
    ) -> Solution:
        from siting.heuristics import solve_structure
        from siting.heuristics.mclp import rounding_mclp
        from siting.heuristics.support import support_mclp
        from siting.models.benders import master_from_structure, solve_benders

        milp = built.milp
        s = milp.structure
        assert s is not None
        t_build = time.perf_counter() - t0
        limit = options.time_limit
        t_h = time.perf_counter()
        # No Lagrangian bound: the root cut loop's LP bound is at least as tight.
        start = solve_structure(milp, time_limit=None if limit is None else 0.2 * limit,
                                bound=False)
        t_warm = time.perf_counter() - t_h

        def improve(y_lp: NDArray[np.float64]) -> NDArray[np.float64]:
            share = None if limit is None else 0.1 * limit
            mask, _ = rounding_mclp(s["cov"], s["weight"], y_lp, s["p"], s["cost"],
                                    s["budget"], s["fixed_open"], s["closed"], time_limit=share)
            # The compact model on the LP's support (when small): a better incumbent
            # lets reduced costs fix more sites (siting.heuristics.support).
            best = support_mclp(s["cov"], s["weight"], (y_lp > 1e-6) | mask, s["p"], s["cost"],
                                s["budget"], s["fixed_open"], start=mask, time_limit=share)
            return (mask if best is None else best).astype(np.float64)

        master = master_from_structure(s, milp, self.theta_groups or inst.n_sites)
        integral = bool(np.all(s["weight"] == np.round(s["weight"]))
                        and milp.offset == round(milp.offset))
        left = None if limit is None else max(limit - (time.perf_counter() - t0), 0.01)
        out = solve_benders(master, solver, replace(options, time_limit=left),
                            start=start.open_mask.astype(np.float64), start_bound=start.bound,
                            integral=integral, improve=improve)
        sol = benders_solution(self, inst, built, s, master, out, solver, t0, t_build)
        sol.stats["warm_start_s"] = round(t_warm, 6)
        sol.runtime_s = time.perf_counter() - t0
        return finish(inst, self, sol, verify)

    def build(self, inst: Instance) -> Built:
        cov = coverage_pattern(inst, check_radius(self.radius, inst))
        pre = covered_by_existing(inst, cov)
        # Rows for demand that is already covered, or that no site can cover, are constants.
        reachable = np.diff(cov.indptr) > 0
        rows = np.flatnonzero(reachable & ~pre)
        # Exact reductions (siting.reduce): equal rows merge, dominated sites are fixed closed.
        every = rows.size == inst.n_demand  # no copy of the largest matrix when all rows stay
        red, closed, stats = reduce_covering(
            cov if every else cov[rows], inst.weight if every else inst.weight[rows],
            inst.site_cost * ~inst.existing, inst.existing, use_cost=self.budget is not None,
        )
        milp = mclp_arrays(red.cov, red.weight, inst.existing, closed, self.p, inst.site_cost,
                           self.budget, offset=float(inst.weight[pre].sum()))
        return Built(milp, {"rows": rows, "cov": cov, "reduction": stats})


@dataclass
class LSCP(CoverageModel):
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


@dataclass
class SetCover(LSCP):
    """Weighted set covering (OR-Library scp): LSCP with the sites' own costs."""

    weighted_cost: bool = True
    name: ClassVar[str] = "set-cover"


@dataclass
class LSCPB(CoverageModel):
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

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
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
