r"""The tables a report shows: the frames (what is in them) and their cells (how they read).

A frame function returns a plain DataFrame (also useful outside a page);
:func:`table_view` turns a frame into a :class:`Table` of formatted cells,
which the ``table`` macro of ``templates/macros.html.j2`` writes out. Cells of
numbers get the class ``num`` (right-aligned), a ``met`` column ``ok`` or
``bad``, and a share column may give a cell an inline background.

>>> import pandas as pd
>>> frame = pd.DataFrame({"target": ["parks"], "share": [1.0], "met": ["yes"]})
>>> view = table_view(frame, "demo", {"share": pct_or_dash}, {"share": share_background})
>>> view.head
['target', 'share', 'met']
>>> for cell in view.rows[0]:
...     print(cell)
Cell(text='parks', cls='', style='')
Cell(text='100.0%', cls='num', style='background:#2f9e4433')
Cell(text='yes', cls='ok', style='')
>>> print(str(table_html(view)).replace("<tr>", "\n<tr>").replace("<td", "\n<td"))
<table id="demo"><thead>
<tr><th>target</th><th>share</th><th>met</th></tr></thead><tbody>
<tr>
<td class="">parks</td>
<td class="num" style="background:#2f9e4433">100.0%</td>
<td class="ok">yes</td></tr></tbody></table>
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from markupsafe import Markup

from siting.multi.data import ServiceData
from siting.multi.solution import MultiSolution
from siting.multi.spec import Spec
from siting.report.formats import pct_or_dash, plain_money, share_background
from siting.report.page import render_macro

Formatter = Callable[[Any], str]


class Cell(NamedTuple):
    """One table cell: its text (escaped when written), CSS class and inline style."""

    text: str
    cls: str
    style: str


@dataclass
class Table:
    """A table as written into a page: its element id, column headings and rows of cells."""

    id: str
    head: list[str]
    rows: list[list[Cell]]


def _cell_class(column: str, value: Any) -> str:
    if column == "met":
        if value is True or value == "yes":
            return "ok"
        return "bad" if value in (False, "no") else ""
    number = isinstance(value, (int, float, np.integer, np.floating))
    return "num" if number and not isinstance(value, bool) else ""


def table_view(
    frame: pd.DataFrame,
    table_id: str,
    fmt: Mapping[str, Formatter] | None = None,
    style: Mapping[str, Formatter] | None = None,
) -> Table:
    """The cells of ``frame``: ``fmt`` formats a column's values, ``style`` gives a cell's
    inline CSS (e.g. a background colour for a share); headings read ``_`` as a space."""
    fmt = fmt or {}
    style = style or {}
    columns = list(frame.columns)
    rows = [
        [
            Cell(
                str(fmt[c](v) if c in fmt else v),
                _cell_class(c, v),
                style[c](v) if c in style else "",
            )
            for c, v in zip(columns, row, strict=True)
        ]
        for row in frame.itertuples(index=False)
    ]
    return Table(table_id, [str(c).replace("_", " ") for c in columns], rows)


def table_html(table: Table) -> Markup:
    """A table written out by the ``table`` macro (for pages built outside the templates)."""
    return render_macro("macros.html.j2", "table", table)


# ------------------------------------------------------------------ frames
def targets_frame(sol: MultiSolution) -> pd.DataFrame:
    """The plan-target table as shown: target, year, required, reached, met."""
    t = sol.targets
    if not len(t):
        return pd.DataFrame(columns=["target", "year", "required", "reached", "met", "mode"])
    reached = t["reached_text"].fillna("").astype(str)
    met = np.where(reached == "", "–", np.where(t["met"].astype(bool), "yes", "no"))
    mode = t["mode"].map({"constraint": "enforced", "report": "reported"}).fillna(t["mode"])
    return pd.DataFrame(
        {
            "target": t["target"],
            "year": t["year"].astype(int),
            "required": t["required_text"],
            "reached": reached.replace("", "–"),
            "met": met,
            "mode": mode,
        }
    )


def coverage_by_type(sol: MultiSolution) -> pd.DataFrame:
    """Per type: residents of its group, covered share with the plan and with existing only."""
    rows = []
    by = sol.by_subdistrict
    after = by.groupby("type", sort=False)[["pop", "covered"]].sum() if len(by) else None
    for r in sol.baseline.itertuples():
        share = np.nan
        if after is not None and r.type in after.index:
            p = float(after.at[r.type, "pop"])
            share = float(after.at[r.type, "covered"]) / p if p > 0 else 1.0
        rows.append(
            {
                "type": r.type,
                "existing": int(r.existing),
                "new": int(sol.facilities.loc[sol.facilities["type"] == r.type, "count"].sum())
                if len(sol.facilities)
                else 0,
                "existing only": float(r.baseline_share),
                "with the plan": share,
            }
        )
    return pd.DataFrame(rows, columns=["type", "existing", "new", "existing only", "with the plan"])


def budget_frame(sol: MultiSolution, spec: Spec | None) -> pd.DataFrame:
    """Estimated cost by year (rows) and type (columns), with the budget per year."""
    bud = sol.budget
    years = list(spec.meta.years) if spec is not None else sorted(bud["year"].unique())
    if not len(bud):
        return pd.DataFrame({"year": years})
    piv = bud.pivot_table(index="year", columns="type", values="cost_est", aggfunc="sum")
    piv = piv.reindex(years).fillna(0.0)
    if spec is not None:
        piv = piv[[t for t in spec.facility if t in piv.columns]]
    piv["total"] = piv.sum(axis=1)
    if spec is not None:
        piv["budget"] = [spec.budget.per_year.get(str(y), np.nan) for y in years]
    piv.loc["all years"] = piv.sum(axis=0, min_count=1)
    if spec is not None and spec.budget.total is not None:
        piv.loc["all years", "budget"] = spec.budget.total
    out = piv.reset_index().rename(columns={"index": "year"})
    out.columns = ["year", *piv.columns]
    return out


def subdistrict_frame(
    data: ServiceData, sol: MultiSolution, types: Sequence[str]
) -> pd.DataFrame | None:
    """Share within reach per sub-district (rows) and type (columns), final year, with the
    residents of each sub-district; ``None`` without a solution."""
    by = sol.by_subdistrict
    if not len(by):
        return None
    piv = by.pivot(index="subdistrict", columns="type", values="share")
    piv = piv[[t for t in types if t in piv.columns]]
    sub = piv.reset_index()
    if "pop_total" in data.blocks:
        residents = data.blocks.groupby(data.blocks["subdistrict"].astype(str))["pop_total"].sum()
        sub.insert(1, "residents", sub["subdistrict"].map(residents).fillna(0).astype(int))
    return sub


# ------------------------------------------------------------ tables shown
def targets_table(sol: MultiSolution) -> Table:
    """Plan targets: required, reached, met (``ok`` / ``bad``), enforced or reported."""
    return table_view(targets_frame(sol), "targets")


def baseline_table(cmp: pd.DataFrame) -> Table:
    """Coverage per type with existing facilities only, with the plan, and the change."""
    show = cmp.copy()
    if len(show):
        show["change"] = show["with the plan"] - show["existing only"]
    return table_view(
        show,
        "baseline",
        {
            "existing only": pct_or_dash,
            "with the plan": pct_or_dash,
            "change": lambda v: f"{100 * v:+.1f} pp" if np.isfinite(v) else "–",
        },
    )


def subdistrict_table(frame: pd.DataFrame, types: Sequence[str]) -> Table:
    """Shares per sub-district, each cell shaded by its share."""
    return table_view(
        frame,
        "subdistricts",
        {t: pct_or_dash for t in types} | {"residents": lambda v: f"{int(v):,}"},
        {t: share_background for t in types},
    )


def budget_table(frame: pd.DataFrame, currency: str) -> Table:
    """Costs and budgets by year and type, in :func:`~siting.report.formats.money_unit`."""
    return table_view(
        frame,
        "budget",
        {c: (lambda v: plain_money(float(v), currency)) for c in frame.columns if c != "year"},
    )


def facilities_table(sol: MultiSolution, currency: str) -> Table:
    """The new facilities, one row per (type, parcel, year)."""
    return table_view(
        sol.facilities.drop(columns=["parcel_area_m2"], errors="ignore"),
        "facilities",
        {
            "cost_est": lambda v: plain_money(float(v), currency),
            "footprint_m2": lambda v: f"{float(v):,.0f}",
        },
    )
