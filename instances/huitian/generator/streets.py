"""Barriers, crossings, metro stations and the synthetic walking network.

No real street network is available offline, so the network is a jittered grid
(150 m spacing, every sixth line an arterial, a diagonal footpath across about
a third of the cells, a node every ~75 m) clipped to the area, with about 10 %
of minor links removed (gated compounds, dead ends). The G6 and G7
expressways, the line-13 embankment and 立汤路/line 5 cut every grid link they
cross; pedestrians get across only at the listed bridges, underpasses, at-grade
crossings and station passages, each joined to the nearest street node on
either side. Bridges and underpasses add a ramp length to their links.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .facts import BARRIERS, CRS, STATION_NAMES_EN, to_utm

SPACING = 150.0  # metres between grid streets
ARTERIAL_EVERY = 6  # every n-th grid line is an arterial
JITTER = 18.0  # metres, sd of node jitter on minor streets
DROP_SHARE = 0.10  # share of minor links removed
DIAGONAL_SHARE = 0.35  # share of grid cells crossed by a footpath
STATION_CROSSING_DISTANCE = 80.0  # a station this close to a barrier is a passage across it
RAMP_M: dict[str, float] = {
    "bridge": 40.0,
    "footbridge": 30.0,
    "underpass": 20.0,
    "at_grade": 0.0,
    "station": 60.0,
}


def build_barriers() -> gpd.GeoDataFrame:
    """Barrier lines (approximate courses, EPSG:32650)."""
    rows = []
    for b in BARRIERS:
        lon, lat = zip(*b.course, strict=True)
        x, y = to_utm(lon, lat)
        rows.append(
            {
                "barrier_id": b.barrier_id,
                "name": b.name,
                "name_en": b.name_en,
                "kind": b.kind,
                "geometry": shapely.LineString(np.column_stack([x, y])),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def build_stations(stations: pd.DataFrame) -> gpd.GeoDataFrame:
    """Metro stations layer (positions © OpenStreetMap contributors, ODbL)."""
    df = pd.DataFrame(
        {
            "station_id": [f"S{i + 1:02d}" for i in range(len(stations))],
            "name": stations["station"].to_numpy(),
            "name_en": stations["station"].map(STATION_NAMES_EN).to_numpy(),
            "lines": stations["lines"].astype(str).to_numpy(),
            "lon": stations["lon"].to_numpy(),
            "lat": stations["lat"].to_numpy(),
            "source": "OpenStreetMap (ODbL)",
        }
    )
    geom = shapely.points(stations["x"].to_numpy(), stations["y"].to_numpy())
    return gpd.GeoDataFrame(df, geometry=geom, crs=CRS)


def build_crossings(barriers: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Crossing points: listed bridges/underpasses plus stations on a barrier."""
    rows = []
    lines = dict(zip(barriers["barrier_id"], barriers.geometry, strict=True))
    for b in BARRIERS:
        line = lines[b.barrier_id]
        for k, (lon, lat, kind) in enumerate(b.crossings):
            x, y = to_utm([lon], [lat])
            p = shapely.Point(float(x[0]), float(y[0]))
            on_line = line.interpolate(line.project(p))
            rows.append(
                {
                    "barrier_id": b.barrier_id,
                    "kind": kind,
                    "name": f"{b.barrier_id[3:]} {kind} {k + 1}",
                    "station_id": "",
                    "geometry": on_line,
                }
            )
    for st in stations.itertuples(index=False):
        for b in BARRIERS:
            if lines[b.barrier_id].distance(st.geometry) <= STATION_CROSSING_DISTANCE:
                rows.append(
                    {
                        "barrier_id": b.barrier_id,
                        "kind": "station",
                        "name": f"{st.name}站",
                        "station_id": st.station_id,
                        "geometry": st.geometry,
                    }
                )
    df = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    df.insert(0, "crossing_id", [f"X{i + 1:02d}" for i in range(len(df))])
    return df


def _side(
    line: shapely.LineString, p: NDArray[np.float64], pts: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Sign of each point's side of ``line`` near ``p`` (local direction)."""
    t = line.project(shapely.Point(p))
    a = line.interpolate(max(t - 20.0, 0.0))
    b = line.interpolate(min(t + 20.0, line.length))
    d = np.array([b.x - a.x, b.y - a.y])
    rel = pts - p
    return np.sign(d[0] * rel[:, 1] - d[1] * rel[:, 0])


def build_network(
    rng: np.random.Generator,
    area_outline: shapely.Geometry,
    barriers: gpd.GeoDataFrame,
    crossings: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Street nodes and edges (EPSG:32650) with barriers and crossings."""
    barrier_union = shapely.union_all(np.asarray(barriers.geometry))
    shapely.prepare(barrier_union)
    minx, miny, maxx, maxy = area_outline.bounds
    nx = int(np.ceil((maxx - minx) / SPACING)) + 3
    ny = int(np.ceil((maxy - miny) / SPACING)) + 3
    grid_i, grid_j = np.meshgrid(np.arange(nx), np.arange(ny))
    ii, jj = grid_i.ravel(), grid_j.ravel()
    col_art = ii % ARTERIAL_EVERY == 2
    row_art = jj % ARTERIAL_EVERY == 2
    # Arterials are straighter: jitter only along them.
    jx = rng.normal(0.0, JITTER, ii.size) * np.where(col_art, 0.2, 1.0)
    jy = rng.normal(0.0, JITTER, ii.size) * np.where(row_art, 0.2, 1.0)
    gx = minx - SPACING + ii * SPACING + jx
    gy = miny - SPACING + jj * SPACING + jy
    keep = shapely.contains_xy(area_outline.buffer(120.0), gx, gy)
    keep &= shapely.distance(shapely.points(gx, gy), barrier_union) > 20.0
    grid_index = np.full(ii.size, -1, dtype=np.int64)
    grid_index[keep] = np.arange(int(keep.sum()))
    x, y = gx[keep], gy[keep]

    # Links to the right and upper neighbour, plus a footpath across about a
    # third of the cells (paths through compounds and green space), in either
    # diagonal direction.
    lin = jj * nx + ii
    right = np.flatnonzero(keep & (ii < nx - 1))
    right = right[keep[right + 1]]
    up = np.flatnonzero(keep & (jj < ny - 1))
    up = up[keep[up + nx]]
    cell = np.flatnonzero((ii < nx - 1) & (jj < ny - 1))
    cell = cell[keep[cell] & keep[cell + 1] & keep[cell + nx] & keep[cell + nx + 1]]
    cell = cell[rng.random(cell.size) < DIAGONAL_SHARE]
    flip = rng.random(cell.size) < 0.5
    d_from = np.where(flip, cell + 1, cell)
    d_to = np.where(flip, cell + nx, cell + nx + 1)
    a = np.r_[grid_index[lin[right]], grid_index[lin[up]], grid_index[d_from]]
    b = np.r_[grid_index[lin[right] + 1], grid_index[lin[up] + nx], grid_index[d_to]]
    kinds = np.r_[
        np.where(row_art[right], "arterial", "street"),
        np.where(col_art[up], "arterial", "street"),
        np.full(cell.size, "path"),
    ].astype(object)
    segs = shapely.linestrings(
        np.stack([np.column_stack([x[a], y[a]]), np.column_stack([x[b], y[b]])], axis=1)
    )
    ok = ~shapely.intersects(segs, barrier_union)
    a, b, kinds = a[ok], b[ok], kinds[ok]

    # Remove some minor links (gated compounds), then restore any link needed to
    # keep every part connected that was connected before.
    drop = (kinds == "street") & (rng.random(a.size) < DROP_SHARE)
    n = x.size
    before = _components(n, a, b)
    after = _components(n, a[~drop], b[~drop])
    for k in np.flatnonzero(drop):
        if after[a[k]] != after[b[k]] and before[a[k]] == before[b[k]]:
            drop[k] = False
            after = _components(n, a[~drop], b[~drop])
    a, b, kinds = a[~drop], b[~drop], kinds[~drop]
    # Drop grid nodes left without links.
    used = np.zeros(n, dtype=bool)
    used[a] = used[b] = True
    remap = np.cumsum(used) - 1
    x, y, a, b = x[used], y[used], remap[a], remap[b]
    n = x.size
    # Split every link at its midpoint: a node every ~80 m along streets keeps
    # the snap distance of a point to the network close to its real distance
    # to the nearest street.
    mid = n + np.arange(a.size)
    x = np.r_[x, 0.5 * (x[a] + x[b])]
    y = np.r_[y, 0.5 * (y[a] + y[b])]
    a, b = np.r_[a, mid], np.r_[mid, b]
    kinds = np.r_[kinds, kinds]
    n = x.size

    node_kind = ["street"] * n
    node_name = [""] * n
    xs, ys = list(x), list(y)
    ea, eb, ek, ex = list(a), list(b), list(kinds), [0.0] * a.size
    tree = cKDTree(np.column_stack([x, y]))
    lines = dict(zip(barriers["barrier_id"], barriers.geometry, strict=True))

    def add_node(px: float, py: float, kind: str, name: str) -> int:
        xs.append(px)
        ys.append(py)
        node_kind.append(kind)
        node_name.append(name)
        return len(xs) - 1

    def link_free(
        px: float, py: float, cand: NDArray[np.int64], own: set[str]
    ) -> NDArray[np.bool_]:
        """Candidates reachable from (px, py) without crossing a barrier not in ``own``."""
        others = [g for bid, g in lines.items() if bid not in own]
        segs = shapely.linestrings(
            np.stack(
                [np.column_stack([np.full(cand.size, px), np.full(cand.size, py)]),
                 np.column_stack([x[cand], y[cand]])],
                axis=1,
            )
        )
        free = np.ones(cand.size, dtype=bool)
        for g in others:
            free &= ~shapely.intersects(segs, g)
        return free

    station_node: dict[str, int] = {}
    for st in stations.itertuples(index=False):
        if area_outline.distance(st.geometry) > 300.0:
            continue
        station_node[st.station_id] = add_node(st.geometry.x, st.geometry.y, "station", st.name)

    for cr in crossings.itertuples(index=False):
        p = np.array([cr.geometry.x, cr.geometry.y])
        if cr.kind == "station":
            if cr.station_id not in station_node:
                continue
            node = station_node[cr.station_id]
        else:
            if area_outline.distance(cr.geometry) > 200.0:
                continue
            node = add_node(float(p[0]), float(p[1]), "crossing", cr.name)
        _d, cand = tree.query(p, k=12, distance_upper_bound=400.0)
        cand = np.asarray(cand)[np.isfinite(_d)].astype(np.int64)
        if cand.size == 0:
            continue
        side = _side(lines[cr.barrier_id], p, np.column_stack([x[cand], y[cand]]))
        # A station passage also crosses every other barrier right next to it
        # (立水桥 sits where line 13 meets 立汤路).
        own = {cr.barrier_id}
        if cr.kind == "station":
            own |= {bid for bid, g in lines.items()
                    if g.distance(cr.geometry) <= STATION_CROSSING_DISTANCE}
        free = link_free(float(p[0]), float(p[1]), cand, own)
        for s in (-1.0, 1.0):
            pick = cand[(side == s) & free]
            if pick.size:
                ea.append(node)
                eb.append(int(pick[0]))  # query results are sorted by distance
                ek.append(str(cr.kind))
                ex.append(RAMP_M[str(cr.kind)])

    # Stations that are not passages across a barrier: link to the two nearest
    # nodes reachable without crossing anything.
    crossing_stations = set(crossings.loc[crossings["kind"] == "station", "station_id"])
    for sid, node in station_node.items():
        if sid in crossing_stations:
            continue
        p = np.array([xs[node], ys[node]])
        _d, cand = tree.query(p, k=6, distance_upper_bound=500.0)
        cand = np.asarray(cand)[np.isfinite(_d)].astype(np.int64)
        free = link_free(float(p[0]), float(p[1]), cand, set())
        for c in cand[free][:2]:
            ea.append(node)
            eb.append(int(c))
            ek.append("station_link")
            ex.append(0.0)

    # The same pair can be linked twice (a station that is a passage across two
    # barriers); keep the first link.
    ua0, vb0 = np.asarray(ea, dtype=np.int64), np.asarray(eb, dtype=np.int64)
    key = np.minimum(ua0, vb0) * (len(xs) + 1) + np.maximum(ua0, vb0)
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    ea, eb = list(ua0[first]), list(vb0[first])
    ek, ex = [ek[i] for i in first], [ex[i] for i in first]
    X = np.round(np.asarray(xs), 2)
    Y = np.round(np.asarray(ys), 2)
    ua = np.asarray(ea, dtype=np.int64)
    vb = np.asarray(eb, dtype=np.int64)
    length = np.hypot(X[ua] - X[vb], Y[ua] - Y[vb]) + np.asarray(ex)
    nodes = gpd.GeoDataFrame(
        {
            "node_id": np.arange(X.size, dtype=np.int64),
            "kind": node_kind,
            "name": node_name,
        },
        geometry=shapely.points(X, Y),
        crs=CRS,
    )
    edge_geom = shapely.linestrings(
        np.stack([np.column_stack([X[ua], Y[ua]]), np.column_stack([X[vb], Y[vb]])], axis=1)
    )
    edges = gpd.GeoDataFrame(
        {
            "edge_id": np.arange(ua.size, dtype=np.int64),
            "u": ua,
            "v": vb,
            "length_m": np.round(length, 2),
            "kind": np.asarray(ek, dtype=object),
        },
        geometry=edge_geom,
        crs=CRS,
    )
    return nodes, edges


def _components(n: int, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    g = coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    return np.asarray(labels, dtype=np.int64)
