"""Coordinates checked against their CRS, layers brought into one metric CRS.

A radius in metres on coordinates in degrees, or on points placed in the wrong
CRS, gives a plan that is proven optimal on distances that are wrong by
kilometres. So every layer's coordinates are checked before they are used:

- a layer without a CRS whose coordinates look like longitude / latitude
  (:func:`looks_like_degrees`) is refused unless a CRS is given (``[data] crs``,
  ``--crs``), or its columns are named as longitude / latitude (then WGS 84);
- a layer in a geographic CRS must hold longitude / latitude; one in a
  projected CRS must not look like degrees, and must lie within 1° of the CRS's
  area of use (pyproj's ``CRS.area_of_use``);
- a layer lying more than 10 km from the reference layer (the blocks, the
  demand) is refused, naming both (:func:`check_near`).

>>> looks_like_degrees([114.2913, 30.4637, 114.3302, 30.4907])
True
>>> looks_like_degrees([0.0, 0.0, 1.0, 1.0])   # a unit square near the origin: metres
False
>>> looks_like_degrees([400_000, 5_800_000, 400_200, 5_800_050])
False
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from siting.errors import CRSError

if TYPE_CHECKING:
    from siting.data.layers import Layer

__all__ = [
    "NEAR_LIMIT_M",
    "check_fits",
    "check_near",
    "crs_name",
    "extent",
    "frame_bounds",
    "harmonise_crs",
    "looks_like_degrees",
    "parse_crs",
]

#: A layer farther than this (m) from the reference layer, with no overlap, is refused.
NEAR_LIMIT_M = 10_000.0
#: How far (degrees) outside its CRS's area of use a layer may reach before it is refused.
AREA_MARGIN_DEG = 1.0
#: Widest extent (degrees) of data that "look like" longitude / latitude.
DEGREE_EXTENT = 5.0
#: The fix of the spec's messages, formatted with a CRS.
SPEC_FIX = 'set [data] crs = "{}"'
WGS84 = "EPSG:4326"


def crs_name(crs: Any) -> str:
    """``EPSG:n`` when the CRS has an EPSG code, else its name."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else str(crs.name)


def parse_crs(text: str, key: str = "data.crs") -> Any:
    """A CRS from user text (``"EPSG:25832"``, WKT, PROJ); a clear error otherwise."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjError

    try:
        return CRS.from_user_input(text)
    except ProjError:
        raise CRSError(f"{key}: not a CRS pyproj knows", field=key, value=text) from None


def frame_bounds(frame: Any) -> Any:
    """Total bounds of a frame's geometry (or of its ``x``, ``y`` columns), or None when
    empty or not finite.

    >>> import pandas as pd
    >>> frame_bounds(pd.DataFrame({"x": [3.0, 1.0], "y": [2.0, 5.0]})).tolist()
    [1.0, 2.0, 3.0, 5.0]
    """
    if not len(frame):
        return None
    total = getattr(frame, "total_bounds", None)  # once: hasattr would compute it too
    if total is not None:
        bounds = np.asarray(total, dtype=float)
    else:
        x, y = (np.asarray(frame[c], dtype=float) for c in ("x", "y"))
        bounds = np.array([x.min(), y.min(), x.max(), y.max()])
    return bounds if np.all(np.isfinite(bounds)) else None


def extent(bounds: Sequence[float]) -> str:
    """``x 114.29–114.33, y 30.46–30.49``: bounds as messages show them.

    >>> extent([400000, 5800000, 400200.5, 5800050])
    'x 400,000–400,200, y 5,800,000–5,800,050'
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    big = max(abs(x0), abs(x1), abs(y0), abs(y1)) >= 1000
    fmt = "{:,.0f}" if big else "{:.6g}"
    return (f"x {fmt.format(x0)}–{fmt.format(x1)}, y {fmt.format(y0)}–{fmt.format(y1)}")


def looks_like_degrees(bounds: Sequence[float] | None) -> bool:
    """Coordinates that are longitude / latitude by their range: within ±180 / ±90, less
    than 5 units across, more than 1 unit from the origin, and with digits past the
    second decimal (a grid of a few metres, or one in steps of 0.5, is a test's, not a
    district's in degrees).

    >>> looks_like_degrees([12.5, 41.8, 12.75, 41.9])
    False
    >>> looks_like_degrees([12.4964, 41.9028, 12.51, 41.91])
    True
    """
    if bounds is None:
        return False
    vals = np.asarray(bounds, dtype=float)
    if vals.size != 4 or not np.all(np.isfinite(vals)):
        return False
    x0, y0, x1, y1 = (float(v) for v in vals)
    fine = bool(np.any(np.abs(vals * 100 - np.round(vals * 100)) > 1e-6))
    return bool(
        -180 <= x0 <= x1 <= 180
        and -90 <= y0 <= y1 <= 90
        and max(x1 - x0, y1 - y0) < DEGREE_EXTENT
        and max(abs(x0 + x1), abs(y0 + y1)) / 2 > 1
        and fine
    )


def degrees_refused(label: str, bounds: Any, fix: str, field: str) -> CRSError:
    """The error for a layer without CRS whose coordinates look like degrees."""
    return CRSError(
        f"coordinates look like longitude/latitude ({extent(bounds)}) but the file has no CRS: "
        f"{fix.format(WGS84)} (they are then projected to metres)",
        path=label,
        field=field,
    )


def check_fits(frame: Any, crs: Any, label: str, why: str, fix: str, field: str) -> None:
    """Refuse coordinates that cannot be in ``crs`` (``why``: where the CRS comes from).

    Degrees out of range, degrees in a projected CRS, or a layer more than
    :data:`AREA_MARGIN_DEG` outside the CRS's area of use.
    """
    bounds = frame_bounds(frame)
    if bounds is None:
        return
    name = f"{crs_name(crs)} ({why})"
    x0, y0, x1, y1 = bounds
    if crs.is_geographic:
        if not (x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90):
            raise CRSError(
                f"coordinates ({extent(bounds)}) are not longitude/latitude, but {name} is in "
                f"degrees: give the CRS the coordinates are in ({fix.format('EPSG:…')})",
                path=label,
                field=field,
            )
    elif looks_like_degrees(bounds):
        raise CRSError(
            f"coordinates look like longitude/latitude ({extent(bounds)}) but {name} is in "
            f"metres: if they are degrees, {fix.format(WGS84)}",
            path=label,
            field=field,
        )
    area = crs.area_of_use
    if area is None or area.west > area.east:  # none known, or across the antimeridian
        return
    west, south, east, north = _geodetic_bounds(bounds, crs)
    m = AREA_MARGIN_DEG
    outside = not (
        west <= area.east + m and east >= area.west - m
        and south <= area.north + m and north >= area.south - m
    )
    if outside:
        at = (
            "at no place on Earth" if not np.all(np.isfinite([west, south, east, north]))
            else f"at {_lonlat((west + east) / 2, (south + north) / 2)}"
        )
        raise CRSError(
            f"coordinates ({extent(bounds)}) in {name} lie {at}, far outside where "
            f"{crs_name(crs)} is used ({area.name.rstrip('.')}; {area.west:g}° to {area.east:g}° "
            f"longitude, {area.south:g}° to {area.north:g}° latitude): give the CRS the "
            f"coordinates are in ({fix.format('EPSG:…')})",
            path=label,
            field=field,
        )


def _geodetic_bounds(bounds: Sequence[float], crs: Any) -> tuple[float, float, float, float]:
    if crs.is_geographic:
        x0, y0, x1, y1 = (float(v) for v in bounds)
        return x0, y0, x1, y1
    import warnings

    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    x0, y0, x1, y1 = (float(v) for v in bounds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # coordinates out of the projection's domain
        try:
            w, s, e, n = to_lonlat.transform_bounds(x0, y0, x1, y1, densify_pts=21)
        except Exception:  # pyproj refuses bounds it cannot transform
            return np.nan, np.nan, np.nan, np.nan
    return float(w), float(s), float(e), float(n)


def _lonlat(lon: float, lat: float) -> str:
    return (f"{abs(lon):.1f}°{'E' if lon >= 0 else 'W'} "
            f"{abs(lat):.1f}°{'N' if lat >= 0 else 'S'}")


def check_near(
    reference: tuple[str, Any], other: tuple[str, Any], hint: str, field: str = "crs"
) -> None:
    """Refuse ``other`` (label, frame) lying more than :data:`NEAR_LIMIT_M` from
    ``reference`` with no overlap: one of the two is not in the CRS it is taken in."""
    (ref_label, ref_frame), (label, frame) = reference, other
    a, b = frame_bounds(ref_frame), frame_bounds(frame)
    if a is None or b is None:
        return
    dx = max(0.0, b[0] - a[2], a[0] - b[2])
    dy = max(0.0, b[1] - a[3], a[1] - b[3])
    gap = float(np.hypot(dx, dy))
    if gap > NEAR_LIMIT_M:
        raise CRSError(
            f"lies {gap / 1000:,.0f} km from {ref_label} ({extent(b)} against {extent(a)}): "
            f"one of them is not in the CRS it is taken to be in; {hint}",
            path=label,
            field=field,
        )


def harmonise_crs(
    blocks: Layer, others: list[Layer], crs: str | None = None
) -> tuple[Any, list[str]]:
    """Bring every layer of a spec into one metric CRS, in place; return it and one note
    per change (the rules of the module docstring; the blocks' CRS is the reference).

    A layer without a CRS takes ``crs`` when given, else WGS 84 when its columns are
    named as longitude / latitude, else the blocks' CRS. A geographic CRS (degrees;
    standard GeoJSON is WGS 84) becomes the blocks' local UTM zone; layers in another
    CRS are reprojected to it.
    """
    notes: list[str] = []
    given = parse_crs(crs) if crs is not None else None
    for lay in (blocks, *others):
        if lay.frame.crs is not None:
            check_fits(lay.frame, lay.frame.crs, lay.label, "its own CRS", SPEC_FIX, "data.crs")
    _assign(blocks, given, None, notes)
    original = blocks.frame.crs
    if original is None:
        with_crs = [lay for lay in others if lay.frame.crs is not None or lay.lonlat]
        if with_crs:
            lay = with_crs[0]
            why = " (WGS 84: its columns are named as longitude/latitude)" if lay.lonlat else ""
            raise CRSError(
                f"the blocks have no CRS but {lay.label} has one{why}: set [data] crs to the "
                "blocks' CRS",
                path=blocks.label,
                field="data.crs",
            )
        for lay in others:
            _assign(lay, None, None, notes)
        notes.append(
            f"{blocks.label} has no CRS (and [data] crs is not set): its coordinates "
            "are taken as metres, like every layer's."
        )
        _all_near(blocks, others)
        return None, notes
    for lay in others:
        _assign(lay, given, original, notes)
    target = original
    if original.is_geographic:
        target = blocks.frame.estimate_utm_crs()
        blocks.frame = blocks.frame.to_crs(target)
        notes.append(
            f"{blocks.label} is in {crs_name(original)} (degrees): reprojected to its local "
            f"UTM zone, {crs_name(target)}."
        )
    for lay in others:
        if lay.frame.crs != target:
            before = lay.frame.crs
            lay.frame = lay.frame.to_crs(target)
            notes.append(
                f"{lay.label} is in {crs_name(before)}: reprojected to {crs_name(target)}, "
                "the blocks' CRS."
            )
    _all_near(blocks, others)
    return target, notes


def _assign(lay: Layer, given: Any, reference: Any, notes: list[str]) -> None:
    """Give a layer without CRS one: ``given``, WGS 84 for lon/lat columns, else
    ``reference`` (the blocks' CRS); refused when its coordinates cannot be in it."""
    if lay.frame.crs is not None:
        return
    bounds = frame_bounds(lay.frame)
    if given is not None:
        crs, why = given, "[data] crs"
    elif lay.lonlat:
        crs, why = parse_crs(WGS84), "its columns are named as longitude/latitude"
    elif reference is not None:
        if looks_like_degrees(bounds) and not reference.is_geographic:
            raise degrees_refused(lay.label, bounds, SPEC_FIX, "data.crs")
        crs, why = reference, "the blocks' CRS"
    else:
        if looks_like_degrees(bounds):
            raise degrees_refused(lay.label, bounds, SPEC_FIX, "data.crs")
        return
    check_fits(lay.frame, crs, lay.label, why, SPEC_FIX, "data.crs")
    lay.frame = lay.frame.set_crs(crs)
    if lay.lonlat and given is None:
        x, y = lay.xy_columns or ("x", "y")
        notes.append(
            f"{lay.label} has no CRS: its columns {x!r} and {y!r} are taken as WGS 84 "
            f"longitude/latitude ({WGS84}); set [data] crs if they are not."
        )
    else:
        notes.append(f"{lay.label} has no CRS: taken to be in {crs_name(crs)} ({why}).")


def _all_near(blocks: Layer, others: list[Layer]) -> None:
    for lay in others:
        check_near((blocks.label, blocks.frame), (lay.label, lay.frame),
                   "check their CRS and [data] crs", "data.crs")
