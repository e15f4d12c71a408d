"""The ``siting`` program runs OpenBLAS (numpy's and scipy's) on one thread unless
``OPENBLAS_NUM_THREADS`` says otherwise (``siting.cli.entry``): its idle threads spin on
the core the solver needs. Each probe runs a command in a fresh process and reports, from
its exit handler, the variable and the thread count of the OpenBLAS library it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SWAIN = Path(__file__).resolve().parent.parent / "instances" / "reference" / "swain" / "swain.dat"

#: Runs a command as ``python -m siting.cli`` does; its exit handler asks the OpenBLAS
#: library mapped into the process how many threads it runs.
PROBE = """
import atexit, ctypes, json, os, sys

def report():
    maps = open("/proc/self/maps").read().split()
    libs = sorted({path for path in maps if "openblas" in path and ".so" in path})
    threads = None
    for path in libs:
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                     "openblas_get_num_threads"):
            if hasattr(lib, name):
                threads = getattr(lib, name)()
                break
    sys.stderr.write("BLAS " + json.dumps({"variable": os.environ.get("OPENBLAS_NUM_THREADS"),
                                            "threads": threads, "libs": libs}) + "\\n")

atexit.register(report)
sys.argv = ["siting", *sys.argv[1:]]
from siting.cli import entry
entry()
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/maps").exists(),
                                reason="reads the libraries mapped from /proc/self/maps")


def blas_of(env: dict[str, str]) -> dict[str, object]:
    """What the probe's exit handler saw after a small solve run with ``env``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "solve", str(SWAIN), "--model", "mclp", "--radius", "10",
         "--p", "3", "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "optimal"
    line = next(x for x in done.stderr.splitlines() if x.startswith("BLAS "))
    found: dict[str, object] = json.loads(line.removeprefix("BLAS "))
    return found


def test_the_command_runs_openblas_on_one_thread() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    found = blas_of(env)
    assert found["variable"] == "1"
    assert found["libs"], "numpy's OpenBLAS was not loaded"
    assert found["threads"] == 1


def test_a_number_the_user_set_is_kept() -> None:
    found = blas_of({**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert found["variable"] == "2"
    # OpenBLAS runs no more threads than the processors it may use
    assert found["threads"] == min(2, len(os.sched_getaffinity(0)))
