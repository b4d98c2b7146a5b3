"""Why no set of PyPI versions fits: the search's proof, in PyPI's words.

When the search fails it holds a proof (see `solver/search.py`): the empty incompatibility,
derived step by step from facts such as "the requirements ask for flask>=3" and "flask 3.0.2
depends on werkzeug>=3.0". The search is the conda solver's, so its proof is handed over as
the same data (`solver/report.py`'s `Failure`, made by `solver/derivation.py`'s steps) and
written out by the same reporter (`solver/explain.py`'s `Lines`: one sentence per derived
step, a step used twice numbered, the last line opening "So,"). This module supplies only
what differs: the words (`PyPIWording`) and the facts those words need (`pypi_failure`).

The words are PyPI's: candidates are versions, not builds, and a version may exist and still
not be usable: yanked, for another Python, without a wheel for the target, or only an sdist,
which minipixi never builds. Those reasons go into the sentences ("which no usable wheel
matches: foo 2.0 has only a source distribution"), and the first one that explains the
failure becomes the error's message or hint (`render_hint`, `sdist_only`).

Read after `pypi/resolve.py`, which raises the error (its facts are `solver/report.py`'s
`Requested`, `Depends` and `Unusable`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from packaging.version import Version

from minipixi.pypi.provider import Dropped, PyPIProvider, split_name
from minipixi.solver.derivation import builds_of, convert, steps
from minipixi.solver.explain import Lines, Wording
from minipixi.solver.incompatibility import Incompatibility
from minipixi.solver.report import Build, Depends, Failure, Package, Requested, Unusable, leaves

SDIST_ONLY = "only a source distribution (building from source is not supported)"
BUILD_HINT = "building from source is not supported; use a wheel or a conda package"


# ---- the failure as data -------------------------------------------------------------------


@dataclass(frozen=True)
class Unmatched:
    """Why a requirement text matched no candidate: its project is conda's (`conda_version`
    installed), on no index (`listed` False), or has only versions that cannot be used
    (`dropped`, those the requirement admits) or do not match (`versions`, lowest first)."""

    project: str
    by_conda: bool
    conda_version: str | None
    listed: bool
    dropped: tuple[Dropped, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True)
class PyPIFailure(Failure):
    """A failed PyPI resolution: the proof and packages as for conda, and for each requirement
    the proof says matched nothing, why (`Unmatched`)."""

    unmatched: Mapping[str, Unmatched] = field(default_factory=dict)


def unmatched_text(leaf) -> str | None:
    """The requirement text of a fact that says a requirement matched nothing, else None."""
    cause = leaf.cause
    if isinstance(cause, Requested) and not leaf.terms:
        return cause.part or cause.spec
    if isinstance(cause, Depends) and len(leaf.terms) == 1:
        return cause.spec
    return None


def pypi_failure(provider: PyPIProvider, root: Incompatibility) -> PyPIFailure:
    """The failure proved by `root`, as data (the provider is not needed after this)."""
    facts = steps(root)
    masks: dict[str, set[int]] = {}
    for node in facts:
        for term in node.terms:
            masks.setdefault(term.name, set()).add(term.mask)
    packages = {name: _package(provider, name, found) for name, found in masks.items()}
    unmatched = {}
    for node in facts:
        text = unmatched_text(node)
        if text is not None and text not in unmatched:
            unmatched[text] = _unmatched(provider, text)
    return PyPIFailure(root=convert(root, facts, packages), packages=packages, requests=(), virtual={},
                       pinned={}, sources=tuple(provider.indexes), platform=provider.target.describe(),
                       label=provider.label, unmatched=unmatched)


def _package(provider: PyPIProvider, name: str, masks) -> Package:
    """A name's candidates as builds (a version, no build string; origin "conda" or the index),
    and the requirement text that names each set of them the proof mentions."""
    candidates = provider.candidates(name)
    builds = tuple(Build(name, "" if c.version is None else str(c.version), "", origin or "", i)
                   for i, (c, origin) in enumerate(zip(candidates.records, candidates.origins)))
    package = Package(name, builds)
    labels = {builds_of(package, mask): provider.labels[(name, mask)]
              for mask in masks if (name, mask) in provider.labels}
    return Package(name, builds, labels=labels)


def _unmatched(provider: PyPIProvider, text: str) -> Unmatched:
    project = split_name(provider.target_of(text))[0]
    if project in provider.conda:
        return Unmatched(project, True, provider.conda[project], True, (), ())
    if provider.page(project) is None:
        return Unmatched(project, False, None, False, (), ())
    records = provider.candidates(project).records
    have = tuple(str(c.version) for c in sorted(records, key=lambda c: (c.version is not None, c.version)))
    return Unmatched(project, False, None, True, tuple(provider.dropped_for(project, text)), have)


# ---- the words -------------------------------------------------------------------------------


def version_list(versions: list[str]) -> str:
    if len(versions) <= 4:
        return " | ".join(versions)
    return f"{versions[0]} | {versions[1]} ... {versions[-1]} ({len(versions)} versions)"


def _by_version(build: Build) -> tuple:
    return (build.version != "", Version(build.version) if build.version else None)


class PyPIWording(Wording):
    """Clauses in PyPI's words: versions, "ask for", and why a requirement matches nothing."""

    def __init__(self, failure: PyPIFailure) -> None:
        super().__init__(failure)
        self.who = failure.label or "the requirements"
        self.failed = f"the PyPI requirements cannot be resolved for {failure.platform}"

    def records(self, name: str, chosen: tuple[Build, ...], use_label: bool = True) -> str:
        """"every version of foo", "foo 1.0 | 1.1", or the requirement that made the set."""
        every = self.failure.packages[name].builds
        if len(chosen) == 1 and chosen[0].origin == "conda":
            shown = f" {chosen[0].version}" if chosen[0].version else ""
            return f"{name}{shown} (installed by conda)"
        if len(chosen) == len(every) and len(every) > 1:
            return f"every version of {name}"
        label = self.failure.packages[name].labels.get(chosen)
        if label is not None and len(chosen) > 3:
            return label
        return f"{name} {version_list([b.version for b in sorted(chosen, key=_by_version)])}"

    def both(self, first: str, second: str) -> str:
        return f"{self.who} ask for both {first} and {second}"

    def external(self, incompatibility) -> str:
        cause, terms = incompatibility.cause, incompatibility.terms
        if isinstance(cause, Requested):
            tail = "" if terms else f", {self.nothing_matches(cause.part or cause.spec)}"
            return f"{self.who} ask for {cause.spec}{tail}"
        subject = self.records(terms[0].name, terms[0].builds)
        if isinstance(cause, Depends):
            project, extra = split_name(cause.name)
            if extra is not None and cause.spec.startswith(f"{project}==="):
                return f"{subject} is {project} {cause.spec.split('===', 1)[1]} with its extra"
            if len(terms) == 1:
                return f"{subject} depends on {cause.spec}, {self.nothing_matches(cause.spec)}"
            return f"{subject} depends on {cause.spec}"
        if isinstance(cause, Unusable):
            return f"{subject} cannot be used ({cause.reason} in its metadata)"
        raise TypeError(f"unknown cause {cause!r}")

    def nothing_matches(self, text: str) -> str:
        """Why a requirement matches no candidate, as a "which" clause."""
        found = self.failure.unmatched[text]
        project = found.project
        if found.by_conda:
            return f"which the {project} {found.conda_version} installed by conda does not satisfy"
        if not found.listed:
            return f"which is on none of the indexes ({', '.join(self.failure.sources)})"
        if found.dropped:
            return "which no usable wheel matches: " + describe_dropped(project, list(found.dropped))
        return (f"which no version matches (there is only {project} {version_list(list(found.versions))})"
                if found.versions else "which has no usable version")


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


# ---- the explanation and the fix -----------------------------------------------------------


def render_explanation(failure: PyPIFailure) -> str:
    """The proof as numbered sentences (`solver/explain.py`'s `Lines`, in PyPI's words)."""
    return Lines(PyPIWording(failure), failure.root).text()


def missing(failure: PyPIFailure) -> list[Unmatched]:
    """For each fact of the proof whose requirement matched no candidate at all, why."""
    return [failure.unmatched[text] for text in map(unmatched_text, leaves(failure.root)) if text is not None]


def render_hint(failure: PyPIFailure) -> str:
    """The fix, chosen from why the versions the proof needed were missing."""
    found = missing(failure)
    reasons = {d.reason for item in found for d in item.dropped}
    by_conda = sorted({item.project for item in found if item.by_conda})
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


def sdist_only(failure: PyPIFailure) -> list[str]:
    """The projects whose needed versions exist only as source distributions."""
    return sorted({item.project for item in missing(failure)
                   if item.dropped and all(d.reason == SDIST_ONLY for d in item.dropped)})
