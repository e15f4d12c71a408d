"""What a classic solution means in a few figures: the weight covered (covering models), or
the mean and largest distance to the assigned site (assignment models); the summary of
``siting solve`` and the report page both show them. A covering model's figures come from
its coverage counts, without pandas.

>>> import pandas as pd
>>> from siting import Instance, MCLP
>>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
>>> inst = Instance.from_frames(d, d)
>>> figures(inst, MCLP(radius=1, p=1).solve(inst))
[('weight covered', '62.5%', '5 of 8; 1 of 2 demand points')]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from siting.instance import Instance
    from siting.solution import Solution

__all__ = ["distance_unit", "figures"]


def _is_metric(inst: Instance) -> bool:
    crs = inst.crs
    if crs is None:
        return False
    try:
        from pyproj import CRS

        parsed = CRS.from_user_input(crs)
        return bool(parsed.is_projected) and "metre" in str(parsed.axis_info[0].unit_name)
    except Exception:  # an unreadable CRS: say data units
        return False


def distance_unit(inst: Instance) -> str:
    """The unit distances are in: a travel table's own (e.g. ``min``), metres in a metric
    CRS, else ``data units``."""
    unit = getattr(inst.metric, "unit", None)
    if unit:
        return str(unit)
    return "m" if _is_metric(inst) else "data units"


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    value = float(value)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def figures(inst: Instance, sol: Solution) -> list[tuple[str, str, str]]:
    """What the solution means, as (what, value, detail): the weight covered (covering
    models), or the mean and largest distance to the assigned site (assignment models)."""
    out = []
    total = float(inst.weight.sum())
    covering = _covering(sol)
    if covering is not None:
        w, hit = covering
        share = float(w[hit].sum()) / total if total > 0 else 1.0
        out.append(("weight covered", f"{100 * share:.1f}%", f"{_fmt(w[hit].sum())} of "
                    f"{_fmt(total)}; {int(hit.sum())} of {len(hit)} demand points"))
    if sol.assignment is not None:
        out.extend(_distances(inst, sol))
    walks = sol.stats.get("walks", {})
    if walks.get("pairs"):
        out.append(("walk / straight line", f"{walks['median']:g} ×",
                    f"median of {walks['pairs']:,} points to their nearest open site; 90th "
                    f"percentile {walks['p90']:g} ×, at most {walks['max']:g} ×"))
    return out


def _covering(sol: Solution) -> tuple[Any, Any] | None:
    """Weights and whether each point is covered: from the decoded counts while the coverage
    frame is unread, else from the frame; None for a model without coverage."""
    counts = sol.coverage_counts()
    if counts is not None:
        return (counts.weight.astype(float), counts.covered > 0) if len(counts) else None
    cov = sol.coverage
    if cov is None or not len(cov):
        return None
    return cov["weight"].to_numpy(dtype=float), cov["covered"].to_numpy() > 0


def _distances(inst: Instance, sol: Solution) -> list[tuple[str, str, str]]:
    """The weighted mean and the largest distance to the assigned site."""
    import pandas as pd

    lines = sol.lines_frame()
    if not (len(lines) and "distance" in lines):
        return []
    unit = distance_unit(inst)
    pos = pd.Index(inst.demand_ids).get_indexer(lines["demand_id"].to_numpy())
    w = inst.weight[pos] * lines["fraction"].to_numpy(dtype=float)
    d = lines["distance"].to_numpy(dtype=float)
    if not (w.sum() > 0 and np.isfinite(d).all()):
        return []
    return [("mean distance", f"{_fmt(float(w @ d / w.sum()))} {unit}", "weighted by demand"),
            ("largest distance", f"{_fmt(float(d.max()))} {unit}", "to the assigned site")]
