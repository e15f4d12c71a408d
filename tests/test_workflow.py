"""The solve workflow: models hand their solutions to one verify-and-accept step, and the
verifier finds a model's checks by its registered name, importing no model class."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, ClassVar

import pandas as pd
import pytest

from siting import registry, workflow
from siting.errors import SitingError
from siting.instance import Instance
from siting.models import MCLP
from siting.multi import MultiService, parse_spec
from siting.verify import names_of, verifier_for, verify_solution
from siting.verify.classic import verify_mclp
from tests.helpers import small_data, small_spec


@pytest.fixture
def inst() -> Instance:
    d = pd.DataFrame({"id": ["a", "b", "c"], "x": [0.0, 10.0, 20.0], "y": [0.0, 0.0, 0.0],
                      "weight": [5, 3, 2]})
    return Instance.from_frames(d, d, demand_id="id", site_id="id")


@pytest.fixture
def heard() -> Iterator[list[tuple[str, bool]]]:
    """The models whose solutions reach the installed step, and their verdicts."""
    calls: list[tuple[str, bool]] = []

    def spy(instance: Any, model: Any, solution: Any) -> Any:
        report = workflow.accept(instance, model, solution)
        calls.append((model.name, bool(solution.verified)))
        return report

    registry.install_acceptance(spy)
    try:
        yield calls
    finally:
        registry.install_acceptance(workflow.accept)


def test_importing_siting_installs_the_workflow_and_loads_no_numpy() -> None:
    code = ("import sys, siting; from siting import registry; "
            "print(registry._ACCEPTANCE[0].__module__, 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["siting.workflow", "False"]


def test_a_classic_solve_is_verified_by_the_installed_step(
    inst: Instance, heard: list[tuple[str, bool]]
) -> None:
    sol = MCLP(radius=1, p=1).solve(inst)
    assert heard == [("mclp", True)] and sol.verified
    MCLP(radius=1, p=1).solve(inst, verify=False)
    assert len(heard) == 1  # not asked: the step is not run


def test_a_plan_is_verified_by_the_installed_step(heard: list[tuple[str, bool]]) -> None:
    sol = MultiService(parse_spec(small_spec())).solve(small_data(), reasons=False)
    # Once or twice: a plan verified ahead while the bound LP runs is verified again
    # when the search then proves it (whether the bound LP is still running when the
    # first plan comes depends on the machine).
    assert heard and set(heard) == {("multi-service", True)}
    assert sol.verified and len(sol.targets)  # the tables come from the step's report


def test_a_failing_step_is_what_the_solution_records(inst: Instance) -> None:
    def refuse(instance: Any, model: Any, solution: Any) -> Any:
        report = workflow.check(instance, model, solution)
        report.fail("refused by the installed step")
        solution.accept(report, model.sense)
        return report

    registry.install_acceptance(refuse)
    try:
        sol = MCLP(radius=1, p=1).solve(inst)
    finally:
        registry.install_acceptance(workflow.accept)
    assert not sol.verified and sol.verification == ["refused by the installed step"]


@dataclasses.dataclass
class Parameters:
    """An MCLP's parameters in a class that is not MCLP: the verifier reads only these."""

    radius: float
    p: int
    name: ClassVar[str] = "mclp"
    sense: ClassVar[str] = "max"


def test_the_verifier_dispatches_on_the_name_not_the_class(inst: Instance) -> None:
    sol = MCLP(radius=1, p=1).solve(inst)
    assert verifier_for(Parameters(1, 1)) is verify_mclp
    assert verify_solution(inst, Parameters(1, 1), sol).ok
    wrong = dataclasses.replace(sol, objective=9.0)
    assert not verify_solution(inst, Parameters(1, 1), wrong).ok


@dataclasses.dataclass
class MyMCLP(MCLP):
    """An MCLP of a user's, under a name of its own with no verifier registered.

    Parameters
    ----------
    radius : float
    p : int
    """

    name: ClassVar[str] = "my-mclp"


def test_a_subclass_is_checked_under_its_base_name(inst: Instance) -> None:
    assert names_of(MyMCLP(radius=1, p=1))[:2] == ["my-mclp", "mclp"]
    sol = MyMCLP(radius=1, p=1).solve(inst)
    assert sol.verified and sol.model == "my-mclp"


def test_a_model_of_no_registered_name_is_refused() -> None:
    class Nobody:
        name = "nobody"

    said = r"for model 'nobody': register one with @siting.verify.verifies\('nobody'\)"
    with pytest.raises(SitingError, match=said):
        verifier_for(Nobody())
