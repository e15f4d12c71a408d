"""The 回天 (Huilongguan–Tiantongyuan, Beijing) instance: generator and loader.

Not part of the ``siting`` package: it lives beside the instance it writes.
``load_huitian()`` reads the committed GeoPackage with every layer (the
street graph's nodes, barriers, crossings and stations too);
``python instances/huitian/make.py`` rebuilds it byte-identically from its seed.
Plans read the instance as any other data, through a spec's ``[data]`` table.
"""

from .load import HuitianData, huitian_service_data, load_huitian

__all__ = ["HuitianData", "huitian_service_data", "load_huitian"]
