"""The Benders master's root: an LP cut loop, then fixing sites by reduced cost.

The loop solves the master LP in HiGHS (warm simplex), adds the violated cuts
and solves again, with in-out stabilisation (Fischetti, Ljubić & Sinnl 2017):
it separates at a point between the LP optimum and a core point that moves
towards each optimum, and falls back to the LP point itself when that cut does
not cut it.

Its last LP is a relaxation of the master (every cut is valid), so its duals
bound every plan: moving a site off the bound it sits at in the LP costs at
least the site's reduced cost. A site whose move would leave no plan better
than the incumbent is fixed where the LP has it; every plan that breaks a
fixing is then no better than that incumbent, which the caller keeps as a
bound for the plans outside (:class:`RootFixing`).

>>> import numpy as np
>>> reduced_cost_fixing(root_bound=10.0, reduced=np.array([-3.0, 0.5, 0.0]),
...                     y=np.array([0.0, 1.0, 0.4]), lower=np.zeros(3), upper=np.ones(3),
...                     start=np.array([0.0, 1.0, 0.0]), best=8.0, delta=1.0, maximise=True)
(array([ True, False, False]), array([False, False, False]))
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from siting.models.benders_master import Master

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Rounds of the root LP cut loop at most.
ROOT_ROUNDS = 300
#: The root loop stops when its bound improved by less than this (relative)
#: over ``ROOT_STALL`` rounds.
ROOT_STALL_TOL = 1e-5
ROOT_STALL = 6
#: In-out stabilisation: the separation point is LAMBDA × LP point + (1 − LAMBDA) × core point.
LAMBDA = 0.5
#: A reduced-cost bound must clear the incumbent by this much (relative) to fix a
#: site: HiGHS's duals hold to its tolerances, not exactly.
FIXING_SAFETY = 1e-6


@dataclass
class RootLP:
    """The root loop's last optimal LP: its bound, point, the sites' reduced costs, rounds."""

    bound: float
    x: FloatArray
    rounds: int
    #: Reduced costs of the ``y`` columns in objective units (None: no optimal LP).
    reduced: FloatArray | None


@dataclass
class RootFixing:
    """Sites fixed by reduced cost, and the bound on every plan that breaks a fixing."""

    closed: BoolArray
    opened: BoolArray
    #: Every plan outside the fixings is no better than this (the incumbent's value).
    outside: float

    @property
    def count(self) -> int:
        return int(self.closed.sum() + self.opened.sum())


def root_cut_loop(master: Master, core: FloatArray, deadline: float,
                  solver: str | None = None) -> RootLP:
    """Cutting planes on the master LP until the bound stalls, the gap closes or time is up.

    The LP stays loaded between rounds in a back end that can add rows to it
    (``Capability.LP_ROWS``): ``solver`` when it can, else the default one.
    """
    from siting.backends.base import Capability, LpRowsBackend, backend_with

    backend = cast(LpRowsBackend, backend_with(Capability.LP_ROWS, solver))
    lp = backend.open_lp(master.milp(integer=False))
    maximise = master.sense == "max"
    bound, best_value = (math.inf, -math.inf) if maximise else (-math.inf, math.inf)
    history: list[float] = []
    x = master.point(core)
    reduced: FloatArray | None = None
    rounds = 0
    weight_total = float(master.data.theta_scale.sum() + np.abs(master.data.linear).sum())
    tol = 1e-9 * max(1.0, weight_total)
    for rounds in range(1, ROOT_ROUNDS + 1):  # noqa: B007 (the count is returned)
        # one LP solve must not outlast the loop's share
        if not lp.solve(deadline - time.perf_counter()):
            break
        x = lp.values()
        reduced = lp.reduced_costs()[: master.m] * master.objective_scale
        bound = lp.objective() * master.objective_scale
        y = x[: master.m]
        history.append(bound)
        if maximise:
            best_value = max(best_value, master.data.total(y) + master.offset)
            open_gap = bound - best_value
        else:  # how far the LP's θ exceed their true values at y: all a cut can still move
            excess = x[master.m:] * master.scale - master.data.values(y)
            open_gap = float(np.maximum(excess, 0.0).sum())
        if open_gap <= tol or time.perf_counter() > deadline:
            break
        # The bound moves down when maximising, up when minimising.
        moved = (history[-ROOT_STALL - 1] - bound) * (1.0 if maximise else -1.0) \
            if len(history) > ROOT_STALL else math.inf
        stalled = moved <= ROOT_STALL_TOL * abs(bound)
        if stalled:
            break
        added = master.separate(x, at=LAMBDA * y + (1 - LAMBDA) * core) or master.separate(x)
        core = 0.5 * (core + y)
        if added == 0:
            break
        lp.add_rows(master.cut_rows[-1], master.cut_upper[-1])
    return RootLP(bound, x, rounds, reduced)


def reduced_cost_fixing(
    root_bound: float, reduced: FloatArray, y: FloatArray, lower: FloatArray,
    upper: FloatArray, start: FloatArray, best: float, delta: float, maximise: bool,
) -> tuple[BoolArray, BoolArray]:
    """Sites to close and to open: moving one off its LP bound leaves nothing better than ``best``.

    ``delta`` is how much a plan must beat ``best`` by to count (1 with integral
    objectives). Only fixings that agree with ``start`` (the incumbent) are
    made, so it stays a plan of the restricted master.
    """
    sign = 1.0 if maximise else -1.0
    free = upper > lower
    at_lower = free & (y <= lower + 1e-9)
    at_upper = free & (y >= upper - 1e-9)
    # What raising a site at its lower bound (lowering one at its upper) costs the bound.
    penalty = np.where(at_lower, np.maximum(-sign * reduced, 0.0),
                       np.where(at_upper, np.maximum(sign * reduced, 0.0), 0.0))
    safety = FIXING_SAFETY * max(1.0, abs(root_bound))
    moved = root_bound - sign * penalty  # the best bound a plan with the site moved can have
    hopeless = (moved + safety < best + delta) if maximise else (moved - safety > best - delta)
    hopeless &= penalty > 0
    closed = hopeless & at_lower & (start <= lower + 0.5)
    opened = hopeless & at_upper & (start >= upper - 0.5)
    return closed, opened


def fix_master(master: Master, root: RootLP, start: FloatArray, best: float,
               integral: bool) -> RootFixing | None:
    """Fix the master's sites by the root LP's reduced costs (None when nothing is fixed)."""
    if root.reduced is None or not math.isfinite(best) or not math.isfinite(root.bound):
        return None
    closed, opened = reduced_cost_fixing(
        root.bound, root.reduced, root.x[: master.m], master.y_lower, master.y_upper, start,
        best, 1.0 if integral else 0.0, master.sense == "max",
    )
    if not (closed.any() or opened.any()):
        return None
    master.y_upper = np.where(closed, master.y_lower, master.y_upper)
    master.y_lower = np.where(opened, master.y_upper, master.y_lower)
    return RootFixing(closed, opened, best)
