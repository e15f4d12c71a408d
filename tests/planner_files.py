"""A small district written the way planners' files come (for the data-convention tests).

Blocks in EPSG:4547 (CGCS2000 / 3-degree Gauss-Krüger CM 114E, Wuhan), a
Shapefile in GBK with its .cpg; parcels in WGS 84 GeoJSON with areas in 亩 and
uses joined with 、 and ，; existing facilities in a CSV with lon/lat columns;
sub-district polygons named in 街道名称; streets with a grade column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

CRS = "EPSG:4547"
X0, Y0 = 528_800.0, 3_372_250.0  # about 114.30°E, 30.47°N
MU = 10_000 / 15  # m² in one 亩

TO_LONLAT = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def lonlat(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Local metres (from X0, Y0) → longitude, latitude, rounded as a planner's CSV has them."""
    lon, lat = TO_LONLAT.transform(X0 + np.asarray(x, float), Y0 + np.asarray(y, float))
    return np.round(lon, 6), np.round(lat, 6)


def blocks() -> gpd.GeoDataFrame:
    """Nine 100 m blocks on a 3 × 3 grid, 200 m apart."""
    cells = [(200.0 * i, 200.0 * j) for i in range(3) for j in range(3)]
    return gpd.GeoDataFrame(
        {"小区编号": [f"NH{k + 1:02d}" for k in range(9)],
         "常住人口": [1000 + 100 * k for k in range(9)],
         "3-6岁": [30 + k for k in range(9)]},
        geometry=[shapely.box(X0 + x, Y0 + y, X0 + x + 100, Y0 + y + 100) for x, y in cells],
        crs=CRS,
    )


def parcels() -> gpd.GeoDataFrame:
    """Three parcels between the blocks, in WGS 84, area in 亩, uses with 、 and ，."""
    boxes = [(110.0, 110.0, 60.0, 50.0), (310.0, 110.0, 80.0, 60.0), (110.0, 310.0, 80.0, 80.0)]
    geoms = [shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h) for x, y, w, h in boxes]
    frame = gpd.GeoDataFrame(
        {"地块编号": ["DK-01", "DK-02", "DK-03"],
         "允许用途": ["幼儿园、养老服务驿站", "养老服务驿站，社区卫生服务站", "幼儿园 ; 社区公园"],
         "可用年份": [2026, 2026, 2027]},
        geometry=geoms, crs=CRS,
    )
    frame["面积（亩）"] = (frame.geometry.area / MU).round(2)
    frame["area ha"] = (frame.geometry.area / 1e4).round(4)
    return frame.to_crs("EPSG:4326")


def existing_rows() -> pd.DataFrame:
    lon, lat = lonlat([150.0, 450.0], [250.0, 50.0])
    return pd.DataFrame({"设施编号": ["YEY-01", "WSZ-01"], "设施类型": ["幼儿园", "社区卫生服务站"],
                         "lon": lon, "lat": lat, "规模": [180, ""]})


def subdistricts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"街道名称": ["狮子山街道", "南湖街道"]},
        geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 250, Y0 + 550),
                  shapely.box(X0 + 250, Y0 - 50, X0 + 550, Y0 + 550)],
        crs=CRS,
    )


def streets() -> gpd.GeoDataFrame:
    """A grid of streets at 150 m, noded at every crossing, and an expressway across."""
    lines, grades = [], []
    for k in range(5):
        for a in range(4):
            lines.append(shapely.LineString([(X0 - 50 + 150 * a, Y0 - 50 + 150 * k),
                                             (X0 + 100 + 150 * a, Y0 - 50 + 150 * k)]))
            lines.append(shapely.LineString([(X0 - 50 + 150 * k, Y0 - 50 + 150 * a),
                                             (X0 - 50 + 150 * k, Y0 + 100 + 150 * a)]))
            grades += ["支路", "支路"]
    lines.append(shapely.LineString([(X0 - 50, Y0 + 550), (X0 + 550, Y0 - 50)]))
    grades.append("快速路")
    return gpd.GeoDataFrame({"道路等级": grades}, geometry=lines, crs=CRS)


def write_district(folder: Path) -> Path:
    """Write the district's files into ``folder``; return the folder."""
    blocks().to_file(folder / "居住小区.shp", encoding="GBK")  # writes 居住小区.cpg: GBK
    parcels().to_file(folder / "parcels.geojson", driver="GeoJSON")
    existing_rows().to_csv(folder / "existing.csv", index=False, encoding="gbk")
    subdistricts().to_file(folder / "boundaries.gpkg", layer="街道", driver="GPKG")
    streets().to_file(folder / "streets.gpkg", layer="道路", driver="GPKG")
    return folder


#: The spec's [data] table for the files as held (every convention said).
HELD = {
    "blocks": "居住小区.shp",
    "block_id": "小区编号",
    "parcels": "parcels.geojson",
    "parcel_id": "地块编号",
    "parcel_uses": "允许用途",
    "parcel_area": "面积（亩）",
    "parcel_area_unit": "亩",
    "parcel_year": "可用年份",
    "existing": "existing.csv",
    "existing_id": "设施编号",
    "existing_type": "设施类型",
    "existing_capacity": "规模",
    "subdistricts": "boundaries.gpkg:街道",
    "subdistrict_name": "街道名称",
    "encoding": "GBK",
    "network": "streets.gpkg:道路",
}

FACILITIES = {
    "幼儿园": {"group": "3-6岁", "radius_m": 300, "footprint_m2": 1000, "build_cost": 1e7},
    "养老服务驿站": {"group": "常住人口", "radius_m": 500, "footprint_m2": 300,
                 "build_cost": 2e6},
}


def spec_text(data: dict[str, Any], facilities: dict[str, Any] | None = None) -> str:
    """A spec (TOML) with this [data] table."""
    def value(v: Any) -> str:
        return f'"{v}"' if isinstance(v, str) else repr(v)

    lines = ["[meta]", 'name = "nanhu-test"', "years = [2026, 2027]", "", "[data]"]
    lines += [f"{k} = {value(v)}" for k, v in data.items()]
    for name, keys in (facilities or FACILITIES).items():
        lines += ["", f'[facility."{name}"]', *(f"{k} = {value(v)}" for k, v in keys.items())]
    lines += ["", "[budget]", "total = 20_000_000"]
    return "\n".join(lines) + "\n"
