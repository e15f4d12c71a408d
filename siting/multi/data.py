"""Data of a multi-service instance: blocks, parcels, existing facilities, network.

Distances between point sets come from the walking network (snap + Dijkstra
with a cutoff) or, without a network, straight lines from a KD-tree; both
return sparse ``(rows, cols, dist)`` triples, never a dense matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from siting.errors import InputError

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

BLOCK_COLUMNS = ("block_id", "subdistrict")
PARCEL_COLUMNS = ("parcel_id", "area_m2", "allowed_uses", "year_available")
EXISTING_COLUMNS = ("facility_id", "type")


@dataclass
class ServiceData:
    """Everything the multi-service model reads (GeoDataFrames in a metric CRS)."""

    blocks: Any
    parcels: Any
    existing: Any
    network: Any = None
    subdistricts: Any = None
    source: str = ""
    #: Optional polygons of existing facilities (``facility_id`` + geometry), e.g. parks.
    existing_shapes: Any = None
    #: One sentence per reprojection or default taken while loading (siting.data).
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for frame, cols, what in (
            (self.blocks, BLOCK_COLUMNS, "blocks"),
            (self.parcels, PARCEL_COLUMNS, "parcels"),
            (self.existing, EXISTING_COLUMNS, "existing"),
        ):
            for c in cols:
                if c not in frame.columns:
                    raise InputError(f"layer {what} has no column {c!r}", path=self.source, field=c)
        crs = {str(f.crs) for f in (self.blocks, self.parcels, self.existing) if f.crs is not None}
        if len(crs) > 1:
            raise InputError(
                f"layers are in different CRSs: {sorted(crs)}", path=self.source, field="crs"
            )
        if self.blocks.crs is not None and self.blocks.crs.is_geographic:
            raise InputError(
                "layers are in a geographic CRS (degrees); project them to metres",
                path=self.source,
                field="crs",
                value=str(self.blocks.crs),
            )
        self._check_values()
        if self.network is not None:
            self._check_reachable()

    def _check_values(self) -> None:
        """Empty layers, repeated ids, bad areas and years, empty or invalid shapes."""
        for frame, what in ((self.blocks, "blocks"), (self.parcels, "parcels")):
            if len(frame) == 0:
                raise InputError(f"layer {what} is empty (no rows)", path=self.source, field=what)
        for frame, col, what in (
            (self.blocks, "block_id", "blocks"),
            (self.parcels, "parcel_id", "parcels"),
            (self.existing, "facility_id", "existing"),
        ):
            dup = frame[col].duplicated().to_numpy()
            if dup.any():
                k = int(np.flatnonzero(dup)[0])
                raise InputError(
                    f"layer {what}: duplicate id",
                    path=self.source,
                    row=k + 1,
                    field=col,
                    value=str(frame[col].iloc[k]),
                )
        for col, integer in (("area_m2", False), ("year_available", True)):
            raw = self.parcels[col]
            vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(vals) | (vals < 0)
            if integer:
                bad |= np.isfinite(vals) & (vals != np.round(vals))
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                need = "a whole year" if integer else "a finite number >= 0"
                raise InputError(
                    f"layer parcels: must be {need}",
                    path=self.source,
                    row=k + 1,
                    field=col,
                    value=str(raw.iloc[k]),
                )
        for frame, what in (
            (self.blocks, "blocks"),
            (self.parcels, "parcels"),
            (self.existing, "existing"),
        ):
            if not len(frame):
                continue
            geom = frame.geometry
            bad = geom.isna().to_numpy() | geom.is_empty.to_numpy() | ~geom.is_valid.to_numpy()
            if bad.any():
                import shapely

                k = int(np.flatnonzero(bad)[0])
                g = geom.iloc[k]
                why = (
                    "missing"
                    if g is None
                    else "empty"
                    if g.is_empty
                    else (f"invalid ({shapely.is_valid_reason(g)})")
                )
                raise InputError(
                    f"layer {what}: {why} geometry",
                    path=self.source,
                    row=k + 1,
                    field="geometry",
                    value=None if g is None else g.wkt[:60],
                )

    def _check_reachable(self) -> None:
        """Refuse blocks, parcels or facilities that snap to a part of the street network
        cut off from its main component: walking distances from them would be wrong."""
        net = self.network
        labels = net.connected_components().labels
        for frame, col, what in (
            (self.blocks, "block_id", "blocks"),
            (self.parcels, "parcel_id", "parcels"),
            (self.existing, "facility_id", "existing"),
        ):
            if not len(frame):
                continue
            xy = _xy(frame)
            node, _ = net.snap(xy[:, 0], xy[:, 1])
            off = labels[node] != 0
            if off.any():
                k = int(np.flatnonzero(off)[0])
                size = int(net.connected_components().sizes[labels[node[k]]])
                raise InputError(
                    f"layer {what}: snaps to street node {net.node_ids[node[k]]}, in a part of "
                    f"the network ({size} nodes) not connected to the rest; "
                    f"{int(off.sum())} such {what} in all",
                    path=self.source,
                    row=k + 1,
                    field=col,
                    value=str(frame[col].iloc[k]),
                )

    @classmethod
    def from_huitian(cls, folder: str | Path | None = None) -> ServiceData:
        from siting.huitian.load import instance_dir, load_huitian

        data = load_huitian(folder)
        return cls(
            blocks=data.blocks,
            parcels=data.parcels,
            existing=data.existing,
            network=data.network(),
            subdistricts=data.subdistricts,
            source=str(instance_dir(folder)),
            existing_shapes=data.parks,
        )

    def site_geometries(self, parcels: IntArray, existing: IntArray) -> NDArray[Any]:
        """Shapes of candidate parcels then existing facilities (polygons where known)."""
        geoms = list(self.parcels.geometry.to_numpy()[parcels])
        ex = self.existing.geometry.to_numpy()[existing].copy()
        if self.existing_shapes is not None and len(existing):
            shapes = self.existing_shapes.set_index("facility_id").geometry
            ids = self.existing["facility_id"].to_numpy()[existing]
            found = shapes.reindex(ids).to_numpy()
            has = np.array(
                [g is not None and not getattr(g, "is_empty", True) for g in found], dtype=bool
            )
            ex[has] = found[has]
        return np.asarray(geoms + list(ex), dtype=object)

    def pairs_to_sites(
        self, src: FloatArray, geoms: NDArray[Any], radius: float, mode: str, access: str
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """(block, site) pairs within ``radius`` of a site's point or, with
        ``access='boundary'``, of its edge (exact for straight lines; entrances
        every 100 m along the edge on the network)."""
        if access == "point" or len(geoms) == 0:
            return self.pairs_within(src, _points_of(geoms), radius, mode)
        if mode == "euclidean" or self.network is None:
            import shapely

            tree = shapely.STRtree(geoms)
            pts = shapely.points(src)
            r, c = tree.query(pts, predicate="dwithin", distance=radius)
            d = shapely.distance(pts[r], geoms[c])
            order = np.lexsort((c, r))
            return r[order].astype(np.int64), c[order].astype(np.int64), d[order]
        xy, owner = entrances(geoms)
        r, c, d = self.pairs_within(src, xy, radius, mode)
        return _min_per_pair(r, owner[c], d)

    def nearest_to_sites(
        self, src: FloatArray, geoms: NDArray[Any], cutoff: float, mode: str, access: str
    ) -> FloatArray:
        """Distance from each point to its nearest site (second route, for the verifier)."""
        if len(geoms) == 0:
            return np.full(len(src), np.inf)
        if access == "point":
            return self.nearest_distance(src, _points_of(geoms), cutoff, mode)
        if mode == "euclidean" or self.network is None:
            import shapely

            tree = shapely.STRtree(geoms)
            _, dist = tree.query_nearest(
                shapely.points(src), return_distance=True, all_matches=False
            )
            dist = np.asarray(dist, dtype=np.float64)
            return np.where(dist <= cutoff, dist, np.inf)
        xy, _ = entrances(geoms)
        return self.nearest_distance(src, xy, cutoff, mode)

    def block_xy(self) -> FloatArray:
        return _xy(self.blocks)

    def parcel_xy(self) -> FloatArray:
        return _xy(self.parcels)

    def existing_xy(self) -> FloatArray:
        return _xy(self.existing)

    def pairs_within(
        self, src: FloatArray, dst: FloatArray, radius: float, mode: str
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """(src, dst) pairs within ``radius`` by walking (network) or straight line."""
        if len(src) == 0 or len(dst) == 0:
            e = np.zeros(0, dtype=np.int64)
            return e, e.copy(), np.zeros(0)
        if mode == "network" and self.network is not None:
            r, c, d = self.network.pairs_within(
                src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=radius
            )
            return r.astype(np.int64), c.astype(np.int64), d.astype(np.float64)
        return euclidean_pairs(src, dst, radius)

    def nearest_distance(
        self, src: FloatArray, dst: FloatArray, cutoff: float, mode: str
    ) -> FloatArray:
        """Distance from each ``src`` point to its nearest ``dst`` point (inf beyond cutoff).

        A second route, separate from :meth:`pairs_within` (multi-source Dijkstra or
        a nearest-neighbour query), used by the verifier.
        """
        if len(dst) == 0:
            return np.full(len(src), np.inf)
        if mode == "network" and self.network is not None:
            dist, _ = self.network.nearest_within(
                src[:, 0], src[:, 1], dst[:, 0], dst[:, 1], cutoff=cutoff
            )
            return np.asarray(dist, dtype=np.float64)
        d, _ = cKDTree(dst).query(src, k=1)
        d = np.asarray(d, dtype=np.float64)
        return np.where(d <= cutoff, d, np.inf)


def euclidean_pairs(
    src: FloatArray, dst: FloatArray, radius: float, chunk: int = 50_000
) -> tuple[IntArray, IntArray, FloatArray]:
    """Straight-line pairs within ``radius``, from KD-trees, in chunks of sources."""
    tree = cKDTree(dst)
    rows, cols, dist = [], [], []
    for start in range(0, len(src), chunk):
        res = cKDTree(src[start : start + chunk]).sparse_distance_matrix(
            tree, radius * (1 + 1e-12), output_type="ndarray"
        )
        rows.append(res["i"].astype(np.int64) + start)
        cols.append(res["j"].astype(np.int64))
        dist.append(res["v"].astype(np.float64))
    r, c, d = np.concatenate(rows), np.concatenate(cols), np.concatenate(dist)
    order = np.lexsort((c, r))
    return r[order], c[order], d[order]


def _xy(frame: Any) -> FloatArray:
    geom = frame.geometry
    pts = geom if (geom.geom_type == "Point").all() else geom.representative_point()
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]).astype(np.float64)


def uses_mask(allowed: pd.Series, use: str) -> NDArray[np.bool_]:
    """Parcels whose ';'-separated allowed uses include ``use``."""
    padded = ";" + allowed.fillna("").astype(str).str.replace(" ", "") + ";"
    return padded.str.contains(f";{use};", regex=False).to_numpy()


def _points_of(geoms: NDArray[Any]) -> FloatArray:
    import shapely

    pts = [g if g.geom_type == "Point" else g.representative_point() for g in geoms]
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]).astype(np.float64)


def entrances(geoms: NDArray[Any], spacing: float = 100.0) -> tuple[FloatArray, IntArray]:
    """Access points: the point itself, or points every ``spacing`` m along a polygon's edge."""
    import shapely

    rings = np.array([g if g.geom_type == "Point" else g.boundary for g in geoms], dtype=object)
    dense = shapely.segmentize(rings, spacing)
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    return coords.astype(np.float64), owner.astype(np.int64)


def _min_per_pair(
    rows: IntArray, cols: IntArray, dist: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Keep the smallest distance of each repeated (row, col) pair."""
    order = np.lexsort((dist, cols, rows))
    r, c, d = rows[order], cols[order], dist[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    return r[first], c[first], d[first]
