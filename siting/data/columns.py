"""Columns of a user's layer mapped onto the canonical ones, each checked as it is read.

Shared by the ``[data]`` loader (:mod:`siting.data.load`) and its parcel columns
(:mod:`siting.data.parcels`): a named column must exist (the error names the
key), a canonical column the user already has for something else clashes, and
values are converted strictly (:mod:`siting.readers.values`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.data.layers import Layer
from siting.errors import InputError
from siting.readers.values import to_ids, to_numbers

POINTS = ("Point", "MultiPoint")
POLYGONS = ("Polygon", "MultiPolygon")


def check_geometry(layer: Layer, allowed: tuple[str, ...], what: str) -> None:
    """Every feature has a non-empty, valid geometry of an allowed type."""
    geom = layer.frame.geometry
    missing = geom.isna().to_numpy()
    if missing.any():
        raise layer.where.error(f"{what}: missing geometry", first(missing), "geometry", None)
    empty = geom.is_empty.to_numpy()
    if empty.any():
        raise layer.where.error(f"{what}: empty geometry", first(empty), "geometry", None)
    kinds = geom.geom_type.to_numpy()
    wrong = ~np.isin(kinds, allowed)
    if wrong.any():
        k = first(wrong)
        raise layer.where.error(
            f"{what} must be {' or '.join(allowed)}, not {kinds[k]}", k, "geometry",
            geom.iloc[k].wkt[:60],
        )
    invalid = ~geom.is_valid.to_numpy()
    if invalid.any():
        import shapely

        k = first(invalid)
        raise layer.where.error(
            f"{what}: invalid geometry ({shapely.is_valid_reason(geom.iloc[k])})", k, "geometry",
            geom.iloc[k].wkt[:60],
        )


def first(mask: Any) -> int:
    return int(np.flatnonzero(mask)[0])


def find_column(layer: Layer, name: str | None, default: str, key: str) -> str | None:
    """The column to read: the one named (must exist), else ``default`` if present."""
    if name is not None:
        if name not in layer.frame.columns:
            raise InputError(
                f"no column {name!r} ({key}; columns: {listed(layer)})",
                path=layer.label,
                field=name,
            )
        return name
    return default if default in layer.frame.columns else None


def listed(layer: Layer) -> str:
    return ", ".join(str(c) for c in layer.frame.columns if c != layer.frame.geometry.name)


def read_ids(layer: Layer, column: str, key: str) -> pd.Series:
    col = find_column(layer, column, column, key)
    assert col is not None
    return to_ids(layer.frame[col], layer.where, col)


def put(layer: Layer, canonical: str, source: str | None, values: Any) -> None:
    """Set the canonical column; a user column of that name holding something else clashes."""
    if source != canonical and canonical in layer.frame.columns:
        raise InputError(
            f"has a column {canonical!r}, but {source!r} is read as the {canonical}: "
            "rename one of them",
            path=layer.label,
            field=canonical,
        )
    layer.frame[canonical] = values


def checked_numbers(layer: Layer, col: str, **rules: Any) -> Any:
    """Checked numbers; a numeric column keeps its dtype, text becomes float."""
    vals = to_numbers(layer.frame[col], layer.where, col, **rules)
    series = layer.frame[col]
    return series if pd.api.types.is_numeric_dtype(series.dtype) else vals
