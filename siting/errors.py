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
    """Base class of all errors raised on purpose by siting."""


class InputError(SitingError, ValueError):
    """Bad input: a file, a row, a field or a parameter value that cannot be used.

    The message names where the problem is (file, row, field, value) so a user can
    fix it without reading a traceback.
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
    """A file does not follow the format it claims (truncated, garbled, wrong encoding)."""


class ParameterError(InputError):
    """A model or solver parameter is out of range (radius <= 0, p > number of sites, ...)."""


class CRSError(InputError):
    """Coordinate reference systems that do not match, or do not suit a metric radius."""


class InfeasibleError(SitingError):
    """The model has no feasible solution; the message says which requirement fails."""


class SolverError(SitingError):
    """A back end failed or is not available."""


class SpecError(InputError):
    """A model spec (TOML) with an unknown key, a wrong type or an out-of-range value.

    The message names the key's path in the file, e.g.
    ``facility.kindergarten.radius_m: -300 must be > 0``.
    """

    def __init__(
        self, message: str, *, path: Any = None, row: int | None = None, value: Any = None
    ) -> None:
        super().__init__(message, path=path, row=row, value=value)
