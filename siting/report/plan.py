"""The report page of one multi-service solution (``templates/plan.html.j2``).

The page has headline cards (status, verification, targets met, new
facilities, cost), the map with its tools and legend, the plan targets, the
comparison with the existing facilities alone (bars and table), coverage per
sub-district, the budget by year and type and the list of new facilities.
This module gathers what the template shows; the template decides how.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from markupsafe import Markup

from siting.findings import Finding, compact, from_notes, ordered
from siting.multi.data import ServiceData
from siting.multi.decode import estimate_note
from siting.multi.solution import MultiSolution
from siting.multi.spec import Spec, parse_spec
from siting.report.formats import (
    label_of,
    money,
    money_unit,
    share_colour,
    type_colours,
    type_shape,
    yes_no,
)
from siting.report.page import render_fragment, render_page
from siting.report.svgmap import MapLayers, map_layers, map_svg, types_of
from siting.report.tables import (
    baseline_table,
    budget_frame,
    budget_table,
    coverage_by_type,
    facilities_table,
    subdistrict_frame,
    subdistrict_table,
    targets_frame,
    targets_table,
)
from siting.solution import write_atomic


class TypeKey(NamedTuple):
    """A facility type as the map's tools and legend show it."""

    key: str
    label: str
    colour: str
    shape: str
    new: int


class BaselineBar(NamedTuple):
    label: str
    base: float
    plan: float
    colour: str


def baseline_chart(cmp: pd.DataFrame, spec: Spec | None) -> Markup:
    """Horizontal bars: coverage with existing facilities only vs with the plan."""
    if not len(cmp):
        return Markup("")
    colours = type_colours(list(cmp["type"]) if spec is None else list(spec.facility))
    rows = []
    for r in cmp.itertuples(index=False):
        kind, base, plan = str(r[0]), float(r[3]), float(r[4])
        rows.append(
            BaselineBar(
                label_of(spec, kind),
                base,
                plan if np.isfinite(plan) else base,
                colours.get(kind, "#495057"),
            )
        )
    return render_fragment("baseline.svg.j2", rows=rows)


def _headline(sol: MultiSolution, spec: Spec | None, n_met: int, n_targets: int) -> list[Any]:
    """The cards at the top: (what, value, detail)."""
    currency = spec.budget.currency if spec is not None else "CNY"
    gap = "n/a" if sol.gap is None else f"{100 * sol.gap:.2f}%"
    fac = sol.facilities
    spent = float(fac["cost_est"].sum()) if len(fac) else 0.0
    budget_total = spec.budget.total if spec is not None else None
    return [
        ("status", str(sol.status), f"gap {gap}, {sol.runtime_s:.0f} s, {sol.backend}"),
        ("verified", yes_no(sol.verified), "recomputed from the data"),
        ("targets met", f"{n_met} / {n_targets}", "plan targets and equity requirements"),
        (
            "new facilities",
            f"{int(fac['count'].sum()) if len(fac) else 0}",
            f"on {fac['parcel_id'].nunique() if len(fac) else 0} parcels",
        ),
        (
            "estimated cost",
            money(spent, currency),
            "no total budget" if budget_total is None else "of " + money(budget_total, currency),
        ),
    ]


def _type_keys(types: list[str], spec: Spec | None, fac: pd.DataFrame) -> list[TypeKey]:
    colours, shapes = type_colours(types), type_shape(types)
    counts = fac.groupby("type")["count"].sum() if len(fac) else pd.Series(dtype=int)
    return [
        TypeKey(t, label_of(spec, t), colours[t], shapes[t], int(counts.get(t, 0)))
        for t in types
    ]


def data_checks(sol: MultiSolution, folder: str = "") -> list[Finding]:
    """What the data checks found and the loading notes, warnings first (the files they
    name without the data's ``folder``)."""
    found = ordered([*sol.findings, *from_notes(sol.notes)])
    return [Finding(f.level, f.code, compact(f.text, [folder])) for f in found]


def report_html(
    data: ServiceData,
    sol: MultiSolution,
    spec: Spec | None = None,
    title: str = "",
    layers: MapLayers | None = None,
) -> str:
    """The whole report page of one solution, self-contained (no external resource).

    ``layers`` are the map's streets and stations (default: the instance folder's own,
    else the streets of the data's walking network, :func:`~siting.report.svgmap.map_layers`)."""
    if layers is None:
        layers = map_layers(data)
    if spec is None and sol.spec_data:
        spec = parse_spec(sol.spec_data)
    types = types_of(sol, spec)
    currency = spec.budget.currency if spec is not None else "CNY"
    tf = targets_frame(sol, spec, data)
    years = (
        list(spec.meta.years)
        if spec is not None
        else sorted({int(y) for y in sol.facilities.get("year", [])})
    )
    sub = subdistrict_frame(data, sol, types)
    cmp = coverage_by_type(sol)
    has_map = len(sol.coverage) > 0
    return render_page(
        "plan.html.j2",
        title=title or f"siting report: {sol.spec_name}",
        description=spec.meta.description if spec is not None else "",
        headline=_headline(sol, spec, int((tf["met"] == "yes").sum()), len(tf)),
        # what the data say they estimate (the spec's estimated_note, its budget's flag):
        # real populations and parcels are not called estimates
        estimated_note=estimate_note(spec) if spec is not None else sol.note,
        explanation=sol.explanation,
        verification=sol.verification,
        map=map_svg(data, sol, spec, layers) if has_map else None,
        context={
            "streets": layers.streets is not None and len(layers.streets) > 0,
            "arterials": layers.streets is not None and "kind" in layers.streets
            and bool((layers.streets["kind"].astype(str) == "arterial").any()),
            "stations": layers.stations is not None and len(layers.stations) > 0,
            "parcels": len(data.parcels) > 0,
            "polygons": bool(data.blocks.geom_type.isin(["Polygon", "MultiPolygon"]).any()),
        },
        types=_type_keys(types, spec, sol.facilities),
        years=years,
        share_scale=[share_colour(s) for s in np.linspace(0, 1, 6)],
        targets=targets_table(sol, spec, data),
        nothing_built=[r["text"] for r in sol.reasons if r.get("kind") == "plan"],
        data_checks=data_checks(sol, str(data.source or "")),
        reasons=[r["text"] for r in sol.reasons if r.get("kind", "type") == "type"],
        target_reasons=[r["text"] for r in sol.reasons if r.get("kind") == "target"],
        baseline_chart=baseline_chart(cmp, spec),
        baseline=baseline_table(cmp, spec),
        subdistricts=None if sub is None else subdistrict_table(sub, types, spec),
        budget=budget_table(budget_frame(sol, spec), currency, spec),
        money_unit=money_unit(currency),
        facilities=facilities_table(sol, currency, spec),
    )


def write_report(
    out_dir: str | Path, data: ServiceData, sol: MultiSolution, spec: Spec | None = None
) -> Path:
    """Write ``report.html`` into ``out_dir`` atomically and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return write_atomic(out / "report.html", report_html(data, sol, spec))
