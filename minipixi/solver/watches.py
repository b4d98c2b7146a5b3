"""Watched terms: which incompatibilities to look at when a name's state narrows.

The search knows thousands of incompatibilities (a record's dependencies, and every fact it
learned from a conflict). After each assignment it must find those that have become *unit*
(all terms but one hold: the last one is forced false) or *conflicting* (all terms hold),
without reading them all. This module is that bookkeeping, kept apart from the loop in
`solver/search.py` that decides and learns:

- `possible(term)` is what a term, or a name's state, allows, as a mask with one extra bit for
  "not installed"; a term holds when the state allows nothing the term does not.
- `watch(incompatibility)` picks two of its terms to watch, each with a *witness*: one
  possibility its name still has that the term does not allow. A watched term can only come to
  hold once its witness is ruled out, so `wake(name, ruled_out)` visits only the watches whose
  witness was just ruled out, moves them on, and yields what is unit or conflicting.
- `pending` holds what was unit or conflicting already when it was added; `early`, what would
  have been unit at a lower level had it been known then (a backjump must look at it again:
  `backjumped`).

Lesson: Episode 2, "Under the hood: the solver". Read after `solver/search.py` (the loop that
calls these); read next `solver/pigeonhole.py`. Ground truth: the two-watched-literal scheme of
SAT solvers (Chaff, MiniSat) and resolvo's ``watch_map.rs``.
"""

from __future__ import annotations

from minipixi.solver.incompatibility import Incompatibility, Term, anything, bits
from minipixi.solver.partial_solution import PartialSolution
from minipixi.solver.provider import Provider

__all__ = ["CONFLICT", "NOTHING", "Watches"]

CONFLICT = object()  # what `relation` and `wake` say of an incompatibility whose terms all hold
NOTHING = object()  # ... and of one with two or more terms still open, or one already false


class Watches:
    """The watches of one search: two per incompatibility, filed by name and witness bit."""

    def __init__(self, provider: Provider, solution: PartialSolution) -> None:
        self.provider = provider
        self.solution = solution
        self.watching: dict[str, dict[int, list]] = {}  # name -> witness bit -> watches
        self._full: dict[str, int] = {}  # name -> mask of all its candidates
        self.pending: list[Incompatibility] = []  # added while already unit (or conflicting)
        self.early: list[tuple[Incompatibility, int]] = []  # added above the level they were unit from

    # --8<-- [start:watch]
    def possible(self, term: Term) -> int:
        """What `term` (or a name's state) allows, as a mask: bit i for candidate i, and one bit
        above them for "not installed". A term holds in a state when the state allows nothing
        the term does not: ``possible(state) & ~possible(term) == 0``."""
        full = self._full.get(term.name)
        if full is None:
            full = self._full[term.name] = self.provider.candidates(term.name).full
        return term.mask if term.positive else (full + 1) | (full & ~term.mask)

    def watch(self, incompatibility: Incompatibility) -> None:
        """Choose two terms to watch (ones that do not hold yet, if there are), and for each a
        *witness*: one possibility its name still has that the term does not allow.

        This is the two-watched-literal scheme of SAT solvers (resolvo uses it too), and it is
        why propagation stays fast with thousands of learned facts: an incompatibility can only
        become unit or conflicting once all but one of its terms hold, and a watched term can
        only come to hold when its witness is ruled out. So when a name's state narrows, the
        search looks only at the watches whose witness was just ruled out (`wake`); undoing
        assignments never needs a watch moved. An incompatibility that is unit or conflicting
        already when it is added goes to `pending`, for `Search.propagate` to look at first.
        """
        order = []
        for k, term in enumerate(incompatibility.terms):
            state = self.solution.state(term.name)
            witness = self.possible(state) & ~self.possible(term)
            if witness:
                order.append((False, 0, k, witness))
                continue
            # It holds: the witness is one the assignment that made it hold ruled out, so that
            # undoing that assignment (the only way it stops holding) wakes the watch again.
            satisfier, before = self.solution.satisfier_and_before(term)
            witness = self.possible(before or anything(term.name)) & ~self.possible(term)
            order.append((True, -satisfier.index, k, witness))
        order.sort(key=lambda item: item[:3])
        incompatibility.watched = [k for _, _, k, _ in order[:2]]
        incompatibility.witness = [w & -w for _, _, _, w in order[:2]]
        for slot, k in enumerate(incompatibility.watched):
            buckets = self.watching.setdefault(incompatibility.terms[k].name, {})
            buckets.setdefault(incompatibility.witness[slot], []).append((incompatibility, slot))
        if len(order) == 1 or order[1][0]:  # all but one term (or all) hold already
            self.pending.append(incompatibility)
            held = [self.solution.satisfier(t).level for t in incompatibility.terms
                    if not (self.possible(self.solution.state(t.name)) & ~self.possible(t))]
            if held and max(held) < self.solution.level:
                # It would have propagated at a lower level, had it been known then: a backjump
                # to a level in between must force it again (see `backjumped`).
                self.early.append((incompatibility, max(held)))

    def unwatch(self, incompatibility: Incompatibility) -> None:
        for slot, k in enumerate(incompatibility.watched):
            bucket = self.watching[incompatibility.terms[k].name][incompatibility.witness[slot]]
            bucket[:] = [entry for entry in bucket if entry[0] is not incompatibility]
    # --8<-- [end:watch]


    def backjumped(self, level: int) -> None:
        """After a backjump to `level`: facts that were added at a higher level but were unit
        from a level at or below `level` (a record's dependencies are only read when it is
        decided) must be looked at again: what they forced was undone with the rest."""
        kept = []
        for incompatibility, unit_from in self.early:
            if unit_from <= level:
                self.pending.append(incompatibility)
                if unit_from < level:
                    kept.append((incompatibility, unit_from))
        self.early = kept

    def wake(self, name: str, ruled_out: int):
        """Visit the watches on `name` whose witness was just ruled out.

        A watch whose term still does not hold moves to a new witness. One whose term now holds
        moves to another term of its incompatibility that does not hold; when there is none,
        the incompatibility is unit (yield the other watched term, to be forced false) or a
        conflict (yield CONFLICT). One whose other watched term is already false is satisfied
        and keeps its watches."""
        buckets = self.watching.get(name)
        if not buckets:
            return
        allowed = self.possible(self.solution.states[name])
        if len(buckets) <= ruled_out.bit_count():
            hit = [bit for bit in buckets if bit & ruled_out]
        else:
            hit = [bit for bit in bits(ruled_out) if bit in buckets]
        for bit in hit:
            bucket = buckets.get(bit)
            i = len(bucket) if bucket else 0
            while i > 0:  # newest first, as PubGrub advises: learned facts say the most
                i -= 1
                incompatibility, slot = bucket[i]
                terms, watched = incompatibility.terms, incompatibility.watched
                witness = allowed & ~self.possible(terms[watched[slot]])
                if witness:  # the term still does not hold: a new witness
                    self._move(bucket, i, incompatibility, slot, watched[slot], witness & -witness)
                    continue
                other = watched[1 - slot] if len(watched) == 2 else None
                replacement = self._open_term(incompatibility, other, watched[slot])
                if replacement is not None:
                    k, witness = replacement
                    self._move(bucket, i, incompatibility, slot, k, witness & -witness)
                    continue
                result = self.relation(incompatibility)
                if result is not NOTHING:
                    yield incompatibility, result

    def _open_term(self, incompatibility: Incompatibility, *skip: int):
        """A term (its position and witnesses) that does not hold, other than those in `skip`."""
        states = self.solution.states
        for k, term in enumerate(incompatibility.terms):
            if k not in skip:
                state = states.get(term.name)
                witness = self.possible(state or anything(term.name)) & ~self.possible(term)
                if witness:
                    return k, witness
        return None

    def _move(self, bucket: list, i: int, incompatibility: Incompatibility, slot: int, k: int, bit: int) -> None:
        """Move watch `slot` of `incompatibility` (entry `i` of `bucket`) to term `k`, witness `bit`
        (swap-remove: the entries after `i` were visited already)."""
        bucket[i] = bucket[-1]
        bucket.pop()
        incompatibility.watched[slot] = k
        incompatibility.witness[slot] = bit
        buckets = self.watching.setdefault(incompatibility.terms[k].name, {})
        buckets.setdefault(bit, []).append((incompatibility, slot))

    def relation(self, incompatibility: Incompatibility):
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
