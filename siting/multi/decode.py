"""The plan in the solver's column values (:func:`decode`): one facility row per
(type, parcel, year) built, with its footprint and estimated cost (:func:`with_costs`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from siting.backends.base import Result
from siting.multi.problem import MultiServiceProblem
from siting.multi.solution import FACILITY_COLUMNS, MultiSolution
from siting.multi.spec import Spec
from siting.multi.types import Layout
from siting.solution import result_fields

FloatArray = NDArray[np.float64]


def decode(prob: MultiServiceProblem, lay: Layout, result: Result) -> MultiSolution:
    """The plan in the column values: one facility row per (type, parcel, year) built."""
    frames: list[pd.DataFrame] = []
    closed: list[Any] = []
    served: dict[tuple[str, int], FloatArray] = {}
    parcels = prob.data.parcels
    has_area = "subdistrict" in parcels.columns
    if result.status.has_solution and result.x is not None:
        x = result.x
        for name, td in prob.types.items():
            J = td.n_cand
            if J:
                w = np.round(x[lay.w[name].slice]).reshape(prob.T, J)
                s = np.round(x[lay.s[name].slice]).reshape(prob.T, J) if name in lay.s else None
                # One row per year in which something is built on the parcel: the model
                # charges each year for what is added that year (a lot may gain spaces
                # later), so rows are increments and their costs fall in their own year.
                built = np.diff(w, axis=0, prepend=0.0)
                grown = np.diff(s, axis=0, prepend=0.0) if s is not None else np.zeros_like(w)
                t, j = np.nonzero((built > 0.5) | (grown > 0.5))
                pos = td.cand[j]
                frames.append(pd.DataFrame({
                    "type": name,
                    "parcel_id": parcels["parcel_id"].to_numpy()[pos],
                    "year": np.asarray(prob.years)[t],
                    "count": np.maximum(built[t, j], 0).astype(int),
                    "spaces": np.maximum(grown[t, j], 0).astype(int),
                    "subdistrict": parcels["subdistrict"].to_numpy()[pos] if has_area else "",
                    "parcel_area_m2": prob.area[pos].astype(float),
                }))
            if td.spec.capacity is not None:
                fam = td.family
                z = x[lay.z[name].slice].reshape(prob.T, fam.size)
                member = fam.block_group >= 0
                for t_index in range(prob.T):
                    share = np.zeros(prob.n_blocks)
                    share[member] = np.clip(z[t_index, fam.block_group[member]], 0.0, 1.0)
                    served[name, t_index] = td.pop * share
            keep = np.round(x[lay.keep[name].slice])
            closed += list(prob.data.existing["facility_id"].iloc[td.existing[keep < 0.5]])
    columns = FACILITY_COLUMNS[:7]
    fac = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    if len(fac):
        fac = fac.sort_values(["type", "year", "parcel_id"], kind="stable").reset_index(drop=True)
    return MultiSolution(
        spec_name=prob.spec.meta.name,
        **result_fields(result),
        facilities=with_costs(prob, fac[columns]),
        closed=closed,
        served=served,
        note=estimate_note(prob.spec),
        data=prob.data,
    )


def estimate_note(spec: Spec) -> str:
    """What the result's numbers rest on that is estimated, in one sentence."""
    if spec.meta.estimated_note:
        return spec.meta.estimated_note
    return "costs and budgets are estimates" if spec.budget.estimated else ""


def with_costs(prob: MultiServiceProblem, fac: pd.DataFrame) -> pd.DataFrame:
    """Footprint and estimated cost of each facility row, from the spec and parcel data."""
    fac = fac.copy()
    if not len(fac):
        fac["footprint_m2"] = pd.Series(dtype=float)
        fac["cost_est"] = pd.Series(dtype=float)
        return fac
    parcels = prob.data.parcels.set_index(prob.data.parcels["parcel_id"])
    foot, cost = [], []
    for r in fac.itertuples():  # one row per chosen facility, not per pair
        f = prob.spec.facility[r.type]
        area = float(parcels.at[r.parcel_id, "area_m2"])
        # r.count is 0 on a row that only adds parking spaces to an existing lot
        fp = (area if r.count else 0.0) if f.whole_parcel else f.footprint_m2 * r.count
        if f.sized:
            assert f.m2_per_space is not None
            fp += r.spaces * f.m2_per_space / f.levels * f.surface_share
        land = 0.0
        if f.land_cost and "land_cost_est" in parcels.columns:
            land = (
                float(parcels.at[r.parcel_id, "land_cost_est"])
                / max(area, 1.0)
                * (area if f.whole_parcel else f.footprint_m2)
                * r.count
            )
        foot.append(fp)
        cost.append(f.build_cost * r.count + land + f.cost_per_space * r.spaces)
    fac["footprint_m2"] = foot
    fac["cost_est"] = cost
    return fac
