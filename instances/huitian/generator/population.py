"""Residential demand: blocks (building groups) around the 124 real communities.

Population per sub-district is the FACTS figure, exactly. Within a sub-district
it is shared among communities by ``area × type density`` (high-rise compounds
are far denser than villages or villa estates); within a community it is shared
among blocks with log-normal weights. Blocks are laid out as rows of buildings
(Beijing compounds are slab blocks facing south: wider spacing north–south)
inside an elliptical footprint around the community centroid, clipped to the
sub-district and kept off the barrier corridors.

Age groups, households and car ownership are *estimates* (see
``AGE_SHARES`` and ``TYPE_PARAMS``; basis in the instance README).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from .facts import CRS, SUBDISTRICTS

# Shares of residents by age group (estimates). Basis: Beijing 7th census (2020)
# city-wide 0–14 ≈ 11.9 %, 60+ ≈ 19.6 %; Changping is younger (large in-migrant
# working-age population), so 0–14 ≈ 13.9 % and 60+ ≈ 14 % are used, with the
# 0–14 share split by single-year cohorts (smaller recent birth cohorts).
AGE_SHARES: dict[str, float] = {
    "age_0_3": 0.026,
    "age_3_6": 0.030,
    "age_6_12": 0.058,
    "age_12_15": 0.025,
    "age_60_plus": 0.140,
}


@dataclass(frozen=True)
class TypeParams:
    """Per community-type parameters (all estimates)."""

    density: float  # relative residents per km² of community area
    block_pop: float  # mean residents per block (building group)
    footprint: float  # share of the equivalent radius that is built up
    children: float  # multiplier on the child shares
    elderly: float  # multiplier on the 60+ share
    household_size: float
    car_share: float  # share of households with at least one car


TYPE_PARAMS: dict[str, TypeParams] = {
    # High-rise / mid-rise residential compounds (小区), 1999–2010s.
    "compound": TypeParams(1.0, 280.0, 0.85, 1.0, 1.0, 2.45, 0.50),
    # Urban villages: low-rise, many renters, smaller households, fewer cars.
    "village": TypeParams(0.22, 130.0, 0.55, 0.9, 1.1, 2.20, 0.30),
    # Villa estates and campuses: low density, large households, many cars.
    "villa": TypeParams(0.15, 70.0, 0.80, 1.0, 1.15, 2.90, 0.85),
}

BARRIER_SETBACK = 45.0  # metres kept free of homes either side of a barrier


def community_type(name: str) -> str:
    """``village`` (…村), ``villa`` (villa estates, campus) or ``compound``."""
    if name.endswith("村"):
        return "village"
    if "别墅" in name or name in {"碧水庄园社区", "农学院社区"}:
        return "villa"
    return "compound"


def largest_remainder(total: int, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """Integers proportional to ``weights`` summing exactly to ``total``."""
    w = np.asarray(weights, dtype=np.float64)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        # Ties broken by position (stable sort) so the result is deterministic.
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:short]] += 1
    return base


def _layout(
    rng: np.random.Generator,
    cx: float,
    cy: float,
    radius: float,
    n: int,
    allowed: shapely.Geometry,
) -> NDArray[np.float64]:
    """``n`` building positions in rows inside a compound around (cx, cy).

    The footprint is a near-axis-aligned rectangle (Beijing superblocks follow
    the north–south street grid) of the community's built-up area; large ones
    are cut into sub-compounds by internal roads every ~420 m.
    """
    aspect = float(rng.uniform(0.7, 1.5))
    angle = float(np.deg2rad(rng.uniform(-6, 6)))
    area = np.pi * radius * radius
    half_w, half_h = 0.5 * np.sqrt(area * aspect), 0.5 * np.sqrt(area / aspect)
    spacing = np.sqrt(area / (n * 1.25))
    road_phase = rng.uniform(0, 420.0, 2)
    shapely.prepare(allowed)
    pts = np.zeros((0, 2))
    for _ in range(10):
        dx, dy = spacing * 0.8, spacing / 0.8
        nx = int(np.ceil(half_w / dx)) + 1
        ny = int(np.ceil(half_h / dy)) + 1
        u, v = np.meshgrid(
            (np.arange(-nx, nx + 1) + rng.uniform(-0.5, 0.5)) * dx,
            (np.arange(-ny, ny + 1) + rng.uniform(-0.5, 0.5)) * dy,
        )
        u, v = u.ravel(), v.ravel()
        inside = (np.abs(u) <= half_w) & (np.abs(v) <= half_h)
        # Internal roads between sub-compounds (only where the compound is big).
        for coord, phase, half in ((u, road_phase[0], half_w), (v, road_phase[1], half_h)):
            if half > 300.0:
                inside &= np.abs((coord + phase) % 420.0 - 210.0) < 190.0
        u, v = u[inside], v[inside]
        x = cx + u * np.cos(angle) - v * np.sin(angle)
        y = cy + u * np.sin(angle) + v * np.cos(angle)
        ok = shapely.contains_xy(allowed, x, y)
        pts = np.column_stack([x[ok], y[ok]])
        if len(pts) >= n:
            break
        spacing *= 0.85
    if len(pts) > n:
        # Keep a compact cluster: nearest to the centre (Chebyshev, matching the
        # rectangle), with some noise so the edge is not perfectly straight.
        rel = pts - np.array([cx, cy])
        d = np.maximum(np.abs(rel[:, 0]) / half_w, np.abs(rel[:, 1]) / half_h)
        d = d * rng.uniform(0.9, 1.1, len(pts))
        pts = pts[np.sort(np.argsort(d, kind="stable")[:n])]
    return pts + rng.normal(0.0, 4.0, pts.shape)


def build_blocks(
    rng: np.random.Generator,
    communities: pd.DataFrame,
    subdistricts: gpd.GeoDataFrame,
    barriers: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Residential blocks with population by group (EPSG:32650 points)."""
    corridor = shapely.union_all(np.asarray(barriers.geometry.buffer(BARRIER_SETBACK)))
    area_outline = shapely.union_all(np.asarray(subdistricts.geometry))
    own_area = {
        name: shapely.difference(geom.buffer(-15.0), corridor)
        for name, geom in zip(subdistricts["subdistrict"], subdistricts.geometry, strict=True)
    }
    wider = shapely.difference(area_outline.buffer(-15.0), corridor)
    types = communities["community"].map(community_type)
    eff_area = np.maximum(communities["area_km2"].to_numpy(), 0.03)
    density = types.map(lambda t: TYPE_PARAMS[t].density).to_numpy()
    comm_pop = np.zeros(len(communities), dtype=np.int64)
    for sd in SUBDISTRICTS:
        idx = np.flatnonzero(communities["subdistrict"].to_numpy() == sd.name)
        weight = eff_area[idx] * density[idx] * rng.lognormal(0.0, 0.15, idx.size)
        comm_pop[idx] = largest_remainder(sd.residents, weight)

    frames = []
    for i, row in enumerate(communities.itertuples(index=False)):
        params = TYPE_PARAMS[types.iloc[i]]
        pop = int(comm_pop[i])
        n = max(3, round(pop / params.block_pop))
        radius = np.sqrt(eff_area[i] * 1e6 / np.pi) * params.footprint
        pts = _layout(rng, float(row.x), float(row.y), radius, n, own_area[str(row.subdistrict)])
        if len(pts) < n:  # community centre near an edge: allow the whole area
            pts = _layout(rng, float(row.x), float(row.y), radius * 1.3, n, wider)
        n = len(pts)
        block_pop = largest_remainder(pop, rng.lognormal(0.0, 0.3, n))
        # Community-level variation of age structure, household size, cars.
        child_f = params.children * rng.lognormal(0.0, 0.12)
        old_f = params.elderly * rng.lognormal(0.0, 0.15)
        shares = np.array(
            [AGE_SHARES[k] * (old_f if k == "age_60_plus" else child_f) for k in AGE_SHARES]
        )
        pvals = np.r_[shares, 1.0 - shares.sum()]
        groups = rng.multinomial(block_pop, pvals)
        hh_size = params.household_size * rng.lognormal(0.0, 0.06)
        households = np.maximum(np.rint(block_pop / hh_size).astype(np.int64), 1)
        households = np.minimum(households, np.maximum(block_pop, 1))
        car_share = float(np.clip(params.car_share * rng.lognormal(0.0, 0.12), 0.05, 0.95))
        with_car = rng.binomial(households, car_share)
        frame = pd.DataFrame(
            {
                "subdistrict": row.subdistrict,
                "community": row.community,
                "community_id": row.community_id,
                "community_type": types.iloc[i],
                "pop_total": block_pop,
                **{k: groups[:, j] for j, k in enumerate(AGE_SHARES)},
                "households": households,
                "households_with_car": with_car,
                "x": np.round(pts[:, 0], 2),
                "y": np.round(pts[:, 1], 2),
            }
        )
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    df.insert(0, "block_id", [f"B{i + 1:05d}" for i in range(len(df))])
    int_cols = ["pop_total", *AGE_SHARES, "households", "households_with_car"]
    df[int_cols] = df[int_cols].astype(np.int64)
    geom = shapely.points(df["x"].to_numpy(), df["y"].to_numpy())
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=geom, crs=CRS)
