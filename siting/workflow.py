"""The solve workflow's last two steps, verify and accept: the only caller of the verifier.

A solve runs build → search → decode in the model (:mod:`siting.models`,
:mod:`siting.multi.pipeline`), then verify → accept here. The models sit
below the verifier (it recomputes what they claim, so it must not be built
from them), and this module sits above both. Users keep calling
``model.solve(...)``: the model hands its decoded solution to
:func:`siting.registry.verify_and_accept`, a slot on the bottom floor that
this module fills when ``siting`` is imported. A hook is simpler to read than
moving every model's ``solve`` here: each model keeps its own staged search,
and the one place that decides what "verified" means is :func:`accept`.

``siting verify DIR`` re-checks a written folder through :func:`check`, the
same entry point, before it adds the folder's own comparisons.

>>> import pandas as pd
>>> from siting import Instance, MCLP
>>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
>>> inst = Instance.from_frames(d, d)
>>> sol = MCLP(radius=1, p=1).solve(inst)   # verified here, through the hook
>>> sol.verified, check(inst, MCLP(radius=1, p=1), sol).objective
(True, 5.0)
"""

from __future__ import annotations

from typing import Any

from siting.registry import install_acceptance


def check(instance: Any, model: Any, solution: Any) -> Any:
    """The verifier's report on ``solution`` (:func:`siting.verify.verify_solution`):
    the objective and every constraint recomputed from ``instance``, nothing recorded."""
    from siting.verify import verify_solution

    return verify_solution(instance, model, solution)


def accept(instance: Any, model: Any, solution: Any) -> Any:
    """Verify ``solution`` and record the verdict on it (``verified``, ``verification``,
    the objective judged in ``model.sense``); returns the verifier's report."""
    report = check(instance, model, solution)
    solution.accept(report, model.sense)
    return report


def accept_bound(report: Any, model: Any, solution: Any) -> Any:
    """Finish ``report``, made by :func:`check` on the same plan while its bound was
    not known: its recomputed objective must not beat ``solution.bound``; then the
    verdict is recorded on ``solution`` as :func:`accept` does.

    >>> from siting.verify.report import VerifyReport
    >>> from siting.backends.base import Status
    >>> from siting.solution_base import SolutionBase
    >>> class Max:
    ...     sense = "max"
    >>> sol = SolutionBase(status=Status.OPTIMAL, objective=10.0, bound=9.0)
    >>> print(*accept_bound(VerifyReport(objective=10.0), Max(), sol).messages)
    recomputed objective 10 beats the solver's bound 9
    >>> sol.verified
    False
    """
    from siting.verify.report import accept_objective

    accept_objective(report, None, solution.bound, model.sense)
    solution.accept(report, model.sense)
    return report


install_acceptance(accept, accept_bound)
