"""Run one benchmark case in this process and print one JSON line (with peak RSS).

``python -m benchmarks.run_case '{"kind": "mclp", "impl": "siting", ...}'``
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import numpy as np

from benchmarks import instances as bi


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _preimport(impl: str) -> None:
    """Import the peer's libraries before the clock starts (siting's are imported too)."""
    import highspy  # noqa: F401
    import scipy.spatial  # noqa: F401

    if impl == "spopt-cbc":
        import pulp  # noqa: F401
        import spopt.locate  # noqa: F401


def _preimport_siting() -> None:
    """Import siting's solving modules and HiGHS before the clock starts, as the peers'
    libraries are (``siting.backends.highs`` loads highspy only on its first solve)."""
    import highspy  # noqa: F401

    import siting.backends.highs
    import siting.heuristics  # noqa: F401


def _siting_row(sol: Any, t_total: float) -> dict[str, Any]:
    return {
        "build_s": sol.stats.get("build_s"), "solve_s": sol.stats.get("solve_s"),
        "total_s": t_total, "objective": sol.objective, "bound": sol.bound,
        "gap": sol.gap, "status": sol.status.value, "verified": sol.verified,
        "stats": {k: v for k, v in sol.stats.items()
                  if k in ("rows_merged", "sites_dropped", "demand_rows", "refinements",
                           "sites_fixed_closed", "columns", "rows", "warm_start_s",
                           "formulation", "root_bound", "root_s", "benders_rounds",
                           "formulation_reason", "probe_s", "improve_s")},
    }


#: siting implementations of the MCLP rows and the formulation each forces.
FORMULATION = {"siting": "auto", "siting-heuristic": "auto", "siting-compact": "compact",
               "siting-benders": "benders"}


def mclp_case(spec: dict[str, Any]) -> dict[str, Any]:
    n, m, p = spec.get("n", 0), spec.get("m", 0), spec["p"]
    tl = spec.get("time_limit")
    if spec.get("instance") == "clustered":
        demand, sites = bi.clustered_mclp(n, m)
        radius = spec["radius"]
    elif spec.get("instance") == "generator":
        make, radius = bi.GENERATORS[spec["generator"]]
        demand, sites = make(n, m, seed=spec["seed"])
    elif spec.get("instance") == "literature":
        demand, radius = bi.literature_case(spec["case"])
        sites = demand[["id", "x", "y"]]
    else:
        demand, sites = bi.uniform_mclp(n, m)
        radius = bi.RADIUS_2PCT
    dxy = demand[["x", "y"]].to_numpy()
    sxy = sites[["x", "y"]].to_numpy()
    w = demand["weight"].to_numpy()
    impl = spec["impl"]
    if impl.startswith("siting"):
        from siting.backends import SolveOptions
        from siting.instance import Instance
        from siting.models import MCLP

        solver = "heuristic" if impl == "siting-heuristic" else "highs"
        _preimport_siting()  # before the clock, as for the peers

        t0 = time.perf_counter()
        inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id")
        sol = MCLP(radius=radius, p=p, formulation=FORMULATION[impl]).solve(  # type: ignore[arg-type]
            inst, solver, SolveOptions(time_limit=tl))
        return _siting_row(sol, time.perf_counter() - t0)
    from benchmarks import peers

    _preimport(impl)
    fn = peers.spopt_mclp if impl == "spopt-cbc" else peers.highs_textbook_mclp
    t0 = time.perf_counter()
    out = fn(dxy, sxy, w, radius, p, time_limit=tl)
    out["total_s"] = time.perf_counter() - t0
    return out


def pmed_case(spec: dict[str, Any]) -> dict[str, Any]:
    from siting.io import load_instance

    k = spec["k"]
    tl = spec.get("time_limit")
    impl = spec["impl"]
    # Imports before the clock, as in the MCLP cases and for the peers: the clock
    # runs from reading the file to the verified plan.
    if impl.startswith("siting"):
        import scipy.sparse.csgraph  # noqa: F401

        import siting.models.pmedian_benders
        import siting.models.pmedian_radius  # noqa: F401
        from siting.backends import SolveOptions
        from siting.models import PMedian

        _preimport_siting()
    else:
        from benchmarks import peers

        _preimport(impl)
    t0 = time.perf_counter()
    loaded = load_instance(bi.pmed_path(k))
    t_load = time.perf_counter() - t0
    inst, p = loaded.instance, int(loaded.defaults["p"])
    if impl.startswith("siting"):
        form = {"siting-assignment": "assignment", "siting-benders": "benders"}.get(impl, "radius")
        sol = PMedian(p=p, formulation=form).solve(  # type: ignore[arg-type]
            inst, "highs", SolveOptions(time_limit=tl))
        row = _siting_row(sol, time.perf_counter() - t0)
        if row["build_s"] is None:
            row["build_s"] = t_load
        return row
    dist = inst.metric.matrix  # type: ignore[attr-defined]
    fn = peers.spopt_pmedian if impl == "spopt-cbc" else peers.highs_textbook_pmedian
    out = fn(dist, np.ones(inst.n_demand), p, time_limit=tl)
    out["total_s"] = time.perf_counter() - t0
    return out


def city_case(spec: dict[str, Any]) -> dict[str, Any]:
    from siting.backends import SolveOptions
    from siting.instance import Instance
    from siting.models import MCLP

    demand, sites = bi.clustered_city(spec["n"], spec["m"])
    _preimport_siting()
    t0 = time.perf_counter()
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id", cost="cost")
    solver = spec.get("solver", "highs")
    sol = MCLP(radius=spec["radius"], budget=spec["budget"]).solve(
        inst, solver, SolveOptions(time_limit=spec.get("time_limit"), mip_gap=spec.get("gap", 1e-4))
    )
    return _siting_row(sol, time.perf_counter() - t0)


def cordeau_case(spec: dict[str, Any]) -> dict[str, Any]:
    """Budgeted MCLP on Cordeau-style uniform points (``benchmarks.instances.cordeau_mclp``)."""
    from siting.backends import SolveOptions
    from siting.instance import Instance
    from siting.models import MCLP

    _preimport_siting()
    demand, sites = bi.cordeau_mclp(spec["n"], spec["m"])
    t0 = time.perf_counter()
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id", cost="cost")
    del demand  # the instance holds what it needs
    sol = MCLP(radius=bi.CORDEAU_RADIUS, budget=bi.CORDEAU_BUDGET,
               formulation=spec.get("formulation", "auto")).solve(
        inst, "highs", SolveOptions(time_limit=spec.get("time_limit")))
    return _siting_row(sol, time.perf_counter() - t0)


def huitian_case(spec: dict[str, Any]) -> dict[str, Any]:
    from siting.data import load_service_data
    from siting.multi import MultiService
    from siting.multi.spec import load_spec

    _preimport_siting()
    t0 = time.perf_counter()
    spec_ = load_spec(bi.ROOT / spec["spec"])
    sol = MultiService(spec_).solve(load_service_data(spec_))
    return {
        "total_s": time.perf_counter() - t0, "objective": getattr(sol, "objective", None),
        "bound": getattr(sol, "bound", None), "gap": getattr(sol, "gap", None),
        "status": sol.status.value, "build_s": sol.stats.get("build_s"),
        "solve_s": sol.stats.get("solve_s"), "verified": sol.verified,
    }


def pscp_case(spec: dict[str, Any]) -> dict[str, Any]:
    """Partial set covering on the uniform instances (no peer offers this model)."""
    from siting.backends import SolveOptions
    from siting.instance import Instance
    from siting.models import PSCP

    _preimport_siting()

    demand, sites = bi.uniform_mclp(spec["n"], spec["m"])
    t0 = time.perf_counter()
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id")
    model = PSCP(radius=bi.RADIUS_2PCT, share=spec["share"],
                 formulation=FORMULATION[spec["impl"]])  # type: ignore[arg-type]
    sol = model.solve(inst, "highs", SolveOptions(time_limit=spec.get("time_limit")))
    return _siting_row(sol, time.perf_counter() - t0)


KINDS = {"mclp": mclp_case, "pmed": pmed_case, "city": city_case, "huitian": huitian_case,
         "cordeau": cordeau_case, "pscp": pscp_case}


def main() -> None:
    spec = json.loads(sys.argv[1])
    out = KINDS[spec["kind"]](spec)
    out["peak_rss_mb"] = round(_peak_mb(), 1)
    print("RESULT " + json.dumps(out, default=str))


if __name__ == "__main__":
    main()
