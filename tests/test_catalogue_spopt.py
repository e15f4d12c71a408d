"""Cross-check with PySAL spopt where it has the model (skipped without the ``bench`` extra).

The cases of spopt's own test suite for p-dispersion, the capacitated
p-median with predefined sites filled first and CLSCP-SO, and a few random
instances of each: spopt (PuLP + CBC) and siting (HiGHS) must reach the same
objective, or both find the case infeasible (:mod:`benchmarks.catalogue`).
"""

from __future__ import annotations

import pytest

pytest.importorskip("spopt")
pytest.importorskip("spaghetti")

from benchmarks.catalogue import random_cases, suite_cases


def test_spopt_test_suite_cases_agree() -> None:
    rows = list(suite_cases())
    assert len(rows) == 11
    bad = [r for r in rows if not r["agree"] or r["verified"] not in (True, None)]
    assert not bad, bad


@pytest.mark.slow
def test_random_cases_agree() -> None:
    rows = list(random_cases(6, seed=1))
    bad = [r for r in rows if not r["agree"]]
    assert not bad, bad
