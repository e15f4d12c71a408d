"""Load the 回天 instance (GeoPackage) into GeoDataFrames.

>>> LAYERS[:3]
('subdistricts', 'blocks', 'parcels')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from siting.errors import InputError
from siting.multi import ServiceData
from siting.network import WalkingNetwork

from .facts import default_instance_dir

GPKG_NAME = "huitian.gpkg"
ENV_VAR = "SITING_HUITIAN_DIR"
LAYERS: tuple[str, ...] = (
    "subdistricts",
    "blocks",
    "parcels",
    "existing",
    "parks",
    "network_nodes",
    "network_edges",
    "barriers",
    "crossings",
    "stations",
)


@dataclass
class HuitianData:
    """All layers of the instance, in EPSG:32650 (metres)."""

    subdistricts: gpd.GeoDataFrame
    blocks: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    network_nodes: gpd.GeoDataFrame
    network_edges: gpd.GeoDataFrame
    barriers: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Layer name → GeoDataFrame, in storage order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def outline(self) -> shapely.Geometry:
        """The study area: union of the sub-district polygons."""
        return shapely.union_all(np.asarray(self.subdistricts.geometry), grid_size=0.01)

    def network(self) -> WalkingNetwork:
        """The walking network as a :class:`~siting.network.WalkingNetwork`: the street
        layer ``network_edges`` with its walking lengths, read as a spec's ``[data]``
        table reads it (:func:`siting.data.street_network`)."""
        from siting.data import street_network

        return street_network(self.network_edges, length="length_m", junctions="vertices")


def instance_dir(folder: str | os.PathLike[str] | None = None) -> Path:
    """Folder given, else ``$SITING_HUITIAN_DIR``, else the repository's ``instances/huitian``."""
    if folder is not None:
        return Path(folder)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else default_instance_dir()


def load_huitian(folder: str | os.PathLike[str] | None = None) -> HuitianData:
    """Read every layer of ``huitian.gpkg`` from ``folder`` (see :func:`instance_dir`)."""
    path = instance_dir(folder) / GPKG_NAME
    if not path.is_file():
        raise InputError(
            "instance file not found; run `python instances/huitian/make.py`", path=path
        )
    frames = {
        name: gpd.read_file(path, layer=name, engine="pyogrio") for name in LAYERS
    }
    # GeoPackage integers come back as float when a column holds nulls.
    frames["existing"]["capacity"] = frames["existing"]["capacity"].astype("Int64")
    return HuitianData(**frames)


def huitian_service_data(folder: str | os.PathLike[str] | None = None) -> ServiceData:
    """The multi-service model's data, read by this loader rather than by a spec's
    ``[data]`` table (:func:`siting.data.load_service_data`): a second reading of the
    same files, which the tests compare with the first."""
    data = load_huitian(folder)
    return ServiceData(
        blocks=data.blocks,
        parcels=data.parcels,
        existing=data.existing,
        network=data.network(),
        subdistricts=data.subdistricts,
        source=str(instance_dir(folder)),
        existing_shapes=data.parks,
    )
