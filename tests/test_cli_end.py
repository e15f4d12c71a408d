"""How the ``siting`` program ends (``siting.cli.entry``, ``end_now``): with the command's
code, its output flushed (Python's and the C library's) and the exit handlers run, without
Python's teardown; a thread still running is waited for as usual. Each probe runs in a
fresh process and reports what happened: nothing here depends on speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SWAIN = Path(__file__).resolve().parent.parent / "instances" / "reference" / "swain" / "swain.dat"

#: Runs the program as ``python -m siting.cli`` does, noting the exit handlers and the end.
PROBE = """
import atexit, os, sys
atexit.register(lambda: sys.stderr.write("EXIT HANDLER\\n"))
real_exit = os._exit
def noted(code):
    os.write(2, b"ENDED %d\\n" % code)
    real_exit(code)
os._exit = noted
sys.argv = ["siting", *sys.argv[1:]]
from siting.cli import entry
entry()
"""


def run(probe: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``probe`` in a fresh Python whose C library buffers what it prints into a pipe (as
    without PYTHONUNBUFFERED, which makes it write at once)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                          text=True, timeout=300, env=env)


def test_a_solve_ends_at_once_with_its_output_and_exit_handlers() -> None:
    done = run(PROBE, "solve", str(SWAIN), "--model", "mclp", "--radius", "10", "--p", "3",
               "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "optimal"  # the whole output, flushed
    assert done.stderr.splitlines()[-2:] == ["EXIT HANDLER", "ENDED 0"]


def test_a_refused_option_ends_with_its_code() -> None:
    done = run(PROBE, "solve", str(SWAIN), "--model", "mclp", "--radius", "-1", "--p", "3")
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["siting: error: field '--radius': value -1.0: must be > 0",
                                        "EXIT HANDLER", "ENDED 2"]


def test_what_the_c_library_buffered_is_written() -> None:
    """A solver's log printed by the C library into a pipe is flushed before the end."""
    probe = """
import ctypes, sys
from siting.cli import end_now
ctypes.CDLL(None).printf(b"from C\\n")
print("from Python")
end_now(0)
"""
    done = run(probe)
    assert done.returncode == 0
    assert sorted(done.stdout.splitlines()) == ["from C", "from Python"]


def test_a_thread_still_running_is_waited_for() -> None:
    """Python waits for a thread that is not a daemon: so does the end."""
    probe = """
import threading
from siting.cli import end_now
go = threading.Event()
worker = threading.Thread(target=lambda: (go.wait(), print("WORKER DONE")))
worker.start()
end_now(0)
print("RETURNED", flush=True)
go.set()
"""
    done = run(probe)
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["RETURNED", "WORKER DONE"]
