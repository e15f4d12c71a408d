"""Rendering: one jinja2 environment for every page and SVG fragment of the report.

Templates live in ``siting/report/templates`` (package data), the style sheet
and the map script in ``siting/report/static``; both are read through
``importlib.resources`` so an installed package finds them. Autoescaping is
on everywhere: a template writes values, never markup built by hand, and a
fragment rendered here (an SVG) is :class:`~markupsafe.Markup` so that it is
not escaped a second time where a page includes it. The style sheet and the
script are inlined (``static(name)``), so a page needs no other file and no
network. Each page also embeds the glyphs of its own text from the package's
CJK font (:mod:`siting.report.fonts`), so Chinese reads on a machine without one.

>>> str(render_macro("macros.html.j2", "cards", [("a", "b<", "c")]))
'<div class="card"><small>a</small><b>b&lt;</b><small>c</small></div>'
>>> render_string("{{ 2.5e9 | money }} {{ 0.123 | pct }} {{ 3.14159 | fixed }}")
'25.0亿元 12.3% 3.1'
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from siting.report.formats import (
    money,
    pct,
    pct_or_dash,
    plain_money,
    shape_path,
    share_background,
    share_colour,
)

PACKAGE = "siting.report"


def fixed(value: float, digits: int = 1) -> str:
    """A number with a fixed count of decimals (SVG coordinates)."""
    return f"{float(value):.{digits}f}"


def thousands(value: float) -> str:
    """A whole number with thousands separators."""
    return f"{int(value):,}"


@functools.cache
def static(name: str) -> Markup:
    """A file of ``siting/report/static`` as it is inlined into a page (not escaped)."""
    return Markup(files(PACKAGE).joinpath("static", name).read_text(encoding="utf-8"))


@functools.cache
def environment() -> Environment:
    """The report's jinja2 environment (built once)."""
    env = Environment(
        loader=PackageLoader(PACKAGE, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=money,
        pct=pct,
        pct_or_dash=pct_or_dash,
        plain_money=plain_money,
        share_colour=share_colour,
        share_background=share_background,
        fixed=fixed,
        thousands=thousands,
    )
    env.globals["static"] = static
    env.globals["shape_path"] = shape_path
    return env


#: Where a page's ``@font-face`` rule goes (``templates/base.html.j2``); filled in last,
#: from the characters of the page itself.
FONT_SLOT = "/* font-face of this page */"


def render_page(template: str, **context: Any) -> str:
    """A whole page (ends with a newline), with the glyphs of its own text embedded
    (:func:`siting.report.fonts.font_face_css`)."""
    context = {**context, "font_slot": Markup(FONT_SLOT)}
    page = environment().get_template(template).render(**context)
    if FONT_SLOT not in page:
        return page
    from siting.report.fonts import font_face_css

    return page.replace(FONT_SLOT, font_face_css(page), 1)


def render_fragment(template: str, **context: Any) -> Markup:
    """Markup to include in a page (an SVG drawing), without its final newline."""
    text = environment().get_template(template).render(**context)
    return Markup(text.rstrip("\n"))


def render_macro(template: str, macro: str, *args: Any, **kwargs: Any) -> Markup:
    """One macro of a template called with these arguments (e.g. a table)."""
    module = environment().get_template(template).module
    return Markup(str(getattr(module, macro)(*args, **kwargs)))


def render_string(source: str, **context: Any) -> str:
    """A template given as text, rendered with the report's filters (for examples and tests)."""
    return environment().from_string(source).render(**context)
