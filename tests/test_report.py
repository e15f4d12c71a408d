"""The HTML report: self-contained, rebuilt from the written files, rendered in Chromium.

The browser test drives headless Chromium over the DevTools protocol
(websocket-client): it loads the page from a file URL with the network
blocked, collects console errors and uncaught exceptions, checks the map and
the tables in the DOM, exercises the map script (service view, zoom, year
filter) and saves a 1280 × 1600 screenshot. Chromium is Debian's; when it is
missing the test tries ``apt-get install chromium`` and skips, saying why,
when that fails.
"""

from __future__ import annotations

import base64
import copy
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from siting.backends.base import SolveOptions
from siting.multi import MultiService, MultiSolution
from siting.multi.spec import parse_spec
from siting.readback_multi import read_solution
from siting.report import Table, report_html, write_report
from tests.helpers import small_data, small_spec, write_csv_folder, write_small_instance

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # DevTools refuses websocket clients whose origin it does not know (HTTP 403).
    "--remote-allow-origins=*",
]


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[MultiSolution, Path]:
    spec, data = parse_spec(small_spec()), small_data()
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1))
    assert sol.verified
    out = tmp_path_factory.mktemp("solution")
    sol.write(out, data)
    return sol, out


def test_report_is_self_contained(solved: tuple[MultiSolution, Path]) -> None:
    sol, _ = solved
    page = report_html(small_data(), sol)
    assert '<svg id="map"' in page and '<table id="targets">' in page
    for table in ("subdistricts", "budget", "baseline", "facilities"):
        assert f'<table id="{table}">' in page
    # nothing fetched from elsewhere: no external script, style, image or font
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page
    assert re.findall(r"url\((?!data:)", page) == []  # only the embedded font, as data:
    # uncovered blocks are drawn and what they miss named (by label) in their hover text
    assert "missing: 养老服务驿站" in page or "missing: 便民服务用房" in page


def test_report_rebuilt_from_files(solved: tuple[MultiSolution, Path]) -> None:
    sol, out = solved
    again, spec, _ = read_solution(out, data=small_data())
    assert spec.meta.name == "small" and again.status == sol.status
    assert list(again.facilities["parcel_id"]) == list(sol.facilities["parcel_id"])
    assert again.targets["met"].tolist() == sol.targets["met"].tolist()
    assert set(again.served) == set(sol.served)
    path = write_report(out, small_data(), again)
    page = path.read_text(encoding="utf-8")
    from siting.report.formats import target_title

    for r in sol.targets.itertuples():
        assert html.escape(target_title(r.target)) in page
    assert page.count('class="chosen"') == len(sol.facilities)



def test_target_table_takes_the_required_value_from_the_spec(
    solved: tuple[MultiSolution, Path],
) -> None:
    """A share changed after the name was written: the name loses its "≥ 60%", the
    required column says the spec's value, and equity requirements are rows too."""
    from siting.report.tables import targets_frame

    sol, _ = solved
    spec = parse_spec(small_spec())
    odd = copy.deepcopy(sol)
    odd.targets.loc[0, "required"] = 0.65  # as solved with share 0.65 under the old name
    spec.equity = parse_spec({**small_spec(), "equity": [
        {"facility": "elderly_station", "by": "subdistrict", "areas": ["东区"],
         "min_facilities": 1},
        {"facility": "elderly_station", "min_ratio_to_area": 0.5},
    ]}).equity
    frame = targets_frame(odd, spec, small_data())
    first = frame.iloc[0]
    assert first["target"] == "elderly within 450 m" and first["required"] == "65.0%"
    assert frame.iloc[1]["required"] == "1 facility"
    presence = frame[frame["target"].str.endswith("in 东区")]
    assert len(presence) == 1 and presence.iloc[0]["as"] == "enforced (equity)"
    assert presence.iloc[0]["met"] == "yes"  # the existing station is in 东区
    ratio = frame[frame["target"].str.contains("area-wide")]
    assert len(ratio) == 1 and ratio.iloc[0]["met"] in ("yes", "no")


def test_page_is_deterministic(solved: tuple[MultiSolution, Path], tmp_path: Path) -> None:
    """Identical inputs give byte-identical pages, also with the environment built anew."""
    from siting.report import environment, static, sweep_report_html

    sol, _ = solved
    first = report_html(small_data(), sol)
    environment.cache_clear()
    static.cache_clear()
    assert report_html(small_data(), sol) == first
    a = write_report(tmp_path / "a", small_data(), sol).read_bytes()
    b = write_report(tmp_path / "b", small_data(), sol).read_bytes()
    assert a == b == first.encode("utf-8")
    table, info = sweep_table(), {"spec": "small", "types": ["service_room", "elderly_station"]}
    assert sweep_report_html(table, info) == sweep_report_html(table.copy(), dict(info))


def test_values_are_escaped_once(solved: tuple[MultiSolution, Path]) -> None:
    sol, _ = solved
    spec = parse_spec(small_spec())
    spec.facility["service_room"].label = "R&D <room>"
    odd = copy.deepcopy(sol)
    odd.explanation = ["budget < cost & 'more'"]
    page = report_html(small_data(), odd, spec, title='plan "A" & <evil>')
    assert "<room>" not in page and "<evil>" not in page and "&amp;amp;" not in page
    assert page.count("R&amp;D &lt;room&gt;") >= 3  # view option, legend, facility hover text
    assert "<title>plan &#34;A&#34; &amp; &lt;evil&gt;</title>" in page
    assert '<ul id="explanation"><li>budget &lt; cost &amp; &#39;more&#39;</li></ul>' in page


def test_tables_keep_ids_classes_and_shading(solved: tuple[MultiSolution, Path]) -> None:
    sol, _ = solved
    page = report_html(small_data(), sol)
    targets = re.search(r'<table id="targets">.*?</table>', page, re.S)
    assert targets is not None
    met = re.findall(r'<td class="(ok|bad)">(yes|no)</td>', targets.group(0))
    assert met and all((c, v) in (("ok", "yes"), ("bad", "no")) for c, v in met)
    assert len(met) == len(sol.targets)
    sub = re.search(r'<table id="subdistricts">.*?</table>', page, re.S)
    assert sub is not None
    shaded = re.findall(r'<td class="num" style="background:#[0-9a-f]{6}33">[\d.]+%</td>',
                        sub.group(0))
    assert len(shaded) == 2 * 2  # two sub-districts × two types
    assert '<td class="num">' in page  # numbers right-aligned


def test_style_and_script_come_from_package_files(solved: tuple[MultiSolution, Path]) -> None:
    """The page inlines static/report.css and static/map.js, found by importlib.resources,
    and the templates read that way render the same page as through the loader."""
    from siting.report import environment, render_page, sweep_report_html

    root = files("siting.report")
    css = root.joinpath("static", "report.css").read_text(encoding="utf-8")
    js = root.joinpath("static", "map.js").read_text(encoding="utf-8")
    assert "</style" not in css and "</script" not in js
    sol, _ = solved
    page = report_html(small_data(), sol)
    assert f"<style>\n{css}</style>" in page and f"<script>\n{js}</script>" in page
    sweep = sweep_report_html(sweep_table(), {"spec": "s", "types": ["service_room"]})
    assert css in sweep and js not in sweep
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", sweep)
    source = root.joinpath("templates", "sweep.html.j2").read_text(encoding="utf-8")
    context = {"title": "t", "font_slot": "", "scenarios": 0, "axes": "", "workers": 1,
               "curve": None, "no_curve": "none", "advice": [], "failed": ["x < y"],
               "pareto": Table("pareto", ["a"], [])}
    assert environment().from_string(source).render(**context) == environment().get_template(
        "sweep.html.j2"
    ).render(**context)
    assert "@font-face" in render_page("sweep.html.j2", **context)


def test_curve_hover_text_names_its_own_scenario() -> None:
    """A solved scenario without a share for one type leaves a gap in that type's line; the
    other points keep their own budget in their hover text, and a type without a column
    does not shift the others' colours."""
    from siting.report import curve_svg, type_colours

    table = sweep_table()
    table.loc[1, "coverage:service_room"] = float("nan")
    svg = str(curve_svg(table, ["park", "service_room", "elderly_station"]))
    titles = re.findall(r'<circle [^>]*fill="(#[0-9a-f]+)"><title>([^<]*)</title>', svg)
    colours = type_colours(["park", "service_room", "elderly_station"])
    assert titles == [
        (colours["service_room"], "service_room: 40.0% at 700万元"),
        (colours["elderly_station"], "elderly_station: 80.0% at 400万元"),
        (colours["elderly_station"], "elderly_station: 86.0% at 700万元"),
    ]


def test_package_data_declares_every_template() -> None:
    """pyproject.toml's package data names every template and static file (else an
    installed package would miss them)."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parent.parent
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["siting.report"]
    package = root / "siting" / "report"
    shipped = [p.relative_to(package).as_posix()
               for folder in ("templates", "static", "fonts")
               for p in (package / folder).iterdir()]
    assert {"templates/plan.html.j2", "templates/sweep.html.j2", "static/map.js",
            "fonts/OFL.txt"} <= set(shipped)
    missing = [f for f in shipped if not any(fnmatch.fnmatch(f, pat) for pat in patterns)]
    assert missing == []
    assert any(d.startswith("jinja2") for d in pyproject["project"]["dependencies"])


def sweep_table() -> pd.DataFrame:
    """Three scenarios of a budget sweep, the first without a solution."""
    return pd.DataFrame(
        {
            "scenario": [0, 1, 2],
            "budget": [1e6, 4e6, 7e6],
            "status": ["infeasible", "optimal", "optimal"],
            "coverage:service_room": [float("nan"), 0.1, 0.4],
            "coverage:elderly_station": [float("nan"), 0.8, 0.86],
            "message": ["the spec's requirements cannot all be met", "", ""],
        }
    )


# ------------------------------------------------------------------ browser
def chromium() -> str:
    """Path of Chromium (Debian's package, installed by ``make browser``).

    Without it the test is skipped, saying why; in CI (``CI=true``) a browser
    test that cannot run fails instead.
    """
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    why = "chromium is not installed: run `make browser` (Debian package `chromium`)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(why)
    pytest.skip(why)


class Page:
    """A minimal DevTools-protocol client for one headless Chromium page."""

    def __init__(self, browser: str, width: int = 1280, height: int = 1600) -> None:
        import websocket  # websocket-client

        self.profile = tempfile.mkdtemp(prefix="siting-chromium-")
        self.proc = subprocess.Popen(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        port = self._port()
        self.ws = websocket.create_connection(
            self._page_ws(port), timeout=30, suppress_origin=True
        )
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        # the report must not need the network: block everything that is not a file
        self.call("Network.setBlockedURLs", urls=["http://*", "https://*", "ws://*", "wss://*"])
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=1, mobile=False,
        )

    def _port(self) -> int:
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                return int(m.group(1))
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError("chromium did not start its DevTools endpoint")

    @staticmethod
    def _page_ws(port: int) -> str:
        import urllib.request

        for _ in range(50):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.1)
        raise RuntimeError("no page target")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            self.events.append(msg)

    def load(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events):
                return
            self.events.append(json.loads(self.ws.recv()))
        raise RuntimeError("the page did not load")

    def js(self, expression: str, *, wait: bool = False) -> Any:
        """The value of ``expression``; with ``wait``, of the promise it returns."""
        res = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=wait
        )
        if "exceptionDetails" in res:
            raise AssertionError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(str(p["exceptionDetails"].get("exception", {}).get("description")
                               or p["exceptionDetails"].get("text")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(str(p["entry"].get("text")) + " " + str(p["entry"].get("url", "")))
        return out

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


FONT_FAMILY = "Siting Noto Sans SC"


def embedded_font_status(page: Page, sample: str = "回天") -> dict[str, Any]:
    """Whether the page's embedded CJK face loaded and draws ``sample`` (after fonts.ready)."""
    family, text = json.dumps(FONT_FAMILY), json.dumps(sample)
    return dict(page.js(
        "document.fonts.ready.then(function(){"
        "  var faces = Array.from(document.fonts).filter(function(f){"
        f"    return f.family.replace(/[\"']/g, '') === {family};}});"
        "  return {faces: faces.map(function(f){return f.status;}),"
        f"    check: document.fonts.check('16px \"' + {family} + '\"', {text}),"
        "    body: getComputedStyle(document.body).fontFamily};})",
        wait=True,
    ))


def system_cjk_fonts() -> list[str]:
    """CJK fonts installed on this machine (fontconfig), to say what the test ran without."""
    if shutil.which("fc-list") is None:
        return []
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.strip()]


def assert_chinese_drawn_with_embedded_font(found: dict[str, Any]) -> None:
    fonts = found["fonts"]
    assert fonts["faces"] == ["loaded"], fonts
    assert fonts["check"] is True, fonts
    assert fonts["body"].startswith(f'"{FONT_FAMILY}"'), fonts
    print(f"system CJK fonts: {system_cjk_fonts() or 'none'}; embedded face: {fonts}")


def check_report_in_browser(html_file: Path, screenshot: Path) -> dict[str, Any]:
    """Open a report in headless Chromium; return what it found (raises on errors)."""
    page = Page(chromium())
    try:
        page.load(html_file.resolve().as_uri())
        found = page.js(
            """({
            map: !!document.querySelector('svg#map'),
            mapWidth: document.querySelector('svg#map').getBoundingClientRect().width,
            blocks: document.querySelectorAll('svg#map circle.block').length,
            chosen: document.querySelectorAll('svg#map .chosen').length,
            targets: document.querySelectorAll('table#targets tbody tr').length,
            subdistricts: document.querySelectorAll('table#subdistricts tbody tr').length,
            budget: document.querySelectorAll('table#budget tbody tr').length,
            baseline: document.querySelectorAll('table#baseline tbody tr').length,
            fill0: document.querySelector('svg#map circle.block').getAttribute('fill')})"""
        )
        found["fonts"] = embedded_font_status(page)
        page.screenshot(screenshot)
        print(f"screenshot: {screenshot}")
        # the map script: a per-service view, zoom and the year filter
        view0 = page.js("document.getElementById('map').getAttribute('viewBox')")
        page.js("document.getElementById('zin').click()")
        found["zoomed"] = page.js("document.getElementById('map').getAttribute('viewBox')") != view0
        found["recoloured"] = page.js(
            """(function(){var v=document.getElementById('view');
            v.value=v.options[v.options.length-1].value; v.dispatchEvent(new Event('change'));
            var d=document.querySelectorAll('svg#map circle.block'), c={};
            d.forEach(function(e){c[e.getAttribute('fill')]=1;});
            return Object.keys(c).length;})()"""
        )
        found["hidden_by_year"] = page.js(
            """(function(){var y=document.getElementById('year'); y.value=y.min;
            y.dispatchEvent(new Event('input'));
            return Array.from(document.querySelectorAll('#chosen .chosen'))
              .filter(function(e){return e.style.display==='none';}).length;})()"""
        )
        found["errors"] = page.errors()
        return dict(found)
    finally:
        page.close()


def test_report_renders_in_chromium(solved: tuple[MultiSolution, Path], tmp_path: Path) -> None:
    sol, _ = solved
    html_file = write_report(tmp_path, small_data(), sol)
    shot = tmp_path / "report.png"
    found = check_report_in_browser(html_file, shot)
    assert found["errors"] == []
    assert_chinese_drawn_with_embedded_font(found)
    assert found["map"] and found["mapWidth"] > 800
    assert found["blocks"] == 50 and found["chosen"] == len(sol.facilities)
    assert found["targets"] == len(sol.targets) == 2
    assert found["subdistricts"] == 2 and found["budget"] >= 2 and found["baseline"] == 2
    assert found["zoomed"] and found["recoloured"] in (1, 2)
    later = int((sol.facilities["year"] > 2026).sum())
    assert found["hidden_by_year"] == later
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def with_findings(sol: MultiSolution) -> MultiSolution:
    """The solution with a warning, a loading note naming a file by its full path, and the
    line a plan that builds nothing gets."""
    from siting.findings import Finding

    odd = copy.deepcopy(sol)
    odd.findings = [Finding("warning", "free-type", "service_room costs nothing <free>")]
    odd.notes = ["small/lots.geojson is in EPSG:4326: reprojected"]
    odd.reasons = [{"kind": "plan", "text": "no new facility: the budget (0) allows none"},
                   *odd.reasons]
    return odd


def test_report_shows_the_data_checks(solved: tuple[MultiSolution, Path]) -> None:
    sol, _ = solved
    page = report_html(small_data(), with_findings(sol))
    assert ('<li class="f-warning" data-code="free-type"><b>warning</b> service_room costs '
            "nothing &lt;free&gt;</li>") in page
    # the data's folder ("small") is left out of the files the notes name
    assert '<b>note</b> lots.geojson is in EPSG:4326: reprojected</li>' in page
    assert '<p class="alert" id="nothing-built">no new facility: the budget (0) allows none' \
        in page
    assert '1 data warning: see <a href="#data-checks">' in page
    plain = report_html(small_data(), sol)
    assert 'id="data-checks"' not in plain and "nothing-built" not in plain


def test_data_checks_render_in_chromium(solved: tuple[MultiSolution, Path],
                                        tmp_path: Path) -> None:
    sol, _ = solved
    html_file = write_report(tmp_path, small_data(), with_findings(sol))
    page = Page(chromium())
    try:
        page.load(html_file.resolve().as_uri())
        found = page.js(
            """({
            items: Array.from(document.querySelectorAll('#data-checks li'))
              .map(function(li){return [li.className, li.textContent];}),
            empty: document.getElementById('nothing-built').textContent,
            red: getComputedStyle(document.querySelector('#data-checks li.f-warning b')).color,
            target: !!document.querySelector(
              document.querySelector('a[href="#data-checks"]').getAttribute('href')),
            shown: document.getElementById('data-checks').getBoundingClientRect().height})"""
        )
        errors = page.errors()
    finally:
        page.close()
    assert errors == []
    assert found["items"] == [["f-warning", "warning service_room costs nothing <free>"],
                              ["f-note", "note lots.geojson is in EPSG:4326: reprojected"]]
    assert found["empty"] == "no new facility: the budget (0) allows none"
    assert found["red"] == "rgb(201, 42, 42)" and found["target"] and found["shown"] > 20


def test_sweep_report_renders_in_chromium(tmp_path: Path) -> None:
    from siting.report import sweep_report_html

    table = sweep_table()
    info = {"spec": "small", "types": ["service_room", "elderly_station"], "workers": 2}
    html_file = tmp_path / "sweep.html"
    html_file.write_text(sweep_report_html(table, info), encoding="utf-8")
    page = Page(chromium())
    try:
        page.load(html_file.resolve().as_uri())
        assert page.js("document.querySelectorAll('svg#curve path').length") >= 2
        assert page.js("document.querySelectorAll('svg#curve path.failed').length") == 1
        assert page.js("document.querySelectorAll('table#pareto tbody tr').length") == 3
        assert page.errors() == []
    finally:
        page.close()


if __name__ == "__main__":  # screenshot of a written report: python -m tests.test_report IN OUT
    import sys

    print(json.dumps(check_report_in_browser(Path(sys.argv[1]), Path(sys.argv[2])), indent=1))


# ------------------------------------------------------------ classic models
def check_classic_in_browser(html_file: Path, screenshot: Path) -> dict[str, Any]:
    """Open a classic model's report in headless Chromium; return what it found."""
    page = Page(chromium(), height=1700)
    try:
        page.load(html_file.resolve().as_uri())
        found = dict(page.js(
            """({
            map: !!document.querySelector('svg#map'),
            demand: document.querySelectorAll('svg#map circle.demand').length,
            chosen: document.querySelectorAll('svg#map g.chosen').length,
            candidates: document.querySelectorAll('svg#map g.candidate').length,
            lines: document.querySelectorAll('svg#map #lines line').length,
            north: !!document.querySelector('svg#map #north'),
            sites: document.querySelectorAll('table#sites tbody tr').length})"""
        ))
        found["fonts"] = embedded_font_status(page, "社区")
        page.screenshot(screenshot)
        print(f"screenshot: {screenshot}")
        found["errors"] = page.errors()
        return found
    finally:
        page.close()


@pytest.mark.parametrize("model", ["p-median", "mclp"])
def test_classic_report_renders_in_chromium(tmp_path: Path, model: str) -> None:
    """A classic model on a CSV folder: map of demand by assignment (lines) or coverage,
    chosen sites, north arrow, the sites table, Chinese ids drawn with the embedded font."""
    from siting.io import load_instance
    from siting.models import MODELS
    from siting.report.classic import write_classic_report

    inst = load_instance(write_csv_folder(tmp_path / "data"), "auto").instance
    params = {"p": 4} if model == "p-median" else {"p": 4, "radius": 800.0}
    sol = MODELS[model](**params).solve(inst, "highs", SolveOptions(threads=1))
    assert sol.verified
    html_file = write_classic_report(tmp_path / "out", inst, sol)
    page = html_file.read_text(encoding="utf-8")
    assert re.findall(r"url\((?!data:)", page) == [] and "社区000" in page
    shot = tmp_path / f"classic-{model}.png"
    found = check_classic_in_browser(html_file, shot)
    assert found["errors"] == []
    assert_chinese_drawn_with_embedded_font(found)
    assert found["map"] and found["north"] and found["demand"] == 120
    assert found["chosen"] == 4 and found["candidates"] == 21 and found["sites"] == 4
    assert found["lines"] == (len(sol.assignment) if model == "p-median" else 0)
    assert shot.stat().st_size > 20_000


def test_map_context_north_arrow_and_type_shapes(
    solved: tuple[MultiSolution, Path], tmp_path: Path
) -> None:
    """Streets and metro stations come from the instance folder where it has them (absent
    otherwise); the map has a north arrow; ten types get ten colours and eight shapes."""
    from siting.report.formats import PALETTE, SHAPES, type_colours, type_shape
    from siting.report.svgmap import load_context, map_svg

    sol, _ = solved
    bare = str(map_svg(small_data(), sol))
    assert 'id="north"' in bare and 'id="streets"' not in bare and 'id="stations"' not in bare
    layers = load_context(str(write_small_instance(tmp_path / "inst")))
    assert layers.streets is not None and layers.stations is not None
    drawn = str(map_svg(small_data(), sol, layers=layers))
    assert drawn.count('class="street"') == 1 and drawn.count('class="station"') == 1
    types = [f"t{k}" for k in range(10)]
    assert len(set(type_colours(types).values())) == 10 == len(set(PALETTE[:10]))
    assert len(set(type_shape(types).values())) == len(SHAPES) == 8


def test_matplotlib_draws_chinese_with_the_package_font(tmp_path: Path) -> None:
    """Even after other code set another family (as the instance's map plots do), a figure
    drawn after use_in_matplotlib() has every glyph of its Chinese text."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from siting.report.fonts import use_in_matplotlib

    use_in_matplotlib()
    plt.rcParams.update({"font.family": "DejaVu Sans"})
    assert use_in_matplotlib() in plt.rcParams["font.family"]
    fig, ax = plt.subplots()
    ax.set_title("回天 25.0亿元 公园 ≥ 85%")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise
        fig.savefig(tmp_path / "t.png")
    plt.close(fig)


def test_report_and_verify_commands_on_a_classic_folder(tmp_path: Path) -> None:
    """`siting solve DIR --out` then `siting report` and `siting verify` on that folder:
    the instance is reloaded from the recorded path, the page renders in Chromium."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    data = write_csv_folder(tmp_path / "data")
    out = tmp_path / "out"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "siting.cli", *args], capture_output=True,
                              text=True, cwd=root, timeout=300)

    solved = cli("solve", str(data), "--model", "p-median", "--p", "4", "--out", str(out),
                 "--quiet")
    assert solved.returncode == 0, solved.stderr
    report = cli("report", str(out))
    assert report.returncode == 0, report.stderr
    assert (out / "report.html").is_file()
    verify = cli("verify", str(out))
    assert verify.returncode == 0 and "verified against p-median" in verify.stdout
    found = check_classic_in_browser(out / "report.html", tmp_path / "cli-classic.png")
    assert found["errors"] == [] and found["chosen"] == 4 and found["demand"] == 120
    assert_chinese_drawn_with_embedded_font(found)
