"""The work after the search done ahead: on the heuristic's first plan, while the full
model's bound LP still runs beside it (:meth:`siting.multi.pipeline.MultiService.solve`).

Decoding, verifying, the tables and the reasons read the plan, not its bound: all
but the verifier's check of the objective against the bound can be done before the
bound is known. When the bound proves that very plan, the solution decoded with the
bound takes what was made ahead, and the verdict is finished against the bound
(:func:`siting.registry.accept_bound`); otherwise it is all done again.

>>> from types import SimpleNamespace
>>> from siting.backends.base import Status
>>> done = MultiSolution(spec_name="x", status=Status.FEASIBLE)
>>> early = Ahead(np.zeros(2), done, None, 0.5, mip_gap=1e-3)
>>> early.reasons_hold(SimpleNamespace(gap=5e-4)), early.reasons_hold(SimpleNamespace(gap=0.01))
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.multi.solution import MultiSolution
from siting.registry import accept_bound

FloatArray = NDArray[np.float64]


@dataclass
class Ahead:
    """The work after the search, done on plan ``x`` before its bound was known
    (:meth:`MultiService._ahead`): the solution it gave, the verifier's report
    (all but the bound check), the seconds the reasons took, the spec's gap."""

    x: FloatArray
    sol: MultiSolution
    report: Any
    reasons_s: float
    mip_gap: float
    #: Seconds all of it took.
    seconds: float = 0.0

    def adopt_checks(self, model: Any, sol: MultiSolution) -> None:
        """Give ``sol`` (decoded from the same plan, with its bound) the tables made
        ahead, and the verifier's verdict once its objective is checked against the
        bound (:func:`siting.registry.accept_bound`)."""
        done = self.sol
        if self.report is not None:
            accept_bound(self.report, model, sol)
            sol.stats["walks"] = self.report.details.get("walks", {})
        sol.targets, sol.coverage = done.targets, done.coverage
        sol.by_subdistrict, sol.budget = done.by_subdistrict, done.budget
        sol.baseline = done.baseline

    def reasons_hold(self, sol: Any) -> bool:
        """Whether the reasons made ahead are those of ``sol``: they read its gap only to
        say when it is above the spec's (none was known ahead)."""
        return sol.gap is None or sol.gap <= self.mip_gap
