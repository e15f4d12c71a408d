"""How a plan's reasons are said: one paragraph per facility type, in a planner's words.

The limits a type is re-planned without (:data:`LIMITS`), their words, and the
gain that makes one binding (:data:`MIN_GAIN`) are shared with the analysis of
:mod:`siting.multi.reasons`, which re-exports these names.

>>> [WORDS[k] for k in LIMITS[:2]]
['the budget', 'the quota']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from siting.multi.solution import money
from siting.multi.spec import Spec

#: Coverage gained by lifting a limit for it to count as binding (0.5 percentage points).
MIN_GAIN = 0.005

LIMITS = ("budget", "quota", "land", "phasing")
WORDS = {
    "budget": "the budget",
    "quota": "the quota",
    "land": "land on the parcels within reach",
    "phasing": "phasing (parcels free only in later years)",
    "reach": "no allowed parcel within reach",
    "parcels": "no parcel allows it",
}

def _pct(v: float | None) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.1f}%"


def _money(v: float | None, currency: str) -> str:
    return "–" if v is None else money(v, currency)


def quota_words(spec: Spec, name: str) -> str:
    f = spec.facility[name]
    parts = [f"{k} {v}" for k, v in sorted(f.count.items())]
    parts += [f"at most {v} ({k})" for k, v in sorted(f.max_count.items())]
    if f.max_total is not None:
        parts.append(f"at most {f.max_total} in all, existing included")
    return ", ".join(parts) or "none"


def quota_ceiling(spec: Spec, name: str, existing: int) -> int | None:
    """The most new facilities of a type its quotas allow over the plan (None: no ceiling).

    >>> from siting.multi.spec import parse_spec
    >>> spec = parse_spec({"meta": {"name": "x", "years": [2026]},
    ...     "facility": {"park": {"group": "pop_total", "radius_m": 500,
    ...                           "max_count": {"total": 10}, "max_total": 12}}})
    >>> quota_ceiling(spec, "park", existing=3), quota_ceiling(spec, "park", existing=1)
    (9, 10)
    """
    f = spec.facility[name]
    caps = [v for k, v in f.max_count.items() if k == "total"]
    caps += [v for k, v in f.count.items() if k == "total"]
    if f.max_total is not None:
        caps.append(max(f.max_total - existing, 0))
    return min(caps) if caps else None


def _quota_said(row: dict[str, Any], spec: Spec) -> str:
    """The quota as it holds the type, with the plan's own count beside it: a plan that builds
    fewer than the quota allows is held by it only through the other types' claims."""
    name, built = row["type"], int(row["built"])
    text = f"the quota ({quota_words(spec, name)}"
    cap = quota_ceiling(spec, name, int(row.get("existing", 0)))
    if cap is not None and built < cap:
        text += (
            f"; the plan builds {built} of the {cap} it allows: placed alone with what the "
            "plan leaves, this type would build all of them and gain from more"
        )
    elif cap is not None:
        text += f"; the plan builds all {built}"
    return text + f"): without it {_pct(row['relaxed']['quota'])}"


def reason_text(row: dict[str, Any], spec: Spec) -> str:
    """One paragraph a planner reads: where the type stands and what binds it."""
    currency = spec.budget.currency
    head = (
        f"{row['label']}: {_pct(row['share'])} of {row['group']} within "
        f"{row['radius_m']:,.0f} {row.get('radius_unit', 'm')} in {row['year']} (existing "
        f"only {_pct(row['baseline'])}; "
        f"{row['built']} new)."
    )
    relaxed = row["relaxed"]
    said = []
    for key in row["binds"]:
        if key == "budget":
            by_year = row["budget_left_by_year"]
            empty = [y for y, v in sorted(by_year.items()) if v < 1.0]
            years = f"; nothing left in {', '.join(empty)}" if empty else ""
            said.append(
                f"the budget: {_money(row['budget_left'], currency)} left after the other "
                f"types{years}; without a budget limit {_pct(relaxed['budget'])}"
            )
        elif key == "quota":
            said.append(_quota_said(row, spec))
        elif key == "land":
            said.append(
                "land: parcels within reach are taken by the plan's other facilities; with "
                f"their land free {_pct(relaxed['land'])}"
            )
        elif key == "phasing":
            said.append(
                "phasing: parcels within reach are free only in later years; with every "
                f"parcel free from the start {_pct(relaxed['phasing'])}"
            )
        elif key == "parcels":
            said.append(f"the parcels: {row.get('cause') or 'none is a candidate'}")
        elif key == "reach":
            said.append(
                f"reach: {_pct(1 - row['ceiling'])} of {row['group']} have no allowed parcel "
                f"or existing facility within {row['radius_m']:,.0f} "
                f"{row.get('radius_unit', 'm')} (every allowed parcel "
                f"open: {_pct(row['ceiling'])})"
            )
    for group in row["together"]:
        key = "+".join(group) if len(group) == 2 else "all"
        said.append(
            " and ".join(WORDS[k] for k in group) + " together: lifting one alone gains "
            f"nothing, lifting {'both' if len(group) == 2 else 'all'} gives "
            f"{_pct(relaxed.get(key))}"
        )
    held = set(row["binds"]) | {k for g in row["together"] for k in g}
    free = [WORDS[k] for k in LIMITS if k in relaxed and k not in held]
    text = head + (" Binding: " + "; ".join(said) + "." if said else "")
    now = row["reachable_now"]
    if now is not None and np.isfinite(row["share"]) and now - row["share"] >= MIN_GAIN:
        text += (
            f" Placed alone with what the plan leaves, this type could reach {_pct(now)}: the "
            "plan weighs it against the residents of every other type in every year"
        )
        gap = row.get("plan_gap")
        text += f", and its solve stopped at a gap of {_pct(gap)}." if gap else "."
    if free:
        text += " Not binding: " + ", ".join(free) + "."
    return text
