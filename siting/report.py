"""Self-contained HTML reports of multi-service solutions and sweeps (they open offline).

Everything is inline: the map is an SVG drawn from the instance's layers (no
tiles, no CDN) with a small script for pan, zoom, a coverage view per service
and a year filter; hover any block or facility for its details. The page then
has the plan targets (required, reached, met), coverage per sub-district,
the budget by year and type, and the comparison with the existing facilities
alone. A sweep's page has the budget–coverage curve and the scenario table.

A report can be rebuilt from the files ``siting solve`` writes
(:func:`read_solution`), which is what ``siting report DIR`` does.

>>> money(2.5e9, "CNY")
'25.0亿元'
>>> share_colour(1.0), share_colour(0.0)
('#2f9e44', '#e03131')
"""

from __future__ import annotations

import html
import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.backends.base import Status
from siting.data import load_service_data
from siting.errors import InputError
from siting.multi.data import ServiceData
from siting.multi.solve import MultiSolution, pct
from siting.multi.spec import Spec, load_spec, parse_spec
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
    "#099268",
    "#e8590c",
    "#1098ad",
]

SOLUTION_FILES = (
    "solution.json",
    "facilities.csv",
    "coverage.csv",
    "targets.csv",
    "budget.csv",
    "baseline.csv",
    "subdistricts.csv",
)


def _esc(v: Any) -> str:
    return html.escape(str(v))


def money(value: float, currency: str = "CNY", *, unit: str = "auto") -> str:
    """A cost for planners: 亿元 / 万元 for CNY, millions otherwise."""
    if not np.isfinite(value):
        return "–"
    if currency == "CNY":
        if unit == "wan" or (unit == "auto" and abs(value) < 1e8):
            return f"{value / 1e4:,.0f}万元"
        return f"{value / 1e8:,.1f}亿元"
    return f"{value / 1e6:,.1f} M {currency}"


def _money_unit(currency: str) -> str:
    return "万元" if currency == "CNY" else f"thousand {currency}"


def _plain_money(value: float, currency: str) -> str:
    """A cost in the unit of :func:`_money_unit`, without the unit (for table cells)."""
    if not np.isfinite(value):
        return "–"
    return f"{value / (1e4 if currency == 'CNY' else 1e3):,.0f}"


def share_colour(s: float) -> str:
    """Red (nobody covered) → amber → green (everyone covered)."""
    s = float(np.clip(s, 0.0, 1.0))
    stops = [(0.0, (224, 49, 49)), (0.5, (245, 159, 0)), (1.0, (47, 158, 68))]
    for (a, ca), (b, cb) in itertools.pairwise(stops):
        if s <= b:
            u = (s - a) / (b - a)
            rgb = [round(x + (y - x) * u) for x, y in zip(ca, cb, strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#2f9e44"


# ------------------------------------------------------------------ the map
class _Canvas:
    """Maps metric coordinates to SVG user units (north up)."""

    def __init__(self, bounds: Sequence[float], width: int = 1000) -> None:
        x0, y0, x1, y1 = bounds
        self.x0, self.y1 = x0, y1
        self.scale = width / max(x1 - x0, 1.0)
        self.width = width
        self.height = int((y1 - y0) * self.scale) + 1

    def xy(self, x: Any, y: Any) -> tuple[Any, Any]:
        return (np.asarray(x) - self.x0) * self.scale, (self.y1 - np.asarray(y)) * self.scale

    def path(self, geom: Any) -> str:
        polys = getattr(geom, "geoms", [geom])
        out = []
        for poly in polys:
            if poly.geom_type != "Polygon":
                continue
            for ring in [poly.exterior, *poly.interiors]:
                xs, ys = np.asarray(ring.coords.xy[0]), np.asarray(ring.coords.xy[1])
                px, py = self.xy(xs, ys)
                pts = " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
                out.append(f"M{pts}Z")
        return "".join(out)


def type_colours(types: Sequence[str]) -> dict[str, str]:
    """One colour per facility type, in the spec's order."""
    return {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}


def _types_of(sol: MultiSolution, spec: Spec | None) -> list[str]:
    if spec is not None:
        return list(spec.facility)
    return [c for c in sol.coverage.columns if c not in ("block_id", "subdistrict")]


def _label(spec: Spec | None, t: str) -> str:
    if spec is None or t not in spec.facility or not spec.facility[t].label:
        return t
    return spec.facility[t].label


def map_svg(data: ServiceData, sol: MultiSolution, spec: Spec | None = None) -> str:
    """The area map as inline SVG: sub-districts, blocks by coverage, facilities.

    Each residential block is a dot coloured by the share of the spec's
    services within reach in the final year (``data-c`` holds one 0/1 per
    type, read by the page script for the per-service view); existing
    facilities are hollow squares, new ones filled circles in their type's
    colour, with the opening year in ``data-year``.
    """
    frames = [data.blocks, data.parcels]
    if data.subdistricts is not None:
        frames.append(data.subdistricts)
    b = np.array([f.total_bounds for f in frames])
    pad = 150.0
    cv = _Canvas(
        (b[:, 0].min() - pad, b[:, 1].min() - pad, b[:, 2].max() + pad, b[:, 3].max() + pad)
    )
    types = _types_of(sol, spec)
    colours = type_colours(types)
    parts = [
        f'<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {cv.width} {cv.height}" '
        f'data-w="{cv.width}" data-h="{cv.height}" role="img" aria-label="map of the area">',
        f'<rect class="bg" x="-5000" y="-5000" width="{cv.width + 10000}" '
        f'height="{cv.height + 10000}" fill="#f4f1ea"/>',
        '<g id="viewport">',
    ]
    # sub-districts
    labels = []
    if data.subdistricts is not None:
        parts.append('<g id="subdistricts">')
        for k, r in enumerate(data.subdistricts.itertuples()):
            name = str(getattr(r, "subdistrict", ""))
            fill = "#ffffff" if k % 2 == 0 else "#f8f6f0"
            parts.append(
                f'<path class="subdistrict" d="{cv.path(r.geometry)}" fill="{fill}" '
                f'stroke="#6b6357" stroke-width="1.4" vector-effect="non-scaling-stroke">'
                f"<title>{_esc(name)}</title></path>"
            )
            p = r.geometry.representative_point()
            lx, ly = cv.xy(p.x, p.y)
            labels.append(
                f'<text class="sdlabel" x="{float(lx):.1f}" y="{float(ly):.1f}">{_esc(name)}</text>'
            )
        parts.append("</g>")
    # existing park polygons, for context
    if data.existing_shapes is not None and len(data.existing_shapes):
        parts.append('<g id="parks">')
        for r in data.existing_shapes.itertuples():
            if r.geometry is None or r.geometry.is_empty:
                continue
            parts.append(
                f'<path d="{cv.path(r.geometry)}" fill="#b2dfb0" fill-opacity="0.7" stroke="none">'
                f"<title>existing park {_esc(r.facility_id)}</title></path>"
            )
        parts.append("</g>")
    # blocks shaded by coverage (final year)
    cov = sol.coverage
    if len(cov) and types:
        cols = [t for t in types if t in cov.columns]
        by_id = cov.set_index(cov["block_id"].astype(str))
        mat = (
            by_id.reindex(data.blocks["block_id"].astype(str))[cols]
            .fillna(False)
            .astype(bool)
            .to_numpy()
        )
        share = mat.mean(axis=1) if cols else np.zeros(len(data.blocks))
        bxy = data.block_xy()
        bx, by = cv.xy(bxy[:, 0], bxy[:, 1])
        pop = (
            data.blocks["pop_total"].to_numpy(dtype=float)
            if "pop_total" in data.blocks
            else np.ones(len(bx))
        )
        radius = np.clip(np.sqrt(pop) / 9, 1.2, 4.5)
        ids = data.blocks["block_id"].astype(str).to_numpy()
        sub = (
            data.blocks["subdistrict"].astype(str).to_numpy()
            if "subdistrict" in data.blocks
            else [""] * len(bx)
        )
        parts.append(f'<g id="blocks" data-types="{_esc(json.dumps(cols, ensure_ascii=False))}">')
        for k in range(len(bx)):  # one element per block (drawing, not a pair loop)
            bits = "".join("1" if v else "0" for v in mat[k])
            missing = ", ".join(t for t, v in zip(cols, mat[k], strict=True) if not v) or "none"
            parts.append(
                f'<circle class="block" cx="{bx[k]:.1f}" cy="{by[k]:.1f}" r="{radius[k]:.1f}" '
                f'fill="{share_colour(share[k])}" data-c="{bits}"><title>block {_esc(ids[k])}, '
                f"{_esc(sub[k])}: {int(pop[k]):,} residents; {pct(share[k])} of services within "
                f"reach; missing: {_esc(missing)}</title></circle>"
            )
        parts.append("</g>")
    # existing facilities of the spec's types
    ex = data.existing
    if len(ex):
        exy = data.existing_xy()
        ex_x, ex_y = cv.xy(exy[:, 0], exy[:, 1])
        etype = ex["type"].astype(str).to_numpy()
        enames = ex["name"].astype(str).to_numpy() if "name" in ex else [""] * len(ex)
        closed = {str(c) for c in sol.closed}
        parts.append('<g id="existing">')
        for e in np.flatnonzero(np.isin(etype, types)):
            fid = str(ex["facility_id"].iat[e])
            what = "closed" if fid in closed else "existing"
            parts.append(
                f'<rect class="existing" data-type="{_esc(etype[e])}" x="{ex_x[e] - 3:.1f}" '
                f'y="{ex_y[e] - 3:.1f}" width="6" height="6" fill="#fff" '
                f'stroke="{colours[etype[e]]}" stroke-width="1.5">'
                f"<title>{what} {_esc(etype[e])} {_esc(fid)} {_esc(enames[e])}</title></rect>"
            )
        parts.append("</g>")
    # new facilities: parcel outline + marker
    fac = sol.facilities
    if len(fac):
        pid = data.parcels["parcel_id"].astype(str)
        pos = pd.Index(pid).get_indexer(fac["parcel_id"].astype(str))
        pxy = data.parcel_xy()
        parts.append('<g id="chosen">')
        order = np.argsort(
            [types.index(t) if t in types else 99 for t in fac["type"]], kind="stable"
        )
        for k in order:
            r = fac.iloc[k]
            if pos[k] < 0:
                continue
            colour = colours.get(str(r["type"]), "#000")
            geom = data.parcels.geometry.iat[pos[k]]
            fx, fy = cv.xy(pxy[pos[k], 0], pxy[pos[k], 1])
            spaces = int(r.get("spaces", 0) or 0)
            extra = f", {spaces:,} spaces" if spaces else ""
            cost = float(r.get("cost_est", np.nan))
            if int(r.get("count", 1) or 0):
                title = (
                    f"new {_label(spec, str(r['type']))} on parcel {r['parcel_id']}, open from "
                    f"{int(r['year'])}{extra}; estimated cost {money(cost)}"
                )
            else:  # spaces added to a lot built in an earlier year
                title = (
                    f"{_label(spec, str(r['type']))} on parcel {r['parcel_id']} extended in "
                    f"{int(r['year'])}{extra}; estimated cost {money(cost)}"
                )
            parts.append(
                f'<g class="chosen" data-type="{_esc(r["type"])}" data-year="{int(r["year"])}">'
                f"<title>{_esc(title)}</title>"
                f'<path d="{cv.path(geom)}" fill="{colour}" fill-opacity="0.35" '
                f'stroke="{colour}" stroke-width="1" vector-effect="non-scaling-stroke"/>'
                f'<circle cx="{float(fx):.1f}" cy="{float(fy):.1f}" r="4.5" fill="{colour}" '
                f'stroke="#fff" stroke-width="1.2"/></g>'
            )
        parts.append("</g>")
    parts.append('<g id="labels">' + "".join(labels) + "</g>")
    parts.append("</g>")
    # scale bar (1 km), fixed in the corner
    km = 1000 * cv.scale
    parts.append(
        f'<g id="scalebar" transform="translate(20,{cv.height - 24})">'
        f'<rect x="-6" y="-18" width="{km + 40:.0f}" height="30" fill="#fff" opacity="0.8"/>'
        f'<path d="M0,0 H{km:.1f}" stroke="#222" stroke-width="3"/>'
        f'<text x="{km + 6:.1f}" y="5" font-size="13">1 km</text></g>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(types: Sequence[str], spec: Spec | None, fac: pd.DataFrame) -> str:
    colours = type_colours(types)
    counts = fac.groupby("type")["count"].sum() if len(fac) else pd.Series(dtype=int)
    items = []
    for t in types:
        n = int(counts.get(t, 0))
        items.append(
            f'<label class="lg"><input type="checkbox" checked data-type="{_esc(t)}">'
            f'<span class="sw" style="background:{colours[t]}"></span>{_esc(_label(spec, t))}'
            f' <small>({n} new)</small></label>'
        )
    scale = "".join(
        f'<span class="sw" style="background:{share_colour(s)}"></span>'
        for s in np.linspace(0, 1, 6)
    )
    return (
        '<div id="legend">' + "".join(items) + "</div>"
        '<p class="keys"><span class="mk new"></span> new facility (its parcel shaded) · '
        '<span class="mk old"></span> existing facility · '
        '<span class="mk park"></span> existing park · dots: residential blocks, '
        f"size by residents, colour by services within reach: none {scale} all</p>"
    )


_MAP_SCRIPT = r"""
(function(){
  var svg=document.getElementById('map'); if(!svg) return;
  var W=+svg.dataset.w, H=+svg.dataset.h, vb=[0,0,W,H];
  function set(){svg.setAttribute('viewBox',vb.join(' '));}
  function pt(e){var r=svg.getBoundingClientRect();
    return [vb[0]+(e.clientX-r.left)/r.width*vb[2], vb[1]+(e.clientY-r.top)/r.height*vb[3]];}
  function zoom(f,c){var nw=Math.min(Math.max(vb[2]*f,W/40),W*2), k=nw/vb[2];
    vb=[c[0]-(c[0]-vb[0])*k, c[1]-(c[1]-vb[1])*k, nw, vb[3]*k]; set();}
  svg.addEventListener('wheel',function(e){e.preventDefault();
    zoom(e.deltaY<0?0.8:1.25,pt(e));},{passive:false});
  var drag=null;
  svg.addEventListener('pointerdown',function(e){drag=[e.clientX,e.clientY];
    svg.setPointerCapture(e.pointerId);});
  svg.addEventListener('pointermove',function(e){if(!drag) return;
    var r=svg.getBoundingClientRect();
    vb[0]-=(e.clientX-drag[0])/r.width*vb[2]; vb[1]-=(e.clientY-drag[1])/r.height*vb[3];
    drag=[e.clientX,e.clientY]; set();});
  svg.addEventListener('pointerup',function(){drag=null;});
  function btn(id,f){var b=document.getElementById(id); if(b) b.addEventListener('click',f);}
  btn('zin',function(){zoom(0.7,[vb[0]+vb[2]/2,vb[1]+vb[3]/2]);});
  btn('zout',function(){zoom(1/0.7,[vb[0]+vb[2]/2,vb[1]+vb[3]/2]);});
  btn('zreset',function(){vb=[0,0,W,H]; set();});
  var g=document.getElementById('blocks');
  var types=g?JSON.parse(g.dataset.types):[];
  var dots=g?g.querySelectorAll('circle'):[];
  function colour(s){var a=[[0,[224,49,49]],[0.5,[245,159,0]],[1,[47,158,68]]];
    for(var i=1;i<a.length;i++){if(s<=a[i][0]){var u=(s-a[i-1][0])/(a[i][0]-a[i-1][0]);
      var c=a[i-1][1].map(function(x,j){return Math.round(x+(a[i][1][j]-x)*u);});
      return 'rgb('+c.join(',')+')';}} return 'rgb(47,158,68)';}
  var view=document.getElementById('view');
  if(view){view.addEventListener('change',function(){
    var k=types.indexOf(view.value);
    for(var i=0;i<dots.length;i++){var c=dots[i].dataset.c, s;
      if(k<0){var n=0; for(var j=0;j<c.length;j++) n+=(c[j]==='1'); s=c.length?n/c.length:0;}
      else s=(c[k]==='1')?1:0;
      dots[i].setAttribute('fill',colour(s));}
  });}
  var year=document.getElementById('year');
  var boxes=document.querySelectorAll('#legend input');
  function filter(){var y=year?+year.value:1e9, on={};
    boxes.forEach(function(b){on[b.dataset.type]=b.checked;});
    document.querySelectorAll('#chosen .chosen').forEach(function(e){
      e.style.display=(+e.dataset.year<=y && on[e.dataset.type]!==false)?'':'none';});
    document.querySelectorAll('#existing rect').forEach(function(e){
      e.style.display=(on[e.dataset.type]!==false)?'':'none';});
    var out=document.getElementById('yearout'); if(out&&year) out.textContent=year.value;}
  if(year) year.addEventListener('input',filter);
  boxes.forEach(function(b){b.addEventListener('change',filter);});
})();
"""

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Noto Sans SC",sans-serif;
 max-width:1240px;margin:0 auto;color:#212529;padding:1em 1.5em;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.4em 0 .4em;
 border-bottom:2px solid #e9ecef;padding-bottom:.2em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}
td,th{border:1px solid #dee2e6;padding:3px 9px;text-align:left}
th{background:#f1f3f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.ok{color:#2b8a3e;font-weight:600}td.bad{color:#c92a2a;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.6em 0}
.card{border:1px solid #dee2e6;border-radius:6px;padding:.4em .8em;min-width:8em}
.card b{display:block;font-size:1.25em}.card small{color:#666}
.note{color:#8a4b00;font-size:.9em}
#mapbox{position:relative;border:1px solid #ced4da;border-radius:6px;overflow:hidden}
#map{display:block;width:100%;height:auto;cursor:grab;touch-action:none;user-select:none}
#map .block:hover{stroke:#000;stroke-width:1.5}#map .chosen:hover circle{stroke:#000}
#map .sdlabel{font-size:15px;font-weight:600;fill:#495057;text-anchor:middle;
 paint-order:stroke;stroke:#fff;stroke-width:3px;pointer-events:none}
.tools{display:flex;flex-wrap:wrap;gap:.8em;align-items:center;margin:.4em 0;font-size:.92em}
.tools button{font-size:1em;min-width:2em}
#legend{display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:.9em;margin:.4em 0}
.lg{white-space:nowrap}.sw{display:inline-block;width:.9em;height:.9em;
 border-radius:50%;margin:0 .25em;vertical-align:-.1em;border:1px solid #0003}
.keys{font-size:.85em;color:#495057}.keys .sw{border-radius:2px;margin:0}
.mk{display:inline-block;width:.8em;height:.8em;vertical-align:-.05em}
.mk.new{background:#495057;border-radius:50%}.mk.old{border:2px solid #495057;background:#fff}
.mk.park{background:#b2dfb0}
.bar{height:.8em;display:inline-block;vertical-align:middle}
.two{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}
.wide{overflow-x:auto}#subdistricts th,#budget th{font-size:.85em;max-width:8em}
td.num,td:first-child{white-space:nowrap}
@media(max-width:900px){.two{grid-template-columns:1fr}}
"""


# ------------------------------------------------------------------ tables
def _cell(v: Any, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f"<td{c}>{_esc(v)}</td>"


def html_table(
    df: pd.DataFrame,
    table_id: str,
    fmt: dict[str, Any] | None = None,
    style: dict[str, Any] | None = None,
) -> str:
    """A plain HTML table; ``fmt`` formats a column's values, ``style`` gives a cell's
    inline CSS (e.g. a background colour for a share)."""
    fmt = fmt or {}
    style = style or {}
    head = "".join(f"<th>{_esc(str(c).replace('_', ' '))}</th>" for c in df.columns)
    rows = []
    for r in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, r, strict=True):
            text = fmt[c](v) if c in fmt else v
            num = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            cls = "num" if num else ""
            if c == "met":
                cls = "ok" if v is True or v == "yes" else ("bad" if v in (False, "no") else "")
            css = style[c](v) if c in style else ""
            st = f' style="{css}"' if css else ""
            cells.append(f'<td class="{cls}"{st}>{_esc(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "".join(rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _pct_or_dash(v: Any) -> str:
    return pct(float(v)) if isinstance(v, (float, int, np.floating)) and np.isfinite(v) else "–"


def _bg(v: Any) -> str:
    if not isinstance(v, (float, np.floating)) or not np.isfinite(v):
        return ""
    return f"background:{share_colour(float(v))}33"


def targets_frame(sol: MultiSolution) -> pd.DataFrame:
    """The plan-target table as shown: target, year, required, reached, met."""
    t = sol.targets
    if not len(t):
        return pd.DataFrame(columns=["target", "year", "required", "reached", "met", "mode"])
    reached = t["reached_text"].fillna("").astype(str)
    met = np.where(reached == "", "–", np.where(t["met"].astype(bool), "yes", "no"))
    mode = t["mode"].map({"constraint": "enforced", "report": "reported"}).fillna(t["mode"])
    return pd.DataFrame(
        {
            "target": t["target"],
            "year": t["year"].astype(int),
            "required": t["required_text"],
            "reached": reached.replace("", "–"),
            "met": met,
            "mode": mode,
        }
    )


def coverage_by_type(sol: MultiSolution) -> pd.DataFrame:
    """Per type: residents of its group, covered share with the plan and with existing only."""
    rows = []
    by = sol.by_subdistrict
    after = by.groupby("type", sort=False)[["pop", "covered"]].sum() if len(by) else None
    for r in sol.baseline.itertuples():
        share = np.nan
        if after is not None and r.type in after.index:
            p = float(after.at[r.type, "pop"])
            share = float(after.at[r.type, "covered"]) / p if p > 0 else 1.0
        rows.append(
            {
                "type": r.type,
                "existing": int(r.existing),
                "new": int(sol.facilities.loc[sol.facilities["type"] == r.type, "count"].sum())
                if len(sol.facilities)
                else 0,
                "existing only": float(r.baseline_share),
                "with the plan": share,
            }
        )
    return pd.DataFrame(rows, columns=["type", "existing", "new", "existing only", "with the plan"])


def _baseline_bars(cmp: pd.DataFrame, spec: Spec | None) -> str:
    """Horizontal bars: coverage with existing facilities only vs with the plan."""
    if not len(cmp):
        return ""
    colours = type_colours(list(cmp["type"]) if spec is None else list(spec.facility))
    lw, bw, rh = 300, 380, 26
    h = rh * len(cmp) + 30
    parts = [
        f'<svg id="baseline-chart" xmlns="http://www.w3.org/2000/svg" width="{lw + bw + 70}" '
        f'height="{h}" role="img" aria-label="coverage, existing only and with the plan">'
    ]
    for k, r in enumerate(cmp.itertuples(index=False)):
        y = 8 + k * rh
        base, plan = float(r[3]), float(r[4]) if np.isfinite(r[4]) else float(r[3])
        c = colours.get(r[0], "#495057")
        parts.append(
            f'<text x="{lw - 8}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{_esc(_label(spec, r[0])[:40])}</text>"
            f'<rect x="{lw}" y="{y + 2}" width="{bw}" height="16" fill="#f1f3f5"/>'
            f'<rect x="{lw}" y="{y + 2}" width="{bw * plan:.1f}" height="16" fill="{c}">'
            f"<title>with the plan: {pct(plan)}</title></rect>"
            f'<rect x="{lw}" y="{y + 2}" width="{bw * base:.1f}" height="16" fill="#adb5bd">'
            f"<title>existing only: {pct(base)}</title></rect>"
            f'<text x="{lw + bw + 6}" y="{y + 14}" font-size="12">{pct(plan)}</text>'
        )
    y = 8 + len(cmp) * rh
    parts.append(
        f'<rect x="{lw}" y="{y + 4}" width="12" height="10" fill="#adb5bd"/>'
        f'<text x="{lw + 16}" y="{y + 13}" font-size="11">existing facilities only; '
        "coloured: added by the plan</text></svg>"
    )
    return "".join(parts)


def budget_frame(sol: MultiSolution, spec: Spec | None) -> pd.DataFrame:
    """Estimated cost by year (rows) and type (columns), with the budget per year."""
    bud = sol.budget
    years = list(spec.meta.years) if spec is not None else sorted(bud["year"].unique())
    if not len(bud):
        return pd.DataFrame({"year": years})
    piv = bud.pivot_table(index="year", columns="type", values="cost_est", aggfunc="sum")
    piv = piv.reindex(years).fillna(0.0)
    if spec is not None:
        piv = piv[[t for t in spec.facility if t in piv.columns]]
    piv["total"] = piv.sum(axis=1)
    if spec is not None:
        piv["budget"] = [spec.budget.per_year.get(str(y), np.nan) for y in years]
    piv.loc["all years"] = piv.sum(axis=0, min_count=1)
    if spec is not None and spec.budget.total is not None:
        piv.loc["all years", "budget"] = spec.budget.total
    out = piv.reset_index().rename(columns={"index": "year"})
    out.columns = ["year", *piv.columns]
    return out


def report_html(
    data: ServiceData, sol: MultiSolution, spec: Spec | None = None, title: str = ""
) -> str:
    """The whole report page of one solution, self-contained (no external resource)."""
    if spec is None and sol.spec_data:
        spec = parse_spec(sol.spec_data)
    title = title or f"siting report: {sol.spec_name}"
    types = _types_of(sol, spec)
    currency = spec.budget.currency if spec is not None else "CNY"
    gap = "n/a" if sol.gap is None else f"{100 * sol.gap:.2f}%"
    tf = targets_frame(sol)
    n_met = int((tf["met"] == "yes").sum())
    spent = float(sol.facilities["cost_est"].sum()) if len(sol.facilities) else 0.0
    budget_total = spec.budget.total if spec is not None else None
    cards = [
        ("status", str(sol.status), f"gap {gap}, {sol.runtime_s:.0f} s, {sol.backend}"),
        ("verified", "yes" if sol.verified else str(sol.verified), "recomputed from the data"),
        ("targets met", f"{n_met} / {len(tf)}", "plan targets"),
        (
            "new facilities",
            f"{int(sol.facilities['count'].sum()) if len(sol.facilities) else 0}",
            f"on {sol.facilities['parcel_id'].nunique() if len(sol.facilities) else 0} parcels",
        ),
        (
            "estimated cost",
            money(spent, currency),
            "of " + money(budget_total, currency) if budget_total else "no total budget",
        ),
    ]
    card_html = "".join(
        f'<div class="card"><small>{_esc(a)}</small><b>{_esc(b)}</b><small>{_esc(c)}</small></div>'
        for a, b, c in cards
    )
    expl = "".join(f"<li>{_esc(e)}</li>" for e in sol.explanation)
    verif = "".join(f"<li>{_esc(e)}</li>" for e in sol.verification)
    years = list(spec.meta.years) if spec is not None else sorted(
        {int(y) for y in sol.facilities.get("year", [])}
    )
    year_tool = ""
    if years:
        year_tool = (
            f'<label>new facilities open by <input id="year" type="range" min="{years[0]}" '
            f'max="{years[-1]}" step="1" value="{years[-1]}"> <b id="yearout">{years[-1]}</b>'
            "</label>"
        )
    view_opts = '<option value="*">all services (share within reach)</option>' + "".join(
        f'<option value="{_esc(t)}">{_esc(_label(spec, t))}</option>' for t in types
    )
    has_map = len(sol.coverage) > 0
    map_block = (
        f"""<div class="tools"><label>colour blocks by <select id="view">{view_opts}</select>
</label>{year_tool}<span><button id="zin" title="zoom in">+</button>
<button id="zout" title="zoom out">−</button><button id="zreset">reset</button></span>
<small>scroll to zoom, drag to pan, hover for details</small></div>
<div id="mapbox">{map_svg(data, sol, spec)}</div>{_legend(types, spec, sol.facilities)}"""
        if has_map
        else "<p>No solution to map.</p>"
    )
    by = sol.by_subdistrict
    if len(by):
        piv = by.pivot(index="subdistrict", columns="type", values="share")
        piv = piv[[t for t in types if t in piv.columns]]
        res = (
            data.blocks.groupby(data.blocks["subdistrict"].astype(str))["pop_total"].sum()
            if "pop_total" in data.blocks
            else None
        )
        sub = piv.reset_index()
        if res is not None:
            sub.insert(1, "residents", sub["subdistrict"].map(res).fillna(0).astype(int))
        sub_html = html_table(
            sub,
            "subdistricts",
            {t: _pct_or_dash for t in types} | {"residents": lambda v: f"{int(v):,}"},
            {t: _bg for t in types},
        )
    else:
        sub_html = '<table id="subdistricts"><tbody></tbody></table><p>No solution.</p>'
    bud = budget_frame(sol, spec)
    money_cols = [c for c in bud.columns if c != "year"]
    bud_html = html_table(
        bud,
        "budget",
        {c: (lambda v, cur=currency: _plain_money(float(v), cur)) for c in money_cols},
    )
    cmp = coverage_by_type(sol)
    cmp_show = cmp.copy()
    if len(cmp_show):
        cmp_show["change"] = cmp_show["with the plan"] - cmp_show["existing only"]
    cmp_html = html_table(
        cmp_show,
        "baseline",
        {
            "existing only": _pct_or_dash,
            "with the plan": _pct_or_dash,
            "change": lambda v: f"{100 * v:+.1f} pp" if np.isfinite(v) else "–",
        },
    )
    fac = sol.facilities.drop(columns=["parcel_area_m2"], errors="ignore")
    fac_html = html_table(
        fac,
        "facilities",
        {
            "cost_est": lambda v: _plain_money(float(v), currency),
            "footprint_m2": lambda v: f"{float(v):,.0f}",
        },
    )
    note = (
        spec.meta.estimated_note
        if spec is not None and spec.meta.estimated_note
        else "costs and budgets are estimates"
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>
<h1>{_esc(title)}</h1>
<p>{_esc(spec.meta.description if spec is not None else "")}</p>
<div class="cards">{card_html}</div>
<p class="note">Populations, parcels and facility positions of the instance are estimates;
{_esc(note)}.</p>
{f'<h2>Why there is no solution</h2><ul id="explanation">{expl}</ul>' if expl else ""}
{f'<h2>Verification failed</h2><ul id="verification">{verif}</ul>' if verif else ""}
<h2>Map (final year)</h2>
{map_block}
<h2>Plan targets</h2>
{html_table(tf, "targets")}
<h2>Compared with existing facilities only</h2>
<div class="two"><div>{_baseline_bars(cmp, spec)}</div><div>{cmp_html}</div></div>
<h2>Coverage by sub-district (final year)</h2>
<div class="wide">{sub_html}</div>
<h2>Budget by year and type (estimates, {_esc(_money_unit(currency))})</h2>
{bud_html}
<h2>New facilities (cost in {_esc(_money_unit(currency))})</h2>
{fac_html}
<script>{_MAP_SCRIPT}</script>
</body></html>
"""


def write_report(
    out_dir: str | Path, data: ServiceData, sol: MultiSolution, spec: Spec | None = None
) -> Path:
    """Write ``report.html`` into ``out_dir`` atomically and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return write_atomic(out / "report.html", report_html(data, sol, spec))


# --------------------------------------------------------- rebuild from files
def _read_csv(path: Path, **kw: Any) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("missing (written by `siting solve`)", path=path)
    try:
        return pd.read_csv(path, **kw)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def _ids_like(values: pd.Series, reference: pd.Series) -> pd.Series:
    """Ids read from CSV (as text) mapped back to the instance's own ids and dtype."""
    lookup = dict(zip(reference.astype(str), reference, strict=False))
    return values.astype(str).map(lambda v: lookup.get(v, v))


def _spec_in_type_order(spec: Spec, folder: Path) -> Spec:
    """The spec with its facility types in the order of the solve (baseline.csv's rows):
    solution.json is written with sorted keys, which loses the spec's order."""
    path = folder / "baseline.csv"
    if not path.is_file():
        return spec
    order = [t for t in _read_csv(path).get("type", pd.Series(dtype=str)) if t in spec.facility]
    if sorted(order) != sorted(spec.facility):
        return spec
    spec = spec.model_copy(deep=True)
    spec.facility = {t: spec.facility[t] for t in order}
    return spec


def read_solution(
    folder: str | Path,
    *,
    data: ServiceData | None = None,
    instance: str | Path | None = None,
    spec: Spec | str | Path | None = None,
) -> tuple[MultiSolution, Spec, ServiceData]:
    """Rebuild a :class:`MultiSolution`, its spec and its data from a solution folder.

    The spec is the one recorded in ``solution.json`` (``spec_data``), else the
    file at ``spec_path``, unless ``spec`` is given; the instance is ``data``,
    else ``instance``, else the folder recorded at solve time.
    """
    folder = Path(folder)
    js = folder / "solution.json"
    if not js.is_file():
        raise InputError("not a solution folder: no solution.json", path=folder)
    try:
        meta = json.loads(js.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read: {exc}", path=js) from None
    if isinstance(spec, (str, Path)):
        spec = load_spec(spec)
    elif spec is None:
        if meta.get("spec_data"):
            spec = parse_spec(meta["spec_data"], str(js))
        elif meta.get("spec_path"):
            spec = load_spec(meta["spec_path"])
        else:
            raise InputError(
                "solution.json records no spec; pass the spec file (--spec)", path=js
            )
    spec = _spec_in_type_order(spec, folder)
    if data is None:
        where = instance or (None if spec.data is not None else meta.get("instance"))
        data = load_service_data(spec, where)
    text_ids = {"parcel_id": str, "block_id": str, "subdistrict": str}
    fac = _read_csv(folder / "facilities.csv", dtype=text_ids)
    if len(fac):
        fac["parcel_id"] = _ids_like(fac["parcel_id"], data.parcels["parcel_id"])
        fac["spaces"] = fac["spaces"].fillna(0).astype(int)
    else:
        fac = pd.DataFrame(
            columns=["type", "parcel_id", "year", "count", "spaces", "subdistrict",
                     "parcel_area_m2", "footprint_m2", "cost_est"]
        )
    cov = _read_csv(folder / "coverage.csv", dtype=text_ids)
    if len(cov):
        cov["block_id"] = _ids_like(cov["block_id"], data.blocks["block_id"])
    targets = _read_csv(folder / "targets.csv", dtype=str, keep_default_na=False)
    if len(targets):
        for c in ("year", "required", "reached"):
            targets[c] = pd.to_numeric(targets[c], errors="coerce")
        targets["met"] = targets["met"].str.lower().eq("true")
    served: dict[tuple[str, int], Any] = {}
    if (folder / "served.csv").is_file():
        sv = _read_csv(folder / "served.csv", dtype={"block_id": str})
        index = pd.Index(data.blocks["block_id"].astype(str))
        for (name, t), g in sv.groupby(["type", "year_index"]):
            pos = index.get_indexer(g["block_id"].astype(str))
            if (pos < 0).any():
                raise InputError("block ids not in the instance", path=folder / "served.csv")
            v = np.zeros(len(index))
            v[pos] = g["served"].to_numpy(dtype=float)
            served[str(name), int(t)] = v
    closed_ref = data.existing["facility_id"]
    closed = list(_ids_like(pd.Series(meta.get("closed", []), dtype=object), closed_ref))
    sol = MultiSolution(
        spec_name=str(meta.get("spec", spec.meta.name)),
        status=Status(meta.get("status", "error")),
        backend=str(meta.get("backend", "")),
        objective=meta.get("objective"),
        bound=meta.get("bound"),
        gap=meta.get("gap"),
        runtime_s=float(meta.get("runtime_s", 0.0)),
        facilities=fac,
        closed=closed,
        coverage=cov,
        by_subdistrict=_read_csv(folder / "subdistricts.csv", dtype=text_ids),
        targets=targets,
        budget=_read_csv(folder / "budget.csv"),
        baseline=_read_csv(folder / "baseline.csv"),
        verified=meta.get("verified"),
        verification=list(meta.get("verification", [])),
        explanation=list(meta.get("explanation", [])),
        message=str(meta.get("message", "")),
        stats=dict(meta.get("stats", {})),
        served=served,
        spec_path=str(meta.get("spec_path", "")),
        instance=str(meta.get("instance", "")),
        spec_data=spec.model_dump(mode="json"),
    )
    return sol, spec, data


# ------------------------------------------------------------------ sweeps
def curve_svg(table: pd.DataFrame, types: Sequence[str], currency: str = "CNY") -> str:
    """The budget–coverage curve of a sweep as inline SVG (one line per type).

    ``table`` needs ``budget``, ``status`` and ``coverage:<type>`` columns;
    scenarios without a solution are drawn as crosses on the axis.
    """
    W, H, L, R, T, B = 900, 420, 70, 230, 20, 50
    ok = table[table["status"].isin(["optimal", "feasible"])]
    xs = table["budget"].to_numpy(dtype=float)
    x0, x1 = (float(np.nanmin(xs)), float(np.nanmax(xs))) if len(xs) else (0.0, 1.0)
    if x1 <= x0:
        x0, x1 = x0 * 0.9 - 1, x1 * 1.1 + 1
    cols = [f"coverage:{t}" for t in types if f"coverage:{t}" in table.columns]
    lo = float(np.nanmin(ok[cols].to_numpy())) if len(ok) and cols else 0.0
    y0 = max(0.0, math.floor(lo * 10) / 10 - 0.1) if np.isfinite(lo) else 0.0

    def px(x: float) -> float:
        return L + (x - x0) / (x1 - x0) * (W - L - R)

    def py(y: float) -> float:
        return T + (1 - (y - y0) / (1 - y0)) * (H - T - B)

    colours = type_colours(types)
    parts = [
        f'<svg id="curve" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
        f'role="img" aria-label="budget–coverage curve">',
        f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="#fafafa" '
        'stroke="#adb5bd"/>',
    ]
    for k in range(11):
        y = y0 + (1 - y0) * k / 10
        parts.append(
            f'<line x1="{L}" x2="{W - R}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#e9ecef"/>'
            f'<text x="{L - 6}" y="{py(y) + 4:.1f}" font-size="11" text-anchor="end">'
            f"{100 * y:.0f}%</text>"
        )
    for x in np.linspace(x0, x1, 6):
        parts.append(
            f'<text x="{px(x):.1f}" y="{H - B + 18}" font-size="11" text-anchor="middle">'
            f"{_esc(money(float(x), currency))}</text>"
        )
    parts.append(
        f'<text x="{(L + W - R) / 2}" y="{H - 8}" font-size="13" text-anchor="middle">'
        "budget (total, estimate)</text>"
        f'<text x="16" y="{(T + H - B) / 2}" font-size="13" text-anchor="middle" '
        f'transform="rotate(-90 16 {(T + H - B) / 2})">residents within reach (final year)</text>'
    )
    ok = ok.sort_values("budget")
    for i, (t, c) in enumerate(zip(types, cols, strict=False)):
        colour = colours[t]
        pts = [(px(float(a)), py(float(b))) for a, b in zip(ok["budget"], ok[c], strict=True)
               if np.isfinite(b)]
        if pts:
            d = " L".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            parts.append(f'<path d="M{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for (a, b), (bud, v) in zip(pts, zip(ok["budget"], ok[c], strict=True), strict=False):
                parts.append(
                    f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.5" fill="{colour}"><title>{_esc(t)}:'
                    f" {pct(float(v))} at {_esc(money(float(bud), currency))}</title></circle>"
                )
        ly = T + 12 + 18 * i
        parts.append(
            f'<line x1="{W - R + 12}" x2="{W - R + 32}" y1="{ly}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="3"/><text x="{W - R + 38}" y="{ly + 4}" font-size="12">{_esc(t)}'
            "</text>"
        )
    bad = table[~table["status"].isin(["optimal", "feasible"])]
    for r in bad.itertuples():
        x = px(float(r.budget))
        parts.append(
            f'<path class="failed" d="M{x - 5:.1f},{H - B - 10} l10,10 m0,-10 l-10,10" '
            f'stroke="#c92a2a" stroke-width="2"><title>{_esc(r.status)}: {_esc(r.message)}'
            "</title></path>"
        )
    parts.append("</svg>")
    return "".join(parts)


def sweep_report_html(table: pd.DataFrame, info: dict[str, Any]) -> str:
    """The page of a sweep: the budget–coverage curve and the scenario table."""
    types = list(info.get("types", []))
    currency = str(info.get("currency", "CNY"))
    title = f"siting sweep: {info.get('spec', '')}"
    curve = (
        curve_svg(table, types, currency)
        if "budget" in table.columns and table["budget"].nunique() > 1
        else "<p>The budget is not swept: no budget–coverage curve.</p>"
    )
    show = table.copy()
    fmt: dict[str, Any] = {c: _pct_or_dash for c in show.columns if c.startswith("coverage:")}
    fmt["budget"] = lambda v: money(float(v), currency)
    fmt["cost"] = lambda v: money(float(v), currency)
    style = {c: _bg for c in show.columns if c.startswith("coverage:")}
    failed = table[~table["status"].isin(["optimal", "feasible"])]
    fail_html = "".join(
        f"<li>scenario {int(r.scenario)}: {_esc(r.status)}: {_esc(r.message)}</li>"
        for r in failed.itertuples()
    )
    axes = "; ".join(str(a) for a in info.get("axes", []))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{_esc(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{_esc(title)}</h1>
<p>{len(table)} scenarios ({_esc(axes)}), solved on {_esc(info.get("workers", "?"))} Dask
worker(s); each solve single-threaded with a fixed seed. Budgets and costs are estimates.</p>
<h2>Budget–coverage curve</h2>
{curve}
{f'<h2>Scenarios without a solution</h2><ul id="failed">{fail_html}</ul>' if fail_html else ""}
<h2>Scenarios</h2>
{html_table(show, "pareto", fmt, style)}
</body></html>
"""
