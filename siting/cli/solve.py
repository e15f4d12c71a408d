"""``siting solve``: a classic model on an instance file, or a multi-service spec (.toml)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from siting.backends import DEFAULT_BACKEND
from siting.cli.arguments import (
    choices,
    model_arguments,
    not_taken,
    option_names,
    parse_given,
    with_model_options,
)
from siting.cli.exits import (
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    EXIT_UNVERIFIED,
    exit_code,
    finish,
    keep,
)
from siting.cli.options import (
    CrsOption,
    EncodingOption,
    FormatName,
    JsonFlag,
    JunctionsOption,
    LevelOption,
    MaxAccessOption,
    NetworkWhereOption,
    QuietFlag,
    XyOption,
    loading_options,
    not_for_a_spec,
    parse_number,
    street_rules,
)
from siting.cli.progress import Phases
from siting.registry import Param, model_names

#: The default columns of a travel table (as siting.io.COST_COLUMNS; not imported, to start fast).
COST_COLUMNS = ("origin", "destination", "cost")

if TYPE_CHECKING:
    ModelName = StrEnum
else:  # the registered models (siting.registry), as ``--model`` offers them
    ModelName = choices("ModelName", model_names())
DEFAULT_MODEL = ModelName("mclp")
DEFAULT_SOLVER = DEFAULT_BACKEND
DEFAULT_GAP = "1e-6"


@with_model_options(after="format")
def solve(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Instance file or CSV folder.", show_default=False)],
    model: Annotated[
        ModelName, typer.Option("--model", "-m", help="Location model.")
    ] = DEFAULT_MODEL,
    format: Annotated[
        FormatName, typer.Option("--format", "-f", help="Input format.")
    ] = FormatName.auto,
    solver: Annotated[
        str, typer.Option("--solver", "-s", help="Back end: highs, ortools, cbc, ...")
    ] = DEFAULT_SOLVER,
    time_limit_text: Annotated[
        str | None,
        typer.Option("--time-limit", "-t", help="Seconds; the best solution so far is kept.",
                     metavar="<float>"),
    ] = None,
    gap_text: Annotated[
        str, typer.Option("--gap", help="Relative gap at which to stop.", metavar="<float>")
    ] = DEFAULT_GAP,
    threads_text: Annotated[
        str | None, typer.Option("--threads", help="Solver threads.", metavar="<int>")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the solution files to this folder.")
    ] = None,
    as_json: JsonFlag = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip the independent verification.")
    ] = False,
    quiet: QuietFlag = False,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html into the output folder.")
    ] = False,
    instance: Annotated[
        Path | None,
        typer.Option("--instance", help="Instance folder for a spec (default: the spec's)."),
    ] = None,
    network: Annotated[
        str | None,
        typer.Option(
            "--network",
            help="FILE[:LAYER]: a line layer of walkable streets; distances become walking "
            "distances (CSV folders and GeoPackages).",
        ),
    ] = None,
    costs: Annotated[
        Path | None,
        typer.Option(
            "--costs",
            help="An origin-destination table (CSV or Parquet: demand id, site id, cost), "
            "e.g. travel times from OSRM, r5 or an OD cost matrix; distances are its costs, "
            "--radius and --cutoff are in its units (e.g. minutes), a pair not in it is "
            "unreachable (CSV folders and GeoPackages; not with --network).",
        ),
    ] = None,
    cost_columns: Annotated[
        str,
        typer.Option("--costs-columns", help="The table's columns: ORIGIN,DESTINATION,COST."),
    ] = ",".join(COST_COLUMNS),
    cost_unit: Annotated[
        str | None,
        typer.Option("--costs-unit", help="A label for the table's costs, e.g. min."),
    ] = None,
    unit_weights: Annotated[
        bool,
        typer.Option("--unit-weights", help="Demand without a weight column counts 1 a point."),
    ] = False,
    junctions: JunctionsOption = None,
    level: LevelOption = None,
    max_access_text: MaxAccessOption = None,
    network_where: NetworkWhereOption = None,
    crs: CrsOption = None,
    encoding: EncodingOption = None,
    xy_text: XyOption = None,
    weighted: Annotated[
        bool, typer.Option("--weighted", help="p-center: minimise the largest weight × distance.")
    ] = False,
    model_options: dict[Param, Any] | None = None,
) -> None:
    """Solve a location model on an instance, or a multi-service model spec (.toml).

    With a spec, writes out/<spec>/ (or --out): solution.json (status, gap,
    the spec and instance used), facilities.csv/.gpkg, coverage.csv,
    targets.csv, budget.csv, baseline.csv, subdistricts.csv, served.csv and,
    with --report, report.html; `siting report` and `siting verify` read them
    back. Before the solve a spec's data are checked as `siting check` does:
    warnings and loading notes are printed on stderr and kept in
    solution.json; data on which nothing could be planned stop it (exit 2).
    With an instance file, --model picks the classic model.

    Exit codes: 0 solved and verified, 1 unexpected error, 2 bad arguments or
    input, 3 infeasible (with the reason), 4 no solution within the limits,
    5 failed verification, 130 interrupted.

    Examples:

      siting solve my-plan.toml --report

      siting solve my-plan.toml --time-limit 20 --json --quiet

      siting solve instances/reference/orlib-pmed/pmed1.txt --model p-median --json

      siting solve instances/reference/swain/swain.dat --model mclp --radius 10 --p 3

      siting solve instances/reference/swain/swain.dat --model pscp --radius 10 --share 0.9

      siting solve instances/reference/orlib-cap/cap41.txt --model cflp --out out/cap41

      siting solve my-data/ --model mclp --radius 500 --p 3 --network streets.gpkg:roads

      siting solve my-data/ --model mclp --radius 500 --p 3 --network centrelines.shp
      --junctions crossings --level layer --network-where "kind <> 'motorway'"

      siting solve my-data/ --model mclp --radius 300 --p 3 --crs EPSG:4326 --encoding GBK

      siting solve my-data/ --model p-median --p 4 --costs osrm-minutes.csv

      siting solve my-data/ --model mclp --radius 10 --p 3 --costs od.csv
      --costs-columns from_id,to_id,travel_time --costs-unit min

      siting solve my-data/ --model attendance --p 3 --decay linear --cutoff 800

      siting solve my-data/ --model market-share --p 2 --competitors rivals.csv --beta 2
    """
    options = model_options or {}
    if path.suffix.lower() == ".toml":
        not_for_a_spec(crs, encoding, xy_text)
        refuse_classic_options(ctx, options, path)
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
    loading = loading_options(crs, encoding, xy_text)
    streets = street_rules(junctions, level, max_access_text, network_where)
    given = parse_given(options)
    time_limit = parse_number(time_limit_text, "--time-limit", float)
    gap = parse_number(gap_text, "--gap", float)
    threads = parse_number(threads_text, "--threads", int)
    if weighted and model.value not in ("p-center", "weighted-p-center"):
        from siting.errors import ParameterError

        raise ParameterError(f"{model.value} does not take --weighted (p-center's)",
                             field="--weighted")
    name = "weighted-p-center" if weighted else model.value
    solve_classic(
        path,
        model=name,
        format=format.value,
        network=network,
        costs=costs,
        cost_columns=parse_columns(cost_columns),
        cost_unit=cost_unit,
        unit_weights=unit_weights,
        loading=loading,
        streets=streets,
        report=report,
        given=given,
        solver=solver,
        time_limit=time_limit,
        gap=gap,
        threads=threads,
        out=out,
        as_json=as_json,
        quiet=quiet,
        verify=not no_verify,
    )


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


def solve_classic(
    path: Path,
    *,
    model: str,
    format: str,
    network: str | None = None,
    costs: Path | None = None,
    cost_columns: tuple[str, str, str] = COST_COLUMNS,
    cost_unit: str | None = None,
    unit_weights: bool = False,
    loading: dict[str, Any] | None = None,
    streets: Any = None,
    report: bool = False,
    given: dict[Param, Any],
    solver: str,
    time_limit: float | None,
    gap: float | None,
    threads: int | None,
    out: Path | None,
    as_json: bool,
    quiet: bool,
    verify: bool,
) -> None:
    """Solve a classic model on an instance file or CSV folder, print and write it.

    ``loading``: ``crs``, ``encoding`` and ``xy`` of :func:`siting.io.load_instance`;
    ``given``: the model options given (:func:`siting.cli.arguments.parse_given`), each
    of which the model must take.
    """
    from dataclasses import replace

    from siting.backends.base import get_backend
    from siting.io import load_instance
    from siting.models import MODELS
    from siting.outputs import check_output_folder

    # Every option is checked before any data is read.
    options = checked_options(time_limit=time_limit, mip_gap=gap, threads=threads)
    kind = MODELS[model]
    unused = not_taken(kind, given)
    if unused:
        from siting.errors import ParameterError

        raise ParameterError(f"{model} does not take {', '.join(unused)}", field=unused[0])
    with as_option_errors(option_names(kind)):
        get_backend(solver)
        location_model = kind(**model_arguments(kind, given))
    if report and out is None:
        from siting.errors import ParameterError

        raise ParameterError("a classic model's report is written into its --out folder: "
                             "give --out", field="--report")
    if out is not None:
        check_output_folder(out)
    check_costs(costs, network)
    loading = {k: v for k, v in (loading or {}).items() if v is not None}
    loaded = load_instance(path, format, unit_weights=unit_weights, network=network,
                           costs=costs, cost_columns=cost_columns, cost_unit=cost_unit,
                           streets=streets, **loading)
    defaults = model_arguments(kind, given, loaded.defaults.get("p"))
    if defaults != model_arguments(kind, given):
        location_model = replace(location_model, **defaults)  # type: ignore[type-var]
    with Phases(enabled=not (quiet or as_json)) as phases:
        options = replace(options, progress=phases.solver_progress())
        with phases.timed(f"{model}: model, solve and verification", time_limit):
            sol = location_model.solve(loaded.instance, solver, options, verify=verify)
    sol.stats["mip_gap"] = options.mip_gap  # what `optimal` means here (siting verify)
    sol.inputs = {"path": str(path.resolve()), "format": loaded.format,
                  "unit_weights": unit_weights, **loading}
    if network is not None:
        from siting.data.layers import split_source

        file, layer = split_source(network)
        sol.inputs["network"] = str(Path(file).resolve()) + (f":{layer}" if layer else "")
        if streets is not None and streets.said():  # `siting verify` builds it the same way
            from dataclasses import asdict

            sol.inputs["streets"] = asdict(streets)
    if costs is not None:  # `siting verify` reads the same table again
        sol.inputs.update(costs=str(costs.resolve()), cost_columns=list(cost_columns),
                          cost_unit=cost_unit)
    if out is not None and write_outcome(sol, out) and report:
        from siting.report import write_classic_report

        write_classic_report(out, loaded.instance, sol)
    if as_json:
        typer.echo(sol.to_json())
    elif not quiet:
        from siting.cli.summary import print_summary

        print_summary(sol)
    reason = sol.message or "no feasible solution"
    _conclude(sol, infeasible=f"{model} on {loaded.instance.name} is infeasible: {reason}")


def parse_columns(text: str) -> tuple[str, str, str]:
    """``--costs-columns``: three column names, origin, destination and cost.

    >>> parse_columns("from_id, to_id ,travel_time")
    ('from_id', 'to_id', 'travel_time')
    """
    names = [name.strip() for name in text.split(",")]
    if len(names) != 3 or not all(names):
        from siting.errors import ParameterError

        raise ParameterError("give three column names: ORIGIN,DESTINATION,COST",
                             field="--costs-columns", value=text)
    return names[0], names[1], names[2]


def check_costs(costs: Path | None, network: str | None) -> None:
    """``--costs`` names a file, and is not given with ``--network`` (one distance source)."""
    from siting.errors import InputError

    if costs is not None and network is not None:
        raise InputError("give one distance source: a travel table (--costs) or a street "
                         "network (--network), not both", field="--costs", value=str(costs))
    if costs is not None and not costs.is_file():
        raise InputError("file not found (an origin-destination table)", path=costs,
                         field="--costs")


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
            say_findings(findings, phases.console, folders, live=phases.progress is not None)
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


def write_outcome(sol: Any, out: Path, *args: Any) -> bool:
    """Write the solution folder when the run has an answer (a plan, or infeasible).

    A run stopped before any plan leaves an earlier folder as it was; either
    way, what happened is recorded for the line printed after a Ctrl-C.
    """
    from siting.backends.base import Status

    if not (sol.status.has_solution or sol.status == Status.INFEASIBLE):
        keep(f"no plan was found, so {out} was left as it was")
        return False
    sol.write(out, *args)
    if sol.status.has_solution:
        gap = "unknown" if sol.gap is None else f"{100 * sol.gap:.2f}%"
        keep(f"the best plan found so far ({sol.status}, gap {gap}) was written to {out}")
    else:
        keep(f"the {sol.status} result was written to {out}")
    return True


#: Option names of SolveOptions' fields, for errors that name what the user typed.
OPTION_NAMES = {"time_limit": "--time-limit", "mip_gap": "--gap", "threads": "--threads",
                "solver": "--solver"}


@contextmanager
def as_option_errors(fields: dict[str, str] | None = None) -> Iterator[None]:
    """Parameter errors raised inside name the command-line option, not the field
    (``fields``: a model's field names -> its flags)."""
    from siting.errors import ParameterError

    names = {**OPTION_NAMES, **(fields or {})}
    try:
        yield
    except ParameterError as exc:
        field = names.get(exc.field or "", exc.field)
        raise ParameterError(exc.reason, path=exc.path, row=exc.row, field=field,
                             value=exc.value) from None


def checked_options(**values: Any) -> Any:
    """SolveOptions from the command's values, refused (naming the option) when out of range."""
    from siting.backends.base import SolveOptions

    with as_option_errors():
        return SolveOptions(**values)


def _conclude(sol: Any, *, infeasible: str) -> None:
    """End the command by the solution's status and verification (each solve's last step)."""
    code = exit_code(sol.status, verified=sol.verified)
    message = None
    if code == EXIT_INFEASIBLE:
        message = infeasible
    elif code == EXIT_UNVERIFIED:
        message = "solution failed verification: " + "; ".join(sol.verification)
    elif code == EXIT_NO_SOLUTION:
        message = no_plan_message(sol)
    finish(code, message)


def no_plan_message(sol: Any) -> str:
    """Why a run ends without a plan, and what may help, in one line.

    >>> from types import SimpleNamespace as S
    >>> no_plan_message(S(status="no_solution", message="Time limit reached"))
    'no plan was found (time limit reached); a longer --time-limit may find one'
    >>> no_plan_message(S(status="unbounded", message=""))
    'no plan was found: the solver says unbounded'
    """
    text = getattr(sol, "message", "")
    detail = f" ({text[:1].lower()}{text[1:]})" if text else ""
    if str(sol.status) == "no_solution":
        found = detail or " within the limits"
        return f"no plan was found{found}; a longer --time-limit may find one"
    return f"no plan was found: the solver says {sol.status}{detail}"
