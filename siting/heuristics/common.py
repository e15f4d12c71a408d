"""What the local searches and Lagrangian bounds share: site masks, deadlines, step sizes.

>>> allowed_sites(4, np.array([1, 0, 0, 0], bool), np.array([0, 0, 1, 0], bool)).tolist()
[False, True, False, True]
>>> segment_offsets(np.array([2, 0, 3])).tolist()
[0, 1, 0, 1, 2]
>>> scale = StepScale(theta=1.0, patience=2)
>>> [scale.update(improved=False) for _ in range(4)], scale.theta
([True, True, True, True], 0.25)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


def allowed_sites(m: int, fixed_open: BoolArray | None, closed: BoolArray | None) -> BoolArray:
    """Sites a search may open or close: neither fixed open nor closed."""
    ok = np.ones(m, dtype=bool)
    if fixed_open is not None:
        ok &= ~np.asarray(fixed_open, dtype=bool)
    if closed is not None:
        ok &= ~np.asarray(closed, dtype=bool)
    return ok


def fixed_mask(m: int, fixed_open: BoolArray | None) -> BoolArray:
    """The fixed-open sites as a fresh mask (a copy; none without them)."""
    return np.zeros(m, bool) if fixed_open is None else np.asarray(fixed_open, bool).copy()


def segment_offsets(lens: IntArray) -> IntArray:
    """Position of every entry within its segment, for consecutive segments of ``lens``."""
    lens = np.asarray(lens, dtype=np.int64)
    total = int(lens.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)


class Deadline:
    """A wall-clock limit of ``seconds`` from now (none with ``None``).

    >>> Deadline(None).passed(), Deadline(-1.0).passed()
    (False, True)
    """

    def __init__(self, seconds: float | None) -> None:
        self.at = None if seconds is None else time.perf_counter() + seconds

    def passed(self) -> bool:
        return self.at is not None and time.perf_counter() > self.at


def improves(value: float, best: float, sense: str) -> bool:
    """Whether a bound ``value`` beats ``best`` ("min": lower, "max": higher), relatively.

    >>> improves(1.0, float("inf"), "min"), improves(1.0, 1.0, "max")
    (True, False)
    """
    tol = 1e-12 * max(1.0, abs(best) if np.isfinite(best) else 1.0)
    return value < best - tol if sense == "min" else value > best + tol


@dataclass
class StepScale:
    """The subgradient step factor ``theta``: halved after ``patience`` iterates without gain."""

    theta: float
    patience: int
    stall: int = 0

    def update(self, improved: bool) -> bool:
        """Record an iterate; False once ``theta`` falls below 1e-4 (time to stop)."""
        if improved:
            self.stall = 0
            return True
        self.stall += 1
        if self.stall >= self.patience:
            self.theta /= 2
            self.stall = 0
            return self.theta >= 1e-4
        return True
