"""The ``siting`` command line.

Exit codes: 0 solved (optimal, or feasible within a limit) and verified;
2 bad arguments or input files; 3 the model is infeasible; 4 no solution found
within the limits; 5 the solution failed verification; 1 an unexpected error.
"""

from __future__ import annotations

import json
import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from siting.errors import InfeasibleError, InputError, SitingError

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION, EXIT_UNVERIFIED = (
    0,
    1,
    2,
    3,
    4,
    5,
)

app = typer.Typer(
    name="siting",
    help="Facility-siting optimisation: choose sites that cover the most people.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class ModelName(StrEnum):
    mclp = "mclp"
    lscp = "lscp"
    lscp_b = "lscp-b"
    p_median = "p-median"
    p_center = "p-center"
    uflp = "uflp"
    cflp = "cflp"
    set_cover = "set-cover"


class FormatName(StrEnum):
    auto = "auto"
    orlib_pmed = "orlib-pmed"
    orlib_scp = "orlib-scp"
    orlib_cap = "orlib-cap"
    swain = "swain"
    bds = "bds"
    csv = "csv"
    gpkg = "gpkg"


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"siting: error: {message}", err=True)
    return typer.Exit(code)


@app.command()
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
    ] = "highs",
    time_limit_text: Annotated[
        str | None,
        typer.Option("--time-limit", "-t", help="Seconds; the best solution so far is kept."),
    ] = None,
    gap_text: Annotated[str, typer.Option("--gap", help="Relative gap at which to stop.")] = "1e-6",
    threads_text: Annotated[str | None, typer.Option("--threads", help="Solver threads.")] = None,
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
) -> None:
    """Solve a location model on an instance, or a multi-service model spec (.toml).

    Examples:

      siting solve models/huitian-2026-2030.toml --report

      siting solve instances/reference/orlib-pmed/pmed1.txt --model p-median --json

      siting solve instances/reference/swain/swain.dat --model mclp --radius 10 --p 3

      siting solve instances/reference/orlib-cap/cap41.txt --model cflp --out out/cap41
    """
    from siting.backends.base import SolveOptions, Status
    from siting.errors import ParameterError
    from siting.io import load_instance
    from siting.models import MODELS

    if path.suffix.lower() == ".toml":
        _solve_spec(
            path,
            solver_given=solver if solver != "highs" else None,
            time_limit=_number(time_limit_text, "--time-limit", float),
            gap=_number(gap_text, "--gap", float) if gap_text != "1e-6" else None,
            threads=_number(threads_text, "--threads", int),
            out=out,
            as_json=as_json,
            quiet=quiet,
            verify=not no_verify,
            report=report,
        )
        return
    p = _number(p_text, "--p", int)
    radius = _number(radius_text, "--radius", float)
    budget = _number(budget_text, "--budget", float)
    time_limit = _number(time_limit_text, "--time-limit", float)
    gap = _number(gap_text, "--gap", float)
    threads = _number(threads_text, "--threads", int)
    candidates = _number(candidates_text, "--candidates", int)
    loaded = load_instance(path, format.value)
    inst = loaded.instance
    kwargs: dict[str, object] = {}
    name = model.value
    p_eff = p if p is not None else loaded.defaults.get("p")
    if name in ("mclp",):
        kwargs.update(radius=radius, p=p_eff, budget=budget)
    elif name in ("lscp", "set-cover", "lscp-b"):
        kwargs.update(radius=radius)
    elif name in ("p-median", "p-center"):
        kwargs.update(p=p_eff)
    if name in ("p-median", "uflp", "cflp") and candidates is not None:
        kwargs.update(candidates=candidates)
    if time_limit is not None and time_limit <= 0:
        raise ParameterError("must be > 0", field="--time-limit", value=time_limit)
    if gap is None or not (0 <= gap < 1):
        raise ParameterError("must be in [0, 1)", field="--gap", value=gap)
    m = MODELS[name](**kwargs)
    opts = SolveOptions(time_limit=time_limit, mip_gap=gap, threads=threads)
    sol = m.solve(inst, solver, opts, verify=not no_verify)
    if out is not None:
        sol.write(out)
    if as_json:
        typer.echo(sol.to_json())
    elif not quiet:
        _print_summary(sol)
    if sol.status == Status.INFEASIBLE:
        raise InfeasibleError(
            f"{name} on {inst.name} is infeasible: {sol.message or 'no feasible solution'}"
        )
    if not sol.status.has_solution:
        raise typer.Exit(EXIT_NO_SOLUTION)
    if sol.verified is False:
        raise _fail("solution failed verification: " + "; ".join(sol.verification), EXIT_UNVERIFIED)


def _solve_spec(
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
) -> None:
    """Solve a multi-service model spec (TOML) and write its tables and report."""
    from siting.backends.base import SolveOptions, Status
    from siting.multi.data import ServiceData
    from siting.multi.solve import solve_spec
    from siting.multi.spec import load_spec

    spec = load_spec(path)
    data = ServiceData.from_huitian(spec.meta.instance)
    opts = SolveOptions(
        time_limit=time_limit or spec.solver.time_limit,
        mip_gap=gap if gap is not None else spec.solver.mip_gap,
        threads=threads or spec.solver.threads,
    )
    sol = solve_spec(spec, data, options=opts, backend=solver_given, verify=verify)
    out_dir = out if out is not None else Path("out") / spec.meta.name
    sol.write(out_dir, data)
    if report:
        from siting.report import write_report

        write_report(out_dir, data, sol)
    if as_json:
        typer.echo(sol.to_json())
    elif not quiet:
        _print_spec_summary(sol, out_dir)
    if sol.status == Status.INFEASIBLE:
        raise InfeasibleError(f"{spec.meta.name}: " + "; ".join(sol.explanation or [sol.message]))
    if not sol.status.has_solution:
        raise typer.Exit(EXIT_NO_SOLUTION)
    if sol.verified is False:
        raise _fail("solution failed verification: " + "; ".join(sol.verification), EXIT_UNVERIFIED)


def _print_spec_summary(sol: Any, out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    gap = "n/a" if sol.gap is None else f"{100 * sol.gap:.3f}%"
    con.print(
        f"[bold]{sol.spec_name}[/]: {sol.status}, gap {gap}, verified {sol.verified}, "
        f"{sol.runtime_s:.1f} s ({sol.backend})"
    )
    if len(sol.targets):
        t = Table(title="plan targets")
        for c in ("target", "year", "required", "reached", "met"):
            t.add_column(c)
        for r in sol.targets.itertuples():
            met = "yes" if r.met else ("no" if r.reached_text else "-")
            t.add_row(str(r.target), str(r.year), r.required_text, r.reached_text, met)
        con.print(t)
    if len(sol.facilities):
        counts = sol.facilities.groupby("type")["count"].sum()
        con.print("new facilities: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    con.print(f"wrote {out_dir}/")


def _number(text: str | None, option: str, kind: type[int] | type[float]) -> Any:
    """Parse a numeric option ourselves, so the error names the option and the value."""
    from siting.errors import ParameterError

    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ParameterError(f"must be {what}", field=option, value=text) from None


def _print_summary(sol: object) -> None:
    from rich.console import Console
    from rich.table import Table

    s = sol.summary()  # type: ignore[attr-defined]
    t = Table(title=f"{s['model']} on {s['instance']}", show_header=False)
    for key in (
        "status",
        "objective",
        "bound",
        "gap",
        "runtime_s",
        "backend",
        "n_selected",
        "verified",
    ):
        t.add_row(key, str(s[key]))
    sel = ", ".join(map(str, s["selected"][:20])) + (" ..." if len(s["selected"]) > 20 else "")
    t.add_row("selected", sel)
    if s["message"]:
        t.add_row("note", s["message"])
    Console().print(t)


@app.command()
def info(
    path: Annotated[Path, typer.Argument(help="Instance file or CSV folder.", show_default=False)],
    format: Annotated[FormatName, typer.Option("--format", "-f")] = FormatName.auto,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Summarise an instance: format, counts, total weight, existing facilities."""
    from siting.io import load_instance

    loaded = load_instance(path, format.value)
    inst = loaded.instance
    d = {
        "instance": inst.name,
        "format": loaded.format,
        "demand_points": inst.n_demand,
        "sites": inst.n_sites,
        "existing": int(inst.existing.sum()),
        "total_weight": float(inst.weight.sum()),
        "defaults": loaded.defaults,
        "crs": None if inst.crs is None else str(inst.crs),
    }
    typer.echo(
        json.dumps(d, ensure_ascii=False)
        if as_json
        else "\n".join(f"{k}: {v}" for k, v in d.items())
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors with documented exit codes, never a traceback."""
    warnings.simplefilter("default")
    warnings.formatwarning = lambda msg, cat, *a, **k: f"siting: warning: {msg}\n"
    try:
        app(args=argv, standalone_mode=False)
        return EXIT_OK
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo("siting: interrupted", err=True)
        return 130
    except InputError as exc:
        typer.echo(f"siting: error: {exc}", err=True)
        return EXIT_INPUT
    except InfeasibleError as exc:
        typer.echo(f"siting: infeasible: {exc}", err=True)
        return EXIT_INFEASIBLE
    except SitingError as exc:
        typer.echo(f"siting: error: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        typer.echo("siting: interrupted", err=True)
        return 130
    except Exception as exc:
        # Usage errors of the CLI framework (bad option, bad value) carry format_message().
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            typer.echo(f"siting: error: {exc.format_message()}", err=True)
            return EXIT_INPUT
        typer.echo(f"siting: unexpected error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
