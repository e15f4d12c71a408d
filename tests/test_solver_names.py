"""No code outside ``siting/backends/`` names a solver: models ask back ends for
capabilities and say what they want in neutral terms (``Capability``, ``Tuning``).

A quoted solver name (in code or a docstring example), an import of a solver's
own package or of a back end's module, anywhere in ``siting/`` outside the
back ends, fails here with the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from siting.backends import DEFAULT_BACKEND, Capability, backend_names, get_backend, supports

PACKAGE = Path(__file__).resolve().parent.parent / "siting"
BACKENDS = PACKAGE / "backends"
#: Third-party solvers behind the back ends (``heuristic`` is the project's own).
SOLVERS = ("highs", "cbc", "ortools", "cpsat")
QUOTED = re.compile(r"""(["'])(""" + "|".join(SOLVERS) + r")\1")
IMPORTS = re.compile(
    r"^\s*(from|import)\s+(highspy|pulp|ortools|siting\.backends\.(highs|highs_lp|cbc|ortools))\b"
)


def offending_lines(root: Path = PACKAGE) -> list[str]:
    """``path:line: text`` of each line outside the back ends that names a solver."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if BACKENDS in path.parents:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if QUOTED.search(line) or IMPORTS.match(line):
                found.append(f"{path.relative_to(root.parent)}:{number}: {line.strip()}")
    return found


def test_no_solver_named_outside_backends() -> None:
    assert offending_lines() == []


def test_the_check_sees_a_solver_name(tmp_path: Path) -> None:
    package = tmp_path / "siting"
    (package / "models").mkdir(parents=True)
    (package / "models" / "m.py").write_text(
        'def f(solver: str) -> bool:\n    return solver != "highs"\n\n'
        "from siting.backends.highs import PROOF\n"
    )
    assert [line.split(": ", 1)[0] for line in offending_lines(package)] == [
        "siting/models/m.py:2", "siting/models/m.py:4"]


def test_default_backend_is_registered_first() -> None:
    assert backend_names()[0] == DEFAULT_BACKEND


@pytest.mark.parametrize("name", ["highs", "cbc", "ortools", "cpsat", "heuristic"])
def test_backend_supports_matches_registry(name: str) -> None:
    try:
        backend = get_backend(name)
    except Exception:
        pytest.skip(f"{name} is not available here")
    for capability in Capability:
        assert backend.supports(capability) == supports(name, capability)
