"""One thread or two: the solve time (in process) and the plan of a few benchmark cases.

Each run is a fresh process (``python -m benchmarks.threads CASE THREADS``); the
table gives the time of the solve alone and a fingerprint of the plan, so that
runs with identical inputs can be compared. ``python -m benchmarks.threads`` runs
every case with ``--threads 1`` and ``2``, ``--repeat`` times each.

Cases: ``pmed16`` and ``pmed26`` (OR-Library p-median), ``clustered`` (MCLP 5,000 ×
500, p 25, radius 1.2, :func:`benchmarks.instances.clustered_mclp`), ``huitian``
(the 2026-2030 plan, ``models/huitian-2026-2030.toml``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np

from benchmarks import instances as bi

CASES = ("pmed16", "pmed26", "clustered", "huitian")


def fingerprint(values: Any) -> str:
    """A short hash of a plan's chosen sites (or column values)."""
    arr = np.asarray(sorted(map(str, values)) if not isinstance(values, np.ndarray) else values)
    return hashlib.sha256(arr.tobytes()).hexdigest()[:12]


def run(case: str, threads: int) -> dict[str, Any]:
    from siting.backends import SolveOptions

    opts = SolveOptions(threads=threads)
    if case.startswith("pmed"):
        from siting.io import load_instance
        from siting.models import PMedian

        loaded = load_instance(bi.pmed_path(int(case.removeprefix("pmed"))))
        model = PMedian(p=int(loaded.defaults["p"]))
        t0 = time.perf_counter()
        sol = model.solve(loaded.instance, options=opts)
    elif case == "clustered":
        from siting.instance import Instance
        from siting.models import MCLP

        demand, sites = bi.clustered_mclp(5_000, 500)
        inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id")
        t0 = time.perf_counter()
        sol = MCLP(radius=1.2, p=25).solve(inst, options=opts)
    else:
        from siting.data import load_service_data
        from siting.multi import MultiService
        from siting.multi.spec import load_spec

        spec = load_spec(bi.ROOT / "models" / "huitian-2026-2030.toml")
        data = load_service_data(spec)
        model = MultiService(spec)
        t0 = time.perf_counter()
        sol = model.solve(data, options=SolveOptions(
            time_limit=spec.solver.time_limit, mip_gap=spec.solver.mip_gap, threads=threads))
        elapsed = time.perf_counter() - t0
        plan = sol.facilities[["type", "parcel_id", "year"]].astype(str).agg("/".join, axis=1)
        return {"case": case, "threads": threads, "s": round(elapsed, 3),
                "objective": sol.objective, "status": sol.status.value,
                "plan": fingerprint(plan.tolist())}
    elapsed = time.perf_counter() - t0
    return {"case": case, "threads": threads, "s": round(elapsed, 3),
            "objective": sol.objective, "status": sol.status.value,
            "plan": fingerprint(sol.selected)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("case", nargs="?", choices=CASES)
    parser.add_argument("threads", nargs="?", type=int)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    if args.case is not None:
        print("RESULT " + json.dumps(run(args.case, args.threads or 1), default=str))
        return
    for case in args.cases.split(","):
        for threads in (1, 2):
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, "-m", "benchmarks.threads", case,
                                      str(threads)], capture_output=True, text=True,
                                     cwd=bi.ROOT, check=False)
                line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
                print(line[-1][7:] if line else f"{case} {threads}: {out.stderr[-300:]}",
                      flush=True)


if __name__ == "__main__":
    main()
