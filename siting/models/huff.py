"""What the two market models share: Huff's pulls, the share rows and their tangents.

:class:`HuffModel` holds the competitors, the distance decay and the rows of
Haase's linear share (see :mod:`siting.models.market` for the formulation);
:class:`~siting.models.market.MarketShare` and
:class:`~siting.models.market.TargetShare` derive from it, and
:mod:`siting.models.market` re-exports these names.

>>> FORMULATIONS
('outer', 'haase')
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import SolveOptions, Status, relative_gap
from siting.coverage.base import segment_offsets
from siting.errors import ParameterError
from siting.instance import Instance
from siting.milp import MilpBuilder
from siting.models.attendance import decayed_pairs
from siting.models.base import Built, finish, selected_from
from siting.models.competitors import competitor_pull, read_competitors, site_attractiveness
from siting.models.decay import Decay
from siting.models.market_outer import solve_outer
from siting.models.valued_pairs import ValuedPairs, merge_valued_rows
from siting.models.with_start import ModelWithStart, Start
from siting.registry import (
    BETA,
    CANDIDATES,
    COMPETITORS,
    CUTOFF,
    DECAY,
    DECAY_SCALE,
    Param,
    Value,
    parameter,
)
from siting.solution import Solution

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: Tangents of each point's concave share added as valid rows.
TANGENTS = 8


def tangent_rows(b: MilpBuilder, inst: Instance, pairs: ValuedPairs, x: Any, y: Any,
                 count: int = TANGENTS) -> None:
    """Tangents of the concave share ``U / (U + C)`` as valid rows (an outer approximation).

    For binary ``y`` the captured share is ``f(Σ_j u_j y_j)`` with ``f`` concave, so
    ``Σ_j x_j ≤ f(U*) + f'(U*) (Σ_j u_j y_j − U*)`` holds for every ``U*``
    (Mai & Lodi 2020, *A multicut outer-approximation approach for competitive
    facility location under random utilities*, EJOR 284(3)). A few tangents per
    row, on a geometric grid from the smallest pull to all of them, cut the
    relaxation close to the concave envelope; the model stays exact.
    """
    rival = pairs.extra
    ratio = rival > 0
    if not ratio.any() or count < 1:
        return
    pull = np.bincount(pairs.row, weights=pairs.value, minlength=pairs.n_rows)
    least = np.full(pairs.n_rows, np.inf)
    np.minimum.at(least, pairs.row, pairs.value)
    rows = np.flatnonzero(ratio)
    grid = np.geomspace(least[rows], np.maximum(pull[rows], least[rows]), count, axis=1)
    slope = rival[rows, None] / (grid + rival[rows, None]) ** 2
    const = grid / (grid + rival[rows, None]) - slope * grid
    index = np.full(pairs.n_rows, -1, dtype=np.int64)
    index[rows] = np.arange(rows.size)
    sel = np.flatnonzero(ratio[pairs.row])  # pairs of rows with competitors
    local = index[pairs.row[sel]]
    tangent = np.arange(count)
    row_id = (local[:, None] * count + tangent[None, :]).ravel()
    n_rows = rows.size * count
    xmat = sp.csr_matrix((np.ones(row_id.size), (row_id, np.repeat(sel, count))),
                         shape=(n_rows, pairs.size))
    coef = -(slope[local] * pairs.value[sel, None]).ravel()
    ymat = sp.csr_matrix((coef, (row_id, np.repeat(pairs.site[sel], count))),
                         shape=(n_rows, inst.n_sites))
    b.concat_rows([(xmat, x), (ymat, y)], lower=-np.inf, upper=const.ravel(),
                  name="tangent")


# ----------------------------------------------------------------------- models
#: Formulations of the market models: outer approximation (default) or Haase's MILP.
FORMULATIONS = ("outer", "haase")
FORMULATION = Param(None, "outer (outer approximation, the default) or haase (one MILP).",
                    Value(str, choices=FORMULATIONS))
ATTRACTIVENESS = Param(None, "The sites' column of attractiveness (1 where absent).",
                       Value(str))


@dataclass(kw_only=True)
class HuffModel(ModelWithStart):
    """What the two market models share: competitors, pulls, the share rows.

    Its fields are keyword-only, so each model's own first field (``p``,
    ``share``) stays its first positional one.
    """

    competitors: Any = parameter(COMPETITORS)
    decay: str = parameter(DECAY, "power")
    beta: float = parameter(BETA, 1.0)
    cutoff: float | None = parameter(CUTOFF)
    scale: float = parameter(DECAY_SCALE, 1.0)
    attractiveness: str | None = parameter(ATTRACTIVENESS, "attractiveness")
    candidates: int | None = parameter(CANDIDATES)
    formulation: str = parameter(FORMULATION, "outer")
    needs_distances: ClassVar[bool] = True

    def decay_function(self) -> Decay:
        return Decay(self.decay, float(self.beta), self.cutoff, float(self.scale))

    def rivals(self) -> tuple[FloatArray, FloatArray]:
        """Competitors' points and attractiveness (read once)."""
        cached = getattr(self, "_rivals", None)
        if cached is None:
            if self.competitors is None:
                raise ParameterError("competitors are required (a file of their points)",
                                     field="competitors")
            cached = read_competitors(self.competitors)
            self._rivals = cached
        return cached

    def params(self) -> dict[str, Any]:
        out = super().params()
        given = out.pop("competitors")
        xy, _ = self.rivals()
        out["competitors"] = str(given) if isinstance(given, (str, Path)) else f"{len(xy)} points"
        out["n_competitors"] = len(xy)
        return out

    def check(self, inst: Instance) -> None:
        super().check(inst)
        self.decay_function()
        self.rivals()
        if self.cutoff is not None:
            inst.check_radius(float(self.cutoff))

    def share_pairs(self, inst: Instance) -> tuple[ValuedPairs, bool]:
        """Pairs with positive pull, merged rows (extra = competitors' pull), completeness."""
        decay = self.decay_function()
        demand, site, dist, complete = decayed_pairs(inst, decay, self.candidates)
        pull = site_attractiveness(inst, self.attractiveness)[site] * decay.value(dist)
        xy, attr = self.rivals()
        rival = competitor_pull(inst, decay, xy, attr)
        keep = (pull > 0) & (inst.weight[demand] > 0)
        return merge_valued_rows(demand[keep], site[keep], pull[keep], inst.weight,
                                 n_demand=inst.n_demand, extra=rival), complete

    def share_rows(self, b: MilpBuilder, inst: Instance, pairs: ValuedPairs) -> Any:
        """Columns y, x (pairs), x0 (rows) and the three row families of the module doc."""
        y = b.add_block("y", inst.n_sites, lower=inst.existing.astype(float), upper=1.0,
                        integer=True, cost=self.site_cost(inst))
        x = b.add_block("x", pairs.size, lower=0.0, upper=1.0,
                        cost=self.pair_cost(pairs))
        x0 = b.add_block("x0", pairs.n_rows, lower=0.0, upper=1.0)
        k = np.arange(pairs.size)
        one = np.ones(pairs.size)
        rival = pairs.extra[pairs.row]
        b.concat_rows(
            [(sp.csr_matrix((one, (pairs.row, k)), shape=(pairs.n_rows, pairs.size)), x),
             (sp.identity(pairs.n_rows, format="csr"), x0)],
            lower=1.0, upper=1.0, name="split",
        )
        ratio = np.flatnonzero(rival > 0)
        scale = np.maximum(rival[ratio], pairs.value[ratio])
        r = np.arange(ratio.size)
        b.concat_rows(
            [(sp.csr_matrix((rival[ratio] / scale, (r, ratio)), shape=(r.size, pairs.size)), x),
             (sp.csr_matrix((-pairs.value[ratio] / scale, (r, pairs.row[ratio])),
                            shape=(r.size, pairs.n_rows)), x0)],
            lower=-np.inf, upper=0.0, name="proportion",
        )
        most = pairs.value / (pairs.value + rival)
        b.concat_rows(
            [(sp.csr_matrix((one, (k, k)), shape=(pairs.size, pairs.size)), x),
             (sp.csr_matrix((-most, (k, pairs.site)), shape=(pairs.size, inst.n_sites)), y)],
            lower=-np.inf, upper=0.0, name="open",
        )
        tangent_rows(b, inst, pairs, x, y)
        return y, x, x0

    def built(self, b: MilpBuilder, inst: Instance, pairs: ValuedPairs, complete: bool) -> Built:
        """The model's arrays (in its sense) with the pairs and how many rows merged."""
        stats = {"demand_rows": inst.n_demand,
                 "rows_merged": int((pairs.group >= 0).sum() - pairs.n_rows)}
        return Built(b.build(sense=self.sense), {"pairs": pairs, "complete": complete,
                                                 "reduction": stats})

    def site_cost(self, inst: Instance) -> Any:
        return 0.0

    def pair_cost(self, pairs: ValuedPairs) -> Any:
        return 0.0

    def row_cost(self, pairs: ValuedPairs) -> Any:
        return 0.0

    # What each market model says about itself (see MarketShare, TargetShare).
    def outer_rows(self, b: MilpBuilder, inst: Instance, pairs: ValuedPairs, y: Any,
                   theta: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def start_mask(self, inst: Instance, pairs: ValuedPairs, time_limit: float | None
                   ) -> NDArray[np.bool_]:  # pragma: no cover - overridden
        raise NotImplementedError

    def value_of(self, inst: Instance, pairs: ValuedPairs, mask: NDArray[np.bool_]
                 ) -> float | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def better(self, value: float, than: float) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def proven(self, value: float, bound: float, gap: float
               ) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def huff(self, inst: Instance, pairs: ValuedPairs) -> Any:
        from siting.heuristics.huff import HuffPairs

        return HuffPairs(pairs.row, pairs.site, pairs.value, pairs.weight, pairs.extra,
                         inst.n_sites)

    def vector(self, built: Built, pairs: ValuedPairs, mask: NDArray[np.bool_]
               ) -> NDArray[np.float64]:
        """Column values of the open set ``mask``: the Huff shares of the module doc."""
        from siting.heuristics.huff import share_of

        own = np.bincount(pairs.row, weights=pairs.value * mask[pairs.site],
                          minlength=pairs.n_rows).astype(np.float64)
        rival = pairs.extra
        total = own + rival
        x = np.zeros(built.milp.num_cols)
        x[built.milp.block("y").slice] = mask
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(mask[pairs.site], pairs.value / total[pairs.row], 0.0)
        x[built.milp.block("x").slice] = np.nan_to_num(part)
        x[built.milp.block("x0").slice] = 1.0 - share_of(own, rival)
        return x

    def start(self, inst: Instance, built: Built, time_limit: float | None) -> Start | None:
        pairs: ValuedPairs = built.data["pairs"]
        return Start(self.vector(built, pairs, self.start_mask(inst, pairs, time_limit)))

    def run(
        self, inst: Instance, solver: str, options: SolveOptions, *, verify: bool
    ) -> Solution:
        """The outer-approximation loop (:mod:`siting.models.market_outer`), or Haase's MILP."""
        formulation = getattr(self, "formulation", "outer")
        if formulation not in FORMULATIONS:
            raise ParameterError(f"formulation must be one of {', '.join(FORMULATIONS)}",
                                 field="formulation", value=formulation)
        if formulation == "haase" or solver == "heuristic":
            return super().run(inst, solver, options, verify=verify)
        options = options or SolveOptions()
        self.check(inst)
        return finish(inst, self, solve_outer(self, inst, solver, options), verify)

    def outer_solution(
        self, inst: Instance, pairs: ValuedPairs, mask: NDArray[np.bool_] | None,
        status: Status, value: float | None, bound: float | None, complete: bool,
        message: str, t0: float, stats: dict[str, Any],
    ) -> Solution:
        """The loop's best sites as a :class:`Solution` (restricted pairs: no proof)."""
        fields: dict[str, Any] = {"selected": [], "existing": list(inst.site_ids[inst.existing])}
        if mask is None:
            status = Status.NO_SOLUTION if status != Status.INFEASIBLE else status
        else:
            selected, _ = selected_from(inst, mask.astype(np.float64))
            fields.update(selected=selected, assignment=huff_assignment(inst, pairs, mask))
        if not complete and mask is not None:
            # The restriction's bound is no bound on the full problem.
            if status == Status.OPTIMAL:
                message = "pairs restricted to the nearest candidates: optimal for that restriction"
            status, bound = Status.FEASIBLE, None
        gap = relative_gap(value, bound, self.sense)
        runtime = time.perf_counter() - t0
        return Solution(
            model=self.name, instance=inst.name, status=status, backend="outer", objective=value,
            bound=bound, gap=gap, runtime_s=runtime, params=self.params(),
            message="" if status == Status.OPTIMAL else message,
            stats={**stats, "solve_s": round(runtime, 6)}, **fields,
        )

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        """The open sites and, per (point, open site), the Huff share it captures."""
        y = x[built.milp.block("y").slice]
        selected, _ = selected_from(inst, y)
        mask = (y > 0.5) | inst.existing
        return {"selected": selected,
                "assignment": huff_assignment(inst, built.data["pairs"], mask)}


def huff_assignment(inst: Instance, pairs: ValuedPairs, mask: NDArray[np.bool_]) -> pd.DataFrame:
    """Per (point, open site) pair, the share of the point's weight the site captures."""
    import pandas as pd

    own = np.bincount(pairs.row, weights=pairs.value * mask[pairs.site], minlength=pairs.n_rows)
    total = np.where(pairs.extra > 0, own + pairs.extra, own)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.nan_to_num(np.where(mask[pairs.site], pairs.value / total[pairs.row], 0.0))
    # Members take their group's shares (the first member's pairs are the group's).
    member = np.flatnonzero(pairs.group >= 0)
    group = pairs.group[member]
    start = np.searchsorted(pairs.row, group)
    lens = np.searchsorted(pairs.row, group, side="right") - start
    demand = np.repeat(member, lens)
    k = np.repeat(start, lens) + segment_offsets(lens)
    keep = shares[k] > 1e-12
    return pd.DataFrame({
        "demand_id": inst.demand_ids[demand[keep]],
        "site_id": inst.site_ids[pairs.site[k[keep]]],
        "fraction": np.clip(shares[k[keep]], 0.0, 1.0),
    })
