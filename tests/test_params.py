"""Parameters: the quick checks of siting.params accept exactly what pydantic accepts, as it
returns it, and leave every refusal (and its words) to pydantic; plain values need no pydantic.
"""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.backends.base import SolveOptions, Tuning
from siting.params import by_pydantic, checked_value
from siting.registry import model_class, model_names

KINDS: list[type] = [SolveOptions, *dict.fromkeys(model_class(n) for n in model_names())]
FIELDS = [(kind, f.name) for kind in KINDS for f in fields(kind)]
CHOICES = ["auto", "compact", "benders", "radius", "linear", "outer", "haase", "power"]


def _callback() -> None:
    return None


VALUES = st.one_of(
    st.integers(min_value=-3, max_value=2000),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
    st.floats(min_value=-2, max_value=2),
    st.sampled_from([0.0, -0.0, 1.0, 3.0, 0.5, 1e-6, 1024.0, 1025.0, 1e300, 2.0**63]),
    st.booleans(),
    st.text(max_size=4),
    st.sampled_from(["3", "2.5", "1e3", "inf", "true", "yes", *CHOICES, b"3"]),
    st.integers(-5, 2000).map(np.int64),
    st.floats(width=32).map(np.float32),
    st.floats().map(np.float64),
    st.booleans().map(np.bool_),
    st.sampled_from([np.str_("auto"), np.uint8(3)]),
    st.frozensets(st.sampled_from(list(Tuning))),
    st.frozensets(st.sampled_from([t.value for t in Tuning])),
    st.dictionaries(st.sampled_from(["highs", "cbc"]),
                    st.dictionaries(st.sampled_from(["seed", "presolve"]), st.integers())),
    st.dictionaries(st.integers(0, 3), st.integers()),
    st.sampled_from([[1, 2], (1,), None.__class__, _callback, print, threading.Event(),
                     np.zeros(2), {"highs": [1]}, {"highs": {1: 2}}, Tuning.PROOF]),
)


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return "value", run()
    except Exception as exc:  # ParameterError as a rule; what else, the same either way
        return type(exc).__name__, str(exc)


def same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    """Equal outcomes: the same message, or values of one type that are equal (floats to
    the sign of zero)."""
    if a[0] != b[0] or type(a[1]) is not type(b[1]):
        return False
    x, y = a[1], b[1]
    if x is y:
        return True
    if isinstance(x, float):
        return repr(x) == repr(y)
    if isinstance(x, np.ndarray):
        return x is y
    return bool(x == y)


@settings(max_examples=3000, deadline=None)
@given(where=st.sampled_from(FIELDS), value=VALUES)
def test_quick_checks_give_what_pydantic_gives(where: tuple[type, str], value: Any) -> None:
    """Every field of the solver options and of each registered model, any value: the
    value kept (type and all) or the refusal's message are pydantic's own."""
    kind, name = where
    quick = outcome(lambda: checked_value(kind, name, value))
    alone = outcome(lambda: by_pydantic(kind, name, value))
    assert same(quick, alone), (kind.__name__, name, value, quick, alone)


@pytest.mark.parametrize("kind,name,value,kept", [
    (SolveOptions, "time_limit", 5, 5.0),
    (SolveOptions, "mip_gap", np.float64(1e-4), 1e-4),
    (SolveOptions, "threads", 2.0, 2),
    (SolveOptions, "seed", np.int64(7), 7),
])
def test_plain_values_are_normalised_as_pydantic_does(kind: type, name: str, value: Any,
                                                      kept: Any) -> None:
    got = checked_value(kind, name, value)
    assert (type(got), got) == (type(kept), kept)
    assert math.isfinite(got)


def test_solver_options_are_copied_as_pydantic_copies_them() -> None:
    given_options = {"highs": {"seed": 1}}
    options = SolveOptions(solver_options=given_options)
    assert options.solver_options == given_options
    assert options.solver_options is not given_options
    assert options.solver_options["highs"] is not given_options["highs"]


def test_plain_values_are_checked_without_pydantic() -> None:
    """Options and a model made of plain values import no pydantic; a refused value does,
    and its message is pydantic's, worded as before."""
    probe = """
import sys, threading
import numpy as np
from siting.backends.base import SolveOptions, Tuning
from siting.models.covering import MCLP
options = SolveOptions(time_limit=5, mip_gap=1e-6, threads=2, seed=3, verbose=True,
                       tuning=frozenset({Tuning.PROOF}), warm_start=np.zeros(3),
                       cancel=threading.Event(), progress=print, incumbents=lambda: None,
                       solver_options={"highs": {"presolve": "off"}})
model = MCLP(radius=2, p=3.0, budget=10, exactly_p=True, formulation="compact",
             theta_groups=4)
model.check.__self__  # the model is made
print("PLAIN", "pydantic" in sys.modules, options.time_limit, model.radius, model.p)
try:
    MCLP(radius=0, p=3)
except Exception as exc:
    print("REFUSED", "pydantic" in sys.modules, exc)
"""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == [
        "PLAIN False 5.0 2.0 3",
        "REFUSED True field 'radius': value 0: must be > 0",
    ]
