"""File locks: two processes that want the same thing take turns, on Linux, macOS and Windows.

minipixi holds three kinds of lock, all through this module:

- the **prefix lock** (``conda-meta/.minipixi.lock``): two installs of one environment;
- the **package-cache locks** (``<cache>/pkgs/.<package>.lock``): two downloads of one package,
  from two processes or two threads of one process;
- the **workspace lock** (``.pixi/workspace.lock``, see `app/workspace_lock.py`): two commands that
  change pixi.toml and pixi.lock.

A lock here is *advisory*: it stops nobody who does not ask for it, and the operating system
drops it when the process ends, however it ends. A killed command never leaves a stale lock
behind, which is why a lock file is never "removed when done".

Each system has its own call, and this is the one module that knows them:

===========  ==================================  ===========================================
system       call                                who holds the lock
===========  ==================================  ===========================================
POSIX        ``fcntl.flock(fd, LOCK_EX)``        the open file: a second ``open`` of the
                                                 same file waits, even in the same process
POSIX        ``fcntl.lockf(fd, LOCK_EX)``        the *process*: not inherited by a forked
                                                 child, released when the process closes
                                                 any handle of the file
Windows      ``msvcrt.locking(fd, LK_LOCK, 1)``  the open file (a byte range of it: we lock
                                                 byte 0)
===========  ==================================  ===========================================

`lock_exclusively` picks: ``owner="file"`` (the cache and prefix locks, taken by worker
threads, so each open file must exclude the others) or ``owner="process"`` (the workspace lock,
re-entrant by bookkeeping in `app/workspace_lock.py`, and never held by a forked child). On
Windows both are ``msvcrt.locking``, which already behaves like ``flock`` for our use.

``fcntl`` and ``msvcrt`` exist only on their own systems, so they are imported inside the
function that uses them: importing minipixi never fails on either.

Read after `files.py`; read next `config.py`. Used by `install/` and `app/workspace_lock.py`.
"""

from __future__ import annotations

import os
import time

OWNERS = ("file", "process")
# msvcrt.LK_LOCK itself retries ten times, once a second, then raises OSError: we keep asking,
# because the other holder is a minipixi command that will finish.
_WINDOWS_RETRY_S = 0.1


# --8<-- [start:lock]
def lock_exclusively(fd: int, owner: str = "file", *, system: str | None = None) -> None:
    """Block until we hold the exclusive lock on the open file `fd` (see the module's table).

    `system` is ``os.name`` (``"posix"`` or ``"nt"``); tests pass it to check the choice.
    """
    if owner not in OWNERS:
        raise ValueError(f"owner must be one of {OWNERS}, not {owner!r}")
    system = system or os.name
    if system == "nt":
        _lock_windows(fd)
        return
    import fcntl  # lazy: POSIX only, and importing minipixi must work on Windows

    if owner == "file":
        fcntl.flock(fd, fcntl.LOCK_EX)
    else:
        fcntl.lockf(fd, fcntl.LOCK_EX)
# --8<-- [end:lock]


def _lock_windows(fd: int) -> None:
    """``msvcrt.locking`` on byte 0 of the file, retried until the other holder lets go."""
    import msvcrt  # lazy: Windows only, and importing minipixi must work elsewhere

    os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
    while True:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return
        except OSError:
            time.sleep(_WINDOWS_RETRY_S)
