"""Helpers shared by test modules (test modules import from here, never from each other).

Stopping the ``siting`` command at a chosen point, whatever the machine's speed:
:func:`stop_at` runs the command in a child process that pauses at a named point
(:data:`POINTS`) and says so on a pipe; the test then sends its signal (Ctrl-C's
SIGINT, or SIGTERM) while the child waits at that point, so the branch a test
checks is the one it chose, never the one a timer happened to hit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Where :func:`stop_at` can pause the command:
#: ``loading``: as the classic instance is read (nothing solved, nothing written);
#: ``search``: at HiGHS's first report from its tree search, before any incumbent;
#: ``incumbent``: at HiGHS's first report holding an incumbent (the proof far off);
#: ``scenario``: in ``siting sweep``, when the first scenario's row has come back.
POINTS = ("loading", "search", "incumbent", "scenario")

#: The child's program: pause at argv[1], say so on file descriptor argv[2], run siting.
_CHILD = "import sys; from tests.helpers import run_paused; run_paused(sys.argv[1], " \
         "int(sys.argv[2]), sys.argv[3:])"


@dataclass
class Stopped:
    """How a command stopped by :func:`stop_at` ended."""

    returncode: int
    stdout: str
    stderr: str
    #: Whether the command reached the pause point (the signal was sent there).
    reached: bool

    @property
    def lines(self) -> list[str]:
        """The lines the command wrote on stderr."""
        return self.stderr.strip().splitlines()


def stop_at(point: str, signum: int, args: Sequence[str], timeout: float = 300) -> Stopped:
    """Run ``siting ARGS`` in a child process, send ``signum`` once it pauses at ``point``.

    The child says it has arrived on a pipe; the test blocks on that pipe (no
    timer), and the child stays at the point until the signal has been handled.
    """
    if point not in POINTS:
        raise ValueError(f"unknown pause point {point!r}; one of {POINTS}")
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, point, str(write_end), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    with os.fdopen(read_end) as ready:
        reached = ready.readline().strip() == point  # empty: the child ended without pausing
    if reached:
        proc.send_signal(signum)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Stopped(proc.returncode, stdout, stderr, reached)


def run_paused(point: str, fd: int, argv: list[str]) -> None:
    """The child of :func:`stop_at`: the ``siting`` command, pausing at ``point``."""
    os.set_inheritable(fd, False)  # not handed on to the sweep's worker processes
    from siting.cli import exits

    handled = threading.Event()
    on_stop_signal = exits._on_stop_signal

    def noted(signum: int, frame: Any) -> None:
        handled.set()
        on_stop_signal(signum, frame)

    exits._on_stop_signal = noted  # type: ignore[assignment]

    def pause() -> None:
        os.write(fd, f"{point}\n".encode())
        os.close(fd)
        # In the main thread the signal's KeyboardInterrupt is raised inside this wait;
        # in a solver's thread the wait ends once the main thread has handled it.
        handled.wait(timeout=600)

    _PAUSES[point](pause)
    sys.argv = ["siting", *argv]
    from siting.cli import entry

    entry()


def _pause_loading(pause: Callable[[], None]) -> None:
    import siting.io

    load_instance = siting.io.load_instance

    def paused(*args: Any, **kwargs: Any) -> Any:
        pause()
        return load_instance(*args, **kwargs)

    siting.io.load_instance = paused  # type: ignore[assignment]


def _pause_in_search(with_incumbent: bool) -> Callable[[Callable[[], None]], None]:
    def install(pause: Callable[[], None]) -> None:
        from dataclasses import replace

        from siting.backends.highs import HighsBackend

        solve_arrays = HighsBackend.solve_arrays
        paused: list[bool] = []

        def report(progress: Any) -> Any:
            def on_progress(incumbent: float | None, *rest: Any) -> None:
                # the first report of the search, or the first with an incumbent
                if not paused and (incumbent is not None) == with_incumbent:
                    paused.append(True)
                    pause()
                if progress is not None:
                    progress(incumbent, *rest)

            return on_progress

        def solving(self: Any, milp: Any, options: Any, *args: Any, **kwargs: Any) -> Any:
            if paused:
                return solve_arrays(self, milp, options, *args, **kwargs)
            options = replace(options, progress=report(options.progress))
            return solve_arrays(self, milp, options, *args, **kwargs)

        HighsBackend.solve_arrays = solving  # type: ignore[method-assign]

    return install


def _pause_after_a_scenario(pause: Callable[[], None]) -> None:
    import siting.sweep

    run_sweep = siting.sweep.run_sweep

    def paused(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        def on_row(done: int, total: int, row: dict[str, Any]) -> None:
            if progress is not None:
                progress(done, total, row)
            if done == 1:
                pause()

        return run_sweep(*args, progress=on_row, **kwargs)

    siting.sweep.run_sweep = paused


_PAUSES: dict[str, Callable[[Callable[[], None]], None]] = {
    "loading": _pause_loading,
    "search": _pause_in_search(with_incumbent=False),
    "incumbent": _pause_in_search(with_incumbent=True),
    "scenario": _pause_after_a_scenario,
}
