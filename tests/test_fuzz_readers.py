"""Readers under random bytes: they fail only with :class:`siting.errors.InputError`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.errors import InputError
from siting.io import load_instance
from siting.multi.spec import load_spec
from tests.conftest import REFERENCE

FORMATS = ["auto", "orlib-pmed", "orlib-scp", "orlib-cap", "swain", "bds", "csv", "gpkg"]
SEEDS = {
    "orlib-pmed": "5 4 2\n1 2 4\n2 3 1\n3 4 2\n4 5 6\n",
    "orlib-scp": "3 4\n1 1 1 1\n2 1 2\n1 3\n2 3 4\n",
    "orlib-cap": "2 1\n10 100.\n20 200.\n5\n3.5 7.\n",
    "swain": "01, 3, 4, 10,\n02, 0, 0, 5,\n",
    "bds": "1 2\nF 0 1.5 2 1\nC 0 0 0 7\nC 1 3 3 2\n",
    "csv": "id,x,y,weight\na,0,0,5\nb,10,0,7\n",
}
SPEC = (REFERENCE.parent.parent / "models" / "huitian-2018-2020.toml")
COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def _try_instance(data: bytes, fmt: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / f"fuzz{suffix}"
        f.write_bytes(data)
        try:
            load_instance(f, fmt)
        except InputError as exc:
            assert "\n" not in str(exc)


def _try_spec(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "fuzz.toml"
        f.write_bytes(data)
        try:
            load_spec(f)
        except InputError as exc:
            assert "\n" not in str(exc)


def _mutated(draw: st.DrawFn, text: bytes) -> bytes:
    """A valid file cut short, with bytes replaced or inserted."""
    data = bytearray(text)
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        k = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["replace", "insert", "delete", "cut"]))
        b = draw(st.sampled_from([b"\xff", b"\x00", b"-", b"nan", b"1e999", b" ", b"\n", b",",
                                  b"x", b"9999999999999999999999", b"\xe9"]))
        if op == "replace":
            data[k : k + 1] = b
        elif op == "insert":
            data[k:k] = b
        elif op == "delete":
            del data[k]
        else:
            del data[k:]
    return bytes(data)


@st.composite
def instance_inputs(draw: st.DrawFn) -> tuple[bytes, str, str]:
    fmt = draw(st.sampled_from(FORMATS))
    seed_fmt = fmt if fmt in SEEDS else draw(st.sampled_from(sorted(SEEDS)))
    if draw(st.booleans()):
        data = draw(st.binary(max_size=300))
    else:
        data = _mutated(draw, SEEDS[seed_fmt].encode())
    suffix = {"csv": ".csv", "gpkg": ".gpkg"}.get(fmt, ".txt")
    return data, fmt, suffix


@st.composite
def spec_inputs(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()) or not SPEC.exists():
        return draw(st.binary(max_size=300))
    return _mutated(draw, SPEC.read_bytes())


@settings(max_examples=40, **COMMON)
@given(instance_inputs())
def test_instance_readers_fail_only_with_input_error(x: tuple[bytes, str, str]) -> None:
    _try_instance(*x)


@settings(max_examples=40, **COMMON)
@given(spec_inputs())
def test_spec_reader_fails_only_with_input_error(data: bytes) -> None:
    _try_spec(data)


@pytest.mark.slow
@settings(max_examples=600, **COMMON)
@given(instance_inputs())
def test_instance_readers_fuzz_extended(x: tuple[bytes, str, str]) -> None:
    _try_instance(*x)


@pytest.mark.slow
@settings(max_examples=600, **COMMON)
@given(spec_inputs())
def test_spec_reader_fuzz_extended(data: bytes) -> None:
    _try_spec(data)
