"""A classic solution's results as frames of the user's own rows.

:meth:`Solution.demand_frame <siting.solution.Solution.demand_frame>` and
:meth:`Solution.sites_frame <siting.solution.Solution.sites_frame>` start from
the frames the instance was built from (every input column and, for a
GeoDataFrame, its geometry and index) and add siting's columns:

- demand, covering models: ``demand_id``, ``weight``, ``covered`` (open sites
  within the radius), ``covering_sites`` (their ids: spopt's ``cli2fac``),
  ``nearest_site`` and ``distance`` (the nearest open site, within the radius
  or not);
- demand, assignment models: ``demand_id``, ``site_id`` (the site serving the
  largest share), ``share`` and ``distance``;
- sites: ``site_id``, ``existing``, ``demand_ids`` (the points it covers or
  serves: spopt's ``fac2cli``), ``n_demand`` and ``served_weight``.

Siting's columns keep their names whatever the input, so code that reads them
works on any data. An input column with one of these names is kept as
``NAME_input`` (a :class:`InputColumnRenamed` warning says so), unless it holds
the same values (a ``demand_id`` column of the ids themselves is kept once).

>>> import pandas as pd
>>> from siting import Instance, MCLP
>>> d = pd.DataFrame({"id": ["a", "b"], "x": [0.0, 10.0], "y": [0.0, 0.0], "weight": [5, 3],
...                   "district": ["north", "south"]})
>>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d, demand_id="id", site_id="id"))
>>> sol.demand_frame()[["id", "district", "covered", "nearest_site", "distance"]]
  id district  covered nearest_site  distance
0  a    north        1            a       0.0
1  b    south        0            a      10.0
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from siting.solution_base import _with_points

if TYPE_CHECKING:
    from siting.instance import Instance


class Solution(Protocol):
    """What the frames read of a classic solution (:class:`siting.solution.Solution`,
    the floor above, which calls these functions)."""

    selected: list[Any]
    existing: list[Any]
    params: dict[str, Any]
    assignment: pd.DataFrame | None
    coverage: pd.DataFrame | None
    source: Instance | None

    def demand_frame(self, *, input_columns: bool = True) -> pd.DataFrame:
        """The demand points' frame."""

    def coverage_counts(self) -> Any:
        """A covering model's coverage arrays while its frame is unread, else None."""

__all__ = [
    "InputColumnRenamed", "covered_share", "demand_table", "lines_table", "nearest_open",
    "plain_demand", "plain_sites", "served_distances", "site_table", "with_input", "with_points",
]


class InputColumnRenamed(UserWarning):
    """An input column had the name of a column siting adds, and was kept as ``NAME_input``.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from siting import Instance, MCLP
    >>> d = pd.DataFrame({"x": [0.0], "y": [0.0], "weight": [1], "covered": ["yes"]})
    >>> sol = MCLP(radius=1, p=1).solve(Instance.from_frames(d, d))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     frame = sol.demand_frame()
    >>> caught[0].category.__name__, list(frame.columns[:4])
    ('InputColumnRenamed', ['x', 'y', 'weight', 'covered_input'])
    """


def demand_table(sol: Solution, *, detail: bool = True) -> pd.DataFrame:
    """One row per demand point in the instance's order (siting's columns only).

    ``detail=False`` gives the columns written to the solution folder's files
    (no list-valued column); ``True`` adds the covering models' open sites.
    """
    inst = sol.source
    if sol.coverage is not None:
        frame = sol.coverage.copy()
    elif sol.assignment is not None:
        main = sol.assignment.sort_values(
            ["demand_id", "fraction"], ascending=[True, False], kind="stable"
        ).drop_duplicates("demand_id")
        frame = main.rename(columns={"fraction": "share"})
    else:
        return pd.DataFrame(columns=["demand_id"])
    if inst is None:
        return frame.reset_index(drop=True)
    d_pos = pd.Index(inst.demand_ids).get_indexer(frame["demand_id"].to_numpy())
    if "site_id" in frame.columns:
        s_pos = inst.site_positions(frame["site_id"].to_numpy())
        frame["distance"] = inst.metric.pair_distance(d_pos.astype(np.int64), s_pos)
    frame = frame.set_index(d_pos).sort_index()
    if detail and sol.coverage is not None and len(frame) == inst.n_demand:
        frame = _add_covering_sites(frame, sol, inst)
    return frame.reset_index(drop=True)


def _open_positions(sol: Solution, inst: Instance) -> np.ndarray:
    ids = list(dict.fromkeys([*sol.selected, *sol.existing]))
    return np.sort(inst.site_positions(ids)) if ids else np.zeros(0, dtype=np.int64)


def nearest_open(sol: Solution, inst: Instance) -> tuple[np.ndarray, np.ndarray] | None:
    """Each demand point's nearest open site (position, -1 for none) and its distance;
    None when the instance has no distances or nothing is open."""
    open_pos = _open_positions(sol, inst)
    if not inst.metric.has_distances or not open_pos.size:
        return None
    near, dist = inst.metric.nearest_in(open_pos)
    return np.asarray(near), np.asarray(dist, dtype=np.float64)


def _add_covering_sites(frame: pd.DataFrame, sol: Solution, inst: Instance) -> pd.DataFrame:
    """``covering_sites``, ``nearest_site`` and ``distance`` of every demand point."""
    open_pos = _open_positions(sol, inst)
    radius = sol.params.get("radius")
    if radius is None and not inst.metric.has_distances:
        radius = 0.0  # a coverage relation (set covering data): the relation itself
    covering: list[list[Any]] = [[] for _ in range(inst.n_demand)]
    if radius is not None and open_pos.size:
        within = inst.metric.within(float(radius)).tocsc()[:, open_pos].tocsr()
        ids = inst.site_ids[open_pos]
        covering = [part.tolist() for part in np.split(ids[within.indices], within.indptr[1:-1])]
    frame["covering_sites"] = pd.Series(covering, index=frame.index, dtype=object)
    found = nearest_open(sol, inst)
    if found is None:
        frame["nearest_site"] = None
        frame["distance"] = np.nan
        return frame
    near, dist = found
    nearest = inst.site_ids[np.maximum(near, 0)].astype(object)
    nearest[near < 0] = None  # reaches no open site
    frame["nearest_site"] = nearest
    frame["distance"] = dist
    return frame


def site_table(sol: Solution) -> pd.DataFrame:
    """The selected sites (siting's columns only), with the points each serves or covers."""
    frame = pd.DataFrame({"site_id": list(sol.selected)})
    frame["existing"] = frame["site_id"].isin(set(sol.existing))
    inst = sol.source
    if inst is None or not len(frame):
        return frame
    if sol.assignment is not None:
        a = sol.assignment[sol.assignment["fraction"] > 0]
        w = pd.Series(inst.weight, index=pd.Index(inst.demand_ids))
        served = a.assign(w=w.reindex(a["demand_id"]).to_numpy() * a["fraction"].to_numpy())
        by_site = served.groupby("site_id", sort=False)
        points = by_site["demand_id"].agg(list)
        weight = by_site["w"].sum()
    elif sol.coverage is not None:
        table = demand_table(sol)
        if "covering_sites" not in table.columns:
            return frame
        long = table[["demand_id", "weight", "covering_sites"]].explode("covering_sites")
        long = long.dropna(subset=["covering_sites"])
        by_site = long.groupby("covering_sites", sort=False)
        points = by_site["demand_id"].agg(list)
        weight = by_site["weight"].sum()
    else:
        return frame
    frame["demand_ids"] = [points.get(s, []) for s in frame["site_id"]]
    frame["n_demand"] = [len(v) for v in frame["demand_ids"]]
    frame["served_weight"] = weight.reindex(frame["site_id"]).fillna(0.0).to_numpy(float)
    return frame


def with_input(table: pd.DataFrame, user: pd.DataFrame | None, positions: np.ndarray,
               xy: np.ndarray | None, crs: Any) -> pd.DataFrame:
    """The user's rows at ``positions`` with ``table``'s columns added (see the module).

    Without the user's frame (a file format with ids only), ``table`` itself,
    with points from ``xy`` when there are coordinates.
    """
    if user is None or len(positions) != len(table) or (
            len(positions) and int(np.max(positions)) >= len(user)):
        return table if xy is None else with_points(table, xy[positions], crs)
    rows = user.iloc[positions]
    added = table
    keep, renamed = [], {}
    for col in rows.columns:
        if col not in added.columns:
            continue
        if _same(rows[col], added[col]):
            keep.append(col)
        else:
            name = f"{col}_input"
            while name in rows.columns or name in added.columns:
                name += "_input"
            renamed[col] = name
    if renamed:
        warnings.warn(
            "input column(s) " + ", ".join(repr(c) for c in renamed) + " have the name of a "
            "column siting adds; kept as " + ", ".join(repr(v) for v in renamed.values()),
            InputColumnRenamed, stacklevel=3)
    # Side by side by position: the user's index may repeat labels.
    out = pd.concat([rows.rename(columns=renamed).reset_index(drop=True),
                     added.drop(columns=keep).reset_index(drop=True)], axis=1)
    out.index = rows.index
    if _is_geo(user):
        import geopandas as gpd

        return gpd.GeoDataFrame(out, geometry=user.geometry.name, crs=user.crs)
    if xy is None:
        return out
    return with_points(out, xy[positions], crs, index=out.index)


def _same(a: pd.Series, b: pd.Series) -> bool:
    """Whether an input column holds the values siting would put there (ids, weights)."""
    x, y = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
    if x.notna().all() and y.notna().all():
        return bool(np.allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-12, atol=0))
    return bool((a.astype(str).to_numpy() == b.astype(str).to_numpy()).all())


def _is_geo(frame: pd.DataFrame) -> bool:
    geometry = getattr(frame, "_geometry_column_name", None)
    return geometry is not None and geometry in frame.columns


def with_points(frame: pd.DataFrame, xy: np.ndarray, crs: Any,
                index: pd.Index | None = None) -> pd.DataFrame:
    """``frame`` as a GeoDataFrame of points ``xy``."""
    import geopandas as gpd

    frame = frame.reset_index(drop=True) if index is None else frame
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1], crs=crs), crs=crs
    )


# ----------------------------------------------------------------- measures
def served_distances(sol: Solution) -> tuple[np.ndarray, np.ndarray] | None:
    """Weight and distance of each (point, site) share served (assignment models), or of
    each point that reaches an open site, to the nearest one (covering models); None
    without distances."""
    inst = sol.source
    if inst is None or not inst.metric.has_distances:
        return None
    if sol.assignment is not None:
        a = sol.assignment[sol.assignment["fraction"] > 0]
        d_pos = pd.Index(inst.demand_ids).get_indexer(a["demand_id"].to_numpy())
        s_pos = inst.site_positions(a["site_id"].to_numpy())
        dist = inst.metric.pair_distance(d_pos.astype(np.int64), s_pos)
        return inst.weight[d_pos] * a["fraction"].to_numpy(float), dist
    if sol.coverage is not None:
        found = nearest_open(sol, inst)
        if found is None:
            return None
        dist = found[1]
        reach = np.isfinite(dist)
        return inst.weight[reach], dist[reach]
    return None


def covered_share(sol: Solution) -> float | None:
    """Share of the demand weight covered or served (:attr:`Solution.share_covered
    <siting.solution.Solution.share_covered>`); None without the instance."""
    if sol.source is None:
        return None
    total = float(sol.source.weight.sum())
    counts = sol.coverage_counts()  # before reading the frame, which would build it
    if counts is not None:
        covered = counts.covered_weight()
    elif sol.coverage is not None:
        c = sol.coverage
        covered = float(c.loc[c["covered"] > 0, "weight"].sum())
    elif sol.assignment is not None:
        w = pd.Series(sol.source.weight, index=pd.Index(sol.source.demand_ids))
        a = sol.assignment
        covered = float((w.reindex(a["demand_id"]).to_numpy() * a["fraction"]).sum())
    else:
        return None
    return covered / total if total > 0 else None


# ------------------------------------------------------------------- layers
def lines_table(sol: Solution) -> pd.DataFrame:
    """Assignment models' lines (:meth:`Solution.lines_frame
    <siting.solution.Solution.lines_frame>`); an empty frame for covering models."""
    inst = sol.source
    if sol.assignment is None or inst is None or inst.site_xy is None:
        return pd.DataFrame(columns=["demand_id", "site_id", "fraction", "distance"])
    import geopandas as gpd
    import shapely

    a = sol.assignment.reset_index(drop=True)
    d_pos = pd.Index(inst.demand_ids).get_indexer(a["demand_id"].to_numpy()).astype(np.int64)
    s_pos = inst.site_positions(a["site_id"].to_numpy())
    frame = a.assign(distance=inst.metric.pair_distance(d_pos, s_pos))
    if inst.demand_xy is None:
        return frame
    start, end = inst.demand_xy[d_pos], inst.site_xy[s_pos]
    coords = np.stack([start, end], axis=1)  # n × 2 points × (x, y)
    return gpd.GeoDataFrame(frame, geometry=shapely.linestrings(coords), crs=inst.crs)


def plain_sites(sol: Solution) -> pd.DataFrame:
    """The selected sites as written to files: id, existing, point."""
    frame = pd.DataFrame({"site_id": list(sol.selected)})
    frame["existing"] = frame["site_id"].isin(set(sol.existing))
    inst = sol.source
    if inst is None or inst.site_xy is None or not len(frame):
        return frame
    pos = inst.site_positions(frame["site_id"].to_numpy())
    return _with_points(frame, inst.site_xy[pos], inst.crs)


def plain_demand(sol: Solution) -> pd.DataFrame:
    """The demand points as written to files: siting's scalar columns and points."""
    frame = demand_table(sol, detail=False)
    inst = sol.source
    if inst is None or inst.demand_xy is None or "demand_id" not in frame.columns:
        return frame
    pos = pd.Index(inst.demand_ids).get_indexer(frame["demand_id"].to_numpy())
    return _with_points(frame, inst.demand_xy[pos], inst.crs)
