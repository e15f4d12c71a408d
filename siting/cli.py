"""The ``siting`` command line.

Exit codes: 0 solved (optimal, or feasible within a limit) and verified;
2 bad arguments or input files; 3 the model is infeasible; 4 no solution found
within the limits; 5 the solution failed verification; 1 an unexpected error.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
            instance=instance,
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
    with _Phases(enabled=not (quiet or as_json)) as phases:
        opts = SolveOptions(
            time_limit=time_limit, mip_gap=gap, threads=threads, progress=phases.solver_progress()
        )
        with phases.timed(f"{name}: model, solve and verification", time_limit):
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
    instance: Path | None = None,
) -> None:
    """Solve a multi-service model spec (TOML) and write its tables and report.

    Progress (on stderr): a spinner while the instance loads, then a bar over
    the time limit while coverage, model and solve run (HiGHS reports no
    incumbent to Python, so the gap is shown once the solve ends).
    """
    from siting.backends.base import SolveOptions, Status
    from siting.data import load_service_data
    from siting.multi.solve import solve_spec
    from siting.multi.spec import load_spec

    spec = load_spec(path)
    with _Phases(enabled=not (quiet or as_json)) as phases:
        where = instance or (spec.data.blocks if spec.data else spec.meta.instance)
        with phases.spinner(f"reading the instance ({where})"):
            data = load_service_data(spec, instance)
        opts = SolveOptions(
            time_limit=time_limit or spec.solver.time_limit,
            mip_gap=gap if gap is not None else spec.solver.mip_gap,
            threads=threads or spec.solver.threads,
            progress=phases.solver_progress(),
        )
        with phases.timed("coverage, model, solve and verification", opts.time_limit):
            sol = solve_spec(spec, data, options=opts, backend=solver_given, verify=verify)
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
        _print_spec_summary(sol, out_dir, opts.mip_gap)
    if sol.status == Status.INFEASIBLE:
        raise InfeasibleError(f"{spec.meta.name}: " + "; ".join(sol.explanation or [sol.message]))
    if not sol.status.has_solution:
        raise typer.Exit(EXIT_NO_SOLUTION)
    if sol.verified is False:
        raise _fail("solution failed verification: " + "; ".join(sol.verification), EXIT_UNVERIFIED)


class _Phases:
    """Rich progress on stderr for the long phases (nothing when disabled or piped)."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.progress: Any = None
        self.live = ""  # the solver's latest incumbent and gap, shown beside the bar

    def solver_progress(self) -> Callable[[float | None, float | None, float | None], None] | None:
        """A ``SolveOptions.progress`` hook feeding the bar of :meth:`timed` (None when off)."""
        if not self.enabled:
            return None

        def update(incumbent: float | None, bound: float | None, gap: float | None) -> None:
            if incumbent is None:
                self.live = "no solution yet" if bound is None else f"bound {bound:,.6g}"
            else:
                self.live = f"incumbent {incumbent:,.6g}" + (
                    f", gap {100 * gap:.2f}%" if gap is not None else ""
                )

        return update

    def __enter__(self) -> _Phases:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[note]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    @contextmanager
    def spinner(self, what: str) -> Iterator[None]:
        if self.progress is None:
            yield
            return
        task = self.progress.add_task(what, total=None, note="")
        yield
        self.progress.update(task, total=1, completed=1, note="done")

    @contextmanager
    def timed(self, what: str, limit: float | None) -> Iterator[None]:
        """A bar filling up over the time limit (the solve may end sooner)."""
        if self.progress is None:
            yield
            return
        import threading
        import time

        head = f"limit {limit:.0f} s" if limit else "no time limit"
        task = self.progress.add_task(what, total=limit, note=head)
        stop = threading.Event()
        t0 = time.perf_counter()

        def tick() -> None:
            while not stop.wait(0.25):
                note = head + (f" | {self.live}" if self.live else "")
                done = min(time.perf_counter() - t0, limit) if limit else 0.0
                self.progress.update(task, completed=done, note=note)

        th = threading.Thread(target=tick, daemon=True)
        th.start()
        try:
            yield
        finally:
            stop.set()
            th.join()
            self.progress.update(task, total=1, completed=1, note="done")

    def bar(self, what: str, total: int) -> Any:
        return None if self.progress is None else self.progress.add_task(what, total=total, note="")


def _print_spec_summary(sol: Any, out_dir: Path, mip_gap: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from siting.backends.base import Status

    con = Console()
    gap = "n/a" if sol.gap is None else f"{100 * sol.gap:.3f}%"
    status = str(sol.status)
    if sol.status == Status.OPTIMAL and sol.gap:
        # proven within the tolerance, not to the last resident: say so
        status += f" within the {100 * mip_gap:g}% gap tolerance"
    con.print(
        f"[bold]{sol.spec_name}[/]: {status}, gap {gap}, verified {sol.verified}, "
        f"{sol.runtime_s:.1f} s ({sol.backend})"
    )
    if len(sol.targets):
        t = Table(title="plan targets")
        for c in ("target", "year", "required", "reached", "met", "as"):
            t.add_column(c)
        for r in sol.targets.itertuples():
            met = "yes" if r.met else ("no" if r.reached_text else "-")
            mode = "enforced" if r.mode == "constraint" else "reported"
            t.add_row(str(r.target), str(r.year), r.required_text, r.reached_text, met, mode)
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
    path: Annotated[
        Path,
        typer.Argument(
            help="Instance file, CSV folder, multi-service instance folder or spec (.toml).",
            show_default=False,
        ),
    ],
    format: Annotated[FormatName, typer.Option("--format", "-f")] = FormatName.auto,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Summarise an instance: counts, residents, parcels, existing facilities.

    Examples:

      siting info instances/huitian

      siting info models/huitian-2026-2030.toml --json

      siting info instances/reference/bds/BDS1000.txt
    """
    if path.suffix.lower() == ".toml" or (path.is_dir() and (path / "huitian.gpkg").is_file()):
        d = _multi_info(path)
    else:
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


def _multi_info(path: Path) -> dict[str, Any]:
    """Summary of a multi-service instance folder (or of a spec and its instance)."""
    from siting.data import load_service_data

    spec = None
    folder: Any = path
    if path.suffix.lower() == ".toml":
        from siting.multi.spec import load_spec

        spec = load_spec(path)
        folder = None
    data = load_service_data(spec, folder)
    b = data.blocks
    groups = [c for c in b.columns if c.startswith(("pop_", "age_", "households"))]
    d: dict[str, Any] = {
        "instance": str(data.source),
        "crs": str(b.crs),
        "blocks": len(b),
        **{c: int(b[c].sum()) for c in groups},
        "subdistricts": int(b["subdistrict"].nunique()),
        "parcels": len(data.parcels),
        "parcel_area_m2": round(float(data.parcels["area_m2"].sum())),
        "existing": {str(k): int(v) for k, v in data.existing["type"].value_counts().items()},
        "network": None
        if data.network is None
        else f"{len(getattr(data.network, 'x', []))} nodes",
    }
    if spec is not None:
        d = {
            "spec": spec.meta.name,
            "years": spec.meta.years,
            "facility_types": list(spec.facility),
            "targets": [t.name or t.kind for t in spec.target],
            **d,
        }
    return d


@app.command()
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

    For a solution: a map of the area (sub-districts, blocks shaded by coverage,
    existing and new facilities by type and year; zoom, pan and hover), the
    plan-target table, coverage per sub-district, the budget by year and type
    and the comparison with the existing facilities alone. For a sweep folder
    (pareto.csv): the budget–coverage curve and the scenario table.

    Examples:

      siting report out/huitian-2026-2030

      siting report out/huitian-2026-2030 --out /tmp/plan.html

      siting report out/huitian-2026-2030-sweep
    """
    from siting.report import read_solution, report_html, sweep_report_html
    from siting.solution import write_atomic

    target = out if out is not None else folder / "report.html"
    if (folder / "pareto.csv").is_file() and (folder / "sweep.json").is_file():
        import pandas as pd

        info = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
        table = pd.read_csv(folder / "pareto.csv", keep_default_na=True)
        table["message"] = table["message"].fillna("").astype(str)
        page = sweep_report_html(table, info)
    else:
        sol, spec, data = read_solution(folder, instance=instance, spec=spec_file)
        page = report_html(data, sol, spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, page)
    if not quiet:
        typer.echo(f"wrote {target}")


@app.command()
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
    from siting.multi.model import MultiServiceProblem
    from siting.multi.solve import _with_costs, verify_multi
    from siting.report import read_solution

    sol, spec, data = read_solution(folder, instance=instance, spec=spec_file)
    if not sol.status.has_solution:
        if not quiet:
            typer.echo(f"{folder}: status {sol.status}: no solution to verify", err=True)
        raise typer.Exit(EXIT_NO_SOLUTION)
    prob = MultiServiceProblem(spec, data)
    decided = ["type", "parcel_id", "year", "count", "spaces", "subdistrict", "parcel_area_m2"]
    sol.facilities = _with_costs(prob, sol.facilities[[c for c in decided if c in sol.facilities]])
    notes = []
    capacitated = [n for n, f in spec.facility.items() if f.capacity is not None]
    if capacitated and not sol.served:
        notes.append("served.csv missing: the objective of capacitated services is not re-checked")
        sol.objective = None
    verify_multi(prob, sol)
    res = {
        "folder": str(folder),
        "spec": spec.meta.name,
        "verified": bool(sol.verified),
        "verification": sol.verification,
        "objective": sol.objective,
        "targets_met": int(sol.targets["met"].sum()) if len(sol.targets) else 0,
        "targets": len(sol.targets),
        "notes": notes,
    }
    if as_json:
        typer.echo(json.dumps(res, ensure_ascii=False, sort_keys=True, default=str))
    elif not quiet:
        word = "verified" if sol.verified else "FAILED verification"
        n = int(sol.facilities["count"].sum()) if len(sol.facilities) else 0
        typer.echo(f"{folder}: {word} against {spec.meta.name} ({n} new facilities)")
        for m in [*sol.verification, *notes]:
            typer.echo(f"  - {m}")
    if not sol.verified:
        raise typer.Exit(EXIT_UNVERIFIED)


@app.command()
def sweep(
    spec_file: Annotated[Path, typer.Argument(help="Multi-service spec (.toml).")],
    budget: Annotated[
        str | None,
        typer.Option(
            "--budget", "-b", help="Total budgets START:STOP:N (or A,B,C); yearly ones scale along."
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
            "--radius", "-r", help="TYPE=START:STOP:N: a service radius in m; repeatable."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler tcp://HOST:PORT (default: a local one)."),
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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but errors (and --json).")
    ] = False,
) -> None:
    """Solve a grid of scenarios of a spec in parallel on Dask; write the Pareto table.

    Swept parameters combine into a grid (every combination). Each scenario is
    solved single-threaded with a fixed seed, so the table is the same whatever
    the number of workers. Writes pareto.csv (budget, status, cost, coverage
    per type, targets met, pareto), sweep.json, pareto.png and report.html
    (the budget–coverage curve). A scenario without a solution stays in the
    table with its status (infeasible, no_solution, error) and message.

    Exit codes: 0 the sweep ran (infeasible scenarios are results); 1 a
    scenario failed with an error; 2 bad arguments; 5 a solution failed
    verification.

    Examples:

      siting sweep models/huitian-2026-2030.toml --budget 1.5e9:3e9:4 --time-limit 60

      siting sweep models/huitian-2026-2030.toml --target park=0.80:0.88:5

      siting sweep my.toml --radius kindergarten=300:500:3 --scheduler tcp://10.0.0.5:8786
    """
    from siting.errors import ParameterError
    from siting.multi.spec import load_spec
    from siting.sweep import parse_axis, run_sweep

    spec = load_spec(spec_file)
    axes = []
    if budget is not None:
        axes.append(parse_axis("budget", budget))
    axes += [parse_axis("target", t) for t in target or []]
    axes += [parse_axis("radius", r) for r in radius or []]
    if not axes:
        raise ParameterError(
            "nothing to sweep: give --budget, --target or --radius", field="sweep", value=None
        )
    workers = _number(workers_text, "--workers", int)
    if workers is not None and workers < 1:
        raise ParameterError("must be >= 1", field="--workers", value=workers)
    time_limit = _number(time_limit_text, "--time-limit", float)
    if time_limit is not None and time_limit <= 0:
        raise ParameterError("must be > 0", field="--time-limit", value=time_limit)
    gap = _number(gap_text, "--gap", float)
    out_dir = out if out is not None else Path("out") / f"{spec.meta.name}-sweep"
    with _Phases(enabled=not (quiet or as_json)) as phases:
        from siting.sweep import scenario_grid

        n = len(scenario_grid(axes))
        task = phases.bar(f"{n} scenarios on Dask", n)

        def progress(done: int, total: int, row: dict[str, Any]) -> None:
            if task is not None:
                phases.progress.update(
                    task, completed=done, note=f"#{row['scenario']} {row.get('status', '')}"
                )

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
    if as_json:
        typer.echo(result.to_json())
    elif not quiet:
        _print_sweep(result, out_dir)
    t = result.table
    if (t["status"] == "error").any():
        first = t[t["status"] == "error"].iloc[0]
        raise _fail(f"scenario {first['scenario']}: {first['message']}", EXIT_ERROR)
    if (t["verified"] == False).any():  # noqa: E712 - a column of True/False/None
        raise _fail("a scenario's solution failed verification (see pareto.csv)", EXIT_UNVERIFIED)


def _print_sweep(result: Any, out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from siting.report import money
    from siting.sweep import SOLVED

    t = result.table
    tab = Table(title=f"{result.spec_name}: {len(t)} scenarios on {result.workers} worker(s)")
    swept = [a.column for a in result.axes]
    cov = [c for c in t.columns if c.startswith("coverage:")]
    cov = cov if len(cov) <= 4 else []  # more types: see pareto.csv
    for c in ["#", *swept, "status", "cost", "targets met", *[c[9:] for c in cov]]:
        tab.add_column(c, overflow="fold")
    for row in t.to_dict(orient="records"):
        vals = [str(row["scenario"])]
        for c in swept:
            vals.append(money(row[c], result.currency) if c == "budget" else f"{row[c]:g}")
        vals.append(str(row["status"]))
        vals.append(money(row["cost"], result.currency) if row["status"] in SOLVED else "-")
        vals.append(f"{row['targets_met']}/{row['targets']}" if row["status"] in SOLVED else "-")
        vals += [
            f"{100 * row[c]:.1f}%" if row["status"] in SOLVED and row[c] == row[c] else "-"
            for c in cov
        ]
        tab.add_row(*vals)
    con = Console()
    con.print(tab)
    for r in result.failed.itertuples():
        con.print(f"scenario {r.scenario}: {r.status}: {r.message}")
    con.print(f"wrote {out_dir}/ (pareto.csv, pareto.png, report.html)")


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors with documented exit codes, never a traceback."""
    import signal

    warnings.simplefilter("default")
    warnings.formatwarning = lambda msg, cat, *a, **k: f"siting: warning: {msg}\n"
    # Ctrl-C still raises KeyboardInterrupt; a back end that catches it returns its
    # best solution (saved as usual), and the flag makes the exit code 130 anyway.
    interrupted = False

    def line(exc: BaseException) -> str:  # one line, whatever the message holds
        return " ".join(str(exc).split())

    def on_sigint(_signum: int, _frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    try:
        previous: Any = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        # Without standalone mode, click returns a typer.Exit's code instead of raising it.
        code = app(args=argv, standalone_mode=False)
        code = int(code) if isinstance(code, int) else EXIT_OK
        if interrupted:
            typer.echo("siting: interrupted: the best solution found so far was kept", err=True)
            return 130
        return code
    except typer.Exit as exc:
        return 130 if interrupted else int(exc.exit_code)
    except typer.Abort:
        typer.echo("siting: interrupted", err=True)
        return 130
    except InputError as exc:
        typer.echo(f"siting: error: {line(exc)}", err=True)
        return EXIT_INPUT
    except InfeasibleError as exc:
        typer.echo(f"siting: infeasible: {line(exc)}", err=True)
        return EXIT_INFEASIBLE
    except SitingError as exc:
        typer.echo(f"siting: error: {line(exc)}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        typer.echo("siting: interrupted", err=True)
        return 130
    except Exception as exc:
        # Usage errors of the CLI framework (bad option, bad value) carry format_message().
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            typer.echo(f"siting: error: {exc.format_message()}", err=True)
            return EXIT_INPUT
        typer.echo(f"siting: unexpected error: {type(exc).__name__}: {line(exc)}", err=True)
        return EXIT_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
