"""Solution folders read back: which kind a folder is, and a classic model's solution.

``siting verify DIR`` and ``siting report DIR`` work on every folder
``siting solve`` writes. A classic model's folder records where its instance
came from (``inputs``: path, format, network or travel table) and the model's parameters, so
the instance is loaded again and the solution re-checked against it; the
multi-service reader is :func:`siting.readback_multi.read_solution`.

>>> import json, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "solution.json").write_text(json.dumps({"model": "mclp"}))
>>> folder_kind(d)
'classic'
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from siting.backends.base import Status
from siting.errors import InputError
from siting.instance import Instance
from siting.models.base import LocationModel
from siting.solution import Solution

Kind = Literal["classic", "plan", "sweep"]


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex (recorded at solve time, checked by verify)."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_summary(folder: Path) -> dict[str, Any]:
    """The ``solution.json`` of a folder, as a dict (one-line errors, never a traceback)."""
    js = Path(folder) / "solution.json"
    if not js.is_file():
        raise InputError("not a solution folder: no solution.json", path=folder)
    try:
        meta = json.loads(js.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read: {exc}", path=js) from None
    if not isinstance(meta, dict):
        raise InputError("not a solution summary (a JSON object is expected)", path=js)
    return meta


def folder_kind(folder: Path) -> Kind:
    """``sweep`` (pareto.csv + sweep.json), ``plan`` (a spec's solution) or ``classic``."""
    folder = Path(folder)
    if (folder / "pareto.csv").is_file() and (folder / "sweep.json").is_file():
        return "sweep"
    meta = read_summary(folder)
    return "plan" if "spec" in meta or "spec_data" in meta else "classic"


def read_classic(
    folder: Path, *, instance_path: Path | None = None
) -> tuple[Solution, LocationModel, Instance]:
    """A classic model's solution, its model and its instance, from a solution folder.

    The instance is the file recorded at solve time (``inputs.path``), unless
    ``instance_path`` is given; the solution's claims (selected sites,
    coverage or assignment, objective, bound) come from the folder's files.
    """
    from siting.io import load_instance
    from siting.models import MODELS

    folder = Path(folder)
    meta = read_summary(folder)
    name = str(meta.get("model", ""))
    if name not in MODELS:
        raise InputError(f"unknown model {name!r} (models: {', '.join(MODELS)})",
                         path=folder / "solution.json", field="model", value=name)
    inputs = dict(meta.get("inputs") or {})
    source = instance_path or inputs.get("path")
    if not source:
        raise InputError("solution.json records no instance; pass it with --instance",
                         path=folder / "solution.json", field="inputs")
    xy = inputs.get("xy")
    columns = inputs.get("cost_columns") or ("origin", "destination", "cost")
    loaded = load_instance(Path(source), str(inputs.get("format") or "auto"),
                           unit_weights=bool(inputs.get("unit_weights")),
                           network=inputs.get("network") or None,
                           crs=inputs.get("crs") or None, encoding=inputs.get("encoding") or None,
                           xy=(str(xy[0]), str(xy[1])) if xy else None,
                           costs=inputs.get("costs") or None,
                           cost_columns=tuple(columns),
                           cost_unit=inputs.get("cost_unit") or None,
                           streets=_streets(inputs.get("streets")))
    inst = loaded.instance
    params = dict(meta.get("params") or {})
    kind = MODELS[name]
    fields: set[str] = (
        {f.name for f in dataclasses.fields(kind)} if dataclasses.is_dataclass(kind) else set()
    )
    model = kind(**{k: v for k, v in params.items() if k in fields})
    selected = _selected(folder, inst)
    sol = Solution(
        model=name,
        instance=str(meta.get("instance", inst.name)),
        status=_status(meta, folder),
        backend=str(meta.get("backend", "")),
        objective=_number(meta.get("objective")),
        bound=_number(meta.get("bound")),
        gap=_number(meta.get("gap")),
        runtime_s=0.0,
        selected=list(selected),
        existing=list(inst.site_ids[inst.existing]),
        params=params,
        coverage=_table(folder / "coverage.csv", inst, ("demand_id",)),
        assignment=_table(folder / "assignment.csv", inst, ("demand_id", "site_id")),
        message=str(meta.get("message", "")),
        verified=meta.get("verified"),
        verification=list(meta.get("verification") or []),
        stats=dict(meta.get("stats") or {}),
        inputs=inputs,
        source=inst,
    )
    return sol, model, inst


def _status(meta: dict[str, Any], folder: Path) -> Status:
    try:
        return Status(str(meta.get("status", "")))
    except ValueError:
        raise InputError("unknown status", path=folder / "solution.json", field="status",
                         value=meta.get("status")) from None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ids(values: pd.Series, reference: np.ndarray, path: Path, column: str) -> np.ndarray:
    """Ids read as text, mapped back onto the instance's own ids (unknown ones refused)."""
    lookup = pd.Index(pd.Series(reference).astype(str))
    pos = lookup.get_indexer(values.astype(str))
    if (pos < 0).any():
        k = int(np.flatnonzero(pos < 0)[0])
        raise InputError("id not in the instance", path=path, row=k + 2, field=column,
                         value=str(values.iloc[k]))
    return np.asarray(reference)[pos]


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read: {str(exc).splitlines()[0]}", path=path) from None


def _selected(folder: Path, inst: Instance) -> np.ndarray:
    path = folder / "selected.csv"
    if not path.is_file():
        raise InputError("missing (written by `siting solve`)", path=path)
    frame = _read_csv(path)
    if not len(frame):
        return np.zeros(0, dtype=object)
    if "site_id" not in frame.columns:
        raise InputError("no column 'site_id'", path=path, row=1, field="site_id")
    return _ids(frame["site_id"], inst.site_ids, path, "site_id")


def _table(path: Path, inst: Instance, id_columns: tuple[str, ...]) -> pd.DataFrame | None:
    """coverage.csv or assignment.csv with ids mapped back and numbers checked."""
    if not path.is_file():
        return None
    frame = _read_csv(path)
    if not len(frame):
        return frame
    for column in id_columns:
        if column not in frame.columns:
            raise InputError(f"no column {column!r}", path=path, row=1, field=column)
    frame["demand_id"] = _ids(frame["demand_id"], inst.demand_ids, path, "demand_id")
    if "site_id" in id_columns:
        frame["site_id"] = _ids(frame["site_id"], inst.site_ids, path, "site_id")
    for column in [c for c in frame.columns if c not in id_columns]:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & (frame[column] != "")
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError("not a number", path=path, row=k + 2, field=column,
                             value=frame[column].iloc[k])
        frame[column] = values
    return frame


def _streets(recorded: Any) -> Any:
    """The street rules a classic solve recorded (None: the defaults)."""
    if not recorded:
        return None
    from siting.data.street_rules import StreetRules

    return StreetRules(**{k: v for k, v in dict(recorded).items()
                          if k in StreetRules.__dataclass_fields__})
