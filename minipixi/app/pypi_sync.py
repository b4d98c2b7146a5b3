"""PyPI in the prefix: install the locked wheels after the conda packages, remove those that left.

`app/sync.py` downloads the locked wheels first (`fetch_wheels`: a wheel that is missing, does
not match its locked sha256, or, named by URL or path and so locked without one as Pixi does,
is not the name and version its entry says, stops the install before the prefix changes; see
`pypi/direct.py` for what that trade costs), installs the
environment's conda packages (the Python the wheels need comes from there), then calls
`sync_wheels` with the lock's PyPI entries for the platform:

1. **what is installed**: every ``.dist-info`` folder in site-packages whose ``INSTALLER`` says
   ``minipixi`` is ours; one installed by conda (``INSTALLER`` ``conda``, or none) is conda's
   and never touched here;
2. **remove** ours that the lock no longer holds, or holds at another version, and all of
   ours in the site-packages of another Python (the environment moved to a new Python)
   (`pypi/wheel.py`'s `uninstall`, by RECORD, inside the prefix only);
3. **add** what is missing: the wheel `fetch_wheels` put in the cache with its locked sha256
   checked (`pypi/index.py`'s `fetch_file`: a cached copy is checked too, ``--offline`` uses
   the cache alone) is unpacked by `install_wheel` (RECORD checked before anything is
   written, ``INSTALLER`` and a new RECORD written after).

A lock entry that is not a wheel (a source distribution, a project folder, a git URL) is
refused with the same "building from source is not supported" error the lock step gives.

Lesson: Episode 2 ("pixi install"), mixing conda and PyPI. Read after `app/pypi_lock.py`;
read next `app/add.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from minipixi.app.pypi_lock import mirrored
from minipixi.config import cache_dir
from minipixi.errors import InstallError
from minipixi.files import UnsafePathError
from minipixi.lock.model import PypiPackage, normalize_pypi_name
from minipixi.lock.pypi_satisfiability import wheel_file_name

OWNER = "minipixi"


@dataclass
class WheelSync:
    """What `sync_wheels` did: names installed and removed."""

    installed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def installed_by_us(prefix: Path, scheme) -> dict[str, str]:
    """Normalized name -> version of every distribution in site-packages that minipixi installed."""
    found = {}
    for site in dict.fromkeys((scheme.purelib, scheme.platlib)):
        folder = prefix / site
        if not folder.is_dir():
            continue
        for entry in sorted(folder.glob("*.dist-info")):
            installer = entry / "INSTALLER"
            try:
                owner = installer.read_text(encoding="utf-8").strip()
            except OSError:
                continue
            if owner == OWNER and "-" in entry.name:
                name, version = entry.name[: -len(".dist-info")].rsplit("-", 1)
                found[normalize_pypi_name(name)] = version
    return found


# --8<-- [start:sync_wheels]
def fetch_wheels(prefix: Path, python_version: str, subdir: str, packages: Sequence[PypiPackage], *,
                 offline: bool = False, where: str | None = None,
                 local_indexes: Mapping[str, str] | None = None, root: Path | None = None,
                 python=None) -> dict[str, Path]:
    """Step 0, before the conda install touches the prefix: every locked wheel the prefix does
    not hold yet, on this disk and checked (name -> file). A wheel from an index must match its
    locked sha256; one named by URL or path (no sha256, as Pixi locks it) must be the wheel its
    entry describes (`pypi/direct.py`'s `check_locked_wheel`). An entry that is not a wheel, an
    index entry without a hash, or a file that fails its check is refused naming `where` (the
    lock), so nothing is half done.
    `local_indexes`: index URL -> the ``file://`` folder it is read from (offline, the
    teaching index for pypi.org; a ``file://`` index for itself); their wheels are read there.
    `root`: the workspace folder, which a wheel locked by path (``./wheels/x.whl``) must lie in.
    `python`: the locked conda python record (its ABI: free-threaded or not), else `python_version`."""
    from minipixi import http  # lazy: httpx is only needed to download wheels
    from minipixi.pypi.direct import check_locked_wheel, workspace_wheel  # lazy: packaging
    from minipixi.pypi.index import DistFile, fetch_file  # lazy: packaging
    from minipixi.pypi.target import Target, python_release  # lazy: packaging

    for package in packages:
        if wheel_file_name(package.location) is None or package.source == "git":
            raise InstallError(f"the locked PyPI package '{package.name}' is not a wheel ({package.location}): "
                               "building from source is not supported; use a wheel or a conda package", where=where,
                               hint="depend on a version that has a wheel, or on the conda package")
        if not package.sha256 and package.source == "index":
            raise InstallError(f"the locked PyPI package '{package.name}' comes from an index but has no sha256, "
                               "so its download cannot be checked", where=where,
                               hint="run `minipixi lock` to lock it again with its hash")
    have = installed_by_us(prefix, _scheme(python_version, subdir))
    missing = [p for p in packages if have.get(normalize_pypi_name(p.name)) != p.version]
    if not missing:
        return {}
    client = None if offline else http.new_client()
    local_indexes = local_indexes or {}

    def dist(package: PypiPackage) -> DistFile:
        checked = {"sha256": package.sha256} if package.sha256 else {}
        if package.source == "path":
            if root is None:
                raise InstallError(f"the locked PyPI package '{package.name}' is a path ({package.location}) "
                                   "but no workspace folder was given", where=where, hint="install from a workspace")
            try:
                path = workspace_wheel(root, package.location, what="wheel path", where=where)
            except UnsafePathError as err:
                raise InstallError(f"the locked PyPI package '{package.name}' is a wheel outside the workspace "
                                   f"({package.location}): {err.message}", where=where,
                                   hint="minipixi reads a wheel locked by path only inside the workspace: move "
                                   "it into a folder of the workspace, name it there in pixi.toml, and run "
                                   "`minipixi lock`") from None
            return DistFile(wheel_file_name(package.location), path.as_uri(), checked, root=root.resolve().as_uri())
        for index, folder in local_indexes.items():
            url = mirrored(package.location, {index: folder})
            if url != package.location or package.location.startswith(folder.rstrip("/") + "/"):
                return DistFile(wheel_file_name(package.location), url, checked, root=folder.rstrip("/"))
        url = package.location.removeprefix("direct+")  # a wheel given by its URL (see `app/pypi_lock.py`)
        return DistFile(wheel_file_name(url), url, checked)

    target = None
    try:
        fetched = {}
        for package in missing:
            path = fetch_file(dist(package), project=package.name, cache_dir=cache_dir(), offline=offline,
                              client=client)
            if package.source in ("url", "path"):  # no index vouches for it: is it the locked wheel?
                if target is None:
                    target = Target.for_python(subdir, python) if python is not None else \
                        Target(subdir, python_release(python_version))
                why = check_locked_wheel(path, wheel_file_name(package.location), package.name, package.version,
                                         target)
                if why is not None:
                    raise InstallError(f"the wheel of the locked PyPI package '{package.name}' {package.version} "
                                       f"({package.location}) is not the one locked: {why}", where=where,
                                       hint="the file changed after it was locked: put back the wheel the lock "
                                       "was made with, or name the wheel you mean in pixi.toml and run `minipixi lock`")
            fetched[normalize_pypi_name(package.name)] = path
        return fetched
    finally:
        if client is not None:
            client.close()


def sync_wheels(prefix: Path, python_version: str, subdir: str, packages: Sequence[PypiPackage],
                fetched: dict[str, Path]) -> WheelSync:
    """Make the prefix's minipixi-installed wheels exactly `packages` (see the module), from
    the wheel files `fetch_wheels` found."""
    from minipixi.pypi.wheel import install_wheel, uninstall  # lazy: packaging

    scheme = _scheme(python_version, subdir)
    wanted = {normalize_pypi_name(p.name): p for p in packages}
    have = installed_by_us(prefix, scheme)
    result = WheelSync()
    for other in _other_pythons(prefix, scheme):  # the python changed: its wheels go with it
        for name in sorted(installed_by_us(prefix, other)):
            uninstall(prefix, other, name)
            result.removed.append(name)
    for name, version in sorted(have.items()):
        if name not in wanted or wanted[name].version != version:
            uninstall(prefix, scheme, name)
            result.removed.append(name)
    for name, package in sorted(wanted.items()):
        if have.get(name) != package.version:
            install_wheel(fetched[name], prefix, scheme)
            result.installed.append(name)
    return result
# --8<-- [end:sync_wheels]


def _other_pythons(prefix: Path, scheme) -> list:
    """The schemes of the other ``lib/pythonX.Y`` folders of a POSIX prefix (left behind by an
    earlier python: the wheels minipixi put there do not run with this one)."""
    from minipixi.pypi.wheel import Scheme  # lazy: packaging

    if scheme.system == "nt":
        return []
    found = []
    for folder in sorted((prefix / "lib").glob("python3.*")):
        version = folder.name[len("python"):]
        if folder.is_dir() and not folder.is_symlink() and f"lib/{folder.name}/site-packages" != scheme.purelib \
                and version.replace(".", "").isdigit():
            found.append(Scheme.for_prefix(version, "posix"))
    return found


def _scheme(python_version: str, subdir: str):
    from minipixi.pypi.wheel import Scheme  # lazy: packaging

    return Scheme.for_prefix(python_version, "nt" if subdir.startswith("win") else "posix")
