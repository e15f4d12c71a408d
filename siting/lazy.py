"""A package's public names imported from their modules on first use (PEP 562).

``import siting.data`` and ``import siting.report`` stay cheap: a name's module
(pandas, geopandas or jinja2 behind it) loads when the name is first read. Every
read asks the module again (a dictionary look-up once it is loaded), so the package
always gives what its module holds now.

>>> import types
>>> package = types.ModuleType("demo_package")
>>> package.__getattr__ = first_use("demo_package", {"dedent": "textwrap"})
>>> package.dedent("  x").strip()
'x'
>>> package.nothing
Traceback (most recent call last):
    ...
AttributeError: module 'demo_package' has no attribute 'nothing'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def first_use(package: str, sources: Mapping[str, str]) -> Callable[[str], Any]:
    """The module-level ``__getattr__`` of ``package``: ``sources`` maps each public
    name to the module that defines it; any other name is an ``AttributeError``."""

    def attribute(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(source), name)

    return attribute
