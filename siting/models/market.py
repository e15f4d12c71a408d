"""Market share against competitors' facilities: Huff gravity shares, maximised or targeted.

Each demand point ``i`` (weight ``w_i``) splits its weight between every
facility it reaches in proportion to the facility's pull ``A_j f(d_ij)``
(attractiveness × distance decay, :class:`~siting.models.decay.Decay`; Huff
1964, *Defining and estimating a trading area*, Journal of Marketing 28(3)).
With own pull ``U_i`` of the open sites and competitors' pull ``C_i``, the own
sites capture ``w_i U_i / (U_i + C_i)``.

The share is a ratio; Haase (2009), *Discrete location planning* (working
paper ITLS-WP-09-07, University of Sydney), and Haase & Müller (2014), *A
comparison of linear reformulations for multinomial logit choice
probabilities in facility location models*, EJOR 232(3), make it linear and
exact by the proportionality of the choice shares (as for the competitive
model of Benati & Hansen 2002, EJOR 143(3)): with ``x_ij`` the share of ``i``
captured by ``j`` and ``x_i0`` what goes to competitors,

    Σ_j x_ij + x_i0 = 1
    C_i x_ij ≤ u_ij x_i0                 (shares in proportion to pull)
    x_ij ≤ u_ij / (u_ij + C_i) · y_j     (nothing from a closed site)

For fixed ``y`` the largest ``Σ_j x_ij`` is exactly the Huff share. Where no
competitor reaches a point (``C_i = 0``) the second row goes and the point is
captured whole by any open own site in reach.

- :class:`MarketShare` — max ``Σ_i w_i Σ_j x_ij`` with at most ``p`` new sites
  (ArcGIS's Maximize Market Share);
- :class:`TargetShare` — min the number of new sites with
  ``Σ_i w_i Σ_j x_ij ≥ S Σ_i w_i`` (ArcGIS's Target Market Share).

Variables only on pairs with a positive pull (within the cutoff, or every
pair / the ``k`` nearest without one); points with equal pulls and equal
competitors' pull merge into one row. Existing sites are open and own.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> d = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "weight": [100, 100]})
>>> s = pd.DataFrame({"x": [1.0, 9], "y": [0.0, 0]})
>>> rival = pd.DataFrame({"x": [0.0], "y": [1.0]})     # next to point 0
>>> inst = Instance.from_frames(d, s)
>>> MarketShare(p=1, competitors=rival, cutoff=3).solve(inst).objective   # half of 0, or all of 1
100.0
>>> TargetShare(share=0.7, competitors=rival, cutoff=3).solve(inst).objective
2.0
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.coverage import EuclideanMetric, Metric, NetworkMetric, ShapeMetric
from siting.errors import InfeasibleError, InputError, ParameterError
from siting.instance import Instance
from siting.milp import MilpBuilder, Sense
from siting.models.attendance import decayed_pairs
from siting.models.base import Built, check_p, selected_from
from siting.models.decay import Decay
from siting.models.valued_pairs import ValuedPairs, merge_valued_rows
from siting.models.with_start import ModelWithStart, Start

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: Competitors' pull is summed this many competitors at a time without a cutoff.
CHUNK = 256


# ----------------------------------------------------------------- competitors
def read_competitors(source: Any) -> tuple[FloatArray, FloatArray]:
    """Competitors' points and attractiveness from a file, a (Geo)DataFrame or an array.

    A CSV needs columns ``x`` and ``y`` (and may have ``attractiveness``, default
    1); a GeoPackage or GeoJSON gives points as geometry.

    >>> xy, a = read_competitors(pd.DataFrame({"x": [1.0], "y": [2.0]}))
    >>> xy.tolist(), a.tolist()
    ([[1.0, 2.0]], [1.0])
    """
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
    vals = pd.to_numeric(frame[col], errors="coerce")
    bad = vals.isna().to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError("not a number", path=path, row=k + base, field=col,
                         value=str(frame[col].iloc[k]))
    return vals.to_numpy(dtype=np.float64)


def competitor_metric(inst: Instance, xy: FloatArray) -> Metric:
    """Distances from the instance's demand points to competitors, measured as the instance's."""
    metric = inst.metric
    if isinstance(metric, NetworkMetric):
        return NetworkMetric(metric.network, metric.demand_xy, xy)
    if isinstance(metric, (EuclideanMetric, ShapeMetric)):
        return EuclideanMetric(metric.demand_xy, xy)
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
                           minlength=inst.n_demand)
    pull = np.zeros(inst.n_demand)
    demand = np.arange(inst.n_demand, dtype=np.int64)
    for start in range(0, xy.shape[0], CHUNK):  # chunks of competitors, never all pairs kept
        ks = np.arange(start, min(start + CHUNK, xy.shape[0]), dtype=np.int64)
        d = metric.pair_distance(np.repeat(demand, ks.size), np.tile(ks, inst.n_demand))
        pull += (decay.value(d) * np.tile(attr[ks], inst.n_demand)).reshape(-1, ks.size).sum(1)
    return pull


def site_attractiveness(inst: Instance, column: str | None) -> FloatArray:
    """Own sites' attractiveness: the sites' column ``column`` where present, else 1."""
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


# ----------------------------------------------------------------------- models
class HuffModel(ModelWithStart):
    """What the two market models share: competitors, pulls, the share rows."""

    competitors: Any = None
    decay: str = "power"
    beta: float = 1.0
    cutoff: float | None = None
    scale: float = 1.0
    attractiveness: str | None = "attractiveness"
    candidates: int | None = None
    needs_distances: ClassVar[bool] = True

    def decay_function(self) -> Decay:
        return Decay(self.decay, float(self.beta), self.cutoff, float(self.scale))

    def rivals(self) -> tuple[FloatArray, FloatArray]:
        """Competitors' points and attractiveness (read once)."""
        cached = getattr(self, "_rivals", None)
        if cached is None:
            if self.competitors is None:
                raise ParameterError("competitors are required (a file of their points)",
                                     field="competitors")
            cached = read_competitors(self.competitors)
            self._rivals = cached
        return cached

    def params(self) -> dict[str, Any]:
        out = super().params()
        given = out.pop("competitors")
        xy, _ = self.rivals()
        out["competitors"] = str(given) if isinstance(given, (str, Path)) else f"{len(xy)} points"
        out["n_competitors"] = len(xy)
        return out

    def check(self, inst: Instance) -> None:
        super().check(inst)
        self.decay_function()
        self.rivals()
        if self.cutoff is not None:
            inst.check_radius(float(self.cutoff))

    def share_pairs(self, inst: Instance) -> tuple[ValuedPairs, bool]:
        """Pairs with positive pull, merged rows (extra = competitors' pull), completeness."""
        decay = self.decay_function()
        demand, site, dist, complete = decayed_pairs(inst, decay, self.candidates)
        pull = site_attractiveness(inst, self.attractiveness)[site] * decay.value(dist)
        xy, attr = self.rivals()
        rival = competitor_pull(inst, decay, xy, attr)
        keep = (pull > 0) & (inst.weight[demand] > 0)
        return merge_valued_rows(demand[keep], site[keep], pull[keep], inst.weight,
                                 n_demand=inst.n_demand, extra=rival), complete

    def share_rows(self, b: MilpBuilder, inst: Instance, pairs: ValuedPairs) -> Any:
        """Columns y, x (pairs), x0 (rows) and the three row families of the module doc."""
        y = b.add_block("y", inst.n_sites, lower=inst.existing.astype(float), upper=1.0,
                        integer=True, cost=self.site_cost(inst))
        x = b.add_block("x", pairs.size, lower=0.0, upper=1.0,
                        cost=self.pair_cost(pairs))
        x0 = b.add_block("x0", pairs.n_rows, lower=0.0, upper=1.0)
        k = np.arange(pairs.size)
        one = np.ones(pairs.size)
        rival = pairs.extra[pairs.row]
        b.concat_rows(
            [(sp.csr_matrix((one, (pairs.row, k)), shape=(pairs.n_rows, pairs.size)), x),
             (sp.identity(pairs.n_rows, format="csr"), x0)],
            lower=1.0, upper=1.0, name="split",
        )
        ratio = np.flatnonzero(rival > 0)
        scale = np.maximum(rival[ratio], pairs.value[ratio])
        r = np.arange(ratio.size)
        b.concat_rows(
            [(sp.csr_matrix((rival[ratio] / scale, (r, ratio)), shape=(r.size, pairs.size)), x),
             (sp.csr_matrix((-pairs.value[ratio] / scale, (r, pairs.row[ratio])),
                            shape=(r.size, pairs.n_rows)), x0)],
            lower=-np.inf, upper=0.0, name="proportion",
        )
        most = pairs.value / (pairs.value + rival)
        b.concat_rows(
            [(sp.csr_matrix((one, (k, k)), shape=(pairs.size, pairs.size)), x),
             (sp.csr_matrix((-most, (k, pairs.site)), shape=(pairs.size, inst.n_sites)), y)],
            lower=-np.inf, upper=0.0, name="open",
        )
        return y, x, x0

    def site_cost(self, inst: Instance) -> Any:
        return 0.0

    def pair_cost(self, pairs: ValuedPairs) -> Any:
        return 0.0

    def huff(self, inst: Instance, pairs: ValuedPairs) -> Any:
        from siting.heuristics.huff import HuffPairs

        return HuffPairs(pairs.row, pairs.site, pairs.value, pairs.weight, pairs.extra,
                         inst.n_sites)

    def vector(self, built: Built, pairs: ValuedPairs, mask: NDArray[np.bool_]
               ) -> NDArray[np.float64]:
        """Column values of the open set ``mask``: the Huff shares of the module doc."""
        from siting.heuristics.huff import share_of

        own = np.bincount(pairs.row, weights=pairs.value * mask[pairs.site],
                          minlength=pairs.n_rows)
        rival = pairs.extra
        total = own + rival
        x = np.zeros(built.milp.num_cols)
        x[built.milp.block("y").slice] = mask
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(mask[pairs.site], pairs.value / total[pairs.row], 0.0)
        x[built.milp.block("x").slice] = np.nan_to_num(part)
        x[built.milp.block("x0").slice] = 1.0 - share_of(own, rival)
        return x

    def decode(self, inst: Instance, built: Built, x: NDArray[np.float64]) -> dict[str, Any]:
        """The open sites and, per (point, open site), the Huff share it captures."""
        y = x[built.milp.block("y").slice]
        selected, _ = selected_from(inst, y)
        pairs: ValuedPairs = built.data["pairs"]
        mask = (y > 0.5) | inst.existing
        own = np.bincount(pairs.row, weights=pairs.value * mask[pairs.site],
                          minlength=pairs.n_rows)
        total = np.where(pairs.extra > 0, own + pairs.extra, own)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = np.nan_to_num(np.where(mask[pairs.site], pairs.value / total[pairs.row],
                                            0.0))
        # Members take their group's shares (the first member's pairs are the group's).
        member = np.flatnonzero(pairs.group >= 0)
        group = pairs.group[member]
        start = np.searchsorted(pairs.row, group)
        lens = np.searchsorted(pairs.row, group, side="right") - start
        demand = np.repeat(member, lens)
        offset = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        k = np.repeat(start, lens) + offset
        keep = shares[k] > 1e-12
        frame = pd.DataFrame({
            "demand_id": inst.demand_ids[demand[keep]],
            "site_id": inst.site_ids[pairs.site[k[keep]]],
            "fraction": np.clip(shares[k[keep]], 0.0, 1.0),
        })
        return {"selected": selected, "assignment": frame}


@dataclass
class MarketShare(HuffModel):
    """Open at most ``p`` new sites capturing the most weight against competitors."""

    p: int | None = None
    competitors: Any = None
    decay: str = "power"
    beta: float = 1.0
    cutoff: float | None = None
    scale: float = 1.0
    attractiveness: str | None = "attractiveness"
    candidates: int | None = None
    name: ClassVar[str] = "market-share"
    sense: ClassVar[Sense] = "max"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_p(self.p, inst, required=True)

    def pair_cost(self, pairs: ValuedPairs) -> Any:
        return pairs.weight[pairs.row]

    def build(self, inst: Instance) -> Built:
        assert self.p is not None
        pairs, complete = self.share_pairs(inst)
        b = MilpBuilder()
        y, _, _ = self.share_rows(b, inst, pairs)
        new = (~inst.existing).astype(float)
        b.add_rows(sp.csr_matrix(new[None, :]), lower=-np.inf, upper=float(self.p), cols=y,
                   name="p")
        stats = {"demand_rows": inst.n_demand, "rows_merged": int((pairs.group >= 0).sum()
                                                                  - pairs.n_rows)}
        return Built(b.build(sense="max"), {"pairs": pairs, "complete": complete,
                                            "reduction": stats})

    def start(self, inst: Instance, built: Built, time_limit: float | None) -> Start | None:
        from siting.heuristics.huff import share_greedy, share_swap

        assert self.p is not None
        pairs: ValuedPairs = built.data["pairs"]
        hp = self.huff(inst, pairs)
        mask = share_greedy(hp, self.p, inst.existing)
        mask = share_swap(hp, mask, inst.existing, time_limit=time_limit)
        return Start(self.vector(built, pairs, mask))


@dataclass
class TargetShare(HuffModel):
    """Open the fewest new sites that capture at least ``share`` of all weight."""

    share: float | None = None
    competitors: Any = None
    decay: str = "power"
    beta: float = 1.0
    cutoff: float | None = None
    scale: float = 1.0
    attractiveness: str | None = "attractiveness"
    candidates: int | None = None
    name: ClassVar[str] = "target-share"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        s = self.share
        if s is None or not (isinstance(s, (int, float)) and 0 < float(s) <= 1):
            raise ParameterError("share must be a number in (0, 1]", field="share", value=s)

    def site_cost(self, inst: Instance) -> Any:
        return (~inst.existing).astype(float)

    def target(self, inst: Instance) -> float:
        assert self.share is not None
        return float(self.share) * float(inst.weight.sum())

    def build(self, inst: Instance) -> Built:
        from siting.heuristics.huff import captured

        pairs, complete = self.share_pairs(inst)
        reach = captured(self.huff(inst, pairs), np.ones(inst.n_sites, dtype=bool))
        total = float(inst.weight.sum())
        if reach < self.target(inst) * (1 - 1e-9):
            raise InfeasibleError(
                f"{self.name}: at most {reach / total:.2%} of the weight can be captured with "
                f"every site open; {float(self.share or 0):.2%} asked"
            )
        b = MilpBuilder()
        _, x, _ = self.share_rows(b, inst, pairs)
        b.add_rows(sp.csr_matrix(pairs.weight[pairs.row][None, :]),
                   lower=self.target(inst) * (1 - 1e-9), upper=np.inf, cols=x, name="target")
        stats = {"demand_rows": inst.n_demand, "rows_merged": int((pairs.group >= 0).sum()
                                                                  - pairs.n_rows),
                 "reachable_share": reach / total if total else 1.0}
        return Built(b.build(sense="min"), {"pairs": pairs, "complete": complete,
                                            "reduction": stats})

    def start(self, inst: Instance, built: Built, time_limit: float | None) -> Start | None:
        from siting.heuristics.huff import share_drop, share_greedy

        pairs: ValuedPairs = built.data["pairs"]
        hp = self.huff(inst, pairs)
        goal = self.target(inst)
        mask = share_greedy(hp, None, inst.existing, target=goal)
        mask = share_drop(hp, mask, inst.existing, goal)
        return Start(self.vector(built, pairs, mask))


