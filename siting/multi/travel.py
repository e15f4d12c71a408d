r"""Travel tables of multi-service facility types: costs from blocks to parcels and facilities.

A facility type with ``travel_table = "fire_minutes.csv"`` takes its distances
from that origin–destination table (:mod:`siting.coverage.od`): origin a block
id, destination a parcel id or an existing facility's id, cost in the table's
units. The table is read and checked once per data set (every id matched, bad
rows refused naming their line); each metric the model and the verifier ask
for (:meth:`siting.multi.data.ServiceData.metric`) is then the table's pairs
cut to the sites asked for, a :class:`~siting.coverage.table.TableMetric`:
the verifier recomputes coverage from the same table, never from the model's
matrices.

>>> import geopandas as gpd, pathlib, tempfile
>>> from shapely.geometry import Point, box
>>> from siting.multi.data import ServiceData
>>> from siting.multi.spec import Facility
>>> pts = [Point(0, 0), Point(900, 0)]
>>> data = ServiceData(
...     gpd.GeoDataFrame({"block_id": ["b1", "b2"], "subdistrict": ["A", "A"]}, geometry=pts,
...                      crs=32650),
...     gpd.GeoDataFrame({"parcel_id": ["p1"], "area_m2": [900.0], "allowed_uses": ["fire"],
...                       "year_available": [2026]}, geometry=[box(0, 0, 30, 30)], crs=32650),
...     gpd.GeoDataFrame({"facility_id": ["f1"], "type": ["fire"]}, geometry=[pts[1]],
...                      crs=32650))
>>> table = pathlib.Path(tempfile.mkdtemp()) / "fire_minutes.csv"
>>> _ = table.write_text("origin,destination,cost\nb1,p1,6\nb2,f1,3.5\n")
>>> fire = Facility(group="pop", radius_m=8, travel_table=str(table), travel_unit="min")
>>> m = data.metric(np.array([0]), np.array([0]), "network", "point", travel=fire)
>>> m.kind, m.nearest_in(np.array([0, 1]))[1].tolist()
('travel table (min)', [6.0, 3.5])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from siting.coverage.od import locate, reach_notes, read_od_table, refuse_repeats
from siting.coverage.table import TableMetric

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: What the destinations of a facility type's table are, in messages.
SITES = "parcel or existing facility"


class ServiceData(Protocol):
    """What a travel table needs of :class:`siting.multi.data.ServiceData` (declared
    here, so that the data imports the table and not the reverse): its frames, and
    the notes it says."""

    blocks: Any
    parcels: Any
    existing: Any
    notes: list[str]


@dataclass
class TravelTable:
    """A table's finite pairs, by block and by site (parcels first, then existing facilities)."""

    label: str
    block: IntArray
    site: IntArray
    cost: FloatArray
    n_parcels: int


def load_travel(data: ServiceData, facility: Any) -> TravelTable:
    """The travel table of ``facility`` on ``data`` (read and checked once, then remembered)."""
    path = facility.travel_table
    columns = tuple(facility.travel_columns)
    cache = data.__dict__.setdefault("_travel_cache", {})
    key = (path, columns)
    if key in cache:
        return cache[key]
    origin, destination, cost = columns
    od = read_od_table(path, origin=origin, destination=destination, cost=cost)
    blocks = data.blocks["block_id"].to_numpy()
    parcel_ids = data.parcels["parcel_id"].to_numpy()
    sites = np.concatenate([parcel_ids.astype(object),
                            data.existing["facility_id"].to_numpy().astype(object)])
    rows, cols = locate(od, blocks, sites, sites_are=SITES)
    refuse_repeats(od, rows, cols, sites.size)
    finite = np.isfinite(od.cost)
    table = TravelTable(od.label, rows[finite], cols[finite], od.cost[finite],
                        int(parcel_ids.size))
    whole = TableMetric(table.block, table.site, table.cost, (blocks.size, sites.size))
    _note(data, reach_notes(od.label, whole, blocks, sites, sites_are=SITES,
                            demand_are="block", sites=False))
    cache[key] = table
    return table


def travel_metric(
    data: ServiceData, facility: Any, parcels: IntArray, existing: IntArray
) -> TableMetric:
    """The table's distances from every block to ``parcels`` then ``existing`` (positions).

    The first metric of a facility type (its candidates, when the model is
    built) notes how many of its sites no block reaches.
    """
    table = load_travel(data, facility)
    parcels = np.asarray(parcels, dtype=np.int64)
    existing = np.asarray(existing, dtype=np.int64)
    n_sites = parcels.size + existing.size
    column = np.full(table.n_parcels + len(data.existing), -1, dtype=np.int64)
    column[parcels] = np.arange(parcels.size)
    column[table.n_parcels + existing] = parcels.size + np.arange(existing.size)
    col = column[table.site]
    keep = col >= 0
    metric = TableMetric(table.block[keep], col[keep], table.cost[keep],
                         (len(data.blocks), n_sites), unit=facility.travel_unit)
    said = data.__dict__.setdefault("_travel_said", set())
    if id(facility) not in said and n_sites:
        said.add(id(facility))
        reached = np.zeros(n_sites, dtype=bool)
        reached[metric.indices] = True
        if not reached.all():
            ids = np.concatenate([data.parcels["parcel_id"].to_numpy()[parcels].astype(object),
                                  data.existing["facility_id"].to_numpy()[existing]
                                  .astype(object)])
            k = int(np.flatnonzero(~reached)[0])
            what = facility.label or facility.use
            _note(data, [f"{table.label}: {int((~reached).sum())} of {n_sites} sites "
                         f"(candidate parcels and existing facilities"
                         f"{f' for {what}' if what else ''}) "
                         f"{'has' if (~reached).sum() == 1 else 'have'} no finite cost from any "
                         f"block (e.g. {_shown(ids[k])}): unreachable"])
    return metric


def _shown(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _note(data: ServiceData, notes: list[str]) -> None:
    for note in notes:
        if note not in data.notes:
            data.notes.append(note)
