"""The benchmark targets table (benchmarks/targets.py): met, not met and not run from fake rows."""

from __future__ import annotations

import csv
import doctest
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks import targets

ROOT = Path(__file__).resolve().parent.parent


def row(group: str, case: str, impl: str, **figures: Any) -> dict[str, Any]:
    return {"group": group, "case": case, "impl": impl, **figures}


def states(rows: list[dict[str, Any]], target: str) -> dict[str, str]:
    return {v.case: v.state for v in targets.evaluate(rows) if v.target.startswith(target)}


def test_doctests() -> None:
    assert doctest.testmod(targets).failed == 0


def test_ratio_per_case_and_minimum() -> None:
    rows = [
        row("clustered", "5000x500 p25 r1.5", "siting", total_s=0.4),
        row("clustered", "5000x500 p25 r1.5", "spopt-cbc", total_s=30.0),  # 75×: met
        row("generators", "blobs seed 1", "siting", total_s=2.0),
        row("generators", "blobs seed 1", "spopt-cbc", total_s=40.0),  # 20×: not met
        row("generators", "blobs seed 2", "siting", total_s=1.0),  # no peer: not run
        row("generators", "blobs seed 1 (command)", "siting solve", total_s=1.0),
        row("generators", "blobs seed 1 (command)", "spopt script", total_s=25.0),
    ]
    inproc = states(rows, "clustered in process")
    assert inproc == {"clustered 5000x500 p25 r1.5": "met", "generators blobs seed 1": "not met",
                      "generators blobs seed 2": "not run", "minimum over 2 cases": "not met"}
    minimum = [v for v in targets.evaluate(rows) if v.case == "minimum over 2 cases"]
    assert minimum[0].figure == "20.0× (generators blobs seed 1)"
    assert states(rows, "clustered whole command") == {
        "generators blobs seed 1": "met", "minimum over 1 case": "met"}


def test_ratio_not_run_without_rows() -> None:
    assert states([], "clustered whole command") == {"minimum over cases": "not run"}


def test_literature_needs_proof_and_no_worse_plan() -> None:
    rows = [
        row("literature", "a", "siting", status="optimal", objective=100.0, total_s=5.0),
        row("literature", "a", "highs-textbook", status="optimal", objective=100.0),
        row("literature", "b", "siting", status="time limit reached", objective=90.0,
            total_s=60.2),
        row("literature", "b", "highs-textbook", objective=80.0),
        row("literature", "c", "siting", status="optimal", objective=70.0, total_s=3.0),
        row("literature", "c", "highs-textbook", objective=71.0),  # a better textbook plan
        row("literature", "d", "siting", status="optimal", objective=70.0, total_s=3.0),
    ]
    assert states(rows, "literature") == {"literature a": "met", "literature b": "not met",
                                          "literature c": "not met", "literature d": "not run"}


def test_pmed_total_needs_all_forty() -> None:
    fast = [row("pmed", f"pmed{k}", "siting", status="optimal", total_s=1.0)
            for k in range(1, 41)]
    assert states(fast, "pmed") == {"pmed1–40": "met"}
    assert states(fast[:2], "pmed") == {"pmed1–40": "not run"}
    slow = [*fast[:-1], row("pmed", "pmed40", "siting", status="optimal", total_s=30.0)]
    assert states(slow, "pmed") == {"pmed1–40": "not met"}


def test_single_row_targets() -> None:
    rows = [
        row("huitian", "2026-2030 (command)", "siting solve", status="optimal", total_s=2.9),
        row("huitian", "2018-2020 (command)", "siting solve", status="optimal", total_s=1.6),
        row("cordeau", "10,000,000x100 budget", "siting", status="optimal", total_s=14.0,
            peak_rss_mb=2100.0),
        row("city", "1Mx10k budget", "siting", status="feasible", gap=0.0009, total_s=119.0),
    ]
    got = {v.target: v.state for v in targets.evaluate(rows)}
    assert got["回天 2026-2030 whole command ≤ 3 s (median)"] == "met"
    assert got["回天 2018-2020 whole command ≤ 1.5 s (median)"] == "not met"
    assert got["Cordeau 10,000,000x100 optimal in ≤ 15 s, ≤ 2048 MB"] == "not met"  # memory
    assert got["city gap ≤ 0.1 % in 120 s"] == "met"
    assert got["uniform 20000x1000 p50 gap ≤ 0.1 % in 60 s"] == "not run"


def test_command_prints_the_table_of_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=["group", "case", "impl", "status", "gap", "total_s"])
        wr.writeheader()
        wr.writerow(row("mclp", "20000x1000 p50", "siting", status="optimal", gap="0",
                        total_s="12.5"))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.targets", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("| uniform"))
    assert line.endswith("| gap 0.00 % (optimal, 12.5 s) | met |")
    missing = subprocess.run([sys.executable, "-m", "benchmarks.targets", str(tmp_path / "no")],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr
