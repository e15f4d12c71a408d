"""Rebuild a multi-service solution from the files ``siting solve`` writes.

``siting report DIR`` and ``siting verify DIR`` start from here: the spec
recorded in ``solution.json``, the chosen facilities, coverage, targets,
budget and baseline from the CSV files, ids mapped back to the instance's.

>>> read_solution("/nonexistent/folder")
Traceback (most recent call last):
...
siting.errors.InputError: /nonexistent/folder: not a solution folder: no solution.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.backends.base import Status
from siting.errors import InputError
from siting.multi.data import ServiceData
from siting.multi.solution import MultiSolution
from siting.multi.spec import Spec, load_spec, parse_spec

#: The files of a solution folder (``served.csv`` too when a type is capacitated).
SOLUTION_FILES = (
    "solution.json",
    "facilities.csv",
    "coverage.csv",
    "targets.csv",
    "budget.csv",
    "baseline.csv",
    "subdistricts.csv",
)


def _read_csv(path: Path, **kw: Any) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("missing (written by `siting solve`)", path=path)
    try:
        return pd.read_csv(path, **kw)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def _ids_like(values: pd.Series, reference: pd.Series) -> pd.Series:
    """Ids read from CSV (as text) mapped back to the instance's own ids and dtype."""
    lookup = dict(zip(reference.astype(str), reference, strict=False))
    return values.astype(str).map(lambda v: lookup.get(v, v))


def _spec_in_type_order(spec: Spec, folder: Path) -> Spec:
    """The spec with its facility types in the order of the solve (baseline.csv's rows):
    solution.json is written with sorted keys, which loses the spec's order."""
    path = folder / "baseline.csv"
    if not path.is_file():
        return spec
    order = [t for t in _read_csv(path).get("type", pd.Series(dtype=str)) if t in spec.facility]
    if sorted(order) != sorted(spec.facility):
        return spec
    spec = spec.model_copy(deep=True)
    spec.facility = {t: spec.facility[t] for t in order}
    return spec


def read_solution(
    folder: str | Path,
    *,
    data: ServiceData | None = None,
    instance: str | Path | None = None,
    spec: Spec | str | Path | None = None,
) -> tuple[MultiSolution, Spec, ServiceData]:
    """Rebuild a :class:`MultiSolution`, its spec and its data from a solution folder.

    The spec is the one recorded in ``solution.json`` (``spec_data``), else the
    file at ``spec_path``, unless ``spec`` is given; the instance is ``data``,
    else ``instance``, else the folder recorded at solve time.
    """
    folder = Path(folder)
    js = folder / "solution.json"
    if not js.is_file():
        raise InputError("not a solution folder: no solution.json", path=folder)
    try:
        meta = json.loads(js.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read: {exc}", path=js) from None
    if isinstance(spec, (str, Path)):
        spec = load_spec(spec)
    elif spec is None:
        if meta.get("spec_data"):
            spec = parse_spec(meta["spec_data"], str(js))
        elif meta.get("spec_path"):
            spec = load_spec(meta["spec_path"])
        else:
            raise InputError(
                "solution.json records no spec; pass the spec file (--spec)", path=js
            )
    spec = _spec_in_type_order(spec, folder)
    if data is None:
        where = instance or meta.get("instance") or spec.meta.instance
        data = ServiceData.from_huitian(where)
    text_ids = {"parcel_id": str, "block_id": str, "subdistrict": str}
    fac = _read_csv(folder / "facilities.csv", dtype=text_ids)
    if len(fac):
        fac["parcel_id"] = _ids_like(fac["parcel_id"], data.parcels["parcel_id"])
        fac["spaces"] = fac["spaces"].fillna(0).astype(int)
    else:
        fac = pd.DataFrame(
            columns=["type", "parcel_id", "year", "count", "spaces", "subdistrict",
                     "parcel_area_m2", "footprint_m2", "cost_est"]
        )
    cov = _read_csv(folder / "coverage.csv", dtype=text_ids)
    if len(cov):
        cov["block_id"] = _ids_like(cov["block_id"], data.blocks["block_id"])
    targets = _read_csv(folder / "targets.csv", dtype=str, keep_default_na=False)
    if len(targets):
        for c in ("year", "required", "reached"):
            targets[c] = pd.to_numeric(targets[c], errors="coerce")
        targets["met"] = targets["met"].str.lower().eq("true")
    served: dict[tuple[str, int], Any] = {}
    if (folder / "served.csv").is_file():
        sv = _read_csv(folder / "served.csv", dtype={"block_id": str})
        index = pd.Index(data.blocks["block_id"].astype(str))
        for (name, t), g in sv.groupby(["type", "year_index"]):
            pos = index.get_indexer(g["block_id"].astype(str))
            if (pos < 0).any():
                raise InputError("block ids not in the instance", path=folder / "served.csv")
            v = np.zeros(len(index))
            v[pos] = g["served"].to_numpy(dtype=float)
            served[str(name), int(t)] = v
    closed_ref = data.existing["facility_id"]
    closed = list(_ids_like(pd.Series(meta.get("closed", []), dtype=object), closed_ref))
    sol = MultiSolution(
        spec_name=str(meta.get("spec", spec.meta.name)),
        status=Status(meta.get("status", "error")),
        backend=str(meta.get("backend", "")),
        objective=meta.get("objective"),
        bound=meta.get("bound"),
        gap=meta.get("gap"),
        runtime_s=float(meta.get("runtime_s", 0.0)),
        facilities=fac,
        closed=closed,
        coverage=cov,
        by_subdistrict=_read_csv(folder / "subdistricts.csv", dtype=text_ids),
        targets=targets,
        budget=_read_csv(folder / "budget.csv"),
        baseline=_read_csv(folder / "baseline.csv"),
        verified=meta.get("verified"),
        verification=list(meta.get("verification", [])),
        explanation=list(meta.get("explanation", [])),
        reasons=list(meta.get("reasons", [])),
        message=str(meta.get("message", "")),
        stats=dict(meta.get("stats", {})),
        served=served,
        spec_path=str(meta.get("spec_path", "")),
        instance=str(meta.get("instance", "")),
        spec_data=spec.model_dump(mode="json"),
        note=str(meta.get("note", "")),
        data_notes=list(meta.get("data_notes", [])),
        data=data,
    )
    return sol, spec, data
