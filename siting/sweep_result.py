"""A sweep's result: its table, what was swept, the Pareto front, its files and plot.

Made by :func:`siting.sweep.run_sweep`, which re-exports these names:

>>> import pandas as pd
>>> table = pd.DataFrame({"budget": [1.0, 2.0], "status": ["optimal", "error"],
...                       "objective": [3.0, None]})
>>> pareto_mask(table).tolist()
[True, False]
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.outputs import Content, write_folder
from siting.sweep_tasks import SOLVED, Axis


def pareto_mask(table: pd.DataFrame, x: str = "budget", y: str = "objective") -> pd.Series:
    """Solved rows not dominated by another (no more ``x`` for at least as much ``y``).

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table with a ``status`` column.
    x, y : str, default "budget", "objective"
        The columns traded off: less ``x`` is better, more ``y`` is better.

    Returns
    -------
    pandas.Series of bool
        True on the rows of the Pareto front, named ``pareto``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"budget": [1e6, 2e6, 3e6], "status": ["optimal"] * 3,
    ...                       "objective": [10.0, 14.0, 14.0]})
    >>> pareto_mask(table).tolist()
    [True, True, False]
    """
    ok = table["status"].isin(SOLVED) & table[y].notna()
    xs, ys = table[x].to_numpy(dtype=float), table[y].to_numpy(dtype=float)
    mask = []
    for i in range(len(table)):
        if not ok.iat[i]:
            mask.append(False)
            continue
        better = ok.to_numpy() & (xs <= xs[i]) & (ys >= ys[i] - 1e-9) & (
            (xs < xs[i]) | (ys > ys[i] + 1e-9)
        )
        mask.append(not better.any())
    return pd.Series(mask, index=table.index, name="pareto")


@dataclass
class SweepResult:
    """The sweep table (one row per scenario, in scenario order) and what was swept.

    Made by :func:`run_sweep`.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per scenario: the swept values, ``status``, ``objective``,
        coverage per type, cost, runtime.
    axes : list of Axis
        The swept parameters.
    spec_name : str
        The spec swept.
    types : list of str
        Its facility types.
    currency : str, default "CNY"
        The unit of costs.
    workers : int, default 1
        Dask workers used.
    runtimes : list of float
        Seconds per scenario.
    advice : list of str
        What to do about scenarios without a solution.
    labels : dict of str to str
        Each type's label, for the chart and the page.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"budget": [1e6, 2e6, 3e6], "status": ["optimal"] * 3,
    ...                       "objective": [10.0, 14.0, 14.0]})
    >>> result = SweepResult(table, [Axis("budget", "total", (1e6, 2e6, 3e6))], "demo", [])
    >>> result.info()["scenarios"], len(result.failed)
    (3, 0)
    """

    table: pd.DataFrame
    axes: list[Axis]
    spec_name: str
    types: list[str]
    currency: str = "CNY"
    workers: int = 1
    runtimes: list[float] = field(default_factory=list)
    #: What to do about scenarios without a solution (:func:`sweep_advice`).
    advice: list[str] = field(default_factory=list)
    #: Each type's label in the spec, for the chart and the page.
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> pd.DataFrame:
        """Scenarios without a solution (infeasible, no solution within limits, error).

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame({"status": ["optimal", "infeasible"], "objective": [1.0, None]})
        >>> SweepResult(table, [], "demo", []).failed.index.tolist()
        [1]
        """
        return self.table[~self.table["status"].isin(SOLVED)]

    def info(self) -> dict[str, Any]:
        """What was swept and how it went, without the table.

        Returns
        -------
        dict
            The spec, axes, types, currency, workers, number of scenarios and
            failures, runtimes, advice and labels.

        Examples
        --------
        >>> import pandas as pd
        >>> SweepResult(pd.DataFrame({"status": ["optimal"]}), [], "demo", []).info()["spec"]
        'demo'
        """
        return {
            "spec": self.spec_name,
            "axes": [a.describe() for a in self.axes],
            "types": self.types,
            "currency": self.currency,
            "workers": self.workers,
            "scenarios": len(self.table),
            "failed": len(self.failed),
            "runtime_s": self.runtimes,
            "advice": self.advice,
            "labels": self.labels,
        }

    def to_json(self) -> str:
        """:meth:`info` with the table's rows, as JSON text (``sweep.json``).

        Returns
        -------
        str
            One line of JSON, keys sorted.

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame({"status": ["optimal"], "objective": [3.0]})
        >>> json.loads(SweepResult(table, [], "demo", []).to_json())["table"]
        [{'objective': 3.0, 'status': 'optimal'}]
        """
        rows = json.loads(self.table.to_json(orient="records", force_ascii=False))
        return json.dumps({**self.info(), "table": rows}, ensure_ascii=False, sort_keys=True)

    def write(self, out_dir: str | Path) -> list[Path]:
        """``pareto.csv`` (identical for any number of workers), ``sweep.json``,
        ``pareto.png`` and ``report.html`` (the budget–coverage curve).

        Parameters
        ----------
        out_dir : str or pathlib.Path
            The folder (created when missing).

        Returns
        -------
        list of pathlib.Path
            The files written.

        Examples
        --------
        >>> import tempfile, pandas as pd
        >>> table = pd.DataFrame({"budget": [1e6, 2e6], "status": ["optimal"] * 2,
        ...                       "objective": [10.0, 14.0], "cost": [9e5, 1.8e6]})
        >>> result = SweepResult(table, [Axis("budget", "", (1e6, 2e6))], "demo", [])
        >>> [p.name for p in result.write(tempfile.mkdtemp())]
        ['pareto.csv', 'sweep.json', 'pareto.png', 'report.html']
        """
        from siting.report import sweep_report_html

        files: dict[str, Content] = {
            "pareto.csv": self.table.to_csv(index=False, float_format="%.10g"),
            "sweep.json": self.to_json() + "\n",
            "pareto.png": lambda path: plot_sweep(self, path),
            "report.html": sweep_report_html(self.table, self.info()),
        }
        out = write_folder(out_dir, files)  # as a unit, like a solve's folder
        return [out / name for name in files]


def plot_sweep(result: SweepResult, path: str | Path) -> Path:
    """The coverage-per-type curve over the first swept parameter, as a PNG.

    Parameters
    ----------
    result : SweepResult
        The sweep.
    path : str or pathlib.Path
        The PNG to write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> table = pd.DataFrame({"budget": [1e6, 2e6], "status": ["optimal"] * 2,
    ...                       "objective": [10.0, 14.0]})
    >>> result = SweepResult(table, [Axis("budget", "", (1e6, 2e6))], "demo", [])
    >>> plot_sweep(result, pathlib.Path(tempfile.mkdtemp()) / "curve.png").suffix
    '.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from siting.report import type_colours
    from siting.report.fonts import use_in_matplotlib

    use_in_matplotlib()  # labels and legend in the report's CJK font, whatever is installed
    t = result.table
    x = result.axes[0].column if result.axes else "budget"
    ok = t[t["status"].isin(SOLVED)].sort_values(x)
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    colours = type_colours(result.types)
    for ty in result.types:
        c = f"coverage:{ty}"
        if c in ok and ok[c].notna().any():
            label = result.labels.get(ty, ty)
            ax.plot(ok[x], 100 * ok[c], marker="o", color=colours[ty], label=label, lw=1.8)
    if not len(ok):
        ax.text(0.5, 0.55, "no scenario has a solution: no curve", transform=ax.transAxes,
                ha="center", va="center", fontsize=13, color="#c92a2a")
        for k, line in enumerate(result.advice[:2]):
            ax.text(0.5, 0.42 - 0.08 * k, textwrap.fill(line, 90), transform=ax.transAxes,
                    ha="center", va="top", fontsize=8, color="#495057")
    bad = t[~t["status"].isin(SOLVED)]
    if len(bad):
        ax.scatter(bad[x], np.zeros(len(bad)), marker="x", color="#c92a2a", s=60, zorder=5,
                   label="no solution", clip_on=False)
    ax.set_ylabel("residents within reach, final year (%)")
    ax.set_ylim(0, 101)
    if x == "budget":
        ticks = ax.get_xticks()
        ax.set_xticks(ticks)
        unit, div = ("亿元", 1e8) if result.currency == "CNY" else (result.currency, 1.0)
        ax.set_xticklabels([f"{v / div:,.4g}" for v in ticks])
        ax.set_xlabel(f"total budget ({unit}, estimate)")
        ax.set_xlim(t[x].min() - 0.03 * np.ptp(t[x]), t[x].max() + 0.03 * np.ptp(t[x]) + 1e-9)
    else:
        ax.set_xlabel(x)
    ax.grid(alpha=0.3)
    ax.set_title(f"{result.spec_name}: {len(t)} scenarios")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path
