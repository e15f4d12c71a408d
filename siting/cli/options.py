"""Choices and value parsing shared by the commands' options.

>>> parse_number("12", "--p", int)
12
>>> parse_number("ten", "--p", int)
Traceback (most recent call last):
siting.errors.ParameterError: field '--p': value 'ten': must be an integer
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from siting.errors import ParameterError

#: ``--json``, declared alike by every command that can print its outcome as JSON.
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
#: ``--quiet``, for the commands whose errors (and ``--json``) still print.
QuietFlag = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing but errors (and --json).")
]
#: How CSV folders and GeoPackages are read (``siting solve`` and ``siting info``).
CrsOption = Annotated[
    str | None,
    typer.Option("--crs", help="CRS of layers without one (every CSV), e.g. EPSG:4326; "
                 "degrees are projected to their UTM zone."),
]
EncodingOption = Annotated[
    str | None,
    typer.Option("--encoding", help="Text encoding of CSV files (and Shapefile text) that "
                 "are not UTF-8, e.g. GBK."),
]
class JunctionRule(StrEnum):
    """Where street lines meet (``--junctions``; see siting.data.junctions)."""

    vertices = "vertices"
    crossings = "crossings"
    ends = "ends"


JunctionsOption = Annotated[
    JunctionRule | None,
    typer.Option("--junctions", help="Where the street lines meet: vertices (a shared vertex, "
                 "the default), crossings (every crossing: one line per street, not split) "
                 "or ends."),
]
LevelOption = Annotated[
    str | None,
    typer.Option("--level", help="A column of the street layer: lines with different values "
                 "do not meet where they cross (bridges, tunnels; with --junctions crossings)."),
]
MaxAccessOption = Annotated[
    str | None,
    typer.Option("--max-access", help="Metres: points farther than this from every street are "
                 "unreachable (default 500)."),
]
NetworkWhereOption = Annotated[
    str | None,
    typer.Option("--network-where", help="An OGR SQL filter on the street layer, e.g. "
                 "\"highway <> 'motorway'\"."),
]
XyOption = Annotated[
    str | None,
    typer.Option("--xy", help="X,Y: a CSV's coordinate columns (default x,y, else "
                 "lon/lat names)."),
]


class FormatName(StrEnum):
    """The instance formats ``--format`` names (``auto``: guessed from the file)."""

    auto = "auto"
    orlib_pmed = "orlib-pmed"
    orlib_scp = "orlib-scp"
    orlib_cap = "orlib-cap"
    swain = "swain"
    bds = "bds"
    csv = "csv"
    gpkg = "gpkg"


def loading_options(
    crs: str | None, encoding: str | None, xy: str | None
) -> dict[str, Any]:
    """``--crs``, ``--encoding`` and ``--xy`` checked before any data is read.

    >>> loading_options("EPSG:4326", "GBK", "lon, lat")
    {'crs': 'EPSG:4326', 'encoding': 'GBK', 'xy': ('lon', 'lat')}
    >>> loading_options(None, None, "lon")
    Traceback (most recent call last):
    siting.errors.ParameterError: field '--xy': value 'lon': must be two column names, X,Y
    """
    if crs is not None:
        from siting.data.crs import parse_crs

        parse_crs(crs, "--crs")
    if encoding is not None:
        from siting.textio import check_encoding

        try:
            check_encoding(encoding)
        except ValueError as exc:
            raise ParameterError(str(exc), field="--encoding", value=encoding) from None
    pair = None
    if xy is not None:
        names = [n.strip() for n in xy.split(",")]
        if len(names) != 2 or not all(names):
            raise ParameterError("must be two column names, X,Y", field="--xy", value=xy)
        pair = (names[0], names[1])
    return {"crs": crs, "encoding": encoding, "xy": pair}


def parse_number(text: str | None, option: str, kind: type[int] | type[float]) -> Any:
    """Parse a numeric option ourselves, so the error names the option and the value."""
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ParameterError(f"must be {what}", field=option, value=text) from None


def not_for_a_spec(crs: str | None, encoding: str | None, xy: str | None) -> None:
    """Refuse ``--crs``, ``--encoding`` and ``--xy`` for a spec: its [data] table says them.

    >>> not_for_a_spec(None, "GBK", None)
    Traceback (most recent call last):
    siting.errors.ParameterError: field '--encoding': a spec's data are read as its [data] ...
    """
    given = [option for option, value in zip(("--crs", "--encoding", "--xy"),
                                             (crs, encoding, xy), strict=True) if value]
    if given:
        raise ParameterError("a spec's data are read as its [data] table says (crs, "
                             f"encoding, x, y), not by {given[0]}", field=given[0])


def street_rules(
    junctions: JunctionRule | None, level: str | None, max_access: str | None,
    where: str | None,
) -> Any:
    """The :class:`siting.data.streets.StreetRules` of the street options, checked.

    >>> street_rules(JunctionRule.crossings, None, "200", None).max_access
    200.0
    >>> street_rules(None, None, "0", None)
    Traceback (most recent call last):
    siting.errors.ParameterError: field '--max-access': value 0.0: must be > 0 (metres)
    """
    from siting.data.street_rules import StreetRules

    access = parse_number(max_access, "--max-access", float)
    if access is not None and not access > 0:
        raise ParameterError("must be > 0 (metres)", field="--max-access", value=access)
    return StreetRules(junctions=None if junctions is None else junctions.value, level=level,
                       max_access=access, where=where)
