"""Maximise attendance: demand that attends decays with the distance to its nearest site.

A point of weight ``w_i`` whose nearest open site is at distance ``d`` brings
``w_i · f(d)`` (:class:`~siting.models.decay.Decay`: linear to a cutoff,
power or exponential, optionally cut off), as ArcGIS's Maximize Attendance.
Holmes, Williams & Brown (1972), *Facility location under a maximum travel
restriction: an example using day care facilities*, Geographical Analysis
4(3), introduced attendance falling with distance; the MILP is the
assignment form of the p-median with profits (ReVelle & Swain 1970's
assignment model, maximising):

    max Σ_i Σ_j w_i (f(d_ij) − b_i) x_ij + Σ_i w_i b_i
    s.t. Σ_j x_ij ≤ 1,  x_ij ≤ y_j,  Σ_new y_j ≤ p,  y ∈ {0, 1}

where ``b_i = f(d_i,existing)`` is what the existing facilities already bring.
Only pairs to new sites that beat ``b_i`` get a variable (exact: the others
never help), within the cutoff (or every pair, or the ``k`` nearest — then a
restriction, reported as ``feasible`` — without one). Points with the same
(site, value) pairs and baseline merge into one row. The start is the
p-median greedy + fast interchange on costs ``w_i (max_j g_ij − g_ij)`` with
an always-open "nobody attends" site, and its Lagrangian bound.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> d = pd.DataFrame({"x": [0.0, 4, 10], "y": [0.0] * 3, "weight": [10, 10, 10]})
>>> inst = Instance.from_frames(d, d)
>>> Attendance(p=1, decay="linear", cutoff=8).solve(inst).objective   # at 4: 5 + 10 + 2.5
17.5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.instance import Instance
from siting.milp import MilpBuilder, Sense, weighted_sum
from siting.models.assign import assignment_pairs
from siting.models.base import Built, check_p, selected_from
from siting.models.decay import Decay
from siting.models.valued_pairs import ValuedPairs, merge_valued_rows
from siting.models.with_start import ModelWithStart, Start
from siting.registry import BETA, CANDIDATES, CUTOFF, DECAY, DECAY_SCALE, P, parameter

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: Gains below this share of a point's weight are no gain (round-off).
GAIN_TOL = 1e-12


def decayed_pairs(
    inst: Instance, decay: Decay, candidates: int | None
) -> tuple[IntArray, IntArray, FloatArray, bool]:
    """(demand, site, distance) pairs a decay can draw over, and whether they are all of them."""
    if decay.cutoff is not None:
        coo = sp.coo_matrix(inst.metric.within(decay.cutoff))
        dist = np.where(coo.data <= 1e-11, 0.0, coo.data)
        return coo.row.astype(np.int64), coo.col.astype(np.int64), dist, True
    pairs = assignment_pairs(inst, candidates)
    return pairs.demand, pairs.site, pairs.distance, pairs.complete


def baseline(inst: Instance, decay: Decay) -> FloatArray:
    """What each point's nearest existing facility already draws (0 without one)."""
    if not inst.existing.any():
        return np.zeros(inst.n_demand)
    _, dist = inst.metric.nearest_in(np.flatnonzero(inst.existing))
    return decay.value(dist)


@dataclass
class Attendance(ModelWithStart):
    """Open at most ``p`` new sites maximising the weight that attends, ``Σ_i w_i f(d_i)``.

    :math:`f` the decay (:class:`~siting.models.decay.Decay`), :math:`d_i` the
    distance to the nearest open site. The MILP, with :math:`b_i` what the
    nearest existing facility already draws and :math:`x_{ij}` whether
    :math:`i` attends new site :math:`j`::

        max  Σ_i Σ_j w_i (f(d_ij) − b_i) x_ij + Σ_i w_i b_i
        s.t. Σ_j x_ij ≤ 1                 for every i       (row "attend")
             x_ij ≤ y_j                   for every pair    (row "link")
             Σ_{j ∉ J_0} y_j ≤ p                            (row "p")
             y ∈ {0, 1}

    only on pairs with :math:`f(d_{ij}) > b_i` (module docstring).

    Parameters
    ----------
    p : int
        Most new sites to open (existing ones are not counted).
    decay : {"linear", "power", "exponential"}
        How attendance falls with distance (default ``"power"``).
    beta : float
        Decay parameter of power and exponential (> 0, default 1).
    cutoff : float, optional
        Distance beyond which nobody attends (needed by ``linear``).
    scale : float
        Distance unit of the decay (> 0, default 1 data unit).
    candidates : int, optional
        Without a cutoff, each point's k nearest sites only (then optimal
        only for that restriction).

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0.0, 4, 10], "y": [0.0] * 3, "weight": [10, 10, 10]})
    >>> inst = Instance.from_frames(d, d)
    >>> Attendance(p=1, decay="linear", cutoff=8).solve(inst).objective   # at 4: 5 + 10 + 2.5
    17.5
    """

    p: int | None = parameter(P)
    decay: str = parameter(DECAY, "power")
    beta: float = parameter(BETA, 1.0)
    cutoff: float | None = parameter(CUTOFF)
    scale: float = parameter(DECAY_SCALE, 1.0)
    candidates: int | None = parameter(CANDIDATES)
    name: ClassVar[str] = "attendance"
    sense: ClassVar[Sense] = "max"
    needs_distances: ClassVar[bool] = True

    def decay_function(self) -> Decay:
        return Decay(self.decay, float(self.beta), self.cutoff, float(self.scale))

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_p(self.p, inst, required=True)
        self.decay_function()
        if self.cutoff is not None:
            inst.check_radius(float(self.cutoff))

    def build(self, inst: Instance) -> Built:
        assert self.p is not None
        decay = self.decay_function()
        demand, site, dist, complete = decayed_pairs(inst, decay, self.candidates)
        base = baseline(inst, decay)
        gain = decay.value(dist) - base[demand]
        useful = ~inst.existing[site] & (gain > GAIN_TOL) & (inst.weight[demand] > 0)
        pairs = merge_valued_rows(demand[useful], site[useful], gain[useful], inst.weight,
                                  n_demand=inst.n_demand, extra=base)
        b = MilpBuilder()
        y = b.add_block("y", inst.n_sites, lower=inst.existing.astype(float), upper=1.0,
                        integer=True)
        x = b.add_block("x", pairs.size, lower=0.0, upper=1.0,
                        cost=pairs.weight[pairs.row] * pairs.value)
        k = np.arange(pairs.size)
        one = np.ones(pairs.size)
        b.add_rows(sp.csr_matrix((one, (pairs.row, k)), shape=(pairs.n_rows, pairs.size)),
                   lower=-np.inf, upper=1.0, cols=x, name="attend")
        b.concat_rows(
            [(sp.csr_matrix((one, (k, k)), shape=(pairs.size, pairs.size)), x),
             (sp.csr_matrix((-one, (k, pairs.site)), shape=(pairs.size, inst.n_sites)), y)],
            lower=-np.inf, upper=0.0, name="link",
        )
        new = (~inst.existing).astype(float)
        b.add_rows(sp.csr_matrix(new[None, :]), lower=-np.inf, upper=float(self.p), cols=y,
                   name="p")
        milp = b.build(sense="max", offset=weighted_sum(inst.weight, base))
        stats = {"demand_rows": inst.n_demand, "rows_merged": int(
            (pairs.group >= 0).sum() - pairs.n_rows), "pairs": int(pairs.size)}
        return Built(milp, {"pairs": pairs, "complete": complete, "reduction": stats})

    def start(self, inst: Instance, built: Built, time_limit: float | None) -> Start | None:
        """p-median greedy + swap with an always-open "nobody attends" site; Lagrangian bound."""
        from siting.heuristics.pmedian import (
            PairsData,
            assignment_of,
            lagrangian_bound_pmedian,
            pmedian_greedy_swap,
        )

        assert self.p is not None
        pairs: ValuedPairs = built.data["pairs"]
        m, rows = inst.n_sites, pairs.n_rows
        gain = pairs.weight[pairs.row] * pairs.value
        best = np.zeros(rows)
        np.maximum.at(best, pairs.row, gain)
        # Costs best_g - gain_gj >= 0; the virtual site m (nobody attends) costs best_g.
        demand = np.r_[pairs.row, np.arange(rows)]
        site = np.r_[pairs.site, np.full(rows, m)]
        cost = np.r_[best[pairs.row] - gain, best]
        order = np.lexsort((site, cost, demand))
        pm = PairsData(demand[order], site[order], cost[order], rows, m + 1)
        fixed = np.r_[inst.existing, True]
        mask, value = pmedian_greedy_swap(pm, int(self.p), fixed, time_limit=time_limit)
        pos, _ = assignment_of(pm, mask)
        x = np.zeros(built.milp.num_cols)
        x[built.milp.block("y").slice] = mask[:m]
        chosen = order[pos[pos >= 0]]
        real = chosen[chosen < pairs.size]
        x[built.milp.block("x").start + real] = 1.0
        lower = lagrangian_bound_pmedian(pm, int(self.p), fixed, upper=value,
                                         time_limit=time_limit)
        bound = float(best.sum() - lower + built.milp.offset)
        return Start(x, bound=max(bound, built.milp.objective_of(x)))

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        selected, pos = selected_from(inst, x[built.milp.block("y").slice])
        return {"selected": selected, "assignment": attendance_table(inst, pos,
                                                                     self.decay_function())}


def attendance_table(inst: Instance, open_sites: IntArray, decay: Decay) -> pd.DataFrame:
    """Each point's nearest open site and the share of its weight that attends."""
    import pandas as pd

    near, dist = inst.metric.nearest_in(open_sites)
    share = decay.value(dist)
    keep = (near >= 0) & (share > 0)
    return pd.DataFrame({
        "demand_id": inst.demand_ids[keep], "site_id": inst.site_ids[near[keep]],
        "fraction": np.ones(int(keep.sum())), "distance": dist[keep],
        "attendance": inst.weight[keep] * share[keep],
    })
