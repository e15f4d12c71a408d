"""What both sweeps share: the swept axes, the grid of scenarios, and the Dask runner.

A spec's sweep (:mod:`siting.sweep`) and a classic model's
(:mod:`siting.sweep_classic`) vary parameters over a grid and run each
scenario as its own Dask task; this floor holds the parts that know nothing of
either model.

>>> parse_range("1:3:3", "--p")
(1.0, 2.0, 3.0)
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from siting.errors import ParameterError, SitingError

#: ``param``: a classic model's argument (``p``, ``radius``, ...; :mod:`siting.sweep_classic`).
AxisKind = Literal["budget", "target", "radius", "param"]
SOLVED = ("optimal", "feasible")
#: Times a scenario's task is run again after raising on a worker.
RETRIES = 2


@dataclass(frozen=True)
class Axis:
    """One swept parameter: the total budget, a target (name, index or facility) or a radius."""

    kind: AxisKind
    key: str
    values: tuple[float, ...]

    @property
    def column(self) -> str:
        """The column of the sweep table holding this parameter."""
        if self.kind == "budget":
            return "budget"
        if self.kind == "param":
            return self.key
        return f"{self.kind}:{self.key}"

    def describe(self) -> str:
        v = self.values
        span = f"{v[0]:g}..{v[-1]:g} ({len(v)} values)" if len(v) > 1 else f"{v[0]:g}"
        return f"{self.column} {span}"


def parse_range(text: str, option: str) -> tuple[float, ...]:
    """``START:STOP:N`` (N evenly spaced values, both ends included), ``A,B,C`` or ``V``.

    Parameters
    ----------
    text : str
        The range as typed.
    option : str
        The option it was given to, named by errors (``"--budget"``).

    Returns
    -------
    tuple of float
        The values.

    Raises
    ------
    siting.ParameterError
        Text that is none of the three forms, N < 1, or values that are not finite.

    Examples
    --------
    >>> parse_range("1e6:3e6:3", "--budget"), parse_range("0.8,0.9", "--target")
    ((1000000.0, 2000000.0, 3000000.0), (0.8, 0.9))
    """
    text = text.strip()
    try:
        if ":" in text:
            parts = text.split(":")
            if len(parts) != 3:
                raise ValueError
            start, stop, n = float(parts[0]), float(parts[1]), int(parts[2])
            if n < 1:
                raise ParameterError("N must be >= 1 in START:STOP:N", field=option, value=text)
            values = np.linspace(start, stop, n) if n > 1 else np.array([start])
        else:
            values = np.array([float(p) for p in text.split(",")])
    except ValueError:
        raise ParameterError(
            "expected START:STOP:N (e.g. 1e9:2.5e9:6) or a list A,B,C", field=option, value=text
        ) from None
    if not np.isfinite(values).all():
        raise ParameterError("values must be finite", field=option, value=text)
    return tuple(float(round(v, 12)) for v in values)


def parse_axis(kind: AxisKind, text: str) -> Axis:
    """Parse ``--budget RANGE``, ``--target NAME_OR_INDEX=RANGE`` or ``--radius TYPE=RANGE``."""
    option = f"--{kind}"
    if kind == "budget":
        return Axis(kind, "", parse_range(text, option))
    key, eq, rng = text.rpartition("=")
    if not eq or not key.strip():
        raise ParameterError(
            f"expected {'NAME_OR_INDEX' if kind == 'target' else 'TYPE'}=START:STOP:N",
            field=option,
            value=text,
        )
    return Axis(kind, key.strip(), parse_range(rng, option))


def scenario_grid(axes: Sequence[Axis]) -> list[dict[str, float]]:
    """Every combination of the axes' values (the first axis varies slowest)."""
    if not axes:
        return [{}]
    combos = itertools.product(*(a.values for a in axes))
    return [{a.column: v for a, v in zip(axes, combo, strict=True)} for combo in combos]


def check_scheduler(address: str) -> str:
    """``address`` if it reads as a Dask scheduler's (``[PROTOCOL://]HOST:PORT``).

    >>> check_scheduler("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    >>> check_scheduler("not-an-address")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    siting.errors.ParameterError: field '--scheduler': value 'not-an-address': not a ...
    """
    host = r"(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)"
    if not re.fullmatch(rf"((tcp|tls|ws|wss|ucx|inproc)://)?{host}:\d{{1,5}}/?", address):
        raise ParameterError("not a scheduler address: give tcp://HOST:PORT (or unset "
                             "$DASK_SCHEDULER_ADDRESS for a local cluster)",
                             field="--scheduler", value=address)
    return address


def _connect(client_type: Any, scheduler: str) -> Any:
    """A client of the scheduler at ``scheduler``; one line when it cannot be reached."""
    try:
        return client_type(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SitingError(f"cannot reach the Dask scheduler at {scheduler!r} "
                          f"({' '.join(str(exc).split())})") from None


def run_tasks(
    task: Callable[..., dict[str, Any]],
    jobs: Sequence[tuple[Any, ...]],
    shared: Any,
    options: dict[str, Any],
    *,
    scheduler: str | None = None,
    client: Any = None,
    workers: int | None = None,
    processes: bool = True,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    scatter: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """Run ``task(*job, shared, options)`` for every job on Dask; the rows in the order they
    finished and the number of workers.

    Runs on ``client`` if given, else on the cluster at ``scheduler`` (or
    ``$DASK_SCHEDULER_ADDRESS``), else on a new ``LocalCluster`` of ``workers``
    single-threaded workers (default: one per CPU, at most one per job).
    ``shared`` (the data every job reads) is sent to every worker once when
    ``scatter``; a task must return its row and never raise.
    """
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    own_client = client is None
    scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    try:
        if client is None:
            if scheduler:
                client = _connect(Client, scheduler)
            else:
                n = workers or min(os.cpu_count() or 1, len(jobs))
                cluster = LocalCluster(
                    n_workers=max(1, n),
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=None,
                    silence_logs=40,
                )
                client = Client(cluster)
        n_workers = len(client.scheduler_info().get("workers", {})) or 1
        source: Any = client.scatter(shared, broadcast=True) if scatter else shared
        # A scenario whose worker dies is run again elsewhere by the scheduler; retries
        # covers a task that raised on a worker in trouble (the tasks themselves never do).
        futures = [
            client.submit(
                task, *job, source, options, pure=False, key=f"scenario-{k}", retries=RETRIES,
            )
            for k, job in enumerate(jobs)
        ]
        rows = []
        for done, fut in enumerate(as_completed(futures), start=1):
            row = fut.result()
            rows.append(row)
            if progress is not None:
                progress(done, len(futures), row)
    finally:
        if own_client and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return rows, n_workers
