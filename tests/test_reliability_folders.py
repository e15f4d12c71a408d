"""Output folders as a unit when runs meet: a lock, the old folder put back, checks first.

Two solves on one ``--out`` take turns: the test holds each run at its swap
(the ``SITING_SWAP_GATE`` hook: a FIFO the run waits on) until the other run
is known to wait for its turn, so the interleaving that lost the folder on a
slow disk happens on every run, without a timing guess.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from siting.errors import InputError
from siting.outputs import SWAP_GATE, WriteError, check_output_folder, write_folder
from tests.conftest import REFERENCE

ROOT = Path(__file__).resolve().parent.parent
SWAIN = str(REFERENCE / "swain" / "swain.dat")
#: Generous: a deadline on a wait for an event, never a measure of speed.
DEADLINE_S = 600


def solve(out: Path, p: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "siting.cli", "solve", SWAIN, "--model", "mclp", "--radius", "10",
         "--p", p, "--out", str(out), "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(gate: Path, name: str, runs: list[subprocess.Popen[str]]) -> Path:
    """The gate's entry ``name`` once it exists (a run has reached that point)."""
    start = time.monotonic()
    while not (gate / name).exists():
        for run in runs:
            if run.poll() is not None and not (gate / name).exists():
                _, err = run.communicate()
                if run.returncode != 0:
                    pytest.fail(f"a run ended with {run.returncode}: {err}")
        assert time.monotonic() - start < DEADLINE_S, f"no run reached {name}"
        time.sleep(0.05)
    return gate / name


def release(fifo: Path) -> None:
    with open(fifo, "wb") as fh:  # the run waiting on it goes on
        fh.write(b"go")


@pytest.mark.parametrize("round_", range(3))
def test_two_solves_on_one_out_end_with_one_complete_verified_folder(
    round_: int, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = solve(out, "2")
    assert first.wait(timeout=DEADLINE_S) == 0, first.communicate()[1]
    gate = tmp_path / "gate"
    gate.mkdir()
    env = {**os.environ, SWAP_GATE: str(gate)}
    runs = [solve(out, "3", env), solve(out, "4", env)]
    pids = {str(r.pid) for r in runs}
    # one run holds the folder at its swap, the other waits for its turn
    deadline = time.monotonic() + DEADLINE_S
    while True:
        at_swap = pids & {p.name for p in gate.iterdir()}
        waiting = {p.name.split(".")[0] for p in gate.glob("*.waiting")}
        assert len(at_swap) < 2, "both runs hold a new folder at once: they took no turns"
        if at_swap and waiting:
            break
        for run in runs:
            assert run.poll() is None, run.communicate()[1]
        assert time.monotonic() < deadline, "the runs never met"
        time.sleep(0.05)
    holder = at_swap.pop()
    other = (pids - {holder}).pop()
    release(gate / holder)
    release(wait_for(gate, other, runs))
    for run in runs:
        assert run.wait(timeout=DEADLINE_S) == 0, run.communicate()[1]
    done = subprocess.run([sys.executable, "-m", "siting.cli", "verify", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=DEADLINE_S)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"p": 3' in (out / "solution.json").read_text() or \
        '"p": 4' in (out / "solution.json").read_text()
    assert not list(tmp_path.glob(".out.new-*")) and not list(tmp_path.glob(".out.old-*"))


def test_a_folder_left_aside_between_two_renames_is_put_back(tmp_path: Path) -> None:
    out = write_folder(tmp_path / "run", {"solution.json": "{}", "selected.csv": "site_id\n"})
    aside = tmp_path / ".run.old-k1ll3d"
    os.rename(out, aside)  # killed between the renames: no target, the old one aside
    check_output_folder(out)
    assert (out / "selected.csv").is_file() and not aside.exists()


def test_the_two_rename_swap_replaces_the_folder_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import siting.outputs

    monkeypatch.setattr(siting.outputs, "_exchange", lambda a, b: False)
    out = write_folder(tmp_path / "run", {"solution.json": "{}", "a.csv": "x\n"})
    write_folder(out, {"solution.json": "{}", "b.csv": "y\n"})
    assert sorted(p.name for p in out.iterdir()) == ["b.csv", "solution.json"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".run.")]


def test_a_full_disk_says_which_file_and_keeps_the_old_folder(tmp_path: Path) -> None:
    out = write_folder(tmp_path / "run", {"solution.json": "{}", "a.csv": "old\n"})

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    with pytest.raises(WriteError) as caught:
        write_folder(out, {"solution.json": "{}", "facilities.gpkg": full})
    message = str(caught.value)
    assert "facilities.gpkg: could not be written" in message
    assert "No space left on device" in message and "is as it was" in message
    assert (out / "a.csv").read_text() == "old\n"
    assert not list(tmp_path.glob(".run.new-*"))


def test_a_full_disk_in_the_command_is_one_line_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyogrio.errors

    import siting.multi.solution
    from siting.cli import main

    def full(*args: object, **kwargs: object) -> None:
        raise pyogrio.errors.FeatureError("failed to write feature: database or disk is full")

    out = tmp_path / "plan"
    monkeypatch.setattr(siting.multi.solution, "write_gpkg", full)
    code = main(["solve", str(ROOT / "models" / "riverbend.toml"), "--out", str(out),
                 "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1, err
    assert len(err) == 1 and "unexpected" not in err[0], err
    assert "facilities.gpkg: could not be written" in err[0] and "disk is full" in err[0]
    assert not out.exists()


def test_a_dangling_link_as_out_is_refused_before_the_solve(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match="which does not exist"):
        check_output_folder(out)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's /sys")
def test_an_out_where_nothing_can_be_written_is_refused_before_the_solve(tmp_path: Path) -> None:
    # /sys refuses new files even to root (a chmod would not stop root)
    with pytest.raises(InputError, match="cannot write here"):
        check_output_folder(Path("/sys/kernel/siting-out"))


@pytest.mark.parametrize("command", ["solve", "sweep"])
def test_solve_and_sweep_check_out_before_any_work(command: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.symlink_to(tmp_path / "nowhere")
    spec = str(ROOT / "models" / "riverbend.toml")
    extra = ["--budget", "1e7,2e7", "--workers", "1"] if command == "sweep" else []
    done = subprocess.run(
        [sys.executable, "-m", "siting.cli", command, spec, *extra, "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=DEADLINE_S,
        env={**os.environ, "DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:1"},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "which does not exist" in lines[0], done.stderr
    assert str(out) in lines[0]


def test_a_sweep_into_a_folder_siting_did_not_write_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    done = subprocess.run(
        [sys.executable, "-m", "siting.cli", "sweep", str(ROOT / "models" / "riverbend.toml"),
         "--budget", "1e7,2e7", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=DEADLINE_S,
        env={**os.environ, "DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:1"},
    )
    assert done.returncode == 2, done.stderr
    assert (out / "notes.txt").read_text() == "mine"
    shutil.rmtree(out)
