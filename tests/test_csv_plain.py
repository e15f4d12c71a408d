"""A plain CSV folder read without pandas gives the strict reader's instance, or its error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import siting.data.classic as classic
from siting.errors import InputError
from siting.io import load_instance

NUMBERS = st.one_of(
    st.integers(-50, 2000).map(str),
    st.floats(-1e4, 1e4, allow_nan=False).map(repr),
    st.sampled_from(["0", "-0", "+5", ".5", "5.", "1e3", "2E-2", " 7 ", "1e400", "-3", "nan",
                     "inf", "1_000", "", "x", "1e9", "-1e9", "1000000001", "0012", "1e",
                     "+-1", "1.2.3", ".", "-", "1e+", "1.e5", "e5", "--1", "1E-400", "9e999"]),
)
IDS = st.one_of(st.integers(0, 30).map(str), st.sampled_from(["007", " 7", "a", "a ", "", "b"]))
WORDS = st.sampled_from(["true", "FALSE", "yes", "No", "1", "0", "t", "y", " n ", "maybe", ""])


@st.composite
def folders(draw: Any) -> dict[str, str]:
    """The text of demand.csv and sites.csv: mostly plain, now and then not."""
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    scale = draw(st.sampled_from([1.0, 1000.0]))
    odd = draw(st.sampled_from([0, 40, 3]))  # one cell in `odd` of another kind (0: none)

    def cells(strategy: Any, usual: list[str]) -> list[str]:
        return [draw(strategy) if odd and not draw(st.integers(0, odd - 1)) else cell
                for cell in usual]

    def numbers(count: int, low: float, high: float) -> list[str]:
        values = st.one_of(st.integers(int(low), int(high)).map(str),
                           st.floats(low, high, allow_nan=False).map(repr))
        return [draw(values) for _ in range(count)]

    def ids(count: int, prefix: str) -> list[str]:
        return draw(st.permutations([f"{prefix}{k:0{draw(st.integers(1, 3))}d}"
                                     for k in range(count)]))

    d_cols = {"id": cells(IDS, ids(n, "")), "x": cells(NUMBERS, numbers(n, -100, 100)),
              "y": cells(NUMBERS, numbers(n, -100, 100)),
              "weight": cells(NUMBERS, numbers(n, 0, 500))}
    if draw(st.booleans()):
        d_cols["name"] = [f" n{k} " for k in range(n)]
    if draw(st.booleans()):
        del d_cols["weight"]
    s_cols = {"id": cells(IDS, ids(m, "s")), "x": cells(NUMBERS, numbers(m, -100, 100)),
              "y": cells(NUMBERS, numbers(m, -100, 100))}
    for extra in ("cost", "capacity", "fixed_cost", "existing"):
        if draw(st.booleans()):
            usual = [draw(WORDS.filter(bool).filter(lambda w: w != "maybe")) for _ in range(m)]
            s_cols[extra] = (cells(WORDS, usual) if extra == "existing"
                             else cells(NUMBERS, numbers(m, 0, 50)))
    def scaled(cell: str) -> str:
        stripped = cell.strip().lstrip("+-").replace(".", "", 1)
        return repr(float(cell) * scale) if stripped.isdigit() and cell.count("-") < 2 and \
            "+-" not in cell else cell

    for cols in (d_cols, s_cols):
        for axis in ("x", "y"):
            cols[axis] = [scaled(c) for c in cols[axis]]

    def text(cols: dict[str, list[str]]) -> str:
        rows = zip(*cols.values(), strict=True)
        return ",".join(cols) + "\n" + "".join(",".join(r) + "\n" for r in rows)

    return {"demand.csv": text(d_cols), "sites.csv": text(s_cols)}


def loaded(folder: Path, **options: Any) -> Any:
    try:
        return load_instance(folder, **options).instance
    except InputError as exc:
        return f"{type(exc).__name__}: {exc}"


def assert_same(plain: Any, strict: Any) -> None:
    assert isinstance(plain, str) == isinstance(strict, str), (plain, strict)
    if isinstance(strict, str):
        assert plain == strict
        return
    for name in ("name", "source", "crs", "notes", "cost_scales_with_weight"):
        assert getattr(plain, name) == getattr(strict, name), name
    for name in ("demand_ids", "site_ids", "weight", "site_cost", "fixed_cost", "capacity",
                 "existing", "demand_xy", "site_xy"):
        a, b = getattr(plain, name), getattr(strict, name)
        assert a.dtype == b.dtype, name
        assert a.tolist() == b.tolist(), name
    assert type(plain.metric) is type(strict.metric)
    pd.testing.assert_frame_equal(plain.demand_frame, strict.demand_frame)
    pd.testing.assert_frame_equal(plain.site_frame, strict.site_frame)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=folders(), unit_weights=st.booleans())
def test_plain_and_strict_paths_agree(files: dict[str, str], unit_weights: bool,
                                      tmp_path_factory: pytest.TempPathFactory,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path_factory.mktemp("inst")
    for name, text in files.items():
        (folder / name).write_text(text)
    plain = loaded(folder, unit_weights=unit_weights)
    with monkeypatch.context() as patch:
        patch.setattr(classic, "_plain_csv", lambda *args: None)
        strict = loaded(folder, unit_weights=unit_weights)
    assert_same(plain, strict)


def test_a_plain_folder_is_read_without_frames_until_asked(tmp_path: Path) -> None:
    (tmp_path / "demand.csv").write_text("id,x,y,weight\n007,0,0,5\nb, 3 ,4,2.5\n")
    (tmp_path / "sites.csv").write_text("id,x,y,existing,cost\ns1,1,0,Yes,2\ns2,9,9,n,3\n")
    inst = load_instance(tmp_path).instance
    assert isinstance(inst, classic.CsvInstance) and inst.frames is not None
    assert inst.demand_ids.tolist() == ["007", "b"] and inst.existing.tolist() == [True, False]
    assert inst.demand_frame is not None and inst.frames is None  # made once, when read
    assert inst.demand_frame["id"].tolist() == ["007", "b"]
    assert inst.site_positions(["s2", "s1"]).tolist() == [1, 0]


@pytest.mark.parametrize("files", [
    {"demand.csv": "id,x,y,weight\na,0,0,1\na,1,1,2\n", "sites.csv": "id,x,y\ns,0,0\n"},
    {"demand.csv": "id,x,y,weight\na,0,0,\n", "sites.csv": "id,x,y\ns,0,0\n"},
    {"demand.csv": "id,x,y,weight\na,0,0,1\n", "sites.csv": "id,x,y,existing\ns,0,0,maybe\n"},
    {"demand.csv": "id,lon,lat,weight\na,114.3,30.5,1\n",
     "sites.csv": "id,lon,lat\ns,114.3,30.5\n"},
    {"demand.csv": "id,x,y,weight\na,114.3052,30.5931,1\n",
     "sites.csv": "id,x,y\ns,114.31,30.6\n"},
    {"demand.csv": "id,x,y,weight\na,0,0,1\n", "sites.csv": "id,x,y\ns,90000,0\n"},
    {"demand.csv": "id,x,y,weight\na,0,1000000001,1\n", "sites.csv": "id,x,y\ns,0,1e9\n"},
    {"demand.csv": "id,x,y,weight\na,0,0,1e400\n", "sites.csv": "id,x,y\ns,0,0\n"},
    {"demand.csv": "id,x,y,weight\na,0,0,1\n", "sites.csv": "id,x,y\ns,0,0\n",
     "existing.csv": "id,x,y\ne,1,1\n"},
])
def test_what_the_plain_reader_leaves_to_the_strict_one(files: dict[str, str],
                                                        tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    from siting.data.classic import _plain_csv, reading

    assert _plain_csv(tmp_path, False, reading()) is None


@settings(max_examples=200, deadline=None)
@given(known=st.lists(st.text(alphabet="ab \x00é7", max_size=3), unique=True, max_size=8),
       asked=st.lists(st.text(alphabet="ab \x00é7", max_size=3), max_size=8),
       mixed=st.booleans())
def test_text_ids_are_matched_and_repeated_as_pandas_does(
    known: list[str], asked: list[str], mixed: bool
) -> None:
    """Object arrays of text (a CSV's ids) are sorted as numpy text, not hashed by pandas."""
    from siting.instance_base import positions_in
    from siting.instance_checks import repeated

    ids = np.array([*known, *([7] if mixed else [])], dtype=object)
    wanted = np.array([*asked, *([7] if mixed else [])], dtype=object)
    assert positions_in(ids, wanted).tolist() == pd.Index(ids).get_indexer(wanted).tolist()
    both = np.array([*asked, *known], dtype=object)
    assert repeated(both).tolist() == pd.Series(both).duplicated().tolist()
