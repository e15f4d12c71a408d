"""Equal distance levels of different customers, merged (the radius formulation's rows).

In the radius formulation (:mod:`siting.models.pmedian_radius`) the variable
``z_i^r`` is 1 when no open site lies within ``D_i^r`` of customer ``i``, i.e.
in the set ``S_i^r = {j : d_ij <= D_i^r}``. Two customers often have levels
with the same set (neighbours in a graph, once the sites the Lagrangian bound
fixed closed are gone): their ``z`` are then equal in every solution and in
the LP, so one variable serves both, with the sum of their costs. Each set
keeps one row, the chain row of the level that comes first: telescoping its
chain gives ``z_S >= 1 - Σ_{j in S} y_j`` whichever customer's chain leads
there, and every later row of another customer reads the same variable. The
LP bound and every integer solution's cost are unchanged; on OR-Library
pmed35, 36, 38 and 39 the model has 22-34 % fewer rows and columns.

Sets are compared exactly: a 64-bit sum of per-site random values over each
prefix of a customer's sorted pairs picks the candidates, and
:func:`~siting.reduce.merge_equal_rows` then compares their site lists.

>>> import numpy as np
>>> from siting.models.assign import Pairs
>>> from siting.models.pmedian_radius import distance_levels
>>> # Customers 0 and 1 both see site 0 first, then sites {0, 1}; customer 2 differs.
>>> pairs = Pairs(np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]), np.array([0, 1, 2, 0, 1, 2, 2, 1, 0]),
...               np.array([1.0, 2, 3, 1, 2, 5, 1, 2, 3]), True)
>>> levels = distance_levels(pairs, 3)
>>> kept = np.array([0, 1, 3, 4, 6, 7])
>>> group, first = equal_levels(pairs, levels.pair_level, levels.level_demand, kept)
>>> group.tolist(), first.tolist()
([0, 1, 0, 1, 2, 3], [0, 1, 4, 5])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.coverage.base import segment_offsets
from siting.reduce import merge_equal_rows

if TYPE_CHECKING:
    from siting.models.assign import Pairs

IntArray = NDArray[np.int64]
#: Fixed seed of the prefix hashes: the same model for the same instance.
_SEED = 20110
#: The candidates' site lists compared at most, as a multiple of the pairs; beyond
#: it only the shortest sets are shared (equal sets have equal sizes, so no group
#: is split). On pmed39 the candidates hold 22,114 entries for 175,500 pairs.
_COMPARED_PER_PAIR = 4


def equal_levels(
    pairs: Pairs, pair_level: IntArray, level_demand: IntArray, kept: IntArray
) -> tuple[IntArray, IntArray]:
    """Group the ``kept`` levels (global level ids) by their site set ``S_i^r``.

    ``pair_level`` is each pair's level, ``level_demand`` each level's customer
    (:class:`~siting.models.pmedian_radius.Levels`). Returns the group of each kept
    level (numbered by first appearance) and the position in ``kept`` of each
    group's first level. ``pairs`` are sorted by customer then distance, so a
    level's set is a prefix of its customer's pairs.
    """
    k = kept.size
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Each level's prefix of pairs: from its customer's first pair to its own last.
    start = np.searchsorted(pairs.demand, level_demand[kept])
    end = np.searchsorted(pair_level, kept, "right")
    # Candidates: levels sharing (size, prefix hash) with another. Sums wrap modulo 2**64.
    values = np.random.default_rng(_SEED).integers(
        0, np.iinfo(np.int64).max, size=int(pairs.site.max()) + 1, dtype=np.int64
    ).astype(np.uint64)
    cum = np.concatenate([np.zeros(1, np.uint64), np.cumsum(values[pairs.site], dtype=np.uint64)])
    key = np.stack([(end - start).astype(np.uint64), cum[end] - cum[start]], axis=1)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    cand = np.flatnonzero(counts[inverse.ravel()] > 1)
    lens = (end - start)[cand]
    budget = _COMPARED_PER_PAIR * pairs.size
    if lens.sum() > budget:
        sizes, per_size = np.unique(lens, return_counts=True)
        fits = np.cumsum(sizes * per_size) <= budget
        cand = cand[lens <= (sizes[fits][-1] if fits.any() else 0)]
        lens = (end - start)[cand]
    group = np.arange(k, dtype=np.int64)
    if cand.size:
        at = np.repeat(start[cand], lens) + segment_offsets(lens)
        indptr = np.concatenate([[0], np.cumsum(lens)])
        cov = sp.csr_matrix((np.ones(at.size), pairs.site[at], indptr),
                            shape=(cand.size, int(pairs.site.max()) + 1))
        merged = merge_equal_rows(cov, np.zeros(cand.size))
        group[cand] = cand[merged.first[merged.group]]
    # Number the groups by their first level.
    is_first = group == np.arange(k)
    first = np.flatnonzero(is_first)
    number = np.full(k, -1, dtype=np.int64)
    number[first] = np.arange(first.size)
    return number[group], first
