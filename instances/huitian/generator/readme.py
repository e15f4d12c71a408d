"""The instance README, written by the generator so its figures always match the data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .facilities import PARK_COVERAGE_TARGET, SPECS
from .facts import SUBDISTRICTS
from .geography import BONUS, CELL, CLOSING, SIMPLIFY_TOLERANCE
from .load import HuitianData
from .parcels import KINDS, MIN_AREA, PARCELS_PER_SUBDISTRICT
from .population import AGE_SHARES, TYPE_PARAMS
from .stats import baseline_coverage, detour_stats
from .streets import DIAGONAL_SHARE, DROP_SHARE, RAMP_M, SPACING

PROVENANCE: list[list[object]] = [
    ["community names, sub-district of each, centroid (±100 m), area", "real (approximate)",
     "project fact sheet, `sources/communities.csv`"],
    ["metro station names, lines, positions", "real",
     "© OpenStreetMap contributors, ODbL 1.0, `sources/metro_stations.csv`"],
    ["sub-district names, areas, residents", "real (residents: *estimate* of the fact sheet)",
     "project fact sheet"],
    ["barrier courses (G6, G7, line 13, 立汤路/line 5) and crossings",
     "*estimate* (approximate courses)", "fact sheet description"],
    ["sub-district polygons", "*estimate* (generated partition)", "this generator"],
    ["block positions, block populations, age groups, households, cars", "*estimate*",
     "this generator"],
    ["parcels, their kinds, sizes, costs, uses, years", "*estimate*", "this generator"],
    ["existing facilities, names, capacities, parks", "*estimate* (names are synthetic)",
     "this generator"],
    ["walking network", "*estimate* (no real street data offline)", "this generator"],
]


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def render(data: HuitianData, seed: int) -> str:
    """README text for ``data``."""
    net = data.network()
    cov = baseline_coverage(net, data.blocks, data.existing, data.parks)
    det = detour_stats(net, data.blocks, data.parcels, data.barriers)
    bl, pa, ex, sd = data.blocks, data.parcels, data.existing, data.subdistricts
    pop_by_sd = bl.groupby("subdistrict")["pop_total"].sum()
    blocks_by_sd = bl.groupby("subdistrict").size()
    parcels_by_sd = pa.groupby("subdistrict").size()

    sd_rows = []
    for fact, row in zip(SUBDISTRICTS, sd.itertuples(index=False), strict=True):
        pop = int(pop_by_sd.get(fact.name, 0))
        sd_rows.append([
            fact.name, fact.name_en, f"{row.area_km2:.2f}", f"{fact.area_km2:.2f}",
            f"{100 * (row.area_km2 / fact.area_km2 - 1):+.1f} %", f"{pop:,}", f"{fact.residents:,}",
            int(blocks_by_sd.get(fact.name, 0)), int(parcels_by_sd.get(fact.name, 0)),
        ])
    facts_area = sum(s.area_km2 for s in SUBDISTRICTS)
    facts_pop = sum(s.residents for s in SUBDISTRICTS)
    sd_rows.append([
        "**total**", "", f"{sd['area_km2'].sum():.2f}", f"{facts_area:.2f}",
        "", f"{int(bl['pop_total'].sum()):,}", f"{facts_pop:,}", len(bl), len(pa),
    ])

    group_totals = {k: int(bl[k].sum()) for k in AGE_SHARES}
    total_pop = int(bl["pop_total"].sum())
    age_rows: list[list[object]] = [
        [k, f"{100 * v:.1f} %", f"{group_totals[k]:,}",
         f"{100 * group_totals[k] / total_pop:.2f} %"]
        for k, v in AGE_SHARES.items()
    ]
    type_rows = []
    for t, p in TYPE_PARAMS.items():
        sel = bl[bl["community_type"] == t]
        type_rows.append([
            t, int(sel["community_id"].nunique()), len(sel), f"{int(sel['pop_total'].sum()):,}",
            p.density, int(p.block_pop), p.household_size, f"{100 * p.car_share:.0f} %",
        ])
    hh = int(bl["households"].sum())
    cars = int(bl["households_with_car"].sum())

    kind_rows = []
    for k, kspec in KINDS.items():
        sel = pa[pa["kind"] == k]
        kind_rows.append([
            k, len(sel), f"{sel['area_m2'].min():,.0f}", f"{sel['area_m2'].median():,.0f}",
            f"{sel['area_m2'].max():,.0f}", f"{kspec.land_yuan_m2:,.0f}",
            f"{kspec.build_yuan_m2:,.0f}", f"{kspec.offset[0]:.0f}–{kspec.offset[1]:.0f} m",
        ])
    uses = pa["allowed_uses"].str.split(";").explode().value_counts()
    use_rows = [[u, f"{MIN_AREA[u]:,.0f}", int(uses.get(u, 0))] for u in MIN_AREA]
    years = pa["year_available"].value_counts().sort_index()
    year_line = ", ".join(f"{int(y)}: {int(n)}" for y, n in years.items())
    area_q = np.percentile(pa["area_m2"], [10, 50, 90, 99])

    fac_rows = []
    for t, spec in SPECS.items():
        sel = ex[ex["type"] == t]
        cap = sel["capacity"].dropna()
        fac_rows.append([
            t, len(sel), f"{spec.per_100k:g} per 100k" if not spec.fixed else f"{spec.fixed} fixed",
            f"{int(cap.sum()):,}" if len(cap) else "—",
        ])
    fac_rows.append(["park", int((ex["type"] == "park").sum()),
                     f"until {PARK_COVERAGE_TARGET:.0%} coverage", "—"])
    kg_seats = int(ex.loc[ex["type"] == "kindergarten", "capacity"].sum())
    ps_seats = int(ex.loc[ex["type"] == "primary_school", "capacity"].sum())

    cov_rows: list[list[object]] = [
        [c.service, f"{c.radius:.0f} m", c.group, c.n_facilities, _pct(c.straight), _pct(c.network)]
        for c in cov
    ]
    park = next(c for c in cov if c.service == "park")
    kg = next(c for c in cov if c.service == "kindergarten")

    edges = data.network_edges
    kind_counts = edges["kind"].value_counts()
    cr = data.crossings
    cr_rows = [
        [b.name, b.name_en, b.kind, int((cr["barrier_id"] == b.barrier_id).sum())]
        for b in data.barriers.itertuples(index=False)
    ]
    comps = net.connected_components()
    ex_lines = "\n".join(
        f"- block `{e['block_id']}` ({e['community']}) → parcel `{e['parcel_id']}` "
        f"({e['parcel_kind']}): {e['straight_m']:.0f} m straight, {e['network_m']:,.0f} m "
        f"walking (× {float(e['network_m']) / float(e['straight_m']):.1f}); "  # type: ignore[arg-type]
        f"{label}: the straight line crosses a barrier and the walk goes round by a crossing."
        for e, label in zip(det.examples, ["the largest detour", "a typical one"], strict=False)
    )
    planned = ", ".join(f"{k} {v[0]}" for k, v in PARCELS_PER_SUBDISTRICT.items())
    layer_rows = [
        [name, len(frame), ", ".join(c for c in frame.columns if c != "geometry"),
         str(frame.geometry.geom_type.iloc[0]) if len(frame) else ""]
        for name, frame in data.layers().items()
    ]

    return f"""# 回天 (Huilongguan–Tiantongyuan) siting instance

A realistic, **synthetic** planning instance of Beijing's 回龙观–天通苑 area
(Changping district): seven sub-districts, {len(bl):,} residential blocks with
{total_pop:,} residents, {len(pa)} candidate parcels of freed land (疏解整治), {len(ex)}
existing facilities and a walking network with the expressway and rail
barriers that dominate walking in the area. It serves the two action plans
(2018–2020 and 2026–2030) as a test bed for the siting engine.

![map of the instance](huitian.png)

**Everything below marked as an estimate is not official data.** Real inputs
are only: community names and approximate centroids, metro station positions,
and the sub-district names, areas and resident counts of the project fact sheet.

## Files

- `huitian.gpkg` — all layers, CRS **EPSG:32650 (WGS 84 / UTM zone 50N, metres)**
  on every layer. Sources are WGS84 lon/lat (EPSG:4326), projected with pyproj.
- `huitian.png` — overview map (labels in pinyin/English).
- `sources/communities.csv`, `sources/metro_stations.csv` — the inputs.
- `README.md` — this file; written by the generator together with the data.
- `make.py` and `generator/` — the generator (and `generator/load.py`, a
  loader of every layer); they are not part of the `siting` package.

Regenerate (byte-identical for the same seed, sources and library versions):

```
python instances/huitian/make.py --out instances/huitian --seed {seed}
```

The GeoPackage is written with GDAL's `OGR_CURRENT_DATE` fixed to
2018-07-29, so no timestamp changes between runs; the PNG carries no
timestamp or software tag. Plans read it as any other data: the 回天 specs in
`models/` name its layers in a `[data]` table, and `siting info
instances/huitian` reads it as an instance folder. `load_huitian(folder=None)`
in `generator/load.py` reads every layer, the street graph's nodes, barriers,
crossings and stations too (default folder: this one, or `$SITING_HUITIAN_DIR`).

{_table(["layer", "rows", "columns", "geometry"], layer_rows)}

## Provenance and licence

{_table(["what", "status", "source"], PROVENANCE)}

Licence: the `stations` layer (and the station positions used for the
network's station nodes and on the map) is © OpenStreetMap contributors and
available under the Open Database License 1.0 (ODbL); keep the attribution
and share-alike terms for that data. Everything else in this folder is the
project's own generated data, released under the project's MIT licence.

## Sub-districts

Approach: a weighted, area-matched partition seeded by community centroids
(a raster variant of "Voronoi of community centroids dissolved per
sub-district, clipped to an outline"). The outline is the union of discs
around the 124 communities, closed by {CLOSING:.0f} m (filling bays between
compounds) and clipped to the union of the seven FACTS extents (+200 m); the
disc reach is bisected so the outline has the FACTS total area. Inside it, a
{CELL:.0f} m grid is assigned to the sub-district minimising
`distance to its nearest community − {BONUS} × that community's equivalent radius − w_s`,
only where the cell lies in that sub-district's FACTS extent (+200 m) or near one
of its own communities (this keeps 碧水庄园社区, a 回龙观 community north of
史各庄, as an exclave). The weights `w_s` are iterated until every area is
within 0.3 % of FACTS; specks < 0.1 km² go to a neighbour. The cells are
dissolved per sub-district and smoothed by a topology-preserving coverage
simplification ({SIMPLIFY_TOLERANCE:.0f} m), so the polygons neither overlap nor
leave gaps.

{_table(["sub-district", "name", "area km²", "FACTS km²", "Δ area", "residents (blocks)",
         "FACTS residents", "blocks", "parcels"], sd_rows)}

## Residential blocks (demand)

A block is a group of residential buildings (a few slab or tower blocks in a
compound, or a cluster of village houses). Residents per sub-district equal
the FACTS figures exactly. They are shared among the sub-district's
communities in proportion to `area × type density × noise` (log-normal,
σ = 0.15), then among the community's blocks with log-normal weights
(σ = 0.3), by largest remainder (integer counts, exact totals). Blocks are laid
out in rows (wider spacing north–south, as slab blocks face south) inside a
near-axis-aligned rectangle of the community's built-up area, cut into
sub-compounds by internal roads every ~420 m, clipped to the sub-district and
kept ≥ 45 m from the barriers.

Community types (*estimates*; 村 = village, villa estates and a campus = villa,
otherwise compound):

{_table(["type", "communities", "blocks", "residents", "relative density",
         "mean residents per block", "household size", "households with car"], type_rows)}

Age groups (*estimates*), drawn per block from a multinomial with these shares
times a community factor (log-normal, σ = 0.12 for children, 0.15 for 60+;
villages × 0.9 children and × 1.1 elderly, villas × 1.15 elderly). Basis:
Beijing 7th census (2020) city-wide 0–14 ≈ 11.9 % and 60+ ≈ 19.6 %; Changping
is younger (large working-age in-migrant population), so 0–14 ≈ 13.9 % split
by single-year cohorts (smaller recent birth cohorts) and 60+ ≈ 14 % are
used.

{_table(["group", "base share", "total", "realised share"], age_rows)}

Households: residents ÷ household size (per type, community noise σ = 0.06;
basis: Beijing 7th census ≈ 2.3 persons per family household, larger in villa
estates, smaller among village renters) → {hh:,} households. Households with a
car: binomial with the type's share (community noise σ = 0.12; basis: Beijing
≈ 6 million private cars for ≈ 8 million households, lower in villages) →
{cars:,} ({100 * cars / hh:.0f} %).

## Candidate parcels (疏解整治 freed land)

{len(pa)} polygons. Counts per sub-district (planned; a few may fail placement):
{planned} — much freed land in the village/industrial
fringe of 东小口 and 史各庄, little in dense 天通苑. Kind mix: villages-heavy
sub-districts have more demolished illegal buildings, factories and village
collective land; compound-heavy ones more idle rooms, boiler rooms and garbage
stations. Sizes are log-normal per kind (heavy-tailed overall; 10/50/90/99th
percentile {area_q[0]:,.0f} / {area_q[1]:,.0f} / {area_q[2]:,.0f} / {area_q[3]:,.0f} m²).

{_table(["kind", "parcels", "min m²", "median m²", "max m²", "land cost 元/m² (est.)",
         "build cost 元/m² (est.)", "distance from housing"], kind_rows)}

- `land_cost_est` (元, total) = area × kind unit cost × sub-district level
  (0.8 史各庄 … 1.15 天通苑南) × log-normal noise (σ = 0.2), rounded to 1,000 元.
  *Estimates*: no official figures exist; rooms already owned by the public side
  are cheap to take over, relocated markets and factories carry compensation.
- `build_cost_per_m2_est` (元 per m² of floor) = kind base × noise (σ = 0.1):
  refit of rooms 2,500–3,500; new build 5,000–6,000 (the fact sheet: school ≈
  7,000 元/m², kindergarten 4,000–7,000 元/m²). *Estimates*.
- `allowed_uses` (';'-separated) by minimum area (m², land or floor), not
  park/parking/fire station for indoor rooms (idle and boiler rooms), no fire
  station on a garbage station, and no kindergarten, school or elderly station
  within 80 m of an expressway (noise; `near_expressway` column):

{_table(["use", "minimum area m²", "parcels allowing it"], use_rows)}

- `year_available` (2018–2030): rooms mostly early, demolitions and market
  relocations peaking in the 2017–2020 疏解整治促提升 campaign, factories and
  collective land spread with a second wave in 2026–2030. Counts: {year_line}.

## Existing facilities (2018 baseline, *estimates*)

Positions are drawn 40–160 m from population-weighted blocks of each
sub-district, off the barrier corridors, spaced per type (e.g. kindergartens
≥ 250 m, primary schools ≥ 700 m apart). Capacities: kindergartens 6–12 classes
× 30, primary schools 18–36 classes × 45, middle schools 900–1,800 seats,
elderly stations 20–60 day-care places, parking 80–600 spaces. Names are
synthetic (nearest community + type).

{_table(["type", "count", "rate", "total capacity"], fac_rows)}

Kindergarten seats {kg_seats:,} for {group_totals["age_3_6"]:,} children aged 3–6
({100 * kg_seats / group_totals["age_3_6"]:.0f} %); primary seats {ps_seats:,} for
{group_totals["age_6_12"]:,} children aged 6–12
({100 * ps_seats / group_totals["age_6_12"]:.0f} %). Parks (layer `parks`,
polygons; also points in `existing`): large parks on open land, then pocket
parks next to housing, added until the straight-line 500 m coverage reached
{PARK_COVERAGE_TARGET:.0%} (the 2020 target was 85 %).

Baseline coverage (share of the group living within the radius; straight line
to the facility point or park polygon; network = walking distance on the
street graph, to park entrances every 100 m along the park edge):

{_table(["service", "radius", "weighted by", "facilities", "straight line", "network"], cov_rows)}

Park 500 m coverage: {_pct(park.straight)} straight-line, {_pct(park.network)} walking.
Kindergarten 300 m coverage of children 3–6: {_pct(kg.straight)} straight-line,
{_pct(kg.network)} walking — clearly short of need.

## Walking network

A jittered grid ({SPACING:.0f} m spacing, every sixth line an arterial, a
diagonal footpath across {DIAGONAL_SHARE:.0%} of the cells, a node at every link
midpoint) clipped to the area; {DROP_SHARE:.0%} of
minor links removed (gated compounds), keeping connectivity. Links that cross a
barrier are cut; crossings join the nearest node on either side, with ramp
lengths (bridge {RAMP_M["bridge"]:.0f} m, underpass {RAMP_M["underpass"]:.0f} m,
footbridge {RAMP_M["footbridge"]:.0f} m, station passage {RAMP_M["station"]:.0f} m). Stations on
a barrier (within 80 m) are passages across it; other stations in the area are
linked to the two nearest nodes. {len(data.network_nodes):,} nodes,
{len(edges):,} links ({", ".join(f"{k} {int(v)}" for k, v in kind_counts.items())}),
{comps.n_components} connected component(s).

{_table(["barrier", "name", "kind", "crossings"], cr_rows)}

Walking vs straight-line distance, block → parcel centroid, for the
{det.n_pairs:,} pairs within {det.radius:.0f} m straight-line (walking distance =
the straight line to the nearest street edge, along it and the shortest path,
and the same at the other end):

- share with walking / straight > 1.3: **{_pct(det.share_over)}** overall
  (median ratio {det.median_ratio:.2f}; short pairs are dominated by the walk to
  and from the street);
- for the {det.n_near:,} pairs whose block lies within 300 m of a barrier:
  **{_pct(det.share_over_near)}**;
- for the {det.n_crossing:,} pairs whose straight line crosses a barrier:
  **{_pct(det.share_over_crossing)}** (median ratio {det.median_ratio_crossing:.2f}).

Examples:

{ex_lines}

The engine computes such distances sparsely with
`siting.network.WalkingNetwork.distances_within(..., cutoff)` (cutoff Dijkstra
from the smaller point set on the street graph with the points attached; never a
dense blocks × parcels array).
"""


def write_readme(data: HuitianData, path: Path, seed: int) -> None:
    """Write the README for ``data`` (UTF-8, LF line ends)."""
    text = render(data, seed)
    path.write_bytes(text.encode("utf-8"))

