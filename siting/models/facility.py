"""Uncapacitated and capacitated facility location (fixed costs, split demand).

Assignment cost is ``weight × distance`` per unit of assignment, or, for data
that give the cost of serving a point's *whole* demand (OR-Library cap files),
that cost. Demand may be split across sites, as in the published cap optima.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> d = pd.DataFrame({"x": [0, 10.0], "y": [0, 0.0], "weight": [1, 1]})
>>> s = pd.DataFrame({"x": [0, 10.0], "y": [0, 0.0], "cost": [3, 3]})
>>> UFLP().solve(Instance.from_frames(d, s)).objective
6.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.errors import InfeasibleError
from siting.instance import Instance
from siting.milp import MilpBuilder
from siting.models.assign import Pairs, assignment_pairs
from siting.models.base import AssignmentModel, Built
from siting.models.median import _assignment_block
from siting.models.reach import refuse_unreached
from siting.registry import CANDIDATES, parameter


def unit_assignment_cost(inst: Instance, pairs: Pairs) -> NDArray[np.float64]:
    """Cost of assigning a demand point's whole demand along each pair."""
    if inst.cost_scales_with_weight:
        return inst.weight[pairs.demand] * pairs.distance
    return pairs.distance.copy()


@dataclass
class UFLP(AssignmentModel):
    r"""Uncapacitated facility location: fixed cost of opening plus assignment cost.

    Balinski (1965); Kuehn & Hamburger (1963). Fixed costs :math:`f_j` (the
    sites' ``fixed_cost``), assignment cost :math:`w_i d_{ij}` (or the cost of
    serving :math:`i`'s whole demand, OR-Library cap), :math:`x_{ij} \in [0, 1]`
    on the usable pairs::

        min  Σ_{j ∉ J_0} f_j y_j + Σ_i Σ_j w_i d_ij x_ij
        s.t. Σ_j x_ij = 1                 for every i       (row "assign")
             x_ij ≤ y_j                   for every pair    (row "link")
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    Parameters
    ----------
    candidates : int, optional
        Restrict each point to its k nearest sites (then optimal only for that
        restriction, reported as feasible).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [0, 10.0], "y": [0, 0.0], "weight": [1, 1]})
    >>> s = pd.DataFrame({"x": [0, 10.0], "y": [0, 0.0], "cost": [3, 3]})
    >>> UFLP().solve(Instance.from_frames(d, s)).objective     # both open: 3 + 3
    6.0
    """

    candidates: int | None = parameter(CANDIDATES)
    name: ClassVar[str] = "uflp"
    needs_distances: ClassVar[bool] = True
    capacitated: ClassVar[bool] = False

    def build(self, inst: Instance) -> Built:
        pairs = assignment_pairs(inst, self.candidates)
        refuse_unreached(inst, pairs.demand, self.name)
        b = MilpBuilder()
        y = b.add_block(
            "y",
            inst.n_sites,
            lower=inst.existing.astype(float),
            upper=1.0,
            integer=True,
            cost=inst.fixed_cost * ~inst.existing,
        )
        x = _assignment_block(b, inst, pairs, unit_assignment_cost(inst, pairs), y)
        if self.capacitated:
            cap = inst.capacity
            if not np.isfinite(cap).all():
                bad = int(np.flatnonzero(~np.isfinite(cap))[0])
                from siting.errors import ParameterError

                raise ParameterError(
                    "cflp needs a finite capacity for every site",
                    path=inst.source,
                    row=bad,
                    field="capacity",
                    value=float(cap[bad]),
                )
            total = float(inst.weight.sum())
            if cap.sum() < total - 1e-9:
                raise InfeasibleError(
                    f"cflp: total capacity {cap.sum():g} is less than total demand {total:g}"
                )
            # sum_i w_i x_ij - Q_j y_j <= 0 for every site
            load = sp.csr_matrix(
                (inst.weight[pairs.demand], (pairs.site, np.arange(pairs.size))),
                shape=(inst.n_sites, pairs.size),
            )
            b.concat_rows(
                [(load, x), (sp.diags(-cap, format="csr"), y)],
                lower=-np.inf,
                upper=0.0,
                name="capacity",
            )
            # Aggregate capacity cover: valid and tightens the LP bound.
            b.add_rows(
                sp.csr_matrix(cap[None, :]),
                lower=total,
                upper=np.inf,
                cols=y,
                name="total_capacity",
            )
        return Built(b.build(sense="min"), {"pairs": pairs})


@dataclass
class CFLP(UFLP):
    r"""Capacitated facility location: as UFLP, and a site serves at most its capacity.

    :class:`UFLP`'s rows, demand split between sites as in the published
    OR-Library cap optima, and, with :math:`Q_j` the sites' capacities::

        Σ_i w_i x_ij ≤ Q_j y_j            for every j       (row "capacity")
        Σ_j Q_j y_j ≥ Σ_i w_i                               (row "total_capacity", valid)

    Parameters
    ----------
    candidates : int, optional
        Restrict each point to its k nearest sites (then optimal only for that
        restriction, reported as feasible).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [0, 1.0], "y": [0, 0.0], "weight": [2, 2]})
    >>> s = pd.DataFrame({"x": [0, 1.0], "y": [0, 0.0], "cost": [1, 5], "cap": [3, 9]})
    >>> CFLP().solve(Instance.from_frames(d, s, capacity="cap")).objective  # both; site 1 alone: 7
    6.0
    """

    name: ClassVar[str] = "cflp"
    capacitated: ClassVar[bool] = True
