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
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siting.outputs import Content, write_atomic, write_folder
from siting.solution_base import (
    CoverageCounts,
    CoverageField,
    SolutionBase,
    Verdict,
    _gpkg_writer,
    finite_or_none,
    geojson_text,
    is_timing,
    plain,
    pop_timings,
    result_fields,
)

if TYPE_CHECKING:
    import pandas as pd

    from siting.instance import Instance

__all__ = [
    "Solution",
    "SolutionBase",
    "Verdict",
    "finite_or_none",
    "geojson_text",
    "is_timing",
    "plain",
    "pop_timings",
    "result_fields",
    "write_atomic",
]

@dataclass(kw_only=True, repr=False)
class Solution(SolutionBase):
    """The result of a classic model on an instance (see the module docstring).

    Made by a model's ``solve``; the frames (:meth:`demand_frame`,
    :meth:`sites_frame`) are the way to read it.

    Parameters
    ----------
    model : str
        The model's name (``mclp``, ``p-median``, ...).
    instance : str
        The instance's name.
    selected : list
        Ids of the open sites, existing ones included.
    existing : list
        Ids of the existing facilities (open from the start).
    params : dict
        The model's parameters.
    assignment : pandas.DataFrame or None
        Assignment models (p-median, p-center, UFLP, CFLP, the capacitated
        ones): ``demand_id, site_id, fraction``, one row per share served.
    coverage : pandas.DataFrame or None
        Covering models: ``demand_id, weight, covered`` (how many open sites
        cover the point).
    inputs : dict
        Where the instance came from (path, format, network), so that
        ``siting verify`` and ``siting report`` can reload it.
    source : siting.Instance or None
        The instance solved, when at hand: the frames take the user's rows
        and geometry from it.
    status : siting.Status
        ``optimal``, ``feasible`` (a plan, not proven best: a time or node
        limit), ``infeasible``, ``no_solution`` or ``error``.
    backend : str
        The solver that ran (``highs``, ``ortools``, ``cbc``, ``heuristic``, ...).
    objective : float or None
        The objective; for a verified plan, the value recomputed from the data.
    bound : float or None
        The solver's proven bound on the best objective.
    gap : float or None
        Relative gap between ``objective`` and ``bound`` (0 when optimal).
    runtime_s : float
        Wall-clock seconds of the solve.
    message : str
        What the solver or the model said (why no plan, what was restricted).
    verified : bool or None
        The independent verifier's verdict (None: not verified).
    verification : list of str
        The verifier's findings, one sentence each.
    stats : dict
        Sizes and timings of the build and the solve.
    notes : list of str
        What loading the data assumed or changed, one sentence each.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting import Instance, PMedian
    >>> d = pd.DataFrame({"id": ["a", "b", "c"], "x": [0.0, 1.0, 5.0], "y": [0.0, 0.0, 0.0],
    ...                   "weight": [1, 1, 1]})
    >>> sol = PMedian(p=1).solve(Instance.from_frames(d, d, demand_id="id", site_id="id"))
    >>> sol.selected, sol.objective, sol.is_optimal, sol.verified
    (['b'], 5.0, True, True)
    """

    model: str
    instance: str
    selected: list[Any]
    existing: list[Any] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    assignment: pd.DataFrame | None = None
    #: A frame, or the arrays a covering model decoded (made into the frame when first read).
    coverage: CoverageField = CoverageField()  # noqa: RUF009 (a descriptor, one per class)
    #: Where the instance came from (path, format, network), so that ``siting verify``
    #: and ``siting report`` can reload it from the solution folder.
    inputs: dict[str, Any] = field(default_factory=dict)
    #: The instance solved, when at hand: gives the GeoDataFrames their geometry.
    source: Instance | None = field(default=None, repr=False, compare=False)

    def coverage_counts(self) -> CoverageCounts | None:
        """A covering model's coverage as the arrays it was decoded from, while
        :attr:`coverage` has not been read as a frame; else None.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, MCLP
        >>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
        >>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d))
        >>> sol.coverage_counts() is not None, sol.coverage["covered"].tolist()
        (True, [1, 0])
        >>> sol.coverage_counts() is None
        True
        """
        field_: CoverageField = Solution.__dict__["coverage"]
        return field_.counts(self)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (ids converted to plain Python values).

        Returns
        -------
        dict
            The base summary with the instance, model, selected and existing
            sites, parameters and inputs: what ``solution.json`` holds (with
            the timings, which ``solution.json`` leaves to ``timing.json``).

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, MCLP
        >>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
        >>> MCLP(radius=1, p=1).solve(Instance.from_frames(d, d)).summary()["n_selected"]
        1
        """
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
        """The summary (:meth:`summary`) as JSON text.

        Returns
        -------
        str
            One line of JSON, keys sorted.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, MCLP
        >>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
        >>> MCLP(radius=1, p=1).solve(Instance.from_frames(d, d)).to_json()[:12]
        '{"backend": '
        """
        return json.dumps(self.summary(), ensure_ascii=False, sort_keys=True)

    def headline(self) -> list[tuple[str, str]]:
        """The model, instance, status, objective, sites and measures, as (label, text).

        Returns
        -------
        list of (str, str)
            What the ``repr`` (without the distances) and the notebook
            summary (``_repr_html_``, with the back end) show.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, MCLP
        >>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
        >>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d, name="two"))
        >>> sol
        <Solution mclp on two, optimal, objective 5, verified, sites 1 (0), covered 62.5%>
        >>> sol.headline()[-2:]
        [('mean distance', '3.75'), ('largest distance', '10')]
        """
        rows = [(f"{self.model} on", self.instance), *super().headline()]
        rows.append(("sites", f"{len(self.selected)} ({', '.join(map(str, self.selected[:8]))}"
                     + (", …" if len(self.selected) > 8 else "") + ")"))
        for label, value, unit in (("covered", self.share_covered, "%"),
                                   ("mean distance", self.mean_distance, ""),
                                   ("largest distance", self.max_distance, "")):
            if value is not None and np.isfinite(value):
                rows.append((label, f"{100 * value:.1f}%" if unit else f"{value:,.4g}"))
        return rows

    # ------------------------------------------------------------ frames
    def sites_frame(self, *, input_columns: bool = True) -> pd.DataFrame:
        """The selected sites, as rows of the user's site frame with siting's columns added.

        Parameters
        ----------
        input_columns : bool, default True
            Keep the columns (and geometry, and index) of the frame the instance
            was built from; ``False`` gives siting's columns alone.

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            One row per selected site, in the order of :attr:`selected`:
            ``site_id``, ``existing`` and, with the instance at hand,
            ``demand_ids`` (the points it covers or serves: spopt's
            ``fac2cli``), ``n_demand`` and ``served_weight``. A GeoDataFrame
            when the instance has coordinates. An input column with the name
            of one of these is kept as ``NAME_input``
            (:mod:`siting.solution_frames`).

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, PMedian
        >>> d = pd.DataFrame({"id": ["a", "b", "c"], "x": [0.0, 1.0, 9.0], "y": [0.0, 0, 0],
        ...                   "weight": [1, 2, 10], "kind": ["school", "clinic", "park"]})
        >>> sol = PMedian(p=1).solve(Instance.from_frames(d, d, demand_id="id", site_id="id"))
        >>> sol.sites_frame()[["id", "kind", "site_id", "n_demand", "served_weight"]]
          id  kind site_id  n_demand  served_weight
        2  c  park       c         3           13.0
        """
        from siting.solution_frames import site_table, with_input

        frame = site_table(self)
        inst = self.source
        if inst is None or not len(frame):
            return frame
        pos = inst.site_positions(frame["site_id"].to_numpy())
        user = inst.site_frame if input_columns else None
        return with_input(frame, user, pos, inst.site_xy, inst.crs)

    def demand_frame(self, *, input_columns: bool = True) -> pd.DataFrame:
        """One row per demand point: the user's row, with its coverage or its site.

        Parameters
        ----------
        input_columns : bool, default True
            Keep the columns (and geometry, and index) of the frame the instance
            was built from; ``False`` gives siting's columns alone.

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            The demand points in the instance's order. Covering models add
            ``demand_id``, ``weight``, ``covered`` (how many open sites are
            within the radius), ``covering_sites`` (their ids: spopt's
            ``cli2fac``), ``nearest_site`` and ``distance`` (to the nearest
            open site, covering or not). Assignment models add ``demand_id``,
            ``site_id`` (the site serving the largest share), ``share`` and
            ``distance``. A GeoDataFrame when the instance has coordinates
            (the user's own geometry when it was given as a GeoDataFrame).

        Warns
        -----
        siting.solution_frames.InputColumnRenamed
            When an input column has the name of one siting adds and other
            values; it is kept as ``NAME_input``.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, MCLP
        >>> d = pd.DataFrame({"id": ["a", "b"], "x": [0.0, 10.0], "y": [0.0, 0.0],
        ...                   "weight": [5, 3], "name": ["Elm St", "Oak Rd"]})
        >>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d, demand_id="id",
        ...                                                      site_id="id"))
        >>> sol.demand_frame()[["name", "covered", "covering_sites", "distance"]]
             name  covered covering_sites  distance
        0  Elm St        1            [a]       0.0
        1  Oak Rd        0             []      10.0
        """
        import pandas as pd

        from siting.solution_frames import demand_table, with_input

        frame = demand_table(self)
        inst = self.source
        if inst is None or not len(frame) or "demand_id" not in frame.columns:
            return frame
        pos = pd.Index(inst.demand_ids).get_indexer(frame["demand_id"].to_numpy())
        user = inst.demand_frame if input_columns else None
        return with_input(frame, user, pos, inst.demand_xy, inst.crs)

    # ---------------------------------------------------------- measures
    @property
    def share_covered(self) -> float | None:
        """Share of the demand weight covered (covering models) or served (assignment models).

        None without the instance at hand (a solution read back from files).

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, MCLP
        >>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
        >>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d))
        >>> sol.share_covered
        0.625
        """
        from siting.solution_frames import covered_share

        return covered_share(self)

    @property
    def mean_distance(self) -> float | None:
        """Weighted mean distance from a demand point to its site.

        Assignment models: over the (point, site) shares served (spopt's
        ``mean_dist`` for the p-median). Covering models: to the nearest open
        site, over the points that reach one. None without distances.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, PMedian
        >>> d = pd.DataFrame({"x": [0.0, 4.0], "y": [0.0, 0.0], "weight": [3, 1]})
        >>> PMedian(p=1).solve(Instance.from_frames(d, d)).mean_distance
        1.0
        """
        from siting.solution_frames import served_distances

        served = served_distances(self)
        if served is None or not served[0].size or served[0].sum() <= 0:
            return None
        w, d = served
        return float((w * d).sum() / w.sum())

    @property
    def max_distance(self) -> float | None:
        """The largest distance from a demand point to its site (as :attr:`mean_distance`).

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, PMedian
        >>> d = pd.DataFrame({"x": [0.0, 4.0], "y": [0.0, 0.0], "weight": [3, 1]})
        >>> PMedian(p=1).solve(Instance.from_frames(d, d)).max_distance
        4.0
        """
        from siting.solution_frames import served_distances

        served = served_distances(self)
        if served is None or not served[1].size:
            return None
        return float(served[1].max())

    def lines_frame(self) -> pd.DataFrame:
        """Assignment models: one line per (demand point, site) pair with its fraction and
        distance (ArcGIS Location-Allocation's "Lines").

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            ``demand_id, site_id, fraction, distance``, with a line from the
            point to the site when the instance has coordinates; empty for
            covering models.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, PMedian
        >>> d = pd.DataFrame({"x": [0.0, 3.0], "y": [0.0, 4.0], "weight": [1, 1]})
        >>> lines = PMedian(p=1).solve(Instance.from_frames(d, d)).lines_frame()
        >>> lines[["demand_id", "site_id", "distance"]].to_dict("list")
        {'demand_id': [0, 1], 'site_id': [0, 0], 'distance': [0.0, 5.0]}
        >>> lines.geometry.iloc[1].wkt
        'LINESTRING (3 4, 0 0)'
        """
        from siting.solution_frames import lines_table

        return lines_table(self)

    def geometry_files(self) -> dict[str, Content]:
        """Chosen sites, demand points (coverage or assignment) and, for assignment
        models, allocation lines as GeoPackage (deterministic bytes) and GeoJSON
        (EPSG:4326 when the instance has a CRS, its own coordinates otherwise)."""
        files: dict[str, Content] = {}
        for name, frame in self.layer_frames().items():
            if "geometry" not in frame.columns or not len(frame):
                continue
            files[f"{name}.gpkg"] = _gpkg_writer(frame, name)
            files[f"{name}.geojson"] = geojson_text(frame)
        return files

    def layer_frames(self) -> dict[str, pd.DataFrame]:
        """The frames the folder's layers hold (siting's columns only: ``sites``,
        ``demand`` and, for assignment models, ``lines``), as written and as the
        folder verifier recomputes them."""
        from siting.solution_frames import plain_demand, plain_sites

        frames = {"sites": plain_sites(self), "demand": plain_demand(self)}
        if self.assignment is not None:
            frames["lines"] = self.lines_frame()
        return frames

    # ------------------------------------------------------------- files
    def files(self) -> dict[str, Content]:
        """Every file of the solution folder, by name (see :meth:`write`).

        Returns
        -------
        dict
            File name → its text, or a function writing it (GeoPackages).

        Examples
        --------
        >>> import pandas as pd
        >>> from siting import Instance, MCLP
        >>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
        >>> sorted(MCLP(radius=1, p=1).solve(Instance.from_frames(d, d)).files())[:4]
        ['coverage.csv', 'demand.geojson', 'demand.gpkg', 'selected.csv']
        """
        from siting.solution_frames import plain_sites

        summary, timing = self.split_timing()
        files: dict[str, Content] = {
            "solution.json": json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=2)
            + "\n",
            "selected.csv": plain_sites(self)[["site_id", "existing"]].to_csv(index=False),
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

        Parameters
        ----------
        out_dir : str or os.PathLike
            The folder (created, or replaced as a whole).

        Returns
        -------
        pathlib.Path
            The folder written.

        Examples
        --------
        >>> import tempfile, pandas as pd
        >>> from siting import Instance, MCLP
        >>> d = pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3]})
        >>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     print((sol.write(tmp) / "selected.csv").read_text().splitlines())
        ['site_id,existing', '0,False']
        """
        return write_folder(out_dir, self.files())
