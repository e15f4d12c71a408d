"""Multi-service siting: several facility types on shared parcels, over years.

A spec (:func:`load_spec`) states the question; :class:`MultiService` is the
model object; its :meth:`~MultiService.solve` takes the data
(:class:`ServiceData`) and returns a verified :class:`MultiSolution`.

>>> spec = parse_spec({"meta": {"name": "demo", "years": [2026]},
...                    "facility": {"park": {"group": "pop_total", "radius_m": 500}}})
>>> spec.facility["park"].radius_m
500.0
"""

from siting.multi.data import ServiceData
from siting.multi.pipeline import MultiService
from siting.multi.problem import MultiServiceProblem
from siting.multi.solution import MultiSolution
from siting.multi.spec import Spec, load_spec, parse_spec

__all__ = [
    "MultiService",
    "MultiServiceProblem",
    "MultiSolution",
    "ServiceData",
    "Spec",
    "load_spec",
    "parse_spec",
]
