"""Exception classes: every user-facing failure is one of these, with a one-line message.

The CLI turns :class:`InputError` (and its subclasses) into exit code 2 and
:class:`InfeasibleError` into exit code 3, printing ``str(exc)`` only.

>>> str(InputError("bad weight", path="d.csv", row=4, field="weight", value="nan"))
"d.csv: row 4: field 'weight': value 'nan': bad weight"
>>> import numpy as np
>>> str(ParameterError("too many", field="p", value=np.int64(7)))
"field 'p': value 7: too many"
>>> str(InputError("unknown site", value=np.array(["T007"])[0]))
"value 'T007': unknown site"
"""

from __future__ import annotations

from typing import Any


class SitingError(Exception):
    """Base class of all errors raised on purpose by siting.

    Catch it to handle every failure siting reports (its message is one line).

    Examples
    --------
    >>> issubclass(InputError, SitingError) and issubclass(InfeasibleError, SitingError)
    True
    """


class InputError(SitingError, ValueError):
    """Bad input: a file, a row, a field or a parameter value that cannot be used.

    The message names where the problem is (file, row, field, value) so a user can
    fix it without reading a traceback.

    Parameters
    ----------
    message : str
        What is wrong, and the fix when there is one.
    path : str or os.PathLike, optional
        The file.
    row : int, optional
        The row, as the file numbers it (a CSV's line number).
    field : str, optional
        The column or key.
    value : optional
        The value found.

    Examples
    --------
    >>> err = InputError("must be >= 0", path="demand.csv", row=7, field="weight", value=-3)
    >>> str(err)
    "demand.csv: row 7: field 'weight': value -3: must be >= 0"
    >>> err.row, err.field
    (7, 'weight')
    """

    def __init__(
        self,
        message: str,
        *,
        path: Any = None,
        row: int | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        self.reason = message
        self.path = None if path is None else str(path)
        self.row = row
        self.field = field
        self.value = value
        parts: list[str] = []
        if self.path is not None:
            parts.append(self.path)
        if row is not None:
            parts.append(f"row {row}")
        if field is not None:
            parts.append(f"field {field!r}")
        if value is not None:
            if type(value).__module__ == "numpy" and hasattr(value, "item"):
                value = value.item()  # 7, not np.int64(7); 'T007', not np.str_('T007')
            shown = repr(value) if not isinstance(value, str) else repr(str(value)[:80])
            parts.append(f"value {shown}")
        parts.append(message)
        super().__init__(": ".join(parts))


class FormatError(InputError):
    """A file does not follow the format it claims (truncated, garbled, wrong encoding).

    Parameters
    ----------
    message, path, row, field, value
        As :class:`InputError`.

    Examples
    --------
    >>> str(FormatError("expected 3 numbers", path="pmed1.txt", row=2))
    'pmed1.txt: row 2: expected 3 numbers'
    """


class ParameterError(InputError):
    """A model or solver parameter is out of range (radius <= 0, p > number of sites, ...).

    Parameters
    ----------
    message, path, row, field, value
        As :class:`InputError`.

    Examples
    --------
    >>> from siting import MCLP
    >>> MCLP(radius=-1, p=2)
    Traceback (most recent call last):
    siting.errors.ParameterError: field 'radius': value -1: must be > 0
    """


class CRSError(InputError):
    """Coordinate reference systems that do not match, or do not suit a metric radius.

    Parameters
    ----------
    message, path, row, field, value
        As :class:`InputError`.

    Examples
    --------
    >>> str(CRSError("demand is in EPSG:4326 but sites is in EPSG:3857", field="crs"))
    "field 'crs': demand is in EPSG:4326 but sites is in EPSG:3857"
    """


class InfeasibleError(SitingError):
    """The model has no feasible solution; the message says which requirement fails.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting import CPMedian, Instance
    >>> d = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 0.0], "weight": [5, 5],
    ...                   "capacity": [4, 4]})
    >>> CPMedian(p=1).solve(Instance.from_frames(d, d, capacity="capacity"))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    siting.errors.InfeasibleError: cp-median: ... hold 4, less than the total demand 10
    """


class SolverError(SitingError):
    """A back end failed or is not available.

    Examples
    --------
    >>> str(SolverError("back end 'gurobi' is not installed"))
    "back end 'gurobi' is not installed"
    """


class SpecError(InputError):
    """A model spec (TOML) with an unknown key, a wrong type or an out-of-range value.

    The message names the key's path in the file, e.g.
    ``facility.kindergarten.radius_m: -300 must be > 0``.
    """

    def __init__(
        self, message: str, *, path: Any = None, row: int | None = None, value: Any = None
    ) -> None:
        super().__init__(message, path=path, row=row, value=value)
