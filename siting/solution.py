"""Solutions keyed by the user's ids: one base for every model, and the classic models' own.

:class:`SolutionBase` carries what a user needs to trust any result: status,
objective, bound, gap, runtime, back end, the verifier's verdict and the
solve's statistics. :meth:`SolutionBase.accept` applies a verifier's report
the same way for every model: a verified plan reports the objective
recomputed from the instance, with its gap against the solver's bound.

:class:`Solution` is a classic model's result: the selected sites (by id) and,
per demand point, its coverage or its assignment; with the instance at hand,
both come as GeoDataFrames (:meth:`Solution.sites_frame`,
:meth:`Solution.demand_frame`).

The solution files are reproducible: the same inputs, seed and back end give
the same bytes. Timings, which differ from run to run, go to ``timing.json``
alone (``runtime_s`` and every ``*_s`` entry of ``stats``); the summary
(:meth:`Solution.summary`, ``--json``) keeps them.

>>> import pandas as pd
>>> from siting import Instance, MCLP
>>> d = pd.DataFrame({"id": ["a", "b"], "x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
>>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d, demand_id="id", site_id="id"))
>>> sol.selected, sol.objective, sol.verified
(['a'], 5.0, True)
>>> sol.demand_frame()[["demand_id", "covered"]].to_dict("list")
{'demand_id': ['a', 'b'], 'covered': [1, 0]}
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from siting.backends.base import Result, Status, relative_gap
from siting.milp import Sense
from siting.outputs import Content, write_atomic, write_folder

if TYPE_CHECKING:
    from siting.instance import Instance

__all__ = ["Solution", "SolutionBase", "is_timing", "plain", "result_fields", "write_atomic"]


class Verdict(Protocol):
    """What a solution takes from its verification
    (:class:`siting.verify.report.VerifyReport`, from a floor above this one)."""

    ok: bool
    messages: list[str]
    objective: float | None
    details: dict[str, Any]


@dataclass(kw_only=True)
class SolutionBase:
    """What every solution holds, whatever the model (see the module docstring)."""

    status: Status
    backend: str = ""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    runtime_s: float = 0.0
    message: str = ""
    verified: bool | None = None
    verification: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    #: What loading the data assumed or changed (defaults, reprojections), one sentence each.
    notes: list[str] = field(default_factory=list)

    @property
    def is_optimal(self) -> bool:
        return self.status == Status.OPTIMAL

    def accept(self, report: Verdict, sense: Sense) -> None:
        """Record a verifier's verdict; a verified plan takes the recomputed objective.

        The recomputed value is free of solver round-off and may be better than
        the claim (continuous variables below what the plan achieves); the gap
        is recomputed against the solver's bound.
        """
        self.verified = report.ok
        self.verification = list(report.messages)
        if "walks" in report.details:  # how the streets stretch the walks (walking metrics)
            self.stats["walks"] = report.details["walks"]
        if report.ok and report.objective is not None:
            self.stats["solver_objective"] = self.objective
            self.objective = report.objective
            if self.bound is not None:
                self.gap = relative_gap(self.objective, self.bound, sense)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (each kind of solution adds its own fields)."""
        return self.base_summary()

    def split_timing(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The summary without timings (reproducible), and the timings on their own."""
        summary = self.summary()
        stats = summary["stats"]
        timing = {"runtime_s": summary.pop("runtime_s")}
        timing.update(pop_timings(stats))
        return summary, timing

    def base_summary(self) -> dict[str, Any]:
        """The fields of the base as JSON-ready values."""
        return {
            "status": str(self.status),
            "objective": finite_or_none(self.objective),
            "bound": finite_or_none(self.bound),
            "gap": finite_or_none(self.gap),
            "runtime_s": round(float(self.runtime_s), 6),
            "backend": self.backend,
            "verified": self.verified,
            "verification": list(self.verification),
            "message": self.message,
            "stats": {k: plain(v) for k, v in self.stats.items()},
            "notes": list(self.notes),
        }


def pop_timings(stats: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Remove every timing from ``stats``, at any depth (a heuristic's steps keep theirs
    in nested dicts, under ``s`` or ``…_s``), and return them under dotted names.

    >>> stats = {"rows": 3, "build_s": 0.1, "start": {"s": 0.5, "pool": {"lp_s": 0.2, "lp": 7}}}
    >>> pop_timings(stats)
    {'build_s': 0.1, 'start.pool.lp_s': 0.2, 'start.s': 0.5}
    >>> stats
    {'rows': 3, 'start': {'pool': {'lp': 7}}}
    """
    out: dict[str, Any] = {}
    for key in sorted(stats):
        value = stats[key]
        if is_timing(key) or (prefix and key == "s"):
            out[prefix + key] = stats.pop(key)
        elif isinstance(value, dict):
            out.update(pop_timings(value, f"{prefix}{key}."))
    return dict(sorted(out.items()))


@dataclass(kw_only=True)
class Solution(SolutionBase):
    """The result of a classic model on an instance (see the module docstring).

    ``assignment`` has columns ``demand_id, site_id, fraction`` (p-median,
    p-center, UFLP, CFLP); ``coverage`` has ``demand_id, weight, covered``
    (covering models; ``covered`` counts covering open sites).
    """

    model: str
    instance: str
    selected: list[Any]
    existing: list[Any] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    assignment: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    #: Where the instance came from (path, format, network), so that ``siting verify``
    #: and ``siting report`` can reload it from the solution folder.
    inputs: dict[str, Any] = field(default_factory=dict)
    #: The instance solved, when at hand: gives the GeoDataFrames their geometry.
    source: Instance | None = field(default=None, repr=False, compare=False)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (ids converted to plain Python values)."""
        return {
            "instance": self.instance,
            "model": self.model,
            **self.base_summary(),
            "selected": [plain(s) for s in self.selected],
            "n_selected": len(self.selected),
            "existing": [plain(s) for s in self.existing],
            "params": {k: plain(v) for k, v in self.params.items()},
            "inputs": {k: plain(v) for k, v in self.inputs.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), ensure_ascii=False, sort_keys=True)

    # ------------------------------------------------------------ frames
    def sites_frame(self) -> pd.DataFrame:
        """The selected sites: id, existing, and geometry when the instance has coordinates."""
        frame = pd.DataFrame({"site_id": list(self.selected)})
        frame["existing"] = frame["site_id"].isin(set(self.existing))
        inst = self.source
        if inst is None or inst.site_xy is None or not len(frame):
            return frame
        pos = inst.site_positions(frame["site_id"].to_numpy())
        return _with_points(frame, inst.site_xy[pos], inst.crs)

    def demand_frame(self) -> pd.DataFrame:
        """One row per demand point: coverage (covering models) or its site (assignment).

        Assignment models give the main site (largest fraction) and its distance;
        with coordinates it is a GeoDataFrame of points.
        """
        if self.coverage is not None:
            frame = self.coverage.copy()
        elif self.assignment is not None:
            main = self.assignment.sort_values(
                ["demand_id", "fraction"], ascending=[True, False], kind="stable"
            ).drop_duplicates("demand_id")
            frame = main.rename(columns={"fraction": "share"})
        else:
            return pd.DataFrame(columns=["demand_id"])
        inst = self.source
        if inst is None:
            return frame.reset_index(drop=True)
        index = pd.Index(inst.demand_ids)
        d_pos = index.get_indexer(frame["demand_id"].to_numpy())
        if "site_id" in frame.columns:
            s_pos = inst.site_positions(frame["site_id"].to_numpy())
            frame["distance"] = inst.metric.pair_distance(d_pos.astype(np.int64), s_pos)
        frame = frame.set_index(d_pos).sort_index().reset_index(drop=True)
        if inst.demand_xy is None:
            return frame
        return _with_points(frame, inst.demand_xy[np.sort(d_pos)], inst.crs)

    def lines_frame(self) -> pd.DataFrame:
        """Assignment models: one line per (demand point, site) pair with its fraction and
        distance (ArcGIS Location-Allocation's "Lines"); empty without coordinates."""
        inst = self.source
        if self.assignment is None or inst is None or inst.site_xy is None:
            return pd.DataFrame(columns=["demand_id", "site_id", "fraction", "distance"])
        import geopandas as gpd
        import shapely

        a = self.assignment.reset_index(drop=True)
        d_pos = pd.Index(inst.demand_ids).get_indexer(a["demand_id"].to_numpy()).astype(np.int64)
        s_pos = inst.site_positions(a["site_id"].to_numpy())
        frame = a.assign(distance=inst.metric.pair_distance(d_pos, s_pos))
        if inst.demand_xy is None:
            return frame
        start, end = inst.demand_xy[d_pos], inst.site_xy[s_pos]
        coords = np.stack([start, end], axis=1)  # n × 2 points × (x, y)
        return gpd.GeoDataFrame(frame, geometry=shapely.linestrings(coords), crs=inst.crs)

    def geometry_files(self) -> dict[str, Content]:
        """Chosen sites, demand points (coverage or assignment) and, for assignment
        models, allocation lines as GeoPackage (deterministic bytes) and GeoJSON
        (EPSG:4326 when the instance has a CRS, its own coordinates otherwise)."""
        frames = {"sites": self.sites_frame(), "demand": self.demand_frame()}
        if self.assignment is not None:
            frames["lines"] = self.lines_frame()
        files: dict[str, Content] = {}
        for name, frame in frames.items():
            if "geometry" not in frame.columns or not len(frame):
                continue
            files[f"{name}.gpkg"] = _gpkg_writer(frame, name)
            files[f"{name}.geojson"] = geojson_text(frame)
        return files

    # ------------------------------------------------------------- files
    def files(self) -> dict[str, Content]:
        """Every file of the solution folder, by name (see :meth:`write`)."""
        summary, timing = self.split_timing()
        files: dict[str, Content] = {
            "solution.json": json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=2)
            + "\n",
            "selected.csv": self.sites_frame()[["site_id", "existing"]].to_csv(index=False),
        }
        if self.assignment is not None:
            files["assignment.csv"] = self.assignment.to_csv(index=False, float_format="%.10g")
        if self.coverage is not None:
            files["coverage.csv"] = self.coverage.to_csv(index=False, float_format="%.10g")
        files.update(self.geometry_files())
        files["timing.json"] = json.dumps(timing, sort_keys=True, indent=2) + "\n"
        return files

    def write(self, out_dir: str | os.PathLike[str]) -> Path:
        """Write ``solution.json``, ``selected.csv``, the per-demand table, ``timing.json``
        and, when the instance has coordinates, the geometry (:meth:`geometry_files`).

        The folder is written as a unit (:func:`siting.outputs.write_folder`):
        files of an earlier run never stay beside these. Every file but
        ``timing.json`` is byte-identical between runs that reach the same
        solution.
        """
        return write_folder(out_dir, self.files())


def result_fields(result: Result) -> dict[str, Any]:
    """The fields every solution takes from a back end's result (status, values, bound)."""
    return {
        "status": result.status, "backend": result.backend, "objective": result.objective,
        "bound": result.bound, "gap": result.gap, "runtime_s": result.runtime_s,
        "message": result.message,
    }


def _gpkg_writer(frame: Any, layer: str) -> Any:
    import warnings

    from siting.outputs import write_gpkg

    def write(path: Path) -> None:
        with warnings.catch_warnings():  # a CSV folder's coordinates have no CRS: said in docs
            warnings.filterwarnings("ignore", message=".*'crs' was not provided")
            write_gpkg(frame, path, layer)

    return write


def geojson_text(frame: Any) -> str:
    """A GeoDataFrame as GeoJSON text: longitude/latitude when its CRS is known."""
    if frame.crs is not None:
        frame = frame.to_crs(4326)
    return str(frame.to_json(drop_id=True, ensure_ascii=False)) + "\n"


def _with_points(frame: pd.DataFrame, xy: np.ndarray, crs: Any) -> pd.DataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(
        frame.reset_index(drop=True), geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs
    )


def is_timing(key: str) -> bool:
    """Whether a stats entry is a wall-clock time (``build_s``, ``solve_s``, ...)."""
    return key.endswith("_s") or key in ("runtime", "seconds")


def finite_or_none(v: float | None) -> float | None:
    """A float, or None for a missing or non-finite value (JSON has no inf)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def plain(v: Any) -> Any:
    """A value JSON can hold: numpy scalars unwrapped, non-finite floats as None."""
    if isinstance(v, np.generic):
        return plain(v.item())
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    return v
