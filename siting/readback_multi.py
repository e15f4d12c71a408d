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

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.backends.base import Status
from siting.data.load import load_service_data
from siting.errors import InputError
from siting.findings import findings_from
from siting.multi.data import ServiceData
from siting.multi.solution import MultiSolution
from siting.multi.spec import Spec, load_spec, parse_spec
from siting.readback import read_summary, sha256_of
from siting.readers.csvfile import Column, read_csv

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


def _whole_numbers(fac: pd.DataFrame, path: Path) -> pd.DataFrame:
    """facilities.csv's year, count and spaces as whole numbers (spaces may be blank);
    anything else is refused with its row."""
    for column in ("type", "parcel_id", "year", "count", "spaces"):
        if column not in fac.columns:
            raise InputError(f"no column {column!r}", path=path, row=1, field=column)
    fac = fac.copy()
    for column in ("year", "count", "spaces"):
        cells = fac[column]
        values = pd.to_numeric(cells, errors="coerce")
        if column == "spaces":
            values = values.where(cells.notna(), 0.0)
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        bad |= ~bad & (values.to_numpy(dtype=float) % 1 != 0)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError("not a whole number", path=path, row=k + 2, field=column,
                             value=None if pd.isna(cells.iloc[k]) else str(cells.iloc[k]))
        fac[column] = values.astype(np.int64)
    return fac


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


def _status(meta: dict[str, Any], js: Path) -> Status:
    try:
        return Status(str(meta.get("status", "error")))
    except ValueError:
        raise InputError("unknown status", path=js, field="status",
                         value=meta.get("status")) from None


def _served(path: Path, data: ServiceData, spec: Spec) -> dict[tuple[str, int], Any]:
    """Residents served per (type, year index), every row checked (file's line numbers)."""
    table = read_csv(path, {
        "block_id": Column("id", required=True, unique=False),
        "type": Column("text", required=True),
        "year_index": Column("number", required=True, integer=True),
        "served": Column("number", required=True),
    }, what="served")
    frame, lines = table.frame, table.lines
    index = pd.Index(data.blocks["block_id"].astype(str))
    pos = index.get_indexer(frame["block_id"].astype(str))
    checks = (
        (pos < 0, "block_id", "no such block in the data"),
        (~frame["type"].isin(list(spec.facility)), "type", "not a facility type of the spec"),
        (~frame["year_index"].between(0, len(spec.meta.years) - 1), "year_index",
         f"not a year index (0 … {len(spec.meta.years) - 1})"),
    )
    for bad, column, why in checks:
        bad = np.asarray(bad)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(why, path=path, row=int(lines[k]), field=column,
                             value=str(frame[column].iloc[k]))
    served: dict[tuple[str, int], Any] = {}
    for (name, t), group in frame.groupby(["type", "year_index"]):
        v = np.zeros(len(index))
        v[pos[group.index.to_numpy()]] = group["served"].to_numpy(dtype=float)
        served[str(name), int(t)] = v
    return served


def read_solution(
    folder: str | Path,
    *,
    data: ServiceData | None = None,
    instance: str | Path | None = None,
    spec: Spec | str | Path | None = None,
) -> tuple[MultiSolution, Spec, ServiceData]:
    """Rebuild a :class:`MultiSolution`, its spec and its data from a solution folder.

    The spec is ``spec`` when given, else the spec file recorded at solve time
    (``spec_path``) when it still exists, else the validated spec stored in
    ``solution.json`` (``spec_data``); the instance is ``data``, else
    ``instance``, else the one recorded at solve time.
    """
    folder = Path(folder)
    meta = read_summary(folder)
    js = folder / "solution.json"
    notes: list[str] = []
    if isinstance(spec, (str, Path)):
        spec = load_spec(spec)
    elif spec is None:
        recorded = meta.get("spec_path")
        digest = meta.get("spec_sha256")
        if recorded and Path(str(recorded)).is_file():
            if digest and sha256_of(Path(str(recorded))) != digest:
                notes.append(f"the spec file {recorded} changed since the solve")
            spec = load_spec(str(recorded))
        elif meta.get("spec_data"):
            notes.append("the spec file is gone: checked against the spec stored in "
                         "solution.json")
            spec = parse_spec(meta["spec_data"], str(js))
        else:
            raise InputError(
                "solution.json records no spec; pass the spec file (--spec)", path=js
            )
    spec = _spec_in_type_order(spec, folder)
    if data is None:
        recorded = None if spec.data is not None else meta.get("instance")
        data = load_service_data(spec, instance or recorded)
    text_ids = {"parcel_id": str, "block_id": str, "subdistrict": str}
    fac = _read_csv(folder / "facilities.csv", dtype=text_ids)
    if len(fac):
        fac = _whole_numbers(fac, folder / "facilities.csv")
        fac["parcel_id"] = _ids_like(fac["parcel_id"], data.parcels["parcel_id"])
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
        served = _served(folder / "served.csv", data, spec)
    closed_ref = data.existing["facility_id"]
    if not isinstance(meta.get("closed", []), list):
        raise InputError("must be a list of facility ids", path=js, field="closed",
                         value=meta.get("closed"))
    closed = list(_ids_like(pd.Series(meta.get("closed", []), dtype=object), closed_ref))
    sol = MultiSolution(
        spec_name=str(meta.get("spec", spec.meta.name)),
        status=_status(meta, js),
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
        notes=list(meta.get("notes", [])),
        findings=findings_from(meta.get("findings"), js),
        data=data,
        spec_sha256=str(meta.get("spec_sha256", "")),
        read_notes=notes,
    )
    return sol, spec, data
