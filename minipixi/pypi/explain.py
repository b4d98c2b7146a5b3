"""Why no set of PyPI versions fits: the search's proof, as numbered sentences.

When the search fails it holds a proof (see `solver/search.py`): the empty incompatibility,
derived step by step from facts such as "the requirements ask for flask>=3" and "flask 3.0.2
depends on werkzeug>=3.0". This module writes that tree out the way PubGrub's reporter does
(and `solver/explain.py` for conda): one sentence per derived step, "Because A and B, C.", a
step used twice numbered and referred to later, the last line opening "So,".

The words are PyPI's: candidates are versions, not builds, and a version may exist and still
not be usable: yanked, for another Python, without a wheel for the target, or only an sdist,
which minipixi never builds. Those reasons go into the sentences ("which no usable wheel
matches: foo 2.0 has only a source distribution"), and the first one that explains the
failure becomes the error's message or hint (`render_hint`, `sdist_only`).

Read after `pypi/resolve.py`, which raises the error (and makes the facts: `Asked`,
`DependsOn`, `Unusable`).
"""

from __future__ import annotations

from dataclasses import dataclass

from minipixi.pypi.provider import Dropped, PyPIProvider, split_name
from minipixi.solver.incompatibility import Derived, Incompatibility, Term
from minipixi.solver.provider import indexes

SDIST_ONLY = "only a source distribution (building from source is not supported)"
BUILD_HINT = "building from source is not supported; use a wheel or a conda package"


# ---- the causes of the facts the PyPI search starts from --------------------------------


@dataclass(frozen=True)
class Asked:
    """The user's requirement `spec` (as written); `search_text` is the part about one name
    (``foo[a]>=1`` is asked as ``foo>=1`` and ``foo[a]>=1``)."""

    spec: str
    search_text: str


@dataclass(frozen=True)
class DependsOn:
    """Versions of `name` depend on `spec` (one of their ``Requires-Dist`` texts)."""

    name: str
    spec: str


@dataclass(frozen=True)
class Unusable:
    """Version(s) of `name` that cannot be used, for `reason` (their metadata says so)."""

    name: str
    reason: str


def by_version(candidate) -> tuple:
    return (candidate.version is not None, candidate.version)


def version_list(versions: list[str]) -> str:
    if len(versions) <= 4:
        return " | ".join(versions)
    return f"{versions[0]} | {versions[1]} ... {versions[-1]} ({len(versions)} versions)"


class PyPIWording:
    """Clauses: one fact of the proof as words (`Report` joins them into sentences)."""

    def __init__(self, provider: PyPIProvider) -> None:
        self.provider = provider
        self.who = provider.label or "the requirements"
        self.failed = f"the PyPI requirements cannot be resolved for {provider.target.describe()}"

    # ---- naming sets of versions --------------------------------------------------------

    def versions(self, name: str, mask: int) -> str:
        """"every version of foo", "foo 1.0 | 1.1", or the requirement that made the set."""
        records = self.provider.candidates(name).records
        chosen = [records[i] for i in indexes(mask)]
        if len(chosen) == 1 and chosen[0].by_conda:
            shown = f" {chosen[0].version}" if chosen[0].version is not None else ""
            return f"{name}{shown} (installed by conda)"
        if mask == (1 << len(records)) - 1 and len(records) > 1:
            return f"every version of {name}"
        label = self.provider.labels.get((name, mask))
        if label is not None and len(chosen) > 3:
            return label
        return f"{name} {version_list([str(c.version) for c in sorted(chosen, key=by_version)])}"

    def term(self, term: Term) -> str:
        if term.positive:
            return self.versions(term.name, term.mask)
        label = self.provider.labels.get((term.name, term.mask))
        return label if label is not None else self.versions(term.name, term.mask)

    # ---- clauses --------------------------------------------------------------------------

    def clause(self, incompatibility: Incompatibility) -> str:
        cause, terms = incompatibility.cause, incompatibility.terms
        if isinstance(cause, Derived):
            return self.derived(terms)
        if isinstance(cause, Asked):
            tail = "" if terms else f", {self.nothing_matches(cause.search_text)}"
            return f"{self.who} ask for {cause.spec}{tail}"
        subject = self.versions(terms[0].name, terms[0].mask)
        if isinstance(cause, DependsOn):
            project, extra = split_name(cause.name)
            if extra is not None and cause.spec.startswith(f"{project}==="):
                return f"{subject} is {project} {cause.spec.split('===', 1)[1]} with its extra"
            if len(terms) == 1:
                return f"{subject} depends on {cause.spec}, {self.nothing_matches(cause.spec)}"
            return f"{subject} depends on {cause.spec}"
        if isinstance(cause, Unusable):
            return f"{subject} cannot be used ({cause.reason} in its metadata)"
        raise TypeError(f"unknown cause {cause!r}")

    def derived(self, terms: tuple[Term, ...]) -> str:
        """PubGrub's wording of a derived incompatibility, by the shape of its terms."""
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

    def nothing_matches(self, text: str) -> str:
        """Why a requirement matches no candidate, as a "which" clause."""
        provider = self.provider
        name = provider.target_of(text)
        project = split_name(name)[0]
        if project in provider.conda:
            version = provider.conda[project]
            return f"which the {project} {version} installed by conda does not satisfy"
        if provider.page(project) is None:
            return f"which is on none of the indexes ({', '.join(provider.indexes)})"
        dropped = provider.dropped_for(project, text)
        if dropped:
            return "which no usable wheel matches: " + describe_dropped(project, dropped)
        records = provider.candidates(project).records
        have = [str(c.version) for c in sorted(records, key=by_version)]
        return (f"which no version matches (there is only {project} {version_list(have)})"
                if have else "which has no usable version")


def describe_dropped(project: str, dropped: list[Dropped]) -> str:
    """"foo 2.0 is yanked; foo 1.0 | 1.1 have only a source distribution (...)"."""
    by_reason: dict[str, list[str]] = {}
    for item in sorted(dropped, key=lambda d: d.version):
        by_reason.setdefault(item.reason, []).append(str(item.version))
    parts = []
    for reason, versions in by_reason.items():
        several = len(versions) > 1
        verb = {"yanked": "are" if several else "is", "a pre-release":
                "are pre-releases" if several else "is"}.get(reason, "have" if several else "has")
        what = "" if reason == "a pre-release" and several else reason
        if reason.startswith(("for Python", "no wheel")):
            verb, what = ("are" if several else "is"), reason
        parts.append(f"{project} {version_list(versions)} {verb} {what}".rstrip())
    return "; ".join(parts)


# ---- the derivation as numbered lines -------------------------------------------------------


def leaves(root: Incompatibility) -> list[Incompatibility]:
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


class Report:
    """PubGrub's reporter: each derived step after the steps it needs; `text()` joins them."""

    def __init__(self, provider: PyPIProvider, root: Incompatibility) -> None:
        self.words = PyPIWording(provider)
        self.lines: list[list] = []  # [sentence, number or None]
        self.numbers: dict[int, int] = {}
        self.uses: dict[int, int] = {}
        for node in self._derived(root):
            for cause in (node.cause.cause1, node.cause.cause2):
                self.uses[id(cause)] = self.uses.get(id(cause), 0) + 1
        if isinstance(root.cause, Derived):
            self.visit(root)
        else:
            self.write(f"Because {self.words.clause(root)}, {self.words.failed}.", root)

    @staticmethod
    def _derived(root: Incompatibility) -> list[Incompatibility]:
        found, stack, seen = [], [root], set()
        while stack:
            node = stack.pop()
            if id(node) in seen or not isinstance(node.cause, Derived):
                continue
            seen.add(id(node))
            found.append(node)
            stack += [node.cause.cause1, node.cause.cause2]
        return found

    def write(self, sentence: str, node: Incompatibility) -> None:
        number = None
        if self.uses.get(id(node), 0) > 1:
            number = self.numbers[id(node)] = len(self.numbers) + 1
        self.lines.append([sentence, number])

    def ref(self, node: Incompatibility) -> str:
        number = self.numbers.get(id(node))
        clause = self.words.clause(node)
        return f"{clause} ({number})" if number else clause

    def visit(self, node: Incompatibility) -> None:
        """One derived step, after the steps it needs (PubGrub's ``_visit``)."""
        conclusion = self.words.clause(node)
        first, second = node.cause.cause1, node.cause.cause2
        derived = [c for c in (first, second) if isinstance(c.cause, Derived)]
        if not derived:
            self.write(f"Because {join(self.ref(first), self.ref(second))}, {conclusion}.", node)
            return
        if len(derived) == 1:
            other = second if derived[0] is first else first
            if id(derived[0]) in self.numbers:
                self.write(f"Because {join(self.ref(other), self.ref(derived[0]))}, "
                           f"{conclusion}.", node)
            else:
                self.visit(derived[0])
                self.write(f"And because {self.ref(other)}, {conclusion}.", node)
            return
        for cause in (first, second):
            if id(cause) not in self.numbers:
                self.visit(cause)
                if id(cause) not in self.numbers:  # refer back to it after the other branch
                    self.numbers[id(cause)] = len(self.numbers) + 1
                    self.lines[-1][1] = self.numbers[id(cause)]
        self.write(f"Because {join(self.ref(first), self.ref(second))}, {conclusion}.", node)

    def text(self) -> str:
        """The lines, numbered where referred to; the last one, when not alone, opens "So,"."""
        out = []
        for i, (line, number) in enumerate(self.lines):
            if i == len(self.lines) - 1 and i > 0:
                line = "So, because " + line.split("ecause ", 1)[1]
            out.append(f"{line} ({number})" if number else line)
        return "\n".join(out)


def join(first: str, second: str) -> str:
    """"A and B", with a comma when A ends in a "which" clause of its own."""
    return f"{first}, and {second}" if ", which" in first else f"{first} and {second}"


# ---- the fix ------------------------------------------------------------------------------


def missing(provider: PyPIProvider, root: Incompatibility) -> list[tuple[str, list[Dropped]]]:
    """For each fact of the proof whose requirement matched no candidate at all: the project,
    and its dropped versions that the requirement admits."""
    found = []
    for leaf in leaves(root):
        cause = leaf.cause
        if isinstance(cause, Asked) and not leaf.terms:
            text = cause.search_text
        elif isinstance(cause, DependsOn) and len(leaf.terms) == 1:
            text = cause.spec
        else:
            continue
        project = split_name(provider.target_of(text))[0]
        found.append((project, provider.dropped_for(project, text)))
    return found


def render_hint(provider: PyPIProvider, root: Incompatibility) -> str:
    """The fix, chosen from why the versions the proof needed were missing."""
    found = missing(provider, root)
    reasons = {d.reason for _, dropped in found for d in dropped}
    by_conda = sorted({project for project, _ in found if project in provider.conda})
    if by_conda:
        return (f"{', '.join(by_conda)} comes from conda here: change the conda dependency's "
                "version, or the PyPI requirement on it")
    if SDIST_ONLY in reasons:
        return BUILD_HINT
    if "a pre-release" in reasons:
        return ("pre-releases are chosen only when a requirement asks for one: write, e.g., "
                "'name>=2.0b1'")
    if "yanked" in reasons:
        return "a yanked version is used only when pinned exactly with '=='"
    return "loosen one of the requirements named above"


def sdist_only(provider: PyPIProvider, root: Incompatibility) -> list[str]:
    """The projects whose needed versions exist only as source distributions."""
    return sorted({project for project, dropped in missing(provider, root)
                   if dropped and all(d.reason == SDIST_ONLY for d in dropped)})
