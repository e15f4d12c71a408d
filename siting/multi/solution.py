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
import re
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
    """A share as a percentage with one decimal (a solver's -1e-12 is 0.0%, not -0.0%).

    >>> pct(0.8634), pct(-1e-12)
    ('86.3%', '0.0%')
    """
    shown = round(100 * v, 1)
    return f"{shown if shown != 0 else 0.0:.1f}%"


def money(value: float, currency: str = "CNY", *, unit: str = "auto") -> str:
    """A cost for planners: 亿元 / 万元 for CNY, millions otherwise."""
    if not np.isfinite(value):
        return "–"
    if currency == "CNY":
        if unit == "wan" or (unit == "auto" and abs(value) < 1e8):
            return f"{value / 1e4:,.0f}万元"
        return f"{value / 1e8:,.1f}亿元"
    return f"{value / 1e6:,.1f} M {currency}"


_TRAILING_REQUIREMENT = re.compile(r"\s*(>=|≥|=>|>|不低于|达到)\s*[\d.,]+\s*(%|％|万)?\s*$")


def target_title(name: str) -> str:
    """A target's name without a trailing requirement (the spec's value is shown apart)."""
    return _TRAILING_REQUIREMENT.sub("", name).strip() or name


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(kw_only=True, repr=False)
class MultiSolution(SolutionBase):
    """Result of a multi-service solve (see the module docstring).

    Made by :func:`siting.multi.pipeline.solve_spec` (``siting solve SPEC.toml``)
    or read back from a solution folder; :meth:`sites_frame` and
    :meth:`demand_frame` give the plan as GeoDataFrames.

    Parameters
    ----------
    spec_name : str
        The spec's ``[meta] name``.
    facilities : pandas.DataFrame
        The facilities built, columns :data:`FACILITY_COLUMNS`.
    closed : list
        Ids of existing facilities closed.
    coverage : pandas.DataFrame
        Per block: ``block_id``, ``subdistrict`` and the share covered per type.
    by_subdistrict, targets, budget, baseline : pandas.DataFrame
        Coverage per sub-district, the plan-target table, spending by year and
        type, and the coverage of the existing facilities alone.
    explanation : list of str
        The plan in sentences.
    reasons : list of dict
        What binds the plan, per facility type.
    served : dict
        Residents served per (type, year index) of capacitated types.
    spec_path, spec_sha256, instance : str
        Where the spec and the data came from, and the spec's SHA-256.
    spec_data : dict
        The validated spec itself.
    note : str
        What is estimated in the data, said with every result.
    findings : list of siting.findings.Finding
        What the data checks found before the solve.
    read_notes : list of str
        What reading the solution back from its folder found.
    data : siting.multi.data.ServiceData or None
        The data solved, when at hand (gives the frames their geometry).
    status, backend, objective, bound, gap, runtime_s, message, verified, verification, stats, notes
        As in :class:`siting.solution.SolutionBase`.

    Examples
    --------
    >>> from siting import Status
    >>> plan = MultiSolution(status=Status.OPTIMAL, spec_name="demo", objective=1200.0)
    >>> plan
    <MultiSolution plan of demo, optimal, objective 1,200, not verified>
    """

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
        """A JSON-ready summary: what ``solution.json`` holds (timings aside).

        Returns
        -------
        dict
            The base summary with the facilities chosen (``type@parcel``),
            closures, explanation, reasons, targets, note, findings and
            where the spec came from.

        Examples
        --------
        >>> from siting import Status
        >>> MultiSolution(status=Status.OPTIMAL, spec_name="demo").summary()["n_facilities"]
        0
        """
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
        """The summary (:meth:`summary`) as JSON text.

        Returns
        -------
        str
            One line of JSON, keys sorted.

        Examples
        --------
        >>> from siting import Status
        >>> '"spec": "demo"' in MultiSolution(status=Status.OPTIMAL, spec_name="demo").to_json()
        True
        """
        return json.dumps(self.summary(), ensure_ascii=False, sort_keys=True, default=_text)

    def headline(self) -> list[tuple[str, str]]:
        """The spec, status, objective, verdict and facilities, as (label, text) pairs.

        Returns
        -------
        list of (str, str)
            What the ``repr`` and the notebook summary show.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Status
        >>> fac = pd.DataFrame({"type": ["park", "school", "park"], "count": [1, 1, 2]})
        >>> MultiSolution(status=Status.OPTIMAL, spec_name="d", facilities=fac).headline()[-1]
        ('facilities', '3 park, 1 school')
        """
        rows = [("plan of", self.spec_name), *super().headline()]
        fac = self.facilities
        if len(fac):
            per_type = fac.groupby("type", sort=True)["count"].sum()
            rows.append(("facilities", ", ".join(f"{int(n)} {t}" for t, n in per_type.items())))
        if self.closed:
            rows.append(("closed", str(len(self.closed))))
        return rows

    def sites_frame(self) -> pd.DataFrame:
        """The chosen facilities, as a GeoDataFrame of their parcels when the data are at hand.

        The same name as :meth:`siting.solution.Solution.sites_frame`;
        :meth:`facilities_frame` is another name for it.

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            One row per (type, parcel, year) built, with the columns of
            :data:`FACILITY_COLUMNS` and, with the data at hand, the parcel's
            geometry.

        Examples
        --------
        >>> from siting import Status
        >>> plan = MultiSolution(status=Status.OPTIMAL, spec_name="demo")
        >>> list(plan.sites_frame().columns[:3])
        ['type', 'parcel_id', 'year']
        """
        if self.data is None:
            return self.facilities.copy()
        return on_layer(self.facilities, self.data.parcels, "parcel_id")

    def demand_frame(self) -> pd.DataFrame:
        """Coverage per block and type (final year), as a GeoDataFrame of the blocks.

        The same name as :meth:`siting.solution.Solution.demand_frame`;
        :meth:`coverage_frame` is another name for it.

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            One row per block: ``block_id``, ``subdistrict`` and one column per
            facility type (the share of the block's residents covered), with
            the block's geometry when the data are at hand.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Status
        >>> cov = pd.DataFrame({"block_id": ["b1"], "subdistrict": ["s"], "park": [0.5]})
        >>> MultiSolution(status=Status.OPTIMAL, spec_name="d", coverage=cov).demand_frame()
          block_id subdistrict  park
        0       b1           s   0.5
        """
        if self.data is None or not len(self.coverage):
            return self.coverage.copy()
        return on_layer(self.coverage, self.data.blocks, "block_id")

    def facilities_frame(self) -> pd.DataFrame:
        """Another name for :meth:`sites_frame`.

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            As :meth:`sites_frame`.

        Examples
        --------
        >>> from siting import Status
        >>> plan = MultiSolution(status=Status.OPTIMAL, spec_name="demo")
        >>> plan.facilities_frame().equals(plan.sites_frame())
        True
        """
        return self.sites_frame()

    def coverage_frame(self) -> pd.DataFrame:
        """Another name for :meth:`demand_frame`.

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            As :meth:`demand_frame`.

        Examples
        --------
        >>> from siting import Status
        >>> plan = MultiSolution(status=Status.OPTIMAL, spec_name="demo")
        >>> plan.coverage_frame().equals(plan.demand_frame())
        True
        """
        return self.demand_frame()

    def served_table(self) -> pd.DataFrame:
        """Residents served per block, type and year index (capacitated types).

        Returns
        -------
        pandas.DataFrame
            ``block_id, type, year_index, served``, the blocks served only.

        Examples
        --------
        >>> import numpy as np
        >>> from siting import Status
        >>> plan = MultiSolution(status=Status.OPTIMAL, spec_name="d",
        ...                      served={("elderly", 0): np.array([0.0, 12.5])})
        >>> plan.served_table().to_dict("records")
        [{'block_id': 1, 'type': 'elderly', 'year_index': 0, 'served': 12.5}]
        """
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
        """Every file of the solution folder, by name (see :meth:`write`).

        Returns
        -------
        dict
            File name → its text, or a function writing it (GeoPackages).

        Examples
        --------
        >>> from siting import Status
        >>> sorted(MultiSolution(status=Status.OPTIMAL, spec_name="d").files())[:3]
        ['baseline.csv', 'budget.csv', 'coverage.csv']
        """
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

        Parameters
        ----------
        out_dir : str or os.PathLike
            The folder (created, or replaced as a whole).
        data : siting.multi.data.ServiceData, optional
            The data solved, for the GeoPackages of facilities and coverage.

        Returns
        -------
        pathlib.Path
            The folder written.

        Examples
        --------
        >>> import tempfile
        >>> from siting import Status
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     out = MultiSolution(status=Status.OPTIMAL, spec_name="d").write(tmp)
        ...     (out / "solution.json").is_file()
        True
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
