"""Checks of a spec on its data before any solve: nothing that would empty or bend a plan
goes unsaid.

:func:`check_plan_data` reads the spec and the loaded data only (no coverage, no
solver; vectorised pandas) and returns :class:`~siting.findings.Finding` s:

- each facility type's parcels, as the model picks them
  (:func:`~siting.multi.funnel.parcel_funnel`: its use, its area, its years). A
  type left with none is said with the cause: the use names the
  parcels do list, most frequent first, and the closest one. When no type has a
  parcel, nothing could ever be planned: an error;
- an area column in 亩 or ha (from the polygons' own areas); uses joined by a
  separator that is not read as one (the whole text is then one use name);
- parcels or existing facilities far outside the blocks' extent (coordinates in
  another CRS than said);
- existing facilities whose types match no facility key (they are left out of
  every baseline);
- a type that costs nothing under a budget, and a budget of 0;
- population groups with missing values or summing to 0;
- targets whose types have no parcel and no existing facility;
- the loading notes, findings made while loading (``ServiceData.findings``) and the
  street network's diagnostics.

>>> import geopandas as gpd, shapely
>>> from siting.multi.spec import parse_spec
>>> at = dict(geometry=[shapely.Point(0, 0)], crs="EPSG:32650")
>>> data = ServiceData(
...     blocks=gpd.GeoDataFrame({"block_id": ["b1"], "subdistrict": ["s"], "pop": [10]}, **at),
...     parcels=gpd.GeoDataFrame({"parcel_id": ["p1"], "area_m2": [900.0],
...         "allowed_uses": ["幼儿园;养老驿站"], "year_available": [2026]}, **at),
...     existing=gpd.GeoDataFrame({"facility_id": ["e1"], "type": ["幼儿园"]}, **at))
>>> spec = parse_spec({"meta": {"name": "x", "years": [2026]}, "facility": {"kindergarten":
...     {"group": "pop", "radius_m": 300, "footprint_m2": 600, "build_cost": 1e6}}})
>>> for finding in check_plan_data(spec, data):
...     print(finding.line())  # doctest: +NORMALIZE_WHITESPACE
error: nothing can be built: no parcel lists the use of any facility type (kindergarten;
facility.X.use, default the type's key); the parcels' uses are 养老驿站 (1), 幼儿园 (1). Fix:
give each type the parcels' name for its use (e.g. facility.kindergarten.use = "…") or name
the facility tables after those uses
warning: existing types 幼儿园 (1) match no facility key (kindergarten): they are left out of
the baseline; name the facility tables after the existing types (e.g. [facility."幼儿园"]) or
the other way round
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from siting.findings import Finding, from_notes, ordered, plural
from siting.multi.data import ServiceData, uses_mask
from siting.multi.funnel import (
    SEPARATORS,
    UNIT_NAMES,
    ParcelFunnel,
    area_unit,
    causes_text,
    either,
    parcel_funnel,
    type_cause,
    use_names,
    uses_seen,
)
from siting.multi.spec import AREA_UNITS, Facility, Spec

__all__ = ["check_plan_data"]


def check_plan_data(spec: Spec, data: ServiceData) -> list[Finding]:
    """Every finding about ``spec`` on ``data``, errors first (see the module docstring)."""
    names = use_names(data.parcels["allowed_uses"])
    built, found = _type_findings(spec, data, names)
    found += _separator_findings(data)
    found += _far_findings(data)
    found += _unit_findings(data)
    found += _existing_findings(spec, data)
    found += _cost_findings(spec, data, built)
    found += _group_findings(spec, data)
    found += _target_findings(spec, data, built)
    return ordered([*data.findings, *found, *network_notes(data), *from_notes(data.notes)])


def network_notes(data: ServiceData) -> list[Finding]:
    """The street network's diagnostics (separate parts and crossings without a junction
    are warnings), unless the findings made while loading already hold them."""
    diagnostics = getattr(data.network, "diagnostics", None)
    said = any(f.code == "network" for f in data.findings)
    if diagnostics is None or said:
        return []
    return list(diagnostics.findings())


# ------------------------------------------------------------------ parcels


def _looks_for(name: str, f: Facility, names: pd.Series) -> str:
    """The type, the use it looks for when that is not its key, and the closest use name."""
    use = f.use or name
    said = name if use == name else f"{name} (use {use!r})"
    return said + _closest(use, names)


def _closest(use: str, names: pd.Series) -> str:
    close = difflib.get_close_matches(use, [str(u) for u in names.index], n=1)
    return f" (did you mean use = {close[0]!r}?)" if close else ""


def _type_findings(
    spec: Spec, data: ServiceData, names: pd.Series
) -> tuple[set[str], list[Finding]]:
    """The types with a parcel, and what is said of those without one."""
    existing = data.existing["type"].astype(str).value_counts()
    built: set[str] = set()
    causes: dict[str, tuple[ParcelFunnel, str]] = {}
    for name in spec.facility:
        fun = parcel_funnel(spec, data, name)
        why = type_cause(spec, name, fun)
        if why is None:
            built.add(name)
        else:
            causes[name] = (fun, why)
    funnels = {n: fun for n, (fun, _) in causes.items()}
    fix = (f"give each type the parcels' name for its use (e.g. facility.{next(iter(causes), '')}"
           ".use = \"…\") or name the facility tables after those uses")
    if not built:
        if all(fun.by_use == 0 for fun, _ in causes.values()):
            listed = ", ".join(_looks_for(n, spec.facility[n], names) for n in causes)
            text = (f"nothing can be built: no parcel lists the use of any facility type "
                    f"({listed}; facility.X.use, default the type's key); the parcels' uses "
                    f"are {uses_seen(names)}. Fix: {fix}")
        else:
            text = f"nothing can be built on any parcel: {causes_text(spec, funnels)}"
        return built, [Finding("error", "nothing-buildable", text)]
    out = []
    for name, (fun, why) in causes.items():
        code = "no-parcel" if fun.by_use == 0 else (
            "parcels-too-small" if fun.fits == 0 else "parcels-too-late")
        if fun.by_use == 0:
            why += _closest(fun.use, names) or f"; uses seen: {uses_seen(names)}"
        kept = int(existing.get(name, 0))
        if kept:
            out.append(Finding("note", code, f"{name}: no new one can be built ({why}); only its "
                                              f"{plural(kept, 'existing facility')} count"))
        else:
            out.append(Finding("warning", code, f"{name} cannot be built and has no existing "
                                                f"facility: {why}"))
    return built, out


def _separator_findings(data: ServiceData) -> list[Finding]:
    """Uses joined by a separator the model does not read as one."""
    read = [s for s in SEPARATORS if uses_mask(pd.Series([f"a{s}b"]), "b")[0]]
    unread = [s for s in SEPARATORS if s not in read]
    if not unread:
        return []
    raw = data.parcels["allowed_uses"].fillna("").astype(str)
    joined = raw.str.contains(f"[{re.escape(''.join(unread))}]", regex=True).to_numpy()
    if not joined.any():
        return []
    used = [s for s in unread if raw.str.contains(s, regex=False).any()]
    example = raw[joined].iloc[0]
    fix = f"; separate the uses with {read[0]!r}" if read else ""
    return [Finding(
        "warning", "use-separator",
        f"{plural(int(joined.sum()), 'parcel')} join their uses with "
        f"{_and([repr(s) for s in used])}, which {'is' if len(used) == 1 else 'are'} not "
        f"read as a separator: {example!r} is one use name{fix}",
    )]


def _unit_findings(data: ServiceData) -> list[Finding]:
    """An area column in 亩 or ha, from the polygons' own areas."""
    unit = area_unit(data)
    if unit is None:
        return []
    return [Finding(
        "warning", "parcel-area-unit",
        f"the parcels' areas (data.parcel_area) look like {UNIT_NAMES[unit]}: the polygons are "
        f"{AREA_UNITS[unit]:,.1f} times larger, while they are read as m²; set "
        f"data.parcel_area_unit = \"{unit}\" (or leave data.parcel_area unset to take the "
        "polygons' areas)",
    )]


def _far_findings(data: ServiceData) -> list[Finding]:
    """Parcels or existing facilities far outside the blocks' extent (by more than the
    extent itself, and 1 km): coordinates in another CRS than said, most likely."""
    from siting.coverage import points_of

    blocks = points_of(data.blocks.geometry.to_numpy())
    low, high = blocks.min(axis=0), blocks.max(axis=0)
    margin = max(float((high - low).max()), 1000.0)
    out = []
    for frame, col, what in ((data.parcels, "parcel_id", "parcels"),
                             (data.existing, "facility_id", "existing facilities")):
        if not len(frame):
            continue
        xy = points_of(frame.geometry.to_numpy())
        far = ((xy < low - margin) | (xy > high + margin)).any(axis=1)
        if far.any():
            k = int(np.flatnonzero(far)[0])
            out.append(Finding(
                "warning", "far-away",
                f"{int(far.sum())} of {len(frame)} {what} lie far outside the blocks' extent "
                f"(e.g. {frame[col].iloc[k]} at x={xy[k, 0]:,.1f}, y={xy[k, 1]:,.1f}; blocks "
                f"x {low[0]:,.0f}–{high[0]:,.0f}, y {low[1]:,.0f}–{high[1]:,.0f}): are their "
                "coordinates in another CRS than the one said (lon/lat read as metres? a "
                "layer without a CRS, such as a CSV, takes [data] crs)",
            ))
    return out


# ---------------------------------------------------------- existing, costs


def _join(items: list[str]) -> str:
    return ", ".join(items)


def _and(items: list[str]) -> str:
    """Items joined by commas and a last "and".

    >>> _and(["a"]), _and(["a", "b", "c"])
    ('a', 'a, b and c')
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _existing_findings(spec: Spec, data: ServiceData) -> list[Finding]:
    """Existing facilities of types that match no facility key."""
    kinds = data.existing["type"].astype(str)
    if not len(kinds):
        return []
    counts = kinds.value_counts()
    keys = list(spec.facility)
    unmatched = counts[~counts.index.isin(keys)]
    out = []
    for kind, n in unmatched.items():
        users = [k for k, f in spec.facility.items() if (f.use or k) == kind]
        if users:
            out.append(Finding(
                "note", "existing-by-use",
                f"existing {kind} ({n}) is the use of {_join(users)}, but existing facilities "
                f"join a type by its key: they are not in "
                f"{'its baseline' if len(users) == 1 else 'their baselines'}",
            ))
    listed = _join([f"{k} ({n})" for k, n in unmatched.items()])
    if len(unmatched) == len(counts):
        out.append(Finding(
            "warning", "existing-unmatched",
            f"existing types {listed} match no facility key ({_join(keys)}): they are left "
            "out of the baseline; name the facility tables after the existing types (e.g. "
            f"[facility.\"{unmatched.index[0]}\"]) or the other way round",
        ))
        return out
    for kind, n in unmatched.items():
        close = difflib.get_close_matches(str(kind), keys, n=1, cutoff=0.8)
        if close:
            out.append(Finding(
                "warning", "existing-unmatched",
                f"existing type {kind} ({n}) matches no facility key (did you mean "
                f"{close[0]!r}?): left out of the baseline",
            ))
    return out


def _has_land_cost(f: Facility, data: ServiceData) -> bool:
    parcels = data.parcels
    if not f.land_cost or "land_cost_est" not in parcels.columns:
        return False
    cost = pd.to_numeric(parcels["land_cost_est"], errors="coerce").to_numpy(dtype=np.float64)
    return bool((np.nan_to_num(cost) > 0).any())


def _cost_findings(spec: Spec, data: ServiceData, built: set[str]) -> list[Finding]:
    """Types that cost nothing under a budget, and a budget of 0."""
    budget = spec.budget
    years = [str(y) for y in spec.meta.years]
    if budget.total is None and not budget.per_year:
        return []
    out = []
    priced = []
    for name in spec.facility:
        f = spec.facility[name]
        if name not in built:
            continue
        if f.build_cost > 0 or f.cost_per_space > 0 or _has_land_cost(f, data):
            priced.append(name)
            continue
        ceiling = "" if f.max_count or f.max_total is not None else " (it has no max_count)"
        out.append(Finding(
            "warning", "free-type",
            f"{name} costs nothing (build_cost 0, no cost_per_space, no land cost): free "
            f"under the budget: only its quotas and land limit it{ceiling}",
        ))
    every_year_zero = set(years) <= set(budget.per_year) and not any(budget.per_year.values())
    if priced and (budget.total == 0 or every_year_zero):
        key = "budget.total" if budget.total == 0 else "budget.per_year"
        out.append(Finding(
            "warning", "budget-zero",
            f"the budget is 0 ({key}): no {either(priced)} can be built",
        ))
    return out


# ----------------------------------------------------------- groups, targets


def _group_findings(spec: Spec, data: ServiceData) -> list[Finding]:
    """Population groups that are missing, hold no value, or sum to 0."""
    users: dict[str, list[str]] = {}
    for name, f in spec.facility.items():
        users.setdefault(f.group, []).append(name)
    for k, t in enumerate(spec.target):
        if t.group is not None:
            users.setdefault(t.group, []).append(f"target {t.name or k}")
    blocks = data.blocks
    out = []
    for group, who in users.items():
        if group not in blocks.columns:
            out.append(Finding("error", "group-missing",
                               f"blocks have no population column {group!r} ({_join(who)})"))
            continue
        vals = pd.to_numeric(blocks[group], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(vals) | (vals < 0)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            out.append(Finding(
                "error", "group-missing",
                f"population column {group!r} ({_join(who)}): {int(bad.sum())} of "
                f"{len(vals)} blocks have no number >= 0 (first: block "
                f"{blocks['block_id'].iloc[k]}, {blocks[group].iloc[k]!r}); give every block "
                "a number, 0 where nobody lives",
            ))
        elif vals.sum() == 0:
            out.append(Finding(
                "warning", "group-zero",
                f"population column {group!r} sums to 0 over {plural(len(vals), 'block')}: "
                f"{_join(who)} {'covers' if len(who) == 1 else 'cover'} no one",
            ))
    return out


def _target_findings(spec: Spec, data: ServiceData, built: set[str]) -> list[Finding]:
    """Targets whose types have no parcel and no existing facility."""
    existing = set(data.existing["type"].astype(str))
    out = []
    for k, t in enumerate(spec.target):
        types = t.types()
        if any(name in built or name in existing for name in types):
            continue
        label = t.name or f"target[{k}]"
        out.append(Finding(
            "warning", "target-unmeasurable",
            f"target {label!r} cannot be measured: {_join(types)} "
            f"{'has' if len(types) == 1 else 'have'} no parcel to be built on and no existing "
            "facility, so it stays at 0",
        ))
    return out
