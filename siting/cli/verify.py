"""``siting verify``: re-check a written multi-service solution against its spec and instance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from siting.cli.exits import exit_code, finish

# the columns of facilities.csv that are decisions; costs are recomputed from the spec


def verify(
    folder: Annotated[Path, typer.Argument(help="A folder written by `siting solve SPEC`.")],
    instance: Annotated[
        Path | None,
        typer.Option("--instance", help="Instance folder (default: the one recorded at solve)."),
    ] = None,
    spec_file: Annotated[
        Path | None,
        typer.Option("--spec", help="Check against this spec (default: the one recorded)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but errors (and --json).")
    ] = False,
) -> None:
    """Re-check a written multi-service solution against its spec and instance.

    The chosen facilities, closures and residents served are read from the
    folder's files; costs, coverage, targets, budgets, land, uses, years,
    counts and the objective are recomputed from the instance by the
    independent verifier. Exit code 0 when every check holds, 5 when one
    fails (each failure is listed), 4 when the folder holds no solution.

    Examples:

      siting verify out/huitian-2026-2030

      siting verify out/huitian-2026-2030 --spec models/huitian-2026-2030.toml --json
    """
    from siting.backends.base import Status
    from siting.multi import MultiService, MultiServiceProblem
    from siting.multi.files import read_solution
    from siting.verify import verify_solution

    sol, spec, data = read_solution(folder, instance=instance, spec=spec_file)
    if not sol.status.has_solution:
        # an infeasible run, too, left nothing to verify
        if not quiet:
            typer.echo(f"{folder}: status {sol.status}: no solution to verify", err=True)
        finish(exit_code(Status.NO_SOLUTION))
    model = MultiService(spec)
    problem = MultiServiceProblem(spec, data)
    notes = []
    capacitated = [name for name, f in spec.facility.items() if f.capacity is not None]
    if capacitated and not sol.served:
        notes.append("served.csv missing: the objective of capacitated services is not re-checked")
        sol.objective = None
    report = verify_solution(problem, model, sol)
    sol.accept(report, model.sense)
    if "targets" in report.details:
        sol.targets = report.details["targets"]
    if as_json:
        verdict = _verdict(folder, spec, sol, notes)
        typer.echo(json.dumps(verdict, ensure_ascii=False, sort_keys=True, default=str))
    elif not quiet:
        word = "verified" if sol.verified else "FAILED verification"
        count = int(sol.facilities["count"].sum()) if len(sol.facilities) else 0
        typer.echo(f"{folder}: {word} against {spec.meta.name} ({count} new facilities)")
        for line in [*sol.verification, *notes]:
            typer.echo(f"  - {line}")
    # the failures are listed above: exit without another message
    finish(exit_code(verified=bool(sol.verified)))


def _verdict(folder: Path, spec: Any, sol: Any, notes: list[str]) -> dict[str, Any]:
    """The ``--json`` object: the verdict, each failure and the targets met."""
    return {
        "folder": str(folder),
        "spec": spec.meta.name,
        "verified": bool(sol.verified),
        "verification": sol.verification,
        "objective": sol.objective,
        "targets_met": int(sol.targets["met"].sum()) if len(sol.targets) else 0,
        "targets": len(sol.targets),
        "notes": notes,
    }
