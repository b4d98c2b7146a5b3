"""The search: PubGrub's unit propagation and conflict-driven backjumping, over record masks.

Vocabulary (PubGrub's, from dart-lang/pub ``doc/solver.md``):

- A **term** is a statement about one package name: ``pytorch ∈ {these records}`` (positive:
  installed, as one of them) or ``not pytorch ∈ {these records}`` (negative: not installed, or
  installed as another record). The set is a *mask* over the name's candidates (see
  `provider.py`), so intersections and unions are ``&`` and ``|`` on Python ints.
- An **incompatibility** is a set of terms that cannot all be true. Facts from outside the
  search are *external* ("every build of pytorch 2.7.0 depends on __cuda" is
  ``{pytorch ∈ 2.7.0 builds, not __cuda ∈ anything}``); the search *derives* new ones from two
  causes when it meets a conflict. Deriving the empty incompatibility proves that no solution
  exists, and its two causes, recursively, are the explanation (`explain.py` writes it out).
- The **partial solution** is a list of assignments: **decisions** (we picked a record) and
  **derivations** (an incompatibility forced a term). Each has a decision level.

The loop (`Search.run`) alternates two steps until every required name is decided:

1. *Unit propagation*: an incompatibility whose terms all hold but one forces the opposite
   of that last term. If all terms hold, that is a conflict: walk back through the causes of the
   assignments that made it hold, deriving a new incompatibility, until it points at a decision
   that can be undone; backjump there and learn it.
2. *Decision*: pick an undecided required name (the specs first, in their order; then a name
   with a single candidate left; then the name required most recently), choose its best
   allowed record, and add that record's ``depends`` and ``constrains`` as incompatibilities.

Because the specs are decided first and in order, and every learned incompatibility is a true
fact, the first spec gets the best record any solution allows it, the second the best given
the first, and so on: the property the brute-force oracle in the tests checks.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Iterable

from minipixi.errors import MatchSpecError
from minipixi.solver.provider import Provider, as_spec, best_index, version_only


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


def spec_text(spec) -> str:
    """A spec as people write it (explanations quote it): text stays text, and a MatchSpec
    of a name and a version reads "numpy >=2" rather than conda's "numpy[version='>=2']"."""
    if isinstance(spec, str):
        return spec
    if version_only(spec) and spec.version is not None and not spec.namespace:
        return f"{spec.name} {spec.version}"
    return str(spec)


def anything(name: str) -> Term:
    """The state of a name nothing is known about: not installed, or installed as anything."""
    return Term(name, 0, False)


# --- causes: why an incompatibility holds (rendered by explain.py) ---------------------------


@dataclass(frozen=True)
class Requested:
    """The task asks for `spec`."""

    spec: str


@dataclass(frozen=True)
class Constraint:
    """The task constrains `spec` (not installed, unless something else needs it)."""

    spec: str


@dataclass(frozen=True)
class Depends:
    """Records of `name` depend on `spec`."""

    name: str
    spec: str


@dataclass(frozen=True)
class Constrains:
    """Records of `name` constrain `spec`: if its name is installed, it must match."""

    name: str
    spec: str


@dataclass(frozen=True)
class Provided:
    """The platform provides this virtual package (it is always installed)."""

    name: str
    versions: tuple[str, ...]


@dataclass(frozen=True)
class Excluded:
    """Records of `name` that may not be used: `reason` is "channel-priority" or "pinned"."""

    name: str
    reason: str


@dataclass(frozen=True)
class Malformed:
    """Records of `name` list a spec that cannot be parsed: they are never picked."""

    name: str
    spec: str
    problem: str


@dataclass(frozen=True, eq=False)
class Derived:
    """Learned during the search from two incompatibilities."""

    cause1: Incompatibility
    cause2: Incompatibility


@dataclass(eq=False)
class Incompatibility:
    """Terms that cannot all be true, and why (an external cause, or `Derived`)."""

    terms: tuple[Term, ...]
    cause: object

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


class Unsolvable(Exception):
    """The search derived the empty incompatibility: `incompatibility` is the proof."""

    def __init__(self, incompatibility: Incompatibility) -> None:
        super().__init__("no solution")
        self.incompatibility = incompatibility


class Reporter:
    """Hooks for watching a search (all do nothing); subclass to trace or count."""

    def deciding(self, name: str, record) -> None: ...

    def conflict(self, incompatibility: Incompatibility) -> None: ...

    def backjumping(self, level: int) -> None: ...


# --- the partial solution ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assignment:
    term: Term
    level: int
    cause: Incompatibility | None  # None for a decision
    index: int  # position in the partial solution

    @property
    def is_decision(self) -> bool:
        return self.cause is None


class PartialSolution:
    """Assignments in order, plus each name's accumulated state (all its assignments at once)."""

    def __init__(self) -> None:
        self.assignments: list[Assignment] = []
        self.by_name: dict[str, list[Assignment]] = {}
        self.states: dict[str, Term] = {}
        self.decisions: dict[str, int] = {}  # name -> candidate index
        self.undecided: set[str] = set()  # names that must be installed but have no decision yet
        self.first_required: dict[str, int] = {}  # name -> when it first had to be installed
        self.queue: list[tuple[bool, int, str]] = []  # heap of (several left, -order, name)
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
        """Keep `undecided` current, and queue the name for `next_undecided`."""
        state = self.states.get(name)
        if state is None or not state.positive or name in self.decisions:
            self.undecided.discard(name)
            return
        order = self.first_required.setdefault(name, len(self.first_required))
        single = state.mask & (state.mask - 1) == 0
        self.undecided.add(name)
        # A fresh entry each time: the state may have gone from one candidate to several (after a
        # backjump), and an entry that no longer fits is dropped by `next_undecided`.
        heapq.heappush(self.queue, (not single, -order, name))

    def next_undecided(self) -> str | None:
        """An undecided name with a single candidate left (no choice to get wrong), else the one
        required most recently (depth first). Stale queue entries are dropped lazily."""
        while self.queue:
            several, _, name = self.queue[0]
            state = self.states.get(name)
            if name in self.undecided and (several or state.mask & (state.mask - 1) == 0):
                return name
            heapq.heappop(self.queue)
        return None

    def satisfier(self, term: Term) -> Assignment:
        """The earliest assignment after which the accumulated state of the name satisfies `term`."""
        state = None
        for assignment in self.by_name.get(term.name, ()):
            state = assignment.term if state is None else state.intersect(assignment.term)
            if term.satisfied_by(state):
                return assignment
        raise AssertionError(f"{term} is not satisfied")  # a bug in the search, not the user


# --- the solver -------------------------------------------------------------------------------

CONFLICT = object()
NOTHING = object()


class Search:
    """One PubGrub run over a `Provider`. `run()` returns {name: record} or raises Unsolvable."""

    def __init__(self, provider: Provider, reporter: Reporter | None = None) -> None:
        self.provider = provider
        self.reporter = reporter or Reporter()
        self.solution = PartialSolution()
        self.incompatibilities: dict[str, list[Incompatibility]] = {}
        self.requested: list[str] = []
        self._touched: set[str] = set()
        self._added: set[tuple] = set()
        self._waiting: dict[str, list[tuple[str, str]]] = {}  # name -> constrains not yet added
        self.decision_count = 0
        self.conflict_count = 0

    # --8<-- [start:run]
    def run(self) -> dict:
        """Solve: propagate the task's facts, then decide and propagate until all is decided."""
        changed = self._add_task_facts()
        while changed is not None:
            self.propagate(changed)
            changed = self.decide()
        assert not self.solution.undecided, "a bug in the search: a required name was left undecided"
        candidates = self.provider.candidates
        return {name: candidates(name).records[i] for name, i in self.solution.decisions.items()}
    # --8<-- [end:run]

    def _add_task_facts(self) -> list[str]:
        """Incompatibilities for the specs, constraints and virtual packages; names to propagate."""
        task, provider = self.provider.task, self.provider
        for name, records in provider.virtual.items():
            versions = tuple(r.version for r in records)
            full = provider.candidates(name).full
            self._add_fact([Term(name, full, False)], Provided(name, versions))
        for text in map(spec_text, task.specs):
            spec = as_spec(text)
            self._add_fact([Term(spec.name, provider.matches(text), False)], Requested(text))
            if spec.name not in self.requested:
                self.requested.append(spec.name)
        for text in map(spec_text, task.constraints):
            spec = as_spec(text)
            bad = provider.candidates(spec.name).full & ~provider.matches(text)
            self._add_fact([Term(spec.name, bad, True)], Constraint(text))
        return list(self.incompatibilities)

    def _add_fact(self, terms: list[Term], cause) -> None:
        incompatibility = make_incompatibility(terms, cause)
        if incompatibility is None:
            return
        if incompatibility.is_failure():
            raise Unsolvable(incompatibility)
        self._add(incompatibility)

    def _add(self, incompatibility: Incompatibility) -> None:
        for term in incompatibility.terms:
            self._touch(term.name)
            self.incompatibilities.setdefault(term.name, []).append(incompatibility)

    def _touch(self, name: str) -> None:
        """The first time a name appears: add the exclusions of its candidates, and the
        constrains that were waiting for it, as facts."""
        if name in self._touched:
            return
        self._touched.add(name)
        for reason, mask in self.provider.candidates(name).excluded.items():
            self._add(Incompatibility((Term(name, mask, True),), Excluded(name, reason)))
        for owner, text in self._waiting.pop(name, ()):
            incompatibility = self._constrains_fact(owner, text)
            if incompatibility is not None:
                self._add(incompatibility)

    # --8<-- [start:propagate]
    def propagate(self, names: Iterable[str]) -> None:
        """Unit propagation from the names whose state changed (PubGrub's ``propagate``)."""
        changed = list(dict.fromkeys(names))
        while changed:
            name = changed.pop()
            for incompatibility in reversed(self.incompatibilities.get(name, [])):
                result = self._relation(incompatibility)
                if result is CONFLICT:
                    learned = self.resolve_conflict(incompatibility)
                    unsatisfied = self._relation(learned)
                    self.solution.add(unsatisfied.negate(), learned)
                    changed = [unsatisfied.name]
                    break
                if result is not NOTHING:
                    self.solution.add(result.negate(), incompatibility)
                    if result.name not in changed:
                        changed.append(result.name)
    # --8<-- [end:propagate]

    def _relation(self, incompatibility: Incompatibility):
        """CONFLICT if all terms hold; the one term that does not, if only one; else NOTHING."""
        unsatisfied = None
        states = self.solution.states
        for term in incompatibility.terms:
            state = states.get(term.name)  # None: nothing known, so neither satisfied nor contradicted
            if state is not None and term.satisfied_by(state):
                continue
            if unsatisfied is not None or (state is not None and term.contradicted_by(state)):
                return NOTHING
            unsatisfied = term
        return CONFLICT if unsatisfied is None else unsatisfied

    # --8<-- [start:resolve_conflict]
    def resolve_conflict(self, incompatibility: Incompatibility) -> Incompatibility:
        """Learn from a conflict; backjump; return the incompatibility that now propagates.

        Repeatedly replace the conflict by the union of itself and the cause of its most recent
        satisfier (a *resolution* step) until the satisfier is a decision, or is the only
        assignment of its decision level in play. Raises Unsolvable on the empty incompatibility.
        """
        self.conflict_count += 1
        self.reporter.conflict(incompatibility)
        learned = False
        while not incompatibility.is_failure():
            satisfier, term, previous_level = self._satisfiers(incompatibility)
            if satisfier.is_decision or previous_level != satisfier.level:
                if learned:
                    self._add(incompatibility)
                self.reporter.backjumping(previous_level)
                self.solution.backtrack(previous_level)
                return incompatibility
            incompatibility = self._resolve(incompatibility, satisfier, term)
            learned = True
        raise Unsolvable(incompatibility)
    # --8<-- [end:resolve_conflict]

    def _satisfiers(self, incompatibility: Incompatibility):
        """The most recent satisfier, its term, and the level of the one before (PubGrub)."""
        solution = self.solution
        latest, latest_term, previous_level = None, None, 0
        for term in incompatibility.terms:
            satisfier = solution.satisfier(term)
            if latest is None or latest.index < satisfier.index:
                if latest is not None:
                    previous_level = max(previous_level, latest.level)
                latest, latest_term = satisfier, term
            else:
                previous_level = max(previous_level, satisfier.level)
        difference = latest.term.intersect(latest_term.negate())
        if not (difference.positive and difference.mask == 0):
            previous_level = max(previous_level, solution.satisfier(difference.negate()).level)
        return latest, latest_term, previous_level

    def _resolve(self, incompatibility, satisfier: Assignment, term: Term) -> Incompatibility:
        """One resolution step: combine the conflict with the cause of its satisfier."""
        name = satisfier.term.name
        terms = [t for t in incompatibility.terms if t.name != name]
        terms += [t for t in satisfier.cause.terms if t.name != name]
        difference = satisfier.term.intersect(term.negate())
        if not (difference.positive and difference.mask == 0):
            terms.append(difference.negate())
        prior = make_incompatibility(terms, Derived(incompatibility, satisfier.cause))
        return prior

    # --8<-- [start:decide]
    def decide(self) -> list[str] | None:
        """Decide one name; return the names to propagate, or None when all are decided."""
        name = self._next_name()
        if name is None:
            return None
        index = best_index(self.solution.state(name).mask)
        new = self._add_record_facts(name, index)
        if not any(self._blocks(incompatibility, name) for incompatibility in new):
            record = self.provider.candidates(name).records[index]
            self.reporter.deciding(name, record)
            self.decision_count += 1
            self.solution.add(Term(name, 1 << index, True), None)
        return [name]
    # --8<-- [end:decide]

    def _next_name(self) -> str | None:
        """Which name to decide next: the specs' names first, in their order; then a name with
        a single candidate left; then the name required most recently (depth first: finish a
        package's dependencies before moving on)."""
        for name in self.requested:
            if name in self.solution.undecided:
                return name
        return self.solution.next_undecided()

    def _blocks(self, incompatibility: Incompatibility, name: str) -> bool:
        """Whether deciding `name` would at once violate this new incompatibility."""
        return all(
            term.name == name or term.satisfied_by(self.solution.state(term.name))
            for term in incompatibility.terms
        )

    def _add_record_facts(self, name: str, index: int) -> list[Incompatibility]:
        """The depends and constrains of the chosen record, each grouped over every record of
        the name that lists the same text. A constrains on a name nothing has required yet
        waits until something does (until then it cannot matter, and its records stay unread)."""
        record = self.provider.candidates(name).records[index]
        new = []
        for text in record.depends:
            if (name, "d", text) not in self._added:
                self._added.add((name, "d", text))
                new.append(self._depends_fact(name, text))
        for text in record.constrains:
            if (name, "c", text) not in self._added:
                self._added.add((name, "c", text))
                target = self._constrains_target(name, text)
                if target is None:
                    new.append(Incompatibility((Term(name, self.provider.constrains_groups(name)[text], True),),
                                               Malformed(name, text, "cannot be parsed")))
                elif target in self._touched:
                    new.append(self._constrains_fact(name, text))
                else:
                    self._waiting.setdefault(target, []).append((name, text))
        new = [i for i in new if i is not None]
        for incompatibility in new:
            self._add(incompatibility)
        return new

    @staticmethod
    def _constrains_target(name: str, text: str) -> str | None:
        try:
            return as_spec(text).name
        except MatchSpecError:
            return None

    def _depends_fact(self, name: str, text: str) -> Incompatibility | None:
        """{name ∈ records listing `text`, not target ∈ what `text` matches}."""
        provider, group = self.provider, self.provider.depends_groups(name)[text]
        try:
            target = as_spec(text).name
        except MatchSpecError as error:  # a broken record in the channel: never pick it
            return Incompatibility((Term(name, group, True),), Malformed(name, text, error.message))
        terms = [Term(name, group, True), Term(target, provider.matches(text), False)]
        return make_incompatibility(terms, Depends(name, text))

    def _constrains_fact(self, name: str, text: str) -> Incompatibility | None:
        """{name ∈ records listing `text`, target ∈ what `text` does not match}."""
        provider, group = self.provider, self.provider.constrains_groups(name)[text]
        target = as_spec(text).name
        bad = provider.candidates(target).full & ~provider.matches(text)
        terms = [Term(name, group, True), Term(target, bad, True)]
        return make_incompatibility(terms, Constrains(name, text))
