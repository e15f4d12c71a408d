"""GeoJSON files are geopandas' text, whichever way they are made.

:func:`siting.outputs.geojson_text` writes a frame of points from its coordinates at
once; the text must be that of ``GeoDataFrame.to_json(drop_id=True, ensure_ascii=False)``
after the projection to longitude/latitude, for any columns, missing values and CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.outputs import geojson_text


def geopandas_text(frame: gpd.GeoDataFrame) -> str:
    if frame.crs is not None:
        frame = frame.to_crs(4326)
    return str(frame.to_json(drop_id=True, ensure_ascii=False)) + "\n"


numbers = st.floats(allow_nan=True, allow_infinity=False, width=64)
texts = st.one_of(st.none(), st.text(max_size=4))


@st.composite
def point_frames(draw: st.DrawFn) -> gpd.GeoDataFrame:
    n = draw(st.integers(0, 6))
    x = draw(st.lists(st.floats(-180, 180), min_size=n, max_size=n))
    y = draw(st.lists(st.floats(-80, 80), min_size=n, max_size=n))
    columns = {
        "名称": draw(st.lists(texts, min_size=n, max_size=n)),
        "count": draw(st.lists(st.integers(-5, 10**12), min_size=n, max_size=n)),
        "share": draw(st.lists(numbers, min_size=n, max_size=n)),
        "open": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    }
    keep = draw(st.lists(st.sampled_from(sorted(columns)), unique=True))
    frame = pd.DataFrame({k: columns[k] for k in keep}, index=draw(
        st.sampled_from([pd.RangeIndex(n), pd.Index([f"r{i}" for i in range(n)])])))
    crs = draw(st.sampled_from([None, 4326, 32650]))
    if crs == 32650:
        x = [440_000 + 50 * v for v in x]
        y = [4_430_000 + 50 * v for v in y]
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(x, y), crs=crs)


@settings(max_examples=150, deadline=None)
@given(point_frames())
def test_a_frame_of_points_is_geopandas_text(frame: gpd.GeoDataFrame) -> None:
    assert geojson_text(frame) == geopandas_text(frame)


def test_other_geometries_and_empty_or_3d_points_are_geopandas_own() -> None:
    shapes = [[shapely.Point(1, 2), shapely.Point()], [shapely.Point(1, 2, 3)],
              [shapely.Point(1, 2), shapely.box(0, 0, 1, 1)], [shapely.Point(1, 2), None]]
    for geometry in shapes:
        frame = gpd.GeoDataFrame({"k": np.arange(len(geometry))}, geometry=geometry, crs=4326)
        assert geojson_text(frame) == geopandas_text(frame)
