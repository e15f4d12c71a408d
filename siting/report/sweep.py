"""The page of a sweep: the budget–coverage curve and the scenario table.

>>> import pandas as pd
>>> table = pd.DataFrame({"scenario": [0, 1], "budget": [1e6, 4e6],
...                       "status": ["infeasible", "optimal"],
...                       "coverage:park": [float("nan"), 0.6], "message": ["too little", ""]})
>>> svg = curve_svg(table, ["park"])
>>> svg.count("<circle"), svg.count('class="failed"')
(1, 1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from markupsafe import Markup

from siting.report.formats import money, pct_or_dash, share_background, type_colours, yes_no
from siting.report.page import render_fragment, render_page
from siting.report.tables import table_view

SOLVED = ("optimal", "feasible")

#: The curve's size and margins (SVG units): width, height, left, right, top, bottom.
LAYOUT = {"W": 900, "H": 420, "L": 70, "R": 230, "T": 20, "B": 50}


class Point(NamedTuple):
    x: float
    y: float
    budget: float
    share: float


class Series(NamedTuple):
    """One facility type's line: its solved scenarios by budget."""

    type: str
    colour: str
    points: list[Point]


class Failed(NamedTuple):
    x: float
    status: str
    message: str


def curve_svg(
    table: pd.DataFrame,
    types: Sequence[str],
    currency: str = "CNY",
    labels: dict[str, str] | None = None,
) -> Markup:
    """The budget–coverage curve of a sweep as inline SVG (one line per type).

    ``table`` needs ``budget``, ``status`` and ``coverage:<type>`` columns;
    scenarios without a solution are drawn as crosses on the axis.
    """
    W, H, L, R, T, B = (LAYOUT[k] for k in ("W", "H", "L", "R", "T", "B"))
    ok = table[table["status"].isin(SOLVED)]
    xs = table["budget"].to_numpy(dtype=float)
    x0, x1 = (float(np.nanmin(xs)), float(np.nanmax(xs))) if len(xs) else (0.0, 1.0)
    if x1 <= x0:
        x0, x1 = x0 * 0.9 - 1, x1 * 1.1 + 1
    drawn = [t for t in types if f"coverage:{t}" in table.columns]
    cols = [f"coverage:{t}" for t in drawn]
    lo = float(np.nanmin(ok[cols].to_numpy())) if len(ok) and cols else 0.0
    y0 = max(0.0, math.floor(lo * 10) / 10 - 0.1) if np.isfinite(lo) else 0.0

    def px(x: float) -> float:
        return L + (x - x0) / (x1 - x0) * (W - L - R)

    def py(y: float) -> float:
        return T + (1 - (y - y0) / (1 - y0)) * (H - T - B)

    colours = type_colours(types)
    ok = ok.sort_values("budget")
    series = []
    for t in drawn:
        budgets = ok["budget"].to_numpy(dtype=float)
        shares = ok[f"coverage:{t}"].to_numpy(dtype=float)
        points = [
            Point(px(b), py(s), b, s)
            for b, s in zip(budgets, shares, strict=True)
            if np.isfinite(s)
        ]
        series.append(Series((labels or {}).get(t, t), colours[t], points))
    failed = [
        Failed(px(float(r.budget)), str(r.status), str(r.message))
        for r in table[~table["status"].isin(SOLVED)].itertuples()
    ]
    grid = [(py(y), y) for y in (y0 + (1 - y0) * k / 10 for k in range(11))]
    ticks = [(px(float(x)), float(x)) for x in np.linspace(x0, x1, 6)]
    return render_fragment(
        "curve.svg.j2",
        **LAYOUT,
        grid=grid,
        ticks=ticks,
        series=series,
        failed=failed,
        currency=currency,
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not np.isfinite(value))


def _or_dash(formatter: Any) -> Any:
    """A cell formatter that writes a dash for a missing value (None, NaN)."""
    return lambda v: "–" if _missing(v) else formatter(v)


def _number(v: Any) -> str:
    v = float(v)
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}"


def no_curve_reason(table: pd.DataFrame, swept: bool, advice: Sequence[str]) -> str:
    """Why a sweep's page has no curve, in one sentence or two."""
    if not swept:
        return "The budget is not swept: no budget–coverage curve."
    reason = "No scenario has a solution, so there is no curve."
    return " ".join([reason, *advice[:1]])


def sweep_report_html(table: pd.DataFrame, info: dict[str, Any]) -> str:
    """The page of a sweep: the budget–coverage curve and the scenario table."""
    types = list(info.get("types", []))
    labels = dict(info.get("labels", {}))
    currency = str(info.get("currency", "CNY"))
    swept = "budget" in table.columns and table["budget"].nunique() > 1
    solved = bool(table["status"].isin(SOLVED).any())
    shares = [c for c in table.columns if c.startswith("coverage:")]
    fmt: dict[str, Any] = {c: _or_dash(pct_or_dash) for c in table.columns}
    fmt.update({c: _or_dash(str) for c in ("scenario", "status", "message", "facilities")})
    fmt.update({c: pct_or_dash for c in shares})
    fmt["budget"] = fmt["cost"] = _or_dash(lambda v: money(float(v), currency))
    fmt["objective"] = _or_dash(_number)
    fmt["gap"] = _or_dash(lambda v: f"{100 * float(v):.2f}%")
    fmt["verified"] = _or_dash(yes_no)
    fmt["pareto"] = _or_dash(yes_no)
    for c in ("targets_met", "targets"):
        fmt[c] = _or_dash(lambda v: f"{int(v)}")
    for c in table.columns:
        if c.startswith(("radius:", "target:")):
            fmt[c] = _or_dash(lambda v: f"{float(v):g}")
    shown = table.rename(columns={c: labels.get(c.removeprefix("coverage:"), c) for c in shares})
    fmt = {
        (labels.get(c.removeprefix("coverage:"), c) if c in shares else c): f
        for c, f in fmt.items()
    }
    failed = table[~table["status"].isin(SOLVED)]
    advice = list(info.get("advice", []))
    return render_page(
        "sweep.html.j2",
        title=f"siting sweep: {info.get('spec', '')}",
        scenarios=len(table),
        axes="; ".join(str(a) for a in info.get("axes", [])),
        workers=info.get("workers", "?"),
        curve=curve_svg(table, types, currency, labels) if swept and solved else None,
        no_curve=no_curve_reason(table, swept, advice),
        advice=advice,
        failed=[
            f"scenario {int(r.scenario)}: {r.status}: {r.message or 'no message'}"
            for r in failed.itertuples()
        ],
        pareto=table_view(
            shown, "pareto", fmt,
            {labels.get(c.removeprefix("coverage:"), c): share_background for c in shares},
        ),
    )
