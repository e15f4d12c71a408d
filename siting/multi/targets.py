"""Plan targets, equity floors and the objective of the multi-service MILP.

A target measures a linear expression (residents covered, spaces, facilities)
in a year and asks it to reach a value; an equity floor asks each area
(sub-district) for a share of its residents covered, a share relative to the
area-wide one, or a number of facilities. The objective counts covered
residents in every year, or the final one, or one target's measure (what the
infeasibility explainer maximises).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.errors import InputError
from siting.milp import MilpArrays, MilpBuilder
from siting.multi.decay_rows import objective_terms
from siting.multi.problem import MultiServiceProblem
from siting.multi.types import Layout, Part, TargetKey, keep_terms

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def target_expr(prob: MultiServiceProblem, k: int, lay: Layout) -> tuple[list[Part], float]:
    """Linear expression (parts) measured by target ``k``, and its constant part
    (residents covered whatever is built); the row is ``parts >= required - const``."""
    tgt = prob.spec.target[k]
    t = prob.target_year_index(tgt.year)
    if tgt.kind in ("coverage", "service_circle"):
        key = TargetKey.of(k)
        if key in prob.indicators:
            fam = prob.indicators[key].family
            grid = lay.c[key]
        else:
            assert tgt.facility is not None
            fam = prob.types[tgt.facility].family
            grid = lay.z[tgt.facility]
        return [grid.year_sum(t, fam.pop)], fam.const
    parts = []
    for name in tgt.types():
        td = prob.types[name]
        if tgt.kind == "spaces" and name not in lay.s:
            raise InputError(
                "a spaces target needs sized facilities", field=f"target[{k}]", value=name
            )
        grid = lay.s[name] if tgt.kind == "spaces" else lay.w[name]
        parts.append(grid.year_sum(t, np.ones(td.n_cand)))
    return parts, 0.0


def target_rows(
    prob: MultiServiceProblem, b: MilpBuilder, lay: Layout, drop: frozenset[int]
) -> None:
    """One row per enforced target (``mode = "constraint"``) not in ``drop``."""
    for k, tgt in enumerate(prob.spec.target):
        if k in drop or tgt.mode == "report":
            continue
        expr, const = target_expr(prob, k, lay)
        b.concat_rows(
            expr, lower=prob.target_required(k) - const, upper=np.inf, name=TargetKey.of(k)
        )


def objective(
    prob: MultiServiceProblem, milp: MilpArrays, lay: Layout, target: int | None
) -> tuple[FloatArray, float]:
    """Objective vector and constant: covered residents (weighted by type), or target's."""
    c = np.zeros(milp.num_cols)
    offset = 0.0
    if target is None:
        years = range(prob.T) if prob.spec.meta.objective == "years" else [prob.T - 1]
        for name, td in prob.types.items():
            if td.attendance is not None:  # closer is better: residents × decayed share
                offset += objective_terms(prob, milp, lay, td, years, c)
                continue
            fam = td.family
            for t in years:
                c[lay.z[name].cols(t)] = fam.pop * td.spec.weight
                offset += fam.const * td.spec.weight
        return c, offset
    expr, offset = target_expr(prob, target, lay)
    for mat, cols in expr:
        coo = sp.coo_matrix(mat)
        np.add.at(c, np.arange(cols.start, cols.stop)[coo.col], coo.data)
    return c, offset


def area_coverage_objective(
    prob: MultiServiceProblem, milp: MilpArrays, lay: Layout, facility: str, by: str, area: str,
    year: int | None,
) -> tuple[FloatArray, float, float]:
    """Objective vector measuring residents of ``area`` covered by ``facility``.

    Returns (c, constant, residents of the area): the explainer maximises it to
    find the best share an area can reach.
    """
    td = prob.types[facility]
    t = prob.years.index(prob.spec.year_of(year))
    in_area = prob.data.blocks[by].astype(str).to_numpy() == area
    fam = td.family
    c = np.zeros(milp.num_cols)
    c[lay.z[facility].cols(t)] = np.where(in_area[fam.rep], fam.pop, 0.0)
    const = float(td.pop[in_area & fam.const_block].sum())
    return c, const, float(td.pop[in_area].sum())


def equity_rows(prob: MultiServiceProblem, b: MilpBuilder, lay: Layout) -> None:
    """Coverage floors per area (absolute or relative to the area-wide share), presence."""
    for e in prob.spec.equity:
        td = prob.types[e.facility]
        t = prob.years.index(prob.spec.year_of(e.year))
        if e.min_facilities is not None:
            _presence_rows(prob, b, lay, e.facility, e.by, e.min_facilities, t, e.areas)
        if e.min_share is None and e.min_ratio_to_area is None:
            continue
        names, block_area = np.unique(
            prob.data.blocks[e.by].astype(str).to_numpy(), return_inverse=True
        )
        block_area = block_area.ravel()
        n_areas = names.size
        tot_a = np.bincount(block_area, weights=td.pop, minlength=n_areas)
        total = float(td.pop.sum())
        fam = td.family
        pop = fam.pop
        n_groups = pop.size
        groups = np.arange(n_groups)
        var_area = block_area[fam.rep].astype(np.int64)
        const_a = np.bincount(
            block_area, weights=td.pop * fam.const_block, minlength=n_areas
        ).astype(np.float64)
        z = lay.z[e.facility]
        covered, _ = z.terms(var_area, t, groups, pop, n_areas)
        # Rows of areas outside e.areas get an inactive lower bound.
        active = np.ones(n_areas, dtype=bool) if not e.areas else np.isin(names, e.areas)
        if e.min_share is not None:
            b.concat_rows(
                [(covered, z.block)],
                lower=np.where(active, e.min_share * tot_a - const_a, -np.inf), upper=np.inf,
                name=f"equity_{e.facility}",
            )
        if e.min_ratio_to_area is not None and total > 0:
            # covered_a - ratio * (tot_a / total) * covered_all >= 0
            share = e.min_ratio_to_area * tot_a / total
            whole, _ = z.terms(
                np.repeat(np.arange(n_areas), n_groups), t, np.tile(groups, n_areas),
                np.tile(pop, n_areas), n_areas,
            )
            rhs = share * const_a.sum() - const_a
            b.concat_rows(
                [(covered - sp.diags(share) @ whole, z.block)],
                lower=np.where(active, rhs, -np.inf), upper=np.inf,
                name=f"equity_ratio_{e.facility}",
            )


def _presence_rows(
    prob: MultiServiceProblem, b: MilpBuilder, lay: Layout, name: str, by: str, least: int,
    t: int, only: list[str],
) -> None:
    """Each area (sub-district) holds at least ``least`` facilities of type ``name``."""
    td = prob.types[name]
    areas = np.unique(prob.data.blocks[by].astype(str).to_numpy())
    if only:
        unknown = sorted(set(only) - set(areas))
        if unknown:
            raise InputError(
                f"equity.areas: {unknown[0]!r} is not one of the blocks' {by} values",
                field="equity.areas",
                value=unknown[0],
            )
        areas = np.array(sorted(only))
    for frame, what in ((prob.data.parcels, "parcels"), (prob.data.existing, "existing")):
        if by not in frame.columns:
            raise InputError(
                f"{what} have no column {by!r} for the equity floor",
                field="equity.by",
                value=by,
            )
    index = {a: k for k, a in enumerate(areas)}
    parcel_area = _codes(prob.data.parcels[by], index)[td.cand]
    existing_area = _codes(prob.data.existing[by], index)[td.existing]
    on_parcel = parcel_area >= 0
    kept = existing_area >= 0
    parts: list[Any] = [
        lay.w[name].terms(parcel_area[on_parcel], t, np.flatnonzero(on_parcel), 1.0, areas.size),
        keep_terms(lay.keep[name], existing_area[kept], np.flatnonzero(kept), 1.0, areas.size),
    ]
    b.concat_rows(parts, lower=float(least), upper=np.inf, name=f"presence_{name}")


def _codes(column: pd.Series, index: dict[str, int]) -> IntArray:
    """Each value's position in ``index`` (-1 when absent)."""
    return column.astype(str).map(index).fillna(-1).to_numpy(dtype=np.int64)

