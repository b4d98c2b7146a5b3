"""Worker processes: how an installer uses every CPU from Python.

Installing is a lot of small jobs: read a tar header, check a name, create a file, hard-link
it, write a line of JSON. Each is more work for Python than for the operating system, and
Python runs one thread at a time (the GIL), so threads do not make this faster; on
`bench/install.py` eight threads were slower than one. Processes each have their own
interpreter, so `install/install.py` hands these jobs to a `WorkerPool`: one process per CPU.

Processes bring three problems that threads do not have, and this module's answers:

- **Forking a process that runs threads** can copy a lock held by another thread into the
  child, where nobody will ever release it. So the pool starts its workers at once, when it
  is entered, and uses `fork` only while this process has a single thread (on Linux; elsewhere,
  or with threads running, it spawns fresh interpreters, which costs more to start).
- **A parent killed mid-install** (SIGKILL, out of memory) leaves its workers running. On
  Linux a forked worker asks the kernel to kill it together with its parent
  (`PR_SET_PDEATHSIG`); every worker also checks for its parent five times a second and exits
  once it is gone. What an orphan may still do in those moments is the business of the
  callers: see `package.unpack_beside` and `install.execute`.
- **Ctrl-C** reaches every process of the terminal's process group. Workers ignore it; the
  parent handles it once, and its error message is the only one the user sees.

Errors raised in a worker come back whole: `MinipixiError` knows how to be pickled.

Lesson: Episode 4, "Under the hood" (installing). Read after `install/install.py`, with `install/package_cache.py`.
Ground truth: Python's `concurrent.futures.ProcessPoolExecutor` and `multiprocessing` docs
("Contexts and start methods").
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

from minipixi.errors import InstallError


def cpus(workers: int | None = None) -> int:
    """`workers`, or when None the CPUs this process may use (a container or a batch job may
    give it fewer than the machine has)."""
    if workers is not None:
        return workers
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# --8<-- [start:pool]
class WorkerPool:
    """Worker processes for the Python-heavy stages of an install: unpacking and linking.

    With `workers` of 0 or 1 (or when it cannot start them) everything runs in this process.
    Enter it *before* starting any thread (see the module's docstring).

    `fork_only=True` runs in this process unless the workers can be forked: forked workers
    inherit the open files, the prefix lock included, which is what makes linking in them safe.
    """

    def __init__(self, workers: int, *, fork_only: bool = False):
        self.workers, self.fork_only = workers, fork_only
        self._pool = None

    def __enter__(self) -> WorkerPool:
        can_fork = sys.platform == "linux" and threading.active_count() == 1
        if self.workers > 1 and (can_fork or not self.fork_only):
            import multiprocessing  # lazy: starts machinery only an install with workers needs
            from concurrent.futures import ProcessPoolExecutor  # lazy: imports multiprocessing

            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork" if can_fork else "spawn"),
                initializer=_worker_setup, initargs=(os.getpid(), can_fork))
            self._pool.submit(os.getpid).result()  # start the workers now, while we are alone
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def has_workers(self) -> bool:
        return self._pool is not None

    def submit(self, action, *args) -> Future:
        """Run `action(*args)` in a worker; the Future holds its result or its error."""
        if self._pool is not None:
            return self._pool.submit(action, *args)
        done = Future()
        try:
            done.set_result(action(*args))
        except Exception as err:
            done.set_exception(err)
        return done
# --8<-- [end:pool]


def result_of(future: Future, about: Path | str):
    """The future's result; a worker that died becomes an InstallError naming `about`."""
    from concurrent.futures.process import BrokenProcessPool  # lazy: imports multiprocessing

    try:
        return future.result()
    except BrokenProcessPool as err:
        raise InstallError(f"the worker process handling {Path(about).name} died",
                           where=str(about),
                           hint="was it killed, or out of memory? run the install again") from err


def _worker_setup(parent: int, forked: bool) -> None:
    """Runs first in every worker: ignore Ctrl-C, and exit as soon as the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if forked:
        _die_with_parent()

    def exit_when_orphaned() -> None:  # the portable way: look every 0.2 s
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=exit_when_orphaned, daemon=True).start()


def _die_with_parent() -> None:
    """Linux: ask the kernel to kill this process the moment the parent dies, so that an
    orphan cannot go on writing while the next install cleans up after the dead one.

    (The kernel's "parent death signal" fires when the *thread* that forked us ends. Forked
    workers are started by `WorkerPool.__enter__`, in the only thread the parent has.)
    """
    import ctypes  # lazy: loads libffi, for one system call in forked workers

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux after all: the watcher thread remains
