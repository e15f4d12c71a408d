"""How fast the host is right now: three fixed workloads timed in a fresh process.

The host's speed drifts within a day (the same command of the same code has taken
25 % longer two hours later), so a table's figures say little about the code unless
the host's speed at the time is known too. ``python -m benchmarks`` runs this probe
before its first case and after its last and writes both into ``results.md``; a
table is compared with another through them, or by paired runs of old and new code.

The workloads do the kinds of work the table's rows do, each the same work on every
run (seeded data; HiGHS on one thread, its iteration count printed with it):

- ``python``: an interpreter loop (the models' Python: heuristics, checks, tables);
- ``numpy``: sorting floats and sparse products over memory larger than the caches;
- ``highs``: dual simplex on a fixed random LP.

``python -m benchmarks.probe`` prints one JSON line of seconds.

>>> sorted(run_workloads(scale=0.01))
['highs', 'highs_iterations', 'numpy', 'python']
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

#: The checkout (``benchmarks`` is imported from there).
ROOT = Path(__file__).resolve().parent.parent


def run_workloads(scale: float = 1.0) -> dict[str, float]:
    """Seconds of each workload in this process (``scale`` shrinks them, for tests)."""
    import highspy

    out: dict[str, float] = {}
    t = time.perf_counter()
    total = 0
    for k in range(int(3_000_000 * scale)):
        total += k ^ (k >> 3)
    out["python"] = time.perf_counter() - t

    rng = np.random.default_rng(0)
    values = rng.random(int(4_000_000 * scale))
    n = max(int(200_000 * scale), 10)
    matrix = _sparse(rng, n, n // 10, 10 * n).tocsr()
    vector = rng.random(n // 10)
    t = time.perf_counter()
    np.sort(values)
    for _ in range(20):
        vector = np.asarray(matrix.T @ (matrix @ vector))
        vector /= max(float(np.abs(vector).max()), 1e-300)
    out["numpy"] = time.perf_counter() - t

    rows = max(int(1_200 * scale), 20)
    lp = _sparse(rng, rows, rows, 10 * rows).tocsc()
    h = highspy._core._Highs()  # the plain binding: highspy.Highs() prints a banner
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("presolve", "off")
    cost = rng.random(rows)
    h.passModel(_lp_model(highspy, lp, cost))
    t = time.perf_counter()
    h.run()
    out["highs"] = time.perf_counter() - t
    out["highs_iterations"] = float(h.getInfo().simplex_iteration_count)
    return out


def _sparse(rng: np.random.Generator, rows: int, cols: int, nonzeros: int) -> Any:
    """A seeded random sparse matrix (entries in (0, 1]; repeated positions summed)."""
    import scipy.sparse as sp

    at = (rng.integers(0, rows, nonzeros), rng.integers(0, cols, nonzeros))
    return sp.coo_matrix((1.0 - rng.random(nonzeros), at), shape=(rows, cols))


def _lp_model(highspy: Any, matrix: Any, cost: np.ndarray) -> Any:
    """max ``cost @ x`` with ``matrix @ x <= 1`` and ``0 <= x <= 1``, typed into highspy
    directly, not through siting's loader, so a change to siting never moves the probe."""
    lp = highspy.HighsLp()
    rows, cols = matrix.shape
    lp.num_col_, lp.num_row_ = cols, rows
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = np.zeros(cols), np.ones(cols)
    lp.row_lower_, lp.row_upper_ = np.full(rows, -highspy.kHighsInf), np.ones(rows)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    return lp


def host_probe(runs: int = 3) -> dict[str, float]:
    """The least seconds of each workload over ``runs`` fresh processes (the host's
    speed, not its noise)."""
    best: dict[str, float] = {}
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.probe"], capture_output=True,
                              text=True, timeout=600, check=True, cwd=ROOT)
        for key, value in json.loads(proc.stdout.strip().splitlines()[-1]).items():
            best[key] = min(best.get(key, float("inf")), float(value))
    return best


def probe_line(label: str, probe: dict[str, float]) -> str:
    """``probe`` in one line of ``results.md``.

    >>> probe_line("before", {"python": 0.2, "numpy": 0.36, "highs": 0.34,
    ...                        "highs_iterations": 3051.0})[:52]
    'Host probe before (fresh processes, benchmarks/probe'
    """
    return (f"Host probe {label} (fresh processes, benchmarks/probe.py): "
            f"python {probe['python']:.3f} s, numpy {probe['numpy']:.3f} s, "
            f"HiGHS {probe['highs']:.3f} s ({probe['highs_iterations']:.0f} iterations)")


if __name__ == "__main__":
    print(json.dumps(run_workloads()))
