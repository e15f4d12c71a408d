"""``siting verify``: re-check any written solution (a spec's plan or a classic model's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from siting.cli.exits import exit_code, finish
from siting.cli.options import JsonFlag, QuietFlag

# the columns of facilities.csv that are decisions; costs are recomputed from the spec


def verify(
    folder: Annotated[Path, typer.Argument(help="A folder written by `siting solve`.")],
    instance: Annotated[
        Path | None,
        typer.Option("--instance", help="Instance (default: the one recorded at solve)."),
    ] = None,
    spec_file: Annotated[
        Path | None,
        typer.Option("--spec", help="Check against this spec (default: the one recorded)."),
    ] = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Re-check a written solution (a spec's plan or a classic model's) from its inputs.

    A plan's chosen facilities, closures and residents served are read from the
    folder's files; costs, footprints, coverage, targets, budgets, land, uses,
    years, counts and the objective are recomputed from the instance and the
    spec file (whose SHA-256 was recorded at solve time and is checked) by the
    independent verifier, and every claim in the files that does not match is
    a failure. A classic model's instance is loaded again from the file
    recorded at solve time; the selected sites, coverage or assignment and the
    objective are re-checked. Exit code 0 when every check holds, 5 when one
    fails (each failure is listed), 4 when the folder holds no solution, 2 for
    a folder or file that cannot be read.

    Examples:

      siting verify out/my-plan

      siting verify out/my-plan --spec my-plan.toml --json

      siting verify out/cap41
    """
    from siting.readback import folder_kind

    kind = folder_kind(folder)
    if kind == "sweep":
        from siting.errors import InputError

        raise InputError("a sweep folder: verify each scenario's solution instead", path=folder)
    if kind == "classic":
        result = _verify_classic(folder, instance)
    else:
        result = _verify_plan(folder, instance, spec_file)
    if result is None:
        if not quiet:
            typer.echo(f"{folder}: no solution to verify", err=True)
        from siting.backends.base import Status

        finish(exit_code(Status.NO_SOLUTION))
        return
    verdict, count_text = result
    if as_json:
        typer.echo(json.dumps(verdict, ensure_ascii=False, sort_keys=True, default=str))
    elif not quiet:
        word = "verified" if verdict["verified"] else "FAILED verification"
        typer.echo(f"{folder}: {word} against {verdict['against']} ({count_text})")
        for line in [*verdict["verification"], *verdict["notes"]]:
            typer.echo(f"  - {line}")
    # the failures are listed above: exit without another message
    finish(exit_code(verified=bool(verdict["verified"])))


def _verify_plan(
    folder: Path, instance: Path | None, spec_file: Path | None
) -> tuple[dict[str, Any], str] | None:
    """A spec's plan: the verdict and the count of new facilities (None: no solution)."""
    from siting.multi import MultiService, MultiServiceProblem
    from siting.readback import read_summary
    from siting.readback_multi import read_solution
    from siting.verify.folder import plan_folder_failures, spec_failures
    from siting.workflow import check

    sol, spec, data = read_solution(folder, instance=instance, spec=spec_file)
    if not sol.status.has_solution:
        return None
    model = MultiService(spec)
    notes: list[str] = []
    capacitated = [name for name, f in spec.facility.items() if f.capacity is not None]
    comparable = True
    if capacitated and not sol.served:
        notes.append("served.csv missing: the objective of capacitated services is not re-checked")
        sol.objective = None
        comparable = False
    prob = MultiServiceProblem(spec, data)
    report = check(prob, model, sol)
    for note in sol.read_notes:
        if "changed since the solve" in note:
            report.fail(note + " (sha256 differs): re-solve, or pass --spec to check against it")
        else:
            notes.append(note)
    meta = read_summary(folder)
    for failure in spec_failures(meta, spec, spec_file is not None):
        report.fail(failure)
    if report.ok:  # each file against its recomputation (a failed plan has said enough)
        objective = report.objective if comparable else None
        for failure in plan_folder_failures(folder, prob, sol, objective, meta,
                                            report.details.get("coverage"), model.sense):
            report.fail(failure)
    sol.accept(report, model.sense)
    if "targets" in report.details:
        sol.targets = report.details["targets"]
    count = int(sol.facilities["count"].sum()) if len(sol.facilities) else 0
    return _verdict(folder, spec, sol, notes), f"{count} new facilities"


def _verify_classic(folder: Path, instance: Path | None) -> tuple[dict[str, Any], str] | None:
    """A classic model's solution: the verdict and the count of sites (None: no solution)."""
    from siting.readback import read_classic, read_summary
    from siting.verify.folder import classic_folder_failures
    from siting.workflow import check

    sol, model, inst = read_classic(folder, instance_path=instance)
    if not sol.status.has_solution:
        return None
    report = check(inst, model, sol)
    if report.ok:  # solution.json and the layers against their recomputation
        for failure in classic_folder_failures(folder, sol, report.objective,
                                               read_summary(folder), model.sense):
            report.fail(failure)
    sol.accept(report, model.sense)
    verdict = {
        "folder": str(folder),
        "against": f"{model.name} on {inst.name}",
        "verified": bool(sol.verified),
        "verification": sol.verification,
        "objective": sol.objective,
        "notes": [],
    }
    return verdict, f"{len(sol.selected)} sites"


def _verdict(folder: Path, spec: Any, sol: Any, notes: list[str]) -> dict[str, Any]:
    """The ``--json`` object: the verdict, each failure and the targets met."""
    return {
        "folder": str(folder),
        "against": spec.meta.name,
        "spec": spec.meta.name,
        "verified": bool(sol.verified),
        "verification": sol.verification,
        "objective": sol.objective,
        "targets_met": int(sol.targets["met"].sum()) if len(sol.targets) else 0,
        "targets": len(sol.targets),
        "notes": notes,
    }
