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
and branch-and-Benders-cut (:mod:`siting.models.benders`). Dense rows, many
rows per free site, or an instance too large to probe decide from the shape
(:func:`shape_choice`); otherwise it solves Benders' root LP first and keeps
Benders when the root bound is close to the best plan found there, else hands
that plan to the compact model (:func:`choice_from_root`). ``formulation``
forces one. ``Solution.stats["formulation"]`` records the
choice and ``stats["formulation_reason"]`` why.

>>> sol = MCLP(radius=2, p=1, formulation="benders").solve(inst)
>>> sol.objective, sol.status.value, sol.stats["formulation"]
(5.0, 'optimal', 'benders')
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import Result, SolveOptions, backend_names, capabilities, relative_gap
from siting.errors import ParameterError
from siting.heuristics import solve_structure
from siting.heuristics.mclp import exchange_mclp, rounding_mclp
from siting.heuristics.structure import CoverStructure, mclp_arrays
from siting.instance import Instance
from siting.milp import Sense
from siting.models.base import (
    Built,
    CoverageModel,
    check_p,
    check_radius,
    coverage_table,
    finish,
    selected_from,
    top_up,
)
from siting.models.benders import BendersOutcome, master_from_structure, solve_benders
from siting.models.benders_master import ROOT_SHARE, Master
from siting.models.benders_root import root_cut_loop
from siting.models.cover_pattern import (
    coverage_pattern,
    covered_by_existing,
    demand_patterns,
    reduce_covering,
)
from siting.models.set_cover import LSCP, LSCPB, SetCover
from siting.models.support import support_mclp
from siting.reduce import RowReduction
from siting.registry import (
    AT_LEAST_ONE,
    BUDGET,
    COVER_FORMULATION,
    EXACTLY_P,
    RADIUS,
    P,
    Param,
    parameter,
)
from siting.solution import Solution

__all__ = [
    "BENDERS_ROWS_PER_SITE",
    "DENSE_ROW",
    "FORMULATIONS",
    "LSCP",
    "LSCPB",
    "MANY_ROWS_PER_SITE",
    "MCLP",
    "PROBE_MOST_ROWS",
    "PROBE_MOST_SITES",
    "ROOT_GAP_BENDERS",
    "THETA_GROUPS",
    "Choice",
    "Formulation",
    "SetCover",
    "benders_solution",
    "choice_from_root",
    "choose_formulation",
    "coverage_pattern",
    "covered_by_existing",
    "master_capable",
    "reduce_covering",
    "shape_choice",
    "structural_choice",
]

Formulation = Literal["auto", "compact", "benders"]
#: Benders' θ columns (MCLP, PSCP): rows grouped by their first covering site.
THETA_GROUPS = Param(None, "Number of Benders θ columns (None: one a site).", AT_LEAST_ONE)
FORMULATIONS = COVER_FORMULATION.value.choices
#: ``auto`` picks Benders when the merged demand rows outnumber the free sites this much.
BENDERS_ROWS_PER_SITE = 3.0


def master_capable(solver: str) -> bool:
    """Whether back end ``solver`` can take the Benders master (a MILP with continuous ``θ``)."""
    if solver == "heuristic" or solver not in backend_names():
        return False  # an unknown name is reported by get_backend, with the choices
    caps = capabilities(solver)
    return caps.mip and not caps.integer_coefficients_only


@dataclass(frozen=True)
class Choice:
    """A formulation and why it was chosen (``Solution.stats["formulation_reason"]``)."""

    formulation: Literal["compact", "benders"]
    reason: str


#: ``auto`` keeps Benders when its root LP bound is at most this share above the best
#: plan after the root: reduced costs then fix most sites and few master MIPs remain.
#: Wider gaps went to the compact model, whose HiGHS tree closed them sooner (gaps of
#: 0.51 % and 1.32 % on clustered 5,000 × 500 cases: compact 1.7× and > 2× faster;
#: 0.37 % and below: Benders as fast or faster, up to 33× on the SJC sets).
ROOT_GAP_BENDERS = 0.004
#: ``auto`` probes the root up to these sizes (merged rows, free sites); above them the
#: rows-per-site rule decides, as tuned on the uniform, Cordeau and city cases.
PROBE_MOST_ROWS, PROBE_MOST_SITES = 50_000, 5_000
#: Benders without a probe: rows this dense (the SJC sets, 47-130 sites a row: Benders
#: 5-33× faster) or this many rows per free site (uniform 20,000 × 1,000, 60 s: Benders
#: 4.7 % gap, compact 6.7 %; the compact tree is slow on either).
DENSE_ROW, MANY_ROWS_PER_SITE = 20.0, 8.0


def _checked(requested: str, solver: str) -> None:
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


def structural_choice(requested: str, merged_rows: int, free_sites: int, solver: str) -> Choice:
    """The formulation from the reduced instance's shape alone, and the reason.

    >>> from siting.backends import DEFAULT_BACKEND
    >>> structural_choice("auto", 20_000, 100, DEFAULT_BACKEND).reason
    'merged rows 200.0 per free site >= 3: benders'
    >>> structural_choice("compact", 20_000, 100, DEFAULT_BACKEND).reason
    'requested'
    """
    _checked(requested, solver)
    if requested != "auto":
        return Choice(requested, "requested")  # type: ignore[arg-type]
    if free_sites == 0:
        return Choice("compact", "no free site")
    if not master_capable(solver):
        return Choice("compact", f"back end {solver} cannot take the Benders master")
    per_site = merged_rows / free_sites
    if per_site >= BENDERS_ROWS_PER_SITE:
        return Choice("benders", f"merged rows {per_site:.1f} per free site "
                                 f">= {BENDERS_ROWS_PER_SITE:g}: benders")
    return Choice("compact", f"merged rows {per_site:.1f} per free site "
                             f"< {BENDERS_ROWS_PER_SITE:g}: compact")


def choose_formulation(
    requested: str, merged_rows: int, free_sites: int, solver: str
) -> Literal["compact", "benders"]:
    """The formulation to use: forced, or Benders when rows per free site are many.

    The rule for instances too large to probe (:func:`probe_worthwhile`) and
    for partial covering.

    >>> from siting.backends import DEFAULT_BACKEND
    >>> choose_formulation("auto", 20_000, 100, DEFAULT_BACKEND)
    'benders'
    >>> choose_formulation("auto", 250, 100, DEFAULT_BACKEND)
    'compact'
    >>> choose_formulation("auto", 20_000, 100, "heuristic")
    'compact'
    """
    return structural_choice(requested, merged_rows, free_sites, solver).formulation


def shape_choice(
    requested: str, merged_rows: int, free_sites: int, nonzeros: int, solver: str
) -> Choice | None:
    """The formulation when the reduced instance's shape decides it, else None (``auto``
    then decides from Benders' root LP, :func:`choice_from_root`).

    Forced, or no Benders possible; too large to probe (the rows-per-site rule,
    :func:`structural_choice`); or a compact model that is large or dense for its
    rows (many merged rows per free site, many sites per row): Benders.

    >>> from siting.backends import DEFAULT_BACKEND
    >>> shape_choice("auto", 2_000, 480, 10_000, DEFAULT_BACKEND) is None
    True
    >>> shape_choice("auto", 700, 420, 84_000, DEFAULT_BACKEND).reason
    'nonzeros 120.0 per merged row >= 20: benders'
    >>> shape_choice("auto", 19_000, 990, 190_000, DEFAULT_BACKEND).reason
    'merged rows 19.2 per free site >= 8: benders'
    >>> shape_choice("auto", 2_000_000, 9_000, 10**7, DEFAULT_BACKEND).reason
    'too large to probe the root; merged rows 222.2 per free site >= 3: benders'
    >>> shape_choice("compact", 2_000, 480, 10_000, DEFAULT_BACKEND).reason
    'requested'
    """
    plain = structural_choice(requested, merged_rows, free_sites, solver)
    if requested != "auto" or free_sites == 0 or not master_capable(solver):
        return plain
    if merged_rows > PROBE_MOST_ROWS or free_sites > PROBE_MOST_SITES:
        return Choice(plain.formulation, "too large to probe the root; " + plain.reason)
    per_row = nonzeros / max(merged_rows, 1)
    if per_row >= DENSE_ROW:
        return Choice("benders", f"nonzeros {per_row:.1f} per merged row >= {DENSE_ROW:g}: benders")
    per_site = merged_rows / free_sites
    if per_site >= MANY_ROWS_PER_SITE:
        return Choice("benders", f"merged rows {per_site:.1f} per free site "
                                 f">= {MANY_ROWS_PER_SITE:g}: benders")
    return None


def choice_from_root(best: float, root_bound: float, sense: Sense = "max") -> Choice:
    """Benders when the root LP bound is within :data:`ROOT_GAP_BENDERS` of the best plan.

    >>> choice_from_root(1000.0, 1002.0).reason
    'root LP bound 0.20 % from the best plan <= 0.40 %: benders'
    >>> choice_from_root(1000.0, 1013.2).formulation
    'compact'
    """
    gap = relative_gap(best, root_bound, sense)
    assert gap is not None, "a finite plan value and root bound"
    limit = f"{100 * ROOT_GAP_BENDERS:.2f} %"
    if gap <= ROOT_GAP_BENDERS:
        return Choice("benders", f"root LP bound {100 * gap:.2f} % from the best plan "
                                 f"<= {limit}: benders")
    return Choice("compact", f"root LP bound {100 * gap:.2f} % from the best plan "
                             f"> {limit}: compact from that plan")


def benders_solution(
    model: CoverageModel, inst: Instance, built: Built, structure: CoverStructure,
    master: Master, out: BendersOutcome, solver: str, t0: float, t_build: float,
) -> Solution:
    """A Benders outcome as a solution of the compact arrays, with the loop's stats.

    The objective is recomputed from the columns; the bound is never worse than it.
    """
    milp = built.milp
    x = structure.columns(milp.num_cols, out.y)
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
                     nonzeros=int(structure.cov.nnz))
    sol.stats.update(out.stats)
    sol.stats.update(built.data.get("reduction", {}))
    return sol


@dataclass
class MCLP(CoverageModel):
    r"""Maximal covering: open at most ``p`` new sites and/or spend at most ``budget``.

    Maximises the weight of demand within ``radius`` of an open site (Church &
    ReVelle 1974, *The maximal covering location problem*, Papers of the
    Regional Science Association 32). Existing facilities are open and their
    coverage counts.

    Formulation. Demand points :math:`i \in I` of weight :math:`w_i`;
    candidate sites :math:`j \in J`, the existing ones :math:`J_0 \subseteq J`
    with cost :math:`c_j`; :math:`N_i = \{j : d_{ij} \le r\}` the sites
    within the radius of :math:`i`. Variables :math:`y_j \in \{0, 1\}` (site
    open) and :math:`z_i \in [0, 1]` (point covered)::

        max  Σ_i w_i z_i
        s.t. z_i ≤ Σ_{j ∈ N_i} y_j        for every i       (row "cover")
             Σ_{j ∉ J_0} y_j ≤ p                             (row "p", with p)
             Σ_{j ∉ J_0} c_j y_j ≤ budget                    (row "budget", with a budget)
             y_j = 1 for j ∈ J_0

    The arrays hold a reduced copy, exact for the optimum
    (:func:`reduce_covering`): points already covered by an existing site, or
    that no site reaches, are a constant; points with the same :math:`N_i`
    are one row of their summed weight; a site whose points another covers
    at no higher cost is closed. ``benders`` projects :math:`z` out
    (:mod:`siting.models.benders`): a master over :math:`y` and one
    :math:`θ` per group of rows.

    Parameters
    ----------
    radius : float
        Service radius, in the instance's distance unit (> 0); ignored when
        the instance gives a coverage relation rather than distances.
    p : int, optional
        Most new sites to open (existing ones are not counted); needed unless
        ``budget`` is given.
    budget : float, optional
        Most the new sites' costs may add up to (the sites' ``cost``).
    formulation : {"auto", "compact", "benders"}
        ``auto`` (default) chooses from the reduced instance's shape
        (:func:`shape_choice`) or Benders' root LP (:func:`choice_from_root`);
        ``Solution.stats["formulation"]`` says which and
        ``stats["formulation_reason"]`` why.
    theta_groups : int, optional
        Benders: number of :math:`θ` columns (rows grouped by their first
        covering site); None, one a site.
    exactly_p : bool, default False
        Open exactly ``p`` new sites, as spopt does: the plan is topped up after
        the solve with the sites covering the most weight (the objective cannot
        fall). Not with a ``budget``.

    Notes
    -----
    spopt's ``MCLP`` opens exactly ``p`` facilities; here at most ``p`` new
    ones unless ``exactly_p``. The covered weight is the same (another open site never uncovers
    anyone), but a plan may open fewer sites when more would add nothing.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0, 10, 20.0], "y": [0, 0, 0.0], "weight": [5, 3, 4]})
    >>> s = pd.DataFrame({"x": [1, 19.0], "y": [0, 0.0]})
    >>> sol = MCLP(radius=2, p=1).solve(Instance.from_frames(d, s))
    >>> sol.objective, len(sol.selected), sol.verified
    (5.0, 1, True)
    """

    radius: float | None = parameter(RADIUS)
    p: int | None = parameter(P)
    budget: float | None = parameter(BUDGET)
    exactly_p: bool = parameter(EXACTLY_P, False)
    formulation: Formulation = parameter(COVER_FORMULATION, "auto")
    theta_groups: int | None = parameter(THETA_GROUPS)
    name: ClassVar[str] = "mclp"
    sense: ClassVar[Sense] = "max"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_radius(self.radius, inst)
        check_p(self.p, inst, required=self.budget is None or self.exactly_p)
        if self.exactly_p and self.budget is not None:
            raise ParameterError("exactly_p with a budget is not supported: give one of them",
                                 field="exactly_p", value=True)

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        """The open sites (topped up to ``p`` new ones with ``exactly_p``) and the coverage."""
        pat: RowReduction = built.data["patterns"]
        _, pos = selected_from(inst, x[built.milp.block("y").slice])
        if self.exactly_p and self.p is not None:
            # More sites never cover less: top up with the sites covering the most weight.
            pos = top_up(inst, pos, self.p, np.asarray(pat.cov.T @ pat.weight).ravel())
        # A point is covered as often as its pattern is.
        counts = np.asarray(pat.cov[:, pos].sum(axis=1)).ravel()[pat.group]
        return {"selected": list(inst.site_ids[pos]), "coverage": coverage_table(inst, counts)}

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        """Build, choose the formulation (from Benders' root LP when the instance is not
        too large), solve, decode and verify."""
        t0 = time.perf_counter()
        built = self.build(inst)
        s = built.milp.structure
        assert isinstance(s, CoverStructure)
        rows, free = s.n_rows, int(s.free.sum())
        choice = shape_choice(self.formulation, rows, free, int(s.cov.nnz), solver)
        if choice is None:
            sol, choice = self._probe_then_solve(inst, built, solver, options, t0, verify)
        else:
            if choice.formulation == "compact":
                sol = self.solve_built(inst, built, solver, options, t0=t0, verify=verify)
            else:
                sol = self._solve_benders(inst, built, solver, options, t0, verify)
        sol.stats.update(formulation=choice.formulation, formulation_reason=choice.reason)
        return sol

    def _start(self, built: Built, limit: float | None) -> tuple[NDArray[np.float64], float]:
        """The greedy + swap plan (a mask) and its time."""
        t_h = time.perf_counter()
        # No Lagrangian bound: the root cut loop's LP bound is at least as tight.
        start = solve_structure(built.milp, time_limit=None if limit is None else 0.2 * limit,
                                bound=False)
        return start.open_mask.astype(np.float64), time.perf_counter() - t_h

    @staticmethod
    def _improver(
        s: CoverStructure, limit: float | None
    ) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
        def improve(y_lp: NDArray[np.float64]) -> NDArray[np.float64]:
            share = None if limit is None else 0.1 * limit
            mask, _ = rounding_mclp(s, y_lp, time_limit=share)
            # The compact model on the LP's support (when small): a better incumbent
            # lets reduced costs fix more sites (siting.models.support).
            best = support_mclp(s, (y_lp > 1e-6) | mask, start=mask, time_limit=share)
            if best is None:  # a support too large for the MIP: pair moves from the rounding
                best, _ = exchange_mclp(s.cov, s.weight, mask, s.p, s.cost, s.budget,
                                        s.fixed_open, s.closed, time_limit=share)
            return best.astype(np.float64)

        return improve

    def _master(self, inst: Instance, built: Built) -> Master:
        s = built.milp.structure
        assert isinstance(s, CoverStructure)
        return master_from_structure(s, built.milp, self.theta_groups or inst.n_sites)

    def _solve_benders(
        self, inst: Instance, built: Built, solver: str, options: SolveOptions, t0: float,
        verify: bool, *, master: Master | None = None,
        start: tuple[NDArray[np.float64], float | None, float] | None = None,
    ) -> Solution:
        """Benders from the greedy plan, or from ``start`` (plan, bound, its time) on a
        ``master`` that may hold root cuts already."""
        milp = built.milp
        s = milp.structure
        assert isinstance(s, CoverStructure)
        t_build = time.perf_counter() - t0
        limit = options.time_limit
        if start is None:
            plan, t_warm = self._start(built, limit)
            start = (plan, None, t_warm)
        master = master or self._master(inst, built)
        integral = bool(np.all(s.weight == np.round(s.weight))
                        and milp.offset == round(milp.offset))
        left = None if limit is None else max(limit - (time.perf_counter() - t0), 0.01)
        out = solve_benders(master, solver, replace(options, time_limit=left),
                            start=start[0], start_bound=start[1],
                            integral=integral, improve=self._improver(s, limit))
        sol = benders_solution(self, inst, built, s, master, out, solver, t0, t_build)
        sol.stats["warm_start_s"] = round(start[2], 6)
        sol.runtime_s = time.perf_counter() - t0
        return finish(inst, self, sol, verify)

    def _probe_then_solve(
        self, inst: Instance, built: Built, solver: str, options: SolveOptions, t0: float,
        verify: bool,
    ) -> tuple[Solution, Choice]:
        """Benders' root LP and its rounded plan, then Benders or the compact model.

        The root's cuts stay in the master (Benders' own root loop starts from
        them); the compact model starts from the best plan found.
        """
        milp = built.milp
        s = milp.structure
        assert isinstance(s, CoverStructure)
        limit = options.time_limit
        plan, t_warm = self._start(built, limit)
        master = self._master(inst, built)
        t_p = time.perf_counter()
        deadline = math.inf if limit is None else t0 + limit
        root = root_cut_loop(master, plan, t_p + ROOT_SHARE * (deadline - t_p), solver)
        best = master.value(plan)
        if math.isfinite(root.bound) and time.perf_counter() < deadline:
            better = self._improver(s, limit)(root.x[: master.m])
            if master.covers(better) and master.value(better) > best:
                plan, best = better, master.value(better)
        probe_s = time.perf_counter() - t_p
        if not math.isfinite(root.bound):
            choice = structural_choice("auto", s.n_rows, int(s.free.sum()), solver)
            choice = Choice(choice.formulation, "no root LP in time; " + choice.reason)
        else:
            choice = choice_from_root(best, root.bound)
        if choice.formulation == "benders":
            sol = self._solve_benders(inst, built, solver, options, t0, verify, master=master,
                                      start=(plan, None, t_warm + probe_s))
        else:
            left = None if limit is None else max(limit - (time.perf_counter() - t0), 0.01)
            run = replace(options, warm_start=s.columns(milp.num_cols, plan), time_limit=left)
            sol = self.solve_built(inst, built, solver, run, t0=t0, verify=verify)
            sol.stats["warm_start_s"] = round(t_warm + probe_s, 6)
        sol.stats.update(probe_s=round(probe_s, 6), probe_plan=best,
                         probe_root_bound=root.bound if math.isfinite(root.bound) else None)
        return sol, choice

    def build(self, inst: Instance) -> Built:
        # Points with the same covering sites are one row from the start (built a
        # block of points at a time: the pairs of all points are never held at once).
        pat = demand_patterns(inst, check_radius(self.radius, inst))
        ex = np.flatnonzero(inst.existing)
        pre = np.asarray(pat.cov[:, ex].sum(axis=1)).ravel() > 0 if ex.size else \
            np.zeros(pat.first.size, dtype=bool)
        # Rows for demand that is already covered, or that no site can cover, are constants.
        keep = np.flatnonzero((np.diff(pat.cov.indptr) > 0) & ~pre)
        # Exact reductions (siting.reduce): dominated sites are fixed closed, rows merged again.
        red, closed, stats = reduce_covering(
            pat.cov[keep], pat.weight[keep], inst.site_cost * ~inst.existing, inst.existing,
            use_cost=self.budget is not None,
        )
        rows = int(np.bincount(pat.group, minlength=pat.first.size)[keep].sum())
        stats.update(demand_rows=rows, rows_merged=rows - int(red.cov.shape[0]))
        milp = mclp_arrays(CoverStructure.of(
            red.cov, red.weight, p=self.p, cost=inst.site_cost, budget=self.budget,
            fixed_open=inst.existing, closed=closed, offset=float(pat.weight[pre].sum())))
        return Built(milp, {"patterns": pat, "reduction": stats})
