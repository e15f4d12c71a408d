"""Baseline coverage and network-versus-straight-line statistics of the instance.

Used by the generator (figures in the README) and by the tests, so both see
the same definitions:

* straight-line coverage: a block is covered when a facility point (for parks:
  the park polygon) lies within the radius;
* network coverage: walking distance on the street graph from the block to the
  facility point (for parks: to the nearest of the park's entrances, points
  every 100 m along its edge) is within the radius.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from siting.network import WalkingNetwork

# (type, radius m, population column weighting the share)
BASELINE_SERVICES: tuple[tuple[str, float, str], ...] = (
    ("park", 500.0, "pop_total"),
    ("kindergarten", 300.0, "age_3_6"),
    ("primary_school", 500.0, "age_6_12"),
    ("middle_school", 1000.0, "age_12_15"),
    ("elderly_station", 1000.0, "age_60_plus"),
    ("health_station", 1000.0, "pop_total"),
    ("service_room", 1000.0, "pop_total"),
    ("parking", 300.0, "households_with_car"),
)


def _xy(gdf: gpd.GeoDataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return np.asarray(gdf.geometry.x, dtype=float), np.asarray(gdf.geometry.y, dtype=float)


def park_entrances(parks: gpd.GeoDataFrame, step: float = 100.0) -> NDArray[np.float64]:
    """Points every ``step`` metres along every park edge (at least four per park)."""
    out = []
    for poly in parks.geometry:
        ring = poly.exterior
        n = max(4, int(np.ceil(ring.length / step)))
        pts = shapely.line_interpolate_point(ring, np.arange(n) / n, normalized=True)
        out.append(shapely.get_coordinates(pts))
    return np.vstack(out) if out else np.zeros((0, 2))


def covered_straight(
    blocks: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, radius: float
) -> NDArray[np.bool_]:
    """Blocks within ``radius`` (straight line) of any target geometry."""
    if len(targets) == 0:
        return np.zeros(len(blocks), dtype=bool)
    tree = shapely.STRtree(np.asarray(targets.geometry))
    pairs = tree.query(np.asarray(blocks.geometry), predicate="dwithin", distance=radius)
    covered = np.zeros(len(blocks), dtype=bool)
    covered[pairs[0]] = True
    return covered


def covered_network(
    net: WalkingNetwork, blocks: gpd.GeoDataFrame, tx: NDArray[np.float64],
    ty: NDArray[np.float64], radius: float,
) -> NDArray[np.bool_]:
    """Blocks whose walking distance to the nearest target point is ≤ ``radius``."""
    bx, by = _xy(blocks)
    dist, _ = net.nearest_within(bx, by, tx, ty, radius)
    return np.isfinite(dist)


def park_coverage(
    blocks: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, radius: float = 500.0
) -> float:
    """Share of residents within ``radius`` m (straight line) of a park polygon."""
    cov = covered_straight(blocks, parks, radius)
    pop = blocks["pop_total"].to_numpy()
    return float(pop[cov].sum() / pop.sum())


@dataclass(frozen=True)
class Coverage:
    """Baseline coverage of one service."""

    service: str
    radius: float
    group: str
    n_facilities: int
    straight: float
    network: float


def baseline_coverage(
    net: WalkingNetwork,
    blocks: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
) -> list[Coverage]:
    """Straight-line and network coverage of every baseline service."""
    out = []
    for service, radius, group in BASELINE_SERVICES:
        w = blocks[group].to_numpy().astype(float)
        if service == "park":
            straight = covered_straight(blocks, parks, radius)
            ent = park_entrances(parks)
            network = covered_network(net, blocks, ent[:, 0], ent[:, 1], radius)
            n_fac = len(parks)
        else:
            fac = existing[existing["type"] == service]
            straight = covered_straight(blocks, fac, radius)
            fx, fy = _xy(fac)
            network = covered_network(net, blocks, fx, fy, radius)
            n_fac = len(fac)
        out.append(
            Coverage(service, radius, group, n_fac,
                     float(w[straight].sum() / w.sum()), float(w[network].sum() / w.sum()))
        )
    return out


@dataclass(frozen=True)
class DetourStats:
    """Network / straight-line ratios for block–parcel pairs within a straight radius."""

    radius: float
    n_pairs: int
    share_over: float  # share of pairs with ratio > threshold
    n_near: int
    share_over_near: float  # same, for blocks within ``near`` m of a barrier
    n_crossing: int
    share_over_crossing: float  # same, for pairs whose straight segment crosses a barrier
    median_ratio: float
    median_ratio_crossing: float
    examples: list[dict[str, object]]


def detour_stats(
    net: WalkingNetwork,
    blocks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    barriers: gpd.GeoDataFrame,
    radius: float = 1000.0,
    threshold: float = 1.3,
    near: float = 300.0,
) -> DetourStats:
    """How often walking distance exceeds straight-line distance by > 30 %."""
    bx, by = _xy(blocks)
    centroids = parcels.geometry.centroid
    px, py = np.asarray(centroids.x), np.asarray(centroids.y)
    bt = cKDTree(np.column_stack([bx, by]))
    pt = cKDTree(np.column_stack([px, py]))
    sdm = bt.sparse_distance_matrix(pt, radius, output_type="coo_matrix").tocsr()
    sdm.sort_indices()
    # Network distances with a generous cutoff; pairs beyond it have ratio > 3.
    cutoff = 3.0 * radius
    net_m = net.distances_within(bx, by, px, py, cutoff)
    straight_coo = sdm.tocoo()
    rows, cols, straight = straight_coo.row, straight_coo.col, straight_coo.data
    keep = straight > 0
    rows, cols, straight = rows[keep], cols[keep], straight[keep]
    netd = np.asarray(net_m[rows, cols]).ravel()
    netd = np.where(netd == 0, np.inf, netd)  # absent = beyond the cutoff
    ratio = netd / straight
    over = ratio > threshold
    barrier_union = shapely.union_all(np.asarray(barriers.geometry))
    near_block = shapely.dwithin(shapely.points(bx, by), barrier_union, near)
    near_pair = near_block[rows]
    segs = shapely.linestrings(
        np.stack(
            [np.column_stack([bx[rows], by[rows]]), np.column_stack([px[cols], py[cols]])], axis=1
        )
    )
    crossing = shapely.intersects(segs, barrier_union)

    examples: list[dict[str, object]] = []
    cand = np.flatnonzero(crossing & (straight < 400) & np.isfinite(ratio))
    if cand.size:
        # The largest detour, and a typical one (ratio nearest the median).
        worst = cand[np.argmax(ratio[cand])]
        typical = cand[np.argmin(np.abs(ratio[cand] - np.median(ratio[cand])))]
        for k in dict.fromkeys([int(worst), int(typical)]):
            examples.append(
                {
                    "block_id": str(blocks["block_id"].iloc[rows[k]]),
                    "community": str(blocks["community"].iloc[rows[k]]),
                    "parcel_id": str(parcels["parcel_id"].iloc[cols[k]]),
                    "parcel_kind": str(parcels["kind"].iloc[cols[k]]),
                    "straight_m": float(straight[k]),
                    "network_m": float(netd[k]),
                }
            )

    def share(mask: NDArray[np.bool_]) -> float:
        return float(over[mask].mean()) if mask.any() else float("nan")

    return DetourStats(
        radius=radius,
        n_pairs=int(rows.size),
        share_over=share(np.ones(rows.size, dtype=bool)),
        n_near=int(near_pair.sum()),
        share_over_near=share(near_pair),
        n_crossing=int(crossing.sum()),
        share_over_crossing=share(crossing),
        median_ratio=float(np.median(ratio)),
        median_ratio_crossing=float(np.median(ratio[crossing])) if crossing.any() else float("nan"),
        examples=examples,
    )
