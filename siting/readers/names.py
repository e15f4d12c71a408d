r"""How a layer is named: ``FILE`` or ``FILE:LAYER``, where FILE may hold a colon itself.

The layer is what follows the last ``:``, unless that would cut a Windows
drive (``C:\data\lots.geojson``), a folder (``survey:2024/blocks.gpkg``) or a
file that exists under the whole name: then the whole text is the file, and a
message about it shows it whole.

>>> layer_parts("district.gpkg:homes")
('district.gpkg', 'homes')
>>> layer_parts("lots.geojson")
('lots.geojson', None)
>>> layer_parts(r"C:\data\lots.geojson")
('C:\\data\\lots.geojson', None)
>>> layer_parts(r"C:\data\district.gpkg:homes")
('C:\\data\\district.gpkg', 'homes')
>>> layer_parts("survey:2024/blocks.gpkg")
('survey:2024/blocks.gpkg', None)
>>> well_named("a.gpkg:b:c"), well_named("C:/a.gpkg:b"), well_named("a.gpkg:")
(False, True, False)
"""

from __future__ import annotations

import re
from pathlib import Path

_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def layer_parts(text: str) -> tuple[str, str | None]:
    """``(FILE, LAYER)`` of a layer's name (``LAYER`` None: the whole file)."""
    if ":" not in text or _exists(text):
        return text, None
    drive = text[:2] if _DRIVE.match(text) else ""
    file, sep, layer = text[len(drive):].rpartition(":")
    if not sep or not file or not layer or "/" in layer or "\\" in layer:
        return text, None
    return drive + file, layer


def well_named(text: str) -> bool:
    """Whether ``text`` names one layer: no ``:`` left in the file's own name, none at
    either end (a colon in a folder or a drive letter is the path's)."""
    if not text.strip() or text.startswith(":") or text.endswith(":"):
        return False
    file, _ = layer_parts(text)
    name = re.split(r"[\\/]", file)[-1]
    return ":" not in name or _exists(text)


def not_found(path: str | Path) -> str:
    """Why ``path`` cannot be opened: not there, or a link that leads nowhere.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "a").symlink_to(d / "b"); (d / "b").symlink_to(d / "a")
    >>> not_found(d / "a")
    'a link that leads nowhere (a loop of links, or a link to a missing file)'
    >>> not_found(d / "c")
    'file not found'
    """
    if Path(path).is_symlink():
        return "a link that leads nowhere (a loop of links, or a link to a missing file)"
    return "file not found"


def _exists(text: str) -> bool:
    try:
        return Path(text).exists()
    except (OSError, ValueError):  # a name too long, a NUL byte
        return False
