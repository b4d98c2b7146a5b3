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
- its **version**, ``Requires-Dist`` and ``Requires-Python`` come from ``METADATA`` inside it.

**No sha256 in the lock, as in Pixi.** A wheel from an index is locked with the sha256 the
index lists, and install refuses a file that does not match it. A wheel named by URL or path
has no index to vouch for it, and Pixi (uv) locks it *without* a hash: ``- pypi:
direct+https://.../click-8.1.7-py3-none-any.whl`` or ``- pypi: ./wheels/pkg-1.0-...whl`` with
name, version and dependencies only. minipixi does the same, so that its lock of such a project
is byte for byte Pixi's and a lock Pixi wrote installs here. The price: the lock does not pin
the file's *bytes*, only what it is. A file rebuilt in place, or a URL that now serves other
bytes, is not noticed by a hash. What install checks instead, before anything is installed
(`check_locked_wheel`): the file is a readable wheel whose ``METADATA`` name and version are
the lock entry's, and whose tags fit the locked Python on this platform. A different version
is one clear error that names the entry; a rebuild of the same version installs what is there
now (as it does with Pixi). `lock --check` compares the manifest's URL or path with the lock's
and trusts the file, as Pixi does. Pin the bytes by publishing the wheel on an index.

A path is relative to the workspace and must stay inside it (`files.py`'s `check_relative`
and `inside`, symlinks resolved): a manifest or a lock cannot make minipixi read ``/etc`` or
``../..``.

A URL or path that does not end in ``.whl`` (an sdist, a git repository, a folder) would have to be
built: the caller refuses it before it gets here. The download goes through the same cache
and bounds as index files (`pypi/index.py`'s `fetch_file`).

Read after `pypi/provider.py`; read next `pypi/resolve.py`.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from minipixi.files import UnsafePathError, check_component, inside
from minipixi.pypi.index import DistFile, IndexError_, Metadata, fetch_file, parse_metadata, read_wheel_metadata


def direct_wheel(name: str, url: str, *, cache_dir: Path | None = None, offline: bool = False,
                 client=None) -> tuple[DistFile, Metadata]:
    """The wheel at `url` (the manifest calls it `name`), downloaded or cached, and its
    metadata. Raises IndexError_ naming the URL when the file is not a wheel of `name` or
    cannot be read."""
    filename = url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    dist = DistFile(_checked_name(name, filename, url), url)
    path = fetch_file(dist, project=name, cache_dir=cache_dir, offline=offline, client=client)
    return dist, _metadata(dist, path, url)


def workspace_wheel(root: Path, written: str, *, what: str, where: str) -> Path:
    """The file `written` names (a path relative to the workspace folder `root`), kept inside
    the workspace; UnsafePathError when it would leave it."""
    root = root.resolve()
    return inside(root, written, what=what, where=where)


def path_wheel(name: str, root: Path, written: str) -> tuple[DistFile, Metadata]:
    """The wheel at `written` (a path relative to the workspace folder `root`) and its
    metadata. Raises IndexError_ naming the path when it leaves the workspace, is missing, or
    is not a wheel of `name`."""
    where = f"{root} (path of '{name}': {written})"
    try:
        path = workspace_wheel(root, written, what="wheel path", where=where)
    except UnsafePathError as err:
        raise IndexError_(f"the wheel of '{name}' lies outside the workspace ({err.message})", where=where,
                          hint="put the wheel in a folder of the workspace and name it relative to the manifest") from None
    if not path.is_file():
        raise IndexError_(f"the wheel of '{name}' does not exist: {path}", where=where,
                          hint="build or download it there, or fix the path")
    dist = DistFile(_checked_name(name, path.name, where), path.as_uri(), root=root.resolve().as_uri())
    return dist, _metadata(dist, fetch_file(dist, project=name), where)


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


def _metadata(dist: DistFile, path: Path, url: str) -> Metadata:
    """The metadata read from the wheel at `path`, which must agree with its file name."""
    project, version = parse_wheel_filename(dist.filename)[:2]
    metadata = parse_metadata(read_wheel_metadata(path, dist.filename), f"{url} (METADATA)")
    if canonicalize_name(metadata.name) != project or metadata.version != version:
        raise IndexError_(f"the metadata says {metadata.name} {metadata.version}, the file name "
                          f"{project} {version}", where=url, hint="the wheel contradicts itself; rebuild it")
    return metadata


# --8<-- [start:check_locked_wheel]
def check_locked_wheel(path: Path, filename: str, name: str, version: str, target) -> str | None:
    """Why the wheel file at `path` is not the one a lock entry (`name` `version`, located at a
    URL or path whose last part is `filename`) describes, or None when it is.

    It must be a readable wheel whose ``METADATA`` says `name` and `version`, and one of its
    tags must fit `target` (a `pypi/target.py` Target) for this Python, OS and architecture;
    which glibc or macOS the tags need is `lock --check`'s question (`wheel_tag_reasons`)."""
    try:
        tags = parse_wheel_filename(filename)[3]
        metadata = parse_metadata(read_wheel_metadata(path, filename), f"{path} (METADATA)")
    except (InvalidWheelFilename, IndexError_) as err:
        return f"it is not a readable wheel ({getattr(err, 'message', err)})"
    try:
        locked = Version(version)
    except ValueError:
        return f"the lock gives it the version '{version}', which is not a PEP 440 version"
    if canonicalize_name(metadata.name) != canonicalize_name(name) or metadata.version != locked:
        return f"the file is {metadata.name} {metadata.version}"
    fitting = {(t.interpreter, t.abi, _machine(t.platform)) for t in target.tags}
    if not any((t.interpreter, t.abi, _machine(t.platform)) in fitting for t in tags):
        return f"its tags ({filename}) do not install with {target.describe()}"
    return None
# --8<-- [end:check_locked_wheel]


_VERSIONED_PLATFORM = re.compile(r"(?:many|musl)linux(?:_\d+_\d+|\d+)_(.+)|macosx_\d+_\d+_(.+)|linux_(.+)")


def _machine(platform: str) -> str:
    """A platform tag without the libc or macOS version it needs: ``manylinux_2_28_x86_64``,
    ``manylinux2014_x86_64`` and ``linux_x86_64`` are all ``linux x86_64``."""
    found = _VERSIONED_PLATFORM.fullmatch(platform)
    if found is None:
        return platform
    linux, mac, plain = found.groups()
    return f"macosx {mac}" if mac else f"linux {linux or plain}"
