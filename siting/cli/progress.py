"""Rich progress on stderr for a command's long phases (nothing when disabled or piped).

>>> with Phases(enabled=False) as phases:
...     with phases.spinner("reading"):
...         pass
>>> phases.solver_progress() is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ProgressHook = Callable[[float | None, float | None, float | None], None]


class Phases:
    """A spinner or a bar a phase, on stderr when it is a terminal and ``enabled``."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.progress: Any = None
        self.live = ""  # the solver's latest incumbent and gap, shown beside the bar

    def solver_progress(self) -> ProgressHook | None:
        """A ``SolveOptions.progress`` hook feeding the bar of :meth:`timed` (None when off)."""
        if not self.enabled:
            return None

        def update(incumbent: float | None, bound: float | None, gap: float | None) -> None:
            if incumbent is None:
                self.live = "no solution yet" if bound is None else f"bound {bound:,.6g}"
            else:
                self.live = f"incumbent {incumbent:,.6g}" + (
                    f", gap {100 * gap:.2f}%" if gap is not None else ""
                )

        return update

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
        """A spinner while the block runs, then "done"."""
        if self.progress is None:
            yield
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
        import threading
        import time

        head = f"limit {limit:.0f} s" if limit else "no time limit"
        task = self.progress.add_task(what, total=limit, note=head)
        stop = threading.Event()
        started = time.perf_counter()

        def tick() -> None:
            while not stop.wait(0.25):
                note = head + (f" | {self.live}" if self.live else "")
                done = min(time.perf_counter() - started, limit) if limit else 0.0
                self.progress.update(task, completed=done, note=note)

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
            self.progress.update(task, total=1, completed=1, note="done")

    def counter(self, what: str, total: int) -> Callable[[int, str], None]:
        """A bar over ``total`` steps; call the result with the steps done and a note."""
        if self.progress is None:
            return lambda done, note: None
        task = self.progress.add_task(what, total=total, note="")

        def advance(done: int, note: str) -> None:
            self.progress.update(task, completed=done, note=note)

        return advance
