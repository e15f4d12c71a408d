"""Reading a planner's own data: strict CSV, any vector layer, streets, the ``[data]`` table.

- :func:`read_csv` — the one strict CSV reader (ids as text, yes/no booleans,
  numbers in range, every row's field count checked);
- :func:`read_layer` — ``"FILE"`` or ``"FILE:LAYER"`` of any GDAL format,
  GeoParquet or a CSV of points;
- :func:`street_network` — a walking network from a line layer;
- :func:`load_service_data` — the :class:`~siting.multi.data.ServiceData` of a
  spec, from its ``[data]`` table or an instance folder.

>>> from siting.data import split_source
>>> split_source("streets.gpkg:roads")
('streets.gpkg', 'roads')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from siting.lazy import first_use

if TYPE_CHECKING:
    from siting.data.layers import list_layers, read_layer, split_source
    from siting.data.load import folder_table, load_data_table, load_service_data
    from siting.data.streets import street_network
    from siting.readers.csvfile import Column, CsvTable, read_csv

#: Public name → module (imported on first use: the CSV reader stays light).
_WHERE = {
    "Column": "siting.readers.csvfile",
    "CsvTable": "siting.readers.csvfile",
    "read_csv": "siting.readers.csvfile",
    "list_layers": "siting.data.layers",
    "read_layer": "siting.data.layers",
    "split_source": "siting.data.layers",
    "folder_table": "siting.data.load",
    "load_data_table": "siting.data.load",
    "load_service_data": "siting.data.load",
    "street_network": "siting.data.streets",
}


__getattr__ = first_use(__name__, _WHERE)


__all__ = [
    "Column",
    "CsvTable",
    "folder_table",
    "list_layers",
    "load_data_table",
    "load_service_data",
    "read_csv",
    "read_layer",
    "split_source",
    "street_network",
]
