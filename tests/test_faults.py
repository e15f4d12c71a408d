"""Faults: Ctrl-C, SIGTERM and limits keep the best solution; files are never half-written.

Every stop comes at a point the test chooses (``tests.helpers.stop_at``: the child
process waits there for the signal), or from a limit whose outcome is the same on any
machine: a solution limit, or a time limit of 1e-9 s.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from siting.backends.base import SolveOptions, Status
from siting.io import load_instance
from siting.models import MODELS
from tests.conftest import REFERENCE
from tests.helpers import small_spec, stop_at, toml_of, write_small_instance

ROOT = Path(__file__).resolve().parent.parent
#: Set covering, 400 rows × 4,000 columns: HiGHS needs over ten seconds to prove
#: optimality and holds an incumbent within the first second of its run.
HARD = REFERENCE / "orlib-scp" / "scpd1.txt"
OLD = '{"status": "optimal", "note": "an earlier, complete solution"}\n'
#: A shell without job control starts background jobs with SIGINT ignored, and
#: children inherit that: Python then installs no Ctrl-C handler at all.
SIGINT_IGNORED = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
needs_ctrl_c = pytest.mark.skipif(
    SIGINT_IGNORED, reason="SIGINT is ignored in this process (a background job), so a "
    "Ctrl-C cannot be delivered or inherited")


def _solve_args(out: Path) -> list[str]:
    return ["solve", str(HARD), "--model", "set-cover", "--out", str(out), "--json"]


def _no_tmp(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if ".tmp-" in p.name or ".new-" in p.name]


#: Ctrl-C and SIGTERM (what job schedulers, systemd and containers send): the same
#: outcome, told apart by the exit code and the line's first words.
STOP_SIGNALS = [
    pytest.param(signal.SIGINT, 130, "siting: interrupted: ", id="ctrl-c"),
    pytest.param(signal.SIGTERM, 143, "siting: interrupted by SIGTERM: ", id="sigterm"),
]


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
@pytest.mark.parametrize(("signum", "code", "said"), STOP_SIGNALS)
def test_a_stop_mid_search_saves_the_incumbent(
    signum: int, code: int, said: str, tmp_path: Path
) -> None:
    """Stopped once HiGHS holds an incumbent (its proof takes minutes): the plan is
    written, feasible with its gap, verified, and one line says so."""
    out = tmp_path / "sol"
    out.mkdir()
    (out / "solution.json").write_text(OLD)
    run = stop_at("incumbent", signum, _solve_args(out))
    assert run.reached, run.stderr
    assert run.returncode == code, run.stderr
    assert "Traceback" not in run.stderr
    [line] = run.lines
    assert line.startswith(said + "the best plan found so far (feasible, gap "), line
    assert line.endswith(f"was written to {out}")
    sol = json.loads((out / "solution.json").read_text())  # complete, parseable
    assert sol["status"] == "feasible"  # never "optimal" when stopped early
    assert sol["gap"] is not None and sol["gap"] > 0
    assert sol["message"] == "interrupted"
    assert sol["verified"] is True and sol["n_selected"] > 0
    assert json.loads(run.stdout)["status"] == "feasible"
    assert {"solution.json", "selected.csv", "coverage.csv", "timing.json"} <= {
        p.name for p in out.iterdir()
    }
    _no_tmp(out)


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
@pytest.mark.parametrize(("signum", "code", "said"), STOP_SIGNALS)
@pytest.mark.parametrize(("point", "told"), [
    pytest.param("loading", "nothing was written", id="loading"),  # the instance is read
    pytest.param("search", "no plan was found, so {out} was left as it was",
                 id="search"),  # HiGHS has started, with no incumbent yet
])
def test_a_stop_before_any_plan_keeps_the_old_folder(
    point: str, told: str, signum: int, code: int, said: str, tmp_path: Path
) -> None:
    """Stopped before the solver holds a solution: one line, and the earlier files
    stay as they were."""
    out = tmp_path / "sol"
    out.mkdir()
    (out / "solution.json").write_text(OLD)
    run = stop_at(point, signum, _solve_args(out))
    assert run.reached, run.stderr
    assert run.returncode == code, run.stderr
    assert "Traceback" not in run.stderr
    assert run.lines == [said + told.format(out=out)]
    if point == "search":  # the solve's answer is printed, and not written
        assert json.loads(run.stdout)["status"] == "no_solution"
    assert (out / "solution.json").read_text() == OLD
    assert [p.name for p in out.iterdir()] == ["solution.json"]


def test_sigterm_stops_a_sweep_and_keeps_the_old_folder(tmp_path: Path) -> None:
    """SIGTERM once the sweep's first scenario is back: the workers are shut down, the
    earlier folder is kept (the table is written only at the end), one line, 143."""
    inst = write_small_instance(tmp_path / "inst")
    spec_file = tmp_path / "s.toml"
    spec_file.write_text(toml_of(small_spec(str(inst))), encoding="utf-8")
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "pareto.csv").write_text("old\n")
    (out / "sweep.json").write_text("{}\n")  # an earlier sweep's folder, as siting writes it
    run = stop_at("scenario", signal.SIGTERM, [
        "sweep", str(spec_file), "--budget", "20:60:3", "--workers", "1", "--out", str(out),
        "--json"])
    assert run.reached, run.stderr
    assert run.returncode == 143, run.stderr
    assert "Traceback" not in run.stderr
    # (Dask may add warnings of its own, about ports in use or semaphores)
    assert [line for line in run.lines if line.startswith("siting: interrupted")] == [
        "siting: interrupted by SIGTERM: the sweep was stopped before its table was "
        f"written, so {out} was left as it was"
    ]
    assert sorted(p.name for p in out.iterdir()) == ["pareto.csv", "sweep.json"]
    assert (out / "pareto.csv").read_text() == "old\n"


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
def test_a_limit_returns_feasible_with_gap() -> None:
    """Stopped by a limit (here HiGHS's solution limit: the first incumbent, the same on
    any machine) with a plan: feasible, its gap, verified; never optimal."""
    inst = load_instance(HARD).instance
    first = SolveOptions(solver_options={"highs": {"mip_max_improving_sols": 1}})
    sol = MODELS["set-cover"]().solve(inst, "highs", first)
    assert sol.status == Status.FEASIBLE
    assert sol.gap is not None and sol.gap > 0 and sol.bound is not None
    assert sol.verified is True


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
def test_a_time_limit_before_any_plan_returns_no_solution() -> None:
    """A time limit no machine can do anything in: no solution, and the message says why."""
    inst = load_instance(HARD).instance
    sol = MODELS["set-cover"]().solve(inst, "highs", SolveOptions(time_limit=1e-9))
    assert sol.status == Status.NO_SOLUTION
    assert "time limit" in sol.message.lower()


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
@needs_ctrl_c
def test_api_ctrl_c_returns_the_incumbent() -> None:
    """In a notebook, Ctrl-C during a HiGHS solve gives back the best solution so far."""
    inst = load_instance(HARD).instance
    seen: list[float | None] = []

    main = threading.main_thread().ident
    assert main is not None

    def interrupt_with_an_incumbent(incumbent: float | None, *_: object) -> None:
        # Ctrl-C once HiGHS's search holds an incumbent (whatever the machine's speed),
        # delivered to the main thread as a terminal delivers it.
        if incumbent is not None and not seen:
            seen.append(incumbent)
            signal.pthread_kill(main, signal.SIGINT)

    options = SolveOptions(progress=interrupt_with_an_incumbent)
    sol = MODELS["set-cover"]().solve(inst, "highs", options)
    assert seen, "HiGHS reported no incumbent before finishing"
    assert sol.status == Status.FEASIBLE, sol.message
    assert sol.message == "interrupted" and sol.gap is not None and sol.gap > 0
    assert sol.verified is True


#: Writes argv[2]'s bytes over argv[1] with write_atomic, stopping at argv[3] (half of the
#: temporary file written, the file complete before its rename, or the target replaced)
#: to say so on stdout and wait there for the test's SIGKILL.
WRITER = textwrap.dedent(
    """
    import os, pathlib, sys, threading
    from siting.outputs import write_atomic
    target, point = sys.argv[1], sys.argv[3]
    new = open(sys.argv[2], "rb").read()

    def stop_here():
        print(point, flush=True)
        threading.Event().wait()

    write_bytes, replace = pathlib.Path.write_bytes, os.replace

    def half_then_stop(path, data):
        write_bytes(path, data[: len(data) // 2])
        stop_here()

    def stop_before(src, dst):
        stop_here()

    if point == "writing":
        pathlib.Path.write_bytes = half_then_stop
    elif point == "renaming":
        os.replace = stop_before
    write_atomic(target, new)
    stop_here()
    """
)


@pytest.mark.parametrize(("point", "kept"), [
    ("writing", "old"), ("renaming", "old"), ("written", "new"),
])
def test_sigkill_mid_write_leaves_old_or_new_file(point: str, kept: str, tmp_path: Path) -> None:
    """Killed while the temporary file is half written, once it is complete but not yet
    renamed, or after the rename: the target is the old file or the new one, whole."""
    old = ("".join(f"{i},old,{i * 3}\n" for i in range(20_000))).encode()
    new = ("".join(f"{i},new,{i * 7}\n" for i in range(20_000))).encode()
    (tmp_path / "new").write_bytes(new)
    target = tmp_path / "out" / "big.csv"
    target.parent.mkdir()
    target.write_bytes(old)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), str(tmp_path / "new"), point],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == point
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == (old if kept == "old" else new)
    # A killed writer may leave its temporary file (never the target) behind.
    left = list(target.parent.glob(".big.tmp-*.csv"))
    assert len(left) == (0 if point == "written" else 1)
    if point == "renaming":
        assert left[0].read_bytes() == new


def test_a_ctrl_c_noted_while_the_package_loads_ends_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A press noted by the package's first handler (before the command's own) is answered
    by main() with one line and code 130, before anything is read."""
    import siting
    from siting.cli import EXIT_INTERRUPTED, main

    monkeypatch.setattr(siting, "_early_interrupts", [True])
    assert main(["solve", "no-such-folder"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == (
        "siting: interrupted while starting: nothing was read or written\n"
    )


def test_a_sigterm_noted_while_the_package_loads_ends_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import siting
    from siting.cli import EXIT_TERMINATED, main

    monkeypatch.setattr(siting, "_early_interrupts", [signal.SIGTERM])
    assert main(["solve", "no-such-folder"]) == EXIT_TERMINATED == 143
    assert capsys.readouterr().err == (
        "siting: interrupted by SIGTERM while starting: nothing was read or written\n"
    )


def test_the_first_stop_signal_decides_the_code() -> None:
    """SIGTERM after Ctrl-C (a scheduler's escalation, or the reverse) keeps the first."""
    from siting.cli import exits

    with exits.stop_signals():
        for signum in (signal.SIGTERM, signal.SIGINT):
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signum)
        assert exits.interrupted_code() == 143
        assert exits.interrupted_message().startswith("siting: interrupted by SIGTERM: ")
    exits.PRESSED.clear()


@needs_ctrl_c
def test_a_library_import_leaves_the_interrupt_handler_alone() -> None:
    code = ("import signal, siting; "
            "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "True", out.stderr


def test_the_command_shows_warnings_but_not_unclosed_files() -> None:
    """A Ctrl-C that lands while a module loads leaves its .pyc open; Python's
    ResourceWarning about it is not for users (other warnings still show, once)."""
    code = textwrap.dedent(
        """
        import warnings
        from siting.cli.program import run
        run(["--help"])
        warnings.warn("unclosed file <_io.BufferedReader name='x.pyc'>", ResourceWarning)
        warnings.warn("a warning for the user")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "unclosed file" not in out.stderr
    assert "siting: warning: a warning for the user" in out.stderr
