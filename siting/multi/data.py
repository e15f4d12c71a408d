"""Data of a multi-service instance: blocks, parcels, existing facilities, network.

Distances come from the one coverage layer (:mod:`siting.coverage`): walking
on the street network (snap + cutoff Dijkstra) or straight lines, to a site's
point or its edge, as sparse matrices, never a dense one.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.coverage import Metric, make_metric, points_of
from siting.coverage.walking import located
from siting.errors import InputError
from siting.findings import Finding
from siting.multi.travel import travel_metric
from siting.readers.values import Where

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
    #: What checks made while loading found (e.g. the street network's diagnostics);
    #: :func:`siting.multi.checks.check_plan_data` lists them with its own.
    findings: list[Finding] = field(default_factory=list)
    #: Each layer's file and layer as the user named them, and how its rows are numbered
    #: (``"blocks"``, ``"parcels"``, ``"existing"``); messages about a layer's rows use
    #: them, else :attr:`source`.
    wheres: dict[str, Where] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for frame, cols, what in (
            (self.blocks, BLOCK_COLUMNS, "blocks"),
            (self.parcels, PARCEL_COLUMNS, "parcels"),
            (self.existing, EXISTING_COLUMNS, "existing"),
        ):
            for c in cols:
                if c not in frame.columns:
                    raise InputError(f"layer {what} has no column {c!r}",
                                 path=self.where(what).path, field=c)
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
                raise InputError(f"layer {what} is empty (no rows)",
                                 path=self.where(what).path, field=what)
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
                    path=self.where(what).path,
                    row=self.where(what).row(k),
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
                    path=self.where("parcels").path,
                    row=self.where("parcels").row(k),
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
                    path=self.where(what).path,
                    row=self.where(what).row(k),
                    field="geometry",
                    value=None if g is None else g.wkt[:60],
                )

    def _check_reachable(self) -> None:
        """Refuse blocks, parcels or facilities that meet the street network on a part of it
        cut off from its main component (walking distances from them would be wrong);
        count, in the notes, those beyond the network's access distance (unreachable)."""
        net = self.network
        info = net.connected_components()
        for frame, col, what in (
            (self.blocks, "block_id", "blocks"),
            (self.parcels, "parcel_id", "parcels"),
            (self.existing, "facility_id", "existing"),
        ):
            if not len(frame):
                continue
            where = located(net, _xy(frame))
            part = net.component_of(where)
            off = part > 0
            if off.any():
                cut = np.flatnonzero(off)
                k = int(cut[0])
                size = int(info.sizes[part[k]])
                lines = _lines_of_part(net, int(part[k]))
                at = self.where(what)
                rows = ", ".join(str(at.row(int(i))) for i in cut[:5])
                raise InputError(
                    f"layer {what}: meets the street network on a part of it ({size} nodes"
                    f"{lines}) not connected to the rest; {cut.size} such {what} in all, "
                    f"rows {rows}{', …' if cut.size > 5 else ''} (join that part to the "
                    "streets, or leave it out of the street layer)",
                    path=at.path,
                    row=at.row(k),
                    field=col,
                    value=str(frame[col].iloc[k]),
                )
            far = part < 0
            if far.any():
                k = int(np.flatnonzero(far)[0])
                at = self.where(what)
                said = Finding(
                    "warning", "network-access",
                    f"{at.path}: {int(far.sum())} {what} lie farther than "
                    f"{net.max_access:,.0f} m from every street (e.g. {frame[col].iloc[k]}, "
                    f"row {at.row(k)}, {where.nearest[k]:,.0f} m): unreachable on foot, so "
                    "never covered by a walking radius (raise network_max_access if the "
                    "streets are right).",
                )
                if said not in self.findings:
                    self.findings.append(said)

    def where(self, what: str) -> Where:
        """Where a layer's rows are (``"blocks"``, ``"parcels"``, ``"existing"``): its file
        and layer as the user named them, else :attr:`source` with rows numbered from 1.

        >>> import geopandas as gpd, shapely
        >>> one = lambda **c: gpd.GeoDataFrame(c, geometry=[shapely.Point(0, 0)], crs=3857)
        >>> data = ServiceData(
        ...     one(block_id=["b"], subdistrict=["a"]),
        ...     one(parcel_id=["p"], area_m2=[10.0], allowed_uses=["x"], year_available=[2026]),
        ...     one(facility_id=["f"], type=["x"]), source="district",
        ...     wheres={"blocks": Where("blocks.shp:blocks")})
        >>> data.where("blocks").path, data.where("parcels").path, data.where("parcels").row(0)
        ('blocks.shp:blocks', 'district', 1)
        """
        return self.wheres.get(what) or Where(self.source)

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
        # Remembered by the shapes themselves, not by the frame: an analyst may put a new
        # geometry in place (the same array object), and that is a new shape.
        return _xy(self.blocks)

    def parcel_xy(self) -> FloatArray:
        return _xy(self.parcels)

    def existing_xy(self) -> FloatArray:
        return _xy(self.existing)


def _lines_of_part(network: Any, part: int) -> str:
    """``; lines rows 3, 17`` of a network part, where the lines are known."""
    labels = network.connected_components().labels
    rows = np.unique(network.edge_line[labels[network.edge_u] == part])
    rows = rows[rows >= 0]
    diag = network.diagnostics
    if not rows.size:
        return ""
    shown = [diag.line(int(r) + 1) if diag is not None else f"row {int(r) + 1}" for r in rows[:5]]
    return f"; street lines {', '.join(shown)}{', …' if rows.size > 5 else ''}"


#: The last point sets made from shapes, with the shapes they were made from (kept
#: alive, so no other object takes their ``id``) and those ids: the model, its
#: heuristic and the verifier ask for the blocks' points once per type and year.
_POINTS_OF: dict[bytes, tuple[NDArray[Any], NDArray[np.int64], FloatArray]] = {}
_POINTS_KEPT = 8


def _xy(frame: Any) -> FloatArray:
    """``points_of`` the frame's shapes, remembered for the very same shape objects.

    Shapely geometries are immutable: an edited geometry is a new object, so it is
    never answered from an earlier set.

    >>> import geopandas as gpd, shapely
    >>> frame = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2, 2), shapely.Point(5, 5)])
    >>> _xy(frame).tolist()
    [[1.0, 1.0], [5.0, 5.0]]
    >>> frame.loc[1, "geometry"] = shapely.Point(7, 7)
    >>> _xy(frame).tolist()
    [[1.0, 1.0], [7.0, 7.0]]
    """
    import hashlib

    shapes = np.asarray(frame.geometry.to_numpy(), dtype=object).reshape(-1)
    ids = np.fromiter(map(id, shapes), dtype=np.int64, count=shapes.size)
    key = hashlib.blake2b(ids.tobytes(), digest_size=16).digest()
    known = _POINTS_OF.get(key)
    # The same ids are the same objects: the remembered shapes are alive, so no other
    # object can hold one of their ids.
    if known is not None and np.array_equal(known[1], ids):
        return known[2].copy()
    xy = points_of(shapes)
    if len(_POINTS_OF) >= _POINTS_KEPT:
        _POINTS_OF.clear()
    _POINTS_OF[key] = (shapes.copy(), ids, xy.copy())
    return xy


#: What separates allowed uses in a list (with the spaces around it): ; , 、 ， ； |
USE_SEPARATORS = r"\s*[;,、，；|]\s*"


def normalise_uses(allowed: pd.Series) -> pd.Series:
    """Lists of allowed uses in the canonical form: ``;``-joined, no empty items.

    >>> normalise_uses(pd.Series(["幼儿园、养老服务驿站", " park ; kindergarten,", None])).tolist()
    ['幼儿园;养老服务驿站', 'park;kindergarten', '']
    """
    text = allowed.astype(object).where(allowed.notna(), "")
    # Plain str methods over the values, each distinct list normalised once: asked once
    # per type and problem, pandas' string accessor cost ~30 µs a value.
    return pd.Series([_normal_uses(str(v)) for v in text.to_numpy()], index=allowed.index,
                     dtype="str", name=allowed.name)


_SEPARATOR = re.compile(USE_SEPARATORS)
_RUN = re.compile(r";{2,}")


@functools.lru_cache(maxsize=4096)  # parcels repeat a few lists of uses
def _normal_uses(text: str) -> str:
    return _RUN.sub(";", _SEPARATOR.sub(";", text).strip()).strip(";")


def uses_mask(allowed: pd.Series, use: str) -> NDArray[np.bool_]:
    """Parcels whose allowed uses (a list separated by ``;`` ``,`` ``、`` ``，`` ``；`` or
    ``|``, :data:`USE_SEPARATORS`) include ``use``.

    >>> uses_mask(pd.Series(["幼儿园、养老服务驿站", "养老服务驿站，社区卫生服务站", "park"]),
    ...           "养老服务驿站").tolist()
    [True, True, False]
    """
    wanted = f";{use.strip()};"
    return np.fromiter((wanted in f";{v};" for v in normalise_uses(allowed).to_numpy()),
                       dtype=bool, count=len(allowed))
