"""青枫新城片区 (synthetic, every number invented): a district's files as a planner holds them.

Writes, into this folder or the one given::

    python instances/qingfeng/make.py [OUT]

- ``居住小区.shp`` (+ ``.shx .dbf .prj .cpg``): residential blocks (小区), polygons, EPSG:4545
  (CGCS2000 / 3-degree Gauss–Krüger CM 108E), a GBK DBF;
- ``候选地块.geojson``: candidate parcels in WGS 84, uses joined by ``、`` (one by ``，``),
  area in 亩 only;
- ``现状设施.csv``: existing facilities as Excel writes a CSV in China (GBK, CRLF), 经度/纬度;
- ``道路中心线.gpkg`` layer ``道路中心线``: one MultiLineString per named street, not split
  at crossings, with a level column ``层`` (an overpass on level 1);
- ``行政边界.gpkg`` layers ``街道`` (sub-districts, ``街道名称``) and ``现状公园`` (the
  existing park's outline, keyed by ``设施编号``).

Everything is drawn on a local grid in metres (origin ``ORIGIN``) from a seeded generator, so
that the files are the same on every run. No point is equally near two different places on
the streets (within :data:`TIE_MARGIN`): whichever way a program breaks such a tie, it meets
the streets at the same place. Uses numpy, pandas, shapely, geopandas and pyproj only.
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiLineString, MultiPolygon, Polygon, box

HERE = Path(__file__).resolve().parent
SEED = 2035
CRS = "EPSG:4545"  # CGCS2000 / 3-degree Gauss-Kruger CM 108E
WGS84 = "EPSG:4326"
#: The local grid's origin in EPSG:4545 (whole metres near 108.93 E, 34.21 N).
ORIGIN = (585_707.0, 3_787_347.0)
MU_M2 = 10_000 / 15  # one 亩 in m²
#: Every point's nearest place on the streets is nearer than any other place by this much (m).
TIE_MARGIN = 1.0
#: Entrances of a park are its boundary cut into pieces of at most this length (m).
ENTRANCE_SPACING = 100.0

# ------------------------------------------------------------------ the street plan
XS = [0, 240, 520, 760, 1000, 1130, 1250, 1520, 1800, 2080, 2400]  # north-south streets
YS_SOUTH = [0, 240, 480, 720, 940]
RAIL = (1040, 1160)  # the railway between its two frontage roads (no blocks)
YS_NORTH = [1270, 1500, 1740, 2000]
YS = [*YS_SOUTH, *RAIL, *YS_NORTH]
TOP, RIGHT = YS[-1], XS[-1]
OVERPASS_X = 1130
#: (name, grade, x) of the north-south streets; all but 西环路 stop at the railway.
NS_STREETS = [
    ("西环路", "主干路", 0), ("枫杨路", "支路", 240), ("青桐路", "支路", 520),
    ("银杏路", "次干路", 760), ("文景路", "主干路", 1000), ("青枫路", "次干路", 1130),
    ("丹桂路", "支路", 1250), ("紫薇路", "支路", 1520), ("枫林路", "次干路", 1800),
    ("海棠路", "支路", 2080), ("东环路", "主干路", 2400),
]
EW_STREETS = [
    ("南环路", "主干路", 0), ("槐荫街", "支路", 240), ("青枫街", "次干路", 480),
    ("长乐街", "主干路", 720), ("兴隆街", "支路", 940), ("铁路南侧路", "次干路", 1040),
    ("铁路北侧路", "次干路", 1160), ("北站街", "支路", 1270), ("凤鸣街", "主干路", 1500),
    ("书院街", "支路", 1740), ("北环路", "主干路", 2000),
]
GRADE_WIDTH = {"主干路": 40.0, "次干路": 30.0, "支路": 20.0, "步行道": 6.0, "高速公路": 35.0}
LANES = [  # short lanes between two streets (T-junctions at both ends)
    ("一号巷", "支路", [(640, 240), (640, 480)]),
    ("二号巷", "支路", [(1380, 1270), (1380, 1500)]),
    ("三号巷", "支路", [(1520, 1620), (1800, 1620)]),
]
DEAD_END = ("梧桐巷", "支路", [(1660, 480), (1660, 620)])  # starts part-way along 青枫街
FOOTPATH = ("公园步道", "步行道", [(0, 1605), (118, 1655), (240, 1632)])  # through the old park
OVERPASS = ("青枫路跨线桥", "次干路", [(OVERPASS_X, 940), (OVERPASS_X, 1270)])
EXPRESSWAY = ("绕城高速", "高速公路", [(2520, -150), (2520, 2150)])  # elevated, not walkable

# ------------------------------------------------------------------ land
EXISTING_PARK_CELL = (0, 7)  # (column, row) of the cells between the streets
PARK_CELLS = [(1, 2), (4, 1), (8, 2), (3, 6), (9, 7), (5, 8)]  # candidate parks (whole cells)
GREEN_CELL = (6, 3)  # a parcel whose use (公园绿地) is no facility type of the plan
N_MIXED = 23  # cells shared by a candidate parcel and a block
SUBDISTRICTS = [  # (name, code, local box): south-west, south-east, north of the railway
    ("青枫街道", "610116001", (-60, -60, OVERPASS_X, 1100)),
    ("梧桐街道", "610116002", (OVERPASS_X, -60, RIGHT + 60, 1100)),
    ("北站街道", "610116003", (-60, 1100, RIGHT + 60, TOP + 60)),
]
USES = [
    "幼儿园、养老服务驿站", "养老服务驿站", "幼儿园", "幼儿园、养老服务驿站、社区公园",
    "养老服务驿站，社区卫生服务站", "养老服务驿站、社区卫生服务站",
]
#: Existing facilities: id, type, name, local x, y, capacity ("" when unknown).
EXISTING = [
    ("YEY-01", "幼儿园", "青枫第一幼儿园", 395.0, 352.0, "180"),
    ("YEY-02", "幼儿园", "北站幼儿园", 1458.0, 1861.0, "240"),
    ("YEY-03", "幼儿园", "梧桐幼儿园", 2212.0, 824.0, ""),
    ("YLZ-01", "养老服务驿站", "长乐社区养老驿站", 862.0, 602.0, "30"),
    ("YLZ-02", "养老服务驿站", "凤鸣养老驿站", 1931.0, 1408.0, ""),
    ("GY-01", "社区公园", "枫杨公园", 120.0, 1540.0, ""),
    ("WSZ-01", "社区卫生服务站", "青枫社区卫生服务站", 1605.0, 845.0, ""),
]


def street_rows() -> list[dict[str, Any]]:
    """The centre-line layer: one feature per named street, drawn as a municipal layer is."""
    rows: list[dict[str, Any]] = []

    def add(name: str, grade: str, parts: list[list[tuple[float, float]]], level: int) -> None:
        geom = MultiLineString(parts)  # as the municipal layer stores every street
        rows.append({"道路名称": name, "道路等级": grade, "层": level,
                     "红线宽度": GRADE_WIDTH[grade], "geometry": geom})

    south_end, north_start = RAIL
    for name, grade, x in NS_STREETS:
        if x == 0:  # crosses the railway at grade (a level crossing)
            add(name, grade, [[(x, 0), (x, TOP)]], 0)
        elif x == OVERPASS_X:  # the ground parts stop where the bridge's ramps land
            add(name, grade, [[(x, 0), (x, 940)], [(x, 1270), (x, TOP)]], 0)
        elif name == "枫林路":  # digitised crossing by crossing (a vertex at every crossing)
            add(name, grade, [[(x, y) for y in YS if y <= south_end],
                              [(x, y) for y in YS if y >= north_start]], 0)
        else:
            add(name, grade, [[(x, 0), (x, south_end)], [(x, north_start), (x, TOP)]], 0)
    for name, grade, y in EW_STREETS:
        if name == "长乐街":  # shares its vertex at 枫林路 with it (as ways in OSM do)
            add(name, grade, [[(0, y), (1800, y), (RIGHT, y)]], 0)
        else:
            add(name, grade, [[(0, y), (RIGHT, y)]], 0)
    for name, grade, pts in (*LANES, DEAD_END, FOOTPATH):
        add(name, grade, [list(pts)], 0)
    add(*OVERPASS[:2], [list(OVERPASS[2])], 1)
    add(*EXPRESSWAY[:2], [list(EXPRESSWAY[2])], 1)
    return rows


def walkable_segments(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Every straight piece of the walkable streets (not the expressway) and its level."""
    segs, levels = [], []
    for r in rows:
        if r["道路等级"] == "高速公路":
            continue
        for part in shapely.get_parts(r["geometry"]):
            c = np.asarray(part.coords)
            segs.append(np.stack([c[:-1], c[1:]], axis=1))
            levels.append(np.full(len(c) - 1, r["层"]))
    return np.concatenate(segs), np.concatenate(levels)


def clear_of_ties(points: np.ndarray, segs: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Points whose nearest place on the streets is on the ground and unambiguous.

    Every other place on the streets within :data:`TIE_MARGIN` of the nearest
    distance is the same place (a crossing reached along either street).
    """
    a, b = segs[None, :, 0, :], segs[None, :, 1, :]
    p = points[:, None, :]
    ab = b - a
    t = np.clip(((p - a) * ab).sum(-1) / (ab * ab).sum(-1), 0.0, 1.0)
    foot = a + t[..., None] * ab
    dist = np.hypot(*(p - foot).transpose(2, 0, 1))
    best = dist.argmin(axis=1)
    rows = np.arange(points.shape[0])
    best_foot = foot[rows, best]
    near = dist < dist[rows, best][:, None] + TIE_MARGIN
    other = np.hypot(*(foot - best_foot[:, None, :]).transpose(2, 0, 1)) > 1e-6
    return ~(near & other).any(axis=1) & (levels[best] == 0)


def entrances(shape: Any) -> np.ndarray:
    """Points every :data:`ENTRANCE_SPACING` m (or less, evenly) along a shape's boundary."""
    out = []
    for ring in shapely.get_parts(shapely.boundary(shape)):
        c = np.asarray(ring.coords)
        for p, q in itertools.pairwise(c):
            n = math.ceil(math.dist(p, q) / ENTRANCE_SPACING)
            out += [p + (q - p) * k / n for k in range(n)]
    return np.asarray(out)


def sides_clear(shape: Any) -> bool:
    """No boundary piece's length is within 1 m of a multiple of the entrance spacing
    (where the number of entrances would hang on rounding)."""
    for ring in shapely.get_parts(shapely.boundary(shape)):
        c = np.asarray(ring.coords)
        lengths = np.hypot(*(c[1:] - c[:-1]).T) / ENTRANCE_SPACING
        if (np.abs(lengths - np.round(lengths)) * ENTRANCE_SPACING < 1.0).any():
            return False
    return True


def half_width(edge: float, vertical: bool) -> float:
    """Half the red-line width of the street along a cell's edge (lanes are 支路)."""
    table = NS_STREETS if vertical else EW_STREETS
    grade = next((g for _, g, v in table if v == edge), "支路")
    return GRADE_WIDTH[grade] / 2


def cell_box(cell: tuple[float, float, float, float],
             rng: np.random.Generator) -> tuple[float, float, float, float]:
    """The land of a cell: between its streets, set back from each by a random few metres."""
    x0, y0, x1, y1 = cell

    def back(v: float, vertical: bool) -> float:
        return half_width(v, vertical) + float(rng.integers(2, 16)) + 0.5 * float(rng.integers(2))

    return (x0 + back(x0, True), y0 + back(y0, False), x1 - back(x1, True), y1 - back(y1, False))


CELL_ROWS = [(YS_SOUTH[i], YS_SOUTH[i + 1]) for i in range(len(YS_SOUTH) - 1)]
CELL_ROWS += [(YS_SOUTH[-1], RAIL[0]), (RAIL[1], YS_NORTH[0])]
CELL_ROWS += [(YS_NORTH[i], YS_NORTH[i + 1]) for i in range(len(YS_NORTH) - 1)]
RAMP_CELLS = {(4, 4), (5, 4), (4, 5), (5, 5)}  # the bridge's ramps rise through these


def cells() -> list[tuple[tuple[int, int], tuple[float, float, float, float]]]:
    """The land between the streets: (column, row) and its box, in two where a lane or
    the dead end runs through (west / east or south / north of it)."""
    out: list[tuple[tuple[int, int], tuple[float, float, float, float]]] = []
    for r, (y0, y1) in enumerate(CELL_ROWS):
        for c, (x0, x1) in enumerate(itertools.pairwise(XS)):
            if (c, r) in RAMP_CELLS:
                continue
            cell = (float(x0), float(y0), float(x1), float(y1))
            for _, _, pts in (*LANES, DEAD_END):
                (ax, ay), (bx, by) = pts
                if ax == bx and x0 < ax < x1 and y0 <= ay < y1:
                    out += [((c, r), (x0, y0, ax, y1)), ((c, r), (ax, y0, x1, y1))]
                    break
                if ay == by and y0 < ay < y1 and x0 <= ax < x1:
                    out += [((c, r), (x0, y0, x1, ay)), ((c, r), (x0, ay, x1, y1))]
                    break
            else:
                out.append(((c, r), cell))
    return out


def split(bounds: tuple[float, float, float, float], shares: list[float],
          gap: float) -> list[tuple[float, float, float, float]]:
    """A box cut across its longer side into pieces of the given shares, ``gap`` m apart."""
    x0, y0, x1, y1 = bounds
    along_x = (x1 - x0) >= (y1 - y0)
    lo, hi = (x0, x1) if along_x else (y0, y1)
    usable = hi - lo - gap * (len(shares) - 1)
    out, at = [], lo
    for s in shares:
        end = round(at + usable * s / sum(shares), 1)
        out.append((at, y0, end, y1) if along_x else (x0, at, x1, end))
        at = end + gap
    last = out[-1]
    out[-1] = (last[0], last[1], x1, last[3]) if along_x else (last[0], last[1], last[2], y1)
    return out


def park_shape(bounds: tuple[float, float, float, float], rng: np.random.Generator) -> Polygon:
    """A park lot: the cell's land, with a corner cut away for some (an L shape)."""
    x0, y0, x1, y1 = bounds
    if rng.random() < 0.5:
        return box(*bounds)
    cx = round(x0 + (x1 - x0) * rng.uniform(0.45, 0.6), 1)
    cy = round(y0 + (y1 - y0) * rng.uniform(0.45, 0.6), 1)
    return Polygon([(x0, y0), (x1, y0), (x1, cy), (cx, cy), (cx, y1), (x0, y1)])


def land(rng: np.random.Generator, segs: np.ndarray, levels: np.ndarray) -> dict[str, Any]:
    """Blocks, parcels and the existing park outline, in local metres."""
    land_cells = cells()
    special = {EXISTING_PARK_CELL, GREEN_CELL, *PARK_CELLS}
    rest = [k for k, (key, _) in enumerate(land_cells) if key not in special]
    mixed = {rest[k] for k in rng.choice(len(rest), N_MIXED, replace=False)}
    blocks: list[Any] = []
    parcels: list[tuple[Any, str]] = []  # (shape, kind: park / green / small)
    park_outline = None
    for n, (cell, edges) in enumerate(land_cells):
        for _ in range(200):  # draw the cell until no point of it sits on a tie
            bounds = cell_box(edges, rng)
            if cell in special:
                shape = park_shape(bounds, rng)
                if sides_clear(shape) and clear_of_ties(entrances(shape), segs, levels).all() \
                        and clear_of_ties(_rep(shape), segs, levels).all():
                    break
            else:
                if n in mixed:  # a parcel of a quarter to a third of the cell, then a block
                    pick = int(rng.integers(2))
                    shares = [1.0, 1.0]
                    shares[pick] = float(rng.uniform(0.3, 0.55))
                else:
                    k = int(rng.choice([1, 2, 2, 3]))
                    shares = [float(s) for s in rng.uniform(0.6, 1.4, k)]
                pieces = [box(*b) for b in split(bounds, shares, float(rng.integers(6, 14)))]
                points = [_rep(p) for p in pieces]
                if n in mixed:  # a parcel may hold a park, reached at its edge
                    points.append(entrances(pieces[pick]))
                if clear_of_ties(np.vstack(points), segs, levels).all() and (
                        n not in mixed or sides_clear(pieces[pick])):
                    break
        else:
            raise RuntimeError(f"no layout of cell {cell} is clear of ties")
        if cell == EXISTING_PARK_CELL:
            park_outline = shape
        elif cell in special:
            parcels.append((shape, "green" if cell == GREEN_CELL else "park"))
        elif n in mixed:
            parcels.append((pieces[pick], "small"))
            blocks.append(pieces[1 - pick])
        else:
            blocks += pieces
    return {"blocks": blocks, "parcels": parcels, "park": park_outline}


def _rep(shape: Any) -> np.ndarray:
    p = shapely.point_on_surface(shape)
    return np.array([[p.x, p.y]])


def creek(shape: Polygon, rng: np.random.Generator) -> MultiPolygon:
    """A block cut in two by a 10 m creek across its longer side (one feature, two parts)."""
    x0, y0, x1, y1 = shape.bounds
    if x1 - x0 >= y1 - y0:
        cut = round(x0 + (x1 - x0) * rng.uniform(0.35, 0.45), 1)
        return MultiPolygon([box(x0, y0, cut, y1), box(cut + 10, y0, x1, y1)])
    cut = round(y0 + (y1 - y0) * rng.uniform(0.35, 0.45), 1)
    return MultiPolygon([box(x0, y0, x1, cut), box(x0, cut + 10, x1, y1)])


def to_crs(geom: Any) -> Any:
    """Local metres to EPSG:4545."""
    return shapely.transform(geom, lambda c: c + np.array(ORIGIN))


def district_layers() -> dict[str, Any]:
    """Every layer of the district, as written (GeoDataFrames; the CSV as a DataFrame)."""
    rng = np.random.default_rng(SEED)
    rows = street_rows()
    segs, levels = walkable_segments(rows)
    drawn = land(rng, segs, levels)

    # Blocks: two are cut by a creek (MultiPolygons), one is built but not yet lived in.
    shapes = list(drawn["blocks"])
    order = sorted(range(len(shapes)), key=lambda k: (shapes[k].bounds[1], shapes[k].bounds[0]))
    shapes = [shapes[k] for k in order]
    for k in (17, 96):
        for _ in range(50):
            cut = creek(shapes[k], rng)
            if clear_of_ties(_rep(cut), segs, levels).all():
                shapes[k] = cut
                break
    pop = rng.integers(200, 2400, len(shapes))
    pop[58] = 0  # 新建未入住: finished, nobody lives there yet
    kids = np.round(pop * rng.uniform(0.022, 0.042, len(shapes))).astype(np.int64)
    old = np.round(pop * rng.uniform(0.11, 0.26, len(shapes))).astype(np.int64)
    blocks = gpd.GeoDataFrame({
        "小区编号": [f"QF{k + 1:03d}" for k in range(len(shapes))],
        "小区名称": [f"青枫小区{k + 1}期" if k % 7 else f"枫林苑{k // 7 + 1}区"
                     for k in range(len(shapes))],
        "常住人口": pop, "3-6岁": kids, "60岁以上": old,
    }, geometry=[to_crs(s) for s in shapes], crs=CRS)

    parcels = _parcels(drawn["parcels"], rng)
    existing = pd.DataFrame(_existing_rows(segs, levels),
                            columns=["设施编号", "设施类型", "设施名称", "经度", "纬度", "规模"])
    park = gpd.GeoDataFrame({"设施编号": ["GY-01"], "名称": ["枫杨公园"]},
                            geometry=[to_crs(drawn["park"])], crs=CRS)
    subs = gpd.GeoDataFrame(
        {"街道名称": [s[0] for s in SUBDISTRICTS], "街道代码": [s[1] for s in SUBDISTRICTS]},
        geometry=[to_crs(box(*s[2])) for s in SUBDISTRICTS], crs=CRS,
    )
    streets = gpd.GeoDataFrame(rows, crs=CRS)
    streets["geometry"] = streets.geometry.apply(to_crs)
    return {"blocks": blocks, "parcels": parcels, "existing": existing, "streets": streets,
            "subdistricts": subs, "park": park}


def _parcels(drawn: list[tuple[Any, str]], rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Candidate parcels in WGS 84 with their uses, year and area in 亩 (no m² column)."""
    order = sorted(range(len(drawn)), key=lambda k: (drawn[k][0].bounds[1], drawn[k][0].bounds[0]))
    rows = []
    for n, k in enumerate(order):
        shape, kind = drawn[k]
        if kind == "park":
            uses = "社区公园" if n % 3 else "社区公园、养老服务驿站"
        elif kind == "green":
            uses = "公园绿地"
        else:
            uses = USES[n % len(USES)]
        year = 2026 if n % 4 else int(rng.choice([2027, 2028]))
        rows.append({"地块编号": f"QF-DK-{n + 1:02d}", "允许用途": uses, "可用年份": year,
                     "面积（亩）": round(shape.area / MU_M2, 2), "geometry": to_crs(shape)})
    rows[-3]["可用年份"] = 2029  # frees up after the plan's years
    return gpd.GeoDataFrame(rows, crs=CRS).to_crs(WGS84)


def _existing_rows(segs: np.ndarray, levels: np.ndarray) -> list[list[Any]]:
    """Existing facilities with WGS 84 coordinates rounded to 6 decimals (as exported)."""
    to_ll = Transformer.from_crs(CRS, WGS84, always_xy=True)
    back = Transformer.from_crs(WGS84, CRS, always_xy=True)
    rows = []
    for fid, kind, name, x, y, cap in EXISTING:
        lon, lat = to_ll.transform(ORIGIN[0] + x, ORIGIN[1] + y)
        lon, lat = round(lon, 6), round(lat, 6)
        bx, by = back.transform(lon, lat)
        here = np.array([[bx - ORIGIN[0], by - ORIGIN[1]]])
        if not clear_of_ties(here, segs, levels).all():
            raise RuntimeError(f"existing facility {fid} sits on a tie")
        rows.append([fid, kind, name, f"{lon:.6f}", f"{lat:.6f}", cap])
    return rows


def existing_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV as Excel writes it on a Chinese Windows: GBK, CRLF line ends, no BOM."""
    text = frame.to_csv(index=False, lineterminator="\r\n")
    return text.encode("gbk")


def write(out: Path) -> None:
    """Write every file of the district into ``out``."""
    import pyogrio

    # A fixed time stamp in the GeoPackages, so that a rerun writes the same bytes.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-01-01T00:00:00.000Z"})
    out.mkdir(parents=True, exist_ok=True)
    layers = district_layers()
    for stale in out.glob("居住小区.*"):
        stale.unlink()
    layers["blocks"].to_file(out / "居住小区.shp", encoding="GBK", engine="pyogrio")
    (out / "居住小区.cpg").write_text("GBK", encoding="ascii")
    parcels = out / "候选地块.geojson"
    parcels.unlink(missing_ok=True)
    layers["parcels"].to_file(parcels, driver="GeoJSON", engine="pyogrio")
    (out / "现状设施.csv").write_bytes(existing_csv_bytes(layers["existing"]))
    for name in ("道路中心线.gpkg", "行政边界.gpkg"):
        (out / name).unlink(missing_ok=True)
    layers["streets"].to_file(out / "道路中心线.gpkg", layer="道路中心线", engine="pyogrio")
    layers["subdistricts"].to_file(out / "行政边界.gpkg", layer="街道", engine="pyogrio")
    layers["park"].to_file(out / "行政边界.gpkg", layer="现状公园", engine="pyogrio")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
