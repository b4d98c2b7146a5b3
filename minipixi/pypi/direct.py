"""A wheel named by its URL or path: ``pkg = { url = "https://host/pkg-1.0-py3-none-any.whl" }``,
``pkg = { path = "./wheels/pkg-1.0-py3-none-any.whl" }``.

Most PyPI dependencies name a *project* and let the resolver pick a version from an index
(`pypi/index.py`). A direct reference names one *file* instead: there is no choice of version
left, only the file's own dependencies to resolve. So a direct wheel enters the search as a
project with exactly one candidate (`pypi/provider.py`'s ``direct``), whose metadata we read
from the downloaded file.

What the file tells us, and what we check:

- its **name** comes from the file name (``pkg-1.0-py3-none-any.whl``), and must be the name
  the manifest gave it: ``other = { url = ".../pkg-1.0-...whl" }`` is an error;
- its **version**, ``Requires-Dist`` and ``Requires-Python`` come from ``METADATA`` inside it;
- its **sha256** is not given by anyone, so we compute it from the download and write it to
  the lock; the install step then checks the file against it like any other wheel.

A path is relative to the workspace and must stay inside it (`files.py`'s `check_relative`
and `inside`, symlinks resolved): a manifest cannot make minipixi read ``/etc`` or ``../..``.

A URL or path that does not end in ``.whl`` (an sdist, a git repository, a folder) would have to be
built: the caller refuses it before it gets here. The download goes through the same cache
and bounds as index files (`pypi/index.py`'s `fetch_file`).

Read after `pypi/provider.py`; read next `pypi/resolve.py`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from minipixi.files import UnsafePathError, check_component, check_relative, inside
from minipixi.pypi.index import DistFile, IndexError_, Metadata, fetch_file, parse_metadata, read_wheel_metadata


def direct_wheel(name: str, url: str, *, cache_dir: Path | None = None, offline: bool = False,
                 client=None) -> tuple[DistFile, Metadata]:
    """The wheel at `url` (the manifest calls it `name`), downloaded or cached, with the sha256
    of its bytes in its hashes, and its metadata. Raises IndexError_ naming the URL when the
    file is not a wheel of `name` or cannot be read."""
    filename = url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    dist = DistFile(_checked_name(name, filename, url), url)
    path = fetch_file(dist, project=name, cache_dir=cache_dir, offline=offline, client=client)
    return _described(dist, path, url)


def path_wheel(name: str, root: Path, written: str) -> tuple[DistFile, Metadata]:
    """The wheel at `written` (a path relative to the workspace folder `root`), hashed, and its
    metadata. Raises IndexError_ naming the path when it leaves the workspace, is missing, or
    is not a wheel of `name`."""
    where = f"{root} (path of '{name}': {written})"
    root = root.resolve()
    try:
        path = inside(root, check_relative(written, what="wheel path", where=where), what="wheel path", where=where)
    except UnsafePathError as err:
        raise IndexError_(f"the wheel of '{name}' lies outside the workspace ({err.message})", where=where,
                          hint="put the wheel in a folder of the workspace and name it relative to the manifest") from None
    if not path.is_file():
        raise IndexError_(f"the wheel of '{name}' does not exist: {path}", where=where,
                          hint="build or download it there, or fix the path")
    dist = DistFile(_checked_name(name, path.name, where), path.as_uri(), root=root.as_uri())
    return _described(dist, fetch_file(dist, project=name), where)


def _checked_name(name: str, filename: str, where: str) -> str:
    """`filename` when it is a wheel file name of the project `name`."""
    check_component(filename, what="wheel file name", where=where)
    try:
        project = parse_wheel_filename(filename)[0]
    except ValueError as err:
        raise IndexError_(f"'{filename}' is not a wheel file name ({err})", where=where,
                          hint="name a .whl file, e.g. pkg-1.0-py3-none-any.whl") from err
    if project != canonicalize_name(name):
        raise IndexError_(f"the PyPI dependency '{name}' names a wheel of '{project}'", where=where,
                          hint=f"name it {project} in [pypi-dependencies]")
    return filename


def _described(dist: DistFile, path: Path, url: str) -> tuple[DistFile, Metadata]:
    """`dist` with the sha256 of the file at `path`, and the metadata read from it."""
    project, version = parse_wheel_filename(dist.filename)[:2]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(2**20):
            digest.update(chunk)
    metadata = parse_metadata(read_wheel_metadata(path, dist.filename), f"{url} (METADATA)")
    if canonicalize_name(metadata.name) != project or metadata.version != version:
        raise IndexError_(f"the metadata says {metadata.name} {metadata.version}, the file name "
                          f"{project} {version}", where=url, hint="the wheel contradicts itself; rebuild it")
    return replace(dist, hashes={"sha256": digest.hexdigest()}, requires_python=(
        str(metadata.requires_python) if metadata.requires_python is not None else None)), metadata
