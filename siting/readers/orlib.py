"""Readers for the OR-Library formats: p-median (``pmed``), set covering (``scp``)
and capacitated warehouse location (``cap``).

Each reader returns a plain frozen dataclass of numpy / scipy arrays with
0-based indices, never an engine object: turning the data into a model is the
caller's business. Parsing is done in bulk (one ``str.split`` of the file, one
numpy conversion per block of numbers) so that even the largest files read in
a fraction of a second, and every malformed input raises :class:`~siting.errors.FormatError`
naming the file, the line, the field and the offending value.

The text layer they share with :mod:`siting.readers.points` is
:mod:`siting.readers.text`.

>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     f = pathlib.Path(tmp, "tiny.txt")
...     _ = f.write_text("3 3 1\\n1 2 5\\n2 3 4\\n2 1 7\\n")
...     g = read_pmed(f)
>>> g.n, g.p, g.edge_cost.tolist()  # edge 1-2 given twice: the last cost (7) wins
(3, 1, [4, 7])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.errors import ParameterError
from siting.readers.lines import record_lines
from siting.readers.text import (
    PathArg,
    first_negative,
    load_source,
    read_header,
)

__all__ = ["CapData", "PmedData", "ScpData", "read_cap", "read_pmed", "read_scp"]


# --------------------------------------------------------------------------- p-median


@dataclass(frozen=True, eq=False)
class PmedData:
    """An OR-Library p-median instance: an undirected graph, every node a site and a customer.

    Edges are 0-based, one per unordered node pair, in file order of their last
    occurrence (``edge_u < edge_v``); ``edge_cost`` is int64.
    """

    name: str
    n: int
    p: int
    edge_u: NDArray[np.int64]
    edge_v: NDArray[np.int64]
    edge_cost: NDArray[np.int64]

    @property
    def n_edges(self) -> int:
        """Number of distinct edges (after resolving repeated pairs)."""
        return int(self.edge_u.size)

    def graph(self) -> sp.csr_matrix:
        """Symmetric n × n CSR adjacency matrix (float64 costs; zero costs stored explicitly).

        >>> g = PmedData("t", 3, 1, np.array([0, 1]), np.array([1, 2]), np.array([5, 0]))
        >>> g.graph().toarray().tolist(), g.graph().nnz
        ([[0.0, 5.0, 0.0], [5.0, 0.0, 0.0], [0.0, 0.0, 0.0]], 4)
        """
        rows = np.concatenate((self.edge_u, self.edge_v))
        cols = np.concatenate((self.edge_v, self.edge_u))
        data = np.concatenate((self.edge_cost, self.edge_cost)).astype(np.float64)
        # No duplicates and no self-loops remain after reading, so nothing is summed.
        return sp.csr_matrix((data, (rows, cols)), shape=(self.n, self.n))

    def distances(self, max_nodes: int = 20_000) -> NDArray[np.float64]:
        """All-pairs shortest-path distances as a dense n × n float64 array.

        Dense is deliberate: the OR-Library files have n <= 900 (6.5 MB), and the
        p-median needs every pair anyway. Unreachable pairs are ``inf``. Refuses
        graphs with more than ``max_nodes`` nodes instead of exhausting memory.

        >>> g = PmedData("t", 3, 1, np.array([0, 1]), np.array([1, 2]), np.array([5, 4]))
        >>> g.distances()[0].tolist(), g.distances()[2].tolist()
        ([0.0, 5.0, 9.0], [9.0, 4.0, 0.0])
        >>> z = PmedData("t", 3, 1, np.array([0, 1]), np.array([1, 2]), np.array([0, 4]))
        >>> z.distances()[2].tolist()  # a zero-length edge is an edge
        [4.0, 4.0, 0.0]
        """
        if self.n > max_nodes:
            raise ParameterError(
                f"dense distance matrix for {self.n} nodes refused; raise max_nodes "
                f"(now {max_nodes}) if the memory ({8 * self.n * self.n / 1e9:.1f} GB) is there",
                field="max_nodes",
                value=max_nodes,
            )
        # The adjacency holds both directions of every edge, so the directed search
        # gives the same distances without symmetrising at each step (pmed40,
        # 900 nodes: 0.77 s against 1.10 s, busy machine).
        from scipy.sparse.csgraph import shortest_path  # imports scipy.linalg: when used

        return np.asarray(shortest_path(self.graph(), method="D", directed=True))


def read_pmed(path: PathArg) -> PmedData:
    """Read an OR-Library p-median file (``pmed1.txt`` .. ``pmed40.txt``).

    Format: a line ``n m p``, then ``m`` lines ``i j cost`` (1-based nodes) of an
    undirected graph. When a node pair appears more than once, the **last**
    occurrence wins (in either orientation): the published optima hold only under
    that reading; keeping the minimum instead gives e.g. 5718 for pmed1, not 5819.
    Self-loops, negative costs and nodes outside ``1..n`` are format errors.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp, "g.txt")
    ...     _ = f.write_text("3 2 1\\n1 2 5\\n2 9 4\\n")
    ...     read_pmed(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    siting.errors.FormatError: .../g.txt: row 3: field 'j': value 9: node out of range 1..3
    """
    src = load_source(path)
    n, m, p = read_header(src, ("n", "m", "p"), (1, 0, 1), alone=True)
    if p > n:
        raise src.error(f"p exceeds the number of nodes n = {n}", 2, "p", p)
    edge_lines = record_lines(src, 3, "i j cost")
    if edge_lines.size != m:
        if edge_lines.size < m:
            msg = f"file truncated: header promises {m} edges, file has {edge_lines.size}"
        else:
            msg = f"header promises {m} edges, file has {edge_lines.size} edge lines"
        raise src.error(msg, len(src.tokens) - 1)
    e = src.ints(3, 3 + 3 * m, ("i", "j", "cost")).reshape(m, 3)
    ends = e[:, :2]
    out = np.flatnonzero(((ends < 1) | (ends > n)).ravel())
    if out.size:
        k = int(out[0])
        raise src.error(
            f"node out of range 1..{n}", 3 + 3 * (k // 2) + k % 2, "ij"[k % 2], int(ends.flat[k])
        )
    neg = first_negative(e[:, 2])
    if neg is not None:
        raise src.error("negative edge cost", 5 + 3 * neg, "cost", int(e[neg, 2]))
    loops = np.flatnonzero(e[:, 0] == e[:, 1])
    if loops.size:
        k = int(loops[0])
        raise src.error("self-loop: an edge joins a node to itself", 3 + 3 * k, "i", int(e[k, 0]))
    u = np.minimum(e[:, 0], e[:, 1]) - 1
    v = np.maximum(e[:, 0], e[:, 1]) - 1
    # Last occurrence wins: unique over the reversed edge list finds each pair's
    # last line; sorting those positions keeps the file order.
    pairs = np.stack((u, v), axis=1)[::-1]
    _, first_rev = np.unique(pairs, axis=0, return_index=True)
    keep = np.sort(m - 1 - first_rev)
    return PmedData(
        name=src.path.stem,
        n=n,
        p=p,
        edge_u=np.ascontiguousarray(u[keep]),
        edge_v=np.ascontiguousarray(v[keep]),
        edge_cost=np.ascontiguousarray(e[keep, 2]),
    )


# --------------------------------------------------------------------------- set covering


@dataclass(frozen=True, eq=False)
class ScpData:
    """An OR-Library set-covering instance.

    ``cover[i, j] == 1`` when column ``j`` covers row ``i`` (CSR, int8, sorted
    indices); ``costs[j]`` is the column's cost (int64).
    """

    name: str
    n_rows: int
    n_cols: int
    costs: NDArray[np.int64]
    cover: sp.csr_matrix


def read_scp(path: PathArg) -> ScpData:
    """Read an OR-Library set-covering file (``scp41.txt`` .. ``scpd5.txt``).

    Format, as one whitespace-separated token stream (numbers wrap over lines
    freely, so line breaks carry no meaning): ``rows cols``, then one cost per
    column, then for each row the count ``k`` of columns covering it followed by
    those ``k`` column numbers (1-based). A column listed twice for the same row,
    a column outside ``1..cols``, a negative cost and numbers after the last row
    are format errors. A row with ``k = 0`` is read as is (the instance is then
    infeasible, which is the model's concern, not the reader's).

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp, "s.txt")
    ...     _ = f.write_text("2 3\\n4 5 6\\n2 1 3\\n1\\n2\\n")
    ...     s = read_scp(f)
    >>> s.costs.tolist(), s.cover.toarray().tolist()
    ([4, 5, 6], [[1, 0, 1], [0, 1, 0]])
    """
    src = load_source(path)
    n_rows, n_cols = read_header(src, ("rows", "columns"), (1, 1))
    src.require(2 + n_cols, f"the {n_cols} column costs")
    costs = src.ints(2, 2 + n_cols, "cost")
    neg = first_negative(costs)
    if neg is not None:
        raise src.error("negative column cost", 2 + neg, "cost", int(costs[neg]))
    base = 2 + n_cols
    body = src.ints(base, len(src.tokens), "row data")
    # The position of each row's count depends on the previous count, so this walk
    # is sequential; it is one step per row, and the column lists are then taken
    # out in bulk with a mask.
    if n_rows > body.size:
        # Every row needs at least its count; checked before allocating per-row arrays.
        raise src.error(
            f"file truncated: header promises {n_rows} rows but only {body.size} numbers follow "
            "the costs",
            len(src.tokens) - 1,
        )
    count_pos = np.empty(n_rows, dtype=np.int64)
    pos = 0
    size = int(body.size)
    for i in range(n_rows):
        if pos >= size:
            raise src.error(
                f"file truncated: header promises {n_rows} rows, data ends in row {i + 1}",
                len(src.tokens) - 1,
            )
        k = int(body[pos])
        if k < 0:
            raise src.error(f"negative column count for row {i + 1}", base + pos, "count", k)
        count_pos[i] = pos
        pos += 1 + k
    if pos > size:
        raise src.error(
            f"file truncated: the column list of row {n_rows} stops after "
            f"{size - int(count_pos[-1]) - 1} of {int(body[count_pos[-1]])} columns",
            len(src.tokens) - 1,
        )
    if pos < size:
        raise src.error(
            f"unexpected data after the last of the {n_rows} rows",
            base + pos,
            "row data",
            src.tokens[base + pos],
        )
    counts = body[count_pos]
    is_col = np.ones(size, dtype=bool)
    is_col[count_pos] = False
    col_pos = np.flatnonzero(is_col)
    cols = body[col_pos]
    out = np.flatnonzero((cols < 1) | (cols > n_cols))
    if out.size:
        k = int(out[0])
        raise src.error(
            f"column out of range 1..{n_cols}", base + int(col_pos[k]), "column", int(cols[k])
        )
    row_of = np.repeat(np.arange(n_rows, dtype=np.int64), counts)
    order = np.lexsort((cols, row_of))
    dup = np.flatnonzero(
        (row_of[order][1:] == row_of[order][:-1]) & (cols[order][1:] == cols[order][:-1])
    )
    if dup.size:
        k = int(order[dup[0] + 1])
        raise src.error(
            f"column listed twice for row {int(row_of[k]) + 1}",
            base + int(col_pos[k]),
            "column",
            int(cols[k]),
        )
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    cover = sp.csr_matrix(
        (np.ones(cols.size, dtype=np.int8), cols - 1, indptr), shape=(n_rows, n_cols)
    )
    cover.sort_indices()
    return ScpData(src.path.stem, n_rows, n_cols, costs, cover)


# --------------------------------------------------------------------------- warehouse location


@dataclass(frozen=True, eq=False)
class CapData:
    """An OR-Library warehouse-location instance (float64 arrays).

    ``cost[i, j]`` is the cost of serving customer ``i``'s **whole** demand from
    facility ``j`` (customers × facilities). Serving a fraction ``x`` of the demand
    costs ``x * cost[i, j]``: the published optima allow split demand.
    """

    name: str
    n_facilities: int
    n_customers: int
    capacity: NDArray[np.float64]
    fixed_cost: NDArray[np.float64]
    demand: NDArray[np.float64]
    cost: NDArray[np.float64]

    @property
    def is_uncapacitated(self) -> bool:
        """True when every facility can serve the total demand alone (e.g. cap71)."""
        return bool(np.all(self.capacity >= self.demand.sum()))


def read_cap(path: PathArg, capacity: float | None = None) -> CapData:
    """Read an OR-Library capacitated warehouse-location file (``cap41.txt``, ``cap71.txt``).

    Format, as a token stream: ``m n`` (facilities, customers); ``m`` pairs
    ``capacity fixed_cost``; then for each customer its demand followed by ``m``
    costs, each for that customer's whole demand. Numbers may have a trailing
    decimal point (``7500.``). Some OR-Library files (capa/capb/capc) write the
    literal word ``capacity`` instead of a number, the capacity being a parameter
    of the experiment: for those, pass ``capacity``; for files that give numbers,
    passing it is an error (it would silently change the instance).
    Negative values and numbers after the last customer are format errors.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp, "c.txt")
    ...     _ = f.write_text("2 1\\n10 100.\\n20 200.\\n5\\n3.5 7.\\n")
    ...     c = read_cap(f)
    >>> c.capacity.tolist(), c.demand.tolist(), c.cost.tolist()
    ([10.0, 20.0], [5.0], [[3.5, 7.0]])
    """
    src = load_source(path)
    m, n = read_header(src, ("facilities", "customers"), (1, 1))
    need = 2 + 2 * m + n * (1 + m)
    src.require(need, f"the header '{m} {n}'")
    if len(src.tokens) > need:
        raise src.error(
            f"unexpected data after the last of the {n} customers", need, None, src.tokens[need]
        )
    cap_tokens = src.tokens[2 : 2 + 2 * m : 2]
    is_word = [t.lower() == "capacity" for t in cap_tokens]
    if any(is_word):
        if not all(is_word):
            k = is_word.index(False)
            raise src.error(
                "capacities mix numbers and the word 'capacity'",
                2 + 2 * k,
                "capacity",
                cap_tokens[k],
            )
        if capacity is None:
            raise src.error(
                "file writes the word 'capacity' instead of a number: pass capacity=",
                2,
                "capacity",
                cap_tokens[0],
            )
        if not (np.isfinite(capacity) and capacity >= 0):
            raise ParameterError(
                "capacity must be finite and >= 0",
                path=src.path,
                field="capacity",
                value=capacity,
            )
        cap = np.full(m, float(capacity))
    else:
        if capacity is not None:
            raise ParameterError(
                "the file gives numeric capacities; capacity= is only for files that write "
                "the word 'capacity'",
                path=src.path,
                field="capacity",
                value=capacity,
            )
        cap = src.floats(2, 2 + 2 * m, "capacity", step=2)
        neg = first_negative(cap)
        if neg is not None:
            raise src.error("negative capacity", 2 + 2 * neg, "capacity", float(cap[neg]))
    fixed = src.floats(3, 2 + 2 * m, "fixed_cost", step=2)
    neg = first_negative(fixed)
    if neg is not None:
        raise src.error("negative fixed cost", 3 + 2 * neg, "fixed_cost", float(fixed[neg]))
    body = src.floats(2 + 2 * m, need, ["demand"] + ["cost"] * m).reshape(n, 1 + m)
    neg = first_negative(body.ravel())
    if neg is not None:
        name = "demand" if neg % (1 + m) == 0 else "cost"
        raise src.error(f"negative {name}", 2 + 2 * m + neg, name, float(body.flat[neg]))
    return CapData(
        name=src.path.stem,
        n_facilities=m,
        n_customers=n,
        capacity=cap,
        fixed_cost=fixed,
        demand=np.ascontiguousarray(body[:, 0]),
        cost=np.ascontiguousarray(body[:, 1:]),
    )
