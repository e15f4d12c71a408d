"""The classic location models, by name.

>>> MODELS["p-median"].__name__, len(MODELS) >= 17
('PMedian', True)
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from siting.registry import REGISTERED, model_class

if TYPE_CHECKING:
    from siting.models.attendance import Attendance
    from siting.models.base import LocationModel
    from siting.models.capacitated import CLSCP, CMCLP, CPMedian
    from siting.models.center import WeightedPCenter
    from siting.models.covering import LSCP, LSCPB, MCLP, SetCover
    from siting.models.dispersion import PDispersion
    from siting.models.facility import CFLP, UFLP
    from siting.models.market import MarketShare, TargetShare
    from siting.models.median import PCenter, PMedian
    from siting.models.partial import PSCP


class _Models(Mapping[str, "type[LocationModel]"]):
    """The registered models by name (:mod:`siting.registry`), each class imported on use.

    A model registered later (:func:`siting.registry.register`) is here at once.
    """

    def __getitem__(self, name: str) -> type[LocationModel]:
        if name not in REGISTERED:
            raise KeyError(name)
        kind: type[LocationModel] = model_class(name)
        return kind

    def __iter__(self) -> Iterator[str]:
        return iter(list(REGISTERED))

    def __len__(self) -> int:
        return len(REGISTERED)

    def __repr__(self) -> str:
        return f"MODELS({', '.join(REGISTERED)})"


#: Every registered model, by its name (``siting solve --model``).
MODELS: Mapping[str, type[LocationModel]] = _Models()

__all__ = [
    "CFLP",
    "CLSCP",
    "CMCLP",
    "LSCP",
    "LSCPB",
    "MCLP",
    "MODELS",
    "PSCP",
    "UFLP",
    "Attendance",
    "CPMedian",
    "LocationModel",
    "MarketShare",
    "PCenter",
    "PDispersion",
    "PMedian",
    "SetCover",
    "TargetShare",
    "WeightedPCenter",
]

#: Each class's module, imported when the class is first asked for: a solve loads its own
#: model's module, not all of them.
_SOURCES: dict[str, str] = {
    "Attendance": "siting.models.attendance",
    "CFLP": "siting.models.facility",
    "CLSCP": "siting.models.capacitated",
    "CMCLP": "siting.models.capacitated",
    "CPMedian": "siting.models.capacitated",
    "LSCP": "siting.models.covering",
    "LSCPB": "siting.models.covering",
    "LocationModel": "siting.models.base",
    "MCLP": "siting.models.covering",
    "MarketShare": "siting.models.market",
    "PCenter": "siting.models.median",
    "PDispersion": "siting.models.dispersion",
    "PMedian": "siting.models.median",
    "PSCP": "siting.models.partial",
    "SetCover": "siting.models.covering",
    "TargetShare": "siting.models.market",
    "UFLP": "siting.models.facility",
    "WeightedPCenter": "siting.models.center",
}


def __getattr__(name: str) -> Any:
    """A model class from its module on first use, then kept here."""
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value
    return value
