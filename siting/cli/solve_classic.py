"""``siting solve INSTANCE``: a classic model on an instance file or CSV folder, with its
loading options, travel table and model options; :mod:`siting.cli.solve` re-exports it.

>>> parse_columns("from,to,minutes")
('from', 'to', 'minutes')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from siting.cli.arguments import model_arguments, not_taken, option_names
from siting.cli.progress import Phases
from siting.cli.solve_outcome import _conclude, as_option_errors, checked_options, write_outcome
from siting.registry import Param

#: The default columns of a travel table (as siting.io.COST_COLUMNS; not imported, to start fast).
COST_COLUMNS = ("origin", "destination", "cost")

def solve_classic(
    path: Path,
    *,
    model: str,
    format: str,
    network: str | None = None,
    costs: Path | None = None,
    cost_columns: tuple[str, str, str] = COST_COLUMNS,
    cost_unit: str | None = None,
    unit_weights: bool = False,
    loading: dict[str, Any] | None = None,
    streets: Any = None,
    report: bool = False,
    given: dict[Param, Any],
    solver: str,
    time_limit: float | None,
    gap: float | None,
    threads: int | None,
    out: Path | None,
    as_json: bool,
    quiet: bool,
    verify: bool,
) -> None:
    """Solve a classic model on an instance file or CSV folder, print and write it.

    ``loading``: ``crs``, ``encoding`` and ``xy`` of :func:`siting.io.load_instance`;
    ``given``: the model options given (:func:`siting.cli.arguments.parse_given`), each
    of which the model must take.
    """
    from dataclasses import replace

    from siting.backends.base import get_backend
    from siting.io import load_instance
    from siting.models import MODELS
    from siting.outputs import check_output_folder

    # Every option is checked before any data is read.
    options = checked_options(time_limit=time_limit, mip_gap=gap, threads=threads)
    kind = MODELS[model]
    unused = not_taken(kind, given)
    if unused:
        from siting.errors import ParameterError

        raise ParameterError(f"{model} does not take {', '.join(unused)}", field=unused[0])
    with as_option_errors(option_names(kind)):
        get_backend(solver)
        location_model = kind(**model_arguments(kind, given))
    if report and out is None:
        from siting.errors import ParameterError

        raise ParameterError("a classic model's report is written into its --out folder: "
                             "give --out", field="--report")
    if out is not None:
        check_output_folder(out)
    check_costs(costs, network)
    loading = {k: v for k, v in (loading or {}).items() if v is not None}
    loaded = load_instance(path, format, unit_weights=unit_weights, network=network,
                           costs=costs, cost_columns=cost_columns, cost_unit=cost_unit,
                           streets=streets, **loading)
    defaults = model_arguments(kind, given, loaded.defaults.get("p"))
    if defaults != model_arguments(kind, given):
        location_model = replace(location_model, **defaults)  # type: ignore[type-var]
    with Phases(enabled=not (quiet or as_json)) as phases:
        options = replace(options, progress=phases.solver_progress())
        with phases.timed(f"{model}: model, solve and verification", time_limit):
            sol = location_model.solve(loaded.instance, solver, options, verify=verify)
    sol.stats["mip_gap"] = options.mip_gap  # what `optimal` means here (siting verify)
    sol.inputs = {"path": str(path.resolve()), "format": loaded.format,
                  "unit_weights": unit_weights, **loading}
    if network is not None:
        from siting.data.layers import split_source

        file, layer = split_source(network)
        sol.inputs["network"] = str(Path(file).resolve()) + (f":{layer}" if layer else "")
        if streets is not None and streets.said():  # `siting verify` builds it the same way
            from dataclasses import asdict

            sol.inputs["streets"] = asdict(streets)
    if costs is not None:  # `siting verify` reads the same table again
        sol.inputs.update(costs=str(costs.resolve()), cost_columns=list(cost_columns),
                          cost_unit=cost_unit)
    if out is not None and write_outcome(sol, out) and report:
        from siting.report import write_classic_report

        write_classic_report(out, loaded.instance, sol)
    if as_json:
        typer.echo(sol.to_json())
    elif not quiet:
        from siting.cli.summary import print_summary

        print_summary(sol)
    reason = sol.message or "no feasible solution"
    _conclude(sol, infeasible=f"{model} on {loaded.instance.name} is infeasible: {reason}")


def parse_columns(text: str) -> tuple[str, str, str]:
    """``--costs-columns``: three column names, origin, destination and cost.

    >>> parse_columns("from_id, to_id ,travel_time")
    ('from_id', 'to_id', 'travel_time')
    """
    names = [name.strip() for name in text.split(",")]
    if len(names) != 3 or not all(names):
        from siting.errors import ParameterError

        raise ParameterError("give three column names: ORIGIN,DESTINATION,COST",
                             field="--costs-columns", value=text)
    return names[0], names[1], names[2]


def check_costs(costs: Path | None, network: str | None) -> None:
    """``--costs`` names a file, and is not given with ``--network`` (one distance source)."""
    from siting.errors import InputError

    if costs is not None and network is not None:
        raise InputError("give one distance source: a travel table (--costs) or a street "
                         "network (--network), not both", field="--costs", value=str(costs))
    if costs is not None and not costs.is_file():
        raise InputError("file not found (an origin-destination table)", path=costs,
                         field="--costs")
