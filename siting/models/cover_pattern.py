"""The coverage pattern every covering model starts from, its reductions and what
existing facilities already cover.

Re-exported by :mod:`siting.models.covering`:

>>> import numpy as np
>>> from siting.coverage import EuclideanMetric
>>> from siting.instance import Instance
>>> xy = np.array([[0.0, 0.0], [5.0, 0.0]])
>>> inst = Instance("two", np.array(["a", "b"]), np.ones(2), np.array(["s", "t"]),
...                 EuclideanMetric(xy, xy))
>>> coverage_pattern(inst, 1.0).toarray()
array([[1., 0.],
       [0., 1.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.instance import Instance
from siting.reduce import RowReduction, dominated_columns, merge_equal_rows, merge_row_blocks


def coverage_pattern(inst: Instance, radius: float) -> sp.csr_matrix:
    """0/1 demand × site matrix of pairs within ``radius``."""
    return _zero_one(inst.metric.within(radius))


def _zero_one(within: sp.csr_matrix) -> sp.csr_matrix:
    cov = sp.csr_matrix(within)
    cov.eliminate_zeros()  # metrics store a covered zero distance as a tiny positive number
    cov.data = np.ones(cov.data.size, dtype=np.float32)  # a 0/1 pattern: exact in float32
    cov.sort_indices()
    return cov


def demand_patterns(inst: Instance, radius: float) -> RowReduction:
    """The demand points grouped by the set of sites within ``radius`` of them.

    The same as ``merge_equal_rows(coverage_pattern(inst, radius), inst.weight)``,
    built from the metric's blocks of rows (:meth:`~siting.coverage.Metric.within_blocks`)
    so that the pairs of all points are never held at once: ``cov`` has a 0/1
    row per pattern, ``group`` the pattern of each point, ``weight`` their summed
    weights. Points no site reaches share the empty pattern.

    >>> import numpy as np
    >>> from siting.coverage import EuclideanMetric
    >>> xy = np.array([[0.0, 0.0], [0.5, 0.0], [9.0, 0.0]])
    >>> inst = Instance("three", np.array(["a", "b", "c"]), np.array([1.0, 2.0, 4.0]),
    ...                 np.array(["s"]), EuclideanMetric(xy, xy[:1]))
    >>> pat = demand_patterns(inst, 1.0)
    >>> pat.cov.toarray().tolist(), pat.group.tolist(), pat.weight.tolist()
    ([[1.0], [0.0]], [0, 0, 1], [3.0, 4.0])
    """
    blocks = ((start, _zero_one(block)) for start, block in inst.metric.within_blocks(radius))
    return merge_row_blocks(blocks, inst.weight, inst.n_sites)


def reduce_covering(
    sub: sp.csr_matrix,
    weight: NDArray[np.float64],
    cost: NDArray[np.float64],
    existing: NDArray[np.bool_],
    *,
    use_cost: bool,
) -> tuple[RowReduction, NDArray[np.bool_], dict[str, int]]:
    """Merge equal rows, fix dominated sites closed, merge again (see :mod:`siting.reduce`).

    Returns the merged rows (only kept sites have entries), the closed-site
    mask and the counts reported in ``Solution.stats``.
    """
    first = merge_equal_rows(sub, weight)
    closed = dominated_columns(first.cov, cost, protect=existing, use_cost=use_cost)
    kept = first.cov @ sp.diags((~closed).astype(np.float64))
    kept = sp.csr_matrix(kept)
    kept.eliminate_zeros()
    second = merge_equal_rows(kept, first.weight)
    stats = {
        "demand_rows": int(sub.shape[0]),
        "rows_merged": int(sub.shape[0] - second.cov.shape[0]),
        "sites_dropped": int(closed.sum()),
    }
    return second, closed, stats

def covered_by_existing(inst: Instance, cov: sp.csr_matrix) -> NDArray[np.bool_]:
    if not inst.existing.any():
        return np.zeros(inst.n_demand, dtype=bool)
    return np.asarray(cov[:, np.flatnonzero(inst.existing)].sum(axis=1)).ravel() > 0
