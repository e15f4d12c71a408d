"""Self-contained HTML reports of multi-service solutions and sweeps (they open offline).

Everything is inline: the map is an SVG drawn from the instance's layers (no
tiles, no CDN) with a small script for pan, zoom, a coverage view per service
and a year filter; hover any block or facility for its details. The page then
has the plan targets (required, reached, met), coverage per sub-district,
the budget by year and type, and the comparison with the existing facilities
alone. A sweep's page has the budget–coverage curve and the scenario table.

Where things are:

- :mod:`~siting.report.plan`: the page of one solution (:func:`report_html`,
  :func:`write_report`); :mod:`~siting.report.classic`: the page of a classic
  model's solution (:func:`classic_report_html`); :mod:`~siting.report.sweep`:
  the page of a sweep and its curve;
- :mod:`~siting.report.fonts`: the embedded CJK font (Noto Sans CJK SC, OFL;
  :func:`use_in_matplotlib` makes it matplotlib's, for figures in notebooks);
- :mod:`~siting.report.svgmap`: the area map; :mod:`~siting.report.tables`:
  the tables shown (frames and cells); :mod:`~siting.report.formats`: money,
  shares and colours;
- :mod:`~siting.report.page`: the jinja2 environment; ``templates/`` the
  pages, macros and SVG drawings, ``static/`` the style sheet and map script
  (inlined into each page).

A report can be rebuilt from the files ``siting solve`` writes with
:func:`siting.readback_multi.read_solution`, which is what ``siting report DIR`` does.

>>> from siting.report import money, share_colour, type_colours
>>> money(2.5e9, "CNY")
'25.0亿元'
>>> share_colour(1.0), share_colour(0.0)
('#2f9e44', '#e03131')
>>> type_colours(["park"])
{'park': '#0072b2'}
"""

from typing import TYPE_CHECKING

from siting.lazy import first_use

if TYPE_CHECKING:
    from siting.report.classic import classic_report_html, write_classic_report
    from siting.report.fonts import use_in_matplotlib
    from siting.report.formats import (
        PALETTE,
        label_of,
        money,
        money_unit,
        pct_or_dash,
        plain_money,
        share_background,
        share_colour,
        type_colours,
    )
    from siting.report.page import environment, render_fragment, render_macro, render_page, static
    from siting.report.plan import baseline_chart, report_html, write_report
    from siting.report.svgmap import Canvas, map_layers, map_svg, network_lines, types_of
    from siting.report.sweep import curve_svg, sweep_report_html
    from siting.report.tables import (
        Cell,
        Table,
        budget_frame,
        coverage_by_type,
        subdistrict_frame,
        table_html,
        table_view,
        targets_frame,
    )

#: Public name → module, imported on first use: a run that only prints a summary
#: (money, shares) does not load jinja2 and the page machinery.
_WHERE = {
    "baseline_chart": "siting.report.plan",
    "budget_frame": "siting.report.tables",
    "Canvas": "siting.report.svgmap",
    "Cell": "siting.report.tables",
    "classic_report_html": "siting.report.classic",
    "coverage_by_type": "siting.report.tables",
    "curve_svg": "siting.report.sweep",
    "environment": "siting.report.page",
    "label_of": "siting.report.formats",
    "map_layers": "siting.report.svgmap",
    "map_svg": "siting.report.svgmap",
    "money": "siting.report.formats",
    "money_unit": "siting.report.formats",
    "network_lines": "siting.report.svgmap",
    "PALETTE": "siting.report.formats",
    "pct_or_dash": "siting.report.formats",
    "plain_money": "siting.report.formats",
    "render_fragment": "siting.report.page",
    "render_macro": "siting.report.page",
    "render_page": "siting.report.page",
    "report_html": "siting.report.plan",
    "share_background": "siting.report.formats",
    "share_colour": "siting.report.formats",
    "static": "siting.report.page",
    "subdistrict_frame": "siting.report.tables",
    "sweep_report_html": "siting.report.sweep",
    "Table": "siting.report.tables",
    "table_html": "siting.report.tables",
    "table_view": "siting.report.tables",
    "targets_frame": "siting.report.tables",
    "type_colours": "siting.report.formats",
    "types_of": "siting.report.svgmap",
    "use_in_matplotlib": "siting.report.fonts",
    "write_classic_report": "siting.report.classic",
    "write_report": "siting.report.plan",
}


__getattr__ = first_use(__name__, _WHERE)


__all__ = [
    "PALETTE",
    "Canvas",
    "Cell",
    "Table",
    "baseline_chart",
    "budget_frame",
    "classic_report_html",
    "coverage_by_type",
    "curve_svg",
    "environment",
    "label_of",
    "map_layers",
    "map_svg",
    "money",
    "money_unit",
    "network_lines",
    "pct_or_dash",
    "plain_money",
    "render_fragment",
    "render_macro",
    "render_page",
    "report_html",
    "share_background",
    "share_colour",
    "static",
    "subdistrict_frame",
    "sweep_report_html",
    "table_html",
    "table_view",
    "targets_frame",
    "type_colours",
    "types_of",
    "use_in_matplotlib",
    "write_classic_report",
    "write_report",
]
