"""Explaining a failed solve: the derivation of the empty incompatibility, written as sentences.

When the search proves that nothing fits, it holds a proof: the empty incompatibility, derived
from two causes, each derived from two more, down to external facts ("the environment requires
pytorch-gpu 2.7.*", "every build of pytorch-gpu 2.7.0 depends on __cuda", "linux-64 provides no
__cuda"). This module turns that tree into text, following PubGrub's reporting rules
(dart-lang/pub ``doc/solver.md``) in conda's words:

- one sentence per derived step, "Because A and B, C."; a step that follows from the previous
  line starts "And because"; the last line starts "So,";
- a step used twice gets a number, "(1)", and later lines refer to it;
- a derived step with one external cause is folded into the next line, so the reader sees
  every other step, not all of them;
- record sets are named the way a person would: "every build of pytorch-gpu",
  "pytorch-gpu 2.7.0", the spec as written ("pytorch-gpu >=2.7").

The fix (`render_hint`) is chosen from the kinds of the leaves: a missing ``__cuda`` asks for a
``cuda`` system requirement (or ``CONDA_OVERRIDE_CUDA`` when building an image), a missing
package for the channel that has it, a pin for an update. The causes stay data (`leaves`);
only this module makes prose.

Everything here reads one `Failure` (`solver/report.py`): plain values, no masks, no provider,
no search. So an explanation can be written, tested or changed without running a solve:

>>> from minipixi.solver.report import Build, Depends, Derived, Fact, Failure, Package, Requested, Term
>>> a2 = Build("a", "2.0", "0", "conda-forge", 0)
>>> requested = Fact((Term("a", (a2,), False),), Requested("a >=2"))
>>> depends = Fact((Term("a", (a2,), True),), Depends("a", "b >=5"))
>>> failure = Failure(Fact((), Derived(requested, depends)), packages={
...     "a": Package("a", (a2,), requested=(a2,)), "b": Package("b", ())},
...     requests=(), virtual={}, pinned={}, sources=("conda-forge",))
>>> print(render_explanation(failure))
Because the request requires a >=2 and a 2.0 depends on b >=5, which is in none of conda-forge, solving failed.
>>> render_hint(failure)
'no channel of this environment has b for the platform: check the name, add the channel that has it, or limit the dependency to the platforms that have it'

Lesson: Episode 2, "Under the hood: the solver", and Episode 5 (the missing ``__cuda``). Read
after `solver/derivation.py`; read next `solver/check.py`. Ground truth: PubGrub's
``doc/solver.md`` ("Error Reporting") and pubgrub-rs ``report.rs``.
"""

from __future__ import annotations

import re

from minipixi.errors import MinipixiError
from minipixi.matchspec import parse_matchspec
from minipixi.solver.report import (
    Build,
    Constrains,
    Constraint,
    Depends,
    Derived,
    Disjoint,
    Excluded,
    Fact,
    Failure,
    Malformed,
    Pigeonhole,
    Provided,
    Requested,
    Term,
    Unavailable,
    leaves,
)
from minipixi.version import parse_version


# --- naming record sets -----------------------------------------------------------------------


def describe_records(failure: Failure, name: str, chosen: tuple[Build, ...], use_label: bool = True) -> str:
    """A record set in words: "every build of foo"; one record ("foo 1.2", with its build when
    the version has several); a few versions ("foo 1.2 | 1.3"); else, when `use_label`, the
    spec it came from ("foo >=1.2"); else the first versions ("foo 1.9 | ... and 20 more")."""
    package = failure.packages[name]
    every = package.builds
    asked = package.requested
    if asked is not None and len(asked) != len(every) and _overlap(chosen, asked):
        chosen = _common(chosen, asked)  # the request rules the others out: they are not worth a word
    if len(chosen) == len(every) and len(every) > 1:
        return f"every build of {name}"
    builds = {v: sum(b.version == v for b in every) for v in {b.version for b in chosen}}
    if len(chosen) == 1:
        record = chosen[0]
        several = builds[record.version] > 1
        return f"{name} {record.version}" + (f" ({record.build})" if several else "")
    versions = list(dict.fromkeys(b.version for b in chosen))
    label = package.labels.get(chosen) if use_label and len(chosen) != len(every) else None
    if label is not None and len(versions) > 3:
        return label
    complete = all(sum(b.version == v for b in chosen) == builds[v] for v in versions)
    shown = " | ".join(versions[:4]) + (f" and {len(versions) - 4} more" if len(versions) > 4 else "")
    return f"{name} {shown}" if complete else f"some builds of {name} {shown}"


def _overlap(first: tuple[Build, ...], second: tuple[Build, ...]) -> bool:
    return not set(first).isdisjoint(second)


def _common(first: tuple[Build, ...], second: tuple[Build, ...]) -> tuple[Build, ...]:
    """The builds in both, best first (the order every list of builds keeps)."""
    keep = set(second)
    return tuple(b for b in first if b in keep)


def _within(first: tuple[Build, ...], second: tuple[Build, ...]) -> bool:
    """Is every build of `first` one of `second`?"""
    return set(first) <= set(second)


def short_version_spec(spec_text: str) -> str:
    """A dependency's version as people say it: ">=3.7,<3.8.0a0", "3.7.*" and "3.7*" are "3.7"."""
    spec = parse_matchspec(spec_text)
    text = str(spec.version) if spec.version is not None else "*"
    match = re.fullmatch(r">=([\w.]+),<([\w.]+?)(?:\.0a0|a0)?", text)
    if match and _next_release(match.group(1)) == match.group(2):
        return match.group(1)
    match = re.fullmatch(r"=?=?([\w.]+?)\.?\*", text)
    if match:
        return match.group(1)
    return text


def _next_release(version: str) -> str | None:
    parts = version.split(".")
    if not parts[-1].isdigit():
        return None
    return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])


def version_order(text: str) -> tuple:
    """Sort key for a version as text (what is not a version sorts last, as written)."""
    try:
        return (0, parse_version(text).sort_key, text)
    except MinipixiError:
        return (1, (), text)


def version_list(versions: list[str], limit: int = 5) -> str:
    """Versions, lowest first, joined with " | "; the middle of a long list left out
    ("3.9.0 | 3.9.1 ... 3.9.19 (17 versions)")."""
    versions = sorted(dict.fromkeys(versions), key=version_order)
    if len(versions) <= limit:
        return " | ".join(versions)
    return f"{' | '.join(versions[:2])} ... {versions[-1]} ({len(versions)} versions)"


# --- one incompatibility as one clause --------------------------------------------------------


class Wording:
    """Turns facts into clauses, in the context of one failure (platform, label). The PyPI
    resolver's words (`pypi/explain.py`) are a subclass: versions instead of builds, its own
    causes; `Lines` writes either."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        self.who = failure.label or "the request"
        self.platform = failure.platform or "the platform"
        target = " ".join(p for p in (failure.label, f"for {failure.platform}" if failure.platform else None) if p)
        self.failed = f"solving {target} failed" if target else "solving failed"

    def records(self, name: str, chosen: tuple[Build, ...], use_label: bool = True) -> str:
        """A set of records in words (`describe_records`)."""
        return describe_records(self.failure, name, chosen, use_label)

    def term(self, term: Term) -> str:
        """A term as the records it is about: what is ruled out (positive) or required
        (negative). A requirement keeps the words of its spec ("bors <2.0 is required")."""
        label = None if term.positive else self.failure.packages[term.name].labels.get(term.builds)
        return label if label is not None else self.records(term.name, term.builds)

    def both(self, first: str, second: str) -> str:
        """Two requests at once."""
        return f"{self.who} requires both {first} and {second}"

    def clause(self, incompatibility: Fact) -> str:
        cause = incompatibility.cause
        if isinstance(cause, Derived):
            return self.derived(incompatibility)
        return self.external(incompatibility)

    def external(self, incompatibility: Fact) -> str:
        cause, terms = incompatibility.cause, incompatibility.terms
        if isinstance(cause, Requested):
            tail = "" if terms else f", {self.nothing_matches(cause.spec)}"
            return f"{self.who} requires {cause.spec}{tail}"
        if isinstance(cause, Constraint):
            return f"{self.who} constrains {cause.spec}"
        if isinstance(cause, Provided):
            versions = " | ".join(cause.versions)
            return f"{self.platform} provides only {cause.name} {versions} here"
        if isinstance(cause, Excluded):
            return self.excluded(incompatibility)
        if isinstance(cause, Pigeonhole):
            return (f"{_names(list(cause.names), 4)} ({len(cause.names)} packages) each depend on all the "
                    f"others having another version, and they have only {len(cause.versions)} versions "
                    f"between them ({_span(list(cause.versions))})")
        subject = self.records(terms[0].name, terms[0].builds, use_label=False)
        if isinstance(cause, Depends):
            if len(terms) == 1:
                return f"{subject} depends on {cause.spec}, {self.nothing_matches(cause.spec)}"
            return f"{subject} depends on {cause.spec}"
        if isinstance(cause, Constrains):
            return f"{subject} constrains {cause.spec}"
        if isinstance(cause, Malformed):
            return f"{subject} cannot be used: its spec '{cause.spec}' is broken ({cause.problem})"
        raise TypeError(f"unknown cause {cause!r}")

    def nothing_matches(self, spec_text: str) -> str:
        """Why a spec matches nothing, as a "which" clause: the platform lacks a virtual
        package, no channel has the name, or no record of it fits."""
        spec = parse_matchspec(spec_text)
        if spec.name.startswith("__"):
            have = self.failure.virtual.get(spec.name)
            if not have:
                return f"which {self.platform} does not provide here"
            versions = " | ".join(have)
            return f"which {self.platform} does not provide here (it has {spec.name} {versions})"
        builds = self.failure.packages[spec.name].builds
        if not builds:
            return f"which is in none of {self.sources()}"
        return f"which no record matches (there is only {spec.name} {version_list(sorted_versions(builds))})"

    def sources(self) -> str:
        return ", ".join(self.failure.sources) if self.failure.sources else "any channel"

    def excluded(self, incompatibility: Fact) -> str:
        cause, term = incompatibility.cause, incompatibility.terms[0]
        subject = describe_records(self.failure, term.name, term.builds)
        if cause.reason == "pinned":
            version, build = self.failure.pinned[cause.name]
            return f"{cause.name} is pinned to {version} ({build}), which rules out {subject}"
        hidden = set(term.builds)
        origins = sorted({b.origin for b in term.builds})
        winner = next(b.origin for b in self.failure.packages[cause.name].builds if b not in hidden)
        return (
            f"{subject} {'is' if len(term.builds) <= 1 else 'are'} only in "
            f"{', '.join(origins)}, which strict channel priority hides behind {winner}"
        )

    def derived(self, incompatibility: Fact) -> str:
        """PubGrub's wording of a derived fact, by the shape of its terms."""
        terms = incompatibility.terms
        if not terms:
            return self.failed
        positive = [self.term(t) for t in terms if t.positive]
        negative = [self.term(t) for t in terms if not t.positive]
        if len(terms) == 1:
            return f"{positive[0]} cannot be used" if positive else f"{negative[0]} is required"
        if not negative:
            return f"{' and '.join(positive)} cannot be installed together"
        if not positive:
            return f"one of {' or '.join(negative)} is required"
        return f"{' and '.join(positive)} requires {' or '.join(negative)}"


# --- the derivation as numbered lines (PubGrub's reporter) -----------------------------------


class Lines:
    """Writes the derivation of `root` as lines, in `words`; `text()` joins them."""

    def __init__(self, words: Wording, root: Fact) -> None:
        self.words = words
        self.lines: list[list] = []  # [text, number or None]
        self.numbers: dict[int, int] = {}
        self.uses: dict[int, int] = {}
        self._count_uses(root)
        if isinstance(root.cause, Derived):
            self.visit(root)
        else:
            self.write(f"Because {self.words.clause(root)}, {self.words.failed}.", root)

    def _count_uses(self, root: Fact) -> None:
        stack, seen = [root], set()
        while stack:
            node = stack.pop()
            if not isinstance(node.cause, Derived):
                continue
            for cause in (node.cause.cause1, node.cause.cause2):
                self.uses[id(cause)] = self.uses.get(id(cause), 0) + 1
                if id(cause) not in seen:
                    seen.add(id(cause))
                    stack.append(cause)

    def write(self, text: str, incompatibility: Fact) -> None:
        number = None
        if self.uses.get(id(incompatibility), 0) > 1:
            number = len(self.numbers) + 1
            self.numbers[id(incompatibility)] = number
        self.lines.append([text, number])

    def ref(self, incompatibility: Fact) -> str:
        number = self.numbers.get(id(incompatibility))
        clause = self.words.clause(incompatibility)
        return f"{clause} ({number})" if number else clause

    # --8<-- [start:visit]
    def visit(self, node: Fact) -> None:
        """One derived step, after the steps it needs (PubGrub's ``_visit``)."""
        conclusion = self.words.clause(node)
        cause1, cause2 = node.cause.cause1, node.cause.cause2
        derived1, derived2 = (isinstance(c.cause, Derived) for c in (cause1, cause2))
        if derived1 and derived2:
            self._both_derived(node, cause1, cause2, conclusion)
        elif derived1 or derived2:
            derived, external = (cause1, cause2) if derived1 else (cause2, cause1)
            self._one_derived(node, derived, external, conclusion)
        else:
            self.write(f"Because {self._pair(cause1, cause2)}, {conclusion}.", node)
    # --8<-- [end:visit]

    def _both_derived(self, node, cause1, cause2, conclusion: str) -> None:
        known1, known2 = id(cause1) in self.numbers, id(cause2) in self.numbers
        if known1 and known2:
            self.write(f"Because {join_clauses(self.ref(cause1), self.ref(cause2))}, {conclusion}.", node)
        elif known1 or known2:
            known, other = (cause1, cause2) if known1 else (cause2, cause1)
            self.visit(other)
            self.write(f"And because {self.ref(known)}, {conclusion}.", node)
        else:
            self.visit(cause1)
            if id(cause1) not in self.numbers:  # refer back to it from after the other branch
                self.numbers[id(cause1)] = len(self.numbers) + 1
                self.lines[-1][1] = self.numbers[id(cause1)]
            self.lines.append(["", None])
            self.visit(cause2)
            self.write(f"And because {self.ref(cause1)}, {conclusion}.", node)

    def _one_derived(self, node, derived, external, conclusion: str) -> None:
        if id(derived) in self.numbers:
            self.write(f"Because {join_clauses(self.words.clause(external), self.ref(derived))}, {conclusion}.", node)
            return
        inner1, inner2 = derived.cause.cause1, derived.cause.cause2
        foldable = self.uses.get(id(derived), 0) <= 1 and (
            isinstance(inner1.cause, Derived) != isinstance(inner2.cause, Derived)
        )
        if foldable:  # skip writing `derived`: its external half joins this line
            prior, prior_external = (inner1, inner2) if isinstance(inner1.cause, Derived) else (inner2, inner1)
            self.visit(prior)
            pair = self._pair(prior_external, external)
            self.write(f"And because {pair}, {conclusion}.", node)
        else:
            self.visit(derived)
            self.write(f"And because {self.words.clause(external)}, {conclusion}.", node)

    def _pair(self, first: Fact, second: Fact) -> str:
        """Two external facts; a dependency chain reads "A depends on B which depends on C",
        and two requests read "the request requires both A and B"."""
        if isinstance(first.cause, Requested) and isinstance(second.cause, Requested):
            if first.terms and second.terms:
                return self.words.both(first.cause.spec, second.cause.spec)
        for a, b in ((first, second), (second, first)):
            if isinstance(a.cause, Depends) and isinstance(b.cause, Depends) and len(a.terms) == 2:
                target, subject = a.terms[1], b.terms[0]
                if target.name == subject.name and subject.positive and not target.positive:
                    tail = self.words.clause(b).partition(" depends on ")[2]
                    if tail and (_within(subject.builds, target.builds) or _within(target.builds, subject.builds)):
                        return f"{self.words.clause(a)} which depends on {tail}"
        return join_clauses(self.words.clause(first), self.words.clause(second))

    def text(self) -> str:
        """The lines, numbered where referred to; the last one, when not alone, opens "So,"."""
        out = []
        for i, (line, number) in enumerate(self.lines):
            if i == len(self.lines) - 1 and i > 0:
                line = "So, because " + line.split("ecause ", 1)[1]
            out.append(f"{line} ({number})" if number and line else line)
        return "\n".join(out)


def join_clauses(first: str, second: str) -> str:
    """"A and B", with a comma before "and" when A ends in a subordinate clause of its own."""
    return f"{first}, and {second}" if ", which" in first else f"{first} and {second}"


MAX_LINES = 8  # a longer derivation shows its first and last steps only



# --8<-- [start:render_explanation]
def render_explanation(failure: Failure) -> str:
    """Why nothing fits, root cause first.

    Two causes explain a failure on their own, and then they are the whole explanation, in two
    lines (`failure.shortcut`): a requested package whose every allowed record needs something
    no channel has ("setuptools 40.0.0 needs python 2.7 | 3.5 | 3.6 | 3.7, and none is
    available"), and two requested packages whose records need disjoint versions of one
    dependency. (Both are read from the records themselves, so each is a complete proof on its
    own.) Otherwise the derivation is written out as PubGrub does (`Lines`), led by its root
    cause: a pigeonhole fact, or else the first clash of two dependencies it rests on ("every
    build of mro-base depends on _r-mutex 1.* mro_2 and every build of r-base depends on
    _r-mutex 1.* anacondar_1"). A long derivation keeps only its first and last steps."""
    words = Wording(failure)
    if isinstance(failure.shortcut, Unavailable):
        return _unavailable(failure, words, failure.shortcut)
    if isinstance(failure.shortcut, Disjoint):
        return _disjoint(failure, words, failure.shortcut)
    root = failure.root
    text = Lines(words, root).text().split("\n")
    counting = _pigeonhole(words, root)
    lead = counting or _leaf_clash(failure, words, root)
    if lead is not None and not text[0].startswith(lead[:-1]):
        text = [lead, *text]
    if len(text) > MAX_LINES or counting and len(text) > 3:  # after the counting, only the chain
        names = sorted({t.name for leaf in leaves(root) for t in leaf.terms})
        head = text[:1] if lead is not None else text[:3]
        skipped = len(text) - len(head) - 1
        text = [*head, f"... ({skipped} more steps, through {_names(names)}) ...", text[-1]]
    return "\n".join(text)
# --8<-- [end:render_explanation]


def _span(versions: list[str]) -> str:
    return " | ".join(versions) if len(versions) <= 4 else f"{versions[0]} to {versions[-1]}"


def _names(names: list[str], limit: int = 6) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _unavailable(failure: Failure, words: Wording, found: Unavailable) -> str:
    """ "A needs B x | y, and there is none": every allowed record of a requested name needs a
    package version no channel has."""
    request, target = found.request, found.target
    subject = describe_records(failure, request.name, request.allowed)
    wanted = version_list([short_version_spec(t) for t in found.wanted], limit=8)
    have = failure.packages[target].builds
    tail = (f"there is only {target} {version_list(sorted_versions(have))}" if have
            else f"no channel has {target}")
    return (f"{subject} needs {target} {wanted}, and none is available ({tail}).\n"
            f"So, because {words.who} requires {request.spec}, {words.failed}.")


def sorted_versions(builds) -> list[str]:
    """The distinct versions of `builds` (records or `Build` values), lowest first."""
    return list(dict.fromkeys(r.version for r in sorted(builds, key=lambda r: r.parsed_version.sort_key)))


def _disjoint(failure: Failure, words: Wording, found: Disjoint) -> str:
    """Two requested packages whose records need disjoint versions of one dependency."""
    def side(request, wanted):
        specs = [short_version_spec(t) for t in wanted]
        return f"{describe_records(failure, request.name, request.allowed)} depends on {found.target} {version_list(specs, 8)}"
    first, second = found.first, found.second
    subject1 = describe_records(failure, first.name, first.allowed)
    subject2 = describe_records(failure, second.name, second.allowed)
    return (f"Because {side(first, found.first_wanted)} and {side(second, found.second_wanted)}, {subject1} and "
            f"{subject2} cannot be installed together.\n"
            f"So, because {words.who} requires both {first.spec} and {second.spec}, {words.failed}.")


def _pigeonhole(words: Wording, root: Fact) -> str | None:
    """The pigeonhole fact a proof rests on, as its root cause (see `solver/pigeonhole.py`)."""
    for leaf in leaves(root):
        if isinstance(leaf.cause, Pigeonhole):
            return f"Because {words.clause(leaf)}, they cannot all be installed."
    return None


def _leaf_clash(failure: Failure, words: Wording, root: Fact) -> str | None:
    """The first two dependencies of different packages, among the facts the proof rests on,
    that no version satisfies at once (two packages pinning one mutex to different builds)."""
    found = [leaf for leaf in leaves(root) if isinstance(leaf.cause, Depends) and len(leaf.terms) == 2]
    requested = {request.name for request in failure.requests}
    found.sort(key=lambda leaf: leaf.terms[0].name not in requested)
    for a, first in enumerate(found):
        for second in found[a + 1:]:
            (s1, t1), (s2, t2) = first.terms, second.terms
            if s1.name != s2.name and t1.name == t2.name and not _overlap(t1.builds, t2.builds):
                subject1 = describe_records(failure, s1.name, s1.builds, use_label=False)
                subject2 = describe_records(failure, s2.name, s2.builds, use_label=False)
                return (f"Because {words.clause(first)} and {words.clause(second)}, {subject1} and {subject2} "
                        f"cannot be installed together.")
    return None


# --- the hint ---------------------------------------------------------------------------------


def _virtual_need(external: list[Fact]) -> tuple[str, str | None] | None:
    """The virtual package at fault and the version wanted, when one is among the leaves."""
    for leaf in external:
        cause = leaf.cause
        spec_text = getattr(cause, "spec", None)
        if isinstance(cause, (Depends, Constrains, Requested)) and spec_text:
            spec = parse_matchspec(spec_text)
            if spec.name.startswith("__"):
                wanted = re.search(r"\d+(\.\d+)*", str(spec.version)) if spec.version is not None else None
                return spec.name, wanted.group(0) if wanted else None
    for leaf in external:
        if isinstance(leaf.cause, Provided):
            return leaf.cause.name, None
    return None


# --8<-- [start:render_hint]
def render_hint(failure: Failure) -> str:
    """The fix, chosen from the kinds of the leaves: virtual, missing, excluded, or versions."""
    external = leaves(failure.root)
    platform = failure.platform or "the platform"
    virtual = _virtual_need(external)
    if virtual is not None:
        have = list(failure.virtual.get(virtual[0], ()))
        return _virtual_hint(virtual[0], virtual[1], platform, have)
    missing = [_missing_name(failure, leaf) for leaf in external]
    missing = [name for name in missing if name]
    if missing:
        return (
            f"no channel of this environment has {missing[0]} for {platform}: check the name, "
            f"add the channel that has it, or limit the dependency to the platforms that have it"
        )
    reasons = {leaf.cause.reason: leaf.cause.name for leaf in external if isinstance(leaf.cause, Excluded)}
    if "pinned" in reasons:
        return f"{reasons['pinned']} is pinned: allow it to change (update the lock) or relax the other specs"
    if "channel-priority" in reasons:
        name = reasons["channel-priority"]
        return (
            f"strict channel priority takes {name} only from the first channel that has it: ask for "
            f"'channel::{name}', reorder the channels, or set channel-priority = \"disabled\""
        )
    asked = [leaf.cause.spec for leaf in external if isinstance(leaf.cause, Requested)]
    return f"relax the version requirements of {', '.join(asked) or 'the dependencies'}"
# --8<-- [end:render_hint]


def _missing_name(failure: Failure, leaf: Fact) -> str | None:
    cause = leaf.cause
    if isinstance(cause, Requested) and not leaf.terms or isinstance(cause, Depends) and len(leaf.terms) == 1:
        name = parse_matchspec(cause.spec).name
        return name if not failure.packages[name].builds else None
    return None


def _virtual_hint(name: str, wanted: str | None, platform: str, have: list[str]) -> str:
    """The fix for a virtual package the platform lacks, or has in too old a version."""
    if name == "__cuda":
        version = wanted or "12"
        where = f"the {platform} platform entry"
        change = (f"raise cuda from \"{have[0]}\" to \"{version}\" in {where} (or in [system-requirements])"
                  if have else f"add cuda = \"{version}\" to {where} (or to [system-requirements])")
        return f"{change}; to build an image on a machine without a GPU, set CONDA_OVERRIDE_CUDA={version}"
    keys = {"__glibc": "libc", "__osx": "macos", "__linux": "linux", "__win": "windows"}
    if have and name in keys and wanted:
        return (
            f"these records need {name[2:]} {wanted}, newer than the {have[0]} assumed for {platform}: "
            f"set {keys[name]} = \"{wanted}\" in the system requirements (every machine that runs "
            f"the environment must then have it)"
        )
    return (
        f"{name} never exists on {platform}: limit this dependency to the platforms that have it "
        f"(a [target.<platform>.dependencies] table or a feature)"
    )
