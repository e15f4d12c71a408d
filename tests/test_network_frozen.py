"""A walking network cannot be changed in place: its caches (located points, the segment
tree, point graphs) would go stale and distances with them."""

from __future__ import annotations

import numpy as np
import pytest

from siting.coverage import NetworkMetric
from siting.network import WalkingNetwork, locate


def _line() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (np.array([0.0, 100.0, 200.0]), np.zeros(3), np.array([0, 1]), np.array([1, 2]),
            np.array([100.0, 100.0]))


@pytest.mark.parametrize("name", ["node_x", "node_y", "node_ids", "edge_u", "edge_v",
                                  "edge_length", "edge_line"])
def test_arrays_are_read_only(name: str) -> None:
    net = WalkingNetwork(*_line())
    with pytest.raises(ValueError, match="read-only"):
        getattr(net, name)[0] = 1


def test_the_callers_arrays_stay_theirs() -> None:
    x, y, u, v, length = _line()
    net = WalkingNetwork(x, y, u, v, length)
    point = np.array([[150.0, 10.0]])
    before = locate(net, point)
    metric = NetworkMetric(net, point, np.array([[0.0, 0.0]]))
    walk = float(metric.nearest_in(np.array([0]))[1][0])
    x[:] = [0.0, 1000.0, 2000.0]  # the caller edits its own arrays afterwards
    length[:] = 1.0
    assert net.node_x.tolist() == [0.0, 100.0, 200.0]
    assert net.edge_length.tolist() == [100.0, 100.0]
    after = locate(net, point)
    assert after.edge.tolist() == before.edge.tolist()
    again = NetworkMetric(net, point, np.array([[0.0, 0.0]]))
    assert float(again.nearest_in(np.array([0]))[1][0]) == pytest.approx(walk)
    assert walk >= float(np.hypot(150.0, 10.0))  # never shorter than the straight line
