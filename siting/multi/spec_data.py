"""The ``[data]`` table of a spec: where the layers are, their columns and units.

Re-exported by :mod:`siting.multi.spec`:

>>> from siting.multi.spec_data import AREA_UNITS
>>> AREA_UNITS["ha"]
10000.0
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from siting.multi.spec_tables import Positive, _Strict
from siting.readers.names import well_named

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
