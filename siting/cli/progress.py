"""Progress on stderr for a command's long phases.

On a terminal: a spinner or a bar a phase (rich). Elsewhere (a pipe, a log
file, ``make demo`` under CI): one plain line a stage as it ends, so a long solve
is never silent. Nothing at all when disabled (``--quiet``, ``--json``).

>>> with Phases(enabled=False) as phases:
...     with phases.spinner("reading"):
...         pass
>>> phases.solver_progress() is None
True
>>> phases.live_note(16_161_619.0, 16_166_620.0)
'incumbent 16,161,619, gap 0.03%'
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

ProgressHook = Callable[[float | None, float | None, float | None], None]
StageHook = Callable[[str, bool, str], None]

#: What each stage of a multi-service solve is called on screen.
STAGE_LABELS = {
    "coverage": "coverage",
    "model": "model",
    "start": "start (heuristic plan)",
    "search": "search (full model)",
    "verify": "verify",
    "reasons": "reasons (what binds the plan)",
}


def _num(value: float) -> str:
    """An objective in full when large (residents x years), else in six digits."""
    return f"{value:,.0f}" if abs(value) >= 1e6 else f"{value:,.6g}"


class Phases:
    """A spinner or a bar a phase on a terminal; one line a stage otherwise."""

    def __init__(self, enabled: bool) -> None:
        # rich only when something may be shown: --json and --quiet never import it
        terminal = enabled and self.console.is_terminal
        self.enabled = terminal
        self.plain = enabled and not terminal
        self.progress: Any = None
        self.live = ""  # the latest incumbent and gap, shown beside the search bar
        self.best: float | None = None  # best incumbent heard of (heuristic or solver)
        self.bound: float | None = None
        self._tasks: dict[str, Any] = {}
        self._began: dict[str, float] = {}
        self._lock = threading.Lock()

    @cached_property
    def console(self) -> Any:
        """The rich console on stderr, made on first use."""
        from rich.console import Console

        return Console(stderr=True)

    # -------------------------------------------------------------- hooks
    def live_note(self, incumbent: float | None, bound: float | None) -> str:
        """Incumbent and gap (or what is known of them) in a few words."""
        if incumbent is None:
            return "no solution yet" if bound is None else f"bound {_num(bound)}"
        note = f"incumbent {_num(incumbent)}"
        if bound is not None:
            gap = max(bound - incumbent, 0.0) / max(abs(incumbent), 1e-9)
            note += f", gap {100 * gap:.2f}%"
        return note

    def solver_progress(self) -> ProgressHook | None:
        """A ``SolveOptions.progress`` hook feeding the search bar (None when off).

        It keeps the best incumbent it has heard of, from the solver or from a
        primal heuristic (which reports no bound), so a plan found before the
        solver has one is shown from the start.
        """
        if not self.enabled:
            return None

        def update(incumbent: float | None, bound: float | None, gap: float | None) -> None:
            with self._lock:
                if incumbent is not None and (self.best is None or incumbent > self.best):
                    self.best = incumbent
                if bound is not None:
                    self.bound = bound
                if gap is not None and incumbent is not None and incumbent >= (self.best or 0):
                    self.live = f"incumbent {_num(incumbent)}, gap {100 * gap:.2f}%"
                else:
                    self.live = self.live_note(self.best, self.bound)

        return update

    def stage_hook(self, limit: float | None) -> StageHook | None:
        """A hook for ``MultiService.solve(on_stage=...)``: a row a stage on a terminal
        (the search row is a bar over ``limit`` with the live incumbent and gap),
        one line a stage as it ends otherwise; None when disabled."""
        if not (self.enabled or self.plain):
            return None

        def on_stage(stage: str, done: bool, note: str) -> None:
            with self._lock:
                label = STAGE_LABELS.get(stage, stage)
                now = time.perf_counter()
                if not done:
                    self._began[stage] = now
                    if self.progress is not None:
                        total = limit if stage == "search" else None
                        self._tasks[stage] = self.progress.add_task(label, total=total, note="")
                    return
                took = now - self._began.get(stage, now)
                if self.progress is not None and stage in self._tasks:
                    self.progress.update(self._tasks.pop(stage), total=1, completed=1,
                                         note=note or "done")
                elif self.plain:
                    self._line(f"{label}: {note or 'done'} ({took:.1f} s)")

        return on_stage

    def _line(self, text: str) -> None:
        print(f"siting: {text}", file=sys.stderr, flush=True)

    # ------------------------------------------------------------- phases
    def __enter__(self) -> Phases:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[note]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    @contextmanager
    def spinner(self, what: str) -> Iterator[None]:
        """A spinner while the block runs, then "done" (a line when not on a terminal)."""
        if self.progress is None:
            began = time.perf_counter()
            yield
            if self.plain:
                self._line(f"{what}: done ({time.perf_counter() - began:.1f} s)")
            return
        task = self.progress.add_task(what, total=None, note="")
        yield
        self.progress.update(task, total=1, completed=1, note="done")

    @contextmanager
    def timed(self, what: str, limit: float | None) -> Iterator[None]:
        """A bar filling up over the time limit (the solve may end sooner)."""
        if self.progress is None:
            yield
            return
        head = f"limit {limit:.0f} s" if limit else "no time limit"
        task = self.progress.add_task(what, total=limit, note=head)
        started = time.perf_counter()

        def tick() -> None:
            note = head + (f" | {self.live}" if self.live else "")
            done = min(time.perf_counter() - started, limit) if limit else 0.0
            self.progress.update(task, completed=done, note=note)

        with self._ticking(tick):
            yield
        self.progress.update(task, total=1, completed=1, note="done")

    @contextmanager
    def staged(self, limit: float | None) -> Iterator[None]:
        """While the block runs, the row of the running stage (see :meth:`stage_hook`)
        shows the live incumbent and gap; the search row fills up over the time limit."""
        if self.progress is None:
            yield
            return
        head = f"limit {limit:.0f} s" if limit else "no time limit"

        def tick() -> None:
            with self._lock:
                if "search" in self._tasks:
                    spent = time.perf_counter() - self._began["search"]
                    self.progress.update(
                        self._tasks["search"], completed=min(spent, limit) if limit else 0.0,
                        note=head + (f" | {self.live}" if self.live else ""),
                    )
                elif "start" in self._tasks and self.live:
                    self.progress.update(self._tasks["start"], note=self.live)

        with self._ticking(tick):
            yield

    @contextmanager
    def _ticking(self, tick: Callable[[], None]) -> Iterator[None]:
        """Call ``tick`` four times a second while the block runs."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(0.25):
                tick()

        ticker = threading.Thread(target=loop, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()

    def counter(self, what: str, total: int) -> Callable[[int, str], None]:
        """A bar over ``total`` steps; call the result with the steps done and a note."""
        if self.progress is None:
            return lambda done, note: None
        task = self.progress.add_task(what, total=total, note="")

        def advance(done: int, note: str) -> None:
            self.progress.update(task, completed=done, note=note)

        return advance
