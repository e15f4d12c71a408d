"""``siting --version``."""

from __future__ import annotations

import pytest

import siting
from siting.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"siting {siting.__version__}\n"
