"""Sub-district polygons: a weighted, area-matched partition seeded by communities.

Approach (a raster variant of "Voronoi of community centroids, dissolved per
sub-district, clipped to an outline"):

1. A 50 m grid covers the union of the seven FACTS extents.
2. Each community is a seed with a reach bonus of 0.6 × its equivalent radius
   (big villages claim more land than small compounds). A cell's score for
   sub-district *s* is ``min over s's communities (distance − bonus) − w_s``.
3. A cell may only go to *s* if it lies inside *s*'s FACTS extent (+200 m) or
   near one of *s*'s own communities (this keeps the real exclave of
   碧水庄园, a 回龙观 community inside 史各庄).
4. A cell belongs to the area when its best score is negative, and then to the
   best sub-district: an additively weighted Voronoi partition whose weights
   ``w_s`` double as outer reach radii. ``w_s`` is iterated until every
   sub-district's area matches FACTS; enclosed holes are filled and specks
   smaller than 0.1 km² are given to a neighbour.
5. Cells are dissolved per sub-district and the staircase edges are smoothed
   with a topology-preserving coverage simplification, so the seven polygons
   stay non-overlapping and gap-free.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from scipy import ndimage

from .facts import CRS, SOURCE_CRS, SUBDISTRICTS, to_utm

CELL = 50.0  # metres
BONUS = 0.6  # share of a community's equivalent radius added to its reach
MIN_FRAGMENT_KM2 = 0.1
SIMPLIFY_TOLERANCE = 90.0  # metres, coverage simplification
CLOSING = 700.0  # metres, closing radius of the outline


def _grid() -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[int, int]]:
    lons = [v for s in SUBDISTRICTS for v in s.lon_range]
    lats = [v for s in SUBDISTRICTS for v in s.lat_range]
    cx, cy = to_utm(
        [min(lons), max(lons), min(lons), max(lons)], [min(lats), min(lats), max(lats), max(lats)]
    )
    x0 = np.floor((cx.min() - 600) / CELL) * CELL
    y0 = np.floor((cy.min() - 600) / CELL) * CELL
    nx = int(np.ceil((cx.max() + 600 - x0) / CELL))
    ny = int(np.ceil((cy.max() + 600 - y0) / CELL))
    xs = x0 + CELL * (np.arange(nx) + 0.5)
    ys = y0 + CELL * (np.arange(ny) + 0.5)
    gx, gy = np.meshgrid(xs, ys)  # shape (ny, nx)
    return gx.ravel(), gy.ravel(), (ny, nx)


def _extent_union() -> shapely.Geometry:
    """Union of the seven FACTS extents (+200 m) as a polygon in EPSG:32650."""
    boxes = []
    for sd in SUBDISTRICTS:
        lon = np.linspace(sd.lon_range[0] - 0.0024, sd.lon_range[1] + 0.0024, 20)
        lat = np.linspace(sd.lat_range[0] - 0.0018, sd.lat_range[1] + 0.0018, 20)
        ring_lon = np.r_[lon, np.full(20, lon[-1]), lon[::-1], np.full(20, lon[0])]
        ring_lat = np.r_[np.full(20, lat[0]), lat, np.full(20, lat[-1]), lat[::-1]]
        x, y = to_utm(ring_lon, ring_lat)
        boxes.append(shapely.Polygon(np.column_stack([x, y])))
    return shapely.union_all(boxes)


def _outline_for(
    reach: float, communities: pd.DataFrame, extents: shapely.Geometry
) -> shapely.Geometry:
    radius = np.sqrt(np.maximum(communities["area_km2"].to_numpy(), 0.02) * 1e6 / np.pi)
    discs = shapely.buffer(
        shapely.points(communities["x"].to_numpy(), communities["y"].to_numpy()),
        reach + BONUS * radius,
        quad_segs=8,
    )
    # A morphological closing fills the bays between communities so the outline
    # reads as one district rather than a string of discs.
    merged = shapely.union_all(discs).buffer(CLOSING, quad_segs=8).buffer(-CLOSING, quad_segs=8)
    return shapely.intersection(merged, extents)


def build_outline(communities: pd.DataFrame) -> shapely.Geometry:
    """Study-area outline with the FACTS total area (bisection on the reach)."""
    target = sum(sd.area_km2 for sd in SUBDISTRICTS) * 1e6
    extents = _extent_union()
    lo, hi = 0.0, 3000.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if _outline_for(mid, communities, extents).area < target:
            lo = mid
        else:
            hi = mid
    return _outline_for(0.5 * (lo + hi), communities, extents)


def _allocate(
    communities: pd.DataFrame, area_outline: shapely.Geometry
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], tuple[int, int]]:
    gx, gy, shape = _grid()
    inv = Transformer.from_crs(CRS, SOURCE_CRS, always_xy=True)
    glon, glat = (np.asarray(a) for a in inv.transform(gx, gy))
    inside = shapely.contains_xy(area_outline, gx, gy)
    n_s = len(SUBDISTRICTS)
    n_cells = gx.size
    dist = np.full((n_s, n_cells), np.inf)
    allowed = np.zeros((n_s, n_cells), dtype=bool)
    for k, sd in enumerate(SUBDISTRICTS):
        dlon, dlat = 200 / 85_000, 200 / 111_000
        allowed[k] = (
            (glon >= sd.lon_range[0] - dlon)
            & (glon <= sd.lon_range[1] + dlon)
            & (glat >= sd.lat_range[0] - dlat)
            & (glat <= sd.lat_range[1] + dlat)
        )
        own = communities[communities["subdistrict"] == sd.name]
        for row in own.itertuples(index=False):
            radius = np.sqrt(max(float(row.area_km2), 0.02) * 1e6 / np.pi)
            d = np.hypot(gx - float(row.x), gy - float(row.y))
            np.minimum(dist[k], d - BONUS * radius, out=dist[k])
            allowed[k] |= d <= radius + 250.0
    # Cells of the outline that no sub-district may take go to the nearest one.
    orphan = inside & ~allowed.any(axis=0)
    allowed[:, orphan] = True
    allowed[:, ~inside] = False
    target = np.array([sd.area_km2 * 1e6 for sd in SUBDISTRICTS])
    w = np.zeros(n_s)
    cell_area = CELL * CELL
    min_cells = int(MIN_FRAGMENT_KM2 * 1e6 / cell_area)
    base = np.where(allowed, dist, np.inf)
    labels = np.full(n_cells, -1, dtype=np.int64)
    # Per-sub-district step that halves whenever the error changes sign: the
    # areas interact (one's gain is a neighbour's loss), so a fixed step cycles.
    step = np.full(n_s, 0.6)
    prev = np.zeros(n_s)
    for _ in range(200):
        score = base - w[:, None]
        labels = _label_cells(score, shape, min_cells)
        area = np.bincount(labels[labels >= 0], minlength=n_s) * cell_area
        err = np.sqrt(target / np.pi) - np.sqrt(area / np.pi)
        if np.max(np.abs(area - target) / target) < 0.003:
            break
        flipped = np.sign(err) * np.sign(prev) < 0
        step = np.where(flipped, step * 0.5, np.minimum(step * 1.1, 0.6))
        w += step * err
        prev = err
    return labels, gx, gy, shape


def _label_cells(
    score: NDArray[np.float64], shape: tuple[int, int], min_cells: int
) -> NDArray[np.int64]:
    n_s = score.shape[0]
    score = score.copy()
    for _ in range(3):
        best = np.argmin(score, axis=0)
        best_score = score[best, np.arange(score.shape[1])]
        labels = np.where(np.isfinite(best_score), best, -1)
        # Fill enclosed holes of the outline with the best sub-district there.
        outside = (labels < 0).reshape(shape)
        comp, n_comp = ndimage.label(outside)
        border = np.unique(
            np.concatenate([comp[0], comp[-1], comp[:, 0], comp[:, -1]])
        )
        hole = outside & ~np.isin(comp, border)
        hole_flat = hole.ravel() & np.isfinite(best_score)
        labels[hole_flat] = best[hole_flat]
        # Specks: forbid the sub-district there and re-run the argmin.
        changed = False
        for k in range(n_s):
            comp, n_comp = ndimage.label((labels == k).reshape(shape))
            if n_comp <= 1:
                continue
            sizes = np.bincount(comp.ravel())
            small = np.flatnonzero(sizes < min_cells)
            small = small[small > 0]
            if small.size:
                mask = np.isin(comp.ravel(), small)
                score[k, mask] = np.inf
                changed = True
        if not changed:
            return labels
    return labels


def build_subdistricts(communities: pd.DataFrame) -> gpd.GeoDataFrame:
    """The seven sub-district polygons (EPSG:32650) with names and areas."""
    labels, gx, gy, _shape = _allocate(communities, build_outline(communities))
    half = CELL / 2
    polys = []
    for k in range(len(SUBDISTRICTS)):
        sel = labels == k
        boxes = shapely.box(gx[sel] - half, gy[sel] - half, gx[sel] + half, gy[sel] + half)
        polys.append(shapely.union_all(boxes, grid_size=1.0))
    smooth = shapely.coverage_simplify(np.array(polys), SIMPLIFY_TOLERANCE)
    smooth = shapely.set_precision(shapely.make_valid(smooth), 0.01)
    rows = []
    for sd, geom in zip(SUBDISTRICTS, smooth, strict=True):
        rows.append(
            {
                "subdistrict": sd.name,
                "name_en": sd.name_en,
                "code": sd.code,
                "kind": sd.kind,
                "area_km2": round(float(geom.area) / 1e6, 3),
                "area_km2_facts": sd.area_km2,
                "residents_facts": sd.residents,
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def outline(subdistricts: gpd.GeoDataFrame) -> shapely.Geometry:
    """Union of the sub-district polygons: the study area."""
    return shapely.union_all(np.asarray(subdistricts.geometry), grid_size=0.01)
