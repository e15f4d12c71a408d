"""Faults: Ctrl-C and time limits keep the best solution; files are never half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from siting.backends.base import SolveOptions, Status
from siting.io import load_instance
from siting.models import MODELS
from tests.conftest import REFERENCE

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


def _start(out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "siting.cli", "solve", str(HARD), "--model", "set-cover",
         "--out", str(out), "--json", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _wait_for_imports(proc: subprocess.Popen[str], limit: float = 15.0) -> None:
    """Wait until the child has imported siting (its KD-tree library is mapped)."""
    maps = Path(f"/proc/{proc.pid}/maps")
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        try:
            if "ckdtree" in maps.read_text():
                return
        except OSError:  # no /proc here: fall back on a generous wait
            time.sleep(1.6)
            return
        time.sleep(0.02)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc): progress whatever the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_cpu(proc: subprocess.Popen[str], seconds: float, limit: float = 120.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit and proc.poll() is None:
        try:
            if _cpu_seconds(proc.pid) >= seconds:
                return
        except OSError:  # no /proc here: fall back on a generous wait
            time.sleep(seconds * 2)
            return
        time.sleep(0.02)


def _no_tmp(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if ".tmp-" in p.name or ".new-" in p.name]


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
def test_sigint_mid_solve_saves_the_incumbent(tmp_path: Path) -> None:
    out = tmp_path / "sol"
    out.mkdir()
    (out / "solution.json").write_text(OLD)
    proc = _start(out)
    # About 1.5 s of work reads and builds; HiGHS holds an incumbent within its first second.
    _wait_for_cpu(proc, 4.0)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    [line] = stderr.strip().splitlines()
    assert line.startswith("siting: interrupted: the best plan found so far (feasible, gap ")
    assert line.endswith(f"was written to {out}")
    sol = json.loads((out / "solution.json").read_text())  # complete, parseable
    assert sol["status"] == "feasible"  # never "optimal" when stopped early
    assert sol["gap"] is not None and sol["gap"] > 0
    assert sol["message"] == "interrupted"
    assert sol["verified"] is True and sol["n_selected"] > 0
    assert json.loads(stdout)["status"] == "feasible"
    assert {"solution.json", "selected.csv", "coverage.csv", "timing.json"} <= {
        p.name for p in out.iterdir()
    }
    _no_tmp(out)


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
def test_sigint_while_loading_keeps_the_old_files(tmp_path: Path) -> None:
    """Ctrl-C before the solver holds a solution: the earlier files stay as they were.

    Python needs about a second to import the libraries (a Ctrl-C then is
    Python's own, with its traceback); the signal is sent after that, while the
    instance is read and the model built, or as the solve starts.
    """
    out = tmp_path / "sol"
    out.mkdir()
    (out / "solution.json").write_text(OLD)
    proc = _start(out)
    _wait_for_imports(proc)
    time.sleep(0.6)  # the last lazy imports, then reading the file and building the model
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    text = (out / "solution.json").read_text()
    if text != OLD:  # the solver already had an incumbent: a complete new solution
        assert json.loads(text)["status"] in ("feasible", "optimal")
    _no_tmp(out)


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
@pytest.mark.parametrize("cpu", [0.05, 0.3, 0.8, 1.5, 2.5, 4.0])
def test_ctrl_c_at_any_moment_keeps_a_plan_or_the_old_folder(cpu: float, tmp_path: Path) -> None:
    """Whenever Ctrl-C comes: one line, exit 130, and either a complete verified plan
    or the earlier folder untouched, as the line says."""
    out = tmp_path / "sol"
    out.mkdir()
    (out / "solution.json").write_text(OLD)
    proc = _start(out)
    _wait_for_cpu(proc, cpu)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr
    [line] = stderr.strip().splitlines()
    if proc.returncode == 0:  # finished before the signal arrived
        return
    assert proc.returncode == 130, stderr
    assert line.startswith("siting: interrupted"), line
    text = (out / "solution.json").read_text()
    if "was written to" in line:
        sol = json.loads(text)
        assert sol["status"] == "feasible" and sol["verified"] is True
        assert {"selected.csv", "coverage.csv", "timing.json"} <= {p.name for p in out.iterdir()}
    else:
        assert "left as it was" in line or "nothing was" in line, line
        assert text == OLD
    _no_tmp(out)


@pytest.mark.skipif(not HARD.exists(), reason="instances/reference not present")
def test_time_limit_returns_feasible_with_gap() -> None:
    inst = load_instance(HARD).instance
    sol = MODELS["set-cover"]().solve(inst, "highs", SolveOptions(time_limit=1.5))
    assert sol.status == Status.FEASIBLE
    assert sol.gap is not None and sol.gap > 0 and sol.bound is not None
    assert sol.verified is True


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


WRITER = textwrap.dedent(
    """
    import sys
    from siting.solution import write_atomic
    target, a, b = sys.argv[1], sys.argv[2], sys.argv[3]
    texts = [open(a, "rb").read(), open(b, "rb").read()]
    print("ready", flush=True)
    k = 0
    while True:
        write_atomic(target, texts[k % 2])
        k += 1
    """
)


def test_sigkill_mid_write_leaves_old_or_new_file(tmp_path: Path) -> None:
    a = ("".join(f"{i},old,{i * 3}\n" for i in range(400_000))).encode()
    b = ("".join(f"{i},new,{i * 7}\n" for i in range(400_000))).encode()
    (tmp_path / "a").write_bytes(a)
    (tmp_path / "b").write_bytes(b)
    target = tmp_path / "out" / "big.csv"
    target.parent.mkdir()
    target.write_bytes(a)
    for delay in (0.35, 0.8, 1.3):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target), str(tmp_path / "a"), str(tmp_path / "b")],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        content = target.read_bytes()
        assert content in (a, b), f"half-written target: {len(content)} bytes"
        # A killed writer may leave its temporary file (never the target) behind.
        for left in target.parent.glob(".big.tmp-*.csv"):
            left.unlink()


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
