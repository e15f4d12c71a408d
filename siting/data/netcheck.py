"""What a street layer looks like once built: components, and crossings without a junction.

:class:`NetworkDiagnostics` is computed when a network is built from a line layer
(:func:`siting.data.street_network`) and kept on it (``network.diagnostics``):
the junction rule, the connected parts and the lines in each, and the places
where two lines cross or touch without a junction — by design across levels
(an overpass), otherwise a sign that the layer is not noded as the rule assumes.
``siting check``, ``siting info``, the solve summary and the report show it.

>>> import shapely
>>> parts = shapely.linestrings([[(0, 0), (100, 0)], [(50, -50), (50, 50)]])
>>> found = unjoined_crossings(parts, np.zeros(2, np.int64), np.array([[0.0, 0.0], [100, 0],
...     [50, -50], [50, 50]]), np.array([0, 0, 1, 1]), np.array([0, 1, 2, 3]), 0.5)
>>> found.a.tolist(), found.b.tolist(), found.xy.tolist(), found.end.tolist()
([0], [1], [[50.0, 0.0]], [False])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siting.data.junctions import meeting_points
from siting.findings import Finding

__all__ = ["Crossings", "NetworkDiagnostics", "unjoined_crossings"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Crossings, components and lines named in messages (the rest are counted).
SHOWN = 5


@dataclass(frozen=True)
class Crossings:
    """Places where two parts cross or touch without sharing a node there."""

    a: IntArray
    b: IntArray
    xy: FloatArray
    #: One of the two parts ends there (a T without a junction, or an undershoot).
    end: BoolArray


def unjoined_crossings(
    parts: NDArray[Any],
    level: IntArray,
    coords: FloatArray,
    vertex_part: IntArray,
    node: IntArray,
    tolerance: float,
) -> Crossings:
    """Every point where two parts meet geometrically but share no node (see module).

    A point is joined when its nearest node (within the tolerance) is on both parts; of
    nodes equally near, any one on both will do.
    """
    import shapely

    none = Crossings(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 2)),
                     np.zeros(0, bool))
    a, b, xy = meeting_points(parts)
    if xy.size == 0:
        return none
    # Unique (pair, point): overlapping lines repeat their shared points.
    rows = np.column_stack([a, b, xy])
    _, first = np.unique(rows, axis=0, return_index=True)
    first = np.sort(first)
    a, b, xy = a[first], b[first], xy[first]
    # Node positions: each node at its first vertex.
    n_nodes = int(node.max()) + 1
    place = np.zeros((n_nodes, 2))
    place[node[::-1]] = coords[::-1]
    point, near = _nearest_nodes(xy, place, tolerance * (1 + 1e-9) + 1e-9)
    on = np.unique(vertex_part * n_nodes + node)
    both = np.isin(a[point] * n_nodes + near, on) & np.isin(b[point] * n_nodes + near, on)
    joined = np.zeros(xy.shape[0], dtype=bool)
    joined[point[both]] = True
    spots = shapely.points(xy[~joined])
    end = np.zeros(spots.size, dtype=bool)
    for k in (a[~joined], b[~joined]):
        for tip in (shapely.get_point(parts[k], 0), shapely.get_point(parts[k], -1)):
            end |= shapely.dwithin(spots, tip, max(tolerance, 1e-9))
    return Crossings(a[~joined], b[~joined], xy[~joined], end)


def _nearest_nodes(xy: FloatArray, place: FloatArray, limit: float) -> tuple[IntArray, IntArray]:
    """Pairs (point, node): the nodes nearest each point, all of those equally near, where
    within ``limit``. A point at a node's place (most, on a noded layer) is matched exactly;
    for the others an index finds the nodes a hair beyond the limit, compared here."""
    import shapely

    key = place[:, 0] + 1j * place[:, 1]  # sorted by x, then y
    order = np.argsort(key, kind="stable")
    want = xy[:, 0] + 1j * xy[:, 1]
    low = np.searchsorted(key[order], want, side="left")
    count = np.searchsorted(key[order], want, side="right") - low
    at = np.flatnonzero(count > 0)
    point = np.repeat(at, count[at])
    start = np.repeat(low[at] - (np.cumsum(count[at]) - count[at]), count[at])
    near = order[start + np.arange(point.size)]
    rest = np.flatnonzero(count == 0)
    if rest.size == 0:
        return point, near
    found, other = shapely.STRtree(shapely.points(place)).query(
        shapely.points(xy[rest]), predicate="dwithin", distance=limit * (1 + 1e-9))
    step = xy[rest[found]] - place[other]
    dist = np.sqrt(step[:, 0] * step[:, 0] + step[:, 1] * step[:, 1])
    least = np.full(rest.size, np.inf)
    np.minimum.at(least, found, dist)
    keep = (dist <= limit) & (dist == least[found])
    return np.concatenate([point, rest[found[keep]]]), np.concatenate([near, other[keep]])


@dataclass
class NetworkDiagnostics:
    """What building a network from a line layer found (see the module docstring)."""

    #: The junction rule used, and whether the data said it (else the default).
    rule: str
    said: bool
    n_lines: int
    n_nodes: int
    n_edges: int
    length_m: float
    #: Connected parts, largest first: nodes, length and the (1-based) rows of their lines.
    component_nodes: list[int] = field(default_factory=list)
    component_length_m: list[float] = field(default_factory=list)
    component_rows: list[list[int]] = field(default_factory=list)
    #: Crossings without a junction on the same level (or with no level column).
    unjoined: int = 0
    #: Of those, where one line ends on the other (a T or an undershoot, no junction).
    unjoined_ends: int = 0
    #: Crossings left apart because the lines are on different levels (by the level rule).
    across_levels: int = 0
    #: A few of the unjoined: (row, row, x, y).
    examples: list[tuple[int, int, float, float]] = field(default_factory=list)
    #: Junctions: nodes where three or more edges meet.
    junction_nodes: int = 0
    #: A readable name of each row, where the layer has a text column.
    names: dict[int, str] = field(default_factory=dict)
    #: A column that looks like levels (层, layer, bridge, …) left unsaid under ``crossings``.
    level_hint: str | None = None

    def line(self, row: int) -> str:
        """``row 12 (南湖高架)``, or ``row 12``."""
        name = self.names.get(row)
        return f"row {row} ({name})" if name else f"row {row}"

    def sentences(self) -> list[str]:
        """The diagnostics as plain sentences, for notes, ``siting check`` and reports."""
        rule = {"vertices": "lines meet where they share a vertex",
                "crossings": "lines meet where they cross, except across levels",
                "ends": "only line ends meet"}.get(self.rule, self.rule)
        said = "" if self.said else " (the default)"
        out = [f"street network: {self.n_lines:,} lines, {self.n_nodes:,} nodes, "
               f"{self.n_edges:,} edges, {self.length_m / 1000:,.1f} km; junction rule "
               f"{self.rule!r}{said}: {rule}; {self.junction_nodes:,} junctions."]
        parts = len(self.component_nodes)
        if parts > 1:
            small = ", ".join(
                f"{n} nodes ({', '.join(self.line(r) for r in rows[:SHOWN])}"
                f"{', …' if len(rows) > SHOWN else ''})"
                for n, rows in zip(self.component_nodes[1:SHOWN + 1],
                                   self.component_rows[1:SHOWN + 1], strict=False)
            )
            out.append(f"street network: {parts} separate parts; the largest has "
                       f"{self.component_nodes[0]:,} nodes, the others {small}"
                       f"{', …' if parts > SHOWN + 1 else ''}: points on them reach only "
                       "their own part.")
        if self.unjoined:
            shown = "; ".join(f"{self.line(a)} × {self.line(b)} at ({x:,.0f}, {y:,.0f})"
                              for a, b, x, y in self.examples)
            ends = (f", {self.unjoined_ends} of them where a line ends on another"
                    if self.unjoined_ends else "")
            out.append(f"street network: {self.unjoined} places where lines cross or touch "
                       f"without a junction{ends} (walks cannot turn there): {shown}.")
        if self.across_levels:
            out.append(f"street network: {self.across_levels} crossings between lines on "
                       "different levels are left without a junction (overpasses).")
        if self.level_hint:
            out.append(f"street network: the layer has a column {self.level_hint!r} that looks "
                       "like levels, but no level column is said: lines meet at every crossing, "
                       "bridges and tunnels too (to keep them apart: network_level = "
                       f"\"{self.level_hint}\" in a spec, --level {self.level_hint} on the "
                       "command line).")
        return out

    def findings(self) -> list[Finding]:
        """The diagnostics as findings: the summary a note; separate parts and crossings
        without a junction warnings (walks cannot pass there); crossings kept apart by
        levels a note (that is what the level column asks)."""
        said = self.sentences()
        out = [Finding("note", "network", said[0])]
        rest = said[1:]
        if len(self.component_nodes) > 1:
            out.append(Finding("warning", "network-parts", rest.pop(0)))
        if self.unjoined:
            out.append(Finding("warning", "network-unjoined", rest.pop(0)))
        if self.across_levels:
            out.append(Finding("note", "network-levels", rest.pop(0)))
        if self.level_hint:
            out.append(Finding("warning", "network-level-unset", rest.pop(0)))
        return out

    def as_dict(self) -> dict[str, Any]:
        """The figures, for ``--json`` and ``solution.json``."""
        return {
            "rule": self.rule, "said": self.said, "lines": self.n_lines, "nodes": self.n_nodes,
            "edges": self.n_edges, "length_m": round(self.length_m, 1),
            "junctions": self.junction_nodes, "parts": len(self.component_nodes),
            "part_nodes": self.component_nodes[: SHOWN + 1],
            "unjoined_crossings": self.unjoined, "unjoined_ends": self.unjoined_ends,
            "across_levels": self.across_levels,
            "examples": [{"rows": [a, b], "x": x, "y": y} for a, b, x, y in self.examples],
        }

    def looks_unnoded(self) -> bool:
        """Many same-level crossings without a junction against few junctions: a layer of
        lines running through their crossings read with a rule that needs shared vertices."""
        crossings = self.unjoined - self.unjoined_ends
        return crossings >= 3 and crossings > 0.2 * max(self.junction_nodes, 1)
