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
{'park': '#0072b2', 'school': '#e69f00'}
>>> target_title("公园绿地500米服务半径覆盖率 >= 85%"), target_title("新增停车位不少于1万个")
('公园绿地500米服务半径覆盖率', '新增停车位不少于1万个')
>>> yes_no(True), yes_no(False), yes_no(None)
('yes', 'no', 'not checked')
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from siting.multi.solution import money, pct, target_title
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
    "target_title",
    "type_colours",
    "type_shape",
    "yes_no",
]

#: Facility-type colours, in the order of the spec's types: Okabe & Ito's colour-blind-safe
#: palette (black left out: it is the map's ink), then Paul Tol's "muted" scheme; each type
#: also has its own marker shape (:data:`SHAPES`), so no two types rely on colour alone.
PALETTE = [
    "#0072b2",  # blue
    "#e69f00",  # orange
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#56b4e9",  # sky blue
    "#d55e00",  # vermilion
    "#f0e442",  # yellow
    "#332288",  # indigo (Tol)
    "#882255",  # wine (Tol)
    "#999933",  # olive (Tol)
    "#44aa99",  # teal (Tol)
    "#aa4499",  # purple (Tol)
]
#: Marker shapes of the map and legend, one per type in the spec's order (repeated past eight).
SHAPES = ["circle", "square", "diamond", "triangle", "down", "hexagon", "star", "cross"]

# Red (nobody covered) → amber → green (everyone covered); static/map.js has the same stops.
_SHARE_STOPS = [(0.0, (224, 49, 49)), (0.5, (245, 159, 0)), (1.0, (47, 158, 68))]


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


_SHAPE_POINTS = {
    # unit outlines (radius 1, y down), drawn as SVG paths by shape_path
    "diamond": [(0, -1.25), (1.1, 0), (0, 1.25), (-1.1, 0)],
    "triangle": [(0, -1.25), (1.15, 0.85), (-1.15, 0.85)],
    "down": [(0, 1.25), (1.15, -0.85), (-1.15, -0.85)],
    "hexagon": [(np.cos(a), np.sin(a)) for a in np.linspace(0, 2 * np.pi, 7)[:-1]],
    "star": [
        (r * np.sin(a), -r * np.cos(a))
        for k, a in enumerate(np.linspace(0, 2 * np.pi, 11)[:-1])
        for r in [1.35 if k % 2 == 0 else 0.6]
    ],
    "cross": [
        (-0.4, -1.1), (0.4, -1.1), (0.4, -0.4), (1.1, -0.4), (1.1, 0.4), (0.4, 0.4),
        (0.4, 1.1), (-0.4, 1.1), (-0.4, 0.4), (-1.1, 0.4), (-1.1, -0.4), (-0.4, -0.4),
    ],
}


def shape_path(shape: str, x: float, y: float, r: float) -> str:
    """SVG path data of a marker shape (:data:`SHAPES`, not circle or square) at (x, y).

    >>> shape_path("diamond", 10, 10, 2)
    'M10.0,7.5L12.2,10.0L10.0,12.5L7.8,10.0Z'
    """
    pts = _SHAPE_POINTS[shape]
    return "M" + "L".join(f"{x + r * u:.1f},{y + r * v:.1f}" for u, v in pts) + "Z"


def type_shape(types: Sequence[str]) -> dict[str, str]:
    """One marker shape per facility type, in the spec's order."""
    return {t: SHAPES[i % len(SHAPES)] for i, t in enumerate(types)}


#: A requirement written at the end of a target's name ("… >= 85%", "… ≥ 1万"): the table
#: shows the required value from the spec beside the name, so the name drops it.
def yes_no(value: Any) -> str:
    """A verdict in words: yes, no, or not checked (``None``)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "not checked"
    return "yes" if bool(value) else "no"


def label_of(spec: Spec | None, facility_type: str) -> str:
    """The name a reader sees for a facility type: its label in the spec, else its key."""
    if spec is None or facility_type not in spec.facility:
        return facility_type
    return spec.facility[facility_type].label or facility_type
