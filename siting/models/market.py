"""Market share against competitors' facilities: Huff gravity shares, maximised or targeted.

Each demand point ``i`` (weight ``w_i``) splits its weight between every
facility it reaches in proportion to the facility's pull ``A_j f(d_ij)``
(attractiveness × distance decay, :class:`~siting.models.decay.Decay`; Huff
1964, *Defining and estimating a trading area*, Journal of Marketing 28(3)).
With own pull ``U_i`` of the open sites and competitors' pull ``C_i``, the own
sites capture ``w_i U_i / (U_i + C_i)``.

The share is a ratio; Haase (2009), *Discrete location planning* (working
paper ITLS-WP-09-07, University of Sydney), and Haase & Müller (2014), *A
comparison of linear reformulations for multinomial logit choice
probabilities in facility location models*, EJOR 232(3), make it linear and
exact by the proportionality of the choice shares (as for the competitive
model of Benati & Hansen 2002, EJOR 143(3)): with ``x_ij`` the share of ``i``
captured by ``j`` and ``x_i0`` what goes to competitors,

    Σ_j x_ij + x_i0 = 1
    C_i x_ij ≤ u_ij x_i0                 (shares in proportion to pull)
    x_ij ≤ u_ij / (u_ij + C_i) · y_j     (nothing from a closed site)

For fixed ``y`` the largest ``Σ_j x_ij`` is exactly the Huff share. Where no
competitor reaches a point (``C_i = 0``) the second row goes and the point is
captured whole by any open own site in reach. Tangents of each point's
concave share (:func:`tangent_rows`) tighten this MILP's relaxation
(``formulation="haase"``). The default, ``formulation="outer"``, solves
instead a sequence of much smaller MILPs over ``y`` and one share per point
under tangent cuts, an outer approximation that stops when its bound meets
the best exact value (:mod:`siting.models.market_outer`; 10–25× faster on a
60 × 15 instance).

- :class:`MarketShare` — max ``Σ_i w_i Σ_j x_ij`` with at most ``p`` new sites
  (ArcGIS's Maximize Market Share);
- :class:`TargetShare` — min the number of new sites with
  ``Σ_i w_i Σ_j x_ij ≥ S Σ_i w_i`` (ArcGIS's Target Market Share).

Variables only on pairs with a positive pull (within the cutoff, or every
pair / the ``k`` nearest without one); points with equal pulls and equal
competitors' pull merge into one row. Existing sites are open and own.

>>> import pandas as pd
>>> from siting.instance import Instance
>>> d = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "weight": [100, 100]})
>>> s = pd.DataFrame({"x": [1.0, 9], "y": [0.0, 0]})
>>> rival = pd.DataFrame({"x": [0.0], "y": [1.0]})     # next to point 0
>>> inst = Instance.from_frames(d, s)
>>> MarketShare(p=1, competitors=rival, cutoff=3).solve(inst).objective   # half of 0, or all of 1
100.0
>>> TargetShare(share=0.7, competitors=rival, cutoff=3).solve(inst).objective
2.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siting.backends.base import relative_gap
from siting.errors import InfeasibleError, ParameterError
from siting.instance import Instance
from siting.milp import MilpBuilder, Sense
from siting.models.base import Built, check_p
from siting.models.huff import (
    ATTRACTIVENESS,
    FORMULATION,
    FORMULATIONS,
    TANGENTS,
    HuffModel,
    huff_assignment,
    tangent_rows,
)
from siting.models.market_outer import ceil_bound
from siting.models.valued_pairs import ValuedPairs
from siting.registry import SHARE, P, parameter

__all__ = [
    "ATTRACTIVENESS",
    "FORMULATION",
    "FORMULATIONS",
    "TANGENTS",
    "HuffModel",
    "MarketShare",
    "TargetShare",
    "huff_assignment",
    "tangent_rows",
]


@dataclass
class MarketShare(HuffModel):
    r"""Open at most ``p`` new sites capturing the most weight against competitors.

    ArcGIS's Maximize Market Share. Point :math:`i` gives the own sites the
    Huff share :math:`U_i / (U_i + C_i)` of its weight, :math:`U_i = Σ_{j
    open} A_j f(d_{ij})` the own pull, :math:`C_i` the competitors'. Linear
    and exact (module docstring; Haase 2009), with :math:`u_{ij} = A_j
    f(d_{ij})`, :math:`x_{ij}` the share of :math:`i` captured by :math:`j`
    and :math:`x_{i0}` the competitors' share::

        max  Σ_i w_i Σ_j x_ij
        s.t. Σ_j x_ij + x_i0 = 1                      for every i     (row "split")
             C_i x_ij ≤ u_ij x_i0                     where C_i > 0   (row "proportion")
             x_ij ≤ u_ij / (u_ij + C_i) · y_j         for every pair  (row "open")
             Σ_{j ∉ J_0} y_j ≤ p                                      (row "p")
             y_j = 1 for j ∈ J_0,  y ∈ {0, 1},  x ∈ [0, 1]

    ``formulation="outer"`` (default) solves a sequence of smaller MILPs
    over :math:`y` under tangent cuts of each point's concave share
    (:mod:`siting.models.market_outer`); ``"haase"`` the MILP above.

    Parameters
    ----------
    p : int
        Most new sites to open (existing ones are own and open).
    competitors : str, Path, DataFrame or array
        The competitors' points: a CSV (``x``, ``y``, optional
        ``attractiveness``), a GeoPackage, a (Geo)DataFrame or an n × 2 array.
    decay : {"linear", "power", "exponential"}
        How pull falls with distance (default ``"power"``).
    beta : float
        Decay parameter of power and exponential (> 0, default 1).
    cutoff : float, optional
        Distance beyond which there is no pull.
    scale : float
        Distance unit of the decay (> 0, default 1 data unit).
    attractiveness : str, optional
        The sites' column of attractiveness :math:`A_j` (1 where absent).
    candidates : int, optional
        Without a cutoff, each point's k nearest sites only.
    formulation : {"outer", "haase"}
        Outer approximation (default) or the one MILP.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "weight": [100, 100]})
    >>> s = pd.DataFrame({"x": [1.0, 9], "y": [0.0, 0]})
    >>> rival = pd.DataFrame({"x": [0.0], "y": [1.0]})     # next to point 0
    >>> MarketShare(p=1, competitors=rival, cutoff=3).solve(
    ...     Instance.from_frames(d, s)).objective               # all of point 1
    100.0
    """

    p: int | None = parameter(P)
    name: ClassVar[str] = "market-share"
    sense: ClassVar[Sense] = "max"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        check_p(self.p, inst, required=True)

    def pair_cost(self, pairs: ValuedPairs) -> Any:
        return pairs.weight[pairs.row]

    def row_cost(self, pairs: ValuedPairs) -> Any:
        return pairs.weight

    def build(self, inst: Instance) -> Built:
        assert self.p is not None
        pairs, complete = self.share_pairs(inst)
        b = MilpBuilder()
        y, _, _ = self.share_rows(b, inst, pairs)
        self.outer_rows(b, inst, pairs, y, None)
        return self.built(b, inst, pairs, complete)

    def outer_rows(self, b: MilpBuilder, inst: Instance, pairs: ValuedPairs, y: Any,
                   theta: Any) -> None:
        assert self.p is not None
        new = (~inst.existing).astype(float)
        b.add_rows(sp.csr_matrix(new[None, :]), lower=-np.inf, upper=float(self.p), cols=y,
                   name="p")

    def start_mask(self, inst: Instance, pairs: ValuedPairs, time_limit: float | None
                   ) -> NDArray[np.bool_]:
        from siting.heuristics.huff import share_greedy, share_swap

        hp = self.huff(inst, pairs)
        mask = share_greedy(hp, self.p, inst.existing)
        return share_swap(hp, mask, inst.existing, time_limit=time_limit)

    def value_of(self, inst: Instance, pairs: ValuedPairs, mask: NDArray[np.bool_]
                 ) -> float | None:
        from siting.heuristics.huff import captured

        return captured(self.huff(inst, pairs), mask)

    def better(self, value: float, than: float) -> bool:
        return value > than

    def proven(self, value: float, bound: float, gap: float) -> bool:
        found = relative_gap(value, bound, "max")
        return found is not None and found <= gap


@dataclass
class TargetShare(HuffModel):
    r"""Open the fewest new sites that capture at least ``share`` of all weight.

    ArcGIS's Target Market Share: :class:`MarketShare`'s rows without the
    ``p`` row, and::

        min  Σ_{j ∉ J_0} y_j
        s.t. Σ_i w_i Σ_j x_ij ≥ S · Σ_i w_i                          (row "target")

    A share out of reach with every site open is refused before any solve.

    Parameters
    ----------
    share : float
        Share :math:`S` of all weight to capture, in (0, 1]; required.
    competitors : str, Path, DataFrame or array
        The competitors' points (as :class:`MarketShare`'s).
    decay : {"linear", "power", "exponential"}
        How pull falls with distance (default ``"power"``).
    beta : float
        Decay parameter of power and exponential (> 0, default 1).
    cutoff : float, optional
        Distance beyond which there is no pull.
    scale : float
        Distance unit of the decay (> 0, default 1 data unit).
    attractiveness : str, optional
        The sites' column of attractiveness (1 where absent).
    candidates : int, optional
        Without a cutoff, each point's k nearest sites only.
    formulation : {"outer", "haase"}
        Outer approximation (default) or the one MILP.

    Examples
    --------
    >>> import pandas as pd
    >>> from siting.instance import Instance
    >>> d = pd.DataFrame({"x": [0.0, 10], "y": [0.0, 0], "weight": [100, 100]})
    >>> s = pd.DataFrame({"x": [1.0, 9], "y": [0.0, 0]})
    >>> rival = pd.DataFrame({"x": [0.0], "y": [1.0]})
    >>> TargetShare(share=0.7, competitors=rival, cutoff=3).solve(
    ...     Instance.from_frames(d, s)).objective
    2.0
    """

    share: float | None = parameter(SHARE)
    name: ClassVar[str] = "target-share"

    def check(self, inst: Instance) -> None:
        super().check(inst)
        s = self.share
        if s is None or not (isinstance(s, (int, float)) and 0 < float(s) <= 1):
            raise ParameterError("share must be a number in (0, 1]", field="share", value=s)

    def site_cost(self, inst: Instance) -> Any:
        return (~inst.existing).astype(float)

    def target(self, inst: Instance) -> float:
        assert self.share is not None
        return float(self.share) * float(inst.weight.sum())

    def share_pairs(self, inst: Instance) -> tuple[ValuedPairs, bool]:
        """The pairs, once it is known the target can be reached with every site open."""
        from siting.heuristics.huff import captured

        pairs, complete = super().share_pairs(inst)
        reach = captured(self.huff(inst, pairs), np.ones(inst.n_sites, dtype=bool))
        total = float(inst.weight.sum())
        if reach < self.target(inst) * (1 - 1e-9):
            raise InfeasibleError(
                f"{self.name}: at most {reach / total:.2%} of the weight can be captured with "
                f"every site open; {float(self.share or 0):.2%} asked"
            )
        return pairs, complete

    def build(self, inst: Instance) -> Built:
        pairs, complete = self.share_pairs(inst)
        b = MilpBuilder()
        _, x, _ = self.share_rows(b, inst, pairs)
        self.outer_rows(b, inst, pairs, None, x, weights=pairs.weight[pairs.row])
        return self.built(b, inst, pairs, complete)

    def outer_rows(self, b: MilpBuilder, inst: Instance, pairs: ValuedPairs, y: Any,
                   theta: Any, weights: Any = None) -> None:
        weights = pairs.weight if weights is None else weights
        b.add_rows(sp.csr_matrix(np.asarray(weights, dtype=float)[None, :]),
                   lower=self.target(inst) * (1 - 1e-9), upper=np.inf, cols=theta,
                   name="target")

    def start_mask(self, inst: Instance, pairs: ValuedPairs, time_limit: float | None
                   ) -> NDArray[np.bool_]:
        from siting.heuristics.huff import share_drop, share_greedy

        hp = self.huff(inst, pairs)
        goal = self.target(inst)
        mask = share_greedy(hp, None, inst.existing, target=goal)
        return share_drop(hp, mask, inst.existing, goal)

    def value_of(self, inst: Instance, pairs: ValuedPairs, mask: NDArray[np.bool_]
                 ) -> float | None:
        """Number of new sites, or None when the sites fall short of the target."""
        from siting.heuristics.huff import captured

        if captured(self.huff(inst, pairs), mask) < self.target(inst) * (1 - 1e-9):
            return None
        return float((mask & ~inst.existing).sum())

    def better(self, value: float, than: float) -> bool:
        return value < than

    def proven(self, value: float, bound: float, gap: float) -> bool:
        return value <= ceil_bound(bound) + 1e-9
