"""Sweeps of a classic model (MCLP, p-median, LSCP, ...) over p, radius, budget or share.

The same Dask machinery as a spec's sweep (:func:`siting.sweep_tasks.run_tasks`):
every scenario is one task that solves the model with the scenario's values
set, single-threaded with a fixed seed, and returns its row; the instance is
sent to every worker once. The table has one row per scenario in grid order:
the swept values, status, objective, gap, the number of new sites, the share
of the weight covered (covering models) or the mean and largest distance
(assignment models), whether the solution verified, and a message. A scenario
whose parameters the model refuses is a row with status ``error`` and the
reason, never a lost task.

>>> classic_axis("p", "5:30:6").values
(5, 10, 15, 20, 25, 30)
>>> classic_axis("radius", "300,450").column
'radius'
>>> classic_axis("p", "2.5")
Traceback (most recent call last):
...
siting.errors.ParameterError: field '--p': value '2.5': p counts sites: give whole numbers
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.backends import DEFAULT_BACKEND
from siting.errors import ParameterError
from siting.instance import Instance
from siting.solution import Solution, write_atomic
from siting.sweep_tasks import SOLVED, Axis, parse_range, run_tasks, scenario_grid

#: The parameters of a classic model that a sweep may vary (constructor arguments).
CLASSIC_AXES = ("p", "radius", "budget", "share")


def classic_axis(name: str, text: str) -> Axis:
    """Parse ``--p``, ``--radius``, ``--budget`` or ``--share`` as ``START:STOP:N`` or a list."""
    if name not in CLASSIC_AXES:
        raise ParameterError(
            f"a classic sweep varies {', '.join(CLASSIC_AXES)}", field="sweep", value=name
        )
    values = parse_range(text, f"--{name}")
    if name == "p":
        if any(v != round(v) or v < 0 for v in values):
            bad = next(v for v in values if v != round(v) or v < 0)
            raise ParameterError(
                "p counts sites: give whole numbers", field="--p", value=f"{bad:g}"
            )
        values = tuple(dict.fromkeys(round(v) for v in values))
    return Axis("param", name, values)


def classic_model(model: str, fixed: dict[str, Any]) -> Any:
    """The model ``model`` (a name of :data:`siting.models.MODELS`) with arguments ``fixed``."""
    from siting.models import MODELS

    if model not in MODELS:
        raise ParameterError(
            f"unknown model (models: {', '.join(MODELS)})", field="--model", value=model
        )
    try:
        return MODELS[model](**fixed)
    except TypeError as exc:
        raise ParameterError(str(exc), field="--model", value=model) from None


def _set(location_model: Any, scenario: dict[str, float]) -> Any:
    """The model with the scenario's values (p as a whole number)."""
    values = {k: (int(v) if k == "p" else float(v)) for k, v in scenario.items()}
    try:
        return replace(location_model, **values)
    except TypeError:
        names = ", ".join(values)
        raise ParameterError(
            f"{location_model.name} has no parameter among {names}", field="sweep", value=names
        ) from None


def solution_figures(inst: Instance, sol: Solution) -> dict[str, float]:
    """The share of the weight covered (covering models), or the demand-weighted mean and the
    largest distance to the assigned site (assignment models); NaN where they do not apply."""
    out = {"covered": np.nan, "mean_distance": np.nan, "max_distance": np.nan}
    total = float(inst.weight.sum())
    if sol.coverage is not None and len(sol.coverage):
        w = sol.coverage["weight"].to_numpy(dtype=float)
        hit = sol.coverage["covered"].to_numpy() > 0
        out["covered"] = float(w[hit].sum()) / total if total > 0 else 1.0
    if sol.assignment is not None and len(sol.assignment):
        lines = sol.lines_frame()
        if "distance" in lines:
            pos = pd.Index(inst.demand_ids).get_indexer(lines["demand_id"].to_numpy())
            w = inst.weight[pos] * lines["fraction"].to_numpy(dtype=float)
            d = lines["distance"].to_numpy(dtype=float)
            if w.sum() > 0 and np.isfinite(d).all():
                out["mean_distance"] = float(w @ d / w.sum())
                out["max_distance"] = float(d.max())
    return out


def solve_classic_scenario(
    location_model: Any,
    scenario: dict[str, float],
    index: int,
    inst: Instance,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Solve one scenario of a classic sweep and return its row (the Dask task; never raises)."""
    from siting.backends.base import SolveOptions

    t0 = time.perf_counter()
    row: dict[str, Any] = {"scenario": index, **scenario}
    try:
        opts = SolveOptions(
            time_limit=options.get("time_limit"),
            mip_gap=float(options["mip_gap"]) if options.get("mip_gap") is not None else 1e-6,
            threads=1,
            seed=int(options.get("seed", 0)),
        )
        backend = options.get("backend") or DEFAULT_BACKEND
        sol = _set(location_model, scenario).solve(inst, backend, opts)
        status = str(sol.status)
        new = [s for s in sol.selected if s not in set(sol.existing)]
        row.update(
            status=status,
            objective=sol.objective,
            gap=sol.gap,
            sites=len(new) if status in SOLVED else np.nan,
            verified=sol.verified,
            message=sol.message if status not in SOLVED else "; ".join(sol.verification),
            selected=" ".join(str(s) for s in new) if status in SOLVED else "",
        )
        if status in SOLVED:
            row.update(solution_figures(inst, sol))
    except Exception as exc:  # a failed scenario is a row, not a lost task
        row.update(status="error", message=f"{type(exc).__name__}: {exc}")
    row["runtime_s"] = round(time.perf_counter() - t0, 3)
    return row


@dataclass
class ClassicSweepResult:
    """The table of a classic sweep (one row per scenario, in grid order) and what was swept."""

    table: pd.DataFrame
    axes: list[Axis]
    model: str
    instance: str
    fixed: dict[str, Any] = field(default_factory=dict)
    workers: int = 1
    runtimes: list[float] = field(default_factory=list)

    @property
    def failed(self) -> pd.DataFrame:
        """Scenarios without a solution (infeasible, no solution within limits, error)."""
        return self.table[~self.table["status"].isin(SOLVED)]

    def info(self) -> dict[str, Any]:
        return {
            "kind": "classic",
            "model": self.model,
            "instance": self.instance,
            "fixed": self.fixed,
            "axes": [a.describe() for a in self.axes],
            "workers": self.workers,
            "scenarios": len(self.table),
            "failed": len(self.failed),
            "runtime_s": self.runtimes,
        }

    def to_json(self) -> str:
        rows = json.loads(self.table.to_json(orient="records", force_ascii=False))
        return json.dumps({**self.info(), "table": rows}, ensure_ascii=False, sort_keys=True)

    def write(self, out_dir: str | Path) -> list[Path]:
        """``sweep.csv`` (the same for any number of workers) and ``sweep.json``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return [
            write_atomic(out / "sweep.csv", self.table.to_csv(index=False, float_format="%.10g")),
            write_atomic(out / "sweep.json", self.to_json() + "\n"),
        ]


def run_classic_sweep(
    instance: Instance,
    axes: Sequence[Axis],
    *,
    model: str,
    fixed: dict[str, Any] | None = None,
    scheduler: str | None = None,
    client: Any = None,
    workers: int | None = None,
    processes: bool = True,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    backend: str | None = None,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> ClassicSweepResult:
    """Solve classic model ``model`` for every combination of the axes' values, on Dask.

    ``fixed`` holds the model's other arguments (e.g. ``{"radius": 500}`` while
    ``p`` is swept). Every scenario's parameters are checked against the
    instance before any worker starts.

    >>> demand = pd.DataFrame({"x": [0.0, 10.0, 20.0], "y": 0.0, "weight": [1, 1, 2]})
    >>> inst = Instance.from_frames(demand, pd.DataFrame({"x": [0.0, 20.0], "y": 0.0}))
    >>> res = run_classic_sweep(inst, [classic_axis("p", "1:2:2")], model="mclp",
    ...                         fixed={"radius": 5.0}, workers=1, processes=False)
    >>> print(res.table[["p", "status", "objective", "covered"]].to_string(index=False))
     p  status  objective  covered
     1 optimal        2.0     0.50
     2 optimal        3.0     0.75
    """
    fixed = dict(fixed or {})
    base = classic_model(model, fixed)
    grid = scenario_grid(axes)
    for scenario in grid:  # bad values fail here, before any worker starts
        _set(base, scenario).check(instance)
    options = {"time_limit": time_limit, "mip_gap": mip_gap, "backend": backend, "seed": 0}
    jobs = [(base, scenario, k) for k, scenario in enumerate(grid)]
    rows, n_workers = run_tasks(
        solve_classic_scenario, jobs, instance, options, scheduler=scheduler, client=client,
        workers=workers, processes=processes, progress=progress,
    )
    table = pd.DataFrame(rows).sort_values("scenario", kind="stable").reset_index(drop=True)
    columns = [
        "scenario", *dict.fromkeys(a.column for a in axes), "status", "objective", "gap",
        "sites", "covered", "mean_distance", "max_distance", "verified", "selected", "message",
    ]
    for c in columns:
        if c not in table.columns:
            table[c] = np.nan
    runtimes = [float(v) for v in table["runtime_s"]]
    return ClassicSweepResult(
        table=table[columns],
        axes=list(axes),
        model=model,
        instance=instance.name,
        fixed=fixed,
        workers=n_workers,
        runtimes=runtimes,
    )
