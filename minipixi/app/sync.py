"""Sync: make ``.pixi/envs/<environment>`` hold exactly what pixi.lock says (``minipixi install``).

``install_environment`` reads top to bottom:

1. take the locked records for this machine's platform, after the lock policy
   (`app/policy.py`: update the lock, or ``--locked`` / ``--frozen``);
2. ask the machine: do its virtual packages (a GPU driver, glibc ...) meet what the packages
   need and what the manifest promises? Pixi refuses to install when they do not, and so do we
   (``CONDA_OVERRIDE_CUDA`` lets an image build without a GPU say it will have one);
3. download from a mirror where one is set, and install (`install/install.py`: the
   transaction that adds, removes and relinks packages); then the lock's PyPI wheels on top
   (`app/pypi_sync.py`);
4. write ``conda-meta/pixi``: which manifest and lock made this prefix.

Lesson: Episode 2 ("pixi install") and Episode 5 (system requirements). Read after
`app/policy.py`; read next `app/add.py`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from minipixi.app.policy import records_for
from minipixi.app.project import LOCK_NAME, Project, lock_bytes
from minipixi.app.pypi_sync import fetch_wheels, sync_wheels
from minipixi.app.relock import OnSolve, no_progress
from minipixi.app.workspace_lock import write_pixi_folder_files
from minipixi.channel.names import download_url
from minipixi.channel.virtual_packages import check_installable, detect_virtual_packages, required_virtual_packages
from minipixi.errors import InstallError
from minipixi.files import write_atomic
from minipixi.install.install import install
from minipixi.lock.model import lock_platform_names


# --8<-- [start:install_environment]
def install_environment(project: Project, environment: str = "default", mode: str = "default", *,
                        reporter=None, on_solve: OnSolve = no_progress):
    """Make ``.pixi/envs/<environment>`` match the lock. Returns (prefix, transaction)."""
    platform, records = records_for(project, environment, mode=mode, on_solve=on_solve)
    resolved = project.workspace.resolve(environment, platform)
    # What the packages need, and what the manifest promises the machine has (its system
    # requirements or platform entry): Pixi refuses to install when either is not met.
    declared = [f"{name} >={version}" for name, version in sorted(resolved.virtual_packages.items())]
    check_installable(required_virtual_packages(records) + declared, detect_virtual_packages(),
                      environment=environment)
    mirrors = project.config.effective_mirrors()
    to_fetch = [download_url(r, mirrors) for r in records]
    requested = {name: str(spec) for name, spec in resolved.specs.items()}
    prefix = project.prefix(environment)
    write_pixi_folder_files(project.root / ".pixi")
    pypi = _locked_wheels(project, environment, platform, records, prefix)  # checked before any change
    transaction = install(to_fetch, prefix, requested_specs=requested, reporter=reporter)
    if pypi is not None:  # the wheels on top of the conda python (removing those that left the lock)
        sync_wheels(prefix, *pypi)
    _write_environment_file(project, environment, prefix)
    return prefix, transaction
# --8<-- [end:install_environment]


def _locked_wheels(project: Project, environment: str, platform: str, records, prefix: Path):
    """(python version, subdir, the lock's PyPI packages of this platform, their wheel files
    fetched and checked: `app/pypi_sync.py`), or None when the platform locks none."""
    lock = project.lock
    name = lock_platform_names(project.workspace)[platform]
    wheels = lock.environments[environment].pypi_packages(name) if lock is not None else []
    python = next((r for r in records if r.name == "python"), None)
    if python is None:
        if wheels:
            raise InstallError(f"{LOCK_NAME} locks PyPI packages for environment '{environment}' on {name}, "
                               "but no python", where=str(project.lock_path), hint="run `minipixi lock`")
        return None
    subdir = project.workspace.platform(platform).subdir
    indexes = lock.environments[environment].indexes or () if lock is not None else ()
    local = {**{i: i for i in indexes if str(i).startswith("file://")}, **project.config.pypi_mirrors()}
    fetched = fetch_wheels(prefix, python.version, subdir, wheels, offline=project.config.offline,
                           where=str(project.lock_path), local_indexes=local, root=project.workspace.root, python=python)
    return python.version, subdir, wheels, fetched


def _write_environment_file(project: Project, environment: str, prefix: Path) -> None:
    """``conda-meta/pixi``: which manifest and lock made this prefix (as Pixi writes it)."""
    data = lock_bytes(project)  # the bytes as on disk (CRLF kept), as Pixi hashes them
    lock_hash = hashlib.sha256(data).hexdigest()[:16] if data is not None else None
    data = {"manifest_path": str(project.workspace.path), "environment_name": environment,
            "pixi_version": "minipixi", "environment_lock_file_hash": lock_hash}
    write_atomic(prefix / "conda-meta" / "pixi", json.dumps(data, indent=2) + "\n")
