"""How MCLP's automatic formulation choice fares on instances of other shapes.

Six families the choice was not tuned on, each seeded: ``lattice`` (demand on a
jittered grid, sites uniform), ``corridor`` (demand and sites along six random
segments: a linear city), ``heavy-tail`` (uniform points, Pareto weights),
``core-sprawl`` (60 % of demand around four cores, the rest uniform; half the
sites near the cores), ``wide-radius`` (uniform, a site covers about 10 % of the
square) and ``narrow-radius`` (uniform, about 0.1 %). Each is solved by
``auto``, ``compact`` and ``benders`` (in process, the same time limit), and
optionally by the peers (textbook MCLP in bare HiGHS with the limit, PySAL
spopt + CBC without one). Run: ``python -m benchmarks.shapes [--size
5000x500x25] [--limit 30] [--peers]``; it prints one markdown row a run.

>>> d, s, radius = shape_instance("corridor", 300, 30)
>>> len(d), len(s), radius, bool(d["weight"].min() >= 1)
(300, 30, 1.0, True)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd

#: Side of the square the families are drawn in.
SIDE = 40.0
#: The families, in the order they are run.
FAMILIES = ("lattice", "corridor", "heavy-tail", "core-sprawl", "wide-radius", "narrow-radius")


def shape_instance(
    family: str, n: int, m: int, seed: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Demand (``id, x, y, weight``), sites (``id, x, y``) and the radius of one family."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(1, 101, n).astype(float)
    sites = rng.uniform(0, SIDE, (m, 2))
    radius = 1.5
    if family == "lattice":
        k = int(np.ceil(np.sqrt(n)))
        grid = np.linspace(0, SIDE, k)
        demand = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)[:n]
        demand = demand + rng.normal(0, 0.05, (n, 2))
    elif family == "corridor":
        ends = rng.uniform(0, SIDE, (6, 2, 2))

        def along(count: int, spread: float) -> np.ndarray:
            line, t = rng.integers(0, 6, count), rng.uniform(0, 1, (count, 1))
            start, end = ends[line, 0], ends[line, 1]
            return start + t * (end - start) + rng.normal(0, spread, (count, 2))

        demand, sites, radius = along(n, 0.3), along(m, 0.6), 1.0
    elif family == "heavy-tail":
        demand, radius = rng.uniform(0, SIDE, (n, 2)), 2.0
        weight = np.round(rng.pareto(1.2, n) * 10 + 1)
    elif family == "core-sprawl":
        cores = rng.uniform(5, SIDE - 5, (4, 2))
        near = rng.random(n) < 0.6
        demand = np.where(near[:, None], cores[rng.integers(0, 4, n)] + rng.normal(0, 1.5, (n, 2)),
                          rng.uniform(0, SIDE, (n, 2)))
        central = rng.random(m) < 0.5
        sites = np.where(central[:, None], cores[rng.integers(0, 4, m)] + rng.normal(0, 3, (m, 2)),
                         sites)
    elif family in ("wide-radius", "narrow-radius"):
        demand = rng.uniform(0, SIDE, (n, 2))
        radius = 7.0 if family == "wide-radius" else 0.8
    else:
        raise ValueError(f"unknown family {family!r}; one of {', '.join(FAMILIES)}")
    d = pd.DataFrame({"id": np.arange(n), "x": demand[:, 0], "y": demand[:, 1], "weight": weight})
    s = pd.DataFrame({"id": np.arange(m), "x": sites[:, 0], "y": sites[:, 1]})
    return d, s, radius


def solve_shape(family: str, n: int, m: int, p: int, impl: str, limit: float) -> dict[str, Any]:
    """One run: seconds from the frames to the verified plan, status, objective, bound."""
    d, s, radius = shape_instance(family, n, m)
    t0 = time.perf_counter()
    if impl in ("highs-textbook", "spopt-cbc"):
        from benchmarks import peers

        run = peers.highs_textbook_mclp if impl == "highs-textbook" else peers.spopt_mclp
        out = run(d[["x", "y"]].to_numpy(), s[["x", "y"]].to_numpy(), d["weight"].to_numpy(),
                  radius, p, time_limit=limit if impl == "highs-textbook" else None)
        return {"seconds": time.perf_counter() - t0, "status": out.get("status"),
                "objective": out.get("objective"), "bound": out.get("bound"), "reason": ""}
    from siting.backends import SolveOptions
    from siting.instance import Instance
    from siting.models import MCLP

    inst = Instance.from_frames(d, s, demand_id="id", site_id="id")
    sol = MCLP(radius=radius, p=p, formulation=impl).solve(  # type: ignore[arg-type]
        inst, "highs", SolveOptions(time_limit=limit))
    return {"seconds": time.perf_counter() - t0, "status": sol.status.value,
            "objective": sol.objective, "bound": sol.bound,
            "reason": f"{sol.stats.get('formulation')}: {sol.stats.get('formulation_reason')}"}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="5000x500x25", help="n x m x p (default 5000x500x25)")
    ap.add_argument("--limit", type=float, default=30.0, help="seconds per run (default 30)")
    ap.add_argument("--peers", action="store_true", help="also textbook HiGHS and spopt + CBC")
    ap.add_argument("--families", default=",".join(FAMILIES))
    args = ap.parse_args(argv)
    n, m, p = (int(v) for v in args.size.split("x"))
    impls = ["auto", "compact", "benders"] + (["highs-textbook", "spopt-cbc"] if args.peers else [])
    for impl in impls[:3]:  # the first solve of a process imports the models: not timed
        solve_shape(FAMILIES[0], 200, 20, 2, impl, args.limit)
    print("| family | n × m, p | run | s | status | objective | bound | choice |")
    print("|---|---|---|---|---|---|---|---|")
    for family in args.families.split(","):
        for impl in impls:
            r = solve_shape(family, n, m, p, impl, args.limit)
            print(f"| {family} | {n:,} × {m:,}, {p} | {impl} | {r['seconds']:.2f} | {r['status']} "
                  f"| {r['objective']:,.0f} | {r['bound'] or float('nan'):,.0f} | {r['reason']} |",
                  flush=True)


if __name__ == "__main__":
    main()
