"""Attendance-weighted coverage of a facility type with a ``decay`` (closer is better).

With ``decay = {kind, beta, cutoff_m, scale_m}`` on a facility type, the
objective counts, per block and year, its residents times ``f(d)``, ``d`` the
distance to the nearest open facility of the type (as the classic attendance
model, :mod:`siting.models.attendance`); targets, equity floors and the
coverage tables still count a block as covered within the type's radius.

Variables ``a[f][t, pair]`` on the (block group, site) pairs within the cutoff
that beat what kept existing facilities already give, with
``Σ_j a[t, g, j] ≤ 1`` and ``a[t, g, j] ≤ w[t, j]`` (or ``≤ keep[k]`` for an
existing facility that may close). Blocks with the same (site, value) pairs
and baseline merge exactly (:func:`siting.models.valued_pairs.merge_valued_rows`).
The verifier recomputes the attendance of a plan from each block's nearest
open facility (:func:`siting.multi.tables.attendance_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.milp import weighted_sum
from siting.models.decay import Decay
from siting.models.valued_pairs import ValuedPairs, merge_valued_rows
from siting.multi.types import TypeData

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class Attendance:
    """A decay type's valued pairs: rows of merged blocks, sites (candidates, then existing)."""

    decay: Decay
    pairs: ValuedPairs
    #: Residents × share already drawn by kept existing facilities, whatever is built.
    const: float


def attendance_pairs(
    decay: Decay, metric: Any, pop: FloatArray, n_cand: int, existing_kept: bool
) -> Attendance:
    """Pairs within the cutoff, with the gain over kept existing facilities (module doc)."""
    coo = sp.coo_matrix(metric.within(decay.cutoff))
    demand, site = coo.row.astype(np.int64), coo.col.astype(np.int64)
    value = decay.value(np.where(coo.data <= 1e-11, 0.0, coo.data))
    base = np.zeros(pop.size)
    n_sites = int(metric.n_sites)
    if existing_kept and n_sites > n_cand:
        _, dist = metric.nearest_in(np.arange(n_cand, n_sites))
        base = decay.value(dist)
        value = value - base[demand]
    useful = (value > 1e-12) & (pop[demand] > 0)
    if existing_kept:
        useful &= site < n_cand
    pairs = merge_valued_rows(demand[useful], site[useful], value[useful], pop,
                              n_demand=pop.size, extra=base)
    return Attendance(decay, pairs, weighted_sum(pop, base))


def type_attendance(td: TypeData) -> Attendance | None:
    """The attendance pairs of a type with a decay (None without one)."""
    decay = td.spec.decay_function()
    if decay is None:
        return None
    return attendance_pairs(decay, td.instance.metric, td.pop, td.n_cand,
                            td.spec.existing == "keep")
