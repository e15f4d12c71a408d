"""The blocks' ids are checked once per data: by the first problem built on them, not by
every type's instance nor by the problems derived from it (``reuse=``) on the same data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from siting.errors import InputError
from siting.instance_checks import check_unique, known_unique, unique_ids
from siting.multi.problem import MultiServiceProblem
from siting.multi.spec import parse_spec
from tests.helpers import small_data, small_spec


def block_id_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each check that reads an id array (its size), counted."""
    import siting.instance_checks as checks

    read: list[int] = []
    first_repeat = checks.first_repeat

    def counted(ids: Any) -> int | None:
        read.append(len(ids))
        return first_repeat(ids)

    monkeypatch.setattr(checks, "first_repeat", counted)
    return read


def test_block_ids_are_read_once_per_problem_and_not_by_a_derived_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec, data = parse_spec(small_spec()), small_data()
    n_blocks = len(data.blocks)
    assert all(td.instance.n_sites != n_blocks for td in MultiServiceProblem(spec, data)
               .types.values())  # a site list of that size would blur the count below
    read = block_id_checks(monkeypatch)
    prob = MultiServiceProblem(spec, data)
    assert len(prob.types) >= 2 and read.count(n_blocks) == 1
    read.clear()
    MultiServiceProblem(spec, data, reuse=prob)
    assert read.count(n_blocks) == 0
    MultiServiceProblem(spec, small_data(), reuse=prob)  # other data: checked again
    assert read.count(n_blocks) == 1


def test_a_repeated_block_id_is_still_refused_with_a_problem_to_reuse() -> None:
    spec, data = parse_spec(small_spec()), small_data()
    prob = MultiServiceProblem(spec, data)
    bad = small_data()
    bad.blocks.loc[bad.blocks.index[1], "block_id"] = bad.blocks["block_id"].iloc[0]
    with pytest.raises(InputError, match="duplicate demand id"):
        MultiServiceProblem(spec, bad, reuse=prob)
    with pytest.raises(InputError, match="duplicate demand id"):
        MultiServiceProblem(spec, bad)


def test_ids_made_writeable_again_are_checked_again() -> None:
    ids = unique_ids(np.array(["a", "b", "c"], dtype=object), "block id", None)
    check_unique(ids, "block id", None)
    with pytest.raises(ValueError):
        ids[2] = "a"  # read-only: what was checked stays so
    ids.flags.writeable = True
    ids[2] = "a"
    assert not known_unique(ids)
    with pytest.raises(InputError, match="duplicate block id"):
        check_unique(ids, "block id", None)


def test_text_ids_keep_the_object_array_for_other_types_and_trailing_nuls() -> None:
    from siting.instance_checks import text_ids

    class Named(str):
        pass

    for kept in (["a", Named("b")], ["a", "b\0"], ["a", 1]):
        assert text_ids(np.array(kept, dtype=object)).dtype == object
    assert text_ids(np.array(["a\0b", "c"], dtype=object)).tolist() == ["a\0b", "c"]
    assert text_ids(np.array(["a\0b", "c"], dtype=object)).dtype.kind == "U"


def test_a_derived_problem_lends_the_area_codes_of_the_same_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A problem on the same data grouping blocks by the same columns takes the area codes
    of the problem it reuses; other columns (an equity floor by another column) are coded
    anew, as on a fresh problem."""
    raw = small_spec()
    spec, data = parse_spec(raw), small_data()
    prob = MultiServiceProblem(spec, data)
    coded: list[int] = []
    area_codes = MultiServiceProblem._area_codes

    def counted(self: MultiServiceProblem) -> Any:
        coded.append(1)
        return area_codes(self)

    monkeypatch.setattr(MultiServiceProblem, "_area_codes", counted)
    derived = MultiServiceProblem(spec, data, reuse=prob)
    assert not coded and derived.area_codes is prob.area_codes
    data.blocks["zone"] = np.arange(len(data.blocks)) % 2
    raw["equity"] = [{"facility": next(iter(raw["facility"])), "by": "zone", "min_share": 0.0}]
    other = MultiServiceProblem(parse_spec(raw), data, reuse=prob)
    assert coded == [1] and other.area_columns != prob.area_columns
    assert np.array_equal(other.area_codes, MultiServiceProblem(parse_spec(raw), data).area_codes)
