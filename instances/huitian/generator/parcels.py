"""Candidate parcels: land and rooms freed by 疏解整治 (synthetic, *estimates*).

Each kind has a log-normal size distribution (heavy-tailed overall: from 200 m²
idle rooms to village collective land of several hectares), a typical unit
land cost and build cost, and a placement rule: rooms (idle rooms, boiler
rooms, garbage stations) sit inside compounds next to housing; demolished
illegal buildings and relocated markets nearer the edges of compounds; factories,
warehouses and village collective land on open land. Counts per sub-district
follow the fact sheet's picture: much freed land in 东小口 and 史各庄 (villages,
industry), little in dense 天通苑. Allowed uses follow size (GB 50180 land
needs), kind (an indoor room cannot be a park) and noise (no school, kindergarten
or elderly station within 80 m of an expressway).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import affinity

from .facilities import placed
from .facts import CRS

USES: tuple[str, ...] = (
    "kindergarten",
    "primary_school",
    "middle_school",
    "elderly_station",
    "health_station",
    "parking",
    "park",
    "fire_station",
    "service_room",
)

# Minimum parcel area (m²) per use (land, or floor for room-type uses).
MIN_AREA: dict[str, float] = {
    "service_room": 200,
    "elderly_station": 200,
    "health_station": 200,
    "kindergarten": 1_500,  # 4 classes (GB 50180 / FACTS)
    "primary_school": 6_000,  # 12 classes
    "middle_school": 11_000,  # 18 classes
    "park": 1_000,
    "parking": 1_000,
    "fire_station": 3_000,
}
INDOOR_KINDS = {"idle_room", "boiler_room"}
NOISE_SENSITIVE = {"kindergarten", "primary_school", "middle_school", "elderly_station"}


@dataclass(frozen=True)
class KindSpec:
    """Size, cost and placement of one kind of freed land (estimates)."""

    median_m2: float
    sigma: float
    min_m2: float
    max_m2: float
    land_yuan_m2: float  # acquisition / compensation per m² of parcel
    build_yuan_m2: float  # construction or refit per m² of floor
    offset: tuple[float, float]  # distance from a residential block, metres
    years: tuple[float, ...]  # relative weight of each year 2018 … 2030


YEARS = np.arange(2018, 2031)
_EARLY = (5, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1)
_CAMPAIGN = (6, 6, 5, 3, 2, 1, 1, 1, 1.5, 1.5, 1.5, 1, 1)  # 疏解整治促提升 2017–2020
_LATE = (1, 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 2.5, 2.5)  # 2026–2030 plan

KINDS: dict[str, KindSpec] = {
    "idle_room": KindSpec(300, 0.35, 200, 900, 3_000, 2_500, (15, 60), _EARLY),
    "boiler_room": KindSpec(650, 0.55, 200, 3_000, 3_500, 3_500, (30, 120), _EARLY),
    "garbage_station": KindSpec(450, 0.45, 200, 1_500, 3_000, 3_500, (50, 150), _EARLY),
    "demolished_illegal_building": KindSpec(1_500, 0.95, 200, 15_000, 4_000, 5_000,
                                            (80, 350), _CAMPAIGN),
    "relocated_market": KindSpec(6_000, 0.7, 1_500, 40_000, 9_000, 5_500, (120, 450), _CAMPAIGN),
    "factory_warehouse": KindSpec(14_000, 0.8, 2_000, 80_000, 8_000, 6_000, (250, 900), _LATE),
    "village_collective_land": KindSpec(18_000, 0.85, 2_000, 100_000, 5_000, 6_000,
                                        (250, 900), _LATE),
}

# Parcels per sub-district and kind mix (share per kind, KINDS order).
_VILLAGE_MIX = (0.07, 0.08, 0.07, 0.25, 0.10, 0.20, 0.23)
_COMPOUND_MIX = (0.25, 0.22, 0.18, 0.17, 0.08, 0.07, 0.03)
PARCELS_PER_SUBDISTRICT: dict[str, tuple[int, tuple[float, ...]]] = {
    "回龙观街道": (66, _COMPOUND_MIX),
    "龙泽园街道": (40, _COMPOUND_MIX),
    "史各庄街道": (110, _VILLAGE_MIX),
    "霍营街道": (46, _COMPOUND_MIX),
    "东小口镇": (142, _VILLAGE_MIX),
    "天通苑北街道": (26, _COMPOUND_MIX),
    "天通苑南街道": (32, _COMPOUND_MIX),
}
# Land price level relative to the area mean (closer to the city: dearer).
LAND_LEVEL: dict[str, float] = {
    "回龙观街道": 1.0, "龙泽园街道": 1.0, "史各庄街道": 0.8, "霍营街道": 1.0,
    "东小口镇": 0.9, "天通苑北街道": 1.1, "天通苑南街道": 1.15,
}


def allowed_uses(kind: str, area_m2: float, near_expressway: bool) -> str:
    """';'-separated uses a parcel can host (canonical order of ``USES``)."""
    out = []
    for use in USES:
        if area_m2 < MIN_AREA[use]:
            continue
        if kind in INDOOR_KINDS and use in {"park", "parking", "fire_station"}:
            continue
        if kind == "garbage_station" and use in {"fire_station"}:
            continue
        if near_expressway and use in NOISE_SENSITIVE:
            continue
        out.append(use)
    return ";".join(out)


def _polygon(rng: np.random.Generator, cx: float, cy: float, area: float) -> shapely.Polygon:
    aspect = rng.uniform(1.0, 2.3)
    w, h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    if area > 20_000:
        # Larger plots: irregular quadrilateral (corners moved up to 12 %).
        corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
        corners = corners * rng.uniform(0.88, 1.12, corners.shape)
        poly = shapely.Polygon(corners)
        factor = float(np.sqrt(area / poly.area))
        poly = affinity.scale(poly, factor, factor, origin=(0, 0))
    else:
        poly = shapely.box(-w / 2, -h / 2, w / 2, h / 2)
    angle = rng.uniform(-8, 8) + (90.0 if rng.random() < 0.3 else 0.0)
    return placed(poly, angle, cx, cy)


def build_parcels(
    rng: np.random.Generator,
    blocks: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame,
    barriers: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Candidate parcels (EPSG:32650 polygons) with kind, size, costs, uses, year."""
    corridor = shapely.union_all(np.asarray(barriers.geometry.buffer(25.0)))
    expressways = shapely.union_all(
        np.asarray(barriers.loc[barriers["kind"] == "expressway", "geometry"])
    )
    block_tree = shapely.STRtree(np.asarray(blocks.geometry))
    avoid = list(np.asarray(parks.geometry)) + list(np.asarray(existing.geometry.buffer(25.0)))
    bx = np.asarray(blocks.geometry.x)
    by = np.asarray(blocks.geometry.y)
    kinds = list(KINDS)
    rows: list[dict[str, object]] = []
    placed: list[shapely.Polygon] = []
    avoid_tree = shapely.STRtree(np.asarray(avoid))
    for sd, geom in zip(subdistricts["subdistrict"], subdistricts.geometry, strict=True):
        n, mix = PARCELS_PER_SUBDISTRICT[sd]
        region = shapely.difference(geom.buffer(-5.0), corridor)
        shapely.prepare(region)
        counts = np.floor(np.asarray(mix) * n).astype(int)
        counts[np.argsort(-(np.asarray(mix) * n - counts), kind="stable")[: n - counts.sum()]] += 1
        mask = blocks["subdistrict"].to_numpy() == sd
        anchors = np.column_stack([bx[mask], by[mask]])
        for kind, count in zip(kinds, counts, strict=True):
            spec = KINDS[kind]
            for _ in range(int(count)):
                area = float(np.clip(rng.lognormal(np.log(spec.median_m2), spec.sigma),
                                     spec.min_m2 + 1.0, spec.max_m2))
                poly = _place_parcel(rng, spec, area, anchors, region, block_tree,
                                     avoid_tree, placed)
                if poly is None:
                    continue
                placed.append(poly)
                rows.append({"subdistrict": sd, "kind": kind, "geometry": poly})
    df = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    df["geometry"] = shapely.set_precision(np.asarray(df.geometry), 0.01)
    area = np.round(df.geometry.area.to_numpy(), 1)
    level = df["subdistrict"].map(LAND_LEVEL).to_numpy()
    land_unit = np.array([KINDS[k].land_yuan_m2 for k in df["kind"]])
    build_unit = np.array([KINDS[k].build_yuan_m2 for k in df["kind"]])
    land_cost = np.round(area * land_unit * level * rng.lognormal(0, 0.2, len(df)), -3)
    build = np.round(build_unit * rng.lognormal(0, 0.1, len(df)), -1)
    near = shapely.dwithin(np.asarray(df.geometry), expressways, 80.0)
    weights = {k: np.asarray(KINDS[k].years, dtype=float) for k in kinds}
    years = np.array([rng.choice(YEARS, p=weights[k] / weights[k].sum()) for k in df["kind"]])
    df.insert(0, "parcel_id", [f"P{i + 1:04d}" for i in range(len(df))])
    df["area_m2"] = area
    df["land_cost_est"] = land_cost.astype(np.int64)
    df["build_cost_per_m2_est"] = build.astype(np.int64)
    df["allowed_uses"] = [
        allowed_uses(k, a, bool(nz)) for k, a, nz in zip(df["kind"], area, near, strict=True)
    ]
    df["year_available"] = years.astype(np.int64)
    df["near_expressway"] = near.astype(bool)
    cols = ["parcel_id", "subdistrict", "kind", "area_m2", "land_cost_est",
            "build_cost_per_m2_est", "allowed_uses", "year_available", "near_expressway",
            "geometry"]
    return gpd.GeoDataFrame(df[cols], geometry="geometry", crs=CRS)


def _place_parcel(
    rng: np.random.Generator,
    spec: KindSpec,
    area: float,
    anchors: NDArray[np.float64],
    region: shapely.Geometry,
    block_tree: shapely.STRtree,
    avoid_tree: shapely.STRtree,
    placed: list[shapely.Polygon],
) -> shapely.Polygon | None:
    for _shrink in range(6):
        for _ in range(40):
            a = anchors[rng.integers(anchors.shape[0])]
            r = rng.uniform(*spec.offset) + np.sqrt(area) / 2
            t = rng.uniform(0, 2 * np.pi)
            poly = _polygon(rng, a[0] + r * np.cos(t), a[1] + r * np.sin(t), area)
            if not region.contains(poly):
                continue
            if block_tree.query(poly, predicate="dwithin", distance=8.0).size:
                continue
            if avoid_tree.query(poly, predicate="intersects").size:
                continue
            if placed and np.any(shapely.dwithin(np.asarray(placed), poly, 10.0)):
                continue
            return poly
        area = max(area * 0.8, spec.min_m2 + 1.0)  # + 1 m²: rounding keeps the minimum
    return None
