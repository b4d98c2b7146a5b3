"""The proof of a failed solve, as plain data: all that `solver/explain.py` reads, nothing more.

When the search fails it holds a proof: the empty incompatibility, derived from two causes,
each derived from two more, down to external facts ("the environment requires pytorch-gpu
2.7.*", "every build of pytorch-gpu 2.7.0 depends on __cuda"). Inside the search those facts
are *masks*, integers whose bits stand for a package's candidates, and they mean nothing
without the live `Provider` that numbered the candidates. So the search hands the proof over
as the values defined here (`solver/derivation.py` does the translation), and the explanation is
written from them alone, as pubgrub-rs keeps its `report.rs` apart from `core.rs`:

- a `Build` is one candidate record, by name, version, build and origin;
- a `Term` says a package is installed as one of some builds (positive) or not as any of them
  (negative), the builds listed, best first;
- a `Fact` is a set of terms that cannot all hold, and why: an external cause (`Requested`,
  `Depends`, `Provided`, ...) or `Derived` from two earlier facts (a fact used twice is one
  object, so the tree is a graph that shares its steps);
- a `Failure` holds the root fact and the context its words need: what each named package's
  candidates are, what was requested, what the platform provides, which channels were read.

The PyPI resolver runs the same search, so its proof is these same values too (a version is a
`Build` with no build string; `pypi/explain.py` adds what PyPI's words need).

For example, "the request requires a >=2, and every a 2 build depends on b >=5, which no record
matches" is two external facts and the step derived from them:

>>> a2 = Build("a", "2.0", "0", "conda-forge", 0)
>>> requested = Fact((Term("a", (a2,), False),), Requested("a >=2"))
>>> depends = Fact((Term("a", (a2,), True),), Depends("a", "b >=5"))
>>> root = Fact((), Derived(requested, depends))
>>> [type(leaf.cause).__name__ for leaf in leaves(root)]
['Requested', 'Depends']

Lesson: Episode 2, "Under the hood: the solver" (explaining failure). Read after
`solver/pigeonhole.py` (the search's last part); read next `solver/derivation.py`, then
`solver/explain.py`. Ground truth: pubgrub-rs (`report.rs`: ``DerivationTree``, ``External``,
``Derived``) and PubGrub's ``doc/solver.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

from minipixi.version import Version, parse_version

__all__ = [
    "Build", "Constrains", "Constraint", "Depends", "Derived", "Disjoint", "Excluded", "Fact",
    "Failure", "Malformed", "Package", "Pigeonhole", "Provided", "Request", "Requested", "Term",
    "Unavailable", "Unusable", "leaves",
]


# --- records, sets of them, and terms ---------------------------------------------------------


@dataclass(frozen=True)
class Build:
    """One candidate record of a package: what a person reads ("numpy 2.1.0 (py313h1_0)", from
    "conda-forge"), and `rank`, its place among the package's candidates (0 is the one the
    solver likes best), which keeps two builds that read alike apart and keeps lists in order."""

    name: str
    version: str  # as written in the record
    build: str
    origin: str  # the channel it came from, "the platform", "the pins" or "the lock"
    rank: int

    @property
    def parsed_version(self) -> Version:
        return parse_version(self.version)


@dataclass(frozen=True)
class Term:
    """``name`` installed as one of `builds` (positive), or not as any of them (negative)."""

    name: str
    builds: tuple[Build, ...]  # best first
    positive: bool


# --- why a fact holds: external causes --------------------------------------------------------


@dataclass(frozen=True)
class Requested:
    """The task asks for `spec`. `part`: the part of it this fact is about, when the search
    asks for it in parts (PyPI asks ``foo[a]>=1`` as ``foo>=1`` and ``foo[a]>=1``)."""

    spec: str
    part: str | None = None


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


@dataclass(frozen=True)
class Unusable:
    """Versions of `name` that exist but cannot be used, for `reason` (PyPI: their metadata
    rules out the target's Python, say)."""

    name: str
    reason: str


@dataclass(frozen=True)
class Pigeonhole:
    """Each of `names` depends on the others having another version, and they have only
    `versions` between them (see `solver/pigeonhole.py`)."""

    names: tuple[str, ...]
    versions: tuple[str, ...]


# --- the derivation graph ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Derived:
    """Learned during the search from two facts (PubGrub's resolution step)."""

    cause1: Fact
    cause2: Fact


Cause = Union[Requested, Constraint, Depends, Constrains, Provided, Excluded, Malformed, Unusable, Pigeonhole,
              Derived]


@dataclass(frozen=True, eq=False)
class Fact:
    """Terms that cannot all be true, and why. No terms: nothing can be installed at all (the
    root of a failure). Compared by identity: a step the proof uses twice is one object."""

    terms: tuple[Term, ...]
    cause: Cause


def leaves(root: Fact) -> list[Fact]:
    """The external facts a derivation rests on, each once, in first-seen order."""
    found, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node.cause, Derived):
            stack += [node.cause.cause2, node.cause.cause1]
        else:
            found.append(node)
    return found


# --- the context: packages, requests, platform -------------------------------------------------


@dataclass(frozen=True)
class Package:
    """What the report knows of one package name: every candidate, best first; the builds
    every request on the name allows (None when the request does not name it); and, for the
    sets of builds this report mentions, the spec text that selects exactly that set (so a set
    of forty builds can read "numpy >=2,<3")."""

    name: str
    builds: tuple[Build, ...]
    requested: tuple[Build, ...] | None = None
    labels: Mapping[tuple[Build, ...], str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One requested name: its first spec as written, and the builds all its specs allow."""

    name: str
    spec: str
    allowed: tuple[Build, ...]


@dataclass(frozen=True)
class Unavailable:
    """Every allowed build of a requested package needs a version of `target` that no channel
    has: `wanted` are the dependency specs on `target` they list. A proof on its own."""

    request: Request
    target: str
    wanted: tuple[str, ...]


@dataclass(frozen=True)
class Disjoint:
    """The builds of two requested packages need versions of `target` that no version
    satisfies at once (`first_wanted` and `second_wanted`: their dependency specs on it)."""

    first: Request
    second: Request
    target: str
    first_wanted: tuple[str, ...]
    second_wanted: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    """A failed solve, as data: the proof (`root`), and the context its words need.

    `shortcut` is a two-line proof read from the records themselves, when there is one
    (`Unavailable` or `Disjoint`); the explanation then says only that.
    """

    root: Fact
    packages: Mapping[str, Package]
    requests: tuple[Request, ...]
    virtual: Mapping[str, tuple[str, ...]]  # virtual package -> the versions the platform has
    pinned: Mapping[str, tuple[str, str]]  # name -> (version, build) it is pinned to
    sources: tuple[str, ...]  # the channels read, in priority order, as explanations name them
    platform: str | None = None
    label: str | None = None  # "environment 'gpu'", or None for "the request"
    shortcut: Unavailable | Disjoint | None = None
