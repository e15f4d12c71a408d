"""Solves run beside Python work in another thread of the same process.

HiGHS releases the interpreter's lock while it solves, but its interrupt callbacks
(Python: Ctrl-C and ``cancel``, :mod:`siting.backends.highs_core`) take it back: a
MIP's at each of its checks, an LP's at every iteration once a stop is asked (only
then are they started).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

_In = TypeVar("_In")
_Out = TypeVar("_Out")

#: The interpreter's thread switch interval while solves run beside Python work (s).
SHORT_SWITCH_S = 5e-4


@contextlib.contextmanager
def short_switches(wanted: bool = True) -> Iterator[None]:
    """Python hands its lock between threads every ``SHORT_SWITCH_S`` at most inside.

    Each call of a HiGHS interrupt callback (Python: Ctrl-C and ``cancel``) waits for
    the interpreter's lock: while the other thread runs Python (building, lifting,
    verifying), a solve beside it waited up to the default 5 ms a call. When the
    callback ran at every simplex iteration, a cold 2026-2030 LP beside a Python loop
    took 68 s against 46 s without the callback, 52 s with 0.5 ms (busy machine); an
    LP's callback now starts only when a stop is asked, and a MIP's checks are far
    apart, so the interval matters less (the 2026-2030 solve, 5 ms against 0.5 ms:
    within the runs' spread). The old interval is put back on leaving.

    >>> import sys
    >>> before = sys.getswitchinterval()
    >>> with short_switches():
    ...     sys.getswitchinterval() <= SHORT_SWITCH_S
    True
    >>> sys.getswitchinterval() == before
    True
    """
    old = sys.getswitchinterval()
    if wanted:
        sys.setswitchinterval(min(old, SHORT_SWITCH_S))
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def map_widening(
    work: Callable[[_In], _Out], items: Sequence[_In], widen: threading.Event,
    cancel: threading.Event | None = None,
) -> list[_Out]:
    """``[work(item) for item in items]``, in the calling thread and, once ``widen`` is
    set (another solve gave back its core), in a second thread too.

    Each item is taken by whichever lane is free, in order; the results are in the
    order of ``items`` whatever lane made them, so when each ``work(item)`` is
    independent of the others they are the sequential ones. An exception in either
    lane is raised here once the second lane has ended; a Ctrl-C (only the calling
    thread hears it) stops handing out items, sets ``cancel`` (which the work's
    solves watch) and waits for the second lane's current item. ``widen`` is set on
    return (it wakes the waiting lane).

    >>> gate = threading.Event()
    >>> map_widening(lambda v: v * v, [1, 2, 3], gate), gate.is_set()
    ([1, 4, 9], True)
    >>> gate = threading.Event(); gate.set()
    >>> map_widening(str, range(5), gate)
    ['0', '1', '2', '3', '4']
    """
    out: list[_Out | None] = [None] * len(items)
    lock = threading.Lock()
    taken = 0
    stop = False
    failed: list[BaseException] = []

    def lane(second: bool) -> None:
        nonlocal taken
        if second:
            widen.wait()
        while True:
            with lock:
                if stop or failed or taken >= len(items):
                    return
                k = taken
                taken += 1
            if not second:
                out[k] = work(items[k])
                continue
            try:
                out[k] = work(items[k])
            except BaseException as exc:  # raised in the caller's thread below
                with lock:
                    failed.append(exc)
                return

    helper = threading.Thread(target=lane, args=(True,), name="siting-widen", daemon=True)
    helper.start()
    try:
        lane(False)
    except BaseException:
        with lock:
            stop = True
        if cancel is not None:
            cancel.set()
        raise
    finally:
        widen.set()
        helper.join()
    if failed:
        raise failed[0]
    return [v for v in out]  # type: ignore[misc]  # every slot was filled
