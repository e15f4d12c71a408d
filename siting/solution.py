"""Solutions keyed by the user's ids, and their files.

A :class:`Solution` carries what a user needs to trust a result: status,
objective, bound, gap, runtime, back end, the selected sites (by id), and per
demand point either its coverage or its assignment. Files are written
atomically, so an interrupted run never leaves a half-written solution.

The solution files are reproducible: the same inputs, seed and back end give
the same bytes. Timings, which differ from run to run, go to ``timing.json``
alone (``runtime_s`` and every ``*_s`` entry of ``stats``); the summary
(:meth:`Solution.summary`, ``--json``) keeps them.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.backends.base import Status


@dataclass
class Solution:
    """The result of solving a model on an instance (see the module docstring).

    ``assignment`` has columns ``demand_id, site_id, fraction`` (p-median,
    p-center, UFLP, CFLP); ``coverage`` has ``demand_id, weight, covered``
    (covering models; ``covered`` counts covering open sites).
    """

    model: str
    instance: str
    status: Status
    backend: str
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    selected: list[Any]
    existing: list[Any] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    assignment: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    message: str = ""
    verified: bool | None = None
    verification: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def is_optimal(self) -> bool:
        return self.status == Status.OPTIMAL

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (ids converted to plain Python values)."""
        return {
            "instance": self.instance,
            "model": self.model,
            "status": str(self.status),
            "objective": _num(self.objective),
            "bound": _num(self.bound),
            "gap": _num(self.gap),
            "runtime_s": round(float(self.runtime_s), 6),
            "backend": self.backend,
            "selected": [_plain(s) for s in self.selected],
            "n_selected": len(self.selected),
            "existing": [_plain(s) for s in self.existing],
            "verified": self.verified,
            "verification": list(self.verification),
            "message": self.message,
            "params": {k: _plain(v) for k, v in self.params.items()},
            "stats": {k: _plain(v) for k, v in self.stats.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), ensure_ascii=False, sort_keys=True)

    def split_timing(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The summary without timings (reproducible), and the timings on their own."""
        summary = self.summary()
        stats = summary["stats"]
        timing = {"runtime_s": summary.pop("runtime_s")}
        timing.update({k: stats.pop(k) for k in sorted(stats) if is_timing(k)})
        return summary, timing

    def write(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write ``solution.json``, ``selected.csv``, the per-demand table and ``timing.json``.

        Every file but ``timing.json`` is byte-identical between runs that reach
        the same solution. Returns the paths.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        summary, timing = self.split_timing()
        written = [
            write_atomic(
                out / "solution.json",
                json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
            )
        ]
        sel = pd.DataFrame({"site_id": self.selected})
        sel["existing"] = sel["site_id"].isin(set(self.existing))
        written.append(write_atomic(out / "selected.csv", sel.to_csv(index=False)))
        if self.assignment is not None:
            written.append(
                write_atomic(
                    out / "assignment.csv",
                    self.assignment.to_csv(index=False, float_format="%.10g"),
                )
            )
        if self.coverage is not None:
            written.append(
                write_atomic(
                    out / "coverage.csv", self.coverage.to_csv(index=False, float_format="%.10g")
                )
            )
        written.append(
            write_atomic(out / "timing.json", json.dumps(timing, sort_keys=True, indent=2) + "\n")
        )
        return written


def is_timing(key: str) -> bool:
    """Whether a stats entry is a wall-clock time (``build_s``, ``solve_s``, ...)."""
    return key.endswith("_s") or key in ("runtime", "seconds")


def write_atomic(path: str | os.PathLike[str], text: str | bytes) -> Path:
    """Write to a temporary file beside ``path`` then rename it over ``path``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(d / "a.txt", "hello").read_text()
    'hello'
    """
    target = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600): give it the mode a plain open() would.
        os.chmod(tmp, _default_mode())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _num(v: float | None) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v
