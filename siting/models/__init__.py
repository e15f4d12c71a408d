"""The classic location models, by name.

>>> MODELS["p-median"].__name__, len(MODELS) >= 17
('PMedian', True)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

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
from siting.registry import REGISTERED, model_class


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
