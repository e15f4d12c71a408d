"""Verifiers of the catalogue models: dispersion, capacitated, weighted center, attendance, market.

Each recomputes what the solution claims from the instance by a route of its
own (:meth:`~siting.coverage.Metric.nearest_in`, pair distances one open site
or one competitor at a time), never from the solver's arrays, and is
registered for its model class (:func:`siting.verify.verifies`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.instance import Instance
from siting.models.dispersion import PDispersion, site_metric
from siting.solution import Solution
from siting.verify import verifies
from siting.verify.classic import _check_p, _finish, _open_sites
from siting.verify.report import REL_TOL, VerifyReport

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
#: Absolute slack (in weight units) on capacities and shares.
SLACK = 1e-6


@verifies(PDispersion)
def verify_dispersion(inst: Instance, model: PDispersion, sol: Solution) -> VerifyReport:
    """Exactly ``p`` new sites; the objective is the least distance between open sites."""
    rep = VerifyReport()
    pos = _open_sites(inst, sol, rep)
    if pos is None:
        return rep
    _check_p(pos[~inst.existing[pos]], sol.params.get("p"), rep, exact=True)
    if pos.size < 2:
        rep.fail("fewer than two open sites: no distance between them")
        return rep
    a, b = np.triu_indices(pos.size, k=1)
    rep.objective = float(site_metric(inst).pair_distance(pos[a], pos[b]).min())
    return _finish(rep, model, sol)


def _positions(inst: Instance, frame: pd.DataFrame | None, rep: VerifyReport) -> Any:
    """(demand, site, fraction) positions of an assignment table; None when unusable."""
    if frame is None:
        rep.fail("no assignment given")
        return None
    d_pos = pd.Index(inst.demand_ids).get_indexer(frame["demand_id"].to_numpy())
    s_pos = pd.Index(inst.site_ids).get_indexer(frame["site_id"].to_numpy())
    if (d_pos < 0).any() or (s_pos < 0).any():
        rep.fail("assignment names an unknown demand point or site")
        return None
    frac = frame["fraction"].to_numpy(dtype=np.float64)
    if (frac < -1e-9).any() or (frac > 1 + 1e-9).any():
        rep.fail("an assignment fraction is outside [0, 1]")
    return d_pos.astype(np.int64), s_pos.astype(np.int64), frac


def _new(inst: Instance, pos: IntArray) -> IntArray:
    return pos[~inst.existing[pos]]


def _open_mask(inst: Instance, pos: IntArray) -> NDArray[np.bool_]:
    mask = np.zeros(inst.n_sites, dtype=bool)
    mask[pos] = True
    return mask


def _first(inst: Instance, rows: NDArray[np.bool_]) -> str:
    return repr(inst.demand_ids[np.flatnonzero(rows)[0]])
