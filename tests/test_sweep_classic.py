"""Classic sweeps (siting.sweep_classic, ``siting sweep FILE --model ...``): one table whose
objectives are those of the single solves, the same on one and two workers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from siting.cli import EXIT_INPUT, main
from siting.errors import ParameterError
from siting.instance import Instance
from siting.io import load_instance
from siting.models import MCLP, PMedian
from siting.sweep import run_sweep
from siting.sweep_classic import classic_axis, run_classic_sweep
from tests.conftest import REFERENCE

SWAIN = REFERENCE / "swain" / "swain.dat"


@pytest.fixture(scope="module")
def swain() -> Instance:
    return load_instance(SWAIN).instance


def test_mclp_sweep_objectives_equal_single_solves(swain: Instance) -> None:
    axes = [classic_axis("p", "1:5:3"), classic_axis("radius", "10,15")]
    res = run_sweep(swain, axes, model="mclp", workers=2, processes=True)
    t = res.table
    assert list(t["scenario"]) == list(range(6)) and res.workers == 2
    assert list(zip(t["p"], t["radius"], strict=True)) == [
        (1, 10.0), (1, 15.0), (3, 10.0), (3, 15.0), (5, 10.0), (5, 15.0)
    ]
    assert set(t["status"]) == {"optimal"} and t["verified"].all()
    for row in t.itertuples():
        single = MCLP(radius=float(row.radius), p=int(row.p)).solve(swain)
        assert row.objective == pytest.approx(single.objective, rel=1e-9)
        assert row.sites <= row.p
        total = float(swain.weight.sum())
        assert row.covered == pytest.approx(float(single.objective or 0) / total, rel=1e-9)
    # more sites never cover less
    for _, g in t.groupby("radius"):
        assert g.sort_values("p")["objective"].is_monotonic_increasing
    one = run_classic_sweep(swain, axes, model="mclp", workers=1, processes=False)
    pd.testing.assert_frame_equal(t.drop(columns="selected"), one.table.drop(columns="selected"))


def test_p_median_sweep_gives_mean_distances(swain: Instance) -> None:
    res = run_classic_sweep(swain, [classic_axis("p", "2,4")], model="p-median",
                            workers=1, processes=False)
    t = res.table
    for row in t.itertuples():
        single = PMedian(p=int(row.p)).solve(swain)
        assert row.objective == pytest.approx(single.objective, rel=1e-9)
        total = float(swain.weight.sum())
        assert row.mean_distance == pytest.approx(float(single.objective or 0) / total, rel=1e-9)
    assert t["covered"].isna().all() and (t["max_distance"] > 0).all()


def test_bad_values_fail_before_any_worker(swain: Instance) -> None:
    with pytest.raises(ParameterError, match="whole numbers"):
        classic_axis("p", "1.5,2")
    with pytest.raises(ParameterError, match="varies p, radius"):
        classic_axis("beta", "1,2")
    with pytest.raises(ParameterError, match="unknown model"):
        run_classic_sweep(swain, [classic_axis("p", "1,2")], model="nosuch")
    # a p larger than the candidate sites is refused by the model's own check
    with pytest.raises(ParameterError):
        run_classic_sweep(swain, [classic_axis("p", "1,500")], model="mclp",
                          fixed={"radius": 10.0})


def test_cli_classic_sweep_writes_one_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], swain: Instance
) -> None:
    out = tmp_path / "sw"
    code = main(["sweep", str(SWAIN), "--model", "mclp", "--p", "2:4:2", "--radius", "10",
                 "--workers", "1", "--out", str(out), "--json"])
    assert code == 0
    res = json.loads(capsys.readouterr().out)
    assert res["model"] == "mclp" and res["fixed"] == {"radius": 10.0}
    assert [r["p"] for r in res["table"]] == [2, 4]
    table = pd.read_csv(out / "sweep.csv")
    for row in table.itertuples():
        single = MCLP(radius=10.0, p=int(row.p)).solve(swain)
        assert row.objective == pytest.approx(single.objective, rel=1e-9)
    code = main(["sweep", str(SWAIN), "--model", "mclp", "--p", "2.5", "--radius", "10"])
    assert code == EXIT_INPUT
    assert "--p" in capsys.readouterr().err
