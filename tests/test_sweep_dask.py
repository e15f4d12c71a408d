"""A sweep on a real Dask cluster: ``dask scheduler`` and two ``dask worker`` processes on
localhost, started here; one worker is killed in the middle and the sweep still completes.

The scheduler is found through ``DASK_SCHEDULER_ADDRESS`` (by ``run_sweep`` and by
``siting sweep``'s ``--scheduler``). Everything listens on 127.0.0.1 only, and every
process started here is ended here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siting.multi.spec import parse_spec
from siting.sweep import SOLVED, parse_axis, run_sweep
from tests.helpers import small_data, small_spec, toml_of, write_small_instance

ROOT = Path(__file__).resolve().parent.parent
DASK = Path(sys.executable).with_name("dask")


class Cluster:
    """A scheduler and named workers as separate processes (the worktree on their path)."""

    def __init__(self, tmp: Path) -> None:
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.log = tmp
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        log = (tmp / "scheduler.log").open("wb")
        self.scheduler = subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT,
        )
        self.address = self._address(tmp / "scheduler.log")

    def _address(self, log: Path) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"Scheduler at:\s+(tcp://127\.0\.0\.1:\d+)", log.read_text())
            if found:
                return found.group(1)
            if self.scheduler.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"dask scheduler did not start: {log.read_text()[-2000:]}")

    def add_worker(self, name: str) -> None:
        log = (self.log / f"{name}.log").open("wb")
        self.workers[name] = subprocess.Popen(
            [str(DASK), "worker", self.address, "--name", name, "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT,
        )

    def close(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers.values(), self.scheduler]:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if not DASK.is_file():
        pytest.skip(f"no dask command beside {sys.executable}")
    from dask.distributed import Client

    running = Cluster(tmp_path)
    try:
        for name in ("w0", "w1"):
            running.add_worker(name)
        with Client(running.address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield running
    finally:
        running.close()


def test_sweep_survives_a_killed_worker(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Twelve scenarios on two worker processes; once the first result is in, the worker
    that is running a scenario is killed (SIGKILL). Its scenario runs again on the other
    worker and every row comes back, in scenario order, with the statuses a local sweep
    gives (tests/test_sweep.py compares one and two local workers row by row)."""
    from dask.distributed import Client

    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.address)
    spec, data = parse_spec(small_spec()), small_data()
    axes = [parse_axis("budget", "1e6:7e6:4"), parse_axis("radius", "service_room=300,350,400")]
    watcher = Client(cluster.address, timeout="30s")
    killed: dict[str, Any] = {}

    def kill_a_busy_worker(done: int, total: int, row: dict[str, Any]) -> None:
        if killed:
            return
        busy = {addr: keys for addr, keys in watcher.processing().items() if keys}
        names = {a: w["name"] for a, w in watcher.scheduler_info()["workers"].items()}
        victim = names[next(iter(busy))] if busy else "w1"
        killed.update(name=victim, done=done, total=total, busy=bool(busy))
        cluster.workers[victim].send_signal(signal.SIGKILL)

    try:
        result = run_sweep(spec, axes, data=data, progress=kill_a_busy_worker)
    finally:
        watcher.close()
    table = result.table
    assert result.workers == 2
    assert killed and killed["done"] < killed["total"]  # killed in the middle of the sweep
    assert cluster.workers[killed["name"]].wait(timeout=10) == -signal.SIGKILL
    print(f"killed {killed['name']} after {killed['done']} of {killed['total']} scenarios "
          f"(it was running one: {killed['busy']})")
    assert list(table["scenario"]) == list(range(12))
    assert "error" not in set(table["status"])
    low = table[table["budget"] <= 3e6]  # as on local workers: too little for the target
    assert set(low["status"]) == {"infeasible"} and low["message"].str.len().min() > 0
    ok = table[table["status"].isin(SOLVED)]
    assert len(ok) == 6 and ok["verified"].all()


def test_sweep_command_finds_the_scheduler_in_the_environment(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``siting sweep`` without --scheduler runs on the cluster of DASK_SCHEDULER_ADDRESS."""
    import json

    from siting.cli import main

    folder = write_small_instance(tmp_path / "instance")
    spec_file = tmp_path / "small.toml"
    spec_file.write_text(toml_of(small_spec(str(folder))), "utf-8")
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.address)
    code = main(["sweep", str(spec_file), "--budget", "4e6,6e6", "--out",
                 str(tmp_path / "sw"), "--json", "--quiet"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["workers"] == 2 and out["scenarios"] == 2
    assert [r["status"] for r in out["table"]] == ["optimal", "optimal"]
