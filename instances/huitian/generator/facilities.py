"""Existing facilities (2018 baseline) and park polygons — synthetic, *estimates*.

Counts follow per-capita rates chosen so that the baseline shows the shortages
the 2018–2020 plan was written against (kindergartens, schools, elderly
stations); positions are drawn next to residential blocks (facilities serve
compounds), kept off barrier corridors and spaced apart per type. Parks are
added (large parks on open land first, then pocket parks next to housing)
until the straight-line 500 m park coverage of residents reaches
``PARK_COVERAGE_TARGET`` — the plan's starting point, below its 85 % target.
Names are synthetic: nearest community + facility type.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely import affinity

from .facts import CRS, SUBDISTRICTS
from .population import largest_remainder

PARK_COVERAGE_TARGET = 0.80
PARK_RADIUS = 500.0


@dataclass(frozen=True)
class FacilitySpec:
    """How many of a type exist and what one looks like (estimates)."""

    code: str
    suffix: str  # Chinese name suffix
    per_100k: float  # facilities per 100,000 residents (0 = fixed count)
    fixed: int
    capacity: tuple[int, int, int] | None  # (min, max, step) or None
    area: tuple[float, float]  # m², land (schools, parks, parking) or floor (rooms)
    spacing: float  # minimum distance between two of the type, metres


SPECS: dict[str, FacilitySpec] = {
    # Seats: 6–12 classes × 30 children.
    "kindergarten": FacilitySpec("KG", "幼儿园", 5.0, 0, (180, 360, 30), (1500, 3200), 250),
    # Seats: 18–36 classes × 45 pupils.
    "primary_school": FacilitySpec("PS", "小学", 2.5, 0, (810, 1620, 45), (6000, 9500), 700),
    "middle_school": FacilitySpec("MS", "中学", 1.25, 0, (900, 1800, 50), (11000, 16000), 1200),
    # Day-care places; ~18 stations in 2018 (the plan adds 20 by 2020).
    "elderly_station": FacilitySpec("EL", "养老服务驿站", 2.0, 0, (20, 60, 5), (350, 750), 400),
    "health_station": FacilitySpec("HS", "社区卫生服务站", 6.5, 0, None, (150, 300), 300),
    "service_room": FacilitySpec("SR", "社区服务站", 5.5, 0, None, (100, 400), 300),
    # Spaces; surface/structured lots, ~30 m² per surface space.
    "parking": FacilitySpec("PA", "停车场", 5.5, 0, (80, 600, 10), (0, 0), 300),
    "fire_station": FacilitySpec("FS", "消防站", 0.0, 4, None, (3000, 5000), 2500),
}

CHINESE_ORDINALS = "二三四五六七八九十"


def _base_name(community: str) -> str:
    for tail in ("社区", "村"):
        if community.endswith(tail) and len(community) > len(tail) + 1:
            return community[: -len(tail)]
    return community


class _Namer:
    """Synthetic names: nearest community + type suffix, numbered on repeat."""

    def __init__(self, blocks: gpd.GeoDataFrame) -> None:
        self._tree = shapely.STRtree(np.asarray(blocks.geometry))
        self._community = blocks["community"].to_numpy()
        self._seen: dict[str, int] = {}

    def __call__(self, point: shapely.Point, suffix: str) -> str:
        idx = int(self._tree.nearest(point))
        base = _base_name(str(self._community[idx])) + suffix
        k = self._seen.get(base, 0)
        self._seen[base] = k + 1
        if k == 0:
            return base
        return f"{base}（{CHINESE_ORDINALS[min(k - 1, len(CHINESE_ORDINALS) - 1)]}）"


def _place(
    rng: np.random.Generator,
    anchors: NDArray[np.float64],
    weights: NDArray[np.float64],
    region: shapely.Geometry,
    taken: list[NDArray[np.float64]],
    same_type: list[NDArray[np.float64]],
    spacing: float,
    offset: tuple[float, float],
) -> NDArray[np.float64] | None:
    """A point near a weighted anchor, inside ``region``, spaced from others."""
    for relax in (1.0, 0.75, 0.5, 0.3):
        k = 64
        pick = rng.choice(anchors.shape[0], size=k, p=weights / weights.sum())
        r = rng.uniform(*offset, k)
        t = rng.uniform(0, 2 * np.pi, k)
        cand = anchors[pick] + np.column_stack([r * np.cos(t), r * np.sin(t)])
        ok = shapely.contains_xy(region, cand[:, 0], cand[:, 1])
        if taken:
            all_pts = np.vstack(taken)
            d = np.min(np.hypot(cand[:, None, 0] - all_pts[None, :, 0],
                                cand[:, None, 1] - all_pts[None, :, 1]), axis=1)
            ok &= d > 30.0
        if same_type:
            st = np.vstack(same_type)
            d = np.min(np.hypot(cand[:, None, 0] - st[None, :, 0],
                                cand[:, None, 1] - st[None, :, 1]), axis=1)
            ok &= d > spacing * relax
        hit = np.flatnonzero(ok)
        if hit.size:
            return cand[hit[0]]
    return None


def build_existing(
    rng: np.random.Generator,
    blocks: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame,
    barriers: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Existing facilities (points, all types incl. parks) and park polygons."""
    corridor = shapely.union_all(np.asarray(barriers.geometry.buffer(35.0)))
    namer = _Namer(blocks)
    bx = np.asarray(blocks.geometry.x)
    by = np.asarray(blocks.geometry.y)
    pop = blocks["pop_total"].to_numpy().astype(np.float64)
    sd_of_block = blocks["subdistrict"].to_numpy()
    residents = np.array([sd.residents for sd in SUBDISTRICTS], dtype=np.float64)
    regions = {
        name: shapely.difference(geom, corridor)
        for name, geom in zip(subdistricts["subdistrict"], subdistricts.geometry, strict=True)
    }
    for g in regions.values():
        shapely.prepare(g)

    rows: list[dict[str, object]] = []
    taken: list[NDArray[np.float64]] = []
    for ftype, spec in SPECS.items():
        total = spec.fixed or round(residents.sum() / 100_000 * spec.per_100k)
        counts = largest_remainder(total, residents)
        if spec.fixed:  # fire stations: the four largest sub-districts by residents
            counts = np.zeros(len(SUBDISTRICTS), dtype=np.int64)
            counts[np.argsort(-residents, kind="stable")[: spec.fixed]] = 1
        same: list[NDArray[np.float64]] = []
        for sd, count in zip(SUBDISTRICTS, counts, strict=True):
            mask = sd_of_block == sd.name
            anchors = np.column_stack([bx[mask], by[mask]])
            for _ in range(int(count)):
                p = _place(rng, anchors, pop[mask], regions[sd.name], taken, same,
                           spec.spacing, (40.0, 160.0))
                if p is None:
                    continue
                same.append(p[None, :])
                taken.append(p[None, :])
                point = shapely.Point(round(float(p[0]), 2), round(float(p[1]), 2))
                if spec.capacity is None:
                    capacity = pd.NA
                else:
                    lo, hi, step = spec.capacity
                    capacity = int(rng.integers(lo // step, hi // step + 1)) * step
                if ftype == "parking":
                    area = float(capacity) * 30.0
                else:
                    area = float(np.round(rng.uniform(*spec.area), -1))
                rows.append(
                    {
                        "type": ftype,
                        "name": namer(point, spec.suffix),
                        "subdistrict": sd.name,
                        "capacity": capacity,
                        "area_m2": area,
                        "geometry": point,
                    }
                )
    parks = _build_parks(rng, blocks, subdistricts, corridor, namer)
    for park in parks.itertuples(index=False):
        rows.append(
            {
                "type": "park",
                "name": park.name,
                "subdistrict": park.subdistrict,
                "capacity": pd.NA,
                "area_m2": park.area_m2,
                "geometry": park.geometry.representative_point(),
            }
        )
    existing = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    prefix = {t: s.code for t, s in SPECS.items()} | {"park": "PK"}
    ids = []
    seen: dict[str, int] = {}
    for t in existing["type"]:
        seen[t] = seen.get(t, 0) + 1
        ids.append(f"{prefix[t]}{seen[t]:03d}")
    existing.insert(0, "facility_id", ids)
    existing["capacity"] = existing["capacity"].astype("Int64")
    park_ids = existing.loc[existing["type"] == "park", "facility_id"].to_numpy()
    parks.insert(0, "facility_id", park_ids)
    return existing, parks


def placed(shape: shapely.Polygon, angle: float, cx: float, cy: float) -> shapely.Polygon:
    """``shape``, drawn around the origin, turned by ``angle`` degrees and moved to (cx, cy).

    >>> placed(shapely.box(-1, -1, 1, 1), 0.0, 5.0, 5.0).bounds
    (4.0, 4.0, 6.0, 6.0)
    """
    return affinity.translate(affinity.rotate(shape, angle, origin=(0, 0)), cx, cy)


def _rect(cx: float, cy: float, area: float, aspect: float, angle: float) -> shapely.Polygon:
    w, h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    return placed(shapely.box(-w / 2, -h / 2, w / 2, h / 2), angle, cx, cy)


def _build_parks(
    rng: np.random.Generator,
    blocks: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame,
    corridor: shapely.Geometry,
    namer: _Namer,
) -> gpd.GeoDataFrame:
    area_outline = shapely.union_all(np.asarray(subdistricts.geometry))
    land = shapely.difference(area_outline.buffer(-20.0), corridor)
    shapely.prepare(land)
    block_geom = np.asarray(blocks.geometry)
    block_tree = shapely.STRtree(block_geom)
    pop = blocks["pop_total"].to_numpy().astype(np.float64)
    bx = np.asarray(blocks.geometry.x)
    by = np.asarray(blocks.geometry.y)
    minx, miny, maxx, maxy = area_outline.bounds

    candidates: list[shapely.Polygon] = []
    # Large parks (3–25 ha) on open land: centres far from housing.
    tries = 0
    while len(candidates) < 12 and tries < 4000:
        tries += 1
        cx, cy = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        area = float(np.clip(rng.lognormal(np.log(80_000), 0.6), 30_000, 250_000))
        angle = rng.choice([0.0, 90.0]) + rng.uniform(-8, 8)
        poly = _rect(cx, cy, area, rng.uniform(1.0, 2.5), angle)
        if _park_ok(poly, land, block_tree, candidates):
            candidates.append(poly)
    # Pocket parks (0.3–1.5 ha) next to housing, in random order.
    order = rng.permutation(len(blocks))
    for i in order[:1500]:
        t = rng.uniform(0, 2 * np.pi)
        r = rng.uniform(60, 180)
        area = float(np.clip(rng.lognormal(np.log(6_000), 0.5), 3_000, 15_000))
        poly = _rect(bx[i] + r * np.cos(t), by[i] + r * np.sin(t), area,
                     rng.uniform(1.0, 2.0), rng.uniform(-8, 8))
        if _park_ok(poly, land, block_tree, candidates):
            candidates.append(poly)

    covered = np.zeros(len(blocks), dtype=bool)
    chosen: list[shapely.Polygon] = []
    total = pop.sum()
    for poly in candidates:
        if pop[covered].sum() / total >= PARK_COVERAGE_TARGET:
            break
        hit = block_tree.query(poly, predicate="dwithin", distance=PARK_RADIUS)
        if not np.any(~covered[hit]) and len(chosen) >= 12:
            continue  # adds nothing: skip, keep looking
        covered[hit] = True
        chosen.append(poly)
    sd_names = subdistricts["subdistrict"].to_numpy()
    sd_geoms = np.asarray(subdistricts.geometry)
    rows = []
    for poly in chosen:
        poly = shapely.set_precision(poly, 0.01)
        rp = poly.representative_point()
        k = int(np.argmax(shapely.area(shapely.intersection(sd_geoms, poly))))
        rows.append(
            {
                "name": namer(rp, "公园"),
                "subdistrict": sd_names[k],
                "area_m2": round(float(poly.area), 1),
                "geometry": poly,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def _park_ok(
    poly: shapely.Polygon,
    land: shapely.Geometry,
    block_tree: shapely.STRtree,
    others: list[shapely.Polygon],
) -> bool:
    if not land.contains(poly):
        return False
    if block_tree.query(poly, predicate="dwithin", distance=15.0).size:
        return False
    return not (others and bool(np.any(shapely.dwithin(np.asarray(others), poly, 60.0))))
