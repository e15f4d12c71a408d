"""Multi-service siting: several facility types on shared parcels, over years.

>>> from siting.multi import parse_spec
>>> spec = parse_spec({"meta": {"name": "demo", "years": [2026]},
...                    "facility": {"park": {"group": "pop_total", "radius_m": 500}}})
>>> spec.facility["park"].radius_m
500.0
"""

from siting.multi.data import ServiceData
from siting.multi.model import MultiServiceProblem
from siting.multi.solve import MultiSolution, solve_spec
from siting.multi.spec import Spec, load_spec, parse_spec

__all__ = [
    "MultiServiceProblem",
    "MultiSolution",
    "ServiceData",
    "Spec",
    "load_spec",
    "parse_spec",
    "solve_spec",
]
