"""The verifier's report, and the one rule for judging a claimed objective.

Only a violated constraint, or a recomputed objective *worse* than the claim,
fails: a time-limited incumbent may hold coverage variables below what its
open sites cover, so its plan is then better than the solver said. A value
better than a proven bound means the bound, or the verifier, is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from siting.milp import Sense

#: Relative tolerance of every comparison between a claim and its recomputed value.
REL_TOL = 1e-6


@dataclass
class VerifyReport:
    """Outcome of verification: ``ok``, one message per failed check, the recomputed objective."""

    ok: bool = True
    messages: list[str] = field(default_factory=list)
    objective: float | None = None
    #: What the verifier recomputed on the way, for callers that show it (coverage, tables).
    details: dict[str, Any] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        self.ok = False
        self.messages.append(message)


def accept_objective(
    rep: VerifyReport, claimed: float | None, bound: float | None, sense: Sense,
    tol: float = REL_TOL,
) -> None:
    """Fail ``rep`` when its recomputed objective is worse than ``claimed`` or beats ``bound``.

    >>> rep = VerifyReport(objective=10.5)
    >>> accept_objective(rep, 10.0, 11.0, "max"); rep.ok
    True
    >>> accept_objective(rep, 11.0, 12.0, "max"); rep.ok, rep.messages[0]
    (False, 'objective claimed 11 but recomputed 10.5 (worse)')
    """
    value = rep.objective
    assert value is not None
    better = 1.0 if sense == "max" else -1.0
    if claimed is not None and better * (value - float(claimed)) < -tol * max(
        1.0, abs(value), abs(float(claimed))
    ):
        rep.fail(f"objective claimed {claimed:.10g} but recomputed {value:.10g} (worse)")
    if bound is not None and np.isfinite(bound) and better * (value - float(bound)) > tol * max(
        1.0, abs(value), abs(float(bound))
    ):
        rep.fail(f"recomputed objective {value:.10g} beats the solver's bound {bound:.10g}")
