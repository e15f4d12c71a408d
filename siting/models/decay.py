"""Distance decay: how much of a demand point's weight a facility at distance ``d`` draws.

The same functions serve the attendance model, the gravity (Huff) share of the
market models and the attendance-weighted coverage of multi-service specs.
Distances are read in units of ``scale`` (``u = d / scale``):

- ``linear``: ``1 - d / cutoff`` (needs a cutoff; 0 at the cutoff);
- ``power``: ``min(1, u^-beta)`` (full weight within one unit, as ArcGIS's power
  transformation; choose ``scale`` so that one unit is a short distance);
- ``exponential``: ``exp(-beta * u)``.

Beyond ``cutoff`` (when given) the value is 0.

>>> import numpy as np
>>> Decay("linear", cutoff=10).value(np.array([0.0, 5.0, 10.0, 12.0])).tolist()
[1.0, 0.5, 0.0, 0.0]
>>> Decay("power", beta=2).value(np.array([0.5, 2.0])).tolist()
[1.0, 0.25]
>>> round(float(Decay("exponential", beta=1, scale=100).value(np.array([100.0]))[0]), 4)
0.3679
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from siting.errors import ParameterError

#: The decay functions by name.
KINDS = ("linear", "power", "exponential")


@dataclass(frozen=True)
class Decay:
    """A decay function of distance (see the module docstring); checked on construction."""

    kind: str = "power"
    beta: float = 1.0
    cutoff: float | None = None
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError(
                f"decay must be one of {', '.join(KINDS)}", field="decay", value=self.kind
            )
        for name in ("beta", "scale"):
            value = getattr(self, name)
            if not _finite(value) or value <= 0:
                raise ParameterError(f"{name} must be a finite number > 0", field=name,
                                     value=value)
        if self.cutoff is not None and (not _finite(self.cutoff) or self.cutoff <= 0):
            raise ParameterError("cutoff must be a finite number > 0", field="cutoff",
                                 value=self.cutoff)
        if self.kind == "linear" and self.cutoff is None:
            raise ParameterError("linear decay needs a cutoff (where it reaches 0)",
                                 field="cutoff")

    def value(self, distance: ArrayLike) -> NDArray[np.float64]:
        """The share of weight drawn at each distance (0 beyond the cutoff, or unreachable)."""
        d = np.maximum(np.asarray(distance, dtype=np.float64), 0.0)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if self.kind == "linear":
                assert self.cutoff is not None
                out = 1.0 - d / self.cutoff
            elif self.kind == "power":
                out = np.minimum(1.0, (d / self.scale) ** -self.beta)
            else:
                out = np.exp(-self.beta * d / self.scale)
        out = np.where(np.isfinite(d), out, 0.0)
        if self.cutoff is not None:
            out = np.where(d <= self.cutoff * (1 + 1e-12), out, 0.0)
        return np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0)

    def describe(self) -> str:
        """The function in words, for summaries and docstrings.

        >>> Decay("power", beta=2, cutoff=800).describe()
        'power (beta 2, cutoff 800)'
        """
        parts = [] if self.kind == "linear" else [f"beta {self.beta:g}"]
        if self.scale != 1.0 and self.kind != "linear":
            parts.append(f"scale {self.scale:g}")
        if self.cutoff is not None:
            parts.append(f"cutoff {self.cutoff:g}")
        return f"{self.kind} ({', '.join(parts)})"

    def params(self) -> dict[str, Any]:
        return {"decay": self.kind, "beta": self.beta, "cutoff": self.cutoff,
                "scale": self.scale}


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
