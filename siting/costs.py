"""Distances given as data, and frames given as ids: the pieces of
:meth:`siting.instance.Instance.from_od_table` and
:meth:`~siting.instance.Instance.from_cost_matrix`.

A cost matrix becomes a :class:`~siting.coverage.table.TableMetric` (a dense
matrix without holes, when small, a :class:`~siting.coverage.given.MatrixMetric`);
demand points and sites given as plain id arrays become frames, with
placeholder points when they have none, so that
:meth:`~siting.instance.Instance.from_frames` checks every column the same way.

>>> metric = matrix_metric(np.array([[3.0, np.inf], [np.nan, 1.0]]),
...                        np.array(["a", "b"]), np.array(["s", "t"]), unit="min")
>>> metric.kind, metric.pair_distance(np.array([1]), np.array([0])).tolist()
('travel table (min)', [inf])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.coverage import MatrixMetric, Metric
from siting.coverage.table import TableMetric
from siting.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

#: A dense matrix without unreachable pairs stays dense up to this many entries.
DENSE_LIMIT = 4_000_000
#: Private coordinate columns for frames that have none (the table gives the distances).
NO_X, NO_Y = "__siting_no_x", "__siting_no_y"
#: Private column of weights given as an array beside demand ids or a frame.
WEIGHT_COLUMN = "__siting_weight"


def frame_of(
    items: pd.DataFrame | Sequence[Any] | NDArray[Any], id_column: str | None, what: str,
    extra: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """``items`` as a frame (ids given alone become column ``"id"``), and its id column.

    ``extra`` columns given as arrays are added (their length checked).
    """
    import pandas as pd

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


def with_placeholders(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its geometry, with placeholder points (the table gives distances)."""
    import pandas as pd

    if hasattr(frame, "crs") and "geometry" in frame.columns:
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame.assign(**{NO_X: 0.0, NO_Y: 0.0})


def without_placeholders(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """The user's frame again: without the placeholder points and weights added here."""
    if frame is None:
        return None
    added = [c for c in (NO_X, NO_Y, WEIGHT_COLUMN) if c in frame.columns]
    return frame.drop(columns=added) if added else frame


def matrix_shape(matrix: Any) -> tuple[int, int]:
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
    import pandas as pd

    shape = matrix_shape(matrix)
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
