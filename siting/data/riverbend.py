"""Riverbend, a small synthetic riverside town: the shipped example of a ``[data]`` table.

Everything here is invented (seeded random numbers on a drawn street plan); it
exists to show and test reading a district that is not 回天, with its own file
and layer names, one layer in GeoJSON (WGS 84) and one in CSV without a CRS:

- ``homes.gpkg:households`` — 24 residential blocks (points, EPSG:25832):
  ``hid``, ``quarter``, ``residents``, ``children_3_6``;
- ``lots.geojson`` — 8 candidate lots (polygons, WGS 84): ``lot``, ``zoning``
  (allowed uses); no area, year or land cost column (their defaults apply);
- ``services.csv`` — existing facilities (``code``, ``kind``, ``name``, ``x``, ``y``;
  no CRS);
- ``town.gpkg`` — ``footways`` (street lines; a river between the two banks with
  one bridge, in the north), ``quarters`` (polygons), ``green`` (the existing
  park's outline).

Run ``python -m siting.data.riverbend instances/riverbend`` to write the files.

>>> layers = riverbend_layers()
>>> sorted(layers), len(layers["households"]), len(layers["lots"])
(['footways', 'green', 'households', 'lots', 'quarters', 'services'], 24, 8)
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CRS = "EPSG:25832"
X0, Y0 = 561_000.0, 5_930_000.0  # an invented spot on the north German plain
SEED = 2031

ROWS = (100.0, 300.0, 500.0, 700.0, 900.0)  # east-west streets (local metres)


def _bank(west: float, middle: float, riverside: float) -> list[list[tuple[float, float]]]:
    """One bank's streets: the riverside promenade and the outer street run the whole
    length with the cross streets ending on their vertices (T-junctions); the middle
    street is cut at every crossing."""
    lines = [[(riverside, 0.0), *[(riverside, y) for y in ROWS], (riverside, 1000.0)]]
    lines += [[(west, y), (middle, y), (riverside, y)] for y in ROWS]
    lines += [[(west, y) for y in ROWS]]
    lines += [[(middle, a), (middle, b)] for a, b in itertools.pairwise(ROWS)]
    return lines


#: Street lines in local metres: both banks, a river between them and one bridge.
_STREETS: list[list[tuple[float, float]]] = [
    *_bank(60.0, 310.0, 560.0),
    *_bank(1240.0, 990.0, 740.0),
    [(560.0, 900.0), (740.0, 900.0)],  # the only bridge, in the north
]
# One street end 0.2 m short of its corner: closer than the tolerance, so still joined.
_STREETS[_STREETS.index([(1240.0, y) for y in ROWS])][0] = (1240.2, 100.0)


def riverbend_layers() -> dict[str, gpd.GeoDataFrame]:
    """Every layer of the town (GeoDataFrames in their file's CRS; services as a table)."""
    rng = np.random.default_rng(SEED)

    def shift(xy: Any) -> Any:
        return np.asarray(xy, dtype=float) + np.array([X0, Y0])

    lines = [shapely.segmentize(shapely.LineString(shift(c)), 50.0) for c in _STREETS]
    path = shapely.MultiLineString(
        [shift([(60, 900), (30, 960)]), shift([(30, 960), (10, 1000)])]
    )  # a footpath in two parts
    footways = gpd.GeoDataFrame(
        {"way": [f"W{k + 1:02d}" for k in range(len(lines) + 1)]},
        geometry=[*lines, path],
        crs=CRS,
    )
    bx = np.repeat([185.0, 435.0, 865.0, 1115.0], 6)
    by = np.tile([200.0, 300.0, 400.0, 600.0, 700.0, 800.0], 4)
    bx, by = bx + rng.uniform(-30, 30, bx.size), by + rng.uniform(-30, 30, by.size)
    residents = rng.integers(80, 420, bx.size)
    quarter = np.where(bx > 650, "Eastbank", np.where(by < 500, "Old Town", "Mill Quarter"))
    households = gpd.GeoDataFrame(
        {
            "hid": [f"{k + 1:03d}" for k in range(bx.size)],
            "quarter": quarter,
            "residents": residents,
            "children_3_6": np.round(residents * rng.uniform(0.03, 0.08, bx.size)).astype(int),
        },
        geometry=gpd.points_from_xy(*shift(np.column_stack([bx, by])).T),
        crs=CRS,
    )
    centres = [(185, 450), (435, 250), (435, 650), (185, 760), (865, 250),
               (865, 650), (1115, 450), (1115, 250)]
    sides = [50, 80, 50, 80, 80, 50, 50, 80]
    zoning = ["kindergarten", "kindergarten;park", "kindergarten", "park",
              "kindergarten;park", "kindergarten", "kindergarten", "park;kindergarten"]
    polys = []
    for (cx, cy), side in zip(centres, sides, strict=True):
        x, y = shift((cx, cy)) + rng.uniform(-10, 10, 2)
        polys.append(shapely.box(x - side / 2, y - side / 2, x + side / 2, y + side / 2))
    lots = gpd.GeoDataFrame(
        {"lot": [f"L{k + 1}" for k in range(len(polys))], "zoning": zoning},
        geometry=polys,
        crs=CRS,
    ).to_crs("EPSG:4326")
    sx, sy = shift([(190.0, 330.0), (1115.0, 800.0), (900.0, 420.0)]).T
    services = pd.DataFrame(
        {
            "code": ["K-01", "P-01", "C-01"],
            "kind": ["kindergarten", "park", "clinic"],
            "name": ["Little Mill kindergarten", "Eastbank green", "Riverside clinic"],
            "x": sx.round(2),
            "y": sy.round(2),
        }
    )
    green = gpd.GeoDataFrame(
        {"code": ["P-01"]},
        geometry=[shapely.box(*shift((1060, 760)), *shift((1170, 840)))],
        crs=CRS,
    )
    quarters = gpd.GeoDataFrame(
        {"quarter": ["Old Town", "Mill Quarter", "Eastbank"]},
        geometry=[
            shapely.box(*shift((0, 0)), *shift((600, 500))),
            shapely.box(*shift((0, 500)), *shift((600, 1000))),
            shapely.box(*shift((700, 0)), *shift((1300, 1000))),
        ],
        crs=CRS,
    )
    return {
        "households": households,
        "lots": lots,
        "services": services,
        "footways": footways,
        "quarters": quarters,
        "green": green,
    }


def write_riverbend(folder: str | Path) -> Path:
    """Write the town's files into ``folder`` (created if missing)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    layers = riverbend_layers()
    for name in ("homes.gpkg", "lots.geojson", "town.gpkg"):
        (out / name).unlink(missing_ok=True)
    layers["households"].to_file(out / "homes.gpkg", layer="households", driver="GPKG")
    layers["lots"].to_file(
        out / "lots.geojson", driver="GeoJSON", COORDINATE_PRECISION=9, WRITE_NAME="NO"
    )
    layers["services"].to_csv(out / "services.csv", index=False, lineterminator="\n")
    for name in ("footways", "quarters", "green"):
        layers[name].to_file(out / "town.gpkg", layer=name, driver="GPKG")
    return out


if __name__ == "__main__":  # pragma: no cover - a command-line entry
    print(write_riverbend(sys.argv[1] if len(sys.argv) > 1 else "instances/riverbend"))
