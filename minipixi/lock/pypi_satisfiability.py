"""PyPI packages in the up-to-date check: does what the lock holds still install, and is it all needed?

A pixi.lock mixes two worlds per platform: conda packages (solved first) and PyPI packages
(solved by uv on top of the locked Python). `lock/satisfiability.py` judges the conda side;
this module judges the PyPI side with Pixi's rules (``pixi_core::lock_file::satisfiability``:
``environment.rs`` for wheel tags, ``platform.rs`` for the requirement walk and the solve group,
``pypi.rs`` for one requirement against its locked wheel),
without resolving anything:

1. **Wheel tags.** A locked wheel must be installable by the locked Python on the platform the
   manifest describes: its tags (``cp311-abi3-manylinux_2_28_x86_64``) must be among those a
   CPython of that version accepts on that OS, libc and architecture. Raise nothing in the
   lock, lower ``[system-requirements] libc`` to 2.17, and a ``manylinux_2_28`` wheel no longer
   fits ("incompatible with the tags on wheel"). `platform_tags` takes the accepted set from
   the same `pypi/target.py` Target the lock step resolves with (as Pixi's
   ``pypi_modifiers::pypi_tags`` does with uv's), free-threaded and musl Pythons included.
2. **The requirement walk.** Start from the manifest's PyPI requirements whose markers hold (the
   marker environment comes from the locked Python and the platform, `marker_environment`);
   each must be met by a locked PyPI package, or by a conda package whose ``pkg:pypi`` purl
   provides it; then follow every locked PyPI package's ``requires_dist`` (markers evaluated,
   extras included) the same way. A requirement nothing meets makes the lock stale ("the
   requirement 'packaging>=20.0' could not be satisfied (required by 'matplotlib')"): in a
   solve group, uv may have counted on a conda package that only another member installs.
   A locked PyPI package the walk never reaches is one too many.
3. **Conda packages standing in for PyPI ones.** A conda package that only PyPI requirements
   reach (no conda spec or conda dependency of any environment of the solve group asks for it)
   should have been locked as a PyPI package: "'boltons' is locked as a conda package but only
   requested by pypi dependencies". `PypiWalk.expected` / `PypiWalk.used_by_pypi` carry what
   `lock/satisfiability.py` needs to check that across a solve group.
4. **Where each wheel came from.** A manifest entry naming an index (``{ version, index }``)
   needs a lock entry from that index, and one naming none a wheel from an index the
   environment still lists (a v7 lock's ``index:``, `_locked_index`; a v6 lock cannot say, and
   is not judged on it). A manifest entry naming one file (``{ url }``, ``{ path }``) needs the
   lock to name the same file; the file itself is trusted, as in Pixi (`direct_wheel_reasons`).

Lesson: Episode 2, "The lock file" (when does `pixi install` re-solve?). Read after
`lock/satisfiability.py`, which calls `wheel_tag_reasons` per environment and `walk_pypi` per
platform.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from minipixi.lock.model import closure, normalize_pypi_name
from minipixi.matchspec import MatchSpec

# ---- the locked Python and the platform -----------------------------------------------------------

def python_record(lock_env, platform: str):
    """The locked ``python`` conda record of `platform`, or None (then markers and tags are unknown)."""
    return next((p.record for p in lock_env.conda_packages(platform) if p.name == "python"), None)


def _target(python, subdir: str, virtual: Mapping[str, str] | None = None):
    """The `pypi/target.py` Target of the locked `python` on `subdir` (the same one the lock step
    resolved for), or None for a platform or Python that wheels do not describe."""
    from minipixi.pypi.target import Target, TargetError  # lazy: packaging is only needed for PyPI

    virtual = virtual or {}
    try:
        return Target.for_python(subdir, python, glibc=virtual.get("__glibc"), macos=virtual.get("__osx"),
                                 musl=virtual.get("__musl"))
    except TargetError:
        return None


def marker_environment(python, subdir: str) -> dict[str, str] | None:
    """What PEP 508 markers see on `subdir` with the locked `python` record (None: another OS)."""
    target = _target(python, subdir)
    return None if target is None else dict(target.markers)


def platform_tags(python, subdir: str, virtual: Mapping[str, str]) -> frozenset:
    """Every wheel tag the locked CPython `python` accepts on `subdir` (``packaging`` Tags)."""
    target = _target(python, subdir, virtual)
    return frozenset() if target is None else frozenset(target.tags)


def wheel_file_name(location: str) -> str | None:
    """The file name of a locked PyPI package when it is a wheel (``.whl``), else None."""
    name = location.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    return name if name.endswith(".whl") else None


# --8<-- [start:wheel-tags]
def wheel_tag_reasons(lock_env, platforms: Iterable[tuple[str, str, Mapping[str, str]]]) -> list[str]:
    """A locked wheel the locked Python cannot install on its platform (Pixi's
    ``PypiWheelTagsCheck``). `platforms`: (lock platform name, subdir, the manifest platform's
    virtual package versions) for each locked platform the manifest still describes."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename  # lazy: PyPI only

    for name, subdir, virtual in platforms:
        python = python_record(lock_env, name)
        supported = platform_tags(python, subdir, virtual) if python is not None else frozenset()
        if not supported:
            continue  # no Python, or a platform wheels do not describe: nothing to compare
        for package in lock_env.pypi_packages(name):
            file_name = wheel_file_name(package.location)
            if file_name is None:
                continue
            try:
                tags = parse_wheel_filename(file_name)[3]
            except InvalidWheelFilename:
                continue
            if not tags & supported:
                return [f"the lock file was solved with system requirements incompatible with the tags "
                        f"on wheel ({package.name}): {file_name} does not install with python "
                        f"{python.version} on {subdir}"]
    return []
# --8<-- [end:wheel-tags]


# ---- the requirement walk ----------------------------------------------------------------------------

@dataclass
class PypiWalk:
    """What walking one platform's PyPI requirements found.

    `reasons`: why the lock is stale (empty when it fits). `expected`: conda names some conda
    spec or conda dependency asks for; `used_by_pypi`: conda names a PyPI requirement was met
    by. The solve-group check needs both (see the module).
    """

    reasons: list[str] = field(default_factory=list)
    expected: set[str] = field(default_factory=set)
    used_by_pypi: set[str] = field(default_factory=set)


def conda_as_pypi(lock_env, platform: str) -> dict[str, tuple[str, str]]:
    """PyPI name -> (conda name, version) for the conda packages that install a PyPI package:
    named by a ``pkg:pypi/NAME[@VERSION]`` purl, or, for a conda-forge record of a lock that
    records no purls at all, by its own name (Pixi's backwards-compatible guess)."""
    found = {}
    for package in lock_env.conda_packages(platform):
        if package.purls is None and "conda-forge" in package.location:
            found.setdefault(normalize_pypi_name(package.name), (package.name, package.version))
        for purl in package.purls or ():
            if purl.startswith("pkg:pypi/"):
                name, _, version = purl[len("pkg:pypi/"):].split("?")[0].partition("@")
                found[normalize_pypi_name(name)] = (package.name, version or package.version)
    return found


def _reach(lock_env, platform: str, roots: Iterable[str]) -> set[str]:
    """The conda names reachable from `roots` through the locked packages' ``depends``."""
    return {r.name for r in closure([p.record for p in lock_env.conda_packages(platform)], roots)}


def _applies(marker, environment: Mapping[str, str], extras: Iterable[str]) -> bool:
    """Whether a requirement's marker holds with any of the requested `extras` (or none)."""
    from packaging.markers import UndefinedEnvironmentName  # lazy: PyPI only

    if marker is None:
        return True
    try:
        return any(marker.evaluate({**environment, "extra": extra}) for extra in ("", *extras))
    except UndefinedEnvironmentName:
        return True


def _contains(specifier, version: str) -> bool:
    """Whether `version` is in a requirement's `specifier` (prereleases count, as in uv)."""
    from packaging.version import InvalidVersion, Version  # lazy: PyPI only

    try:
        return specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return True  # a version the check cannot read: left to a real solve


def as_requirement(name: str, requirement):
    """A manifest PyPI dependency as a ``packaging`` Requirement (name, extras, version, marker):
    from a table (``{ version, extras, env-markers }``), a version (``">=1"``) or, as a
    pyproject.toml writes them, a whole PEP 508 line (``"types-boto3[s3]; python_version<'4'"``).
    None for a form it cannot read."""
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: PyPI only

    raw = getattr(requirement, "requirement", requirement)
    try:
        if isinstance(raw, str):
            line = raw.strip()
            parsed = Requirement(line) if line[:1].isalnum() else None
            if parsed is not None and normalize_pypi_name(parsed.name) == normalize_pypi_name(name):
                return parsed
            return Requirement(name if line in ("", "*") else f"{name}{line}")
        if not isinstance(raw, Mapping):
            return Requirement(name)
        extras = ",".join(str(e) for e in raw.get("extras") or ())
        version = raw.get("version")
        version = "" if not isinstance(version, str) or version.strip() in ("", "*") else version.strip()
        marker = raw.get("env-markers")
        return Requirement(f"{name}{f'[{extras}]' if extras else ''}{version}{f'; {marker}' if marker else ''}")
    except InvalidRequirement:
        return None


def manifest_requirements(requirements: Mapping[str, Any], environment: Mapping[str, str]) -> list:
    """The manifest's PyPI requirements as ``packaging`` Requirements, those whose markers do not
    hold here left out."""
    found = []
    for name, requirement in requirements.items():
        parsed = as_requirement(name, requirement)
        if parsed is not None and _applies(parsed.marker, environment, parsed.extras):
            found.append(parsed)
    return found


def dependency_overrides(options: Mapping[str, Any]) -> dict[str, Any]:
    """``[pypi-options] dependency-overrides`` as normalized name -> Requirement: each replaces
    every requirement on that name, the manifest's and the locked packages' alike."""
    table = options.get("dependency-overrides")
    found = {}
    for name, value in (table.items() if isinstance(table, Mapping) else ()):
        parsed = as_requirement(str(name), value)
        if parsed is not None:
            found[normalize_pypi_name(str(name))] = parsed
    return found


def pypi_reasons(lock_env, platform: str, requirements: Mapping[str, Any], shown: str,
                 subdir: str | None = None, overrides: Mapping[str, Any] | None = None, *,
                 version: int = 7) -> list[str]:
    """Each PyPI requirement of the manifest (whose markers hold) against the lock: locked as a
    PyPI package (or as a conda package the conda side brings in, recognised by its ``pkg:pypi``
    purl), from the index it names, with a version, in its version range (or the range of its
    `overrides` entry, see `dependency_overrides`). `version`: the lock's (see `_locked_index`)."""
    overrides = overrides or {}
    locked = {normalize_pypi_name(p.name): p for p in lock_env.pypi_packages(platform)}
    as_conda = conda_as_pypi(lock_env, platform)
    python = python_record(lock_env, platform)
    environment = marker_environment(python, subdir) if python is not None and subdir else None
    applying = None if environment is None else {
        normalize_pypi_name(r.name) for r in manifest_requirements(requirements, environment)}
    known_indexes = {str(i).rstrip("/") for i in (lock_env.indexes or ())} | {
        str(getattr(link, "get", lambda k: link)("url") or link).rstrip("/") for link in (lock_env.find_links or ())}
    for name, requirement in requirements.items():
        key = normalize_pypi_name(name)
        if applying is not None and key not in applying:
            continue
        package = locked.get(key)
        if package is None:
            if key in as_conda:
                continue
            return [f"the PyPI requirement {name} is not locked as a PyPI package for {shown}"]
        raw = getattr(requirement, "requirement", requirement)
        wanted_url = raw.get("url") if isinstance(raw, Mapping) else None
        wanted_path = raw.get("path") if isinstance(raw, Mapping) else None
        if isinstance(wanted_url, str) or isinstance(wanted_path, str):  # one wheel file
            reasons = direct_wheel_reasons(name, package, wanted_url, wanted_path)
            if reasons:
                return reasons
            continue
        wanted_index = raw.get("index") if isinstance(raw, Mapping) else None
        locked_index = _locked_index(package, lock_env, version)
        if wanted_index and locked_index and str(wanted_index).rstrip("/") != locked_index.rstrip("/"):
            return [f"{name} must come from the index {wanted_index}, the lock has it from {locked_index}"]
        if not wanted_index and locked_index and locked_index.rstrip("/") not in (known_indexes or {DEFAULT_INDEX}):
            return [f"{name} is locked from the index {locked_index}, which the manifest no longer names"]
        if not package.version:
            if "://" in package.location and not package.location.startswith("file:"):
                return [f"the locked PyPI package {name} has no version"]
            continue
        parsed = overrides.get(key) or as_requirement(name, requirement)
        if parsed is not None and parsed.specifier and not _contains(parsed.specifier, package.version):
            return [f"locked PyPI package {package.name} {package.version} does not satisfy "
                    f"'{parsed.specifier}' on {shown}"]
    return []


DEFAULT_INDEX = "https://pypi.org/simple"


def _locked_index(package, lock_env, version: int) -> str | None:
    """The index a locked wheel came from, as rattler reads it: its ``index:``; in a v7 lock
    without one (pypi.org is left out when written), the environment's first index, else
    pypi.org; None in a v6 lock, which has no such field (Pixi then does not compare indexes)."""
    if package.index is not None:
        return package.index
    if version < 7 or package.source != "index":
        return None
    return str(lock_env.indexes[0]) if lock_env.indexes else DEFAULT_INDEX


# --8<-- [start:direct]
def direct_wheel_reasons(name: str, package, url: str | None, path: str | None) -> list[str]:
    """A manifest entry that names one wheel (``{ url = ... }`` or ``{ path = ... }``) against
    its lock entry, as Pixi compares them: the lock must name the same file (``direct+`` and
    the URL, or the same path). The file itself is trusted as the lock describes it (Pixi: only
    a local *folder* can drift); install checks that it still is (`pypi/direct.py`)."""
    if url is not None:
        if package.source != "url":
            return [f"{name} must be the wheel {url}, the lock has it from {package.location}"]
        if package.location.removeprefix("direct+") != url:
            return [f"{name} must be the wheel {url}, the lock has {package.location}"]
        return []
    if package.source != "path" or posixpath.normpath(path) != posixpath.normpath(package.location):
        return [f"{name} must be the wheel {path}, the lock has {package.location}"]
    return []
# --8<-- [end:direct]


# --8<-- [start:walk]
def walk_pypi(lock_env, platform: str, requirements: Mapping[str, Any], spec_names: Iterable[str],
              subdir: str, shown: str | None = None, overrides: Mapping[str, Any] | None = None) -> PypiWalk:
    """Pixi's walk over one platform's requirements (see the module): the manifest's PyPI
    requirements, then each reached PyPI package's ``requires_dist``; the conda side reached
    from `spec_names` (the manifest's conda specs) and from the conda packages PyPI reached.
    `shown`: the platform as reasons name it (the manifest's name for the lock's `platform`)."""
    shown, overrides = shown or platform, overrides or {}
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: PyPI only

    walk = PypiWalk()
    locked = {normalize_pypi_name(p.name): p for p in lock_env.pypi_packages(platform)}
    python = python_record(lock_env, platform)
    environment = marker_environment(python, subdir) if python is not None else None
    if environment is None:
        if requirements or locked:
            walk.reasons = [f"no python interpreter is locked for {shown}, which the PyPI packages need"]
        return walk
    # (requirement, who asks, its text as reasons quote it: a locked line as the lock writes it)
    queue = [(r, "<environment>", str(r)) for r in manifest_requirements(requirements, environment)]
    if not queue and locked:
        walk.reasons = [f"PyPI packages are locked for {shown} that the manifest no longer asks for: "
                        f"{', '.join(sorted(p.name for p in locked.values()))}"]
        return walk
    conda = conda_as_pypi(lock_env, platform)
    seen_requirements = {str(r) for r, _, _ in queue}
    visited: set[str] = set()
    while queue:
        requirement, parent, quoted = queue.pop()
        key = normalize_pypi_name(requirement.name)
        specifier = (overrides.get(key) or requirement).specifier
        if key in conda:
            conda_name, version = conda[key]
            walk.used_by_pypi.add(conda_name)
            if not _contains(specifier, version):
                walk.reasons = walk.reasons or [f"the conda package {conda_name} {version} does not satisfy the "
                                                f"PyPI requirement '{quoted}' (required by '{parent}')"]
            continue
        package = locked.get(key)
        if package is None or (parent != "<environment>" and package.version and "://" in package.location
                               and not _contains(specifier, package.version)):
            walk.reasons = walk.reasons or [f"the requirement '{quoted}' could not be satisfied "
                                            f"(required by '{parent}')"]
            continue
        visited.add(key)
        for text in package.requires_dist:
            try:
                child = Requirement(text)
            except InvalidRequirement:
                continue
            if _applies(child.marker, environment, requirement.extras) and str(child) not in seen_requirements:
                seen_requirements.add(str(child))
                queue.append((child, package.name, text))
    walk.expected = _reach(lock_env, platform, spec_names)
    for name in walk.used_by_pypi:
        walk.expected |= _reach(lock_env, platform, (MatchSpec.parse(text).name for text in
                                                     _depends_of(lock_env, platform, name)))
    unused = sorted({p.name for p in lock_env.conda_packages(platform)} - walk.expected - walk.used_by_pypi)
    if unused:
        walk.reasons = [f"more conda packages are locked for {shown} than the environment uses: "
                        f"{', '.join(unused)}"]
    elif not walk.reasons and set(locked) - visited:
        walk.reasons = [f"more PyPI packages are locked for {shown} than the environment uses: "
                        f"{', '.join(sorted(locked[k].name for k in set(locked) - visited))}"]
    return walk
# --8<-- [end:walk]


def _depends_of(lock_env, platform: str, name: str) -> tuple[str, ...]:
    return next((p.record.depends for p in lock_env.conda_packages(platform) if p.name == name), ())


def pypi_only_reasons(walks: Iterable[PypiWalk]) -> list[str]:
    """A conda package that only PyPI requirements reach, across the `walks` of one solve group
    on one platform (or of one environment outside any group): it should be a PyPI package."""
    walks = list(walks)
    expected = set().union(*(w.expected for w in walks)) if walks else set()
    for walk in walks:
        for name in sorted(walk.used_by_pypi - expected):
            return [f"'{name}' is locked as a conda package but only requested by pypi dependencies"]
    return []
