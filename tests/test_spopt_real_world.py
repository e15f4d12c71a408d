"""spopt's San Francisco notebooks (``facloc-real-world``, with ``facloc-lscpb-real-world``
and ``facloc-disperse-real-world`` on the same data) redone with siting's public API.

The data are spopt's own files, copied to ``instances/spopt-sf`` (see its
README): 205 census-tract centroids with their 2000 population, 16 candidate
stores, and the network distances between them as a long table (one row per
tract and store). The notebooks pivot that table into a cost matrix; here it
is read as it is, by :meth:`siting.Instance.from_od_table`. The reference
numbers are the ones the notebooks print.

Semantics that differ, said where they are used: spopt's ``p_facilities``
counts the predefined sites, siting's ``p`` counts new sites only; spopt's
MCLP and p-center open exactly ``p`` (``exactly_p=True`` here); spopt's
``perc_cov`` counts clients, not population. spopt's LSCP-B counts a client
with a single store in reach as covered twice (its backup row for such a
client is ``Σ y ≥ 1 + 0·u``, leaving ``u`` free), so its printed backup share
is siting's plus those clients.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from siting import LSCP, LSCPB, MCLP, Instance, PCenter, PDispersion, PMedian

DATA = Path(__file__).resolve().parents[1] / "instances" / "spopt-sf"
OD = "SF_network_distance_candidateStore_16_censusTract_205_new.csv"
RADIUS = 5000  # metres, facloc-real-world's SERVICE_RADIUS
P = 4  # its P_FACILITIES


def points(name: str) -> gpd.GeoDataFrame:
    """One of the CSVs of points, long/lat, projected to EPSG:7131 (metres) as the notebooks do.

    ``NAME`` stays text: the tract names carry a leading zero (``060750479.01``),
    exactly as the distance table spells them.
    """
    frame = pd.read_csv(DATA / name, index_col=0, dtype={"NAME": str, "ID": str})
    xy = gpd.points_from_xy(frame["long"], frame["lat"])
    return gpd.GeoDataFrame(frame, geometry=xy, crs="EPSG:4326").to_crs("EPSG:7131")


@pytest.fixture(scope="module")
def tracts() -> gpd.GeoDataFrame:
    return points("SF_demand_205_centroid_uniform_weight.csv")


@pytest.fixture(scope="module")
def stores() -> gpd.GeoDataFrame:
    return points("SF_store_site_16_longlat.csv")


@pytest.fixture(scope="module")
def od() -> pd.DataFrame:
    return pd.read_csv(DATA / OD, dtype={"DestinationName": str})


Build = Callable[..., Instance]


@pytest.fixture(scope="module")
def build(tracts: gpd.GeoDataFrame, stores: gpd.GeoDataFrame, od: pd.DataFrame) -> Build:
    """An instance on the network distances; ``existing`` names predefined stores."""

    def make(weight: str | None = "POP2000", existing: tuple[str, ...] = ()) -> Instance:
        sites = stores.assign(existing=stores["NAME"].isin(existing))
        return Instance.from_od_table(od, tracts, sites, origin="DestinationName",
                                      destination="name", cost="distance", unit="m",
                                      demand_id="NAME", site_id="NAME", weight=weight,
                                      existing="existing")
    return make


def test_the_distance_table_is_the_notebooks_cost_matrix(build: Build, od: pd.DataFrame,
                                                         tracts: gpd.GeoDataFrame) -> None:
    inst = build()
    assert (inst.n_demand, inst.n_sites) == (205, 16)
    # cost_matrix[:3, :3] as printed: the first tracts and stores in sorted name order
    rows = np.array([list(inst.demand_ids).index(t) for t in
                     ["060750101.00", "060750102.00", "060750103.00"]])
    cols = np.array([list(inst.site_ids).index(s) for s in ["Store_1", "Store_11", "Store_12"]])
    got = inst.metric.pair_distance(np.repeat(rows, 3), np.tile(cols, 3)).reshape(3, 3)
    assert got == pytest.approx(np.array([[11495.19045438, 20022.66650296, 10654.59373325],
                                          [10436.16991032, 19392.09477041, 10024.0220007],
                                          [10746.29681106, 19404.67285964, 10036.60008993]]))
    # the table's own ``demand`` column is the tracts' POP2000, the weight ai
    table_pop = od.drop_duplicates("DestinationName").set_index("DestinationName")["demand"]
    assert (table_pop[tracts["NAME"]].to_numpy() == tracts["POP2000"].to_numpy()).all()
    assert inst.weight.sum() == 955113


def test_lscp(build: Build) -> None:
    sol = LSCP(radius=RADIUS).solve(build())
    assert sol.is_optimal and sol.verified
    assert sol.objective == 8  # lscp.problem.objective.value()
    assert len(sol.selected) == 8
    assert (sol.demand_frame()["covered"] > 0).all()


def test_mclp(build: Build) -> None:
    sol = MCLP(radius=RADIUS, p=P, exactly_p=True).solve(build())
    assert sol.is_optimal and sol.verified
    assert sol.objective == pytest.approx(875247)  # population covered
    assert len(sol.selected) == P
    frame = sol.demand_frame()
    # the user's columns come back with the result
    assert {"POP2000", "HOUSEHOLDS", "covering_sites"} <= set(frame.columns)
    assert 100 * (frame["covered"] > 0).mean() == pytest.approx(89.75609756097562)  # perc_cov
    assert sol.share_covered == pytest.approx(875247 / 955113)  # siting's: by population


def test_p_median(build: Build) -> None:
    sol = PMedian(p=P).solve(build())
    assert sol.is_optimal and sol.verified
    assert sol.objective == pytest.approx(2848268129.7145104, rel=1e-9)
    assert sol.mean_distance == pytest.approx(2982.1268579890657, rel=1e-9)  # mean_dist
    assert len(sol.selected) == P


def test_p_center(build: Build) -> None:
    sol = PCenter(p=P, exactly_p=True).solve(build())
    assert sol.is_optimal and sol.verified
    assert sol.objective == pytest.approx(7403.063811, abs=1e-6)  # HiGHS's and SCIP's figure
    assert len(sol.selected) == P
    assert sol.demand_frame()["distance"].max() == pytest.approx(sol.objective)


@pytest.mark.parametrize(("existing", "sites", "backup_perc"), [
    ((), 3, 69.756),
    (("Store_3", "Store_7"), 4, 87.805),  # predefined_loc at sorted positions 11 and 15
])
def test_lscpb_notebook(build: Build, od: pd.DataFrame, existing: tuple[str, ...],
                        sites: int, backup_perc: float) -> None:
    """facloc-lscpb-real-world: radius 8000 m, clients unweighted."""
    inst = build(weight=None, existing=existing)
    fewest = LSCP(radius=8000).solve(inst)
    assert fewest.is_optimal and fewest.verified
    assert len(fewest.selected) == sites  # spopt's objective counts predefined sites too
    assert fewest.objective == sites - len(existing)  # siting's counts new ones
    sol = LSCPB(radius=8000).solve(inst)
    assert sol.is_optimal and sol.verified
    assert len(sol.selected) == sites
    # spopt counts the clients with a single store in reach as covered twice
    in_reach = od[od["distance"] <= 8000].groupby("DestinationName").size()
    assert sol.objective is not None
    assert sol.objective + int((in_reach == 1).sum()) == round(backup_perc / 100 * 205)


@pytest.mark.parametrize(("existing", "p", "objective"), [
    ((), 3, 10164.494501),
    (("Store_15", "Store_2"), 1, 6043.265),  # predefined_loc at sorted positions 5 and 10
])
def test_p_dispersion_notebook(stores: gpd.GeoDataFrame, existing: tuple[str, ...], p: int,
                               objective: float) -> None:
    """facloc-disperse-real-world: straight-line distances between the projected stores."""
    sites = stores.assign(existing=stores["NAME"].isin(existing))
    inst = Instance.from_frames(stores, sites, site_id="NAME", weight=None, existing="existing")
    sol = PDispersion(p=p).solve(inst)
    assert sol.is_optimal and sol.verified
    assert sol.objective == pytest.approx(objective, abs=1e-3)
    assert len(sol.selected) == 3  # spopt's p_facilities=3 counts the predefined ones
