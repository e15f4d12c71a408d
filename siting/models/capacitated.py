"""Capacitated models: capacitated p-median, capacitated set covering, capacitated coverage.

A site ``j`` serves at most its capacity ``Q_j`` (the ``capacity`` column of
the sites; unlimited where absent). Assignment variables ``x_ij`` (the share
of point ``i``'s weight ``w_i`` served by ``j``) exist only on usable pairs:
every pair (or the ``k`` nearest) for the p-median, pairs within the radius
for the covering models. Demand may be split between sites, or, with
``single_source``, served by one site only (``x`` binary). Rows, stacked in
CSR (no loop over pairs):

    Σ_j x_ij = 1  (≤ 1 for CMCLP)      Σ_i w_i x_ij ≤ Q_j y_j      x_ij ≤ y_j

the last, for CLSCP, only where the capacity row does not imply it (points
of weight 0, sites without a capacity): there one row per pair made the LP
10–20× slower (500 × 60) for a bound the solver recovers by itself. The
p-median (30× faster to prove, 400 × 40) and CMCLP (gap 0.2% instead of 10%
after 60 s, 5000 × 200) keep every link row: their objectives need the bound.

- ``CPMedian`` — min Σ w_i d_ij x_ij with ``Σ_new y = p`` (spopt's capacitated
  ``PMedian``); ``fulfil_existing`` fills every existing site to its capacity
  first, ``Σ_i w_i x_ij = Q_j`` (spopt's ``predefined_facility_col`` with
  ``fulfill_predefined_fac``).
- ``CLSCP`` — min Σ_new y (or their cost) serving every point within the
  radius (Current & Storbeck 1988, *Capacitated covering models*, Environment
  and Planning B 15(2); spopt's CLSCP-SO when split).
- ``CMCLP`` — max Σ w_i x_ij, at most ``p`` new sites: the weight within the
  radius that the open sites' capacities can serve (Current & Storbeck 1988;
  ArcGIS's Maximize Capacitated Coverage).

With split demand, points with the same covering sites merge into one row
(their weights summed; exact, each member takes the group's shares). An
aggregate cut ``Σ_j Q_j y_j ≥ Σ_i w_i`` tightens the models that serve
everyone when every capacity is finite.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> d = pd.DataFrame({"x": [0.0, 1, 10], "y": [0.0] * 3, "weight": [4, 4, 4]})
>>> s = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "capacity": [6, 12]})
>>> inst = Instance.from_frames(d, s, capacity="capacity")
>>> CLSCP(radius=20).solve(inst).objective          # one site of 6 cannot serve 12
1.0
>>> CMCLP(radius=2, p=1).solve(inst).objective      # site 0 reaches 8 but holds 6
6.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.errors import InfeasibleError, ParameterError
from siting.instance import Instance
from siting.milp import Block, MilpBuilder, Sense
from siting.models.assign import assignment_pairs
from siting.models.base import Built, check_p, check_radius, selected_from
from siting.models.covering import coverage_pattern
from siting.models.facility import unit_assignment_cost
from siting.models.reach import refuse_unreached
from siting.models.valued_pairs import RowPairs
from siting.models.with_start import ModelWithStart
from siting.reduce import merge_equal_rows
from siting.registry import (
    CANDIDATES,
    FULFIL_EXISTING,
    RADIUS,
    SINGLE_SOURCE,
    WEIGHTED_COST,
    P,
    parameter,
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass
class ServicePairs(RowPairs):
    """Assignment pairs over rows (demand points, or groups of equal ones) and sites.

    ``row``/``site`` index the pairs (sorted by row, then site), ``weight`` is
    each row's weight and ``pair_of`` maps every original (demand, site) pair
    ``(demand[k], site_of[k])`` to its pair position.
    """

    row: IntArray
    site: IntArray
    weight: FloatArray
    demand: IntArray
    site_of: IntArray
    pair_of: IntArray
    #: False when only the nearest candidates were paired (a restriction).
    complete: bool = True


def pairs_within(inst: Instance, radius: float, *, merge: bool) -> ServicePairs:
    """Pairs within ``radius``; with ``merge``, equal covering rows as one (weights summed)."""
    cov = coverage_pattern(inst, radius)
    coo = sp.coo_matrix(cov)
    order = np.lexsort((coo.col, coo.row))
    demand, site = coo.row[order].astype(np.int64), coo.col[order].astype(np.int64)
    if not merge:
        k = np.arange(demand.size)
        return ServicePairs(demand, site, inst.weight.copy(), demand, site, k)
    red = merge_equal_rows(cov, inst.weight)
    gcoo = sp.coo_matrix(red.cov)
    gorder = np.lexsort((gcoo.col, gcoo.row))
    row, gsite = gcoo.row[gorder].astype(np.int64), gcoo.col[gorder].astype(np.int64)
    # A member's k-th entry is its group's k-th entry (same sorted columns).
    rank = np.arange(demand.size) - cov.indptr[demand]
    pair_of = red.cov.indptr[red.group[demand]] + rank
    return ServicePairs(row, gsite, red.weight, demand, site, pair_of.astype(np.int64))


def capacity_rows(
    b: MilpBuilder, inst: Instance, pairs: ServicePairs, x: Block, y: Block, *,
    serve_all: bool, fulfil: NDArray[np.bool_] | None = None, strong: bool = False,
) -> None:
    """Assignment (= 1 or ≤ 1), link x ≤ y, capacity and (optionally) fulfilment rows.

    ``strong`` keeps a link row for every pair (see the module docstring).
    """
    k = np.arange(pairs.size)
    one = np.ones(pairs.size)
    b.add_rows(
        sp.csr_matrix((one, (pairs.row, k)), shape=(pairs.n_rows, pairs.size)),
        lower=1.0 if serve_all else -np.inf, upper=1.0, cols=x, name="assign",
    )
    cap = inst.capacity
    # x_ij <= y_j where no capacity row forces it (a weightless point, an unlimited
    # site): elsewhere the capacity row implies it, and the rows would only slow
    # the LP down (one per pair, highly degenerate).
    needs = strong | (pairs.weight[pairs.row] <= 0) | ~np.isfinite(cap[pairs.site]) | (
        cap[pairs.site] <= 0)
    link = k[needs]
    b.concat_rows(
        [(sp.csr_matrix((one[needs], (np.arange(link.size), link)),
                        shape=(link.size, pairs.size)), x),
         (sp.csr_matrix((-one[needs], (np.arange(link.size), pairs.site[link])),
                        shape=(link.size, inst.n_sites)), y)],
        lower=-np.inf, upper=0.0, name="link",
    )
    load = sp.csr_matrix(
        (pairs.weight[pairs.row], (pairs.site, k)), shape=(inst.n_sites, pairs.size)
    )
    finite = np.flatnonzero(np.isfinite(cap) & (cap > 0))
    if finite.size:
        b.concat_rows(
            [(load[finite], x),
             (sp.csr_matrix((-cap[finite], (np.arange(finite.size), finite)),
                            shape=(finite.size, inst.n_sites)), y)],
            lower=-np.inf, upper=0.0, name="capacity",
        )
    zero = np.flatnonzero(cap == 0)  # a capacity of 0 serves no one (not: no limit)
    if zero.size:
        b.add_rows(load[zero], lower=-np.inf, upper=0.0, cols=x, name="no_capacity")
    if fulfil is not None and fulfil.any():
        full = np.flatnonzero(fulfil)
        b.add_rows(load[full], lower=cap[full], upper=cap[full], cols=x, name="fulfil")
    total = float(pairs.weight.sum())
    if serve_all and np.isfinite(cap).all() and total > 0:
        b.add_rows(sp.csr_matrix(np.minimum(cap, total)[None, :]), lower=total, upper=np.inf,
                   cols=y, name="total_capacity")


def assignment_frame(inst: Instance, pairs: ServicePairs, shares: FloatArray) -> Any:
    """Per original (demand, site) pair with a positive share: the share served."""
    import pandas as pd

    frac = shares[pairs.pair_of]
    keep = frac > 1e-9
    return pd.DataFrame({
        "demand_id": inst.demand_ids[pairs.demand[keep]],
        "site_id": inst.site_ids[pairs.site_of[keep]],
        "fraction": np.round(np.clip(frac[keep], 0.0, 1.0), 12),
    })


def check_capacity(inst: Instance, model: str) -> None:
    """Capacities are numbers >= 0 (the instance checks); at least one site has one."""
    if not np.isfinite(inst.capacity).any():
        raise ParameterError(
            f"{model} needs site capacities (a 'capacity' column of the sites)",
            path=inst.source, field="capacity",
        )


class CapacitatedModel(ModelWithStart):
    """What the three models share: pairs, the assignment block, decoding."""

    single_source: bool = False

    def pairs(self, inst: Instance) -> ServicePairs:  # pragma: no cover - overridden
        raise NotImplementedError

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        selected, _ = selected_from(inst, x[built.milp.block("y").slice])
        pairs: ServicePairs = built.data["pairs"]
        shares = x[built.milp.block("x").slice]
        return {"selected": selected, "assignment": assignment_frame(inst, pairs, shares)}

    def assignment_block(
        self, b: MilpBuilder, inst: Instance, pairs: ServicePairs, cost: Any = 0.0,
        y_cost: Any = 0.0,
    ) -> tuple[Block, Block]:
        y = b.add_block("y", inst.n_sites, lower=inst.existing.astype(float), upper=1.0,
                        integer=True, cost=y_cost)
        x = b.add_block("x", pairs.size, lower=0.0, upper=1.0, integer=self.single_source,
                        cost=cost)
        return y, x


def _p_row(b: MilpBuilder, inst: Instance, y: Block, p: int, *, exact: bool) -> None:
    new = (~inst.existing).astype(float)
    b.add_rows(sp.csr_matrix(new[None, :]), lower=float(p) if exact else -np.inf,
               upper=float(p), cols=y, name="p")


@dataclass
class CPMedian(CapacitatedModel):
    r"""Capacitated p-median: ``p`` new sites, each serving at most its capacity, at least
    weighted distance.

    With :math:`x_{ij} \in [0, 1]` the share of point :math:`i` served by
    :math:`j` (binary with ``single_source``) and :math:`Q_j` the capacities::

        min  Σ_i Σ_j w_i d_ij x_ij
        s.t. Σ_j x_ij = 1                 for every i       (row "assign")
             Σ_i w_i x_ij ≤ Q_j y_j       for every j       (row "capacity"; = Q_j for
                                                             existing j with fulfil_existing)
             x_ij ≤ y_j                   for every pair    (row "link")
             Σ_{j ∉ J_0} y_j = p                            (row "p")
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    Infeasible data (the existing sites and the ``p`` largest new ones hold
    less than the total demand) are said before any solve.

    Parameters
    ----------
    p : int
        Number of new sites to open, exactly (existing ones are not counted).
    fulfil_existing : bool
        Fill every existing site to its capacity first (spopt's
        ``fulfill_predefined_fac``); default False.
    single_source : bool
        Each point served by one site (``x`` binary); default False: demand
        may be split between sites.
    candidates : int, optional
        Restrict each point to its k nearest sites (then optimal only for that
        restriction, reported as feasible).

    Notes
    -----
    spopt's capacitated ``PMedian`` serves each point from one site; here
    demand is split by default, whose optimum is never worse and may be
    better. ``single_source=True`` gives spopt's model and objective.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0.0, 1, 10], "y": [0.0] * 3, "weight": [4, 4, 4]})
    >>> s = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "capacity": [6, 12]})
    >>> inst = Instance.from_frames(d, s, capacity="capacity")
    >>> CPMedian(p=2).solve(inst).objective       # point 1: 2 × 1 to site 0, 2 × 9 to site 1
    20.0
    >>> CPMedian(p=2, single_source=True).solve(inst).objective     # all 4 × 9
    36.0
    """

    p: int | None = parameter(P)
    fulfil_existing: bool = parameter(FULFIL_EXISTING, False)
    single_source: bool = parameter(SINGLE_SOURCE, False)
    candidates: int | None = parameter(CANDIDATES)
    name: ClassVar[str] = "cp-median"
    needs_distances: ClassVar[bool] = True

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_p(self.p, inst, required=True)
        check_capacity(inst, self.name)
        total = float(inst.weight.sum())
        cap = inst.capacity
        if self.fulfil_existing:
            bad = inst.existing & ~np.isfinite(cap)
            if bad.any():
                raise ParameterError(
                    "fulfil_existing needs a finite capacity for every existing site",
                    path=inst.source, field="capacity", value=str(inst.site_ids[bad][0]),
                )
            filled = float(cap[inst.existing].sum())
            if filled > total * (1 + 1e-12):
                raise InfeasibleError(
                    f"{self.name}: the existing sites' capacities ({filled:g}) exceed the "
                    f"total demand ({total:g}); they cannot all be filled"
                )
        assert self.p is not None
        most = float(cap[inst.existing].sum()) + float(
            np.sort(cap[~inst.existing])[::-1][: self.p].sum()
        )
        if most < total * (1 - 1e-12):
            raise InfeasibleError(
                f"{self.name}: the existing sites and the {self.p} largest new sites hold "
                f"{most:g}, less than the total demand {total:g}"
            )

    def build(self, inst: Instance) -> Built:
        assert self.p is not None
        base = assignment_pairs(inst, self.candidates)
        refuse_unreached(inst, base.demand, self.name)
        k = np.arange(base.size)
        pairs = ServicePairs(base.demand, base.site, inst.weight.copy(), base.demand,
                             base.site, k, base.complete)
        b = MilpBuilder()
        y, x = self.assignment_block(b, inst, pairs, cost=unit_assignment_cost(inst, base))
        capacity_rows(b, inst, pairs, x, y, serve_all=True,
                      fulfil=inst.existing if self.fulfil_existing else None, strong=True)
        _p_row(b, inst, y, self.p, exact=True)
        return Built(b.build(sense="min"), {"pairs": pairs, "complete": base.complete})


@dataclass
class CLSCP(CapacitatedModel):
    r"""Capacitated set covering: serve every point within the radius, fewest new sites.

    Current & Storbeck (1988), *Capacitated covering models*, Environment and
    Planning B 15(2). On the pairs within the radius, :math:`x_{ij} \in [0, 1]`
    (binary with ``single_source``)::

        min  Σ_{j ∉ J_0} c_j y_j
        s.t. Σ_j x_ij = 1                 for every i       (row "assign")
             Σ_i w_i x_ij ≤ Q_j y_j       for every j       (row "capacity")
             x_ij ≤ y_j                   where the capacity row does not imply it
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1}

    with :math:`c_j = 1`, or the site's cost with ``weighted_cost``. Points
    with the same sites in reach merge when demand may be split.

    Parameters
    ----------
    radius : float
        Service radius, in the instance's distance unit (> 0).
    single_source : bool
        Each point served by one site; default False (split, spopt's CLSCP-SO
        is single-source).
    weighted_cost : bool
        Minimise the new sites' costs instead of their number (default False).

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0.0, 1, 10], "y": [0.0] * 3, "weight": [4, 4, 4]})
    >>> s = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "capacity": [6, 12]})
    >>> CLSCP(radius=20).solve(Instance.from_frames(d, s, capacity="capacity")).objective
    1.0
    """

    radius: float | None = parameter(RADIUS)
    single_source: bool = parameter(SINGLE_SOURCE, False)
    weighted_cost: bool = parameter(WEIGHTED_COST, False)
    name: ClassVar[str] = "clscp"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_radius(self.radius, inst)
        check_capacity(inst, self.name)
        total, held = float(inst.weight.sum()), float(inst.capacity.sum())
        if held < total * (1 - 1e-12):
            raise InfeasibleError(
                f"{self.name}: the sites hold {held:g} in all, less than the total demand "
                f"{total:g}"
            )

    def build(self, inst: Instance) -> Built:
        pairs = pairs_within(inst, check_radius(self.radius, inst), merge=not self.single_source)
        reached = np.zeros(inst.n_demand, dtype=bool)
        reached[pairs.demand] = True
        if not reached.all():
            first = np.flatnonzero(~reached)
            more = f" (and {first.size - 1} more)" if first.size > 1 else ""
            raise InfeasibleError(
                f"{self.name}: demand point {inst.demand_ids[first[0]]!r}{more} has no "
                f"candidate site within radius {self.radius}; nothing can serve it"
            )
        costs = (inst.site_cost if self.weighted_cost else np.ones(inst.n_sites)) * ~inst.existing
        b = MilpBuilder()
        y, x = self.assignment_block(b, inst, pairs, y_cost=costs)
        capacity_rows(b, inst, pairs, x, y, serve_all=True)
        stats = {"demand_rows": inst.n_demand, "rows_merged": inst.n_demand - pairs.n_rows}
        return Built(b.build(sense="min"), {"pairs": pairs, "reduction": stats})


@dataclass
class CMCLP(CapacitatedModel):
    r"""Capacitated maximal covering: the most weight within reach that capacities serve.

    Current & Storbeck (1988); ArcGIS's Maximize Capacitated Coverage. On the
    pairs within the radius::

        max  Σ_i Σ_j w_i x_ij
        s.t. Σ_j x_ij ≤ 1                 for every i       (row "assign")
             Σ_i w_i x_ij ≤ Q_j y_j       for every j       (row "capacity")
             x_ij ≤ y_j                   for every pair    (row "link")
             Σ_{j ∉ J_0} y_j ≤ p                            (row "p")
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1},  x ∈ [0, 1] (binary with single_source)

    Parameters
    ----------
    radius : float
        Service radius, in the instance's distance unit (> 0).
    p : int
        Most new sites to open (existing ones are not counted).
    single_source : bool
        Each point served by one site; default False.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0.0, 1, 10], "y": [0.0] * 3, "weight": [4, 4, 4]})
    >>> s = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "capacity": [6, 12]})
    >>> inst = Instance.from_frames(d, s, capacity="capacity")
    >>> CMCLP(radius=2, p=1).solve(inst).objective      # site 0 reaches 8 but holds 6
    6.0
    """

    radius: float | None = parameter(RADIUS)
    p: int | None = parameter(P)
    single_source: bool = parameter(SINGLE_SOURCE, False)
    name: ClassVar[str] = "cmclp"
    sense: ClassVar[Sense] = "max"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_radius(self.radius, inst)
        check_p(self.p, inst, required=True)

    def build(self, inst: Instance) -> Built:
        assert self.p is not None
        pairs = pairs_within(inst, check_radius(self.radius, inst), merge=not self.single_source)
        b = MilpBuilder()
        y, x = self.assignment_block(b, inst, pairs, cost=pairs.weight[pairs.row])
        capacity_rows(b, inst, pairs, x, y, serve_all=False, strong=True)
        _p_row(b, inst, y, self.p, exact=False)
        stats = {"demand_rows": inst.n_demand, "rows_merged": inst.n_demand - pairs.n_rows}
        return Built(b.build(sense="max"), {"pairs": pairs, "reduction": stats})
