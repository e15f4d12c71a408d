"""What the local searches and Lagrangian bounds share: site masks, deadlines, step sizes.

>>> allowed_sites(4, np.array([1, 0, 0, 0], bool), np.array([0, 0, 1, 0], bool)).tolist()
[False, True, False, True]
>>> scale = StepScale(theta=1.0, patience=2, sense="min")
>>> [scale.record(value) for value in (5.0, 4.0, 4.5, 4.5, 4.0)], scale.best, scale.theta
([True, True, False, False, False], 4.0, 0.5)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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
    """The fixed-open sites as a fresh mask (a copy; none without them).

    >>> fixed_mask(3, None).tolist(), fixed_mask(2, np.array([0, 1])).tolist()
    ([False, False, False], [False, True])
    """
    return np.zeros(m, bool) if fixed_open is None else np.asarray(fixed_open, bool).copy()


class Deadline:
    """A wall-clock limit of ``seconds`` from now (none with ``None``).

    >>> Deadline(None).passed(), Deadline(-1.0).passed()
    (False, True)
    >>> Deadline(None).left(), Deadline(-1.0).left()
    (None, 0.0)
    """

    def __init__(self, seconds: float | None) -> None:
        self.at = None if seconds is None else time.perf_counter() + seconds

    def passed(self) -> bool:
        return self.at is not None and time.perf_counter() > self.at

    def left(self) -> float | None:
        """Seconds left (never below 0), or None without a limit: a time limit to pass on."""
        return None if self.at is None else max(self.at - time.perf_counter(), 0.0)


@dataclass
class StepScale:
    """The best Lagrangian bound so far and the subgradient step factor ``theta``.

    ``sense`` "min" keeps the lowest upper bound, "max" the highest lower bound;
    ``theta`` is halved after ``patience`` iterates without a (relative) gain.
    """

    theta: float
    patience: int
    sense: str
    best: float = field(init=False)
    stall: int = 0

    def __post_init__(self) -> None:
        self.best = np.inf if self.sense == "min" else -np.inf

    def record(self, value: float) -> bool:
        """Take an iterate's bound; whether it is the new best."""
        best = self.best
        tol = 1e-12 * max(1.0, abs(best) if np.isfinite(best) else 1.0)
        improved = value < best - tol if self.sense == "min" else value > best + tol
        if improved:
            self.best = value
            self.stall = 0
            return True
        self.stall += 1
        if self.stall >= self.patience:
            self.theta /= 2
            self.stall = 0
        return False

    @property
    def exhausted(self) -> bool:
        """Whether ``theta`` has become too small for the steps to matter."""
        return self.theta < 1e-4
