"""Published optima reproduced through the command line (`siting solve ... --json`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from siting.cli import main
from tests.conftest import REFERENCE, mip_backends

OPTIMA = REFERENCE / "optima.csv"


def optima() -> pd.DataFrame:
    if not OPTIMA.exists():
        pytest.skip("instances/reference/optima.csv not present")
    return pd.read_csv(OPTIMA)


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    code = main(["solve", *args, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0, out
    return json.loads(out[-1])


def file_of(instance: str, fmt: str) -> Path:
    folder = {
        "orlib-pmed": "orlib-pmed",
        "orlib-scp": "orlib-scp",
        "orlib-cap": "orlib-cap",
        "swain": "swain",
    }[fmt]
    name = "swain.dat" if fmt == "swain" else f"{instance}.txt"
    return REFERENCE / folder / name


PMED = [f"pmed{i}" for i in range(1, 11)]
SCP = [f"scp4{i}" for i in range(1, 6)]


@pytest.mark.parametrize("instance", PMED)
def test_pmedian_published_optimum(instance: str, capsys: pytest.CaptureFixture[str]) -> None:
    row = optima().query("instance == @instance").iloc[0]
    res = run_json([str(file_of(instance, "orlib-pmed")), "--model", "p-median"], capsys)
    assert res["status"] == "optimal" and res["verified"] is True
    assert res["objective"] == pytest.approx(row["optimum"], abs=1e-6)
    assert len(res["selected"]) == int(row["p"])


@pytest.mark.parametrize("instance", SCP)
def test_set_cover_published_optimum(instance: str, capsys: pytest.CaptureFixture[str]) -> None:
    row = optima().query("instance == @instance").iloc[0]
    res = run_json([str(file_of(instance, "orlib-scp")), "--model", "set-cover"], capsys)
    assert res["status"] == "optimal" and res["verified"] is True
    assert res["objective"] == pytest.approx(row["optimum"], abs=1e-6)


@pytest.mark.parametrize("instance, model", [("cap41", "cflp"), ("cap71", "uflp")])
def test_cap_published_optimum(
    instance: str, model: str, capsys: pytest.CaptureFixture[str]
) -> None:
    row = optima().query("instance == @instance").iloc[0]
    res = run_json([str(file_of(instance, "orlib-cap")), "--model", model], capsys)
    assert res["status"] == "optimal" and res["verified"] is True
    assert res["objective"] == pytest.approx(row["optimum"], rel=1e-7)


def test_swain_mclp_table(capsys: pytest.CaptureFixture[str]) -> None:
    rows = optima().query("instance == 'swain'")
    assert len(rows) == 36
    path = str(file_of("swain", "swain"))
    for r in rows.itertuples():
        res = run_json(
            [path, "--model", "mclp", "--radius", str(r.radius), "--p", str(int(r.p))], capsys
        )
        assert res["status"] == "optimal" and res["verified"] is True, (r.radius, r.p)
        assert res["objective"] == pytest.approx(r.optimum, abs=1e-6), (r.radius, r.p)


@pytest.mark.parametrize("backend", [b for b in mip_backends() if b != "highs"])
def test_other_backends_agree_on_small_cases(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    opt = optima().set_index("instance")
    cases = [
        ([str(file_of("pmed1", "orlib-pmed")), "--model", "p-median"], opt.loc["pmed1", "optimum"]),
        ([str(file_of("scp41", "orlib-scp")), "--model", "set-cover"], opt.loc["scp41", "optimum"]),
        ([str(file_of("cap71", "orlib-cap")), "--model", "uflp"], opt.loc["cap71", "optimum"]),
        ([str(file_of("swain", "swain")), "--model", "mclp", "--radius", "10", "--p", "3"], 548),
    ]
    for args, expected in cases:
        res = run_json([*args, "--solver", backend], capsys)
        assert res["status"] == "optimal" and res["verified"] is True, args
        assert res["objective"] == pytest.approx(float(expected), rel=1e-7), args
