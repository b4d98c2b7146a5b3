"""PyPI in the prefix: install the locked wheels after the conda packages, remove those that left.

`app/sync.py` downloads the locked wheels first (`fetch_wheels`: a wheel that is missing or
does not match its locked sha256 stops the install before the prefix changes), installs the
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

A lock entry that is not a wheel (a source distribution, a path, a git URL) is refused with the
same "building from source is not supported" error the lock step gives.

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
from minipixi.files import check_relative, inside
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
                 local_indexes: Mapping[str, str] | None = None, root: Path | None = None) -> dict[str, Path]:
    """Step 0, before the conda install touches the prefix: every locked wheel the prefix does
    not hold yet, in the cache with its sha256 checked (name -> file). An entry that is not a
    wheel, or has no hash, is refused naming `where` (the lock), so nothing is half done.
    `local_indexes`: index URL -> the ``file://`` folder it is read from (offline, the
    teaching index for pypi.org; a ``file://`` index for itself); their wheels are read there.
    `root`: the workspace folder, which a wheel locked by path (``./wheels/x.whl``) must lie in."""
    from minipixi import http  # lazy: httpx is only needed to download wheels
    from minipixi.pypi.index import DistFile, fetch_file  # lazy: packaging

    for package in packages:
        if wheel_file_name(package.location) is None:
            raise InstallError(f"the locked PyPI package '{package.name}' is not a wheel ({package.location}): "
                               "building from source is not supported; use a wheel or a conda package", where=where,
                               hint="depend on a version that has a wheel, or on the conda package")
        if not package.sha256:
            raise InstallError(f"the locked PyPI package '{package.name}' has no sha256, so its download "
                               "cannot be checked", where=where, hint="run `minipixi lock` to lock it again with its hash")
    have = installed_by_us(prefix, _scheme(python_version, subdir))
    missing = [p for p in packages if have.get(normalize_pypi_name(p.name)) != p.version]
    if not missing:
        return {}
    client = None if offline else http.new_client()
    local_indexes = local_indexes or {}

    def dist(package: PypiPackage) -> DistFile:
        if "://" not in package.location and not package.location.startswith("direct+"):  # a path
            if root is None:
                raise InstallError(f"the locked PyPI package '{package.name}' is a path ({package.location}) "
                                   "but no workspace folder was given", where=where, hint="install from a workspace")
            folder = root.resolve()
            path = inside(folder, check_relative(package.location, what="wheel path", where=where),
                          what="wheel path", where=where)
            return DistFile(wheel_file_name(package.location), path.as_uri(), {"sha256": package.sha256},
                            root=folder.as_uri())
        for index, folder in local_indexes.items():
            url = mirrored(package.location, {index: folder})
            if url != package.location or package.location.startswith(folder.rstrip("/") + "/"):
                return DistFile(wheel_file_name(package.location), url, {"sha256": package.sha256},
                                root=folder.rstrip("/"))
        url = package.location.removeprefix("direct+")  # a wheel given by its URL (see `app/pypi_lock.py`)
        return DistFile(wheel_file_name(url), url, {"sha256": package.sha256})

    try:
        return {normalize_pypi_name(p.name): fetch_file(
                    dist(p), project=p.name, cache_dir=cache_dir(), offline=offline, client=client)
                for p in missing}
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
