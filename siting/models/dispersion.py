"""p-dispersion: open ``p`` sites as far apart as possible (maximise the least distance).

The least distance counts every pair of open sites, existing facilities
included (as spopt's ``PDispersion`` with predefined sites); ``p`` counts new
sites. Kuby (1987), *Programming models for facility dispersion: the
p-dispersion and maxisum dispersion problems*, Geographical Analysis 19(4),
states the problem; its textbook MILP (``D ≤ d_ij + M(2 − y_i − y_j)`` over
every pair, as in spopt) is dense and weak.

Formulation (distance levels, after Sayah & Irnich 2017, *A new compact
formulation for the discrete p-dispersion problem*, EJOR 256(1)): with a
lower bound ``L`` (the farthest-first greedy + swap value) and the distinct
pair distances ``L < r_1 < … < r_K ≤ U``,

    max  L + Σ_k (r_k − r_{k−1}) u_k          (r_0 = L)
    s.t. y_a + y_b ≤ 1                         pairs with d_ab < L
         y_a + y_b + u_{k(ab)} ≤ 2             pairs with L ≤ d_ab < r_K, k(ab) the
                                               first level above d_ab
         u_k ≤ u_{k−1},  Σ_new y_j = p,  y ∈ {0, 1},  u ∈ [0, 1]

(``u`` is integral whenever ``y`` is). Only site pairs within ``U`` get a row:
``U = 2L``, which bounds the optimum in a metric space (the greedy is a
2-approximation); the restricted problem's value is ``min(D, r_K)``, so an
optimum below ``r_K`` is the optimum, and one that reaches ``r_K`` is re-solved
with ``U`` doubled (rare; at last with every pair).

>>> import pandas as pd
>>> from siting.instance import Instance
>>> pts = pd.DataFrame({"x": [0.0, 1, 5, 9, 10], "y": [0.0] * 5})
>>> PDispersion(p=3).solve(Instance.from_frames(pts, pts, weight=None)).objective
5.0
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import SolveOptions, Status
from siting.coverage import Metric
from siting.errors import ParameterError
from siting.heuristics.dispersion import column, dispersion_greedy_swap, least_distance
from siting.instance import Instance
from siting.milp import MilpBuilder, Sense
from siting.models.base import Built, check_p, finish, selected_from
from siting.models.with_start import START_SHARE, ModelWithStart, Start
from siting.registry import P, parameter
from siting.solution import Solution

#: Rounds with a doubled reach before every pair is taken.
DOUBLINGS = 3
#: Relative slack under which two distances count as the same level.
LEVEL_TOL = 1e-9


def site_metric(inst: Instance) -> Metric:
    """Distances between the instance's sites (built once per instance)."""
    cached = getattr(inst, "_site_metric", None)
    if cached is None:
        cached = inst.metric.site_to_site()
        if cached is None:
            raise ParameterError(
                f"{inst.name} gives no distances between sites; p-dispersion needs them",
                path=inst.source, field="model", value="p-dispersion",
            )
        inst._site_metric = cached  # type: ignore[attr-defined]
    return cached


@dataclass
class PDispersion(ModelWithStart):
    """Open ``p`` new sites maximising the least distance between open sites.

    Kuby (1987)::

        max  D
        s.t. D ≤ d_ab   for every pair of open sites a, b (existing ones included)
             Σ_{j ∉ J_0} y_j = p,  y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    solved in the distance-level form of the module docstring (Sayah &
    Irnich 2017): a start from farthest-first greedy and swaps gives a lower
    bound :math:`L`; rows only for site pairs within :math:`2L`, widened when
    the optimum reaches that reach. The demand points play no part.

    Parameters
    ----------
    p : int
        Number of new sites to open, exactly; with the existing ones at least two.

    Notes
    -----
    spopt's ``PDispersion`` solves the textbook big-M model over every pair;
    the optimum is the same.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> pts = pd.DataFrame({"x": [0.0, 1, 5, 9, 10], "y": [0.0] * 5})
    >>> PDispersion(p=2).solve(Instance.from_frames(pts, pts, weight=None)).objective
    10.0
    """

    p: int | None = parameter(P)
    name: ClassVar[str] = "p-dispersion"
    sense: ClassVar[Sense] = "max"
    needs_distances: ClassVar[bool] = True

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_p(self.p, inst, required=True)
        assert self.p is not None
        site_metric(inst)
        if self.p + int(inst.existing.sum()) < 2:
            raise ParameterError(
                "p-dispersion needs at least two open sites (p plus existing ones)",
                field="p", value=self.p,
            )

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        """Greedy + swap for ``L``, then the level model over pairs within ``U`` (module doc)."""
        assert self.p is not None
        t0 = time.perf_counter()
        metric = site_metric(inst)
        limit = None if options.time_limit is None else START_SHARE * options.time_limit
        mask, lower = dispersion_greedy_swap(metric, self.p, inst.existing, time_limit=limit)
        self._start_mask, self._lower = mask, lower
        upper = 2.0 * lower if 0 < lower < np.inf else float(column(metric, 0).max()) * 2 or 1.0
        rounds = 0
        while True:
            rounds += 1
            self._upper = upper if rounds <= DOUBLINGS else np.inf
            limit = options.time_limit
            left = None if limit is None else max(limit - (time.perf_counter() - t0), 0.01)
            sol = super().run(inst, solver, replace(options, time_limit=left), verify=False)
            reached_top = (
                sol.objective is not None
                and sol.objective >= self._top * (1 - LEVEL_TOL) - 1e-12
            )
            if sol.status != Status.OPTIMAL or self._complete or not reached_top:
                break
            if limit is not None and time.perf_counter() - t0 >= limit:
                break
            upper *= 2.0
        if not self._complete and reached_top and sol.status.has_solution:
            # The restriction cannot see beyond its top level: no proof, no bound.
            sol.status, sol.bound, sol.gap = Status.FEASIBLE, None, None
            sol.message = "least distance reached the reach of the model; not proven"
        sol.stats.update(rounds=rounds, greedy_value=lower)
        sol.runtime_s = time.perf_counter() - t0
        return finish(inst, self, sol, verify)

    def build(self, inst: Instance) -> Built:
        assert self.p is not None
        metric = site_metric(inst)
        lower = float(getattr(self, "_lower", 0.0))
        capped = least_distance(metric, inst.existing)  # two existing sites cap the value
        upper = min(float(getattr(self, "_upper", np.inf)), capped)
        new = ~inst.existing
        pairs = sp.coo_matrix(metric.within(upper))
        keep = (pairs.row < pairs.col) & (new[pairs.row] | new[pairs.col])
        a, b = pairs.row[keep].astype(np.int64), pairs.col[keep].astype(np.int64)
        dist = np.where(pairs.data[keep] <= 1e-11, 0.0, pairs.data[keep])
        self._complete = bool(
            not np.isfinite(upper) or upper >= capped
            or pairs.nnz >= inst.n_sites * inst.n_sites
        )
        close = dist < lower * (1 - LEVEL_TOL)
        # A new site closer than L to an existing one cannot be open in a solution of value L.
        near_existing = close & (inst.existing[a] | inst.existing[b])
        shut = np.zeros(inst.n_sites, dtype=bool)
        shut[np.where(inst.existing[a], b, a)[near_existing]] = True
        levels = np.unique(dist[dist > lower * (1 + LEVEL_TOL)])
        levels = _distinct(levels)
        self._top = float(levels[-1]) if levels.size else lower
        builder = MilpBuilder()
        y = builder.add_block("y", inst.n_sites, lower=inst.existing.astype(float),
                              upper=(~shut).astype(float), integer=True)
        u = builder.add_block("u", levels.size, lower=0.0, upper=1.0,
                              cost=np.diff(np.r_[lower, levels]))
        both_new = close & ~near_existing
        n_conflict = int(both_new.sum())
        if n_conflict:
            rows = np.repeat(np.arange(n_conflict), 2)
            cols = np.column_stack([a[both_new], b[both_new]]).ravel()
            builder.add_rows(
                sp.csr_matrix((np.ones(rows.size), (rows, cols)),
                              shape=(n_conflict, inst.n_sites)),
                lower=-np.inf, upper=1.0, cols=y, name="conflict",
            )
        self._level_rows(builder, y, u, a, b, dist, levels, lower, inst.n_sites)
        builder.add_rows(sp.csr_matrix(new.astype(float)[None, :]), lower=float(self.p),
                         upper=float(self.p), cols=y, name="p")
        milp = builder.build(sense="max", offset=lower)
        stats = {"site_pairs": int(a.size), "levels": int(levels.size),
                 "sites_dropped": int(shut.sum())}
        return Built(milp, {"reduction": stats})

    @staticmethod
    def _level_rows(
        builder: MilpBuilder, y: Any, u: Any, a: NDArray[np.int64], b: NDArray[np.int64],
        dist: NDArray[np.float64], levels: NDArray[np.float64], lower: float, m: int,
    ) -> None:
        """y_a + y_b + u_k(ab) <= 2 for pairs below the top level; u monotone."""
        if not levels.size:
            return
        ranked = (dist >= lower * (1 - LEVEL_TOL)) & (dist < levels[-1] * (1 - LEVEL_TOL))
        k = np.searchsorted(levels, dist[ranked] * (1 + LEVEL_TOL), side="right")
        n = int(ranked.sum())
        r = np.arange(n)
        ymat = sp.csr_matrix(
            (np.ones(2 * n), (np.r_[r, r], np.r_[a[ranked], b[ranked]])), shape=(n, m)
        )
        umat = sp.csr_matrix((np.ones(n), (r, k)), shape=(n, levels.size))
        builder.concat_rows([(ymat, y), (umat, u)], lower=-np.inf, upper=2.0, name="level")
        if levels.size > 1:
            j = np.arange(levels.size - 1)
            mono = sp.csr_matrix(
                (np.r_[-np.ones(j.size), np.ones(j.size)], (np.r_[j, j], np.r_[j, j + 1])),
                shape=(j.size, levels.size),
            )
            builder.add_rows(mono, lower=-np.inf, upper=0.0, cols=u, name="monotone")

    def start(self, inst: Instance, built: Built, time_limit: float | None) -> Start | None:
        x = np.zeros(built.milp.num_cols)
        x[built.milp.block("y").slice] = self._start_mask
        return Start(x)

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        selected, _ = selected_from(inst, x[built.milp.block("y").slice])
        return {"selected": selected}


def _distinct(levels: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sorted levels with values within :data:`LEVEL_TOL` of the previous kept one merged."""
    if levels.size < 2:
        return levels
    keep = np.ones(levels.size, dtype=bool)
    keep[1:] = np.diff(levels) > LEVEL_TOL * np.abs(levels[1:])
    return levels[keep]
