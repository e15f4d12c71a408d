"""The example notebooks run top to bottom from a copy outside the repository.

Each notebook is copied into a temporary folder and run there with nbclient, its
``SPEC`` parameter (the cell tagged ``parameters``) set to the repository's spec
by absolute path: the data are found relative to the spec, whatever the working
directory. The notebooks import only public names (no ``siting.huitian``, no
``siting.backends``); each solve is limited to ``SITING_NOTEBOOK_TIME_LIMIT``.
"""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: Modules a notebook may import from siting: the documented, public ones.
PUBLIC = {"siting", "siting.data", "siting.multi", "siting.report", "siting.sweep",
          "siting.sweep_classic"}


def set_parameter(nb: Any, name: str, value: str) -> None:
    """Set ``name = value`` in the notebook's cell tagged ``parameters``."""
    (cell,) = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    lines = cell.source.splitlines()
    found = [k for k, line in enumerate(lines) if line.startswith(f"{name} =")]
    assert found, f"no {name} in the parameters cell"
    lines[found[0]] = f"{name} = {value!r}"
    cell.source = "\n".join(lines)


def run_copy(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             limit: str) -> list[dict[str, Any]]:
    """Run ``examples/<name>`` from a copy in ``tmp_path`` (its own working directory)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("SITING_NOTEBOOK_TIME_LIMIT", limit)
    # the kernel imports this repository's siting, whatever the environment has installed
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), path) if p))
    copy = tmp_path / "elsewhere" / name
    copy.parent.mkdir()
    shutil.copy(EXAMPLES / name, copy)
    nb = nbformat.read(copy, as_version=4)
    spec = {"huitian.ipynb": "huitian-2018-2020.toml", "qingfeng.ipynb": "qingfeng.toml"}[name]
    set_parameter(nb, "SPEC", str(ROOT / "models" / spec))
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(copy.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    return outputs


def text_of(outputs: list[dict[str, Any]]) -> str:
    return "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for o in outputs
    )


@pytest.mark.parametrize("name", ["huitian.ipynb", "qingfeng.ipynb"])
def test_notebooks_import_public_names_only(name: str) -> None:
    import json

    cells = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))["cells"]
    imported = set()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
    ours = {m for m in imported if m.split(".")[0] == "siting"}
    assert ours and ours <= PUBLIC, ours - PUBLIC
    assert "ROOT" not in "".join("".join(c["source"]) for c in cells)  # no guessed root


def test_huitian_notebook_runs_from_a_copy(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    if not (ROOT / "instances" / "huitian" / "huitian.gpkg").is_file():
        pytest.skip("instances/huitian/huitian.gpkg not present")
    monkeypatch.chdir(tmp_path)  # nothing found from the working directory either
    outputs = run_copy("huitian.ipynb", tmp_path, monkeypatch, "60")
    text = text_of(outputs)
    assert "3,984 residential blocks" in text
    assert "quota 6 -> 10" in text and "the variant has" in text
    # both variants bind: each builds a different plan from the plan as written
    assert text.count("verified: True") == 3, text[-3000:]
    assert "亿元" in text and "e+0" not in text  # costs formatted, never 3.600000e+07
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2, "the two maps were not drawn"


def test_qingfeng_notebook_runs_from_a_copy(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outputs = run_copy("qingfeng.ipynb", tmp_path, monkeypatch, "60")
    text = text_of(outputs)
    assert "144 residential blocks" in text and "converted to m² (× 666.667)" in text
    assert "optimal" in text and "verified: True" in text
    # the travel-time table and the street network give the same answer
    assert "500 m on the streets: 1,571.0 children" in text
    assert "6.25 min in the table: 1,571.0 children" in text
    # the GeoPackage for QGIS, beside the copy (OUT is relative to the working directory)
    gpkg = tmp_path / "elsewhere" / "qingfeng-out" / "qingfeng-plan.gpkg"
    import pyogrio

    layers = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    assert layers == {"小区_coverage", "new_facilities", "candidate_parcels",
                      "existing_facilities", "streets", "subdistricts"}
    blocks = pyogrio.read_dataframe(gpkg, layer="小区_coverage")
    assert {"小区名称", "常住人口", "幼儿园"} <= set(blocks.columns) and len(blocks) == 144
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2
