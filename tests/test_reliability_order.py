"""The same geography in another form gives the same plan: ties are broken by geometry.

Riverbend's plan (369.05) solved from its files with the streets in reverse
order, every street twice, a zero-length street far away, and the homes and
lots in reverse order: points meet the streets on their nearest edge, with
every equally near edge open, so no row or node order can move the plan
(nearest-vertex snapping had moved it to 317.4).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from siting.data import load_service_data
from siting.multi import MultiService
from siting.multi.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "instances" / "riverbend"
PLAN = 369.05

Frame = gpd.GeoDataFrame


def _reversed(frame: Frame) -> Frame:
    return frame.iloc[::-1].reset_index(drop=True)


def _twice(frame: Frame) -> Frame:
    return gpd.GeoDataFrame(pd.concat([frame, frame.iloc[::-1]], ignore_index=True),
                            crs=frame.crs)


def _a_point_far_away(frame: Frame) -> Frame:
    x0, y0, _, _ = frame.total_bounds
    far = frame.iloc[:1].copy()
    far["geometry"] = [LineString([(x0 - 50_000, y0 - 50_000), (x0 - 50_000, y0 - 50_000)])]
    return gpd.GeoDataFrame(pd.concat([far, frame], ignore_index=True), crs=frame.crs)


def _same(frame: Frame) -> Frame:
    return frame


CHANGES: dict[str, tuple[Callable[[Frame], Frame], Callable[[Frame], Frame]]] = {
    "streets reversed": (_reversed, _same),
    "every street twice": (_twice, _same),
    "a zero-length street far away": (_a_point_far_away, _same),
    "homes and lots reversed": (_same, _reversed),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_same_geography_in_another_form_gives_the_same_plan(
    change: str, tmp_path: Path
) -> None:
    streets_change, rows_change = CHANGES[change]
    data = tmp_path / "riverbend"
    shutil.copytree(DATA, data)
    streets = gpd.read_file(DATA / "town.gpkg", layer="footways")
    streets_change(streets).to_file(data / "streets.gpkg", layer="footways", driver="GPKG")
    homes = gpd.read_file(DATA / "homes.gpkg", layer="households")
    rows_change(homes).to_file(data / "homes2.gpkg", layer="households", driver="GPKG")
    lots = gpd.read_file(DATA / "lots.geojson")
    rows_change(lots).to_file(data / "lots2.geojson", driver="GeoJSON")
    spec_text = (ROOT / "models" / "riverbend.toml").read_text(encoding="utf-8")
    spec_text = (spec_text.replace("../instances/riverbend/town.gpkg:footways",
                                   "riverbend/streets.gpkg:footways")
                 .replace("../instances/riverbend/homes.gpkg", "riverbend/homes2.gpkg")
                 .replace("../instances/riverbend/lots.geojson", "riverbend/lots2.geojson")
                 .replace("../instances/riverbend/", "riverbend/"))
    spec_path = tmp_path / "riverbend.toml"
    spec_path.write_text(spec_text, encoding="utf-8")
    spec = load_spec(spec_path)
    sol = MultiService(spec).solve(load_service_data(spec))
    assert sol.verified
    assert sol.objective == pytest.approx(PLAN, rel=1e-9)
