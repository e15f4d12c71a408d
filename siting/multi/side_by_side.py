"""Solves run beside Python work in another thread of the same process.

HiGHS releases the interpreter's lock while it solves, but its interrupt callback
(Python: Ctrl-C and ``cancel``, :mod:`siting.backends.highs_core`) takes it back at
every simplex iteration.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

#: The interpreter's thread switch interval while solves run beside Python work (s).
SHORT_SWITCH_S = 5e-4


@contextlib.contextmanager
def short_switches(wanted: bool = True) -> Iterator[None]:
    """Python hands its lock between threads every ``SHORT_SWITCH_S`` at most inside.

    HiGHS calls its interrupt callback (Python: Ctrl-C and ``cancel``) at every simplex
    iteration, and each call waits for the interpreter's lock: while the other thread
    runs Python (building, lifting, verifying), a solve beside it waited up to the
    default 5 ms an iteration (a cold 2026-2030 LP beside a Python loop: 68 s against
    46 s without the callback, 52 s with 0.5 ms; busy machine). The old interval is
    put back on leaving.

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
