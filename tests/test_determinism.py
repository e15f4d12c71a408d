"""Same inputs and seed, same bytes: solution files do not depend on the run or on threads.

Timings go to ``timing.json`` only; every other file must be byte-identical.
(Parallel sweeps do not exist yet, so worker counts are not covered here.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from siting.cli import main
from tests.conftest import REFERENCE

CASES = [
    ("swain/swain.dat", ["--model", "mclp", "--radius", "10", "--p", "3"]),
    ("orlib-pmed/pmed1.txt", ["--model", "p-median"]),
    ("orlib-scp/scp41.txt", ["--model", "set-cover"]),
    ("orlib-cap/cap41.txt", ["--model", "cflp"]),
]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "timing.json"}


@pytest.mark.parametrize("path, args", CASES, ids=[c[0].split("/")[-1] for c in CASES])
def test_solution_files_are_byte_identical(
    path: str, args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not REFERENCE.exists():
        pytest.skip("instances/reference not present")
    runs = []
    for k, threads in enumerate(("1", "1", "2")):
        out = tmp_path / f"run{k}"
        code = main(
            ["solve", str(REFERENCE / path), *args, "--threads", threads, "--out", str(out),
             "--quiet"]
        )
        capsys.readouterr()
        assert code == 0
        assert (out / "timing.json").exists()
        runs.append(_files(out))
    assert "solution.json" in runs[0] and len(runs[0]) >= 3
    assert runs[0] == runs[1], "two runs with the same seed differ"
    assert runs[0] == runs[2], "threads=1 and threads=2 differ"
    assert b"runtime_s" not in runs[0]["solution.json"]
