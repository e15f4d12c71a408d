"""MPS export of :class:`~siting.milp.MilpArrays`, written by HiGHS's own MPS writer.

The model goes to HiGHS in bulk (as for a solve) and ``Highs.writeModel``
writes it: columns ``c0 .. cn-1``, rows ``r0 .. rm-1``, integer columns
between ``MARKER`` lines, binaries as ``BV`` bounds, the objective offset as
the right-hand side of the objective row with its sign flipped, ``OBJSENSE MAX``
for a maximisation (which CBC ignores: :mod:`siting.backends.cbc` writes the
negated minimisation instead). HiGHS drops matrix values below its
``small_matrix_value`` (1e-9), as it does when it solves.

>>> import numpy as np, scipy.sparse as sp
>>> from siting.milp import MilpArrays
>>> m = MilpArrays(c=np.array([3.0, 2.5]), A=sp.csr_matrix(np.array([[1.0, 1.0]])),
...     row_lower=np.array([1.0]), row_upper=np.array([np.inf]),
...     col_lower=np.zeros(2), col_upper=np.array([1.0, np.inf]),
...     integrality=np.array([True, False]), offset=5.0)
>>> text = mps_string(m)
>>> [line.split()[:2] for line in text.splitlines() if line.startswith(" BV")]
[['BV', 'BOUND']]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from siting.milp import MilpArrays
from siting.outputs import write_with


def write_mps(milp: MilpArrays, path: str | os.PathLike[str]) -> Path:
    """Write ``milp`` as an MPS file at ``path`` (atomically: written beside, then renamed)."""
    from siting.backends.highs_core import _core, load_model

    target = Path(path)
    for what, lower, upper in (("row", milp.row_lower, milp.row_upper),
                               ("column", milp.col_lower, milp.col_upper)):
        crossed = lower > upper
        if crossed.any():
            k = int(crossed.argmax())
            raise ValueError(f"{what} {k}: lower bound {lower[k]:g} exceeds upper {upper[k]:g}")
    core = _core()
    h = core._Highs()
    h.setOptionValue("output_flag", False)
    if load_model(h, core, milp) == core.HighsStatus.kError:
        raise ValueError("the model cannot be written: HiGHS rejects it (a lower bound "
                         "exceeds its upper bound?)")
    def write(tmp: Path) -> None:
        if h.writeModel(str(tmp)) == core.HighsStatus.kError:
            raise ValueError("HiGHS could not write the model")

    write_with(target, write)
    return target


def mps_string(milp: MilpArrays) -> str:
    """The MPS text of ``milp`` (see :func:`write_mps`)."""
    with tempfile.TemporaryDirectory() as folder:
        return write_mps(milp, Path(folder) / "model.mps").read_text()
