"""The targets of the benchmark table, each stated as met, not met or not run with its figure.

Each target reads the result rows (the dicts ``python -m benchmarks`` builds, or
the rows of its ``results.csv``) and gives one :class:`Verdict` a case, and for
the ratio targets one more for the minimum over the cases. A target whose rows
are absent (its group was not run, or a peer was not installed) is "not run";
a row that is present but did not finish is "not met".

``python -m benchmarks.targets benchmarks/results/results.csv`` prints the table
for an existing run; ``write_tables`` appends it to ``results.md``.

>>> rows = [
...     {"group": "mclp", "case": "20000x1000 p50", "impl": "siting", "status": "feasible",
...      "gap": "0.0411", "total_s": "60.1"},
...     {"group": "cordeau", "case": "10,000,000x100 budget", "impl": "siting",
...      "status": "optimal", "total_s": "12.0", "peak_rss_mb": "1900"},
... ]
>>> for v in evaluate(rows):
...     if v.target.startswith(("uniform", "Cordeau")):
...         print(v.state, "|", v.figure)
not met | gap 4.11 % (feasible, 60.1 s)
met | optimal, 12.0 s, 1,900 MB
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Row = Mapping[str, Any]

MET, NOT_MET, NOT_RUN = "met", "not met", "not run"

#: groups whose cases compare siting with spopt + CBC, in process and as whole commands
RATIO_GROUPS = ("clustered", "generators")
COMMAND = " (command)"


@dataclass(frozen=True)
class Verdict:
    """One line of the targets table: a target on one case (or over all its cases)."""

    target: str
    case: str
    figure: str
    state: str


def number(value: Any) -> float | None:
    """A figure of a row as a float; ``None`` for a missing or empty one (csv gives text).

    >>> number("1.5"), number(""), number(None), number(2)
    (1.5, None, None, 2.0)
    """
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def find(rows: Iterable[Row], group: str, case: str, impl: str) -> Row | None:
    """The first row of ``group`` / ``case`` / ``impl``, or ``None``."""
    return next((r for r in rows if r.get("group") == group and r.get("case") == case
                 and r.get("impl") == impl), None)


def _state(ok: bool) -> str:
    return MET if ok else NOT_MET


def _seconds(row: Row) -> str:
    total = number(row.get("total_s"))
    return f"{row.get('status')}" if total is None else f"{row.get('status')}, {total:.1f} s"


def _ratio_verdicts(rows: list[Row], target: str, goal: float, *, command: bool) -> list[Verdict]:
    """Peer total / siting total on each case of the ratio groups, and the minimum.

    Whole commands: the ``spopt script`` row over the ``siting solve`` row of a
    ``(command)`` case; in process: ``spopt-cbc`` over ``siting`` on the plain case.
    """
    mine, theirs = ("siting solve", "spopt script") if command else ("siting", "spopt-cbc")
    out: list[Verdict] = []
    ratios: list[tuple[float, str]] = []
    for r in rows:
        case = str(r.get("case", ""))
        if (r.get("group") not in RATIO_GROUPS or r.get("impl") != mine
                or case.endswith(COMMAND) != command):
            continue
        name = f"{r['group']} {case.removesuffix(COMMAND)}"
        peer = find(rows, str(r["group"]), case, theirs)
        own, other = number(r.get("total_s")), number(peer.get("total_s")) if peer else None
        if peer is None or other is None:
            why = "no peer row" if peer is None else f"{theirs} {peer.get('status')}"
            out.append(Verdict(target, name, why, NOT_RUN))
        elif own is None:
            out.append(Verdict(target, name, f"{mine} {r.get('status')}", NOT_MET))
        else:
            ratio = other / own
            ratios.append((ratio, name))
            out.append(Verdict(target, name, f"{ratio:.1f}× ({other:.2f} s / {own:.2f} s)",
                               _state(ratio >= goal)))
    if ratios:
        low, where = min(ratios)
        over = f"minimum over {len(ratios)} case{'s' if len(ratios) > 1 else ''}"
        out.append(Verdict(target, over, f"{low:.1f}× ({where})", _state(low >= goal)))
    else:
        out.append(Verdict(target, "minimum over cases", "no case with both rows", NOT_RUN))
    return out


def clustered_command(rows: list[Row]) -> list[Verdict]:
    """Whole ``siting solve`` against the whole spopt script: at least 20× on every case."""
    return _ratio_verdicts(rows, "clustered whole command vs spopt script ≥ 20×", 20.0,
                           command=True)


def clustered_in_process(rows: list[Row]) -> list[Verdict]:
    """siting in process against spopt + CBC in process: at least 50× on every case."""
    return _ratio_verdicts(rows, "clustered in process vs spopt + CBC ≥ 50×", 50.0,
                           command=False)


def uniform_gap(rows: list[Row]) -> list[Verdict]:
    """Uniform 20,000 × 1,000, p 50: gap at most 0.1 % within the 60 s limit."""
    target, case = "uniform 20000x1000 p50 gap ≤ 0.1 % in 60 s", "mclp 20000x1000 p50"
    r = find(rows, "mclp", "20000x1000 p50", "siting")
    if r is None:
        return [Verdict(target, case, "", NOT_RUN)]
    gap = number(r.get("gap"))
    if gap is None:
        return [Verdict(target, case, _seconds(r), NOT_MET)]
    return [Verdict(target, case, f"gap {gap:.2%} ({_seconds(r)})".replace("%", " %"),
                    _state(gap <= 0.001))]


def literature(rows: list[Row]) -> list[Verdict]:
    """Each ``literature`` case proven optimal within 60 s, its plan never worse than the
    textbook model's in bare HiGHS (maximisation: objective at least the textbook's)."""
    target = "literature: optimal in 60 s, objective ≥ textbook HiGHS"
    out: list[Verdict] = []
    for r in rows:
        if r.get("group") != "literature" or r.get("impl") != "siting":
            continue
        case = f"literature {r.get('case')}"
        total, obj = number(r.get("total_s")), number(r.get("objective"))
        proven = r.get("status") == "optimal" and total is not None and total <= 60.0
        book = find(rows, "literature", str(r.get("case")), "highs-textbook")
        theirs = number(book.get("objective")) if book else None
        if theirs is None:
            out.append(Verdict(target, case, f"{_seconds(r)}; no textbook objective", NOT_RUN))
            continue
        not_worse = obj is not None and obj >= theirs - 1e-9 * max(1.0, abs(theirs))
        mine = "none" if obj is None else f"{obj:,.0f}"
        out.append(Verdict(target, case, f"{_seconds(r)}; objective {mine} vs {theirs:,.0f}",
                           _state(proven and not_worse)))
    return out or [Verdict(target, "literature", "", NOT_RUN)]


def pmed_total(rows: list[Row]) -> list[Verdict]:
    """OR-Library pmed1–40 in at most 60 s in all (every case present and proven)."""
    target = "pmed1–40 ≤ 60 s in all"
    pm = [r for r in rows if r.get("group") == "pmed" and r.get("impl") == "siting"]
    if len(pm) < 40:
        return [Verdict(target, "pmed1–40", f"{len(pm)} of 40 cases run", NOT_RUN)]
    times = [number(r.get("total_s")) for r in pm]
    proven = sum(1 for r in pm if r.get("status") == "optimal")
    if any(t is None for t in times):
        return [Verdict(target, "pmed1–40", f"{proven} of 40 proven; some did not finish",
                        NOT_MET)]
    total = sum(t for t in times if t is not None)
    return [Verdict(target, "pmed1–40", f"{total:.1f} s, {proven} of 40 proven",
                    _state(total <= 60.0 and proven == len(pm)))]


def _command_time(case: str, limit: float) -> Callable[[list[Row]], list[Verdict]]:
    def check(rows: list[Row]) -> list[Verdict]:
        target = f"回天 {case} whole command ≤ {limit:g} s (median)"
        r = find(rows, "huitian", f"{case}{COMMAND}", "siting solve")
        if r is None:
            return [Verdict(target, f"huitian {case}", "", NOT_RUN)]
        total = number(r.get("total_s"))
        ok = total is not None and total <= limit and r.get("status") in ("optimal", "feasible")
        return [Verdict(target, f"huitian {case}", _seconds(r), _state(ok))]

    check.__doc__ = f"回天 {case}: the whole ``siting solve`` command's median at most {limit} s."
    return check


def cordeau_large(rows: list[Row]) -> list[Verdict]:
    """Cordeau-style 10,000,000 × 100 proven optimal in at most 15 s and 2,048 MB."""
    target, case = "Cordeau 10,000,000x100 optimal in ≤ 15 s, ≤ 2048 MB", "10,000,000x100 budget"
    r = find(rows, "cordeau", case, "siting")
    if r is None:
        return [Verdict(target, f"cordeau {case}", "", NOT_RUN)]
    total, peak = number(r.get("total_s")), number(r.get("peak_rss_mb"))
    figure = _seconds(r) + ("" if peak is None else f", {peak:,.0f} MB")
    ok = (r.get("status") == "optimal" and total is not None and total <= 15.0
          and peak is not None and peak <= 2048.0)
    return [Verdict(target, f"cordeau {case}", figure, _state(ok))]


def city_gap(rows: list[Row]) -> list[Verdict]:
    """City 1,000,000 × 10,000: gap at most 0.1 % within 120 s."""
    target, case = "city gap ≤ 0.1 % in 120 s", "city 1Mx10k budget"
    r = find(rows, "city", "1Mx10k budget", "siting")
    if r is None:
        return [Verdict(target, case, "", NOT_RUN)]
    gap, total = number(r.get("gap")), number(r.get("total_s"))
    if gap is None or total is None:
        return [Verdict(target, case, _seconds(r), NOT_MET)]
    figure = f"gap {gap:.2%} ({_seconds(r)})".replace("%", " %")
    return [Verdict(target, case, figure, _state(gap <= 0.001 and total <= 120.0))]


TARGETS: list[Callable[[list[Row]], list[Verdict]]] = [
    clustered_command,
    clustered_in_process,
    uniform_gap,
    literature,
    pmed_total,
    _command_time("2026-2030", 3.0),
    _command_time("2018-2020", 1.5),
    cordeau_large,
    city_gap,
]


def evaluate(rows: Iterable[Row]) -> list[Verdict]:
    """Every target's verdicts on ``rows``, in the order of :data:`TARGETS`."""
    listed = list(rows)
    return [v for target in TARGETS for v in target(listed)]


def table(rows: Iterable[Row]) -> list[str]:
    """The targets as markdown lines (a heading, then one row a verdict).

    >>> print("\\n".join(table([])[:4]))
    ## Targets
    <BLANKLINE>
    | target | case | figure | state |
    |---|---|---|---|
    """
    lines = ["## Targets", "", "| target | case | figure | state |", "|---|---|---|---|"]
    lines += [f"| {v.target} | {v.case} | {v.figure} | {v.state} |" for v in evaluate(rows)]
    return lines


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a ``results.csv``."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.targets RESULTS.csv``: print the targets table."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.targets RESULTS.csv", file=sys.stderr)
        return 2
    path = Path(args[0])
    if not path.is_file():
        print(f"{path}: no such file (a results.csv written by python -m benchmarks)",
              file=sys.stderr)
        return 2
    print("\n".join(table(read_rows(path))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
