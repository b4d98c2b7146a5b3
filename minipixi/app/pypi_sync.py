"""PyPI in the prefix: install the locked wheels after the conda packages, remove those that left.

`app/sync.py` installs an environment's conda packages first (the Python the wheels need comes
from there), then calls `sync_wheels` with the lock's PyPI entries for the platform:

1. **what is installed**: every ``.dist-info`` folder in site-packages whose ``INSTALLER`` says
   ``minipixi`` is ours; one installed by conda (``INSTALLER`` ``conda``, or none) is conda's
   and never touched here;
2. **remove** ours that the lock no longer holds, or holds at another version
   (`pypi/wheel.py`'s `uninstall`, by RECORD, inside the prefix only);
3. **add** what is missing: the wheel is downloaded into the cache with its locked sha256
   checked (`pypi/index.py`'s `fetch_file`: a cached copy is checked too, ``--offline`` uses
   the cache alone), then unpacked by `install_wheel` (RECORD checked before anything is
   written, ``INSTALLER`` and a new RECORD written after).

A lock entry that is not a wheel (a source distribution, a path, a git URL) is refused with the
same "building from source is not supported" error the lock step gives.

Lesson: Episode 2 ("pixi install"), mixing conda and PyPI. Read after `app/pypi_lock.py`;
read next `app/add.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from minipixi.config import cache_dir
from minipixi.errors import InstallError
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
def sync_wheels(prefix: Path, python_version: str, subdir: str, packages: Sequence[PypiPackage], *,
                offline: bool = False) -> WheelSync:
    """Make the prefix's minipixi-installed wheels exactly `packages` (see the module)."""
    from minipixi import http  # lazy: httpx is only needed to download wheels
    from minipixi.pypi.index import DistFile, fetch_file  # lazy: packaging
    from minipixi.pypi.wheel import Scheme, install_wheel, uninstall  # lazy: packaging

    scheme = Scheme.for_prefix(python_version, "nt" if subdir.startswith("win") else "posix")
    wanted = {normalize_pypi_name(p.name): p for p in packages}
    for package in packages:
        if wheel_file_name(package.location) is None:
            raise InstallError(f"the locked PyPI package '{package.name}' is not a wheel ({package.location}): "
                               "building from source is not supported; use a wheel or a conda package",
                               hint="depend on a version that has a wheel, or on the conda package")
    have = installed_by_us(prefix, scheme)
    result = WheelSync()
    for name, version in sorted(have.items()):
        if name not in wanted or wanted[name].version != version:
            uninstall(prefix, scheme, name)
            result.removed.append(name)
    missing = [p for name, p in sorted(wanted.items()) if have.get(name) != p.version]
    if not missing:
        return result
    client = None if offline else http.new_client()
    try:
        for package in missing:
            dist = DistFile(wheel_file_name(package.location), package.location,
                            {"sha256": package.sha256} if package.sha256 else {})
            wheel = fetch_file(dist, project=package.name, cache_dir=cache_dir(), offline=offline, client=client)
            install_wheel(wheel, prefix, scheme)
            result.installed.append(normalize_pypi_name(package.name))
    finally:
        if client is not None:
            client.close()
    return result
# --8<-- [end:sync_wheels]
