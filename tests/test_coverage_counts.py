"""A covering model's coverage kept as arrays until read, and the pandas-free look-ups.

``Solution.coverage`` is still the ``demand_id, weight, covered`` frame an
analyst reads; a solve that only reports it builds it from the decoded arrays
on first access. The verifier checks the claim in either form, and the id
look-ups that replaced pandas agree with pandas on every input.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siting import MCLP, Instance, verify_solution
from siting.instance_base import positions_in
from siting.instance_checks import first_repeat
from siting.solution_base import CoverageCounts
from siting.solution_figures import figures


def small_instance() -> Instance:
    demand = pd.DataFrame({"id": ["a", "b", "c", "d"], "x": [0.0, 1.0, 5.0, 9.0],
                           "y": [0.0, 0.0, 0.0, 0.0], "weight": [4, 3, 2, 1]})
    sites = pd.DataFrame({"id": ["s", "t", "u"], "x": [0.5, 5.0, 9.5], "y": [0.0, 0.0, 0.0]})
    return Instance.from_frames(demand, sites, demand_id="id", site_id="id")


def test_coverage_is_the_same_frame_when_read() -> None:
    inst = small_instance()
    sol = MCLP(radius=1, p=2).solve(inst)
    counts = sol.coverage_counts()
    assert isinstance(counts, CoverageCounts)
    frame = sol.coverage
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["demand_id", "weight", "covered"]
    assert frame["covered"].dtype == np.int64
    assert frame["demand_id"].tolist() == ["a", "b", "c", "d"]
    assert frame["covered"].tolist() == [1, 1, 1, 0]  # s and t open
    assert sol.coverage is frame  # built once, then kept
    assert sol.coverage_counts() is None
    assert sol.share_covered == pytest.approx(9 / 10)


def test_share_and_figures_from_the_arrays_equal_the_frames() -> None:
    inst = small_instance()
    lazy = MCLP(radius=1, p=2).solve(inst)
    read = MCLP(radius=1, p=2).solve(inst)
    _ = read.coverage  # made a frame first
    assert lazy.coverage_counts() is not None and read.coverage_counts() is None
    assert lazy.share_covered == pytest.approx(read.share_covered)
    assert figures(inst, lazy) == figures(inst, read)
    assert lazy.coverage_counts() is not None  # share_covered and figures read no frame


def test_a_frame_given_and_replace_keep_working() -> None:
    inst = small_instance()
    sol = MCLP(radius=1, p=2).solve(inst)
    copy = dataclasses.replace(sol)
    pd.testing.assert_frame_equal(copy.coverage, sol.coverage)
    frame = pd.DataFrame({"demand_id": ["a"], "weight": [4.0], "covered": [1]})
    sol.coverage = frame
    assert sol.coverage is frame and sol.coverage_counts() is None
    sol.coverage = None
    assert sol.coverage is None


@pytest.mark.parametrize("as_frame", [False, True])
def test_a_false_coverage_claim_fails_in_either_form(as_frame: bool) -> None:
    inst = small_instance()
    model = MCLP(radius=1, p=2)
    sol = model.solve(inst)
    assert verify_solution(inst, model, sol).ok
    counts = sol.coverage_counts()
    assert counts is not None
    claimed = counts.covered.copy()
    claimed[3] = 1  # d: no open site within 1
    sol.coverage = CoverageCounts(counts.demand_id, counts.weight, claimed)
    if as_frame:
        _ = sol.coverage
    report = verify_solution(inst, model, sol)
    assert not report.ok
    assert any("'d' claimed covered" in m for m in report.messages)
    claimed[3] = 0
    claimed[0] = 0  # a: claimed not covered, but it is
    sol.coverage = CoverageCounts(counts.demand_id, counts.weight, claimed)
    if as_frame:
        _ = sol.coverage
    report = verify_solution(inst, model, sol)
    assert any("'a' claimed not covered" in m for m in report.messages)


ints = st.lists(st.integers(-50, 50), max_size=30)
texts = st.lists(st.sampled_from(["a", "b", "c", "ab", "B", "", "007", "7"]), max_size=30)


@given(st.one_of(ints, texts), st.one_of(ints, texts))
def test_positions_in_agrees_with_pandas(known: list[object], ids: list[object]) -> None:
    unique = np.asarray(list(dict.fromkeys(known)))
    wanted = np.asarray(ids)
    expected = pd.Index(unique).get_indexer(wanted) if wanted.size else np.zeros(0)
    assert positions_in(unique, wanted).tolist() == expected.tolist()


@given(st.one_of(ints, texts))
def test_first_repeat_agrees_with_pandas(ids: list[object]) -> None:
    arr = np.asarray(ids)
    dup = pd.Series(arr).duplicated().to_numpy()
    expected = int(np.flatnonzero(dup)[0]) if dup.any() else None
    assert first_repeat(arr) == expected
    mixed = np.asarray([*ids, 1, "1"], dtype=object)
    dup = pd.Series(mixed).duplicated().to_numpy()
    assert first_repeat(mixed) == (int(np.flatnonzero(dup)[0]) if dup.any() else None)
