"""Data of a multi-service instance: blocks, parcels, existing facilities, network.

Distances between point sets come from the walking network (snap + Dijkstra
with a cutoff) or, without a network, straight lines from a KD-tree; both
return sparse ``(rows, cols, dist)`` triples, never a dense matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def __post_init__(self) -> None:
        for frame, cols, what in ((self.blocks, BLOCK_COLUMNS, "blocks"),
                                  (self.parcels, PARCEL_COLUMNS, "parcels"),
                                  (self.existing, EXISTING_COLUMNS, "existing")):
            for c in cols:
                if c not in frame.columns:
                    raise InputError(f"layer {what} has no column {c!r}", path=self.source,
                                     field=c)
        crs = {str(f.crs) for f in (self.blocks, self.parcels, self.existing) if f.crs is not None}
        if len(crs) > 1:
            raise InputError(f"layers are in different CRSs: {sorted(crs)}", path=self.source,
                             field="crs")
        if self.blocks.crs is not None and self.blocks.crs.is_geographic:
            raise InputError("layers are in a geographic CRS (degrees); project them to metres",
                             path=self.source, field="crs", value=str(self.blocks.crs))

    @classmethod
    def from_huitian(cls, folder: str | Path | None = None) -> ServiceData:
        from siting.huitian.load import instance_dir, load_huitian

        data = load_huitian(folder)
        return cls(blocks=data.blocks, parcels=data.parcels, existing=data.existing,
                   network=data.network(), subdistricts=data.subdistricts,
                   source=str(instance_dir(folder)))

    def block_xy(self) -> FloatArray:
        return _xy(self.blocks)

    def parcel_xy(self) -> FloatArray:
        return _xy(self.parcels)

    def existing_xy(self) -> FloatArray:
        return _xy(self.existing)

    def pairs_within(self, src: FloatArray, dst: FloatArray, radius: float,
                     mode: str) -> tuple[IntArray, IntArray, FloatArray]:
        """(src, dst) pairs within ``radius`` by walking (network) or straight line."""
        if len(src) == 0 or len(dst) == 0:
            e = np.zeros(0, dtype=np.int64)
            return e, e.copy(), np.zeros(0)
        if mode == "network" and self.network is not None:
            r, c, d = self.network.pairs_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1],
                                                cutoff=radius)
            return r.astype(np.int64), c.astype(np.int64), d.astype(np.float64)
        return euclidean_pairs(src, dst, radius)

    def nearest_distance(self, src: FloatArray, dst: FloatArray, cutoff: float,
                         mode: str) -> FloatArray:
        """Distance from each ``src`` point to its nearest ``dst`` point (inf beyond cutoff).

        A second route, separate from :meth:`pairs_within` (multi-source Dijkstra or
        a nearest-neighbour query), used by the verifier.
        """
        if len(dst) == 0:
            return np.full(len(src), np.inf)
        if mode == "network" and self.network is not None:
            dist, _ = self.network.nearest_within(src[:, 0], src[:, 1], dst[:, 0], dst[:, 1],
                                                  cutoff=cutoff)
            return np.asarray(dist, dtype=np.float64)
        d, _ = cKDTree(dst).query(src, k=1)
        d = np.asarray(d, dtype=np.float64)
        return np.where(d <= cutoff, d, np.inf)


def euclidean_pairs(src: FloatArray, dst: FloatArray, radius: float,
                    chunk: int = 50_000) -> tuple[IntArray, IntArray, FloatArray]:
    """Straight-line pairs within ``radius``, from KD-trees, in chunks of sources."""
    tree = cKDTree(dst)
    rows, cols, dist = [], [], []
    for start in range(0, len(src), chunk):
        res = cKDTree(src[start:start + chunk]).sparse_distance_matrix(
            tree, radius * (1 + 1e-12), output_type="ndarray")
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
