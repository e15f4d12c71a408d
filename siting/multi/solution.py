"""The result of a multi-service solve, keyed by the user's ids, and its files.

A :class:`MultiSolution` shares the base of every solution
(:class:`~siting.solution.SolutionBase`: status, objective, bound, gap,
verdict, statistics) and adds the plan: the facilities chosen (type, parcel,
year, size, estimated cost), existing facilities closed, coverage per block
and per sub-district, the plan-target table, the budget by year and type, the
baseline of existing facilities alone. With the data at hand the chosen
facilities and the coverage per block come as GeoDataFrames
(:meth:`MultiSolution.facilities_frame`, :meth:`MultiSolution.coverage_frame`).

>>> pct(0.914)
'91.4%'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.findings import Finding
from siting.outputs import Content, write_folder, write_gpkg
from siting.solution import SolutionBase, geojson_text, plain

if TYPE_CHECKING:
    from siting.multi.data import ServiceData

FloatArray = NDArray[np.float64]

#: Columns of the facility table, in order.
FACILITY_COLUMNS = [
    "type", "parcel_id", "year", "count", "spaces", "subdistrict", "parcel_area_m2",
    "footprint_m2", "cost_est",
]


def csv_number(v: float) -> str:
    """A number as the plan's CSVs write it: six significant digits, and a million or more
    written out whole, never in exponent form (a cost reads ``2000000``, not ``2e+06``).

    >>> csv_number(2e6), csv_number(2.5e9), csv_number(0.6271234), csv_number(4033.3333)
    ('2000000', '2500000000', '0.627123', '4033.33')
    """
    return f"{v:.0f}" if np.isfinite(v) and abs(v) >= 1e6 else f"{v:.6g}"


def pct(v: float) -> str:
    """A share as a percentage with one decimal."""
    return f"{100 * v:.1f}%"


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(kw_only=True)
class MultiSolution(SolutionBase):
    """Result of a multi-service solve (see the module docstring)."""

    spec_name: str
    facilities: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=FACILITY_COLUMNS))
    closed: list[Any] = field(default_factory=list)
    coverage: pd.DataFrame = field(default_factory=empty_frame)  # block_id, subdistrict, types
    by_subdistrict: pd.DataFrame = field(default_factory=empty_frame)
    targets: pd.DataFrame = field(default_factory=empty_frame)
    budget: pd.DataFrame = field(default_factory=empty_frame)  # year, type, cost_est
    baseline: pd.DataFrame = field(default_factory=empty_frame)  # type, existing-only share
    explanation: list[str] = field(default_factory=list)
    #: What binds the plan, per facility type analysed (:mod:`siting.multi.reasons`).
    reasons: list[dict[str, Any]] = field(default_factory=list)
    #: Residents served per (type, year index) for capacitated types (claimed by the solver).
    served: dict[tuple[str, int], FloatArray] = field(default_factory=dict)
    #: Where the spec and the instance came from, and the validated spec itself, so that
    #: ``siting report`` and ``siting verify`` can rebuild this solution from its files.
    spec_path: str = ""
    #: SHA-256 of the spec file's bytes at solve time (``siting verify`` checks it).
    spec_sha256: str = ""
    instance: str = ""
    spec_data: dict[str, Any] = field(default_factory=dict)
    #: What is estimated in the data (costs, populations), said with every result.
    note: str = ""
    #: What the data checks found before the solve (:mod:`siting.multi.checks`), the
    #: loading notes aside (they are in ``notes``).
    findings: list[Finding] = field(default_factory=list)
    #: What reading the solution back from its folder found (not written).
    read_notes: list[str] = field(default_factory=list)
    #: The data solved, when at hand: gives the facilities their geometry.
    data: ServiceData | None = field(default=None, repr=False, compare=False)

    def summary(self) -> dict[str, Any]:
        fac = self.facilities
        return {
            "spec": self.spec_name,
            **self.base_summary(),
            "runtime_s": round(float(self.runtime_s), 3),
            "selected": list(dict.fromkeys(f"{r.type}@{r.parcel_id}" for r in fac.itertuples())),
            "n_facilities": int(fac["count"].sum()) if len(fac) else 0,
            "closed": [str(c) for c in self.closed],
            "explanation": list(self.explanation),
            "reasons": [plain(r) for r in self.reasons],
            "targets": [
                {k: plain(v) for k, v in row.items()}
                for row in self.targets.to_dict(orient="records")
            ],
            "note": self.note,
            "findings": [f.as_dict() for f in self.findings],
            "spec_path": self.spec_path,
            "spec_sha256": self.spec_sha256,
            "instance": self.instance,
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), ensure_ascii=False, sort_keys=True, default=_text)

    def facilities_frame(self) -> pd.DataFrame:
        """The chosen facilities, as a GeoDataFrame of their parcels when the data are at hand."""
        if self.data is None:
            return self.facilities.copy()
        return on_layer(self.facilities, self.data.parcels, "parcel_id")

    def coverage_frame(self) -> pd.DataFrame:
        """Coverage per block and type (final year), as a GeoDataFrame of the blocks."""
        if self.data is None or not len(self.coverage):
            return self.coverage.copy()
        return on_layer(self.coverage, self.data.blocks, "block_id")

    def served_table(self) -> pd.DataFrame:
        """Residents served per block, type and year index (capacitated types)."""
        ids = None if self.data is None else self.data.blocks["block_id"].to_numpy()
        frames = [
            pd.DataFrame({
                "block_id": np.flatnonzero(v > 0) if ids is None else ids[v > 0],
                "type": name,
                "year_index": t,
                "served": v[v > 0],
            })
            for (name, t), v in sorted(self.served.items())
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["block_id", "type", "year_index", "served"])

    def files(self) -> dict[str, Content]:
        """Every file of the solution folder, by name (see :meth:`write`)."""
        summary, timing = self.split_timing()
        summary["spec_data"] = self.spec_data
        files: dict[str, Content] = {
            "solution.json": json.dumps(
                summary, ensure_ascii=False, indent=2, sort_keys=True, default=_text
            ) + "\n",
            "timing.json": json.dumps(timing, sort_keys=True, indent=2, default=_text) + "\n",
        }
        if self.served:
            files["served.csv"] = self.served_table().to_csv(index=False, float_format="%.17g")
        for name, frame in (
            ("facilities", self.facilities),
            ("coverage", self.coverage),
            ("subdistricts", self.by_subdistrict),
            ("targets", self.targets),
            ("budget", self.budget),
            ("baseline", self.baseline),
        ):
            files[f"{name}.csv"] = frame.to_csv(index=False, float_format=csv_number)
        if self.data is not None and len(self.facilities):
            gdf = self.facilities_frame()
            files["facilities.gpkg"] = lambda path: write_gpkg(gdf, path, "facilities")
            files["facilities.geojson"] = geojson_text(gdf)
        if self.data is not None and len(self.coverage):
            blocks = self.coverage_frame()
            files["coverage.gpkg"] = lambda path: write_gpkg(blocks, path, "coverage")
            files["coverage.geojson"] = geojson_text(blocks)
        return files

    def write(self, out_dir: str | os.PathLike[str], data: ServiceData | None = None) -> Path:
        """Write the summary, tables (CSV) and the chosen facilities (GeoPackage) as a unit.

        ``solution.json`` also holds the validated spec (``spec_data``) and
        ``served.csv`` the residents served of capacitated types, which is what
        ``siting verify`` needs to re-check the solution from the files alone.
        """
        if data is not None:
            self.data = data
        return write_folder(out_dir, self.files())


def on_layer(table: pd.DataFrame, layer: Any, column: str) -> pd.DataFrame:
    """``table`` with the geometry of ``layer``'s rows of the same ``column`` id."""
    import geopandas as gpd

    geo = layer.set_index(layer[column].astype(str)).geometry
    return gpd.GeoDataFrame(
        table.copy(), geometry=geo.reindex(table[column].astype(str)).to_numpy(), crs=layer.crs
    )


def _text(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return str(v)
