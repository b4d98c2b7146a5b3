"""Writing pixi.lock: the same `LockFile` always gives the same bytes, and they are Pixi's bytes.

`render_lock` turns a `LockFile` into the text of version 6 or 7; `write_lock` writes it
atomically. Byte-for-byte stability is the point: a lock Pixi wrote reads and renders back to
the same bytes (all 91 Pixi-written locks of ../shared/real-pixi do,
tests/corpus/test_real_pixi_locks.py), so `git diff pixi.lock` shows only packages that changed.

Three things decide the bytes, each written once here:

- **what is written**: every field that its location does not already say
  (`lock/locations.py`), plus hashes, dependencies and metadata whenever they are known;
- **in which order**: fields in rattler's order (`CONDA_FIELD_ORDER`), environment entries and
  the `packages:` list in the order of the lock's version (v6 by name, v7 by kind and
  location), platforms in rattler's `Platform` order (v6) or by name (v7);
- **how**: the YAML dialect of `lock/yaml_dialect.py` (quotes only where needed, never folded).

Lesson: Episode 2, "The lock file" (read `render_lock` first). Read after `lock/read.py`;
read next `lock/yaml_dialect.py`, then `lock/diff.py`.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from minipixi.errors import LockError, VersionError
from minipixi.files import write_atomic
from minipixi.lock.locations import (
    KNOWN_SUBDIRS,
    DerivedFields,
    derive_build_number,
    derived_for,
    implied_noarch,
)
from minipixi.lock.model import (
    CONDA_FIELD_ORDER,
    PYPI_FIELD_ORDER,
    REGENERATE_HINT,
    WRITABLE_VERSIONS,
    CondaPackage,
    LockChannel,
    LockedEnvironment,
    LockedPackage,
    LockFile,
    LockPlatform,
    PypiPackage,
    normalize_pypi_name,
    package_identity,
)
from minipixi.lock.yaml_dialect import render_yaml
from minipixi.version import parse_version

# Solve options: written in this order, and left out when they hold the default.
OPTION_ORDER = ("strategy", "channel-priority", "exclude-newer", "pypi-prerelease-mode")
OPTION_DEFAULTS = {"strategy": "highest", "channel-priority": "strict"}


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


def _unique(packages: Iterable[LockedPackage]) -> list[LockedPackage]:
    """One entry per package: a platform lists each package once."""
    return list({package_identity(p): p for p in packages}.values())


def _sorted_packages(lock: LockFile) -> list[LockedPackage]:
    """Every package some environment uses, once, in the version's order."""
    by_identity: dict[tuple, LockedPackage] = {}
    every = [p for env in lock.environments.values() for ps in env.packages.values() for p in ps]
    for package in every + list(lock.build_only):
        key = package_identity(package)
        if key in by_identity and by_identity[key] != package:
            raise LockError(f"two different packages share the location {package.location}"
                            " and the name, version, build and subdir",
                            hint="a location must identify one package; re-run the solve")
        by_identity[key] = package
    return sorted(by_identity.values(), key=lambda p: _package_key(p, lock.version))


def _package_to_yaml(package: LockedPackage, version: int) -> dict[str, Any]:
    if isinstance(package, PypiPackage):
        return _pypi_to_yaml(package, version)
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
    derived = derived_for(package.kind, package.location)
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
    if record.noarch != implied_noarch(package.kind, derived, record.subdir, record.build):
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


# --8<-- [start:pypi-fields]
def _pypi_to_yaml(package: PypiPackage, version: int) -> dict[str, Any]:
    """A PyPI package's fields, in rattler's order. A wheel from an index has its sha256; one
    named by URL (``direct+https://...``) or path has none (`pypi/direct.py` says why). v7
    adds ``index:``, the index it came from, left out for pypi.org; v6 has no such field."""
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
    extra = package.extra if version == 7 else tuple((k, v) for k, v in package.extra if k != "index")
    return _in_order(fields, extra, PYPI_FIELD_ORDER)
# --8<-- [end:pypi-fields]


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
    write_atomic(path, render_lock(lock))


def _subdir_order(name: str) -> tuple[int, str]:
    return (KNOWN_SUBDIRS.index(name) if name in KNOWN_SUBDIRS else len(KNOWN_SUBDIRS), name)


def _strip_slash(url: str | None) -> str | None:
    return url.rstrip("/") if url else url
