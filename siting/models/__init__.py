"""The classic location models, by name."""

from __future__ import annotations

from siting.models.base import LocationModel
from siting.models.covering import LSCP, LSCPB, MCLP, SetCover
from siting.models.facility import CFLP, UFLP
from siting.models.median import PCenter, PMedian

MODELS: dict[str, type[LocationModel]] = {
    "mclp": MCLP,
    "lscp": LSCP,
    "set-cover": SetCover,
    "lscp-b": LSCPB,
    "p-median": PMedian,
    "p-center": PCenter,
    "uflp": UFLP,
    "cflp": CFLP,
}

__all__ = [
    "CFLP",
    "LSCP",
    "LSCPB",
    "MCLP",
    "MODELS",
    "UFLP",
    "LocationModel",
    "PCenter",
    "PMedian",
    "SetCover",
]
