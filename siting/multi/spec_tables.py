"""The tables of a multi-service spec: ``[meta]``, ``[facility.NAME]``, ``[budget]``,
``[[target]]``, ``[[equity]]`` and ``[solver]``, each a strict pydantic model.

:mod:`siting.multi.spec` reads a whole spec into them (and re-exports them):

>>> from siting.multi.spec_tables import Meta
>>> Meta(name="demo", years=[2026, 2030]).objective
'years'
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from siting.backends import DEFAULT_BACKEND

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
#: Default columns of a facility type's travel table: block id, site id, cost.
TRAVEL_COLUMNS = ("origin", "destination", "cost")
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2200)]
#: A number of facilities: whole, at least 0, and no more than any district could hold.
Quota = Annotated[int, Field(ge=0, le=1_000_000)]


class _Strict(BaseModel):
    # Strict: TOML has typed values, so true/false or "300" are not numbers.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=False)


class Meta(_Strict):
    """What the spec is about: the ``[meta]`` table.

    Parameters
    ----------
    name : str
        The plan's name.
    description : str, optional
        A sentence shown with the results.
    instance : str, optional
        An instance folder, when there is no ``[data]`` table; one of the two
        must say where the data are (there is no default).
    years : list of int
        The planning years, increasing.
    distance : {"network", "euclidean"}, default "network"
        Walking distances on the streets, or straight lines.
    objective : {"years", "final"}, default "years"
        Reward coverage in every year (earlier is better), or in the last only.
    estimated_note : str, optional
        What is estimated in the data, said with every result.

    Examples
    --------
    >>> Meta(name="demo", years=[2026, 2030]).distance
    'network'
    """

    name: str
    description: str = ""
    #: An instance folder (:func:`siting.data.folder_table`), when the spec has no ``[data]``.
    instance: str | None = None
    years: list[Year] = Field(min_length=1)
    distance: Literal["network", "euclidean"] = "network"
    #: ``years``: reward coverage in every year (earlier is better); ``final``: only the last year.
    objective: Literal["years", "final"] = "years"
    estimated_note: str = ""

    @model_validator(mode="after")
    def _years_sorted(self) -> Meta:
        if sorted(set(self.years)) != self.years:
            raise ValueError(f"years {self.years} must be increasing with no repeats")
        return self


class Decay(_Strict):
    """Attendance-weighted coverage: a block counts ``f(d)`` of its residents, not all.

    ``d`` is the distance to the nearest open facility of the type, read in units
    of ``scale_m``: ``linear`` falls from 1 at the facility to 0 at the cutoff;
    ``power`` is ``min(1, (d / scale_m)^-beta)``; ``exponential`` is
    ``exp(-beta d / scale_m)`` (:class:`siting.models.decay.Decay`). Beyond
    ``cutoff_m`` (default: the type's ``radius_m``) nothing counts.

    Parameters
    ----------
    kind : {"linear", "power", "exponential"}
        The decay function.
    beta : float, default 1.0
        Its steepness (power and exponential).
    cutoff_m : float, optional
        Beyond this nothing counts (default: the type's ``radius_m``).
    scale_m : float, default 100.0
        The unit distances are read in.

    Examples
    --------
    >>> Decay(kind="power", beta=2.0).scale_m
    100.0
    """

    kind: Literal["linear", "power", "exponential"]
    beta: Positive = 1.0
    cutoff_m: Positive | None = None
    scale_m: Positive = 100.0


class Facility(_Strict):
    """One facility type: a ``[facility.NAME]`` table.

    Parameters
    ----------
    label : str, optional
        A name for tables and maps (default: the table's name).
    use : str, optional
        The parcels' allowed-use key this type needs (default: the type's name).
    group : str
        The population column of the blocks it serves.
    radius_m : float
        The service radius (metres, or the travel table's unit); ``radius``
        is accepted for it.
    distance : {"network", "euclidean"}, optional
        Overrides ``meta.distance`` for this type.
    access : {"point", "boundary"}, default "point"
        Reach a site at its point, or anywhere on its edge (parks).
    footprint_m2 : float, default 0
        Land one facility takes.
    build_cost : float, default 0
        Cost of one facility (estimated unless the data say otherwise).
    land_cost : bool, default False
        Add the parcel's land cost.
    capacity : float, optional
        Residents one facility serves (capacitated types).
    weight : float, default 1
        Weight of this type's coverage in the objective.
    max_per_parcel : int, default 1
        Facilities of the type on one parcel.
    whole_parcel : bool, default False
        Uses the whole parcel (parks): footprint = parcel area.
    min_area_m2 : float, default 0
        With ``whole_parcel``: the smallest parcel that counts.
    sized, m2_per_space, levels, surface_share, cost_per_space, min_spaces
        Sized facilities (parking): a number of spaces per parcel, the land
        a space takes, storeys, the share of the parcel usable, the cost of
        a space and the fewest spaces of a facility.
    count, min_count, max_count : dict
        New facilities per year (``"2026"``) or in all (``"total"``):
        exactly, at least, at most.
    existing : {"keep", "may_close"}, default "keep"
        Whether existing facilities may close.
    max_close : int, default 0
        Existing facilities that may close, with ``may_close``.
    max_total : int, optional
        Facilities of the type in all, kept and new (relocation).
    decay : Decay, optional
        Closer is better: residents weighted by distance decay.
    travel_table : str, optional
        An origin–destination table (CSV or Parquet, relative to the spec)
        giving this type's distances; a pair not in it is unreachable.
    travel_columns : list of str, default ["origin", "destination", "cost"]
        The table's columns.
    travel_unit : str, optional
        A label for the table's costs (``"min"``).

    Examples
    --------
    >>> Facility(group="children", radius=500).radius_m
    500.0
    """

    label: str = ""
    #: The parcels' allowed-use key this type needs (default: the type's own name).
    use: str | None = None
    group: str
    radius_m: Positive
    #: Distance for this type (default: meta.distance); Beijing's park indicator is a radius.
    distance: Literal["network", "euclidean"] | None = None
    #: Reach a site at its point, or anywhere on its edge (parks: to the park boundary).
    access: Literal["point", "boundary"] = "point"
    footprint_m2: NonNegative = 0.0
    build_cost: NonNegative = 0.0
    land_cost: bool = False
    capacity: Positive | None = None
    weight: NonNegative = 1.0
    max_per_parcel: Annotated[int, Field(ge=1)] = 1
    #: Uses the whole parcel (parks): footprint = parcel area, counts only when area ≥ min_area_m2.
    whole_parcel: bool = False
    min_area_m2: NonNegative = 0.0
    #: Sized facilities (parking): choose a number of spaces per parcel.
    sized: bool = False
    m2_per_space: Positive | None = None
    levels: Annotated[int, Field(ge=1, le=10)] = 1
    surface_share: Share = 1.0
    cost_per_space: NonNegative = 0.0
    min_spaces: Annotated[int, Field(ge=0)] = 0
    count: dict[str, Quota] = Field(default_factory=dict)
    min_count: dict[str, Quota] = Field(default_factory=dict)
    max_count: dict[str, Quota] = Field(default_factory=dict)
    existing: Literal["keep", "may_close"] = "keep"
    max_close: Quota = 0
    #: At most this many of the type in all (kept existing + new): with ``may_close``
    #: this is relocation, closing an existing facility to open a better-placed one.
    max_total: Quota | None = None
    #: Closer is better: the objective counts residents weighted by distance decay.
    decay: Decay | None = None
    #: Distances of this type from an origin–destination table, ``"FILE"`` (CSV or
    #: Parquet, relative to the spec): origin a block id, destination a parcel id or an
    #: existing facility's id, cost in any unit (a routing engine's minutes); a pair not
    #: in it is unreachable. The radius, a decay's ``cutoff_m``/``scale_m`` and a
    #: target's ``radius_m`` for this type are then in the table's units.
    travel_table: str | None = None
    #: The table's columns: origin, destination, cost.
    travel_columns: Annotated[list[str], Field(min_length=3, max_length=3)] = Field(
        default_factory=lambda: list(TRAVEL_COLUMNS))
    #: A label for the table's units (``"min"``), shown with the radius in messages.
    travel_unit: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _radius_alias(cls, data: Any) -> Any:
        """``radius`` (in the table's units with a travel table) stands for ``radius_m``."""
        if not isinstance(data, dict) or "radius" not in data:
            return data
        if "radius_m" in data:
            raise ValueError("radius and radius_m both given: keep one")
        data = dict(data)
        radius = data.pop("radius")
        if isinstance(radius, int | float) and not isinstance(radius, bool) and not (
            0 < radius < float("inf")
        ):
            raise ValueError(f"radius: {_fmt(radius)} must be > 0")
        data["radius_m"] = radius
        return data

    @model_validator(mode="after")
    def _sized_needs_space(self) -> Facility:
        if self.sized and self.m2_per_space is None:
            raise ValueError("a sized facility needs m2_per_space")
        if self.decay is not None and self.capacity is not None:
            raise ValueError("decay and capacity cannot be combined on one facility type")
        if self.travel_table is None:
            if self.travel_unit is not None or self.travel_columns != list(TRAVEL_COLUMNS):
                raise ValueError("travel_unit and travel_columns describe a travel_table: "
                                 "give travel_table")
        else:
            if self.distance is not None:
                raise ValueError("travel_table gives this type's distances: drop distance "
                                 "(one distance source)")
            if self.access != "point":
                raise ValueError("access applies to measured distances; a travel_table "
                                 "gives the cost to each parcel or facility it names")
            if any(not c.strip() for c in self.travel_columns):
                raise ValueError("travel_columns: column names must not be empty")
        return self

    @property
    def radius_unit(self) -> str:
        """The unit of the radius, for messages: the table's label, or metres."""
        if self.travel_table is None:
            return "m"
        return self.travel_unit or "(table units)"

    def decay_function(self) -> Any:
        """The :class:`siting.models.decay.Decay` of this type (None without decay)."""
        if self.decay is None:
            return None
        from siting.models.decay import Decay as DecayFunction

        d = self.decay
        return DecayFunction(d.kind, d.beta, d.cutoff_m or self.radius_m, d.scale_m)


class Budget(_Strict):
    """The ``[budget]`` table: spending limits.

    Parameters
    ----------
    total : float, optional
        Over the whole plan.
    per_year : dict of str to float
        Per year (``"2026" = 2e7``).
    estimated : bool, default True
        The costs are estimates (said with every result).
    currency : str, default "CNY"
        The unit of costs.

    Examples
    --------
    >>> Budget(total=3.6e7).currency
    'CNY'
    """

    total: NonNegative | None = None
    per_year: dict[str, NonNegative] = Field(default_factory=dict)
    estimated: bool = True
    currency: str = "CNY"


class Target(_Strict):
    """A plan target, enforced as a constraint and reported in the target table.

    Parameters
    ----------
    name : str, optional
        Its name in the target table.
    kind : {"coverage", "service_circle", "spaces", "count"}
        A share of a group covered, a share covered by every type of a
        service circle, a number of spaces, or a number of facilities.
    facility : str, optional
        The facility type (coverage, spaces, count).
    facilities : list of str
        The types of a service circle.
    radius_m : float, optional
        The service circle's radius.
    group : str, optional
        The population group (default: the type's).
    share : float, optional
        The share to reach (0–1).
    at_least : float, optional
        The number to reach (spaces, count).
    year : int, optional
        The year it applies (default: the last).
    mode : {"constraint", "report"}, default "constraint"
        Must hold, or only reported.

    Examples
    --------
    >>> Target(kind="coverage", facility="school", share=0.9).types()
    ['school']
    """

    name: str = ""
    kind: Literal["coverage", "service_circle", "spaces", "count"]
    facility: str | None = None
    facilities: list[str] = Field(default_factory=list)
    radius_m: Positive | None = None
    group: str | None = None
    share: Share | None = None
    at_least: NonNegative | None = None
    year: Year | None = None
    #: ``constraint``: must hold; ``report``: only reported in the target table.
    mode: Literal["constraint", "report"] = "constraint"

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Target:
        if self.kind == "coverage" and (self.facility is None or self.share is None):
            raise ValueError("a coverage target needs facility and share")
        if self.kind == "service_circle" and (
            not self.facilities or self.share is None or self.radius_m is None
        ):
            raise ValueError("a service_circle target needs facilities, radius_m and share")
        if self.kind in ("spaces", "count") and (
            (self.facility is None and not self.facilities) or self.at_least is None
        ):
            raise ValueError(f"a {self.kind} target needs facility (or facilities) and at_least")
        return self

    def types(self) -> list[str]:
        """The facility types this target measures."""
        return [self.facility] if self.facility is not None else list(self.facilities)


class Equity(_Strict):
    """Each sub-district reaches a share of the area-wide coverage, or an absolute floor.

    Parameters
    ----------
    facility : str
        The facility type.
    by : str, default "subdistrict"
        The blocks' area column.
    min_ratio_to_area : float, optional
        Each area's coverage at least this share of the area-wide coverage.
    min_share : float, optional
        Each area's coverage at least this share.
    min_facilities : int, optional
        Each area has at least this many facilities of the type.
    areas : list of str
        Only these areas (default: every one).
    year : int, optional
        The year it applies (default: the last).

    Examples
    --------
    >>> Equity(facility="clinic", min_share=0.6).by
    'subdistrict'
    """

    facility: str
    by: str = "subdistrict"
    min_ratio_to_area: Share | None = None
    min_share: Share | None = None
    #: Every sub-district has at least this many facilities of the type (existing kept + new).
    min_facilities: Quota | None = None
    #: Only these areas (default: every area of the ``by`` column).
    areas: list[str] = Field(default_factory=list)
    year: Year | None = None

    @model_validator(mode="after")
    def _one_floor(self) -> Equity:
        if (
            self.min_ratio_to_area is None
            and self.min_share is None
            and self.min_facilities is None
        ):
            raise ValueError("give min_ratio_to_area, min_share or min_facilities")
        return self


class Solver(_Strict):
    """The ``[solver]`` table.

    Parameters
    ----------
    backend : str, default siting.backends.DEFAULT_BACKEND
        A back end siting has (``siting info`` lists them).
    time_limit : float, default 60
        Seconds; a plan found by then is reported as feasible with its gap.
    mip_gap : float, default 1e-3
        Relative gap at which the plan counts as solved.
    threads : int, optional
        Solver threads.

    Examples
    --------
    >>> Solver(time_limit=300).backend == DEFAULT_BACKEND
    True
    """

    backend: str = DEFAULT_BACKEND
    time_limit: Positive = 60.0
    mip_gap: Annotated[float, Field(ge=0, lt=1)] = 1e-3
    threads: Annotated[int, Field(ge=1, le=1024)] | None = None

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, backend: str) -> str:
        from siting.backends.base import backend_names

        names = backend_names()
        if backend not in names:
            raise ValueError(f"unknown solver {backend!r}{_suggest(backend, names)}; "
                             f"choose one of {', '.join(names)}")
        return backend




def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fmt(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
