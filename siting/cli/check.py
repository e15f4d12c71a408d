"""``siting check``: every loading note and data check of a spec or an instance, no solve."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from siting.cli.options import FormatName, JsonFlag


def check(
    path: Annotated[
        Path,
        typer.Argument(
            help="Spec (.toml), multi-service instance folder, or classic instance "
            "(file or CSV folder).",
            show_default=False,
        ),
    ],
    format: Annotated[
        FormatName, typer.Option("--format", "-f", help="Input format (classic instances).")
    ] = FormatName.auto,
    network: Annotated[
        str | None,
        typer.Option("--network", help="FILE[:LAYER]: a line layer of streets (classic "
                     "instances), checked as `siting solve --network` reads it."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check the data before a solve: loading notes, data checks and counts, no solving.

    For a spec: whether each facility type has parcels it can be built on (the
    use it looks for, the parcels' use names and the closest one, areas against
    footprints, years), uses joined by a separator that is not read, existing
    facilities whose types match no facility key, types that cost nothing under
    a budget, population groups that are empty or missing, targets that cannot
    be measured, and every note taken while loading (reprojections, defaults).
    Errors, then warnings, then notes; then the counts `siting info` gives.

    Exit codes: 0 no error (warnings and notes may be listed), 2 an error: the
    data cannot be read, or nothing could be planned on them as they are
    (`siting solve` stops the same way).

    Examples:

      siting check models/huitian-2026-2030.toml

      siting check my-district.toml --json

      siting check instances/huitian

      siting check my-data/ --network streets.gpkg:roads
    """
    from siting.cli.exits import finish
    from siting.cli.info import is_multi
    from siting.findings import counts, plural

    folders = [path.resolve().parent if path.is_file() else path.resolve()]
    if is_multi(path):
        name, findings, facts = _multi(path)
        folders.append(Path(str(facts["instance"])))
    else:
        name, findings, facts = _classic(path, format.value, network)
    tally = counts(findings)
    if as_json:
        typer.echo(json.dumps({
            "path": str(path), "name": name, "ok": tally["error"] == 0, **tally,
            "findings": [f.as_dict() for f in findings], "counts": facts,
        }, ensure_ascii=False))
    else:
        lines = [f"{name}: " + ", ".join(plural(n, level) for level, n in tally.items())]
        lines += grouped(findings, folders)
        lines += ["counts:", *(f"  {key}: {value}" for key, value in facts.items())]
        typer.echo("\n".join(lines))
    if tally["error"]:
        from siting.cli import EXIT_INPUT

        finish(EXIT_INPUT, f"{plural(tally['error'], 'error')} in the data of {path} "
                           "(listed above): a solve would stop")


def _multi(path: Path) -> tuple[str, list[Any], dict[str, Any]]:
    """A spec's (or a multi-service instance folder's) findings and counts."""
    from siting.cli.info import load_multi, multi_facts
    from siting.findings import from_notes, ordered

    spec, data = load_multi(path)
    if spec is None:
        findings = ordered([*data.findings, *from_notes(data.notes)])
        return str(path), findings, multi_facts(None, data)
    from siting.multi.checks import check_plan_data

    return spec.meta.name, check_plan_data(spec, data), multi_facts(spec, data)


def _classic(path: Path, format: str, network: str | None) -> tuple[str, list[Any],
                                                                     dict[str, Any]]:
    """A classic instance's loading notes, a check of its weights, and its counts."""
    from siting.cli.info import classic_facts
    from siting.findings import Finding, from_notes, ordered
    from siting.io import load_instance

    loaded = load_instance(path, format, network=network)
    inst = loaded.instance
    found = from_notes(inst.notes)
    if inst.n_demand and not float(inst.weight.sum()) > 0:
        found.append(Finding("warning", "weight-zero",
                             f"every one of the {inst.n_demand} demand points has weight 0: "
                             "every plan covers nothing"))
    degrees = lonlat_without_crs(inst)
    if degrees:
        found.append(Finding("warning", "lonlat-no-crs", degrees))
    return inst.name, ordered(found), classic_facts(loaded)


def lonlat_without_crs(inst: Any) -> str | None:
    """What to say of coordinates without a CRS that look like longitude and latitude
    (within ±180 / ±90, a few degrees across, mostly fractional): distances, and a
    radius, would be in degrees."""
    import numpy as np

    if inst.crs is not None or inst.demand_xy is None or inst.site_xy is None:
        return None
    xy = np.vstack([inst.demand_xy, inst.site_xy])
    if not len(xy) or not np.isfinite(xy).all():
        return None
    low, high = xy.min(axis=0), xy.max(axis=0)
    inside = bool((np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all())
    fractional = float(np.mean(xy != np.round(xy))) > 0.5
    if not (inside and fractional and float((high - low).max()) <= 5.0):
        return None
    return (f"the coordinates (x {low[0]:.4f}–{high[0]:.4f}, y {low[1]:.4f}–{high[1]:.4f}) look "
            "like longitude and latitude, and the instance has no CRS: distances and --radius "
            "would be in degrees; give x and y in metres, or the points as a GeoPackage with "
            "their CRS (reprojected to metres)")


def grouped(findings: list[Any], folders: Iterable[Path | str] = ()) -> list[str]:
    """Lines of the findings under a heading a level (errors, warnings, notes)."""
    from siting.findings import LEVELS, compact

    folders = list(folders)
    out: list[str] = []
    for level in LEVELS:
        items = [f for f in findings if f.level == level]
        if items:
            out.append(f"{level}s:")
            out += [f"- {compact(f.text, folders)}" for f in items]
    return out


def say_findings(findings: list[Any], console: Any, folders: Iterable[Path | str],
                 *, live: bool) -> None:
    """Warnings, then loading notes, one line each on stderr before a solve (errors
    are said by the error that stops it). ``live``: through the rich ``console`` of a
    progress display, so the lines stay above it."""
    from siting.findings import compact

    folders = list(folders)
    for f in findings:
        if f.level == "error":
            continue
        line = f"siting: {f.level}: {compact(f.text, folders)}"
        if live:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        else:
            print(line, file=sys.stderr, flush=True)


def refuse(findings: list[Any], path: Path) -> None:
    """Raise the input error of the findings' errors, if any: no work on such data."""
    from siting.errors import InputError

    errors = [f.text for f in findings if f.level == "error"]
    if errors:
        raise InputError("; ".join(errors), path=path)
