"""The PyPI simple repository API: what files a project has, and what each one needs.

A PyPI index (pypi.org/simple, a company mirror, a folder served over HTTP) answers one
question per project: *which files are there?* The answer is the **project page** at
``<index>/<normalized-name>/``, where the name is lower-cased and every run of ``-``, ``_`` and
``.`` becomes one ``-`` (PEP 503), so ``Foo.Bar_baz`` lives at ``foo-bar-baz/``.

A page comes in two forms, and we ask for both in the ``Accept`` header, JSON preferred:

- **JSON** (PEP 691, ``application/vnd.pypi.simple.v1+json``): ``{"meta": {"api-version":
  "1.1"}, "name": ..., "files": [{"filename", "url", "hashes": {"sha256": ...},
  "requires-python", "yanked", "core-metadata"}, ...]}``.
- **HTML** (PEP 503, the original): one ``<a>`` per file, the file name as its text, the URL in
  ``href`` with the hash as a fragment (``#sha256=...``), and the other facts as attributes:
  ``data-requires-python`` (HTML-escaped: ``&gt;=3.8``), ``data-yanked`` and
  ``data-core-metadata``. We read it with ``html.parser``, which unescapes attributes for us.

What each file entry tells us:

- **hashes**: the digest the downloaded bytes must have; a file that differs is refused.
- **requires-python** (PEP 503/345): a specifier the *target* interpreter must satisfy.
- **yanked** (PEP 592): the author withdrew the file (a reason may be given). A resolver skips
  it, unless a requirement pins exactly that version with ``==``: old locks keep working.
- **core-metadata** (PEP 658, renamed from ``dist-info-metadata`` by PEP 714; we read both):
  the index serves the wheel's ``METADATA`` file alone at ``<file url>.metadata``, with its own
  hash, so a resolver learns the dependencies without downloading the whole wheel. Without it,
  we download the wheel (a zip) and read ``<name>-<version>.dist-info/METADATA`` from inside.

``METADATA`` is an email-style header block (core metadata spec): ``Name``, ``Version``,
``Requires-Python``, one ``Requires-Dist`` per dependency (a PEP 508 requirement, maybe with a
marker such as ``; python_version < "3.11"`` or ``; extra == "test"``), and ``Provides-Extra``.
We parse it with ``email.parser``, and the versions, specifiers, markers and wheel tags with
``packaging``, the reference implementation of PEP 440 and PEP 508 (the conda side of the
lesson hand-writes its versions; here we lean on the standard's own code).

**Cache.** Pages are cached under ``<cache>/pypi/simple/`` with the ``ETag`` / ``Last-Modified``
the server sent, and revalidated exactly like repodata (`channel/fetch.py`): a conditional request,
and a ``304 Not Modified`` reuses the cached page. Files and metadata files are cached under
``<cache>/pypi/files/`` by URL; a cached file is re-hashed before it is used. With
``offline=True`` only the cache is read, and a missing page is an error naming the project
(a 404 is remembered as well: offline, a project only a find-links source has is known).

**A folder as an index.** An index URL may be ``file:///.../simple``: a folder laid out as a
static web server would serve it, ``<project>/index.json`` (PEP 691) or ``<project>/index.html``
(PEP 503) next to the project's files and ``.metadata`` files (`teaching/mirror/pypi_index.py`
builds one; offline mode reads it in place of pypi.org). Such files are read in place, without
the cache, and ``--offline`` does not matter (nothing goes over the network). Every file URL of
a ``file://`` page must lie inside the index's folder, once symlinks are resolved, and a page
served over HTTP may not point at ``file://`` URLs at all; pages and files are size-bounded as
downloads are.

**Safety.** Every download goes through ``http.py`` (bounded time and size). Every name from
an index (a file name) passes ``files.check_component`` before it becomes a path, so a file
called ``../../x.whl`` is refused with an error naming the project page.

Who calls it: the resolver's provider (`pypi/provider.py`, behind ``lock``) reads pages with
`fetch_project` and a chosen wheel's dependencies with `fetch_metadata`; the install step
(`app/pypi_sync.py`) downloads the locked wheels with `fetch_file`.
Read after `channel/fetch.py`; read next `pypi/wheel.py`.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import unquote, urldefrag, urljoin, urlparse

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (InvalidSdistFilename, InvalidWheelFilename, canonicalize_name,
                             parse_sdist_filename, parse_wheel_filename)
from packaging.version import InvalidVersion, Version

from minipixi import http
from minipixi.errors import ChannelError, shorten
from minipixi.files import UnsafePathError, check_component, inside, url_problem

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
# JSON first; the v1 HTML next; plain text/html last (old servers know only that).
ACCEPT = f"{JSON_TYPE}, {HTML_TYPE};q=0.2, text/html;q=0.01"
MAX_METADATA_SIZE = 16 * 2**20  # a METADATA file; the largest on PyPI are a few hundred KiB
_PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


class IndexError_(ChannelError):  # noqa: N801 (the builtin IndexError is something else)
    """A PyPI index page, file or metadata file that is missing, malformed or unsafe."""


class ProjectNotFound(IndexError_):
    """The index has no page for this project (HTTP 404)."""


class PyPIHashMismatch(IndexError_):
    """A downloaded file (or metadata file) whose digest is not the one the index lists."""


# ---- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistFile:
    """One file of a project page: a wheel or a source distribution."""

    filename: str
    url: str  # absolute, without the hash fragment
    hashes: Mapping[str, str] = field(default_factory=dict)  # algorithm -> hex digest
    requires_python: str | None = None
    yanked: str | None = None  # None: not yanked; else the reason ("" when none was given)
    metadata: Mapping[str, str] | None = None  # PEP 658: None = no metadata file; else hashes
    root: str | None = None  # a file:// URL: the index folder it must lie in (None: http)

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def version(self) -> Version:
        if self.is_wheel:
            return parse_wheel_filename(self.filename)[1]
        return parse_sdist_filename(self.filename)[1]

    @property
    def tags(self) -> frozenset[Tag]:
        """The wheel's compatibility tags (``py3-none-any``); empty for an sdist."""
        return frozenset(parse_wheel_filename(self.filename)[3]) if self.is_wheel else frozenset()


@dataclass(frozen=True)
class ProjectPage:
    """A project's files as one index lists them; `format` is ``json`` or ``html``."""

    name: str  # normalized
    url: str
    files: tuple[DistFile, ...]
    format: str


@dataclass(frozen=True)
class Metadata:
    """The parts of a ``METADATA`` file a resolver needs."""

    name: str
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: tuple[str, ...]

    def dependencies(self, extras: Iterable[str] = (), environment: Mapping[str, str] | None
                     = None) -> list[Requirement]:
        """The requirements that apply on `environment` (PEP 508 marker variables; default:
        this interpreter) with `extras` asked for. A marker ``extra == "x"`` holds when ``x``
        is one of them; without extras it is evaluated with ``extra = ""``."""
        wanted = [canonicalize_name(extra) for extra in extras] or [""]
        chosen = []
        for requirement in self.requires_dist:
            if requirement.marker is None or any(
                    requirement.marker.evaluate({**(environment or {}), "extra": extra})
                    for extra in wanted):
                chosen.append(requirement)
        return chosen


# ---- names and URLs ------------------------------------------------------------------------


def normalize(name: str) -> str:
    """PEP 503: ``Foo.Bar_baz`` -> ``foo-bar-baz``. A name that is not a project name (PEP 508)
    is refused: it would otherwise become part of a URL and of a cache path."""
    if not isinstance(name, str) or not _PROJECT_NAME.match(name):
        raise IndexError_(f"'{name}' is not a valid PyPI project name",
                          hint="a project name has letters, digits, '-', '_' and '.' only")
    return canonicalize_name(name)


def project_url(index_url: str, name: str) -> str:
    return index_url.rstrip("/") + "/" + normalize(name) + "/"


def _check_http(url: str, where: str, *, local: bool = False) -> str:
    """An http(s) URL; or, when `local` (an index that is a folder), a file:// URL."""
    scheme = parse_url(url, where).scheme
    if scheme not in ("http", "https") and not (local and scheme == "file"):
        raise IndexError_(f"unsupported URL scheme in '{url}'", where=where,
                          hint="an index and its files must be http:// or https:// URLs "
                          "(or all file:// URLs in a local index folder)")
    return url


def is_local(url: str) -> bool:
    return parse_url(url, url).scheme == "file"


def parse_url(url: str, where: str):
    """``urlparse(url)``; a URL it cannot read at all (an unclosed ``[`` of an IPv6 host, from
    a manifest or a page) is an IndexError_ naming it, not a ValueError deep in a lock."""
    problem = url_problem(url)
    if problem:
        raise IndexError_(f"'{shorten(url)}' is not a valid URL ({problem})", where=where,
                          hint="check how the URL is written (in pixi.toml, or on the page that "
                          "links to it)")
    return urlparse(url)


def join_url(base: str, reference: str, where: str) -> tuple[str, str]:
    """``urljoin(base, reference)`` for a link read from a page: (the URL, its #fragment)."""
    problem = url_problem(reference)
    if problem:
        raise IndexError_(f"the link '{shorten(reference)}' is not a valid URL ({problem})",
                          where=where, hint="the page is broken; report it to the index")
    return tuple(urldefrag(urljoin(base, reference)))


def local_path(url: str, root: str | None, *, what: str) -> Path:
    """The file a ``file://`` `url` names, proven to lie inside the index folder `root` (a
    ``file://`` URL too), symlinks resolved: an index's page cannot reach ``/etc``."""
    if root is None or not is_local(root):
        raise IndexError_(f"{what} is a file:// URL outside any local index", where=url,
                          hint="file:// URLs are read only from an index that is itself a folder")
    parsed, base = parse_url(url, url), parse_url(root, root)
    if parsed.netloc not in ("", "localhost"):
        raise IndexError_(f"{what} names another machine ({parsed.netloc})", where=url,
                          hint="a file:// URL must be file:///path on this machine")
    folder = Path(unquote(base.path))
    text = unquote(parsed.path)
    prefix = unquote(base.path).rstrip("/") + "/"
    if not text.startswith(prefix):
        raise IndexError_(f"{what} lies outside the index folder {folder}", where=url,
                          hint="a local index may only point at files inside its own folder")
    try:
        path = inside(folder, text[len(prefix):], what=what, where=url)
        if not path.resolve().is_relative_to(folder.resolve()):
            raise IndexError_(f"{what} is a symlink out of the index folder {folder}", where=url,
                              hint="a local index may only point at files inside its own folder")
    except UnsafePathError as err:
        raise IndexError_(f"{what} lies outside the index folder {folder} ({err.message})",
                          where=url, hint="a local index may only point at files inside its "
                          "own folder") from None
    return path


def _read_local(path: Path, limit: int, *, what: str, url: str) -> bytes:
    """A local index file, at most `limit` bytes."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise IndexError_(f"{what} is larger than {http.describe_size(limit)}", where=url,
                              hint="a local index holds small files; check the folder")
        return path.read_bytes()
    except OSError as err:
        raise IndexError_(f"cannot read {what}: {err.strerror or err}", where=url,
                          hint="check the local index folder") from None


# ---- parsing a page ------------------------------------------------------------------------


def parse_page(body: bytes, content_type: str, url: str, name: str,
               root: str | None = None) -> ProjectPage:
    """A project page from its body: JSON (PEP 691) or HTML (PEP 503), by its content type.
    `root`: the folder of a local (``file://``) index, which its files must lie in."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == JSON_TYPE:
        entries, form = _json_entries(body, url), "json"
    elif kind in (HTML_TYPE, "text/html", ""):
        entries, form = _html_entries(body, url), "html"
    else:
        raise IndexError_(f"the index answered with '{kind}', not a simple repository page",
                          where=url, hint="check the index URL (it usually ends in /simple)")
    files = tuple(_dist_file(entry, url, name, root) for entry in entries)
    return ProjectPage(normalize(name), url, files, form)


def _check_api_version(version: object, url: str) -> None:
    """Both forms carry the API version; a major version other than 1 is a format we don't know."""
    if not isinstance(version, str) or version.split(".", 1)[0] != "1":
        raise IndexError_(f"the index speaks simple API version {version!r}; minipixi reads 1.x",
                          where=url, hint="use an index that serves the version 1 API")


def _json_entries(body: bytes, url: str) -> list[dict]:
    try:
        page = json.loads(body)
    except ValueError as err:
        raise IndexError_(f"the project page is not valid JSON ({err})", where=url,
                          hint="the index sent a broken page; try again later") from None
    if not isinstance(page, dict) or not isinstance(page.get("files"), list):
        raise IndexError_("the project page has no 'files' list", where=url,
                          hint="the index sent something else than a PEP 691 page")
    meta = page.get("meta")
    _check_api_version(meta.get("api-version") if isinstance(meta, dict) else None, url)
    entries = []
    for item in page["files"]:
        if not isinstance(item, dict):
            raise IndexError_("a file entry is not a JSON object", where=url,
                              hint="the index sent a broken page")
        metadata = item.get("core-metadata", item.get("dist-info-metadata", False))
        entries.append({"filename": item.get("filename"), "url": item.get("url"),
                        "hashes": item.get("hashes") or {},
                        "requires_python": item.get("requires-python"),
                        "yanked": item.get("yanked", False), "metadata": metadata})
    return entries


class _LinkParser(HTMLParser):
    """Collects each ``<a>``'s attributes and text, the ``<base href>`` and the API version."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[dict, str]] = []
        self.base: str | None = None
        self.api_version: str | None = None
        self._open: tuple[dict, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "a":
            self._open = (attributes, [])
        elif tag == "base" and self.base is None:
            self.base = attributes.get("href")
        elif tag == "meta" and attributes.get("name") == "pypi:repository-version":
            self.api_version = attributes.get("content")

    def handle_data(self, data):
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append((self._open[0], "".join(self._open[1]).strip()))
            self._open = None


def _html_entries(body: bytes, url: str) -> list[dict]:
    parser = _LinkParser()
    parser.feed(body.decode("utf-8", errors="replace"))
    parser.close()
    if parser.api_version is not None:
        _check_api_version(parser.api_version, url)
    base = join_url(url, parser.base, url)[0] if parser.base else url
    entries = []
    for attributes, text in parser.links:
        href = attributes.get("href")
        if not href:
            continue
        target, fragment = join_url(base, href, url)
        hashes = {}
        if "=" in fragment:
            algorithm, digest = fragment.split("=", 1)
            hashes[algorithm] = digest
        metadata: object = attributes.get("data-core-metadata",
                                          attributes.get("data-dist-info-metadata"))
        if isinstance(metadata, str):
            # "true", or "<algorithm>=<digest>"; any other value means no metadata file
            if "=" in metadata:
                algorithm, digest = metadata.split("=", 1)
                metadata = {algorithm: digest}
            else:
                metadata = metadata.strip().lower() == "true"
        yanked: object = attributes["data-yanked"] if "data-yanked" in attributes else False
        entries.append({"filename": text, "url": target, "hashes": hashes,
                        "requires_python": attributes.get("data-requires-python"),
                        "yanked": True if yanked == "" else yanked, "metadata": metadata})
    return entries


def _dist_file(entry: dict, page_url: str, name: str, root: str | None = None) -> DistFile:
    """One entry, checked: a safe file name of this project, an http(s) URL (a file:// one
    inside `root`, the folder of a local index), known fields."""
    where = f"{page_url} (file {entry.get('filename')!r})"
    filename = entry.get("filename")
    check_component(filename, what="file name", where=page_url)
    try:
        if filename.endswith(".whl"):
            project = parse_wheel_filename(filename)[0]
        else:
            project = parse_sdist_filename(filename)[0]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as err:
        raise IndexError_(f"'{filename}' is not a wheel or sdist file name ({err})", where=where,
                          hint="the index lists a file minipixi cannot read; report it") from None
    if project != normalize(name):
        raise IndexError_(f"'{filename}' is a file of '{project}', not of '{normalize(name)}'",
                          where=where, hint="the index lists another project's file here")
    url = entry.get("url")
    if not isinstance(url, str):
        raise IndexError_("a file entry has no URL", where=where, hint="the page is broken")
    url, _ = join_url(page_url, url, where)
    hashes = entry["hashes"]
    if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
        raise IndexError_("'hashes' is not a table of hex digests", where=where,
                          hint="the page is broken")
    requires_python = entry["requires_python"]
    if requires_python is not None:
        try:
            SpecifierSet(requires_python)
        except (InvalidSpecifier, TypeError):
            raise IndexError_(f"requires-python {requires_python!r} is not a version specifier",
                              where=where, hint="the page is broken") from None
    yanked = entry["yanked"]
    yanked = None if yanked is False or yanked is None else ("" if yanked is True else str(yanked))
    metadata = entry["metadata"]
    if metadata is True:
        metadata = {}
    elif isinstance(metadata, dict):
        metadata = {str(k): str(v) for k, v in metadata.items()}
    else:
        metadata = None
    _check_http(url, where, local=root is not None)
    if is_local(url):
        local_path(url, root, what=f"the file '{filename}'")
    return DistFile(filename, url, {k.lower(): v.lower() for k, v in hashes.items()},
                    requires_python, yanked, metadata, root if is_local(url) else None)


# ---- choosing files ------------------------------------------------------------------------


def usable_files(page: ProjectPage, *, python_version: str, tags: Iterable[Tag],
                 pinned: Version | None = None) -> list[DistFile]:
    """The wheels a target interpreter can install, newest version first.

    A file is usable when it is a wheel with one of `tags` (the interpreter's, e.g. from
    ``packaging.tags.sys_tags()`` or ``cpython_tags``), its requires-python admits
    `python_version`, and it is not yanked, unless `pinned` is exactly its version (PEP 592).
    Source distributions are never usable: minipixi does not build from source.
    """
    supported = set(tags)
    target = Version(python_version)
    usable = []
    for dist in page.files:
        if not dist.is_wheel or not (dist.tags & supported):
            continue
        if dist.yanked is not None and dist.version != pinned:
            continue
        if dist.requires_python and target not in SpecifierSet(dist.requires_python):
            continue
        usable.append(dist)
    return sorted(usable, key=lambda dist: dist.version, reverse=True)


# ---- the cache -----------------------------------------------------------------------------


def default_cache_dir() -> Path:
    from minipixi.config import cache_dir  # lazy: only without cache_dir

    return cache_dir()


def _slug(url: str) -> str:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", url.split("://", 1)[-1]).strip("-.")[:60]
    return f"{readable}-{digest}"


def _page_paths(cache_dir: Path, index_url: str, name: str) -> tuple[Path, Path]:
    folder = cache_dir / "pypi" / "simple" / _slug(index_url.rstrip("/"))
    stem = check_component(normalize(name), what="project name")
    return folder / f"{stem}.body", folder / f"{stem}.info.json"


# ---- fetching a page -----------------------------------------------------------------------


def fetch_project(index_url: str, name: str, *, cache_dir: Path | None = None,
                  offline: bool = False, client=None) -> ProjectPage:
    """The project page of `name` on the index at `index_url`, through the cache.

    Online: a conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the cached copy);
    a 304 reuses the cache, a 200 replaces it. Offline: the cached copy, or an IndexError_
    naming the project. ProjectNotFound when the index has no such project. A ``file://``
    index is read in place (`fetch_local_project`).
    """
    if is_local(index_url):
        return fetch_local_project(index_url, name)
    url = _check_http(project_url(index_url, name), index_url)
    body_path, info_path = _page_paths(Path(cache_dir or default_cache_dir()), index_url, name)
    fetched = http.cached_get(url, body_path, lambda body, kind: parse_page(body, kind, url, name),
                              offline=offline, headers={"Accept": ACCEPT}, client=client,
                              info_path=info_path, remember_not_found=True)  # checked before cached
    if fetched is None:
        raise IndexError_(f"offline, and no cached index page for PyPI project "
                          f"'{normalize(name)}'", where=url,
                          hint="run the command once online (without --offline) to fill "
                          "the cache")
    status, page = fetched
    if status == 404:  # remembered, so that --offline knows it too (a find-links wheel)
        raise ProjectNotFound(f"the index has no project '{normalize(name)}'", where=url,
                              hint="check the name, or the index URL")
    if status != 200:
        raise IndexError_(f"the index answered HTTP {status}", where=url, hint="try again later")
    return page


def fetch_local_project(index_url: str, name: str) -> ProjectPage:
    """The page of `name` in an index folder: ``<name>/index.json`` (PEP 691) when it is
    there, else ``<name>/index.html`` (PEP 503), read in place and size-bounded."""
    root = index_url.rstrip("/")
    url = project_url(index_url, name)
    folder = local_path(url, root, what=f"the page of '{normalize(name)}'")
    limit = http.Limits.from_env().max_repodata_size
    for page, kind in (("index.json", JSON_TYPE), ("index.html", "text/html")):
        if (folder / page).is_file():
            body = _read_local(folder / page, limit, what=f"the page of '{normalize(name)}'",
                               url=url + page)
            return parse_page(body, kind, url, name, root)
    raise ProjectNotFound(f"the index has no project '{normalize(name)}'", where=url,
                          hint="check the name, or the index folder")


# ---- files and their hashes ----------------------------------------------------------------


def check_hashes(path: Path, hashes: Mapping[str, str], *, what: str, url: str) -> None:
    """Every digest in `hashes` that hashlib knows must match the file at `path`."""
    known = {name: digest for name, digest in hashes.items()
             if name in hashlib.algorithms_guaranteed}
    if hashes and not known:
        raise IndexError_(f"none of the hash algorithms {sorted(hashes)} of {what} is known",
                          where=url, hint="use an index that lists sha256 hashes")
    digests = {name: hashlib.new(name) for name in known}
    with open(path, "rb") as handle:
        while chunk := handle.read(2**20):
            for digest in digests.values():
                digest.update(chunk)
    for name, expected in known.items():
        actual = digests[name].hexdigest()
        if actual != expected:
            error = PyPIHashMismatch(
                f"{what} has {name} {actual}, but the index lists {expected}", where=url,
                hint="the file changed on the server or was corrupted on the way; try again, "
                "and if it persists tell the index's maintainers")
            error.expected, error.actual = expected, actual
            raise error


def _file_path(cache_dir: Path, url: str, filename: str) -> Path:
    folder = cache_dir / "pypi" / "files" / hashlib.sha256(url.encode()).hexdigest()[:24]
    return inside(folder, check_component(filename, what="file name", where=url),
                  what="file name", where=url)


def _cached_download(url: str, path: Path, hashes: Mapping[str, str], *, what: str,
                     offline: bool, client, project: str) -> Path:
    """`path` when it is cached and has the right hashes, else downloaded (checked first)."""
    if path.is_file():
        try:
            check_hashes(path, hashes, what=what, url=url)
            return path
        except PyPIHashMismatch:
            if offline:
                raise
    if offline:
        raise IndexError_(f"offline, and {what} of PyPI project '{project}' is not cached",
                          where=url, hint="run the command once online (without --offline)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fetched = http.download(url, path, client=client, size_limit="max_package_size",
                            check=lambda tmp: check_hashes(tmp, hashes, what=what, url=url))
    if fetched.status != 200:
        raise IndexError_(f"cannot download {what}: HTTP {fetched.status}", where=url,
                          hint="the index lists a file it does not serve; try again later")
    return path


def fetch_file(dist: DistFile, *, project: str, cache_dir: Path | None = None,
               offline: bool = False, client=None) -> Path:
    """The file `dist` on this disk, in the cache, its hashes checked (cached copies too).
    A file of a local index is its own file, checked where it lies."""
    if is_local(dist.url):
        path = local_path(dist.url, dist.root, what=f"the file '{dist.filename}'")
        if not path.is_file():
            raise IndexError_(f"the local index lists '{dist.filename}' but has no such file",
                              where=dist.url, hint="rebuild the index folder")
        limit = http.Limits.from_env().max_package_size
        if path.stat().st_size > limit:
            raise IndexError_(f"'{dist.filename}' is larger than {http.describe_size(limit)}",
                              where=dist.url, hint="raise MINIPIXI_MAX_PACKAGE_SIZE if it is right")
        check_hashes(path, dist.hashes, what=f"'{dist.filename}'", url=dist.url)
        return path
    path = _file_path(Path(cache_dir or default_cache_dir()), dist.url, dist.filename)
    return _cached_download(dist.url, path, dist.hashes, what=f"'{dist.filename}'",
                            offline=offline, client=client, project=project)


# ---- metadata ------------------------------------------------------------------------------


def fetch_metadata(dist: DistFile, *, project: str, cache_dir: Path | None = None,
                   offline: bool = False, client=None) -> Metadata:
    """The metadata of `dist`: from its PEP 658 metadata file when the index has one, else
    from ``METADATA`` inside the wheel. An sdist has none we can read without building."""
    if not dist.is_wheel:
        raise IndexError_(f"'{dist.filename}' is a source distribution; building from source "
                          "is not supported", where=dist.url,
                          hint="use a version that has a wheel, or a conda package")
    cache = Path(cache_dir or default_cache_dir())
    if dist.metadata is not None and is_local(dist.url):
        url = dist.url + ".metadata"
        path = local_path(url, dist.root, what=f"the metadata of '{dist.filename}'")
        text = _read_local(path, MAX_METADATA_SIZE, what=f"the metadata of '{dist.filename}'", url=url)
        check_hashes(path, dist.metadata, what=f"the metadata of '{dist.filename}'", url=url)
        source = url
    elif dist.metadata is not None:
        url = dist.url + ".metadata"
        path = _file_path(cache, url, dist.filename + ".metadata")
        _cached_download(url, path, dist.metadata, what=f"the metadata of '{dist.filename}'",
                         offline=offline, client=client, project=project)
        if path.stat().st_size > MAX_METADATA_SIZE:
            raise _too_big(dist, url)
        text = path.read_bytes()
        source = url
    else:
        wheel = fetch_file(dist, project=project, cache_dir=cache, offline=offline,
                           client=client)
        text = read_wheel_metadata(wheel, dist.filename)
        source = f"{wheel} (METADATA)"
    metadata = parse_metadata(text, source)
    name, version = parse_wheel_filename(dist.filename)[:2]
    if canonicalize_name(metadata.name) != name or metadata.version != version:
        raise IndexError_(f"the metadata says {metadata.name} {metadata.version}, the file name "
                          f"{name} {version}", where=source,
                          hint="the index serves a wheel that contradicts itself; report it")
    return metadata


def _too_big(dist: DistFile, where: str) -> IndexError_:
    return IndexError_(f"the METADATA of '{dist.filename}' is larger than "
                       f"{http.describe_size(MAX_METADATA_SIZE)}", where=where,
                       hint="this is not a real METADATA file; report it to the index")


def read_wheel_metadata(wheel: Path, filename: str) -> bytes:
    """``<name>-<version>.dist-info/METADATA`` from the wheel (a zip), at most
    MAX_METADATA_SIZE bytes. The one top-level ``.dist-info`` folder holds it."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            found = [info for info in archive.infolist()
                     if re.fullmatch(r"[^/]+\.dist-info/METADATA", info.filename)]
            if len(found) != 1:
                raise IndexError_(f"'{filename}' has {len(found)} .dist-info/METADATA files, "
                                  "not one", where=str(wheel), hint="the wheel is broken")
            with archive.open(found[0]) as member:
                data = member.read(MAX_METADATA_SIZE + 1)
    except (zipfile.BadZipFile, OSError) as err:
        raise IndexError_(f"'{filename}' is not a readable wheel ({err})", where=str(wheel),
                          hint="delete it from the cache and download it again") from None
    if len(data) > MAX_METADATA_SIZE:
        raise IndexError_(f"the METADATA of '{filename}' is larger than "
                          f"{http.describe_size(MAX_METADATA_SIZE)}", where=str(wheel),
                          hint="this is not a real METADATA file")
    return data


def parse_metadata(data: bytes, source: str) -> Metadata:
    """A ``METADATA`` file (email headers) -> `Metadata`; a bad field is an error naming it."""
    message = email.parser.BytesParser().parsebytes(data, headersonly=True)
    name, version = message.get("Name"), message.get("Version")
    if not name or not version:
        raise IndexError_("the METADATA has no Name or no Version", where=source,
                          hint="the wheel is broken")
    try:
        parsed_version = Version(version)
    except InvalidVersion:
        raise IndexError_(f"Version {version!r} is not a PEP 440 version", where=source,
                          hint="the wheel is broken") from None
    requirements = []
    for text in message.get_all("Requires-Dist") or []:
        try:
            requirements.append(Requirement(text))
        except InvalidRequirement as err:
            raise IndexError_(f"Requires-Dist {text!r} is not a PEP 508 requirement ({err})",
                              where=source, hint="the wheel is broken") from None
    requires_python = message.get("Requires-Python")
    try:
        specifier = SpecifierSet(requires_python) if requires_python else None
    except InvalidSpecifier:
        raise IndexError_(f"Requires-Python {requires_python!r} is not a version specifier",
                          where=source, hint="the wheel is broken") from None
    extras = tuple(canonicalize_name(e) for e in message.get_all("Provides-Extra") or [])
    return Metadata(name, parsed_version, tuple(requirements), specifier, extras)

