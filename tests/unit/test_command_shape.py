"""The shape of a command, pinned: each one opens the project once and writes the lock at most once.

``minipixi add numpy`` edits pixi.toml, solves, pins what was solved, writes pixi.lock and
installs. Done as a pipeline (`app/add.py`), the manifest is read once (`app/project.py`) and
every later step works on that one reading; the lock is computed in memory, pinned, and written
once. Done as a chain of helpers that each open the project again, the same command read
pixi.toml seven times and wrote pixi.lock twice.

Counted with an audit hook (`sys.addaudithook`): Python raises an ``open`` event for every file
opened (``open``, ``Path.read_bytes``, ``os.open``) and an ``os.rename`` event for
``os.replace``, which is how `files.write_atomic` puts a new file in place. The hook only counts;
it cannot be removed once added, so it checks a flag and stays idle outside these tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.lock.read import read_lock
from sample_workspaces import write_manifest

SMALL = """
[workspace]
channels = ["conda-forge"]
name = "shape"
platforms = ["linux-64"]

[dependencies]
python = ">=3.13.5,<3.14"
"""

_events: list[tuple[str, str, str]] = []  # (event, path, mode), while recording
_recording = [False]


def _hook(event: str, args: tuple) -> None:
    if not _recording[0]:
        return
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path, mode, flags = args[0], args[1], args[2]
        if mode is None:  # os.open: the flags say whether it writes
            mode = "r" if (flags & (os.O_WRONLY | os.O_RDWR)) == 0 else "w"
        _events.append(("open", os.fsdecode(path), mode))
    elif event == "os.rename":
        _events.append(("replace", os.fsdecode(args[1]), "w"))


sys.addaudithook(_hook)


def _record(argv: list[str]) -> list[tuple[str, str, str]]:
    _events.clear()
    _recording[0] = True
    try:
        assert main(argv) == 0
    finally:
        _recording[0] = False
    return list(_events)


def _reads(events, name: str) -> int:
    return sum(1 for kind, path, mode in events if kind == "open" and Path(path).name == name
               and not any(c in mode for c in "wax+"))


def _writes(events, name: str) -> int:
    """Writes that put a new `name` in place: an atomic replace onto it, or an open for writing."""
    return sum(1 for kind, path, mode in events if Path(path).name == name
               and (kind == "replace" or any(c in mode for c in "wax+")))


@pytest.fixture
def workspace(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "shape", SMALL)
    monkeypatch.chdir(path.parent)
    assert main(["lock"]) == 0
    return path.parent


def test_add_reads_the_manifest_once_and_writes_the_lock_once(workspace):
    events = _record(["add", "numpy"])
    assert _reads(events, "pixi.toml") == 1
    assert _reads(events, "pixi.lock") == 1  # kept for the undo, parsed, hashed for conda-meta/pixi
    assert _writes(events, "pixi.lock") == 1
    assert _writes(events, "pixi.toml") == 1
    assert 'numpy = ">=' in (workspace / "pixi.toml").read_text(encoding="utf-8")  # pinned, as Pixi does
    assert (workspace / ".pixi" / "envs" / "default" / "conda-meta").is_dir()  # and installed


def test_a_failed_add_writes_nothing_and_leaves_both_files_as_they_were(workspace):
    """The solve fails before anything is written: the undo finds both files as they were
    (it reads them to compare) and writes neither."""
    before = {name: (workspace / name).read_bytes() for name in ("pixi.toml", "pixi.lock")}
    _events.clear()
    _recording[0] = True
    try:
        assert main(["add", "no-such-package-anywhere"]) == 1
    finally:
        _recording[0] = False
    assert _writes(_events, "pixi.lock") == 0 and _writes(_events, "pixi.toml") == 0
    assert {name: (workspace / name).read_bytes() for name in before} == before


@pytest.mark.parametrize("argv", [["lock"], ["install"], ["list"], ["run", "python", "--version"]])
def test_reading_commands_read_the_manifest_once(workspace, argv):
    events = _record(argv)
    assert _reads(events, "pixi.toml") == 1
    assert _reads(events, "pixi.lock") == 1
    assert _writes(events, "pixi.lock") == 0  # already up to date: not a byte is written


def _locked_names(workspace: Path) -> set[str]:
    lock = read_lock(workspace / "pixi.lock")
    return {p.name for p in lock.environments["default"].conda_packages("linux-64")}


def _installed(workspace: Path, name: str) -> bool:
    meta = workspace / ".pixi" / "envs" / "default" / "conda-meta"
    return any(path.name.rsplit("-", 2)[0] == name for path in meta.glob("*.json"))


def test_remove_reads_the_manifest_once_writes_each_file_once_and_uninstalls(workspace):
    """``remove`` is ``add`` the other way round (as ``pixi remove``): edit, relock, write each
    file once, install; the package leaves pixi.toml, pixi.lock and the prefix."""
    assert main(["add", "numpy"]) == 0
    assert "numpy" in _locked_names(workspace) and _installed(workspace, "numpy")
    events = _record(["remove", "numpy"])
    assert _reads(events, "pixi.toml") == 1
    assert _reads(events, "pixi.lock") == 1
    assert _writes(events, "pixi.toml") == 1
    assert _writes(events, "pixi.lock") == 1
    assert "numpy" not in (workspace / "pixi.toml").read_text(encoding="utf-8")
    assert "numpy" not in _locked_names(workspace)
    assert not _installed(workspace, "numpy") and _installed(workspace, "python")


def test_remove_no_install_updates_the_lock_and_leaves_the_prefix(workspace):
    assert main(["add", "numpy"]) == 0
    events = _record(["remove", "numpy", "--no-install"])
    assert _writes(events, "pixi.lock") == 1
    assert "numpy" not in _locked_names(workspace)
    assert _installed(workspace, "numpy")  # the environment is left as it was


def test_remove_frozen_keeps_the_lock_byte_for_byte(workspace):
    assert main(["add", "numpy"]) == 0
    lock = (workspace / "pixi.lock").read_bytes()
    events = _record(["remove", "numpy", "--frozen", "--no-install"])
    assert _writes(events, "pixi.lock") == 0 and _writes(events, "pixi.toml") == 1
    assert (workspace / "pixi.lock").read_bytes() == lock
    assert "numpy" not in (workspace / "pixi.toml").read_text(encoding="utf-8")


def test_remove_locked_refuses_a_lock_that_must_change_and_undoes_the_edit(workspace, capsys):
    """``--locked``: the lock still holds numpy, which the edited manifest no longer asks for,
    so the command fails and both files are as they were."""
    assert main(["add", "numpy", "--no-install"]) == 0
    before = {name: (workspace / name).read_bytes() for name in ("pixi.toml", "pixi.lock")}
    capsys.readouterr()
    assert main(["remove", "numpy", "--locked"]) == 1
    assert "--locked" in capsys.readouterr().err
    assert {name: (workspace / name).read_bytes() for name in before} == before


def test_the_environment_file_hashes_the_lock_bytes_as_on_disk(workspace):
    """``conda-meta/pixi`` records the hash of pixi.lock's bytes as they are on disk: a lock
    with CRLF line ends (a Windows checkout) is hashed with its CRLFs, as Pixi hashes it, though
    the lock is read once and compared as text."""
    lock = workspace / "pixi.lock"
    crlf = lock.read_bytes().replace(b"\n", b"\r\n")
    lock.write_bytes(crlf)
    events = _record(["install"])
    assert _reads(events, "pixi.lock") == 1 and _writes(events, "pixi.lock") == 0
    assert lock.read_bytes() == crlf  # up to date: the CRLF lock is not rewritten
    written = json.loads((workspace / ".pixi" / "envs" / "default" / "conda-meta" / "pixi").read_text())
    assert written["environment_lock_file_hash"] == hashlib.sha256(crlf).hexdigest()[:16]
