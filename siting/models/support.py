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
from numpy.typing import ArrayLike, NDArray

from siting.backends.base import Capability, SolveOptions, Tuning, backend_with
from siting.heuristics.structure import CoverStructure, mclp_arrays
from siting.milp import weighted_sum
from siting.models.benders_root import RootLP, reduced_cost_fixing
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
    # A heuristic's sub-MIP started from the plan: HiGHS's own heuristics and restarts
    # only repeat work (CPU over the support MIPs of 12 clustered and uniform 5,000 × 500
    # cases 1.42 -> 0.46 s, every optimum the same; blobs s2 0.48 -> 0.04 s).
    run = SolveOptions(time_limit=limit, warm_start=warm).tuned(Tuning.NO_HEURISTICS,
                                                              Tuning.NO_RESTART)
    result = solver.solve(milp, run)
    if not result.status.has_solution or result.x is None:
        return None
    mask = np.zeros(m, dtype=bool)
    mask[sites[result.x[small.y.slice] > 0.5]] = True
    return mask


def without_sites(s: CoverStructure, shut: BoolArray) -> CoverStructure:
    """``s`` with the ``shut`` sites closed and their coverage gone: rows that no site
    left covers leave, and rows left with the same covering sites are merged
    (``s.fixed_open`` sites stay open).

    The sites keep their columns, so a plan of ``s`` that opens no ``shut`` site
    is a plan of the result with the same value (``s.offset`` included), and
    the result's optimum is ``s``'s best plan among those. The compact model
    after reduced-cost fixing is this smaller model: HiGHS's presolve fixes the
    columns but keeps their rows apart.

    >>> import numpy as np, scipy.sparse as sp
    >>> cov = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 0], [0, 1, 0], [0, 1, 1]], float))
    >>> s = CoverStructure.of(cov, np.array([5.0, 1, 1, 4]), p=1)
    >>> t = without_sites(s, np.array([False, False, True]))
    >>> t.cov.toarray().tolist(), t.weight.tolist(), t.closed.tolist()
    ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [6.0, 5.0], [False, False, True])
    """
    closed = s.closed | (np.asarray(shut, dtype=bool) & ~s.fixed_open)  # those stay open
    keep = sp.diags((~closed).astype(np.float64))
    cov = sp.csr_matrix(s.cov @ keep)
    cov.eliminate_zeros()
    rows = np.flatnonzero(np.diff(cov.indptr) > 0)
    merged = merge_equal_rows(sp.csr_matrix(cov[rows]), np.asarray(s.weight, np.float64)[rows])
    return CoverStructure(merged.cov, merged.weight, s.cost, s.fixed_open, closed, s.p,
                          s.budget, s.required, s.offset)


def fixed_by_root(
    s: CoverStructure, root: RootLP, plan: FloatArray, best: float, integral: bool
) -> BoolArray:
    """The free sites of ``s`` that the root LP's reduced costs close against ``plan``
    (of value ``best``, in the root bound's units): opening any of them leaves no
    plan better than ``plan`` (:func:`~siting.models.benders_root.reduced_cost_fixing`;
    ``integral``: only plans better by 1 count). None closed without the LP's
    reduced costs.

    >>> import numpy as np, scipy.sparse as sp
    >>> s = CoverStructure.of(sp.identity(3, format="csr"), np.array([4.0, 9, 3]), p=2)
    >>> root = RootLP(bound=13.0, x=np.array([1.0, 1.0, 0.0]), rounds=1,
    ...               reduced=np.array([0.0, 0.0, -3.0]))
    >>> fixed_by_root(s, root, np.array([1.0, 1.0, 0.0]), best=13.0, integral=True).tolist()
    [False, False, True]
    """
    if root.reduced is None:
        return np.zeros(s.n_sites, dtype=bool)
    lower = s.fixed_open.astype(np.float64)
    upper = (~s.closed).astype(np.float64)
    closed, _ = reduced_cost_fixing(root.bound, root.reduced, root.x[: s.n_sites], lower, upper,
                                    plan, best, 1.0 if integral else 0.0, maximise=True)
    return closed


#: RINS: sites the relaxation and the plan agree on are fixed; the rest stay free
#: when they are at most this many.
RINS_MOST_FREE = 2_000
#: A site's relaxation value counts as 0 or 1 within this.
LP_TOLERANCE = 1e-6
#: RINS runs when the relaxation's value is this much (relative) above the plan's,
RINS_FROM_GAP = 1e-4
#: for at most this share of the solve's time limit, its MIP solved to this gap.
RINS_SHARE, RINS_GAP = 0.2, 5e-4


def cover_value(s: CoverStructure, open_mask: ArrayLike) -> float:
    """The weight of ``s``'s rows a plan covers (``s.offset`` not included).

    >>> import numpy as np, scipy.sparse as sp
    >>> s = CoverStructure.of(sp.csr_matrix(np.array([[1.0, 0], [1, 1], [0, 1]])), [5.0, 1, 4], p=1)
    >>> cover_value(s, np.array([True, False]))
    6.0
    """
    y = np.asarray(open_mask, dtype=np.float64) > 0.5
    return weighted_sum(s.weight, np.asarray(s.cov @ y.astype(np.float64)).ravel() > 0)


def relaxation_value(s: CoverStructure, y_lp: ArrayLike) -> float:
    """The best coverage value the relaxation gives fractional sites ``y_lp``:
    every row's ``z`` at ``min(1, Σ a y)`` (the LP objective at those sites).

    >>> import numpy as np, scipy.sparse as sp
    >>> s = CoverStructure.of(sp.csr_matrix(np.array([[1.0, 0], [1, 1], [0, 1]])), [5.0, 1, 4], p=1)
    >>> relaxation_value(s, np.array([0.5, 0.5]))
    5.5
    """
    reach = np.asarray(s.cov @ np.asarray(y_lp, dtype=np.float64)).ravel()
    return weighted_sum(s.weight, np.minimum(reach, 1.0))


def rins_mclp(
    s: CoverStructure,
    y_lp: FloatArray,
    start: BoolArray,
    time_limit: float | None = None,
) -> BoolArray | None:
    """A better plan near both ``start`` and the relaxation ``y_lp`` (RINS, Danna,
    Rothberg & Le Pape 2005), or None: nothing left free, too much, or no plan in time.

    Sites open in ``start`` at relaxation value 1 stay open, sites closed in
    ``start`` at value 0 stay closed; the compact MCLP decides the rest from
    ``start``. Demand a fixed site covers is a constant and leaves the model, so
    the sub-MIP is small even when the relaxation's support is not (budgeted city
    cases: hundreds of fractional sites). ``s.fixed_open`` sites stay open and
    count towards neither ``p`` nor the budget.

    >>> import numpy as np, scipy.sparse as sp
    >>> cov = sp.csr_matrix(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1],
    ...                               [0, 0, 0, 1]], float))
    >>> s = CoverStructure.of(cov, np.array([5.0, 1, 1, 1, 4]), p=2)
    >>> start = np.array([True, True, False, False])   # covers 5 + 1 + 1 = 7
    >>> mask = rins_mclp(s, np.array([1.0, 0.5, 0.0, 0.5]), start)
    >>> np.flatnonzero(mask).tolist()
    [0, 3]
    """
    y = np.asarray(y_lp, dtype=np.float64)
    start = np.asarray(start, dtype=bool)
    free_sites = s.free
    keep = free_sites & start & (y >= 1 - LP_TOLERANCE)
    shut = free_sites & ~start & (y <= LP_TOLERANCE)
    free = free_sites & ~keep & ~shut
    if not free.any() or int(free.sum()) > RINS_MOST_FREE:
        return None
    fixed = s.fixed_open | keep
    # Rows a fixed site covers are covered whatever the rest does: constants.
    covered = np.asarray(s.cov[:, np.flatnonzero(fixed)].sum(axis=1)).ravel() > 0
    open_rows = np.flatnonzero(~covered)
    columns = np.flatnonzero(free)
    sub = sp.csr_matrix(s.cov[open_rows][:, columns])
    sub.eliminate_zeros()
    reached = np.flatnonzero(np.diff(sub.indptr) > 0)
    if not reached.size:
        return None
    merged = merge_equal_rows(sp.csr_matrix(sub[reached]),
                              np.asarray(s.weight, np.float64)[open_rows[reached]])
    p = None if s.p is None else s.p - int(keep.sum())
    budget = None if s.budget is None else s.budget - float(s.cost[keep].sum())
    if (p is not None and p < 0) or (budget is not None and budget < 0):
        return None  # ``start`` broke a limit: nothing to improve from
    small = CoverStructure.of(merged.cov, merged.weight, p=p, cost=s.cost[columns],
                              budget=budget)
    milp = mclp_arrays(small)
    warm = small.columns(milp.num_cols, start[columns])
    solver = backend_with(Capability.MIP_START)
    result = solver.solve(milp, SolveOptions(time_limit=time_limit, warm_start=warm,
                                             mip_gap=RINS_GAP))
    if not result.status.has_solution or result.x is None:
        return None
    mask = fixed.copy()
    mask[columns[result.x[small.y.slice] > 0.5]] = True
    return mask
