"""A multi-service spec on its data: each type's candidates, coverage and row groups.

For every facility type the problem holds a classic :class:`~siting.instance.Instance`
(blocks weighted by the type's population group; its candidate parcels, then
its existing facilities) whose metric is the one coverage layer of every model:
coverage at the type's radius, or at a target's other radius, is that metric's
:meth:`~siting.coverage.Metric.within`. Blocks are then merged exactly into
groups with the same area and covering pattern (:func:`make_family`, through
:func:`siting.reduce.merge_equal_rows`).

The MILP arrays themselves are written by :mod:`siting.multi.rows`.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.errors import InputError
from siting.instance import Instance
from siting.instance_checks import unique_ids
from siting.multi.data import ServiceData, uses_mask
from siting.multi.decay import type_attendance
from siting.multi.spec import Facility, Spec, Target
from siting.multi.types import Family, Indicator, TargetKey, TypeData, make_family

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class MultiServiceProblem:
    """A spec on its data: type structures, indicators, and MILP arrays on demand.

    ``build(drop=..., objective=...)`` rebuilds the arrays without some targets or
    with another objective; the infeasibility explainer uses that to find the
    best achievable value of a target that cannot be met.

    ``only`` limits each named type's candidates to the given parcel positions (a
    primal heuristic's restricted problem); ``reuse``, a problem on the same data,
    lends its coverage so that a derived problem (another spec on the same types,
    or fewer candidates) does not recompute distances. Targets that are only
    reported get no indicator: no row reads it, the verifier measures them.
    """

    def __init__(
        self,
        spec: Spec,
        data: ServiceData,
        *,
        only: dict[str, IntArray] | None = None,
        reuse: MultiServiceProblem | None = None,
    ) -> None:
        self.spec = spec
        self.data = data
        self.only = only or {}
        self.years = list(spec.meta.years)
        self.T = len(self.years)
        self.mode = spec.meta.distance
        self.block_xy: FloatArray = reuse.block_xy if reuse is not None else data.block_xy()
        #: The blocks' ids, checked once for every type's instance (lent on the same data).
        self.block_ids: NDArray[Any] = (
            reuse.block_ids if reuse is not None and reuse.data is data
            else unique_ids(data.blocks["block_id"].to_numpy(), "demand id", data.source)
        )
        self.n_blocks = len(data.blocks)
        self.area = data.parcels["area_m2"].to_numpy(dtype=np.float64)
        #: The block columns :attr:`area_codes` combines.
        self.area_columns: list[str] = self._area_columns()
        self.area_codes: IntArray = (
            reuse.area_codes if reuse is not None and reuse.data is data
            and reuse.area_columns == self.area_columns else self._area_codes()
        )
        # (type, mode, access, radius) -> (candidate positions, blocks x (candidates, existing))
        self._within: dict[tuple[str, str, str, float], tuple[IntArray, sp.csr_matrix]] = {}
        self._lender = reuse
        #: Each block's nearest open site, by type and set of open sites: the tables' and
        #: the verifier's answers (:func:`siting.multi.tables.nearest_open`).
        self.nearest_memo: dict[Any, Any] = {}
        self.types: dict[str, TypeData] = {
            name: self._type_data(name, f) for name, f in spec.facility.items()
        }
        self.indicators: dict[TargetKey, Indicator] = {}
        for k, tgt in enumerate(spec.target):
            ind = self._indicator_for(k, tgt) if tgt.mode == "constraint" else None
            if ind is not None:
                self.indicators[ind.key] = ind

    def on_year(self, spec: Spec, index: int) -> MultiServiceProblem:
        """This problem's types, coverage and groups under ``spec``, a spec on the one
        year ``self.years[index]`` (same types and targets): parcels free only later
        are kept as candidates that cannot open, so nothing is recomputed."""
        view = copy.copy(self)
        view.spec = spec
        view.years = list(spec.meta.years)
        view.T = len(view.years)
        view.types = {
            name: replace(td, spec=spec.facility[name],
                          avail_t=np.where(td.avail_t <= index, 0, 1).astype(np.int64))
            for name, td in self.types.items()
        }
        view.indicators = {
            key: ind for key, ind in self.indicators.items()
            if spec.target[key.position].mode == "constraint"
        }
        return view

    def instance(self, name: str) -> Instance:
        """Facility type ``name`` as a classic instance (e.g. to solve it alone as an MCLP)."""
        return self.types[name].instance

    # ----------------------------------------------------------------- data
    def _area_columns(self) -> list[str]:
        """The block columns equity floors group by, and the sub-district when there is one."""
        return sorted(
            {e.by for e in self.spec.equity}
            | ({"subdistrict"} if "subdistrict" in self.data.blocks.columns else set())
        )

    def _area_codes(self) -> IntArray:
        """One code per combination of :attr:`area_columns` (groups of blocks never
        straddle an area, so the equity floors stay exact); a problem on the same data
        and columns lends its own."""
        codes = np.zeros(self.n_blocks, dtype=np.int64)
        for col in self.area_columns:
            column = self._block_column(col, "equity.by", "column {name!r} for the equity floor")
            _, inv = np.unique(column.astype(str).to_numpy(), return_inverse=True)
            codes = codes * (int(inv.max()) + 1) + inv.ravel()
        return codes

    def family_for(
        self,
        key: str,
        pop: FloatArray,
        per_type: list[tuple[str, sp.csr_matrix, int]],
        *,
        existing_as_sites: bool = False,
    ) -> Family:
        """A :class:`Family` from each type's block × site coverage (any stored entry)
        and its number of candidates (the sites after them are existing facilities).

        Kept existing facilities make their blocks a constant, unless
        ``existing_as_sites`` (capacitated types: existing places are limited too)."""
        patterns = []
        for name, cover, n_cand in per_type:
            pattern = sp.csr_matrix(cover, dtype=np.float64, copy=True)
            pattern.data[:] = 1.0
            if self.spec.facility[name].existing == "keep" and not existing_as_sites:
                pre = np.diff(sp.csr_matrix(pattern[:, n_cand:]).indptr) > 0
                keep_cand = np.r_[np.ones(n_cand), np.zeros(pattern.shape[1] - n_cand)]
                pattern = sp.csr_matrix(pattern @ sp.diags(keep_cand))
                pattern.eliminate_zeros()
            else:
                pre = np.zeros(self.n_blocks, dtype=bool)
            patterns.append((name, pattern, pre))
        return make_family(key, pop, self.area_codes, patterns)

    def group(self, name: str) -> FloatArray:
        """The population column ``name`` of the blocks, checked."""
        column = self._block_column(name, "group", "population column {name!r}")
        vals = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
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

    def _block_column(self, name: str, field: str, what: str) -> pd.Series:
        """A column of the blocks; its absence named (``what`` reads ``… {name!r} …``)."""
        if name not in self.data.blocks.columns:
            raise InputError(f"blocks have no {what.format(name=name)}",
                             path=self.data.source, field=field, value=name)
        return self.data.blocks[name]

    def _candidates(self, name: str, f: Facility) -> tuple[IntArray, IntArray]:
        """Parcels allowed for the type (use, area, year) and their first year index."""
        parcels = self.data.parcels
        ok = uses_mask(parcels["allowed_uses"], f.use or name).copy()
        need = f.min_area_m2 if f.whole_parcel else f.footprint_m2
        ok &= self.area >= max(need, 1e-9)
        year_av = parcels["year_available"].to_numpy(dtype=np.int64)
        ok &= year_av <= self.years[-1]
        if name in self.only:
            ok &= np.isin(np.arange(ok.size), self.only[name])
        cand = np.flatnonzero(ok).astype(np.int64)
        avail_t = np.searchsorted(np.asarray(self.years), np.maximum(year_av[cand], self.years[0]))
        return cand, avail_t.astype(np.int64)

    def _costs(self, f: Facility, cand: IntArray) -> tuple[FloatArray, FloatArray]:
        """Cost of one facility on each candidate (build + land share), and spaces it holds."""
        parcels = self.data.parcels
        land = np.zeros(cand.size)
        if f.land_cost and "land_cost_est" in parcels.columns:
            unit = parcels["land_cost_est"].to_numpy(dtype=float)[cand] / np.maximum(
                self.area[cand], 1.0
            )
            land = unit * (self.area[cand] if f.whole_parcel else f.footprint_m2)
        max_spaces = np.zeros(cand.size)
        if f.sized:
            assert f.m2_per_space is not None
            max_spaces = np.floor(self.area[cand] * f.levels / f.m2_per_space)
        return np.asarray(f.build_cost + land, dtype=float), max_spaces

    def _type_data(self, name: str, f: Facility) -> TypeData:
        cand, avail_t = self._candidates(name, f)
        existing = np.flatnonzero(
            (self.data.existing["type"].astype(str) == name).to_numpy()
        ).astype(np.int64)
        cost, max_spaces = self._costs(f, cand)
        pop = self.group(f.group)
        ex = self.data.existing
        cap_col = ex["capacity"] if "capacity" in ex.columns else pd.Series(np.nan, index=ex.index)
        ex_cap = pd.to_numeric(cap_col, errors="coerce").to_numpy(dtype=float)[existing]
        ex_cap = np.where(np.isfinite(ex_cap), ex_cap, f.capacity or np.inf)
        metric = self.data.metric(cand, existing, self.mode_of(f), f.access, travel=f)
        instance = Instance(
            name=f"{self.spec.meta.name}:{name}",
            demand_ids=self.block_ids,
            weight=pop,
            site_ids=np.concatenate([
                self.data.parcels["parcel_id"].to_numpy()[cand].astype(object),
                ex["facility_id"].to_numpy()[existing].astype(object),
            ]),
            metric=metric,
            site_cost=np.r_[cost, np.zeros(existing.size)],
            capacity=np.r_[np.full(cand.size, f.capacity or np.inf), ex_cap],
            existing=np.r_[np.zeros(cand.size, dtype=bool), np.ones(existing.size, dtype=bool)],
            crs=self.data.blocks.crs,
            source=self.data.source,
            demand_xy=self.block_xy,
        )
        coverage = self.coverage_within(name, f, cand, metric, f.radius_m)
        family = self.family_for(
            f"z_{name}", pop, [(name, coverage, int(cand.size))],
            existing_as_sites=f.capacity is not None,
        )
        td = TypeData(
            name, f, cand, avail_t, existing, pop, instance, coverage, cost, max_spaces,
            ex_cap, family,
        )
        if f.decay is not None:
            td.attendance = type_attendance(td)
        return td

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
        per_type = [
            (name, self.coverage_within(
                name, self.spec.facility[name], self.types[name].cand,
                self.types[name].instance.metric, radius,
            ), self.types[name].n_cand)
            for name in types
        ]
        pop = self.group(group)
        key = TargetKey.of(k)
        return Indicator(key, types, radius, group, pop, self.family_for(key, pop, per_type))

    def coverage_within(
        self, name: str, f: Facility, cand: IntArray, metric: Any, radius: float
    ) -> sp.csr_matrix:
        """``metric.within(radius)`` for type ``name`` (columns: ``cand``, then its existing
        facilities), or the same columns cut from the lending problem's matrix when it
        holds every candidate of ``cand``."""
        key = (name, self.mode_of(f), f.access, float(radius))
        lent = self._lender._within.get(key) if self._lender is not None else None
        if lent is not None and np.isin(cand, lent[0]).all():
            lent_cand, matrix = lent
            n_existing = matrix.shape[1] - lent_cand.size
            cols = np.r_[np.searchsorted(lent_cand, cand),
                         lent_cand.size + np.arange(n_existing)]
            coverage = sp.csr_matrix(matrix[:, cols])
        else:
            coverage = metric.within(radius)
        self._within[key] = (cand, coverage)
        return coverage

    def mode_of(self, f: Facility) -> str:
        return f.distance or self.mode

    def target_year_index(self, tgt_year: int | None) -> int:
        return self.years.index(self.spec.year_of(tgt_year))

    # ------------------------------------------------------------ measures
    def capacity_pairs(self, td: TypeData) -> tuple[IntArray, IntArray]:
        """(group, site) pairs of a capacitated type: assignment variables exist only there."""
        _, rows, pat = td.family.links[0]
        coo = sp.coo_matrix(pat)
        order = np.lexsort((coo.col, coo.row))
        return rows[coo.row[order]].astype(np.int64), coo.col[order].astype(np.int64)

    def z_pop(self, td: TypeData) -> tuple[FloatArray, float]:
        """Population per z variable of a type, and the population covered regardless."""
        return td.family.pop, td.family.const

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
        key = TargetKey.of(k)
        if key in self.indicators:
            return self.indicators[key].pop
        if tgt.group is not None:
            return self.group(tgt.group)
        return self.types[tgt.types()[0]].pop
