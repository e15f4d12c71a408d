"""``siting solve``: a classic model on an instance file, or a multi-service spec (.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from siting.cli.exits import EXIT_INFEASIBLE, EXIT_UNVERIFIED, exit_code, finish
from siting.cli.options import FormatName, FormulationName, ModelName, parse_number
from siting.cli.progress import Phases

DEFAULT_SOLVER = "highs"
DEFAULT_GAP = "1e-6"


def solve(
    path: Annotated[Path, typer.Argument(help="Instance file or CSV folder.", show_default=False)],
    model: Annotated[
        ModelName, typer.Option("--model", "-m", help="Location model.")
    ] = ModelName.mclp,
    format: Annotated[
        FormatName, typer.Option("--format", "-f", help="Input format.")
    ] = FormatName.auto,
    p_text: Annotated[
        str | None, typer.Option("--p", "-p", help="Number of new facilities.")
    ] = None,
    radius_text: Annotated[
        str | None,
        typer.Option("--radius", "-r", help="Service radius, in the data's distance unit."),
    ] = None,
    budget_text: Annotated[
        str | None, typer.Option("--budget", "-b", help="Budget for new sites (MCLP).")
    ] = None,
    solver: Annotated[
        str, typer.Option("--solver", "-s", help="Back end: highs, ortools, cbc, ...")
    ] = DEFAULT_SOLVER,
    time_limit_text: Annotated[
        str | None,
        typer.Option("--time-limit", "-t", help="Seconds; the best solution so far is kept."),
    ] = None,
    gap_text: Annotated[
        str, typer.Option("--gap", help="Relative gap at which to stop.")
    ] = DEFAULT_GAP,
    threads_text: Annotated[str | None, typer.Option("--threads", help="Solver threads.")] = None,
    formulation: Annotated[
        FormulationName,
        typer.Option("--formulation", help="MCLP: compact, benders, or auto (from the instance)."),
    ] = FormulationName.auto,
    candidates_text: Annotated[
        str | None,
        typer.Option(
            "--candidates",
            help="Restrict assignment to the k nearest sites (p-median, UFLP, CFLP).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the solution files to this folder.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip the independent verification.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but errors (and --json).")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html (model specs).")
    ] = False,
    instance: Annotated[
        Path | None,
        typer.Option("--instance", help="Instance folder for a spec (default: the spec's)."),
    ] = None,
) -> None:
    """Solve a location model on an instance, or a multi-service model spec (.toml).

    With a spec, writes out/<spec>/ (or --out): solution.json (status, gap,
    the spec and instance used), facilities.csv/.gpkg, coverage.csv,
    targets.csv, budget.csv, baseline.csv, subdistricts.csv, served.csv and,
    with --report, report.html; `siting report` and `siting verify` read them
    back. With an instance file, --model picks the classic model.

    Exit codes: 0 solved and verified, 1 unexpected error, 2 bad arguments or
    input, 3 infeasible (with the reason), 4 no solution within the limits,
    5 failed verification, 130 interrupted.

    Examples:

      siting solve models/huitian-2026-2030.toml --report

      siting solve models/huitian-2026-2030.toml --time-limit 20 --json --quiet

      siting solve instances/reference/orlib-pmed/pmed1.txt --model p-median --json

      siting solve instances/reference/swain/swain.dat --model mclp --radius 10 --p 3

      siting solve instances/reference/orlib-cap/cap41.txt --model cflp --out out/cap41
    """
    if path.suffix.lower() == ".toml":
        # a spec keeps its own solver settings unless an option overrides them
        solve_spec(
            path,
            solver_given=solver if solver != DEFAULT_SOLVER else None,
            time_limit=parse_number(time_limit_text, "--time-limit", float),
            gap=parse_number(gap_text, "--gap", float) if gap_text != DEFAULT_GAP else None,
            threads=parse_number(threads_text, "--threads", int),
            out=out,
            as_json=as_json,
            quiet=quiet,
            verify=not no_verify,
            report=report,
            instance=instance,
        )
        return
    # parsed in this order so the first bad option is the one reported
    parameters = {
        "p": parse_number(p_text, "--p", int),
        "radius": parse_number(radius_text, "--radius", float),
        "budget": parse_number(budget_text, "--budget", float),
    }
    time_limit = parse_number(time_limit_text, "--time-limit", float)
    gap = parse_number(gap_text, "--gap", float)
    threads = parse_number(threads_text, "--threads", int)
    parameters["candidates"] = parse_number(candidates_text, "--candidates", int)
    parameters["formulation"] = formulation.value
    solve_classic(
        path,
        model=model.value,
        format=format.value,
        parameters=parameters,
        solver=solver,
        time_limit=time_limit,
        gap=gap,
        threads=threads,
        out=out,
        as_json=as_json,
        quiet=quiet,
        verify=not no_verify,
    )


def model_arguments(name: str, parameters: dict[str, Any], default_p: Any) -> dict[str, Any]:
    """The constructor arguments model ``name`` takes from the command's parameters.

    >>> model_arguments("p-median", {"p": None, "radius": 5.0, "candidates": 8}, 3)
    {'p': 3, 'candidates': 8}
    >>> model_arguments("lscp", {"p": 2, "radius": 5.0, "candidates": 8}, None)
    {'radius': 5.0}
    >>> model_arguments("mclp", {"p": 2, "radius": 5.0, "formulation": "benders"}, None)
    {'radius': 5.0, 'p': 2, 'budget': None, 'formulation': 'benders'}
    """
    p = parameters.get("p") if parameters.get("p") is not None else default_p
    arguments: dict[str, Any] = {}
    if name == "mclp":
        arguments.update(radius=parameters.get("radius"), p=p, budget=parameters.get("budget"))
        if parameters.get("formulation") not in (None, "auto"):
            arguments.update(formulation=parameters["formulation"])
    elif name in ("lscp", "set-cover", "lscp-b"):
        arguments.update(radius=parameters.get("radius"))
    elif name in ("p-median", "p-center"):
        arguments.update(p=p)
    if name in ("p-median", "uflp", "cflp") and parameters.get("candidates") is not None:
        arguments.update(candidates=parameters["candidates"])
    return arguments


def solve_classic(
    path: Path,
    *,
    model: str,
    format: str,
    parameters: dict[str, Any],
    solver: str,
    time_limit: float | None,
    gap: float | None,
    threads: int | None,
    out: Path | None,
    as_json: bool,
    quiet: bool,
    verify: bool,
) -> None:
    """Solve a classic model on an instance file or CSV folder, print and write it."""
    from siting.backends.base import SolveOptions
    from siting.errors import ParameterError
    from siting.io import load_instance
    from siting.models import MODELS

    loaded = load_instance(path, format)
    arguments = model_arguments(model, parameters, loaded.defaults.get("p"))
    if time_limit is not None and time_limit <= 0:
        raise ParameterError("must be > 0", field="--time-limit", value=time_limit)
    if gap is None or not (0 <= gap < 1):
        raise ParameterError("must be in [0, 1)", field="--gap", value=gap)
    location_model = MODELS[model](**arguments)
    with Phases(enabled=not (quiet or as_json)) as phases:
        options = SolveOptions(
            time_limit=time_limit, mip_gap=gap, threads=threads, progress=phases.solver_progress()
        )
        with phases.timed(f"{model}: model, solve and verification", time_limit):
            sol = location_model.solve(loaded.instance, solver, options, verify=verify)
    if out is not None:
        sol.write(out)
    if as_json:
        typer.echo(sol.to_json())
    elif not quiet:
        from siting.cli.summary import print_summary

        print_summary(sol)
    reason = sol.message or "no feasible solution"
    _conclude(sol, infeasible=f"{model} on {loaded.instance.name} is infeasible: {reason}")


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

    Progress (on stderr): a spinner while the instance loads, then a bar over
    the time limit while coverage, model and solve run (HiGHS reports no
    incumbent to Python, so the gap is shown once the solve ends).
    """
    from siting.backends.base import SolveOptions
    from siting.multi import MultiService
    from siting.multi.data import ServiceData
    from siting.multi.spec import load_spec

    spec = load_spec(path)
    with Phases(enabled=not (quiet or as_json)) as phases:
        with phases.spinner(f"reading the instance ({instance or spec.meta.instance})"):
            data = ServiceData.from_huitian(instance or spec.meta.instance)
        options = SolveOptions(
            time_limit=time_limit or spec.solver.time_limit,
            mip_gap=gap if gap is not None else spec.solver.mip_gap,
            threads=threads or spec.solver.threads,
            progress=phases.solver_progress(),
        )
        with phases.timed("coverage, model, solve and verification", options.time_limit):
            sol = MultiService(spec).solve(data, solver_given, options, verify=verify)
        sol.spec_path = str(path.resolve())
        out_dir = out if out is not None else Path("out") / spec.meta.name
        sol.write(out_dir, data)
        if report:
            from siting.report import write_report

            with phases.spinner("writing report.html"):
                write_report(out_dir, data, sol, spec)
    if as_json:
        typer.echo(sol.to_json())
    elif not quiet:
        from siting.cli.summary import print_spec_summary

        print_spec_summary(sol, out_dir, options.mip_gap)
    _conclude(sol, infeasible=f"{spec.meta.name}: " + "; ".join(sol.explanation or [sol.message]))


def _conclude(sol: Any, *, infeasible: str) -> None:
    """End the command by the solution's status and verification (each solve's last step)."""
    code = exit_code(sol.status, verified=sol.verified)
    messages = {
        EXIT_INFEASIBLE: infeasible,
        EXIT_UNVERIFIED: "solution failed verification: " + "; ".join(sol.verification),
    }
    finish(code, messages.get(code))
