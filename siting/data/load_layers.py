"""The canonical columns of a multi-service spec's layers (:mod:`siting.data.load` reads
the layers, these put the user's columns under the names the model reads): blocks'
ids, sub-districts and population groups; existing facilities' ids, types and
capacities; sub-district polygons' names; the sub-district of parcels and
facilities; the walking network of the street layer.

>>> spec_needs(None)
([], [], None)
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.data.columns import (
    POINTS,
    POLYGONS,
    check_geometry,
    checked_numbers,
    find_column,
    listed,
    put,
    read_ids,
)
from siting.data.layers import Layer
from siting.data.streets import street_network
from siting.errors import InputError
from siting.multi.spec import DataTable, Spec
from siting.readers.values import to_ids, to_numbers

__all__ = [
    "area_column",
    "block_columns",
    "existing_columns",
    "spec_needs",
    "street_layer_network",
    "subdistrict_names",
]


def spec_needs(spec: Spec | None) -> tuple[list[str], list[str], int | None]:
    """Population columns, use keys and first year the spec needs of the data."""
    if spec is None:
        return [], [], None
    groups = {f.group for f in spec.facility.values()}
    groups |= {t.group for t in spec.target if t.group is not None}
    uses = {f.use or name for name, f in spec.facility.items()}
    return sorted(groups), sorted(uses), spec.meta.years[0]


def block_columns(
    blocks: Layer,
    table: DataTable,
    spec: Spec | None,
    notes: list[str],
    subdistricts: gpd.GeoDataFrame | None,
) -> None:
    """Blocks' ``block_id`` and ``subdistrict`` (their column, else the polygon they lie
    in, else ``"all"``) and the population columns the spec reads, checked."""
    check_geometry(blocks, POINTS + POLYGONS, "blocks")
    put(blocks, "block_id", table.block_id, read_ids(blocks, table.block_id, "data.block_id"))
    area = find_column(blocks, table.area, "subdistrict", "data.area")
    if area is None and subdistricts is not None:
        blocks.frame["subdistrict"] = _polygon_of(blocks.frame, subdistricts)
        notes.append(
            f"{blocks.label} has no sub-district column (data.area): each block takes the "
            "sub-district polygon it lies in (else the nearest)."
        )
    elif area is None:
        blocks.frame["subdistrict"] = pd.Series("all", index=blocks.frame.index, dtype="str")
        notes.append(
            f"{blocks.label} has no sub-district column (data.area): every block is in one "
            "area, 'all'."
        )
    else:
        areas = to_ids(blocks.frame[area], blocks.where, area, unique=False, noun="sub-district")
        put(blocks, "subdistrict", area, areas)
    if spec is None:
        return
    for name, facility in spec.facility.items():
        group = facility.group
        if group not in blocks.frame.columns:
            raise InputError(
                f"no population column {group!r} for facility.{name}.group "
                f"(columns: {listed(blocks)})",
                path=blocks.label,
                field=group,
            )
    for group in spec_needs(spec)[0]:
        if group in blocks.frame.columns:
            blocks.frame[group] = checked_numbers(blocks, group)
        else:
            raise InputError(
                f"no population column {group!r} for a target's group", path=blocks.label,
                field=group,
            )


def existing_columns(
    layer: Layer, table: DataTable, spec: Spec | None, notes: list[str]
) -> gpd.GeoDataFrame:
    """Existing facilities' ``facility_id``, ``type`` and ``capacity`` (whole numbers as
    nullable integers); types the spec does not plan are said in ``notes``."""
    check_geometry(layer, POINTS + POLYGONS, "existing facilities")
    put(layer, "facility_id", table.existing_id, read_ids(layer, table.existing_id,
                                                       "data.existing_id"))
    col = find_column(layer, table.existing_type, table.existing_type, "data.existing_type")
    assert col is not None
    kinds = to_ids(layer.frame[col], layer.where, col, unique=False, noun="type")
    put(layer, "type", col, kinds)
    col = find_column(layer, table.existing_capacity, "capacity", "data.existing_capacity")
    if col is not None:
        cap = to_numbers(layer.frame[col], layer.where, col, allow_missing=True, allow_inf=True)
        known = cap[~np.isnan(cap)]
        series = pd.Series(cap, index=layer.frame.index)
        # Whole numbers with gaps become nullable integers (places, not fractions).
        whole = bool(np.all(np.isfinite(known) & (known == np.round(known))))
        put(layer, "capacity", col, series.astype("Int64") if whole else series)
    if spec is not None and len(kinds):
        other = sorted(set(kinds) - set(spec.facility))
        if other:
            n = int(kinds.isin(other).sum())
            noun = "facility" if n == 1 else "facilities"
            notes.append(
                f"{layer.label}: {n} {noun} of types the spec does not plan "
                f"({', '.join(other)}) stay on the map only."
            )
    return layer.frame


def street_layer_network(lay: Layer, table: DataTable) -> Any:
    """The walking network of the street layer, built by the ``network_*`` keys that are set."""
    extra: dict[str, Any] = {}
    if table.network_junctions is not None:
        extra["junctions"] = table.network_junctions
    if table.network_level is not None:
        find_column(lay, table.network_level, table.network_level, "data.network_level")
        extra["level"] = table.network_level
    if table.network_max_access is not None:
        extra["max_access"] = table.network_max_access
    return street_network(
        lay.frame,
        length=table.network_length,
        tolerance=table.network_tolerance,
        where=lay.where,
        **extra,
    )


def subdistrict_names(layer: Layer, table: DataTable) -> gpd.GeoDataFrame:
    """Sub-district polygons with their names as ``subdistrict``."""
    check_geometry(layer, POLYGONS, "sub-districts")
    if table.subdistrict_name is not None:
        name, key = table.subdistrict_name, "data.subdistrict_name"
    else:
        name = table.area or "subdistrict"
        key = "data.area" if table.area else "data.subdistrict_name"
    col = find_column(layer, name, name, key)
    assert col is not None
    names = to_ids(layer.frame[col], layer.where, col, unique=False, noun="sub-district")
    put(layer, "subdistrict", col, names)
    return layer.frame


def area_column(
    layer: Layer,
    blocks: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame | None,
    area: str | None,
    notes: list[str],
) -> None:
    """The sub-district of parcels or facilities: their own column (``area``, else
    ``subdistrict``), else the polygon they lie in, else the nearest block's."""
    frame = layer.frame
    name = area or "subdistrict"
    col = name if name in frame.columns else (
        "subdistrict" if "subdistrict" in frame.columns else None
    )
    if col is not None:
        values = to_ids(frame[col], layer.where, col, unique=False, noun="sub-district")
        put(layer, "subdistrict", col, values)
    elif len(frame):
        if subdistricts is not None:
            values = _polygon_of(frame, subdistricts)
            how = "the sub-district polygon it lies in (else the nearest)"
        else:
            pts = _points(frame)
            from scipy.spatial import cKDTree

            _, nearest = cKDTree(_points(blocks)).query(pts)
            values = pd.Series(blocks["subdistrict"].to_numpy(dtype=object)[nearest],
                               index=frame.index, dtype="str")
            how = "the nearest block's"
        frame["subdistrict"] = values
        notes.append(f"{layer.label} has no {name!r} column: each takes {how}.")
    else:  # an empty layer (a header-only CSV): nothing to place
        frame["subdistrict"] = pd.Series([], index=frame.index, dtype="str")
    if name != "subdistrict" and name not in layer.frame.columns:
        layer.frame[name] = layer.frame["subdistrict"]


def _points(frame: gpd.GeoDataFrame) -> Any:
    pts = frame.geometry.representative_point()
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def _polygon_of(frame: gpd.GeoDataFrame, subdistricts: gpd.GeoDataFrame) -> pd.Series:
    """Name of the sub-district polygon each feature's point lies in (else the nearest)."""
    import shapely

    pts = frame.geometry.representative_point().to_numpy()
    tree = shapely.STRtree(subdistricts.geometry.to_numpy())
    poly = np.full(len(pts), -1, dtype=np.int64)
    inside, which = tree.query(pts, predicate="within")
    poly[inside] = which
    rest = np.flatnonzero(poly < 0)
    if rest.size:
        got, nearest = tree.query_nearest(pts[rest], all_matches=False)
        poly[rest[got]] = nearest
    names = subdistricts["subdistrict"].to_numpy(dtype=object)
    return pd.Series(names[poly], index=frame.index, dtype="str")
