"""The rows of decay types.

The formulation is :mod:`siting.multi.decay`'s: grids ``a[f][t, pair]`` with
``Σ_j a[t, g, j] ≤ 1`` and ``a[t, g, j] ≤ w[t, j]`` (or ``≤ keep[k]``), and
residents × decayed share in the objective. A plan's attendance is recomputed
from each block's nearest open facility, not from these rows
(:func:`siting.multi.tables.attendance_of`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.milp import MilpArrays, MilpBuilder
from siting.multi.problem import MultiServiceProblem
from siting.multi.types import Layout, TypeData, keep_terms

FloatArray = NDArray[np.float64]


def add_variables(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout) -> None:
    """The grids ``a[f][t, pair]`` of every decay type."""
    for name, td in prob.types.items():
        att = td.attendance
        if att is not None:
            lay.a[name] = b.add_grid(f"a_{name}", years=prob.T, items=att.pairs.size, upper=1.0)


def attendance_rows(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout, td: TypeData
                    ) -> None:
    """``Σ_j a[t,g,j] ≤ 1`` and ``a[t,g,j] ≤ w[t,j]`` / ``keep[k]``, every year."""
    att = td.attendance
    if att is None:
        return
    pairs, J = att.pairs, td.n_cand
    a, w, keep = lay.a[td.name], lay.w[td.name], lay.keep[td.name]
    k = np.arange(pairs.size)
    cand = pairs.site < J
    for t, year in enumerate(prob.years):
        b.concat_rows([a.terms(pairs.row, t, k, 1.0, pairs.n_rows)], lower=-np.inf, upper=1.0,
                      name=f"attend_{td.name}_{year}")
        b.concat_rows(
            [a.terms(k, t, k, 1.0, pairs.size),
             w.terms(k[cand], t, pairs.site[cand], -1.0, pairs.size),
             keep_terms(keep, k[~cand], pairs.site[~cand] - J, -1.0, pairs.size)],
            lower=-np.inf, upper=0.0, name=f"attend_open_{td.name}_{year}",
        )


def objective_terms(prob: MultiServiceProblem, milp: MilpArrays, lay: Layout, td: TypeData,
                    years: Any, c: FloatArray) -> float:
    """Add a decay type's attendance to the objective vector ``c``; return its constant."""
    att = td.attendance
    assert att is not None
    gain = att.pairs.weight[att.pairs.row] * att.pairs.value * td.spec.weight
    offset = 0.0
    for t in years:
        c[lay.a[td.name].cols(t)] = gain
        offset += att.const * td.spec.weight
    return offset
