"""The partial solution: what the search has assumed so far, in order, and why.

A list of *assignments*, each a term with a decision level: **decisions** ("take numpy
2.1.0", which opens a new level) and **derivations** (an incompatibility forced a term; its
cause is kept, for conflict resolution to walk back through). For each name it also keeps the
accumulated state, all its assignments intersected, since that is what every question of the
search asks about ("does this term hold now?"). Backtracking drops every assignment above a
level and recomputes the states of the names they touched.

Lesson: Episode 2, "Under the hood: the solver". Read after `solver/incompatibility.py`; read
next `solver/search.py`. Ground truth: PubGrub's ``doc/solver.md`` ("Partial Solution").
"""

from __future__ import annotations

from dataclasses import dataclass

from minipixi.solver.incompatibility import Incompatibility, Term, anything
from minipixi.solver.provider import best_index

__all__ = ["Assignment", "PartialSolution"]


@dataclass(frozen=True, slots=True)
class Assignment:
    """One step of the partial solution: a decision (no cause) or a term forced by `cause`."""

    term: Term
    level: int
    cause: Incompatibility | None  # None for a decision
    index: int  # position in the partial solution

    @property
    def is_decision(self) -> bool:
        return self.cause is None


# --8<-- [start:partial-solution]
class PartialSolution:
    """Assignments in order, plus each name's accumulated state (all its assignments at once)."""

    def __init__(self) -> None:
        self.assignments: list[Assignment] = []
        self.by_name: dict[str, list[Assignment]] = {}
        self.states: dict[str, Term] = {}
        self.decisions: dict[str, int] = {}  # name -> candidate index
        self.undecided: set[str] = set()  # names that must be installed but have no decision yet
        self.first_required: dict[str, int] = {}  # name -> when it first had to be installed
        self.level = 0

    def state(self, name: str) -> Term:
        return self.states.get(name) or anything(name)

    def add(self, term: Term, cause: Incompatibility | None) -> None:
        if cause is None:
            self.level += 1
            self.decisions[term.name] = best_index(term.mask)
        assignment = Assignment(term, self.level, cause, len(self.assignments))
        self.assignments.append(assignment)
        self.by_name.setdefault(term.name, []).append(assignment)
        previous = self.states.get(term.name)
        self.states[term.name] = term if previous is None else previous.intersect(term)
        self._note_undecided(term.name)

    def backtrack(self, level: int) -> None:
        """Forget every assignment made above `level`."""
        while self.assignments and self.assignments[-1].level > level:
            gone = self.assignments.pop()
            self.by_name[gone.term.name].pop()
            if gone.is_decision:
                del self.decisions[gone.term.name]
            self._recompute(gone.term.name)
        self.level = level

    def _recompute(self, name: str) -> None:
        state = None
        for assignment in self.by_name[name]:
            state = assignment.term if state is None else state.intersect(assignment.term)
        if state is None:
            self.states.pop(name, None)
        else:
            self.states[name] = state
        self._note_undecided(name)

    def _note_undecided(self, name: str) -> None:
        """Keep `undecided` current: installed (a positive state) but not decided yet."""
        state = self.states.get(name)
        if state is None or not state.positive or name in self.decisions:
            self.undecided.discard(name)
        else:
            self.first_required.setdefault(name, len(self.first_required))
            self.undecided.add(name)

    def satisfier_and_before(self, term: Term) -> tuple[Assignment, Term | None]:
        """`satisfier(term)`, and the name's state just before it (None: nothing known)."""
        state = None
        for assignment in self.by_name.get(term.name, ()):
            before = state
            state = assignment.term if state is None else state.intersect(assignment.term)
            if term.satisfied_by(state):
                return assignment, before
        raise AssertionError(f"{term} is not satisfied")

    def satisfier(self, term: Term) -> Assignment:
        """The earliest assignment after which the accumulated state of the name satisfies `term`."""
        state = None
        for assignment in self.by_name.get(term.name, ()):
            state = assignment.term if state is None else state.intersect(assignment.term)
            if term.satisfied_by(state):
                return assignment
        raise AssertionError(f"{term} is not satisfied")  # a bug in the search, not the user
# --8<-- [end:partial-solution]

