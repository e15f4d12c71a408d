"""Greedy and swap search for gravity (Huff) market share against competitors.

A row ``g`` (a demand point, or a group of equal ones) of weight ``W_g`` feels
the pull ``u_gj`` of each own site ``j`` it can reach and ``C_g`` of the
competitors; with own pull ``U_g = Σ_open u_gj`` it gives ``W_g U_g / (U_g + C_g)``
(all of it when no competitor reaches it and ``U_g > 0``). Opening a site adds
its pull to its rows only, so the gain of every candidate is one ``bincount``
over the pairs.

>>> import numpy as np
>>> hp = HuffPairs(np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([1.0, 1.0, 3.0]),
...                np.array([10.0, 10.0]), np.array([1.0, 1.0]), m=2)
>>> mask = share_greedy(hp, p=1)
>>> np.flatnonzero(mask).tolist(), round(captured(hp, mask), 3)
([1], 12.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siting.heuristics.common import Deadline, fixed_mask
from siting.milp import weighted_sum

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class HuffPairs:
    """Pairs ``(row, site, pull)``, each row's weight and competitors' pull, and ``m`` sites."""

    row: IntArray
    site: IntArray
    pull: FloatArray
    weight: FloatArray
    rival: FloatArray
    m: int


def share_of(own: FloatArray, rival: FloatArray) -> FloatArray:
    """Share captured with own pull ``own`` against ``rival`` (1 without rivals, if any own)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = own / (own + rival)
    return np.where(rival > 0, out, (own > 0).astype(np.float64))


def own_pull(hp: HuffPairs, open_mask: BoolArray) -> FloatArray:
    keep = open_mask[hp.site]
    return np.bincount(hp.row[keep], weights=hp.pull[keep],
                       minlength=hp.weight.size).astype(np.float64)


def captured(hp: HuffPairs, open_mask: BoolArray) -> float:
    """Weight captured by the open sites."""
    return weighted_sum(hp.weight, share_of(own_pull(hp, open_mask), hp.rival))


def gains(hp: HuffPairs, own: FloatArray) -> FloatArray:
    """What opening each site would add to the captured weight, from own pulls ``own``."""
    before = share_of(own[hp.row], hp.rival[hp.row])
    after = share_of(own[hp.row] + hp.pull, hp.rival[hp.row])
    change = hp.weight[hp.row] * (after - before)
    return np.bincount(hp.site, weights=change, minlength=hp.m).astype(np.float64)


def share_greedy(
    hp: HuffPairs, p: int | None = None, fixed_open: BoolArray | None = None,
    target: float | None = None,
) -> BoolArray:
    """Open the best site, ``p`` times or until ``target`` weight is captured."""
    mask = fixed_mask(hp.m, fixed_open)
    free = ~mask
    own = own_pull(hp, mask)
    steps = int(free.sum()) if p is None else int(p)
    for _ in range(steps):
        if target is not None and weighted_sum(hp.weight, share_of(own, hp.rival)) >= target:
            break
        gain = np.where(free & ~mask, gains(hp, own), -np.inf)
        if not np.isfinite(gain).any():
            break
        k = int(np.argmax(gain))
        mask[k] = True
        own = own_pull(hp, mask)
    return mask


def share_swap(
    hp: HuffPairs, open_mask: BoolArray, fixed_open: BoolArray | None = None,
    time_limit: float | None = None,
) -> BoolArray:
    """Swap an open site for a closed one while that captures more (first improvement)."""
    mask = np.asarray(open_mask, bool).copy()
    fixed = fixed_mask(hp.m, fixed_open)
    deadline = Deadline(time_limit)
    value = captured(hp, mask)
    improved = True
    while improved:
        improved = False
        for j in np.flatnonzero(mask & ~fixed):  # a loop over open sites, not pairs
            if deadline.passed():
                return mask
            mask[j] = False
            gain = np.where(~mask & ~fixed, gains(hp, own_pull(hp, mask)), -np.inf)
            gain[j] = -np.inf
            k = int(np.argmax(gain))
            trial = mask.copy()
            trial[k] = True
            new_value = captured(hp, trial)
            if new_value > value * (1 + 1e-12) + 1e-12:
                mask, value, improved = trial, new_value, True
                break
            mask[j] = True
    return mask


def share_drop(hp: HuffPairs, open_mask: BoolArray, fixed_open: BoolArray | None,
               target: float) -> BoolArray:
    """Close open sites, least useful first, while ``target`` weight stays captured."""
    mask = np.asarray(open_mask, bool).copy()
    fixed = fixed_mask(hp.m, fixed_open)
    changed = True
    while changed:
        changed = False
        value = captured(hp, mask)
        order = np.flatnonzero(mask & ~fixed)
        losses = []
        for j in order:  # a loop over open sites, not pairs
            mask[j] = False
            losses.append(value - captured(hp, mask))
            mask[j] = True
        for j in order[np.argsort(losses, kind="stable")]:
            mask[j] = False
            if captured(hp, mask) >= target:
                changed = True
                break
            mask[j] = True
    return mask
