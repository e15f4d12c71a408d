"""The 回天 (Huilongguan–Tiantongyuan, Beijing) instance: generator and loader.

``load_huitian()`` reads the committed GeoPackage; ``python -m
siting.huitian.generate`` rebuilds it byte-identically from its seed.
"""

from siting.huitian.load import HuitianData, load_huitian

__all__ = ["HuitianData", "load_huitian"]
