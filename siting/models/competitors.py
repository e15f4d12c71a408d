"""Competitors' facilities and attractiveness, for the market models.

Competitors come from a file (CSV with ``x``, ``y`` and optionally
``attractiveness``; or a GeoPackage / GeoJSON of points), a (Geo)DataFrame
or an array of points. Their distances to the demand points are measured as
the instance measures its own (straight lines, or walking on its network).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.coverage import EuclideanMetric, Metric, ShapeMetric
from siting.errors import InputError, ParameterError
from siting.instance import Instance
from siting.models.decay import Decay

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]
#: Competitors' pull is summed this many competitors at a time without a cutoff.
CHUNK = 256
#: Most (point, competitor) distances held at once without a cutoff.
PAIRS_AT_ONCE = 2_000_000


def read_competitors(source: Any) -> tuple[FloatArray, FloatArray]:
    """Competitors' points and attractiveness from a file, a (Geo)DataFrame or an array.

    A CSV needs columns ``x`` and ``y`` (and may have ``attractiveness``, default
    1); a GeoPackage or GeoJSON gives points as geometry.

    >>> import pandas as pd
    >>> xy, a = read_competitors(pd.DataFrame({"x": [1.0], "y": [2.0]}))
    >>> xy.tolist(), a.tolist()
    ([[1.0, 2.0]], [1.0])
    """
    import pandas as pd

    path = None
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise InputError("file not found", path=path, field="competitors")
        if path.suffix.lower() == ".csv":
            try:
                frame = pd.read_csv(path)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
                    ValueError) as exc:
                raise InputError(f"not a readable CSV: {str(exc).splitlines()[0]}",
                                 path=path) from None
        else:
            import geopandas as gpd

            try:
                frame = gpd.read_file(path)
            except Exception as exc:  # GDAL's message, on one line
                raise InputError(f"not a readable file: {str(exc).splitlines()[0]}",
                                 path=path) from None
    elif isinstance(source, pd.DataFrame):
        frame = source
    else:
        xy = np.asarray(source, dtype=np.float64).reshape(-1, 2)
        frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
    return _frame_points(frame, path)


def _frame_points(frame: pd.DataFrame, path: Path | None) -> tuple[FloatArray, FloatArray]:
    base = 2 if path is not None and path.suffix.lower() == ".csv" else 1
    if len(frame) == 0:
        raise InputError("no competitors (empty)", path=path, field="competitors")
    if "geometry" in frame.columns and hasattr(frame, "crs"):
        from siting.coverage import points_of

        xy = points_of(frame.geometry.to_numpy())
    else:
        for col in ("x", "y"):
            if col not in frame.columns:
                raise InputError(f"competitors have no column {col!r}", path=path, field=col)
        xy = np.column_stack([_numbers(frame, c, path, base) for c in ("x", "y")])
    attr = (
        _numbers(frame, "attractiveness", path, base) if "attractiveness" in frame.columns
        else np.ones(len(frame))
    )
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError("competitor coordinate is not a finite number", path=path,
                         row=k + base, field="x", value=str(xy[k].tolist()))
    bad_attr = ~np.isfinite(attr) | (attr <= 0)
    if bad_attr.any():
        k = int(np.flatnonzero(bad_attr)[0])
        raise InputError("must be a finite number > 0", path=path, row=k + base,
                         field="attractiveness", value=float(attr[k]))
    return xy, attr


def _numbers(frame: pd.DataFrame, col: str, path: Path | None, base: int) -> FloatArray:
    import pandas as pd

    vals = pd.to_numeric(frame[col], errors="coerce")
    bad = vals.isna().to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError("not a number", path=path, row=k + base, field=col,
                         value=str(frame[col].iloc[k]))
    return vals.to_numpy(dtype=np.float64)


def competitor_metric(inst: Instance, xy: FloatArray) -> Metric:
    """Distances from the instance's demand points to competitors, measured as the instance's."""
    from siting.coverage.walking import NetworkMetric  # graphs only for walking distances

    metric = inst.metric
    if isinstance(metric, NetworkMetric):
        return NetworkMetric(metric.network, metric.demand_xy, xy)
    if isinstance(metric, (EuclideanMetric, ShapeMetric)):
        return EuclideanMetric(metric.demand_xy, xy)
    if getattr(metric, "from_table", False):
        raise ParameterError(
            f"{inst.name}'s distances are a {metric.kind}, which holds no pairs to the "
            "competitors: their distances cannot be measured alike",
            path=inst.source, field="competitors",
        )
    raise ParameterError(
        f"{inst.name} has no demand coordinates: competitors' distances cannot be measured",
        path=inst.source, field="competitors",
    )


def competitor_pull(inst: Instance, decay: Decay, xy: FloatArray, attr: FloatArray
                    ) -> FloatArray:
    """``C_i = Σ_k A_k f(d_ik)`` per demand point (within the cutoff, or over every competitor)."""
    metric = competitor_metric(inst, xy)
    if decay.cutoff is not None:
        coo = sp.coo_matrix(metric.within(decay.cutoff))
        dist = np.where(coo.data <= 1e-11, 0.0, coo.data)
        return np.bincount(coo.row, weights=attr[coo.col] * decay.value(dist),
                           minlength=inst.n_demand).astype(np.float64)
    pull = np.zeros(inst.n_demand)
    demand = np.arange(inst.n_demand, dtype=np.int64)
    step = max(1, min(CHUNK, PAIRS_AT_ONCE // max(inst.n_demand, 1)))
    for start in range(0, xy.shape[0], step):  # chunks of competitors, never all pairs kept
        ks = np.arange(start, min(start + step, xy.shape[0]), dtype=np.int64)
        d = metric.pair_distance(np.repeat(demand, ks.size), np.tile(ks, inst.n_demand))
        pull += (decay.value(d) * np.tile(attr[ks], inst.n_demand)).reshape(-1, ks.size).sum(1)
    return pull


def site_attractiveness(inst: Instance, column: str | None) -> FloatArray:
    """Own sites' attractiveness: the sites' column ``column`` where present, else 1."""
    import pandas as pd

    frame = inst.site_frame
    if column is None or frame is None or column not in frame.columns:
        return np.ones(inst.n_sites)
    vals = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(vals) | (vals <= 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"must be a finite number > 0 (site {inst.site_ids[k]!r})",
                         path=inst.source, field=column, value=str(frame[column].iloc[k]))
    return vals
