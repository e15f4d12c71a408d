"""``siting info``: the counts, residents, parcels and facilities of an instance or a spec's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from siting.cli.options import (
    CrsOption,
    EncodingOption,
    FormatName,
    XyOption,
    loading_options,
    not_for_a_spec,
)


def info(
    path: Annotated[
        Path,
        typer.Argument(
            help="Instance file, CSV folder, multi-service instance folder or spec (.toml).",
            show_default=False,
        ),
    ],
    format: Annotated[FormatName, typer.Option("--format", "-f")] = FormatName.auto,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    crs: CrsOption = None,
    encoding: EncodingOption = None,
    xy: XyOption = None,
) -> None:
    """Summarise an instance: counts, residents, parcels, existing facilities.

    Examples:

      siting info my-instance/        (one GeoPackage: blocks, parcels, existing)

      siting info models/qingfeng.toml --json

      siting info instances/reference/bds/BDS1000.txt

      siting info my-data/ --crs EPSG:4326 --encoding GBK
    """
    loading = loading_options(crs, encoding, xy)
    if is_multi(path):
        not_for_a_spec(crs, encoding, xy)
        facts = multi_info(path)
    else:
        facts = classic_info(path, format.value, **loading)
    typer.echo(
        json.dumps(facts, ensure_ascii=False)
        if as_json
        else "\n".join(f"{key}: {value}" for key, value in facts.items())
    )


def is_multi(path: Path) -> bool:
    """A spec (.toml) or a multi-service instance folder: a GeoPackage in it holds the layers
    ``blocks``, ``parcels`` and ``existing`` (:func:`siting.data.folder_table`)."""
    if path.suffix.lower() == ".toml":
        return True
    found = sorted(path.glob("*.gpkg")) if path.is_dir() else []
    if not found:
        return False
    from siting.data.layers import list_layers
    from siting.data.load import FOLDER_LAYERS

    needed = {layer for layer, _ in FOLDER_LAYERS[:3]}
    return any(needed <= set(list_layers(gpkg)) for gpkg in found)


def classic_info(path: Path, format: str, **loading: Any) -> dict[str, Any]:
    """Summary of a classic instance (a reference file or a CSV folder); ``loading``:
    ``crs``, ``encoding``, ``xy`` of :func:`siting.io.load_instance`."""
    from siting.io import load_instance

    return classic_facts(load_instance(path, format, **loading))


def classic_facts(loaded: Any) -> dict[str, Any]:
    """The counts of a loaded classic instance (:class:`siting.io.Loaded`)."""
    inst = loaded.instance
    return {
        "instance": inst.name,
        "format": loaded.format,
        "demand_points": inst.n_demand,
        "sites": inst.n_sites,
        "existing": int(inst.existing.sum()),
        "total_weight": float(inst.weight.sum()),
        "defaults": loaded.defaults,
        "crs": None if inst.crs is None else str(inst.crs),
        **network_facts(getattr(inst.metric, "network", None)),
    }


def load_multi(path: Path) -> tuple[Any, Any]:
    """The spec (None for an instance folder) and the data of a spec or instance folder."""
    from siting.data import load_service_data

    if path.suffix.lower() == ".toml":
        from siting.multi.spec import load_spec

        spec = load_spec(path)
        return spec, load_service_data(spec)
    return None, load_service_data(None, path)


def multi_info(path: Path) -> dict[str, Any]:
    """Summary of a multi-service instance folder (or of a spec and its instance)."""
    return multi_facts(*load_multi(path))


def multi_facts(spec: Any, data: Any) -> dict[str, Any]:
    """The counts of a spec's data (``spec`` None: an instance folder's)."""
    blocks = data.blocks
    groups = [c for c in blocks.columns if c.startswith(("pop_", "age_", "households"))]
    if spec is not None:
        groups += [f.group for f in spec.facility.values() if f.group not in groups]
    facts: dict[str, Any] = {
        "instance": str(data.source),
        "crs": str(blocks.crs),
        "blocks": len(blocks),
        **{c: _total(blocks[c]) for c in groups},
        "subdistricts": int(blocks["subdistrict"].nunique()),
        "parcels": len(data.parcels),
        "parcel_area_m2": round(float(data.parcels["area_m2"].sum())),
        "existing": {str(k): int(v) for k, v in data.existing["type"].value_counts().items()},
        "network_nodes": 0 if data.network is None else data.network.n_nodes,
        "network_edges": 0 if data.network is None else data.network.n_edges,
        **network_facts(data.network),
    }
    if spec is not None:
        facts = {
            "spec": spec.meta.name,
            "years": spec.meta.years,
            "facility_types": list(spec.facility),
            "targets": [t.name or t.kind for t in spec.target],
            **facts,
        }
    return facts


def network_facts(network: Any) -> dict[str, Any]:
    """What building the street network found (junction rule, parts, crossings without a
    junction), where it was built from a street layer."""
    diagnostics = getattr(network, "diagnostics", None)
    if diagnostics is None:
        return {}
    found = diagnostics.as_dict()
    return {
        "network_rule": found["rule"] + ("" if found["said"] else " (default)"),
        "network_junctions": found["junctions"],
        "network_parts": found["parts"],
        "network_unjoined_crossings": found["unjoined_crossings"],
        "network_across_levels": found["across_levels"],
        "network_max_access_m": network.max_access,
    }


def _total(column: Any) -> int:
    """A population column's sum as a whole number (missing values count 0)."""
    import pandas as pd

    return round(float(pd.to_numeric(column, errors="coerce").fillna(0).sum()))
