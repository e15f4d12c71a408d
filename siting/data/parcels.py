"""The candidate parcels of a ``[data]`` table: id, area, allowed uses, year, land cost.

- **Area**: the column ``parcel_area`` (default ``area_m2``) in
  ``parcel_area_unit`` (m², ha or 亩 = 10,000 / 15 m²), converted to m²; without
  one, the polygon's area. When both exist, the column is compared with the
  polygons' own areas (median ratio over the polygon parcels): off by more than
  ×10 either way it is refused, naming the unit it looks like (亩, ha, m²);
  off by more than 25 % it is said in the notes and used as given (a floor area,
  an area net of roads).
- **Allowed uses**: a list separated by ``;`` ``,`` ``、`` ``，`` ``；`` or
  ``|`` (:data:`siting.multi.data.USE_SEPARATORS`), stored ``;``-joined; a
  facility type whose use no parcel allows is said.
- **Year available** (whole years) and **land cost** (≥ 0).

Defaults taken (no column) are one sentence each in the notes.

>>> AREA_UNITS["mu"] * 4.5   # 4.5 亩 in m²
3000.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.data.columns import (
    POINTS,
    POLYGONS,
    check_geometry,
    checked_numbers,
    find_column,
    first,
    put,
    read_ids,
)
from siting.data.layers import Layer, text_column
from siting.errors import InputError
from siting.multi.data import normalise_uses, uses_mask
from siting.multi.spec import AREA_UNITS, DataTable, Spec
from siting.readers.values import to_numbers

__all__ = ["AREA_UNITS", "parcel_columns"]

#: m² in one unit of ``[data] parcel_area_unit``.
#: How the units are named in messages.
UNIT_NAMES = {"m2": "m²", "ha": "ha (公顷)", "mu": "亩 (mu)"}
#: The area column against the polygons' areas: refused beyond this factor, said beyond NOTED.
REFUSED_FACTOR = 10.0
NOTED_FACTOR = 1.25


def parcel_columns(
    layer: Layer, table: DataTable, spec: Spec | None, needs: tuple[list[str], int | None],
    notes: list[str],
) -> pd.DataFrame:
    """Map the parcel layer's columns onto the canonical ones (see the module docstring).

    ``needs``: the use keys and the first year of the spec.
    """
    check_geometry(layer, POINTS + POLYGONS, "parcels")
    label = layer.label
    put(layer, "parcel_id", table.parcel_id, read_ids(layer, table.parcel_id, "data.parcel_id"))
    _area(layer, table, notes)
    uses, first_year = needs
    col = find_column(layer, table.parcel_uses, "allowed_uses", "data.parcel_uses")
    if col is not None:
        allowed = normalise_uses(text_column(layer.frame, col))
        split = sorted(set("".join(text_column(layer.frame, col).tolist())) & set(",、，；|"))
        if split:
            notes.append(
                f"{label}: the allowed uses ({col}) are split at {' '.join(split)} as at ';'."
            )
        put(layer, "allowed_uses", col, allowed)
        if spec is not None:
            _unused_types(layer, col, spec, notes)
    else:
        layer.frame["allowed_uses"] = pd.Series(";".join(uses), index=layer.frame.index,
                                                dtype="str")
        notes.append(
            f"{label} has no uses column (data.parcel_uses): every parcel allows every "
            "facility type."
        )
    col = find_column(layer, table.parcel_year, "year_available", "data.parcel_year")
    if col is not None:
        years = to_numbers(layer.frame[col], layer.where, col, integer=True, maximum=9999)
        put(layer, "year_available", col, years.astype(np.int64))
    else:
        year = first_year if first_year is not None else 0
        layer.frame["year_available"] = np.full(len(layer.frame), year, dtype=np.int64)
        notes.append(
            f"{label} has no year column (data.parcel_year): every parcel is available from "
            f"{'the first year' if first_year is None else first_year}."
        )
    col = find_column(layer, table.parcel_land_cost, "land_cost_est", "data.parcel_land_cost")
    if col is not None:
        put(layer, "land_cost_est", col, checked_numbers(layer, col))
    else:
        layer.frame["land_cost_est"] = np.zeros(len(layer.frame))
        notes.append(f"{label} has no land cost column (data.parcel_land_cost): land costs 0.")
    return layer.frame


def _area(layer: Layer, table: DataTable, notes: list[str]) -> None:
    """``area_m2``: the area column converted from its unit, else the polygons' areas."""
    label, frame = layer.label, layer.frame
    points = frame.geometry.geom_type.isin(POINTS).to_numpy()
    col = find_column(layer, table.parcel_area, "area_m2", "data.parcel_area")
    unit = table.parcel_area_unit
    unit_given = "parcel_area_unit" in table.model_fields_set
    if col is None:
        if unit_given:
            raise InputError(
                "data.parcel_area_unit is set but no area column is read (data.parcel_area)",
                path=label, field="data.parcel_area_unit", value=unit,
            )
        if points.any():
            raise layer.where.error(
                "a parcel given as a point needs an area column (data.parcel_area)",
                first(points), "geometry", frame.geometry.iloc[first(points)].wkt[:60],
            )
        frame["area_m2"] = frame.geometry.area.to_numpy(dtype=np.float64)
        notes.append(f"{label} has no area column (data.parcel_area): areas are the polygons'.")
        return
    raw = to_numbers(frame[col], layer.where, col)
    _check_against_polygons(layer, col, raw, unit, unit_given, ~points, notes)
    if unit == "m2":
        put(layer, "area_m2", col, checked_numbers(layer, col))
        if not unit_given:
            notes.append(
                f"{label}: the parcel areas ({col}) are read as m² (data.parcel_area_unit)."
            )
        return
    put(layer, "area_m2", col, raw * AREA_UNITS[unit])
    notes.append(
        f"{label}: the parcel areas ({col}) are in {UNIT_NAMES[unit]} (data.parcel_area_unit): "
        f"converted to m² (× {AREA_UNITS[unit]:.6g})."
    )


def _check_against_polygons(
    layer: Layer, col: str, raw: Any, unit: str, unit_given: bool, polygons: Any,
    notes: list[str],
) -> None:
    """Compare the area column with the polygons' own areas (the module docstring)."""
    shape_area = layer.frame.geometry.area.to_numpy(dtype=np.float64)
    usable = polygons & (shape_area > 0) & (raw > 0)
    if not usable.any():
        return
    ratio = raw[usable] * AREA_UNITS[unit] / shape_area[usable]
    median = float(np.median(ratio))
    factor = max(median, 1 / median)
    if factor <= NOTED_FACTOR:
        return
    k = first(usable)
    size = "larger" if median > 1 else "smaller"
    times = f"{factor:,.0f}" if factor >= 10 else f"{factor:.2g}"
    said = (
        f"the areas in {UNIT_NAMES[unit]} are {times} times {size} than the polygons' "
        f"own (median of {int(usable.sum())} parcels; row {layer.where.row(k)}: {raw[k]:g} "
        f"against {shape_area[k]:,.0f} m²)"
    )
    if factor <= REFUSED_FACTOR:
        notes.append(f"{layer.label}: {said}: the column {col!r} is used as given.")
        return
    fits = [u for u in AREA_UNITS
            if max(median / AREA_UNITS[unit] * AREA_UNITS[u],
                   AREA_UNITS[unit] / (median * AREA_UNITS[u])) <= NOTED_FACTOR]
    if fits:
        fix = f"they look like {UNIT_NAMES[fits[0]]}: set parcel_area_unit = \"{fits[0]}\""
    else:
        fix = "check the column (data.parcel_area) and its unit (data.parcel_area_unit)"
    raise InputError(f"{said}: {fix}", path=layer.label, field=col)


def _unused_types(layer: Layer, col: str, spec: Spec, notes: list[str]) -> None:
    """Say each facility type whose use no parcel allows (a key in another language)."""
    allowed = layer.frame["allowed_uses"]
    found = sorted({u for text in allowed.unique() for u in str(text).split(";") if u})
    for name, facility in spec.facility.items():
        use = facility.use or name
        if not uses_mask(allowed, use).any():
            shown = ", ".join(found[:8]) + (", …" if len(found) > 8 else "")
            notes.append(
                f"{layer.label}: no parcel allows {use!r} (facility.{name}; uses in {col}: "
                f"{shown or 'none'}): set facility.{name}.use to one of them, or no "
                f"{name} can be built."
            )
