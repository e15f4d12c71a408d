"""Every value of a written folder compared with its recomputation (``siting verify DIR``).

A folder ``siting solve`` wrote holds, once verified, the recomputed values
and nothing else: the objective (the verifier's, not the solver's), the gap
to the solver's bound, and tables and layers computed from the plan and the
data. So any difference between a file and what the verifier recomputes is
an edit, and fails: a table's cell (numbers within :data:`REL`, the
precision the files are written with), a layer's attributes or geometry, the
objective (equal within tolerance, not merely "not worse"), a status that its
gap contradicts (``optimal`` with a 62 % gap).

>>> import pandas as pd
>>> said = pd.DataFrame({"year": ["2026"], "cost_est": ["1.2e+06"]})
>>> truth = pd.DataFrame({"year": [2026], "cost_est": [1_500_000.0]})
>>> table_failures("budget.csv", said, truth)
["budget.csv: row 2, 'cost_est': '1.2e+06' written, 1.5e+06 recomputed"]
>>> summary_failures({"status": "optimal", "objective": 100.0, "bound": 162.0, "gap": 0.0},
...                  100.0, "max", 1e-4)  # doctest: +NORMALIZE_WHITESPACE
['gap 0.0 written, 0.62 recomputed from the objective and the bound',
 "status 'optimal' with a gap of 62.00% (the solve's gap tolerance is 0.01%)"]
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Relative tolerance of a written number against its recomputation: the tables are
#: written with 6 significant digits.
REL = 1e-5
#: Absolute tolerance of a written share or flag (a share's 6 digits near 0).
ABS = 1e-9
#: Absolute tolerance of a claimed gap (the written gap is the recomputed one).
GAP_TOL = 1e-6
#: The absolute gap at which a back end may call a solve optimal (HiGHS's default).
ABS_GAP = 1e-6


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as the cells a CSV file of it holds (text, 6 significant digits)."""
    buffer = io.StringIO(frame.to_csv(index=False, float_format="%.6g"))
    try:
        return pd.read_csv(buffer, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def read_text_table(path: Path) -> pd.DataFrame:
    """A CSV file's cells as text (an empty file: no rows)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _numbers(cells: pd.Series) -> np.ndarray:
    """Cells as numbers (True/False as 1/0; NaN where a cell is not a number)."""
    text = cells.astype(str).str.strip()
    flags = text.str.lower().map({"true": 1.0, "false": 0.0})
    values = pd.to_numeric(text, errors="coerce")
    return np.asarray(values.where(flags.isna(), flags), dtype=float)


def table_failures(shown: str, written: pd.DataFrame, truth: pd.DataFrame) -> list[str]:
    """How the table ``written`` (cells as text) differs from the recomputed ``truth``.

    One message for the columns or the row count, else one for the first cell
    that differs (and how many do).
    """
    truth = as_text(truth)
    written = written.astype(str) if len(written.columns) else written
    if list(written.columns) != list(truth.columns):
        return [f"{shown}: columns {', '.join(map(str, written.columns)) or 'none'}; "
                f"recomputed {', '.join(map(str, truth.columns)) or 'none'}"]
    if len(written) != len(truth):
        return [f"{shown}: {len(written)} rows written, {len(truth)} recomputed"]
    wrong_cells: list[tuple[int, str]] = []
    for column in truth.columns:
        said, real = written[column].reset_index(drop=True), truth[column].reset_index(drop=True)
        a, b = _numbers(said), _numbers(real)
        both = ~np.isnan(a) & ~np.isnan(b)
        with np.errstate(invalid="ignore"):
            close = np.isclose(a, b, rtol=REL, atol=ABS)
        differs = np.where(both, ~close, said.to_numpy() != real.to_numpy())
        wrong_cells += [(int(k), str(column)) for k in np.flatnonzero(differs)]
    if not wrong_cells:
        return []
    k, column = min(wrong_cells)
    more = f" ({len(wrong_cells)} values differ)" if len(wrong_cells) > 1 else ""
    return [f"{shown}: row {k + 2}, {column!r}: {written[column].iloc[k]!r} written, "
            f"{truth[column].iloc[k]} recomputed{more}"]


def _comparable(geoms: Any) -> np.ndarray:
    """Shapes in one canonical form: a multi-part shape of one part as that part (a
    GeoPackage layer of polygons is written as multipolygons), rings and parts ordered
    (:func:`shapely.normalize`), so that only a different shape compares unequal.

    >>> import shapely
    >>> square = shapely.box(0, 0, 1, 1)
    >>> [g.geom_type for g in _comparable([shapely.MultiPolygon([square]), square])]
    ['Polygon', 'Polygon']
    """
    import shapely

    out = np.array(geoms, dtype=object)
    one_part = (np.isin(shapely.get_type_id(out), (4, 5, 6))
                & (shapely.get_num_geometries(out) == 1))
    out[one_part] = shapely.get_geometry(out[one_part], 0)
    return np.asarray(shapely.normalize(out))


def layer_failures(path: Path, truth: Any) -> list[str]:
    """How a written layer (GeoPackage or GeoJSON) differs from the recomputed ``truth``.

    Attributes are compared as :func:`table_failures` does; geometry in the
    file's own CRS, within a millionth of the layer's extent.
    """
    import pyogrio
    import shapely

    shown = path.name
    try:
        written = pyogrio.read_dataframe(path)
    except Exception as exc:  # a garbled file is a failure of the folder, not of siting
        return [f"{shown}: cannot be read ({' '.join(str(exc).split())})"]
    if written.crs is not None and truth.crs is not None:
        truth = truth.to_crs(written.crs)
    attributes = [c for c in written.columns if c != written.geometry.name]
    said = as_text(pd.DataFrame(written[attributes]))
    real = pd.DataFrame(truth.drop(columns=truth.geometry.name))
    failures = table_failures(shown, said, real)
    if failures or not len(truth):
        return failures
    a = _comparable(written.geometry.to_numpy())
    b = _comparable(truth.geometry.to_numpy())
    bounds = shapely.total_bounds(b)
    scale = float(np.nanmax(np.abs(bounds))) if np.isfinite(bounds).all() else 1.0
    same = shapely.equals_exact(a, b, tolerance=1e-6 * max(scale, 1e-3))
    wrong = np.flatnonzero(~np.asarray(same, dtype=bool))
    if wrong.size:
        return [f"{shown}: feature {wrong[0] + 1}: geometry differs from the data's "
                f"({wrong.size} features differ)"]
    return []


def summary_failures(
    meta: dict[str, Any], objective: float | None, sense: str, gap_tolerance: float
) -> list[str]:
    """``solution.json``'s objective, gap and status against the recomputed objective.

    The written objective must equal the recomputed one within the verifier's
    tolerance (a NaN or a missing one fails); the written gap must be the gap
    between it and the bound; ``optimal`` needs a gap within the tolerance.
    """
    from siting.milp import relative_gap
    from siting.verify.report import REL_TOL

    out: list[str] = []
    if objective is None:
        return out
    claimed = _number(meta.get("objective"))
    if claimed is None or not math.isfinite(claimed):
        out.append(f"objective {meta.get('objective')!r} written, {objective:.10g} recomputed")
    elif abs(claimed - objective) > REL_TOL * max(1.0, abs(claimed), abs(objective)):
        out.append(f"objective {claimed:.10g} written, {objective:.10g} recomputed")
    bound = _number(meta.get("bound"))
    if bound is None or not math.isfinite(bound):
        return out
    gap = relative_gap(objective, bound, "max" if sense == "max" else "min")
    if gap is None:
        return out
    written_gap = _number(meta.get("gap"))
    if written_gap is None or not abs(written_gap - gap) <= GAP_TOL + REL_TOL * abs(gap):
        out.append(f"gap {meta.get('gap')!r} written, {gap:.6g} recomputed from the objective "
                   "and the bound")
    # a back end also stops at an absolute gap (HiGHS: 1e-6), which a small objective
    # turns into a larger relative one
    if (str(meta.get("status")) == "optimal" and gap > gap_tolerance + GAP_TOL
            and abs(bound - objective) > ABS_GAP):
        out.append(f"status 'optimal' with a gap of {gap:.2%} (the solve's gap tolerance "
                   f"is {gap_tolerance:.2%})")
    return out


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def gap_tolerance(meta: dict[str, Any]) -> float:
    """The relative gap the solve stopped at (``stats.mip_gap``, recorded since it was
    kept; a folder without it is given 5 %, which still tells a 62 % gap from optimal)."""
    recorded = _number(dict(meta.get("stats") or {}).get("mip_gap"))
    return recorded if recorded is not None and recorded >= 0 else 0.05


def spec_failures(meta: dict[str, Any], spec: Any, checked_given: bool) -> list[str]:
    """The spec hash: recorded with a spec file, and the stored spec the same as the file's.

    ``checked_given``: the caller named the spec to check against (``--spec``).
    """
    import json

    if checked_given or not meta.get("spec_path"):
        return []
    if not meta.get("spec_sha256"):
        return ["solution.json records no spec hash (spec_sha256): it cannot be told that the "
                "spec is the one solved; re-solve, or pass --spec to check against it"]
    stored = meta.get("spec_data")
    if stored and Path(str(meta["spec_path"])).is_file():

        def canonical(value: Any) -> str:
            return json.dumps(value, sort_keys=True, default=str)

        if canonical(stored) != canonical(spec.model_dump(mode="json")):
            return ["solution.json: the spec stored (spec_data) is not the spec file's"]
    return []


def plan_folder_failures(folder: Path, prob: Any, sol: Any, objective: float | None,
                         meta: dict[str, Any], coverage: Any = None,
                         sense: str = "max") -> list[str]:
    """Each file of a plan's folder against its recomputation (see the module docstring).

    ``sol`` is the plan read back (its claims), ``objective`` the verifier's
    (None: not comparable), ``coverage`` the coverage it recomputed (None:
    computed here); ``prob.data`` the data it is checked against.
    """
    from siting.multi.solution import FACILITY_COLUMNS, on_layer
    from siting.multi.tables import (
        PlanRows,
        baseline_table,
        budget_table,
        coverage_by_year,
        coverage_tables,
        target_table,
    )
    from siting.verify.plan import facility_costs

    out = summary_failures(meta, objective, sense, gap_tolerance(meta))
    data = prob.data
    fac = sol.facilities[FACILITY_COLUMNS[:5]].copy()
    if len(fac):
        parcels = data.parcels
        pos = pd.Index(parcels["parcel_id"]).get_indexer(fac["parcel_id"])
        fac["year"] = fac["year"].astype(int)
        fac["subdistrict"] = (parcels["subdistrict"].to_numpy()[pos]
                              if "subdistrict" in parcels.columns else "")
        fac["parcel_area_m2"] = np.asarray(prob.area, dtype=float)[pos]
    facilities = facility_costs(prob, fac)  # the verifier's costing, not the model's
    cov = coverage if coverage is not None else coverage_by_year(
        prob, PlanRows(sol.facilities, sol.closed))
    coverage, by_subdistrict = coverage_tables(prob, cov)
    truth = {
        "facilities.csv": facilities,
        "coverage.csv": coverage,
        "subdistricts.csv": by_subdistrict,
        "targets.csv": target_table(prob, PlanRows(sol.facilities, sol.closed), cov),
        "budget.csv": budget_table(facilities),
        "baseline.csv": baseline_table(prob),
    }
    for name, frame in truth.items():
        out += table_failures(name, read_text_table(folder / name), frame)
    layers = {}
    if len(facilities):
        layers["facilities"] = on_layer(facilities, data.parcels, "parcel_id")
    if len(coverage):
        layers["coverage"] = on_layer(coverage, data.blocks, "block_id")
    out += _layers(folder, layers)
    return out


def classic_folder_failures(folder: Path, sol: Any, objective: float | None,
                            meta: dict[str, Any], sense: str) -> list[str]:
    """A classic model's ``solution.json`` and layers against their recomputation.

    The tables (selected sites, coverage, assignment) are the claims the
    verifier checks; the layers are rebuilt from them and the instance.
    """
    out = summary_failures(meta, objective, sense, gap_tolerance(meta))
    layers = sol.layer_frames()
    return out + _layers(folder, {k: v for k, v in layers.items()
                                  if "geometry" in v.columns and len(v)})


def _layers(folder: Path, layers: dict[str, Any]) -> list[str]:
    """Each layer's GeoPackage and GeoJSON against the recomputed frame."""
    out: list[str] = []
    for name, frame in layers.items():
        for suffix in (".gpkg", ".geojson"):
            path = folder / f"{name}{suffix}"
            if not path.is_file():
                out.append(f"{path.name}: missing (written by `siting solve`)")
                continue
            out += layer_failures(path, frame)
    return out
