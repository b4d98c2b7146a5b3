"""Resolving PyPI requirements: one PubGrub search, two ecosystems.

After the conda solve, an environment knows its Python (``python 3.12.7`` on linux-64), and
the manifest's ``[pypi-dependencies]`` still have to be turned into exact versions and wheel
files. That is the same problem the conda solver solves (pick one candidate per name so that
every requirement holds), so this module runs the **same search** (`solver/search.py`'s
`Search`: unit propagation, learning from conflicts, backjumping) over a different provider,
`pypi/provider.py`. The search never learns that it is working on PyPI: candidates are bits in
a mask, and facts are sets of terms.

Two of the search's steps read conda specs, so `PyPISearch` replaces just those two:

- `_add_task_facts`: the user's requirements become facts "not (foo ∈ what foo>=1 admits)",
  one per name (``foo[a]>=1`` also asks for the extra ``foo[a]``);
- `_add_record_facts`: when the search decides a version, its dependencies are read from its
  metadata (lazily: PyPI lists dependencies per file, not in one index) and become facts
  "foo 2.0 and not (bar ∈ what bar<3 admits)". A version whose metadata rules out the target
  Python becomes the fact "foo 2.0 cannot be used".

Everything else (decisions, propagation, conflicts, the proof) is the conda solver's. When
the search proves that nothing fits, `pypi/explain.py` words the proof.

The result is a list of `ResolvedPackage`: plain data, ready to become the PyPI entries of a
lock (name, version, wheel URL, hashes, ``requires_dist``, ``requires_python``). Packages that
conda already installed are not in it (`Resolution.by_conda` names them).

Read after `pypi/provider.py`; read next `pypi/explain.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from minipixi import http
from minipixi.errors import SolveError
from minipixi.pypi.explain import pypi_failure, render_explanation, render_hint, sdist_only
from minipixi.pypi.provider import PyPIProvider, split_name
from minipixi.pypi.target import Target
from minipixi.solver.incompatibility import Incompatibility, Term, make_incompatibility
from minipixi.solver.report import Depends, Requested, Unusable
from minipixi.solver.search import Reporter, Search, Unsolvable


class PyPIResolveError(SolveError):
    """No set of PyPI versions satisfies the requirements; `details` says why."""


@dataclass(frozen=True)
class ResolvedPackage:
    """One chosen PyPI package: what a lock entry needs."""

    name: str  # normalized (PEP 503)
    version: str
    url: str  # the wheel's URL
    filename: str
    hashes: Mapping[str, str]  # algorithm -> hex digest, as the index lists them
    requires_dist: tuple[str, ...]  # every Requires-Dist line, markers and all
    requires_python: str | None
    index_url: str | None  # None: a wheel given by its URL
    extras: tuple[str, ...] = ()  # the extras some requirement asked for


@dataclass
class Resolution:
    """The packages to install from PyPI, sorted by name, and the required names that conda
    already installed (not installed again)."""

    packages: list[ResolvedPackage]
    by_conda: list[str] = field(default_factory=list)


# --8<-- [start:PyPISearch]
class PyPISearch(Search):
    """The conda solver's search, with PyPI requirements and lazily read dependencies."""

    def __init__(self, provider: PyPIProvider, reporter: Reporter | None = None) -> None:
        super().__init__(provider, reporter)
        self._facts: set[tuple[str, str, int]] = set()

    def _add_task_facts(self) -> None:
        provider = self.provider
        for written, texts in provider.roots:
            for text in texts:
                name = provider.target_of(text)
                self._add_fact([Term(name, provider.matches(text), False)], Requested(written, text))
                if name not in self.requested:
                    self.requested.append(name)

    def _add_record_facts(self, name: str, index: int) -> None:
        provider = self.provider
        depends = provider.dependencies(name, index)
        if depends is None:
            reason = provider.unusable[(name, index)]
            self._add(Incompatibility((Term(name, 1 << index, True),), Unusable(name, reason)))
            return
        for text in depends:
            # Every version whose metadata is known and lists the same text shares the fact.
            group = provider.group(name, text)
            if (name, text, group) in self._facts:
                continue
            self._facts.add((name, text, group))
            target = provider.target_of(text)
            fact = make_incompatibility([Term(name, group, True),
                                         Term(target, provider.matches(text), False)],
                                        Depends(name, text))
            if fact is not None:
                self._add(fact)
# --8<-- [end:PyPISearch]


# --8<-- [start:resolve]
def resolve(requirements: list[str], target: Target, indexes: list[str], *,
            conda_provided: Mapping[str, str | None] | Iterable[str] | None = None,
            prerelease: str = "if-necessary-or-explicit", cache_dir: Path | None = None,
            offline: bool = False, client=None, label: str | None = None,
            reporter: Reporter | None = None, preferred: Mapping[str, str] | None = None,
            pinned: Mapping[str, str] | None = None, direct: Mapping[str, tuple] | None = None,
            links: Mapping[str, list] | None = None) -> Resolution:
    """The PyPI packages that satisfy `requirements` (PEP 508 texts) on `target`, from the
    simple indexes `indexes` (the first index that has a project serves it).

    `conda_provided` maps PyPI names that conda installed (from the conda records' ``purls``)
    to their versions (None: unknown), or is a set of those names: they are not resolved
    again. `preferred` maps names to versions to try first (what a lock had: a relock moves
    them only when it must). `pinned` maps names to the one index each comes from (a
    manifest entry's ``index``); `direct` maps names to the one wheel each is (`pypi/direct.py`);
    `links` names to the wheels of find-links folders (`pypi/find_links.py`).
    Raises PyPIResolveError with the explanation when nothing
    fits, and `index.IndexError_` when an index cannot be read.
    """
    own = client is None
    client = http.new_client() if own else client
    try:
        provider = PyPIProvider(list(requirements), target, list(indexes),
                                conda_provided=conda_provided or {}, prerelease=prerelease,
                                cache_dir=cache_dir, offline=offline, client=client,
                                label=label, preferred=preferred or {}, pinned=pinned or {},
                                direct=direct or {}, links=links or {})
        try:
            chosen = PyPISearch(provider, reporter).run()
        except Unsolvable as failure:
            raise unsolvable_error(provider, failure.incompatibility) from None
        return _resolution(provider, chosen)
    finally:
        if own:
            client.close()
# --8<-- [end:resolve]


def _resolution(provider: PyPIProvider, chosen: dict) -> Resolution:
    extras: dict[str, list[str]] = {}
    for name in chosen:
        project, extra = split_name(name)
        if extra is not None:
            extras.setdefault(project, []).append(extra)
    packages, by_conda = [], []
    for name, candidate in sorted(chosen.items()):
        if split_name(name)[1] is not None:
            continue
        if candidate.by_conda:
            by_conda.append(name)
            continue
        wheel, metadata = candidate.wheel, candidate.metadata
        needs = metadata.requires_python if metadata.requires_python is not None else \
            wheel.requires_python
        packages.append(ResolvedPackage(
            name, str(candidate.version), wheel.url, wheel.filename, dict(wheel.hashes),
            tuple(str(r) for r in metadata.requires_dist),
            str(needs) if needs is not None else None, candidate.index_url,
            tuple(sorted(extras.get(name, ())))))
    return Resolution(packages, by_conda)


def unsolvable_error(provider: PyPIProvider, root: Incompatibility) -> PyPIResolveError:
    """The error for a failed resolution: its proof in words, and the fix."""
    where = provider.target.describe()
    failure = pypi_failure(provider, root)
    sources = sdist_only(failure)
    if sources:
        names = ", ".join(f"'{name}'" for name in sources)
        message = (f"cannot install {names} from PyPI for {where}: only source distributions "
                   "fit, and building from source is not supported; use a wheel or a conda "
                   "package")
    else:
        message = (f"cannot resolve the PyPI requirements for {where}: no set of versions "
                   "satisfies all of them")
    error = PyPIResolveError(message, details=render_explanation(failure), hint=render_hint(failure))
    error.incompatibility = root
    return error
