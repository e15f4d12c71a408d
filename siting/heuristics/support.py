"""A plan from the relaxation's support: the compact MCLP on the few sites the LP uses.

After the Benders root loop the LP opens a few dozen sites fractionally. The
compact model restricted to those sites (and to the incumbent's) is small, so
HiGHS solves it in a fraction of a second, and its optimum is often the whole
problem's: a better incumbent than rounding gives, which proves more sites
useless by reduced cost (:mod:`siting.models.benders_root`) and lets the master
only prove.

Rows are merged on the support (two demand groups covered by the same support
sites become one), so the model has at most one row per distinct pattern.

>>> import numpy as np, scipy.sparse as sp
>>> cov = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], float))
>>> mask = support_mclp(cov, np.array([5.0, 1, 1, 4]), np.array([True, True, True]), p=2)
>>> np.flatnonzero(mask).tolist()
[0, 2]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.reduce import merge_equal_rows

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


def support_mclp(
    cov: sp.csr_matrix,
    weight: FloatArray,
    support: BoolArray,
    p: int | None = None,
    cost: FloatArray | None = None,
    budget: float | None = None,
    fixed_open: BoolArray | None = None,
    start: BoolArray | None = None,
    time_limit: float | None = None,
) -> BoolArray | None:
    """The best plan on the ``support`` sites (HiGHS; None when it has none in time).

    ``fixed_open`` sites are open and count towards neither ``p`` nor the budget
    (as in :func:`~siting.heuristics.mclp.greedy_mclp`); ``start`` is a plan on
    the support to start from.
    """
    from siting.backends import get_backend
    from siting.backends.base import SolveOptions
    from siting.milp import MilpBuilder

    m = cov.shape[1]
    fixed = np.zeros(m, dtype=bool) if fixed_open is None else np.asarray(fixed_open, bool)
    sites = np.flatnonzero(support | fixed)
    sub = sp.csr_matrix(cov[:, sites])
    sub.eliminate_zeros()
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    merged = merge_equal_rows(sp.csr_matrix(sub[rows]), np.asarray(weight, np.float64)[rows])
    new = ~fixed[sites]
    b = MilpBuilder()
    y = b.add_block("y", sites.size, lower=fixed[sites].astype(float), upper=1.0, integer=True)
    z = b.add_block("z", merged.cov.shape[0], lower=0.0, upper=1.0, cost=merged.weight)
    b.concat_rows([(sp.identity(merged.cov.shape[0], format="csr"), z), (-merged.cov, y)],
                  lower=-np.inf, upper=0.0, name="cover")
    if p is not None:
        b.add_rows(sp.csr_matrix(new.astype(float)[None, :]), lower=-np.inf, upper=float(p),
                   cols=y, name="p")
    if budget is not None and cost is not None:
        b.add_rows(sp.csr_matrix((np.asarray(cost, np.float64)[sites] * new)[None, :]),
                   lower=-np.inf, upper=float(budget), cols=y, name="budget")
    milp = b.build(sense="max")
    warm = None
    if start is not None and not (start & ~(support | fixed)).any():
        y0 = start[sites].astype(np.float64)
        warm = np.concatenate([y0, np.minimum(merged.cov @ y0, 1.0)])
    result = get_backend("highs").solve(milp, SolveOptions(time_limit=time_limit,
                                                           warm_start=warm))
    if not result.status.has_solution or result.x is None:
        return None
    mask = np.zeros(m, dtype=bool)
    mask[sites[result.x[milp.block("y").slice] > 0.5]] = True
    return mask
