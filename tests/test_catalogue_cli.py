"""The catalogue models on the command line: options, JSON, files and one-line errors.

Each command's objective is compared with the same model solved from Python
on the same files, so the options reach the model they name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from siting.cli import EXIT_INFEASIBLE, EXIT_INPUT, main
from siting.io import load_instance
from siting.models import (
    CLSCP,
    CMCLP,
    Attendance,
    CPMedian,
    MarketShare,
    PDispersion,
    TargetShare,
    WeightedPCenter,
)
from tests.conftest import REFERENCE

SWAIN = REFERENCE / "swain" / "swain.dat"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV folder (demand, sites with capacities, two existing) and a competitors file."""
    root = tmp_path_factory.mktemp("catalogue")
    rng = np.random.default_rng(1)
    n, m = 40, 10
    pd.DataFrame({"id": [f"d{i}" for i in range(n)], "x": rng.uniform(0, 1000, n),
                  "y": rng.uniform(0, 1000, n), "weight": rng.integers(1, 20, n)}
                 ).to_csv(root / "demand.csv", index=False)
    pd.DataFrame({"id": [f"s{j}" for j in range(m)], "x": rng.uniform(0, 1000, m),
                  "y": rng.uniform(0, 1000, m), "capacity": rng.integers(60, 200, m),
                  "existing": np.arange(m) < 2}).to_csv(root / "sites.csv", index=False)
    pd.DataFrame({"x": [200.0, 800.0], "y": [300.0, 700.0], "attractiveness": [1.0, 2.0]}
                 ).to_csv(root / "rivals.csv", index=False)
    return root


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def cases(root: Path) -> list[tuple[list[str], Any]]:
    rivals = str(root / "rivals.csv")
    return [
        (["--model", "p-dispersion", "--p", "3"], PDispersion(p=3)),
        (["--model", "cp-median", "--p", "3"], CPMedian(p=3)),
        (["--model", "cp-median", "--p", "3", "--fulfil-existing", "--single-source"],
         CPMedian(p=3, fulfil_existing=True, single_source=True)),
        (["--model", "clscp", "--radius", "600"], CLSCP(radius=600)),
        (["--model", "clscp", "--radius", "600", "--single-source"],
         CLSCP(radius=600, single_source=True)),
        (["--model", "cmclp", "--radius", "250", "--p", "2"], CMCLP(radius=250, p=2)),
        (["--model", "p-center", "--weighted", "--p", "2"], WeightedPCenter(p=2)),
        (["--model", "attendance", "--p", "2", "--decay", "linear", "--cutoff", "400"],
         Attendance(p=2, decay="linear", cutoff=400)),
        (["--model", "attendance", "--p", "2", "--decay", "exponential", "--beta", "2",
          "--decay-scale", "300"],
         Attendance(p=2, decay="exponential", beta=2, scale=300)),
        (["--model", "market-share", "--p", "2", "--competitors", rivals, "--beta", "2",
          "--decay-scale", "100"],
         MarketShare(p=2, competitors=rivals, beta=2, scale=100)),
        (["--model", "target-share", "--share", "0.5", "--competitors", rivals, "--cutoff",
          "500", "--decay-scale", "100"],
         TargetShare(share=0.5, competitors=rivals, cutoff=500, scale=100)),
    ]


def test_every_model_from_the_command_line(folder: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    inst = load_instance(folder).instance
    for args, model in cases(folder):
        code, out, err = run(["solve", str(folder), *args, "--json"], capsys)
        assert code == 0, (args, err)
        res = json.loads(out)
        assert res["model"] == model.name and res["verified"] is True, (args, res)
        assert res["status"] == "optimal", (args, res["status"], res["message"])
        assert res["objective"] == pytest.approx(model.solve(inst).objective, rel=1e-6), args


def test_market_share_writes_its_files(folder: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "market"
    code, _, err = run(["solve", str(folder), "--model", "market-share", "--p", "2",
                        "--competitors", str(folder / "rivals.csv"), "--out", str(out)], capsys)
    assert code == 0, err
    summary = json.loads((out / "solution.json").read_text())
    assert summary["params"]["competitors"] == str(folder / "rivals.csv")
    assert summary["params"]["n_competitors"] == 2
    shares = pd.read_csv(out / "assignment.csv")
    assert set(shares.columns) == {"demand_id", "site_id", "fraction"}
    assert (shares.groupby("demand_id")["fraction"].sum() <= 1 + 1e-9).all()


def test_summary_table(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["solve", str(folder), "--model", "p-dispersion", "--p", "3"], capsys)
    assert code == 0 and "p-dispersion" in out and "optimal" in out


def test_reference_instance(capsys: pytest.CaptureFixture[str]) -> None:
    if not SWAIN.exists():
        pytest.skip("instances/reference not present")
    code, out, _ = run(["solve", str(SWAIN), "--model", "p-center", "--weighted", "--p", "3",
                        "--json"], capsys)
    assert code == 0
    assert json.loads(out)["model"] == "weighted-p-center"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--model", "market-share", "--p", "2"], "competitors are required"),
        (["--model", "market-share", "--p", "2", "--competitors", "nope.csv"], "file not found"),
        (["--model", "target-share", "--competitors", "RIVALS", "--share", "1.5"],
         "field '--share': value 1.5: must be <= 1"),
        (["--model", "attendance", "--p", "2", "--decay", "linear"], "needs a cutoff"),
        (["--model", "attendance", "--p", "2", "--beta", "-1"],
         "field '--beta': value -1.0: must be > 0"),
        (["--model", "attendance", "--p", "2", "--beta", "two"], "--beta"),
        (["--model", "p-dispersion", "--p", "99"], "p exceeds"),
        (["--model", "cp-median"], "p (number of facilities) is required"),
    ],
)
def test_bad_options_are_one_line_errors(folder: Path, args: list[str], needle: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.replace("RIVALS", str(folder / "rivals.csv")) for a in args]
    code, _, err = run(["solve", str(folder), *args], capsys)
    assert code == EXIT_INPUT, err
    assert needle in err and len(err.strip().splitlines()) == 1, err


def test_unreachable_target_share_is_infeasible(folder: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["solve", str(folder), "--model", "target-share", "--share", "0.99",
                        "--competitors", str(folder / "rivals.csv"), "--cutoff", "100"], capsys)
    assert code == EXIT_INFEASIBLE
    assert "can be captured with every site open" in err
