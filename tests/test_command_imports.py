"""What a whole ``siting`` command imports: a classic instance pays for no geo library.

A BDS file or a CSV folder without a CRS is solved, described and read with
numpy and scipy.sparse (pandas only for the solution's files, and for a CSV
folder the plain reader leaves to the strict one), never with geopandas,
shapely, pyproj or pyogrio, nor, with few sites open, scipy.spatial; a CSV
folder given a CRS (a geo path) imports the geo libraries, so the probe can
see them. Each command runs in a fresh
process and reports ``sys.modules``: nothing here depends on speed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BDS1000 = ROOT / "instances" / "reference" / "bds" / "BDS1000.txt"
GEO = ("geopandas", "shapely", "pyproj", "pyogrio")
#: Not needed by a straight-line solve that shows no progress.
UNNEEDED = ("rich", "siting.network", "siting.coverage.walking")
#: Loaded only if used (siting.cli.deferred): scipy's array-API layer names them, nothing uses them.
DEFERRED_CODE = ("numpy.f2py.crackfortran", "numpy.testing._private.utils",
                 "numpy.polynomial.polynomial", "numpy._core.defchararray",
                 "numpy.ctypeslib._ctypeslib")
#: Modules of models other than MCLP (siting.models imports a model's module when asked).
OTHER_MODELS = ("siting.models.capacitated", "siting.models.market", "siting.models.median",
                "siting.models.facility", "siting.models.attendance", "siting.models.partial")

PROBE = """
import sys
from siting.cli import main
code = main(sys.argv[1:])
print("EXIT", code)
print("MODULES", " ".join(sorted(sys.modules)))
"""


def imported(args: list[str], cwd: Path) -> set[str]:
    """The modules a ``siting`` command has imported when it ends (it must succeed)."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines()
                 if line.startswith(("EXIT ", "MODULES ")))
    assert lines.get("EXIT") == "0", proc.stdout[-2000:] + proc.stderr[-2000:]
    return set(lines["MODULES"].split())


def geo_of(modules: set[str]) -> list[str]:
    return [name for name in GEO if name in modules]


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "inst"
    folder.mkdir()
    (folder / "demand.csv").write_text(
        "id,x,y,weight\n" + "".join(f"d{k},{100 * k},{50 * (k % 3)},{k + 1}\n" for k in range(8))
    )
    (folder / "sites.csv").write_text("id,x,y\ns1,100,0\ns2,450,50\ns3,650,100\n")
    return folder


@pytest.mark.skipif(not BDS1000.is_file(), reason="instances/reference/bds not present")
def test_bds_solve_imports_no_geo_library(tmp_path: Path) -> None:
    solve = ["solve", str(BDS1000), "--model", "mclp", "--radius", "2", "--p", "10", "--quiet"]
    modules = imported(solve, tmp_path)
    assert geo_of(modules) == []
    assert "scipy.spatial" not in modules  # the grid builds coverage; the verifier measures
    assert geo_of(imported(["info", str(BDS1000)], tmp_path)) == []


@pytest.mark.skipif(not BDS1000.is_file(), reason="instances/reference/bds not present")
def test_quiet_straight_line_solve_imports_no_progress_display_or_street_graphs(
    tmp_path: Path,
) -> None:
    """--json and --quiet show no progress (no rich); straight lines need no street graphs."""
    for flag in ("--json", "--quiet"):
        solve = ["solve", str(BDS1000), "--model", "mclp", "--radius", "2", "--p", "10", flag]
        modules = imported(solve, tmp_path)
        assert [name for name in UNNEEDED if name in modules] == []
        models = sorted(m for m in modules if m.startswith("siting.models."))
        assert "siting.models.covering" in models
        assert [m for m in OTHER_MODELS if m in models] == []  # only the model solved


@pytest.mark.skipif(not BDS1000.is_file(), reason="instances/reference/bds not present")
def test_json_solve_of_a_bds_file_imports_no_pandas(tmp_path: Path) -> None:
    """Read, solve, verify and report from arrays: the coverage frame is made only if read."""
    solve = ["solve", str(BDS1000), "--model", "mclp", "--radius", "2", "--p", "10", "--json"]
    assert "pandas" not in imported(solve, tmp_path)
    summary = [*solve[:-1], "--quiet"], [*solve[:-1]]  # the printed summary and its figures
    assert all("pandas" not in imported(args, tmp_path) for args in summary)
    with_out = [*solve, "--out", str(tmp_path / "plan")]
    assert "pandas" in imported(with_out, tmp_path)  # the control: the files need the frame


def test_csv_solve_and_info_import_no_geo_library(csv_folder: Path, tmp_path: Path) -> None:
    solve = ["solve", str(csv_folder), "--model", "mclp", "--radius", "200", "--p", "2",
             "--quiet"]
    assert geo_of(imported(solve, tmp_path)) == []
    assert geo_of(imported(["info", str(csv_folder)], tmp_path)) == []


def test_csv_solve_with_a_crs_imports_the_geo_libraries(csv_folder: Path, tmp_path: Path) -> None:
    """The control: the probe sees geopandas and pyproj when the data are geographic."""
    solve = ["solve", str(csv_folder), "--model", "mclp", "--radius", "200", "--p", "2",
             "--crs", "EPSG:3857", "--quiet"]
    assert geo_of(imported(solve, tmp_path)) == ["geopandas", "shapely", "pyproj"]


def test_json_solve_of_a_plain_csv_folder_imports_no_pandas(csv_folder: Path,
                                                            tmp_path: Path) -> None:
    """A CSV folder of plain cells is read with numpy; its frames are made only for files."""
    solve = ["solve", str(csv_folder), "--model", "mclp", "--radius", "200", "--p", "2",
             "--json"]
    modules = imported(solve, tmp_path)
    assert [name for name in ("pandas", "scipy.spatial") if name in modules] == []
    assert "pandas" in imported([*solve, "--out", str(tmp_path / "plan")], tmp_path)


def test_json_solve_runs_no_unused_numpy_package(csv_folder: Path, tmp_path: Path) -> None:
    """numpy.f2py, numpy.testing, numpy.polynomial, numpy.char and numpy.ctypeslib, which
    scipy.sparse's import touches, are never executed."""
    solve = ["solve", str(csv_folder), "--model", "mclp", "--radius", "200", "--p", "2",
             "--json"]
    modules = imported(solve, tmp_path)
    assert "scipy.sparse" in modules  # the control: the import that touches them happened
    assert [name for name in DEFERRED_CODE if name in modules] == []


def test_options_are_converted_without_typers_validators(csv_folder: Path,
                                                         tmp_path: Path) -> None:
    """Text, path, choice and flag options are converted directly (siting.cli.coercion)."""
    solve = ["solve", str(csv_folder), "--model", "mclp", "--radius", "200", "--p", "2",
             "--format", "csv", "--out", str(tmp_path / "plan"), "--json"]
    modules = imported(solve, tmp_path)
    assert "typer" in modules  # the control
    assert "typer._adapters" not in modules


def test_a_deferred_module_is_whole_when_used(tmp_path: Path) -> None:
    """Imported while deferred, a module runs its code on first use, then works as usual."""
    probe = """
import sys
from siting.cli.deferred import deferred_imports
with deferred_imports():
    import numpy.testing as testing
    import scipy.sparse
print("LAZY", type(sys.modules["numpy.testing"]).__name__, "numpy.f2py.f2py2e" in sys.modules)
testing.assert_array_equal(scipy.sparse.eye(2).toarray(), [[1, 0], [0, 1]])
from numpy.f2py import f2py2e
print("USED", type(sys.modules["numpy.testing"]).__name__, f2py2e.__name__)
"""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:2] == ["LAZY _LazyModule False",
                                           "USED module numpy.f2py.f2py2e"]


def test_a_command_makes_only_its_own_options(csv_folder: Path, tmp_path: Path) -> None:
    """typer makes the click command of the command run, not of all six."""
    probe = """
import sys
import typer.main
from siting.cli import main
made = []
original = typer.main.get_command_from_info
def spy(*args, **kwargs):
    info = args[0] if args else kwargs["command_info"]
    made.append(info.callback.__name__)
    return original(*args, **kwargs)
typer.main.get_command_from_info = spy
print("EXIT", main(sys.argv[1:]))
print("MADE", " ".join(made))
"""
    for args, made in ((["info", str(csv_folder)], "info"), (["--version"], ""),
                       (["solve", "--help"], "solve")):
        proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                              text=True, timeout=300, cwd=tmp_path)
        lines = [line for line in proc.stdout.splitlines() if line.startswith(("EXIT", "MADE"))]
        expected_all = "solve check info report verify sweep"
        assert lines == ["EXIT 0", f"MADE {made or expected_all}"], proc.stderr[-2000:]


@pytest.mark.parametrize("name", ["solve", "check", "info", "report", "verify", "sweep"])
def test_a_command_alone_has_the_same_help_and_errors(name: str) -> None:
    """Run alone (siting.cli.program.app_for), a command prints what the whole app prints."""
    from typer.testing import CliRunner

    from siting.cli.program import app, app_for

    for args in ([name, "--help"], [name], [name, "--no-such-option"]):
        alone = CliRunner().invoke(app_for(args), args, prog_name="siting")
        whole = CliRunner().invoke(app, args, prog_name="siting")
        assert app_for(args) is not app
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args


def test_classic_solve_checks_its_parameters_without_pydantic(csv_folder: Path,
                                                              tmp_path: Path) -> None:
    """Plain option values are checked by siting.params' quick checks; pydantic is imported
    only to word a refusal (tests/test_params.py)."""
    solve = ["solve", str(csv_folder), "--model", "mclp", "--radius", "200", "--p", "2",
             "--time-limit", "30", "--threads", "1", "--gap", "1e-4", "--json"]
    modules = imported(solve, tmp_path)
    assert "siting.params" in modules  # the control: the parameters were checked
    assert [name for name in ("pydantic", "pydantic_core") if name in modules] == []


def test_csv_solve_imports_no_reader_of_another_format(csv_folder: Path,
                                                       tmp_path: Path) -> None:
    """The OR-Library, Swain and BDS readers are imported when a file of theirs is read."""
    solve = ["solve", str(csv_folder), "--model", "mclp", "--radius", "200", "--p", "2",
             "--json"]
    modules = imported(solve, tmp_path)
    assert "siting.readers.csvfile" in modules  # the control: the package was imported
    others = ("siting.readers.orlib", "siting.readers.points", "siting.readers.text")
    assert [name for name in others if name in modules] == []


def test_a_street_network_solve_imports_no_kd_tree(tmp_path: Path) -> None:
    """Junctions, the street checks and walking distances use shapely's index and
    scipy.sparse's graphs: a plan on streets (riverbend: a footway layer) loads no
    scipy.spatial."""
    spec = ROOT / "models" / "riverbend.toml"
    modules = imported(["solve", str(spec), "--out", str(tmp_path / "plan"), "--json"], tmp_path)
    assert "siting.data.netcheck" in modules and "siting.network.graph" in modules
    assert "scipy.spatial" not in modules


def test_a_street_network_solve_runs_no_unused_package(tmp_path: Path) -> None:
    """scipy.sparse.csgraph takes LinearOperator from scipy.sparse.linalg; the package's
    solvers and scipy.linalg behind them are loaded only if used, and so is pandas.testing
    (siting.cli.deferred)."""
    spec = ROOT / "models" / "riverbend.toml"
    modules = imported(["solve", str(spec), "--out", str(tmp_path / "plan"), "--json"], tmp_path)
    assert "scipy.sparse.csgraph" in modules and "pandas" in modules  # the control
    assert [name for name in ("scipy.linalg", "scipy.sparse.linalg._isolve", "pandas._testing")
            if name in modules] == []


def test_a_partly_deferred_package_is_whole_when_used(tmp_path: Path) -> None:
    """The listed names are the package's own objects; any other name runs its code."""
    probe = """
import sys
from siting.cli.deferred import deferred_imports
with deferred_imports():
    import scipy.sparse.csgraph
    from scipy.sparse.linalg import LinearOperator
linalg = sys.modules["scipy.sparse.linalg"]
print("PART", type(linalg).__name__, "scipy.linalg" in sys.modules)
import scipy.sparse
x = linalg.spsolve(scipy.sparse.eye(2, format="csc"), [2.0, 4.0])
from scipy.sparse.linalg._interface import LinearOperator as defined
print("WHOLE", type(linalg).__name__, "scipy.linalg" in sys.modules, x.tolist(),
      LinearOperator is defined is linalg.LinearOperator, "spsolve" in linalg.__all__)
"""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:2] == ["PART PartlyLoaded False",
                                           "WHOLE module True [2.0, 4.0] True True"]


def test_a_partly_deferred_package_whose_light_part_moved_is_loaded_whole(
    tmp_path: Path,
) -> None:
    """Another scipy that keeps the listed names elsewhere: the package loads as usual."""
    probe = """
import sys
from siting.cli import deferred
deferred.PARTLY_DEFERRED["scipy.sparse.linalg"] = ("scipy.sparse.linalg._gone", ("LinearOperator",))
with deferred.deferred_imports():
    from scipy.sparse.linalg import LinearOperator
linalg = sys.modules["scipy.sparse.linalg"]
print("LOADED", type(linalg).__name__, "scipy.linalg" in sys.modules, callable(linalg.spsolve))
"""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[0] == "LOADED module True True"


def test_json_spec_solve_says_its_notes_without_rich(tmp_path: Path) -> None:
    """With --json there is no progress display: the loading notes are plain lines on
    stderr, and rich is not imported to print them."""
    spec = ROOT / "models" / "riverbend.toml"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "solve", str(spec), "--out", str(tmp_path / "plan"),
         "--json"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines()
                 if line.startswith(("EXIT ", "MODULES ")))
    assert lines.get("EXIT") == "0", proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "siting: note: " in proc.stderr  # the control: notes were said
    assert [name for name in lines["MODULES"].split() if name.split(".")[0] == "rich"] == []


def test_a_spec_solve_without_a_report_imports_no_page_machinery(tmp_path: Path) -> None:
    """The printed summary needs only the report's number formats and tables:
    jinja2 and the page modules load with ``--report`` alone."""
    spec = ROOT / "models" / "riverbend.toml"
    plain = imported(["solve", str(spec), "--out", str(tmp_path / "plan")], tmp_path)
    assert "siting.report.formats" in plain  # the control: the summary used the package
    pages = ("jinja2", "siting.report.page", "siting.report.plan", "siting.report.svgmap")
    assert [name for name in pages if name in plain] == []
    with_report = imported(["solve", str(spec), "--out", str(tmp_path / "page"), "--report"],
                           tmp_path)
    assert [name for name in pages if name not in with_report] == []


def test_the_report_package_gives_every_public_name_on_first_use() -> None:
    import siting.report as report

    assert all(callable(getattr(report, name)) or name == "PALETTE" for name in report.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        report.nothing  # noqa: B018
