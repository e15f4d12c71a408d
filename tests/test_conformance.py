"""Conformance of every registered model: one set of checks, run over the registry.

As scikit-learn's ``check_estimator``: each check is a function of a model's
registered name, run for every name in :data:`siting.registry.REGISTERED`, so
a model added by its module and one ``register`` line is checked without a
new test. The checks:

- declarations: the class is registered under its own ``name``, every field
  is a declared parameter (:func:`siting.registry.parameter`) whose Python
  type matches its declared value, a flag means one thing (the shared
  :class:`~siting.registry.Param`), and the class docstring's Parameters
  section names every field;
- build, solve, decode, verify: on a small instance, on each back end that
  can run here (an exact back end that declines says so in its status or
  raises a one-line error; one that answers agrees with HiGHS); the
  independent verifier passes the solution and refuses a wrong objective;
- parameter round trip: the constructor rebuilds the model from its fields
  and from the parameters its solution records (as ``siting verify`` does);
- command line: the model's flags, parsed by ``siting solve``'s own options,
  give back the same parameters;
- frames: the chosen sites and the demand points as GeoDataFrames.

A fake model that decodes a wrong plan, and one with an undeclared field,
fail them (the last tests).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import typer

from siting.backends.base import SolveOptions, Status, available_backends
from siting.cli import EXIT_INPUT, main
from siting.cli.arguments import model_arguments, parse_given
from siting.errors import SitingError
from siting.instance import Instance
from siting.models import MCLP, MODELS
from siting.models.base import Built
from siting.registry import (
    BETA,
    BUDGET,
    CANDIDATES,
    COMPETITORS,
    COVER_FORMULATION,
    CUTOFF,
    DECAY,
    DECAY_SCALE,
    FLAGS,
    FULFIL_EXISTING,
    RADIUS,
    REGISTERED,
    SHARE,
    SINGLE_SOURCE,
    WEIGHTED_COST,
    P,
    Param,
    declared,
    parameter,
    register,
)
from siting.verify import verifies, verify_solution
from siting.verify.classic import check_p, new_sites, verify_mclp
from siting.verify.report import VerifyReport

NAMES = list(REGISTERED)
#: Solve values of the flags, on the instance below (switches keep their defaults).
SOLVE_VALUES: dict[Param, Any] = {P: 2, RADIUS: 2.5, SHARE: 0.5}
#: Command-line text of every flag (switches given), for the parse-back check.
FLAG_TEXT: dict[Param, str | None] = {
    P: "2", RADIUS: "2.5", BUDGET: "5", COVER_FORMULATION: "compact", CANDIDATES: "3",
    FULFIL_EXISTING: None, SINGLE_SOURCE: None, DECAY: "exponential", BETA: "0.5",
    CUTOFF: "6", DECAY_SCALE: "2", COMPETITORS: "RIVALS", SHARE: "0.5", WEIGHTED_COST: None,
}
TOL = 1e-6


# ------------------------------------------------------------------ the instance
@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten weighted points, five sites with cost and capacity, one competitor (files)."""
    root = tmp_path_factory.mktemp("conformance")
    x = np.arange(10.0)
    pd.DataFrame({"id": [f"d{i}" for i in range(10)], "x": x, "y": x % 2,
                  "weight": np.arange(1, 11)}).to_csv(root / "demand.csv", index=False)
    pd.DataFrame({"id": [f"s{j}" for j in range(5)], "x": [0.5, 2.5, 4.5, 6.5, 8.5],
                  "y": [0.5] * 5, "cost": [3, 2, 4, 1, 2], "capacity": [30.0] * 5,
                  "fixed_cost": [4.0, 3, 5, 2, 3]}).to_csv(root / "sites.csv", index=False)
    pd.DataFrame({"x": [5.0], "y": [4.0]}).to_csv(root / "rivals.csv", index=False)
    return root


@pytest.fixture(scope="module")
def inst(folder: Path) -> Instance:
    demand = pd.read_csv(folder / "demand.csv")
    sites = pd.read_csv(folder / "sites.csv")
    return Instance.from_frames(demand, sites, demand_id="id", site_id="id", cost="cost",
                                fixed_cost="fixed_cost", capacity="capacity")


def model_of(name: str, folder: Path) -> Any:
    """Model ``name`` with the solve values of the flags it declares."""
    kind = MODELS[name]
    values = {**SOLVE_VALUES, COMPETITORS: str(folder / "rivals.csv")}
    return kind(**{f: values[p] for f, p in declared(kind).items() if p in values})


# ---------------------------------------------------------------------- the checks
def check_declarations(name: str, folder: Path, inst: Instance) -> None:
    """Registered under its name; every field declared, typed as declared, documented."""
    kind = MODELS[name]
    assert kind.name == name, f"{kind.__name__}.name is {kind.name!r}, registered as {name!r}"
    assert dataclasses.is_dataclass(kind), f"{kind.__name__} is not a dataclass"
    fields = [f.name for f in dataclasses.fields(kind)]
    params = declared(kind)
    undeclared = [f for f in fields if f not in params]
    assert not undeclared, f"{name}: fields without a declaration: {undeclared}"
    hints = typing.get_type_hints(kind)
    for field_name, declared_param in params.items():
        if declared_param.flag is not None:
            shared = {p.flag: p for p in FLAGS}.get(declared_param.flag)
            assert shared is declared_param, (
                f"{name}.{field_name}: flag {declared_param.flag} is not the shared declaration")
        value = declared_param.value
        hint = hints[field_name]
        if value.choices:
            options = [hint] if typing.get_origin(hint) is typing.Literal else typing.get_args(hint)
            literal = [a for a in options if typing.get_origin(a) is typing.Literal]
            if literal or hint is not str:
                assert literal and set(typing.get_args(literal[0])) == set(value.choices), (
                    f"{name}.{field_name}: annotation {hint} is not the choices")
        elif value.kind is not object:
            types = set(typing.get_args(hint)) - {type(None)} or {hint}
            assert types == {value.kind}, f"{name}.{field_name}: {hint} is not {value.kind}"
    doc = kind.__doc__ or ""
    assert re.search(r"^\s*Parameters\n\s*-+\n", doc, re.M), f"{name}: no Parameters section"
    missing = [f for f in fields if not re.search(rf"^\s*{f}\s*:", doc, re.M)]
    assert not missing, f"{name}: docstring's Parameters leaves out {missing}"


def solved(name: str, folder: Path, inst: Instance, solver: str = "highs") -> Any:
    return model_of(name, folder).solve(inst, solver, SolveOptions(threads=1))


def check_solves(name: str, folder: Path, inst: Instance) -> None:
    """Build, solve (HiGHS), decode and verify; a wrong objective claimed is refused."""
    model = model_of(name, folder)
    sol = model.solve(inst, "highs", SolveOptions(threads=1))
    assert sol.status == Status.OPTIMAL, f"{name}: {sol.status} {sol.message}"
    assert sol.verified, f"{name}: {sol.verification}"
    assert sol.model == name and sol.objective is not None
    assert set(sol.selected) <= set(inst.site_ids), f"{name}: unknown sites {sol.selected}"
    again = verify_solution(inst, model, sol)
    assert again.ok, f"{name}: {again.failures}"
    better = 1.0 if model.sense == "max" else -1.0  # a claim better than the plan
    wrong = dataclasses.replace(sol, objective=sol.objective + better * (1 + abs(sol.objective)))
    assert not verify_solution(inst, model, wrong).ok, f"{name}: a wrong objective passed"


def check_back_ends(name: str, folder: Path, inst: Instance) -> None:
    """Every back end here either agrees with HiGHS (verified) or declines, in one line."""
    reference = solved(name, folder, inst)
    for solver in available_backends(structured=True):
        if solver == "highs":
            continue
        try:
            sol = solved(name, folder, inst, solver)
        except SitingError as exc:  # declined before any work, one line
            assert "\n" not in str(exc), f"{name} on {solver}: {exc}"
            continue
        if not sol.status.has_solution:
            assert sol.status in (Status.ERROR, Status.NO_SOLUTION), (name, solver, sol.status)
            continue
        assert sol.verified, f"{name} on {solver}: {sol.verification}"
        if sol.status == Status.OPTIMAL:
            assert sol.objective == pytest.approx(reference.objective, rel=TOL, abs=TOL), (
                f"{name} on {solver}: {sol.objective} != {reference.objective}")


def check_round_trip(name: str, folder: Path, inst: Instance) -> None:
    """The constructor rebuilds the model from its fields and from its solution's params;
    solving leaves the parameters as they were."""
    model = model_of(name, folder)
    kind = type(model)
    fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(kind)}
    before = model.params()
    assert kind(**fields).params() == before
    sol = model.solve(inst, "highs", SolveOptions(threads=1))
    recorded = {k: v for k, v in sol.params.items() if k in fields}
    rebuilt = kind(**recorded)
    assert rebuilt.params() == before, f"{name}: {rebuilt.params()} != {before}"
    assert verify_solution(inst, rebuilt, sol).ok
    assert model.params() == before, f"{name}: solving changed {before} to {model.params()}"


def check_command_line(name: str, folder: Path, inst: Instance) -> None:
    """The model's flags, parsed by ``siting solve``'s options, give back its parameters."""
    from siting.cli.program import app

    kind = MODELS[name]
    params = declared(kind)
    argv: list[str] = [str(folder)]
    expected: dict[str, Any] = {}
    for field_name, declared_param in params.items():
        if declared_param.flag is None or declared_param not in FLAG_TEXT:
            continue
        text = FLAG_TEXT[declared_param]
        if text == "RIVALS":
            text = str(folder / "rivals.csv")
        argv += [declared_param.flag] if text is None else [declared_param.flag, text]
        expected[field_name] = True if text is None else text
    command = typer.main.get_command(app).commands["solve"]  # type: ignore[attr-defined]
    with command.make_context("solve", argv) as ctx:
        raw = {p: ctx.params["option_" + str(p.flag).lstrip("-").replace("-", "_")]
               for p in FLAGS}
    arguments = model_arguments(kind, parse_given(raw))
    assert set(arguments) == set(expected), f"{name}: {arguments} for {expected}"
    model = kind(**arguments)
    for field_name, text in expected.items():
        value = getattr(model, field_name)
        if isinstance(text, bool):
            assert value is True
        elif isinstance(value, (int, float)):
            assert value == pytest.approx(float(text)), (name, field_name, value, text)
        else:
            assert str(value) == text, (name, field_name, value, text)


def check_frames(name: str, folder: Path, inst: Instance) -> None:
    """Sites and demand as GeoDataFrames of the instance's ids."""
    sol = solved(name, folder, inst)
    sites = sol.sites_frame()
    assert sorted(sites["site_id"]) == sorted(sol.selected)
    assert sites.geometry.notna().all()
    if sol.coverage is None and sol.assignment is None:
        return  # a model of the sites alone (p-dispersion): no demand table
    demand = sol.demand_frame()
    assert set(demand["demand_id"]) <= set(inst.demand_ids)
    assert demand["demand_id"].is_unique and demand.geometry.notna().all()
    if sol.coverage is not None:
        assert len(demand) == inst.n_demand


CHECKS: list[Callable[[str, Path, Instance], None]] = [
    check_declarations, check_solves, check_back_ends, check_round_trip, check_command_line,
    check_frames,
]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
@pytest.mark.parametrize("name", NAMES)
def test_registered_model_conforms(name: str, check: Callable[..., None], folder: Path,
                                   inst: Instance) -> None:
    check(name, folder, inst)


# ------------------------------------------------------------------ the fake models
@dataclasses.dataclass
class ExactMCLP(MCLP):
    """Maximal covering with exactly ``p`` new sites as a row (MCLP's ``exactly_p`` tops the
    plan up after the solve instead), a small model added the new way.

    Parameters
    ----------
    radius : float
        Service radius.
    p : int
        Number of new sites, exactly.
    budget : float, optional
        Unused here (as MCLP's).
    exactly_p : bool
        As MCLP's (the row makes it moot).
    formulation : {"auto", "compact", "benders"}
        As MCLP's.
    theta_groups : int, optional
        As MCLP's.
    """

    name: ClassVar[str] = "mclp-exact"

    def build(self, inst: Instance) -> Built:
        built = super().build(inst)
        rows = next(b for b in built.milp.row_blocks if b.name == "p").slice
        built.milp.row_lower[rows] = built.milp.row_upper[rows]  # Σ_new y = p, not ≤ p
        return built


@verifies("mclp-exact")
def verify_exact_mclp(inst: Instance, model: ExactMCLP, sol: Any) -> VerifyReport:
    report = verify_mclp(inst, model, sol)
    check_p(new_sites(inst, inst.site_positions(sol.selected)), model.p, report, exact=True)
    return report


@dataclasses.dataclass
class WrongPlanMCLP(MCLP):
    """MCLP whose decoding reports one site fewer than it opened (a broken model).

    Parameters
    ----------
    radius : float
    p : int
    budget : float, optional
    formulation : str
    theta_groups : int, optional
    """

    name: ClassVar[str] = "mclp-wrong-plan"

    def decode(self, inst: Instance, built: Built, x: Any) -> dict[str, Any]:
        out = super().decode(inst, built, x)
        out["selected"] = out["selected"][1:]
        return out


@dataclasses.dataclass
class UndeclaredMCLP(MCLP):
    """MCLP with a field that is not a declared parameter (its CLI and checks miss it).

    Parameters
    ----------
    radius : float
    p : int
    budget : float, optional
    formulation : str
    theta_groups : int, optional
    slack : float
    """

    slack: float = 0.0
    name: ClassVar[str] = "mclp-undeclared"


@dataclasses.dataclass
class OwnFlagMCLP(MCLP):
    """MCLP redeclaring ``--radius`` as its own (so the flag would mean two things).

    Parameters
    ----------
    radius : float
    p : int
    budget : float, optional
    formulation : str
    theta_groups : int, optional
    """

    radius: float | None = parameter(Param("--radius", "Another radius."))
    name: ClassVar[str] = "mclp-own-flag"


@contextmanager
def registered(name: str, kind: type) -> Iterator[None]:
    register(name, f"{__name__}:{kind.__name__}", __name__)
    try:
        yield
    finally:
        del REGISTERED[name]


def test_a_model_added_in_one_line_conforms(folder: Path, inst: Instance) -> None:
    with registered("mclp-exact", ExactMCLP):
        assert MODELS["mclp-exact"] is ExactMCLP
        for check in CHECKS:
            check("mclp-exact", folder, inst)
        exact = model_of("mclp-exact", folder).solve(inst)
    at_most = MCLP(radius=2.5, p=2).solve(inst)
    assert len(exact.selected) == 2 and exact.objective <= at_most.objective + TOL


@pytest.mark.parametrize(
    ("kind", "check", "needle"),
    [
        (WrongPlanMCLP, check_solves, "mclp-wrong-plan"),
        (UndeclaredMCLP, check_declarations, "fields without a declaration: ['slack']"),
        (OwnFlagMCLP, check_declarations, "not the shared declaration"),
    ],
    ids=["wrong-plan", "undeclared", "own-flag"],
)
def test_a_broken_model_fails_the_checks(kind: type, check: Callable[..., None], needle: str,
                                         folder: Path, inst: Instance) -> None:
    name = kind.name  # type: ignore[attr-defined]
    with registered(name, kind), pytest.raises(AssertionError, match=re.escape(needle)):
        check(name, folder, inst)


def test_a_model_registered_under_another_name_fails(folder: Path, inst: Instance) -> None:
    with registered("mclp-alias", MCLP), pytest.raises(AssertionError, match="registered as"):
        check_declarations("mclp-alias", folder, inst)


# ------------------------------------------------------- options a model does not take
def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def test_a_spec_refuses_classic_options(capsys: pytest.CaptureFixture[str]) -> None:
    spec = Path(__file__).resolve().parents[1] / "models" / "huitian-2018-2020.toml"
    code, err = run(["solve", str(spec), "--model", "mclp", "--radius", "300", "--p", "3"],
                    capsys)
    assert code == EXIT_INPUT
    assert err.count("\n") == 1 and "--model, --p, --radius" in err, err
    code, err = run(["solve", str(spec), "--decay", "linear", "--weighted"], capsys)
    assert code == EXIT_INPUT and err.count("\n") == 1 and "--weighted, --decay" in err, err


def test_a_classic_model_refuses_options_it_does_not_take(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(["solve", str(folder), "--model", "mclp", "--radius", "3", "--p", "2",
                     "--decay", "linear", "--share", "0.5"], capsys)
    assert code == EXIT_INPUT and err.count("\n") == 1, err
    assert "mclp does not take --decay, --share" in err, err
    code, err = run(["solve", str(folder), "--model", "mclp", "--radius", "3", "--p", "2",
                     "--weighted"], capsys)
    assert code == EXIT_INPUT and "mclp does not take --weighted" in err, err
