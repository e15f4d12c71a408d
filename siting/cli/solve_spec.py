"""``siting solve SPEC.toml``: a multi-service spec, its options checked against those of a
classic model; :mod:`siting.cli.solve` re-exports these names.

>>> CLASSIC_ONLY["model"]
'--model'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from siting.cli.progress import Phases
from siting.cli.solve_outcome import _conclude, as_option_errors, checked_options, write_outcome
from siting.registry import Param

#: The command's own options that only a classic model on an instance file uses
#: (python name -> flag); a spec says its model and data itself.
CLASSIC_ONLY = {"model": "--model", "format": "--format", "network": "--network",
                "costs": "--costs", "cost_columns": "--costs-columns",
                "cost_unit": "--costs-unit", "unit_weights": "--unit-weights",
                "junctions": "--junctions", "level": "--level",
                "max_access_text": "--max-access", "network_where": "--network-where",
                "weighted": "--weighted"}


def refuse_classic_options(ctx: typer.Context, options: dict[Param, Any], spec: Path) -> None:
    """Refuse, before any work, the options of a classic model given with a spec."""
    said = [flag for name, flag in CLASSIC_ONLY.items()
            if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"]
    said += [str(p.flag) for p, value in options.items()
             if p.classic_only and value is not None and value is not False]
    if said:
        from siting.errors import ParameterError

        raise ParameterError(
            "options for a classic model on an instance file, not for a spec (it names its "
            f"own model and data): {', '.join(said)}", path=spec)

def solve_spec(
    path: Path,
    *,
    solver_given: str | None,
    time_limit: float | None,
    gap: float | None,
    threads: int | None,
    out: Path | None,
    as_json: bool,
    quiet: bool,
    verify: bool,
    report: bool,
    instance: Path | None = None,
) -> None:
    """Solve a multi-service model spec (TOML) and write its tables and report.

    The data are checked first (:func:`siting.multi.checks.check_plan_data`):
    warnings and loading notes are printed on stderr, and an error (nothing could
    be planned) stops the command with exit code 2 before any work.

    Progress (on stderr): a row a stage, loading, coverage, model, start (the
    heuristic plan and the full model's LP bound) and search (a bar over the time
    limit with the incumbent and gap as they improve), then verify, reasons and
    the files; without a terminal, one line a stage as it ends.
    """
    from dataclasses import replace

    from siting.backends.base import get_backend
    from siting.cli.check import refuse, say_findings
    from siting.data import load_service_data
    from siting.multi import MultiService
    from siting.multi.checks import check_plan_data
    from siting.multi.spec import load_spec
    from siting.outputs import check_output_folder, output_name
    from siting.readback import sha256_of

    spec = load_spec(path)
    # Every option, the back end and the output folder are checked before any data is read.
    options = checked_options(
        time_limit=time_limit if time_limit is not None else spec.solver.time_limit,
        mip_gap=gap if gap is not None else spec.solver.mip_gap,
        threads=threads if threads is not None else spec.solver.threads,
    )
    with as_option_errors():
        get_backend(solver_given or spec.solver.backend)
    out_dir = out if out is not None else Path("out") / output_name(spec.meta.name, path)
    check_output_folder(out_dir)
    with Phases(enabled=not (quiet or as_json)) as phases:
        where = instance or (spec.data.blocks if spec.data else spec.meta.instance)
        with phases.spinner(f"loading ({where})"):
            data = load_service_data(spec, instance)
        findings = check_plan_data(spec, data)
        if not quiet:
            folders = [path.resolve().parent, *([Path(data.source)] if data.source else [])]
            live = phases.progress is not None  # else plain lines: no rich console made
            say_findings(findings, phases.console if live else None, folders, live=live)
        refuse(findings, path)  # nothing could be planned: stop before any work
        options = replace(options, progress=phases.solver_progress())
        with phases.staged(options.time_limit):
            sol = MultiService(spec).solve(
                data, solver_given, options, verify=verify,
                on_stage=phases.stage_hook(options.time_limit), findings=findings,
            )
        sol.stats["mip_gap"] = options.mip_gap  # what `optimal` means here (siting verify)
        sol.spec_path = str(path.resolve())
        sol.spec_sha256 = sha256_of(path)
        wrote = write_outcome(sol, out_dir, data)
        if report and wrote:
            from siting.report import write_report

            with phases.spinner("writing report.html"):
                write_report(out_dir, data, sol, spec)
    if as_json:
        typer.echo(sol.to_json())
    elif not quiet:
        from siting.cli.summary import print_spec_summary

        print_spec_summary(sol, out_dir, options.mip_gap, wrote=wrote)
    _conclude(sol, infeasible=f"{spec.meta.name}: " + "; ".join(sol.explanation or [sol.message]))
