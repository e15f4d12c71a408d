"""A self-contained HTML report of a multi-service solution (opens offline).

The map is an inline SVG drawn from the instance's layers (no tiles, no CDN,
no script): sub-districts, residential blocks shaded by coverage, existing
facilities and the chosen ones by type and year, each with a hover title.
Tables: plan targets (required, reached, met), per sub-district coverage,
budget by year and type, and the baseline of existing facilities only.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.multi.data import ServiceData
from siting.multi.solve import MultiSolution, pct
from siting.solution import write_atomic

PALETTE = [
    "#d9480f",
    "#1c7ed6",
    "#2b8a3e",
    "#ae3ec9",
    "#f08c00",
    "#0c8599",
    "#c2255c",
    "#5f3dc4",
    "#66a80f",
    "#495057",
]


def _esc(v: Any) -> str:
    return html.escape(str(v))


class _Canvas:
    """Maps metric coordinates to SVG pixels (north up)."""

    def __init__(self, bounds: tuple[float, float, float, float], width: int = 1000) -> None:
        x0, y0, x1, y1 = bounds
        self.x0, self.y1 = x0, y1
        self.scale = width / max(x1 - x0, 1.0)
        self.width = width
        self.height = int((y1 - y0) * self.scale) + 1

    def xy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x - self.x0) * self.scale, (self.y1 - y) * self.scale

    def path(self, geom: Any) -> str:
        polys = getattr(geom, "geoms", [geom])
        out = []
        for poly in polys:
            for ring in [poly.exterior, *poly.interiors]:
                xs, ys = np.asarray(ring.coords.xy[0]), np.asarray(ring.coords.xy[1])
                px, py = self.xy(xs, ys)
                pts = " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
                out.append(f"M{pts} Z")
        return " ".join(out)


def map_svg(data: ServiceData, sol: MultiSolution) -> str:
    """The area map as inline SVG with hover titles."""
    frames = [data.blocks, data.parcels]
    if data.subdistricts is not None:
        frames.append(data.subdistricts)
    b = np.array([f.total_bounds for f in frames])
    pad = 200.0
    cv = _Canvas(
        (b[:, 0].min() - pad, b[:, 1].min() - pad, b[:, 2].max() + pad, b[:, 3].max() + pad)
    )
    parts = [
        f'<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {cv.width} '
        f'{cv.height}" width="100%" role="img" aria-label="map of the area">',
        '<rect width="100%" height="100%" fill="#fbfaf7"/>',
    ]
    if data.subdistricts is not None:
        for r in data.subdistricts.itertuples():
            label = getattr(r, "subdistrict", "")
            parts.append(
                f'<path class="subdistrict" d="{cv.path(r.geometry)}" fill="#f1ece1" '
                f'stroke="#8a8170" stroke-width="1"><title>{_esc(label)}</title></path>'
            )
    # blocks shaded by how many of the spec's types cover them (final year)
    cov = sol.coverage
    types = [c for c in cov.columns if c not in ("block_id", "subdistrict")]
    share = cov[types].mean(axis=1).to_numpy() if len(types) else np.zeros(len(data.blocks))
    bx, by = cv.xy(data.block_xy()[:, 0], data.block_xy()[:, 1])
    pop = data.blocks["pop_total"].to_numpy() if "pop_total" in data.blocks else np.ones(len(bx))
    radius = np.clip(np.sqrt(pop) / 8, 1.0, 5.0)
    for k in range(len(bx)):  # one element per block (drawing, not a pair loop)
        s = share[k]
        colour = f"rgb({int(220 - 180 * s)},{int(60 + 130 * s)},{int(60 + 40 * s)})"
        missing = ", ".join(t for t in types if not bool(cov[t].iat[k])) or "none"
        parts.append(
            f'<circle class="block" cx="{bx[k]:.1f}" cy="{by[k]:.1f}" r="{radius[k]:.1f}" '
            f'fill="{colour}" fill-opacity="0.75"><title>{_esc(cov["block_id"].iat[k])}'
            f" ({int(pop[k])} residents): covered by {pct(s)} of services; missing: "
            f"{_esc(missing)}</title></circle>"
        )
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}
    ex = data.existing
    exy = data.existing_xy()
    ex_x, ex_y = cv.xy(exy[:, 0], exy[:, 1])
    for e in np.flatnonzero(ex["type"].astype(str).isin(types).to_numpy()):
        t = str(ex["type"].iat[e])
        parts.append(
            f'<rect class="existing" x="{ex_x[e] - 3:.1f}" y="{ex_y[e] - 3:.1f}" '
            f'width="6" height="6" fill="none" stroke="{colours[t]}" stroke-width="1.2">'
            f"<title>existing {_esc(t)}: {_esc(ex['facility_id'].iat[k])}</title></rect>"
        )
    fac = sol.facilities
    if len(fac):
        pos = pd.Index(data.parcels["parcel_id"]).get_indexer(fac["parcel_id"])
        pxy = data.parcel_xy()[pos]
        fx, fy = cv.xy(pxy[:, 0], pxy[:, 1])
        for k, r in enumerate(fac.itertuples()):
            extra = f", {r.spaces} spaces" if r.spaces else ""
            parts.append(
                f'<circle class="chosen" cx="{fx[k]:.1f}" cy="{fy[k]:.1f}" r="6" '
                f'fill="{colours.get(r.type, "#000")}" stroke="#000" stroke-width="1">'
                f"<title>new {_esc(r.type)} on {_esc(r.parcel_id)} from {r.year}{extra}"
                f"</title></circle>"
            )
    # legend
    y = 20
    for t, c in colours.items():
        parts.append(
            f'<circle cx="20" cy="{y}" r="6" fill="{c}" stroke="#000"/>'
            f'<text x="32" y="{y + 4}" font-size="13">{_esc(t)}</text>'
        )
        y += 20
    parts.append(
        f'<text x="20" y="{y + 8}" font-size="12" fill="#555">● new (filled) · □ existing'
        " · dots: residential blocks, red = services missing, green = all within reach"
        "</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _table(df: pd.DataFrame, table_id: str, fmt: dict[str, Any] | None = None) -> str:
    fmt = fmt or {}
    head = "".join(f"<th>{_esc(c)}</th>" for c in df.columns)
    rows = []
    for r in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, r, strict=True):
            text = fmt[c](v) if c in fmt else v
            cls = ' class="bad"' if c == "met" and v is False else ""
            cells.append(f"<td{cls}>{_esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "".join(rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def report_html(data: ServiceData, sol: MultiSolution, title: str = "") -> str:
    """The whole report page (self-contained)."""
    title = title or f"siting report: {sol.spec_name}"
    targets = (
        sol.targets[["target", "year", "required_text", "reached_text", "met", "mode"]]
        if len(sol.targets)
        else pd.DataFrame()
    )
    by = sol.by_subdistrict.copy()
    if len(by):
        by = by.pivot(index="subdistrict", columns="type", values="share").reset_index()
    budget = sol.budget.copy()
    if len(budget):
        budget["cost_est"] = (budget["cost_est"] / 1e4).round(0)
        budget = budget.rename(columns={"cost_est": "cost (万元, estimate)"})
    base = sol.baseline.copy()
    if len(base) and len(sol.by_subdistrict):
        after = sol.by_subdistrict.groupby("type")[["pop", "covered"]].sum()
        base["after"] = base["type"].map(after["covered"] / after["pop"].where(after["pop"] > 0, 1))
    gap = "n/a" if sol.gap is None else f"{100 * sol.gap:.3f}%"
    status = (
        f"status <b>{_esc(sol.status)}</b>, gap {_esc(gap)}, "
        f"verified <b>{_esc(sol.verified)}</b>, {sol.runtime_s:.1f} s, back end {_esc(sol.backend)}"
    )
    expl = "".join(f"<li>{_esc(e)}</li>" for e in sol.explanation)
    share_fmt = {
        c: (lambda v: pct(v) if isinstance(v, float) and np.isfinite(v) else v)
        for c in [*by.columns, "baseline_share", "after"]
    }
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{_esc(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:1150px;margin:1.5em auto;color:#222;padding:0 1em}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:3px 8px}}
th{{background:#f1ece1}}td.bad{{color:#c92a2a;font-weight:bold}}.note{{color:#8a4b00}}
svg .block:hover,svg .chosen:hover{{stroke:#000;stroke-width:2}}
</style></head><body>
<h1>{_esc(title)}</h1>
<p>{status}</p>
<p class="note">Populations, parcels, costs and facility positions of the 回天 instance are
<b>estimates</b> (see instances/huitian/README.md); budgets in the spec are estimates.</p>
{f'<h2>Why there is no solution</h2><ul id="explanation">{expl}</ul>' if expl else ""}
<h2>Map</h2>
{map_svg(data, sol) if len(sol.coverage) else "<p>No solution to map.</p>"}
<h2>Plan targets</h2>
{_table(targets, "targets")}
<h2>Coverage by sub-district (final year)</h2>
{_table(by, "subdistricts", share_fmt) if len(by) else "<p>No solution.</p>"}
<h2>Budget by year and type</h2>
{_table(budget, "budget") if len(budget) else "<p>Nothing built.</p>"}
<h2>Compared with existing facilities only</h2>
{_table(base, "baseline", share_fmt)}
<h2>New facilities</h2>
{_table(sol.facilities.drop(columns=["parcel_area_m2"], errors="ignore"), "facilities")}
</body></html>
"""


def write_report(out_dir: str | Path, data: ServiceData, sol: MultiSolution) -> Path:
    """Write ``report.html`` into ``out_dir`` atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return write_atomic(out / "report.html", report_html(data, sol))
