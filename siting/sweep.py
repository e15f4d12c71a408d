"""Parameter sweeps of a multi-service spec, solved in parallel on Dask.

A sweep varies the total budget, a target's share (or count) and/or a service
radius over a grid, solves every scenario as its own Dask task and collects
one row per scenario: the swept values, status, estimated cost, coverage per
type in the final year and the number of plan targets met. Rows come back in
scenario order and every solve is single-threaded with a fixed seed, so the
table does not depend on how many workers ran it (as long as the solves finish
within their limits: a solve stopped by its time limit depends on the
machine's speed). A scenario that fails is a row with status ``error`` or
``infeasible`` and its message, never dropped.

>>> parse_range("1e9:2e9:3", "--budget")
(1000000000.0, 1500000000.0, 2000000000.0)
>>> parse_axis("target", "park=0.8:0.9:2")
Axis(kind='target', key='park', values=(0.8, 0.9))
>>> len(scenario_grid([parse_axis("budget", "1:2:2"), parse_axis("radius", "park=400,500")]))
4
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from siting.data import load_service_data
from siting.errors import InputError, ParameterError
from siting.multi.data import ServiceData
from siting.multi.spec import Spec, parse_spec
from siting.sweep_tasks import (
    SOLVED,
    Axis,
    AxisKind,
    check_scheduler,
    parse_axis,
    parse_range,
    run_tasks,
    scenario_grid,
)

if TYPE_CHECKING:
    from siting.instance import Instance
    from siting.sweep_classic import ClassicSweepResult
from siting.sweep_result import SweepResult, pareto_mask, plot_sweep

__all__ = [
    "SOLVED", "Axis", "AxisKind", "SweepResult", "apply_scenario", "check_data_files",
    "check_scheduler", "find_target", "pareto_mask", "parse_axis", "parse_range",
    "plot_sweep", "run_sweep", "run_tasks", "scenario_grid", "solve_scenario", "sweep_advice",
]

#: HiGHS keeps one thread pool per process: solves in threads of one process take turns.
_SOLVE_LOCK = threading.Lock()


def find_target(spec: Spec, key: str) -> int:
    """A target by index, exact name, facility type (when unique) or unique part of its name."""
    targets = spec.target
    if key.isdigit():
        k = int(key)
        if k < len(targets):
            return k
        raise ParameterError(f"the spec has {len(targets)} targets", field="--target", value=key)
    for match in (
        lambda t: t.name == key,
        lambda t: t.types() == [key],
        lambda t: key.lower() in t.name.lower(),
    ):
        found = [k for k, t in enumerate(targets) if match(t)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            break
    names = "; ".join(f"{k}: {t.name or t.kind}" for k, t in enumerate(targets))
    raise ParameterError(
        f"no single target matches (targets: {names})", field="--target", value=key
    )


def apply_scenario(spec: Spec, scenario: dict[str, float]) -> Spec:
    """The spec with the scenario's values set, validated again.

    The budget sets the total; yearly budgets are scaled by the same factor. A
    coverage target's value is its share, a count or spaces target's its
    ``at_least``.
    """
    data = spec.model_dump(mode="json")
    for column, value in scenario.items():
        kind, _, key = column.partition(":")
        if kind == "budget":
            old = spec.budget.total
            if old is None and spec.budget.per_year:
                old = sum(spec.budget.per_year.values())
            factor = value / old if old else 1.0
            data["budget"]["total"] = value
            data["budget"]["per_year"] = {
                y: v * factor for y, v in spec.budget.per_year.items()
            }
        elif kind == "target":
            k = find_target(spec, key)
            tgt = spec.target[k]
            data["target"][k]["share" if tgt.share is not None else "at_least"] = value
        elif kind == "radius":
            if key not in spec.facility:
                raise ParameterError(
                    f"unknown facility type (types: {', '.join(spec.facility)})",
                    field="--radius",
                    value=key,
                )
            data["facility"][key]["radius_m"] = value
        else:  # pragma: no cover - columns come from Axis
            raise ParameterError("unknown swept parameter", field="sweep", value=column)
    return parse_spec(data, f"<sweep {scenario}>")


def check_data_files(spec: Spec, instance: str | Path | None = None) -> None:
    """Every file the scenarios read exists: a missing one is said before Dask starts."""
    from siting.data.layers import split_source
    from siting.data.load import folder_table

    if instance is not None and str(instance):
        folder_table(instance)  # refuses a folder that is not there
        return
    if spec.data is None:
        return
    for key in ("blocks", "parcels", "existing", "existing_shapes", "subdistricts", "network"):
        value = getattr(spec.data, key)
        if value is not None and not Path(split_source(value)[0]).exists():
            raise InputError(f"file not found (data.{key})", path=split_source(value)[0])


def solve_scenario(
    spec_data: dict[str, Any],
    scenario: dict[str, float],
    index: int,
    data: ServiceData | str,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Solve one scenario and return its row (the Dask task; never raises)."""
    from siting.backends.base import SolveOptions
    from siting.multi import MultiService

    t0 = time.perf_counter()
    row: dict[str, Any] = {"scenario": index, **scenario}
    types = list(spec_data["facility"])
    try:
        spec = apply_scenario(parse_spec(spec_data), scenario)
        if "budget" not in scenario:
            row["budget"] = spec.budget.total if spec.budget.total is not None else np.nan
        sd = load_service_data(spec, data or None, cache=True) if isinstance(data, str) else data
        opts = SolveOptions(
            time_limit=options.get("time_limit") or spec.solver.time_limit,
            mip_gap=options.get("mip_gap") or spec.solver.mip_gap,
            threads=1,
            seed=int(options.get("seed", 0)),
        )
        with _SOLVE_LOCK:
            sol = MultiService(spec).solve(
                sd, options=opts, solver=options.get("backend"),
                explain=bool(options.get("explain", False)), reasons=False,
            )
        status = str(sol.status)
        row["setup_s"] = float(sol.stats.get("data_s", 0.0)) + float(sol.stats.get("build_s", 0.0))
        row["time_limit"] = opts.time_limit
        row.update(
            status=status,
            message=sol.message if status not in SOLVED else "; ".join(sol.verification),
            objective=sol.objective,
            gap=sol.gap,
            verified=sol.verified,
            cost=float(sol.facilities["cost_est"].sum()) if len(sol.facilities) else 0.0,
            facilities=int(sol.facilities["count"].sum()) if len(sol.facilities) else 0,
        )
        by = sol.by_subdistrict
        cov = by.groupby("type")[["pop", "covered"]].sum() if len(by) else None
        for t in types:
            share = np.nan
            if cov is not None and t in cov.index:
                p = float(cov.at[t, "pop"])
                share = float(cov.at[t, "covered"]) / p if p > 0 else 1.0
            row[f"coverage:{t}"] = share
        tg = sol.targets
        solved = status in SOLVED and len(tg) > 0
        row["targets_met"] = int(tg["met"].astype(bool).sum()) if solved else 0
        row["targets"] = len(tg)
    except Exception as exc:  # a failed scenario is a row, not a lost task
        row.update(status="error", message=f"{type(exc).__name__}: {exc}")
    row["runtime_s"] = round(time.perf_counter() - t0, 3)
    return row


def sweep_advice(
    table: pd.DataFrame, spec: Spec, runtimes: Sequence[float], setups: Sequence[float],
    limits: Sequence[float | None],
) -> list[str]:
    """What to do about scenarios without a solution, in a planner's words.

    Scenarios stopped by their time limit before any plan get the time the
    full model needs: the spec's own ``solver.time_limit`` (set for a full
    solve), or twice the limit used, whichever is more, with the time that
    building the model took out of the limit.

    >>> spec = parse_spec({"meta": {"name": "x", "years": [2026]}, "solver": {"time_limit": 120},
    ...     "facility": {"park": {"group": "pop_total", "radius_m": 500}}})
    >>> t = pd.DataFrame({"scenario": [0, 1], "status": ["no_solution", "optimal"]})
    >>> advice = sweep_advice(t, spec, [10.2, 8.0], [6.0, 6.0], [10.0, 10.0])[0]
    >>> advice[:63]
    '1 of 2 scenarios stopped at the 10 s time limit without a plan '
    >>> advice[advice.index("Give"):advice.index(" (the")]
    'Give each scenario the time the full model needs: --time-limit 120 or more'

    """
    status = table["status"].astype(str).to_numpy()
    out = []
    stopped = [int(k) for k in np.flatnonzero(status == "no_solution")]
    if len(stopped):
        used = [v for v in (limits[k] for k in stopped) if v is not None]
        limit = max(used) if used else float(spec.solver.time_limit or 0)
        setup = max(setups[k] for k in stopped) if len(setups) else 0.0
        solved = [runtimes[k] for k in range(len(status)) if status[k] in SOLVED]
        suggest = max(float(spec.solver.time_limit or 0), 2 * limit)
        evidence = f"building the model took {setup:.0f} s of it"
        if solved:
            evidence += f"; the scenarios that solved took up to {max(solved):.0f} s"
        out.append(
            f"{len(stopped)} of {len(status)} scenarios stopped at the {limit:g} s time limit "
            f"without a plan ({evidence}). Give each scenario the time the full model needs: "
            f"--time-limit {suggest:g} or more (the spec's solver.time_limit is set for a "
            "full solve)."
        )
    infeasible = int((status == "infeasible").sum())
    if infeasible:
        out.append(
            f"{infeasible} of {len(status)} scenarios are infeasible: their requirements "
            "cannot all be met (each says why; --explain names the binding requirement)."
        )
    errors = int((status == "error").sum())
    if errors:
        out.append(f"{errors} of {len(status)} scenarios failed with an error (see message).")
    return out


Progress = Callable[[int, int, dict[str, Any]], None]


@overload
def run_sweep(
    spec: Spec, axes: Sequence[Axis], *, model: None = None, fixed: None = None,
    data: ServiceData | None = None, instance: str | Path | None = None,
    scheduler: str | None = None, client: Any = None, workers: int | None = None,
    processes: bool = True, time_limit: float | None = None, mip_gap: float | None = None,
    backend: str | None = None, explain: bool = False, progress: Progress | None = None,
) -> SweepResult: ...


@overload
def run_sweep(
    spec: Instance, axes: Sequence[Axis], *, model: str, fixed: dict[str, Any] | None = None,
    data: None = None, instance: None = None,
    scheduler: str | None = None, client: Any = None, workers: int | None = None,
    processes: bool = True, time_limit: float | None = None, mip_gap: float | None = None,
    backend: str | None = None, explain: bool = False, progress: Progress | None = None,
) -> ClassicSweepResult: ...


def run_sweep(
    spec: Spec | Instance,
    axes: Sequence[Axis],
    *,
    model: str | None = None,
    fixed: dict[str, Any] | None = None,
    data: ServiceData | None = None,
    instance: str | Path | None = None,
    scheduler: str | None = None,
    client: Any = None,
    workers: int | None = None,
    processes: bool = True,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    backend: str | None = None,
    explain: bool = False,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> SweepResult | ClassicSweepResult:
    """Solve every scenario of the grid on Dask and return the sweep table.

    Runs on ``client`` if given, else on the cluster at ``scheduler``
    (``tcp://host:port``), else on a new ``LocalCluster`` of ``workers``
    single-threaded worker processes (default: one per CPU, at most one per
    scenario). Data given as a :class:`ServiceData` is sent to every worker
    once; otherwise each worker reads the instance folder once.

    Given an :class:`~siting.instance.Instance` instead of a spec, sweeps the
    classic ``model`` (with its other arguments ``fixed``) over axes of
    :func:`siting.sweep_classic.classic_axis` and returns a
    :class:`~siting.sweep_classic.ClassicSweepResult`
    (:func:`siting.sweep_classic.run_classic_sweep`).

    Parameters
    ----------
    spec : siting.multi.spec.Spec or siting.Instance
        The plan to vary, or a classic instance.
    axes : sequence of Axis
        The swept parameters (:func:`parse_axis`; for a classic model,
        :func:`siting.sweep_classic.classic_axis`); the grid is their product.
    model : str, optional
        A classic model's registered name (``mclp``, ``p-median``, ...); only
        with an instance.
    fixed : dict, optional
        The classic model's other arguments, the same in every scenario.
    data : siting.multi.data.ServiceData, optional
        The plan's data, read once and sent to every worker.
    instance : str or os.PathLike, optional
        An instance folder each worker reads, instead of the spec's own data.
    scheduler : str, optional
        A Dask scheduler's address (default: ``$DASK_SCHEDULER_ADDRESS``, else
        a local cluster).
    client : dask.distributed.Client, optional
        A client to run on (kept open afterwards).
    workers : int, optional
        Workers of the local cluster.
    processes : bool, default True
        Worker processes (False: threads of this process, taking turns).
    time_limit, mip_gap : float, optional
        Each scenario's solve limits (default: the spec's ``[solver]``).
    backend : str, optional
        The back end (default: the spec's).
    explain : bool, default False
        Give each row the plan's "what holds back" reasons.
    progress : callable, optional
        ``progress(done, total, row)`` after each scenario.

    Returns
    -------
    SweepResult or siting.sweep_classic.ClassicSweepResult
        One row a scenario in scenario order, with status, objective and the
        swept values; a failed scenario is a row with its message, never dropped.

    Raises
    ------
    siting.ParameterError
        An axis naming nothing in the spec, or a scheduler address that is not one.

    Examples
    --------
    >>> from siting.sweep_classic import classic_axis
    >>> from siting.io import load_instance
    >>> import pathlib, siting
    >>> swain = pathlib.Path(siting.__file__).parents[1] / "instances/reference/swain/swain.dat"
    >>> table = run_sweep(load_instance(swain).instance, [classic_axis("p", "1,2")], model="mclp",
    ...                   fixed={"radius": 10}, workers=1, processes=False).table
    >>> list(table["p"]), list(table["status"])
    ([1, 2], ['optimal', 'optimal'])
    """
    if not isinstance(spec, Spec):
        from siting.sweep_classic import run_classic_sweep

        if model is None:
            raise ParameterError("a classic sweep needs the model", field="model", value=None)
        return run_classic_sweep(
            spec, axes, model=model, fixed=fixed, scheduler=scheduler, client=client,
            workers=workers, processes=processes, time_limit=time_limit, mip_gap=mip_gap,
            backend=backend, progress=progress,
        )
    grid = scenario_grid(axes)
    for sc in grid:  # bad values fail here, before any worker starts
        apply_scenario(spec, sc)
    spec_data = spec.model_dump(mode="json")
    options = {
        "time_limit": time_limit,
        "mip_gap": mip_gap,
        "backend": backend,
        "explain": explain,
        "seed": 0,
    }
    jobs = [(spec_data, sc, k) for k, sc in enumerate(grid)]
    rows, n_workers = run_tasks(
        solve_scenario, jobs, data if data is not None else str(instance or ""), options,
        scheduler=scheduler, client=client, workers=workers, processes=processes,
        progress=progress, scatter=data is not None,
    )
    table = pd.DataFrame(rows).sort_values("scenario", kind="stable").reset_index(drop=True)
    types = list(spec.facility)
    columns = [
        "scenario",
        *dict.fromkeys(["budget", *(a.column for a in axes)]),
        "status",
        "objective",
        "gap",
        "cost",
        "facilities",
        *(f"coverage:{t}" for t in types),
        "targets_met",
        "targets",
        "verified",
        "message",
    ]
    for c in columns:
        if c not in table.columns:
            table[c] = np.nan
    runtimes = [float(v) for v in table["runtime_s"]]
    setups = [float(v) for v in table.get("setup_s", pd.Series(0.0, index=table.index)).fillna(0)]
    limits = [
        None if not np.isfinite(v) else float(v)
        for v in table.get("time_limit", pd.Series(np.nan, index=table.index)).astype(float)
    ]
    table = table[columns]
    table.insert(columns.index("message"), "pareto", pareto_mask(table))
    return SweepResult(
        table=table,
        axes=list(axes),
        spec_name=spec.meta.name,
        types=types,
        currency=spec.budget.currency,
        workers=n_workers,
        runtimes=runtimes,
        advice=sweep_advice(table, spec, runtimes, setups, limits),
        labels={t: f.label or t for t, f in spec.facility.items()},
    )
