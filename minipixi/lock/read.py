"""Reading pixi.lock: versions 4 to 7 into one `LockFile`, or one error that says where and why.

`read_lock` reads a file (refusing one that is too big before reading it), `parse_lock` the
text. The YAML itself is read by `lock/yaml_dialect.py` (plain strings, no aliases, every key's
line remembered); this module gives the document its meaning, entry by entry, and a bad entry
becomes a `LockError` with the file, line and column, an excerpt, and the fix.

- **Versions 4 and 5** are upgraded to 6 *in memory*, as Pixi does (`_upgrade_legacy_packages`):
  they said ``kind: conda`` and ``url:``, and a field left out meant its default, not "what
  the URL says". Nothing is written back until the lock is re-solved.
- **Version 6** declares no platforms: they are the subdirs its environments use.
- **Version 7** lists its platforms (a name, a subdir, virtual packages) and may hold
  ``conda_source:`` entries, kept whole (`CondaPackage.verbatim`) since minipixi builds no
  source packages.

Every field a location implies (`lock/locations.py`) is filled in from it when the entry leaves
it out; every name that will one day become a path is checked here (`records.check_record_paths`).
Reading keeps everything, including fields this module does not model (they go to ``extra``
and are written back in rattler's position), so reading and writing a real lock changes nothing
but, at most, the order rattler itself would choose.

Lesson: Episode 2, "The lock file". Read after `lock/locations.py`; read next `lock/write.py`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from minipixi.errors import LockError, Location, VersionError, shorten, source_excerpt
from minipixi.files import url_problem
from minipixi.lock.locations import (
    KNOWN_SUBDIRS,
    DerivedFields,
    derive_build_number,
    derived_for,
    implied_noarch,
    location_of_url,
    url_of_location,
)
from minipixi.lock.model import (
    LOCK_FILE_NAME,
    PYPI_FIELD_ORDER,
    READABLE_VERSIONS,
    REGENERATE_HINT,
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
from minipixi.lock.yaml_dialect import ParsedYaml, YamlReadError, check_size, parse_yaml
from minipixi.records import PackageRecord, UnsafeRecordError, check_record_paths
from minipixi.version import parse_version

_PLATFORM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


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
    return parse_lock(read_lock_text(path), str(path))


def read_lock_text(path: str | os.PathLike) -> str:
    """The text of pixi.lock, size-checked before it is read; LockError when it cannot be read."""
    return lock_text_of(read_lock_bytes(path), path)


def read_lock_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of pixi.lock, size-checked before they are read. `app/project.py` keeps them:
    an undo puts back exactly these bytes, and ``conda-meta/pixi`` records their hash."""
    path = Path(path)
    try:
        check_size(path.stat().st_size)  # before reading it: a huge file is refused unread
        return path.read_bytes()
    except FileNotFoundError as err:
        raise LockError(f"{path} does not exist", where=str(path), hint=REGENERATE_HINT) from err
    except YamlReadError as err:
        raise LockError(f"{path} is not a valid lock file: {err.message}", where=str(path),
                        hint=REGENERATE_HINT) from err
    except OSError as err:
        raise LockError(f"cannot read {path}: {err}", where=str(path), hint=REGENERATE_HINT) from err


def lock_text_of(data: bytes, path: str | os.PathLike) -> str:
    """The lock's bytes as text, line ends folded to ``\n`` as a text-mode read would."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise LockError(f"cannot read {path}: {err}", where=str(path), hint=REGENERATE_HINT) from err
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
    seen = {package_identity(p) for env in environments.values() for pkgs in env.packages.values()
            for p in pkgs}
    work = [p for ps in packages.values() for p in ps if package_identity(p) in seen]
    found: list[LockedPackage] = []
    while work:
        raw = _raw_entry(work.pop())
        for key in ("build_packages", "host_packages"):
            for i, selector in enumerate(raw.get(key) or ()):
                package = _resolve_selector(reader, selector, packages, ("packages", key, i))
                if package_identity(package) not in seen:
                    seen.add(package_identity(package))
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


def _read_text(reader: _Reader, entry: dict, key: str, at: tuple) -> str | None:
    """A field that holds one piece of text (a hash, a license): a list or a table there would
    travel into the record and fail far from here (a record is hashed, a hash compared)."""
    raw = entry.get(key)
    if isinstance(raw, (list, dict)):
        raise reader.error(f"`{key}` must be text, not a {'list' if isinstance(raw, list) else 'table'}",
                           at + (key,))
    return raw


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
    _check_location(reader, str(entry[kind]), at + (kind,))
    location = location_of_url(str(entry[kind])) if kind == "conda" else str(entry[kind])
    derived = derived_for(kind, location)
    if kind == "conda_source":
        return _read_source_package(reader, entry, location, derived, at)
    name, version, build, subdir = _readpackage_identity(reader, entry, location, derived, at)
    build_number = _read_int(reader, entry, "build_number", at)
    record = PackageRecord(
        name=name, version=version, build=build, subdir=subdir,
        build_number=build_number if build_number is not None else (derive_build_number(build) or 0),
        noarch=_read_noarch(entry, implied_noarch(kind, derived, subdir, build)),
        fn=str(entry.get("file_name") or derived.file_name or ""),
        url=url_of_location(location) if kind == "conda" else None,
        channel=_read_channel(reader, entry, derived, at),
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
        _readpackage_identity(reader, entry, location, derived, at)  # a full record: check its version
    purls = None if entry.get("purls") is None else tuple(str(p) for p in entry["purls"])
    return CondaPackage(
        location=location, record=record, purls=purls,
        kind="conda_source", timestamp_in_seconds=_timestamp_in_seconds(entry),
        verbatim=(record, purls, entry),
    )


def _readpackage_identity(reader: _Reader, entry: dict, location: str, derived: DerivedFields,
                   at: tuple) -> tuple[str, str, str, str]:
    """Name, version, build and subdir: as written, else as the location says."""
    name = entry.get("name") or derived.name
    version = entry.get("version") or derived.version
    # An archive's file name always says its build: an empty `build` there would be installed
    # as `name-version-.json` in conda-meta, which no later command can read back. (A v6
    # source package, at a folder, has none.)
    build = entry.get("build") or derived.build
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
        md5=_read_text(reader, entry, "md5", at), sha256=_read_text(reader, entry, "sha256", at),
        size=_read_int(reader, entry, "size", at),
        license=_read_text(reader, entry, "license", at),
        license_family=_read_text(reader, entry, "license_family", at),
        features=_read_text(reader, entry, "features", at),
        arch=_read_text(reader, entry, "arch", at),  # arch and platform only as written (old v6)
        platform=_read_text(reader, entry, "platform", at),
        legacy_bz2_md5=_read_text(reader, entry, "legacy_bz2_md5", at),
        legacy_bz2_size=_read_int(reader, entry, "legacy_bz2_size", at),
        python_site_packages_path=_read_text(reader, entry, "python_site_packages_path", at),
    )


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


def _read_channel(reader: _Reader, entry: dict, derived: DerivedFields, at: tuple) -> str | None:
    """The channel with a trailing slash, as rattler's ChannelUrl spells it."""
    channel = _read_text(reader, entry, "channel", at) if "channel" in entry else derived.channel
    return str(channel).rstrip("/") + "/" if channel else None


def _check_location(reader: _Reader, location: str, at: tuple) -> None:
    """A package's location is a URL or a path; one that the URL parser refuses (an unclosed
    ``[`` of an IPv6 host) would otherwise fail deep inside an install."""
    problem = url_problem(location)
    if problem:
        raise reader.error(f"the package location '{shorten(location)}' is not a valid URL ({problem})", at)


def _read_pypi_package(reader: _Reader, entry: dict, at: tuple) -> PypiPackage:
    """One ``- pypi:`` entry. The version may be left out (v7 does for a local project whose
    version is found when it is built); whether a versionless entry still satisfies the
    manifest is the up-to-date check's business, as in Pixi, not the reader's."""
    if not entry.get("name"):
        raise reader.error(f"PyPI package '{entry['pypi']}' has no `name`", at)
    _check_location(reader, str(entry["pypi"]), at + ("pypi",))
    modelled = set(PYPI_FIELD_ORDER) - {"index"}  # v7's index stays in `extra`, as read
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
