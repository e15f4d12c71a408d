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
from siting.report.formats import (
    label_of,
    pct_or_dash,
    plain_money,
    share_background,
    target_title,
    yes_no,
)

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
    from siting.report.page import render_macro  # jinja2 only for pages, not for summaries

    return render_macro("macros.html.j2", "table", table)


# ------------------------------------------------------------------ frames
TARGET_COLUMNS = ["target", "year", "required", "reached", "met", "as"]
_UNITS = {"spaces": ("space", "spaces"), "count": ("facility", "facilities")}


def _amount(kind: str, value: Any) -> str:
    """A target's value with its unit: a share, or a number of spaces or facilities."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if kind in ("coverage", "service_circle"):
        return pct_or_dash(float(value))
    one, many = _UNITS.get(kind, ("", ""))
    return f"{float(value):,.0f} {one if float(value) == 1 else many}".strip()


def facilities_word(n: int) -> str:
    """``1 facility``, ``2 facilities``."""
    return f"{n} facility" if n == 1 else f"{n} facilities"


def targets_frame(
    sol: MultiSolution, spec: Spec | None = None, data: ServiceData | None = None
) -> pd.DataFrame:
    """The plan-target table as shown: target, year, required, reached, met, enforced or not.

    The name is the spec's without a trailing requirement (``… >= 85%``): the
    required value comes from the spec, beside it, so a changed share never
    contradicts the name. With the spec, its equity requirements follow
    (:func:`equity_frame`).
    """
    t = sol.targets
    rows = []
    for r in t.to_dict(orient="records") if len(t) else []:
        reached_text = str(r.get("reached_text") or "")
        kind = str(r.get("kind", "coverage"))
        rows.append({
            "target": target_title(str(r["target"])),
            "year": int(r["year"]),
            "required": _amount(kind, r.get("required")),
            "reached": _amount(kind, r.get("reached")) if reached_text else "–",
            "met": ("yes" if bool(r["met"]) else "no") if reached_text else "–",
            "as": {"constraint": "enforced", "report": "reported"}.get(
                str(r["mode"]), str(r["mode"])
            ),
        })
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    if spec is not None and spec.equity:
        frame = pd.concat([frame, equity_frame(sol, spec, data)], ignore_index=True)
    return frame


def _area_of(sol: MultiSolution, data: ServiceData | None, by: str) -> pd.Series:
    """The area (``by`` column) of each new facility row."""
    fac = sol.facilities
    if by in fac.columns:
        return fac[by].astype(str)
    if data is not None and by in data.parcels.columns:
        lookup = data.parcels.set_index(data.parcels["parcel_id"].astype(str))[by].astype(str)
        return fac["parcel_id"].astype(str).map(lookup).fillna("")
    return pd.Series("", index=fac.index)


def equity_frame(
    sol: MultiSolution, spec: Spec, data: ServiceData | None = None
) -> pd.DataFrame:
    """The spec's equity requirements as rows of the target table (always enforced).

    A presence floor (``min_facilities``) gives one row per area it names
    (existing facilities kept plus new ones there by the year); a coverage
    floor (``min_share``, ``min_ratio_to_area``) one row with the lowest area.
    """
    rows = []
    fac = sol.facilities
    solved = sol.status.has_solution and len(sol.by_subdistrict) > 0
    for e in spec.equity:
        year = spec.year_of(e.year)
        label = label_of(spec, e.facility)
        if e.min_facilities is not None:
            areas = e.areas or sorted(set(sol.by_subdistrict.get("subdistrict", [])))
            new = fac[(fac["type"] == e.facility) & (fac["year"] <= year)] if len(fac) else fac
            where = _area_of(sol, data, e.by).reindex(new.index) if len(new) else new
            kept = pd.Series(dtype=int)
            if data is not None and e.by in data.existing.columns:
                ex = data.existing[data.existing["type"].astype(str) == e.facility]
                ex = ex[~ex["facility_id"].isin(sol.closed)]
                kept = ex[e.by].astype(str).value_counts()
            for area in areas:
                have = int(kept.get(area, 0))
                if len(new):
                    have += int(new.loc[where == area, "count"].sum())
                rows.append({
                    "target": f"{label} in {area}",
                    "year": year,
                    "required": facilities_word(e.min_facilities),
                    "reached": facilities_word(have) if solved else "–",
                    "met": ("yes" if have >= e.min_facilities else "no") if solved else "–",
                    "as": "enforced (equity)",
                })
        if e.min_share is None and e.min_ratio_to_area is None:
            continue
        by = sol.by_subdistrict
        part = by[by["type"] == e.facility] if solved and e.by == "subdistrict" else by.iloc[:0]
        if e.areas and len(part):
            part = part[part["subdistrict"].isin(e.areas)]
        if e.min_share is not None:
            low = part.loc[part["share"].idxmin()] if len(part) else None
            rows.append({
                "target": f"{label}: every {e.by} at least this share",
                "year": year,
                "required": pct_or_dash(e.min_share),
                "reached": "–" if low is None else f"{pct_or_dash(low['share'])} ({low[e.by]})",
                "met": "–" if low is None else yes_no(low["share"] >= e.min_share - 1e-9),
                "as": "enforced (equity)",
            })
        if e.min_ratio_to_area is not None:
            whole = by[by["type"] == e.facility] if solved else by.iloc[:0]
            overall = float(whole["covered"].sum() / whole["pop"].sum()) if len(whole) else np.nan
            if not len(part):  # no plan: nothing measured (the frame may have no columns)
                ratio = pd.Series(dtype=float)
            else:
                ratio = part["share"] / overall if overall > 0 else part["share"]
            low_k = ratio.idxmin() if len(ratio) else None
            rows.append({
                "target": f"{label}: every {e.by} at least this share of the area-wide one",
                "year": year,
                "required": f"{e.min_ratio_to_area:.2f} × area-wide ({pct_or_dash(overall)})",
                "reached": "–" if low_k is None
                else f"{ratio[low_k]:.2f} × area-wide (lowest: {part.at[low_k, e.by]})",
                "met": "–" if low_k is None
                else yes_no(ratio[low_k] >= e.min_ratio_to_area - 1e-9),
                "as": "enforced (equity)",
            })
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


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
def targets_table(
    sol: MultiSolution, spec: Spec | None = None, data: ServiceData | None = None
) -> Table:
    """Plan targets and equity requirements: required, reached, met (``ok`` / ``bad``),
    enforced or reported."""
    return table_view(targets_frame(sol, spec, data), "targets")


def _labelled(spec: Spec | None, keys: Sequence[str]) -> dict[str, str]:
    """Each type key's label (the key where the spec gives none)."""
    return {k: label_of(spec, k) for k in keys}


def baseline_table(cmp: pd.DataFrame, spec: Spec | None = None) -> Table:
    """Coverage per type with existing facilities only, with the plan, and the change."""
    show = cmp.copy()
    if len(show):
        show["change"] = show["with the plan"] - show["existing only"]
        show["type"] = show["type"].map(_labelled(spec, list(show["type"])))
    return table_view(
        show,
        "baseline",
        {
            "existing only": pct_or_dash,
            "with the plan": pct_or_dash,
            "change": lambda v: f"{100 * v:+.1f} pp" if np.isfinite(v) else "–",
        },
    )


def subdistrict_table(
    frame: pd.DataFrame, types: Sequence[str], spec: Spec | None = None
) -> Table:
    """Shares per sub-district (a column per type, headed by its label), shaded by share."""
    names = _labelled(spec, [t for t in types if t in frame.columns])
    labels = list(names.values())
    return table_view(
        frame.rename(columns=names),
        "subdistricts",
        {t: pct_or_dash for t in labels} | {"residents": lambda v: f"{int(v):,}"},
        {t: share_background for t in labels},
    )


def budget_table(frame: pd.DataFrame, currency: str, spec: Spec | None = None) -> Table:
    """Costs and budgets by year and type, in :func:`~siting.report.formats.money_unit`."""
    names = _labelled(spec, [c for c in frame.columns if c not in ("year", "total", "budget")])
    shown = frame.rename(columns=names)
    return table_view(
        shown,
        "budget",
        {c: (lambda v: plain_money(float(v), currency)) for c in shown.columns if c != "year"},
    )


#: Headings of the facility list (units said once, in the heading).
FACILITY_HEADINGS = {
    "type": "type",
    "parcel_id": "parcel",
    "year": "year",
    "count": "new",
    "spaces": "spaces",
    "subdistrict": "sub-district",
    "footprint_m2": "land (m²)",
    "cost_est": "estimated cost",
}


def facilities_table(sol: MultiSolution, currency: str, spec: Spec | None = None) -> Table:
    """The new facilities, one row per (type, parcel, year); the type by its label."""
    fac = sol.facilities.drop(columns=["parcel_area_m2"], errors="ignore").copy()
    if len(fac):
        fac["type"] = fac["type"].map(_labelled(spec, list(fac["type"].unique())))
    fac = fac.rename(columns=FACILITY_HEADINGS)
    return table_view(
        fac,
        "facilities",
        {
            "estimated cost": lambda v: plain_money(float(v), currency),
            "land (m²)": lambda v: f"{float(v):,.0f}",
        },
    )
