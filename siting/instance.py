"""The instance: demand points, candidate sites, existing facilities and a metric.

An :class:`Instance` holds the user's ids and the numbers the models need, as
numpy arrays aligned by position; the :class:`~siting.coverage.Metric` answers
distance questions sparsely. Build one from GeoDataFrames or DataFrames
(:meth:`Instance.from_frames`), from CSV / GeoPackage files
(:func:`siting.io.load_instance`) or from the reference readers.

>>> import pandas as pd
>>> demand = pd.DataFrame({"id": ["a", "b"], "x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 7]})
>>> sites = pd.DataFrame({"id": ["s1", "s2"], "x": [1.0, 9.0], "y": [0.0, 0.0]})
>>> inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id")
>>> inst.n_demand, inst.n_sites, float(inst.weight.sum())
(2, 2, 12.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from siting.costs import (
    NO_X,
    NO_Y,
    WEIGHT_COLUMN,
    frame_of,
    has_points,
    matrix_metric,
    matrix_shape,
    with_placeholders,
    without_placeholders,
)
from siting.coverage import EuclideanMetric, Metric
from siting.coverage.od import ODTable, reach_notes, read_od_table, table_metric
from siting.coverage.table import TableMetric
from siting.errors import CRSError, InputError
from siting.instance_base import GeographicCRSWarning, InstanceBase
from siting.instance_checks import (
    FrameRows,
    as_crs,
    common_crs,
    frame_points,
    id_column,
    value_column,
)

if TYPE_CHECKING:
    import pandas as pd

    from siting.network import WalkingNetwork

__all__ = ["AUTO", "GeographicCRSWarning", "Instance"]

#: ``Instance.from_frames(cost=AUTO)``: the ``cost`` column when the sites have one.
AUTO = "<auto>"


@dataclass
class Instance(InstanceBase):
    """A facility-location instance (see the module docstring).

    Arrays are aligned by position: ``weight[i]`` belongs to ``demand_ids[i]``,
    ``site_cost[j]`` to ``site_ids[j]``. Build one with :meth:`from_frames`,
    :meth:`from_od_table`, :meth:`from_cost_matrix` or
    :func:`siting.load_instance` rather than field by field.

    Parameters
    ----------
    name : str
        A name for messages and summaries.
    demand_ids, site_ids : numpy.ndarray
        The user's ids of the demand points and of the sites (existing
        facilities among the sites); unique.
    weight : numpy.ndarray
        Demand weights (people), ``>= 0``.
    metric : siting.coverage.Metric
        Distances between demand points and sites (straight lines, walks,
        a travel table).
    site_cost, fixed_cost, capacity : numpy.ndarray, optional
        Per site: cost (default 1), fixed cost (default the cost), capacity
        (default unlimited).
    existing : numpy.ndarray of bool, optional
        The sites already open.
    cost_scales_with_weight : bool, default True
        Whether serving a point costs weight × distance (False: the metric
        holds the cost of serving a point's whole demand).
    crs : pyproj.CRS or None
        The coordinates' CRS.
    source : str or None
        The file the data came from, named by errors.
    demand_frame, site_frame : pandas.DataFrame or None
        The user's frames, kept for the solutions' frames.
    demand_xy, site_xy : numpy.ndarray or None
        Point coordinates (n × 2) where the data have them.
    notes : list of str
        What loading assumed or changed, one sentence each.

    Raises
    ------
    siting.InputError
        A weight, cost or capacity that is negative or not a number, a
        repeated id, or a metric of the wrong shape, naming the row.

    Examples
    --------
    >>> from siting.coverage import EuclideanMetric
    >>> xy = np.array([[0.0, 0.0], [3.0, 4.0]])
    >>> inst = Instance("two", np.array(["a", "b"]), np.array([1.0, 2.0]), np.array(["s", "t"]),
    ...                 EuclideanMetric(xy, xy))
    >>> inst.capacity, inst.existing
    (array([inf, inf]), array([False, False]))
    """

    @classmethod
    def from_frames(
        cls,
        demand: pd.DataFrame,
        sites: pd.DataFrame,
        *,
        demand_id: str | None = None,
        site_id: str | None = None,
        weight: str | None = "weight",
        cost: str | None = AUTO,
        fixed_cost: str | None = None,
        capacity: str | None = None,
        existing: pd.DataFrame | str | None = None,
        crs: Any = None,
        name: str = "instance",
        source: str | None = None,
        x: str = "x",
        y: str = "y",
        paths: Mapping[str, Any] | None = None,
        row_base: int = 0,
        network: WalkingNetwork | None = None,
    ) -> Instance:
        """Build from (Geo)DataFrames.

        Points come from the geometry column (a point inside each polygon) when
        the frame is a GeoDataFrame, else from columns ``x``/``y``. Distances
        are straight lines, or walking distances over ``network``. Mismatched
        CRSs are refused. The frames are kept: a solution's
        :meth:`~siting.solution.Solution.demand_frame` and
        :meth:`~siting.solution.Solution.sites_frame` are their rows.

        Parameters
        ----------
        demand, sites : pandas.DataFrame or geopandas.GeoDataFrame
            One row per demand point, one per candidate site.
        demand_id, site_id : str, optional
            Id columns (default: the frames' index).
        weight : str or None, default "weight"
            The demand weight column; None gives every point weight 1.
        cost : str or None, optional
            The sites' cost column; left at its default, a ``cost`` column
            when there is one, else cost 1.
        fixed_cost, capacity : str, optional
            Columns of ``sites`` (default: fixed cost = cost, unlimited capacity).
        existing : str or pandas.DataFrame, optional
            The name of a boolean column of ``sites``, or a frame of existing
            facilities appended to the sites as already open.
        crs : optional
            The CRS of frames without one (checked against those with one).
        name : str, default "instance"
            A name for messages and summaries.
        source : str, optional
            The file named by errors.
        x, y : str, default "x", "y"
            Coordinate columns of plain DataFrames.
        paths : mapping, optional
            Files named by errors per frame (``"demand"``, ``"sites"``,
            ``"existing"``; default ``source``).
        row_base : int, default 0
            Added to a row's 0-based position in errors (2 for a CSV file with
            a header line, so the row is the line number; 1 for GeoPackage
            features).
        network : siting.network.WalkingNetwork, optional
            Streets in the frames' CRS (e.g. from
            :func:`siting.data.street_network`): distances are walks.

        Returns
        -------
        Instance
            The instance, its arrays aligned with the frames' rows.

        Raises
        ------
        siting.InputError
            A missing column, an empty frame, a missing or invalid geometry, a
            value that is not a number or is negative, a missing or repeated
            id, naming the file, row, field and value.
        siting.CRSError
            Frames (or the network) in different CRSs, or some without one.

        Examples
        --------
        >>> import pandas as pd
        >>> demand = pd.DataFrame({"id": ["a", "b"], "x": [0.0, 10.0], "y": [0.0, 0.0],
        ...                        "pop": [5, 7]})
        >>> sites = pd.DataFrame({"id": ["s1", "s2"], "x": [1.0, 9.0], "y": [0.0, 0.0],
        ...                       "open": [True, False]})
        >>> inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id",
        ...                             weight="pop", existing="open")
        >>> inst.weight, inst.existing
        (array([5., 7.]), array([ True, False]))
        >>> Instance.from_frames(demand, sites, weight="people")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        siting.errors.InputError: field 'weight': value 'people': demand has no column ...
        """
        import pandas as pd

        paths = paths or {}
        dw = FrameRows("demand", paths.get("demand", source), row_base)
        sw = FrameRows("sites", paths.get("sites", source), row_base)
        demand_xy, demand_crs = frame_points(demand, x, y, dw)
        site_xy, site_crs = frame_points(sites, x, y, sw)
        frames_crs = common_crs([("demand", demand_crs), ("sites", site_crs)], source)
        did = id_column(demand, demand_id, dw)
        sid = id_column(sites, site_id, sw)
        if cost == AUTO:
            cost = "cost" if "cost" in sites.columns else None
        for frame, wh, col, what in ((demand, dw, weight, "weight"), (sites, sw, cost, "cost"),
                                     (sites, sw, fixed_cost, "fixed_cost"),
                                     (sites, sw, capacity, "capacity")):
            if col is not None and col not in frame.columns:
                hint = " (weight=None gives every point weight 1)" if what == "weight" else ""
                raise InputError(f"{wh.what} has no column {col!r}{hint}", path=wh.path,
                                 field=what, value=col)
        w = value_column(demand, weight, 1.0, dw, did)
        cst = value_column(sites, cost, 1.0, sw, sid)
        fc = value_column(sites, fixed_cost, np.nan, sw, sid)
        fc = np.where(np.isnan(fc), cst, fc) if fixed_cost else cst.copy()
        cap = value_column(sites, capacity, np.inf, sw, sid, allow_inf=True)
        ex = np.zeros(len(sid), dtype=bool)
        site_frame = sites
        if isinstance(existing, str):
            if existing not in sites.columns:
                raise InputError("column not found in sites", path=sw.path, field=existing)
            ex = sites[existing].fillna(False).astype(bool).to_numpy()
        elif existing is not None and len(existing) > 0:
            ew = FrameRows("existing", paths.get("existing", source), row_base)
            exy, ex_crs = frame_points(existing, x, y, ew)
            frames_crs = common_crs(
                [("demand", demand_crs), ("sites", site_crs), ("existing", ex_crs)], source
            )
            eid = id_column(existing, site_id if site_id in existing.columns else None, ew)
            clash = pd.Index(eid).isin(pd.Index(sid))
            if clash.any():
                k = int(np.flatnonzero(clash)[0])
                raise InputError(
                    "existing facility id is also a candidate site id",
                    path=ew.path,
                    row=ew.row(k),
                    field=site_id or "id",
                    value=str(eid[k]),
                )
            site_xy = np.vstack([site_xy, exy])
            sid = np.concatenate([sid.astype(object), eid.astype(object)])
            cst = np.concatenate([cst, np.zeros(len(eid))])
            fc = np.concatenate([fc, np.zeros(len(eid))])
            ecap = value_column(existing, capacity, np.inf, ew, eid, allow_inf=True)
            cap = np.concatenate([cap, ecap])
            ex = np.concatenate([ex, np.ones(len(eid), dtype=bool)])
            site_frame = pd.concat([sites, existing], ignore_index=True)
        if crs is not None and frames_crs is not None and as_crs(crs) != as_crs(frames_crs):
            raise CRSError(
                "CRS given does not match the frames' CRS", path=source, field="crs", value=str(crs)
            )
        if network is not None and network.crs is not None and frames_crs is not None and (
            as_crs(network.crs) != as_crs(frames_crs)
        ):
            raise CRSError(
                f"the street network is in {as_crs(network.crs).to_string()} but the points "
                f"are in {as_crs(frames_crs).to_string()}: reproject the points to the "
                "network's CRS first (frame.to_crs(network.crs))",
                path=source, field="crs",
            )
        metric: Metric = EuclideanMetric(demand_xy, site_xy)
        if network is not None:
            from siting.coverage.walking import NetworkMetric

            metric = NetworkMetric(network, demand_xy, site_xy)
        return cls(
            name=name,
            demand_ids=did,
            weight=w,
            site_ids=sid,
            metric=metric,
            site_cost=cst,
            fixed_cost=fc,
            capacity=cap,
            existing=ex,
            crs=crs if crs is not None else frames_crs,
            source=source,
            demand_frame=demand,
            site_frame=site_frame,
            demand_xy=demand_xy,
            site_xy=site_xy,
        )

    @classmethod
    def from_od_table(
        cls,
        table: pd.DataFrame | str | Path,
        demand: pd.DataFrame | Sequence[Any] | NDArray[Any],
        sites: pd.DataFrame | Sequence[Any] | NDArray[Any],
        *,
        origin: str = "origin",
        destination: str = "destination",
        cost: str = "cost",
        unit: str | None = None,
        demand_id: str | None = None,
        site_id: str | None = None,
        weight: str | ArrayLike | None = "weight",
        site_cost: str | None = AUTO,
        fixed_cost: str | None = None,
        capacity: str | None = None,
        existing: pd.DataFrame | str | None = None,
        crs: Any = None,
        name: str = "instance",
        source: str | None = None,
    ) -> Instance:
        """Build with distances from an origin–destination table (a routing engine's output).

        Parameters
        ----------
        table
            One row per (demand point, site) pair: a DataFrame, a CSV file (read
            by the strict reader; errors give its line numbers) or a Parquet
            file (needs pyarrow). Costs ``>= 0`` in any unit (minutes, metres);
            an empty cell, NaN or inf, or a pair left out, is unreachable. A
            repeated pair, a negative cost or an id that is neither side's is
            refused naming the row (:mod:`siting.coverage.od`).
        demand, sites
            As in :meth:`from_frames` (coordinates optional: kept for maps when
            every frame has them), or arrays of ids. ``existing`` facilities
            (a frame, or a boolean column of ``sites``) may be destinations too.
        origin, destination, cost
            The table's columns: demand point id, site id, cost. A table routed
            from the sites to the demand points is read by swapping the names.
        unit
            A label for the costs (``"min"``), used in notes and messages; any
            radius or cutoff given to a model is in this unit.
        weight
            A column of ``demand``, or an array of weights (ids given alone:
            every point counts 1 unless weights are given).
        demand_id, site_id
            Id columns of the frames (default: their index).
        existing
            A frame of existing facilities, or a boolean column of ``sites``.
        site_cost, fixed_cost, capacity, crs, name, source
            As ``cost``, ``fixed_cost``, ... of :meth:`from_frames`.

        Returns
        -------
        Instance
            The instance, its metric the table's costs.

        Raises
        ------
        siting.InputError
            A repeated pair, a negative cost, an unknown id or a missing
            column, naming the row.

        Notes
        -----
        Demand points no site reaches, and sites that reach no one, are counted
        in :attr:`notes`; a model that must serve every point says which one it
        cannot serve.

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["s1", "s2", "s2"],
        ...                       "cost": [4.0, 9.0, 2.5]})
        >>> inst = Instance.from_od_table(table, ["a", "b"], ["s1", "s2"], unit="min")
        >>> from siting.models import PMedian
        >>> sol = PMedian(p=1).solve(inst)
        >>> sol.selected, sol.objective, sol.verified
        (['s2'], 11.5, True)
        """
        od = table if isinstance(table, ODTable) else read_od_table(
            table, origin=origin, destination=destination, cost=cost)
        inst = cls._from_id_frames(
            demand, sites, demand_id=demand_id, site_id=site_id, weight=weight,
            existing=existing, name=name, cost=site_cost, fixed_cost=fixed_cost,
            capacity=capacity, crs=crs, source=source)
        if inst.source is None and od.path is not None:
            inst.source = str(od.path)
        return inst.with_table(od, unit)

    def with_table(self, od: ODTable, unit: str | None = None) -> Instance:
        """This instance with its distances taken from the OD table ``od`` (ids matched as text).

        >>> import pandas as pd
        >>> inst = Instance.from_cost_matrix(np.ones((1, 1)), ["a"], ["s"])
        >>> table = read_od_table(pd.DataFrame({"origin": ["a"], "destination": ["s"],
        ...                                     "cost": [9.5]}))
        >>> inst.with_table(table, "min").metric.pair_distance(np.array([0]), np.array([0]))
        array([9.5])
        """
        metric, notes = table_metric(od, self.demand_ids, self.site_ids, unit=unit)
        said = f"distances are the costs of {od.label}" + (f", in {unit}" if unit else "") + \
            ": the radius is in the same units; pairs not in it are unreachable"
        return replace(self, metric=metric, notes=[*self.notes, said, *notes])

    @classmethod
    def _from_id_frames(
        cls,
        demand: pd.DataFrame | Sequence[Any] | NDArray[Any],
        sites: pd.DataFrame | Sequence[Any] | NDArray[Any],
        *,
        demand_id: str | None = None,
        site_id: str | None = None,
        weight: str | ArrayLike | None = "weight",
        existing: pd.DataFrame | str | None = None,
        x: str = "x",
        y: str = "y",
        **frame_options: Any,
    ) -> Instance:
        """An instance of ``demand`` and ``sites`` (frames or ids), coordinates optional.

        Built by :meth:`from_frames` (its checks and messages); the metric is a
        placeholder for the caller to replace, and the points are dropped when
        the frames have none (:mod:`siting.costs`).
        """
        import pandas as pd

        weight_name: str | None
        if weight is None or isinstance(weight, str):
            weight_name, extra = weight, {}
            if weight == "weight" and not isinstance(demand, pd.DataFrame):
                weight_name = None  # ids given alone: every point counts 1 unless weights are given
        else:
            weight_name, extra = WEIGHT_COLUMN, {WEIGHT_COLUMN: weight}
        dframe, demand_id = frame_of(demand, demand_id, "demand", extra)
        sframe, site_id = frame_of(sites, site_id, "sites")
        ex = existing
        points = has_points(dframe, x, y) and has_points(sframe, x, y) and not (
            isinstance(ex, pd.DataFrame) and len(ex) and not has_points(ex, x, y))
        if not points:  # placeholders everywhere, so that from_frames compares like with like
            dframe, sframe = with_placeholders(dframe), with_placeholders(sframe)
            ex = with_placeholders(ex) if isinstance(ex, pd.DataFrame) and len(ex) else ex
            x, y = NO_X, NO_Y
        inst = cls.from_frames(dframe, sframe, demand_id=demand_id, site_id=site_id,
                               weight=weight_name, existing=ex, x=x, y=y, **frame_options)
        if not points:
            inst.demand_xy = inst.site_xy = None
        inst.demand_frame = without_placeholders(inst.demand_frame)
        inst.site_frame = without_placeholders(inst.site_frame)
        return inst

    @classmethod
    def from_cost_matrix(
        cls,
        matrix: ArrayLike | pd.DataFrame | Any,
        demand_ids: Sequence[Any] | NDArray[Any] | None = None,
        site_ids: Sequence[Any] | NDArray[Any] | None = None,
        weight: ArrayLike | None = None,
        *,
        unit: str | None = None,
        site_cost: ArrayLike | None = None,
        fixed_cost: ArrayLike | None = None,
        capacity: ArrayLike | None = None,
        existing: ArrayLike | None = None,
        name: str = "instance",
    ) -> Instance:
        """Build from a demand × site cost matrix.

        Parameters
        ----------
        matrix
            A numpy array or DataFrame (its index and columns are the default
            ids), or a ``scipy.sparse`` matrix whose *stored* entries are the
            reachable pairs (a stored 0 costs 0; entries not stored are
            unreachable). NaN and +inf mark unreachable pairs; a negative cost
            is refused naming the pair. A matrix with unreachable pairs, or
            with more than :data:`siting.costs.DENSE_LIMIT` entries, is held
            sparsely.
        demand_ids, site_ids
            Ids of the rows and columns (default: positions, or the frame's labels).
        weight
            Demand weights (default: 1 each).
        unit
            A label for the costs (``"min"``), as in :meth:`from_od_table`.
        site_cost, fixed_cost, capacity, existing
            Arrays over the sites, as the fields of the same names.
        name : str, default "instance"
            A name for messages and summaries.

        Returns
        -------
        Instance
            The instance, its metric the matrix (held sparsely when it has
            unreachable pairs or is large).

        Raises
        ------
        siting.InputError
            A negative cost (naming the pair) or ids that do not fit the shape.

        Examples
        --------
        >>> inst = Instance.from_cost_matrix(np.array([[1.0, np.nan], [np.inf, 2.0]]),
        ...                                  ["a", "b"], ["s", "t"], weight=[3, 1])
        >>> from siting.models import PMedian
        >>> PMedian(p=2).solve(inst).objective
        5.0
        """
        import pandas as pd

        arrays = {"site_cost": site_cost, "fixed_cost": fixed_cost, "capacity": capacity,
                  "existing": existing}
        if isinstance(matrix, pd.DataFrame):
            demand_ids = matrix.index.to_numpy() if demand_ids is None else demand_ids
            site_ids = matrix.columns.to_numpy() if site_ids is None else site_ids
            matrix = matrix.to_numpy(dtype=np.float64, na_value=np.nan)
        rows, cols = matrix_shape(matrix)
        dids = np.arange(rows) if demand_ids is None else np.asarray(demand_ids, dtype=object)
        sids = np.arange(cols) if site_ids is None else np.asarray(site_ids, dtype=object)
        if (dids.size, sids.size) != (rows, cols):
            raise InputError(f"the cost matrix is {rows} × {cols} but {dids.size} demand "
                             f"ids and {sids.size} site ids are given", field="matrix",
                             value=f"{rows} × {cols}")
        metric = matrix_metric(matrix, dids, sids, unit=unit)
        w = np.ones(rows) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
        if w.size != rows:
            raise InputError(f"{w.size} weights for {rows} demand points", field="weight",
                             value=w.size)
        given: dict[str, Any] = {k: np.asarray(v, dtype=bool if k == "existing" else np.float64)
                                 for k, v in arrays.items() if v is not None}
        inst = cls(name=name, demand_ids=dids, weight=w, site_ids=sids, metric=metric, **given)
        if isinstance(metric, TableMetric):
            inst.notes.extend(reach_notes("the cost matrix", metric, dids, sids))
        return inst
