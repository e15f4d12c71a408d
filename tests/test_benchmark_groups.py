"""The ``generators`` and ``literature`` benchmark groups' instances and cases, in process
(the ``--quick`` smoke run leaves these groups out)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if not (ROOT / "benchmarks" / "instances.py").exists():
    pytest.skip("benchmarks/ not present", allow_module_level=True)

from benchmarks import instances as bi  # noqa: E402
from benchmarks.run_case import mclp_case  # noqa: E402


@pytest.mark.parametrize("gen", ["gauss-mixed", "thomas"])
def test_generators_are_seeded_and_differ_by_seed(gen: str) -> None:
    make, _ = bi.GENERATORS[gen]
    d1, s1 = make(400, 40, seed=1)
    again, _ = make(400, 40, seed=1)
    d2, _ = make(400, 40, seed=2)
    assert len(d1) == 400 and len(s1) == 40
    assert d1.equals(again) and not d1.equals(d2)
    assert (d1["weight"] >= 1).all() and np.isfinite(s1[["x", "y"]].to_numpy()).all()


def test_gauss_mixed_puts_half_the_sites_anywhere() -> None:
    _, s = bi.gaussian_mixed_mclp(2_000, 200, seed=1)
    # the uniform half reaches the box's corners, where no cluster is
    far = (s[["x", "y"]].abs() > 17).any(axis=1)
    assert far[100:].sum() > far[:100].sum()


@pytest.mark.parametrize("impl", ["siting", "highs-textbook"])
def test_a_generator_case_and_a_literature_case_solve(impl: str) -> None:
    gen = mclp_case({"kind": "mclp", "instance": "generator", "generator": "thomas",
                     "seed": 1, "n": 300, "m": 40, "p": 4, "time_limit": 30, "impl": impl})
    lit = mclp_case({"kind": "mclp", "instance": "literature",
                     "case": "bds-style-1000 s1 r1.5 p20", "p": 20, "time_limit": 30,
                     "impl": impl})
    assert gen["status"] == lit["status"] == "optimal"
    assert lit["objective"] == pytest.approx(15_524.0)
    if impl == "siting":
        assert gen["verified"] and lit["verified"]
        assert lit["stats"]["formulation_reason"]


def test_literature_files_are_read_as_nodes(tmp_path: Path) -> None:
    (tmp_path / "SJC3.txt").write_text("3\n0 0\n100 0\n0 300\n")
    (tmp_path / "demand-SJC3.dat").write_text("5\n1\n7\n")
    (tmp_path / "pr3.tsp").write_text("index x y\n1 10 20\n2 30 40\n3 50 60\n")
    nodes = bi.sjc_nodes("SJC3", tmp_path)
    assert nodes["weight"].tolist() == [5.0, 1.0, 7.0] and nodes["y"].iloc[2] == 300
    tsp = bi.tsplib_nodes("pr3", tmp_path)
    assert tsp["x"].tolist() == [10.0, 30.0, 50.0] and (tsp["weight"] == 1).all()
    (tmp_path / "demand-SJC3.dat").write_text("5\n1\n")
    with pytest.raises(ValueError, match="SJC3: 3 nodes but 2 demands"):
        bi.sjc_nodes("SJC3", tmp_path)


@pytest.mark.parametrize("family", ["lattice", "corridor", "heavy-tail", "core-sprawl",
                                    "wide-radius", "narrow-radius"])
def test_shape_families_are_seeded_and_every_run_agrees(family: str) -> None:
    from benchmarks.shapes import shape_instance, solve_shape

    d, s, radius = shape_instance(family, 300, 30)
    again, _, _ = shape_instance(family, 300, 30)
    assert len(d) == 300 and len(s) == 30 and radius > 0 and d.equals(again)
    assert (d["weight"] >= 1).all() and np.isfinite(s[["x", "y"]].to_numpy()).all()
    runs = {impl: solve_shape(family, 300, 30, 3, impl, 30.0)
            for impl in ("auto", "compact", "benders", "highs-textbook")}
    assert {r["status"] for r in runs.values()} == {"optimal"}, runs
    assert len({round(float(r["objective"]), 6) for r in runs.values()}) == 1, runs


def test_shapes_prints_a_row_a_run(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.shapes import main

    main(["--size", "200x20x2", "--limit", "10", "--families", "corridor,narrow-radius"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 2 * 3 and all("| optimal |" in r for r in rows[1:])
