"""The benchmark suite's smallest cases (``python -m benchmarks --quick``): it cannot rot."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _have_spopt() -> bool:
    try:
        import spopt.locate  # noqa: F401
    except Exception:
        return False
    return True


def test_benchmark_quick(tmp_path: Path) -> None:
    if not (ROOT / "benchmarks" / "__main__.py").exists():
        pytest.skip("benchmarks/ not present")
    args = [sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)]
    if not _have_spopt():
        args.append("--no-spopt")
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    ours = [r for r in rows if r["impl"] in ("siting", "siting solve")]
    assert ours and all(r["status"] == "optimal" for r in ours), ours
    mclp = {r["impl"]: r for r in rows if r["group"] == "mclp"}
    # Same instance, same optimum for every implementation that finished.
    objs = {float(r["objective"]) for r in mclp.values() if r["status"] == "optimal"}
    assert len(objs) == 1
    text = (tmp_path / "results.md").read_text()
    assert text.startswith("Machine:")
    # The host's speed before the first case and after the last, the same work each time.
    probes = re.findall(r"Host probe (before|after) .*python ([0-9.]+) s, numpy ([0-9.]+) s, "
                        r"HiGHS ([0-9.]+) s \(([0-9]+) iterations\)", text)
    assert [p[0] for p in probes] == ["before", "after"]
    assert all(float(x) > 0 for p in probes for x in p[1:4])
    assert probes[0][4] == probes[1][4]


def test_spopt_part_runs_when_installed(tmp_path: Path) -> None:
    if not _have_spopt():
        pytest.skip("spopt is not installed (benchmark-only extra: pip install -e '.[bench]')")
    from benchmarks.instances import RADIUS_2PCT, uniform_mclp
    from benchmarks.peers import spopt_mclp

    d, s = uniform_mclp(200, 20)
    out = spopt_mclp(d[["x", "y"]].to_numpy(), s[["x", "y"]].to_numpy(),
                     d["weight"].to_numpy(), RADIUS_2PCT, 3)
    assert out["status"] == "optimal" and out["objective"] > 0


def test_a_case_killed_at_the_cap_leaves_no_process_behind(tmp_path: Path) -> None:
    """A peer's solver runs as a grandchild (PuLP starts CBC): the cap kills the whole
    process group, so no solver keeps a core busy for the rest of the table."""
    import os
    import select

    from benchmarks.harness import run_capped

    if not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfd_open here (Linux 5.3+): nothing to wait on for the grandchild")
    pid_file = tmp_path / "grandchild.pid"
    # The grandchild holds none of the pipes, as CBC writes to files.
    script = f"sleep 600 > /dev/null 2>&1 & echo $! > {pid_file}; wait"
    with pytest.raises(subprocess.TimeoutExpired):
        run_capped(["bash", "-c", script], 1.0)
    grandchild = int(pid_file.read_text())
    try:
        pidfd = os.pidfd_open(grandchild)
    except ProcessLookupError:  # ended and reaped already
        return
    try:  # readable once the process has ended (a kill is delivered a moment later)
        ended, _, _ = select.select([pidfd], [], [], 120)
    finally:
        os.close(pidfd)
    assert ended, f"process {grandchild} still runs after the cap"
