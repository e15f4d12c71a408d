"""``siting check``: every loading note and data check of a spec or an instance, no solve."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from siting.cli.options import (
    CrsOption,
    EncodingOption,
    FormatName,
    JsonFlag,
    JunctionsOption,
    LevelOption,
    MaxAccessOption,
    NetworkWhereOption,
    XyOption,
    loading_options,
    not_for_a_spec,
    street_rules,
)


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
    junctions: JunctionsOption = None,
    level: LevelOption = None,
    max_access: MaxAccessOption = None,
    network_where: NetworkWhereOption = None,
    crs: CrsOption = None,
    encoding: EncodingOption = None,
    xy: XyOption = None,
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

      siting check models/qingfeng.toml

      siting check my-district.toml --json

      siting check my-instance/        (one GeoPackage: blocks, parcels, existing)

      siting check my-data/ --network streets.gpkg:roads --junctions crossings

      siting check my-lonlat-data/ --crs EPSG:4326 --encoding GBK
    """
    from siting.cli.exits import finish
    from siting.cli.info import is_multi
    from siting.findings import counts, plural

    if not path.exists():
        from siting.errors import InputError
        from siting.readers.names import not_found

        raise InputError(not_found(path), path=path)
    folders = [path.resolve().parent if path.is_file() else path.resolve()]
    if is_multi(path):
        not_for_a_spec(crs, encoding, xy)
        name, findings, facts = _multi(path)
        folders.append(Path(str(facts["instance"])))
    else:
        name, findings, facts = _classic(
            path, format.value, network, **loading_options(crs, encoding, xy),
            streets=street_rules(junctions, level, max_access, network_where))
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


def _classic(path: Path, format: str, network: str | None,
             **loading: Any) -> tuple[str, list[Any], dict[str, Any]]:
    """A classic instance's loading notes, a check of its weights, and its counts (the
    loader itself refuses coordinates in degrees without a CRS, naming --crs)."""
    from siting.cli.info import classic_facts
    from siting.findings import Finding, from_notes, ordered
    from siting.io import load_instance

    loaded = load_instance(path, format, network=network, **loading)
    inst = loaded.instance
    found = from_notes(inst.notes)
    diagnostics = getattr(getattr(inst.metric, "network", None), "diagnostics", None)
    if diagnostics is not None:  # parts, crossings without a junction, levels
        found += diagnostics.findings()
    if inst.n_demand and not float(inst.weight.sum()) > 0:
        found.append(Finding("warning", "weight-zero",
                             f"every one of the {inst.n_demand} demand points has weight 0: "
                             "every plan covers nothing"))
    return inst.name, ordered(found), classic_facts(loaded)


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
    progress display, so the lines stay above it (else ``console`` is not used)."""
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
