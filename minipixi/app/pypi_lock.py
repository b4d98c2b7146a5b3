"""PyPI in the lock: after the conda solve, resolve ``[pypi-dependencies]`` on top of its Python.

An environment with ``[pypi-dependencies]`` is locked in two steps per platform, as Pixi does:
the conda solve first (`app/relock.py`), then this module:

1. **the target**: the solved conda ``python`` record and the platform (with the glibc or macOS
   its system requirements declare) say which wheels fit (`pypi/target.py`); an environment
   whose conda solve has no ``python`` cannot take PyPI packages at all;
2. **what conda already installs**: a conda package that *is* a PyPI package (its ``pkg:pypi``
   purl, from ``[workspace] conda-pypi-map``: `pypi/mapping.py`) is not installed a second
   time from PyPI;
3. **the requirements**: the manifest's entries as PEP 508 texts (``requests[socks]>=2``,
   with ``env-markers``). Forms that would have to be built (``path``, ``git``, ``url``,
   ``editable``) are refused with one clear error: minipixi installs wheels only. An entry's
   ``index = "..."`` pins that package to that index alone (`pinned_indexes`); a
   ``url`` or ``path`` to a wheel is that one file, read and hashed here (`direct_wheels`);
4. **resolve** (`pypi/resolve.py`) against ``[pypi-options]`` index-url and extra-index-urls,
   with its prerelease-mode, and turn each chosen wheel into a lock entry (`lock_entries`)
   written as Pixi writes it: ``pypi:`` URL, name, version, sha256, requires_dist,
   requires_python.

Offline, the bundled teaching index stands in for https://pypi.org/simple (`config.py`'s
``pypi_mirrors``): the resolver reads the folder, and `mirrored` / `unmirrored` turn the URLs
both ways, so the lock names pypi.org exactly as a lock made online would. The teaching
channel's conda -> PyPI map (``pypi_mapping``, read by `pypi/mapping.py`) plays Pixi's mapping
service for conda-forge.

Lesson: Episode 2 ("The lock file"), mixing conda and PyPI. Read after `app/relock.py`; read
next `app/pypi_sync.py`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Mapping, Sequence

from minipixi.channel.virtual_packages import declared_virtual_packages
from minipixi.config import cache_dir
from minipixi.errors import ManifestError
from minipixi.lock.model import CondaPackage, LockedEnvironment, PypiPackage, normalize_pypi_name
from minipixi.lock.pypi_satisfiability import as_requirement, conda_as_pypi
from minipixi.lock.satisfiability import DEFAULT_PRERELEASE_MODE, DEFAULT_PYPI_INDEX, pypi_options

SUPPORTED_OPTIONS = ("index-url", "extra-index-urls", "prerelease-mode", "no-build", "find-links")
BUILD_FORMS = ("path", "git", "url", "editable", "branch", "tag", "rev", "subdirectory")
SOURCE_HINT = "use a wheel or a conda package"
DIRECT = "direct+"  # a lock location's prefix for a wheel given by its URL


class PypiLockError(ManifestError):
    """An environment's PyPI dependencies cannot be locked as written."""


# ---- the manifest side ---------------------------------------------------------------------

def pypi_settings(workspace, environment: str) -> tuple[list[str], str]:
    """(indexes, prerelease-mode) from ``[pypi-options]``; a setting minipixi does not
    implement is an error naming it (``find-links``, ``dependency-overrides`` ...)."""
    options = pypi_options(workspace, environment)
    for key in options:
        if key not in SUPPORTED_OPTIONS:
            raise PypiLockError(f"[pypi-options] {key} is not supported by minipixi",
                                where=str(workspace.path),
                                hint="remove it, or lock this workspace with pixi itself")
    index = options.get("index-url", DEFAULT_PYPI_INDEX)
    extra = options.get("extra-index-urls", [])
    if not isinstance(index, str) or not isinstance(extra, list) or not all(isinstance(u, str) for u in extra):
        raise PypiLockError("[pypi-options] index-url must be a URL and extra-index-urls a list of URLs",
                            where=str(workspace.path), hint='write index-url = "https://pypi.org/simple"')
    mode = options.get("prerelease-mode", DEFAULT_PRERELEASE_MODE)
    return [index, *extra], str(mode)


def find_links(workspace, environment: str) -> list[dict[str, str]]:
    """``[pypi-options] find-links`` as the lock writes it: ``[{path = "./links"}]`` (folders of
    wheels in the workspace) and ``[{url = "https://host/wheels/"}]`` (flat pages of links), both
    read by `pypi/find_links.py`; any other form is an error naming it."""
    links = pypi_options(workspace, environment).get("find-links", [])
    if not isinstance(links, list) or not all(isinstance(link, Mapping) for link in links):
        raise PypiLockError("[pypi-options] find-links must be a list of { path = \"...\" } or { url = \"...\" } tables",
                            where=str(workspace.path), hint='write find-links = [{ path = "./links" }]')
    for link in links:
        key, value = next(iter(link.items())) if len(link) == 1 else (None, None)
        if key not in ("path", "url") or not isinstance(value, str) or \
                (key == "url" and not value.startswith(("http://", "https://"))):
            raise PypiLockError(f"[pypi-options] find-links entry {dict(link)} is not supported by minipixi: "
                                "it reads { path = \"./folder\" } and { url = \"https://...\" } entries",
                                where=str(workspace.path),
                                hint='write find-links = [{ path = "./links" }] or [{ url = "https://host/wheels/" }]')
    return [dict(link) for link in links]


def pinned_indexes(resolved) -> dict[str, str]:
    """Normalized name -> the index URL a manifest entry names (``{ version, index }``): that
    package comes from there only, and its lock entry records it as ``index``."""
    found = {}
    for name, dependency in resolved.pypi_dependencies.items():
        raw = getattr(dependency, "requirement", dependency)
        if isinstance(raw, Mapping) and isinstance(raw.get("index"), str):
            found[normalize_pypi_name(name)] = raw["index"].rstrip("/")
    return found


def direct_wheel_url(raw: Mapping[str, Any]) -> str | None:
    """The URL of a ``{ url = ".../x.whl" }`` entry (a wheel: nothing to build), else None."""
    url = raw.get("url")
    if isinstance(url, str) and "://" in url and url.split("?")[0].split("#")[0].endswith(".whl") \
            and not raw.get("editable") and not any(k in raw for k in ("path", "git", "version")):
        return url
    return None


def link_wheels(project, links: Sequence[Mapping[str, str]]) -> tuple[dict[str, list], dict[str, str], dict[str, str]]:
    """The wheels of the find-links folders and pages (project -> files); each folder wheel's
    lock location (file URL -> ``./links/x.whl``, the folder as written, as Pixi locks it); and
    each page wheel's page (file URL -> the find-links url, its ``index`` in the lock)."""
    from minipixi.pypi.find_links import folder_wheels, page_wheels  # lazy: packaging

    files: dict[str, list] = {}
    locations: dict[str, str] = {}
    pages: dict[str, str] = {}
    for link in links:
        if "url" in link:
            found = page_wheels(link["url"], cache_dir=cache_dir(), offline=project.config.offline)
        else:
            found = folder_wheels(project.workspace.root, link["path"])
        for name, dists in found.items():
            files.setdefault(name, []).extend(dists)
            for dist in dists:
                if "url" in link:
                    pages[dist.url] = link["url"]
                else:
                    locations[dist.url] = link["path"].rstrip("/") + "/" + dist.filename
    return files, locations, pages


def direct_wheel_path(raw: Mapping[str, Any]) -> str | None:
    """The path of a ``{ path = "./x.whl" }`` entry (a wheel file, not editable), else None."""
    path = raw.get("path")
    if isinstance(path, str) and path.endswith(".whl") and not raw.get("editable") \
            and not any(k in raw for k in ("url", "git", "version")):
        return path
    return None


def direct_wheels(members: Sequence, project) -> dict[str, tuple]:
    """Normalized name -> (wheel, metadata, its lock location) of each ``{ url = ".../x.whl" }``
    entry of `members` (downloaded or cached: ``direct+<url>``) and each ``{ path = "./x.whl" }``
    (inside the workspace: the path as written), hashed (`pypi/direct.py`)."""
    from minipixi.pypi.direct import direct_wheel, path_wheel  # lazy: packaging

    found: dict[str, tuple] = {}
    for member in members:
        for name, dependency in member.pypi_dependencies.items():
            raw = getattr(dependency, "requirement", dependency)
            if not isinstance(raw, Mapping) or normalize_pypi_name(name) in found:
                continue
            url, path = direct_wheel_url(raw), direct_wheel_path(raw)
            if url:
                found[normalize_pypi_name(name)] = (*direct_wheel(name, url, cache_dir=cache_dir(),
                                                                  offline=project.config.offline), DIRECT + url)
            elif path:
                found[normalize_pypi_name(name)] = (*path_wheel(name, project.workspace.root, path), path)
    return found


def requirement_texts(resolved, workspace) -> list[str]:
    """The environment's PyPI dependencies as PEP 508 texts; a form that needs building is
    refused naming the package (see the module)."""
    texts = []
    for name, dependency in sorted(resolved.pypi_dependencies.items()):
        raw = getattr(dependency, "requirement", dependency)
        if isinstance(raw, Mapping):
            forms = [key for key in BUILD_FORMS if key in raw and not (
                (key == "url" and direct_wheel_url(raw)) or (key == "path" and direct_wheel_path(raw)))]
            if forms and str(raw.get(forms[0], "")).endswith(".whl") and not raw.get("editable"):
                raise PypiLockError(
                    f"the PyPI dependency '{name}' is a wheel given by `{forms[0]}`, which minipixi does not "
                    "support: it installs wheels it resolved from an index", where=str(workspace.path),
                    hint=f"publish the wheel on an index named in [pypi-options] and give '{name}' a version")
            if forms:
                raise PypiLockError(
                    f"the PyPI dependency '{name}' is given by `{forms[0]}`: building from source is not "
                    f"supported; {SOURCE_HINT}", where=str(workspace.path),
                    hint=f"give '{name}' a version (from an index with wheels), or depend on the conda package")
            unknown = sorted(set(raw) - {"version", "extras", "env-markers", "index", "url", "path"})
            if unknown:
                raise PypiLockError(f"the PyPI dependency '{name}' uses `{unknown[0]}`, which minipixi does not support",
                                    where=str(workspace.path),
                                    hint="use a version, extras, env-markers and index only")
            if "index" in raw and not (isinstance(raw["index"], str) and "://" in raw["index"]):
                raise PypiLockError(f"the index of the PyPI dependency '{name}' must be a URL",
                                    where=str(workspace.path),
                                    hint=f'write {name} = {{ version = "*", index = "https://example.com/simple" }}')
        if isinstance(raw, str) and "@" in raw:
            raise PypiLockError(f"the PyPI dependency '{name}' is a direct reference ({raw}): building from "
                                f"source is not supported; {SOURCE_HINT}", where=str(workspace.path),
                                hint=f"give '{name}' a version instead")
        parsed = as_requirement(name, dependency)
        if parsed is None or parsed.url:
            raise PypiLockError(f"cannot read the PyPI dependency '{name}' ({raw!r})", where=str(workspace.path),
                                hint='write a PEP 440 version such as ">=2.0", or { version = ">=2", extras = ["x"] }')
        texts.append(str(parsed))
    return texts


# ---- the offline mirror of pypi.org -----------------------------------------------------------

def mirrored(url: str, mirrors: Mapping[str, str]) -> str:
    """`url` with the index it starts with replaced by that index's mirror (or as it is)."""
    for original, local in mirrors.items():
        original = original.rstrip("/")
        if url.rstrip("/") == original or url.startswith(original + "/"):
            return local.rstrip("/") + url[len(original):]
    return url


def unmirrored(url: str, mirrors: Mapping[str, str]) -> str:
    """The other way: a URL of a mirror as the index it stands in for names it."""
    return mirrored(url, {local: original for original, local in mirrors.items()})


# ---- resolving one (environment, platform) ---------------------------------------------------

def target_for(resolved, conda_packages: Sequence[CondaPackage], label: str):
    """The `Target` of one solved platform: its conda python and declared glibc / macOS."""
    from minipixi.pypi.target import Target  # lazy: packaging is only needed for PyPI

    python = next((p.record for p in conda_packages if p.name == "python"), None)
    if python is None:
        raise PypiLockError(
            f"environment {label} has pypi-dependencies ({', '.join(sorted(resolved.pypi_dependencies))}) "
            "but its conda packages include no python: a python interpreter is needed to install PyPI packages",
            hint='add python to [dependencies], e.g. `minipixi add python`')
    virtual = {r.name: r.version for r in declared_virtual_packages(resolved)}
    return Target.for_python(resolved.subdir, python, glibc=virtual.get("__glibc"), macos=virtual.get("__osx"))


def resolve_group(project, members: Sequence, conda_packages: Sequence[CondaPackage], label: str, *,
                  preferred: Mapping[str, str] | None = None) -> dict:
    """Resolve the PyPI dependencies of one solve-group's `members` (their `ResolvedEnvironment`s
    on one platform) together, on top of the group's conda packages, so that they share
    versions as their conda packages do. Returns, per member environment with PyPI
    dependencies, (its lock entries, the extras each was resolved with, by location): the
    packages its own requirements reach through ``requires_dist`` (`_share`). `preferred`: name
    -> the version the lock had, tried first (a relock for another reason moves it only when it
    must; ``update`` leaves out what it frees)."""
    from minipixi.pypi.resolve import resolve  # lazy: the resolver loads packaging

    workspace = project.workspace
    with_pypi = [r for r in members if r.pypi_dependencies]
    own = {r.environment: requirement_texts(r, workspace) for r in with_pypi}
    requirements = list(dict.fromkeys(text for texts in own.values() for text in texts))
    indexes, prerelease = pypi_settings(workspace, with_pypi[0].environment)
    target = target_for(with_pypi[0], conda_packages, label)
    provided = {name: version for name, (_, version) in
                conda_as_pypi(LockedEnvironment(packages={"p": tuple(conda_packages)}), "p").items()}
    # As uv (and so Pixi) searches them: the extra indexes first, then index-url; the first
    # index that has a project serves all of its versions.
    mirrors = project.config.pypi_mirrors()  # offline: the teaching index for pypi.org
    searched = [mirrored(i.rstrip("/"), mirrors) + "/" for i in (*indexes[1:], indexes[0])]
    pinned: dict[str, str] = {}
    for member in with_pypi:
        for name, url in pinned_indexes(member).items():
            if pinned.setdefault(name, url) != url:
                raise PypiLockError(f"the PyPI dependency '{name}' is pinned to two indexes in one solve-group "
                                    f"({pinned[name]} and {url})", where=str(workspace.path),
                                    hint="name the same index in every environment of the group")
    direct = direct_wheels(with_pypi, project)
    links, link_locations, link_pages = link_wheels(project, find_links(workspace, with_pypi[0].environment))
    resolution = resolve(requirements, target, searched,
                         conda_provided=provided, prerelease=prerelease, cache_dir=cache_dir(),
                         offline=project.config.offline, label=label, preferred=preferred,
                         pinned={name: mirrored(url, mirrors) + "/" for name, url in pinned.items()},
                         direct={name: found[:2] for name, found in direct.items()}, links=links)
    packages = [_hashed(p, project) if p.url in link_pages else p for p in resolution.packages]
    shares = {}
    for env, texts in own.items():
        mine = packages if len(members) == 1 else _share(packages, texts, target.markers)
        entries = [lock_entry(p, mirrors, pinned.get(normalize_pypi_name(p.name)) or link_pages.get(p.url),
                              (direct.get(normalize_pypi_name(p.name)) or (None,) * 3)[2] or link_locations.get(p.url))
                   for p in mine]
        shares[env] = (entries, {e.location: p.extras for e, p in zip(entries, mine) if p.extras})
    return shares


def _hashed(package, project):
    """A wheel of a find-links page with its sha256: the page's, or the file's own."""
    from minipixi.pypi.find_links import wheel_sha256  # lazy: packaging
    from minipixi.pypi.index import DistFile  # lazy: packaging

    if package.hashes.get("sha256"):
        return package
    dist = DistFile(package.filename, package.url)
    digest = wheel_sha256(dist, project=package.name, cache_dir=cache_dir(), offline=project.config.offline)
    return replace(package, hashes={**package.hashes, "sha256": digest})


def _share(packages: Sequence, requirements: Sequence[str], markers: Mapping[str, str]) -> list:
    """The resolved packages that `requirements` reach through ``requires_dist`` (markers
    evaluated on the target, with the extras each requirement asks for)."""
    from packaging.requirements import Requirement  # lazy: PyPI only

    by_name = {normalize_pypi_name(p.name): p for p in packages}
    reached: dict[str, None] = {}
    todo = [Requirement(text) for text in requirements]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = normalize_pypi_name(requirement.name)
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in seen or name not in by_name:
            continue  # already followed, or conda installs it
        seen.add(key)
        reached[name] = None
        for text in by_name[name].requires_dist:
            child = Requirement(text)
            extras = ("", *requirement.extras)
            if child.marker is None or any(child.marker.evaluate({**markers, "extra": e}) for e in extras):
                todo.append(child)
    return [p for p in packages if normalize_pypi_name(p.name) in reached]


def lock_entry(package, mirrors: Mapping[str, str] | None = None, index: str | None = None,
               location: str | None = None) -> PypiPackage:
    """A resolved wheel as Pixi locks it (its URL as the index a mirror stands in for names it).
    `location`: where a wheel given by URL or path, or found in a find-links folder, is, as
    Pixi writes it (``direct+<url>``, or the path as the manifest wrote it); such a wheel has no
    sha256 (uv hashes no local file of a folder either), and install checks the file itself
    instead (see `pypi/direct.py`).
    `index`: the index it came from (its manifest entry's, or a find-links page), else the index
    that served it; a v7 lock writes it unless it is pypi.org (rattler_lock's ``index``), so
    that the up-to-date check sees a change of index."""
    sha256 = None if location else package.hashes.get("sha256")
    location = location or unmirrored(package.url, mirrors or {})
    if index is None and package.index_url and "://" in location and not location.startswith(DIRECT):
        index = unmirrored(package.index_url, mirrors or {}).rstrip("/")
    if index is not None and index.rstrip("/") == DEFAULT_PYPI_INDEX:
        index = None
    return PypiPackage(location=location, name=package.name, version=package.version,
                       sha256=sha256, requires_dist=tuple(requires_dist_text(text) for text in package.requires_dist),
                       requires_python=package.requires_python, extra=(("index", index),) if index else ())


def requires_dist_text(text: str) -> str:
    """A ``Requires-Dist`` line as Pixi (uv) writes it: ``name[x]>=1,<2 ; marker``, the version
    bounds ordered by version, the marker in single quotes, a ``python_version`` bound said as
    uv says it (`python_full_version_marker`): the same meaning as the line read."""
    from packaging.requirements import Requirement  # lazy: PyPI only
    from packaging.version import InvalidVersion, Version  # lazy: PyPI only

    def by_version(specifier):
        try:
            return (0, Version(specifier.version.rstrip(".*")))
        except InvalidVersion:
            return (1, specifier.version)

    requirement = Requirement(text)
    head = requirement.name + (f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else "")
    if requirement.url:
        head += f" @ {requirement.url}"
    head += ",".join(str(s) for s in sorted(requirement.specifier, key=by_version))
    if requirement.marker is None:
        return head
    marker = _in_uv_order(_PYTHON_VERSION.sub(python_full_version_marker, str(requirement.marker)))
    return f"{head} ; {marker.replace(chr(34), chr(39))}"


# ``python_version < "3.8"`` (packaging writes the variable first, or the value first when the
# metadata did: ``"3.8" > python_version``), with a version of one or two numbers.
_PYTHON_VERSION = re.compile(r'python_version (<=|>=|<|>|==|!=) "(\d+(?:\.\d+)?)"'
                             r'|"(\d+(?:\.\d+)?)" (<=|>=|<|>|==|!=) python_version')
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def python_full_version_marker(found: re.Match) -> str:
    """uv compares Pythons by their full version, and writes a ``python_version`` bound as the
    ``python_full_version`` range it means (Pixi's locks have only those): ``< "3.8"`` stays
    ``< "3.8"``, ``<= "3.8"`` is ``< "3.9"``, ``> "3.8"`` is ``>= "3.9"``, ``== "3.8"`` is
    ``== "3.8.*"``."""
    op, version = (found[1], found[2]) if found[1] else (_FLIPPED[found[4]], found[3])
    major, minor = ([int(p) for p in version.split(".")] + [0])[:2]  # a python_version is X.Y
    op, version = {"<=": ("<", f"{major}.{minor + 1}"), ">": (">=", f"{major}.{minor + 1}"),
                   "==": ("==", f"{major}.{minor}.*"), "!=": ("!=", f"{major}.{minor}.*")}.get(op, (op, version))
    return f'python_full_version {op} "{version}"'


_ATOM = re.compile(r'([a-z_]+) (<=|>=|<|>|==|!=|~=) "([^"]*)"')
_LOWER_FIRST = {">": 0, ">=": 0, "==": 1, "~=": 1, "!=": 2, "<": 3, "<=": 3}


def _in_uv_order(marker: str) -> str:
    """The terms of a marker that is one ``and`` of plain comparisons, in uv's order: the
    version variables (``implementation_version``, ``python_full_version``), then the others,
    each group by name, ``extra`` last; a lower bound before an upper one. A marker with an
    ``or``, parentheses or ``in`` is left as written: how uv regroups those changed from one
    uv version to the next (Pixi's own locks hold both forms), so no one answer is Pixi's."""
    terms = marker.split(" and ")
    atoms = [_ATOM.fullmatch(term) for term in terms]
    if not all(atoms) or " or " in marker:
        return marker

    def key(atom):
        name, op, value = atom.groups()
        group = 2 if name == "extra" else 0 if name in ("implementation_version", "python_full_version") else 1
        return (group, name, _LOWER_FIRST[op] if group == 0 else 0, value)
    return " and ".join(atom[0] for atom in sorted(atoms, key=key))

