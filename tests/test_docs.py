"""The API reference covers every public name (``make docs`` checks each one's docstring)."""

from __future__ import annotations

import re
from pathlib import Path

import siting

API = Path(__file__).resolve().parents[1] / "docs" / "api"


def test_every_public_name_is_in_the_reference() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(API.glob("*.rst")))
    documented = set(re.findall(r"^\.\. auto(?:class|function|exception|data):: (\S+)", text,
                                re.MULTILINE))
    missing = [name for name in siting.__all__ if name not in documented]
    assert not missing, f"public names missing from docs/api: {missing}"
