"""Unreachable pairs in the models that serve every point: who no site reaches, and reach rows.

With a travel table (or a street network in parts) some (demand, site) pairs
have no finite distance. A model that assigns every demand point to an open
site is then infeasible when a point reaches no site at all (said at once,
naming the point: :func:`refuse_unreached`), and otherwise needs each point to
have an open site *it reaches*: a covering row ``Σ_{j reaches i} y_j ≥ 1``
(:func:`reach_rows`), which formulations that price only the distance levels
they keep (the p-median's radius form, its Benders master) must state, since
they would otherwise charge a point its farthest reachable distance when
nothing it reaches is open. Whether ``p`` sites can reach everyone at all is a
set covering question, answered exactly when the heuristic finds no such plan
(:func:`cover_start`).

>>> import numpy as np
>>> demand, site = np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2])
>>> who, rows = reach_rows(demand, site, 3, 3, np.zeros(3, bool), np.zeros(3, bool))
>>> who.tolist(), rows.toarray().tolist()
([0, 1, 2], [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import SolveOptions, Status, get_backend
from siting.errors import InfeasibleError
from siting.instance import Instance
from siting.milp import MilpBuilder

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
#: Share of the time limit the exact covering check may take.
COVER_SHARE = 0.2


def refuse_unreached(inst: Instance, demand: IntArray, model: str,
                     weight_only: bool = False) -> None:
    """Raise :class:`InfeasibleError` naming the first demand point that appears in no pair.

    ``demand`` is the demand point of every usable pair (every finite pair, or
    the nearest ones: a point none of whose nearest sites is reachable reaches
    none). With ``weight_only``, points of weight 0 may go unserved.
    """
    reached = np.zeros(inst.n_demand, dtype=bool)
    reached[np.asarray(demand, dtype=np.int64)] = True
    refuse_alone(inst, ~reached & ((inst.weight > 0) if weight_only else True), model)


def refuse_alone(inst: Instance, alone: BoolArray, model: str) -> None:
    """Raise :class:`InfeasibleError` naming the first of the points ``alone`` (none: pass)."""
    if alone.any():
        first = np.flatnonzero(alone)
        more = f" (and {first.size - 1} more)" if first.size > 1 else ""
        raise InfeasibleError(
            f"{model}: demand point {_plain(inst.demand_ids[first[0]])!r}{more} reaches no "
            f"site ({inst.metric.kind}: no finite distance to any candidate or existing "
            "site), so nothing can serve it; give it a route or leave it out of the demand"
        )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def reach_rows(
    demand: IntArray, site: IntArray, n: int, m: int, always_open: BoolArray,
    closed: BoolArray,
) -> tuple[IntArray, sp.csr_matrix]:
    """Points whose service is not certain, and their rows ``Σ_{j reaches i} y_j ≥ 1``.

    A point is certain to be served when it reaches a site that is always open,
    or every site that is not ``closed`` (some site is open in every plan).
    ``demand``/``site`` are the usable pairs; pairs to closed sites are left out.
    """
    demand = np.asarray(demand, dtype=np.int64)
    site = np.asarray(site, dtype=np.int64)
    usable = ~closed[site]
    demand, site = demand[usable], site[usable]
    by_open = np.zeros(n, dtype=bool)
    by_open[demand[always_open[site]]] = True
    count = np.bincount(demand, minlength=n)
    need = ~by_open & (count < int((~closed).sum()))
    who = np.flatnonzero(need)
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[who] = np.arange(who.size)
    take = need[demand]
    rows = sp.csr_matrix((np.ones(int(take.sum())), (row_of[demand[take]], site[take])),
                         shape=(who.size, m))
    rows.sum_duplicates()
    rows.data[:] = 1.0
    return who.astype(np.int64), rows


def cover_start(
    inst: Instance, demand: IntArray, site: IntArray, p: int, solver: str,
    options: SolveOptions, model: str,
) -> BoolArray | None:
    """Open sites reaching every demand point with at most ``p`` new ones (fewest new ones).

    The exact set covering MILP on the reach relation, for when the heuristic
    found no plan that reaches everyone. Raises :class:`InfeasibleError` when
    no ``p`` new sites do (proven); None when the back end stopped without an
    answer either way.
    """
    n, m = inst.n_demand, inst.n_sites
    none = np.zeros(m, dtype=bool)
    _, rows = reach_rows(demand, site, n, m, inst.existing, none)
    new = ~inst.existing
    b = MilpBuilder()
    y = b.add_block("y", m, lower=inst.existing.astype(float), upper=1.0, integer=True,
                    cost=new.astype(float))
    b.add_rows(rows, lower=1.0, upper=np.inf, cols=y, name="reach")
    milp = b.build(sense="min")
    limit = None if options.time_limit is None else COVER_SHARE * options.time_limit
    result = get_backend(solver).solve(milp, replace(options, time_limit=limit,
                                                     warm_start=None, progress=None))
    fewest = None
    if result.status == Status.INFEASIBLE:
        fewest = np.inf
    elif result.bound is not None and np.isfinite(result.bound):
        fewest = float(np.ceil(result.bound - 1e-6))
    if result.status == Status.OPTIMAL and result.objective is not None:
        fewest = float(round(result.objective))
    if fewest is not None and fewest > p:
        need = "" if not np.isfinite(fewest) else (
            f": at least {int(fewest)} new sites are needed" if result.status == Status.OPTIMAL
            else f": more than {p} new sites are needed")
        raise InfeasibleError(no_plan(inst, p, model) + need)
    if result.x is None or not result.status.has_solution:
        return None
    mask = result.x[y.slice] > 0.5
    if int((mask & new).sum()) > p:
        return None
    return mask | inst.existing


def plan_with(inst: Instance, p: int) -> str:
    """'plan with 1 new site', 'plan with 3 new sites and the 2 existing ones'."""
    k = int(inst.existing.sum())
    return (f"plan with {p} new site{'' if p == 1 else 's'}"
            + (f" and the {k} existing one{'' if k == 1 else 's'}" if k else ""))


def no_plan(inst: Instance, p: int, model: str) -> str:
    """The infeasibility of reach: no ``p`` sites reach every point.

    >>> import pandas as pd
    >>> inst = Instance.from_cost_matrix(np.array([[1.0, np.inf], [np.inf, 1.0]]))
    >>> no_plan(inst, 1, "p-median")
    'p-median: no plan with 1 new site serves every demand point from a site it reaches'
    """
    return f"{model}: no {plan_with(inst, p)} serves every demand point from a site it reaches"


def unserved_message(inst: Instance, unserved: BoolArray, p: int, model: str) -> str:
    """Why a plan that leaves ``unserved`` points without a reachable open site is no plan."""
    first = _plain(inst.demand_ids[np.flatnonzero(unserved)[0]])
    return (f"{model}: no {plan_with(inst, p)} was found that serves every demand point from "
            f"a site it reaches (the best leaves {int(unserved.sum())}, e.g. {first!r}, with "
            "none)")


def largest_distance(metric: Any) -> float | None:
    """The largest finite distance of a metric that knows it (a table, a matrix), else None."""
    largest = getattr(metric, "largest", None)
    value = None if largest is None else largest()
    return None if value is None else float(value)
