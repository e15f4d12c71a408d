"""``siting report``: one self-contained HTML page from a solution or sweep folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def report(
    folder: Annotated[
        Path, typer.Argument(help="A folder written by `siting solve` or `siting sweep`.")
    ],
    instance: Annotated[
        Path | None,
        typer.Option("--instance", help="Instance folder (default: the one recorded at solve)."),
    ] = None,
    spec_file: Annotated[
        Path | None,
        typer.Option("--spec", help="Spec file (default: the spec recorded in solution.json)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file (default: FOLDER/report.html).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Write one self-contained HTML report (opens offline) from a solution folder.

    Any folder `siting solve` or `siting sweep` wrote: a spec's plan, a classic
    model's solution (its instance reloaded from the file recorded at solve
    time: demand points by coverage or assigned site, the chosen sites, the
    allocation lines) or a sweep.

    For a solution: a map of the area (sub-districts, blocks shaded by coverage,
    existing and new facilities by type and year; zoom, pan and hover), the
    plan-target table, coverage per sub-district, the budget by year and type
    and the comparison with the existing facilities alone. For a sweep folder
    (pareto.csv): the budget–coverage curve and the scenario table.

    Examples:

      siting report out/my-plan

      siting report out/my-plan --out /tmp/plan.html

      siting report out/my-plan-sweep
    """
    from siting.outputs import write_atomic
    from siting.readback import folder_kind

    target = out if out is not None else folder / "report.html"
    kind = folder_kind(folder)
    if kind == "sweep":
        page = _sweep_page(folder)
    elif kind == "classic":
        from siting.readback import read_classic
        from siting.report import classic_report_html

        classic, _, inst = read_classic(folder, instance_path=instance)
        page = classic_report_html(inst, classic)
    else:
        from siting.readback_multi import read_solution
        from siting.report import report_html

        sol, spec, data = read_solution(folder, instance=instance, spec=spec_file)
        page = report_html(data, sol, spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, page)
    if not quiet:
        typer.echo(f"wrote {target}")


def _sweep_page(folder: Path) -> str:
    """The report of a sweep folder, from its pareto.csv and sweep.json."""
    import pandas as pd

    from siting.report import sweep_report_html

    info = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    table = pd.read_csv(folder / "pareto.csv", keep_default_na=True)
    table["message"] = table["message"].fillna("").astype(str)
    return sweep_report_html(table, info)
