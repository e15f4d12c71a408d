"""Start-up of the command line: no heavy library on import, help for every command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

import siting
from siting.cli import app, main

HEAVY = ("pandas", "scipy", "geopandas", "highspy", "numpy", "shapely", "pyogrio", "dask")
COMMANDS = ["solve", "check", "info", "report", "verify", "sweep"]


def _imported_after(statement: str) -> list[str]:
    """The heavy top-level packages in sys.modules after ``statement``, in a fresh process."""
    probe = (
        f"{statement}\n"
        "import sys\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return proc.stdout.split()


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert _imported_after("import siting.cli") == []


def test_importing_siting_is_lazy_until_a_name_is_used() -> None:
    assert _imported_after("import siting") == []
    assert "numpy" in _imported_after("from siting import MCLP")


def test_help_imports_no_heavy_library() -> None:
    statement = (
        "import contextlib, io\n"
        "from siting.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['solve', '--help']) == 0"
    )
    assert _imported_after(statement) == []


def test_every_command_is_registered() -> None:
    group = typer.main.get_command(app)
    assert list(group.commands) == COMMANDS  # type: ignore[attr-defined] # `siting --help` order


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f" {command} [OPTIONS]" in out
    assert "Examples:" in out


def test_command_help_as_a_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "siting.cli", "verify", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Re-check a written solution" in proc.stdout


def test_every_public_name_resolves() -> None:
    for name in siting.__all__:
        assert getattr(siting, name) is not None
        assert name in dir(siting)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        siting.nothing_here  # noqa: B018 - the attribute access is the test


def test_a_command_runs_with_fewer_garbage_collections(monkeypatch: pytest.MonkeyPatch) -> None:
    """While a command runs, Python collects its youngest generation every
    COMMAND_GC_THRESHOLD allocations; the thresholds are as before once it returns."""
    import gc

    import siting.cli.program as program
    from siting.cli import COMMAND_GC_THRESHOLD

    seen: list[tuple[int, ...]] = []

    def run(argv: list[str] | None) -> int:
        seen.append(gc.get_threshold())
        return 0

    monkeypatch.setattr(program, "run", run)
    before = gc.get_threshold()
    assert before[0] < COMMAND_GC_THRESHOLD  # the control: Python's default is lower
    assert main(["--version"]) == 0
    assert seen == [(COMMAND_GC_THRESHOLD, *before[1:])]
    assert gc.get_threshold() == before
