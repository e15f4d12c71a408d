"""Outer approximation of the Huff market models: tangent cuts of each point's concave share.

For binary ``y`` a row ``g`` (weight ``W_g``, competitors' pull ``C_g``) gives
``W_g f_g(U_g)`` with ``U_g = Σ_j u_gj y_j`` and ``f_g(U) = U / (U + C_g)``,
concave and increasing. Replacing ``f_g`` by ``θ_g`` under its tangents,

    θ_g ≤ f_g(U*) + f_g'(U*) (Σ_j u_gj y_j − U*)      for tangent points U*
    θ_g ≤ Σ_j y_j  over the sites in reach           (rows no competitor reaches)

is a relaxation that is exact at every tangent point. The loop (Mai & Lodi
2020, *A multicut outer-approximation approach for competitive facility
location under random utilities*, EJOR 284(3); Ljubić & Moreno 2018, EJOR
266(1)) solves the relaxation, evaluates the chosen sites exactly, adds the
tangents at their pulls where ``θ`` overshoots, and stops when the
relaxation's bound meets the best exact value (within the gap tolerance).
Every step is an ordinary MILP on any back end; the relaxation's bound is
always valid, so a stopped loop reports a true gap. It starts from the
heuristic's sites and a few tangents per row on a geometric grid of pulls.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import SolveOptions, Status, get_backend
from siting.heuristics.huff import share_of
from siting.instance import Instance
from siting.milp import MilpArrays, MilpBuilder, Sense
from siting.models.valued_pairs import ValuedPairs
from siting.solution import Solution

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class HuffModel(Protocol):
    """What the loop asks of a market model (:class:`siting.models.market.HuffModel`:
    declared here, so that the model imports the loop and not the reverse)."""

    sense: ClassVar[Sense]

    def share_pairs(self, inst: Instance) -> tuple[ValuedPairs, bool]: ...
    def site_cost(self, inst: Instance) -> Any: ...
    def row_cost(self, pairs: ValuedPairs) -> Any: ...
    def outer_rows(self, b: MilpBuilder, inst: Instance, pairs: ValuedPairs, y: Any,
                   theta: Any) -> None: ...
    def start_mask(self, inst: Instance, pairs: ValuedPairs, time_limit: float | None
                   ) -> BoolArray: ...
    def value_of(self, inst: Instance, pairs: ValuedPairs, mask: BoolArray) -> float | None: ...
    def better(self, value: float, than: float) -> bool: ...
    def proven(self, value: float, bound: float, gap: float) -> bool: ...
    def outer_solution(
        self, inst: Instance, pairs: ValuedPairs, mask: BoolArray | None,
        status: Status, value: float | None, bound: float | None, complete: bool,
        message: str, t0: float, stats: dict[str, Any],
    ) -> Solution: ...
#: Tangent points per row before the first solve.
GRID = 4
#: Most relaxations solved before the loop stops with its gap.
MAX_ROUNDS = 200
#: θ above the exact share by more than this gets a new tangent.
CUT_TOL = 1e-9


@dataclass
class Cuts:
    """Tangent rows ``θ_row ≤ const + slope · U_row``, gathered over the rounds."""

    row: list[IntArray] = field(default_factory=list)
    const: list[FloatArray] = field(default_factory=list)
    slope: list[FloatArray] = field(default_factory=list)

    def add(self, pairs: ValuedPairs, rows: IntArray, at: FloatArray) -> None:
        rival = pairs.extra[rows]
        slope = rival / (at + rival) ** 2
        self.row.append(rows)
        self.const.append(at / (at + rival) - slope * at)
        self.slope.append(slope)

    @property
    def size(self) -> int:
        return int(sum(r.size for r in self.row))


def own_pull(pairs: ValuedPairs, mask: BoolArray) -> FloatArray:
    return np.bincount(pairs.row, weights=pairs.value * mask[pairs.site],
                       minlength=pairs.n_rows).astype(np.float64)


def first_cuts(pairs: ValuedPairs, start: BoolArray) -> Cuts:
    """A geometric grid of pulls per row with competitors, and the start's own pulls."""
    cuts = Cuts()
    rows = np.flatnonzero(pairs.extra > 0)
    if not rows.size:
        return cuts
    least = np.full(pairs.n_rows, np.inf)
    np.minimum.at(least, pairs.row, pairs.value)
    every = own_pull(pairs, np.ones(int(pairs.site.max(initial=0)) + 1, dtype=bool))
    grid = np.geomspace(least[rows], np.maximum(every[rows], least[rows]), GRID, axis=1)
    for k in range(GRID):
        cuts.add(pairs, rows, grid[:, k])
    at = own_pull(pairs, start)[rows]
    pos = at > 0
    cuts.add(pairs, rows[pos], at[pos])
    return cuts


def relaxation(
    model: HuffModel, inst: Instance, pairs: ValuedPairs, cuts: Cuts
) -> tuple[MilpArrays, Any, Any]:
    """The MILP over ``y`` and ``θ`` with the cuts so far (and the model's own rows)."""
    b = MilpBuilder()
    y = b.add_block("y", inst.n_sites, lower=inst.existing.astype(float), upper=1.0,
                    integer=True, cost=model.site_cost(inst))
    theta = b.add_block("theta", pairs.n_rows, lower=0.0, upper=1.0,
                        cost=model.row_cost(pairs))
    pull = sp.csr_matrix((pairs.value, (pairs.row, pairs.site)),
                         shape=(pairs.n_rows, inst.n_sites))
    if cuts.size:
        rows = np.concatenate(cuts.row)
        n = rows.size
        pick = sp.csr_matrix((np.ones(n), (np.arange(n), rows)), shape=(n, pairs.n_rows))
        ymat = sp.diags(-np.concatenate(cuts.slope)) @ pick @ pull
        b.concat_rows([(pick, theta), (ymat, y)], lower=-np.inf,
                      upper=np.concatenate(cuts.const), name="tangent")
    alone = np.flatnonzero(pairs.extra <= 0)
    if alone.size:
        reach = sp.csr_matrix(pull[alone], copy=True)
        reach.data[:] = 1.0
        pick = sp.csr_matrix((np.ones(alone.size), (np.arange(alone.size), alone)),
                             shape=(alone.size, pairs.n_rows))
        b.concat_rows([(pick, theta), (-reach, y)], lower=-np.inf, upper=0.0, name="reach")
    model.outer_rows(b, inst, pairs, y, theta)
    return b.build(sense=model.sense), y, theta


def exact_shares(pairs: ValuedPairs, mask: BoolArray) -> FloatArray:
    return share_of(own_pull(pairs, mask), pairs.extra)


def solve_outer(
    model: HuffModel, inst: Instance, solver: str, options: SolveOptions
) -> Solution:
    """The outer-approximation loop of the module docstring, as a :class:`Solution`."""
    t0 = time.perf_counter()
    backend = get_backend(solver)
    pairs, complete = model.share_pairs(inst)
    limit = None if options.time_limit is None else 0.2 * options.time_limit
    best = model.start_mask(inst, pairs, limit)
    best_value = model.value_of(inst, pairs, best)
    cuts = first_cuts(pairs, best)
    bound: float | None = None
    status = Status.FEASIBLE
    rounds, message = 0, ""
    milp: MilpArrays | None = None
    while rounds < MAX_ROUNDS:
        rounds += 1
        milp, y, theta = relaxation(model, inst, pairs, cuts)
        left = None
        if options.time_limit is not None:
            left = options.time_limit - (time.perf_counter() - t0)
            if left <= 0:
                message = "stopped by the time limit"
                break
        start = None
        if best_value is not None:
            start = np.zeros(milp.num_cols)
            start[y.slice] = best
            start[theta.slice] = exact_shares(pairs, best)
        result = backend.solve(milp, replace(options, time_limit=left, warm_start=start,
                                             progress=None))
        if result.bound is not None:
            bound = result.bound if bound is None else (
                min(bound, result.bound) if model.sense == "max" else max(bound, result.bound))
        if not result.status.has_solution or result.x is None:
            if result.status == Status.INFEASIBLE and best_value is None:
                status = Status.INFEASIBLE
            message = result.message
            break
        chosen = (result.x[y.slice] > 0.5) | inst.existing
        value = model.value_of(inst, pairs, chosen)
        if value is not None and (best_value is None or model.better(value, best_value)):
            best, best_value = chosen, value
        if best_value is not None and bound is not None and model.proven(
            best_value, bound, options.mip_gap
        ):
            status = Status.OPTIMAL if result.status == Status.OPTIMAL else Status.FEASIBLE
            break
        over = np.flatnonzero((result.x[theta.slice] > exact_shares(pairs, chosen) + CUT_TOL)
                              & (pairs.extra > 0))
        at = own_pull(pairs, chosen)[over]
        if not over.size or result.status != Status.OPTIMAL:
            message = result.message or "no cut improves the relaxation"
            break
        cuts.add(pairs, over, np.maximum(at, np.finfo(float).tiny))
    return model.outer_solution(
        inst, pairs, best if best_value is not None else None, status, best_value, bound,
        complete, message, t0,
        {"rounds": rounds, "tangent_rows": cuts.size,
         "columns": 0 if milp is None else milp.num_cols,
         "rows": 0 if milp is None else milp.num_rows,
         "nonzeros": 0 if milp is None else int(milp.A.nnz)},
    )


def ceil_bound(bound: float, tol: float = 1e-6) -> float:
    """A lower bound on a count, rounded up (counts are integers)."""
    return float(math.ceil(bound - tol))
