"""The strict CSV reader: every rule, its message, and the classic CSV loader built on it."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.errors import FormatError, InputError
from siting.io import load_instance
from siting.readers.csvfile import Column, read_csv
from siting.readers.values import BOOLEAN_WORDS

FIXTURE = [HealthCheck.function_scoped_fixture]  # tmp_path is reused: each example rewrites it
RULES = {
    "id": Column("id"),
    "x": Column("coordinate", required=True),
    "y": Column("coordinate", required=True),
    "weight": Column("number", required=True),
    "existing": Column("boolean"),
}


def write(tmp_path: Path, text: str | bytes, name: str = "d.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def fails(path: Path, *needles: str, exc: type[Exception] = InputError) -> str:
    with pytest.raises(exc) as info:
        read_csv(path, RULES)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(path)), msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


def test_ids_stay_text_and_values_convert(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffid , x,y,weight,existing\n007,1,2,3,Yes\n 8 ,1e3,-2.5,0,n\n")
    table = read_csv(path, RULES)
    frame = table.frame
    assert frame["id"].tolist() == ["007", "8"]  # a BOM, spaces around names and cells
    assert frame["x"].tolist() == [1.0, 1000.0]
    assert frame["existing"].tolist() == [True, False]
    assert table.lines.tolist() == [2, 3]


@pytest.mark.parametrize(
    ("text", "needles", "exc"),
    [
        (b"id,x,y,weight\na,0,\x000,1\n", ("row 2", "NUL"), FormatError),
        (b"id,x,y,weight\n\xe9,0,0,1\n", ("row 2", "not UTF-8", "0xe9"), FormatError),
        ("id,x,id,weight\n", ("row 1", "'id'", "duplicate column name (columns 1 and 3)"),
         FormatError),
        ("id,x,,weight\n", ("row 1", "column 3", "no name"), FormatError),
        ("id,x,y\na,1,2\n", ("row 1", "missing column 'weight'", "columns: id, x, y"),
         InputError),
        ("id;x;y;weight\na;1;2;3\n", ("semicolons",), FormatError),
        ("id,x,y,wieght\na,1,2,3\n", ("'wieght'", "did you mean 'weight'"), InputError),
        ("id,x,y,weight\na,1,2,3\nb,1,2,3,4\n", ("row 3", "5 fields", "has 4"), FormatError),
        ("id,x,y,weight\na,1,2\n", ("row 2", "3 fields"), FormatError),
        # a quoted field over two lines: the next record starts on line 4
        ('id,x,y,weight\n"a\nb",1,2,3\nc,1,2\n', ("row 4", "3 fields"), FormatError),
        ('id,x,y,weight\n"a,1,2,3\n', ("not a valid CSV",), FormatError),
        ("id,x,y,weight\na,1,2,3\na,4,5,6\n", ("row 3", "duplicate id (first in row 2)", "'a'"),
         InputError),
        ("id,x,y,weight\na,1,2,3\n,4,5,6\n", ("row 3", "missing id"), InputError),
        ("id,x,y,weight\na,1e308,2,3\n", ("row 2", "'x'", "1e+308", "|value| <= 1e+09"),
         InputError),
        ("id,x,y,weight\na,1,2,inf\n", ("row 2", "'weight'", "'inf'", "finite"), InputError),
        ("id,x,y,weight\na,1,2,-1\n", ("row 2", "'weight'", "-1.0", ">= 0"), InputError),
        ("id,x,y,weight\na,1,2,five\n", ("row 2", "'weight'", "'five'", "not a number"),
         InputError),
        ("id,x,y,weight\na,1,,2\n", ("row 2", "'y'", "missing value"), InputError),
        ("id,x,y,weight,existing\na,1,2,3,maybe\n",
         ("row 2", "'existing'", "'maybe'", "true/false, yes/no"), InputError),
        ("id,x,y,weight,existing\na,1,2,3,\n", ("row 2", "'existing'", "missing"), InputError),
        ("", ("empty file",), FormatError),
    ],
)
def test_rule_broken_names_file_row_field_value(
    tmp_path: Path, text: str | bytes, needles: tuple[str, ...], exc: type[Exception]
) -> None:
    fails(write(tmp_path, text), *needles, exc=exc)


def test_blank_rows_are_skipped_and_lines_still_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "id,x,y,weight\n\na,1,2,3\n,,,\nb,1,2,x\n")
    fails(path, "row 5", "'x'")


def test_header_only_gives_an_empty_table(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "id,x,y,weight\n"), RULES)
    assert len(table.frame) == 0 and list(table.frame.columns) == ["id", "x", "y", "weight"]


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE)
@given(ids=st.lists(st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=8),
                    min_size=1, max_size=8, unique=True))
def test_ids_come_back_exactly(tmp_path: Path, ids: list[str]) -> None:
    text = "id,x,y,weight\n" + "".join(f"{i},0,0,1\n" for i in ids)
    assert read_csv(write(tmp_path, text), RULES).frame["id"].tolist() == ids


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE)
@given(word=st.text(string.ascii_letters + string.digits, min_size=1, max_size=6))
def test_booleans_only_from_the_vocabulary(tmp_path: Path, word: str) -> None:
    path = write(tmp_path, f"id,x,y,weight,existing\na,0,0,1,{word}\n")
    if word.lower() in BOOLEAN_WORDS:
        assert read_csv(path, RULES).frame["existing"].tolist() == [BOOLEAN_WORDS[word.lower()]]
    else:
        fails(path, "row 2", "'existing'", repr(word))


# ------------------------------------------------------------ the classic loader


def folder(tmp_path: Path, demand: str, sites: str) -> Path:
    (tmp_path / "demand.csv").write_text(demand, encoding="utf-8")
    (tmp_path / "sites.csv").write_text(sites, encoding="utf-8")
    return tmp_path


def test_classic_ids_text_and_existing_yes_no(tmp_path: Path) -> None:
    # Once read as numbers (7 and 8) and with every site existing ("no" is a true string).
    inst = load_instance(
        folder(tmp_path, "id,x,y,weight\n007,0,0,5\n008,10,0,7\n",
               "id,x,y,existing\n007,1,0,no\n8,9,0,yes\n")
    ).instance
    assert inst.demand_ids.tolist() == ["007", "008"]
    assert inst.site_ids.tolist() == ["007", "8"]
    assert inst.existing.tolist() == [False, True]


def test_classic_weight_required_unless_unit_weights(tmp_path: Path) -> None:
    path = folder(tmp_path, "id,x,y\na,0,0\nb,1,0\n", "id,x,y\ns,0,0\n")
    with pytest.raises(InputError, match="missing column 'weight'") as info:
        load_instance(path)
    assert str(path / "demand.csv") in str(info.value)
    inst = load_instance(path, unit_weights=True).instance
    assert np.array_equal(inst.weight, [1.0, 1.0])


def test_classic_single_file_and_overflowing_coordinate(tmp_path: Path) -> None:
    good = write(tmp_path, "id,x,y,weight\na,0,0,2\nb,3,4,1\n", "pts.csv")
    inst = load_instance(good).instance
    assert inst.n_demand == inst.n_sites == 2
    bad = write(tmp_path, "id,x,y,weight\na,0,0,2\nb,1e308,4,1\n", "big.csv")
    with pytest.raises(InputError, match=r"row 3: field 'x'"):
        load_instance(bad)
