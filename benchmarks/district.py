"""A district several times 回天's size: copies of the 回天 instance side by side.

The 回天 instance (``instances/huitian/huitian.gpkg``) is laid out ``columns`` ×
``rows`` times, each copy moved by the instance's extent plus :data:`GAP_M`, with its
ids and sub-district names suffixed by the copy (``B00001`` → ``B00001-2``,
``回龙观街道`` → ``回龙观街道·2``; the first copy keeps its names). Streets of
neighbouring copies are joined across the gap: in every band of :data:`SEAM_BAND_M`
across the shared side, the outermost street node of one copy and of the other make a
straight line, and the :data:`SEAMS_PER_SIDE` shortest of them are streets (walking
length :data:`SEAM_DETOUR` × their length; one crossing another is left out): the
copies' outlines are irregular, so some seams are kilometres long, like arterial roads
between towns. The spec is the 2026–2030 plan with its budget,
counts, target quantities and the equity areas' copies scaled by the number of copies;
its time limit and gap are kept.

It tests the multi-service path at a size no shipped instance has (3 × 3 copies: about
36,000 blocks, 4,200 parcels and 80,000 street nodes, 7.6 million residents), on real
street and parcel shapes rather than a grid.

>>> copy_suffix(0), copy_suffix(2)
(('', ''), ('-3', '·3'))
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
HUITIAN_GPKG = ROOT / "instances" / "huitian" / "huitian.gpkg"
HUITIAN_SPEC = ROOT / "models" / "huitian-2026-2030.toml"
#: Metres between neighbouring copies.
GAP_M = 150.0
#: Width of the bands along a shared side in which one seam street is drawn.
SEAM_BAND_M = 250.0
#: Seam streets between two neighbouring copies: the shortest of the bands' lines.
SEAMS_PER_SIDE = 8
#: Walking length of a seam street per metre of straight line.
SEAM_DETOUR = 1.1
#: Layers copied, with their id column (None: no id).
LAYERS = {"blocks": "block_id", "parcels": "parcel_id", "existing": "facility_id",
          "parks": "facility_id", "subdistricts": None, "network_edges": "edge_id"}


def copy_suffix(copy: int) -> tuple[str, str]:
    """What copy ``copy`` (from 0) appends to ids and to sub-district names."""
    return ("", "") if copy == 0 else (f"-{copy + 1}", f"·{copy + 1}")


def _copies(columns: int, rows: int) -> dict[str, Any]:
    import geopandas as gpd

    frames = {name: gpd.read_file(HUITIAN_GPKG, layer=name) for name in LAYERS}
    x0, y0, x1, y1 = frames["subdistricts"].total_bounds
    step_x, step_y = x1 - x0 + GAP_M, y1 - y0 + GAP_M
    edges_per_copy = int(frames["network_edges"]["edge_id"].max()) + 1
    out: dict[str, list[Any]] = {name: [] for name in LAYERS}
    for copy in range(columns * rows):
        dx, dy = (copy % columns) * step_x, (copy // columns) * step_y
        id_tail, name_tail = copy_suffix(copy)
        for name, id_col in LAYERS.items():
            frame = frames[name].copy()
            frame["geometry"] = frame.geometry.translate(dx, dy)
            if id_col == "edge_id":
                frame["edge_id"] = frame["edge_id"] + copy * edges_per_copy
            elif id_col is not None:
                frame[id_col] = frame[id_col] + id_tail
            if "subdistrict" in frame.columns:
                frame["subdistrict"] = frame["subdistrict"] + name_tail
            frame["copy"] = copy
            out[name].append(frame)
    merged = {name: pd.concat(parts, ignore_index=True) for name, parts in out.items()}
    merged["network_edges"] = _with_seams(merged["network_edges"], columns, rows)
    return merged


def _side_nodes(ends: pd.DataFrame, axis: str, outward: int) -> pd.DataFrame:
    """A copy's outermost node in every band across ``axis`` (``outward`` +1: largest)."""
    other = "y" if axis == "x" else "x"
    banded = ends.assign(band=np.floor(ends[other] / SEAM_BAND_M).astype(np.int64),
                         out=ends[axis] * outward)
    return banded.sort_values("out").groupby("band").tail(1).set_index("band")


def _with_seams(edges: Any, columns: int, rows: int) -> Any:
    import geopandas as gpd
    import shapely

    streets = edges.geometry.values
    xy = np.vstack([shapely.get_coordinates(shapely.get_point(streets, k)) for k in (0, -1)])
    ends = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1],
                         "copy": np.tile(edges["copy"].to_numpy(), 2)}).drop_duplicates(["x", "y"])
    lines = []
    for copy in range(columns * rows):
        col, row = copy % columns, copy // columns
        mine = ends[ends["copy"] == copy]
        for d_col, d_row, axis in ((1, 0, "x"), (0, 1, "y")):
            if col + d_col >= columns or row + d_row >= rows:
                continue
            theirs = ends[ends["copy"] == copy + d_col + d_row * columns]
            both = _side_nodes(mine, axis, 1).add_suffix("_a").join(
                _side_nodes(theirs, axis, -1).add_suffix("_b"), how="inner")
            both = both.assign(span=np.hypot(both.x_a - both.x_b, both.y_a - both.y_b))
            lines += [shapely.LineString([(r.x_a, r.y_a), (r.x_b, r.y_b)])
                      for r in both.nsmallest(SEAMS_PER_SIDE, "span").itertuples()]
    seams = np.asarray(lines, dtype=object)
    tree = shapely.STRtree(seams)
    left, right = tree.query(seams, predicate="crosses")
    crossing = np.zeros(seams.size, dtype=bool)
    crossing[np.maximum(left, right)[left != right]] = True
    seams = seams[~crossing]
    next_id = int(edges["edge_id"].max()) + 1
    extra = gpd.GeoDataFrame({
        "edge_id": np.arange(next_id, next_id + seams.size), "u": -1, "v": -1,
        "length_m": np.round(shapely.length(seams) * SEAM_DETOUR + 0.005, 2),
        "kind": "seam", "copy": -1}, geometry=seams, crs=edges.crs)
    return pd.concat([edges, extra], ignore_index=True)


def _spec_text(gpkg: Path, copies: int) -> str:
    text = HUITIAN_SPEC.read_text(encoding="utf-8")
    spec = tomllib.loads(text)
    text = (f"# The 回天 2026–2030 plan on {copies} copies of its instance "
            "(benchmarks/district.py):\n# budgets, counts and target quantities times "
            f"{copies}; the comments below are the original's.\n" + text)
    text = text.replace("../instances/huitian/huitian.gpkg", gpkg.as_posix())
    text = re.sub(r'^name = "huitian-2026-2030"', f'name = "district-{copies}x-2026-2030"',
                  text, flags=re.M)

    def times(match: re.Match[str]) -> str:
        return f"{match.group(1)}{int(match.group(2).replace('_', '')) * copies:_}"

    # Money, counts and target quantities scale with the district; shares and radii do not.
    for key in ("total", "at_least"):
        text = re.sub(rf"^({key} = )([0-9_]+)", times, text, flags=re.M)
    text = re.sub(r'("20[0-9]{2}" = )([0-9_]+)', times, text)
    text = re.sub(r'("total" = )([0-9_]+)', times, text)
    for equity in spec.get("equity", []):
        for area in equity.get("areas", []):
            more = ", ".join(f'"{area}·{k + 1}"' for k in range(1, copies))
            text = text.replace(f'"{area}"', f'"{area}", {more}', 1)
    return text


def write_district(out: Path, columns: int = 2, rows: int = 2) -> Path:
    """Write ``district.gpkg`` and ``district.toml`` into ``out``; return the spec's path."""
    import pyogrio

    out.mkdir(parents=True, exist_ok=True)
    gpkg = out / "district.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    for name, frame in _copies(columns, rows).items():
        pyogrio.write_dataframe(frame.drop(columns="copy"), gpkg, layer=name)
    spec = out / "district.toml"
    spec.write_text(_spec_text(gpkg.resolve(), columns * rows), encoding="utf-8")
    return spec


if __name__ == "__main__":
    import sys

    size = [int(v) for v in (sys.argv[2:4] if len(sys.argv) > 2 else (2, 2))]
    print(write_district(Path(sys.argv[1]), *size))
