"""Weighted p-center: open ``p`` new sites minimising the largest weight × distance.

``min max_i w_i · d(i, S)`` (Hakimi 1964, *Optimum distribution of switching
centers in a communication network and some related graph theoretic
problems*, Operations Research 12(3), the weighted "absolute center"; here on
candidate sites). It is the p-center of :class:`~siting.models.median.PCenter`
on the metric ``w_i · d_ij``: bisection over the candidate values
``w_i d_ij``, each step a set covering problem ("can p sites serve everyone
with ``w_i d_ij ≤ v``?") on the sparse pairs of that level. Points of weight
0 never matter and are left out.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> d = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "weight": [1, 3]})
>>> s = pd.DataFrame({"x": [4.0, 6], "y": [0.0, 0]})
>>> WeightedPCenter(p=1).solve(Instance.from_frames(d, s)).objective   # site at 6: max(6, 12)
12.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import SolveOptions
from siting.coverage import (
    FloatArray,
    IntArray,
    MatrixMetric,
    Metric,
    TableMetric,
    pairs_to_csr,
)
from siting.errors import ParameterError
from siting.instance import Instance
from siting.models.base import Built, LocationModel, assignment_table, check_p, finish
from siting.models.median import PCenter
from siting.registry import P, parameter
from siting.solution import Solution


class WeightedMetric(Metric):
    """``w_i × d_ij`` from the points at ``rows`` (positive weights) to every site."""

    def __init__(self, base: Metric, weight: FloatArray, rows: IntArray) -> None:
        self.base = base
        self.rows = np.asarray(rows, dtype=np.int64)
        self.weight = np.asarray(weight, dtype=np.float64)[self.rows]
        self.n_demand = int(self.rows.size)
        self.n_sites = base.n_sites
        self.kind = f"weight × {base.kind}"
        self._reach = -1.0
        self._pairs: sp.csr_matrix | None = None

    def within(self, radius: float) -> sp.csr_matrix:
        reach = float(radius) / float(self.weight.min())
        if self._pairs is None or reach > self._reach:
            # One query at the reach of the lightest point, filtered per point below.
            self._pairs = sp.csr_matrix(self.base.within(reach)[self.rows])
            self._reach = reach
        coo = sp.coo_matrix(self._pairs)
        value = self.weight[coo.row] * np.where(coo.data <= 1e-11, 0.0, coo.data)
        keep = value <= float(radius) * (1 + 1e-12)
        return pairs_to_csr(coo.row[keep], coo.col[keep], value[keep],
                            (self.n_demand, self.n_sites))

    def pair_distance(self, demand: IntArray, sites: IntArray) -> FloatArray:
        demand = np.asarray(demand, dtype=np.int64)
        return self.weight[demand] * self.base.pair_distance(self.rows[demand], sites)

    def largest(self) -> float | None:
        """The largest finite ``w_i d_ij`` when the base holds its pairs (a table, a matrix).

        >>> from siting.coverage import TableMetric
        >>> base = TableMetric(np.array([0, 1]), np.array([0, 0]), np.array([4.0, 3.0]), (2, 1))
        >>> WeightedMetric(base, np.array([1.0, 2.0]), np.array([0, 1])).largest()
        6.0
        """
        base = self.base
        if isinstance(base, TableMetric):
            position = np.full(base.n_demand, -1, dtype=np.int64)
            position[self.rows] = np.arange(self.rows.size)
            row = position[base.rows()]
            kept = row >= 0
            return float((self.weight[row[kept]] * base.data[kept]).max(initial=0.0))
        if isinstance(base, MatrixMetric):
            values = self.weight[:, None] * base.matrix[self.rows]
            return float(values[np.isfinite(values)].max(initial=0.0))
        return None

    def nearest_in(self, sites: IntArray) -> tuple[IntArray, FloatArray]:
        # The nearest site by distance is the nearest by weight × distance.
        idx, dist = self.base.nearest_in(sites)
        return idx[self.rows], self.weight * dist[self.rows]


@dataclass
class WeightedPCenter(LocationModel):
    """Open ``p`` new sites minimising ``max_i w_i · d(i, nearest open site)``.

    ::

        min  max_i  w_i · min_{j open} d_ij
        s.t. Σ_{j ∉ J_0} y_j ≤ p,  y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    :class:`~siting.models.median.PCenter` on the metric :math:`w_i d_{ij}`
    (module docstring): bisection over the values :math:`w_i d_{ij}`, each
    step a set covering problem. Points of weight 0 are left out; every
    weight 0 is refused.

    Parameters
    ----------
    p : int
        Most new sites to open (existing ones are not counted).

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "weight": [1, 3]})
    >>> s = pd.DataFrame({"x": [4.0, 6], "y": [0.0, 0]})
    >>> WeightedPCenter(p=2).solve(Instance.from_frames(d, s)).objective   # 1 × 4, 3 × 4
    12.0
    """

    p: int | None = parameter(P)
    name: ClassVar[str] = "weighted-p-center"
    needs_distances: ClassVar[bool] = True

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_p(self.p, inst, required=True)
        if not (inst.weight > 0).any():
            raise ParameterError(
                "weighted p-center: every demand weight is 0, so every choice is optimal",
                path=inst.source, field="weight",
            )

    def build(self, inst: Instance) -> Built:  # pragma: no cover - staged model
        raise NotImplementedError("weighted p-center is solved as a sequence of coverings")

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        raise NotImplementedError

    def weighted_instance(self, inst: Instance) -> Instance:
        """The instance seen through ``w_i × d_ij``, points of weight 0 left out."""
        rows = np.flatnonzero(inst.weight > 0)
        return Instance(
            name=f"{inst.name} (weighted)", demand_ids=inst.demand_ids[rows],
            weight=np.ones(rows.size), site_ids=inst.site_ids,
            metric=WeightedMetric(inst.metric, inst.weight, rows),
            site_cost=inst.site_cost, fixed_cost=inst.fixed_cost, capacity=inst.capacity,
            existing=inst.existing, source=inst.source,
        )

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        inner = PCenter(p=self.p).solve(self.weighted_instance(inst), solver, options,
                                        verify=False)
        fields: dict[str, Any] = {}
        if inner.status.has_solution:
            near, _ = inst.metric.nearest_in(inst.site_positions(inner.selected))
            reached = np.flatnonzero(near >= 0)
            fields["assignment"] = assignment_table(
                inst, reached, near[reached], np.ones(reached.size)
            )
        sol = Solution(
            model=self.name, instance=inst.name, status=inner.status, backend=inner.backend,
            objective=inner.objective, bound=inner.bound, gap=inner.gap,
            runtime_s=inner.runtime_s, selected=inner.selected, existing=inner.existing,
            params=self.params(), message=inner.message, stats=inner.stats, **fields,
        )
        return finish(inst, self, sol, verify)
