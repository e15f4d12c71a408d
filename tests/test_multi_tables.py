"""The tables' reading of a plan (siting.multi.tables): every year's open sites read at
once are those read year by year."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.multi.data import ServiceData
from siting.multi.problem import MultiServiceProblem
from siting.multi.spec import parse_spec
from siting.multi.tables import Plan, PlanRows, open_by_year, open_sites
from tests.helpers import X0, Y0, small_data, small_frames, small_spec

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
    """Asked again and again for any sites (the same or others, candidates of the type
    or not, with or without the travel table), the answer is what a fresh metric on
    those sites alone gives (the type's own metric, restricted, where it holds them:
    distances to round-off), and changing a returned array changes nothing remembered."""
    from siting.multi.tables import nearest_open

    prob = MultiServiceProblem(SPEC, DATA)
    for name, parcels, travel in picks:
        td = prob.types[name]
        sites = np.array(sorted(parcels), dtype=np.int64)
        f = prob.spec.facility[name]
        metric = prob.data.metric(sites, td.existing, prob.mode_of(f), f.access,
                                  travel=f if travel else None)
        want_arg, want_dist = metric.nearest_in(np.arange(sites.size + td.existing.size))
        for _ in range(2):
            near = nearest_open(prob, name, sites, td.existing, travel=travel)
            assert near.sites.size == sites.size + td.existing.size
            assert np.array_equal(np.isfinite(near.dist), np.isfinite(want_dist))
            reached = np.isfinite(want_dist)
            assert np.allclose(near.dist[reached], want_dist[reached], rtol=1e-12, atol=1e-9)
            assert np.array_equal(near.open_position(), want_arg)
            near.arg[:] = -7
            near.dist[:] = -1.0


def walking_case(
    seed: int, access: str, stretch: tuple[float, float] = (1.0, 1.3),
) -> tuple[MultiServiceProblem, Any]:
    """The small case on a street grid (250 m, streets ``stretch`` x their straight line),
    the elderly stations allowed on half the parcels only; and its data."""
    import copy

    from siting.network import WalkingNetwork

    rng = np.random.default_rng(seed)
    frames = small_frames()
    gx, gy = np.meshgrid(np.arange(9), np.arange(5))
    node_x, node_y = X0 + 250.0 * gx.ravel(), Y0 + 250.0 * gy.ravel()
    index = np.arange(node_x.size).reshape(5, 9)
    u = np.r_[index[:, :-1].ravel(), index[:-1, :].ravel()]
    v = np.r_[index[:, 1:].ravel(), index[1:, :].ravel()]
    length = 250.0 * rng.uniform(*stretch, u.size)
    parcels = frames["parcels"].copy()
    parcels["allowed_uses"] = ["elderly_station;service_room", "service_room"] * 4
    data = ServiceData(blocks=frames["blocks"], parcels=parcels, existing=frames["existing"],
                       subdistricts=frames["subdistricts"], source="small",
                       network=WalkingNetwork(node_x, node_y, u, v, length))
    raw = copy.deepcopy(small_spec())
    raw["meta"]["distance"] = "network"
    for f in raw["facility"].values():
        f["access"] = access
    return MultiServiceProblem(parse_spec(raw), data), data


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), access=st.sampled_from(["point", "boundary"]),
       picks=st.lists(st.lists(st.integers(0, 7), max_size=5, unique=True), min_size=1,
                      max_size=4),
       closed=st.booleans())
def test_nearest_open_on_the_streets_is_a_fresh_metrics_answer(
    seed: int, access: str, picks: list[list[int]], closed: bool,
) -> None:
    """Walking, open candidates of a type are measured on the type's own metric restricted
    to them (no metric made); any other open parcel gets a metric of its own. Either way
    every block's distance is what a metric on those sites alone gives (to round-off:
    edges are split at more spots) and its nearest site is at that distance."""
    from siting.multi.tables import nearest_open

    prob, data = walking_case(seed, access)
    name = "elderly_station"
    td = prob.types[name]
    assert 0 < td.n_cand < len(data.parcels)  # some parcels are no candidates of it
    existing = td.existing[:0] if closed else td.existing
    for picked in picks:
        sites = np.array(sorted(picked), dtype=np.int64)
        fresh = data.metric(sites, existing, "network", access)
        _, want_dist = fresh.nearest_in(np.arange(sites.size + existing.size))
        near = nearest_open(prob, name, sites, existing)
        own = bool(np.isin(sites, td.cand).all())
        assert (near.metric is td.instance.metric) == own
        reached = np.isfinite(want_dist)
        assert np.array_equal(np.isfinite(near.dist), reached)
        assert np.allclose(near.dist[reached], want_dist[reached], rtol=1e-12, atol=1e-9)
        got = near.open_position()
        assert np.array_equal(got < 0, ~reached)
        blocks = np.flatnonzero(reached)
        # the site named is at that distance (a block as near to two may name either)
        at = fresh.pair_distance(blocks, got[blocks])
        assert np.allclose(at, want_dist[blocks], rtol=1e-12, atol=1e-9)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16), access=st.sampled_from(["point", "boundary"]))
def test_a_plan_on_streets_shorter_than_the_straight_line_fails_naming_the_pair(
    seed: int, access: str,
) -> None:
    """The walk check names a block and its nearest open site: the straight line between
    them, measured here, is the one the message gives (on streets a fifth as long as
    they are, every walk is shorter than it)."""
    import re

    from siting.multi import MultiService

    prob, data = walking_case(seed, access, stretch=(0.2, 0.2))
    sol = MultiService(prob.spec).solve(data, reasons=False)
    said = [m for m in sol.verification if "shorter than the straight line" in m]
    assert said and not sol.verified
    for text in said:
        found = re.match(r"(\w+): block (\S+) to (\S+): walking distance [\d,.]+ m is shorter "
                         r"than the straight line ([\d,.]+) m", text)
        assert found is not None, text
        name, block, site, straight = found.groups()
        f = prob.spec.facility[name]
        b = int(np.flatnonzero(data.blocks["block_id"].to_numpy() == block)[0])
        parcel = np.flatnonzero(data.parcels["parcel_id"].to_numpy() == site)
        existing = np.flatnonzero(data.existing["facility_id"].to_numpy() == site)
        alone = data.metric(parcel, existing, "network", f.access)
        line = alone.straight_line(np.array([b]), np.array([0]))[0]
        assert f"{line:,.1f}" == straight


def test_the_existing_facilities_are_measured_once_for_every_year_and_the_baseline(
    monkeypatch: Any,
) -> None:
    """Open parcels and existing facilities of a type are measured apart on its metric: the
    existing ones once for every set of parcels and for the baseline table."""
    from siting.multi.tables import baseline_table, nearest_open

    prob, _ = walking_case(3, "point")
    td = prob.types["elderly_station"]
    asked: list[tuple[int, ...]] = []
    measure = td.instance.metric.nearest_in
    def counted(sites: np.ndarray) -> Any:
        asked.append(tuple(int(k) for k in sites))
        return measure(sites)

    monkeypatch.setattr(td.instance.metric, "nearest_in", counted)
    for parcels in ([0], [0, 2], [2, 4, 6]):
        nearest_open(prob, "elderly_station", np.array(parcels), td.existing)
    baseline_table(prob)
    kept = tuple(int(k) for k in td.n_cand + np.arange(td.existing.size))
    assert asked.count(kept) == 1 and len(asked) == 4
    assert all(a == kept or not set(a) & set(kept) for a in asked)


def staggered_case(n_types: int, n_years: int) -> tuple[MultiServiceProblem, PlanRows]:
    """``n_types`` types on the small case's parcels over ``n_years`` years, and a plan
    opening one more parcel of each type every year (a new set of open sites each year)."""
    import copy

    raw = copy.deepcopy(small_spec())
    raw["meta"]["years"] = list(range(2026, 2026 + n_years))
    room = raw["facility"]["service_room"]
    raw["facility"] = {f"t{k}": {**room, "use": "service_room", "max_count": {}}
                       for k in range(n_types)}
    raw["target"] = []
    prob = MultiServiceProblem(parse_spec(raw), DATA)
    rows = [(f"t{k}", year, f"P{(k + y) % len(DATA.parcels)}")
            for k in range(n_types) for y, year in enumerate(prob.years)]
    return prob, PlanRows(pd.DataFrame(rows, columns=["type", "year", "parcel_id"]), [])


def test_the_walk_check_measures_nothing_coverage_by_year_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More sets of open sites than NEAREST_KEPT (6 types x 8 years): the verifier's walk
    check and the baseline find the final years' sites that coverage by year measured;
    each set is measured once."""
    from siting.multi.tables import NEAREST_KEPT, baseline_table, coverage_by_year, open_by_type
    from siting.verify.plan import _check_walks
    from siting.verify.report import VerifyReport

    prob, plan = staggered_case(6, 8)
    assert len(prob.types) * prob.T > NEAREST_KEPT  # the case the test is about
    measured: list[bytes] = []
    for td in prob.types.values():
        measure = td.instance.metric.nearest_in

        def counted(sites: Any, measure: Any = measure) -> Any:
            if len(sites):  # no site (the baseline of a type with none): nothing measured
                measured.append(np.asarray(sites).tobytes())
            return measure(sites)

        monkeypatch.setattr(td.instance.metric, "nearest_in", counted)
    coverage_by_year(prob, plan)
    after_coverage = len(measured)
    _check_walks(prob, open_by_type(prob, plan), VerifyReport())
    baseline_table(prob)
    assert len(measured) == after_coverage == len(prob.types) * prob.T


def test_the_verifier_reads_each_types_open_sites_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Coverage by year, the targets and the walk check of one verification share one
    reading of the plan's rows per type."""
    from siting.multi import MultiService, tables
    from siting.multi.solution import MultiSolution
    from siting.verify.plan import verify_plan

    prob, plan = staggered_case(3, 4)
    reads: list[str] = []
    read = tables.open_by_year

    def counted(prob: Any, plan: Any, name: str, *args: Any) -> Any:
        reads.append(name)
        return read(prob, plan, name, *args)

    monkeypatch.setattr(tables, "open_by_year", counted)
    from siting.backends.base import Status

    sol = MultiSolution(spec_name="staggered", status=Status.FEASIBLE,
                        facilities=plan.facilities.assign(count=1, spaces=0), closed=[])
    verify_plan(prob, MultiService(prob.spec), sol)
    assert sorted(reads) == sorted(prob.types)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), n_types=st.integers(1, 4))
def test_the_sub_district_table_is_each_types_own_grouping_in_one_pass(
    seed: int, n_types: int,
) -> None:
    """Any coverage: the per-block and per-sub-district tables are those of grouping each
    type's blocks on its own (types in order, sub-districts sorted, exact sums and
    dtypes), made with one grouping of all types."""
    from unittest import mock

    from siting.multi.tables import coverage_tables

    prob, _ = staggered_case(n_types, 2)
    rng = np.random.default_rng(seed)
    for td in prob.types.values():
        td.pop = rng.integers(0, 500, prob.n_blocks).astype(float) * rng.random()
    cov = {(name, t): rng.random(prob.n_blocks) < 0.4 for name in prob.types
           for t in range(prob.T)}
    last = prob.T - 1
    per = []
    for name, td in prob.types.items():
        frame = pd.DataFrame({"subdistrict": prob.data.blocks["subdistrict"].to_numpy(),
                              "pop": td.pop, "covered": td.pop * cov[name, last]})
        g = frame.groupby("subdistrict", sort=True)[["pop", "covered"]].sum()
        g["share"] = np.where(g["pop"] > 0, g["covered"] / g["pop"].where(g["pop"] > 0, 1), 1.0)
        g["type"] = name
        per.append(g.reset_index())
    want = pd.concat(per, ignore_index=True)[["subdistrict", "type", "pop", "covered", "share"]]
    with mock.patch.object(pd.DataFrame, "groupby", autospec=True,
                           side_effect=pd.DataFrame.groupby) as grouped:
        table, by = coverage_tables(prob, cov)
    assert grouped.call_count == 1
    pd.testing.assert_frame_equal(by, want, check_exact=True)
    assert list(table.columns) == ["block_id", "subdistrict", *prob.types]
    assert all(np.array_equal(table[name].to_numpy(), cov[name, last]) for name in prob.types)


def counts_one_type_at_a_time(prob: MultiServiceProblem, sol: Any, fac: pd.DataFrame) -> list[str]:
    """The verifier's quota, closure and total checks read type by type (the reading
    before the rows were summed once for all types)."""
    out = []
    ex = prob.data.existing
    for name, f in prob.spec.facility.items():
        opened = fac[fac["type"] == name].groupby("year")["count"].sum()
        for key in set(f.count) | set(f.min_count) | set(f.max_count):
            got = int(opened.sum()) if key == "total" else int(opened.get(int(key), 0))
            lo = f.count.get(key, f.min_count.get(key, 0))
            hi = f.count.get(key, f.max_count.get(key, np.inf))
            if not lo <= got <= hi:
                out.append(f"{name}: {got} opened in {key}, required {lo}..{hi}")
        ex_type = ex["type"].astype(str) == name
        n_closed = int(ex.loc[ex_type, "facility_id"].isin(sol.closed).sum())
        allowed = 0 if f.existing == "keep" else f.max_close
        if n_closed > allowed:
            out.append(f"{name}: {n_closed} existing facilities closed, at most {allowed}")
        in_all = int(ex_type.sum()) - n_closed + int(fac.loc[fac["type"] == name, "count"].sum())
        if f.max_total is not None and in_all > f.max_total:
            out.append(f"{name}: {in_all} in all, at most {f.max_total}")
    return out


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(["service_room", "elderly_station"]),
                            st.sampled_from([2026, 2027]), st.integers(0, 3)), max_size=10),
    closed=st.sampled_from([[], ["E1"]]),
    quota=st.sampled_from([{"count": {"2026": 1}}, {"min_count": {"total": 2},
                           "max_count": {"2027": 1}}, {"max_total": 2}, {}]),
    keep=st.booleans(),
)
def test_the_count_checks_say_what_reading_type_by_type_says(
    rows: list[tuple[str, int, int]], closed: list[str], quota: dict[str, Any], keep: bool,
) -> None:
    """Any rows, closures and quotas: the verifier's count checks fail with the messages,
    in the order, of the checks read one type at a time."""
    import copy

    from siting.backends.base import Status
    from siting.multi.solution import MultiSolution
    from siting.verify.plan import _check_counts
    from siting.verify.report import VerifyReport

    raw = copy.deepcopy(small_spec())
    raw["facility"]["elderly_station"].update(quota)
    raw["facility"]["elderly_station"]["existing"] = "keep" if keep else "may_close"
    prob = MultiServiceProblem(parse_spec(raw), DATA)
    fac = pd.DataFrame([(t, y, f"P{k}", n) for k, (t, y, n) in enumerate(rows)],
                       columns=["type", "year", "parcel_id", "count"])
    sol = MultiSolution(spec_name="small", status=Status.FEASIBLE, facilities=fac,
                        closed=closed)
    rep = VerifyReport()
    _check_counts(prob, sol, fac, rep)
    assert rep.messages == counts_one_type_at_a_time(prob, sol, fac)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), access=st.sampled_from(["point", "boundary"]),
       picked=st.lists(st.integers(0, 7), min_size=1, max_size=5, unique=True),
       cutoff=st.floats(0.0, 2000.0))
def test_a_walk_cut_at_a_distance_is_the_full_walk_within_it(
    seed: int, access: str, picked: list[int], cutoff: float,
) -> None:
    """On the streets, each block's nearest site within ``cutoff`` and its distance are
    those of the full walk; a block farther from every site gets -1 and inf."""
    prob, _ = walking_case(seed, access)
    metric = prob.types["elderly_station"].instance.metric
    sites = np.array(sorted(picked), dtype=np.int64)
    sites = sites[sites < prob.types["elderly_station"].n_cand]
    full_arg, full = metric.nearest_in(sites)
    arg, dist = metric.nearest_within(sites, cutoff)
    inside = full <= cutoff
    assert np.array_equal(dist[inside], full[inside])
    assert np.array_equal(arg[inside], full_arg[inside])
    assert np.all(np.isinf(dist[~inside])) and np.all(arg[~inside] == -1)


def test_coverage_of_the_years_before_the_last_is_walked_only_to_the_radius(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every year but the last is measured up to the type's radius (nothing else reads its
    distances); the coverage is the full walk's, and the last year's answer stays full for
    the walk check and the baseline."""
    from siting.multi.tables import RADIUS_TOL, coverage_by_year, covered_by, open_by_type

    prob, _ = walking_case(5, "point")
    plan = PlanRows(pd.DataFrame(
        [("elderly_station", prob.years[0], "P0"), ("elderly_station", prob.years[-1], "P2"),
         ("service_room", prob.years[0], "P1")], columns=["type", "year", "parcel_id"]), [])
    assert prob.T >= 2  # the case the test is about
    cutoffs: list[float] = []
    for td in prob.types.values():
        walk = td.instance.metric.nearest_within

        def counted(sites: Any, cutoff: float, walk: Any = walk) -> Any:
            if np.isfinite(cutoff):  # a full walk (nearest_in) passes inf
                cutoffs.append(cutoff)
            return walk(sites, cutoff)

        monkeypatch.setattr(td.instance.metric, "nearest_within", counted)
    got = coverage_by_year(prob, plan)
    radii = {td.spec.radius_m * (1 + RADIUS_TOL) for td in prob.types.values()}
    assert cutoffs and set(cutoffs) <= radii
    opened = open_by_type(prob, plan)
    fresh, _ = walking_case(5, "point")
    for (name, t), cov in got.items():
        want = covered_by(fresh, name, *opened[name][t], prob.types[name].spec.radius_m)
        assert np.array_equal(cov, want)
    last = prob.T - 1
    for name in prob.types:
        key_part = (opened[name][last][0].tobytes(), opened[name][last][1].tobytes())
        assert any(len(k) == 6 and k[4:] == key_part for k in prob.nearest_memo)
