"""The tables a command prints on stdout once it is done (rich; pandas only via its input)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# keys of Solution.summary() shown for a classic model, in this order
_CLASSIC_KEYS = (
    "status",
    "objective",
    "bound",
    "gap",
    "runtime_s",
    "backend",
    "n_selected",
    "verified",
)
_HEADINGS = {"runtime_s": "runtime", "n_selected": "sites selected"}
_MAX_LISTED = 20  # sites named in the classic summary; the rest are in the files


def classic_figures(sol: Any) -> list[tuple[str, str]]:
    """What a planner reads of a classic solution: the share of the weight covered
    (covering models), or the mean and largest distance to the assigned site."""
    if sol.source is None:
        return []
    from siting.solution_figures import figures

    return [(what, f"{value} ({detail})") for what, value, detail in figures(sol.source, sol)]


def number(value: Any) -> str:
    """A number rounded for reading ('-' for none).

    >>> number(48887107.56864519), number(0.123456), number(None)
    ('48,887,108', '0.1235', '-')
    """
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"
    return str(value)


def print_summary(sol: Any) -> None:
    """The status, objective, gap, what it means and the chosen sites of a classic model."""
    from rich.console import Console
    from rich.table import Table

    summary = sol.summary()
    table = Table(title=f"{summary['model']} on {summary['instance']}", show_header=False)
    for key in _CLASSIC_KEYS:
        value = summary[key]
        if key == "gap":
            text = "-" if value is None else f"{100 * value:.4g}%"
        elif key == "runtime_s":
            text = f"{value:.2f} s"
        elif key == "verified":
            text = "yes" if value else ("not checked" if value is None else "no")
        else:
            text = number(value)
        table.add_row(_HEADINGS.get(key, key), text)
    for key, text in classic_figures(sol):
        table.add_row(key, text)
    selected = summary["selected"]
    listed = ", ".join(map(str, selected[:_MAX_LISTED]))
    table.add_row("selected", listed + (" ..." if len(selected) > _MAX_LISTED else ""))
    if summary["message"]:
        table.add_row("note", summary["message"])
    Console().print(table)


def print_spec_summary(sol: Any, out_dir: Path, mip_gap: float, *, wrote: bool = True) -> None:
    """One line of status, the plan-target table, the new facilities and what binds;
    last, the folder written, or that none was (a run without a plan writes nothing)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from siting.multi.spec import parse_spec
    from siting.report.formats import label_of, yes_no
    from siting.report.tables import targets_frame

    con = Console()
    if not con.is_terminal:
        con.width = max(con.width, 120)  # files and pipes: room for the plan's long names
    spec = parse_spec(sol.spec_data) if sol.spec_data else None
    gap = "n/a" if sol.gap is None else f"{100 * sol.gap:.2f}%"
    status = str(sol.status)
    if status == "optimal" and sol.gap:
        # proven within the tolerance, not to the last resident: say so
        status += f" within the {100 * mip_gap:g}% gap tolerance"
    con.print(
        f"[bold]{sol.spec_name}[/]: {status}, gap {gap}, verified {yes_no(sol.verified)}, "
        f"{sol.runtime_s:.0f} s ({sol.backend})"
    )
    for reason in sol.reasons:
        if reason.get("kind") == "plan":  # a plan that builds nothing: why, first
            con.print(f"[bold]{escape(reason['text'])}[/]", highlight=False)
    frame = targets_frame(sol, spec, sol.data)
    if len(frame):
        table = Table(title="plan targets and equity requirements")
        for column in frame.columns:
            table.add_column(column, overflow="fold")
        for row in frame.itertuples(index=False):
            table.add_row(*(str(v) for v in row))
        con.print(table)
    if len(sol.facilities):
        counts = sol.facilities.groupby("type", sort=False)["count"].sum()
        con.print(
            "new facilities: " + ", ".join(f"{label_of(spec, k)} {v}" for k, v in counts.items())
        )
    low = [r for r in sol.reasons if r.get("kind", "type") == "type"]
    if low:
        con.print("[bold]what holds back the types below existing coverage + 10 points:[/]")
        for reason in low:
            con.print(f"- {reason['text']}", highlight=False)
    held = [r for r in sol.reasons if r.get("kind") == "target" and r["state"] != "met"]
    if held:
        con.print("[bold]targets that bind the plan or are not met:[/]")
        for reason in held:
            con.print(f"- {reason['text']}", highlight=False)
    for line in data_lines(sol):
        con.print(escape(line), highlight=False)
    if wrote:
        con.print(f"wrote {out_dir}/")
    else:
        con.print(f"no plan, so nothing was written ({out_dir} is as it was)")


def data_lines(sol: Any) -> list[str]:
    """What the data checks found, for the end of a spec's summary: a line of counts
    (warnings, notes and loading notes), then each warning.

    >>> from types import SimpleNamespace as S
    >>> from siting.findings import Finding
    >>> sol = S(findings=[Finding("warning", "free-type", "park costs nothing")],
    ...         notes=["lots.geojson: reprojected"], spec_path="/d/nanhu.toml")
    >>> for line in data_lines(sol):
    ...     print(line)
    data checks: 1 warning, 1 loading note (`siting check /d/nanhu.toml` lists them all)
    - park costs nothing
    """
    from siting.findings import plural

    warnings = [f for f in sol.findings if f.level == "warning"]
    notes = [f for f in sol.findings if f.level == "note"]
    parts = [plural(len(warnings), "warning")] if warnings else []
    parts += [plural(len(notes), "note")] if notes else []
    parts += [plural(len(sol.notes), "loading note")] if sol.notes else []
    if not parts:
        return []
    where = f"`siting check {sol.spec_path}`" if sol.spec_path else "`siting check SPEC`"
    head = f"data checks: {', '.join(parts)} ({where} lists them all)"
    walks = [f for f in notes if f.code == "network-walks"]
    return [head, *(f"- {f.text}" for f in [*warnings, *walks])]


def print_sweep(result: Any, out_dir: Path) -> None:
    """The scenario table of a sweep (swept values, status, cost, targets, coverage)."""
    from rich.console import Console
    from rich.table import Table

    from siting.report import money
    from siting.sweep import SOLVED

    scenarios = result.table
    table = Table(
        title=f"{result.spec_name}: {len(scenarios)} scenarios on {result.workers} worker(s)"
    )
    swept = [axis.column for axis in result.axes]
    coverage = [c for c in scenarios.columns if c.startswith("coverage:")]
    coverage = coverage if len(coverage) <= 4 else []  # more types: see pareto.csv
    names = ["#", *swept, "status", "cost", "targets met"]
    for column in [*names, *(c.removeprefix("coverage:") for c in coverage)]:
        table.add_column(column, overflow="fold")
    for row in scenarios.to_dict(orient="records"):
        solved = row["status"] in SOLVED
        cells = [str(row["scenario"])]
        for column in swept:
            value = row[column]
            cells.append(money(value, result.currency) if column == "budget" else f"{value:g}")
        cells.append(str(row["status"]))
        cells.append(money(row["cost"], result.currency) if solved else "-")
        cells.append(f"{row['targets_met']}/{row['targets']}" if solved else "-")
        # a share is NaN (x != x) where the type is not in the scenario
        cells += [f"{100 * row[c]:.1f}%" if solved and row[c] == row[c] else "-" for c in coverage]
        table.add_row(*cells)
    con = Console()
    con.print(table)
    for failed in result.failed.itertuples():
        con.print(f"scenario {failed.scenario}: {failed.status}: {failed.message}")
    for line in result.advice:
        con.print(f"[bold]advice:[/] {line}", highlight=False)
    con.print(f"wrote {out_dir}/ (pareto.csv, pareto.png, report.html)")
