"""How ``python -m benchmarks`` runs things: each case in a subprocess with a cap,
whole commands with their peak memory, the peers' presence and the machine.

>>> run_capped([sys.executable, "-c", "print(2)"], 10).returncode
0
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import instances as bi

PY = sys.executable


def run_capped(cmd: list[str], cap: float) -> subprocess.CompletedProcess[str]:
    r"""``subprocess.run`` in a process group of its own, the whole group killed at
    the cap (raising ``TimeoutExpired``) and after the command ends.

    A peer's solver runs as a grandchild (PuLP starts CBC as a process of its
    own): killing only the child at the cap left CBC running on one of the two
    cores for the rest of the table.

    >>> run_capped([sys.executable, "-c", "print(1)"], 10).stdout
    '1\n'
    """
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=bi.ROOT, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=cap)
        finally:  # at the cap (Popen's exit then reaps it), and whatever the case left
            _kill_group(proc.pid)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has ended
        os.killpg(pid, signal.SIGKILL)


def run_case(spec: dict[str, Any], cap: float) -> dict[str, Any]:
    """Run one case in a subprocess with a wall-clock cap."""
    t0 = time.perf_counter()
    try:
        proc = run_capped([PY, "-m", "benchmarks.run_case", json.dumps(spec)], cap)
    except subprocess.TimeoutExpired:
        return {"status": "did not finish", "total_s": None,
                "note": f"killed at the {cap:g} s cap"}
    wall = time.perf_counter() - t0
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            out["wall_s"] = wall
            return dict(out)
    err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"status": "error", "note": err[:200]}


def run_command(cmd: list[str], cap: float) -> dict[str, Any]:
    """Wall time of a whole command (interpreter start-up included) and its peak RSS."""
    t0 = time.perf_counter()
    try:
        proc = run_capped(["/usr/bin/time", "-f", "PEAKKB %M", *cmd], cap)
    except subprocess.TimeoutExpired:
        return {"status": "did not finish", "note": f"killed at the {cap:g} s cap"}
    wall = time.perf_counter() - t0
    peak = None
    for line in proc.stderr.splitlines():
        if line.startswith("PEAKKB"):
            peak = round(int(line.split()[1]) / 1024, 1)
    out: dict[str, Any] = {"total_s": wall, "peak_rss_mb": peak}
    text = proc.stdout
    if "{" in text:
        try:
            data = json.loads(text[text.index("{"): text.rindex("}") + 1])
            out.update(status=data.get("status"), objective=data.get("objective"),
                       bound=data.get("bound"), gap=data.get("gap"))
        except json.JSONDecodeError:
            out["status"] = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
    else:
        out["status"] = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        if proc.returncode == 0 and text.strip():
            out["objective"] = float(text.strip().splitlines()[-1])
    return out


SPOPT_SCRIPT = """
import sys, pandas as pd, pulp
from scipy.spatial.distance import cdist
from spopt.locate import MCLP
folder, radius, p = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
d = pd.read_csv(folder + "/demand.csv"); s = pd.read_csv(folder + "/sites.csv")
cost = cdist(d[["x", "y"]].to_numpy(), s[["x", "y"]].to_numpy())
m = MCLP.from_cost_matrix(cost, d["weight"].to_numpy(), service_radius=radius, p_facilities=p)
m = m.solve(pulp.PULP_CBC_CMD(msg=False))
print(pulp.value(m.problem.objective))
"""


def have_sklearn() -> bool:
    """Whether scikit-learn (the clustered instances' generator) can be imported."""
    try:
        import sklearn.datasets  # noqa: F401
    except ImportError:
        return False
    return True


def have_spopt() -> bool:
    try:
        import spopt.locate  # noqa: F401
    except Exception:
        return False
    return True


def machine() -> dict[str, str]:
    import highspy
    import numpy
    import scipy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": numpy.__version__,
                "scipy": scipy.__version__}
    try:
        from importlib.metadata import version

        versions["highspy"] = version("highspy")
        versions["pulp"] = version("pulp")
        versions["spopt"] = version("spopt") if have_spopt() else "not installed"
    except Exception:
        pass
    del highspy
    return {"nproc": str(os.cpu_count()), "memory": mem, "cpu": cpu,
            "platform": platform.platform(), **versions}


def compile_siting() -> None:
    """Bytecode for siting's modules, as an installed package has it: under
    PYTHONDONTWRITEBYTECODE an editable install keeps none, and each whole command would
    compile every siting module it imports again (about 0.4 s of CPU a ``siting solve``)."""
    import compileall

    import siting

    compileall.compile_dir(str(Path(siting.__file__).parent), quiet=1)
