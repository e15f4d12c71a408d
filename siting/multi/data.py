"""Data of a multi-service instance: blocks, parcels, existing facilities, network.

Distances come from the one coverage layer (:mod:`siting.coverage`): walking
on the street network (snap + cutoff Dijkstra) or straight lines, to a site's
point or its edge, as sparse matrices, never a dense one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.coverage import Metric, make_metric, points_of
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

    def metric(
        self, parcels: IntArray, existing: IntArray, distance: str, access: str,
        travel: Any = None,
    ) -> Metric:
        """The coverage layer's metric from blocks to these parcels then existing facilities.

        ``distance="network"`` walks the street network when there is one, else
        measures straight lines (said in :attr:`notes`). ``travel``, a facility
        type (:class:`~siting.multi.spec.Facility`) with a ``travel_table``,
        takes the distances from that table instead (read once, then cut to
        these sites; see :func:`siting.multi.travel.travel_metric`).
        """
        if travel is not None and getattr(travel, "travel_table", None) is not None:
            from siting.multi.travel import travel_metric

            return travel_metric(self, travel, parcels, existing)
        walk = distance == "network" and self.network is not None
        if distance == "network" and self.network is None:
            note = "no street network given: walking distances are measured as straight lines"
            if note not in self.notes:
                self.notes.append(note)
        return make_metric(
            self.block_xy(),
            self.site_geometries(parcels, existing),
            distance="network" if walk else "euclidean",
            access="boundary" if access == "boundary" else "point",
            network=self.network,
        )

    def block_xy(self) -> FloatArray:
        # Not cached: an analyst may edit a geometry in place (the same array object).
        return _xy(self.blocks)

    def parcel_xy(self) -> FloatArray:
        return _xy(self.parcels)

    def existing_xy(self) -> FloatArray:
        return _xy(self.existing)


def _xy(frame: Any) -> FloatArray:
    return points_of(frame.geometry.to_numpy())


def uses_mask(allowed: pd.Series, use: str) -> NDArray[np.bool_]:
    """Parcels whose ';'-separated allowed uses include ``use``."""
    padded = ";" + allowed.fillna("").astype(str).str.replace(" ", "") + ";"
    return padded.str.contains(f";{use};", regex=False).to_numpy()
