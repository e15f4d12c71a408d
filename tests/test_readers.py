"""Tests of siting.readers on the reference instances and on malformed input."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.errors import FormatError, InputError, ParameterError
from siting.readers import (
    OPTIMA_COLUMNS,
    detect_format,
    read_bds,
    read_cap,
    read_optima,
    read_pmed,
    read_scp,
    read_swain,
    reference_dir,
)

REF = Path(__file__).resolve().parents[1] / "instances" / "reference"
PMED = sorted((REF / "orlib-pmed").glob("pmed*.txt"), key=lambda f: int(f.stem[4:]))
SCP = sorted((REF / "orlib-scp").glob("scp*.txt"))
CAP = [REF / "orlib-cap" / "cap41.txt", REF / "orlib-cap" / "cap71.txt"]
SWAIN = REF / "swain" / "swain.dat"
BDS = sorted((REF / "bds").glob("BDS*.txt"), key=lambda f: int(f.stem[3:]))

Reader = Callable[[Path], Any]
READERS: dict[str, Reader] = {
    "orlib-pmed": read_pmed,
    "orlib-scp": read_scp,
    "orlib-cap": read_cap,
    "swain": read_swain,
    "bds": read_bds,
}


@pytest.fixture(autouse=True)
def _default_reference_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SITING_REFERENCE_DIR", raising=False)


def _header(path: Path) -> list[int]:
    return [int(t) for t in path.read_text().split("\n", 1)[0].split()]


def _write(tmp: Path, name: str, content: str | bytes) -> Path:
    f = tmp / name
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content)
    return f


# --------------------------------------------------------------------------- the copied files


def test_reference_files_present() -> None:
    assert reference_dir() == REF
    assert len(PMED) == 40
    assert [f.stem for f in SCP] == sorted(
        [f"scp4{k}" for k in range(1, 11)]
        + [f"scp5{k}" for k in range(1, 11)]
        + [f"scp6{k}" for k in range(1, 6)]
        + [f"scp{s}{k}" for s in "abcd" for k in range(1, 6)]
    )
    assert (REF / "orlib-scp" / "README.orlib").is_file()
    assert [f.stem for f in BDS] == ["BDS1000", "BDS5000", "BDS10000", "BDS50000", "BDS100000"]
    assert (REF / "bds" / "LICENSE.md").is_file()
    assert (REF / "README.md").is_file()


@pytest.mark.parametrize("path", PMED, ids=lambda f: f.stem)
def test_read_pmed_matches_header(path: Path) -> None:
    n, m, p = _header(path)
    d = read_pmed(path)
    assert (d.name, d.n, d.p) == (path.stem, n, p)
    # Each repeated pair is kept once.
    raw = np.array(path.read_text().split()[3:], dtype=np.int64).reshape(m, 3)
    pairs = {(min(i, j), max(i, j)) for i, j, _ in raw.tolist()}
    assert d.n_edges == len(pairs) < m
    assert d.edge_u.dtype == d.edge_v.dtype == d.edge_cost.dtype == np.int64
    assert (d.edge_u < d.edge_v).all() and d.edge_u.min() >= 0 and d.edge_v.max() < n
    g = d.graph()
    assert g.shape == (n, n) and g.nnz == 2 * d.n_edges
    assert (g != g.T).nnz == 0


def test_pmed1_last_edge_wins() -> None:
    path = REF / "orlib-pmed" / "pmed1.txt"
    last: dict[tuple[int, int], int] = {}
    first: dict[tuple[int, int], int] = {}
    for line in path.read_text().splitlines()[1:]:
        i, j, c = map(int, line.split())
        key = (min(i, j) - 1, max(i, j) - 1)
        first.setdefault(key, c)
        last[key] = c
    repeated = [k for k in last if first[k] != last[k]]
    assert repeated, "pmed1 is known to repeat edges with different costs"
    g = read_pmed(path).graph()
    for u, v in repeated:
        assert g[u, v] == g[v, u] == last[(u, v)] != first[(u, v)]
    # Known case: '19 20 22' on line 20, then '20 19 30' on line 104.
    assert g[18, 19] == 30


def test_pmed_distances() -> None:
    d = read_pmed(REF / "orlib-pmed" / "pmed1.txt").distances()
    assert d.shape == (100, 100) and np.isfinite(d).all()
    assert np.array_equal(d, d.T) and (np.diag(d) == 0).all()
    with pytest.raises(ParameterError, match="max_nodes"):
        read_pmed(REF / "orlib-pmed" / "pmed1.txt").distances(max_nodes=50)


def _scp_reference(path: Path) -> tuple[list[int], np.ndarray]:
    """A plain, slow parse of an scp file to compare the reader with."""
    tok = [int(t) for t in path.read_text().split()]
    rows, cols = tok[0], tok[1]
    costs = tok[2 : 2 + cols]
    dense = np.zeros((rows, cols), dtype=np.int8)
    pos = 2 + cols
    for i in range(rows):
        k = tok[pos]
        for j in tok[pos + 1 : pos + 1 + k]:
            dense[i, j - 1] = 1
        pos += 1 + k
    assert pos == len(tok)
    return costs, dense


@pytest.mark.parametrize("path", SCP, ids=lambda f: f.stem)
def test_read_scp_matches_header(path: Path) -> None:
    rows, cols = _header(path)
    s = read_scp(path)
    assert (s.name, s.n_rows, s.n_cols) == (path.stem, rows, cols)
    assert s.cover.shape == (rows, cols) and s.costs.shape == (cols,)
    assert s.cover.has_sorted_indices and s.cover.dtype == np.int8
    assert (s.cover.data == 1).all() and (s.costs >= 1).all()
    assert (np.diff(s.cover.indptr) > 0).all()  # every row can be covered


@pytest.mark.parametrize("name", ["scp41", "scp61", "scpd5"])
def test_read_scp_equals_plain_parse(name: str) -> None:
    path = REF / "orlib-scp" / f"{name}.txt"
    costs, dense = _scp_reference(path)
    s = read_scp(path)
    assert s.costs.tolist() == costs
    assert np.array_equal(s.cover.toarray(), dense)


def test_scp41_size() -> None:
    s = read_scp(REF / "orlib-scp" / "scp41.txt")
    assert s.cover.shape == (200, 1000)


def test_read_cap() -> None:
    c41, c71 = read_cap(CAP[0]), read_cap(CAP[1])
    for c in (c41, c71):
        assert (c.n_facilities, c.n_customers) == (16, 50)
        assert c.cost.shape == (50, 16) and c.demand.shape == (50,)
        assert c.demand.sum() == 58268 and c.demand[0] == 146
        assert c.cost[0, 0] == pytest.approx(6739.725)
        # Warehouse 11 is free to open in both files (an OR-Library quirk).
        assert c.fixed_cost.tolist() == [7500.0] * 10 + [0.0] + [7500.0] * 5
    assert (c41.capacity == 5000).all() and not c41.is_uncapacitated
    assert (c71.capacity == c71.demand.sum()).all() and c71.is_uncapacitated


def test_read_swain() -> None:
    d = read_swain(SWAIN)
    assert d.n == 55 and d.weight.sum() == 640
    assert d.ids.tolist() == list(range(1, 56))
    assert (d.x[0], d.y[0], d.weight[0]) == (32, 31, 71)


@pytest.mark.parametrize("path", BDS, ids=lambda f: f.stem)
def test_read_bds(path: Path) -> None:
    n_f, n_c = _header(path)
    b = read_bds(path)
    assert (b.n_sites, b.n_customers) == (n_f, n_c) == (100, int(path.stem[3:]))
    assert b.site_ids.tolist() == list(range(n_f))
    assert b.customer_ids.tolist() == list(range(n_c))
    assert (b.site_cost == 1).all() and (b.demand >= 0).all()
    for a in (b.site_x, b.site_y, b.customer_x, b.customer_y):
        assert a.min() >= 0 and a.max() <= 30


@pytest.mark.parametrize(
    "path",
    [*PMED, *SCP, *CAP, SWAIN, *BDS],
    ids=lambda f: f.stem,
)
def test_detect_format_on_reference_files(path: Path) -> None:
    expected = {
        "orlib-pmed": "orlib-pmed",
        "orlib-scp": "orlib-scp",
        "orlib-cap": "orlib-cap",
        "swain": "swain",
        "bds": "bds",
    }[path.parent.name]
    assert detect_format(path) == expected
    # Content alone decides when the name gives no hint.
    with tempfile.TemporaryDirectory() as tmp:
        anon = Path(tmp) / "data.txt"
        shutil.copyfile(path, anon)
        assert detect_format(anon) == expected


def test_read_optima() -> None:
    t = read_optima()
    assert tuple(t.columns) == OPTIMA_COLUMNS
    assert len(t) == 40 + 45 + 2 + 36
    assert t["p"].dtype == "Int64"
    by_format = t.groupby("format").size().to_dict()
    assert by_format == {"orlib-pmed": 40, "orlib-scp": 45, "orlib-cap": 2, "swain": 36}
    models = dict(zip(t["instance"], t["model"], strict=True))
    assert models["cap41"] == "cflp" and models["cap71"] == "uflp"
    assert models["pmed1"] == "p-median" and models["scpd5"] == "set-cover"
    pmed = t[t["format"] == "orlib-pmed"].set_index("instance")
    for path in PMED:
        assert pmed.loc[path.stem, "p"] == _header(path)[2]
    assert pmed.loc["pmed1", "optimum"] == 5819
    sw = t[t["instance"] == "swain"]
    assert set(sw["radius"]) == {5.0, 10.0, 15.0, 20.0} and sw["optimum"].max() == 640
    assert t.loc[t["format"] != "swain", "radius"].isna().all()
    assert set(t["instance"]) - {"swain"} == {f.stem for f in [*PMED, *SCP, *CAP]}


def test_read_optima_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "optima.csv", ",".join(OPTIMA_COLUMNS) + "\nx,bds,mclp,3,2.5,10,me\n")
    monkeypatch.setenv("SITING_REFERENCE_DIR", str(tmp_path))
    assert reference_dir() == tmp_path
    t = read_optima()
    assert t["instance"].tolist() == ["x"] and t["p"].tolist() == [3]


# --------------------------------------------------------------------------- malformed input


def _raises(
    reader: Callable[[Path], Any], path: Path, *parts: str, exc: type[Exception] = FormatError
) -> InputError:
    with pytest.raises(exc) as info:
        reader(path)
    msg = str(info.value)
    assert str(path) in msg
    for part in parts:
        assert part in msg, msg
    assert isinstance(info.value, InputError)
    return info.value


def test_pmed_truncated(tmp_path: Path) -> None:
    f = _write(tmp_path, "pmed.txt", "4 5 2\n1 2 3\n2 3 4\n3 4 5\n")
    _raises(read_pmed, f, "truncated", "row 4", "5 edges")


def test_pmed_garbled_token(tmp_path: Path) -> None:
    f = _write(tmp_path, "pmed.txt", "4 2 2\n1 2 3\n2 3 4x\n")
    e = _raises(read_pmed, f, "row 3", "'4x'", "'cost'")
    assert (e.row, e.field, e.value) == (3, "cost", "4x")


def test_pmed_node_out_of_range(tmp_path: Path) -> None:
    f = _write(tmp_path, "pmed.txt", "4 2 2\n1 2 3\n5 3 4\n")
    _raises(read_pmed, f, "row 3", "field 'i'", "value 5", "out of range")


def test_pmed_negative_cost_and_field_count(tmp_path: Path) -> None:
    f = _write(tmp_path, "pmed.txt", "4 2 2\n1 2 3\n2 3 -4\n")
    _raises(read_pmed, f, "row 3", "value -4", "negative")
    f = _write(tmp_path, "pmed2.txt", "4 2 2\n1 2 3\n2 3 4 9\n")
    _raises(read_pmed, f, "row 3", "expected 3 fields")
    f = _write(tmp_path, "pmed3.txt", "4 2 9\n1 2 3\n2 3 4\n")
    _raises(read_pmed, f, "row 1", "field 'p'", "value 9")
    f = _write(tmp_path, "pmed4.txt", "4 1 2 99999999999999999999\n")
    _raises(read_pmed, f, "row 1", "header must be")
    f = _write(tmp_path, "pmed5.txt", "99999999999999999999 1 2\n1 2 3\n")
    _raises(read_pmed, f, "row 1", "64 bits")


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_empty_file(tmp_path: Path, fmt: str) -> None:
    for content in ("", "  \n\n\t\n"):
        f = _write(tmp_path, "empty.txt", content)
        _raises(READERS[fmt], f, "empty file")
    _raises(detect_format, f, "empty file")


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_non_utf8_bytes(tmp_path: Path, fmt: str) -> None:
    f = _write(tmp_path, "bad.txt", b"3 3 1\n1 2 \xff5\n")
    e = _raises(READERS[fmt], f, "byte offset 10", "row 2", "0xff")
    assert e.row == 2
    _raises(detect_format, f, "byte offset 10")


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_missing_file(tmp_path: Path, fmt: str) -> None:
    missing = tmp_path / "nope.txt"
    e = _raises(READERS[fmt], missing, "file not found", exc=InputError)
    assert not isinstance(e, FormatError)
    _raises(READERS[fmt], tmp_path, "directory", exc=InputError)


def test_missing_file_detect_and_optima(tmp_path: Path) -> None:
    _raises(detect_format, tmp_path / "nope.txt", "file not found", exc=InputError)
    _raises(read_optima, tmp_path / "optima.csv", "file not found", exc=InputError)


def test_non_ascii_and_nan(tmp_path: Path) -> None:
    f = _write(tmp_path, "pmed.txt", "3 1 1\n1 2 \uff13\n")  # a full-width digit
    _raises(read_pmed, f, "row 2", "unexpected character")
    f = _write(tmp_path, "cap.txt", "1 1\n10 nan\n5 3\n")
    _raises(read_cap, f, "row 2", "'nan'", "field 'fixed_cost'")
    f = _write(tmp_path, "cap2.txt", "1 1\n10 5\n5 1e999\n")
    _raises(read_cap, f, "row 3", "'1e999'", "not finite")


def test_scp_truncated(tmp_path: Path) -> None:
    f = _write(tmp_path, "scp.txt", "3 4\n1 1 1 1\n2 1 2\n1 3\n2 1\n")
    _raises(read_scp, f, "truncated", "row 5", "row 3")
    f = _write(tmp_path, "scp2.txt", "3 4\n1 1 1\n")
    _raises(read_scp, f, "truncated", "4 column costs")
    f = _write(tmp_path, "scp3.txt", "300000000000 4\n1 1 1 1\n1 1\n")
    _raises(read_scp, f, "truncated", "300000000000 rows")


def test_scp_bad_columns(tmp_path: Path) -> None:
    f = _write(tmp_path, "scp.txt", "2 3\n1 1 1\n2 1\n3\n1 4\n")
    _raises(read_scp, f, "row 5", "value 4", "column out of range")
    f = _write(tmp_path, "scp2.txt", "2 3\n1 1 1\n2 1 1\n1 2\n")
    _raises(read_scp, f, "row 3", "value 1", "twice")
    f = _write(tmp_path, "scp3.txt", "1 3\n1 1 1\n1 2\n7\n")
    _raises(read_scp, f, "row 4", "value '7'", "after the last")
    f = _write(tmp_path, "scp4.txt", "1 3\n1 -1 1\n1 2\n")
    _raises(read_scp, f, "row 2", "value -1", "negative")


def test_cap_negative_demand(tmp_path: Path) -> None:
    f = _write(tmp_path, "cap.txt", "2 2\n10 100.\n20 200.\n5\n1 2\n-3\n4 5\n")
    e = _raises(read_cap, f, "row 6", "field 'demand'", "value -3.0", "negative")
    assert e.value == -3.0


def test_cap_truncated_and_capacity_word(tmp_path: Path) -> None:
    f = _write(tmp_path, "cap.txt", "2 2\n10 100.\n20 200.\n5\n1 2\n3\n4\n")
    _raises(read_cap, f, "truncated", "row 7")
    text = "2 1\n capacity 100.\n capacity 200.\n5\n1 2\n"
    f = _write(tmp_path, "cap2.txt", text)
    _raises(read_cap, f, "row 2", "pass capacity=")
    assert read_cap(f, capacity=50).capacity.tolist() == [50.0, 50.0]
    with pytest.raises(ParameterError, match="numeric capacities"):
        read_cap(CAP[0], capacity=10)


def test_swain_missing_field(tmp_path: Path) -> None:
    f = _write(tmp_path, "swain.dat", "01, 32, 31, 71,\n02, 29, 62,\n\n")
    e = _raises(read_swain, f, "row 2", "'02, 29, 62,'", "expected 4 fields")
    assert e.row == 2
    f = _write(tmp_path, "swain2.dat", "01, 32, 31, 71,\n02, 29, 3, x,\n")
    _raises(read_swain, f, "row 2", "field 'population'", "'x'")
    f = _write(tmp_path, "swain3.dat", "01, 32, 31, 71,\n01, 29, 3, 4,\n")
    _raises(read_swain, f, "row 2", "duplicate node id")


def test_bds_fewer_customers(tmp_path: Path) -> None:
    text = "1 3\r\nF\t0\t1.5\t2\t1\r\nC\t0\t0\t0\t7\r\nC\t1\t3\t3\t2\r\n"
    f = _write(tmp_path, "BDS.txt", text)
    _raises(read_bds, f, "truncated", "3 customers, file has 2", "row 4")


def test_bds_record_errors(tmp_path: Path) -> None:
    f = _write(tmp_path, "b1.txt", "1 1\nF 0 1 1 1\nX 0 1 1 1\n")
    _raises(read_bds, f, "row 3", "value 'X'", "'F' (site) or 'C'")
    f = _write(tmp_path, "b2.txt", "1 1\nC 0 1 1 1\nF 0 1 1 1\n")
    _raises(read_bds, f, "row 2", "before customer")
    f = _write(tmp_path, "b3.txt", "1 1\nF 0 1 1 1\nC 0 1 1 -2\n")
    _raises(read_bds, f, "row 3", "field 'demand'", "value -2.0")
    f = _write(tmp_path, "b4.txt", "1 1\nF 0 1 1\nC 0 1 1 1\n")
    _raises(read_bds, f, "row 2", "expected 5 fields")


def test_detect_format_unknown(tmp_path: Path) -> None:
    f = _write(tmp_path, "mystery.txt", "hello world\n1 2 3\n")
    e = _raises(detect_format, f, "unknown format", "row 1", "'hello world'")
    assert e.value == "hello world"


def test_detect_format_small_examples(tmp_path: Path) -> None:
    cases = {
        "orlib-pmed": "3 2 1\n1 2 5\n2 3 4\n",
        "orlib-scp": "2 3\n1 1 1\n2 1 2\n1 3\n",
        "orlib-cap": "2 1\n10 100.\n20 200.\n5\n1 2\n",
        "swain": "01, 3, 4, 10,\n02, 0, 0, 5,\n",
        "bds": "1 1\nF 0 1 1 1\nC 0 1 1 1\n",
    }
    for fmt, text in cases.items():
        f = _write(tmp_path, "x.txt", text)
        assert detect_format(f) == fmt
        READERS[fmt](f)  # and the reader accepts it


def test_read_optima_malformed(tmp_path: Path) -> None:
    f = _write(tmp_path, "optima.csv", "instance,optimum\npmed1,5\n")
    _raises(read_optima, f, "row 1", "header must be")
    head = ",".join(OPTIMA_COLUMNS)
    f = _write(tmp_path, "o2.csv", f"{head}\npmed1,orlib-pmed,p-median,5,,abc,s\n")
    _raises(read_optima, f, "row 2", "field 'optimum'", "'abc'")
    f = _write(tmp_path, "o3.csv", f"{head}\npmed1,weird,p-median,5,,1,s\n")
    _raises(read_optima, f, "row 2", "unknown format")


# --------------------------------------------------------------------------- property tests

# Tokens that look like data, and tokens each reader must refuse.
_GOOD = ["0", "1", "2", "3", "-1", "7.5", "1e3", "F", "C", "capacity", ",", "\n", "\t", "\r\n"]
_BAD = ["x", "nan", "99999999999999999999", "1_0", ".", "+", "-", "2,"]
TOKENS = st.sampled_from([*_GOOD, *_BAD])


def _only_input_errors(reader: Callable[[Path], Any], content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "case.txt"
        f.write_bytes(content)
        with contextlib.suppress(InputError):  # anything else fails the test
            reader(f)


_FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ALL = [*READERS.values(), detect_format]


@_FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_input_errors(content: bytes) -> None:
    for reader in _ALL:
        _only_input_errors(reader, content)


@_FUZZ
@given(st.lists(TOKENS, max_size=40), st.sampled_from([" ", "\n", "\t"]))
def test_random_tokens_raise_only_input_errors(tokens: list[str], sep: str) -> None:
    content = sep.join(tokens).encode()
    for reader in _ALL:
        _only_input_errors(reader, content)


@_FUZZ
@given(st.lists(st.integers(-3, 12), min_size=2, max_size=60), st.sampled_from([" ", "\n"]))
def test_random_integer_streams_raise_only_input_errors(values: list[int], sep: str) -> None:
    # Small non-negative integers get past the headers and exercise the body checks.
    content = sep.join(map(str, values)).encode()
    for reader in _ALL:
        _only_input_errors(reader, content)
