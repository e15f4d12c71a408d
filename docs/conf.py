"""Sphinx configuration of siting's API reference (``make docs``)."""

from __future__ import annotations

import siting

project = "siting"
author = "siting contributors"
copyright = "siting contributors (MIT licence)"  # noqa: A001 - Sphinx's name
release = version = siting.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
exclude_patterns = ["_build", "design.md"]
html_theme = "alabaster"
html_static_path: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc sections say the types
autodoc_default_options = {"undoc-members": False}

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Every public object documented here has a summary, its parameters, what it
# returns and an example (run as a doctest by the test suite), the model
# classes included (with their formulations); pydantic spec tables describe
# their keys as attributes.
numpydoc_validate = True
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "RT01", "EX01"}
numpydoc_validation_exclude = {
    r"^siting\.MODELS$",
    r"^siting\.Status$",  # an enum: its members are its values
    r"\.model_",  # pydantic's own members
    r"\.__",
}
numpydoc_validation_overrides = {}
