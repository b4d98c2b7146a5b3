"""The search's vocabulary: terms, incompatibilities, and the masks they are written in.

PubGrub (dart-lang/pub ``doc/solver.md``) states everything the search knows in two words:

- A **term** is a statement about one package name: ``pytorch ∈ {these records}`` (positive:
  installed, as one of them) or ``not pytorch ∈ {these records}`` (negative: not installed, or
  installed as another record). The set is a *mask* over the name's candidates (see
  `solver/provider.py`): bit ``i`` stands for candidate ``i``, so intersections and unions are
  ``&`` and ``|`` on Python ints.
- An **incompatibility** is a set of terms that cannot all be true. Facts from outside the
  search are *external* ("every build of pytorch 2.7.0 depends on __cuda" is
  ``{pytorch ∈ 2.7.0 builds, not __cuda ∈ anything}``, its cause a `report.Depends`); the
  search *derives* new ones from two causes when it meets a conflict (`Derived`). Deriving the
  empty incompatibility proves that no solution exists.

Masks stay inside the search: a failure leaves it as plain data (`solver/derivation.py`).

>>> allowed = Term("numpy", 0b0110, True)  # numpy installed as candidate 1 or 2
>>> allowed.intersect(Term("numpy", 0b0010, False))  # ... and not as candidate 1
Term(name='numpy', mask=4, positive=True)
>>> allowed.satisfied_by(Term("numpy", 0b0100, True)), allowed.contradicted_by(Term("numpy", 0b1000, True))
(True, True)

Lesson: Episode 2, "Under the hood: the solver". Read after `solver/provider.py`; read next
`solver/partial_solution.py`, then `solver/search.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

__all__ = ["Derived", "Incompatibility", "Term", "anything", "bits", "make_incompatibility"]


# --8<-- [start:Term]
@dataclass(frozen=True, slots=True)
class Term:
    """``name ∈ mask`` when positive; ``not name ∈ mask`` when negative."""

    name: str
    mask: int
    positive: bool

    def negate(self) -> Term:
        return Term(self.name, self.mask, not self.positive)

    def intersect(self, other: Term) -> Term:
        """Both terms at once (same name)."""
        if self.positive and other.positive:
            return Term(self.name, self.mask & other.mask, True)
        if self.positive:
            return Term(self.name, self.mask & ~other.mask, True)
        if other.positive:
            return Term(self.name, other.mask & ~self.mask, True)
        return Term(self.name, self.mask | other.mask, False)

    def satisfied_by(self, state: Term) -> bool:
        """Whether every possibility `state` allows makes this term true."""
        if state.positive:
            inside = state.mask & ~self.mask if self.positive else state.mask & self.mask
            return inside == 0
        return (not self.positive) and self.mask & ~state.mask == 0

    def contradicted_by(self, state: Term) -> bool:
        """Whether no possibility `state` allows makes this term true."""
        if state.positive:
            overlap = state.mask & self.mask if self.positive else state.mask & ~self.mask
            return overlap == 0
        return self.positive and self.mask & ~state.mask == 0
# --8<-- [end:Term]


def bits(mask: int):
    """Each set bit of `mask`, as a mask of its own, lowest first."""
    while mask:
        low = mask & -mask
        yield low
        mask ^= low


def anything(name: str) -> Term:
    """The state of a name nothing is known about: not installed, or installed as anything."""
    return Term(name, 0, False)



@dataclass(frozen=True, eq=False)
class Derived:
    """Learned during the search from two incompatibilities."""

    cause1: Incompatibility
    cause2: Incompatibility


@dataclass(eq=False)
class Incompatibility:
    """Terms that cannot all be true, and why: an external cause (one of `solver/report.py`'s
    `Requested`, `Depends`, ...), or `Derived`. `watched`: the positions of the (at most two)
    terms the search watches, and `witness` their witnesses (see `solver/watches.py`)."""

    terms: tuple[Term, ...]
    cause: object
    watched: list[int] = field(default_factory=list, repr=False)
    witness: list[int] = field(default_factory=list, repr=False)

    def term_for(self, name: str) -> Term | None:
        return next((t for t in self.terms if t.name == name), None)

    def is_failure(self) -> bool:
        return not self.terms


def make_incompatibility(terms: Iterable[Term], cause) -> Incompatibility | None:
    """Merge terms on the same name; drop always-true ones; None when it can never hold."""
    merged: dict[str, Term] = {}
    for term in terms:
        merged[term.name] = merged[term.name].intersect(term) if term.name in merged else term
    kept = []
    for term in merged.values():
        if term.positive and term.mask == 0:
            return None  # "installed as none of nothing" is false: the incompatibility is vacuous
        if not term.positive and term.mask == 0:
            continue  # "not installed as any of nothing" is always true
        kept.append(term)
    return Incompatibility(tuple(kept), cause)

