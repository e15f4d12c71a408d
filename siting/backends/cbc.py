"""CBC back end: the CBC binary shipped with PuLP (or ``cbc`` on the PATH), run on an MPS file.

The model is written by HiGHS's MPS writer (:mod:`siting.backends.mps`), solved as a subprocess and
read back from CBC's solution files. Options honoured: ``time_limit`` (``-sec``,
wall clock), ``mip_gap`` (``-ratioGap``), ``threads``, ``seed`` (non-zero seeds
only: CBC's seed 0 means "seed from the clock"), ``verbose`` (echo the log) and
``warm_start`` (a ``-mips`` start file).

CBC ignores ``OBJSENSE MAX`` in MPS files, so a maximisation is solved as the
minimisation of ``-c``; objective and bound are turned back afterwards. Values
are read from the binary ``-saveSolution`` file, which keeps full precision (the
text solution file has eight digits); the text file gives the status. Ctrl-C
kills CBC and re-raises KeyboardInterrupt.

Known defect of the bundled CBC 2.10.3: its preprocessing occasionally returns
a wrong "optimal" answer on binary models with ranged rows (both sides finite
and different); see ``test_cbc_ranged_row_bug``. Prefer HiGHS for such models.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import (
    Capabilities,
    Capability,
    Result,
    SolveOptions,
    Status,
    register,
    relative_gap,
)
from siting.backends.common import ArrayBackend, _clean_x, _warm_start_values
from siting.backends.mps import write_mps
from siting.milp import MilpArrays

if TYPE_CHECKING:
    pass

NAME = "cbc"
_GRACE_S = 30.0  # past the time limit before the watchdog kills CBC
_FEAS_TOL = 1e-6

_LOWER_BOUND = re.compile(r"^Lower bound:\s+(\S+)", re.MULTILINE)
_RESULT = re.compile(r"^Result - (.*)$", re.MULTILINE)


def cbc_path() -> str | None:
    """Path of the CBC executable: PuLP's bundled binary, else ``cbc`` on the PATH."""
    try:
        from pulp.apis import coin_api

        bundled = os.path.normpath(str(coin_api.pulp_cbc_path))
        if os.path.isfile(bundled) and os.access(bundled, os.X_OK):
            return bundled
    except Exception:  # no PuLP, or a PuLP without a bundled binary
        pass
    return shutil.which("cbc")


class CbcBackend(ArrayBackend):
    """Solve :class:`MilpArrays` with the CBC command-line solver."""

    name = NAME

    def available(self) -> bool:
        return cbc_path() is not None

    def solve_arrays(
        self, milp: MilpArrays, options: SolveOptions, t0: float, **_: Any
    ) -> Result:
        if np.any(milp.row_lower > milp.row_upper) or np.any(milp.col_lower > milp.col_upper):
            return Result(Status.INFEASIBLE, NAME, runtime_s=time.perf_counter() - t0,
                          message="a lower bound exceeds its upper bound")
        exe = cbc_path()
        if exe is None:
            return Result(Status.ERROR, NAME, message="CBC executable not found")
        with tempfile.TemporaryDirectory(prefix="siting-cbc-") as tmp:
            result = _run(exe, milp, options, Path(tmp))
        if _start_lost(milp, options, result):
            # CBC's clean-up after a search begun from a MIP start can report an
            # infeasible point, or one worse than the start, as optimal: solve again
            # without the start.
            with tempfile.TemporaryDirectory(prefix="siting-cbc-") as tmp:
                result = _run(exe, milp, replace(options, warm_start=None), Path(tmp))
            result.extra["warm_start_dropped"] = True
        result.runtime_s = time.perf_counter() - t0
        return result


def _start_lost(milp: MilpArrays, options: SolveOptions, result: Result) -> bool:
    """Whether CBC ended on an infeasible point or below its feasible MIP start."""
    start = _warm_start_values(milp, options)
    if start is None or result.x is None or result.objective is None:
        return False
    if milp.max_violation(result.x) > _FEAS_TOL:
        return True
    if milp.max_violation(start) > _FEAS_TOL:
        return False
    better = 1.0 if milp.sense == "max" else -1.0
    given = milp.objective_of(start)
    return better * (given - result.objective) > 1e-9 * max(1.0, abs(given))


def _args(exe: str, options: SolveOptions, work: Path, mipstart: Path | None) -> list[str]:
    args = [exe, str(work / "model.mps")]
    if mipstart is not None:
        args += ["-mips", str(mipstart)]  # must follow the model: it is matched by column name
    if options.time_limit is not None:
        args += ["-sec", repr(max(float(options.time_limit), 0.01)), "-timeMode", "elapsed"]
    args += ["-ratioGap", repr(float(options.mip_gap))]
    if options.threads is not None:
        args += ["-threads", str(int(options.threads))]
    if options.seed:
        args += ["-randomCbcSeed", str(int(options.seed)), "-randomSeed", str(int(options.seed))]
    args += ["-solve", "-solution", str(work / "sol.txt"), "-saveSolution", str(work / "sol.bin")]
    return args


def _write_mipstart(path: Path, x: NDArray[np.float64]) -> None:
    # CBC's reader wants "index name value" lines after a status line; values
    # must be plain numbers (digits, '.', '-', '+', 'e').
    idx = np.arange(x.shape[0]).astype(str).astype(object)
    # Names as HiGHS's MPS writer gives them (c0 …); values in full precision.
    lines = idx + " c" + idx + " " + np.char.mod("%.17g", x).astype(object)
    text = "Stopped on time - objective value 0\n" + "\n".join(lines.tolist()) + "\n"
    path.write_text(text, encoding="ascii")


def _communicate(args: list[str], options: SolveOptions, cwd: Path) -> tuple[int, str, bool]:
    """Run CBC, echoing its log when verbose; kill it on interrupt or a stuck run."""
    proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        proc.kill()

    watchdog = None
    if options.time_limit is not None:
        watchdog = threading.Timer(max(options.time_limit, 0.0) * 1.5 + _GRACE_S, kill)
        watchdog.daemon = True
        watchdog.start()
    out: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if options.verbose:
                sys.stdout.write(line)
        rc = proc.wait()
    except BaseException:  # KeyboardInterrupt included: never leave CBC running
        proc.kill()
        proc.wait()
        raise
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if proc.stdout is not None:
            proc.stdout.close()
    return rc, "".join(out), killed.is_set()


def _read_values(work: Path, n: int) -> NDArray[np.float64] | None:
    """Column values from the binary solution file, else from the text one."""
    import pandas as pd

    binfile = work / "sol.bin"
    if binfile.is_file():
        raw = binfile.read_bytes()
        if len(raw) >= 16:
            m, ncols = (int(v) for v in np.frombuffer(raw[:8], dtype=np.int32))
            data = np.frombuffer(raw[16:], dtype=np.float64)
            # rows: primal, dual; then columns: primal, dual
            if ncols == n and data.shape[0] >= 2 * m + n:
                return data[2 * m: 2 * m + n].copy()
    txt = work / "sol.txt"
    if not txt.is_file():
        return None
    # Text lines "index name value reduced-cost" after the status line; "**"
    # marks values CBC finds infeasible. Names are c<j> (rows, if listed, r<i>).
    body = txt.read_text(errors="replace").split("\n", 1)[1].replace("**", "  ")
    x = np.zeros(n)
    if not body.strip():
        return x
    table = pd.read_csv(io.StringIO(body), sep=r"\s+", header=None, usecols=[1, 2],
                        names=["name", "value"], dtype={"name": str, "value": np.float64})
    names = table["name"].to_numpy(dtype=str)
    keep = np.char.startswith(names, "c")
    x[np.char.lstrip(names[keep], "c").astype(np.int64)] = table["value"].to_numpy()[keep]
    return x


def _run(exe: str, milp: MilpArrays, options: SolveOptions, work: Path) -> Result:
    flip = milp.sense == "max"  # CBC ignores OBJSENSE: solve min -c instead
    as_min = replace(milp, c=-milp.c, offset=-milp.offset, sense="min") if flip else milp
    write_mps(as_min, work / "model.mps")
    mipstart = None
    ws = _warm_start_values(milp, options)
    if ws is not None and milp.integrality.any():
        mipstart = work / "start.mst"
        _write_mipstart(mipstart, ws)
    rc, log, killed = _communicate(_args(exe, options, work, mipstart), options, work)
    extra: dict[str, object] = {"warm_start_accepted": "MIPStart provided solution" in log}
    m = _RESULT.search(log)
    result_line = m.group(1).strip() if m else ""
    sol_txt = work / "sol.txt"
    if killed:
        return Result(Status.NO_SOLUTION, NAME, extra=extra,
                      message="CBC overran its time limit and was stopped")
    if rc != 0 or not sol_txt.is_file():
        tail = " | ".join(log.strip().splitlines()[-3:])
        return Result(Status.ERROR, NAME, extra=extra, message=f"CBC failed (exit {rc}): {tail}")
    status_line = sol_txt.read_text(errors="replace").split("\n", 1)[0].strip()
    message = result_line or status_line.split(" - objective value")[0]
    head = status_line.split(" - ")[0].lower()

    if head.startswith("optimal"):
        status = Status.OPTIMAL
    elif head.startswith(("infeasible", "integer infeasible", "primal infeasible")):
        return Result(Status.INFEASIBLE, NAME, extra=extra, message=message)
    elif head.startswith(("unbounded", "dual infeasible")):
        return Result(Status.UNBOUNDED, NAME, extra=extra, message=message)
    elif head.startswith("stopped"):
        status = Status.NO_SOLUTION if "no integer solution" in head else Status.FEASIBLE
    else:
        return Result(Status.ERROR, NAME, extra=extra, message=f"CBC: {status_line}")

    x = _read_values(work, milp.num_cols) if status != Status.NO_SOLUTION else None
    if x is not None:
        x = _clean_x(milp, x)
        # A stopped LP leaves a simplex iterate that need not be feasible.
        if status == Status.FEASIBLE and milp.max_violation(x) > _FEAS_TOL:
            x = None
    if x is None:
        if status == Status.OPTIMAL:
            return Result(Status.ERROR, NAME, extra=extra, message="CBC wrote no solution values")
        status = Status.NO_SOLUTION

    objective = milp.objective_of(x) if x is not None else None
    bound: float | None = None
    lb = _LOWER_BOUND.search(log)  # printed with 3 decimals, for the minimisation solved
    if milp.integrality.any() and lb:
        try:
            val = float(lb.group(1))
        except ValueError:
            val = float("nan")
        if np.isfinite(val) and abs(val) < 1e40:
            bound = -val if flip else val
    if status == Status.OPTIMAL and objective is not None and (
        bound is None or abs(bound - objective) <= 1e-3 * max(1.0, abs(objective))
    ):
        # Proven optimal, and the bound printed with 3 decimals agrees: its rounding
        # must not cut off the objective the values give.
        bound = objective
    return Result(status, NAME, objective=objective, bound=bound,
                  gap=relative_gap(objective, bound, milp.sense), x=x, extra=extra,
                  message="" if status == Status.OPTIMAL else message)


register(
    NAME,
    CbcBackend,
    Capabilities(
        Capability.MIP, Capability.TIME_LIMIT, Capability.THREADS, Capability.MIP_START,
        description="COIN-OR CBC (binary bundled with PuLP) run on an MPS file",
    ),
)
