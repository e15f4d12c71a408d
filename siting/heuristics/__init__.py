"""The heuristic core: greedy + swap local search with a Lagrangian bound.

It works on the model structure that :class:`~siting.models.covering.MCLP`
and :class:`~siting.models.median.PMedian` attach to their arrays
(``MilpArrays.structure``), not on generic MILP arrays:

- :class:`~siting.heuristics.structure.CoverStructure` (without ``required``):
  ``cov`` (CSR, merged demand rows × sites), ``weight``, ``p``, ``cost``,
  ``budget``, ``fixed_open`` (existing sites), ``closed`` (sites removed by the
  reductions) and the column blocks ``y`` and ``z``;
- :class:`~siting.heuristics.structure.MedianStructure`: ``pairs``
  (:class:`PairsData`, in the order of the ``x`` block), ``p``, ``fixed_open``
  and the blocks ``y`` and ``x``.

:func:`solve_structure` returns a full column vector consistent with the MILP
(so it is both the ``heuristic`` back end's answer and every exact back end's
warm start), its objective and, when asked, a bound.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> from siting.models import MCLP
>>> d = pd.DataFrame({"x": [0, 1, 10, 11, 30.0], "y": [0.0] * 5, "weight": [1, 2, 3, 4, 5]})
>>> inst = Instance.from_frames(d, d)
>>> milp = MCLP(radius=1.5, p=2).build(inst).milp
>>> out = solve_structure(milp)
>>> out.objective, out.bound
(12.0, 12.0)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siting.heuristics.mclp import greedy_mclp, lagrangian_bound_mclp, solve_mclp, swap_mclp
from siting.heuristics.pmedian import (
    PairsData,
    assignment_of,
    lagrangian_bound_pmedian,
    pmedian_greedy,
    pmedian_greedy_swap,
    pmedian_swap,
)
from siting.heuristics.structure import CoverStructure, MedianStructure
from siting.milp import MilpArrays

__all__ = [
    "CoverStructure",
    "HeuristicOutcome",
    "MedianStructure",
    "PairsData",
    "assignment_of",
    "greedy_mclp",
    "lagrangian_bound_mclp",
    "lagrangian_bound_pmedian",
    "pmedian_greedy",
    "pmedian_greedy_swap",
    "pmedian_swap",
    "solve_mclp",
    "solve_structure",
    "supports",
    "swap_mclp",
]


@dataclass
class HeuristicOutcome:
    """A heuristic solution as MILP column values, with its objective and bound (if any)."""

    x: NDArray[np.float64]
    objective: float
    bound: float | None
    open_mask: NDArray[np.bool_]
    runtime_s: float


def supports(milp: MilpArrays) -> bool:
    """Whether the arrays carry a structure the heuristic understands (an MCLP's
    covering structure or a p-median's pairs; not partial covering's)."""
    s = milp.structure
    return isinstance(s, MedianStructure) or (isinstance(s, CoverStructure)
                                              and s.required is None)


def _integral(values: NDArray[np.float64]) -> bool:
    return bool(values.size == 0 or np.all(values == np.round(values)))


def solve_structure(
    milp: MilpArrays, *, time_limit: float | None = None, bound: bool = True
) -> HeuristicOutcome:
    """Run the heuristic on ``milp.structure``; raise ValueError when there is none."""
    if not supports(milp):
        raise ValueError("heuristic supports mclp and p-median")
    s = milp.structure
    t0 = time.perf_counter()
    x = np.zeros(milp.num_cols)
    ub: float | None = None
    if isinstance(s, CoverStructure):
        mask, _, raw_bound = solve_mclp(
            s.cov, s.weight, s.p, s.cost, s.budget, s.fixed_open, s.closed,
            time_limit=time_limit, bound=bound,
        )
        x[s.y.slice] = mask
        x[s.z.slice] = (s.cov @ mask.astype(np.float64)) > 0
        if raw_bound is not None:
            # Integer weights: the covered weight is an integer, so is its bound.
            ub = raw_bound + milp.offset
            if _integral(s.weight) and _integral(np.array([milp.offset])):
                ub = float(math.floor(ub + 1e-6))
    else:
        assert isinstance(s, MedianStructure)
        pm = s.pairs
        mask, _ = pmedian_greedy_swap(pm, s.p, s.fixed_open, s.closed, time_limit=time_limit)
        pos, value = assignment_of(pm, mask)
        x[s.y.slice] = mask
        x[s.x.start + pos[pos >= 0]] = 1.0
        if bound:
            left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0),
                                                       0.1)
            lb = lagrangian_bound_pmedian(pm, s.p, s.fixed_open, s.closed, upper=value,
                                          time_limit=left)
            ub = lb + milp.offset
            if _integral(pm.cost) and _integral(np.array([milp.offset])):
                ub = float(math.ceil(ub - 1e-6))
    objective = milp.objective_of(x)
    if ub is not None:
        # A bound never lies on the wrong side of a feasible value.
        ub = max(ub, objective) if milp.sense == "max" else min(ub, objective)
    return HeuristicOutcome(x, objective, ub, mask, time.perf_counter() - t0)
