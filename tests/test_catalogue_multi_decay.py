"""Multi-service specs with ``decay``: attendance-weighted coverage, against enumeration.

Blocks and parcels lie on a line (straight-line distance). A type with a decay
earns, per year, each block's residents times ``f(distance to the nearest open
facility)``; the optimum over every way to place the yearly quotas (and to
close the existing facility where the spec allows it) is what every back end
reports, verified. The verifier rejects a plan whose claimed objective its
recomputed attendance does not support, and the spec refuses bad decays.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.backends.base import Status, available_backends
from siting.errors import SpecError
from siting.models.decay import Decay
from siting.multi import MultiService, MultiServiceProblem, ServiceData, parse_spec
from siting.verify import verify_solution
from tests.helpers import MULTI_BACKENDS, blocks, existing, parcels

BACKENDS = [b for b in available_backends() if b in MULTI_BACKENDS]
YEARS = [2026, 2027]


def case(seed: int, kind: int, cutoff: bool, keep: bool, years: int) -> tuple[Any, Any, float]:
    """A random line instance, its spec and the enumerated optimum."""
    rng = np.random.default_rng(seed)
    bx = rng.integers(0, 2000, 7).astype(float)
    pops = rng.integers(1, 100, 7).astype(float)
    px = rng.integers(0, 2000, 4).astype(float)
    ex_x = float(rng.integers(0, 2000))
    name = ("linear", "power", "exponential")[kind]
    decay: dict[str, Any] = {"kind": name, "beta": 1.5, "scale_m": 200.0}
    if cutoff:
        decay["cutoff_m"] = 700.0
    used = YEARS[:years]
    facility = {"group": "g", "radius_m": 600, "footprint_m2": 100, "decay": decay,
                "count": {str(y): 1 for y in used}}
    if not keep:
        facility.update(existing="may_close", max_close=1)
    spec = parse_spec({"meta": {"name": "d", "years": used, "distance": "euclidean"},
                       "facility": {"a": facility}, "solver": {"mip_gap": 1e-9}})
    data = ServiceData(
        blocks(*[(x, {"g": p}, "S1") for x, p in zip(bx, pops, strict=True)]),
        parcels(*[{"id": f"p{j}", "x": x, "area": 400.0, "uses": "a"} for j, x in enumerate(px)]),
        existing(("e0", "a", ex_x, np.nan)),
    )
    f = Decay(name, 1.5, 700.0 if cutoff else 600.0, 200.0)

    def drawn(xs: list[float]) -> float:
        if not xs:
            return 0.0
        return float(pops @ f.value(np.abs(bx[:, None] - np.array(xs)[None, :]).min(axis=1)))

    best = -np.inf
    for order in itertools.permutations(range(4), years):
        for closed in ([False] if keep else [False, True]):
            base = [] if closed else [ex_x]
            total = sum(drawn(base + [px[j] for j in order[: t + 1]]) for t in range(years))
            best = max(best, total)
    return spec, data, best


def check(seed: int, kind: int, cutoff: bool, keep: bool, years: int) -> None:
    spec, data, best = case(seed, kind, cutoff, keep, years)
    for backend in BACKENDS:
        sol = MultiService(spec).solve(data, solver=backend)
        assert sol.status == Status.OPTIMAL, (backend, sol.status, sol.message)
        assert sol.verified, sol.verification
        assert sol.objective == pytest.approx(best, rel=1e-6, abs=1e-6), (backend, best)


examples = st.tuples(st.integers(0, 10_000), st.integers(0, 2), st.booleans(), st.booleans(),
                     st.integers(1, 2))
COMMON = {"deadline": None, "derandomize": True,
          "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=20, **COMMON)
@given(examples)
def test_decay_plans_agree_with_enumeration(ex: tuple[int, int, bool, bool, int]) -> None:
    check(*ex)


@pytest.mark.slow
@settings(max_examples=100, **COMMON)
@given(examples)
def test_decay_plans_agree_with_enumeration_extended(ex: tuple[int, int, bool, bool, int]
                                                     ) -> None:
    check(*ex)


def test_verifier_rejects_an_attendance_it_cannot_recompute() -> None:
    spec, data, best = case(11, 1, False, True, 2)
    model = MultiService(spec)
    sol = model.solve(data)
    assert sol.verified and sol.objective == pytest.approx(best)
    problem = MultiServiceProblem(spec, data)
    bad = copy.deepcopy(sol)
    bad.objective = best * 1.01 + 1
    report = verify_solution(problem, model, bad)
    assert not report.ok and "worse" in report.messages[0]
    moved = copy.deepcopy(sol)
    moved.facilities = moved.facilities.iloc[:1].copy()  # a facility dropped from the plan
    report = verify_solution(problem, model, moved)
    assert not report.ok


def test_decay_changes_the_choice() -> None:
    """Plain coverage is indifferent between two parcels in reach; decay prefers the nearer."""
    data = ServiceData(
        blocks((0.0, {"g": 10.0}, "S1"), (900.0, {"g": 10.0}, "S1")),
        parcels({"id": "near", "x": 100.0, "area": 400.0, "uses": "a"},
                {"id": "far", "x": 500.0, "area": 400.0, "uses": "a"}),
        existing(),
    )
    facility = {"group": "g", "radius_m": 600, "footprint_m2": 100, "count": {"2026": 1}}
    decayed = {**facility, "decay": {"kind": "linear"}}
    spec = parse_spec({"meta": {"name": "x", "years": [2026], "distance": "euclidean"},
                       "facility": {"a": decayed}})
    sol = MultiService(spec).solve(data)
    assert sol.verified
    assert sol.facilities["parcel_id"].tolist() == ["near"]
    assert sol.objective == pytest.approx(10 * (1 - 100 / 600))  # the far block is beyond 600


@pytest.mark.parametrize(
    ("decay", "words"),
    [({"kind": "square"}, "must be one of"), ({"kind": "power", "beta": 0}, "must be > 0"),
     ({"kind": "power", "cutof_m": 5}, "did you mean 'cutoff_m'")],
)
def test_spec_refuses_a_bad_decay(decay: dict[str, Any], words: str) -> None:
    with pytest.raises(SpecError, match=words):
        parse_spec({"meta": {"name": "x", "years": [2026]},
                    "facility": {"a": {"group": "g", "radius_m": 500, "decay": decay}}})


def test_spec_refuses_decay_with_capacity() -> None:
    with pytest.raises(SpecError, match="decay and capacity cannot be combined"):
        parse_spec({"meta": {"name": "x", "years": [2026]},
                    "facility": {"a": {"group": "g", "radius_m": 500, "capacity": 10,
                                       "decay": {"kind": "linear"}}}})
