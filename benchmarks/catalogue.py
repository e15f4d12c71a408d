"""The catalogue models against PySAL spopt, where spopt has the model.

``python -m benchmarks.catalogue [--random N] [--out DIR]`` solves, with spopt
(PuLP + CBC, as its users do) and with siting (HiGHS), the cases of spopt's
own test suite for p-dispersion, the capacitated p-median (with predefined
sites filled first) and the capacitated set covering CLSCP-SO, then ``N``
random instances of each, and prints one table (objective of each, whether
they agree, seconds of each). Needs the ``bench`` extra (``spopt``).

Conventions bridged here: spopt's ``p`` counts predefined sites, siting's
counts new ones; spopt's capacitated p-median is single-source (binary
assignment), so siting runs ``single_source=True``; spopt's LSCP objective
counts predefined sites, siting's counts new ones.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from siting.coverage import EuclideanMetric, MatrixMetric
from siting.instance import Instance

Row = dict[str, Any]


def _pulp_cbc() -> Any:
    import pulp

    return pulp.PULP_CBC_CMD(msg=False)


def _spopt_value(model: Any) -> tuple[str, float | None]:
    import pulp

    status = pulp.LpStatus[model.problem.status].lower()
    value = pulp.value(model.problem.objective)
    return status, None if value is None else float(value)


def _solve_spopt(build: Callable[[], Any]) -> tuple[str, float | None, float]:
    """spopt's status, objective and seconds; its refusals count as infeasible."""
    from spopt.locate.base import SpecificationError

    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = build().solve(_pulp_cbc())
    except (SpecificationError, ValueError, RuntimeError) as exc:
        # spopt raises on infeasible models (before or after the solve)
        return f"infeasible ({type(exc).__name__})", None, time.perf_counter() - t0
    status, value = _spopt_value(model)
    return status, value, time.perf_counter() - t0


def _solve_siting(model: Any, inst: Instance) -> tuple[str, float | None, float, bool | None]:
    from siting.errors import InfeasibleError

    t0 = time.perf_counter()
    try:
        sol = model.solve(inst, "highs")
    except InfeasibleError:
        return "infeasible", None, time.perf_counter() - t0, None
    return str(sol.status), sol.objective, time.perf_counter() - t0, sol.verified


def matrix_instance(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray | None = None,
                    existing: np.ndarray | None = None, sites: np.ndarray | None = None
                    ) -> Instance:
    """A siting instance on a given demand × site cost matrix (small, as spopt's data)."""
    n, m = cost.shape
    ex = np.zeros(m, dtype=bool)
    if existing is not None:
        ex[np.asarray(existing, dtype=np.int64)] = True
    return Instance(
        name="spopt", demand_ids=np.arange(n), weight=np.asarray(weight, dtype=float),
        site_ids=np.arange(m), metric=MatrixMetric(np.asarray(cost, float), sites),
        capacity=np.full(m, np.inf) if capacity is None else np.asarray(capacity, float),
        existing=ex,
    )


def compare(case: str, spopt_build: Callable[[], Any], model: Any, inst: Instance,
            shift: float = 0.0) -> Row:
    """One row: both solves; ``shift`` is added to siting's objective (predefined sites)."""
    s_status, s_value, s_time = _solve_spopt(spopt_build)
    status, value, seconds, verified = _solve_siting(model, inst)
    ours = None if value is None else value + shift
    both_infeasible = s_value is None and ours is None
    agree = both_infeasible or (
        s_value is not None and ours is not None
        and abs(s_value - ours) <= 1e-6 * max(1.0, abs(s_value))
    )
    return {"case": case, "spopt_status": s_status, "spopt": s_value, "spopt_s": s_time,
            "siting_status": status, "siting": ours, "siting_s": seconds,
            "verified": verified, "agree": bool(agree)}


# ------------------------------------------------------------ spopt's own cases
def _network(clients: int | None, facilities: int) -> Any:
    import spopt.tests.conftest as spopt_conftest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spopt_conftest.network_instance.__wrapped__()(clients, facilities)


def _data(name: str) -> Any:
    import pandas as pd
    import spopt.tests.conftest as spopt_conftest

    return pd.read_csv(spopt_conftest.locate_dirpath() / name)


def suite_cases() -> Iterator[Row]:
    """The p-dispersion, capacitated p-median and CLSCP-SO cases of spopt's test suite."""
    from spopt.locate import LSCP as SPOPT_LSCP
    from spopt.locate import PDispersion as SpoptPDispersion
    from spopt.locate import PMedian as SpoptPMedian

    from siting.models import CLSCP, CPMedian, PDispersion

    # p-dispersion: five sites on spopt's lattice network; p = 2, then 3 with two predefined
    _, _, cost = _network(None, 5)
    inst = matrix_instance(cost, np.ones(5), sites=cost)
    yield compare("p-dispersion lattice p=2", lambda: SpoptPDispersion.from_cost_matrix(cost, 2),
                  PDispersion(p=2), inst)
    inst2 = matrix_instance(cost, np.ones(5), existing=np.array([3, 4]), sites=cost)
    yield compare(
        "p-dispersion lattice p=3, 2 predefined",
        lambda: SpoptPDispersion.from_cost_matrix(
            cost, 3, predefined_facilities_arr=np.array([0, 0, 0, 1, 1])),
        PDispersion(p=1), inst2,
    )
    # p-dispersion on the 16 San Francisco stores (straight lines in degrees, as spopt's test)
    stores = _data("SF_store_site_16_longlat.csv").sort_values("NAME").reset_index()
    xy = stores[["long", "lat"]].to_numpy(float)
    from scipy.spatial.distance import cdist

    site_cost = cdist(xy, xy)
    inst3 = Instance(name="sf", demand_ids=np.arange(len(xy)), weight=np.ones(len(xy)),
                     site_ids=np.arange(len(xy)), metric=EuclideanMetric(xy, xy))
    yield compare("p-dispersion SF stores p=4",
                  lambda: SpoptPDispersion.from_cost_matrix(site_cost, 4), PDispersion(p=4),
                  inst3)

    # capacitated p-median: 2 clients, 3 facilities on the lattice
    _, _, cost = _network(2, 3)
    cap, dem = np.array([5.0, 7, 10]), np.array([4.0, 10])
    yield compare(
        "cp-median lattice p=2",
        lambda: SpoptPMedian.from_cost_matrix(cost, dem, 2, facility_capacities=cap),
        CPMedian(p=2, single_source=True), matrix_instance(cost, dem, cap),
    )
    for pre in (2, 0):
        yield compare(
            f"cp-median lattice p=2, site {pre} filled first",
            lambda pre=pre: SpoptPMedian.from_cost_matrix(
                cost, dem, 2, facility_capacities=cap, predefined_facilities_arr=np.array([pre]),
                fulfill_predefined_fac=True),
            CPMedian(p=1, single_source=True, fulfil_existing=True),
            matrix_instance(cost, dem, cap, existing=np.array([pre])),
        )
    # capacitated p-median: students and schools (travel times), priority-1 schools filled
    journeys = _data("example_subject_student_school_journeys.csv")
    schools = _data("example_subject_schools.csv")
    times = journeys.pivot_table(columns="school", fill_value=10000, index="student",
                                 sort=False, values="time").astype(int).to_numpy()
    students = np.ones(times.shape[0])
    capacity = schools["Count"].to_numpy(float)
    first = np.flatnonzero(schools["priority"].to_numpy() == 1)
    yield compare(
        "cp-median schools p=10, priority 1 filled",
        lambda: SpoptPMedian.from_cost_matrix(
            times, students, 10, predefined_facilities_arr=first,
            facility_capacities=capacity.astype(int), fulfill_predefined_fac=True),
        CPMedian(p=10 - first.size, single_source=True, fulfil_existing=True),
        matrix_instance(times.astype(float), students, capacity, existing=first),
    )

    # CLSCP-SO: 5 clients, 2 facilities on the lattice
    _, _, cost = _network(5, 2)
    dem = np.arange(1.0, 6)
    for radius, cap in ((8, [5, 15]), (8, [15, 5]), (7, [8, 8]), (1, [5, 15])):
        capacity = np.array(cap, float)
        yield compare(
            f"clscp-so lattice r={radius} capacities {cap}",
            lambda radius=radius, capacity=capacity: SPOPT_LSCP.from_cost_matrix(
                cost, radius, facility_capacity_arr=capacity, demand_quantity_arr=dem),
            CLSCP(radius=radius), matrix_instance(cost, dem, capacity),
        )


# ---------------------------------------------------------------- random cases
def random_cases(count: int, seed: int = 0) -> Iterator[Row]:
    """``count`` random instances of each model, spopt and siting on the same matrices."""
    from scipy.spatial.distance import cdist
    from spopt.locate import LSCP as SPOPT_LSCP
    from spopt.locate import PDispersion as SpoptPDispersion
    from spopt.locate import PMedian as SpoptPMedian

    from siting.models import CLSCP, CPMedian, PDispersion

    rng = np.random.default_rng(seed)
    for k in range(count):
        n, m = int(rng.integers(20, 60)), int(rng.integers(8, 20))
        dxy, sxy = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
        cost, site_cost = cdist(dxy, sxy), cdist(sxy, sxy)
        weight = rng.integers(1, 10, n).astype(float)
        p = int(rng.integers(2, 5))
        yield compare(f"p-dispersion random {k} ({m} sites, p={p})",
                      lambda sc=site_cost, p=p: SpoptPDispersion.from_cost_matrix(sc, p),
                      PDispersion(p=p), matrix_instance(cost, weight, sites=site_cost))
        # capacities from tight to loose: p + 1 sites of mean capacity hold 0.9–1.8 × demand
        capacity = np.round(rng.uniform(0.6, 1.2, m) * weight.sum() / (p + 1) * 1.5)
        pre = np.sort(rng.choice(m, 1, replace=False))
        yield compare(
            f"cp-median random {k} ({n}×{m}, p={p + 1}, 1 filled)",
            lambda c=cost, w=weight, q=capacity, pre=pre, p=p: SpoptPMedian.from_cost_matrix(
                c, w, p + 1, facility_capacities=q, predefined_facilities_arr=pre,
                fulfill_predefined_fac=True),
            CPMedian(p=p, single_source=True, fulfil_existing=True),
            matrix_instance(cost, weight, capacity, existing=pre),
        )
        radius = float(rng.uniform(30, 60))
        yield compare(
            f"clscp-so random {k} ({n}×{m}, r={radius:.1f})",
            lambda c=cost, r=radius, q=capacity, w=weight: SPOPT_LSCP.from_cost_matrix(
                c, r, facility_capacity_arr=q, demand_quantity_arr=w),
            CLSCP(radius=radius), matrix_instance(cost, weight, capacity),
        )


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    def fmt(v: Any) -> str:
        return "–" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)

    lines = ["| case | spopt (CBC) | siting (HiGHS) | agree | spopt s | siting s |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        spopt = fmt(r["spopt"]) if r["spopt"] is not None else r["spopt_status"]
        ours = fmt(r["siting"]) if r["siting"] is not None else r["siting_status"]
        lines.append(f"| {r['case']} | {spopt} | {ours} | {'yes' if r['agree'] else 'NO'} "
                     f"| {r['spopt_s']:.2f} | {r['siting_s']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=5, help="random instances per model")
    parser.add_argument("--out", type=Path, default=None, help="write catalogue.json here")
    args = parser.parse_args(argv)
    rows = list(suite_cases()) + list(random_cases(args.random))
    print(table(rows))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "catalogue.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["agree"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
