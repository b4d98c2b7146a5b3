"""The workspace lock: one command at a time changes pixi.toml and pixi.lock, and a failed one
puts back exactly what it found.

Two terminals, one workspace: ``minipixi add bogus`` (which will fail to solve) and
``minipixi add numpy`` run at the same moment. Without a lock, the second one reads pixi.toml
*after* the first wrote ``bogus`` into it, the first then fails and puts back its own copy, and
the second writes its edit, ``bogus`` included. The same goes for Ctrl-C between writing
pixi.toml and writing pixi.lock: the manifest says one thing and the lock another.

So every command that changes pixi.toml or pixi.lock holds the workspace lock
(`workspace_lock`), and the steps that must succeed or fail together run inside
`edit_transaction`:

1. **lock**: take an exclusive lock on ``.pixi/workspace.lock``; a second command waits here
   until the first has finished (Pixi serialises its own commands the same way);
2. **remember**: read the bytes of pixi.toml and pixi.lock as they are now. Nobody else can
   change them while we hold the lock, so whatever changes from here on is ours;
3. **edit and relock** (`app/add.py`: edit in memory, solve, pin, write both files);
4. **on any failure** (an error, Ctrl-C, a full disk): put back exactly the remembered bytes,
   with Ctrl-C held off for those few writes, so the pair is always "as before" or "as after",
   never one of each. Nothing is left behind: the writes go through `files.write_atomic`,
   which removes its temporary file when it fails.

``add`` keeps holding the lock while it installs, but an install that fails (this machine
lacks the GPU the workspace declares) leaves the new manifest and its lock in place: they
agree with each other, and the lesson's next step is to install them with
``CONDA_OVERRIDE_CUDA`` set.

The lock is re-entrant within one process: `add` holds it for the whole command, and the steps
inside (`edit_manifest`, `update_lock`) take it again without waiting for themselves.

**Portability.** The lock is an advisory POSIX record lock (``lockf``), released by the kernel
when the process ends, however it ends: a killed command never leaves a stale lock. Windows has the
same idea in ``msvcrt.locking``; `filelock.lock_exclusively` chooses.

Read after `files.py`; used by `manifest/edit.py` (every edit), `app/relock.py` (`update_lock`)
and `app/add.py` (the whole of ``add``: edit, relock, install).
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from minipixi.errors import ManifestError, MinipixiError
from minipixi.filelock import lock_exclusively
from minipixi.files import write_atomic

LOCK_FILE = Path(".pixi") / "workspace.lock"
LOCK_NAME = "pixi.lock"

# (process id, workspace root) -> how many times that process holds the lock. The process id
# is part of the key because a forked child inherits this dict, but not the lock itself.
_held: dict[tuple[int, Path], int] = {}


def _lock_exclusively(fd: int) -> None:
    """Block until this process holds the exclusive lock on the open file `fd`.

    POSIX: ``fcntl.lockf``, a record lock owned by this *process*: released when the file is
    closed or the process dies, and not inherited by a forked child (so a worker process, or a
    child that runs another command, never holds or deadlocks on its parent's lock). Windows:
    ``msvcrt.locking`` on byte 0. `filelock.py` is the one place that knows both.
    """
    lock_exclusively(fd, "process")


@contextmanager
def workspace_lock(root: str | os.PathLike) -> Iterator[None]:
    """Hold the workspace's lock while the block runs (waiting for another command first)."""
    root = Path(root).resolve()  # one key per folder, however it was reached (a symlink)
    key = (os.getpid(), root)
    if _held.get(key):
        _held[key] += 1  # already ours: an inner step of the same command
        try:
            yield
        finally:
            _held[key] -= 1
        return
    if not root.is_dir():
        raise ManifestError(f"{root} is not a workspace folder", hint="run `minipixi init` there first")
    folder = root / LOCK_FILE.parent
    if not folder.is_dir():
        folder.mkdir(exist_ok=True)
        write_pixi_folder_files(folder)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        _lock_exclusively(fd)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # closing the file releases the lock


def write_pixi_folder_files(folder: Path) -> None:
    """``.pixi/.gitignore`` (nothing in .pixi is committed) and ``.condapackageignore``
    (``--frozen`` in a fresh checkout comes here before anything made `folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ((".gitignore", "*\n"), (".condapackageignore", ".pixi\n")):
        if not (folder / name).exists():
            write_atomic(folder / name, text)


# --8<-- [start:edit-transaction]
@contextmanager
def edit_transaction(manifest: str | os.PathLike, before: bytes | None = None,
                     lock_before: tuple[bytes | None] | None = None) -> Iterator[None]:
    """Hold the workspace lock while the block changes `manifest` and the pixi.lock beside it;
    if the block fails in any way (Ctrl-C included), put both back byte for byte. `before`:
    the manifest's bytes, and `lock_before`: ``(the lock's bytes or None for no file,)``, when
    the caller read them under the lock already (`app/add.py`), so neither is read twice."""
    manifest = Path(manifest).absolute()
    if manifest.is_dir():
        manifest = manifest / "pixi.toml"
    if not manifest.is_file():
        raise ManifestError(f"{manifest} does not exist", hint="run `minipixi init` first")
    with workspace_lock(manifest.parent):
        lock = manifest.parent / LOCK_NAME
        saved = {manifest: _read(manifest) if before is None else before,
                 lock: _read(lock) if lock_before is None else lock_before[0]}
        try:
            yield
        except BaseException:
            with _interrupts_held():
                _put_back(saved)
            raise
# --8<-- [end:edit-transaction]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _put_back(saved: dict[Path, bytes | None]) -> None:
    """Make each file hold its saved bytes again (or not exist, if it did not). Files that were
    never changed are not written at all, so a full disk rarely gets in the way."""
    for path, data in saved.items():
        if _read(path) == data:
            continue
        try:
            if data is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, data)
        except OSError as err:
            raise MinipixiError(
                f"the command failed, and {path.name} could not be put back as it was: "
                f"{err.strerror or err}", where=str(path),
                hint="free some disk space, then check the file (git diff) and run the command again",
            ) from err


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold off Ctrl-C (SIGINT) and SIGTERM while the block runs; one that arrives meanwhile is
    delivered right after. Only the main thread of a POSIX process can do this; elsewhere the
    block simply runs."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
