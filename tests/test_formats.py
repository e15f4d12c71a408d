"""Small formats a user reads: CSV numbers, values in messages, the figures' font."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.backends.base import SolveOptions
from siting.errors import ParameterError
from siting.multi import MultiService
from siting.multi.spec import parse_spec
from tests.test_sweep import small_data, small_spec


def test_plan_csvs_write_costs_out_whole(tmp_path: Path) -> None:
    """facilities.csv and budget.csv give a cost of 2,000,000 as 2000000, never 2e+06."""
    spec, data = parse_spec(small_spec()), small_data()
    sol = MultiService(spec).solve(data, options=SolveOptions(threads=1))
    sol.write(tmp_path, data)
    for name in ("facilities.csv", "budget.csv", "targets.csv", "subdistricts.csv"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "e+" not in text, (name, text[:300])
    fac = pd.read_csv(tmp_path / "facilities.csv")
    assert np.allclose(fac["cost_est"].to_numpy(), sol.facilities["cost_est"].to_numpy())


def test_numpy_values_in_messages_read_as_plain_values() -> None:
    ids = np.array(["T007", "T008"])
    text = str(ParameterError("p is above the sites", field="--p", value=np.int64(7)))
    assert text == "field '--p': value 7: p is above the sites"
    assert "np." not in str(ParameterError("unknown site", value=ids[0]))
    assert "value 'T007'" in str(ParameterError("unknown site", value=ids[0]))


def test_the_font_reaches_a_figure_made_before() -> None:
    """use_in_matplotlib() after plt.subplots(): the figure's texts take the CJK face."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from siting.report.fonts import use_in_matplotlib

    fig, ax = plt.subplots()
    try:
        ax.set_title("回天 公园")
        ax.set_xlabel("预算")
        name = use_in_matplotlib()
        assert ax.title.get_fontfamily()[0] == name
        assert ax.xaxis.label.get_fontfamily()[0] == name
        late, other = plt.subplots()
        other.set_title("天通苑")
        assert other.title.get_fontfamily()[0] == name
        plt.close(late)
    finally:
        plt.close(fig)
