"""``siting solve``: a classic model on an instance file, or a multi-service spec (.toml)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from siting.backends import DEFAULT_BACKEND
from siting.cli.arguments import (
    choices,
    parse_given,
    with_model_options,
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
from siting.cli.solve_classic import COST_COLUMNS, check_costs, parse_columns, solve_classic
from siting.cli.solve_outcome import (
    OPTION_NAMES,
    _conclude,
    as_option_errors,
    checked_options,
    no_plan_message,
    write_outcome,
)
from siting.cli.solve_spec import CLASSIC_ONLY, refuse_classic_options, solve_spec
from siting.registry import Param, model_names

__all__ = [
    "CLASSIC_ONLY",
    "COST_COLUMNS",
    "DEFAULT_GAP",
    "DEFAULT_MODEL",
    "DEFAULT_SOLVER",
    "OPTION_NAMES",
    "ModelName",
    "_conclude",
    "as_option_errors",
    "check_costs",
    "checked_options",
    "no_plan_message",
    "parse_columns",
    "refuse_classic_options",
    "solve",
    "solve_classic",
    "solve_spec",
    "write_outcome",
]


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
