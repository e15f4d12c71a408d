"""Regenerate the 回天 instance: ``python instances/huitian/make.py [--out DIR] [--seed N]``.

Every output (``huitian.gpkg``, ``huitian.png``, ``README.md``) is a pure
function of the seed and the source CSVs: one ``numpy`` Generator drives every
random draw in a fixed order, and the GeoPackage is written with GDAL's
``OGR_CURRENT_DATE`` fixed so that no timestamp varies between runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyogrio

from .facilities import build_existing
from .facts import read_communities, read_stations, source_dir
from .geography import build_subdistricts, outline
from .load import GPKG_NAME, LAYERS, HuitianData
from .parcels import build_parcels
from .population import build_blocks
from .streets import build_barriers, build_crossings, build_network, build_stations

DEFAULT_SEED = 2018
FIXED_DATE = "2018-07-29T00:00:00Z"  # the date of the 2018–2020 action plan
PNG_NAME = "huitian.png"
README_NAME = "README.md"


def build(seed: int = DEFAULT_SEED, sources: Path | None = None) -> HuitianData:
    """Build every layer in memory (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)
    communities = read_communities(sources)
    stations = build_stations(read_stations(sources))
    subdistricts = build_subdistricts(communities)
    area = outline(subdistricts)
    barriers = build_barriers()
    crossings = build_crossings(barriers, stations)
    blocks = build_blocks(rng, communities, subdistricts, barriers)
    nodes, edges = build_network(rng, area, barriers, crossings, stations)
    existing, parks = build_existing(rng, blocks, subdistricts, barriers)
    parcels = build_parcels(rng, blocks, subdistricts, barriers, parks, existing)
    return HuitianData(
        subdistricts=subdistricts,
        blocks=blocks,
        parcels=parcels,
        existing=existing,
        parks=parks,
        network_nodes=nodes,
        network_edges=edges,
        barriers=barriers,
        crossings=crossings,
        stations=stations,
    )


def write_gpkg(data: HuitianData, path: Path) -> None:
    """Write all layers to one GeoPackage, byte-identically for equal data."""
    if path.exists():
        path.unlink()
    # GDAL stamps GPKG metadata (gpkg_contents.last_change) with the current
    # time unless OGR_CURRENT_DATE is set; fix it, and restore afterwards.
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        for name in LAYERS:
            frame = getattr(data, name)
            pyogrio.write_dataframe(
                frame, path, layer=name, driver="GPKG", append=path.exists(),
                layer_options={"SPATIAL_INDEX": "YES"},
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def generate(out: Path, seed: int = DEFAULT_SEED, sources: Path | None = None) -> dict[str, str]:
    """Build and write the instance into ``out``; return sha256 per written file."""
    from .mapplot import draw_map
    from .readme import write_readme

    out.mkdir(parents=True, exist_ok=True)
    data = build(seed, sources)
    write_gpkg(data, out / GPKG_NAME)
    draw_map(data, out / PNG_NAME, seed=seed)
    write_readme(data, out / README_NAME, seed=seed)
    return {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest()
        for name in (GPKG_NAME, PNG_NAME, README_NAME)
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    from .facts import default_instance_dir

    parser = argparse.ArgumentParser(
        prog="python instances/huitian/make.py",
        description="Regenerate the Huilongguan–Tiantongyuan instance from its seed.",
    )
    parser.add_argument("--out", type=Path, default=default_instance_dir(),
                        help="output folder (default: instances/huitian)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 2018)")
    parser.add_argument("--sources", type=Path, default=source_dir(),
                        help="folder with communities.csv and metro_stations.csv")
    args = parser.parse_args(argv)
    digests = generate(args.out, args.seed, args.sources)
    for name, digest in digests.items():
        print(f"{digest}  {os.path.join(str(args.out), name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
