"""``[pypi-options] find-links``: a folder of wheels searched next to the indexes.

pip's ``--find-links`` (and uv's, and so Pixi's ``find-links = [{ path = "./links" }]``) names
a *flat* source: not one page per project, as an index has (`pypi/index.py`), but one folder
holding files of any project. A project's files there are those whose file name says so
(``requests-2.31.0-py3-none-any.whl`` is ``requests`` 2.31.0), and they are candidates next to
the files the project's index lists.

A folder is named relative to the workspace and must stay inside it (`files.py`'s
`check_relative` and `inside`); each wheel in it is hashed once, so that what the resolver
reads from it is checked. A wheel from a folder is locked as Pixi writes it, by its path
(``pypi: ./links/requests-2.31.0-py3-none-any.whl``) and with no sha256, like a wheel a ``path``
dependency names: it is a file of the workspace, installed from there, and install checks its
name, version and tags instead (`pypi/direct.py`).

A ``url`` find-links (``find-links = [{ url = "https://host/wheels/" }]``) names a *flat page*:
one HTML page whose ``<a href>`` links point at files of any project, read as an index's PEP 503
page is (`pypi/index.py`'s parser: a relative ``href`` is joined to the page's address or its
``<base href>``, a ``#sha256=...`` fragment is the file's hash, ``data-requires-python`` and
``data-yanked`` count too). As uv does, a link whose text is not a wheel or sdist file name is
skipped, not an error. The page is fetched with `http.py`'s `cached_get` (at most `MAX_PAGE_SIZE`, cached under
``<cache>/pypi/find-links/``, revalidated with its ``ETag``) so ``--offline`` reads the copy a
previous run kept. A file the page lists without a hash is hashed once downloaded
(`wheel_sha256`), so the lock still records its sha256 and the install step checks it. Such a
wheel is locked by its URL, with the page as its ``index`` (as Pixi writes it).

Read after `pypi/index.py`; read next `pypi/mapping.py`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from minipixi import http
from minipixi.files import UnsafePathError, inside
from minipixi.pypi.index import (DistFile, IndexError_, _check_http, _dist_file, _html_entries, _slug,
                                 default_cache_dir, fetch_file)

MAX_FILES = 10_000  # a find-links folder is a handful of wheels, not a mirror
MAX_PAGE_SIZE = 64 * 2**20  # PyTorch's largest flat pages are a few MiB
FLAT_ACCEPT = "text/html, application/vnd.pypi.simple.v1+html;q=0.9"


def folder_wheels(root: Path, written: str) -> dict[str, list[DistFile]]:
    """Normalized project name -> the wheels of the find-links folder `written` (relative to
    the workspace folder `root`), each with its sha256. Raises IndexError_ naming the folder
    when it leaves the workspace or is not a folder."""
    where = f"{root} ([pypi-options] find-links path {written})"
    root = root.resolve()
    try:
        folder = inside(root, written, what="find-links path", where=where)
    except UnsafePathError as err:
        raise IndexError_(f"the find-links folder {written} lies outside the workspace ({err.message})",
                          where=where, hint="keep the wheels in a folder of the workspace") from None
    if not folder.is_dir():
        raise IndexError_(f"the find-links folder {written} does not exist", where=where,
                          hint="create it and put the wheels there, or fix the path")
    found: dict[str, list[DistFile]] = {}
    names = sorted(p.name for p in folder.iterdir())
    if len(names) > MAX_FILES:
        raise IndexError_(f"the find-links folder {written} holds more than {MAX_FILES} files", where=where,
                          hint="serve that many files from an index instead")
    for name in names:
        path = folder / name
        if not name.endswith(".whl") or path.is_symlink() or not path.is_file():
            continue  # an sdist would need building; a link could point out of the workspace
        try:
            project = parse_wheel_filename(name)[0]
        except InvalidWheelFilename:
            continue
        found.setdefault(project, []).append(
            DistFile(name, path.as_uri(), {"sha256": _sha256_of(path)}, root=root.as_uri()))
    return found


def page_wheels(url: str, *, cache_dir: Path | None = None, offline: bool = False,
                client=None) -> dict[str, list[DistFile]]:
    """Normalized project name -> the files the flat page at `url` links to. Raises IndexError_
    naming the page when it is unreachable (HTTP 404 ...), not HTML, too large, lists more than
    MAX_FILES files, or, offline, was never fetched."""
    where = f"{url} ([pypi-options] find-links url)"
    _check_http(url, where)
    body_path = Path(cache_dir or default_cache_dir()) / "pypi" / "find-links" / (_slug(url) + ".html")
    try:
        fetched = http.cached_get(url, body_path, lambda body, kind: _page_files(body, kind, url),
                                  offline=offline, headers={"Accept": FLAT_ACCEPT}, most=MAX_PAGE_SIZE,
                                  client=client)  # a page _page_files refuses is never cached
    except http.DownloadError as err:
        raise IndexError_(f"cannot read the find-links page: {err.message}", where=where,
                          hint="check the find-links url in [pypi-options], or run with --offline to use "
                          "the copy a previous run kept") from None
    if fetched is None:
        raise IndexError_(f"offline, and the find-links page {url} was never fetched", where=where,
                          hint="run the command once online (without --offline) to keep a copy of it")
    status, files = fetched
    if status != 200:
        raise IndexError_(f"the find-links page answered HTTP {status}", where=where,
                          hint="check the find-links url in [pypi-options]")
    return files


def _page_files(body: bytes, content_type: str, url: str) -> dict[str, list[DistFile]]:
    where = f"{url} ([pypi-options] find-links url)"
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in ("text/html", "application/vnd.pypi.simple.v1+html", "application/xhtml+xml", ""):
        raise IndexError_(f"the find-links page is '{kind}', not an HTML page of links", where=where,
                          hint="a find-links url names an HTML page whose links are wheel files")
    entries = _html_entries(body, url)
    if len(entries) > MAX_FILES:
        raise IndexError_(f"the find-links page lists more than {MAX_FILES} files", where=where,
                          hint="serve that many files from an index instead")
    found: dict[str, list[DistFile]] = {}
    for entry in entries:
        name = entry.get("filename") or ""
        try:
            project = parse_wheel_filename(name)[0] if name.endswith(".whl") else None
        except InvalidWheelFilename:
            project = None
        if project is None:
            continue  # not a wheel (a link to another page, an sdist we would have to build)
        found.setdefault(project, []).append(_dist_file(entry, url, project))
    return found


def wheel_sha256(dist: DistFile, *, project: str, cache_dir: Path | None = None, offline: bool = False,
                 client=None) -> str:
    """The sha256 of the file itself, for a page that lists `dist` without one (downloaded into
    the cache, or already there from reading its metadata)."""
    return _sha256_of(fetch_file(dist, project=project, cache_dir=cache_dir, offline=offline, client=client))


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
