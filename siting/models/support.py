"""A plan from the relaxation's support: the compact MCLP on the few sites the LP uses.

After the Benders root loop the LP opens a few dozen sites fractionally. The
compact model restricted to those sites (and to the incumbent's) is small, so
HiGHS solves it in a fraction of a second, and its optimum is often the whole
problem's: a better incumbent than rounding gives, which proves more sites
useless by reduced cost (:mod:`siting.models.benders_root`) and lets the master
only prove.

Rows are merged on the support (two demand groups covered by the same support
sites become one), so the model has at most one row per distinct pattern. It
runs only when the support is a few times the plan's size
(``PER_OPEN``, ``MOST_SITES``): clustered 5,000 × 500 has 51 sites and HiGHS
needs 0.05 s (the whole solve 0.59 s → 0.40 s); a support of most sites
(uniform 20,000 × 1,000: 463) is the master again, and one of hundreds gained
nothing in its time (city 1M × 10k: 544 sites, 2 s).

>>> import numpy as np, scipy.sparse as sp
>>> from siting.heuristics.structure import CoverStructure
>>> cov = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], float))
>>> s = CoverStructure.of(cov, np.array([5.0, 1, 1, 4]), p=2)
>>> mask = support_mclp(s, np.array([True, True, True]))
>>> np.flatnonzero(mask).tolist()
[0, 2]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import Capability, SolveOptions, backend_with
from siting.heuristics.structure import CoverStructure, mclp_arrays
from siting.reduce import merge_equal_rows

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

#: Seconds at most for the MIP, whatever the caller allows.
SECONDS = 2.0
#: It runs only with at most this many support sites per open site of ``start``,
PER_OPEN = 3
#: and this many support sites in all.
MOST_SITES = 200


def support_mclp(
    s: CoverStructure,
    support: BoolArray,
    start: BoolArray | None = None,
    time_limit: float | None = None,
) -> BoolArray | None:
    """The best plan of ``s`` on the ``support`` sites (HiGHS), or None: no plan in time,
    or a support too large to be worth it.

    ``s.fixed_open`` sites are open and count towards neither ``p`` nor the budget
    (as in :func:`~siting.heuristics.mclp.greedy_mclp`); ``start`` is a plan on
    the support to start from, and the plan size the support is held to.
    """
    m = s.n_sites
    size = int(support.sum())
    if size > MOST_SITES or (start is not None and size > PER_OPEN * max(int(start.sum()), 1)):
        return None
    fixed = s.fixed_open
    sites = np.flatnonzero(support | fixed)
    sub = sp.csr_matrix(s.cov[:, sites])
    sub.eliminate_zeros()
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    merged = merge_equal_rows(sp.csr_matrix(sub[rows]), np.asarray(s.weight, np.float64)[rows])
    small = CoverStructure.of(merged.cov, merged.weight, p=s.p, cost=s.cost[sites],
                              budget=s.budget, fixed_open=fixed[sites])
    milp = mclp_arrays(small)
    warm = None
    if start is not None and not (start & ~(support | fixed)).any():
        warm = small.columns(milp.num_cols, start[sites])
    limit = SECONDS if time_limit is None else min(SECONDS, time_limit)
    solver = backend_with(Capability.MIP_START)  # the default back end
    result = solver.solve(milp, SolveOptions(time_limit=limit, warm_start=warm))
    if not result.status.has_solution or result.x is None:
        return None
    mask = np.zeros(m, dtype=bool)
    mask[sites[result.x[small.y.slice] > 0.5]] = True
    return mask
