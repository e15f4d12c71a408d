"""Which parcels each facility type may be built on, counted as the model picks its
candidates, and why a type has none.

:func:`parcel_funnel` narrows the parcels as
:class:`~siting.multi.problem.MultiServiceProblem` does: those listing the type's
use (``facility.X.use``, default its key, matched by
:func:`~siting.multi.data.uses_mask`), of them those large enough (its footprint,
or ``min_area_m2`` for whole-parcel types), of them those free by the last year.
:func:`type_cause` says in a few words why none is left; :func:`use_names` lists
the use names the parcels do carry, split at every separator planners use.

>>> use_names(pd.Series(["幼儿园、养老服务驿站", "幼儿园;社区公园", None])).to_dict()
{'幼儿园': 2, '养老服务驿站': 1, '社区公园': 1}
>>> either(["kindergarten", "park", "elderly_station"])
'kindergarten, park or elderly_station'
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from siting.findings import plural
from siting.multi.data import ServiceData, uses_mask
from siting.multi.spec import AREA_UNITS, Spec

__all__ = [
    "SEPARATORS",
    "UNIT_NAMES",
    "ParcelFunnel",
    "area_hint",
    "area_unit",
    "causes_text",
    "either",
    "parcel_funnel",
    "type_cause",
    "use_names",
    "uses_seen",
]

#: Characters that may separate a parcel's uses in planners' files; which of them the
#: model reads as separators is asked of :func:`~siting.multi.data.uses_mask` itself.
SEPARATORS = ";,、，|；"
#: Use names listed in a finding before "…".
LISTED = 6
#: Units an area column may be in by mistake, and their m²: 亩 (mu) and hectares.
#: How the units other than m² are named in messages.
UNIT_NAMES = {"mu": "亩", "ha": "ha"}


class ParcelFunnel(NamedTuple):
    """A type's parcels, narrowed as the model narrows them (counts of parcels)."""

    use: str
    need_m2: float
    by_use: int  # list the type's use
    fits: int  # ... and have the area it needs
    in_time: int  # ... and are free by the last year
    largest_m2: float  # largest area among those listing the use (0 when none)
    earliest: int | None  # first year one of those that fit is free
    unit: str | None = None  # the unit the parcels' area column looks to be in, if not m²


def use_names(allowed: pd.Series) -> pd.Series:
    """How many parcels list each use name, most frequent first, split at every
    character of :data:`SEPARATORS` (what the file says, whatever the model reads).

    >>> use_names(pd.Series(["幼儿园、养老服务驿站", "幼儿园", None])).to_dict()
    {'幼儿园': 2, '养老服务驿站': 1}
    """
    text = allowed.fillna("").astype(str).str.replace(" ", "", regex=False)
    parts = text.str.split(f"[{re.escape(SEPARATORS)}]", regex=True).explode()
    parts = parts[parts.notna() & (parts != "")]
    pairs = pd.DataFrame({"parcel": parts.index, "use": parts.to_numpy()}).drop_duplicates()
    counts = pairs["use"].value_counts()
    order = sorted(counts.index, key=lambda u: (-int(counts[u]), str(u)))
    return counts.reindex(order)


def uses_seen(names: pd.Series, limit: int = LISTED) -> str:
    """The use names with their counts, the first ``limit`` of them.

    >>> uses_seen(pd.Series({"a": 3, "b": 2, "c": 1}), limit=2)
    'a (3), b (2), … (1 more)'
    """
    if not len(names):
        return "none (the uses column is empty)"
    shown = [f"{u} ({int(n)})" for u, n in names.iloc[:limit].items()]
    more = len(names) - limit
    return ", ".join(shown) + (f", … ({more} more)" if more > 0 else "")


def parcel_funnel(spec: Spec, data: ServiceData, name: str) -> ParcelFunnel:
    """The parcels type ``name`` may be built on, as
    :class:`~siting.multi.problem.MultiServiceProblem` picks its candidates."""
    f = spec.facility[name]
    parcels = data.parcels
    use = f.use or name
    by_use = uses_mask(parcels["allowed_uses"], use)
    area = pd.to_numeric(parcels["area_m2"], errors="coerce").to_numpy(dtype=np.float64)
    need = float(f.min_area_m2 if f.whole_parcel else f.footprint_m2)
    fits = by_use & (area >= max(need, 1e-9))
    year = parcels["year_available"].to_numpy(dtype=np.int64)
    in_time = fits & (year <= spec.meta.years[-1])
    return ParcelFunnel(
        use, need, int(by_use.sum()), int(fits.sum()), int(in_time.sum()),
        float(area[by_use].max()) if by_use.any() else 0.0,
        int(year[fits].min()) if fits.any() else None, area_unit(data),
    )


def area_unit(data: ServiceData) -> str | None:
    """The unit the parcels' areas are in when the polygons say it is not m²: the median
    ratio of the polygons' own areas to the column within 20% of a unit of
    :data:`AREA_UNITS` (points carry no area to compare: None)."""
    geom = data.parcels.geometry
    polygons = geom.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    column = pd.to_numeric(data.parcels["area_m2"], errors="coerce").to_numpy(dtype=np.float64)
    ok = polygons & (column > 0)
    if not ok.any():
        return None
    ratio = float(np.median(geom.area.to_numpy()[ok] / column[ok]))
    for unit in UNIT_NAMES:
        if abs(ratio / AREA_UNITS[unit] - 1) < 0.2:
            return unit
    return None


def area_hint(fun: ParcelFunnel) -> str:
    """What to say of the areas' unit after a type whose parcels are all too small."""
    if fun.unit is not None:
        return (f"; the parcels' areas look like {UNIT_NAMES[fun.unit]}, not m² (set "
                f"data.parcel_area_unit = \"{fun.unit}\")")
    if 10 * fun.largest_m2 < fun.need_m2 <= AREA_UNITS["mu"] * fun.largest_m2:
        return "; parcel areas must be in m² (are they in 亩 or ha?)"
    return ""


def type_cause(spec: Spec, name: str, fun: ParcelFunnel, *, hint: bool = True) -> str | None:
    """Why type ``name`` has no parcel, in a few words (None when it has one); ``hint``:
    with what :func:`area_hint` says of the areas' unit."""
    f = spec.facility[name]
    if fun.by_use == 0:
        return f"no parcel lists its use {fun.use!r}"
    if fun.fits == 0:
        need = f"{fun.need_m2:,.0f} m²"
        what = f"whole parcels of at least {need}" if f.whole_parcel else f"a {need} footprint"
        text = (f"it needs {what} but the {plural(fun.by_use, 'parcel')} listing its use "
                f"{'is' if fun.by_use == 1 else 'are'} smaller (largest {fun.largest_m2:,.1f} m²)")
        return text + (area_hint(fun) if hint else "")
    if fun.in_time == 0:
        return (f"the {plural(fun.fits, 'parcel')} it fits on {'is' if fun.fits == 1 else 'are'} "
                f"free only from {fun.earliest}, after the last year {spec.meta.years[-1]}")
    return None


def causes_text(spec: Spec, funnels: dict[str, ParcelFunnel]) -> str:
    """``type: cause`` of every type without a parcel, the areas' hint said once."""
    causes = {n: type_cause(spec, n, fun, hint=False) for n, fun in funnels.items()}
    said = [f"{n}: {why}" for n, why in causes.items() if why]
    hints = [area_hint(fun) for fun in funnels.values() if fun.by_use and not fun.fits]
    return "; ".join(said) + next((h for h in hints if h), "")


def either(items: list[str]) -> str:
    """Items joined by commas and a last "or"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
