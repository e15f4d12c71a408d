"""How a street layer is read and built (:class:`StreetRules`), apart from the building.

The ``siting`` command makes these rules from its street options on every
solve; they live here, with no numpy, pandas or shapely, so that a solve that
reads no streets does not import them (:mod:`siting.data.streets` builds the
network and re-exports both names).

>>> StreetRules(max_access=200.0).said(), StreetRules().said()
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_MAX_ACCESS_M", "StreetRules"]

#: A point farther than this from every street is unreachable (metres), by default.
DEFAULT_MAX_ACCESS_M = 500.0


@dataclass(frozen=True)
class StreetRules:
    """How a street layer is read and built, as a spec's ``network_*`` keys or the command
    line's ``--junctions``, ``--level``, ``--max-access``, ``--network-where`` say it
    (None: the default of :func:`street_network`; ``where``: an OGR SQL filter applied when
    the layer is read)."""

    junctions: str | None = None
    level: str | None = None
    max_access: float | None = None
    where: str | None = None
    tolerance: float = 0.5

    def said(self) -> bool:
        """Whether any rule differs from its default."""
        return self != StreetRules()

    def builder_arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`street_network` these rules set.

        >>> StreetRules(junctions="crossings", max_access=200.0).builder_arguments()
        {'tolerance': 0.5, 'junctions': 'crossings', 'max_access': 200.0}
        """
        out: dict[str, Any] = {"tolerance": self.tolerance}
        for key in ("junctions", "level", "max_access"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out
