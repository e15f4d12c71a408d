"""Branch-and-Benders-cut for maximal and partial set covering (Cordeau, Furini & Ljubić 2019).

The master keeps the site columns ``y`` and one ``θ_g`` per group of demand
rows; the rows themselves are projected out and the covered weight is learnt
through closed-form cuts (:mod:`siting.models.cover_cuts`; the p-median's
own in :mod:`siting.models.pmedian_benders`), separated at fractional points
(the root cut loop, with in-out stabilisation as in Fischetti, Ljubić &
Sinnl 2017) and at integer points.

No back end here calls a lazy-constraint callback, so integrality is handled
by re-solving: the master MIP with the cuts found so far, warm-started with the
best plan (its ``θ`` at their true values), then cuts at every incumbent it
found; a back end that reports each improving incumbent
(``Capability.INCUMBENT_CALLBACK``) stops a master at its first incumbent that
violates a cut, others solve each master to its end. A plan is accepted when
the master's own incumbent violates no cut. The bound is always the master's
(or the root LP's, or a caller's valid bound), so ``optimal`` means proven
within the gap. The root LP loop runs in a back end that adds rows to a loaded
LP (``Capability.LP_ROWS``): the master's when it can, else the default one.

Partial set covering keeps the cuts and minimises the sites' cost instead,
under the coverage row ``linear·y + Σ θ_g ≥ required``; there a plan is
accepted only when its true coverage meets that row.

>>> import numpy as np, scipy.sparse as sp
>>> from siting.backends import DEFAULT_BACKEND
>>> cov = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], float))
>>> master = Master(CoverData.build(cov, np.array([4.0, 3, 2])), np.zeros(3), np.ones(3),
...                 sp.csr_matrix((0, 3)), np.zeros(0), 0.0, cost=np.ones(3), required=8.0)
>>> out = solve_benders(master, DEFAULT_BACKEND, SolveOptions(), start=np.ones(3))
>>> out.objective, out.status.value, master.covers(out.y)   # no one site covers 8
(2.0, 'optimal', True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import (
    Backend,
    Capability,
    IncumbentCallbackBackend,
    Result,
    SolveOptions,
    Status,
    Tuning,
    get_backend,
    relative_gap,
)
from siting.heuristics.structure import CoverStructure
from siting.milp import MilpArrays
from siting.models.benders_master import ROOT_SHARE, Master
from siting.models.benders_root import RootFixing, fix_master, root_cut_loop
from siting.models.cover_cuts import CoverData

FloatArray = NDArray[np.float64]


#: After the root, masters run without HiGHS's primal heuristics when the incumbent is
#: within this share of the bound: they then only prove it. Clustered and uniform
#: 5,000 × 500 cases (root gaps 0.02-0.26 %), CPU with -> without, busy machine:
#: clustered r2 1.34/1.40 -> 0.59/0.61 s (master MIPs 3 -> 2), thomas s2 0.33 -> 0.24 s,
#: uniform 0.82 -> 0.65 s, gauss-mixed s2 0.84/0.82 -> 0.77/0.74 s. Wider gaps (uniform
#: 20,000 × 1,000, 2-3 %: a plan in the time limit is the aim) keep them.
PROVE_FROM_GAP = 0.005


@dataclass
class BendersOutcome:
    """The best plan (site mask), its value, the bound and what the loop did."""

    y: FloatArray
    objective: float
    bound: float | None
    status: Status
    stats: dict[str, float | int | str]
    message: str = ""


def master_from_structure(structure: CoverStructure, milp: MilpArrays, groups: int) -> Master:
    """The master of an MCLP's arrays (their :class:`CoverStructure`, of :class:`MCLP`)."""
    yb = structure.y
    m = yb.size
    data = CoverData.build(structure.cov, structure.weight, groups)
    new = ~structure.fixed_open
    side, upper = [], []
    if structure.p is not None:
        side.append(new.astype(np.float64))
        upper.append(float(structure.p))
    if structure.budget is not None:
        side.append(structure.cost * new)
        upper.append(float(structure.budget))
    side_mat = sp.csr_matrix(np.array(side).reshape(len(side), m))
    return Master(data, milp.col_lower[yb.slice].copy(), milp.col_upper[yb.slice].copy(),
                  side_mat, np.array(upper, dtype=np.float64), float(milp.offset))


def solve_benders(
    master: Master,
    solver: str,
    options: SolveOptions,
    *,
    start: FloatArray | None = None,
    start_bound: float | None = None,
    integral: bool = False,
    mode: str = "interrupt",
    improve: Callable[[FloatArray], FloatArray] | None = None,
) -> BendersOutcome:
    """Root LP cut loop, then master MIP re-solves until no cut is violated.

    ``start`` is a feasible site mask (the heuristic's), ``start_bound`` a valid
    bound (its Lagrangian bound), ``integral`` whether every objective
    coefficient is an integer (then bounds round down, or up for a cost).
    ``mode`` ``"resolve"`` re-solves each master to its end and cuts at every
    incumbent it found; ``"interrupt"`` (HiGHS only) stops a master at its
    first incumbent that violates a cut. With a coverage row, a plan counts
    only when its true coverage meets it.
    """
    t0 = time.perf_counter()
    deadline = math.inf if options.time_limit is None else t0 + options.time_limit
    m = master.m
    sense = master.sense
    maximise = sense == "max"
    best_y = master.y_lower.copy() if start is None else np.asarray(start, np.float64).copy()
    worst = -math.inf if maximise else math.inf
    best = master.value(best_y) if master.covers(best_y) else worst
    bound = -worst if start_bound is None else float(start_bound)
    strict: set[bytes] = set()  # plans already cut without tolerance

    def rounded(b: float) -> float:  # the bound an integral objective allows
        if not (integral and math.isfinite(b)):
            return b
        return float(math.floor(b + 1e-6)) if maximise else float(math.ceil(b - 1e-6))

    def tighter(old: float, new: float) -> float:
        return min(old, new) if maximise else max(old, new)

    def offer(y: FloatArray) -> None:
        nonlocal best, best_y
        value = master.value(y)
        if master.covers(y) and (value > best if maximise else value < best):
            best, best_y = value, y

    known = relative_gap(best, rounded(bound), sense)
    if known is not None and known <= options.mip_gap:
        # The caller's bound (its probe's root LP) already proves the start: no root
        # loop, no master (the lattice, corridor and narrow-radius cases of
        # benchmarks/shapes.py, whose second root loop was most of their solve).
        return BendersOutcome(best_y, best, (max if maximise else min)(rounded(bound), best),
                              Status.OPTIMAL, {"benders_rounds": 0, "benders_cuts": master.n_cuts,
                                               "benders_s": round(time.perf_counter() - t0, 6),
                                               "proven_by": "the start bound"})
    core = np.clip(best_y.copy(), master.y_lower, master.y_upper)
    t_root = time.perf_counter()
    # The root loop gets a share of the time: the search needs the rest.
    root_deadline = t_root + ROOT_SHARE * (deadline - t_root)
    root = root_cut_loop(master, core, root_deadline, solver)
    t_improve = time.perf_counter()
    root_bound, x_lp = root.bound, root.x
    bound = tighter(bound, rounded(root_bound))
    root_cuts = master.n_cuts
    master.prune(x_lp)
    start_value = best
    if improve is not None and time.perf_counter() < deadline:
        offer(np.asarray(improve(x_lp[:m]), dtype=np.float64))
    # Sites fixed by the root LP's reduced costs: the masters search only the plans
    # that could beat the incumbent; the others are bounded by its value.
    fixing: RootFixing | None = fix_master(master, root, best_y, best, integral)

    def overall(restricted: float) -> float:  # a restricted master's bound, for every plan
        if fixing is None:
            return restricted
        return (max if maximise else min)(restricted, fixing.outside)

    stats: dict[str, float | int | str] = {
        "root_rounds": root.rounds, "root_cuts": root_cuts, "root_bound": root_bound,
        # The cut loop alone, then the plan improved from its LP point (and the fixing).
        "root_s": round(t_improve - t_root, 6),
        "improve_s": round(time.perf_counter() - t_improve, 6),
        "theta_groups": master.data.n_groups,
        "benders_mode": mode, "sites_fixed_by_reduced_cost": 0 if fixing is None else fixing.count,
    }
    if math.isfinite(start_value) and math.isfinite(best):  # a plan before and after
        stats.update(start_plan=start_value, improved_plan=best)
    backend = get_backend(solver)
    rounds, status, message = 0, Status.FEASIBLE, ""
    # Close to the root bound, the masters only prove: HiGHS's own heuristics would look
    # for plans the incumbent already matches (see PROVE_FROM_GAP).
    root_gap = relative_gap(best, bound, sense)
    proving = root_gap is not None and root_gap <= PROVE_FROM_GAP
    master_tuning = (Tuning.NO_RESTART, Tuning.NO_HEURISTICS) if proving else \
        (Tuning.NO_RESTART,)
    stats["master_heuristics"] = "off" if proving else "on"
    sense_gap = options.mip_gap
    while True:
        gap = relative_gap(best, bound, sense)
        if gap is not None and gap <= sense_gap:
            status = Status.OPTIMAL
            break
        left = deadline - time.perf_counter()
        if left <= 0:
            message = "time limit reached"
            break
        rounds += 1
        milp = master.milp(integer=True)
        seen: list[FloatArray] = []
        # Started from a near-optimal plan, HiGHS fixes many sites by reduced cost and
        # restarts, repeating presolve and root work: without restarts the masters of
        # the clustered and uniform 5,000 × 500 cases took half the time or less
        # (summed over three cases and two runs: 14 s against 32 s). The caller's
        # solver options win.
        run = replace(options.tuned(*master_tuning),
                      time_limit=None if math.isinf(left) else left,
                      warm_start=master.point(best_y), progress=None)
        result = _solve_master(backend, milp, run, master, seen, mode)
        if result.status == Status.INFEASIBLE:
            # No plan within the master's rows and fixings: none better than the plans
            # outside them (the incumbent's value), and with no incumbent, none at all.
            bound = overall(worst)
            if best == worst:
                status, message = Status.INFEASIBLE, "the master has no plan"
            break
        if result.bound is not None and result.status.has_solution:
            bound = tighter(bound, overall(rounded(float(result.bound) * master.objective_scale)))
        if result.x is None:
            message = result.message or "master without solution"
            break
        added = 0
        for x in [*seen, result.x]:
            y = np.round(x[:m])
            offer(y)
            found = master.separate(x)
            if not found and not master.covers(y) and y.tobytes() not in strict:
                # θ within tolerance of every cut, yet the plan falls short: cut it exactly
                strict.add(y.tobytes())
                found = master.separate(np.concatenate([y, x[m:]]), tol=0.0)
            added += found
            if added:
                master.separate(x, once=True)  # the other exact cut at an integer point
        if result.extra.get("interrupted"):
            message = "interrupted"  # Ctrl-C: keep the best plan, start no other master
            break
        if added == 0:
            # No incumbent violates a cut: the master's answer holds for the true problem.
            if result.status == Status.OPTIMAL:
                own = result.bound if result.bound is not None else result.objective
                if own is not None:
                    bound = tighter(bound, overall(rounded(float(own) * master.objective_scale)))
                gap = relative_gap(best, bound, sense)
                status = Status.OPTIMAL if gap is not None and gap <= sense_gap else \
                    Status.FEASIBLE
            message = result.message
            break
    stats.update(benders_rounds=rounds, benders_cuts=master.n_cuts,
                 benders_s=round(time.perf_counter() - t0, 6))
    # A bound is never worse than the best plan.
    final_bound = None if math.isinf(bound) else (max if maximise else min)(bound, best)
    if status == Status.INFEASIBLE:
        final_bound = bound
    if status not in (Status.OPTIMAL, Status.INFEASIBLE) and final_bound is not None:
        gap = relative_gap(best, final_bound, sense)
        if gap is not None and gap <= sense_gap:
            status = Status.OPTIMAL
    return BendersOutcome(best_y, best, final_bound, status, stats,
                          "" if status == Status.OPTIMAL else message)


def _solve_master(
    backend: Backend, milp: MilpArrays, options: SolveOptions, master: Master,
    seen: list[FloatArray], mode: str,
) -> Result:
    """One master solve; with a back end that reports each incumbent, every one goes to
    ``seen`` (and may stop the run)."""
    if not backend.supports(Capability.INCUMBENT_CALLBACK):
        return backend.solve(milp, options)

    def on_solution(x: FloatArray) -> bool:
        x = np.asarray(x, dtype=np.float64).copy()
        seen.append(x)
        if mode != "interrupt":
            return False
        y = np.round(x[: master.m])
        const, coef = master.data.cut(y)
        theta = x[master.m:] * master.scale
        slack = 1e-6 * np.maximum(1.0, master.data.theta_scale)
        return bool(np.any(theta > const + coef @ y + slack))

    return cast(IncumbentCallbackBackend, backend).solve(milp, options, on_solution=on_solution)
