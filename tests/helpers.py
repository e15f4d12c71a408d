"""Helpers shared by test modules (test modules import from here, never from each other):
stopping the command at a chosen point, and the hand-made cases several modules solve.

Stopping the ``siting`` command at a chosen point, whatever the machine's speed:
:func:`stop_at` runs the command in a child process that pauses at a named point
(:data:`POINTS`) and says so on a pipe; the test then sends its signal (Ctrl-C's
SIGINT, or SIGTERM) while the child waits at that point, so the branch a test
checks is the one it chose, never the one a timer happened to hit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.multi.data import ServiceData

ROOT = Path(__file__).resolve().parent.parent

#: Where :func:`stop_at` can pause the command:
#: ``loading``: as the classic instance is read (nothing solved, nothing written);
#: ``search``: at HiGHS's first report from its tree search, before any incumbent;
#: ``incumbent``: at HiGHS's first report holding an incumbent (the proof far off);
#: ``scenario``: in ``siting sweep``, when the first scenario's row has come back.
POINTS = ("loading", "search", "incumbent", "scenario")

#: The child's program: pause at argv[1], say so on file descriptor argv[2], run siting.
_CHILD = "import sys; from tests.helpers import run_paused; run_paused(sys.argv[1], " \
         "int(sys.argv[2]), sys.argv[3:])"


@dataclass
class Stopped:
    """How a command stopped by :func:`stop_at` ended."""

    returncode: int
    stdout: str
    stderr: str
    #: Whether the command reached the pause point (the signal was sent there).
    reached: bool

    @property
    def lines(self) -> list[str]:
        """The lines the command wrote on stderr."""
        return self.stderr.strip().splitlines()


def stop_at(point: str, signum: int, args: Sequence[str], timeout: float = 300) -> Stopped:
    """Run ``siting ARGS`` in a child process, send ``signum`` once it pauses at ``point``.

    The child says it has arrived on a pipe; the test blocks on that pipe (no
    timer), and the child stays at the point until the signal has been handled.
    """
    if point not in POINTS:
        raise ValueError(f"unknown pause point {point!r}; one of {POINTS}")
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, point, str(write_end), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    with os.fdopen(read_end) as ready:
        reached = ready.readline().strip() == point  # empty: the child ended without pausing
    if reached:
        proc.send_signal(signum)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Stopped(proc.returncode, stdout, stderr, reached)


def run_paused(point: str, fd: int, argv: list[str]) -> None:
    """The child of :func:`stop_at`: the ``siting`` command, pausing at ``point``."""
    os.set_inheritable(fd, False)  # not handed on to the sweep's worker processes
    from siting.cli import exits

    handled = threading.Event()
    on_stop_signal = exits._on_stop_signal

    def noted(signum: int, frame: Any) -> None:
        handled.set()
        on_stop_signal(signum, frame)

    exits._on_stop_signal = noted  # type: ignore[assignment]

    def pause() -> None:
        os.write(fd, f"{point}\n".encode())
        os.close(fd)
        # In the main thread the signal's KeyboardInterrupt is raised inside this wait;
        # in a solver's thread the wait ends once the main thread has handled it.
        handled.wait(timeout=600)

    _PAUSES[point](pause)
    sys.argv = ["siting", *argv]
    from siting.cli import entry

    entry()


def _pause_loading(pause: Callable[[], None]) -> None:
    import siting.io

    load_instance = siting.io.load_instance

    def paused(*args: Any, **kwargs: Any) -> Any:
        pause()
        return load_instance(*args, **kwargs)

    siting.io.load_instance = paused


def _pause_in_search(with_incumbent: bool) -> Callable[[Callable[[], None]], None]:
    def install(pause: Callable[[], None]) -> None:
        from dataclasses import replace

        from siting.backends.highs import HighsBackend

        solve_arrays = HighsBackend.solve_arrays
        paused: list[bool] = []

        def report(progress: Any) -> Any:
            def on_progress(incumbent: float | None, *rest: Any) -> None:
                # the first report of the search, or the first with an incumbent
                if not paused and (incumbent is not None) == with_incumbent:
                    paused.append(True)
                    pause()
                if progress is not None:
                    progress(incumbent, *rest)

            return on_progress

        def solving(self: Any, milp: Any, options: Any, *args: Any, **kwargs: Any) -> Any:
            if paused:
                return solve_arrays(self, milp, options, *args, **kwargs)
            options = replace(options, progress=report(options.progress))
            return solve_arrays(self, milp, options, *args, **kwargs)

        HighsBackend.solve_arrays = solving  # type: ignore[method-assign]

    return install


def _pause_after_a_scenario(pause: Callable[[], None]) -> None:
    import siting.sweep

    run_sweep = siting.sweep.run_sweep

    def paused(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        def on_row(done: int, total: int, row: dict[str, Any]) -> None:
            if progress is not None:
                progress(done, total, row)
            if done == 1:
                pause()

        return run_sweep(*args, progress=on_row, **kwargs)

    siting.sweep.run_sweep = paused


_PAUSES: dict[str, Callable[[Callable[[], None]], None]] = {
    "loading": _pause_loading,
    "search": _pause_in_search(with_incumbent=False),
    "incumbent": _pause_in_search(with_incumbent=True),
    "scenario": _pause_after_a_scenario,
}


# ------------------------------------------------------------------ shared test data
# Heavy libraries are imported inside each function: the child of stop_at imports this
# module before the command, and must start as fast as the command does.

#: UTM zone 50N, the projected CRS of the 回天 data and of every hand-made case here.
CRS = "EPSG:32650"
#: The small case's origin (metres, in CRS).
X0, Y0 = 440_000.0, 4_430_000.0
#: Back ends (those available here) that take the multi-service model.
MULTI_BACKENDS = ["highs", "ortools", "cbc"]


# The small case (sweeps, reports, the CLI on specs): 50 blocks in two sub-districts,
# 8 parcels, one existing station, straight-line distances, solved in well under a second.


def small_spec(instance: str = "instances/huitian", **budget: Any) -> dict[str, Any]:
    """Two services, one year, a budget and one coverage target (straight-line distances)."""
    return {
        "meta": {
            "name": "small",
            "description": "a hand-made test case",
            "instance": instance,
            "years": [2026, 2027],
            "distance": "euclidean",
        },
        "facility": {
            "service_room": {
                "label": "便民服务用房 service room",
                "group": "pop_total",
                "radius_m": 350,
                "footprint_m2": 200,
                "build_cost": 1_000_000,
                "max_count": {"total": 4},
            },
            "elderly_station": {
                "label": "养老服务驿站 elderly-care station",
                "group": "age_60_plus",
                "radius_m": 450,
                "footprint_m2": 400,
                "build_cost": 2_000_000,
                "capacity": 800,
            },
        },
        "budget": {"total": 6_000_000, **budget},
        "target": [
            {
                "name": "elderly within 450 m >= 60%",
                "kind": "coverage",
                "facility": "elderly_station",
                "share": 0.6,
            },
            {
                "name": "service rooms >= 1",
                "kind": "count",
                "facility": "service_room",
                "at_least": 1,
                "mode": "report",
            },
        ],
        "solver": {"time_limit": 20, "mip_gap": 0},
    }


def small_frames() -> dict[str, gpd.GeoDataFrame]:
    """The layers of the small instance, as in the 回天 GeoPackage (EPSG:32650)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(7)
    gx, gy = np.meshgrid(np.arange(10), np.arange(5))
    x = X0 + 100 + 200 * gx.ravel()
    y = Y0 + 100 + 200 * gy.ravel()
    pop = rng.integers(50, 400, x.size)
    blocks = gpd.GeoDataFrame(
        {
            "block_id": [f"B{k:02d}" for k in range(x.size)],
            "subdistrict": np.where(x < X0 + 1000, "东区", "西区"),
            "pop_total": pop,
            "age_60_plus": (pop * 0.2).round().astype(int),
        },
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )
    px = X0 + np.array([250, 650, 900, 1150, 1450, 1750, 400, 1600])
    py = Y0 + np.array([300, 700, 450, 250, 650, 350, 850, 850])
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k}" for k in range(px.size)],
            "subdistrict": np.where(px < X0 + 1000, "东区", "西区"),
            "area_m2": 1600.0,
            "land_cost_est": 0.0,
            "allowed_uses": "elderly_station;service_room",
            "year_available": [2020, 2020, 2020, 2027, 2020, 2020, 2020, 2020],
        },
        geometry=[shapely.box(a - 20, b - 20, a + 20, b + 20) for a, b in zip(px, py, strict=True)],
        crs=CRS,
    )
    existing = gpd.GeoDataFrame(
        {
            "facility_id": ["E1"],
            "type": ["elderly_station"],
            "name": ["东区养老驿站"],
            "subdistrict": ["东区"],
            "capacity": [300],
            "area_m2": [400.0],
        },
        geometry=gpd.points_from_xy([X0 + 300], [Y0 + 500]),
        crs=CRS,
    )
    subdistricts = gpd.GeoDataFrame(
        {"subdistrict": ["东区", "西区"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
            shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000),
        ],
        crs=CRS,
    )
    return {
        "blocks": blocks, "parcels": parcels, "existing": existing, "subdistricts": subdistricts
    }


def small_data() -> ServiceData:
    from siting.multi.data import ServiceData

    f = small_frames()
    return ServiceData(
        blocks=f["blocks"], parcels=f["parcels"], existing=f["existing"],
        subdistricts=f["subdistricts"], source="small",
    )


def write_small_instance(folder: Path) -> Path:
    """A folder holding a huitian.gpkg-like GeoPackage of the small case (tiny network)."""
    import geopandas as gpd
    import shapely

    folder.mkdir(parents=True, exist_ok=True)
    f = small_frames()
    nodes = gpd.GeoDataFrame(
        {"node_id": [1, 2, 3], "kind": "street", "name": ""},
        geometry=gpd.points_from_xy([X0, X0 + 1000, X0 + 2000], [Y0 + 500] * 3),
        crs=CRS,
    )
    edges = gpd.GeoDataFrame(
        {"edge_id": [1, 2], "u": [1, 2], "v": [2, 3], "length_m": [1000.0, 1000.0],
         "kind": "street"},
        geometry=[
            shapely.LineString([(X0, Y0 + 500), (X0 + 1000, Y0 + 500)]),
            shapely.LineString([(X0 + 1000, Y0 + 500), (X0 + 2000, Y0 + 500)]),
        ],
        crs=CRS,
    )
    point = gpd.points_from_xy([X0 + 5], [Y0 + 5])
    line = [shapely.LineString([(X0, Y0), (X0 + 10, Y0)])]
    layers = {
        "subdistricts": f["subdistricts"],
        "blocks": f["blocks"],
        "parcels": f["parcels"],
        "existing": f["existing"],
        "parks": gpd.GeoDataFrame(
            {"facility_id": ["PK1"], "name": ["小公园"]},
            geometry=[shapely.box(X0 + 1900, Y0 + 900, X0 + 1990, Y0 + 990)],
            crs=CRS,
        ),
        "network_nodes": nodes,
        "network_edges": edges,
        "barriers": gpd.GeoDataFrame({"barrier_id": [1]}, geometry=line, crs=CRS),
        "crossings": gpd.GeoDataFrame({"crossing_id": [1]}, geometry=point, crs=CRS),
        "stations": gpd.GeoDataFrame({"station_id": [1]}, geometry=point, crs=CRS),
    }
    path = folder / "huitian.gpkg"
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return folder


# Hand-made multi-service cases on a line (one per constraint kind).
def blocks(*rows: tuple[float, dict[str, float], str]) -> gpd.GeoDataFrame:
    """Blocks at x (metres) with populations per group and a sub-district."""
    import geopandas as gpd
    from shapely.geometry import Point

    groups = sorted({g for _, pops, _ in rows for g in pops})
    data: dict[str, Any] = {
        "block_id": [f"b{i}" for i in range(len(rows))],
        "subdistrict": [sd for _, _, sd in rows],
    }
    for g in groups:
        data[g] = [pops.get(g, 0.0) for _, pops, _ in rows]
    return gpd.GeoDataFrame(data, geometry=[Point(x, 0.0) for x, _, _ in rows], crs=CRS)


def parcels(*rows: dict[str, Any]) -> gpd.GeoDataFrame:
    """Square parcels centred at x with an area, uses, year, land cost, sub-district."""
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import box

    geoms = []
    for r in rows:
        half = np.sqrt(r["area"]) / 2
        geoms.append(box(r["x"] - half, -half, r["x"] + half, half))
    return gpd.GeoDataFrame(
        {
            "parcel_id": [r["id"] for r in rows],
            "area_m2": [float(r["area"]) for r in rows],
            "allowed_uses": [r.get("uses", "a;b;park;parking") for r in rows],
            "year_available": [r.get("year", 2026) for r in rows],
            "land_cost_est": [float(r.get("land", 0.0)) for r in rows],
            "subdistrict": [r.get("sd", "S1") for r in rows],
        },
        geometry=geoms,
        crs=CRS,
    )


def existing(*rows: tuple[str, str, float, float]) -> gpd.GeoDataFrame:
    """Existing facilities (id, type, x, capacity)."""
    import geopandas as gpd
    from shapely.geometry import Point

    return gpd.GeoDataFrame(
        {
            "facility_id": [r[0] for r in rows],
            "type": [r[1] for r in rows],
            "capacity": [r[3] for r in rows],
            "subdistrict": ["S1"] * len(rows),
        },
        geometry=[Point(r[2], 0.0) for r in rows],
        crs=CRS,
    )


def spec(facility: dict[str, Any], years: list[int] | None = None, **sections: Any) -> Any:
    """A multi-service spec over ``facility`` (straight-line distance), parsed."""
    from siting.multi import parse_spec

    return parse_spec(
        {
            "meta": {"name": "t", "years": years or [2026], "distance": "euclidean"},
            "facility": facility,
            **sections,
        }
    )


def toml_of(spec: dict[str, object]) -> str:
    """A tiny TOML writer for the test spec (tables, arrays of tables, scalars)."""
    import json


    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        return repr(v)

    lines: list[str] = []
    for section, body in spec.items():
        if isinstance(body, list):
            for item in body:
                lines.append(f"[[{section}]]")
                lines += [f"{k} = {value(v)}" for k, v in item.items()]
        elif section == "facility":
            assert isinstance(body, dict)
            for name, f in body.items():
                lines.append(f"[facility.{name}]")
                lines += [f"{k} = {value(v)}" for k, v in f.items()]
        else:
            assert isinstance(body, dict)
            lines.append(f"[{section}]")
            lines += [f"{k} = {value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


# A CSV folder for the classic models.
def write_csv_folder(folder: Path) -> Path:
    """A CSV folder as a planner would bring it: demand with Chinese names, candidate sites."""
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    n, m = 120, 25
    pd.DataFrame({
        "id": [f"社区{i:03d}" for i in range(n)],
        "x": rng.uniform(0, 5000, n).round(1),
        "y": rng.uniform(0, 4000, n).round(1),
        "weight": rng.integers(10, 500, n),
    }).to_csv(folder / "demand.csv", index=False)
    pd.DataFrame({
        "id": [f"地块{j:02d}" for j in range(m)],
        "x": rng.uniform(0, 5000, m).round(1),
        "y": rng.uniform(0, 4000, m).round(1),
    }).to_csv(folder / "sites.csv", index=False)
    return folder
