"""Every catalogue model against brute-force enumeration on small random instances.

For each model, hypothesis draws instances (20 examples by default, 120 in the
``slow`` suite) and every back end that takes the model must report the
enumerated optimum as ``optimal``, verified; the ``heuristic`` back end (for
models with a heuristic start) never beats the optimum and its bound never
cuts it off. Infeasible cases must be reported as such (refused before the
solve, or ``infeasible``).

Every optimum here enumerates the sets of sites (``itertools.combinations``)
and evaluates each from dense distance matrices of a few points; where a set
leaves an assignment to choose (capacities), the assignment is a textbook
dense transportation model solved by ``scipy.optimize.milp``, independent of
siting's sparse rows.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from siting.backends.base import Status, available_backends, capabilities
from siting.coverage import MatrixMetric
from siting.errors import InfeasibleError
from siting.instance import Instance
from siting.models import (
    CLSCP,
    CMCLP,
    Attendance,
    CPMedian,
    MarketShare,
    PDispersion,
    TargetShare,
    WeightedPCenter,
)
from siting.models.decay import Decay
from tests.conftest import tiny_instance

MODEL_NAMES = ("p-dispersion", "cp-median", "clscp", "cmclp", "weighted-p-center",
               "attendance", "market-share", "target-share")


@dataclass
class Case:
    """One random example: the instance, the model and its optimum (None: infeasible)."""

    name: str
    inst: Instance
    model: Any
    best: float | None
    integer_data: bool


def distances(inst: Instance) -> Any:
    """Dense demand × site distances (tiny instances only)."""
    if isinstance(inst.metric, MatrixMetric):
        return inst.metric.matrix
    assert inst.demand_frame is not None and inst.site_frame is not None
    d = inst.demand_frame[["x", "y"]].to_numpy(float)
    s = inst.site_frame[["x", "y"]].to_numpy(float)
    return np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))


def site_distances(inst: Instance) -> Any:
    if isinstance(inst.metric, MatrixMetric):
        site = inst.metric.site_to_site()
        assert isinstance(site, MatrixMetric)
        return site.matrix
    assert inst.site_frame is not None
    s = inst.site_frame[["x", "y"]].to_numpy(float)
    return np.sqrt(((s[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))


def integer_instance(seed: int, n: int, m: int, existing: int, capacity: bool) -> Instance:
    """As :func:`tiny_instance`, with distances rounded up to integers (a given matrix)."""
    base = tiny_instance(seed, n=n, m=m, existing=existing, capacity=capacity)
    dist = np.ceil(distances(base))
    sites = np.ceil(site_distances(base))
    return Instance(
        name=f"int{seed}", demand_ids=base.demand_ids, weight=base.weight,
        site_ids=base.site_ids, metric=MatrixMetric(dist, sites), site_cost=base.site_cost,
        capacity=base.capacity, existing=base.existing,
    )


def subsets(inst: Instance, sizes: Any) -> Any:
    """Open sets: existing sites plus each combination of new ones of the given sizes."""
    ex = np.flatnonzero(inst.existing)
    new = np.flatnonzero(~inst.existing)
    for k in sizes:
        for chosen in itertools.combinations(new, k):
            yield k, np.r_[ex, np.array(chosen, dtype=np.int64)].astype(np.int64)


def transport(w: Any, cap: Any, allowed: Any, value: Any, *, serve_all: bool, single: bool,
              fill: Any = None, maximise: bool = False) -> float | None:
    """Best assignment over allowed pairs (dense textbook model); None when infeasible."""
    n, m = allowed.shape
    pairs = np.argwhere(allowed)
    if pairs.size == 0:
        return None if serve_all and n else 0.0
    k = len(pairs)
    rows, lower, upper = [], [], []
    for i in range(n):
        rows.append((pairs[:, 0] == i).astype(float))
        lower.append(1.0 if serve_all else 0.0)
        upper.append(1.0)
    for j in range(m):
        rows.append(np.where(pairs[:, 1] == j, w[pairs[:, 0]], 0.0))
        upper.append(cap[j])
        lower.append(cap[j] if fill is not None and fill[j] else -np.inf)
    c = value[pairs[:, 0], pairs[:, 1]]
    res = milp(-c if maximise else c, constraints=LinearConstraint(np.array(rows), lower, upper),
               integrality=np.full(k, 1 if single else 0), bounds=Bounds(0, 1))
    if res.status != 0:
        return None
    return float(-res.fun if maximise else res.fun)


def best_of(values: Any, maximise: bool) -> float | None:
    found = [v for v in values if v is not None]
    if not found:
        return None
    return max(found) if maximise else min(found)


# ------------------------------------------------------------------ each model
def dispersion_case(seed: int, p: int, existing: int, integer: bool) -> Case:
    make = integer_instance if integer else tiny_instance
    inst = make(seed, n=3, m=8, existing=existing, capacity=False)
    p = max(p, 2 - existing)
    sd = site_distances(inst)

    def value(open_sites: Any) -> float:
        a, b = np.triu_indices(open_sites.size, k=1)
        return float(sd[open_sites[a], open_sites[b]].min())

    best = best_of((value(s) for _, s in subsets(inst, [p])), maximise=True)
    return Case("p-dispersion", inst, PDispersion(p=p), best, integer)


def cp_median_case(seed: int, p: int, existing: int, single: bool, fulfil: bool,
                   integer: bool) -> Case:
    make = integer_instance if integer else tiny_instance
    inst = make(seed, n=5, m=5, existing=existing, capacity=True)
    d, w, cap = distances(inst), inst.weight, inst.capacity
    fill = inst.existing if fulfil else None

    def value(open_sites: Any) -> float | None:
        allowed = np.zeros(d.shape, dtype=bool)
        allowed[:, open_sites] = True
        return transport(w, cap, allowed, w[:, None] * d, serve_all=True, single=single,
                         fill=fill)

    best = best_of((value(s) for _, s in subsets(inst, [p])), maximise=False)
    model = CPMedian(p=p, single_source=single, fulfil_existing=fulfil)
    return Case("cp-median", inst, model, best, integer and single)


def clscp_case(seed: int, radius: float, existing: int, single: bool) -> Case:
    inst = tiny_instance(seed, n=5, m=5, existing=existing, capacity=True)
    d, w, cap = distances(inst), inst.weight, inst.capacity
    best = None
    for k, s in subsets(inst, range(int((~inst.existing).sum()) + 1)):
        if best is not None and k > best:
            break
        allowed = np.zeros(d.shape, dtype=bool)
        allowed[:, s] = d[:, s] <= radius
        if transport(w, cap, allowed, np.zeros(d.shape), serve_all=True,
                     single=single) is not None:
            best = float(k)
    return Case("clscp", inst, CLSCP(radius=radius, single_source=single), best, single)


def cmclp_case(seed: int, radius: float, p: int, existing: int, single: bool) -> Case:
    inst = tiny_instance(seed, n=6, m=5, existing=existing, capacity=True)
    d, w, cap = distances(inst), inst.weight, inst.capacity

    def value(open_sites: Any) -> float | None:
        allowed = np.zeros(d.shape, dtype=bool)
        allowed[:, open_sites] = d[:, open_sites] <= radius
        return transport(w, cap, allowed, np.repeat(w[:, None], d.shape[1], axis=1),
                         serve_all=False, single=single, maximise=True)

    best = best_of((value(s) for _, s in subsets(inst, range(p + 1))), maximise=True)
    return Case("cmclp", inst, CMCLP(radius=radius, p=p, single_source=single), best, single)


def weighted_center_case(seed: int, p: int, existing: int) -> Case:
    inst = tiny_instance(seed, n=7, m=6, existing=existing)
    d, w = distances(inst), inst.weight
    best = best_of(((w * d[:, s].min(axis=1)).max() for _, s in subsets(inst, [p])),
                   maximise=False)
    return Case("weighted-p-center", inst, WeightedPCenter(p=p), float(best or 0.0), True)


def _decay(kind_index: int, cutoff: float, with_cutoff: bool) -> Decay:
    kind = ("linear", "power", "exponential")[kind_index % 3]
    beta = {"linear": 1.0, "power": 1.5, "exponential": 0.4}[kind]
    return Decay(kind, beta, cutoff if (with_cutoff or kind == "linear") else None, 2.0)


def attendance_case(seed: int, p: int, existing: int, kind: int, cutoff: float,
                    with_cutoff: bool) -> Case:
    inst = tiny_instance(seed, n=8, m=6, existing=existing)
    d, w = distances(inst), inst.weight
    f = _decay(kind, cutoff, with_cutoff)
    best = best_of(((w * f.value(d[:, s].min(axis=1, initial=np.inf))).sum()
                    for _, s in subsets(inst, range(p + 1))), maximise=True)
    model = Attendance(p=p, decay=f.kind, beta=f.beta, cutoff=f.cutoff, scale=f.scale)
    return Case("attendance", inst, model, best, False)


def _rivals(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1000)
    k = 1 + seed % 3
    return pd.DataFrame({"x": rng.integers(0, 20, k).astype(float),
                         "y": rng.integers(0, 20, k).astype(float),
                         "attractiveness": rng.integers(1, 4, k).astype(float)})


def _captured(inst: Instance, rivals: pd.DataFrame, f: Decay) -> Any:
    """Huff capture of an open set, by dense matrices."""
    assert inst.demand_frame is not None
    d = distances(inst)
    pts = inst.demand_frame[["x", "y"]].to_numpy(float)
    cxy = rivals[["x", "y"]].to_numpy(float)
    dc = np.sqrt(((pts[:, None, :] - cxy[None, :, :]) ** 2).sum(axis=2))
    pull = (rivals["attractiveness"].to_numpy()[None, :] * f.value(dc)).sum(axis=1)

    def value(open_sites: Any) -> float:
        own = f.value(d[:, open_sites]).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(pull > 0, own / (own + pull), (own > 0).astype(float))
        return float(inst.weight @ np.nan_to_num(share))

    return value


def market_case(seed: int, p: int, existing: int, kind: int, cutoff: float,
                with_cutoff: bool, formulation: str) -> Case:
    inst = tiny_instance(seed, n=7, m=6, existing=existing)
    rivals = _rivals(seed)
    f = _decay(kind, cutoff, with_cutoff)
    value = _captured(inst, rivals, f)
    best = best_of((value(s) for _, s in subsets(inst, range(p + 1))), maximise=True)
    model = MarketShare(p=p, competitors=rivals, decay=f.kind, beta=f.beta, cutoff=f.cutoff,
                        scale=f.scale, formulation=formulation)
    return Case("market-share", inst, model, best, False)


def target_case(seed: int, share: float, existing: int, kind: int, cutoff: float,
                with_cutoff: bool, formulation: str) -> Case:
    inst = tiny_instance(seed, n=7, m=6, existing=existing)
    rivals = _rivals(seed)
    f = _decay(kind, cutoff, with_cutoff)
    value = _captured(inst, rivals, f)
    goal = share * float(inst.weight.sum()) * (1 - 1e-9)
    best = None
    for k, s in subsets(inst, range(int((~inst.existing).sum()) + 1)):
        if best is not None and k > best:
            break
        if value(s) >= goal:
            best = float(k)
    model = TargetShare(share=share, competitors=rivals, decay=f.kind, beta=f.beta,
                        cutoff=f.cutoff, scale=f.scale, formulation=formulation)
    return Case("target-share", inst, model, best, False)


# --------------------------------------------------------------------- back ends
#: Models that bring a heuristic start (and so answer the ``heuristic`` back end).
WITH_HEURISTIC = ("p-dispersion", "attendance", "market-share", "target-share")


def exact_backends(case: Case) -> list[str]:
    """Available MILP back ends that take the case (CP-SAT: integer models and data only)."""
    out = []
    for name in available_backends():
        if capabilities(name).integer_coefficients_only and not takes_integer(case):
            continue
        out.append(name)
    return out


def takes_integer(case: Case) -> bool:
    """Whether every column and coefficient of the case's model is integer."""
    if case.name == "weighted-p-center":
        return True  # each step is a set covering on 0/1 data
    if not case.integer_data or case.name not in ("p-dispersion", "cp-median", "clscp",
                                                  "cmclp"):
        return False
    model = case.model
    if case.name == "p-dispersion":
        return False  # level increments and a continuous u: never CP-SAT's
    try:
        model.check(case.inst)
        built = model.build(case.inst)
    except InfeasibleError:
        return False
    data = np.concatenate([built.milp.c, built.milp.A.data,
                           built.milp.row_lower[np.isfinite(built.milp.row_lower)],
                           built.milp.row_upper[np.isfinite(built.milp.row_upper)]])
    return bool(built.milp.integrality.all() and np.all(data == np.round(data)))


# ------------------------------------------------------------------------ checks
TOL = 1e-6


def check(case: Case) -> None:
    """Every back end that takes the case agrees with the enumerated optimum."""
    sense_max = case.model.sense == "max"
    for backend in exact_backends(case):
        if case.best is None:
            try:
                sol = case.model.solve(case.inst, backend)
            except InfeasibleError:
                continue
            assert sol.status == Status.INFEASIBLE, (backend, sol.status, sol.objective)
            continue
        sol = case.model.solve(case.inst, backend)
        assert sol.status == Status.OPTIMAL, (case.name, backend, sol.status, sol.message)
        assert sol.verified is True, (case.name, backend, sol.verification)
        assert sol.objective is not None
        assert math.isclose(sol.objective, case.best, rel_tol=1e-6, abs_tol=TOL), (
            case.name, backend, sol.objective, case.best,
        )
    if case.best is not None and case.name in WITH_HEURISTIC:
        sol = case.model.solve(case.inst, "heuristic")
        assert sol.status.has_solution, (case.name, sol.status, sol.message)
        assert sol.verified is True, sol.verification
        assert sol.objective is not None
        if sense_max:
            assert sol.objective <= case.best + TOL
            assert sol.bound is None or sol.bound >= case.best - TOL
        else:
            assert sol.objective >= case.best - TOL
            assert sol.bound is None or sol.bound <= case.best + TOL


seeds = st.integers(0, 10_000)
decays = st.tuples(st.integers(0, 2), st.sampled_from([4.5, 6.5, 9.5]), st.booleans())
CASES: dict[str, Any] = {
    "p-dispersion": st.builds(dispersion_case, seeds, st.integers(1, 4), st.integers(0, 2),
                              st.booleans()),
    "cp-median": st.builds(cp_median_case, seeds, st.integers(1, 3), st.integers(0, 2),
                           st.booleans(), st.booleans(), st.booleans()),
    "clscp": st.builds(clscp_case, seeds, st.sampled_from([4.5, 7.5, 10.5, 14.5]),
                       st.integers(0, 2), st.booleans()),
    "cmclp": st.builds(cmclp_case, seeds, st.sampled_from([3.5, 6.5, 9.5]),
                       st.integers(1, 3), st.integers(0, 2), st.booleans()),
    "weighted-p-center": st.builds(weighted_center_case, seeds, st.integers(1, 3),
                                   st.integers(0, 2)),
    "attendance": st.builds(lambda s, p, e, d: attendance_case(s, p, e, *d), seeds,
                            st.integers(1, 3), st.integers(0, 2), decays),
    "market-share": st.builds(lambda s, p, e, d, f: market_case(s, p, e, *d, f), seeds,
                              st.integers(1, 3), st.integers(0, 2), decays,
                              st.sampled_from(["outer", "haase"])),
    "target-share": st.builds(lambda s, q, e, d, f: target_case(s, q, e, *d, f), seeds,
                              st.sampled_from([0.2, 0.4, 0.6, 0.8]), st.integers(0, 2), decays,
                              st.sampled_from(["outer", "haase"])),
}
COMMON = {"deadline": None, "derandomize": True,
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_has_a_case(name: str) -> None:
    assert name in CASES


@pytest.mark.parametrize("name", MODEL_NAMES)
@settings(max_examples=20, **COMMON)
@given(data=st.data())
def test_backends_agree_with_brute_force(name: str, data: st.DataObject) -> None:
    check(data.draw(CASES[name]))


@pytest.mark.slow
@pytest.mark.parametrize("name", MODEL_NAMES)
@settings(max_examples=120, **COMMON)
@given(data=st.data())
def test_backends_agree_with_brute_force_extended(name: str, data: st.DataObject) -> None:
    check(data.draw(CASES[name]))
