"""Ids are unique: numbers in increasing order skip the hashing, any other order is hashed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siting.errors import InputError
from siting.instance import Instance
from siting.instance_checks import repeated


@given(st.lists(st.integers(-5, 5), max_size=12))
def test_repeated_is_pandas_duplicated(ids: list[int]) -> None:
    for arr in (np.array(ids, dtype=np.int64), np.array(ids, dtype=np.float64),
                np.array(sorted(ids), dtype=np.int32)):
        assert repeated(arr).tolist() == pd.Series(arr).duplicated().tolist()


@pytest.mark.parametrize("ids", [[0, 1, 1, 2], [2, 1, 2], [5, 4, 3, 3], [0.5, 0.5]])
def test_repeated_numeric_demand_id_is_refused(ids: list[float]) -> None:
    demand = pd.DataFrame({"id": ids, "x": 0.0, "y": 0.0, "weight": 1.0})
    sites = pd.DataFrame({"id": [0], "x": [0.0], "y": [0.0]})
    with pytest.raises(InputError, match="duplicate id"):
        Instance.from_frames(demand, sites, demand_id="id", site_id="id")


def test_increasing_ids_pass() -> None:
    demand = pd.DataFrame({"id": np.arange(5, dtype=np.int32), "x": 0.0, "y": 0.0,
                           "weight": 1.0})
    sites = pd.DataFrame({"id": [3, 7], "x": [0.0, 1.0], "y": [0.0, 0.0]})
    inst = Instance.from_frames(demand, sites, demand_id="id", site_id="id")
    assert inst.n_demand == 5 and inst.n_sites == 2
