"""The one outcome → exit-code rule, and how the sweep and solve commands end by it."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
import typer

from siting.backends.base import Status
from siting.cli import exits
from siting.cli import solve as solve_cli
from siting.cli import sweep as sweep_cli
from siting.errors import InfeasibleError, ParameterError, SolverError


@pytest.mark.parametrize(
    ("status", "verified", "code"),
    [
        (Status.OPTIMAL, True, exits.EXIT_OK),
        (Status.FEASIBLE, None, exits.EXIT_OK),
        (Status.FEASIBLE, False, exits.EXIT_UNVERIFIED),
        (Status.INFEASIBLE, None, exits.EXIT_INFEASIBLE),
        (Status.NO_SOLUTION, None, exits.EXIT_NO_SOLUTION),
        (Status.UNBOUNDED, None, exits.EXIT_NO_SOLUTION),
        (Status.ERROR, None, exits.EXIT_NO_SOLUTION),
    ],
)
def test_status_and_verdict(status: Status, verified: bool | None, code: int) -> None:
    assert exits.exit_code(status, verified=verified) == code
    assert exits.exit_code(status, verified=verified, interrupted=True) == exits.EXIT_INTERRUPTED


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (ParameterError("must be > 0", field="--gap", value=-1), 2, "siting: error: field"),
        (InfeasibleError("too few\nsites"), 3, "siting: infeasible: too few sites"),
        (SolverError("highs failed"), 1, "siting: error: highs failed"),
        (KeyboardInterrupt(), 130, "siting: interrupted"),
        (RuntimeError("boom"), 1, "siting: unexpected error: RuntimeError: boom"),
        (typer.Exit(4), 4, None),
    ],
)
def test_exceptions(error: BaseException, code: int, line: str | None) -> None:
    assert exits.exit_code(error=error) == code
    message = exits.error_message(error)
    assert message == line if line is None else message is not None and message.startswith(line)


def _sweep_table(statuses: list[str], verified: list[bool | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": range(len(statuses)),
            "status": statuses,
            "verified": verified,
            "message": [f"note {i}" for i in range(len(statuses))],
        }
    )


def test_sweep_infeasible_scenarios_are_results() -> None:
    sweep_cli._conclude(_sweep_table(["optimal", "infeasible"], [True, None]))


def test_sweep_error_comes_before_a_failed_check(capsys: pytest.CaptureFixture[str]) -> None:
    table = _sweep_table(["optimal", "error", "feasible"], [False, None, True])
    with pytest.raises(typer.Exit) as stopped:
        sweep_cli._conclude(table)
    assert stopped.value.exit_code == exits.EXIT_ERROR
    assert capsys.readouterr().err.strip() == "siting: error: scenario 1: note 1"


def test_sweep_failed_check(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as stopped:
        sweep_cli._conclude(_sweep_table(["optimal", "feasible"], [True, False]))
    assert stopped.value.exit_code == exits.EXIT_UNVERIFIED
    assert "failed verification" in capsys.readouterr().err


def test_solve_ends_by_status(capsys: pytest.CaptureFixture[str]) -> None:
    sol = SimpleNamespace(status=Status.INFEASIBLE, verified=None, verification=[])
    with pytest.raises(typer.Exit) as stopped:
        solve_cli._conclude(sol, infeasible="lscp on t is infeasible: demand 3 uncovered")
    assert stopped.value.exit_code == exits.EXIT_INFEASIBLE
    assert capsys.readouterr().err.strip() == (
        "siting: infeasible: lscp on t is infeasible: demand 3 uncovered"
    )
    sol = SimpleNamespace(status=Status.FEASIBLE, verified=False, verification=["row 4 violated"])
    with pytest.raises(typer.Exit) as stopped:
        solve_cli._conclude(sol, infeasible="")
    assert stopped.value.exit_code == exits.EXIT_UNVERIFIED
    assert "solution failed verification: row 4 violated" in capsys.readouterr().err


def test_after_ctrl_c_the_interrupted_line_is_the_only_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A solve stopped by Ctrl-C before any plan ends 'no plan was found'; its own error
    line would come before the interrupted one: only the interrupted line is said."""
    import typer

    from siting.cli import EXIT_NO_SOLUTION
    from siting.cli.exits import PRESSED, finish

    PRESSED[:] = [True]
    try:
        with pytest.raises(typer.Exit):
            finish(EXIT_NO_SOLUTION, "no plan was found (interrupted)")
    finally:
        PRESSED.clear()
    assert capsys.readouterr().err == ""
    with pytest.raises(typer.Exit):
        finish(EXIT_NO_SOLUTION, "no plan was found (interrupted)")
    assert capsys.readouterr().err == "siting: error: no plan was found (interrupted)\n"
