"""Lock files: write down exactly what was solved, so that every machine installs the same bytes.

Reads pixi.lock v4 to v7 (v4 and v5 upgraded to v6 in memory, as Pixi does) and writes v6/v7
byte-stable: a lock Pixi wrote reads and renders back to the same bytes (all 91 Pixi-written
locks of ../shared/real-pixi do, tests/corpus/test_real_pixi_locks.py).
Lesson: Episode 2, "The lock file" (the episode page, at its lock-file section). Read after
`solver.py`; read next `install.py`. Ground truth: rattler_lock (design goals in its `lib.rs`:
complete, readable, small diffs, byte-for-byte reproducible).

The file has three parts::

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

Version 7 adds a ``platforms:`` list at the top, so that a platform in the lock can be a
*named* machine ("p1": linux-64 with ``__cuda=12``) rather than only a conda subdir, and
``conda_source:`` entries for packages Pixi builds from source. Pixi writes every lock as
v7 since 0.68 (rattler_lock's writer knows only its latest version), listing each platform's
default virtual packages (``__glibc=2.28``, ``__archspec=0=x86_64``...). A new minipixi lock is
version 6 unless some platform needs 7 (see `choose_lock_version`); a lock that replaces a v7
lock stays v7 (`make_lock_file(replaces=7)`), and an up-to-date lock is never rewritten.

Small diffs come from one rule: **never write what the URL already says**. The file name
``bzip2-1.0.8-h4bc722e_7.conda`` gives name, version and build; the folder gives the subdir;
the trailing ``_7`` gives the build number; everything before the subdir is the channel. A
field is written only when it differs from what the URL implies (``python-3.13.0-h..._101_cp313``
has build number 101, not 313, so that record says ``build_number: 101``).

Reading keeps everything, including fields this module does not model (they go to
``extra`` and are written back in rattler's position), so reading and writing a real lock
changes nothing but, at most, the order rattler itself would choose.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union
from urllib.parse import quote, unquote, urlsplit

from minipixi.errors import LockError, Location, VersionError, source_excerpt
from minipixi.lock.yaml_dialect import ParsedYaml, YamlReadError, check_size, parse_yaml, render_yaml
from minipixi.records import (
    PackageRecord,
    UnsafeRecordError,
    check_record_paths,
    parse_package_filename,
)
from minipixi.version import parse_version

LOCK_FILE_NAME = "pixi.lock"
READABLE_VERSIONS = (4, 5, 6, 7)  # 4 and 5 are upgraded to 6 when read
WRITABLE_VERSIONS = (6, 7)
REGENERATE_HINT = "run `minipixi lock` to regenerate pixi.lock from pixi.toml"

# Conda subdirs in rattler's `Platform` order (the order v6 writes platform keys in).
KNOWN_SUBDIRS = (
    "noarch", "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l",
    "linux-loongarch64", "linux-ppc64le", "linux-ppc64", "linux-ppc", "linux-s390x",
    "linux-riscv32", "linux-riscv64", "freebsd-64", "osx-64", "osx-arm64", "win-32", "win-64",
    "win-arm64", "emscripten-wasm32", "wasi-wasm32", "zos-z",
)
_PLATFORM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_ARCHIVE_SUFFIXES = (".conda", ".tar.bz2")

# The order of a conda package's fields in the `packages:` list (rattler's
# CondaPackageDataModel). `arch`/`platform` are only ever copied from older files.
CONDA_FIELD_ORDER = (
    "conda", "conda_source", "name", "version", "build", "build_number", "subdir", "noarch",
    "variants", "sha256", "md5", "legacy_bz2_md5", "depends", "constrains", "extra_depends",
    "arch", "platform", "channel", "features", "flags", "track_features", "file_name",
    "license", "license_family", "purls", "run_exports", "size", "legacy_bz2_size",
    "timestamp", "input", "package_build_source", "sources", "python_site_packages_path",
)
PYPI_FIELD_ORDER = (
    "pypi", "name", "version", "md5", "sha256", "requires_dist", "requires_python", "editable",
)
# Solve options: written in this order, and left out when they hold the default.
OPTION_ORDER = ("strategy", "channel-priority", "exclude-newer", "pypi-prerelease-mode")
OPTION_DEFAULTS = {"strategy": "highest", "channel-priority": "strict"}


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
        return self.kind != "conda" or not self.location.endswith(_ARCHIVE_SUFFIXES)


@dataclass(frozen=True)
class PypiPackage:
    """A locked PyPI package, kept and rewritten faithfully (minipixi installs no wheels).

    `version` is "" for a path or URL package whose version the lock leaves out (v7 does,
    for a local project whose version is computed when it is built).
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
    version), listing each platform's default virtual packages; `workspace._entry_virtual`
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


# ---------------------------------------------------------------------------------------
# Fields a URL already says (rattler's `LocationDerivedFields`)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DerivedFields:
    """What the location of a conda package says about it; None where it says nothing."""

    file_name: str | None = None
    name: str | None = None
    version: str | None = None
    build: str | None = None
    subdir: str | None = None
    channel: str | None = None


# --8<-- [start:derive]
def derive_fields(location: str) -> DerivedFields:
    """Read name, version, build, subdir and channel off a package location.

    ``https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-h4bc722e_7.conda`` gives
    bzip2 / 1.0.8 / h4bc722e_7 / linux-64 / https://conda.anaconda.org/conda-forge.
    A path (``../pkgs/linux-64/foo-1-0.conda``) gives only what its file name gives.
    """
    file_name = location.rstrip("/").rsplit("/", 1)[-1]
    if not file_name.endswith(_ARCHIVE_SUFFIXES) or file_name.count("-") < 2:
        return DerivedFields()
    parsed = parse_package_filename(file_name)
    subdir = channel = None
    if location.startswith(("http://", "https://")):
        head, _, _ = location.rpartition("/")
        channel_url, _, folder = head.rpartition("/")
        if folder in KNOWN_SUBDIRS:
            subdir = folder
        channel = channel_url
    return DerivedFields(file_name, parsed.name, parsed.version, parsed.build, subdir, channel)


def derive_build_number(build: str) -> int | None:
    """The digits at the end of a build string (``py313h..._101`` -> 101), if any."""
    match = re.search(r"(\d+)$", build)
    return int(match.group(1)) if match else None


def derive_noarch(subdir: str, build: str) -> str | None:
    """In ``noarch/``, a build with "py" in it is taken for noarch: python, else generic."""
    if subdir != "noarch":
        return None
    return "python" if "py" in build else "generic"
# --8<-- [end:derive]


def location_of_url(url: str) -> str:
    """Where the lock says a package lives: the URL, but a ``file://`` URL as its path.

    rattler writes local packages as paths, so a lock made on one machine does not carry
    ``file://`` noise (and a relative path keeps working after a checkout moves).
    """
    if url.startswith("file://"):
        return unquote(url[len("file://"):])
    return url


def url_of_location(location: str) -> str | None:
    """The download URL of a location: itself, ``file://`` for an absolute path, else None."""
    if "://" in location:
        return location
    if location.startswith("/"):
        return "file://" + quote(location)
    return None


def _strip_slash(url: str | None) -> str | None:
    return url.rstrip("/") if url else url


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


@dataclass
class _Reader:
    """Context for turning parsed YAML into a LockFile: the file, for error messages."""

    path: str
    text: str
    parsed: ParsedYaml

    def error(self, message: str, at: tuple = (), hint: str = REGENERATE_HINT) -> LockError:
        """A LockError pointing at `at` (a path into the document) with a source excerpt."""
        place = ".".join(str(p) for p in at)
        text = f"{message} (at `{place}`)" if place else message
        return _lock_error(self.path, self.text, text, self.parsed.position_of(at), hint)


def _lock_error(path: str, text: str, message: str, position: tuple[int, int] | None,
                hint: str = REGENERATE_HINT) -> LockError:
    if position is None:
        return LockError(f"{path} is not a valid lock file: {message}", where=Location(path),
                         hint=hint)
    line, column = position
    return LockError(f"{path} is not a valid lock file: {message}",
                     where=Location(path, line, column), hint=hint,
                     details=source_excerpt(text, line, column))


def read_lock(path: str | os.PathLike) -> LockFile:
    """Read pixi.lock (version 6 or 7). Raises LockError naming the place and the fix."""
    path = Path(path)
    try:
        check_size(path.stat().st_size)  # before reading it: a huge file is refused unread
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise LockError(f"{path} does not exist", where=str(path), hint=REGENERATE_HINT) from err
    except YamlReadError as err:
        raise LockError(f"{path} is not a valid lock file: {err.message}", where=str(path),
                        hint=REGENERATE_HINT) from err
    except (OSError, UnicodeDecodeError) as err:
        raise LockError(f"cannot read {path}: {err}", where=str(path), hint=REGENERATE_HINT) from err
    return parse_lock(text, str(path))


def parse_lock(text: str, path: str = LOCK_FILE_NAME) -> LockFile:
    """Parse the text of a lock file; `path` is only used in error messages."""
    try:
        parsed = parse_yaml(text)
    except YamlReadError as err:
        position = (err.line, err.column or 1) if err.line else None
        raise _lock_error(path, text, err.message, position) from err
    reader = _Reader(path, text, parsed)
    document = parsed.data
    if not isinstance(document, dict):
        raise reader.error("expected a mapping with `version`, `environments` and `packages`")
    version = _read_version(reader, document)
    legacy = version < 6
    if legacy:  # v4 and v5 are read as the v6 they would be today (as Pixi upgrades them)
        document = {**document, "packages": _upgrade_legacy_packages(
            reader, document.get("packages") or [])}
        version = 6
    platforms = _read_platforms(reader, document, version)
    packages = _read_packages(reader, document.get("packages") or [])
    environments = _read_environments(reader, document, platforms, packages, legacy)
    if version == 6:  # v6 declares no platforms: they are the subdirs the environments use
        used = {name for env in environments.values() for name in env.packages}
        platforms = {name: LockPlatform(name, name) for name in used}
    return LockFile(version, environments, tuple(platforms[n] for n in sorted(platforms)),
                    _build_only_packages(reader, environments, packages))


def _build_only_packages(reader: _Reader, environments: Mapping[str, LockedEnvironment],
                         packages: dict) -> tuple[LockedPackage, ...]:
    """The packages that source packages list to build with and no environment installs."""
    seen = {_identity(p) for env in environments.values() for pkgs in env.packages.values()
            for p in pkgs}
    work = [p for ps in packages.values() for p in ps if _identity(p) in seen]
    found: list[LockedPackage] = []
    while work:
        raw = _raw_entry(work.pop())
        for key in ("build_packages", "host_packages"):
            for i, selector in enumerate(raw.get(key) or ()):
                package = _resolve_selector(reader, selector, packages, ("packages", key, i))
                if _identity(package) not in seen:
                    seen.add(_identity(package))
                    found.append(package)
                    work.append(package)
    return tuple(found)


def _raw_entry(package: LockedPackage) -> Mapping[str, Any]:
    if isinstance(package, CondaPackage) and package.verbatim is not None:
        return package.verbatim[2]
    return dict(package.extra)


def _read_version(reader: _Reader, document: dict) -> int:
    raw = document.get("version")
    if raw is None:
        raise reader.error("it has no `version` field")
    if not str(raw).isdigit() or len(str(raw)) > 3 or int(raw) not in READABLE_VERSIONS:
        raise reader.error(
            f"lock file version {raw} is not supported (minipixi reads versions 4 to 7)",
            ("version",),
            hint="regenerate it with `minipixi lock` (or update minipixi if Pixi wrote it)",
        )
    return int(raw)


# --8<-- [start:legacy]
def _upgrade_legacy_packages(reader: _Reader, entries: Any) -> list[dict]:
    """v4/v5 package entries in v6 form.

    Before v6 an entry said what it was with ``kind: conda`` (or ``pypi``) and where it lived
    with ``url:`` (or ``path:``), and spelled out name, version, build and subdir. A field
    left out meant its default, not "what the URL says": no ``noarch`` meant not noarch, no
    ``build_number`` meant 0. So those defaults are written into the v6 entry explicitly.
    """
    upgraded = []
    for i, entry in enumerate(_as_list(reader, entries, ("packages",))):
        at = ("packages", i)
        if not isinstance(entry, dict) or entry.get("kind") not in ("conda", "pypi"):
            raise reader.error("a version 4/5 package entry needs `kind: conda` or "
                               "`kind: pypi`", at)
        where = entry.get("url") if entry.get("url") is not None else entry.get("path")
        if not where:
            raise reader.error("a version 4/5 package entry needs a `url:` or `path:`", at)
        rest = {k: v for k, v in entry.items() if k not in ("kind", "url", "path")}
        if entry["kind"] == "conda":
            rest.setdefault("noarch", None)
            rest.setdefault("build_number", "0")
            rest.setdefault("build", "")
        upgraded.append({entry["kind"]: where, **rest})
    return upgraded
# --8<-- [end:legacy]


def _read_platforms(reader: _Reader, document: dict, version: int) -> dict[str, LockPlatform]:
    """v7's `platforms:` list as {name: LockPlatform}; for v6, every known subdir."""
    if version == 6:
        return {s: LockPlatform(s, s) for s in KNOWN_SUBDIRS}
    platforms: dict[str, LockPlatform] = {}
    for i, entry in enumerate(_as_list(reader, document.get("platforms"), ("platforms",))):
        at = ("platforms", i)
        if not isinstance(entry, dict) or not entry.get("name"):
            raise reader.error("a platform needs a `name`", at)
        name = str(entry["name"])
        subdir = str(entry.get("subdir") or name)
        if not _PLATFORM_NAME.fullmatch(name):
            raise reader.error(f"'{name}' is not a valid platform name", at + ("name",))
        if subdir not in KNOWN_SUBDIRS:
            raise reader.error(f"platform '{name}' has unknown subdir '{subdir}'", at)
        if name in platforms:
            raise reader.error(f"platform '{name}' is declared twice", at)
        vpkgs = tuple(str(v) for v in _as_list(reader, entry.get("virtual-packages"), at))
        platforms[name] = LockPlatform(name, subdir, vpkgs)
    return platforms


def _as_mapping(reader: _Reader, value: Any, at: tuple) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise reader.error("expected a mapping", at)
    return value


def _as_list(reader: _Reader, value: Any, at: tuple) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise reader.error("expected a list", at)
    return value


def _read_packages(reader: _Reader, entries: Any) -> dict[tuple[str, str], list[LockedPackage]]:
    """The top-level `packages:` list, indexed by (kind, location)."""
    index: dict[tuple[str, str], list[LockedPackage]] = {}
    for i, entry in enumerate(_as_list(reader, entries, ("packages",))):
        at = ("packages", i)
        if not isinstance(entry, dict):
            raise reader.error("a package entry must be a mapping", at)
        if "pypi" in entry:
            package: LockedPackage = _read_pypi_package(reader, entry, at)
        elif "conda" in entry or "conda_source" in entry:
            package = _read_conda_package(reader, entry, at)
        else:
            raise reader.error("a package entry needs a `conda:` or `pypi:` key", at)
        index.setdefault((package.kind, package.location), []).append(package)
    return index


def _read_int(reader: _Reader, entry: dict, key: str, at: tuple) -> int | None:
    raw = entry.get(key)
    if raw is None:
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise reader.error(f"`{key}` must be a whole number, not '{raw}'", at + (key,)) from None


def _read_strings(reader: _Reader, entry: dict, key: str, at: tuple) -> tuple[str, ...]:
    return tuple(str(v) for v in _as_list(reader, entry.get(key), at + (key,)))


# A larger number cannot be seconds (it is after the year 9999): it is milliseconds.
_LAST_SECOND_OF_9999 = 253_402_300_799


def _read_timestamp(reader: _Reader, entry: dict, at: tuple) -> int | None:
    """Milliseconds; a value that fits in seconds (year < 10000) is seconds (rattler's rule)."""
    stamp = _read_int(reader, entry, "timestamp", at)
    if stamp is not None and stamp <= _LAST_SECOND_OF_9999:
        stamp *= 1000
    return stamp


def _timestamp_in_seconds(entry: dict) -> bool:
    raw = entry.get("timestamp")
    return raw is not None and str(raw).isdigit() and int(str(raw)) <= _LAST_SECOND_OF_9999


_CONDA_MODELLED = {
    "conda", "conda_source", "name", "version", "build", "build_number", "subdir", "noarch",
    "sha256", "md5", "legacy_bz2_md5", "depends", "constrains", "arch", "platform", "channel",
    "features", "track_features", "file_name", "license", "license_family", "purls", "size",
    "legacy_bz2_size", "timestamp", "input", "python_site_packages_path",
}


def _read_conda_package(reader: _Reader, entry: dict, at: tuple) -> CondaPackage:
    """One `- conda:` (or v7 `- conda_source:`) entry, filling omitted fields from the URL."""
    kind = "conda" if "conda" in entry else "conda_source"
    location = location_of_url(str(entry[kind])) if kind == "conda" else str(entry[kind])
    derived = _derived_for(kind, location)
    if kind == "conda_source":
        return _read_source_package(reader, entry, location, derived, at)
    name, version, build, subdir = _read_identity(reader, entry, location, derived, at)
    build_number = _read_int(reader, entry, "build_number", at)
    record = PackageRecord(
        name=name, version=version, build=build, subdir=subdir,
        build_number=build_number if build_number is not None else (derive_build_number(build) or 0),
        noarch=_read_noarch(entry, _implied_noarch(kind, derived, subdir, build)),
        fn=str(entry.get("file_name") or derived.file_name or ""),
        url=url_of_location(location) if kind == "conda" else None,
        channel=_read_channel(entry, derived),
        **_read_metadata(reader, entry, at),
    )
    try:  # name, version, build, file name become paths in the cache and conda-meta
        check_record_paths(record, source=f"package '{location}'")
    except UnsafeRecordError as err:
        key = "file_name" if err.field == "fn" else err.field
        raise reader.error(err.message, at + ((key,) if key in entry else (kind,)),
                           hint=err.hint) from None
    purls = entry.get("purls")
    return CondaPackage(
        location=location, record=record,
        purls=None if purls is None else tuple(str(p) for p in purls),
        input=entry.get("input"),
        extra=tuple((k, v) for k, v in entry.items() if k not in _CONDA_MODELLED),
        kind=kind, timestamp_in_seconds=_timestamp_in_seconds(entry),
    )


def _read_source_package(reader: _Reader, entry: dict, location: str, derived: DerivedFields,
                         at: tuple) -> CondaPackage:
    """A v7 ``conda_source:`` entry (``name[hash] @ path``): a package Pixi builds from source.

    It may be *partial*: no version and no subdir until it is built (then `record` has
    version "" and the subdir its variants name). minipixi cannot build it, so the entry is
    kept whole (`verbatim`) and written back as read; the record is for listing and diffing.
    """
    if not derived.name:
        raise reader.error(f"source package '{location}' does not start with a package name",
                           at + ("conda_source",))
    variants = entry.get("variants") if isinstance(entry.get("variants"), dict) else {}
    build_number = _read_int(reader, entry, "build_number", at)
    record = PackageRecord(
        name=derived.name, version=str(entry.get("version") or ""),
        build=str(entry.get("build") or ""), build_number=build_number or 0,
        subdir=str(entry.get("subdir") or variants.get("target_platform") or ""),
        noarch=_read_noarch(entry, None), **_read_metadata(reader, entry, at),
    )
    if record.version:
        _read_identity(reader, entry, location, derived, at)  # a full record: check its version
    purls = None if entry.get("purls") is None else tuple(str(p) for p in entry["purls"])
    return CondaPackage(
        location=location, record=record, purls=purls,
        kind="conda_source", timestamp_in_seconds=_timestamp_in_seconds(entry),
        verbatim=(record, purls, entry),
    )


def _read_identity(reader: _Reader, entry: dict, location: str, derived: DerivedFields,
                   at: tuple) -> tuple[str, str, str, str]:
    """Name, version, build and subdir: as written, else as the location says."""
    name = entry.get("name") or derived.name
    version = entry.get("version") or derived.version
    subdir = entry.get("subdir") or derived.subdir or _subdir_of_variants(entry)
    for key, value in (("name", name), ("version", version), ("subdir", subdir)):
        if not value:
            raise reader.error(f"package '{location}' has no `{key}` and its URL does not say",
                               at)
    try:  # a version that cannot be compared (a 5,000-digit number) is refused here, located
        parse_version(str(version))
    except VersionError as err:
        raise reader.error(err.message, at + ("version" if "version" in entry else "conda",),
                           hint=REGENERATE_HINT) from None
    build = entry["build"] if entry.get("build") is not None else derived.build
    return str(name), str(version), str(build or ""), str(subdir)


def _subdir_of_variants(entry: dict) -> str | None:
    variants = entry.get("variants")
    return variants.get("target_platform") if isinstance(variants, dict) else None


def _read_metadata(reader: _Reader, entry: dict, at: tuple) -> dict[str, Any]:
    """The record fields no location can imply: dependencies, hashes, sizes, licenses."""
    return dict(
        depends=_read_strings(reader, entry, "depends", at),
        constrains=_read_strings(reader, entry, "constrains", at),
        track_features=_read_track_features(entry.get("track_features")),
        timestamp=_read_timestamp(reader, entry, at),
        md5=entry.get("md5"), sha256=entry.get("sha256"),
        size=_read_int(reader, entry, "size", at),
        license=entry.get("license"), license_family=entry.get("license_family"),
        features=entry.get("features"),
        arch=entry.get("arch"), platform=entry.get("platform"),  # only as written (old v6)
        legacy_bz2_md5=entry.get("legacy_bz2_md5"),
        legacy_bz2_size=_read_int(reader, entry, "legacy_bz2_size", at),
        python_site_packages_path=entry.get("python_site_packages_path"),
    )


def _derived_for(kind: str, location: str) -> DerivedFields:
    """What a location says: a URL or path (`conda:`), or a v7 `conda_source:` identifier.

    A source identifier ``name[hash] @ location`` says only the name.
    """
    if kind == "conda":
        return derive_fields(location)
    match = re.match(r"([^\[\s@]+)", location)
    return DerivedFields(name=match.group(1) if match else None)


def _implied_noarch(kind: str, derived: DerivedFields, subdir: str, build: str) -> str | None:
    """The noarch a `conda:` entry implies; a v7 source entry always spells its noarch out."""
    if kind == "conda_source":
        return None
    return derive_noarch(derived.subdir or subdir, derived.build or build)


def _read_noarch(entry: dict, implied: str | None) -> str | None:
    if "noarch" not in entry:
        return implied
    raw = entry["noarch"]
    if raw in (None, "false", False):
        return None
    return "generic" if raw in ("true", True) else str(raw)


def _read_track_features(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, list):
        return tuple(str(v) for v in raw)
    return tuple(part for part in re.split(r"[\s,]+", str(raw)) if part)


def _read_channel(entry: dict, derived: DerivedFields) -> str | None:
    """The channel with a trailing slash, as rattler's ChannelUrl spells it."""
    channel = entry["channel"] if "channel" in entry else derived.channel
    return channel.rstrip("/") + "/" if channel else None


def _read_pypi_package(reader: _Reader, entry: dict, at: tuple) -> PypiPackage:
    """One ``- pypi:`` entry. The version may be left out (v7 does for a local project whose
    version is found when it is built); whether a versionless entry still satisfies the
    manifest is the up-to-date check's business, as in Pixi, not the reader's."""
    if not entry.get("name"):
        raise reader.error(f"PyPI package '{entry['pypi']}' has no `name`", at)
    modelled = set(PYPI_FIELD_ORDER)
    return PypiPackage(
        location=str(entry["pypi"]), name=normalize_pypi_name(str(entry["name"])),
        version=str(entry.get("version") or ""),
        sha256=entry.get("sha256"), md5=entry.get("md5"),
        requires_dist=_read_strings(reader, entry, "requires_dist", at),
        requires_python=entry.get("requires_python"),
        editable=str(entry.get("editable", "false")).lower() == "true",
        extra=tuple((k, v) for k, v in entry.items() if k not in modelled),
    )


def _read_environments(reader: _Reader, document: dict, platforms: dict[str, LockPlatform],
                       packages: dict, legacy: bool = False) -> dict[str, LockedEnvironment]:
    raw = document.get("environments")
    if not isinstance(raw, dict):
        raise reader.error("it has no `environments` mapping", ("environments",))
    return {name: _read_environment(reader, name, env, platforms, packages, legacy)
            for name, env in raw.items()}


def _read_environment(reader: _Reader, name: str, raw: Any, platforms: dict[str, LockPlatform],
                      packages: dict, legacy: bool = False) -> LockedEnvironment:
    at = ("environments", name)
    if not isinstance(raw, dict):
        raise reader.error(f"environment '{name}' must be a mapping", at)
    channels = tuple(_read_lock_channel(reader, c, at + ("channels", i))
                     for i, c in enumerate(_as_list(reader, raw.get("channels"), at)))
    by_platform: dict[str, tuple[LockedPackage, ...]] = {}
    extras: dict[tuple[str, str], tuple[str, ...]] = {}
    for platform, selectors in _as_mapping(reader, raw.get("packages"), at + ("packages",)).items():
        where = at + ("packages", platform)
        if platform not in platforms:
            raise reader.error(f"environment '{name}' uses platform '{platform}', which the "
                               "lock does not declare", where)
        by_platform[platform] = _read_platform_packages(reader, selectors, packages, where,
                                                        extras, legacy)
    indexes, links = raw.get("indexes"), raw.get("find-links")
    return LockedEnvironment(
        channels=channels, packages=by_platform,
        indexes=None if indexes is None else tuple(map(str, _as_list(reader, indexes, at + ("indexes",)))),
        find_links=None if links is None else tuple(_as_list(reader, links, at + ("find-links",))),
        options={str(k): str(v) for k, v in _as_mapping(reader, raw.get("options"), at + ("options",)).items()},
        pypi_extras=extras,
    )


def _read_platform_packages(reader: _Reader, selectors: Any, packages: dict, at: tuple,
                            extras: dict, legacy: bool = False) -> tuple[LockedPackage, ...]:
    """The packages one platform of an environment lists; PyPI extras go into `extras`."""
    chosen = []
    for i, selector in enumerate(_as_list(reader, selectors, at)):
        package = _resolve_selector(reader, selector, packages, at + (i,),
                                    subdir=at[-1] if legacy else None)
        chosen.append(package)
        if isinstance(package, PypiPackage) and selector.get("extras"):
            extras[(at[-1], package.location)] = tuple(map(str, selector["extras"]))
    return tuple(chosen)


def _read_lock_channel(reader: _Reader, raw: Any, at: tuple) -> LockChannel:
    if isinstance(raw, str):
        return LockChannel(raw)
    if not isinstance(raw, dict) or not raw.get("url"):
        raise reader.error("a channel needs a `url`", at)
    return LockChannel(str(raw["url"]), tuple(map(str, raw.get("used_env_vars") or ())))


def _resolve_selector(reader: _Reader, selector: Any, packages: dict, at: tuple,
                      subdir: str | None = None) -> LockedPackage:
    """Find the package an environment entry (``- conda: URL``) points at.

    Several records may share one location (v6 allows it: source packages built from one
    folder for several platforms). Then the entry also names what tells them apart
    (``name``, ``version``, ``build``, ``subdir``) and the first record that matches is it.
    A v4/v5 entry names nothing more: the record for the platform's `subdir` is taken.
    """
    if not isinstance(selector, dict):
        raise reader.error("an environment entry must be `- conda: URL` or `- pypi: URL`", at)
    kind = next((k for k in ("conda", "conda_source", "pypi") if k in selector), None)
    if kind is None:
        raise reader.error("an environment entry needs a `conda:` or `pypi:` key", at)
    location = location_of_url(str(selector[kind])) if kind == "conda" else str(selector[kind])
    candidates = packages.get((kind, location), [])
    for key in ("name", "version", "build", "subdir"):
        if key in selector:
            candidates = [c for c in candidates
                          if str(getattr(_record_of(c), key, None)) == str(selector[key])]
    if subdir is not None and len(candidates) > 1:
        candidates = [c for c in candidates if _record_of(c).subdir == subdir] or candidates
    if not candidates:
        raise reader.error(f"'{selector[kind]}' is listed in an environment but missing from "
                           "the `packages:` section", at)
    return candidates[0]


def _record_of(package: LockedPackage) -> Any:
    return package.record if isinstance(package, CondaPackage) else package


def _subdir_order(name: str) -> tuple[int, str]:
    return (KNOWN_SUBDIRS.index(name) if name in KNOWN_SUBDIRS else len(KNOWN_SUBDIRS), name)


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def render_lock(lock: LockFile) -> str:
    """The text of `lock` in its `version` (6 or 7): same LockFile, same bytes.

    Raises LockError when version 6 is asked for platforms only version 7 can express,
    or when two different packages claim the same location.
    """
    if lock.version not in WRITABLE_VERSIONS:
        raise LockError(f"cannot write lock file version {lock.version}",
                        hint="use version 6 or 7 (see choose_lock_version)")
    platforms = _platforms_in_use(lock)
    if lock.version == 6 and any(p.is_rich for p in platforms):
        raise LockError("version 6 cannot hold named platforms or virtual packages",
                        hint="write version 7 (choose_lock_version picks it)")
    document: dict[str, Any] = {"version": lock.version}
    if lock.version == 7:
        document["platforms"] = [_platform_to_yaml(p) for p in platforms]
    packages = _sorted_packages(lock)
    shared: dict[tuple[str, str], list[LockedPackage]] = {}
    for package in packages:
        shared.setdefault((package.kind, package.location), []).append(package)
    document["environments"] = {
        name: _environment_to_yaml(lock.environments[name], lock.version, shared)
        for name in sorted(lock.environments)
    }
    document["packages"] = [_package_to_yaml(p, lock.version) for p in packages]
    return render_yaml(document)


def _platforms_in_use(lock: LockFile) -> list[LockPlatform]:
    """v7 writes every declared platform, sorted by name; v6 only needs the used ones."""
    names = {p.name for p in lock.platforms}
    names.update(name for env in lock.environments.values() for name in env.packages)
    return [lock.platform(name) for name in sorted(names)]


def _platform_to_yaml(platform: LockPlatform) -> dict[str, Any]:
    out: dict[str, Any] = {"name": platform.name}
    if platform.subdir != platform.name:
        out["subdir"] = platform.subdir
    if platform.virtual_packages:
        out["virtual-packages"] = list(platform.virtual_packages)
    return out


def _environment_to_yaml(env: LockedEnvironment, version: int,
                         shared: Mapping[tuple[str, str], list[LockedPackage]]) -> dict[str, Any]:
    out: dict[str, Any] = {"channels": [_channel_to_yaml(c) for c in env.channels]}
    if env.indexes is not None:
        out["indexes"] = list(env.indexes)
    if env.find_links:
        out["find-links"] = list(env.find_links)
    options = _options_to_yaml(env.options)
    if options:
        out["options"] = options
    platform_order = _subdir_order if version == 6 else (lambda name: name)
    out["packages"] = {}
    for platform in sorted(env.packages, key=platform_order):
        selectors = [_selector_to_yaml(env, platform, p, version, shared)
                     for p in _unique(env.packages[platform])]
        key = _selector_key_v6 if version == 6 else _selector_key_v7
        out["packages"][platform] = sorted(selectors, key=key)
    return out


def _channel_to_yaml(channel: LockChannel) -> dict[str, Any]:
    out: dict[str, Any] = {"url": channel.url}
    if channel.used_env_vars:
        out["used_env_vars"] = sorted(channel.used_env_vars)
    return out


def _options_to_yaml(options: Mapping[str, str]) -> dict[str, str]:
    known = [k for k in OPTION_ORDER if k in options]
    rest = sorted(k for k in options if k not in OPTION_ORDER)
    return {k: options[k] for k in known + rest if OPTION_DEFAULTS.get(k) != options[k]}


_TELLS_APART = ("name", "version", "build", "subdir")


def _selector_to_yaml(env: LockedEnvironment, platform: str, package: LockedPackage,
                      version: int, shared: Mapping[tuple[str, str], list[LockedPackage]]) -> dict:
    """One environment entry. v6 may add the PyPI extras; v7 has no place for them.

    When several records share the package's location (v6), the entry also names what tells
    this one apart, found as rattler does: take the field that leaves the fewest records
    like it, again until one is left (or no field narrows it further).
    """
    out: dict[str, Any] = {package.kind: package.location}
    if isinstance(package, CondaPackage) and version == 6:
        alike = shared.get((package.kind, package.location), [package])
        while len(alike) > 1:
            field_name, narrowed = min(
                ((f, [o for o in alike if getattr(o.record, f) == getattr(package.record, f)])
                 for f in _TELLS_APART), key=lambda pair: len(pair[1]))
            if len(narrowed) == len(alike):
                break
            alike, out[field_name] = narrowed, getattr(package.record, field_name)
        out = {k: out[k] for k in (package.kind, *_TELLS_APART) if k in out}
    extras = env.pypi_extras.get((platform, package.location))
    if version == 6 and isinstance(package, PypiPackage) and extras:
        out["extras"] = sorted(extras)
    return out


# --8<-- [start:order]
_KIND_ORDER = {"conda": 0, "conda_source": 1, "pypi": 2}
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")  # two letters at least: C:/ is a path


def _is_url(location: str) -> bool:
    return bool(_URL_SCHEME.match(location))


def _selector_key_v6(selector: dict) -> tuple:
    """v6 environment entries: conda before pypi; URLs before paths; URLs by file name
    (lowercase, so by package name), then by the whole URL; paths as text; then the fields
    that tell records at one location apart (absent before present)."""
    kind = next(iter(selector))
    location = selector[kind]
    if _is_url(location):
        file_name = urlsplit(location).path.rsplit("/", 1)[-1].lower()
        place: tuple = (0, file_name, location)
    else:
        place = (1, "", location)
    apart = tuple((0, "") if selector.get(f) is None else (1, str(selector[f]))
                  for f in _TELLS_APART)
    return (_KIND_ORDER[kind] > 0, place, apart)


def _selector_key_v7(selector: dict) -> tuple:
    """v7 environment entries: conda, then source, then pypi; each by its full location."""
    kind = next(iter(selector))
    return (_KIND_ORDER[kind], selector[kind])


def _package_key(package: LockedPackage, version: int) -> tuple:
    """The `packages:` list.

    v7: by kind, then location. v6: by name as written; on a tie PyPI first; PyPI packages
    of one name by version (PEP 440), then location; conda packages of one name by location
    (paths before URLs), then version, build and subdir.
    """
    if version == 7:
        return (_KIND_ORDER[package.kind], package.location)
    if isinstance(package, PypiPackage):
        return (package.name, 0, _pep440_key(package.version), package.location)
    record = package.record
    place = (1 if _is_url(package.location) else 0, package.location)
    return (package.name, 1, place, _conda_version_key(record.version), record.build,
            record.subdir)


def _pep440_key(text: str) -> tuple:
    from packaging.version import InvalidVersion, Version  # lazy: only v6 PyPI sorting uses it

    try:
        return (1, Version(text), text)
    except InvalidVersion:  # no version (a path package) or not PEP 440: after, as text
        return (0 if not text else 2, Version("0"), text)


def _conda_version_key(text: str) -> tuple:
    try:
        return (1, parse_version(text), text)
    except VersionError:
        return (0, parse_version("0"), text)
# --8<-- [end:order]


def _identity(package: LockedPackage) -> tuple:
    """What makes a package one package: its location, and for conda its record's identity
    (v6 allows several records at one location, e.g. one source folder for two platforms)."""
    if isinstance(package, CondaPackage):
        record = package.record
        return (package.kind, package.location, record.name, record.version, record.build,
                record.subdir)
    return (package.kind, package.location)


def _unique(packages: Iterable[LockedPackage]) -> list[LockedPackage]:
    """One entry per package: a platform lists each package once."""
    return list({_identity(p): p for p in packages}.values())


def _sorted_packages(lock: LockFile) -> list[LockedPackage]:
    """Every package some environment uses, once, in the version's order."""
    by_identity: dict[tuple, LockedPackage] = {}
    every = [p for env in lock.environments.values() for ps in env.packages.values() for p in ps]
    for package in every + list(lock.build_only):
        key = _identity(package)
        if key in by_identity and by_identity[key] != package:
            raise LockError(f"two different packages share the location {package.location}"
                            " and the name, version, build and subdir",
                            hint="a location must identify one package; re-run the solve")
        by_identity[key] = package
    return sorted(by_identity.values(), key=lambda p: _package_key(p, lock.version))


def _package_to_yaml(package: LockedPackage, version: int) -> dict[str, Any]:
    if isinstance(package, PypiPackage):
        return _pypi_to_yaml(package)
    if package.verbatim is not None and version == 7:
        record, purls, entry = package.verbatim
        if (record, purls) == (package.record, package.purls):
            return dict(entry)  # a source entry minipixi keeps as it was read
    if package.is_source and (package.kind == "conda") != (version == 6):
        # v6 names a source package by its path, v7 by `name[hash] @ path`, where the hash
        # is computed by Pixi's build backends; minipixi cannot convert one into the other.
        raise LockError(f"source package {package.location} cannot be written as lock "
                        f"version {version}", hint=REGENERATE_HINT)
    if version == 7:  # older v6 writers copied arch/platform from the subdir; v7 never does
        package = replace(package, record=replace(package.record, arch=None, platform=None))
    return _conda_to_yaml(package)


# --8<-- [start:conda-fields]
def _conda_to_yaml(package: CondaPackage) -> dict[str, Any]:
    """A conda package's fields, leaving out every one its URL already says."""
    record = package.record
    derived = _derived_for(package.kind, package.location)
    fields: dict[str, Any] = {package.kind: package.location}
    if record.name != derived.name:
        fields["name"] = record.name
    if record.version != derived.version:
        fields["version"] = record.version
    if record.build != derived.build:  # a path says no build: even "" is written out
        fields["build"] = record.build
    if record.build_number != (derive_build_number(record.build) or 0):
        fields["build_number"] = record.build_number
    if record.subdir != derived.subdir:
        fields["subdir"] = record.subdir
    if record.noarch != _implied_noarch(package.kind, derived, record.subdir, record.build):
        fields["noarch"] = record.noarch or False  # rattler writes "not noarch" as false
    fields.update(_conda_details(package, derived))
    if package.timestamp_in_seconds and record.timestamp is not None:
        fields["timestamp"] = record.timestamp // 1000
    return _in_order(fields, package.extra, CONDA_FIELD_ORDER)
# --8<-- [end:conda-fields]


# Record fields written whenever they hold something (order is applied later).
_WRITTEN_WHEN_KNOWN = (
    "sha256", "md5", "legacy_bz2_md5", "depends", "constrains", "arch", "platform", "features",
    "track_features", "license", "license_family", "size", "legacy_bz2_size", "timestamp",
    "python_site_packages_path",
)


def _conda_details(package: CondaPackage, derived: DerivedFields) -> dict[str, Any]:
    """Hashes, dependencies and metadata: written whenever they are known."""
    record = package.record
    fields: dict[str, Any] = {}
    for key in _WRITTEN_WHEN_KNOWN:
        value = getattr(record, key)
        if value not in (None, "", ()):
            fields[key] = list(value) if isinstance(value, tuple) else value
    if package.kind == "conda" and _strip_slash(record.channel) != _strip_slash(derived.channel):
        fields["channel"] = _strip_slash(record.channel)
    if package.kind == "conda" and record.fn and record.fn != derived.file_name:
        fields["file_name"] = record.fn
    if package.purls is not None:
        fields["purls"] = sorted(package.purls, key=purl_order)
    if package.input is not None:
        fields["input"] = package.input
    return fields


def purl_order(purl: str) -> tuple[str, ...]:
    """rattler keeps purls as a set of parsed package URLs, ordered field by field (type,
    namespace, name, version, qualifiers, subpath), so ``pkg:pypi/pdal?...`` comes before
    ``pkg:pypi/pdal-plugins?...`` although "-" sorts before "?" as text."""
    rest, _, subpath = purl.partition("#")
    rest, _, qualifiers = rest.partition("?")
    rest, _, version = rest.partition("@")
    kind, _, path = rest.removeprefix("pkg:").partition("/")
    namespace, _, name = path.rpartition("/")
    return (kind, namespace, name, version, qualifiers, subpath)


def normalize_pypi_name(name: str) -> str:
    """PyPI's canonical spelling of a name (PEP 503): ``Typing_Extensions`` -> ``typing-extensions``.

    rattler stores PyPI names this way, so we read and write them this way too.
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def _pypi_to_yaml(package: PypiPackage) -> dict[str, Any]:
    fields: dict[str, Any] = {"pypi": package.location, "name": normalize_pypi_name(package.name)}
    if package.version:
        fields["version"] = package.version
    if package.md5:
        fields["md5"] = package.md5
    if package.sha256:
        fields["sha256"] = package.sha256
    if package.requires_dist:
        fields["requires_dist"] = list(package.requires_dist)
    if package.requires_python:
        fields["requires_python"] = package.requires_python
    if package.editable:
        fields["editable"] = True
    return _in_order(fields, package.extra, PYPI_FIELD_ORDER)


def _in_order(fields: dict[str, Any], extra: Iterable[tuple[str, Any]],
              order: Sequence[str]) -> dict[str, Any]:
    """Merge modelled and extra fields: known keys in `order`, unknown ones after, sorted."""
    merged = {**dict(extra), **fields}
    known = [k for k in order if k in merged]
    rest = sorted(k for k in merged if k not in order)
    return {k: merged[k] for k in known + rest}


def write_lock(lock: LockFile, path: str | os.PathLike) -> None:
    """Write `lock` to `path` atomically (`files.write_atomic`: a temp file in the same folder,
    flushed to disk, then renamed; the old file's mode, or 0644 under umask 022).

    A reader never sees half a lock file, even if minipixi is killed mid-write.
    """
    from minipixi.files import write_atomic

    write_atomic(path, render_lock(lock))


# ---------------------------------------------------------------------------------------
# Is the lock still up to date? (the parts that need no solver)
# ---------------------------------------------------------------------------------------

def normalize_channel(channel: str) -> str:
    """A channel as a URL without trailing slash (see `satisfiability.normalize_channel`)."""
    from minipixi.lock.satisfiability import normalize_channel as normalize

    return normalize(channel)


def lock_satisfies(lock_env: LockedEnvironment, platform: str, specs: Mapping[str, Any],
                   channels: Sequence[str]) -> list[str]:
    """Why the locked `platform` of `lock_env` no longer fits `specs` and `channels` ([] when it
    fits): the channels, the platform, each spec, the locked records' own dependencies. The
    whole of Pixi's rules (options, platforms, unused packages) is `satisfiability.outdated`."""
    from minipixi.lock.satisfiability import channel_reasons, conda_reasons

    reasons = channel_reasons(lock_env, channels)
    if platform not in lock_env.packages:
        return reasons + [f"platform {platform} is not in the lock"]
    return reasons + conda_reasons(lock_env, platform, specs, unused_check=False)


def with_packages(env: LockedEnvironment, platform: str,
                  packages: Iterable[LockedPackage]) -> LockedEnvironment:
    """A copy of `env` whose `platform` holds `packages` (how a re-solve updates a lock)."""
    return replace(env, packages={**env.packages, platform: tuple(packages)})
