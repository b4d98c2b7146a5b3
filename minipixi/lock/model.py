"""The lock file as data: what pixi.lock records, so that every machine installs the same bytes.

A lock file writes down exactly what was solved. It has three parts::

    version: 6
    environments:            # per environment: channels, options, and per platform
      default:               # the *list of urls* of the packages it installs
        channels:
        - url: https://conda.anaconda.org/conda-forge/
        packages:
          linux-64:
          - conda: https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-h4bc722e_7.conda
    packages:                # every package once, with its hashes and dependencies
    - conda: https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-h4bc722e_7.conda
      sha256: 5a2c...
      md5: 62ee...
      depends:
      - libgcc-ng >=12
      license: bzip2-1.0.6
      size: 252783
      timestamp: 1720974456583

This module is that file as dataclasses: a `LockFile` holds `LockedEnvironment`s, which hold,
per platform, `CondaPackage`s (a `PackageRecord` plus what only the lock knows) and
`PypiPackage`s. It does no I/O: `lock/read.py` turns text into these, `lock/write.py` turns
them back into the same text.

Version 7 adds a ``platforms:`` list at the top, so that a platform in the lock can be a
*named* machine ("p1": linux-64 with ``__cuda=12``) rather than only a conda subdir, and
``conda_source:`` entries for packages Pixi builds from source. Pixi writes every lock as
v7 since 0.68 (rattler_lock's writer knows only its latest version), listing each platform's
default virtual packages (``__glibc=2.28``, ``__archspec=0=x86_64``...). A new minipixi lock is
version 6 unless some platform needs 7 (see `choose_lock_version`); a lock that replaces a v7
lock stays v7 (`make_lock_file(replaces=7)`), and an up-to-date lock is never rewritten.

Lesson: Episode 2, "The lock file" (the episode page, at its lock-file section). Read after
`solver/`; read next `lock/locations.py`, then `lock/read.py` and `lock/write.py`. Ground
truth: rattler_lock (design goals in its `lib.rs`: complete, readable, small diffs,
byte-for-byte reproducible).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence, Union

from minipixi.errors import LockError
from minipixi.lock.locations import ARCHIVE_SUFFIXES, location_of_url
from minipixi.matchspec import MatchSpec
from minipixi.records import PackageRecord

LOCK_FILE_NAME = "pixi.lock"
READABLE_VERSIONS = (4, 5, 6, 7)  # 4 and 5 are upgraded to 6 when read
WRITABLE_VERSIONS = (6, 7)
REGENERATE_HINT = "run `minipixi lock` to regenerate pixi.lock from pixi.toml"

# The order of a conda package's fields in the `packages:` list (rattler's
# CondaPackageDataModel). `arch`/`platform` are only ever copied from older files.
CONDA_FIELD_ORDER = (
    "conda", "conda_source", "name", "version", "build", "build_number", "subdir", "noarch",
    "variants", "sha256", "md5", "legacy_bz2_md5", "depends", "constrains", "extra_depends",
    "arch", "platform", "channel", "features", "flags", "track_features", "file_name",
    "license", "license_family", "purls", "run_exports", "size", "legacy_bz2_size",
    "timestamp", "input", "package_build_source", "sources", "python_site_packages_path",
)
PYPI_FIELD_ORDER = (  # rattler's PypiPackageDataModel; `index` is v7's, `editable` v6's
    "pypi", "name", "version", "md5", "sha256", "index", "requires_dist", "requires_python",
    "editable",
)


# ---------------------------------------------------------------------------------------
# The data model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockChannel:
    """A channel an environment was solved with (`used_env_vars`: names of secrets it needs)."""

    url: str
    used_env_vars: tuple[str, ...] = ()


@dataclass(frozen=True)
class LockPlatform:
    """A platform of the lock: a name, the conda subdir behind it, its virtual packages.

    In v6 the name *is* the subdir and there are no virtual packages. In v7 a rich
    manifest entry ({name = "gpu", platform = "linux-64", cuda = "12"}) becomes e.g.
    ``LockPlatform("p1", "linux-64", ("__cuda=12", ...))``.
    """

    name: str
    subdir: str
    virtual_packages: tuple[str, ...] = ()

    @property
    def is_rich(self) -> bool:
        """True when only a v7 lock can say this (a name or virtual packages of its own)."""
        return self.name != self.subdir or bool(self.virtual_packages)


@dataclass(frozen=True)
class CondaPackage:
    """A locked conda package: its record plus what only the lock knows.

    `location` is what follows ``conda:`` (a URL, or a relative path for a source package);
    for v7 source packages it is the ``conda_source:`` identifier (`kind` says which).
    `purls` is None when the lock says nothing, () when it says ``purls: []``.
    `extra` keeps fields this module does not model, as (key, raw YAML value) pairs.
    `timestamp_in_seconds`: the lock wrote the timestamp in seconds (older Pixi did), so it
    is written back in seconds. `verbatim`: a v7 ``conda_source`` entry as read, with the
    record and purls it gave; minipixi builds no source packages, so it writes such an entry
    back unchanged as long as its record and purls are still the ones read.
    """

    location: str
    record: PackageRecord
    purls: tuple[str, ...] | None = None
    input: Mapping[str, Any] | None = None
    extra: tuple[tuple[str, Any], ...] = ()
    kind: str = "conda"
    timestamp_in_seconds: bool = False
    verbatim: tuple[PackageRecord, tuple[str, ...] | None, Mapping[str, Any]] | None = field(
        default=None, compare=False)

    @classmethod
    def from_record(cls, record: PackageRecord, *,
                    purls: Iterable[str] | None = None) -> CondaPackage:
        """Lock a solved record (it must have a `url`). `arch`/`platform` are dropped:
        they follow from the subdir, and current Pixi no longer writes them."""
        if not record.url:
            raise LockError(f"cannot lock {record.name} {record.version}: the record has no url")
        record = replace(record, arch=None, platform=None)
        return cls(location_of_url(record.url), record, None if purls is None else tuple(purls))

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def version(self) -> str:
        return self.record.version

    @property
    def build(self) -> str:
        return self.record.build

    @property
    def url(self) -> str:
        """Where to download it: a ``file://`` URL for a package the lock names by its path."""
        return self.record.url or self.location

    @property
    def is_source(self) -> bool:
        """A package built from source (a path or `conda_source`), not a downloaded archive."""
        return self.kind != "conda" or not self.location.endswith(ARCHIVE_SUFFIXES)


@dataclass(frozen=True)
class PypiPackage:
    """A locked PyPI package: a wheel minipixi installs, or an entry it keeps and rewrites as read.

    `version` is "" for a path or URL package whose version the lock leaves out (v7 does,
    for a local project whose version is computed when it is built). `sha256` is None for a
    wheel named by URL or path: Pixi locks those without a hash (`pypi/direct.py` says what
    install checks instead); a wheel from an index always has one.
    """

    location: str
    name: str
    version: str
    sha256: str | None = None
    md5: str | None = None
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    editable: bool = False
    extra: tuple[tuple[str, Any], ...] = ()
    kind: str = "pypi"

    @property
    def url(self) -> str:
        return self.location

    @property
    def index(self) -> str | None:
        """The index it came from, as a v7 lock writes it (``index:``, kept in `extra`; None
        when the lock says nothing: a v6 lock, pypi.org, or a wheel named by URL or path)."""
        value = dict(self.extra).get("index")
        return None if value is None else str(value)

    @property
    def source(self) -> str:
        """How the lock names the file: ``"url"`` (``direct+https://...``: a wheel given by its
        URL), ``"path"`` (relative to the workspace), ``"git"``, else ``"index"`` (a URL an
        index or a find-links page served)."""
        if self.location.startswith("direct+"):
            return "url"
        if self.location.startswith("git+"):
            return "git"
        return "index" if re.match(r"[A-Za-z][A-Za-z0-9+.-]+://", self.location) else "path"


LockedPackage = Union[CondaPackage, PypiPackage]


@dataclass(frozen=True)
class LockedEnvironment:
    """One environment: its channels and options, and per platform name its packages.

    `indexes` / `find_links` are the PyPI settings (None when the lock has none);
    `pypi_extras` maps (platform, pypi location) to the extras that environment enables.
    """

    channels: tuple[LockChannel, ...] = ()
    packages: Mapping[str, tuple[LockedPackage, ...]] = field(default_factory=dict)
    indexes: tuple[str, ...] | None = None
    find_links: tuple[Any, ...] | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    pypi_extras: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def conda_packages(self, platform: str) -> list[CondaPackage]:
        """The conda packages locked for `platform` (empty when the platform is not locked)."""
        return [p for p in self.packages.get(platform, ()) if isinstance(p, CondaPackage)]

    def pypi_packages(self, platform: str) -> list[PypiPackage]:
        """The PyPI packages locked for `platform`."""
        return [p for p in self.packages.get(platform, ()) if isinstance(p, PypiPackage)]


@dataclass(frozen=True)
class LockFile:
    """A whole pixi.lock: its format version, platforms (sorted by name), environments by name.

    `build_only`: packages no environment installs but a v7 source package is built with
    (its ``build_packages`` / ``host_packages``); kept so that they are written back.
    """

    version: int
    environments: Mapping[str, LockedEnvironment]
    platforms: tuple[LockPlatform, ...] = ()
    build_only: tuple[LockedPackage, ...] = ()

    def environment(self, name: str) -> LockedEnvironment:
        """The environment called `name`; LockError (with the fix) when the lock lacks it."""
        if name not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none"
            raise LockError(f"{LOCK_FILE_NAME} has no environment '{name}' (it has: {known})",
                            hint=REGENERATE_HINT)
        return self.environments[name]

    def platform(self, name: str) -> LockPlatform:
        """The platform called `name`; a plain subdir name when the lock does not declare it."""
        for platform in self.platforms:
            if platform.name == name:
                return platform
        return LockPlatform(name, name)


def choose_lock_version(platforms: Iterable[LockPlatform]) -> int:
    """7 when some platform carries virtual packages or a name of its own, else 6.

    Pixi 0.77 writes every new lock as v7 (rattler_lock's writer knows only its latest
    version), listing each platform's default virtual packages; `app/relock.py`
    gives every platform those, so new locks are v7. 6 remains for a LockFile built from bare
    platforms (a v6 lock read and written back unchanged keeps its version anyway).
    """
    return 7 if any(p.is_rich for p in platforms) else 6


def name_lock_platforms(entries: Sequence[tuple[str, bool]]) -> list[str]:
    """Lock names for the manifest's platform entries, given as (subdir, is_rich) in order.

    As Pixi does: a plain entry is named by its subdir; rich entries (a name, cuda, macos,
    ...) are numbered p1, p2, ... in manifest order, so the lock does not depend on how
    the manifest spells its names.
    """
    names, count = [], 0
    for subdir, rich in entries:
        count += rich
        names.append(f"p{count}" if rich else subdir)
    return names


def lock_platform_names(workspace) -> dict[str, str]:
    """Manifest platform entry name -> lock platform name, for a whole manifest.

    In a v6 lock a platform is its subdir. With rich entries (v7), Pixi keeps a plain entry's
    subdir as its name and numbers the rich ones ``p1``, ``p2``... in manifest order.
    """
    entries = workspace.platforms
    numbered = name_lock_platforms([(e.subdir, e.rich and (e.name != e.subdir or bool(e.virtual)))
                                    for e in entries])
    return {entry.name: name for entry, name in zip(entries, numbered)}


def closure(records: Sequence[PackageRecord], roots: Iterable[str]) -> list[PackageRecord]:
    """The records reachable from `roots` through `depends` (how a solve-group member gets its
    own share of the group's solution, and which locked packages nothing needs)."""
    by_name = {r.name: r for r in records}
    seen: set[str] = set()
    todo = [n for n in roots if n in by_name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for dep in by_name[name].depends:
            dep_name = MatchSpec.parse(dep).name
            if dep_name in by_name and dep_name not in seen:
                todo.append(dep_name)
    return [r for r in records if r.name in seen]


def make_lock_file(environments: Mapping[str, LockedEnvironment],
                   platforms: Iterable[LockPlatform] = (), *,
                   replaces: int | None = None) -> LockFile:
    """A new lock with the version chosen by `choose_lock_version`, or at least `replaces`,
    the version of the lock it replaces: a v7 lock stays v7 (Pixi never writes an older
    version than it read; since Pixi 0.68 it writes every lock as v7).

    Platforms used by an environment but not listed are added as plain subdirs.
    """
    declared = {p.name: p for p in platforms}
    for env in environments.values():
        for name in env.packages:
            declared.setdefault(name, LockPlatform(name, name))
    ordered = tuple(declared[name] for name in sorted(declared))
    version = max(choose_lock_version(ordered), min(replaces or 6, max(WRITABLE_VERSIONS)))
    return LockFile(version, dict(environments), ordered)


def with_packages(env: LockedEnvironment, platform: str,
                  packages: Iterable[LockedPackage]) -> LockedEnvironment:
    """A copy of `env` whose `platform` holds `packages` (how a re-solve updates a lock)."""
    return replace(env, packages={**env.packages, platform: tuple(packages)})


def package_identity(package: LockedPackage) -> tuple:
    """What makes a package one package: its location, and for conda its record's identity
    (v6 allows several records at one location, e.g. one source folder for two platforms)."""
    if isinstance(package, CondaPackage):
        record = package.record
        return (package.kind, package.location, record.name, record.version, record.build,
                record.subdir)
    return (package.kind, package.location)


def normalize_pypi_name(name: str) -> str:
    """PyPI's canonical spelling of a name (PEP 503): ``Typing_Extensions`` -> ``typing-extensions``.

    rattler stores PyPI names this way, so we read and write them this way too.
    """
    return re.sub(r"[-_.]+", "-", name).lower()
