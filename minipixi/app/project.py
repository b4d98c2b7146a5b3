"""The project: one workspace opened once for one command, and passed down to every step.

A command reads pixi.toml once (`open_project`), takes the settings in force (`config`), and
reads pixi.lock at most once (`lock_bytes`, parsed when first needed by `existing_lock`). Every later step (`app/relock.py`,
`app/policy.py`, `app/sync.py` ...) is handed this `Project` instead of a path, so nothing opens
the files again. When a step changes a file it tells the project (`remember_manifest`,
`remember_lock`), so the project always holds what is on disk.

Two commands may run at once in one workspace. Under the workspace lock
(`app/workspace_lock.py`), `refresh` compares each file's identity (inode, size, time) with the
one noted when it was read, and reads again only a file that another command changed.

Lesson: Episode 2 ("The lock file", "pixi install"). Read after `lock/satisfiability.py`;
read next `app/relock.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from minipixi.config import OFFLINE_NOTICE, Config, load_config
from minipixi.errors import InstallError, ManifestError
from minipixi.files import check_component
from minipixi.lock.read import lock_text_of, parse_lock, read_lock_bytes
from minipixi.manifest.find import MANIFEST_NAME, find_manifest, manifest_in
from minipixi.manifest.locate import decode_utf8
from minipixi.manifest.machine import current_platform
from minipixi.manifest.parse import parse_manifest
from minipixi.manifest.workspace import Workspace

LOCK_NAME = "pixi.lock"
ENVS_DIR = Path(".pixi") / "envs"


@dataclass
class Project:
    """One workspace opened for one command: the manifest as read, the settings, the lock."""

    workspace: Workspace
    config: Config
    notices: list[str] = field(default_factory=list)  # things the CLI shows once
    manifest_bytes: bytes | None = None  # pixi.toml as read (an edit is undone to exactly these)
    manifest_stamp: tuple = ()  # the manifest file's identity when read
    lock_data: bytes | None = None  # pixi.lock's bytes as read or written (None: no file)
    lock: object = None  # minipixi.lock.model.LockFile, parsed from `lock_data`
    lock_stamp: tuple | None = None  # None: the lock has not been looked at yet
    lock_parsed: bool = False  # whether `lock` is the parse of `lock_data` yet

    @property
    def lock_text(self) -> str | None:
        """pixi.lock as text (line ends folded), to compare with a rendered lock."""
        return None if self.lock_data is None else lock_text_of(self.lock_data, self.lock_path)

    @property
    def root(self) -> Path:
        return self.workspace.root

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    def prefix(self, environment: str) -> Path:
        """``.pixi/envs/<environment>``; the name (from the CLI or the manifest) must be one
        folder name, so ``-e ../..`` can never point outside `.pixi/envs`."""
        check_component(environment, what="environment name", where=str(self.workspace.path))
        return self.root / ENVS_DIR / environment


# --8<-- [start:open]
def open_project(manifest_path: str | os.PathLike | None = None, *, offline: bool = False) -> Project:
    """Find and read pixi.toml (searching upwards from the current folder when no path).

    The search looks into the manifest it finds (is it a workspace, or a package's?); the bytes
    it read are the ones parsed here, so the file is opened once.
    """
    seen: dict[Path, tuple[bytes, os.stat_result]] = {}
    path = Path(manifest_path).absolute() if manifest_path else find_manifest(Path.cwd(), seen)
    if path.is_dir():  # --manifest-path FOLDER: the manifest in it
        path = manifest_in(path) or path / MANIFEST_NAME
    if path in seen:
        data, info = seen[path]
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    else:
        stamp = file_stamp(path)
        data = _read_manifest_bytes(path)
    workspace = parse_manifest(decode_utf8(data, str(path), ManifestError), path)
    config = load_config(workspace.root, offline=offline)
    project = Project(workspace, config, manifest_bytes=data, manifest_stamp=stamp)
    if config.offline:
        project.notices.append(OFFLINE_NOTICE)
    return project
# --8<-- [end:open]


def _read_manifest_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise ManifestError(f"{path} does not exist", hint="run `minipixi init` to create it") from err
    except OSError as err:
        raise ManifestError(f"cannot read {path}: {err.strerror or err}", where=str(path),
                            hint="check that the path is a readable file") from err


def file_stamp(path: Path) -> tuple:
    """Which file is at `path` now: an atomic replace changes the inode, an edit the size or
    time. Taken before reading, so a change made while reading is noticed later."""
    try:
        info = os.stat(path)
    except OSError:
        return ()
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def refresh(project: Project) -> None:
    """Another command changed pixi.toml since `project` read it: read it again (call this
    under the workspace lock), so what we write matches the manifest on disk."""
    path = project.workspace.path
    stamp = file_stamp(path)
    if stamp != project.manifest_stamp:
        data = _read_manifest_bytes(path)
        project.workspace = parse_manifest(decode_utf8(data, str(path), ManifestError), path)
        project.manifest_bytes, project.manifest_stamp = data, stamp


def remember_manifest(project: Project, workspace: Workspace, data: bytes) -> None:
    """This command wrote `data` to pixi.toml (parsed: `workspace`)."""
    project.workspace, project.manifest_bytes = workspace, data
    project.manifest_stamp = file_stamp(workspace.path)


def lock_bytes(project: Project) -> bytes | None:
    """pixi.lock's bytes as they are on disk (None when there is none), read once per command:
    again only when another command replaced the file since. Not parsed here, so a command that
    only needs to keep the bytes (the undo of `add`) works even when the lock is broken."""
    stamp = file_stamp(project.lock_path)
    if stamp != project.lock_stamp:
        project.lock_data = read_lock_bytes(project.lock_path) if stamp else None
        project.lock, project.lock_parsed, project.lock_stamp = None, False, stamp
    return project.lock_data


def existing_lock(project: Project):
    """pixi.lock as it is on disk, parsed (None when there is none); read and parsed once."""
    data = lock_bytes(project)
    if not project.lock_parsed:
        project.lock = None if data is None else parse_lock(lock_text_of(data, project.lock_path),
                                                            str(project.lock_path))
        project.lock_parsed = True
    return project.lock


def remember_lock(project: Project, lock, text: str) -> None:
    """This command wrote `text` (the rendering of `lock`) to pixi.lock."""
    project.lock, project.lock_data, project.lock_parsed = lock, text.encode("utf-8"), True
    project.lock_stamp = file_stamp(project.lock_path)


def host_platform_entry(project: Project, environment: str) -> str:
    """The manifest platform entry this machine installs for `environment`.

    Among the environment's entries for this machine's subdir, the first whose declared
    virtual packages the machine provides (so a GPU machine picks ``linux-64-cuda``); else the
    first entry for the subdir.
    """
    ws = project.workspace
    subdir = current_platform()  # MINIPIXI_PLATFORM, when set, is read (and checked) there
    entries = [ws.platform(p) for p in ws.environment_platforms(environment)]
    matching = [e for e in entries if e.subdir == subdir]
    if not matching:
        listed = ", ".join(e.name for e in entries) or "none"
        raise InstallError(
            f"environment '{environment}' does not support this machine's platform {subdir}",
            where=str(ws.path),
            hint=f"add it with `minipixi workspace platform add {subdir}` (the environment has: {listed})",
        )
    return matching[0].name
