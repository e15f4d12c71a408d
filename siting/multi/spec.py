"""Multi-service model specs (TOML), validated on load with every bad field named.

A spec states the planning question: facility types (who they serve, how far
people walk, land and cost), the years, budgets, counts per year, coverage
targets, equity floors and solver options. Errors name their path in the file:

>>> from siting.multi.spec import parse_spec
>>> parse_spec({"meta": {"name": "x", "years": [2026]},
...             "facility": {"kindergarten": {"group": "age_3_6", "radius_m": -300,
...                                           "footprint_m2": 1500, "build_cost": 1e7}}})
Traceback (most recent call last):
...
siting.errors.SpecError: <spec>: facility.kindergarten.radius_m: -300 must be > 0
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from siting.backends import DEFAULT_BACKEND
from siting.errors import SpecError
from siting.readers.names import layer_parts, well_named

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


#: Spellings of ``[data] parcel_area_unit`` (any case) → the unit.
AREA_UNIT_SPELLINGS = {"m2": "m2", "m²": "m2", "ha": "ha", "公顷": "ha", "mu": "mu", "亩": "mu"}
#: Square metres in one of each unit (1 亩 = 10,000/15 m²).
AREA_UNITS = {"m2": 1.0, "ha": 10_000.0, "mu": 10_000.0 / 15}


class DataTable(_Strict):
    """Where the data are: layers ``"FILE"`` or ``"FILE:LAYER"`` and their column names.

    Paths are relative to the spec file (see :func:`load_spec`). A column key left
    unset takes the canonical name when the layer has it, else a default that
    :func:`siting.data.load_service_data` states in its notes.

    Parameters
    ----------
    blocks : str
        Residents: points or polygons with the population columns the types name.
    block_id, area : str
        The blocks' id and sub-district columns.
    parcels : str
        Candidate parcels: polygons, or points with an area column.
    parcel_id, parcel_area, parcel_uses, parcel_year, parcel_land_cost : str
        The parcels' id, area, allowed uses, first year available and land
        cost columns.
    parcel_area_unit : str, default "m2"
        ``m2``, ``ha`` or ``mu`` (also ``m²``, ``公顷``, ``亩``).
    existing : str, optional
        Existing facilities: points (or polygons) with an id and a type.
    existing_id, existing_type, existing_capacity : str
        Their id, type and capacity columns.
    existing_shapes : str, optional
        Polygons of existing facilities (parks), matched on ``existing_id``.
    subdistricts, subdistrict_name : str, optional
        Sub-district polygons (maps) and their name column.
    network, network_length : str, optional
        A line layer of walkable streets and its length column.
    network_tolerance : float, default 0.5
        Metres: line ends (and vertices) closer than this are one node.
    network_where : str, optional
        OGR SQL WHERE clause: the street lines kept.
    network_junctions : {"vertices", "crossings", "ends"}, optional
        Where street lines meet.
    network_level : str, optional
        Lines with different values do not meet at crossings.
    network_max_access : float, optional
        Metres: the farthest a point may lie from the street it joins.
    crs : str, optional
        CRS of layers that carry none (CSV).
    x, y : str, optional
        Coordinate columns of CSV layers.
    encoding : str, optional
        Text encoding of CSV and Shapefile layers that are not UTF-8.

    Examples
    --------
    >>> DataTable(blocks="d.gpkg:blocks", parcels="d.gpkg:parcels").parcel_area_unit
    'm2'
    """

    #: Residents: points or polygons with the population columns facility types name.
    blocks: str
    block_id: str = "block_id"
    #: Sub-district column of the blocks (equity, tables); default "subdistrict".
    area: str | None = None
    #: Candidate parcels: polygons, or points with an area column.
    parcels: str
    parcel_id: str = "parcel_id"
    parcel_area: str | None = None
    #: Unit of the area column: "m2" (default), "ha" or "mu" (also "m²", "公顷", "亩").
    parcel_area_unit: str = "m2"
    parcel_uses: str | None = None
    parcel_year: str | None = None
    parcel_land_cost: str | None = None
    #: Existing facilities: points (or polygons) with an id and a type.
    existing: str | None = None
    existing_id: str = "facility_id"
    existing_type: str = "type"
    existing_capacity: str | None = None
    #: Polygons of existing facilities (e.g. parks), matched on ``existing_id``.
    existing_shapes: str | None = None
    #: Sub-district polygons (map), with the ``area`` column.
    subdistricts: str | None = None
    #: Name column of the sub-district polygons (default: ``area``, else "subdistrict").
    subdistrict_name: str | None = None
    #: A line layer of walkable streets.
    network: str | None = None
    network_length: str | None = None
    #: Metres: line ends (and vertices) closer than this are one node.
    network_tolerance: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.5
    #: OGR SQL WHERE clause: the street lines kept (e.g. "道路等级 <> '快速路'").
    network_where: str | None = None
    #: Where street lines meet: at shared vertices, at every crossing, or at line ends.
    network_junctions: Literal["vertices", "crossings", "ends"] | None = None
    #: A column of the street layer: lines with different values do not meet at crossings.
    network_level: str | None = None
    #: Metres: the farthest a point may lie from the street it joins.
    network_max_access: Positive | None = None
    #: CRS of layers that carry none (CSV), e.g. "EPSG:25832".
    crs: str | None = None
    #: Coordinate columns of CSV layers (default: x and y, else lon/lat names).
    x: str | None = None
    y: str | None = None
    #: Text encoding of CSV and Shapefile (.dbf) layers that are not UTF-8, e.g. "GBK".
    encoding: str | None = None

    #: Keys holding a layer (a path), resolved against the spec's folder.
    LAYER_KEYS: ClassVar[tuple[str, ...]] = (
        "blocks",
        "parcels",
        "existing",
        "existing_shapes",
        "subdistricts",
        "network",
    )

    @field_validator("blocks", "parcels", "existing", "existing_shapes", "subdistricts",
                     "network")
    @classmethod
    def _layer_named(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if any(ord(c) < 32 for c in value):
            raise ValueError(f"{value!r} holds a control character")
        if not well_named(value):
            raise ValueError(f"{value!r} must be FILE or FILE:LAYER (no other ':' in the "
                             "file's name)")
        return value

    @field_validator("parcel_area_unit")
    @classmethod
    def _area_unit(cls, value: str) -> str:
        unit = AREA_UNIT_SPELLINGS.get(value.strip().lower())
        if unit is None:
            raise ValueError(f"{value!r} must be one of m2, ha, mu (or m², 公顷, 亩)")
        return unit

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        from siting.textio import check_encoding

        return None if value is None else check_encoding(value)

    @model_validator(mode="after")
    def _network_keys(self) -> DataTable:
        for key in ("network_length", "network_where", "network_junctions", "network_level",
                    "network_max_access"):
            if getattr(self, key) is not None and self.network is None:
                raise ValueError(f"{key} needs network (a line layer)")
        if self.subdistrict_name is not None and self.subdistricts is None:
            raise ValueError("subdistrict_name needs subdistricts (a polygon layer)")
        return self


class Spec(_Strict):
    """A whole multi-service spec (see the module docstring).

    Parameters
    ----------
    meta : Meta
        The ``[meta]`` table.
    data : DataTable, optional
        Where the data are (default: the folder ``meta.instance``).
    facility : dict of str to Facility
        The facility types, by name.
    budget : Budget
        Spending limits.
    target : list of Target
        Plan targets.
    equity : list of Equity
        Floors per sub-district.
    solver : Solver
        The back end and its limits.

    Examples
    --------
    >>> spec = parse_spec({"meta": {"name": "demo", "years": [2026]},
    ...         "facility": {"school": {"group": "children", "radius_m": 500}}})
    >>> spec.facility["school"].radius_m, spec.solver.time_limit
    (500.0, 60.0)
    """

    meta: Meta
    #: Where the data are (else the folder ``meta.instance``; there is no default: data named
    #: nowhere are refused when they are loaded, unless an instance folder is given then).
    data: DataTable | None = None
    facility: dict[str, Facility] = Field(min_length=1)
    budget: Budget = Field(default_factory=Budget)
    target: list[Target] = Field(default_factory=list)
    equity: list[Equity] = Field(default_factory=list)
    solver: Solver = Field(default_factory=Solver)
    _file: str | None = PrivateAttr(default=None)

    @property
    def file(self) -> str | None:
        """The spec file it was read from (:func:`load_spec`); None for a spec built in code."""
        return self._file

    @model_validator(mode="after")
    def _cross_references(self) -> Spec:
        years = {str(y) for y in self.meta.years}
        for name, f in self.facility.items():
            for field in ("count", "min_count", "max_count"):
                for y in getattr(f, field):
                    if y not in years and y != "total":
                        raise ValueError(
                            f"facility.{name}.{field}: year {y} is not one of meta.years "
                            f"{self.meta.years} (or 'total')"
                        )
            for key in sorted(set(f.min_count) & set(f.max_count)):
                if f.min_count[key] > f.max_count[key]:
                    raise ValueError(
                        f"facility.{name}: min_count {f.min_count[key]} is above max_count "
                        f"{f.max_count[key]} for {key!r}"
                    )
            for key in sorted(set(f.count) & (set(f.min_count) | set(f.max_count))):
                raise ValueError(
                    f"facility.{name}: count and min_count/max_count both set for {key!r}: "
                    "keep one"
                )
        for y in self.budget.per_year:
            if y not in years:
                raise ValueError(f"budget.per_year: year {y} is not one of meta.years")
        for k, t in enumerate(self.target):
            for fname in [t.facility, *t.facilities]:
                if fname is not None and fname not in self.facility:
                    raise ValueError(
                        f"target[{k}]: unknown facility {fname!r}{_suggest(fname, self.facility)}"
                    )
            if t.year is not None and str(t.year) not in years:
                raise ValueError(f"target[{k}].year: {t.year} is not one of meta.years")
        for k, e in enumerate(self.equity):
            if e.facility not in self.facility:
                raise ValueError(
                    f"equity[{k}]: unknown facility {e.facility!r}"
                    f"{_suggest(e.facility, self.facility)}"
                )
            if e.year is not None and str(e.year) not in years:
                raise ValueError(f"equity[{k}].year: {e.year} is not one of meta.years "
                                 f"{self.meta.years}")
        return self

    def year_of(self, year: int | None) -> int:
        return self.meta.years[-1] if year is None else year


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _known_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _describe(err: dict[str, Any], data: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    value = _lookup(data, err["loc"])
    kind = err["type"]
    ctx = err.get("ctx", {})
    if kind == "extra_forbidden":
        parent = _model_at(err["loc"][:-1])
        hint = _suggest(loc[-1], _known_keys(parent)) if parent else ""
        return f"{path}: unknown key{hint}"
    if kind == "missing":
        return f"{path}: missing (required)"
    shown = (
        repr(value)
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else _fmt(value)
    )
    if kind == "greater_than":
        return f"{path}: {shown} must be > {_fmt(ctx.get('gt'))}"
    if kind == "greater_than_equal":
        return f"{path}: {shown} must be >= {_fmt(ctx.get('ge'))}"
    if kind == "less_than_equal":
        return f"{path}: {shown} must be <= {_fmt(ctx.get('le'))}"
    if kind == "less_than":
        return f"{path}: {shown} must be < {_fmt(ctx.get('lt'))}"
    if kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        return f"{path}: {msg}" if path else msg
    if kind == "literal_error":
        return f"{path}: {shown} must be one of {ctx.get('expected')}"
    return f"{path}: {shown} {err['msg'][0].lower()}{err['msg'][1:]}"


def _fmt(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Spec
    i = 0
    while i < len(loc):
        part = loc[i]
        if part == "facility":
            model, i = Facility, i + 2
        elif part == "decay" and model is Facility:
            model, i = Decay, i + 1
        elif part in ("target", "equity"):
            model, i = (Target if part == "target" else Equity), i + 2
        elif part in ("meta", "budget", "solver", "data"):
            sections: dict[str, type[BaseModel]] = {
                "meta": Meta,
                "budget": Budget,
                "solver": Solver,
                "data": DataTable,
            }
            model = sections[part]
            i += 1
        else:
            return None
    return model


#: A spec that says nowhere where its data are (there is no default instance): the message of
#: :func:`siting.data.load_service_data`, which names the spec's file.
NO_DATA = (
    "[data] and meta.instance: both missing; say where the data are: a [data] table "
    '(blocks = "FILE[:LAYER]", parcels, existing, ...) or meta.instance = "FOLDER" '
    "(an instance folder)"
)


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> Spec:
    """Validate a spec given as a dict (as read from TOML); raise :class:`SpecError`.

    Parameters
    ----------
    data : dict
        The spec's tables, as ``tomllib`` reads them.
    source : str, default "<spec>"
        Names the spec in messages.

    Returns
    -------
    Spec
        The validated spec.

    Raises
    ------
    siting.errors.SpecError
        An unknown key (with the nearest known one), a wrong type or an
        out-of-range value, naming the key's path.

    Examples
    --------
    >>> parse_spec({"meta": {"name": "demo", "years": [2026]},
    ...             "facility": {"school": {"group": "children", "radus_m": 500}}})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    siting.errors.SpecError: <spec>: facility.school.radus_m: unknown key (did you mean ...
    """
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # An unknown key first: a misspelt key also makes the real one "missing".
        first = min(errors, key=lambda e: e["type"] != "extra_forbidden")
        more = len(errors) - 1
        msg = _describe(dict(first), data)
        if more:
            msg += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise SpecError(msg, path=source) from None


def load_spec(path: str | Path) -> Spec:
    """Read and validate a TOML spec file.

    Paths in the spec (layers, travel tables, ``meta.instance``) are resolved
    against the spec's folder.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.toml`` file.

    Returns
    -------
    Spec
        The validated spec.

    Raises
    ------
    siting.errors.SpecError
        A file that is not TOML, or a spec :func:`parse_spec` refuses.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.toml"
    >>> _ = path.write_text('''
    ... [meta]
    ... name = "demo"
    ... years = [2026]
    ... [facility.school]
    ... group = "children"
    ... radius_m = 500
    ... ''')
    >>> load_spec(path).meta.name
    'demo'
    """
    from siting.errors import InputError
    from siting.textio import read_text

    p = Path(path)
    try:
        text = read_text(p)  # UTF-8, a byte order mark accepted
    except InputError as exc:
        raise SpecError(exc.reason, path=exc.path, row=exc.row, value=exc.value) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML: {exc}", path=p) from None
    spec = parse_spec(data, str(p))
    spec_dir = p.resolve().parent
    if spec.data is not None:
        if "instance" in data.get("meta", {}):
            raise SpecError(
                "meta.instance and [data] both say where the data are: keep one", path=p
            )
        for key in DataTable.LAYER_KEYS:
            value = getattr(spec.data, key)
            if value is not None:
                setattr(spec.data, key, _resolve_layer(value, spec_dir))
    for facility in spec.facility.values():
        if facility.travel_table is not None:  # a file, not FILE:LAYER
            facility.travel_table = str(_resolve_file(facility.travel_table, spec_dir))
    if spec.meta.instance is not None:
        spec.meta.instance = str(_resolve_instance(spec.meta.instance, spec_dir))
    spec._file = str(p)
    return spec


def _resolve_layer(value: str, spec_dir: Path) -> str:
    """``FILE[:LAYER]`` with FILE made absolute against the spec's folder."""
    file, layer = layer_parts(value)
    sep, layer = (":", layer) if layer is not None else ("", "")
    path = Path(file)
    if not path.is_absolute():
        try:
            path = (spec_dir / path).resolve()
        except (OSError, RuntimeError):  # a name too long, a symlink loop
            path = spec_dir / path
    return f"{path}{sep}{layer}"


def _resolve_file(value: str, spec_dir: Path) -> Path:
    """A file path made absolute against the spec's folder."""
    path = Path(value)
    if path.is_absolute():
        return path
    try:
        return (spec_dir / path).resolve()
    except (OSError, RuntimeError):
        return spec_dir / path


def _resolve_instance(name: str, spec_dir: Path) -> Path:
    cand = Path(name)
    if cand.is_absolute():
        return cand
    for base in (spec_dir, spec_dir.parent, Path.cwd()):
        if (base / cand).exists():
            return (base / cand).resolve()
    return (spec_dir.parent / cand).resolve()
