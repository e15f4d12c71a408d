"""The multi-service MILP: variable grids and row families, over named (year, item) grids.

Variables (:class:`~siting.milp.Grid` blocks, year-major):

- ``w[f][t, j]`` — integer, facilities of type ``f`` open on candidate parcel ``j``
  by year ``t`` (monotone in ``t``; 0 before the parcel is available);
- ``keep[f][k]`` — existing facility ``k`` of type ``f`` kept (fixed to 1 unless
  the spec lets some close);
- ``s[f][t, j]`` — parking spaces on parcel ``j`` by year ``t`` (sized types);
- ``z[f][t, g]`` — share of block group ``g``'s residents covered by type ``f`` in
  year ``t``; for capacitated types, the share *served* through assignment
  variables ``x[f][t, pair]`` on covering pairs only, within capacity;
- ``c[q][t, g]`` — group ``g`` inside indicator ``q`` (a coverage target at another
  radius, or a 15-minute service circle: every listed type within reach).

Rows: coverage links, monotone opening, land per parcel (footprints, whole-parcel
parks, parking surface), total and yearly budget, counts per year (here); plan
targets, equity floors and the objective (:mod:`siting.multi.targets`). The
objective rewards covered residents in every year (earlier coverage counts more
years) or only in the final year.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.milp import Grid, MilpArrays, MilpBuilder
from siting.multi import decay_rows, targets
from siting.multi.problem import MultiServiceProblem
from siting.multi.types import Family, Layout, Part, TargetKey, TypeData, keep_terms

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Budget rows are written in units of this many currency units (万元): yuan-sized
#: coefficients (1e7..1e9) next to 0/1 coverage rows make the model badly scaled.
MONEY_UNIT = 1e4


def build(
    prob: MultiServiceProblem,
    *,
    drop: frozenset[int] = frozenset(),
    objective: int | None = None,
    drop_budget: bool = False,
    drop_equity: bool = False,
) -> tuple[MilpArrays, Layout]:
    """MILP arrays of the problem; ``drop`` skips targets by index, ``objective``
    maximises target ``objective``'s measured value instead of coverage."""
    b, lay = MilpBuilder(), Layout()
    measured = measured_indicators(prob, drop, objective)
    _variables(prob, b, lay, measured)
    decay_rows.add_variables(prob, b, lay)
    for td in prob.types.values():
        _type_rows(prob, b, lay, td)
        decay_rows.attendance_rows(prob, b, lay, td)
    for key in measured:
        family_rows(prob, b, lay, prob.indicators[key].family, lay.c[key])
    _land_rows(prob, b, lay)
    if not drop_budget:
        _budget_rows(prob, b, lay)
    _count_rows(prob, b, lay)
    targets.target_rows(prob, b, lay, drop)
    if not drop_equity:
        targets.equity_rows(prob, b, lay)
    milp = b.build(sense="max")
    milp.c, milp.offset = targets.objective(prob, milp, lay, objective)
    return milp, lay


def measured_indicators(
    prob: MultiServiceProblem, drop: frozenset[int], objective: int | None
) -> list[TargetKey]:
    """Indicators some row or the objective reads: an enforced target not dropped, or
    the target maximised. A report-only target is measured by the verifier from the
    plan, so its indicator columns would be free (an exact reduction to leave out)."""
    keys = []
    for k, tgt in enumerate(prob.spec.target):
        key = TargetKey.of(k)
        enforced = tgt.mode == "constraint" and k not in drop
        if key in prob.indicators and (enforced or k == objective):
            keys.append(key)
    return keys


def _variables(
    prob: MultiServiceProblem, b: MilpBuilder, lay: Layout, indicators: list[TargetKey]
) -> None:
    T = prob.T
    for name, td in prob.types.items():
        f = td.spec
        avail = (np.arange(T)[:, None] >= td.avail_t[None, :]).astype(float)  # T × J
        lay.w[name] = b.add_grid(
            f"w_{name}", years=T, items=td.n_cand, upper=(avail * f.max_per_parcel).ravel(),
            integer=True,
        )
        keep_lo = 1.0 if f.existing == "keep" else 0.0
        lay.keep[name] = b.add_block(
            f"keep_{name}", td.existing.size, lower=keep_lo, upper=1.0, integer=True
        )
        if f.sized:
            lay.s[name] = b.add_grid(
                f"s_{name}", years=T, items=td.n_cand, upper=np.tile(td.max_spaces, T),
                integer=True,
            )
        lay.z[name] = b.add_grid(f"z_{name}", years=T, items=td.family.size, upper=1.0)
        if f.capacity is not None:
            group_of_pair, _ = prob.capacity_pairs(td)
            lay.x[name] = b.add_grid(
                f"x_{name}", years=T, items=group_of_pair.size,
                upper=np.tile(td.family.pop[group_of_pair], T),
            )
    for key in indicators:
        size = prob.indicators[key].family.size
        lay.c[key] = b.add_grid(f"c_{key}", years=T, items=size, upper=1.0)


def _type_rows(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout, td: TypeData) -> None:
    T, J, E = prob.T, td.n_cand, td.existing.size
    f = td.spec
    w, keep = lay.w[td.name], lay.keep[td.name]
    if T > 1:
        b.add_rows(w.monotone(), lower=-np.inf, upper=0.0, cols=w, name=f"mono_{td.name}")
    if f.existing == "may_close" and E:
        b.add_rows(
            sp.csr_matrix(np.ones((1, E))), lower=E - f.max_close, upper=np.inf, cols=keep,
            name=f"close_{td.name}",
        )
    if f.sized:
        s = lay.s[td.name]
        # s <= max_spaces * w ; s >= min_spaces * w ; s monotone
        cells = sp.identity(T * J)
        most = sp.diags(np.tile(td.max_spaces, T))
        b.concat_rows([(cells, s.block), (-most, w.block)], lower=-np.inf, upper=0.0,
                      name=f"size_{td.name}")
        if f.min_spaces:
            b.concat_rows([(cells, s.block), (-f.min_spaces * cells, w.block)], lower=0.0,
                          upper=np.inf, name=f"minsize_{td.name}")
        if T > 1:
            b.add_rows(s.monotone(), lower=-np.inf, upper=0.0, cols=s, name=f"smono_{td.name}")
    if f.capacity is None:
        family_rows(prob, b, lay, td.family, lay.z[td.name], tight=ratio_years(prob, td.name))
    else:
        _capacity_rows(prob, b, lay, td)


def _capacity_rows(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout, td: TypeData) -> None:
    """sum_pairs x[t,p] = pop_g z[t,g]; x only on covering pairs of open sites; capacity."""
    J, E = td.n_cand, td.existing.size
    w, keep, x, z = lay.w[td.name], lay.keep[td.name], lay.x[td.name], lay.z[td.name]
    assert td.spec.capacity is not None
    cap = float(td.spec.capacity)
    pair_group, pair_site = prob.capacity_pairs(td)
    n_pairs = pair_group.size
    group_pop = td.family.pop
    n_groups = group_pop.size
    is_cand = pair_site < J
    pair = np.arange(n_pairs)
    groups = np.arange(n_groups)
    for t, year in enumerate(prob.years):
        b.concat_rows(
            [x.terms(pair_group, t, pair, 1.0, n_groups),
             z.terms(groups, t, groups, -group_pop, n_groups)],
            lower=0.0, upper=0.0, name=f"serve_{td.name}_{year}",
        )
        b.concat_rows(
            [x.terms(pair_site, t, pair, 1.0, J + E),
             w.terms(np.arange(J), t, np.arange(J), -cap, J + E),
             keep_terms(keep, J + np.arange(E), np.arange(E), -td.existing_capacity, J + E)],
            lower=-np.inf, upper=0.0, name=f"capacity_{td.name}_{year}",
        )
        # x[t,p] <= pop_g * open(site)
        b.concat_rows(
            [x.terms(pair, t, pair, 1.0, n_pairs),
             w.terms(pair[is_cand], t, pair_site[is_cand], -group_pop[pair_group[is_cand]],
                     n_pairs),
             keep_terms(keep, pair[~is_cand], pair_site[~is_cand] - J,
                        -group_pop[pair_group[~is_cand]], n_pairs)],
            lower=-np.inf, upper=0.0, name=f"open_{td.name}_{year}",
        )


def ratio_years(prob: MultiServiceProblem, name: str) -> frozenset[int]:
    """Year indices in which an equity floor relative to the area-wide share reads type
    ``name``'s coverage (see :func:`family_rows`)."""
    return frozenset(
        prob.years.index(prob.spec.year_of(e.year)) for e in prob.spec.equity
        if e.facility == name and e.min_ratio_to_area is not None
    )


def family_rows(
    prob: MultiServiceProblem, b: MilpBuilder, lay: Layout, fam: Family, var: Grid,
    *, tight: frozenset[int] = frozenset(),
) -> None:
    """v[t,g] - sum_j pat[g,j] w[t,j] - sum_k pat[g,J+k] keep[k] <= 0, per type and year.

    In the years of ``tight``, also v[t,g] >= w[t,j] and >= keep[k] for every covering
    site, so v equals coverage exactly: needed where a floor relative to the area-wide
    share would otherwise let the solver under-report coverage elsewhere. In other
    years v is read only by the objective, which it raises, and by absolute floors,
    which under-reporting cannot help, so the rows would be redundant there.
    """
    for name, rows, pat in fam.links:
        td = prob.types[name]
        J = td.n_cand
        w, keep = lay.w[name], lay.keep[name]
        coo = sp.coo_matrix(pat)
        cand = coo.col < J
        n_rows = rows.size
        for t, year in enumerate(prob.years):
            b.concat_rows(
                [var.terms(np.arange(n_rows), t, rows, 1.0, n_rows),
                 w.terms(coo.row[cand], t, coo.col[cand], -1.0, n_rows),
                 keep_terms(keep, coo.row[~cand], coo.col[~cand] - J, -1.0, n_rows)],
                lower=-np.inf, upper=0.0, name=f"{fam.key}_{name}_{year}",
            )
            if t in tight:
                entry = np.arange(coo.nnz)
                # w counts facilities (up to max_per_parcel): scale so v <= 1 stays feasible
                scale = 1.0 / td.spec.max_per_parcel
                b.concat_rows(
                    [var.terms(entry, t, rows[coo.row], 1.0, coo.nnz),
                     w.terms(entry[cand], t, coo.col[cand], -scale, coo.nnz),
                     keep_terms(keep, entry[~cand], coo.col[~cand] - J, -1.0, coo.nnz)],
                    lower=0.0, upper=np.inf, name=f"{fam.key}_{name}_{year}_exact",
                )


def _land_rows(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout) -> None:
    """Footprints of everything on a parcel fit its area (final year: w is monotone)."""
    parts: list[Part] = []
    last = prob.T - 1
    n_parcels = len(prob.area)
    for name, td in prob.types.items():
        f, J = td.spec, td.n_cand
        items = np.arange(J)
        foot = prob.area[td.cand] if f.whole_parcel else np.full(J, f.footprint_m2)
        if f.sized:
            assert f.m2_per_space is not None
            per_space = f.m2_per_space / f.levels * f.surface_share
            parts.append(lay.s[name].terms(td.cand, last, items, per_space, n_parcels))
        if foot.any():
            parts.append(lay.w[name].terms(td.cand, last, items, foot, n_parcels))
    if parts:
        used = np.unique(np.concatenate([sp.coo_matrix(m).row for m, _ in parts]))
        sel = [(sp.csr_matrix(m)[used], cols) for m, cols in parts]
        b.concat_rows(sel, lower=-np.inf, upper=prob.area[used], name="land")
    _conflict_rows(prob, b, lay)


def least_land(prob: MultiServiceProblem, td: TypeData) -> FloatArray:
    """Land one facility of the type takes at least on each of its candidates (its
    footprint, the whole parcel, plus the surface of its fewest spaces)."""
    f = td.spec
    least = prob.area[td.cand] if f.whole_parcel else np.full(td.n_cand, f.footprint_m2)
    if f.sized:
        assert f.m2_per_space is not None
        least = least + f.min_spaces * f.m2_per_space / f.levels * f.surface_share
    return np.asarray(least, dtype=np.float64)


def _conflict_rows(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout) -> None:
    """w_f[p] / most_f + w_g[p] / most_g <= 1 where two types cannot share parcel p.

    Valid for every plan: when one facility of each would need more land than the
    parcel has (a park takes the whole parcel), at most one type is built there,
    and then at most ``max_per_parcel`` of it. The land row alone lets the LP put
    0.9 of a park and a whole fire station on one parcel; these rows (final year:
    w is monotone) close that gap without waiting for the solver to find them.
    """
    names = list(prob.types)
    n_parcels = len(prob.area)
    position = {}
    for name in names:
        td = prob.types[name]
        slot = np.full(n_parcels, -1, dtype=np.int64)
        slot[td.cand] = np.arange(td.n_cand)
        position[name] = (slot, np.full(n_parcels, np.nan))
        position[name][1][td.cand] = least_land(prob, td)
    last = prob.T - 1
    for k, first in enumerate(names):
        for second in names[k + 1:]:
            (slot_a, need_a), (slot_b, need_b) = position[first], position[second]
            with np.errstate(invalid="ignore"):
                clash = np.flatnonzero(
                    (slot_a >= 0) & (slot_b >= 0) & (need_a + need_b > prob.area * (1 + 1e-9))
                )
            if not clash.size:
                continue
            rows = np.arange(clash.size)
            b.concat_rows(
                [lay.w[first].terms(rows, last, slot_a[clash],
                                    1.0 / prob.types[first].spec.max_per_parcel, clash.size),
                 lay.w[second].terms(rows, last, slot_b[clash],
                                     1.0 / prob.types[second].spec.max_per_parcel, clash.size)],
                lower=-np.inf, upper=1.0, name=f"conflict_{first}_{second}",
            )


def spending(prob: MultiServiceProblem, lay: Layout, year: int, *, cumulative: bool) -> list[Part]:
    """What is spent in year index ``year`` (or by then), in :data:`MONEY_UNIT`."""
    out = []
    for name, td in prob.types.items():
        if not td.n_cand:
            continue
        grids = [(lay.w[name], td.cost)]
        if td.spec.sized:
            grids.append((lay.s[name], np.full(td.n_cand, td.spec.cost_per_space)))
        for grid, unit_cost in grids:
            coef = unit_cost / MONEY_UNIT
            out.append(grid.year_sum(year, coef) if cumulative else grid.added_in(year, coef))
    return out


def _budget_rows(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout) -> None:
    bud = prob.spec.budget
    for t, year in enumerate(prob.years):
        limit = bud.per_year.get(str(year))
        parts = spending(prob, lay, t, cumulative=False)
        if limit is not None and parts:
            b.concat_rows(parts, lower=-np.inf, upper=limit / MONEY_UNIT, name=f"budget_{year}")
    if bud.total is not None:
        parts = spending(prob, lay, prob.T - 1, cumulative=True)
        if parts:
            b.concat_rows(parts, lower=-np.inf, upper=bud.total / MONEY_UNIT, name="budget_total")


def _count_rows(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout) -> None:
    for name, td in prob.types.items():
        f = td.spec
        w = lay.w[name]
        ones = np.ones(td.n_cand)
        for key in sorted(set(f.count) | set(f.min_count) | set(f.max_count)):
            lo = f.count.get(key, f.min_count.get(key, 0))
            hi = f.count.get(key, f.max_count.get(key, np.inf))
            part = (
                w.year_sum(prob.T - 1, ones) if key == "total"
                else w.added_in(prob.years.index(int(key)), ones)
            )
            b.concat_rows([part], lower=float(lo), upper=float(hi), name=f"count_{name}_{key}")
        if f.max_total is not None:
            E = td.existing.size
            b.concat_rows(
                [w.year_sum(prob.T - 1, ones), (sp.csr_matrix(np.ones((1, E))), lay.keep[name])],
                lower=-np.inf, upper=float(f.max_total), name=f"max_total_{name}",
            )
