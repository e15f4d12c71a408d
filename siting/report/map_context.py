"""The context layers of an area map: an instance folder's streets and metro stations,
or the streets of the data's walking network; :mod:`siting.report.svgmap` draws them and
re-exports these names.

>>> MapLayers().streets is None
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from siting.multi.data import ServiceData


@dataclass(frozen=True)
class MapLayers:
    """Optional context layers of an instance: street lines (with a ``kind`` column:
    ``arterial``, ``street``, ...) and metro stations (points with a ``name``)."""

    streets: Any = None
    stations: Any = None


#: Simplification of street lines on the map (metres): invisible at the map's scale.
STREET_TOLERANCE_M = 4.0


@functools.lru_cache(maxsize=4)
def load_context(source: str) -> MapLayers:
    """The ``network_edges`` and ``stations`` layers of the instance GeoPackage in folder
    ``source``, where they exist (other data have none: the map then goes without)."""
    folder = Path(source) if source else None
    if folder is None or not folder.is_dir():
        return MapLayers()
    files = sorted(folder.glob("*.gpkg"))
    if not files:
        return MapLayers()
    import geopandas as gpd
    import pyogrio

    path = files[0]
    names = {str(n) for n, _ in pyogrio.list_layers(path)}
    read = {
        name: gpd.read_file(path, layer=name, engine="pyogrio") if name in names else None
        for name in ("network_edges", "stations")
    }
    return MapLayers(read["network_edges"], read["stations"])


def network_lines(network: Any) -> Any:
    """The edges of a walking network as straight line segments (a GeoDataFrame), to draw
    the streets a user's own street layer became (the walks run along them).

    >>> from siting.network import WalkingNetwork
    >>> net = WalkingNetwork([0.0, 100.0, 100.0], [0.0, 0.0, 50.0], [0, 1], [1, 2], [100.0, 50.0])
    >>> network_lines(net).geometry.length.tolist()
    [100.0, 50.0]
    """
    import geopandas as gpd
    import shapely

    x, y = network.node_x, network.node_y
    u, v = network.edge_u, network.edge_v
    coords = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    return gpd.GeoDataFrame(geometry=shapely.linestrings(coords), crs=network.crs)


def map_layers(data: ServiceData) -> MapLayers:
    """The context layers of a map: the instance folder's streets and stations
    (:func:`load_context`), else the streets of the data's walking network (a spec's
    ``network`` file: the user's own street layer as it is walked)."""
    layers = load_context(str(data.source or ""))
    if (layers.streets is None or not len(layers.streets)) and data.network is not None:
        layers = MapLayers(network_lines(data.network), layers.stations)
    return layers
