"""Threads: the neutral count becomes the back end's own options, and one thread
gives the same answer every time for the same input."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from siting.backends import (
    DEFAULT_BACKEND,
    Capability,
    SolveOptions,
    get_backend,
    highs_core,
    supports,
)
from siting.backends import highs as hb
from siting.cli import main
from tests.conftest import REFERENCE
from tests.test_backends import market_split

#: A node limit: the same amount of search on any machine, however busy.
NODES = {DEFAULT_BACKEND: {"mip_max_nodes": 300}}


def configured(threads: int | None) -> dict[str, Any]:
    h = highs_core._configured(highs_core._core(), SolveOptions(threads=threads), mip=True)
    return {key: h.getOptionValue(key)[1] for key in ("threads", "parallel")}


def test_one_thread_is_a_serial_search() -> None:
    assert configured(1) == {"threads": 1, "parallel": "off"}


def test_more_threads_are_a_parallel_search() -> None:
    assert configured(2) == {"threads": 2, "parallel": "on"}
    assert supports(DEFAULT_BACKEND, Capability.PARALLEL_SEARCH)


def test_unset_threads_leave_the_solver_to_choose() -> None:
    assert configured(None) == {"threads": 0, "parallel": "choose"}


def test_the_solver_options_win_over_the_count() -> None:
    opts = SolveOptions(threads=2, solver_options={DEFAULT_BACKEND: {"parallel": "off"}})
    assert highs_core.highs_options(opts, mip=True)["parallel"] == "off"


def test_one_thread_logs_one_worker(capfd: pytest.CaptureFixture[str]) -> None:
    milp = market_split(m=3, n=20, seed=1)
    get_backend(DEFAULT_BACKEND).solve(
        milp, SolveOptions(threads=1, verbose=True, solver_options=NODES))
    assert "using up to 1 workers" in capfd.readouterr().out


def test_one_thread_gives_identical_results() -> None:
    """The same stopped search twice: the same incumbent, bound and node count."""
    milp = market_split(m=4, n=30, seed=0)
    backend = get_backend(DEFAULT_BACKEND)
    first, second = (backend.solve(milp, SolveOptions(threads=1, mip_gap=0.0,
                                                      solver_options=NODES))
                     for _ in range(2))
    assert first.status == second.status
    assert first.x is not None and second.x is not None
    assert np.array_equal(first.x, second.x)
    assert (first.objective, first.bound, first.extra["nodes"]) == (
        second.objective, second.bound, second.extra["nodes"])


def test_threads_one_on_the_command_line_repeats(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``siting solve ... --threads 1`` twice: the back end is told one thread, and
    both runs report the same plan."""
    seen: list[int | None] = []
    original = hb.HighsBackend.solve_arrays

    def spy(self: hb.HighsBackend, milp: Any, options: SolveOptions, t0: float,
            **extra: Any) -> Any:
        seen.append(options.threads)
        return original(self, milp, options, t0, **extra)

    monkeypatch.setattr(hb.HighsBackend, "solve_arrays", spy)
    args = ["solve", str(REFERENCE / "orlib-pmed" / "pmed6.txt"), "--model", "p-median",
            "--threads", "1", "--json"]
    runs = []
    for _ in range(2):
        assert main(args) == 0
        out = json.loads(capsys.readouterr().out)
        runs.append({key: out[key] for key in ("status", "objective", "bound", "selected")})
    assert runs[0] == runs[1]
    assert seen and set(seen) == {1}
