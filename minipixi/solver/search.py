"""The search: PubGrub's unit propagation and conflict-driven backjumping, over record masks.

Its vocabulary (terms, incompatibilities, masks) is `solver/incompatibility.py`; what it has
assumed so far is the `PartialSolution` of `solver/partial_solution.py`. Deriving the empty
incompatibility proves that no solution exists; `Unsolvable` carries it out, and
`solver/derivation.py` turns it into the data `solver/explain.py` writes out.

The loop (`Search.run`) alternates two steps until every required name is decided:

1. *Unit propagation*: an incompatibility whose terms all hold but one forces the opposite
   of that last term. If all terms hold, that is a conflict: walk back through the causes of the
   assignments that made it hold, deriving a new incompatibility, until it points at a decision
   that can be undone; backjump there and learn it.
2. *Decision*: pick an undecided required name the way resolvo (rattler's solver, and so
   Pixi's) picks it (`_next_name`: the specs first, in their order; then a name with a single
   candidate left; then the name of the oldest open requirement, unless a later one names a
   package both more active and with fewer candidates left), choose its best allowed record,
   and add that record's ``depends`` and ``constrains`` as incompatibilities.

Because the specs are decided first and in order, and every learned incompatibility is a true
fact, the first spec gets the best record any solution allows it, the second the best given
the first, and so on: the property the brute-force oracle in the tests checks.

What keeps hard problems fast (each is explained where it lives):

- **Learning and backjumping** (`resolve_conflict`): a dead end is learned once, as a fact, and
  the search jumps straight back to the decision that caused it.
- **Watched terms** (`solver/watches.py`): propagation looks only at the incompatibilities
  whose watched term a change could make true, so thousands of learned facts cost almost nothing.
- **Activity** (`_bump`, `_next_name`): a name that keeps meeting conflicts may be decided
  before older requirements, so the search works on the real trouble early.
- **Pigeonhole facts** (`solver/pigeonhole.py`): packages that must all have different versions,
  more of them than versions, cannot all be installed; learning alone would need exponentially
  many conflicts to find that out (a sudoku written as a channel is made of such packages).

Lesson: Episode 2, "Under the hood: the solver". Read after `solver/partial_solution.py`;
read next `solver/watches.py`, then `solver/pigeonhole.py` and `solver/report.py`. Ground truth:
PubGrub's ``doc/solver.md``, resolvo and MiniSat.
"""

from __future__ import annotations

from minipixi.errors import MatchSpecError
from minipixi.solver.incompatibility import Derived, Incompatibility, Term, make_incompatibility
from minipixi.solver.partial_solution import Assignment, PartialSolution
from minipixi.solver.pigeonhole import crowded_clique, different_from
from minipixi.solver.provider import Provider, as_spec, best_index, version_only
from minipixi.solver.report import Constrains, Constraint, Depends, Excluded, Malformed, Pigeonhole, Provided, Requested
from minipixi.solver.watches import CONFLICT, NOTHING, Watches


def spec_text(spec) -> str:
    """A spec as people write it (explanations quote it): text stays text, and a MatchSpec
    of a name and a version reads "numpy >=2" rather than conda's "numpy[version='>=2']"."""
    if isinstance(spec, str):
        return spec
    if version_only(spec) and spec.version is not None and not spec.namespace:
        return f"{spec.name} {spec.version}"
    return str(spec)



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



# --- the solver -------------------------------------------------------------------------------

DECAY = 0.95  # how fast the activity of names not met in recent conflicts fades (as in MiniSat)
MAX_TIED = 10_000  # names read when looking for pigeonhole facts (pigeonhole.py) ...
CLIQUE_BUDGET = 20_000  # ... and steps spent looking for a crowded clique among them


class Search:
    """One PubGrub run over a `Provider`. `run()` returns {name: record} or raises Unsolvable."""

    def __init__(self, provider: Provider, reporter: Reporter | None = None) -> None:
        self.provider = provider
        self.reporter = reporter or Reporter()
        self.solution = PartialSolution()
        self.watches = Watches(provider, self.solution)  # which facts to look at, and when
        self.activity: dict[str, float] = {}  # name -> how often it met conflicts lately
        self.opened: dict[tuple[str, int], int] = {}  # record -> when its dependencies were opened
        self.requirers: dict[str, list] = {}  # name -> (position, owner, index) of requirements on it
        self.bump = 1.0
        self.requested: list[str] = []
        self._touched: set[str] = set()
        self._added: set[tuple] = set()
        self._waiting: dict[str, list[tuple[str, str]]] = {}  # name -> constrains not yet added
        self.tied: dict[str, set[str]] = {}  # name -> names it must differ from (pigeonhole.py)
        self._cliques: set[frozenset] = set()
        self._ties_read: set[str] = set()
        self._versions_of: dict[str, set] = {}
        self.decision_count = 0
        self.conflict_count = 0

    # --8<-- [start:run]
    def run(self) -> dict:
        """Solve: propagate the task's facts, then decide and propagate until all is decided."""
        self._add_task_facts()
        changed = {}
        while changed is not None:
            self.propagate(changed)
            changed = self.decide()
        assert not self.solution.undecided, "a bug in the search: a required name was left undecided"
        candidates = self.provider.candidates
        return {name: candidates(name).records[i] for name, i in self.solution.decisions.items()}
    # --8<-- [end:run]

    def _add_task_facts(self) -> None:
        """Incompatibilities for the specs, constraints and virtual packages."""
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

    def _add_fact(self, terms: list[Term], cause) -> None:
        incompatibility = make_incompatibility(terms, cause)
        if incompatibility is None:
            return
        if incompatibility.is_failure():
            raise Unsolvable(incompatibility)
        self._add(incompatibility)

    def _add(self, incompatibility: Incompatibility) -> None:
        """Learn an incompatibility: watch two of its terms (see `solver/watches.py`)."""
        for term in incompatibility.terms:
            self._touch(term.name)
        self.watches.watch(incompatibility)

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

    def _assign(self, term: Term, cause: Incompatibility | None, changed: dict[str, int]) -> None:
        """Add an assignment; note in `changed` the possibilities of the name it ruled out."""
        possible = self.watches.possible
        before = possible(self.solution.state(term.name))
        self.solution.add(term, cause)
        ruled_out = before & ~possible(self.solution.states[term.name])
        changed[term.name] = changed.pop(term.name, 0) | ruled_out

    # --8<-- [start:propagate]
    def propagate(self, changed: dict[str, int]) -> None:
        """Unit propagation (PubGrub's ``propagate``): look at what was added while already unit,
        then, for each name whose state narrowed, at the watches whose witness it ruled out. An
        incompatibility with all terms but one true forces the opposite of that one; with all
        terms true it is a conflict: learn from it, backjump, and go on from what it forces."""
        watches = self.watches
        while changed or watches.pending:
            if watches.pending:
                incompatibility = watches.pending.pop()
                found = [(incompatibility, watches.relation(incompatibility))]
            else:
                found = watches.wake(*changed.popitem())
            for incompatibility, result in found:
                if result is CONFLICT:
                    learned = self.resolve_conflict(incompatibility)
                    unsatisfied = watches.relation(learned)
                    changed = {}
                    self._assign(unsatisfied.negate(), learned, changed)
                    break
                if result is not NOTHING:
                    self._assign(result.negate(), incompatibility, changed)
    # --8<-- [end:propagate]

    # --8<-- [start:resolve_conflict]
    def resolve_conflict(self, incompatibility: Incompatibility) -> Incompatibility:
        """Learn from a conflict; backjump; return the incompatibility that now propagates.

        Repeatedly replace the conflict by the union of itself and the cause of its most recent
        satisfier (a *resolution* step) until the satisfier is a decision, or is the only
        assignment of its decision level in play (SAT solvers call this the first unique
        implication point). The result is a new fact, true of every solution: learning it
        means no later branch of the search can walk into the same dead end, which is what
        makes hard proofs of unsolvability (a sudoku with no answer) finish. Backjumping goes
        straight to the level where the learned fact forces something, skipping every decision
        in between that had nothing to do with the conflict. The names of the learned fact gain
        *activity* (`_bump`), so the next decisions look at the names that keep conflicting.
        Raises Unsolvable on the empty incompatibility.
        """
        self.conflict_count += 1
        self.reporter.conflict(incompatibility)
        learned = False
        while not incompatibility.is_failure():
            satisfier, term, previous_level = self._satisfiers(incompatibility)
            if satisfier.is_decision or previous_level != satisfier.level:
                self._bump(incompatibility)
                self.reporter.backjumping(previous_level)
                self._backjump(previous_level)
                if learned:
                    self._add(incompatibility)
                else:  # already known: watch the terms that are open again after the backjump
                    self.watches.unwatch(incompatibility)
                    self.watches.watch(incompatibility)
                if incompatibility in self.watches.pending:
                    self.watches.pending.remove(incompatibility)  # propagate forces it at once
                self.bump /= DECAY
                return incompatibility
            incompatibility = self._resolve(incompatibility, satisfier, term)
            learned = True
        raise Unsolvable(incompatibility)
    # --8<-- [end:resolve_conflict]

    def _backjump(self, level: int) -> None:
        """Undo every assignment above `level`, and tell the watches (see `Watches.backjumped`)."""
        self.solution.backtrack(level)
        self.watches.backjumped(level)

    def _bump(self, incompatibility: Incompatibility) -> None:
        """Raise the activity of the names in a learned fact (VSIDS, from the SAT solver Chaff),
        scored as resolvo scores its learned clause: one bump per record the fact names. A
        clause speaks of records, so "numpy is not 1.x" names every 1.x record (each one a
        bump) while "numpy is 2.0" names the one that was chosen. Recent conflicts count
        more: `bump` grows by 1/DECAY after each one, the same as fading every activity by
        DECAY (resolvo's 0.95) without touching them all."""
        for term in incompatibility.terms:
            weight = 1 if term.positive else term.mask.bit_count() or 1
            self.activity[term.name] = self.activity.get(term.name, 0.0) + weight * self.bump
        if self.bump > 1e100:  # rescale everything, keeping the order
            self.activity = {name: value * 1e-100 for name, value in self.activity.items()}
            self.bump *= 1e-100

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
    def decide(self) -> dict[str, int] | None:
        """Decide one name; return the names to propagate, or None when all are decided.

        The chosen record's depends and constrains become facts first; if one of them already
        rules the record out (it is unit), propagation says so instead of a doomed decision."""
        name = self._next_name()
        if name is None:
            return None
        index = best_index(self.solution.state(name).mask)
        before, changed = len(self.watches.pending), {}
        self._add_record_facts(name, index)
        if len(self.watches.pending) == before:
            record = self.provider.candidates(name).records[index]
            self.reporter.deciding(name, record)
            self.decision_count += 1
            self._assign(Term(name, 1 << index, True), None, changed)
        return changed
    # --8<-- [end:decide]

    # --8<-- [start:next_name]
    def _next_name(self) -> str | None:
        """Which name to decide next: resolvo's rule, so that minipixi's answers are Pixi's.

        The specs' names come first, in their order (so they get the best records any solution
        allows). After them, a name can only be decided through a *requirement*: one dependency
        of a record decided earlier whose dependencies are *open* (see `_open_batch`). Those
        requirements are read in the order they were opened, oldest first, and:

        - a name with a single candidate left is taken first (resolvo propagates it: no choice);
        - otherwise the first open requirement wins, unless a later one names a package with
          both more *activity* (met in recent conflicts) and fewer candidates left.

        Oldest first is what resolvo, and so rattler and Pixi, do: where two solutions are
        equally good (``lowest`` leaves many), deciding in the same order gives the same one.
        A name required by no open requirement (a virtual package nothing depends on) is
        decided last, in the order it was first required.
        """
        solution = self.solution
        for name in self.requested:
            if name in solution.undecided:
                return name
        while True:
            open_names = self._open_requirements()
            if open_names:
                return self._first_or_hotter(open_names)
            if not self._open_batch():
                break
        return min(solution.undecided, key=solution.first_required.__getitem__, default=None)

    def _open_requirements(self) -> list[tuple[tuple[int, int], str]]:
        """Each undecided name with the position of its oldest open requirement, oldest first:
        a dependency of a record that is decided now and whose dependencies were opened."""
        decisions, found = self.solution.decisions, []
        for name in self.solution.undecided:
            for position, owner, index in self.requirers.get(name, ()):
                if decisions.get(owner) == index:
                    found.append((position, name))
                    break
        found.sort()
        return found

    def _first_or_hotter(self, open_names: list[tuple[tuple[int, int], str]]) -> str:
        """The first name with a single candidate left; else the oldest, unless a later one is
        both more active and has fewer candidates left than the best so far (resolvo's rule)."""
        states, activity = self.solution.states, self.activity
        best, best_activity, best_count = None, 0.0, 0
        for _, name in open_names:
            count = states[name].mask.bit_count()
            if count == 1:
                return name
            if best is None or (activity.get(name, 0.0) > best_activity and count < best_count):
                best, best_activity, best_count = name, activity.get(name, 0.0), count
        return best

    def _open_batch(self) -> bool:
        """Open the dependencies of every decided record whose dependencies are not open yet,
        in the order they were decided; say whether there were any.

        resolvo reads a package's dependencies (its *requires clauses*) only once nothing open
        is left to decide, all the packages decided since the last time together, so its search
        goes level by level through the dependency graph; the positions given here (record,
        then dependency) are the order its requirements are read in later."""
        opened = False
        for name, index in self.solution.decisions.items():
            if (name, index) in self.opened:
                continue
            self.opened[(name, index)] = position = len(self.opened)
            opened = True
            seen, target_of = set(), self.provider.target_of
            for k, text in enumerate(self.provider.dependencies(name, index) or ()):
                target = target_of(text)
                if target is not None and target not in seen:
                    seen.add(target)
                    self.requirers.setdefault(target, []).append(((position, k), name, index))
        return opened
    # --8<-- [end:next_name]

    def _add_record_facts(self, name: str, index: int) -> None:
        """The depends and constrains of the chosen record, each grouped over every record of
        the name that lists the same text. A constrains on a name nothing has required yet
        waits until something does (until then it cannot matter, and its records stay unread)."""
        record = self.provider.candidates(name).records[index]
        if name not in self._ties_read:
            self._add_pigeonhole_facts(name)
        new = []
        for text in record.depends:
            if (name, "d", text) not in self._added:
                self._added.add((name, "d", text))
                new.append(self._depends_fact(name, text))
        for text in record.constrains:
            if (name, "c", text) not in self._added:
                self._added.add((name, "c", text))
                target = self.provider.target_of(text)
                if target is None:
                    new.append(Incompatibility((Term(name, self.provider.constrains_groups(name)[text], True),),
                                               Malformed(name, text, "cannot be parsed")))
                elif target in self._touched:
                    new.append(self._constrains_fact(name, text))
                else:
                    self._waiting.setdefault(target, []).append((name, text))
        for incompatibility in new:
            if incompatibility is not None:
                self._add(incompatibility)

    def _add_pigeonhole_facts(self, name: str) -> None:
        """Read which names `name` must differ from, and theirs, and so on (a sudoku's cells are
        all tied together); then add a pigeonhole fact "not all of these can be installed" for
        a clique of more tied names than versions, if there is one."""
        component, queue = [], [name]
        while queue and len(component) < MAX_TIED:
            current = queue.pop()
            if current in self._ties_read:
                continue
            self._ties_read.add(current)
            targets = different_from(self.provider, current)
            if targets:
                component.append(current)
            for target in sorted(targets):
                self.tied.setdefault(current, set()).add(target)
                self.tied.setdefault(target, set()).add(current)
                queue.append(target)
        budget = [CLIQUE_BUDGET]
        for start in component:
            clique = crowded_clique(self.tied, start, self._version_count, budget)
            if clique is not None and frozenset(clique) not in self._cliques:
                self._cliques.add(frozenset(clique))
                self._add_pigeonhole_fact(sorted(clique))
                return

    def _add_pigeonhole_fact(self, clique: list[str]) -> None:
        candidates = self.provider.candidates
        versions = {r.parsed_version.sort_key: r.version for n in clique for r in candidates(n).records}
        terms = tuple(Term(n, candidates(n).full, True) for n in clique)
        ordered = tuple(versions[k] for k in sorted(versions))
        self._add(Incompatibility(terms, Pigeonhole(tuple(clique), ordered)))

    def _version_count(self, names) -> int:
        """How many distinct versions the candidates of `names` have between them."""
        keys = set()
        for n in names:
            found = self._versions_of.get(n)
            if found is None:
                found = self._versions_of[n] = {r.parsed_version.sort_key for r in self.provider.candidates(n).records}
            keys |= found
        return len(keys)

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

