"""Limits of a one-type model that provably cannot bind: their re-solve is the model's own.

:func:`siting.multi.reasons.type_reason` re-plans a type with each limit lifted. When
the other limits already keep every plan of the lifted model within the lifted one,
the lifted model has the same plans as the model as it stands, so the same best
coverage, and its re-solve is skipped. Only proofs count, never a guess:

- ``budget``: the most the type can spend (its cost ceiling times the most facilities
  its quotas and parcels allow, or every column at its bound) stays within what the
  plan leaves, in every budget row;
- ``quota``: the budget left cannot pay for more facilities than any ceiling allows
  (the cheapest facility's cost into each budget row, rounded down);
- ``land``: every parcel holds the most the type can put on it beside what the plan's
  other types take.

A bound within a limit keeps every plan of the lifted model inside it exactly, so
inside it within any solver tolerance too. A count of facilities a budget pays for
is rounded down only after a margin (:data:`MARGIN`) upwards: a solver's feasibility
tolerance could let one more in when the budget falls a hair short of it.

>>> _most(2_000_000.0 - 1e-7, 1_000_000.0), _most(1_999_000.0, 1_000_000.0)
(2.0, 1.0)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from siting.milp import MilpArrays
from siting.multi.problem import MultiServiceProblem
from siting.multi.types import TypeData

FloatArray = NDArray[np.float64]

#: Relative margin on every bound compared (far above a solver's 1e-7 tolerances).
MARGIN = 1e-6


def most_activity(milp: MilpArrays, rows: slice, upper: FloatArray | None = None) -> FloatArray:
    """Each row's largest value over the columns' bounds (``upper``: other upper bounds)."""
    a = milp.A[rows]
    hi = milp.col_upper if upper is None else upper
    pos, neg = a.maximum(0), a.minimum(0)
    with np.errstate(invalid="ignore"):
        return np.asarray(pos @ hi + neg @ milp.col_lower, dtype=np.float64)


def slack_limits(
    one: MultiServiceProblem, td: TypeData, milp: MilpArrays, land_left: FloatArray,
) -> frozenset[str]:
    """The limits whose lifting alone provably leaves the one-type model ``milp`` (built
    from ``one``, land rows bounded by ``land_left`` on the type's candidates) with the
    same plans."""
    out = set()
    if _budget_slack(one, td, milp):
        out.add("budget")
    if _quota_slack(one, td):
        out.add("quota")
    if _land_slack(td, milp, land_left):
        out.add("land")
    return frozenset(out)


def most_built(one: MultiServiceProblem, td: TypeData) -> tuple[float, list[float]]:
    """The most new facilities of the type in all, and in each year, that its quotas and
    parcels allow (inf: no ceiling)."""
    f = td.spec
    years = [str(y) for y in one.years]
    ceiling = {k: float(f.count.get(k, f.max_count.get(k, math.inf)))
               for k in set(f.count) | set(f.max_count)}
    total = min(ceiling.get("total", math.inf), float(td.n_cand * f.max_per_parcel))
    if all(y in ceiling for y in years):
        total = min(total, sum(ceiling[y] for y in years))
    if f.max_total is not None and f.existing == "keep":
        total = min(total, float(f.max_total - td.existing.size))
    return total, [min(ceiling.get(y, math.inf), total) for y in years]


def _budget_limits(one: MultiServiceProblem) -> tuple[list[float | None], float | None]:
    """The budget left in each year (None: no yearly row) and in all (None: no row)."""
    bud = one.spec.budget
    return [bud.per_year.get(str(y)) for y in one.years], bud.total


def _budget_slack(one: MultiServiceProblem, td: TypeData, milp: MilpArrays) -> bool:
    """No plan of the budget-lifted model spends more than the budget rows allow."""
    blocks = [b for b in milp.row_blocks if b.name.startswith("budget_")]
    if not blocks:
        return True  # no budget row: lifting it changes nothing
    if all((most_activity(milp, b.slice) <= milp.row_upper[b.slice]).all() for b in blocks):
        return True
    if td.spec.sized or not td.n_cand:
        return False
    # w is monotone, so each year's spending is its added facilities times their cost
    dearest = float(td.cost.max())
    total, by_year = most_built(one, td)
    yearly, whole = _budget_limits(one)
    fits = [dearest * n <= v for n, v in zip(by_year, yearly, strict=True) if v is not None]
    if whole is not None:
        fits.append(dearest * total <= whole)
    return all(fits)


def _quota_slack(one: MultiServiceProblem, td: TypeData) -> bool:
    """The budget left pays for no more facilities than any quota ceiling allows."""
    f = td.spec
    if not (f.count or f.max_count or f.max_total is not None):
        return True  # no ceiling: lifting them changes nothing
    if not td.n_cand or float(td.cost.min()) <= 0:
        return False
    cheapest = float(td.cost.min())
    whole_unit = cheapest + (f.cost_per_space * f.min_spaces if f.sized else 0.0)
    yearly, whole = _budget_limits(one)
    by_year = [math.inf if v is None else _most(v, cheapest) for v in yearly]
    total = float(td.n_cand * f.max_per_parcel)
    if whole is not None:
        total = min(total, _most(whole, whole_unit))
    total = min(total, sum(by_year))
    by_year = [min(n, total) for n in by_year]
    years = [str(y) for y in one.years]
    for key in set(f.count) | set(f.max_count):
        if key != "total" and key not in years:
            return False
        ceiling = f.count.get(key, f.max_count.get(key, math.inf))
        most = total if key == "total" else by_year[years.index(key)]
        if most > ceiling:
            return False
    return f.max_total is None or total + td.existing.size <= f.max_total


def _most(budget: float, unit: float) -> float:
    """The most whole facilities at ``unit`` each that ``budget`` pays for (with margin)."""
    return float(math.floor(budget / unit * (1 + MARGIN) + MARGIN))


def _land_slack(td: TypeData, milp: MilpArrays, land_left: FloatArray) -> bool:
    """Every land row holds the most the type can put on its parcel within ``land_left``."""
    blocks = [b for b in milp.row_blocks if b.name == "land" and b.size == td.n_cand]
    if not blocks:
        return True  # no row the land left bounds: lifting it changes nothing
    most = most_activity(milp, blocks[0].slice)
    return bool((most <= land_left).all())
