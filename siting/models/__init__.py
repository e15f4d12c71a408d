"""The classic location models, by name."""

from __future__ import annotations

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

MODELS: dict[str, type[LocationModel]] = {
    "mclp": MCLP,
    "lscp": LSCP,
    "set-cover": SetCover,
    "lscp-b": LSCPB,
    "pscp": PSCP,
    "p-median": PMedian,
    "p-center": PCenter,
    "uflp": UFLP,
    "cflp": CFLP,
    "p-dispersion": PDispersion,
    "cp-median": CPMedian,
    "clscp": CLSCP,
    "cmclp": CMCLP,
    "weighted-p-center": WeightedPCenter,
    "attendance": Attendance,
    "market-share": MarketShare,
    "target-share": TargetShare,
}

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
