"""The tables' reading of a plan (siting.multi.tables): every year's open sites read at
once are those read year by year."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.multi.problem import MultiServiceProblem
from siting.multi.spec import parse_spec
from siting.multi.tables import Plan, PlanRows, open_by_year, open_sites
from tests.helpers import small_data, small_spec

SPEC = parse_spec(small_spec())
DATA = small_data()
PROB = MultiServiceProblem(SPEC, DATA)


def year_by_year(plan: Plan, name: str, t: int) -> tuple[np.ndarray, np.ndarray]:
    """The open sites of year index ``t`` read from the plan's rows of that year alone
    (the reading the tables used before every year was read at once)."""
    td = PROB.types[name]
    fac = plan.facilities
    chosen = fac[(fac["type"] == name) & (fac["year"] <= PROB.years[t])]
    pos = pd.Index(PROB.data.parcels["parcel_id"]).get_indexer(chosen["parcel_id"])
    ex = PROB.data.existing.iloc[td.existing]
    kept = ~ex["facility_id"].isin(plan.closed).to_numpy()
    return np.unique(pos[pos >= 0]).astype(np.int64), td.existing[kept]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(["service_room", "elderly_station", "park"]),
                            st.sampled_from([2025, 2026, 2027, 2028]),
                            st.sampled_from([f"P{k}" for k in range(9)])), max_size=12),
    closed=st.sampled_from([[], ["E1"], ["E9"]]),
)
def test_open_sites_of_every_year_at_once_are_those_of_each_year(
    rows: list[tuple[str, int, str]], closed: list[str],
) -> None:
    """Any rows (repeated parcels, other types, unknown parcel P8, years before and
    after the plan's) and closed facilities give the same sites, dtypes included."""
    fac = pd.DataFrame(rows, columns=["type", "year", "parcel_id"])
    plan = PlanRows(fac, closed)
    for name in PROB.types:
        at_once = open_by_year(PROB, plan, name)
        assert len(at_once) == PROB.T
        for t, (parcels, existing) in enumerate(at_once):
            one_parcels, one_existing = year_by_year(plan, name, t)
            assert all(np.array_equal(a, b) for a, b in
                       zip(open_sites(PROB, plan, name, t), (parcels, existing), strict=True))
            assert parcels.dtype == one_parcels.dtype and existing.dtype == one_existing.dtype
            assert np.array_equal(parcels, one_parcels)
            assert np.array_equal(existing, one_existing)


@settings(max_examples=30, deadline=None)
@given(
    picks=st.lists(st.tuples(st.sampled_from(sorted(PROB.types)),
                             st.lists(st.integers(0, len(DATA.parcels) - 1), max_size=4,
                                      unique=True),
                             st.booleans()), min_size=1, max_size=8),
)
def test_nearest_open_remembered_is_the_metrics_own_answer(
    picks: list[tuple[str, list[int], bool]],
) -> None:
    """Asked again and again for any sites (the same or others, with or without the
    travel table), the remembered answer is what a fresh metric gives, and changing a
    returned array changes nothing remembered."""
    from siting.multi.tables import nearest_open

    prob = MultiServiceProblem(SPEC, DATA)
    for name, parcels, travel in picks:
        td = prob.types[name]
        sites = np.array(sorted(parcels), dtype=np.int64)
        f = prob.spec.facility[name]
        metric = prob.data.metric(sites, td.existing, prob.mode_of(f), f.access,
                                  travel=f if travel else None)
        want_arg, want_dist = metric.nearest_in(np.arange(sites.size + td.existing.size))
        _, arg, dist = nearest_open(prob, name, sites, td.existing, travel=travel)
        assert np.array_equal(arg, want_arg) and np.array_equal(dist, want_dist)
        arg[:] = -7
        dist[:] = -1.0
        _, again_arg, again_dist = nearest_open(prob, name, sites, td.existing, travel=travel)
        assert np.array_equal(again_arg, want_arg) and np.array_equal(again_dist, want_dist)
