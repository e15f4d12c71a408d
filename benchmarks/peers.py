"""Peer implementations, written the way their users write them.

- PySAL spopt: distance matrix with ``scipy.spatial.distance.cdist``, then
  ``MCLP.from_cost_matrix`` / ``PMedian.from_cost_matrix`` and PuLP's CBC.
- Bare HiGHS: the textbook model typed in with highspy, one row per demand
  point (coverage from a KD-tree), no reductions, no warm start.

These are deliberately peer-style (Python loops over rows are the peer's way).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def spopt_mclp(
    demand_xy: np.ndarray, site_xy: np.ndarray, weight: np.ndarray, radius: float, p: int,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """spopt's MCLP with PuLP/CBC: ``(build_s, solve_s, objective, status)``."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt import locate

    t0 = time.perf_counter()
    cost = cdist(demand_xy, site_xy)
    model = locate.MCLP.from_cost_matrix(cost, weight, service_radius=radius, p_facilities=p)
    t1 = time.perf_counter()
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
    model = model.solve(solver)
    t2 = time.perf_counter()
    status = pulp.LpStatus[model.problem.status]
    objective = float(pulp.value(model.problem.objective))
    return {"build_s": t1 - t0, "solve_s": t2 - t1, "objective": objective,
            "bound": None, "status": status.lower()}


def spopt_pmedian(dist: np.ndarray, weight: np.ndarray, p: int,
                  time_limit: float | None = None) -> dict[str, Any]:
    """spopt's p-median with PuLP/CBC on a given distance matrix."""
    import pulp
    from spopt import locate

    t0 = time.perf_counter()
    model = locate.PMedian.from_cost_matrix(dist, weight, p_facilities=p)
    t1 = time.perf_counter()
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    t2 = time.perf_counter()
    status = pulp.LpStatus[model.problem.status]
    return {"build_s": t1 - t0, "solve_s": t2 - t1,
            "objective": float(pulp.value(model.problem.objective)), "bound": None,
            "status": status.lower()}


def _highs() -> Any:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _finish(h: Any, t1: float, time_limit: float | None) -> dict[str, Any]:
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.run()
    t2 = time.perf_counter()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus()).lower()
    return {"solve_s": t2 - t1, "objective": float(info.objective_function_value),
            "bound": float(info.mip_dual_bound), "status": status}


def highs_textbook_mclp(
    demand_xy: np.ndarray, site_xy: np.ndarray, weight: np.ndarray, radius: float, p: int,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Textbook MCLP typed into highspy: max Σ w_i z_i, z_i <= Σ_{j∈N_i} y_j, Σ y_j <= p."""
    from scipy.spatial import cKDTree

    t0 = time.perf_counter()
    n, m = len(demand_xy), len(site_xy)
    near = cKDTree(site_xy).query_ball_point(demand_xy, r=radius)
    h = _highs()
    inf = 1e30
    # y_0..y_{m-1} binary, z_0..z_{n-1} continuous in [0, 1]
    h.addVars(m + n, np.zeros(m + n), np.ones(m + n))
    h.changeColsIntegrality(m, np.arange(m, dtype=np.int32), np.ones(m, dtype=np.uint8))
    h.changeColsCost(n, np.arange(m, m + n, dtype=np.int32), -np.asarray(weight, float))
    for i in range(n):
        cols = np.array([m + i, *near[i]], dtype=np.int32)
        vals = np.array([1.0] + [-1.0] * len(near[i]))
        h.addRow(-inf, 0.0, cols.size, cols, vals)
    h.addRow(-inf, float(p), m, np.arange(m, dtype=np.int32), np.ones(m))
    t1 = time.perf_counter()
    out = _finish(h, t1, time_limit)
    out["objective"] = -out["objective"]
    out["bound"] = -out["bound"]
    out["build_s"] = t1 - t0
    return out


def highs_textbook_pmedian(dist: np.ndarray, weight: np.ndarray, p: int,
                           time_limit: float | None = None) -> dict[str, Any]:
    """Textbook p-median typed into highspy: Σ_j x_ij = 1, x_ij <= y_j, Σ y_j = p."""
    t0 = time.perf_counter()
    n, m = dist.shape
    h = _highs()
    inf = 1e30
    nx = n * m
    cost = (np.asarray(weight, float)[:, None] * dist).ravel()
    h.addVars(m + nx, np.zeros(m + nx), np.ones(m + nx))
    h.changeColsIntegrality(m, np.arange(m, dtype=np.int32), np.ones(m, dtype=np.uint8))
    h.changeColsCost(nx, np.arange(m, m + nx, dtype=np.int32), cost)
    for i in range(n):
        cols = np.arange(m + i * m, m + (i + 1) * m, dtype=np.int32)
        h.addRow(1.0, 1.0, m, cols, np.ones(m))
    for i in range(n):
        for j in range(m):
            h.addRow(-inf, 0.0, 2, np.array([m + i * m + j, j], dtype=np.int32),
                     np.array([1.0, -1.0]))
    h.addRow(float(p), float(p), m, np.arange(m, dtype=np.int32), np.ones(m))
    t1 = time.perf_counter()
    out = _finish(h, t1, time_limit)
    out["build_s"] = t1 - t0
    return out
