"""``siting sweep``: a grid of a spec's scenarios solved on Dask, and its Pareto table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from siting.cli.exits import (
    EXIT_ERROR,
    EXIT_NO_SOLUTION,
    EXIT_UNVERIFIED,
    exit_code,
    finish,
    keep,
)
from siting.cli.options import JsonFlag, QuietFlag, parse_number
from siting.cli.progress import Phases
from siting.errors import ParameterError


def sweep(
    spec_file: Annotated[
        Path,
        typer.Argument(help="Multi-service spec (.toml), or an instance file or folder with "
                       "--model."),
    ],
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="A classic model to sweep on an instance (mclp, "
                     "p-median, lscp, ...)."),
    ] = None,
    p_text: Annotated[
        str | None,
        typer.Option("--p", "-p", help="Classic: numbers of new sites START:STOP:N (or A,B,C)."),
    ] = None,
    share_text: Annotated[
        str | None,
        typer.Option("--share", help="Classic: shares of the weight to cover START:STOP:N."),
    ] = None,
    network: Annotated[
        str | None,
        typer.Option("--network", help="Classic: FILE[:LAYER], a street line layer (walking "
                     "distances)."),
    ] = None,
    costs: Annotated[
        Path | None,
        typer.Option("--costs", help="Classic: an origin-destination table (demand id, site "
                     "id, cost)."),
    ] = None,
    budget: Annotated[
        str | None,
        typer.Option(
            "--budget", "-b", help="Total budgets START:STOP:N (or A,B,C); yearly ones scale "
            "along. Classic: the model's budget."
        ),
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="NAME_OR_INDEX=START:STOP:N: a target's share (coverage) or count; repeatable.",
        ),
    ] = None,
    radius: Annotated[
        list[str] | None,
        typer.Option(
            "--radius", "-r", help="TYPE=START:STOP:N: a service radius in m; repeatable. "
            "Classic: START:STOP:N, the model's radius (a value: fixed)."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            envvar="DASK_SCHEDULER_ADDRESS",
            help="Dask scheduler tcp://HOST:PORT (default: $DASK_SCHEDULER_ADDRESS, else a "
            "local cluster).",
        ),
    ] = None,
    workers_text: Annotated[
        str | None, typer.Option("--workers", "-w", help="Local worker processes (default: CPUs).")
    ] = None,
    instance: Annotated[
        Path | None, typer.Option("--instance", help="Instance folder (default: the spec's).")
    ] = None,
    time_limit_text: Annotated[
        str | None, typer.Option("--time-limit", "-t", help="Seconds per scenario.")
    ] = None,
    gap_text: Annotated[
        str | None, typer.Option("--gap", help="Relative gap per scenario.")
    ] = None,
    solver: Annotated[str | None, typer.Option("--solver", "-s", help="Back end.")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Explain infeasible scenarios (more solves).")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder (default: out/<spec>-sweep).")
    ] = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Solve a grid of scenarios of a spec in parallel on Dask; write the Pareto table.

    Swept parameters combine into a grid (every combination). Each scenario is
    solved single-threaded with a fixed seed, so the table is the same whatever
    the number of workers. Writes pareto.csv (budget, status, cost, coverage
    per type, targets met, pareto), sweep.json, pareto.png and report.html
    (the budget–coverage curve). A scenario without a solution stays in the
    table with its status (infeasible, no_solution, error) and message.

    Exit codes: 0 the sweep ran (infeasible scenarios are results); 1 a
    scenario failed with an error; 2 bad arguments; 4 every scenario stopped
    at its time limit without a plan (with the time the full model needs);
    5 a solution failed verification; 130 interrupted by Ctrl-C, 143 by
    SIGTERM (the table is not written, an earlier folder is left as it was).

    Examples:

      siting sweep my-plan.toml --budget 1.5e9:3e9:4 --time-limit 60

      siting sweep my-plan.toml --target park=0.80:0.88:5

      siting sweep my.toml --radius kindergarten=300:500:3 --scheduler tcp://10.0.0.5:8786

      siting sweep my-data/ --model mclp --p 5:30:6 --radius 400,600 --network streets.gpkg

    With --model, the first argument is an instance (file or CSV folder, as
    `siting solve` reads it) and the sweep varies the classic model's --p,
    --radius, --budget and --share; writes sweep.csv (one row per scenario:
    status, objective, new sites, share covered or mean distance) and
    sweep.json.
    """
    if model is not None or p_text is not None or share_text is not None:
        _classic(spec_file, model=model, p_text=p_text, radius=radius, budget=budget,
                 share_text=share_text, network=network, costs=costs, target=target,
                 scheduler=scheduler, workers_text=workers_text, time_limit_text=time_limit_text,
                 gap_text=gap_text, solver=solver, out=out, as_json=as_json, quiet=quiet)
        return
    from siting.multi.spec import load_spec
    from siting.outputs import check_output_folder
    from siting.sweep import check_data_files, check_scheduler, parse_axis, run_sweep, scenario_grid

    spec = load_spec(spec_file)
    out_dir = out if out is not None else Path("out") / f"{spec.meta.name}-sweep"
    check_output_folder(out_dir)  # before any scenario is solved
    if scheduler:
        check_scheduler(scheduler)
    axes = []
    if budget is not None:
        axes.append(parse_axis("budget", budget))
    axes += [parse_axis("target", t) for t in target or []]
    axes += [parse_axis("radius", r) for r in radius or []]
    if not axes:
        raise ParameterError(
            "nothing to sweep: give --budget, --target or --radius", field="sweep", value=None
        )
    workers, time_limit, gap = _limits(workers_text, time_limit_text, gap_text)
    check_data_files(spec, instance)  # a missing file is said before Dask starts
    with Phases(enabled=not (quiet or as_json)) as phases:
        count = len(scenario_grid(axes))
        advance = phases.counter(f"{count} scenarios on Dask", count)

        def progress(done: int, total: int, row: dict[str, Any]) -> None:
            advance(done, f"#{row['scenario']} {row.get('status', '')}")

        # what the line after Ctrl-C or SIGTERM says: the table is written only at the end
        keep(f"the sweep was stopped before its table was written, so {out_dir} was left "
             "as it was")
        result = run_sweep(
            spec,
            axes,
            instance=instance,
            scheduler=scheduler,
            workers=workers,
            time_limit=time_limit,
            mip_gap=gap,
            backend=solver,
            explain=explain,
            progress=progress,
        )
        result.write(out_dir)
        keep(f"the sweep's table was written to {out_dir}")
    if as_json:
        typer.echo(result.to_json())
    elif not quiet:
        from siting.cli.summary import print_sweep

        print_sweep(result, out_dir)
    _conclude(result.table, result.advice)


def _limits(
    workers_text: str | None, time_limit_text: str | None, gap_text: str | None
) -> tuple[int | None, float | None, float | None]:
    """``--workers``, ``--time-limit`` and ``--gap`` read and checked, for either sweep."""
    workers = parse_number(workers_text, "--workers", int)
    if workers is not None and workers < 1:
        raise ParameterError("must be >= 1", field="--workers", value=workers)
    time_limit = parse_number(time_limit_text, "--time-limit", float)
    if time_limit is not None and time_limit <= 0:
        raise ParameterError("must be > 0", field="--time-limit", value=time_limit)
    return workers, time_limit, parse_number(gap_text, "--gap", float)


def _conclude(table: Any, advice: list[str] | None = None) -> None:
    """End the sweep: infeasible scenarios are results; errors, failed checks and a sweep
    in which every scenario stopped at its limit without a plan are not."""
    errors = table[table["status"] == "error"]
    unverified = bool((table["verified"] == False).any())  # noqa: E712 - True/False/None
    all_stopped = len(table) > 0 and bool((table["status"] == "no_solution").all())
    code = exit_code(
        "no_solution" if all_stopped else None,
        failed=len(errors) > 0,
        verified=False if unverified else None,
    )
    messages = {
        EXIT_UNVERIFIED: "a scenario's solution failed verification (see pareto.csv)",
        EXIT_NO_SOLUTION: "no scenario has a solution within its time limit"
        + (f": {advice[0]}" if advice else ""),
    }
    if len(errors):
        first = errors.iloc[0]
        messages[EXIT_ERROR] = f"scenario {first['scenario']}: {first['message']}"
    finish(code, messages.get(code))


def _classic(
    path: Path, *, model: str | None, p_text: str | None, radius: list[str] | None,
    budget: str | None, share_text: str | None, network: str | None, costs: Path | None,
    target: list[str] | None, scheduler: str | None, workers_text: str | None,
    time_limit_text: str | None, gap_text: str | None, solver: str | None, out: Path | None,
    as_json: bool, quiet: bool,
) -> None:
    """A classic model's sweep on an instance: one row per combination of the values."""
    from siting.io import load_instance
    from siting.sweep import scenario_grid
    from siting.sweep_classic import classic_axis, classic_model, run_classic_sweep

    if model is None:
        raise ParameterError("a sweep over --p or --share is a classic model's: give --model",
                             field="--model", value=None)
    if target:
        raise ParameterError("--target is a spec's: a classic sweep varies --p, --radius, "
                             "--budget and --share", field="--target", value=target[0])
    if len(radius or []) > 1:
        raise ParameterError("a classic model has one radius: give --radius once",
                             field="--radius", value=" ".join(radius or []))
    given = {"p": p_text, "radius": radius[0] if radius else None, "budget": budget,
             "share": share_text}
    axes, fixed = [], {}
    for name, text in given.items():
        if text is None:
            continue
        axis = classic_axis(name, text)
        if len(axis.values) > 1:
            axes.append(axis)
        else:
            fixed[name] = axis.values[0]
    if not axes:
        raise ParameterError("nothing to sweep: give --p, --radius, --budget or --share with "
                             "more than one value", field="sweep", value=None)
    classic_model(model, fixed)  # an unknown model or argument fails before any data is read
    workers, time_limit, gap = _limits(workers_text, time_limit_text, gap_text)
    if costs is not None and network is not None:
        raise ParameterError("give one distance source: --costs or --network",
                             field="--costs", value=str(costs))
    loaded = load_instance(path, "auto", network=network, costs=costs)
    out_dir = out if out is not None else Path("out") / f"{loaded.instance.name}-{model}-sweep"
    with Phases(enabled=not (quiet or as_json)) as phases:
        count = len(scenario_grid(axes))
        advance = phases.counter(f"{count} scenarios on Dask", count)

        def progress(done: int, total: int, row: dict[str, Any]) -> None:
            advance(done, f"#{row['scenario']} {row.get('status', '')}")

        result = run_classic_sweep(
            loaded.instance, axes, model=model, fixed=fixed, scheduler=scheduler,
            workers=workers, time_limit=time_limit, mip_gap=gap, backend=solver,
            progress=progress,
        )
        result.write(out_dir)
    if as_json:
        typer.echo(result.to_json())
    elif not quiet:
        _print_classic(result, out_dir)
    _conclude(result.table)


def _print_classic(result: Any, out_dir: Path) -> None:
    """The scenario table of a classic sweep, then where it was written."""
    import math

    from rich.console import Console
    from rich.table import Table

    t = result.table
    table = Table(title=f"{result.model} on {result.instance}: {len(t)} scenarios on "
                  f"{result.workers} worker(s)")
    swept = [axis.column for axis in result.axes]
    figures = [c for c in ("covered", "mean_distance") if t[c].notna().any()]
    for column in ["#", *swept, "status", "objective", "new sites",
                   *(c.replace("_", " ") for c in figures)]:
        table.add_column(column, overflow="fold")

    def num(v: Any) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "-"
        return f"{float(v):,.6g}"

    for row in t.to_dict(orient="records"):
        cells = [str(row["scenario"]), *(f"{row[c]:g}" for c in swept), str(row["status"]),
                 num(row["objective"]), num(row["sites"])]
        cells += [f"{100 * row[c]:.1f}%" if c == "covered" and row[c] == row[c]
                  else num(row[c]) for c in figures]
        table.add_row(*cells)
    con = Console()
    con.print(table)
    con.print(f"wrote {out_dir / 'sweep.csv'} and sweep.json")
