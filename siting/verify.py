"""Independent verification of a solution against its instance.

The verifier never reads the solver's arrays: it recomputes coverage and
assignment distances from the instance's metric by a separate route
(:meth:`~siting.metric.Metric.nearest_in`, :meth:`~siting.metric.Metric.pair_distance`),
then the objective and every constraint of the model, and compares them with
what the solution claims.

Only a violated constraint, or a recomputed objective *worse* than the claim,
fails: a time-limited incumbent may hold coverage variables below what its
open sites cover, so the plan is then better than the solver said. The
recomputed value is reported, with the gap recomputed against the bound
(:func:`accept_objective`).

>>> import pandas as pd
>>> from siting.instance import Instance
>>> from siting.models import MCLP
>>> d = pd.DataFrame({"x": [0, 10.0], "y": [0, 0.0], "weight": [5, 3]})
>>> inst = Instance.from_frames(d, d)
>>> sol = MCLP(radius=1, p=1).solve(inst)
>>> sol.verified
True
>>> sol.objective = 8.0   # a wrong claim
>>> verify_solution(inst, MCLP(radius=1, p=1), sol).ok
False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.instance import Instance
from siting.milp import Sense
from siting.models.base import LocationModel
from siting.solution import Solution

REL_TOL = 1e-6


@dataclass
class VerifyReport:
    """Outcome of verification: ``ok`` and one message per failed check."""

    ok: bool = True
    messages: list[str] = field(default_factory=list)
    objective: float | None = None

    def fail(self, message: str) -> None:
        self.ok = False
        self.messages.append(message)


def verify_solution(inst: Instance, model: LocationModel, sol: Solution) -> VerifyReport:
    """Recompute ``sol``'s objective and constraints from ``inst`` for ``model``."""
    rep = VerifyReport()
    try:
        pos = inst.site_positions(sol.selected)
    except Exception as exc:  # an unknown id is a failed check, not a crash
        rep.fail(f"selected sites: {exc}")
        return rep
    if len(set(pos.tolist())) != len(pos):
        rep.fail("a site is selected twice")
    missing_existing = np.setdiff1d(np.flatnonzero(inst.existing), pos)
    if missing_existing.size:
        rep.fail(f"existing facility {inst.site_ids[missing_existing[0]]!r} is not open")
    new = pos[~inst.existing[pos]]
    name = model.name
    params: dict[str, Any] = sol.params
    if name in ("mclp", "lscp", "set-cover", "lscp-b"):
        _verify_covering(inst, model, sol, pos, new, params, rep)
    elif name in ("p-median", "uflp", "cflp"):
        _verify_assignment(inst, model, sol, pos, new, params, rep)
    elif name == "p-center":
        _, d = inst.metric.nearest_in(pos)
        rep.objective = float(d.max()) if d.size else 0.0
        if params.get("p") is not None and new.size > params["p"]:
            rep.fail(f"{new.size} new sites open but p = {params['p']}")
    else:
        rep.fail(f"no verifier for model {name!r}")
        return rep
    if rep.objective is not None:
        accept_objective(rep, sol.objective, sol.bound, model.sense)
    return rep


def accept_objective(
    rep: VerifyReport, claimed: float | None, bound: float | None, sense: Sense,
    tol: float = REL_TOL,
) -> None:
    """Fail ``rep`` when its recomputed objective is worse than ``claimed`` or beats ``bound``.

    A recomputed value better than the claim is the plan's true value (the
    solver's continuous variables sat below what the plan achieves). A value
    better than a proven bound means the bound, or the verifier, is wrong.

    >>> rep = VerifyReport(objective=10.5)
    >>> accept_objective(rep, 10.0, 11.0, "max"); rep.ok
    True
    >>> accept_objective(rep, 11.0, 12.0, "max"); rep.ok, rep.messages[0]
    (False, 'objective claimed 11 but recomputed 10.5 (worse)')
    """
    value = rep.objective
    assert value is not None
    better = 1.0 if sense == "max" else -1.0
    if claimed is not None and better * (value - float(claimed)) < -tol * max(
        1.0, abs(value), abs(float(claimed))
    ):
        rep.fail(f"objective claimed {claimed:.10g} but recomputed {value:.10g} (worse)")
    if bound is not None and np.isfinite(bound) and better * (value - float(bound)) > tol * max(
        1.0, abs(value), abs(float(bound))
    ):
        rep.fail(f"recomputed objective {value:.10g} beats the solver's bound {bound:.10g}")


def _within(inst: Instance, pos: NDArray[np.int64], radius: float) -> NDArray[np.bool_]:
    """Demand points within ``radius`` of any of the sites at ``pos``."""
    _, d = inst.metric.nearest_in(pos)
    if not inst.metric.has_distances:
        return np.isfinite(d)
    return d <= radius * (1 + 1e-12)


def _cover_counts(inst: Instance, pos: NDArray[np.int64], radius: float) -> NDArray[np.int64]:
    """How many of the sites at ``pos`` cover each demand point, one site at a time."""
    counts = np.zeros(inst.n_demand, dtype=np.int64)
    for j in pos:  # a loop over open sites, not over pairs
        counts += _within(inst, np.array([j]), radius)
    return counts


def _verify_covering(
    inst: Instance,
    model: LocationModel,
    sol: Solution,
    pos: NDArray[np.int64],
    new: NDArray[np.int64],
    params: dict[str, Any],
    rep: VerifyReport,
) -> None:
    radius = float(params.get("radius") or 0.0)
    covered = _within(inst, pos, radius)
    if sol.coverage is not None:
        claimed = pd.Series(sol.coverage["covered"].to_numpy() > 0, index=sol.coverage["demand_id"])
        truth = pd.Series(covered, index=inst.demand_ids)
        wrong = claimed & ~truth.reindex(claimed.index, fill_value=False)
        if wrong.any():
            rep.fail(
                f"demand {wrong.index[wrong.to_numpy()][0]!r} claimed covered but no open "
                f"site is within radius {radius:g}"
            )
    if model.name == "mclp":
        p, budget = params.get("p"), params.get("budget")
        if p is not None and new.size > p:
            rep.fail(f"{new.size} new sites open but p = {p}")
        spent = float(inst.site_cost[new].sum())
        if budget is not None and spent > budget * (1 + REL_TOL) + 1e-9:
            rep.fail(f"cost {spent:g} exceeds budget {budget:g}")
        rep.objective = float(inst.weight[covered].sum())
        return
    if not covered.all():
        first = inst.demand_ids[np.flatnonzero(~covered)[0]]
        rep.fail(f"demand {first!r} is not covered (and {int((~covered).sum()) - 1} more)")
    if model.name == "lscp-b":
        p = params.get("p")
        if p is not None and new.size > p:
            rep.fail(f"{new.size} new sites open but p = {p}")
        twice = _cover_counts(inst, pos, radius) >= 2
        rep.objective = float(inst.weight[twice].sum())
        return
    weighted = bool(params.get("weighted_cost"))
    rep.objective = float(inst.site_cost[new].sum()) if weighted else float(new.size)


def _verify_assignment(
    inst: Instance,
    model: LocationModel,
    sol: Solution,
    pos: NDArray[np.int64],
    new: NDArray[np.int64],
    params: dict[str, Any],
    rep: VerifyReport,
) -> None:
    a = sol.assignment
    if a is None or len(a) == 0:
        rep.fail("no assignment given")
        return
    d_pos = pd.Index(inst.demand_ids).get_indexer(a["demand_id"].to_numpy())
    s_pos = pd.Index(inst.site_ids).get_indexer(a["site_id"].to_numpy())
    if (d_pos < 0).any() or (s_pos < 0).any():
        rep.fail("assignment names an unknown demand point or site")
        return
    frac = a["fraction"].to_numpy(dtype=np.float64)
    if (frac < -1e-9).any() or (frac > 1 + 1e-9).any():
        rep.fail("an assignment fraction is outside [0, 1]")
    total = np.bincount(d_pos, weights=frac, minlength=inst.n_demand)
    bad = np.flatnonzero(np.abs(total - 1.0) > 1e-6)
    if bad.size:
        rep.fail(
            f"demand {inst.demand_ids[bad[0]]!r} is assigned {total[bad[0]]:.6g} of its "
            "demand, not 1"
        )
    open_mask = np.zeros(inst.n_sites, dtype=bool)
    open_mask[pos] = True
    closed = ~open_mask[s_pos] & (frac > 1e-9)
    if closed.any():
        k = int(np.flatnonzero(closed)[0])
        rep.fail(
            f"demand {inst.demand_ids[d_pos[k]]!r} is assigned to closed site "
            f"{inst.site_ids[s_pos[k]]!r}"
        )
    dist = inst.metric.pair_distance(d_pos.astype(np.int64), s_pos.astype(np.int64))
    unit = inst.weight[d_pos] * dist if inst.cost_scales_with_weight else dist
    if not np.isfinite(unit[frac > 1e-9]).all():
        rep.fail("a demand point is assigned to a site it cannot reach")
        return
    assign_cost = float((unit * frac).sum())
    if model.name == "p-median":
        p = params.get("p")
        if p is not None and new.size != p:
            rep.fail(f"{new.size} new sites open but p = {p}")
        rep.objective = assign_cost
        return
    if model.name == "cflp":
        load = np.bincount(s_pos, weights=inst.weight[d_pos] * frac, minlength=inst.n_sites)
        over = np.flatnonzero(load > inst.capacity * (1 + 1e-6) + 1e-6)
        if over.size:
            j = over[0]
            rep.fail(
                f"site {inst.site_ids[j]!r} serves {load[j]:g} above its capacity "
                f"{inst.capacity[j]:g}"
            )
    rep.objective = float(inst.fixed_cost[new].sum()) + assign_cost
