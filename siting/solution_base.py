"""What every solution shares: the base class, the verdict it accepts, and JSON-safe values.

:class:`SolutionBase` carries what a user needs to trust any result: status,
objective, bound, gap, runtime, back end, the verifier's verdict and the
solve's statistics. :meth:`SolutionBase.accept` applies a verifier's report
the same way for every model: a verified plan reports the objective
recomputed from the instance, with its gap against the solver's bound.
:mod:`siting.solution` re-exports these names.

>>> from siting.solution_base import is_timing, plain
>>> is_timing("solve_s"), plain([float("inf"), 1.5])
(True, [None, 1.5])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, overload

import numpy as np
from numpy.typing import NDArray

from siting.backends.base import Result, Status, relative_gap
from siting.milp import Sense

if TYPE_CHECKING:
    import pandas as pd


class Verdict(Protocol):
    """What a solution takes from its verification
    (:class:`siting.verify.report.VerifyReport`, from a floor above this one)."""

    ok: bool
    messages: list[str]
    objective: float | None
    details: dict[str, Any]


@dataclass(kw_only=True, repr=False)
class SolutionBase:
    """What every solution holds, whatever the model (see the module docstring).

    Parameters
    ----------
    status : siting.Status
        ``optimal``, ``feasible`` (a plan, not proven best: a time or node
        limit), ``infeasible``, ``no_solution`` or ``error``.
    backend : str
        The solver that ran (``highs``, ``ortools``, ``cbc``, ``heuristic``, ...).
    objective : float or None
        The objective; for a verified plan, the value recomputed from the data.
    bound : float or None
        The solver's proven bound on the best objective.
    gap : float or None
        Relative gap between ``objective`` and ``bound`` (0 when optimal).
    runtime_s : float
        Wall-clock seconds of the solve.
    message : str
        What the solver or the model said (why no plan, what was restricted).
    verified : bool or None
        The independent verifier's verdict (None: not verified).
    verification : list of str
        The verifier's findings, one sentence each.
    stats : dict
        Sizes and timings of the build and the solve.
    notes : list of str
        What loading the data assumed or changed, one sentence each.

    Examples
    --------
    >>> from siting import Status
    >>> SolutionBase(status=Status.OPTIMAL, objective=3.0)
    <SolutionBase optimal, objective 3, not verified>
    """

    status: Status
    backend: str = ""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    runtime_s: float = 0.0
    message: str = ""
    verified: bool | None = None
    verification: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    #: What loading the data assumed or changed (defaults, reprojections), one sentence each.
    notes: list[str] = field(default_factory=list)

    @property
    def is_optimal(self) -> bool:
        """Whether the solver proved the plan optimal (a time-limited plan never is).

        Examples
        --------
        >>> from siting import Status
        >>> SolutionBase(status=Status.FEASIBLE).is_optimal
        False
        """
        return self.status == Status.OPTIMAL

    def accept(self, report: Verdict, sense: Sense) -> None:
        """Record a verifier's verdict; a verified plan takes the recomputed objective.

        The recomputed value is free of solver round-off and may be better than
        the claim (continuous variables below what the plan achieves); the gap
        is recomputed against the solver's bound.
        """
        self.verified = report.ok
        self.verification = list(report.messages)
        if "walks" in report.details:  # how the streets stretch the walks (walking metrics)
            self.stats["walks"] = report.details["walks"]
        if report.ok and report.objective is not None:
            self.stats["solver_objective"] = self.objective
            self.objective = report.objective
            if self.bound is not None:
                self.gap = relative_gap(self.objective, self.bound, sense)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (each kind of solution adds its own fields).

        Returns
        -------
        dict
            Status, objective, bound, gap, runtime, back end, verdict,
            statistics and notes, as plain JSON values.

        Examples
        --------
        >>> from siting import Status
        >>> SolutionBase(status=Status.OPTIMAL, objective=1.0).summary()["objective"]
        1.0
        """
        return self.base_summary()

    # ------------------------------------------------------- display
    def headline(self) -> list[tuple[str, str]]:
        """The few facts a reader looks at first, as (label, text) pairs.

        Returns
        -------
        list of (str, str)
            Status, objective, gap and the verifier's verdict (each kind of
            solution adds its own); the ``repr`` and the notebook summary
            show these.

        Examples
        --------
        >>> from siting import Status
        >>> SolutionBase(status=Status.OPTIMAL, objective=2.5, verified=True).headline()
        [('status', 'optimal'), ('objective', '2.5'), ('verification', 'verified')]
        """
        rows = [("status", str(self.status))]
        if self.objective is not None:
            rows.append(("objective", f"{self.objective:,.6g}"))
        if self.gap is not None and self.gap > 0:
            rows.append(("gap", f"{100 * self.gap:.2f}%"))
        verdict = {True: "verified", False: "FAILED verification", None: "not verified"}
        rows.append(("verification", verdict[self.verified]))
        return rows

    def __repr__(self) -> str:
        return f"<{type(self).__name__} " + ", ".join(
            t if k in ("status", "verification") else f"{k} {t}" for k, t in self.headline()
            if k not in ("mean distance", "largest distance")  # in the HTML summary
        ) + ">"

    def _repr_html_(self) -> str:
        """An HTML table of :meth:`headline` and the back end (shown by notebooks)."""
        from html import escape

        facts = self.headline()
        if self.backend:
            facts.append(("back end", f"{self.backend}, {self.runtime_s:.2f} s"))
        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>"
            f"{escape(t)}</td></tr>" for k, t in facts
        )
        return f"<table><caption>{escape(type(self).__name__)}</caption>{rows}</table>"

    def split_timing(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The summary without timings (reproducible), and the timings on their own."""
        summary = self.summary()
        stats = summary["stats"]
        timing = {"runtime_s": summary.pop("runtime_s")}
        timing.update(pop_timings(stats))
        return summary, timing

    def base_summary(self) -> dict[str, Any]:
        """The fields of the base as JSON-ready values."""
        return {
            "status": str(self.status),
            "objective": finite_or_none(self.objective),
            "bound": finite_or_none(self.bound),
            "gap": finite_or_none(self.gap),
            "runtime_s": round(float(self.runtime_s), 6),
            "backend": self.backend,
            "verified": self.verified,
            "verification": list(self.verification),
            "message": self.message,
            "stats": {k: plain(v) for k, v in self.stats.items()},
            "notes": list(self.notes),
        }


def pop_timings(stats: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Remove every timing from ``stats``, at any depth (a heuristic's steps keep theirs
    in nested dicts, under ``s`` or ``…_s``), and return them under dotted names.

    >>> stats = {"rows": 3, "build_s": 0.1, "start": {"s": 0.5, "pool": {"lp_s": 0.2, "lp": 7}}}
    >>> pop_timings(stats)
    {'build_s': 0.1, 'start.pool.lp_s': 0.2, 'start.s': 0.5}
    >>> stats
    {'rows': 3, 'start': {'pool': {'lp': 7}}}
    """
    out: dict[str, Any] = {}
    for key in sorted(stats):
        value = stats[key]
        if is_timing(key) or (prefix and key == "s"):
            out[prefix + key] = stats.pop(key)
        elif isinstance(value, dict):
            out.update(pop_timings(value, f"{prefix}{key}."))
    return dict(sorted(out.items()))

def result_fields(result: Result) -> dict[str, Any]:
    """The fields every solution takes from a back end's result (status, values, bound)."""
    return {
        "status": result.status, "backend": result.backend, "objective": result.objective,
        "bound": result.bound, "gap": result.gap, "runtime_s": result.runtime_s,
        "message": result.message,
    }

def _gpkg_writer(frame: Any, layer: str) -> Any:
    import warnings

    from siting.outputs import write_gpkg

    def write(path: Path) -> None:
        with warnings.catch_warnings():  # a CSV folder's coordinates have no CRS: said in docs
            warnings.filterwarnings("ignore", message=".*'crs' was not provided")
            write_gpkg(frame, path, layer)

    return write


def geojson_text(frame: Any) -> str:
    """A GeoDataFrame as GeoJSON text: longitude/latitude when its CRS is known
    (:func:`siting.outputs.geojson_text`)."""
    from siting.outputs import geojson_text as text

    return text(frame)


def _with_points(frame: pd.DataFrame, xy: np.ndarray, crs: Any) -> pd.DataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(
        frame.reset_index(drop=True), geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs
    )

def is_timing(key: str) -> bool:
    """Whether a stats entry is a wall-clock time (``build_s``, ``solve_s``, ...)."""
    return key.endswith("_s") or key in ("runtime", "seconds")


def finite_or_none(v: float | None) -> float | None:
    """A float, or None for a missing or non-finite value (JSON has no inf)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def plain(v: Any) -> Any:
    """A value JSON can hold: numpy scalars unwrapped, non-finite floats as None."""
    if isinstance(v, np.generic):
        return plain(v.item())
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    return v


@dataclass(frozen=True)
class CoverageCounts:
    """A covering model's coverage before it is a frame: per demand point of the instance, in
    its order, the id, the weight and how many open sites cover it.

    :attr:`siting.Solution.coverage` turns it into the ``demand_id, weight, covered`` frame
    when first read, so a solve that only reports (``siting solve --json``) needs no pandas.

    >>> counts = CoverageCounts(np.array(["a", "b"]), np.array([5.0, 3.0]), np.array([1, 0]))
    >>> counts.frame()
      demand_id  weight  covered
    0         a     5.0        1
    1         b     3.0        0
    >>> len(counts), counts.covered_weight()
    (2, 5.0)
    """

    demand_id: NDArray[Any]
    weight: NDArray[np.float64]
    covered: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.covered.size)

    def frame(self) -> pd.DataFrame:
        """The coverage frame: ``demand_id, weight, covered``."""
        import pandas as pd

        return pd.DataFrame({"demand_id": self.demand_id, "weight": self.weight,
                             "covered": self.covered.astype(np.int64)})

    def covered_weight(self) -> float:
        """The weight of the demand points that at least one open site covers."""
        return float(self.weight[self.covered > 0].sum())


class CoverageField:
    """The descriptor of :attr:`siting.Solution.coverage`: a frame, None, or
    :class:`CoverageCounts` kept as arrays until the attribute is first read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    @overload
    def __get__(self, obj: None, owner: type) -> None: ...

    @overload
    def __get__(self, obj: object, owner: type) -> pd.DataFrame | None: ...

    def __get__(self, obj: object | None, owner: type) -> pd.DataFrame | None:
        if obj is None:
            return None  # the dataclass field's default
        value = obj.__dict__.get(self._slot)
        if isinstance(value, CoverageCounts):
            value = obj.__dict__[self._slot] = value.frame()
        return value

    def __set__(self, obj: object, value: pd.DataFrame | CoverageCounts | None) -> None:
        obj.__dict__[self._slot] = value

    def counts(self, obj: object) -> CoverageCounts | None:
        """The arrays of ``obj``'s coverage while it is not yet a frame, else None."""
        value = obj.__dict__.get(self._slot)
        return value if isinstance(value, CoverageCounts) else None
