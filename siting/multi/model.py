"""The multi-service siting model: several facility types on shared parcels, over years.

Variables (all in sparse MILP arrays, built with numpy/scipy only):

- ``w[f][t, j]`` — integer, facilities of type ``f`` open on candidate parcel ``j``
  by year ``t`` (monotone in ``t``; 0 before the parcel is available);
- ``keep[f][k]`` — existing facility ``k`` of type ``f`` kept (fixed to 1 unless
  the spec lets some close);
- ``s[f][t, j]`` — parking spaces on parcel ``j`` by year ``t`` (sized types);
- ``z[f][t, i]`` — share of block ``i``'s group covered by type ``f`` in year ``t``;
  for capacitated types, the share *served* through assignment variables
  ``x[f][t, pair]`` on covering pairs only, within capacity;
- ``c[q][t, i]`` — block ``i`` inside indicator ``q`` (a coverage target at another
  radius, or a 15-minute service circle: every listed type within reach).

Rows: coverage links, monotone opening, land per parcel (footprints, whole-parcel
parks, parking surface), total and yearly budget, counts per year, plan targets,
equity floors, capacity. The objective rewards covered residents in every year
(earlier coverage counts more years) or only in the final year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.errors import InputError
from siting.milp import Block, MilpArrays, MilpBuilder
from siting.multi.data import ServiceData, uses_mask
from siting.multi.spec import Facility, Spec, Target

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def monotone(J: int, T: int) -> sp.csr_matrix:
    """Rows ``v[t-1, j] - v[t, j] <= 0`` for a year-major T × J block (opened stays open).

    >>> monotone(2, 2).toarray()
    array([[ 1.,  0., -1.,  0.],
           [ 0.,  1.,  0., -1.]])
    """
    r = np.arange(J * (T - 1))
    return sp.csr_matrix(
        (np.r_[np.ones(r.size), -np.ones(r.size)], (np.r_[r, r], np.r_[r, r + J])),
        shape=(r.size, J * T),
    )


@dataclass
class TypeData:
    """One facility type's candidates, existing sites and coverage pairs."""

    name: str
    spec: Facility
    cand: IntArray  # parcel positions eligible for this type
    avail_t: IntArray  # first year index each candidate may be open (len(cand))
    existing: IntArray  # positions in data.existing
    pop: FloatArray  # group population per block
    # coverage pairs over sites = cand (0..J-1) then existing (J..J+E-1)
    pair_block: IntArray
    pair_site: IntArray
    pair_dist: FloatArray
    cost: FloatArray  # cost per facility on each candidate (build + land share)
    max_spaces: FloatArray  # sized types: spaces a candidate can hold
    existing_capacity: FloatArray
    family: Family | None = None  # aggregated coverage rows (uncapacitated types)

    @property
    def n_cand(self) -> int:
        return int(self.cand.size)

    @property
    def n_sites(self) -> int:
        return int(self.cand.size + self.existing.size)


@dataclass
class Indicator:
    """Blocks inside an indicator: covered by every type of ``types`` within ``radius``."""

    key: str
    types: list[str]
    radius: float
    group: str
    pop: FloatArray
    family: Family


@dataclass
class Family:
    """Aggregated coverage rows: blocks with the same covering sites (per type) and the
    same area merge into one group with summed population (an exact reduction).

    Blocks covered whatever is built (by kept existing facilities) are a constant;
    blocks no candidate can reach are constant zero. ``links`` lists, per type, the
    groups that type must cover and the covering sites (candidates, then existing).
    """

    key: str
    pop: FloatArray  # per group
    rep: IntArray  # a representative block of each group
    const_block: NDArray[np.bool_]  # blocks covered whatever is built
    block_group: IntArray  # group of each block, -1 when constant
    block_pop: FloatArray
    links: list[tuple[str, IntArray, sp.csr_matrix]]  # (type, group rows, G_rows × sites)

    @property
    def size(self) -> int:
        return int(self.pop.size)

    @property
    def const(self) -> float:
        return float(self.block_pop[self.const_block].sum())

    @property
    def total(self) -> float:
        return float(self.block_pop.sum())


def make_family(
    key: str,
    block_pop: FloatArray,
    area_codes: IntArray,
    per_type: list[tuple[str, sp.csr_matrix, NDArray[np.bool_]]],
) -> Family:
    """Group blocks by (area, covering pattern of every type); see :class:`Family`.

    Patterns are compared through two random-weight row sums (a 128-bit
    fingerprint of the sorted site list), so no per-row Python work is needed.

    >>> import scipy.sparse as sp, numpy as np
    >>> P = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 0]]))
    >>> fam = make_family("z", np.array([1.0, 2, 3, 4]), np.zeros(4, dtype=np.int64),
    ...                   [("t", P, np.zeros(4, dtype=bool))])
    >>> fam.pop.tolist(), fam.block_group.tolist()
    ([3.0, 3.0], [0, 0, 1, -1])
    """
    n = block_pop.size
    rng = np.random.default_rng(20180729)
    satisfied = np.ones(n, dtype=bool)
    impossible = np.zeros(n, dtype=bool)
    cols = [area_codes.astype(np.float64)]
    for _, pat, pre in per_type:
        pat = sp.csr_matrix(pat)
        empty = np.diff(pat.indptr) == 0
        satisfied &= pre
        impossible |= ~pre & empty
        w1 = rng.random(pat.shape[1])
        w2 = rng.random(pat.shape[1])
        h1 = pat @ w1
        h2 = pat @ w2
        cols += [np.where(pre, -1.0, h1), np.where(pre, -1.0, h2)]
    active = ~satisfied & ~impossible
    keys = np.column_stack(cols)[active]
    group_of_block = np.full(n, -1, dtype=np.int64)
    if keys.size:
        _, first, inv = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        idx = np.flatnonzero(active)
        group_of_block[idx] = inv.ravel()
        rep = idx[first]
    else:
        rep = np.zeros(0, dtype=np.int64)
    G = rep.size
    pop = np.bincount(group_of_block[active], weights=block_pop[active], minlength=G)
    links = []
    for name, pat, pre in per_type:
        need = np.flatnonzero(~pre[rep])
        links.append((name, need, sp.csr_matrix(pat)[rep[need]]))
    return Family(key, pop.astype(np.float64), rep, satisfied, group_of_block, block_pop, links)


@dataclass
class Layout:
    """Where each variable family sits in the column vector."""

    w: dict[str, Block] = field(default_factory=dict)
    keep: dict[str, Block] = field(default_factory=dict)
    s: dict[str, Block] = field(default_factory=dict)
    z: dict[str, Block] = field(default_factory=dict)
    x: dict[str, Block] = field(default_factory=dict)
    c: dict[str, Block] = field(default_factory=dict)


class MultiServiceProblem:
    """A spec on its data: type structures, indicators, and MILP arrays on demand.

    ``build(drop=..., objective=...)`` rebuilds the arrays without some targets or
    with another objective; the infeasibility explainer uses that to find the
    best achievable value of a target that cannot be met.
    """

    def __init__(self, spec: Spec, data: ServiceData) -> None:
        self.spec = spec
        self.data = data
        self.years = list(spec.meta.years)
        self.T = len(self.years)
        self.mode = spec.meta.distance
        self.block_xy = data.block_xy()
        self.parcel_xy = data.parcel_xy()
        self.existing_xy = data.existing_xy() if len(data.existing) else np.zeros((0, 2))
        self.n_blocks = len(data.blocks)
        self.area = data.parcels["area_m2"].to_numpy(dtype=np.float64)
        self.area_codes = self._area_codes()
        self.types: dict[str, TypeData] = {
            name: self._type_data(name, f) for name, f in spec.facility.items()
        }
        self.indicators: dict[str, Indicator] = {}
        for k, tgt in enumerate(spec.target):
            ind = self._indicator_for(k, tgt)
            if ind is not None:
                self.indicators[ind.key] = ind

    # ----------------------------------------------------------------- data
    def _area_codes(self) -> IntArray:
        """One code per combination of the columns equity floors group by (groups
        of blocks never straddle an area, so the floors stay exact)."""
        cols = sorted(
            {e.by for e in self.spec.equity}
            | ({"subdistrict"} if "subdistrict" in self.data.blocks.columns else set())
        )
        codes = np.zeros(self.n_blocks, dtype=np.int64)
        for col in cols:
            if col not in self.data.blocks.columns:
                raise InputError(
                    f"blocks have no column {col!r} for the equity floor",
                    path=self.data.source,
                    field="equity.by",
                    value=col,
                )
            _, inv = np.unique(self.data.blocks[col].astype(str).to_numpy(), return_inverse=True)
            codes = codes * (int(inv.max()) + 1) + inv.ravel()
        return codes

    def family_for(
        self,
        key: str,
        pop: FloatArray,
        per_type: list[tuple[str, IntArray, IntArray]],
        *,
        existing_as_sites: bool = False,
    ) -> Family:
        """A :class:`Family` from (type, block rows, site cols) pairs per type.

        Kept existing facilities make their blocks a constant, unless
        ``existing_as_sites`` (capacitated types: existing places are limited too)."""
        spec_pat = []
        for name, rows, cols in per_type:
            td_cand, td_ex = self._cand_ex[name]
            J, E = td_cand.size, td_ex.size
            pat = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(self.n_blocks, J + E))
            pat.sum_duplicates()
            pat.data[:] = 1.0
            if self.spec.facility[name].existing == "keep" and not existing_as_sites:
                pre = np.asarray(pat[:, J:].sum(axis=1)).ravel() > 0
                pat = sp.csr_matrix(pat[:, :J])
                pat = sp.hstack([pat, sp.csr_matrix((self.n_blocks, E))], format="csr")
            else:
                pre = np.zeros(self.n_blocks, dtype=bool)
            spec_pat.append((name, pat, pre))
        return make_family(key, pop, self.area_codes, spec_pat)

    def group(self, name: str) -> FloatArray:
        if name not in self.data.blocks.columns:
            raise InputError(
                f"blocks have no population column {name!r}",
                path=self.data.source,
                field="group",
                value=name,
            )
        vals = pd.to_numeric(self.data.blocks[name], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(vals) | (vals < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                "population must be a finite number >= 0",
                path=self.data.source,
                row=row,
                field=name,
                value=str(self.data.blocks[name].iloc[row]),
            )
        return vals

    def _type_data(self, name: str, f: Facility) -> TypeData:
        parcels = self.data.parcels
        ok = uses_mask(parcels["allowed_uses"], f.use or name).copy()
        need = f.min_area_m2 if f.whole_parcel else f.footprint_m2
        ok &= self.area >= max(need, 1e-9)
        year_av = parcels["year_available"].to_numpy(dtype=np.int64)
        ok &= year_av <= self.years[-1]
        cand = np.flatnonzero(ok).astype(np.int64)
        avail_t = np.searchsorted(np.asarray(self.years), np.maximum(year_av[cand], self.years[0]))
        ex_mask = (self.data.existing["type"].astype(str) == name).to_numpy()
        existing = np.flatnonzero(ex_mask).astype(np.int64)
        if not hasattr(self, "_cand_ex"):
            self._cand_ex: dict[str, tuple[IntArray, IntArray]] = {}
        self._cand_ex[name] = (cand, existing)
        geoms = self.data.site_geometries(cand, existing)
        rows, cols, dist = self.data.pairs_to_sites(
            self.block_xy, geoms, f.radius_m, self.mode_of(f), f.access
        )
        land = np.zeros(cand.size)
        if f.land_cost and "land_cost_est" in parcels.columns:
            unit = parcels["land_cost_est"].to_numpy(dtype=float)[cand] / np.maximum(
                self.area[cand], 1.0
            )
            land = unit * (self.area[cand] if f.whole_parcel else f.footprint_m2)
        cost = f.build_cost + land
        max_spaces = np.zeros(cand.size)
        if f.sized:
            assert f.m2_per_space is not None
            max_spaces = np.floor(self.area[cand] * f.levels / f.m2_per_space)
        cap_col = (
            self.data.existing["capacity"]
            if "capacity" in self.data.existing.columns
            else pd.Series(np.nan, index=self.data.existing.index)
        )
        ex_cap = pd.to_numeric(cap_col, errors="coerce").to_numpy(dtype=float)[existing]
        ex_cap = np.where(np.isfinite(ex_cap), ex_cap, f.capacity or np.inf)
        pop = self.group(f.group)
        family = self.family_for(
            f"z_{name}", pop, [(name, rows, cols)], existing_as_sites=f.capacity is not None
        )
        return TypeData(
            name,
            f,
            cand,
            avail_t.astype(np.int64),
            existing,
            pop,
            rows,
            cols,
            dist,
            np.asarray(cost, dtype=float),
            max_spaces,
            ex_cap,
            family,
        )

    def _indicator_for(self, k: int, tgt: Target) -> Indicator | None:
        if tgt.kind == "coverage":
            assert tgt.facility is not None
            f = self.spec.facility[tgt.facility]
            same = (tgt.radius_m in (None, f.radius_m)) and tgt.group in (None, f.group)
            if same:
                return None  # measured by z of the type itself
            types = [tgt.facility]
        elif tgt.kind == "service_circle":
            types = list(tgt.facilities)
        else:
            return None
        radius = float(tgt.radius_m or self.spec.facility[types[0]].radius_m)
        group = tgt.group or self.spec.facility[types[0]].group
        per_type = []
        for name in types:
            td = self.types[name]
            geoms = self.data.site_geometries(td.cand, td.existing)
            r, c, _ = self.data.pairs_to_sites(
                self.block_xy, geoms, radius, self.mode_of(td.spec), td.spec.access
            )
            per_type.append((name, r, c))
        pop = self.group(group)
        fam = self.family_for(f"target{k}", pop, per_type)
        return Indicator(f"target{k}", types, radius, group, pop, fam)

    def mode_of(self, f: Facility) -> str:
        return f.distance or self.mode

    def target_year_index(self, tgt_year: int | None) -> int:
        return self.years.index(self.spec.year_of(tgt_year))

    # --------------------------------------------------------------- arrays
    def build(
        self,
        *,
        drop: frozenset[int] = frozenset(),
        objective: int | None = None,
        drop_budget: bool = False,
        drop_equity: bool = False,
    ) -> tuple[MilpArrays, Layout]:
        """MILP arrays of the problem; ``drop`` skips targets by index, ``objective``
        maximises target ``objective``'s measured value instead of coverage."""
        T, b, lay = self.T, MilpBuilder(), Layout()
        for name, td in self.types.items():
            f = td.spec
            J, E = td.n_cand, td.existing.size
            avail = (np.arange(T)[:, None] >= td.avail_t[None, :]).astype(float)  # T × J
            lay.w[name] = b.add_block(
                f"w_{name}",
                T * J,
                lower=0.0,
                upper=(avail * f.max_per_parcel).ravel(),
                integer=True,
            )
            keep_lo = 1.0 if f.existing == "keep" else 0.0
            lay.keep[name] = b.add_block(f"keep_{name}", E, lower=keep_lo, upper=1.0, integer=True)
            if f.sized:
                lay.s[name] = b.add_block(
                    f"s_{name}", T * J, lower=0.0, upper=np.tile(td.max_spaces, T), integer=True
                )
            nz_pop, _ = self.z_pop(td)
            lay.z[name] = b.add_block(f"z_{name}", T * nz_pop.size, lower=0.0, upper=1.0)
            if f.capacity is not None:
                g_of_pair, _ = self.capacity_pairs(td)
                lay.x[name] = b.add_block(
                    f"x_{name}",
                    T * g_of_pair.size,
                    lower=0.0,
                    upper=np.tile(nz_pop[g_of_pair], T),
                )
        for key, ind in self.indicators.items():
            lay.c[key] = b.add_block(f"c_{key}", T * ind.family.size, lower=0.0, upper=1.0)

        for td in self.types.values():
            self._type_rows(b, lay, td)
        for ind in self.indicators.values():
            self._indicator_rows(b, lay, ind)
        self._land_rows(b, lay)
        if not drop_budget:
            self._budget_rows(b, lay)
        self._count_rows(b, lay)
        for k, tgt in enumerate(self.spec.target):
            if k in drop or tgt.mode == "report":
                continue
            expr, const = self.target_expr(k, lay)
            b.concat_rows(
                expr, lower=self.target_required(k) - const, upper=np.inf, name=f"target{k}"
            )
        if not drop_equity:
            self._equity_rows(b, lay)

        milp = b.build(sense="max")
        c = np.zeros(milp.num_cols)
        offset = 0.0
        if objective is None:
            years = range(T) if self.spec.meta.objective == "years" else [T - 1]
            for name, td in self.types.items():
                pop, const = self.z_pop(td)
                zc = np.zeros((T, pop.size))
                for t in years:
                    zc[t] = pop * td.spec.weight
                    offset += const * td.spec.weight
                c[lay.z[name].slice] = zc.ravel()
        else:
            expr, offset = self.target_expr(objective, lay)
            for mat, cols in expr:
                coo = sp.coo_matrix(mat)
                idx = np.arange(cols.start, cols.stop) if isinstance(cols, Block) else cols
                np.add.at(c, idx[coo.col], coo.data)
        milp.c = c
        milp.offset = offset
        return milp, lay

    def capacity_pairs(self, td: TypeData) -> tuple[IntArray, IntArray]:
        """(group, site) pairs of a capacitated type: assignment variables exist only there."""
        assert td.family is not None
        _, rows, pat = td.family.links[0]
        coo = sp.coo_matrix(pat)
        order = np.lexsort((coo.col, coo.row))
        return rows[coo.row[order]].astype(np.int64), coo.col[order].astype(np.int64)

    def z_pop(self, td: TypeData) -> tuple[FloatArray, float]:
        """Population per z variable of a type, and the population covered regardless."""
        if td.family is None:
            return td.pop, 0.0
        return td.family.pop, td.family.const

    def _type_rows(self, b: MilpBuilder, lay: Layout, td: TypeData) -> None:
        T, J, E = self.T, td.n_cand, td.existing.size
        f = td.spec
        w, keep = lay.w[td.name], lay.keep[td.name]
        if T > 1:
            b.add_rows(monotone(J, T), lower=-np.inf, upper=0.0, cols=w, name=f"mono_{td.name}")
        if f.existing == "may_close" and E:
            b.add_rows(
                sp.csr_matrix(np.ones((1, E))),
                lower=E - f.max_close,
                upper=np.inf,
                cols=keep,
                name=f"close_{td.name}",
            )
        if f.sized:
            s = lay.s[td.name]
            # s <= max_spaces * w ; s >= min_spaces * w ; s monotone
            W = sp.diags(np.tile(td.max_spaces, T))
            I_s = sp.identity(T * J)
            b.concat_rows([(I_s, s), (-W, w)], lower=-np.inf, upper=0.0, name=f"size_{td.name}")
            if f.min_spaces:
                b.concat_rows(
                    [(I_s, s), (-f.min_spaces * sp.identity(T * J), w)],
                    lower=0.0,
                    upper=np.inf,
                    name=f"minsize_{td.name}",
                )
            if T > 1:
                b.add_rows(
                    monotone(J, T), lower=-np.inf, upper=0.0, cols=s, name=f"smono_{td.name}"
                )
        z = lay.z[td.name]
        if f.capacity is None:
            assert td.family is not None
            tight = any(
                e.facility == td.name and e.min_ratio_to_area is not None for e in self.spec.equity
            )
            self._family_rows(b, lay, td.family, z, tight=tight)
            return
        # Capacitated: sum_pairs x[t,p] = pop_g z[t,g]; x on covering pairs; capacity per site.
        x = lay.x[td.name]
        cap = float(f.capacity)
        pg, ps = self.capacity_pairs(td)
        P = pg.size
        gpop, _ = self.z_pop(td)
        G = gpop.size
        is_cand = ps < J
        k = np.arange(P)
        for t in range(T):
            ax = sp.csr_matrix((np.ones(P), (pg, t * P + k)), shape=(G, T * P))
            az = sp.csr_matrix((-gpop, (np.arange(G), t * G + np.arange(G))), shape=(G, T * G))
            b.concat_rows(
                [(ax, x), (az, z)], lower=0.0, upper=0.0, name=f"serve_{td.name}_{self.years[t]}"
            )
            load = sp.csr_matrix((np.ones(P), (ps, t * P + k)), shape=(J + E, T * P))
            capw = sp.csr_matrix(
                (-cap * np.ones(J), (np.arange(J), t * J + np.arange(J))), shape=(J + E, T * J)
            )
            capk = sp.csr_matrix(
                (-td.existing_capacity, (J + np.arange(E), np.arange(E))), shape=(J + E, E)
            )
            b.concat_rows(
                [(load, x), (capw, w), (capk, keep)],
                lower=-np.inf,
                upper=0.0,
                name=f"capacity_{td.name}_{self.years[t]}",
            )
            # x only where the site is open: x[t,p] <= pop_g * open(site)
            pw = sp.csr_matrix(
                (-gpop[pg[is_cand]], (k[is_cand], t * J + ps[is_cand])), shape=(P, T * J)
            )
            pk = sp.csr_matrix((-gpop[pg[~is_cand]], (k[~is_cand], ps[~is_cand] - J)), shape=(P, E))
            px = sp.csr_matrix((np.ones(P), (k, t * P + k)), shape=(P, T * P))
            b.concat_rows(
                [(px, x), (pw, w), (pk, keep)],
                lower=-np.inf,
                upper=0.0,
                name=f"open_{td.name}_{self.years[t]}",
            )

    def _indicator_rows(self, b: MilpBuilder, lay: Layout, ind: Indicator) -> None:
        self._family_rows(b, lay, ind.family, lay.c[ind.key])

    def _family_rows(
        self, b: MilpBuilder, lay: Layout, fam: Family, var: Block, *, tight: bool = False
    ) -> None:
        """v[t,g] - sum_j pat[g,j] w[t,j] - sum_k pat[g,J+k] keep[k] <= 0, per type and year.

        With ``tight``, also v[t,g] >= w[t,j] and >= keep[k] for every covering site, so v
        equals coverage exactly: needed where a floor relative to the area-wide share
        would otherwise let the solver under-report coverage elsewhere.
        """
        T, G = self.T, fam.size
        for name, rows, pat in fam.links:
            td = self.types[name]
            J, E = td.n_cand, td.existing.size
            coo = sp.coo_matrix(pat)
            is_cand = coo.col < J
            R = rows.size
            for t in range(T):
                vz = sp.csr_matrix((np.ones(R), (np.arange(R), t * G + rows)), shape=(R, T * G))
                cw = sp.csr_matrix(
                    (-np.ones(is_cand.sum()), (coo.row[is_cand], t * J + coo.col[is_cand])),
                    shape=(R, T * J),
                )
                ck = sp.csr_matrix(
                    (-np.ones((~is_cand).sum()), (coo.row[~is_cand], coo.col[~is_cand] - J)),
                    shape=(R, E),
                )
                b.concat_rows(
                    [(vz, var), (cw, lay.w[name]), (ck, lay.keep[name])],
                    lower=-np.inf,
                    upper=0.0,
                    name=f"{fam.key}_{name}_{self.years[t]}",
                )
                if tight:
                    P = coo.nnz
                    k = np.arange(P)
                    tv = sp.csr_matrix((np.ones(P), (k, t * G + rows[coo.row])), shape=(P, T * G))
                    # w counts facilities (up to max_per_parcel): scale so v <= 1 stays feasible
                    scale = 1.0 / td.spec.max_per_parcel
                    tw = sp.csr_matrix(
                        (-scale * np.ones(is_cand.sum()), (k[is_cand], t * J + coo.col[is_cand])),
                        shape=(P, T * J),
                    )
                    tk = sp.csr_matrix(
                        (-np.ones((~is_cand).sum()), (k[~is_cand], coo.col[~is_cand] - J)),
                        shape=(P, E),
                    )
                    b.concat_rows(
                        [(tv, var), (tw, lay.w[name]), (tk, lay.keep[name])],
                        lower=0.0,
                        upper=np.inf,
                        name=f"{fam.key}_{name}_{self.years[t]}_exact",
                    )

    def _land_rows(self, b: MilpBuilder, lay: Layout) -> None:
        """Footprints of everything on a parcel fit its area (final year: w is monotone)."""
        parts = []
        t = self.T - 1
        n_parcels = len(self.area)
        for name, td in self.types.items():
            f, J = td.spec, td.n_cand
            foot = self.area[td.cand] if f.whole_parcel else np.full(J, f.footprint_m2)
            if f.sized:
                assert f.m2_per_space is not None
                per_space = f.m2_per_space / f.levels * f.surface_share
                parts.append(
                    (
                        sp.csr_matrix(
                            (np.full(J, per_space), (td.cand, t * J + np.arange(J))),
                            shape=(n_parcels, self.T * J),
                        ),
                        lay.s[name],
                    )
                )
            if foot.any():
                parts.append(
                    (
                        sp.csr_matrix(
                            (foot, (td.cand, t * J + np.arange(J))), shape=(n_parcels, self.T * J)
                        ),
                        lay.w[name],
                    )
                )
        if parts:
            used = np.unique(np.concatenate([sp.coo_matrix(m).row for m, _ in parts]))
            sel = [(m.tocsr()[used], cols) for m, cols in parts]
            b.concat_rows(sel, lower=-np.inf, upper=self.area[used], name="land")

    def _opened_in(self, td: TypeData, lay_block: Block, t: int, coef: FloatArray) -> Any:
        """Expression sum_j coef_j (v[t,j] - v[t-1,j]) over a yearly block (w or s)."""
        J = td.n_cand
        rows = np.zeros(J, dtype=np.int64)
        m = sp.csr_matrix((coef, (rows, t * J + np.arange(J))), shape=(1, self.T * J))
        if t > 0:
            m = m - sp.csr_matrix((coef, (rows, (t - 1) * J + np.arange(J))), shape=(1, self.T * J))
        return (m, lay_block)

    #: Budget rows are written in units of this many currency units (万元): yuan-sized
    #: coefficients (1e7..1e9) next to 0/1 coverage rows make the model badly scaled.
    MONEY_UNIT = 1e4

    def _budget_rows(self, b: MilpBuilder, lay: Layout) -> None:
        bud = self.spec.budget
        unit = self.MONEY_UNIT

        def parts_for(t: int, cumulative: bool) -> list[Any]:
            pick = self._cumulative if cumulative else self._opened_in
            out = [
                pick(td, lay.w[name], t, td.cost / unit)
                for name, td in self.types.items()
                if td.n_cand
            ]
            out += [
                pick(td, lay.s[name], t, np.full(td.n_cand, td.spec.cost_per_space / unit))
                for name, td in self.types.items()
                if td.spec.sized and td.n_cand
            ]
            return out

        for t in range(self.T):
            y = str(self.years[t])
            limit = bud.per_year.get(y)
            parts = parts_for(t, cumulative=False)
            if limit is not None and parts:
                b.concat_rows(parts, lower=-np.inf, upper=limit / unit, name=f"budget_{y}")
        if bud.total is not None:
            parts = parts_for(self.T - 1, cumulative=True)
            if parts:
                b.concat_rows(parts, lower=-np.inf, upper=bud.total / unit, name="budget_total")

    def _cumulative(self, td: TypeData, blk: Block, t: int, coef: FloatArray) -> Any:
        J = td.n_cand
        return (
            sp.csr_matrix(
                (coef, (np.zeros(J, dtype=np.int64), t * J + np.arange(J))), shape=(1, self.T * J)
            ),
            blk,
        )

    def _count_rows(self, b: MilpBuilder, lay: Layout) -> None:
        for name, td in self.types.items():
            f = td.spec
            keys = set(f.count) | set(f.min_count) | set(f.max_count)
            for key in sorted(keys):
                lo = f.count.get(key, f.min_count.get(key, 0))
                hi = f.count.get(key, f.max_count.get(key, np.inf))
                ones = np.ones(td.n_cand)
                if key == "total":
                    part = self._cumulative(td, lay.w[name], self.T - 1, ones)
                else:
                    part = self._opened_in(td, lay.w[name], self.years.index(int(key)), ones)
                b.concat_rows([part], lower=float(lo), upper=float(hi), name=f"count_{name}_{key}")
            if f.max_total is not None:
                E = td.existing.size
                ones = np.ones(td.n_cand)
                b.concat_rows(
                    [
                        self._cumulative(td, lay.w[name], self.T - 1, ones),
                        (sp.csr_matrix(np.ones((1, E))), lay.keep[name]),
                    ],
                    lower=-np.inf,
                    upper=float(f.max_total),
                    name=f"max_total_{name}",
                )

    def target_required(self, k: int) -> float:
        """The value target ``k`` asks for (residents for coverage, spaces or facilities)."""
        tgt = self.spec.target[k]
        if tgt.kind in ("coverage", "service_circle"):
            assert tgt.share is not None
            return float(tgt.share * self.target_population(k).sum())
        assert tgt.at_least is not None
        return float(tgt.at_least)

    def target_population(self, k: int) -> FloatArray:
        tgt = self.spec.target[k]
        key = f"target{k}"
        if key in self.indicators:
            return self.indicators[key].pop
        assert tgt.facility is not None
        return self.types[tgt.facility].pop

    def target_expr(self, k: int, lay: Layout) -> tuple[list[Any], float]:
        """Linear expression (parts) measured by target ``k``, and its constant part
        (residents covered whatever is built); the row is ``parts >= required - const``."""
        tgt = self.spec.target[k]
        t = self.target_year_index(tgt.year)
        if tgt.kind in ("coverage", "service_circle"):
            key = f"target{k}"
            if key in self.indicators:
                fam = self.indicators[key].family
                pop, const, blk = fam.pop, fam.const, lay.c[key]
            else:
                assert tgt.facility is not None
                td = self.types[tgt.facility]
                pop, const = self.z_pop(td)
                blk = lay.z[tgt.facility]
            G = pop.size
            row = sp.csr_matrix(
                (pop, (np.zeros(G, dtype=np.int64), t * G + np.arange(G))), shape=(1, self.T * G)
            )
            return [(row, blk)], const
        parts = []
        for name in tgt.types():
            td = self.types[name]
            if tgt.kind == "spaces" and name not in lay.s:
                raise InputError(
                    "a spaces target needs sized facilities", field=f"target[{k}]", value=name
                )
            blk = lay.s[name] if tgt.kind == "spaces" else lay.w[name]
            parts.append(self._cumulative(td, blk, t, np.ones(td.n_cand)))
        return parts, 0.0

    def area_coverage_objective(
        self, milp: MilpArrays, lay: Layout, facility: str, by: str, area: str, year: int | None
    ) -> tuple[FloatArray, float, float]:
        """Objective vector measuring residents of ``area`` covered by ``facility``.

        Returns (c, constant, residents of the area): the explainer maximises it to
        find the best share an area can reach.
        """
        td = self.types[facility]
        t = self.years.index(self.spec.year_of(year))
        in_area = self.data.blocks[by].astype(str).to_numpy() == area
        pop, _ = self.z_pop(td)
        c = np.zeros(milp.num_cols)
        const = 0.0
        assert td.family is not None
        fam = td.family
        group_in = in_area[fam.rep]
        zb = lay.z[facility]
        c[zb.start + t * pop.size + np.arange(pop.size)] = np.where(group_in, pop, 0.0)
        const = float(td.pop[in_area & fam.const_block].sum())
        return c, const, float(td.pop[in_area].sum())

    def _equity_rows(self, b: MilpBuilder, lay: Layout) -> None:
        for e in self.spec.equity:
            td = self.types[e.facility]
            t = self.years.index(self.spec.year_of(e.year))
            if e.min_facilities is not None:
                self._presence_rows(b, lay, e.facility, e.by, e.min_facilities, t, e.areas)
            if e.min_share is None and e.min_ratio_to_area is None:
                continue
            names, block_area = np.unique(
                self.data.blocks[e.by].astype(str).to_numpy(), return_inverse=True
            )
            block_area = block_area.ravel()
            A = names.size
            tot_a = np.bincount(block_area, weights=td.pop, minlength=A)
            total = float(td.pop.sum())
            pop, _ = self.z_pop(td)
            var_area: IntArray
            const_a: FloatArray
            if td.family is None:
                var_area, const_a = block_area.astype(np.int64), np.zeros(A)
            else:
                fam = td.family
                var_area = block_area[fam.rep].astype(np.int64)
                const_a = np.bincount(
                    block_area, weights=td.pop * fam.const_block, minlength=A
                ).astype(np.float64)
            G = pop.size
            cols = t * G + np.arange(G)
            mat = sp.csr_matrix((pop, (var_area, cols)), shape=(A, self.T * G))
            # Rows of areas outside e.areas get an inactive lower bound.
            active = np.ones(A, dtype=bool) if not e.areas else np.isin(names, e.areas)
            if e.min_share is not None:
                b.concat_rows(
                    [(mat, lay.z[e.facility])],
                    lower=np.where(active, e.min_share * tot_a - const_a, -np.inf),
                    upper=np.inf,
                    name=f"equity_{e.facility}",
                )
            if e.min_ratio_to_area is not None and total > 0:
                # covered_a - ratio * (tot_a / total) * covered_all >= 0
                share = e.min_ratio_to_area * tot_a / total
                whole = sp.csr_matrix(
                    (np.tile(pop, A), (np.repeat(np.arange(A), G), np.tile(cols, A))),
                    shape=(A, self.T * G),
                )
                whole = sp.diags(share) @ whole
                rhs = share * const_a.sum() - const_a
                b.concat_rows(
                    [(mat - whole, lay.z[e.facility])],
                    lower=np.where(active, rhs, -np.inf),
                    upper=np.inf,
                    name=f"equity_ratio_{e.facility}",
                )

    def _presence_rows(
        self, b: MilpBuilder, lay: Layout, name: str, by: str, least: int, t: int, only: list[str]
    ) -> None:
        """Each area (sub-district) holds at least ``least`` facilities of type ``name``."""
        td = self.types[name]
        J, E = td.n_cand, td.existing.size
        areas = np.unique(self.data.blocks[by].astype(str).to_numpy())
        if only:
            unknown = sorted(set(only) - set(areas))
            if unknown:
                raise InputError(
                    f"equity.areas: {unknown[0]!r} is not one of the blocks' {by} values",
                    field="equity.areas",
                    value=unknown[0],
                )
            areas = np.array(sorted(only))
        for frame, what in ((self.data.parcels, "parcels"), (self.data.existing, "existing")):
            if by not in frame.columns:
                raise InputError(
                    f"{what} have no column {by!r} for the equity floor",
                    field="equity.by",
                    value=by,
                )
        index = {a: k for k, a in enumerate(areas)}
        pa = self.data.parcels[by].astype(str).map(index).to_numpy()[td.cand]
        ea = self.data.existing[by].astype(str).map(index).to_numpy()[td.existing]
        okp = ~pd.isna(pa)
        oke = ~pd.isna(ea)
        mw = sp.csr_matrix(
            (np.ones(okp.sum()), (pa[okp].astype(np.int64), t * J + np.flatnonzero(okp))),
            shape=(areas.size, self.T * J),
        )
        mk = sp.csr_matrix(
            (np.ones(oke.sum()), (ea[oke].astype(np.int64), np.flatnonzero(oke))),
            shape=(areas.size, E),
        )
        b.concat_rows(
            [(mw, lay.w[name]), (mk, lay.keep[name])],
            lower=float(least),
            upper=np.inf,
            name=f"presence_{name}",
        )
