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


class ModelName(StrEnum):
    """The classic models ``siting solve --model`` offers."""

    mclp = "mclp"
    lscp = "lscp"
    lscp_b = "lscp-b"
    pscp = "pscp"
    p_median = "p-median"
    p_center = "p-center"
    uflp = "uflp"
    cflp = "cflp"
    set_cover = "set-cover"
    p_dispersion = "p-dispersion"
    cp_median = "cp-median"
    clscp = "clscp"
    cmclp = "cmclp"
    attendance = "attendance"
    market_share = "market-share"
    target_share = "target-share"


class DecayName(StrEnum):
    """How attendance and gravity pull fall with distance (``--decay``)."""

    linear = "linear"
    power = "power"
    exponential = "exponential"


class FormulationName(StrEnum):
    """MCLP and PSCP formulations ``--formulation`` names (``auto``: from the reduced instance)."""

    auto = "auto"
    compact = "compact"
    benders = "benders"


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


def parse_number(text: str | None, option: str, kind: type[int] | type[float]) -> Any:
    """Parse a numeric option ourselves, so the error names the option and the value."""
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ParameterError(f"must be {what}", field=option, value=text) from None
