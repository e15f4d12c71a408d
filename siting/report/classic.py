"""The report page of a classic model's solution (MCLP, LSCP, p-median, UFLP, ...).

One offline HTML file like the multi-service report: headline cards, a map
(when the instance has coordinates) of the demand points coloured by coverage
(covering models: covered or not) or by the site each is assigned to
(assignment models, with the allocation lines), the candidate sites, the
chosen ones, a north arrow and a scale bar; then what the solution means in
figures and a table of the chosen sites. It reads only
:meth:`~siting.solution.Solution.demand_frame` / :meth:`~siting.solution.
Solution.sites_frame` / :meth:`~siting.solution.Solution.lines_frame` and
the instance.

>>> nice_length(2300.0), nice_length(40000.0)
(200.0, 5000.0)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from markupsafe import Markup

from siting.instance import Instance
from siting.report.formats import PALETTE, yes_no
from siting.report.page import render_fragment, render_page
from siting.report.svgmap import Canvas
from siting.report.tables import table_view
from siting.solution import Solution, write_atomic
from siting.solution_figures import _fmt, _is_metric, distance_unit, figures

COVERED, UNCOVERED = "#009e73", "#d55e00"  # Okabe–Ito bluish green and vermilion
#: Colours of the sites of assignment models (cycled), black left to the ink.
SITE_COLOURS = PALETTE


class Dot(NamedTuple):
    x: float
    y: float
    r: float
    fill: str
    hollow: bool
    title: str


class Line(NamedTuple):
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str


class Site(NamedTuple):
    x: float
    y: float
    fill: str
    chosen: bool
    existing: bool
    title: str


def nice_length(span: float) -> float:
    """A round length (1, 2 or 5 × 10^k) of about a fifth of ``span``, for a scale bar."""
    target = max(span / 5.0, 1e-9)
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target:
            return float(step * power)
    return float(power)


def _length_text(length: float, metric: bool) -> str:
    if not metric:
        return f"{length:g} (data units)"
    return f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"


def _headline(inst: Instance, sol: Solution) -> list[tuple[str, str, str]]:
    gap = "n/a" if sol.gap is None else f"{100 * sol.gap:.2f}%"
    cards = [
        ("status", str(sol.status), f"gap {gap}, {sol.runtime_s:.1f} s, {sol.backend}"),
        ("verified", yes_no(sol.verified), "recomputed from the instance"),
        ("objective", _fmt(sol.objective), sol.model),
        ("sites chosen", str(len(sol.selected)), f"of {inst.n_sites} candidate sites"),
    ]
    return cards + figures(inst, sol)


def _map(inst: Instance, sol: Solution) -> Markup | None:
    if inst.demand_xy is None or inst.site_xy is None:
        return None
    xy = np.vstack([inst.demand_xy, inst.site_xy])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = 0.05 * float(max(hi[0] - lo[0], hi[1] - lo[1], 1e-9))
    cv = Canvas((lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad))
    chosen = list(dict.fromkeys(sol.selected))
    colour_of = {s: SITE_COLOURS[k % len(SITE_COLOURS)] for k, s in enumerate(chosen)}
    frame = sol.demand_frame(input_columns=False)  # siting's columns, whatever the input
    pos = pd.Index(inst.demand_ids).get_indexer(frame["demand_id"].to_numpy())
    dx, dy = cv.xy(inst.demand_xy[pos, 0], inst.demand_xy[pos, 1])
    w = inst.weight[pos]
    radius = np.clip(np.sqrt(w / max(float(np.median(w)), 1e-9)) * 3.0, 1.5, 8.0)
    dots = []
    ids = frame["demand_id"].astype(str).to_numpy()
    if "covered" in frame.columns:
        cov = frame["covered"].to_numpy()
        for k in range(len(frame)):
            hit = bool(cov[k] > 0)
            dots.append(Dot(dx[k], dy[k], radius[k], COVERED if hit else UNCOVERED, not hit,
                            f"{ids[k]}: weight {_fmt(w[k])}, "
                            + (f"covered by {int(cov[k])} site(s)" if hit else "not covered")))
    else:
        site = frame["site_id"].to_numpy()
        dist = frame["distance"].to_numpy(dtype=float) if "distance" in frame else None
        for k in range(len(frame)):
            away = "" if dist is None else f", {_fmt(dist[k])} away"
            dots.append(Dot(dx[k], dy[k], radius[k], colour_of.get(site[k], "#868e96"), False,
                            f"{ids[k]}: weight {_fmt(w[k])}, served by {site[k]}{away}"))
    lines = []
    if sol.assignment is not None:
        a = sol.assignment
        d_pos = pd.Index(inst.demand_ids).get_indexer(a["demand_id"].to_numpy())
        s_pos = inst.site_positions(a["site_id"].to_numpy())
        x1, y1 = cv.xy(inst.demand_xy[d_pos, 0], inst.demand_xy[d_pos, 1])
        x2, y2 = cv.xy(inst.site_xy[s_pos, 0], inst.site_xy[s_pos, 1])
        colours = [colour_of.get(s, "#868e96") for s in a["site_id"].to_numpy()]
        lines = [Line(*v) for v in zip(x1, y1, x2, y2, colours, strict=True)]
    sx, sy = cv.xy(inst.site_xy[:, 0], inst.site_xy[:, 1])
    picked = set(chosen)
    sites = [
        Site(sx[j], sy[j], colour_of.get(sid, "#fff"), sid in picked, bool(inst.existing[j]),
             f"{'chosen' if sid in picked else 'candidate'}"
             f"{' (existing)' if inst.existing[j] else ''} site {sid}")
        for j, sid in enumerate(inst.site_ids)
    ]
    sites.sort(key=lambda s: s.chosen)  # chosen sites on top
    network = getattr(inst.metric, "network", None)
    streets = ""
    if network is not None:  # the user's street layer, as the walks run on it
        import shapely

        from siting.report.svgmap import STREET_TOLERANCE_M, network_lines

        merged = shapely.line_merge(shapely.union_all(network_lines(network).geometry.to_numpy()))
        streets = cv.line_path(shapely.simplify(merged, STREET_TOLERANCE_M))
    areas = ""
    geo = getattr(inst.demand_frame, "geometry", None)
    if geo is not None and bool(geo.geom_type.isin(["Polygon", "MultiPolygon"]).any()):
        areas = "".join(cv.path(g) for g in geo if g is not None)
    span = (hi[0] - lo[0] + 2 * pad)
    length = nice_length(float(span))
    return render_fragment(
        "classic_map.svg.j2", width=cv.width, height=cv.height, dots=dots, lines=lines,
        sites=sites, covering="covered" in frame.columns, bar=length * cv.scale,
        streets=streets, areas=areas,
        bar_text=_length_text(length, _is_metric(inst)),
    )


def sites_frame(inst: Instance, sol: Solution) -> pd.DataFrame:
    """Per chosen site: existing, demand points served or covered, their weight, distances."""
    rows = []
    unit = distance_unit(inst)
    if sol.assignment is not None:
        lines = sol.lines_frame()
        pos = pd.Index(inst.demand_ids).get_indexer(lines["demand_id"].to_numpy())
        lines = lines.assign(weight=inst.weight[pos] * lines["fraction"].to_numpy(dtype=float))
        for site in dict.fromkeys(sol.selected):
            part = lines[lines["site_id"] == site]
            wsum = float(part["weight"].sum())
            mean = float((part["weight"] * part["distance"]).sum() / wsum) if wsum else np.nan
            rows.append({"site": site, "existing": yes_no(site in set(sol.existing)),
                         "demand points": len(part), "weight served": _fmt(wsum),
                         f"mean distance ({unit})": _fmt(mean),
                         f"largest distance ({unit})":
                         _fmt(part["distance"].max() if len(part) else None)})
    else:
        for site in dict.fromkeys(sol.selected):
            rows.append({"site": site, "existing": yes_no(site in set(sol.existing))})
    return pd.DataFrame(rows)


def classic_report_html(instance: Instance, solution: Solution, title: str = "") -> str:
    """The whole report page of a classic model's solution, self-contained."""
    params = ", ".join(f"{k} {v}" for k, v in solution.params.items() if v is not None)
    return render_page(
        "classic.html.j2",
        title=title or f"siting report: {solution.model} on {solution.instance}",
        description=f"{solution.model} ({params}) on {instance.n_demand:,} demand points and "
        f"{instance.n_sites:,} candidate sites",
        headline=_headline(instance, solution),
        verification=solution.verification,
        message=solution.message,
        map=_map(instance, solution),
        covering=solution.coverage is not None,
        assignment=solution.assignment is not None,
        streets=getattr(instance.metric, "network", None) is not None,
        loading_notes=list(dict.fromkeys([*instance.notes, *solution.notes])),
        sites=table_view(sites_frame(instance, solution), "sites"),
    )


def write_classic_report(out_dir: str | Path, instance: Instance, solution: Solution) -> Path:
    """Write ``report.html`` into ``out_dir`` atomically and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return write_atomic(out / "report.html", classic_report_html(instance, solution))
