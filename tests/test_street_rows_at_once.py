"""Row numbers in street messages are taken at once, and are the ones taken row by row.

:meth:`siting.readers.values.Where.rows` numbers many positions at once; the street
diagnostics (the rows of each part of the network, the names of the rows shown) use it.
These tests compare with the former row-by-row code on generated layers and on the 回天
streets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.data.netcheck import SHOWN
from siting.data.streets import _names
from siting.readers.values import Where

HUITIAN = Path(__file__).resolve().parents[1] / "instances" / "huitian" / "huitian.gpkg"


def former_names(frame: pd.DataFrame, rows: set[int], where: Where) -> dict[int, str]:
    """The former ``_names``: every row of the layer, one by one."""
    text = [c for c in frame.columns if c != getattr(frame, "geometry", pd.Series()).name
            and (pd.api.types.is_string_dtype(frame[c].dtype)
                 or pd.api.types.is_object_dtype(frame[c].dtype))]
    if not rows or not text:
        return {}
    column = frame[text[0]]
    out = {}
    for position in range(len(frame)):
        row = where.row(position)
        if row in rows and pd.notna(column.iloc[position]) and str(column.iloc[position]):
            out[row] = str(column.iloc[position])
    return out


@st.composite
def layers(draw: st.DrawFn) -> tuple[pd.DataFrame, set[int], Where]:
    n = draw(st.integers(0, 12))
    names = draw(st.lists(st.one_of(st.none(), st.text(max_size=3)), min_size=n, max_size=n))
    frame = pd.DataFrame({"width": np.arange(n, dtype=float), "名称": names})
    if draw(st.booleans()):  # a CSV: its own line numbers, perhaps out of order
        lines = np.array(draw(st.permutations(range(2, 2 + 2 * n, 2))), dtype=np.int64)
        where = Where("streets.csv", lines=lines)
    else:
        where = Where("streets.gpkg")
    rows = set(draw(st.lists(st.integers(-1, 2 * n + 3), max_size=8)))
    return frame, rows, where


@settings(max_examples=200, deadline=None)
@given(layers())
def test_names_are_the_former_ones(case: tuple[pd.DataFrame, set[int], Where]) -> None:
    frame, rows, where = case
    got = _names(frame, rows, where)
    want = former_names(frame, rows, where)
    assert got == want and list(got) == list(want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=12), st.booleans())
def test_rows_at_once_are_row_by_row(positions: list[int], csv: bool) -> None:
    where = Where("x.csv", lines=np.arange(10, 30, 2)) if csv else Where("x.gpkg")
    assert where.rows(np.array(positions, dtype=np.int64)).tolist() == [
        where.row(k) for k in positions]


@pytest.mark.skipif(not HUITIAN.exists(), reason="the 回天 instance is not here")
def test_the_huitian_diagnostics_are_the_former_ones() -> None:
    import geopandas as gpd

    from siting.data import street_network

    streets = gpd.read_file(HUITIAN, layer="network_edges")
    where = Where(str(HUITIAN))
    net = street_network(streets, length="length_m", where=where)
    diag: Any = net.diagnostics
    info = net.connected_components()
    part = info.labels[net.edge_u]
    want = [[where.row(int(k)) for k in np.unique(net.edge_line[part == label])]
            for label in range(min(info.n_components, len(diag.component_rows)))]
    assert diag.component_rows == want
    assert sum(len(r) for r in want) > 1000
    shown = {r for pair in diag.examples for r in pair[:2]} | {
        r for rs in diag.component_rows for r in rs[:SHOWN]}
    assert diag.names == former_names(streets, shown, where)
