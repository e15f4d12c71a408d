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
_MAX_LISTED = 20  # sites named in the classic summary; the rest are in the files


def print_summary(sol: Any) -> None:
    """The status, objective, gap and chosen sites of a classic model's solution."""
    from rich.console import Console
    from rich.table import Table

    summary = sol.summary()
    table = Table(title=f"{summary['model']} on {summary['instance']}", show_header=False)
    for key in _CLASSIC_KEYS:
        table.add_row(key, str(summary[key]))
    selected = summary["selected"]
    listed = ", ".join(map(str, selected[:_MAX_LISTED]))
    table.add_row("selected", listed + (" ..." if len(selected) > _MAX_LISTED else ""))
    if summary["message"]:
        table.add_row("note", summary["message"])
    Console().print(table)


def print_spec_summary(sol: Any, out_dir: Path, mip_gap: float) -> None:
    """One line of status, the plan-target table and the new facilities of a spec's plan."""
    from rich.console import Console
    from rich.table import Table

    con = Console()
    gap = "n/a" if sol.gap is None else f"{100 * sol.gap:.3f}%"
    status = str(sol.status)
    if status == "optimal" and sol.gap:
        # proven within the tolerance, not to the last resident: say so
        status += f" within the {100 * mip_gap:g}% gap tolerance"
    con.print(
        f"[bold]{sol.spec_name}[/]: {status}, gap {gap}, verified {sol.verified}, "
        f"{sol.runtime_s:.1f} s ({sol.backend})"
    )
    if len(sol.targets):
        table = Table(title="plan targets")
        for column in ("target", "year", "required", "reached", "met", "as"):
            table.add_column(column)
        for row in sol.targets.itertuples():
            met = "yes" if row.met else ("no" if row.reached_text else "-")
            mode = "enforced" if row.mode == "constraint" else "reported"
            table.add_row(
                str(row.target), str(row.year), row.required_text, row.reached_text, met, mode
            )
        con.print(table)
    if len(sol.facilities):
        counts = sol.facilities.groupby("type")["count"].sum()
        con.print("new facilities: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    con.print(f"wrote {out_dir}/")


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
    con.print(f"wrote {out_dir}/ (pareto.csv, pareto.png, report.html)")
