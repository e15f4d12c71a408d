"""The area map of a report: an inline SVG drawn from the instance's own layers.

Python places things (metric coordinates to SVG units, shares, colours);
``templates/map.svg.j2`` writes the elements, escaping every value once.
Layers, bottom to top: sub-districts, existing parks, streets (an instance
folder's street layer, :func:`load_context`, else the user's own street layer
as the walking network has it, :func:`map_layers`), candidate parcels
(outlined), residential blocks (their polygons, or dots for points) coloured
by the share of services within reach, metro stations where the instance has
them, existing facilities (hollow markers), new
facilities (their parcel shaded and a filled marker; each type its own
colour-blind-safe colour and shape), then the names of sub-districts and
stations above every marker, a north arrow and a 1 km scale bar. ``static/map.js`` reads the
``data-*`` attributes for its per-service view and year filter.

>>> canvas = Canvas((0.0, 0.0, 2000.0, 1000.0), width=1000)
>>> canvas.height, [float(v) for v in canvas.xy(500.0, 1000.0)]
(501, [250.0, 0.0])
>>> from shapely.geometry import box
>>> canvas.path(box(0, 0, 2, 2))
'M1.0,500.0 L1.0,499.0 L0.0,499.0 L0.0,500.0 L1.0,500.0Z'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from markupsafe import Markup

from siting.coverage import points_of
from siting.multi.data import ServiceData
from siting.multi.solution import MultiSolution
from siting.multi.spec import Spec
from siting.report.formats import label_of, share_colour, type_colours, type_shape
from siting.report.map_context import (
    STREET_TOLERANCE_M,
    MapLayers,
    load_context,
    map_layers,
    network_lines,
)
from siting.report.page import render_fragment

__all__ = [
    "PAD_M",
    "STREET_TOLERANCE_M",
    "Canvas",
    "MapLayers",
    "load_context",
    "map_layers",
    "map_svg",
    "network_lines",
    "people_column",
    "types_of",
]

#: Margin around the instance's layers (metres).
PAD_M = 150.0


class Canvas:
    """Maps metric coordinates to SVG user units (north up)."""

    def __init__(self, bounds: Sequence[float], width: int = 1000) -> None:
        x0, y0, x1, y1 = bounds
        self.x0, self.y1 = x0, y1
        self.scale = width / max(x1 - x0, 1.0)
        self.width = width
        self.height = int((y1 - y0) * self.scale) + 1

    def xy(self, x: Any, y: Any) -> tuple[Any, Any]:
        return (np.asarray(x) - self.x0) * self.scale, (self.y1 - np.asarray(y)) * self.scale

    def line_path(self, geom: Any) -> str:
        """SVG path data of (multi)line strings; other geometries draw nothing."""
        out = []
        for line in getattr(geom, "geoms", [geom]):
            if line.geom_type != "LineString" or line.is_empty:
                continue
            xs, ys = np.asarray(line.coords.xy[0]), np.asarray(line.coords.xy[1])
            px, py = self.xy(xs, ys)
            out.append("M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True)))
        return "".join(out)

    def path(self, geom: Any) -> str:
        """SVG path data of a (multi)polygon, holes included; other geometries draw nothing."""
        out = []
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon":
                continue
            for ring in [poly.exterior, *poly.interiors]:
                xs, ys = np.asarray(ring.coords.xy[0]), np.asarray(ring.coords.xy[1])
                px, py = self.xy(xs, ys)
                pts = " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
                out.append(f"M{pts}Z")
        return "".join(out)


class Area(NamedTuple):
    """A sub-district: outline, alternating fill and where its name goes."""

    name: str
    d: str
    fill: str
    label_x: float
    label_y: float


class Park(NamedTuple):
    facility_id: str
    d: str


class Block(NamedTuple):
    """A residential block: its polygon (``d``; empty for a point, drawn as a dot) and its
    dot; ``bits`` is one 0/1 per mapped type (within reach)."""

    block_id: str
    d: str
    subdistrict: str
    x: float
    y: float
    r: float
    fill: str
    bits: str
    residents: int
    share: float
    missing: str


class Parcel(NamedTuple):
    """A candidate parcel: its outline (``d``; empty for a point) and where it is."""

    parcel_id: str
    d: str
    x: float
    y: float
    title: str


class Station(NamedTuple):
    name: str
    x: float
    y: float


class Context(NamedTuple):
    """Streets and metro stations drawn for orientation (any may be empty)."""

    arterials: str
    streets: str
    stations: list[Station]


def _context(layers: MapLayers, cv: Canvas) -> Context:
    import shapely

    arterials = streets = ""
    edges = layers.streets
    if edges is not None and len(edges):
        kind = edges["kind"].astype(str) if "kind" in edges else None
        for which in ("arterial", "street"):
            rows = edges if kind is None else edges[(kind == which).to_numpy()]
            if kind is None and which == "arterial":
                continue  # no kinds: every line is a street
            if not len(rows):
                continue
            merged = shapely.line_merge(shapely.union_all(rows.geometry.to_numpy()))
            d = cv.line_path(shapely.simplify(merged, STREET_TOLERANCE_M))
            if which == "arterial":
                arterials = d
            else:
                streets = d
    stations = []
    st = layers.stations
    if st is not None and len(st):
        xy = points_of(st.geometry.to_numpy())
        sx, sy = cv.xy(xy[:, 0], xy[:, 1])
        names = st["name"].astype(str).to_numpy() if "name" in st else [""] * len(st)
        stations = [Station(names[k], float(sx[k]), float(sy[k])) for k in range(len(st))]
    return Context(arterials, streets, stations)


class Existing(NamedTuple):
    type: str
    label: str
    x: float
    y: float
    colour: str
    shape: str
    state: str  # "existing" or "closed"
    facility_id: str
    name: str


class Chosen(NamedTuple):
    """A new facility (``opened`` 0: spaces added to a lot built in an earlier year)."""

    type: str
    label: str
    parcel_id: str
    year: int
    opened: int
    spaces: int
    cost: float
    colour: str
    shape: str
    d: str
    x: float
    y: float


def types_of(sol: MultiSolution, spec: Spec | None) -> list[str]:
    """The facility types of a solution, in the spec's order when there is a spec."""
    if spec is not None:
        return list(spec.facility)
    return [c for c in sol.coverage.columns if c not in ("block_id", "subdistrict")]


def _canvas(data: ServiceData) -> Canvas:
    frames = [data.blocks, data.parcels]
    if data.subdistricts is not None:
        frames.append(data.subdistricts)
    b = np.array([f.total_bounds for f in frames])
    return Canvas(
        (b[:, 0].min() - PAD_M, b[:, 1].min() - PAD_M, b[:, 2].max() + PAD_M, b[:, 3].max() + PAD_M)
    )


def _areas(data: ServiceData, cv: Canvas) -> list[Area] | None:
    if data.subdistricts is None:
        return None
    areas = []
    for k, r in enumerate(data.subdistricts.itertuples()):
        p = r.geometry.representative_point()
        lx, ly = cv.xy(p.x, p.y)
        fill = "#ffffff" if k % 2 == 0 else "#f8f6f0"
        name = str(getattr(r, "subdistrict", ""))
        areas.append(Area(name, cv.path(r.geometry), fill, float(lx), float(ly)))
    return areas


def _parks(data: ServiceData, cv: Canvas) -> list[Park] | None:
    """Existing park polygons, for context."""
    shapes = data.existing_shapes
    if shapes is None or not len(shapes):
        return None
    return [
        Park(str(r.facility_id), cv.path(r.geometry))
        for r in shapes.itertuples()
        if r.geometry is not None and not r.geometry.is_empty
    ]


def people_column(data: ServiceData, spec: Spec | None) -> str | None:
    """The blocks' column of residents: ``pop_total``, else the largest of the spec's groups."""
    blocks = data.blocks
    if "pop_total" in blocks:
        return "pop_total"
    groups = [] if spec is None else [f.group for f in spec.facility.values()]
    found = [g for g in dict.fromkeys(groups) if g in blocks]
    if not found:
        return None
    return max(found, key=lambda g: float(pd.to_numeric(blocks[g], errors="coerce").sum()))


def _polygon_paths(geometry: Any, cv: Canvas) -> list[str]:
    """SVG paths of polygons (empty strings for points and lines)."""
    kinds = np.asarray(geometry.geom_type)
    polygonal = np.isin(kinds, ("Polygon", "MultiPolygon"))
    return [cv.path(g) if polygonal[k] else "" for k, g in enumerate(geometry)]


def _blocks(
    data: ServiceData, sol: MultiSolution, types: list[str], cv: Canvas,
    labels: dict[str, str] | None = None, people: str | None = "pop_total",
) -> list[Block] | None:
    """Blocks shaded by coverage in the final year (one shape per block, not per pair):
    polygons where the blocks are polygons, else dots sized by residents."""
    cov = sol.coverage
    if not len(cov) or not types:
        return None
    cols = [t for t in types if t in cov.columns]
    ids = data.blocks["block_id"].astype(str)
    within = (
        cov.set_index(cov["block_id"].astype(str)).reindex(ids)[cols].fillna(False).astype(bool)
    ).to_numpy()
    share = within.mean(axis=1) if cols else np.zeros(len(ids))
    bxy = data.block_xy()
    bx, by = cv.xy(bxy[:, 0], bxy[:, 1])
    blocks = data.blocks
    pop = (
        pd.to_numeric(blocks[people], errors="coerce").fillna(0).to_numpy(dtype=float)
        if people is not None and people in blocks
        else np.ones(len(bx))
    )
    paths = _polygon_paths(blocks.geometry, cv)
    radius = np.clip(np.sqrt(pop) / 9, 1.2, 4.5)
    sub = blocks["subdistrict"].astype(str).to_numpy() if "subdistrict" in blocks else None
    names = np.asarray([(labels or {}).get(c, c) for c in cols], dtype=object)
    return [
        Block(
            block_id,
            paths[k],
            "" if sub is None else sub[k],
            bx[k],
            by[k],
            radius[k],
            share_colour(share[k]),
            "".join("1" if v else "0" for v in within[k]),
            int(pop[k]),
            float(share[k]),
            ", ".join(names[~within[k]]) or "none",
        )
        for k, block_id in enumerate(ids)
    ]


def _parcels(data: ServiceData, cv: Canvas) -> list[Parcel]:
    """Every candidate parcel, outlined: where the plan could build (ids, uses, first year)."""
    parcels = data.parcels
    pxy = data.parcel_xy()
    px, py = cv.xy(pxy[:, 0], pxy[:, 1])
    paths = _polygon_paths(parcels.geometry, cv)
    ids = parcels["parcel_id"].astype(str).to_numpy()
    uses = parcels["allowed_uses"].astype(str).to_numpy() if "allowed_uses" in parcels else None
    years = (
        pd.to_numeric(parcels["year_available"], errors="coerce").to_numpy()
        if "year_available" in parcels else None
    )
    area = parcels["area_m2"].to_numpy(dtype=float) if "area_m2" in parcels else None
    out = []
    for k, pid in enumerate(ids):
        bits = [f"candidate parcel {pid}"]
        if area is not None and np.isfinite(area[k]):
            bits.append(f"{area[k]:,.0f} m²")
        if uses is not None and uses[k]:
            bits.append(f"uses {uses[k].replace(';', ', ')}")
        if years is not None and np.isfinite(years[k]):
            bits.append(f"free from {int(years[k])}")
        out.append(Parcel(pid, paths[k], float(px[k]), float(py[k]), "; ".join(bits)))
    return out


def _existing(
    data: ServiceData, sol: MultiSolution, types: list[str], colours: dict[str, str],
    shapes: dict[str, str], cv: Canvas, labels: dict[str, str],
) -> list[Existing] | None:
    """Existing facilities of the mapped types (those closed by the plan say so)."""
    ex = data.existing
    if not len(ex):
        return None
    exy = data.existing_xy()
    ex_x, ex_y = cv.xy(exy[:, 0], exy[:, 1])
    etype = ex["type"].astype(str).to_numpy()
    names = ex["name"].astype(str).to_numpy() if "name" in ex else [""] * len(ex)
    ids = ex["facility_id"].astype(str).to_numpy()
    closed = {str(c) for c in sol.closed}
    return [
        Existing(
            etype[e],
            labels.get(etype[e], etype[e]),
            ex_x[e],
            ex_y[e],
            colours[etype[e]],
            shapes[etype[e]],
            "closed" if ids[e] in closed else "existing",
            ids[e],
            names[e],
        )
        for e in np.flatnonzero(np.isin(etype, types))
    ]


def _chosen(
    data: ServiceData,
    sol: MultiSolution,
    spec: Spec | None,
    types: list[str],
    colours: dict[str, str],
    shapes: dict[str, str],
    cv: Canvas,
) -> list[Chosen] | None:
    """New facilities in the spec's type order: parcel outline and marker."""
    fac = sol.facilities
    if not len(fac):
        return None
    pos = pd.Index(data.parcels["parcel_id"].astype(str)).get_indexer(fac["parcel_id"].astype(str))
    pxy = data.parcel_xy()
    order = np.argsort([types.index(t) if t in types else 99 for t in fac["type"]], kind="stable")
    out = []
    for k in order:
        if pos[k] < 0:
            continue
        r = fac.iloc[k]
        kind = str(r["type"])
        fx, fy = cv.xy(pxy[pos[k], 0], pxy[pos[k], 1])
        out.append(
            Chosen(
                kind,
                label_of(spec, kind),
                str(r["parcel_id"]),
                int(r["year"]),
                int(r.get("count", 1) or 0),
                int(r.get("spaces", 0) or 0),
                float(r.get("cost_est", np.nan)),
                colours.get(kind, "#000"),
                shapes.get(kind, "circle"),
                cv.path(data.parcels.geometry.iat[pos[k]]),
                float(fx),
                float(fy),
            )
        )
    return out


def map_svg(
    data: ServiceData,
    sol: MultiSolution,
    spec: Spec | None = None,
    layers: MapLayers | None = None,
) -> Markup:
    """The area map as inline SVG: sub-districts, blocks by coverage, facilities.

    Each residential block is a dot coloured by the share of the spec's
    services within reach in the final year (``data-c`` holds one 0/1 per
    type, read by the page script for the per-service view); existing
    facilities are hollow squares, new ones filled circles in their type's
    colour, with the opening year in ``data-year``. ``layers`` (default: read from
    the instance folder, :func:`load_context`) adds streets and metro stations.
    """
    cv = _canvas(data)
    types = types_of(sol, spec)
    colours = type_colours(types)
    shapes = type_shape(types)
    labels = {t: label_of(spec, t) for t in types}
    if layers is None:
        layers = map_layers(data)
    mapped = [t for t in types if t in sol.coverage.columns]
    return render_fragment(
        "map.svg.j2",
        width=cv.width,
        height=cv.height,
        km=1000 * cv.scale,
        areas=_areas(data, cv),
        parks=_parks(data, cv),
        mapped_types=json.dumps(mapped, ensure_ascii=False),
        blocks=_blocks(data, sol, types, cv, labels, people_column(data, spec)),
        parcels=_parcels(data, cv),
        context=_context(layers, cv),
        existing=_existing(data, sol, types, colours, shapes, cv, labels),
        chosen=_chosen(data, sol, spec, types, colours, shapes, cv),
        currency=spec.budget.currency if spec is not None else "CNY",
    )
