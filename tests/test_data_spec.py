"""The [data] table of a spec: validation, paths, the folder shorthand, and the 回天 specs."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instances.huitian.generator import huitian_service_data
from siting.data import folder_table, load_service_data
from siting.errors import InputError, SpecError
from siting.multi.spec import load_spec, parse_spec
from tests.helpers import small_spec, write_small_instance

ROOT = Path(__file__).resolve().parent.parent
HUITIAN = ROOT / "instances" / "huitian"
SPECS = sorted((ROOT / "models").glob("huitian-*.toml"))

BASE = {
    "meta": {"name": "t", "years": [2030]},
    "facility": {"kg": {"group": "kids", "radius_m": 400}},
}


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"blocks": "a.gpkg:b"}, "data.parcels: missing (required)"),
        ({"blocks": "a.gpkg", "parcels": "p.gpkg", "parcel_ids": "x"},
         "data.parcel_ids: unknown key (did you mean 'parcel_id'?)"),
        ({"blocks": "a.gpkg:b:c", "parcels": "p.gpkg"},
         "data.blocks: 'a.gpkg:b:c' must be FILE or"),
        ({"blocks": "a\x00.gpkg", "parcels": "p.gpkg"}, "data.blocks: 'a\\x00.gpkg' holds a"),
        ({"blocks": "a.gpkg:", "parcels": "p.gpkg"}, "must be FILE or FILE:LAYER"),
        ({"blocks": "a.gpkg", "parcels": "p.gpkg", "network_length": "len"},
         "network_length needs network"),
        ({"blocks": "a.gpkg", "parcels": "p.gpkg", "network_tolerance": -1},
         "data.network_tolerance: -1 must be >= 0"),
        ({"blocks": 3, "parcels": "p.gpkg"}, "data.blocks: 3 input should be a valid string"),
    ],
)
def test_bad_data_tables_name_the_key(data: dict[str, object], needle: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec({**BASE, "data": data})
    assert needle in str(info.value), str(info.value)


def test_paths_are_relative_to_the_spec_file(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    spec_file = tmp_path / "models" / "plan.toml"
    spec_file.write_text(
        '[meta]\nname = "t"\nyears = [2030]\n'
        '[data]\nblocks = "../d/homes.gpkg:homes"\nparcels = "/abs/lots.geojson"\n'
        '[facility.kg]\ngroup = "kids"\nradius_m = 400\n',
        encoding="utf-8",
    )
    spec = load_spec(spec_file)
    assert spec.data is not None
    assert spec.data.blocks == f"{tmp_path / 'd' / 'homes.gpkg'}:homes"
    assert spec.data.parcels == "/abs/lots.geojson"
    # a round trip through the solution's spec_data keeps the table as it is
    again = parse_spec(spec.model_dump(mode="json"))
    assert again.data == spec.data
    spec_file.write_text(
        spec_file.read_text(encoding="utf-8").replace("[data]", 'instance = "x"\n[data]'),
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"meta.instance and \[data\] both"):
        load_spec(spec_file)
    with pytest.raises(InputError, match=r"^\.\./d/homes.gpkg: file not found "
                       r"\(data.blocks in .*plan.toml\)$"):
        load_service_data(spec)


def test_a_spec_names_its_data(tmp_path: Path) -> None:
    """No default instance: the data of a spec with neither [data] nor meta.instance are
    refused, naming the spec's file and both keys (its questions alone may be solved on
    frames built in code, so the file itself is read)."""
    spec_file = tmp_path / "plan.toml"
    spec_file.write_text(
        '[meta]\nname = "t"\nyears = [2030]\n[facility.kg]\ngroup = "kids"\nradius_m = 400\n',
        encoding="utf-8",
    )
    spec = load_spec(spec_file)
    assert spec.file == str(spec_file) and spec.meta.instance is None
    with pytest.raises(SpecError) as info:
        load_service_data(spec)
    assert str(info.value).startswith(
        f"{spec_file}: [data] and meta.instance: both missing; say where the data are: a "
        '[data] table (blocks = "FILE[:LAYER]", parcels, existing, ...) or meta.instance = '
    ), str(info.value)
    spec = parse_spec(BASE)
    assert spec.data is None and spec.meta.instance is None and spec.file is None
    with pytest.raises(SpecError, match=r"^\[data\] and meta.instance: both missing"):
        load_service_data(spec)
    with pytest.raises(InputError, match=r"^no data: give an instance folder"):
        load_service_data()
    # an instance folder given with the spec is its data
    small = small_spec()
    del small["meta"]["instance"]
    folder = write_small_instance(tmp_path / "inst")
    assert len(load_service_data(parse_spec(small), folder).blocks) == 50


def test_folder_shorthand(tmp_path: Path) -> None:
    folder = write_small_instance(tmp_path / "inst")
    table = folder_table(folder)
    assert table.blocks.endswith("huitian.gpkg:blocks")
    assert table.existing_shapes is not None and table.existing_shapes.endswith(":parks")
    assert table.network_length == "length_m"
    spec = parse_spec(small_spec(str(folder)))
    data = load_service_data(spec)
    old = huitian_service_data(folder)
    for name in ("blocks", "parcels", "existing", "existing_shapes", "subdistricts"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(old, name))
    assert data.source == old.source
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no GeoPackage"):
        folder_table(tmp_path / "empty")
    shutil.copy(folder / "huitian.gpkg", folder / "copy.gpkg")
    with pytest.raises(InputError, match=r"2 GeoPackages \(copy.gpkg, huitian.gpkg\)"):
        folder_table(folder)
    with pytest.raises(InputError, match="instance folder not found"):
        folder_table(tmp_path / "nowhere")


def test_cache_returns_the_same_load(tmp_path: Path) -> None:
    spec = parse_spec(small_spec(str(write_small_instance(tmp_path / "inst"))))
    first = load_service_data(spec, cache=True)
    assert load_service_data(spec, cache=True) is first
    assert load_service_data(spec) is not first


@pytest.mark.skipif(not (HUITIAN / "huitian.gpkg").exists(), reason="no 回天 GeoPackage")
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_huitian_specs_read_through_data_give_the_same_data(path: Path) -> None:
    spec = load_spec(path)
    assert spec.data is not None and spec.data.network_length == "length_m"
    t0 = time.perf_counter()
    new = load_service_data(spec)
    t_new = time.perf_counter() - t0
    t0 = time.perf_counter()
    old = huitian_service_data(HUITIAN)
    t_old = time.perf_counter() - t0
    print(f"{path.stem}: [data] {t_new:.2f} s, the generator's loader {t_old:.2f} s")
    for name in ("blocks", "parcels", "existing", "existing_shapes", "subdistricts"):
        pd.testing.assert_frame_equal(getattr(new, name), getattr(old, name))
    assert Path(new.source) == HUITIAN.resolve()
    assert not any("reprojected" in n or "has no" in n for n in new.notes), new.notes
    # walking distances (blocks to parcels and to existing facilities) are the same
    every_parcel = np.arange(len(new.parcels))
    every_existing = np.arange(len(new.existing))
    for parcels, existing in ((every_parcel, every_existing[:0]),
                              (every_parcel[:0], every_existing)):
        a = new.metric(parcels, existing, "network", "point").within(1000.0)
        b = old.metric(parcels, existing, "network", "point").within(1000.0)
        assert a.nnz > 10_000
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        assert np.allclose(a.data, b.data, rtol=0, atol=1e-6)
