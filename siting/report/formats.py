"""How numbers, costs, shares and facility types are written and coloured in a report.

These are plain functions (also the filters of the page templates, see
:mod:`siting.report.page`), so tables, the map and the sweep curve all say
the same thing the same way.

>>> money(2.5e9, "CNY"), money(3.2e6, "CNY"), money(3.2e6, "EUR")
('25.0亿元', '320万元', '3.2 M EUR')
>>> plain_money(3.2e6, "CNY"), money_unit("CNY")
('320', '万元')
>>> share_colour(1.0), share_colour(0.5), share_colour(0.0)
('#2f9e44', '#f59f00', '#e03131')
>>> pct_or_dash(0.25), pct_or_dash(float("nan")), pct_or_dash("n/a")
('25.0%', '–', '–')
>>> share_background(1.0), share_background(None)
('background:#2f9e4433', '')
>>> type_colours(["park", "school"])
{'park': '#d9480f', 'school': '#1c7ed6'}
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from siting.multi.solution import pct
from siting.multi.spec import Spec

__all__ = [
    "PALETTE",
    "label_of",
    "money",
    "money_unit",
    "pct",
    "pct_or_dash",
    "plain_money",
    "share_background",
    "share_colour",
    "type_colours",
]

#: Facility-type colours, in the order of the spec's types (repeated past twelve).
PALETTE = [
    "#d9480f",
    "#1c7ed6",
    "#2b8a3e",
    "#ae3ec9",
    "#f08c00",
    "#0c8599",
    "#c2255c",
    "#5f3dc4",
    "#66a80f",
    "#099268",
    "#e8590c",
    "#1098ad",
]

# Red (nobody covered) → amber → green (everyone covered); static/map.js has the same stops.
_SHARE_STOPS = [(0.0, (224, 49, 49)), (0.5, (245, 159, 0)), (1.0, (47, 158, 68))]


def money(value: float, currency: str = "CNY", *, unit: str = "auto") -> str:
    """A cost for planners: 亿元 / 万元 for CNY, millions otherwise."""
    if not np.isfinite(value):
        return "–"
    if currency == "CNY":
        if unit == "wan" or (unit == "auto" and abs(value) < 1e8):
            return f"{value / 1e4:,.0f}万元"
        return f"{value / 1e8:,.1f}亿元"
    return f"{value / 1e6:,.1f} M {currency}"


def money_unit(currency: str) -> str:
    """The unit of :func:`plain_money` (named once, in a table's heading)."""
    return "万元" if currency == "CNY" else f"thousand {currency}"


def plain_money(value: float, currency: str) -> str:
    """A cost in the unit of :func:`money_unit`, without the unit (for table cells)."""
    if not np.isfinite(value):
        return "–"
    return f"{value / (1e4 if currency == 'CNY' else 1e3):,.0f}"


def pct_or_dash(value: Any) -> str:
    """A share as a percentage; a dash for anything that is not a finite number."""
    if isinstance(value, (float, int, np.floating)) and np.isfinite(value):
        return pct(float(value))
    return "–"


def share_colour(share: float) -> str:
    """Red (nobody covered) → amber → green (everyone covered)."""
    share = float(np.clip(share, 0.0, 1.0))
    for (a, ca), (b, cb) in itertools.pairwise(_SHARE_STOPS):
        if share <= b:
            u = (share - a) / (b - a)
            rgb = [round(x + (y - x) * u) for x, y in zip(ca, cb, strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#2f9e44"


def share_background(value: Any) -> str:
    """Inline CSS of a table cell holding a share: its colour, faded (none if not a share)."""
    if not isinstance(value, (float, np.floating)) or not np.isfinite(value):
        return ""
    return f"background:{share_colour(float(value))}33"


def type_colours(types: Sequence[str]) -> dict[str, str]:
    """One colour per facility type, in the spec's order."""
    return {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}


def label_of(spec: Spec | None, facility_type: str) -> str:
    """The name a reader sees for a facility type: its label in the spec, else its key."""
    if spec is None or facility_type not in spec.facility:
        return facility_type
    return spec.facility[facility_type].label or facility_type
