"""MilpBuilder: rows built from blocks are the matrix of their entries, whatever the path."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.milp import Grid, MilpBuilder, _csr


@st.composite
def entries(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 6))
    size = draw(st.integers(0, 20))
    rows = np.array(draw(st.lists(st.integers(0, n_rows - 1), min_size=size, max_size=size)),
                    dtype=np.int64)
    cols = np.array(draw(st.lists(st.integers(0, n_cols - 1), min_size=size, max_size=size)),
                    dtype=np.int64)
    vals = np.array(draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=size,
                                  max_size=size)), dtype=np.float64)
    return rows, cols, vals, (n_rows, n_cols)


@settings(max_examples=200, deadline=None)
@given(entries())
def test_csr_is_scipys_matrix_to_the_bit(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]],
) -> None:
    """Same data, indices and row pointers as scipy's coordinate route, repeats or not."""
    rows, cols, vals, shape = case
    ours = _csr(rows, cols, vals, shape)
    theirs = sp.csr_matrix((vals, (rows, cols)), shape=shape)
    theirs.sum_duplicates()
    ours.sum_duplicates()  # a no-op when it was made canonical
    assert ours.shape == theirs.shape
    assert ours.data.tobytes() == theirs.data.tobytes()
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.indptr, theirs.indptr)


def test_csr_refuses_entries_outside_its_shape() -> None:
    with pytest.raises(ValueError):
        _csr(np.array([0]), np.array([3]), np.array([1.0]), (1, 3))


@settings(max_examples=60, deadline=None)
@given(st.lists(entries(), min_size=1, max_size=4), st.data())
def test_rows_of_parts_equal_the_dense_sum(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]], data: st.DataObject,
) -> None:
    """concat_rows and add_rows over CSR, COO and dense parts give the matrix whose rows
    are the sums of the parts' rows placed at their columns."""
    n_rows = parts[0][3][0]
    b = MilpBuilder()
    blocks = [b.add_block(f"x{k}", shape[1]) for k, (*_, shape) in enumerate(parts)]
    dense = np.zeros((n_rows, b.num_cols))
    pieces = []
    for (rows, cols, vals, shape), blk in zip(parts, blocks, strict=True):
        keep = rows < n_rows
        mat = sp.coo_matrix((vals[keep], (rows[keep], cols[keep])), shape=(n_rows, shape[1]))
        np.add.at(dense, (rows[keep], blk.start + cols[keep]), vals[keep])
        kind = data.draw(st.sampled_from(["csr", "coo", "dense"]))
        pieces.append((mat.tocsr() if kind == "csr" else mat if kind == "coo" else
                       mat.toarray(), blk))
    b.concat_rows(pieces, lower=0.0, upper=1.0, name="sum")
    b.add_rows(sp.csr_matrix(dense), lower=-1.0, upper=2.0)
    A = b.build().A.toarray()
    assert np.allclose(A[:n_rows], dense, rtol=1e-12, atol=1e-6)
    assert np.allclose(A[n_rows:], dense, rtol=1e-12, atol=1e-6)


def test_rows_outside_the_columns_are_refused() -> None:
    b = MilpBuilder()
    blk = b.add_block("x", 2)
    with pytest.raises(ValueError, match="column"):
        b.add_rows(sp.csr_matrix(np.ones((1, 3))), lower=0.0, upper=1.0)
    with pytest.raises(ValueError, match="columns"):
        b.add_rows(sp.csr_matrix(np.ones((1, 3))), lower=0.0, upper=1.0, cols=blk)


def test_a_matrix_changed_after_adding_its_rows_leaves_them_as_added() -> None:
    b = MilpBuilder()
    grid = b.add_grid("w", years=2, items=2)
    mat, _ = grid.terms(np.array([0, 0]), 1, np.array([0, 1]), np.array([2.0, 3.0]), 1)
    b.add_rows(mat, lower=0.0, upper=1.0, cols=grid)
    mat.data[:] = 0.0
    mat.indices[:] = 0
    assert b.build().A.toarray().tolist() == [[0.0, 0.0, 2.0, 3.0]]
    assert isinstance(grid, Grid)


#: A plan's objective over a million columns, printed exactly.
OBJECTIVE_PROBE = """
import numpy as np
from siting.milp import MilpBuilder
rng = np.random.default_rng(7)
n = 1_000_003
builder = MilpBuilder()
builder.add_block("x", n, lower=0, upper=1, cost=rng.random(n) * 1000)
milp = builder.build(sense="max")
print(repr(milp.objective_of(rng.random(n))))
"""


def test_an_objective_is_the_same_number_whatever_the_blas_threads() -> None:
    """numpy's dot splits a long sum among OpenBLAS's threads, so its last bits followed
    their number (249823842.5480623 on one, 249823842.54806197 on two): the objective
    must not."""
    printed = {
        threads: subprocess.run(
            [sys.executable, "-c", OBJECTIVE_PROBE], capture_output=True, text=True,
            timeout=120, env={**os.environ, "OPENBLAS_NUM_THREADS": threads}, check=True,
        ).stdout
        for threads in ("1", "2")
    }
    assert printed["1"] == printed["2"]
