"""A plan's coverage, objective and feasibility on a district, and the best plan, written
plainly from the spec and the files as held: the independent reference of the district tests.

It reads the spec with tomllib and the files with geopandas and pandas (the Shapefile's
``.cpg``, the CSV's encoding and its 经度/纬度 columns, parcel areas in 亩), walks with
:mod:`tests.walk_reference` and shares no code with siting. It handles the keys the
district specs use (coverage of plain types, total counts, coverage targets at the type's
radius), no others.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from tests.walk_reference import Streets, entrances, walk

#: One 亩 in square metres.
MU_M2 = 10_000 / 15



@dataclass
class District:
    """A spec's district read plainly: blocks, parcels, existing facilities, streets, all
    in the blocks' CRS."""

    spec: dict[str, Any]
    blocks: gpd.GeoDataFrame
    block_xy: np.ndarray  # a point surely inside each block
    parcels: gpd.GeoDataFrame  # with parcel_id, uses (a set), year, area_m2
    existing: gpd.GeoDataFrame  # with facility_id, type; parks as their outlines
    streets: Streets
    _known: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def years(self) -> list[int]:
        return list(self.spec["meta"]["years"])

    def access_points(self, shapes: Any, access: str) -> tuple[np.ndarray, np.ndarray]:
        """Where each shape is reached (its inner point, or entrances along its edge) and,
        for every such point, the shape it belongs to."""
        xy, owner = [np.zeros((0, 2))], []
        for k, shape in enumerate(shapes):
            pts = entrances(shape) if access == "boundary" else _inner_points([shape])
            xy.append(pts)
            owner += [k] * len(pts)
        return np.vstack(xy), np.asarray(owner, dtype=np.int64)

    def to_parcels(self, access: str) -> np.ndarray:
        """Walking distances, blocks × parcels (kept: types share them)."""
        key = ("parcels", access)
        if key not in self._known:
            self._known[key] = self.distances(self.parcels.geometry, access)
        return self._known[key]

    def to_existing(self, name: str, access: str) -> np.ndarray:
        """Walking distances, blocks × existing facilities of type ``name``."""
        key = (name, access)
        if key not in self._known:
            shapes = self.existing.geometry[self.existing["type"] == name]
            self._known[key] = self.distances(shapes, access)
        return self._known[key]

    def distances(self, shapes: Any, access: str) -> np.ndarray:
        """Walking distance from every block to every shape (nearest access point)."""
        xy, owner = self.access_points(shapes, access)
        dist = walk(self.streets, self.block_xy, xy)
        out = np.full((len(self.blocks), len(shapes)), np.inf)
        for k in range(len(shapes)):
            out[:, k] = dist[:, owner == k].min(axis=1)
        return out


def read_district(spec_path: str | Path) -> District:
    """Read the ``[data]`` table of a spec (paths relative to it) without siting."""
    spec_path = Path(spec_path)
    spec = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    data = spec["data"]

    def layer(key: str, **kwargs: Any) -> gpd.GeoDataFrame:
        file, _, name = data[key].partition(":")
        return gpd.read_file(spec_path.parent / file, layer=name or None, **kwargs)

    blocks = layer("blocks")
    crs = blocks.crs
    parcels = layer("parcels").to_crs(crs)
    parcels["parcel_id"] = parcels[data["parcel_id"]].astype(str)
    parcels["uses"] = [set(re.split(r"\s*[、，,;；]\s*", str(u).strip()))
                       for u in parcels[data["parcel_uses"]]]
    parcels["year"] = parcels[data["parcel_year"]].astype(int)
    unit = {"m2": 1.0, "mu": MU_M2, "ha": 10_000.0}[data.get("parcel_area_unit", "m2")]
    parcels["area_m2"] = parcels[data["parcel_area"]].astype(float) * unit

    file = spec_path.parent / data["existing"]
    table = pd.read_csv(file, encoding=data.get("encoding", "utf-8"), dtype=str,
                        keep_default_na=False)
    to_blocks = Transformer.from_crs(data.get("crs", "EPSG:4326"), crs, always_xy=True)
    x, y = to_blocks.transform(table[data["x"]].astype(float).to_numpy(),
                               table[data["y"]].astype(float).to_numpy())
    existing = gpd.GeoDataFrame({"facility_id": table[data["existing_id"]],
                                 "type": table[data["existing_type"]]},
                                geometry=gpd.points_from_xy(x, y), crs=crs)
    if "existing_shapes" in data:
        shapes = layer("existing_shapes").to_crs(crs)
        outline = dict(zip(shapes[data["existing_id"]].astype(str), shapes.geometry,
                           strict=True))
        existing["geometry"] = [outline.get(i, g) for i, g in
                                zip(existing["facility_id"], existing.geometry, strict=True)]

    where = data.get("network_where")
    lines = layer("network", **({"where": where} if where else {})).to_crs(crs)
    level = data.get("network_level")
    levels = lines[level].astype(int).tolist() if level else [0] * len(lines)
    return District(spec, blocks, _inner_points(blocks.geometry), parcels, existing,
                    Streets(list(lines.geometry), levels))


def _inner_points(shapes: Any) -> np.ndarray:
    """A point surely inside each shape (a point is itself)."""
    pts = shapely.point_on_surface(np.asarray(list(shapes), dtype=object))
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])


def plan_coverage(district: District, plan: pd.DataFrame) -> dict[tuple[str, int], np.ndarray]:
    """Blocks within each type's radius of an open facility of it, per type and year.

    ``plan`` holds rows (type, parcel_id, year): a new facility open from that year;
    existing facilities are open throughout.
    """
    out = {}
    parcel_ids = district.parcels["parcel_id"].tolist()
    for name, f in district.spec["facility"].items():
        if f.get("distance", district.spec["meta"].get("distance")) != "network":
            raise NotImplementedError("the reference walks; straight lines are not written")
        access = f.get("access", "point")
        to_parcels = district.to_parcels(access)
        to_existing = district.to_existing(name, access)
        for year in district.years:
            rows = plan[(plan["type"] == name) & (plan["year"].astype(int) <= year)]
            cols = [parcel_ids.index(str(p)) for p in rows["parcel_id"]]
            near = np.hstack([to_parcels[:, cols], to_existing])
            best = near.min(axis=1) if near.shape[1] else np.full(len(district.blocks), np.inf)
            out[name, year] = best <= f["radius_m"] * (1 + 1e-9)
    return out


def plan_objective(district: District, coverage: dict[tuple[str, int], np.ndarray]) -> float:
    """Residents of each type's group covered, weighted, summed over the objective's years
    (every year for ``objective = "years"``, the default; else the last)."""
    meta = district.spec["meta"]
    years = district.years if meta.get("objective", "years") == "years" else district.years[-1:]
    total = 0.0
    for name, f in district.spec["facility"].items():
        if "capacity" in f or "decay" in f:
            raise NotImplementedError("capacities and decay are not written in the reference")
        pop = district.blocks[f["group"]].to_numpy(dtype=float)
        for year in years:
            total += f.get("weight", 1.0) * float(pop[coverage[name, year]].sum())
    return total


def plan_problems(district: District, plan: pd.DataFrame) -> list[str]:
    """What the plan breaks: uses, years, land (areas as the spec reads them), budget."""
    spec, problems = district.spec, []
    parcels = district.parcels.set_index("parcel_id")
    used: dict[str, float] = {}
    cost: dict[int, float] = {}
    for r in plan.to_dict("records"):
        name, pid, year, count = r["type"], str(r["parcel_id"]), int(r["year"]), r.get("count", 1)
        f, p = spec["facility"][name], parcels.loc[pid]
        if f.get("use", name) not in p["uses"]:
            problems.append(f"{name} on {pid}: not an allowed use ({p['uses']})")
        if year < p["year"] or year not in district.years:
            problems.append(f"{name} on {pid} in {year}: parcel free from {p['year']}")
        if f.get("whole_parcel"):
            need = p["area_m2"]
            if p["area_m2"] < f.get("min_area_m2", 0):
                problems.append(f"{name} on {pid}: {p['area_m2']:.0f} m² too small")
        else:
            need = f.get("footprint_m2", 0) * int(count)
        used[pid] = used.get(pid, 0.0) + need
        cost[year] = cost.get(year, 0.0) + f["build_cost"] * int(count)
    for pid, need in used.items():
        if need > parcels.loc[pid, "area_m2"] * (1 + 1e-9):
            area = parcels.loc[pid, "area_m2"]
            problems.append(f"{pid}: {need:.0f} m² of footprints on {area:.0f} m²")
    budget = spec.get("budget", {})
    if sum(cost.values()) > budget.get("total", np.inf):
        problems.append(f"cost {sum(cost.values()):,.0f} over the budget {budget['total']:,.0f}")
    for year, limit in budget.get("per_year", {}).items():
        if cost.get(int(year), 0.0) > limit:
            problems.append(f"{year}: cost {cost[int(year)]:,.0f} over {limit:,.0f}")
    return problems


def best_plan(district: District) -> tuple[float, pd.DataFrame]:
    """The best plan, by a MILP written plainly on the reference's coverage (HiGHS through
    ``scipy.optimize.milp``, solved to a zero gap).

    Variables: ``open[f, j, t]`` (type ``f`` on parcel ``j`` by year ``t``, monotone, not
    before the parcel is free) and ``cov[f, b, t]`` (block ``b`` covered by ``f`` in year
    ``t``). Rows: land per parcel, total and yearly budget (cost in the opening year),
    total counts, coverage targets at the type's own radius; the objective of
    :func:`plan_objective`. Handles the keys the district's spec uses, no others.
    """
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    spec, years = district.spec, district.years
    names, T = list(spec["facility"]), len(years)
    n_p, n_b = len(district.parcels), len(district.blocks)
    P = district.parcels
    empty = pd.DataFrame(columns=["type", "parcel_id", "year"])
    n_open = len(names) * n_p * T

    def o(f: int, j: int, t: int) -> int:
        return (f * n_p + j) * T + t

    def c(f: int, b: int, t: int) -> int:
        return n_open + (f * n_b + b) * T + t

    n = n_open + len(names) * n_b * T
    upper = np.ones(n)
    gain = np.zeros(n)
    rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients, low, high)
    reach, covered_now, pop_of = {}, {}, {}
    obj_years = years if spec["meta"].get("objective", "years") == "years" else years[-1:]
    base = plan_coverage(district, empty)
    for f, name in enumerate(names):
        spec_f = spec["facility"][name]
        need = spec_f.get("min_area_m2", 0) if spec_f.get("whole_parcel") else \
            spec_f.get("footprint_m2", 0)
        ok = np.array([spec_f.get("use", name) in u for u in P["uses"]]) & \
            (P["area_m2"].to_numpy() >= max(need, 1e-9))
        radius = spec_f["radius_m"] * (1 + 1e-9)
        reach[f] = district.to_parcels(spec_f.get("access", "point")) <= radius
        pop_of[f] = district.blocks[spec_f["group"]].to_numpy(dtype=float)
        for t, year in enumerate(years):
            covered_now[f, t] = base[name, year]
            for j in range(n_p):
                if not ok[j] or P["year"].iloc[j] > year:
                    upper[o(f, j, t)] = 0
                if t:
                    rows.append(({o(f, j, t - 1): 1, o(f, j, t): -1}, -np.inf, 0))
            for b in range(n_b):
                # covered only if a facility within reach is open (or one already is)
                if covered_now[f, t][b]:
                    continue
                near = {o(f, int(j), t): -1.0 for j in np.flatnonzero(reach[f][b])}
                rows.append(({c(f, b, t): 1.0, **near}, -np.inf, 0))
                if year in obj_years:
                    gain[c(f, b, t)] = spec_f.get("weight", 1.0) * pop_of[f][b]
        for key, low in spec_f.get("min_count", {}).items():
            assert key == "total"
            rows.append(({o(f, j, T - 1): 1 for j in range(n_p)}, low, np.inf))
        for key, high in spec_f.get("max_count", {}).items():
            assert key == "total"
            rows.append(({o(f, j, T - 1): 1 for j in range(n_p)}, -np.inf, high))
    for j in range(n_p):  # land, by the last year
        land = {}
        for f, name in enumerate(names):
            spec_f = spec["facility"][name]
            land[o(f, j, T - 1)] = P["area_m2"].iloc[j] if spec_f.get("whole_parcel") \
                else spec_f.get("footprint_m2", 0)
        rows.append((land, -np.inf, P["area_m2"].iloc[j] * (1 + 1e-9)))
    budget = spec.get("budget", {})
    spend: list[dict[int, float]] = [{} for _ in years]
    for f, name in enumerate(names):
        cost = spec["facility"][name]["build_cost"] / 1e4  # in 万元, for scaling
        for j in range(n_p):
            for t in range(T):
                spend[t][o(f, j, t)] = spend[t].get(o(f, j, t), 0) + cost
                if t:
                    spend[t][o(f, j, t - 1)] = spend[t].get(o(f, j, t - 1), 0) - cost
    if "total" in budget:
        total: dict[int, float] = {}
        for part in spend:
            for k, v in part.items():
                total[k] = total.get(k, 0) + v
        rows.append((total, -np.inf, budget["total"] / 1e4))
    for year, limit in budget.get("per_year", {}).items():
        rows.append((spend[years.index(int(year))], -np.inf, limit / 1e4))
    for tgt in spec.get("target", []):
        assert tgt["kind"] == "coverage" and "radius_m" not in tgt and "group" not in tgt
        f, t = names.index(tgt["facility"]), years.index(tgt.get("year", years[-1]))
        pop = pop_of[f]
        terms = {c(f, b, t): pop[b] for b in range(n_b) if not covered_now[f, t][b]}
        rows.append((terms, tgt["share"] * pop.sum() - pop[covered_now[f, t]].sum() - 1e-6,
                     np.inf))
    A = sp.lil_matrix((len(rows), n))
    for r, (terms, _, _) in enumerate(rows):
        for k, v in terms.items():
            A[r, k] = v
    res = milp(-gain, integrality=np.ones(n), bounds=Bounds(0, upper),
               constraints=LinearConstraint(A.tocsr(), [r[1] for r in rows], [r[2] for r in rows]),
               options={"mip_rel_gap": 0})
    if res.x is None:
        raise ValueError(f"the reference MILP found no plan: {res.message}")
    x = np.round(res.x).astype(int)
    plan = [(name, P["parcel_id"].iloc[j], years[t]) for f, name in enumerate(names)
            for j in range(n_p) for t in range(T)
            if x[o(f, j, t)] and (t == 0 or not x[o(f, j, t - 1)])]
    chosen = pd.DataFrame(plan, columns=["type", "parcel_id", "year"])
    return plan_objective(district, plan_coverage(district, chosen)), chosen
