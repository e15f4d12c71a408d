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
from siting.params import AtLeastOne


def unit_assignment_cost(inst: Instance, pairs: Pairs) -> NDArray[np.float64]:
    """Cost of assigning a demand point's whole demand along each pair."""
    if inst.cost_scales_with_weight:
        return inst.weight[pairs.demand] * pairs.distance
    return pairs.distance.copy()


@dataclass
class UFLP(AssignmentModel):
    """Uncapacitated facility location: fixed cost of opening plus assignment cost."""

    candidates: AtLeastOne | None = None
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
    """Capacitated facility location: as UFLP, and a site serves at most its capacity."""

    name: ClassVar[str] = "cflp"
    capacitated: ClassVar[bool] = True
