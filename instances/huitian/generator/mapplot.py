"""Overview map of the instance (PNG, deterministic: no timestamps, fixed fonts).

Labels are in pinyin/English: the fonts bundled with matplotlib carry no CJK
glyphs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon

from .facts import SUBDISTRICTS, to_utm
from .load import HuitianData

SUBDISTRICT_COLOURS = ("#f4c99b", "#f3a5a0", "#cdb7e3", "#a9d7a1", "#a8cbe8", "#e7c1d9", "#f1e39b")
# Label offsets (m) from the FACTS centroid where a station label sits there.
LABEL_NUDGE: dict[str, tuple[float, float]] = {
    "HY": (700.0, -450.0), "TTYS": (700.0, 0.0), "TTYN": (1300.0, 300.0),
}
FACILITY_STYLE: dict[str, tuple[str, str, float, str]] = {
    # type: (marker, colour, size, legend label)
    "kindergarten": ("^", "#e0457b", 30, "kindergarten"),
    "primary_school": ("s", "#2f6fb5", 30, "primary school"),
    "middle_school": ("s", "#16325c", 42, "middle school"),
    "elderly_station": ("D", "#7b3fa0", 26, "elderly station"),
    "health_station": ("P", "#d62728", 34, "health station"),
    "service_room": ("o", "#138a8a", 16, "service room"),
    "parking": ("$P$", "#3a3a3a", 28, "parking"),
    "fire_station": ("*", "#ff3b00", 120, "fire station"),
}


def _polygons(geoms: object, **kwargs: Any) -> PatchCollection:
    patches = []
    for geom in np.asarray(geoms):
        for part in getattr(geom, "geoms", [geom]):
            patches.append(Polygon(np.asarray(part.exterior.coords), closed=True))
    return PatchCollection(patches, **kwargs)


def _lines(geoms: object, **kwargs: Any) -> LineCollection:
    segs = [np.asarray(g.coords) for g in np.asarray(geoms)]
    return LineCollection(segs, **kwargs)


def draw_map(data: HuitianData, path: Path, seed: int) -> None:
    """Draw the overview map to ``path``."""
    plt.rcParams.update({"font.family": "DejaVu Sans", "svg.hashsalt": "huitian"})
    fig, ax = plt.subplots(figsize=(20, 10.5), dpi=100)
    sd = data.subdistricts
    for k, geom in enumerate(sd.geometry):
        ax.add_collection(_polygons([geom], facecolor=SUBDISTRICT_COLOURS[k], edgecolor="none",
                                    alpha=0.55, zorder=1))
    edges = data.network_edges
    minor = edges["kind"].isin(["street", "path"]).to_numpy()
    ax.add_collection(_lines(edges.geometry[minor], colors="#9a9a9a", linewidths=0.35, zorder=2))
    ax.add_collection(_lines(edges.geometry[~minor & (edges["kind"] == "arterial").to_numpy()],
                             colors="#7d7d7d", linewidths=1.1, zorder=2))
    ax.add_collection(_polygons(sd.geometry, facecolor="none", edgecolor="#404040",
                                linewidths=1.6, zorder=3))
    ax.add_collection(_polygons(data.parks.geometry, facecolor="#5fb85a", edgecolor="#2e7d32",
                                linewidths=0.6, alpha=0.85, zorder=4))
    parcels = data.parcels
    ax.add_collection(_polygons(parcels.geometry, facecolor="#f0a040", edgecolor="#8a4500",
                                linewidths=0.6, alpha=0.8, zorder=5))
    cen = parcels.geometry.centroid
    small = parcels["area_m2"].to_numpy() < 3000
    ax.scatter(cen.x[small], cen.y[small], s=4 + parcels["area_m2"][small] / 120, marker="s",
               facecolor="#e8841a", edgecolor="#8a4500", linewidths=0.4, zorder=5)
    bl = data.blocks
    ax.scatter(bl.geometry.x, bl.geometry.y, s=bl["pop_total"] / 14.0, c="#2c3e50",
               alpha=0.6, linewidths=0, zorder=6)

    for br in data.barriers.itertuples(index=False):
        xy = np.asarray(br.geometry.coords)
        if br.kind == "expressway":
            ax.plot(xy[:, 0], xy[:, 1], color="white", lw=6.5, zorder=7, solid_capstyle="round")
            ax.plot(xy[:, 0], xy[:, 1], color="#b22222", lw=4.0, zorder=7, solid_capstyle="round")
        elif br.kind == "rail_embankment":
            ax.plot(xy[:, 0], xy[:, 1], color="#222222", lw=4.5, zorder=7)
            ax.plot(xy[:, 0], xy[:, 1], color="white", lw=2.2, ls=(0, (4, 4)), zorder=7)
        else:
            ax.plot(xy[:, 0], xy[:, 1], color="#6a3d9a", lw=3.0, zorder=7)
    cr = data.crossings
    ax.scatter(cr.geometry.x, cr.geometry.y, s=46, marker="o", facecolor="#ffd400",
               edgecolor="black", linewidths=1.0, zorder=8)

    ex = data.existing
    for ftype, (marker, colour, size, _label) in FACILITY_STYLE.items():
        sel = ex[ex["type"] == ftype]
        ax.scatter(sel.geometry.x, sel.geometry.y, s=size, marker=marker, c=colour,
                   edgecolors="white" if marker not in ("$P$",) else "none",
                   linewidths=0.5, zorder=9)

    halo = [pe.withStroke(linewidth=3, foreground="white")]
    st = data.stations
    ax.scatter(st.geometry.x, st.geometry.y, s=110, marker="o", facecolor="white",
               edgecolor="#0050a0", linewidths=2.4, zorder=10)
    for s in st.itertuples(index=False):
        lines = str(s.lines).replace("昌平", "CP")  # no CJK glyphs in the bundled fonts
        ax.annotate(f"{s.name_en} ({lines})", (s.geometry.x, s.geometry.y), xytext=(7, 6),
                    textcoords="offset points", fontsize=8.5, color="#0050a0", zorder=11,
                    path_effects=halo)
    facts_xy = dict(zip(
        [f.name for f in SUBDISTRICTS],
        zip(*to_utm([f.centroid[0] for f in SUBDISTRICTS], [f.centroid[1] for f in SUBDISTRICTS]),
            strict=True),
        strict=True,
    ))
    for r in sd.itertuples(index=False):
        # Label at the FACTS centroid, nudged to clear stations; fall back to a
        # point inside the polygon.
        fx, fy = facts_xy[r.subdistrict]
        p = shapely.Point(fx + LABEL_NUDGE.get(r.code, (0, 0))[0],
                          fy + LABEL_NUDGE.get(r.code, (0, 0))[1])
        if not r.geometry.contains(p):
            p = r.geometry.buffer(-300).representative_point()
        label = f"{r.name_en.upper()}\n{r.area_km2:.2f} km² · {r.residents_facts / 1e3:.0f}k res."
        ax.text(p.x, p.y, label,
                ha="center", va="center", fontsize=11.5, fontweight="bold", color="#262626",
                zorder=12, path_effects=[pe.withStroke(linewidth=4, foreground="white")])

    minx, miny, maxx, maxy = shapely.union_all(np.asarray(sd.geometry)).bounds
    ax.set_xlim(minx - 600, maxx + 1300)
    ax.set_ylim(miny - 900, maxy + 500)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    # Scale bar (2 km) and north arrow.
    x0, y0 = minx - 300, miny - 650
    ax.plot([x0, x0 + 2000], [y0, y0], color="black", lw=3, zorder=12)
    for i in range(3):
        ax.plot([x0 + 1000 * i] * 2, [y0 - 60, y0 + 60], color="black", lw=1.5, zorder=12)
    ax.text(x0 + 1000, y0 + 110, "2 km", ha="center", fontsize=10, zorder=12)
    ax.annotate("N", xy=(maxx + 300, maxy + 300), xytext=(maxx + 300, maxy - 500),
                ha="center", fontsize=14, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "lw": 2, "color": "black"})

    handles = [
        Line2D([], [], color="#3c4a5a", marker="o", ls="none", alpha=0.6, ms=6,
               label="residential block (size ∝ population)"),
        Patch(facecolor="#e8841a", edgecolor="#8a4500", label="candidate parcel (freed land)"),
        Patch(facecolor="#5fb85a", edgecolor="#2e7d32", label="existing park"),
        *[Line2D([], [], color=c, marker=m, ls="none", ms=7 if m != "*" else 12, label=lab)
          for m, c, _s, lab in FACILITY_STYLE.values()],
        Line2D([], [], color="#b22222", lw=4, label="expressway (G6, G7)"),
        Line2D([], [], color="#222222", lw=4, label="line 13 embankment"),
        Line2D([], [], color="#6a3d9a", lw=3, label="Litang Rd / line 5"),
        Line2D([], [], color="black", marker="o", markerfacecolor="#ffd400", ls="none", ms=7,
               label="crossing (bridge, underpass, station)"),
        Line2D([], [], color="#0050a0", marker="o", markerfacecolor="white", ls="none", ms=9,
               mew=2, label="metro station (OSM, ODbL)"),
        Line2D([], [], color="#9a9a9a", lw=1, label="walking network"),
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.005, 0.5), fontsize=10,
              framealpha=0.95, title="legend", title_fontsize=11)
    ax.set_title(
        "Huilongguan–Tiantongyuan (Hui-Tian), Changping, Beijing — synthetic siting instance "
        f"(seed {seed}, EPSG:32650)",
        fontsize=15, loc="left",
    )
    fig.text(
        0.01, 0.01,
        f"{len(bl):,} blocks · {int(bl['pop_total'].sum()):,} residents (FACTS totals) · "
        f"{len(parcels)} parcels · {len(ex)} existing facilities · "
        f"{len(edges):,} network links. Sub-district shapes, blocks, parcels, facilities and "
        "streets are estimates; station positions © OpenStreetMap contributors (ODbL).",
        fontsize=9, color="#404040",
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
