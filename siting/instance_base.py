"""What an instance is once built: its fields, sizes, site positions and radius check.

:class:`~siting.instance.Instance` (re-exported by :mod:`siting.instance` with
:class:`GeographicCRSWarning`) adds the constructors from frames, tables and
matrices; this base holds the arrays aligned by position and checks them.

>>> import numpy as np
>>> from siting.coverage import EuclideanMetric
>>> xy = np.array([[0.0, 0.0], [3.0, 4.0]])
>>> InstanceBase("two", np.array(["a", "b"]), np.array([1.0, 2.0]), np.array(["s", "t"]),
...              EuclideanMetric(xy, xy)).n_sites
2
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from siting.coverage import Metric
from siting.errors import InputError
from siting.instance_checks import (
    as_crs,
    check_unique,
    check_values,
    text_ids,
)

if TYPE_CHECKING:
    import pandas as pd


class GeographicCRSWarning(UserWarning):
    """A radius in metres meets coordinates in degrees."""


@dataclass
class InstanceBase:
    """The fields of an :class:`~siting.instance.Instance` and what it answers once built.

    Its constructors (from frames, tables, matrices) are the subclass's.
    """

    name: str
    demand_ids: NDArray[Any]
    weight: NDArray[np.float64]
    site_ids: NDArray[Any]
    metric: Metric
    site_cost: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    fixed_cost: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    capacity: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    existing: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: True when assignment cost is weight × distance; False when the metric
    #: already holds the cost of serving a point's whole demand (OR-Library cap).
    cost_scales_with_weight: bool = True
    crs: Any = None
    source: str | None = None
    demand_frame: pd.DataFrame | None = None
    site_frame: pd.DataFrame | None = None
    #: Point coordinates (in ``crs``) where the data have them, for maps and GeoDataFrames.
    demand_xy: NDArray[np.float64] | None = None
    site_xy: NDArray[np.float64] | None = None
    #: Reprojections and defaults taken while loading, one plain sentence each.
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        m = len(self.site_ids)
        self.weight = np.asarray(self.weight, dtype=np.float64)
        if self.site_cost.size == 0:
            self.site_cost = np.ones(m)
        if self.fixed_cost.size == 0:
            self.fixed_cost = self.site_cost.copy()
        if self.capacity.size == 0:
            self.capacity = np.full(m, np.inf)
        if self.existing.size == 0:
            self.existing = np.zeros(m, dtype=bool)
        check_values(self.weight, "weight", self.demand_ids, self.source, allow_zero=True)
        check_values(self.site_cost, "cost", self.site_ids, self.source, allow_zero=True)
        check_values(self.fixed_cost, "fixed_cost", self.site_ids, self.source, allow_zero=True)
        check_values(
            self.capacity, "capacity", self.site_ids, self.source, allow_zero=True, allow_inf=True
        )
        check_unique(self.demand_ids, "demand id", self.source)
        check_unique(self.site_ids, "site id", self.source)
        if (self.metric.n_demand, self.metric.n_sites) != (len(self.demand_ids), m):
            raise InputError(
                f"metric is {self.metric.n_demand} × {self.metric.n_sites} but the instance has "
                f"{len(self.demand_ids)} demand points and {m} sites",
                path=self.source,
            )

    @property
    def n_demand(self) -> int:
        """The number of demand points.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting.instance import Instance
        >>> d = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 0.0]})
        >>> Instance.from_frames(d, d.head(1), weight=None).n_demand
        2
        """
        return len(self.demand_ids)

    @property
    def n_sites(self) -> int:
        """The number of sites, existing facilities included.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting.instance import Instance
        >>> d = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 0.0]})
        >>> Instance.from_frames(d, d.head(1), weight=None).n_sites
        1
        """
        return len(self.site_ids)

    def site_positions(self, ids: Any) -> NDArray[np.int64]:
        """Positions of the given site ids in :attr:`site_ids`.

        Parameters
        ----------
        ids : array-like
            Site ids.

        Returns
        -------
        numpy.ndarray of int64
            Their positions, in the order given.

        Raises
        ------
        siting.InputError
            An id that is not a site of the instance, named.

        Examples
        --------
        >>> import pandas as pd
        >>> from siting.instance import Instance
        >>> d = pd.DataFrame({"id": ["a", "b"], "x": [0.0, 1.0], "y": [0.0, 0.0]})
        >>> inst = Instance.from_frames(d, d, demand_id="id", site_id="id", weight=None)
        >>> inst.site_positions(["b", "a"])
        array([1, 0])
        """
        ids_arr = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)
        if ids_arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        pos = positions_in(self.site_ids, ids_arr)
        if (pos < 0).any():
            bad = ids_arr[pos < 0][0]
            raise InputError("unknown site id", path=self.source, field="site", value=str(bad))
        return pos.astype(np.int64)

    def check_radius(self, radius: float) -> None:
        """Warn (once per instance) when a metric radius meets a geographic CRS (degrees)."""
        crs = as_crs(self.crs)
        # A table's distances are in its own units, whatever the points' CRS.
        from_table = getattr(self.metric, "from_table", False)
        warned = getattr(self, "_warned_crs", False)
        if crs is not None and crs.is_geographic and not from_table and not warned:
            self._warned_crs = True
            warnings.warn(
                f"{self.name}: coordinates are in a geographic CRS ({crs.name}) but radius "
                f"{radius:g} is read in its units (degrees); project to a metric CRS first "
                "(e.g. GeoDataFrame.to_crs(gdf.estimate_utm_crs()))",
                GeographicCRSWarning,
                stacklevel=3,
            )


def positions_in(known: NDArray[Any], ids: NDArray[Any]) -> NDArray[np.int64]:
    """Each id's position in ``known`` (unique ids), -1 where absent: integers with integers
    and text with text by sorting, other mixes by pandas' index.

    >>> positions_in(np.array([30, 10, 20]), np.array([20, 30, 99]))
    array([ 2,  0, -1])
    >>> positions_in(np.array(["a", 1], dtype=object), np.array([1, "b"], dtype=object))
    array([ 1, -1])
    """
    known, ids = text_ids(known), text_ids(ids)
    kinds = {known.dtype.kind, ids.dtype.kind}
    if kinds <= {"i", "u"} or kinds == {"U"}:
        order = np.argsort(known, kind="stable")
        at = np.minimum(np.searchsorted(known, ids, sorter=order), max(known.size - 1, 0))
        found = order[at] if known.size else np.zeros(ids.size, dtype=np.int64)
        hit = known[found] == ids if known.size else np.zeros(ids.size, dtype=bool)
        return np.where(hit, found, -1).astype(np.int64)
    import pandas as pd

    return pd.Index(known).get_indexer(ids).astype(np.int64)
