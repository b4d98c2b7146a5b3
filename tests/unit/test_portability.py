"""Windows and macOS by design: what can be checked on Linux about running elsewhere.

- no minipixi module imports a module that exists on only one system (``fcntl``, ``msvcrt``...)
  at its top level, so ``import minipixi.<anything>`` works on Linux, macOS and Windows;
- `filelock.lock_exclusively` chooses ``msvcrt.locking`` on Windows (checked with a stand-in
  ``msvcrt`` that refuses twice, as a busy lock does), ``flock``/``lockf`` elsewhere, and an
  ``owner="file"`` lock makes two open files of one process take turns (the cache's threads).
"""

from __future__ import annotations

import ast
import os
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from minipixi import filelock

PACKAGE = Path(__file__).resolve().parents[2] / "minipixi"
ONE_SYSTEM_ONLY = {"fcntl", "pwd", "grp", "termios", "resource", "tty", "pty", "posix", "syslog",
                   "crypt", "spwd", "nis", "readline", "msvcrt", "winreg", "_winapi", "winsound"}


def top_level_imports(tree: ast.Module) -> set[str]:
    """Modules imported by statements that run when the module is imported (top level, and
    inside top-level if/try blocks), not those inside functions or classes."""
    found: set[str] = set()
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(getattr(node, field, []) or [])
        elif isinstance(node, ast.ExceptHandler):
            stack.extend(node.body)
    return found


def test_no_module_imports_a_one_system_module_at_its_top_level():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        bad = top_level_imports(tree) & ONE_SYSTEM_ONLY
        if bad:
            offenders[str(path.relative_to(PACKAGE.parent))] = sorted(bad)
    assert offenders == {}


def test_the_import_scan_sees_imports_in_top_level_blocks():
    tree = ast.parse("import os\ntry:\n    import fcntl\nexcept ImportError:\n    import msvcrt\n"
                     "def f():\n    import resource\n")
    assert top_level_imports(tree) == {"os", "fcntl", "msvcrt"}


def test_windows_uses_msvcrt_locking_and_waits_for_the_holder(tmp_path, monkeypatch):
    calls = []

    def locking(fd, mode, nbytes):
        calls.append((os.lseek(fd, 0, os.SEEK_CUR), mode, nbytes))
        if len(calls) < 3:
            raise OSError(36, "Resource deadlock avoided")  # what a busy region gives

    fake = types.SimpleNamespace(LK_NBLCK=2, LK_LOCK=1, locking=locking)
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(filelock, "_WINDOWS_RETRY_S", 0.001)
    fd = os.open(tmp_path / "x.lock", os.O_RDWR | os.O_CREAT)
    try:
        os.write(fd, b"abc")  # the position is now 3; the lock must still cover byte 0
        for owner in filelock.OWNERS:
            calls.clear()
            filelock.lock_exclusively(fd, owner, system="nt")
            assert calls == [(0, 2, 1)] * 3
    finally:
        os.close(fd)


def test_unknown_owner_is_refused(tmp_path):
    with pytest.raises(ValueError, match="owner"):
        filelock.lock_exclusively(0, "thread")


@pytest.mark.skipif(os.name != "posix", reason="the real POSIX call")
def test_a_file_lock_makes_two_open_files_of_one_process_take_turns(tmp_path):
    path = tmp_path / "pkg.lock"
    first = os.open(path, os.O_RDWR | os.O_CREAT)
    filelock.lock_exclusively(first, "file")
    got = threading.Event()

    def second_opener():
        fd = os.open(path, os.O_RDWR)
        filelock.lock_exclusively(fd, "file")
        got.set()
        os.close(fd)

    thread = threading.Thread(target=second_opener, daemon=True)
    thread.start()
    time.sleep(0.2)
    assert not got.is_set()  # waiting for the first holder
    os.close(first)  # closing releases the lock
    assert got.wait(5)
    thread.join(5)


def test_minipixi_platform_pretends_to_be_another_machine(monkeypatch):
    from minipixi.errors import ManifestError
    from minipixi.manifest.machine import current_platform

    monkeypatch.setenv("MINIPIXI_PLATFORM", "osx-64")
    assert current_platform() == "osx-64"
    monkeypatch.setenv("MINIPIXI_PLATFORM", "osx-65")
    with pytest.raises(ManifestError, match="MINIPIXI_PLATFORM='osx-65' is not a known platform"):
        current_platform()
