"""Pairs carrying a value (a decayed share, a utility), and the exact merge of equal rows.

Demand points whose pairs have the same sites *and* the same values (and the
same per-point extra, such as a baseline or a competitors' pull) are the same
row of a model that sums weight × value: they merge into one row whose weight
is the sum of theirs (compared exactly through :func:`siting.reduce.merge_equal_rows`
on a key matrix with one column per distinct (site, value) pair).

>>> import numpy as np
>>> vp = merge_valued_rows(np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([0.5, 0.5, 0.2]),
...                        np.array([1.0, 2.0, 3.0]), n_demand=3)
>>> vp.weight.tolist(), vp.group.tolist(), vp.row.tolist(), vp.value.tolist()
([3.0, 3.0], [0, 0, 1], [0, 1], [0.5, 0.2])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.reduce import merge_equal_rows

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


class RowPairs:
    """Pairs over rows: ``row`` of every pair, ``weight`` of every row; their counts."""

    row: IntArray
    weight: FloatArray

    @property
    def n_rows(self) -> int:
        return int(self.weight.size)

    @property
    def size(self) -> int:
        return int(self.row.size)


@dataclass
class ValuedPairs(RowPairs):
    """Pairs of merged rows: ``row``, ``site``, ``value`` (sorted by row, then site).

    ``weight`` and ``extra`` are per merged row; ``group[i]`` is the merged row of
    demand point ``i`` (-1 for points without pairs) and ``first`` its first member.
    """

    row: IntArray
    site: IntArray
    value: FloatArray
    weight: FloatArray
    extra: FloatArray
    group: IntArray
    first: IntArray


def _codes(*columns: NDArray[np.generic]) -> IntArray:
    """One integer per distinct tuple of the columns' values (exact comparison)."""
    if columns[0].size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(columns[::-1])
    change = np.zeros(order.size, dtype=bool)
    change[0] = True
    for col in columns:
        s = col[order]
        change[1:] |= s[1:] != s[:-1]
    code = np.empty(order.size, dtype=np.int64)
    code[order] = np.cumsum(change) - 1
    return code


def merge_valued_rows(
    demand: IntArray, site: IntArray, value: FloatArray, weight: FloatArray, *,
    n_demand: int, extra: FloatArray | None = None,
) -> ValuedPairs:
    """Merge demand points with equal (site, value) pairs and equal ``extra``.

    Points without pairs are left out (their ``group`` is -1).
    """
    demand = np.asarray(demand, dtype=np.int64)
    site = np.asarray(site, dtype=np.int64)
    value = np.asarray(value, dtype=np.float64)
    extra_all = np.zeros(n_demand) if extra is None else np.asarray(extra, dtype=np.float64)
    order = np.lexsort((site, demand))
    demand, site, value = demand[order], site[order], value[order]
    active = np.unique(demand)
    local = np.full(n_demand, -1, dtype=np.int64)
    local[active] = np.arange(active.size)
    pair_code = _codes(site, value)
    n_pair_codes = int(pair_code.max(initial=-1)) + 1
    extra_code = _codes(extra_all[active])
    rows = np.r_[local[demand], np.arange(active.size)]
    cols = np.r_[pair_code, n_pair_codes + extra_code]
    key = sp.csr_matrix(
        (np.ones(rows.size), (rows, cols)),
        shape=(active.size, n_pair_codes + int(extra_code.max(initial=-1)) + 1),
    )
    merged = merge_equal_rows(key, np.asarray(weight, dtype=np.float64)[active])
    group = np.full(n_demand, -1, dtype=np.int64)
    group[active] = merged.group
    first = active[merged.first]
    is_first = np.zeros(n_demand, dtype=bool)
    is_first[first] = True
    take = is_first[demand]
    return ValuedPairs(
        row=group[demand[take]], site=site[take], value=value[take], weight=merged.weight,
        extra=extra_all[first], group=group, first=first,
    )
