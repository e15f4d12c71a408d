"""map_widening: one lane, then two once the gate opens; results in order, faults raised."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.multi.side_by_side import map_widening


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.integers(-1000, 1000), max_size=12), opened_at=st.integers(-1, 12))
def test_results_are_the_sequential_ones_whenever_the_gate_opens(
    items: list[int], opened_at: int
) -> None:
    """The gate opens before the first item (-1), after item ``opened_at`` has been taken,
    or never (beyond the list): the results are always those of the plain loop, and the
    second lane takes nothing before the gate opens."""
    gate = threading.Event()
    if opened_at < 0:
        gate.set()
    lanes: list[tuple[int, str, bool]] = []
    lock = threading.Lock()

    def work(k: int) -> int:
        value = items[k]
        with lock:
            lanes.append((k, threading.current_thread().name, gate.is_set()))
        if k == opened_at:
            gate.set()
        return value * value - k

    out = map_widening(work, list(range(len(items))), gate)
    assert out == [v * v - k for k, v in enumerate(items)]
    assert sorted(k for k, _, _ in lanes) == list(range(len(items)))  # each item once
    assert all(opened for _, name, opened in lanes if name == "siting-widen")
    assert gate.is_set()


def test_both_lanes_work_once_the_gate_is_open() -> None:
    """With the gate open, the second lane takes items while the first is busy: the
    first item taken waits until another thread has taken one."""
    gate = threading.Event()
    gate.set()
    names: list[str] = []
    lock = threading.Lock()
    other = threading.Event()

    def work(k: int) -> int:
        name = threading.current_thread().name
        with lock:
            names.append(name)
            first = len(names) == 1
            if not first and name != names[0]:
                other.set()
        if first:
            assert other.wait(timeout=60)
        return k

    assert map_widening(work, [0, 1, 2, 3], gate) == [0, 1, 2, 3]
    assert set(names) == {threading.current_thread().name, "siting-widen"}


def test_a_fault_in_the_second_lane_is_raised_by_the_caller() -> None:
    gate = threading.Event()
    gate.set()
    release = threading.Event()

    def work(k: int) -> int:
        if threading.current_thread().name == "siting-widen":
            release.set()
            raise ValueError(f"item {k}")
        assert release.wait(timeout=60)
        return k

    with pytest.raises(ValueError, match="item"):
        map_widening(work, list(range(6)), gate)


def test_ctrl_c_in_the_first_lane_cancels_and_waits_for_the_second() -> None:
    """A KeyboardInterrupt in the caller's lane sets ``cancel``, hands out no other item
    and returns only once the second lane's current item has ended."""
    gate = threading.Event()
    gate.set()
    cancel = threading.Event()
    taken: list[int] = []
    second_in = threading.Event()
    second_done = threading.Event()

    def work(k: int) -> int:
        taken.append(k)
        if threading.current_thread().name == "siting-widen":
            second_in.set()
            assert cancel.wait(timeout=60)  # a solve that stops on cancel
            second_done.set()
            return k
        assert second_in.wait(timeout=60)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        map_widening(work, list(range(10)), gate, cancel)
    assert cancel.is_set() and second_done.is_set()
    assert sorted(taken) == [0, 1]
