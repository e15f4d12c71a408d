"""A point graph keeps its last answers of ``pairs``: asked again, it does not walk again,
and its answer is the one walked, whatever the caller did with the first."""

from __future__ import annotations

import numpy as np
import pytest

import siting.network.access as access
from siting.network import PointGraph, WalkingNetwork, locate


def grid_graph() -> PointGraph:
    xs, ys = np.meshgrid(np.arange(5) * 100.0, np.arange(5) * 100.0)
    x, y = xs.ravel(), ys.ravel()
    right = [(i, i + 1) for i in range(25) if i % 5 < 4]
    up = [(i, i + 5) for i in range(20)]
    u, v = np.array(right + up).T
    net = WalkingNetwork(x, y, u, v, np.hypot(x[u] - x[v], y[u] - y[v]) * 1.1)
    rng = np.random.default_rng(3)
    return PointGraph(net, [locate(net, rng.uniform(0, 400, (30, 2))),
                            locate(net, rng.uniform(0, 400, (12, 2)))])


def test_the_same_question_is_answered_without_walking_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    graph = grid_graph()
    walks: list[int] = []
    dijkstra = access.csgraph.dijkstra

    def counted(*args: object, **kwargs: object) -> object:
        walks.append(1)
        return dijkstra(*args, **kwargs)

    monkeypatch.setattr(access.csgraph, "dijkstra", counted)
    first = graph.pairs(0, 1, 250.0)
    walked = len(walks)
    first[2][:] = -1.0  # the caller's arrays are its own
    again = graph.pairs(0, 1, 250.0, chunk=3)
    assert len(walks) == walked > 0
    fresh = grid_graph().pairs(0, 1, 250.0)
    for got, want in zip(again, fresh, strict=True):
        assert got.tobytes() == want.tobytes()
    graph.pairs(0, 1, 251.0)
    assert len(walks) > walked  # another cutoff is another question


def test_only_the_last_answers_are_kept() -> None:
    graph = grid_graph()
    bare = graph.nbytes
    for k in range(access.PAIRS_KEPT + 3):
        graph.pairs(0, 1, 100.0 + k)
    assert len(graph._kept) == access.PAIRS_KEPT
    assert (0, 1, 100.0) not in graph._kept and (0, 1, 100.0 + access.PAIRS_KEPT + 2) in graph._kept
    assert graph.nbytes > bare


def test_answers_beyond_the_byte_budget_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = grid_graph()
    first = sum(x.nbytes for x in graph.pairs(0, 1, 250.0))
    second = sum(x.nbytes for x in grid_graph().pairs(0, 1, 260.0))
    monkeypatch.setattr(access, "PAIRS_BYTES", first + second - 1)
    graph.pairs(0, 1, 260.0)  # both would be too many bytes: the older answer goes
    assert list(graph._kept) == [(0, 1, 260.0)]
    monkeypatch.setattr(access, "PAIRS_BYTES", 1)
    graph.pairs(0, 1, 270.0)
    assert (0, 1, 270.0) not in graph._kept
