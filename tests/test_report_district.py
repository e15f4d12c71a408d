"""The report of a plan on the user's own data shows that data: 青枫新城 (instances/qingfeng,
models/qingfeng.toml) has its own street layer, polygon blocks, candidate parcels and loading
notes, and real (not estimated) populations; the stations' names stay above every marker."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from siting.backends.base import SolveOptions
from siting.data import load_service_data
from siting.multi import MultiService, MultiSolution
from siting.multi.data import ServiceData
from siting.multi.decode import estimate_note
from siting.multi.spec import load_spec, parse_spec
from siting.report import report_html, write_report
from siting.report.svgmap import MapLayers, map_layers
from tests.test_report import Page, chromium
from tests.test_sweep import small_data, small_spec

ROOT = Path(__file__).resolve().parent.parent
QINGFENG = ROOT / "models" / "qingfeng.toml"


@pytest.fixture(scope="module")
def district() -> tuple[ServiceData, MultiSolution]:
    spec = load_spec(QINGFENG)
    data = load_service_data(spec)
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1, time_limit=120))
    assert sol.status.has_solution and sol.verified
    return data, sol


def test_the_users_street_layer_is_drawn(district: tuple[ServiceData, MultiSolution]) -> None:
    """No instance folder with a network_edges layer: the streets are those of the spec's
    own street file, as walked (the expressway the spec filters out is not among them)."""
    data, _ = district
    layers = map_layers(data)
    assert layers.streets is not None and len(layers.streets) == data.network.n_edges
    drawn = shapely.union_all(layers.streets.geometry.to_numpy())
    streets = gpd.read_file(ROOT / "instances" / "qingfeng" / "道路中心线.gpkg")
    walkable = streets[streets["道路等级"] != "高速公路"].geometry.union_all()
    # every drawn segment lies on a walkable street of the user's file
    assert drawn.difference(walkable.buffer(0.01)).length < 1e-6
    assert drawn.length > 0.95 * walkable.length


def test_estimates_are_said_only_where_the_data_say_so() -> None:
    """回天's spec says its populations are estimates; 青枫新城's says only that its budget
    is; a spec that estimates nothing gets no caption."""
    assert "populations" in estimate_note(load_spec(ROOT / "models" / "huitian-2026-2030.toml"))
    qingfeng = estimate_note(load_spec(QINGFENG))
    assert qingfeng == "costs and budgets are estimates"
    raw = small_spec()
    raw["budget"]["estimated"] = False
    spec = parse_spec(raw)
    data = small_data()
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1))
    assert 'id="estimates"' not in report_html(data, sol, spec)


def test_station_names_are_drawn_above_the_markers(tmp_path: Path) -> None:
    spec, data = parse_spec(small_spec()), small_data()
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1))
    x, y = data.parcel_xy()[0]
    stations = gpd.GeoDataFrame({"name": ["龙泽"]}, geometry=[shapely.Point(x, y)],
                                crs=data.blocks.crs)
    page = report_html(data, sol, spec, layers=MapLayers(None, stations))
    label = page.index('class="stlabel"')
    assert page.index('id="labels"') < label and page.index('id="chosen"') < label


def test_district_report_in_chromium(
    district: tuple[ServiceData, MultiSolution], tmp_path: Path
) -> None:
    data, sol = district
    html_file = write_report(tmp_path, data, sol)
    shot = tmp_path / "qingfeng.png"
    page = Page(chromium(), height=1500)
    try:
        page.load(html_file.resolve().as_uri())
        found = page.js(
            """(function(){
            var box = function(sel){var r = document.querySelector(sel).getBBox();
              return [r.width, r.height];};
            return {
            streets: document.querySelectorAll('#map #streets path.street').length,
            streetSubpaths: (document.querySelector('#map #streets path.street')
              .getAttribute('d').match(/M/g) || []).length,
            streetBox: box('#map #streets'), blockBox: box('#map #blocks'),
            parcels: document.querySelectorAll('#map #parcels .parcel').length,
            parcelTitle: document.querySelector('#map #parcels .parcel title').textContent,
            polygons: document.querySelectorAll('#map #blocks path.block').length,
            dots: document.querySelectorAll('#map #blocks circle.block').length,
            estimates: document.getElementById('estimates').textContent,
            notes: Array.from(document.querySelectorAll('#data-checks li'))
              .map(function(li){return li.textContent;}),
            legend: document.querySelector('p.keys').textContent};})()"""
        )
        page.js("document.fonts.ready", wait=True)
        page.screenshot(shot)
        print(f"screenshot: {shot}")
        found["recoloured"] = page.js(
            """(function(){var v=document.getElementById('view');
            var before = document.querySelector('#blocks .block').getAttribute('fill');
            v.value=v.options[1].value; v.dispatchEvent(new Event('change'));
            var c={}; document.querySelectorAll('#blocks .block')
              .forEach(function(e){c[e.getAttribute('fill')]=1;});
            return Object.keys(c).length;})()"""
        )
        errors = page.errors()
    finally:
        page.close()
    print(json.dumps({k: v for k, v in found.items() if k != "notes"}, ensure_ascii=False))
    assert errors == []
    # its own streets, along the whole district
    assert found["streets"] == 1 and found["streetSubpaths"] >= 20
    assert found["streetBox"][0] > 0.9 * found["blockBox"][0]
    assert found["streetBox"][1] > 0.9 * found["blockBox"][1]
    # blocks are the Shapefile's polygons (144 小区), parcels every candidate lot
    assert found["polygons"] == len(data.blocks) == 144 and found["dots"] == 0
    assert found["parcels"] == len(data.parcels)
    assert re.match(r"candidate parcel QF-DK-\d+; [\d,]+ m²; uses ", found["parcelTitle"])
    assert "dashed outline: candidate parcel" in found["legend"]
    assert "shapes: residential blocks" in found["legend"]
    # the loading notes: the 亩 conversion, the GBK files, the street rules
    notes = "\n".join(found["notes"])
    assert "面积（亩）" in notes and "666.667" in notes
    assert "street network: 28 lines" in notes
    # real populations are not called estimates
    assert found["estimates"] == "Costs and budgets are estimates."
    assert found["recoloured"] == 2  # one service: within reach or not
    assert shot.stat().st_size > 50_000


def test_classic_report_draws_the_street_layer_and_says_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A classic solve with --network: its report draws the streets walked, lists the loading
    notes and gives distances with their unit."""
    import numpy as np
    import pandas as pd

    from siting.cli import main

    x0, y0 = 440_000.0, 4_430_000.0
    lines = [shapely.LineString([(x0, y0 + v), (x0 + 1000, y0 + v)]) for v in range(0, 1001, 250)]
    lines += [shapely.LineString([(x0 + v, y0), (x0 + v, y0 + 1000)]) for v in range(0, 1001, 250)]
    gpd.GeoDataFrame({"name": [f"r{k}" for k in range(len(lines))]}, geometry=lines,
                     crs="EPSG:32650").to_file(tmp_path / "streets.gpkg", layer="roads")
    rng = np.random.default_rng(3)
    (tmp_path / "data").mkdir()
    pd.DataFrame({"id": [f"d{i}" for i in range(25)], "x": x0 + rng.uniform(0, 1000, 25),
                  "y": y0 + rng.uniform(0, 1000, 25), "weight": 1}).to_csv(
        tmp_path / "data" / "demand.csv", index=False)
    pd.DataFrame({"id": [f"s{i}" for i in range(6)], "x": x0 + rng.uniform(0, 1000, 6),
                  "y": y0 + rng.uniform(0, 1000, 6)}).to_csv(tmp_path / "data" / "sites.csv",
                                                               index=False)
    out = tmp_path / "out"
    code = main(["solve", str(tmp_path / "data"), "--model", "p-median", "--p", "2",
                 "--crs", "EPSG:32650", "--junctions", "crossings", "--network",
                 f"{tmp_path / 'streets.gpkg'}:roads", "--out", str(out), "--report", "-q"])
    capsys.readouterr()
    assert code == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    streets = re.search(r'<g id="streets"><path class="street" d="([^"]+)"', page)
    assert streets is not None and streets.group(1).count("M") >= 2
    assert 'id="loading-notes"' in page
    assert re.search(r"mean distance</[^>]+>\s*<[^>]+>[\d,.]+ m<", page), "no unit"
    assert "mean distance (m)" in page
