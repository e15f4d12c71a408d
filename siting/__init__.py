"""siting: facility-siting optimisation with sparse coverage and solver-neutral MILP arrays.

>>> import siting
>>> sorted(siting.MODELS)[:3]
['cflp', 'lscp', 'lscp-b']
"""

from siting.backends.base import Result, SolveOptions, Status
from siting.errors import (
    CRSError,
    FormatError,
    InfeasibleError,
    InputError,
    ParameterError,
    SitingError,
    SolverError,
)
from siting.instance import Instance
from siting.io import load_instance
from siting.models import CFLP, LSCP, LSCPB, MCLP, MODELS, UFLP, PCenter, PMedian, SetCover
from siting.solution import Solution
from siting.verify import verify_solution

__version__ = "0.1.0"

__all__ = [
    "CFLP",
    "LSCP",
    "LSCPB",
    "MCLP",
    "MODELS",
    "UFLP",
    "CRSError",
    "FormatError",
    "InfeasibleError",
    "InputError",
    "Instance",
    "PCenter",
    "PMedian",
    "ParameterError",
    "Result",
    "SetCover",
    "SitingError",
    "Solution",
    "SolveOptions",
    "SolverError",
    "Status",
    "load_instance",
    "verify_solution",
]
