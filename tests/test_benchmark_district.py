"""The benchmark's large district (copies of 回天 side by side): ids stay unique, the
copies' streets are joined, the spec scales with the copies and siting accepts it all."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
import shapely

from benchmarks.district import HUITIAN_GPKG, SEAMS_PER_SIDE, write_district
from siting.data import load_service_data
from siting.multi import load_spec
from siting.multi.problem import MultiServiceProblem


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_district(tmp_path_factory.mktemp("district"), 2, 1)


def test_copies_keep_ids_unique(district: Path) -> None:
    gpkg = district.parent / "district.gpkg"
    for layer, column in (("blocks", "block_id"), ("parcels", "parcel_id"),
                          ("existing", "facility_id"), ("network_edges", "edge_id")):
        one = pyogrio.read_dataframe(HUITIAN_GPKG, layer=layer, read_geometry=False)
        two = pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False)
        assert two[column].is_unique, layer
        extra = SEAMS_PER_SIDE if layer == "network_edges" else 0
        assert 2 * len(one) <= len(two) <= 2 * len(one) + extra, layer
    names = pyogrio.read_dataframe(gpkg, layer="subdistricts", read_geometry=False)
    assert names["subdistrict"].is_unique


def test_seams_are_never_shorter_than_the_straight_line(district: Path) -> None:
    edges = pyogrio.read_dataframe(district.parent / "district.gpkg", layer="network_edges")
    seams = edges[edges["kind"] == "seam"]
    assert 1 <= len(seams) <= SEAMS_PER_SIDE
    assert (seams["length_m"].to_numpy() >= shapely.length(seams.geometry.values)).all()


def test_spec_scales_with_the_copies(district: Path) -> None:
    spec = load_spec(district)
    base = load_spec(Path(__file__).resolve().parent.parent / "models" / "huitian-2026-2030.toml")
    assert spec.budget.total == 2 * base.budget.total
    assert spec.facility["fire_station"].max_count == {"total": 6}
    centre = next(e for e in spec.equity if e.facility == "elderly_centre")
    assert set(centre.areas) == {"天通苑南街道", "天通苑南街道·2", "天通苑北街道", "天通苑北街道·2"}
    assert spec.solver.time_limit == base.solver.time_limit


def test_siting_accepts_the_district(district: Path) -> None:
    """Loaded and built as planners' files are: one street network (a copy left
    unjoined is refused), every block group within reach measured on it."""
    spec = load_spec(district)
    data = load_service_data(spec)
    prob = MultiServiceProblem(spec, data)
    blocks = pyogrio.read_info(HUITIAN_GPKG, layer="blocks")["features"]
    assert len(data.blocks) == 2 * blocks
    assert set(prob.types) == set(spec.facility)


def test_unjoined_copies_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check the test above passes: without seams the second copy's blocks meet a
    part of the streets not joined to the rest."""
    import benchmarks.district as district_module
    from siting.errors import InputError

    monkeypatch.setattr(district_module, "SEAMS_PER_SIDE", 0)
    spec = load_spec(district_module.write_district(tmp_path, 2, 1))
    with pytest.raises(InputError, match="not connected"):
        MultiServiceProblem(spec, load_service_data(spec))
