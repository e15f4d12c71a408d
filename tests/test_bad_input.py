"""Malformed inputs of every kind: one line on stderr naming file, field or row and value.

Each case of the corpus (``tests/badinput/``, plus GeoPackages and multi-service
data built here) is run through the command line in-process (exit code 2, one
line on stderr, no traceback) and through the API (a specific exception class).
A few run through a real ``python -m siting.cli`` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from siting.cli import EXIT_INPUT, main
from siting.errors import CRSError, FormatError, InputError, ParameterError, SpecError
from siting.instance import Instance
from siting.io import load_instance
from siting.models import MODELS
from siting.multi.data import ServiceData
from siting.multi.spec import load_spec
from siting.network import WalkingNetwork
from tests.conftest import REFERENCE

CORPUS = Path(__file__).resolve().parent / "badinput"
ROOT = Path(__file__).resolve().parent.parent
MCLP = ["--model", "mclp", "--radius", "5", "--p", "1"]


@dataclass(frozen=True)
class Case:
    """One malformed input: where it is, how it is solved, what the message must say."""

    path: str
    args: tuple[str, ...] = tuple(MCLP)
    needles: tuple[str, ...] = ()
    exc: type[Exception] = InputError
    #: The file the message must name (default: ``path``).
    names: str | None = None
    api: str = "load"  # load (load_instance), solve (the model on the loaded instance), spec

    def cli_args(self, base: Path) -> list[str]:
        return ["solve", str(base / self.path), *self.args, "--quiet"]


def _c(path: str, *needles: str, args: tuple[str, ...] | list[str] = tuple(MCLP), **kw: Any) -> Any:
    return pytest.param(Case(path, tuple(args), needles, **kw), id=path.replace("/", "-"))


PMED = ("--model", "p-median")
SCP = ("--model", "set-cover", "--format", "orlib-scp")
CAP = ("--model", "cflp", "--format", "orlib-cap")
SWAIN = ("--format", "swain", *MCLP)
BDS = ("--format", "bds", *MCLP)

FILE_CASES = [
    # CSV values: NaN, negative, infinite, text; ids; empty; columns
    _c("csv_nan_weight", "row 2", "'weight'", "'nan'", names="demand.csv"),
    _c("csv_negative_weight", "row 3", "'weight'", "-7.0", names="demand.csv"),
    _c("csv_infinite_weight", "row 2", "'weight'", "inf", names="demand.csv"),
    _c("csv_text_weight", "row 2", "'weight'", "'five'", "not a number", names="demand.csv"),
    _c("csv_negative_cost", "row 3", "'cost'", "-2.0", names="sites.csv"),
    _c("csv_missing_cost", "row 2", "'cost'", "missing value", names="sites.csv"),
    _c("csv_infinite_cost", "row 2", "'cost'", "inf", names="sites.csv"),
    _c(
        "csv_negative_capacity",
        "row 2",
        "'capacity'",
        "-3.0",
        names="sites.csv",
        args=("--model", "cflp"),
    ),
    _c("csv_duplicate_demand_id", "row 4", "'id'", "'a'", "duplicate", names="demand.csv"),
    _c("csv_duplicate_site_id", "row 3", "'id'", "'s1'", "duplicate", names="sites.csv"),
    _c("csv_missing_id", "row 3", "'id'", "missing id", names="demand.csv"),
    _c("csv_empty_demand", "demand is empty", names="demand.csv"),
    _c("csv_empty_sites_file", "empty file", exc=FormatError, names="sites.csv"),
    _c("csv_missing_sites_file", "file not found", names="sites.csv"),
    _c("csv_nan_coordinate", "row 3", "'x'", "'nan'", names="demand.csv"),
    _c("csv_text_coordinate", "row 2", "'x'", "'east'", names="sites.csv"),
    _c("csv_misspelt_column", "'wieght'", "did you mean 'weight'", names="demand.csv"),
    _c("csv_no_coordinates", "'x'", "neither a geometry", names="demand.csv"),
    _c("csv_unclosed_quote.csv", "not a valid CSV", exc=FormatError),
    _c("csv_latin1.csv", "row 2", "'0xe9'", "not UTF-8", exc=FormatError),
    # parameters on a good instance
    _c("csv_ok", "radius'", "0.0", args=("--model", "mclp", "--radius", "0", "--p", "1"),
       exc=ParameterError, api="solve", names=""),
    _c("csv_ok", "radius'", "-5.0", args=("--model", "lscp", "--radius", "-5"),
       exc=ParameterError, api="solve", names=""),
    _c("csv_ok", "radius'", "nan", args=("--model", "mclp", "--radius", "nan", "--p", "1"),
       exc=ParameterError, api="solve", names=""),
    _c("csv_ok", "p'", "3", "exceeds", args=("--model", "mclp", "--radius", "5", "--p", "3"),
       exc=ParameterError, api="solve", names=""),
    _c("csv_ok", "p'", "3", "exceeds", args=("--model", "p-median", "--p", "3"),
       exc=ParameterError, api="solve", names=""),
    _c("csv_ok", "budget'", "-10.0", args=("--model", "mclp", "--radius", "5", "--budget", "-10"),
       exc=ParameterError, api="solve", names=""),
    _c("csv_ok", "'--p'", "'two'", args=("--model", "mclp", "--radius", "5", "--p", "two"),
       exc=ParameterError, api="cli", names=""),
    _c("csv_ok", "'--time-limit'", "-1.0",
       args=("--model", "mclp", "--radius", "5", "--p", "1", "--time-limit", "-1"),
       exc=ParameterError, api="cli", names=""),
    # OR-Library p-median, set covering, warehouse location
    _c("pmed_truncated.txt", "row 4", "truncated", args=PMED,
       exc=FormatError),
    _c("pmed_garbled.txt", "row 3", "'x'", "not an integer", args=PMED, exc=FormatError),
    _c("pmed_negative_cost.txt", "row 2", "'cost'", "-4", args=PMED, exc=FormatError),
    _c("pmed_p_too_big.txt", "'p'", "5", "exceeds", args=PMED, exc=FormatError),
    _c("pmed_node_out_of_range.txt", "row 3", "9", args=PMED, exc=FormatError),
    _c("pmed_disconnected.txt", "'node'", "not connected", args=PMED, exc=FormatError),
    _c("scp_truncated.txt", "row 3", "truncated", args=SCP, exc=FormatError),
    _c("scp_column_out_of_range.txt", "row 3", "'column'", "5", args=SCP, exc=FormatError),
    _c("scp_negative_cost.txt", "row 2", "-1", args=SCP, exc=FormatError),
    _c("cap_truncated.txt", "row 5", "truncated", args=CAP, exc=FormatError),
    _c("cap_negative_demand.txt", "row 4", "'demand'", "-5.0", args=CAP, exc=FormatError),
    _c("cap_garbled.txt", "row 3", "'abc'", args=CAP, exc=FormatError),
    # Swain and BDS
    _c("swain_missing_field.dat", "row 2", "'02, 0, 0,'", args=SWAIN, exc=FormatError),
    _c("swain_duplicate_id.dat", "row 2", "'id'", "duplicate", args=SWAIN, exc=FormatError),
    _c("swain_nan_population.dat", "row 1", "'population'", "'nan'", args=SWAIN, exc=FormatError),
    _c("swain_negative_population.dat", "row 1", "'population'", "-10.0", args=SWAIN,
       exc=FormatError),
    _c("bds_truncated.txt", "row 4", "truncated", args=BDS, exc=FormatError),
    _c("bds_bad_record_type.txt", "row 3", "'type'", "'X'", args=BDS, exc=FormatError),
    _c("bds_negative_cost.txt", "row 2", "'cost'", "-1.0", args=BDS, exc=FormatError),
    # text, binary, empty, missing, garbage
    _c("text_latin1.txt", "row 3", "'0xe9'", "not UTF-8", args=PMED, exc=FormatError),
    _c("text_binary.txt", "row 2", "'0x80'", args=PMED, exc=FormatError),
    _c("text_empty.txt", "empty file", args=PMED, exc=FormatError),
    _c("no_such_file.txt", "file not found", args=PMED),
    _c("gpkg_garbage.gpkg", "not a readable GeoPackage", exc=FormatError),
]

SPEC_CASES = [
    _c("spec_negative_radius.toml", "facility.kindergarten.radius_m: -300 must be > 0"),
    _c("spec_misspelt_key.toml", "facility.kindergarten.radius_n: unknown key",
       "did you mean 'radius_m'"),
    _c("spec_misspelt_section.toml", "budjet: unknown key (did you mean 'budget'?)"),
    _c("spec_text_radius.toml", "facility.kindergarten.radius_m: '300'", "valid number"),
    _c("spec_bool_radius.toml", "facility.kindergarten.radius_m: true", "valid number"),
    _c("spec_nan_radius.toml", "facility.kindergarten.radius_m: nan", "finite"),
    _c("spec_infinite_cost.toml", "facility.kindergarten.build_cost: inf", "finite"),
    _c("spec_negative_budget.toml", "budget.total: -5 must be >= 0"),
    _c("spec_unknown_year.toml", "facility.kindergarten.count: year 2027"),
    _c("spec_unknown_facility.toml", "target[0]: unknown facility 'kindergarden'",
       "did you mean 'kindergarten'"),
    _c("spec_share_above_one.toml", "target[0].share: 1.5 must be <= 1"),
    _c("spec_bad_kind.toml", "target[0].kind: 'coverag' must be one of"),
    _c("spec_missing_name.toml", "meta.name: missing"),
    _c("spec_years_unsorted.toml", "years [2027, 2026] must be increasing"),
    _c("spec_fractional_count.toml", "facility.kindergarten.count.2026: 2.5", "integer"),
    _c("spec_zero_threads.toml", "solver.threads: 0 must be >= 1"),
    _c("spec_not_toml.toml", "not valid TOML"),
    _c("spec_empty.toml", "meta: missing"),
    _c("spec_latin1.toml", "row 2", "'0xe9'", "not UTF-8"),
]


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with warnings.catch_warnings():
        code = main(args)
    return code, capsys.readouterr().err


def _check_line(err: str, needles: tuple[str, ...], names: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("siting: error: "), line
    assert "Traceback" not in line
    if names:
        assert names in line, line
    for needle in needles:
        assert needle in line, (needle, line)


def _api(case: Case, base: Path) -> None:
    path = base / case.path
    if case.path.endswith(".toml"):
        load_spec(path)
        return
    fmt = "auto"
    if "--format" in case.args:
        fmt = case.args[case.args.index("--format") + 1]
    loaded = load_instance(path, fmt)
    if case.api != "solve":
        return
    a = list(case.args)
    name = a[a.index("--model") + 1]
    kw: dict[str, Any] = {}
    for opt, key, kind in (("--radius", "radius", float), ("--p", "p", int),
                           ("--budget", "budget", float)):
        if opt in a:
            kw[key] = kind(a[a.index(opt) + 1])
    if name == "p-median":
        kw.pop("radius", None)
    MODELS[name](**kw).solve(loaded.instance, "highs")


@pytest.mark.parametrize("case", FILE_CASES + SPEC_CASES)
def test_cli_one_line_exit_2(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    args = case.cli_args(CORPUS)
    if case.path.endswith(".toml"):
        args = ["solve", str(CORPUS / case.path), "--quiet"]
    code, err = _run_cli(args, capsys)
    assert code == EXIT_INPUT, err
    _check_line(err, case.needles, case.path if case.names is None else case.names)


@pytest.mark.parametrize("case", FILE_CASES + SPEC_CASES)
def test_api_raises_specific_class(case: Case) -> None:
    if case.api == "cli":
        pytest.skip("a command-line option, not an API parameter")
    exc = SpecError if case.path.endswith(".toml") else case.exc
    with pytest.raises(exc) as info:
        _api(case, CORPUS)
    msg = str(info.value)
    assert "\n" not in msg
    for needle in case.needles:
        if not needle.startswith("'--"):
            assert needle in msg, (needle, msg)


def test_directory_where_a_file_is_expected(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run_cli(
        ["solve", str(CORPUS / "csv_ok"), "--format", "orlib-pmed", "--model", "p-median"], capsys
    )
    assert code == EXIT_INPUT
    _check_line(err, ("is a directory",), "csv_ok")
    with pytest.raises(InputError, match="is a directory"):
        load_instance(CORPUS / "csv_ok", "orlib-pmed")


def test_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading")
    f = tmp_path / "pmed_locked.txt"
    f.write_text("3 2 1\n1 2 4\n2 3 1\n")
    f.chmod(0)
    try:
        code, err = _run_cli(["solve", str(f), "--model", "p-median"], capsys)
        assert code == EXIT_INPUT
        _check_line(err, ("cannot read",), "pmed_locked.txt")
        with pytest.raises(InputError, match="cannot read"):
            load_instance(f)
    finally:
        f.chmod(0o644)


def test_unreadable_spec_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "plan.toml"
    d.mkdir()
    code, err = _run_cli(["solve", str(d), "--quiet"], capsys)
    assert code == EXIT_INPUT
    _check_line(err, ("cannot read",), "plan.toml")
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(d)


# ------------------------------------------------------------------ GeoPackages


def _frames(crs: Any = "EPSG:32650", demand_geoms: Any = None, site_geoms: Any = None,
            weight: tuple[float, float] = (5.0, 7.0)) -> tuple[Any, Any]:
    d = gpd.GeoDataFrame({"id": ["a", "b"], "weight": list(weight)},
                         geometry=demand_geoms or [Point(0, 0), Point(100, 0)], crs=crs)
    s = gpd.GeoDataFrame({"id": ["s1", "s2"], "cost": [1.0, 2.0]},
                         geometry=site_geoms or [Point(10, 0), Point(90, 0)], crs=crs)
    if crs == "EPSG:32650" and demand_geoms is None:  # in Beijing, where the CRS is used
        d.geometry, s.geometry = d.translate(440_000, 4_430_000), s.translate(440_000, 4_430_000)
    return d, s


def _gpkg(path: Path, demand: Any, sites: Any | None) -> Path:
    demand.to_file(path, layer="demand", driver="GPKG")
    if sites is not None:
        sites.to_file(path, layer="sites", driver="GPKG")
    return path


BOWTIE = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])


def _gpkg_cases() -> dict[str, tuple[Any, Any, type[Exception], tuple[str, ...]]]:
    d, s = _frames()
    d_none = d.set_crs(None, allow_override=True)
    _, s_bow = _frames(site_geoms=[BOWTIE, Point(90, 0)])
    _, s_empty = _frames(site_geoms=[Polygon(), Point(90, 0)])
    d_nan, _ = _frames(weight=(np.nan, 3.0))
    d_neg, _ = _frames(weight=(5.0, -3.0))
    return {
        "crs_missing": (d_none, s, CRSError, ("'crs'", "no CRS")),
        "empty_layer": (d.iloc[:0], s, InputError, ("demand is empty",)),
        "invalid_polygon": (d, s_bow, InputError, ("row 1", "'geometry'", "Self-intersection")),
        "empty_polygon": (d, s_empty, InputError, ("row 1", "'geometry'", "'empty'")),
        "nan_weight": (d_nan, s, InputError, ("row 1", "'weight'", "'nan'")),
        "negative_weight": (d_neg, s, InputError, ("row 2", "'weight'", "-3.0")),
        "missing_layer": (d, None, FormatError, ("'layer'", "'sites'")),
    }


GPKG_NAMES = list(_gpkg_cases())


@pytest.fixture(scope="module")
def gpkg_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("badgpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (d, s, _, _) in _gpkg_cases().items():
            _gpkg(base / f"{name}.gpkg", d, s)
    return base


@pytest.mark.parametrize("name", GPKG_NAMES)
def test_gpkg_cases(name: str, gpkg_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, exc, needles = _gpkg_cases()[name]
    path = gpkg_dir / f"{name}.gpkg"
    code, err = _run_cli(["solve", str(path), *MCLP, "--radius", "50", "--quiet"], capsys)
    assert code == EXIT_INPUT, err
    _check_line(err, needles, path.name)
    with pytest.raises(exc) as info:
        load_instance(path)
    assert type(info.value) is exc


def test_geographic_crs_is_reprojected_and_said(tmp_path: Path) -> None:
    """Degrees with a radius in metres: the layers go to their UTM zone, said in the notes."""
    d, s = _frames(
        "EPSG:4326",
        [Point(116.30, 40.0), Point(116.31, 40.0)],
        [Point(116.30, 40.0), Point(116.31, 40.01)],
    )
    path = _gpkg(tmp_path / "degrees.gpkg", d, s)
    proc = subprocess.run(
        [sys.executable, "-m", "siting.cli", "solve", str(path), "--model", "mclp",
         "--radius", "500", "--p", "1", "--json", "--quiet"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert any("UTM" in n and "metres" in n for n in summary["notes"]), summary["notes"]
    # In metres only the site on point a covers it (b's site is 1.1 km north of b); read
    # in degrees, a radius of 500 would cover both (weight 12).
    assert summary["objective"] == pytest.approx(5.0)
    inst = load_instance(path).instance
    assert inst.crs is not None and not inst.crs.is_geographic


def test_layers_in_other_crss_are_reprojected_to_the_demand(tmp_path: Path) -> None:
    d, s = _frames("EPSG:32650", [Point(440_000, 4_430_000), Point(441_000, 4_430_000)],
                   [Point(440_010, 4_430_000), Point(442_000, 4_430_000)])
    path = _gpkg(tmp_path / "mixed.gpkg", d, s.to_crs("EPSG:3857"))
    inst = load_instance(path).instance
    assert str(inst.crs) == "EPSG:32650"
    assert any("EPSG:3857" in n or "Pseudo-Mercator" in n for n in inst.notes), inst.notes
    assert inst.metric.pair_distance(np.array([0]), np.array([0]))[0] == pytest.approx(10, abs=0.01)


# ------------------------------------------------------- multi-service data (API)


def _service_frames(crs: str = "EPSG:32650") -> dict[str, Any]:
    blocks = gpd.GeoDataFrame(
        {"block_id": ["b1", "b2", "b3"], "subdistrict": ["A", "A", "B"],
         "pop_total": [100.0, 200.0, 300.0]},
        geometry=[Point(0, 0), Point(400, 0), Point(800, 0)], crs=crs,
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2"], "area_m2": [5000.0, 5000.0],
         "allowed_uses": ["kindergarten", "kindergarten"], "year_available": [2026, 2026],
         "subdistrict": ["A", "B"]},
        geometry=[Point(50, 0), Point(750, 0)], crs=crs,
    )
    existing = gpd.GeoDataFrame(
        {"facility_id": pd.Series([], dtype=str), "type": pd.Series([], dtype=str),
         "subdistrict": pd.Series([], dtype=str)},
        geometry=[], crs=crs,
    )
    return {"blocks": blocks, "parcels": parcels, "existing": existing}


def _disconnected_network() -> WalkingNetwork:
    # Nodes 0-1-2 along the blocks; node 3 far away with its own edge to node 4.
    x = np.array([0.0, 400.0, 800.0, 5000.0, 5100.0])
    y = np.zeros(5)
    return WalkingNetwork(x, y, [0, 1, 3], [1, 2, 4], [400.0, 400.0, 100.0])


def _multi_cases() -> dict[str, tuple[dict[str, Any], tuple[str, ...]]]:
    geo = _service_frames("EPSG:4326")
    mixed = _service_frames()
    mixed["parcels"] = mixed["parcels"].to_crs("EPSG:3857")
    dup = _service_frames()
    dup["parcels"].loc[1, "parcel_id"] = "p1"
    neg = _service_frames()
    neg["parcels"].loc[1, "area_m2"] = -10.0
    year = _service_frames()
    year["parcels"]["year_available"] = [2026, 2026.5]
    empty = _service_frames()
    empty["blocks"] = empty["blocks"].iloc[:0]
    bad_poly = _service_frames()
    bad_poly["parcels"] = bad_poly["parcels"].set_geometry([BOWTIE, Point(750, 0)])
    island = _service_frames()
    island["blocks"].loc[2, "geometry"] = Point(5050, 0)
    island["network"] = _disconnected_network()
    nocol = _service_frames()
    nocol["parcels"] = nocol["parcels"].drop(columns="year_available")
    return {
        "geographic_crs": (geo, ("'crs'", "EPSG:4326", "geographic")),
        "mixed_crs": (mixed, ("'crs'", "different CRSs")),
        "duplicate_parcel": (dup, ("row 2", "'parcel_id'", "'p1'", "duplicate")),
        "negative_area": (neg, ("row 2", "'area_m2'", "'-10.0'")),
        "fractional_year": (year, ("row 2", "'year_available'", "'2026.5'")),
        "empty_blocks": (empty, ("blocks is empty",)),
        "invalid_parcel": (bad_poly, ("row 1", "'geometry'", "invalid")),
        "block_on_island": (island, ("row 3", "'block_id'", "'b3'", "not connected")),
        "missing_column": (nocol, ("'year_available'", "no column")),
    }


@pytest.mark.parametrize("name", list(_multi_cases()))
def test_multi_service_data_refused(name: str) -> None:
    frames, needles = _multi_cases()[name]
    with pytest.raises(InputError) as info:
        ServiceData(**frames, source="plan.gpkg")
    msg = str(info.value)
    assert msg.startswith("plan.gpkg: ") and "\n" not in msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_connected_network_is_accepted() -> None:
    frames = _service_frames()
    net = _disconnected_network()  # the island holds no block, parcel or facility
    ServiceData(**frames, network=net)
    assert net.unreachable_nodes().tolist() == [3, 4]


# ----------------------------------------------------------- real processes


@pytest.mark.parametrize(
    "path, args, needle",
    [
        ("csv_negative_weight", list(MCLP), "'weight'"),
        ("pmed_garbled.txt", list(PMED), "not an integer"),
        ("spec_misspelt_key.toml", [], "did you mean 'radius_m'"),
    ],
)
def test_subprocess_one_line_no_traceback(path: str, args: list[str], needle: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "siting.cli", "solve", str(CORPUS / path), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == EXIT_INPUT, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0] and "Traceback" not in proc.stderr


def test_corpus_size() -> None:
    """The corpus covers at least 40 malformed inputs."""
    n = len(FILE_CASES) + len(SPEC_CASES) + len(GPKG_NAMES) + len(_multi_cases()) + 3
    assert n >= 40


# ------------------------------------------------------- names that do not exist


def test_a_named_column_that_does_not_exist_is_refused() -> None:
    demand = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 0.0], "weight": [1.0, 2.0]})
    sites = pd.DataFrame({"x": [0.0], "y": [0.0]})
    with pytest.raises(InputError, match=r"field 'cost'.*sites has no column 'cost'"):
        Instance.from_frames(demand, sites, cost="cost")
    with pytest.raises(InputError, match=r"demand has no column 'pop'"):
        Instance.from_frames(demand, sites, weight="pop")
    with pytest.raises(InputError, match=r"weight=None gives every point weight 1"):
        Instance.from_frames(demand.drop(columns="weight"), sites)
    unit = Instance.from_frames(demand.drop(columns="weight"), sites, weight=None)
    assert unit.weight.tolist() == [1.0, 1.0]


def test_an_unknown_solver_is_refused_before_any_work(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run_cli(["solve", str(REFERENCE / "orlib-pmed" / "pmed1.txt"), "--model",
                          "p-median", "--solver", "no-such-solver"], capsys)
    assert code == EXIT_INPUT
    _check_line(err, ("--solver", "'no-such-solver'", "unknown solver"), "")
