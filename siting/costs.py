"""Instances whose distances are given as data: an origin–destination table or a cost matrix.

The bodies of :meth:`siting.instance.Instance.from_od_table` and
:meth:`~siting.instance.Instance.from_cost_matrix`. Demand points and sites
come as in :meth:`~siting.instance.Instance.from_frames` (every column checked
the same way), coordinates optional (kept for maps when given), or as plain id
arrays; the distances are a :class:`~siting.coverage.table.TableMetric` (a
dense matrix without holes, when small, a
:class:`~siting.coverage.given.MatrixMetric`).

>>> inst = instance_from_matrix(np.array([[3.0, np.inf], [np.nan, 1.0]]),
...                             demand_ids=["a", "b"], site_ids=["s", "t"], unit="min")
>>> inst.metric.kind, inst.metric.pair_distance(np.array([1]), np.array([0])).tolist()
('travel table (min)', [inf])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from siting.coverage import MatrixMetric, Metric
from siting.coverage.od import ODTable, reach_notes, read_od_table, table_metric
from siting.coverage.table import TableMetric
from siting.errors import InputError

if TYPE_CHECKING:
    from siting.instance import Instance

#: A dense matrix without unreachable pairs stays dense up to this many entries.
DENSE_LIMIT = 4_000_000
#: Private coordinate columns for frames that have none (the table gives the distances).
_NO_X, _NO_Y = "__siting_no_x", "__siting_no_y"


def frame_of(
    items: pd.DataFrame | Sequence[Any] | NDArray[Any], id_column: str | None, what: str,
    extra: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """``items`` as a frame (ids given alone become column ``"id"``), and its id column.

    ``extra`` columns given as arrays are added (their length checked).
    """
    if isinstance(items, pd.DataFrame):
        frame = items
    else:
        ids = np.asarray(items, dtype=object).ravel()
        frame, id_column = pd.DataFrame({"id": ids}), "id"
    for name, values in (extra or {}).items():
        if values is None or isinstance(values, str):
            continue
        arr = np.asarray(values).ravel()
        if arr.size != len(frame):
            raise InputError(f"{what}: {arr.size} values of {name!r} for {len(frame)} rows",
                             field=name, value=arr.size)
        frame = frame.assign(**{name: arr})
    return frame, id_column


def has_points(frame: pd.DataFrame, x: str, y: str) -> bool:
    """Whether the frame has points: a geometry column, or both coordinate columns."""
    has_geometry = hasattr(frame, "crs") and "geometry" in frame.columns
    return bool(has_geometry or (x in frame.columns and y in frame.columns))


def instance_from_od(
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
    existing: pd.DataFrame | str | None = None,
    name: str = "instance",
    cost_column: str | None = "<auto>",
    **frame_options: Any,
) -> Instance:
    """See :meth:`siting.instance.Instance.from_od_table` (``cost_column``: its ``site_cost``)."""
    od = table if isinstance(table, ODTable) else read_od_table(
        table, origin=origin, destination=destination, cost=cost)
    inst = frames_instance(demand, sites, demand_id=demand_id, site_id=site_id, weight=weight,
                           existing=existing, name=name, cost=cost_column, **frame_options)
    if inst.source is None and od.path is not None:
        inst.source = str(od.path)
    return with_table(inst, od, unit)


def with_table(inst: Instance, od: ODTable, unit: str | None = None) -> Instance:
    """``inst`` with its distances taken from the OD table ``od`` (ids matched as text).

    >>> from siting.instance import Instance
    >>> inst = instance_from_matrix(np.ones((1, 1)), ["a"], ["s"])
    >>> table = read_od_table(pd.DataFrame({"origin": ["a"], "destination": ["s"],
    ...                                     "cost": [9.5]}))
    >>> with_table(inst, table, "min").metric.pair_distance(np.array([0]), np.array([0]))
    array([9.5])
    """
    metric, notes = table_metric(od, inst.demand_ids, inst.site_ids, unit=unit)
    said = f"distances are the costs of {od.label}" + (f", in {unit}" if unit else "") + \
        ": the radius is in the same units; pairs not in it are unreachable"
    return replace(inst, metric=metric, notes=[*inst.notes, said, *notes])


def frames_instance(
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

    Built by :meth:`Instance.from_frames` (its checks and messages); the metric
    is a placeholder for the caller to replace, and the points are dropped when
    the frames have none.
    """
    from siting.instance import Instance

    weight_name: str | None
    if weight is None or isinstance(weight, str):
        weight_name, extra = weight, {}
        if weight == "weight" and not isinstance(demand, pd.DataFrame):
            weight_name = None  # ids given alone: every point counts 1 unless weights are given
    else:
        weight_name, extra = "__siting_weight", {"__siting_weight": weight}
    dframe, demand_id = frame_of(demand, demand_id, "demand", extra)
    sframe, site_id = frame_of(sites, site_id, "sites")
    ex = existing
    points = has_points(dframe, x, y) and has_points(sframe, x, y) and not (
        isinstance(ex, pd.DataFrame) and len(ex) and not has_points(ex, x, y))
    if not points:  # placeholders everywhere, so that from_frames compares like with like
        dframe, sframe = _placeholders(dframe), _placeholders(sframe)
        ex = _placeholders(ex) if isinstance(ex, pd.DataFrame) and len(ex) else ex
        x, y = _NO_X, _NO_Y
    inst = Instance.from_frames(dframe, sframe, demand_id=demand_id, site_id=site_id,
                                weight=weight_name, existing=ex, x=x, y=y, **frame_options)
    if not points:
        inst.demand_xy = inst.site_xy = None
    inst.demand_frame = _without_placeholders(inst.demand_frame)
    inst.site_frame = _without_placeholders(inst.site_frame)
    return inst


def _placeholders(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its geometry, with placeholder points (the table gives distances)."""
    if hasattr(frame, "crs") and "geometry" in frame.columns:
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame.assign(**{_NO_X: 0.0, _NO_Y: 0.0})


def _without_placeholders(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """The user's frame again: without the placeholder points and weights added here."""
    if frame is None:
        return None
    added = [c for c in (_NO_X, _NO_Y, "__siting_weight") if c in frame.columns]
    return frame.drop(columns=added) if added else frame


def instance_from_matrix(
    matrix: ArrayLike | pd.DataFrame | sp.spmatrix | sp.sparray,
    demand_ids: Sequence[Any] | NDArray[Any] | None = None,
    site_ids: Sequence[Any] | NDArray[Any] | None = None,
    weight: ArrayLike | None = None,
    *,
    unit: str | None = None,
    name: str = "instance",
    **arrays: Any,
) -> Instance:
    """See :meth:`siting.instance.Instance.from_cost_matrix`."""
    from siting.instance import Instance

    if isinstance(matrix, pd.DataFrame):
        demand_ids = matrix.index.to_numpy() if demand_ids is None else demand_ids
        site_ids = matrix.columns.to_numpy() if site_ids is None else site_ids
        matrix = matrix.to_numpy(dtype=np.float64, na_value=np.nan)
    shape = _shape(matrix)
    dids = np.arange(shape[0]) if demand_ids is None else np.asarray(demand_ids, dtype=object)
    sids = np.arange(shape[1]) if site_ids is None else np.asarray(site_ids, dtype=object)
    if (dids.size, sids.size) != shape:
        raise InputError(f"the cost matrix is {shape[0]} × {shape[1]} but {dids.size} demand "
                         f"ids and {sids.size} site ids are given", field="matrix",
                         value=f"{shape[0]} × {shape[1]}")
    metric = matrix_metric(matrix, dids, sids, unit=unit)
    w = np.ones(shape[0]) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
    if w.size != shape[0]:
        raise InputError(f"{w.size} weights for {shape[0]} demand points", field="weight",
                         value=w.size)
    given: dict[str, Any] = {k: np.asarray(v, dtype=bool if k == "existing" else np.float64)
                             for k, v in arrays.items() if v is not None}
    inst = Instance(name=name, demand_ids=dids, weight=w, site_ids=sids, metric=metric, **given)
    if isinstance(metric, TableMetric):
        inst.notes.extend(reach_notes("the cost matrix", metric, dids, sids))
    return inst


def _shape(matrix: Any) -> tuple[int, int]:
    shape = tuple(int(s) for s in getattr(matrix, "shape", np.shape(matrix)))
    if len(shape) != 2:
        raise InputError("a cost matrix has two dimensions (demand points × sites)",
                         field="matrix", value=str(shape))
    return shape[0], shape[1]


def matrix_metric(
    matrix: Any, demand_ids: NDArray[Any], site_ids: NDArray[Any], *, unit: str | None = None
) -> Metric:
    """The metric of a cost matrix: dense (small, no holes) or a table of its finite entries.

    A sparse matrix's stored entries are the reachable pairs (a stored 0 costs
    0); NaN and +inf are unreachable; a negative cost is refused naming the pair.
    """
    shape = _shape(matrix)
    if sp.issparse(matrix):
        coo = sp.coo_matrix(matrix)
        rows, cols, data = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
        data = np.asarray(data, dtype=np.float64)
        _refuse_negative(data, rows, cols, demand_ids, site_ids)
        keep = np.isfinite(data)
        rows, cols, data = rows[keep], cols[keep], data[keep]
        keys = rows * max(shape[1], 1) + cols
        if np.unique(keys).size != keys.size:
            k = int(np.flatnonzero(pd.Series(keys).duplicated().to_numpy())[0])
            raise InputError("the cost matrix holds this pair twice (sum_duplicates() adds "
                             "them; keep one)", field="matrix",
                             value=f"{demand_ids[rows[k]]!r} → {site_ids[cols[k]]!r}")
        return TableMetric(rows, cols, data, shape, unit=unit)
    dense = np.asarray(matrix, dtype=np.float64)
    bad = dense < 0
    if bad.any():
        i, j = np.argwhere(bad)[0]
        _refuse_negative(dense[i:i + 1, j], np.array([i]), np.array([j]), demand_ids, site_ids)
    finite = np.isfinite(dense)
    if finite.all() and dense.size <= DENSE_LIMIT and not unit:
        return MatrixMetric(dense)
    rows, cols = np.nonzero(finite)
    return TableMetric(rows, cols, dense[rows, cols], shape, unit=unit)


def _refuse_negative(data: NDArray[np.float64], rows: NDArray[np.int64],
                     cols: NDArray[np.int64], demand_ids: NDArray[Any],
                     site_ids: NDArray[Any]) -> None:
    bad = data < 0
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"negative cost from demand point {demand_ids[rows[k]]!r} to site "
                         f"{site_ids[cols[k]]!r}", field="matrix", value=float(data[k]))
