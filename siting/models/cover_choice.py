"""How MCLP chooses between the compact formulation and branch-and-Benders-cut.

Dense rows, many rows per free site, or an instance too large to probe decide
from the reduced instance's shape (:func:`shape_choice`); otherwise the caller
solves Benders' root LP first and keeps Benders when the root bound is close to
the best plan found there, else hands that plan to the compact model
(:func:`choice_from_root`). Partial covering uses the shape rule alone
(:func:`choose_formulation`). Each choice carries its reason, which the
solution records in ``stats["formulation_reason"]``.

>>> choice_from_root(1000.0, 1002.0).formulation
'benders'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from siting.backends.base import backend_names, capabilities, relative_gap
from siting.errors import ParameterError
from siting.milp import Sense
from siting.registry import COVER_FORMULATION

__all__ = [
    "BENDERS_ROWS_PER_SITE",
    "DENSE_ROW",
    "FORMULATIONS",
    "MANY_ROWS_PER_SITE",
    "PROBE_MOST_ROWS",
    "PROBE_MOST_SITES",
    "ROOT_GAP_BENDERS",
    "Choice",
    "Formulation",
    "choice_from_root",
    "choose_formulation",
    "master_capable",
    "shape_choice",
    "structural_choice",
]

Formulation = Literal["auto", "compact", "benders"]
FORMULATIONS = COVER_FORMULATION.value.choices
#: ``auto`` picks Benders when the merged demand rows outnumber the free sites this much.
BENDERS_ROWS_PER_SITE = 3.0


def master_capable(solver: str) -> bool:
    """Whether back end ``solver`` can take the Benders master (a MILP with continuous ``θ``)."""
    if solver == "heuristic" or solver not in backend_names():
        return False  # an unknown name is reported by get_backend, with the choices
    caps = capabilities(solver)
    return caps.mip and not caps.integer_coefficients_only


@dataclass(frozen=True)
class Choice:
    """A formulation and why it was chosen (``Solution.stats["formulation_reason"]``)."""

    formulation: Literal["compact", "benders"]
    reason: str


#: ``auto`` keeps Benders when its root LP bound is at most this share above the best
#: plan after the root: reduced costs then fix most sites and few master MIPs remain.
#: Wider gaps go to the compact model started from that plan (without HiGHS's
#: heuristics and restarts, ``covering.COMPACT_FROM_PLAN``), whose tree closes them
#: sooner: clustered 5,000 × 500 cases at 0.37 % (blobs s2) and 0.33 % (gauss-mixed
#: s3), CPU 4.3-5.5 s -> 0.8-0.9 s and 2.2 s -> 0.7-0.9 s (busy machine); at 0.26 %
#: and 0.21 % both about equal; at 0.08 % and 0.06 % Benders 1.4-2.6× faster.
ROOT_GAP_BENDERS = 0.003
#: ``auto`` probes the root up to these sizes (merged rows, free sites); above them the
#: rows-per-site rule decides, as tuned on the uniform, Cordeau and city cases.
PROBE_MOST_ROWS, PROBE_MOST_SITES = 50_000, 5_000
#: Benders without a probe: rows this dense (the SJC sets, 47-130 sites a row: Benders
#: 5-33× faster) or this many rows per free site (uniform 20,000 × 1,000, 60 s: Benders
#: 4.7 % gap, compact 6.7 %; the compact tree is slow on either).
DENSE_ROW, MANY_ROWS_PER_SITE = 20.0, 8.0


def _checked(requested: str, solver: str) -> None:
    if requested not in FORMULATIONS:
        raise ParameterError(
            f"formulation must be one of {', '.join(FORMULATIONS)}",
            field="formulation", value=requested,
        )
    if requested == "benders" and not master_capable(solver):
        raise ParameterError(
            "the Benders formulation needs a MILP back end that takes continuous columns",
            field="solver", value=solver,
        )


def structural_choice(requested: str, merged_rows: int, free_sites: int, solver: str) -> Choice:
    """The formulation from the reduced instance's shape alone, and the reason.

    >>> from siting.backends import DEFAULT_BACKEND
    >>> structural_choice("auto", 20_000, 100, DEFAULT_BACKEND).reason
    'merged rows 200.0 per free site >= 3: benders'
    >>> structural_choice("compact", 20_000, 100, DEFAULT_BACKEND).reason
    'requested'
    """
    _checked(requested, solver)
    if requested != "auto":
        return Choice(requested, "requested")  # type: ignore[arg-type]
    if free_sites == 0:
        return Choice("compact", "no free site")
    if not master_capable(solver):
        return Choice("compact", f"back end {solver} cannot take the Benders master")
    per_site = merged_rows / free_sites
    if per_site >= BENDERS_ROWS_PER_SITE:
        return Choice("benders", f"merged rows {per_site:.1f} per free site "
                                 f">= {BENDERS_ROWS_PER_SITE:g}: benders")
    return Choice("compact", f"merged rows {per_site:.1f} per free site "
                             f"< {BENDERS_ROWS_PER_SITE:g}: compact")


def choose_formulation(
    requested: str, merged_rows: int, free_sites: int, solver: str
) -> Literal["compact", "benders"]:
    """The formulation to use: forced, or Benders when rows per free site are many.

    The rule for instances too large to probe (:func:`probe_worthwhile`) and
    for partial covering.

    >>> from siting.backends import DEFAULT_BACKEND
    >>> choose_formulation("auto", 20_000, 100, DEFAULT_BACKEND)
    'benders'
    >>> choose_formulation("auto", 250, 100, DEFAULT_BACKEND)
    'compact'
    >>> choose_formulation("auto", 20_000, 100, "heuristic")
    'compact'
    """
    return structural_choice(requested, merged_rows, free_sites, solver).formulation


def shape_choice(
    requested: str, merged_rows: int, free_sites: int, nonzeros: int, solver: str
) -> Choice | None:
    """The formulation when the reduced instance's shape decides it, else None (``auto``
    then decides from Benders' root LP, :func:`choice_from_root`).

    Forced, or no Benders possible; too large to probe (the rows-per-site rule,
    :func:`structural_choice`); or a compact model that is large or dense for its
    rows (many merged rows per free site, many sites per row): Benders.

    >>> from siting.backends import DEFAULT_BACKEND
    >>> shape_choice("auto", 2_000, 480, 10_000, DEFAULT_BACKEND) is None
    True
    >>> shape_choice("auto", 700, 420, 84_000, DEFAULT_BACKEND).reason
    'nonzeros 120.0 per merged row >= 20: benders'
    >>> shape_choice("auto", 19_000, 990, 190_000, DEFAULT_BACKEND).reason
    'merged rows 19.2 per free site >= 8: benders'
    >>> shape_choice("auto", 2_000_000, 9_000, 10**7, DEFAULT_BACKEND).reason
    'too large to probe the root; merged rows 222.2 per free site >= 3: benders'
    >>> shape_choice("compact", 2_000, 480, 10_000, DEFAULT_BACKEND).reason
    'requested'
    """
    plain = structural_choice(requested, merged_rows, free_sites, solver)
    if requested != "auto" or free_sites == 0 or not master_capable(solver):
        return plain
    if merged_rows > PROBE_MOST_ROWS or free_sites > PROBE_MOST_SITES:
        return Choice(plain.formulation, "too large to probe the root; " + plain.reason)
    per_row = nonzeros / max(merged_rows, 1)
    if per_row >= DENSE_ROW:
        return Choice("benders", f"nonzeros {per_row:.1f} per merged row >= {DENSE_ROW:g}: benders")
    per_site = merged_rows / free_sites
    if per_site >= MANY_ROWS_PER_SITE:
        return Choice("benders", f"merged rows {per_site:.1f} per free site "
                                 f">= {MANY_ROWS_PER_SITE:g}: benders")
    return None


def choice_from_root(best: float, root_bound: float, sense: Sense = "max") -> Choice:
    """Benders when the root LP bound is within :data:`ROOT_GAP_BENDERS` of the best plan.

    >>> choice_from_root(1000.0, 1002.0).reason
    'root LP bound 0.20 % from the best plan <= 0.30 %: benders'
    >>> choice_from_root(1000.0, 1013.2).formulation
    'compact'
    """
    gap = relative_gap(best, root_bound, sense)
    assert gap is not None, "a finite plan value and root bound"
    limit = f"{100 * ROOT_GAP_BENDERS:.2f} %"
    if gap <= ROOT_GAP_BENDERS:
        return Choice("benders", f"root LP bound {100 * gap:.2f} % from the best plan "
                                 f"<= {limit}: benders")
    return Choice("compact", f"root LP bound {100 * gap:.2f} % from the best plan "
                             f"> {limit}: compact from that plan")
