"""Public facts about the 回天 area and the source tables the generator starts from.

Everything here is either transcribed from the project's fact sheet (sub-district
names, areas, centroids, extents, residents) or an explicitly labelled *estimate*
(the approximate courses of barriers and their crossings). The two source CSVs
(communities, metro stations) live next to the generated instance in
``instances/huitian/sources/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import Transformer

CRS = "EPSG:32650"  # WGS 84 / UTM zone 50N: metric, used for every stored layer
SOURCE_CRS = "EPSG:4326"

_TO_UTM = Transformer.from_crs(SOURCE_CRS, CRS, always_xy=True)


def to_utm(lon: object, lat: object) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project WGS84 lon/lat arrays to EPSG:32650 metres."""
    x, y = _TO_UTM.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


@dataclass(frozen=True)
class Subdistrict:
    """One row of the FACTS table."""

    name: str
    name_en: str
    code: str
    area_km2: float
    centroid: tuple[float, float]
    lon_range: tuple[float, float]
    lat_range: tuple[float, float]
    residents: int
    kind: str  # "town" (镇) or "subdistrict" (街道)


SUBDISTRICTS: tuple[Subdistrict, ...] = (
    Subdistrict("回龙观街道", "Huilongguan", "HLG", 9.27, (116.3143, 40.0684),
                (116.283, 116.357), (40.053, 40.089), 231_000, "subdistrict"),
    Subdistrict("龙泽园街道", "Longzeyuan", "LZY", 6.15, (116.3263, 40.0779),
                (116.302, 116.350), (40.070, 40.088), 126_000, "subdistrict"),
    Subdistrict("史各庄街道", "Shigezhuang", "SGZ", 12.93, (116.2861, 40.0974),
                (116.252, 116.329), (40.079, 40.115), 108_000, "subdistrict"),
    Subdistrict("霍营街道", "Huoying", "HY", 5.92, (116.3605, 40.0787),
                (116.329, 116.382), (40.067, 40.092), 107_000, "subdistrict"),
    Subdistrict("东小口镇", "Dongxiaokou", "DXK", 17.40, (116.3772, 40.0747),
                (116.326, 116.406), (40.041, 40.106), 61_000, "town"),
    Subdistrict("天通苑北街道", "Tiantongyuan North", "TTYN", 4.94, (116.4167, 40.0725),
                (116.393, 116.442), (40.060, 40.083), 180_000, "subdistrict"),
    Subdistrict("天通苑南街道", "Tiantongyuan South", "TTYS", 4.99, (116.4059, 40.0541),
                (116.380, 116.436), (40.035, 40.069), 87_000, "subdistrict"),
)

SUBDISTRICT_BY_NAME: dict[str, Subdistrict] = {s.name: s for s in SUBDISTRICTS}

STATION_NAMES_EN: dict[str, str] = {
    "北苑": "Beiyuan",
    "回龙观": "Huilongguan",
    "回龙观东大街": "Huilongguan Dongdajie",
    "霍营": "Huoying",
    "生命科学园": "Life Science Park",
    "立水桥": "Lishuiqiao",
    "立水桥南": "Lishuiqiao South",
    "龙泽": "Longze",
    "平西府": "Pingxifu",
    "清河营": "Qingheying",
    "天通苑": "Tiantongyuan",
    "天通苑北": "Tiantongyuan North",
    "天通苑东": "Tiantongyuan East",
    "西二旗": "Xi'erqi",
    "西小口": "Xixiaokou",
    "永泰庄": "Yongtaizhuang",
}


@dataclass(frozen=True)
class Barrier:
    """A pedestrian barrier: an *approximate* course (lon, lat vertices)."""

    barrier_id: str
    name: str
    name_en: str
    kind: str
    course: tuple[tuple[float, float], ...]
    # Crossings other than stations, as latitudes (N–S barriers) or as
    # fractions along the course (E–W barriers); see streets.py.
    crossings: tuple[tuple[float, float, str], ...]


# Courses are estimates drawn from the fact sheet's description (G6 and G7 run
# roughly north–south between 回龙观 and 霍营/天通苑; line 13 runs along the south of
# 回龙观 and 霍营 through 龙泽, 回龙观 and 霍营 stations; line 5 follows 立汤路 at
# lon ≈ 116.406). Crossing points are (lon, lat, kind); stations are added too.
BARRIERS: tuple[Barrier, ...] = (
    Barrier(
        "BR-G7", "京新高速 (G7)", "Jingxin Expressway (G7)", "expressway",
        ((116.3085, 40.030), (116.3100, 40.050), (116.3108, 40.064), (116.3112, 40.076),
         (116.3080, 40.092), (116.3020, 40.108), (116.2985, 40.120)),
        ((116.3104, 40.0575, "underpass"), (116.3110, 40.0700, "bridge"),
         (116.3105, 40.0815, "underpass"), (116.3068, 40.0950, "bridge"),
         (116.3028, 40.1060, "underpass")),
    ),
    Barrier(
        "BR-G6", "京藏高速 (G6)", "Jingzang Expressway (G6)", "expressway",
        ((116.3470, 40.030), (116.3520, 40.050), (116.3553, 40.062), (116.3562, 40.072),
         (116.3540, 40.084), (116.3495, 40.098), (116.3440, 40.112), (116.3420, 40.120)),
        ((116.3522, 40.0510, "underpass"), (116.3558, 40.0650, "bridge"),
         (116.3561, 40.0740, "bridge"), (116.3545, 40.0830, "underpass"),
         (116.3508, 40.0950, "bridge"), (116.3455, 40.1085, "underpass")),
    ),
    Barrier(
        "BR-L13", "地铁13号线 (路堤)", "Metro line 13 (embankment)", "rail_embankment",
        ((116.2960, 40.0420), (116.30018, 40.05172), (116.3065, 40.0625),
         (116.31320, 40.06957), (116.32976, 40.06952), (116.3440, 40.0700),
         (116.35390, 40.07048), (116.3660, 40.0690), (116.3800, 40.0650),
         (116.3930, 40.0590), (116.40570, 40.05150), (116.4180, 40.0455),
         (116.42819, 40.04166), (116.4400, 40.0380)),
        ((116.3033, 40.0570, "underpass"), (116.3215, 40.0695, "underpass"),
         (116.3380, 40.0698, "underpass"), (116.3450, 40.0700, "underpass"),
         (116.3730, 40.0671, "underpass"), (116.3865, 40.0620, "underpass"),
         (116.3985, 40.0557, "underpass"), (116.4150, 40.0470, "underpass")),
    ),
    Barrier(
        "BR-L5", "立汤路 / 地铁5号线", "Litang Road / Metro line 5", "arterial_rail",
        ((116.4082, 40.0300), (116.40824, 40.04051), (116.40570, 40.05150),
         (116.4062, 40.0620), (116.40664, 40.07377), (116.40677, 40.08209),
         (116.4069, 40.0950), (116.4070, 40.1060)),
        ((116.4074, 40.0455, "footbridge"), (116.4059, 40.0570, "at_grade"),
         (116.4064, 40.0660, "at_grade"), (116.4065, 40.0700, "footbridge"),
         (116.4067, 40.0780, "at_grade"), (116.4068, 40.0870, "at_grade"),
         (116.4069, 40.0950, "at_grade")),
    ),
)


def default_instance_dir() -> Path:
    """The instance's folder, ``instances/huitian``: the one holding this generator."""
    return Path(__file__).resolve().parents[1]


def source_dir() -> Path:
    """Folder of the source CSVs (communities, metro stations)."""
    return default_instance_dir() / "sources"


def read_communities(folder: Path | None = None) -> pd.DataFrame:
    """The 124 communities, with a stable ``community_id`` and projected x/y.

    Two names occur twice in the source (三合庄村, 龙泽苑社区: separate
    parts), so ``community_id`` — the 1-based row number — is the key.
    """
    path = (folder or source_dir()) / "communities.csv"
    df = pd.read_csv(path, encoding="utf-8")
    df.insert(0, "community_id", [f"C{i + 1:03d}" for i in range(len(df))])
    x, y = to_utm(df["lon"].to_numpy(), df["lat"].to_numpy())
    df["x"] = x
    df["y"] = y
    return df


def read_stations(folder: Path | None = None) -> pd.DataFrame:
    """Metro stations (© OpenStreetMap contributors, ODbL) with projected x/y."""
    path = (folder or source_dir()) / "metro_stations.csv"
    df = pd.read_csv(path, encoding="utf-8", dtype={"lines": str})
    x, y = to_utm(df["lon"].to_numpy(), df["lat"].to_numpy())
    df["x"] = x
    df["y"] = y
    return df
