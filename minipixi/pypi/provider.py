"""A PyPI provider for the PubGrub search: candidates are versions, each with one wheel.

The conda solver (`solver/`) splits a solve the way resolvelib does: the *search*
(`solver/search.py`) knows nothing about packages and works on sets of candidates written as
bit masks; a *provider* answers its questions: "what are the candidates of this name, best
first?" (`candidates`), "which of them does this requirement match?" (`matches`), "what does
this candidate depend on?" (`dependencies`). This module answers the same questions for PyPI,
so the very same search resolves both ecosystems. What differs is what a candidate *is*:

- **A candidate is a version**, not a build: one project version has many files (wheels for
  several platforms, an sdist), but for one `Target` at most one wheel is installable, the one
  whose tag comes first in the target's tag list. A version without one is not a candidate at
  all, and we remember why (`dropped`), so an explanation can say "foo 2.0 has only a source
  distribution" rather than pretend the version does not exist.
- **Dependencies are read lazily.** A conda channel lists every record's ``depends`` in
  repodata; PyPI lists them in each wheel's METADATA, one download per version (PEP 658 makes
  it a small file). So a version's dependencies are fetched when the search first decides it,
  never for versions it never looks at, and a dependency fact covers only the versions whose
  metadata is known so far (a true fact, just narrower than conda's grouped facts).
- **Extras are packages of their own** (as uv and Poetry do): ``black[jupyter]`` is the name
  ``black[jupyter]``, whose version 24.1 depends on exactly ``black===24.1`` plus the
  requirements the extra adds. The search needs no idea of extras at all.
- **Markers are settled up front**: a ``Requires-Dist`` line whose marker is false on the
  target (``pywin32; sys_platform == "win32"`` on linux-64) is not a dependency there.
- **Pre-releases** follow uv's default, *if-necessary-or-explicit*: a project takes a
  pre-release only when no stable version is allowed (its candidates list every stable
  version first), even when a requirement names a pre-release (``foo>=2.0b1``: a stable 2.0
  still beats 2.1rc1).
- **Yanked files** (PEP 592) are dropped, unless a requirement the user wrote pins exactly
  their version with ``==``.
- **Packages conda already installed** (from the conda records' ``purls``) have one candidate,
  the conda package's version, with no dependencies of its own here: conda installed those.

Read after `pypi/target.py` and `solver/provider.py` (the conda provider it mirrors); read
next `pypi/resolve.py`, which runs the search over this provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from minipixi.pypi import index as simple
from minipixi.pypi.target import Target
from minipixi.solver.provider import Candidates, mask_of

PRERELEASE_MODES = ("if-necessary-or-explicit", "if-necessary", "explicit", "allow", "disallow")


class RequirementError(simple.IndexError_):
    """A requirement the resolver cannot read or does not support (a URL, a bad marker)."""


@dataclass(eq=False)
class Candidate:
    """One version of a project (or of one of its extras), and its wheel for the target.

    `wheel` is None for a package conda installed (`version` None when conda did not say).
    `depends` holds the dependency texts once the metadata was read (see `dependencies`).
    """

    name: str  # the search's name: "black", or "black[jupyter]" for an extra
    version: Version | None
    wheel: simple.DistFile | None = None
    index_url: str | None = None
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()  # the search reads it; PyPI has no such thing
    metadata: simple.Metadata | None = None

    @property
    def project(self) -> str:
        return split_name(self.name)[0]

    @property
    def by_conda(self) -> bool:
        return self.wheel is None


def split_name(name: str) -> tuple[str, str | None]:
    """``black[jupyter]`` -> ``("black", "jupyter")``; ``black`` -> ``("black", None)``."""
    if name.endswith("]") and "[" in name:
        project, extra = name[:-1].split("[", 1)
        return project, extra
    return name, None


def parse_requirement(text: str, where: str) -> Requirement:
    """A PEP 508 requirement; one we cannot use is an error naming it and `where`."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as err:
        raise RequirementError(f"'{text}' is not a PEP 508 requirement ({err})", where=where,
                               hint="write it as name[extras] specifier; marker, e.g. "
                               "'requests[socks]>=2.31; python_version >= \"3.9\"'") from None
    if requirement.url:
        raise RequirementError(f"'{text}' names a direct URL; the resolver reads indexes only",
                               where=where, hint="require the package by name and version")
    return requirement


def search_texts(requirement: Requirement) -> list[str]:
    """The search's requirement texts for one requirement: its project, then each extra
    (``Foo[b,a]>=1`` -> ``foo>=1``, ``foo[a]>=1``, ``foo[b]>=1``)."""
    project, spec = canonicalize_name(requirement.name), str(requirement.specifier)
    return [f"{project}{spec}"] + [f"{project}[{canonicalize_name(extra)}]{spec}"
                                   for extra in sorted(requirement.extras)]


@dataclass
class Dropped:
    """A version that is not a candidate, and why (explanations quote it)."""

    version: Version
    reason: str  # "yanked", "a pre-release", "only a source distribution", ...


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


@dataclass
class PyPIProvider:
    """Answers the search's questions about one resolution, caching every answer.

    `requirements` are the user's (PEP 508 texts, markers already meaning the `target`);
    `indexes` the simple index URLs, first first: a project comes from the first index that
    has it (uv's default, *first-index*, which keeps a public index from shadowing a private
    one's package). `pinned` maps projects to the one index each must come from (a manifest
    entry's ``index = "..."``): such a project is looked up there only, never on `indexes`.
    `direct` maps projects given as one wheel file (``{ url = ".../x.whl" }``) to that file and
    its metadata (`pypi/direct.py`): it is their only candidate. `links` maps projects to
    the wheels of the find-links folders (`pypi/find_links.py`): candidates next to the index's.
    `conda_provided` maps the PyPI names conda installed to their versions (None: not known),
    or is just a set of those names.
    """

    requirements: list[str]
    target: Target
    indexes: list[str]
    conda_provided: Mapping[str, str | None] | Iterable[str] = field(default_factory=dict)
    prerelease: str = "if-necessary-or-explicit"
    cache_dir: Path | None = None
    offline: bool = False
    client: object = None
    label: str | None = None
    preferred: Mapping[str, str] = field(default_factory=dict)  # project -> the locked version
    pinned: Mapping[str, str] = field(default_factory=dict)  # project -> its only index
    direct: Mapping[str, tuple] = field(default_factory=dict)  # project -> (DistFile, Metadata)
    links: Mapping[str, list] = field(default_factory=dict)  # project -> find-links DistFiles

    def __post_init__(self) -> None:
        if self.prerelease not in PRERELEASE_MODES:
            raise RequirementError(f"unknown pre-release mode '{self.prerelease}'",
                                   hint=f"use one of {', '.join(PRERELEASE_MODES)}")
        provided = self.conda_provided  # a mapping name -> version, or just the names
        pairs = provided.items() if isinstance(provided, Mapping) else ((n, None) for n in provided)
        self.conda = {canonicalize_name(n): v for n, v in pairs}
        self.preferred = {canonicalize_name(n): str(Version(v)) for n, v in self.preferred.items()
                          if _is_version(v)}
        self.pinned = {canonicalize_name(n): url for n, url in self.pinned.items()}
        self.direct = {canonicalize_name(n): found for n, found in self.direct.items()}
        self.roots: list[tuple[str, list[str]]] = []  # (text as written, search texts)
        self.explicit: set[str] = set()  # projects a user requirement allows pre-releases of
        self.pins: dict[str, set[Version]] = {}  # project -> versions pinned with ==
        for text in self.requirements:
            requirement = parse_requirement(text, "the PyPI requirements")
            if requirement.marker is not None and not requirement.marker.evaluate(
                    {**self.target.markers, "extra": ""}):
                continue  # not for this platform
            project = canonicalize_name(requirement.name)
            self.roots.append((text, search_texts(requirement)))
            if any(spec.prereleases for spec in requirement.specifier):
                self.explicit.add(project)
            for spec in requirement.specifier:
                if spec.operator in ("==", "===") and "*" not in spec.version:
                    try:
                        self.pins.setdefault(project, set()).add(Version(spec.version))
                    except InvalidVersion:  # "===anything" compares text; it pins no version
                        pass
        self.pages: dict[str, tuple[str, simple.ProjectPage] | None] = {}
        self.dropped: dict[str, list[Dropped]] = {}
        self.labels: dict[tuple[str, int], str] = {}
        self.known: dict[str, dict[int, tuple[str, ...]]] = {}  # name -> index -> depends
        self.unusable: dict[tuple[str, int], str] = {}  # (name, index) -> why (metadata)
        self._candidates: dict[str, Candidates] = {}
        self._matches: dict[str, tuple[str, int]] = {}
        self._parsed: dict[str, Requirement] = {}

    # ---- where a project's files come from --------------------------------------------------

    def page(self, project: str) -> tuple[str, simple.ProjectPage] | None:
        """The project's page on the first index that has it (None: on none of them); a
        pinned project's page on its own index only."""
        if project not in self.pages:
            found = None
            for url in [self.pinned[project]] if project in self.pinned else self.indexes:
                try:
                    found = (url, simple.fetch_project(url, project, cache_dir=self.cache_dir,
                                                       offline=self.offline, client=self.client))
                    break
                except simple.ProjectNotFound:
                    continue
            self.pages[project] = found
        return self.pages[project]

    # --8<-- [start:candidates]
    def candidates(self, name: str) -> Candidates:
        """Every usable version of `name`, newest first, each with its best wheel (cached)."""
        found = self._candidates.get(name)
        if found is None:
            project, extra = split_name(name)
            if extra is not None:  # the same versions as the project, under the extra's name
                base = self.candidates(project)
                records = [Candidate(name, c.version, c.wheel, c.index_url) for c in base.records]
                origins = list(base.origins)
            elif project in self.direct:  # one file: its version is the only candidate
                wheel, metadata = self.direct[project]
                records = [Candidate(project, metadata.version, wheel, None, metadata=metadata)]
                origins = [wheel.url]
            elif project in self.conda:
                version = self.conda[project]
                records = [Candidate(project, Version(version) if version else None)]
                origins = ["conda"]
            else:
                records = self._versions(project)
                origins = [c.index_url for c in records]
            found = self._candidates[name] = Candidates(name, records, origins)
        return found
    # --8<-- [end:candidates]

    def _versions(self, project: str) -> list[Candidate]:
        """The project's candidates: per version, the wheel with the target's best tag."""
        located = self.page(project)
        flat = list(self.links.get(canonicalize_name(project), ()))
        if located is None and not flat:
            return []
        url, page_files = (located[0], list(located[1].files)) if located else (flat[0].root, [])
        files: dict[Version, list[simple.DistFile]] = {}
        for dist in page_files + flat:
            try:
                files.setdefault(dist.version, []).append(dist)
            except InvalidVersion:
                continue
        policy = self._prerelease_policy(project, list(files))
        kept, dropped = [], []
        for version in sorted(files, reverse=True):
            why, wheel = self._best_wheel(project, version, files[version])
            if why is None and version.is_prerelease and policy == "no":
                why = "a pre-release"
            if why is None:
                kept.append(Candidate(project, version, wheel, url))
            else:
                dropped.append(Dropped(version, why))
        if policy == "if-necessary":  # stable versions first: a pre-release only when no
            kept.sort(key=lambda c: c.version.is_prerelease)  # stable version is allowed
        preferred = self.preferred.get(project)
        if preferred is not None:  # the locked version first: it moves only when it must
            kept.sort(key=lambda c: str(c.version) != preferred)
        self.dropped[project] = dropped
        return kept

    def _prerelease_policy(self, project: str, versions: list[Version]) -> str:
        """``yes``: pre-releases are candidates like any version; ``if-necessary``: they come
        after every stable version, so the search takes one only when no stable version is
        allowed; ``no``: they are dropped. uv's default, *if-necessary-or-explicit*, is
        ``if-necessary`` for every project: asking for ``foo>=2.0b1`` still takes a stable
        2.0 over a 2.1rc1 (uv 0.13 does, and the oracle test holds us to it). ``explicit``
        allows pre-releases only of projects a user requirement names one for."""
        mode = self.prerelease
        if mode == "allow":
            return "yes"
        if mode in ("if-necessary-or-explicit", "if-necessary") or (
                mode == "explicit" and project in self.explicit):
            return "if-necessary"
        return "no"

    def _best_wheel(self, project: str, version: Version, files: list[simple.DistFile]):
        """(None, the wheel to use) or (why no file of this version fits, None)."""
        wheels = [f for f in files if f.is_wheel]
        if not wheels:
            return "only a source distribution (building from source is not supported)", None
        rank = self.target.tag_rank
        fitting = [f for f in wheels if any(tag in rank for tag in f.tags)]
        if not fitting:
            return f"no wheel for {self.target.describe()}", None
        unyanked = [f for f in fitting if f.yanked is None]
        if not unyanked and version not in self.pins.get(project, ()):
            return "yanked", None
        fitting = unyanked or fitting
        admitted = [f for f in fitting if self.target.admits(f.requires_python)]
        if not admitted:
            return f"for Python {fitting[0].requires_python} only", None
        return None, min(admitted, key=lambda f: (min(rank.get(t, len(rank)) for t in f.tags),
                                                  f.filename))

    # --8<-- [start:matches]
    def parsed(self, text: str) -> Requirement:
        found = self._parsed.get(text)
        if found is None:
            found = self._parsed[text] = Requirement(text)
        return found

    def target_of(self, text: str) -> str:
        """The search name a requirement text is about: ``foo[a]>=1`` -> ``foo[a]``."""
        requirement = self.parsed(text)
        name = canonicalize_name(requirement.name)
        return f"{name}[{next(iter(requirement.extras))}]" if requirement.extras else name

    def matches(self, text: str) -> int:
        """The mask of the candidates of the text's name whose version it admits. Pre-releases
        count as any version here: which of them may be chosen at all was settled in
        `candidates`. A conda package of unknown version matches everything."""
        known = self._matches.get(text)
        if known is None:
            name, specifier = self.target_of(text), self.parsed(text).specifier
            records = self.candidates(name).records
            mask = mask_of(c.version is None or specifier.contains(c.version, prereleases=True)
                           for c in records)
            known = self._matches[text] = (name, mask)
            self.labels.setdefault((name, mask), text)
        return known[1]
    # --8<-- [end:matches]

    # --8<-- [start:dependencies]
    def dependencies(self, name: str, index: int) -> tuple[str, ...] | None:
        """The requirement texts of candidate `index` of `name` on the target, read from its
        metadata the first time; None when the metadata rules the version out (its
        ``Requires-Python``; the reason is kept in `unusable`)."""
        known = self.known.setdefault(name, {})
        if index in known:
            return known[index]
        if (name, index) in self.unusable:
            return None
        candidate = self.candidates(name).records[index]
        project, extra = split_name(name)
        if candidate.by_conda:
            texts: tuple[str, ...] = (f"{project}==={candidate.version}",) if extra else ()
        else:
            metadata = self._metadata(project, candidate)
            if metadata is None:
                return None
            base = metadata.dependencies((), self.target.markers)
            if extra is None:
                wanted = base
            else:
                seen = {str(r) for r in base}
                wanted = [r for r in metadata.dependencies((extra,), self.target.markers)
                          if str(r) not in seen]
            texts = tuple(dict.fromkeys(text for requirement in wanted
                                        for text in self._texts(requirement, candidate)))
            if extra is not None:
                texts = (f"{project}==={candidate.version}",) + texts
        candidate.depends = known[index] = texts
        return texts
    # --8<-- [end:dependencies]

    def _metadata(self, project: str, candidate: Candidate) -> simple.Metadata | None:
        base = self.candidates(project).records
        owner = next(c for c in base if c.version == candidate.version)
        if owner.metadata is None:
            owner.metadata = simple.fetch_metadata(candidate.wheel, project=project,
                                                   cache_dir=self.cache_dir,
                                                   offline=self.offline, client=self.client)
        candidate.metadata = owner.metadata
        needs = owner.metadata.requires_python
        if needs is not None and not self.target.admits(needs):
            index = self.candidates(candidate.name).records.index(candidate)
            self.unusable[(candidate.name, index)] = f"Requires-Python {needs}"
            return None
        return owner.metadata

    def _texts(self, requirement: Requirement, candidate: Candidate) -> Iterable[str]:
        if requirement.url:
            raise RequirementError(
                f"{candidate.project} {candidate.version} depends on '{requirement}', a direct "
                "URL; the resolver reads indexes only", where=candidate.wheel.url,
                hint="use another version of it, or a conda package")
        return search_texts(requirement)

    def group(self, name: str, text: str) -> int:
        """The candidates of `name` whose (known) dependencies include `text`."""
        return mask_of(text in self.known.get(name, {}).get(i, ())
                       for i in range(len(self.candidates(name).records)))

    def dropped_for(self, project: str, text: str | None = None) -> list[Dropped]:
        """The project's dropped versions that `text` (a requirement) would admit."""
        dropped = self.dropped.get(project, [])
        if text is None:
            return dropped
        specifier = self.parsed(text).specifier
        return [d for d in dropped if specifier.contains(d.version, prereleases=True)]
