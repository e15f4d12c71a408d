"""回天 (Huilongguan–Tiantongyuan, Beijing): regenerate this instance from its seed.

Writes ``huitian.gpkg``, ``huitian.png`` and ``README.md`` into this folder (or the one
given), byte-identically for the same seed, sources and library versions::

    python instances/huitian/make.py [--out DIR] [--seed N] [--sources DIR]

The generator is the package ``generator/`` beside this file (see its modules: facts,
geography, population, streets, facilities, parcels; the README and map writers); it
uses the installed ``siting`` for walking distances (the README's figures) and its
loader's error type. The source tables are in ``sources/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    from generator.generate import main

    raise SystemExit(main())
