"""Races, Ctrl-C and a full disk during `add` (issue 14, "Races and interrupts").

What was seen: a failing ``add`` racing a second ``add`` left its unsolvable dependency in
pixi.toml (5 of 8 runs); Ctrl-C during ``add`` left the new spec and a stale lock (3 of 16);
``add`` under a full disk crashed in its rollback and left ``.pixi.lock.restore`` behind.

Each command here runs in a forked child process (a real second process, with its own file
locks and its own Ctrl-C, but without the cost of starting Python again), on the offline
teaching channel, with ``--no-install`` so that only pixi.toml and pixi.lock are in play.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import sys
import time
from pathlib import Path

import pytest

from minipixi.cli import main

MANIFEST = """\
[workspace]
channels = ["conda-forge"]
name = "race"
platforms = ["linux-64"]

[dependencies]
python = ">=3.13,<3.14"
"""

GOOD = ["add", "--no-install", "bat"]
BAD = ["add", "--no-install", "nosuchpackage"]


def spawn(workspace: Path, argv: list[str], *, output: int | None = None, fsize: int | None = None) -> int:
    """Fork a child that runs ``minipixi <argv> --manifest-path workspace/pixi.toml`` and exits
    with its code (99 if it raised). Its output goes to the file descriptor `output` (a pipe:
    not limited by `fsize`), or nowhere."""
    pid = os.fork()
    if pid:
        return pid
    code = 99
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        out = output if output is not None else os.open(os.devnull, os.O_WRONLY)
        os.dup2(out, 1)
        os.dup2(out, 2)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - pytest had replaced them
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        if fsize is not None:  # a "full disk": no file may grow beyond `fsize` bytes
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, resource.RLIM_INFINITY))
        code = main([*argv, "--manifest-path", str(workspace / "pixi.toml")])
    except BaseException:  # noqa: BLE001 - a child must never return into pytest
        code = 99
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001, S110 - exiting anyway
                pass
        os._exit(code)


def wait(pid: int, timeout: float = 60) -> int:
    """The child's exit code; a child still running after `timeout` seconds is killed (a hang
    fails the test instead of stalling the suite)."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"child {pid} still running after {timeout}s")
        time.sleep(0.01)


def state(workspace: Path) -> tuple[bytes, bytes | None]:
    lock = workspace / "pixi.lock"
    return (workspace / "pixi.toml").read_bytes(), lock.read_bytes() if lock.exists() else None


def leftovers(workspace: Path) -> list[str]:
    """Temporary or restore files an interrupted write could leave behind."""
    return sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*")
                  if p.name.endswith((".tmp", ".restore", ".partial")))


@pytest.fixture(scope="module")
def base(tmp_path_factory, shared_cache):
    """A locked workspace, and what it looks like after the good `add` alone."""
    env = {"MINIPIXI_OFFLINE": "1", "MINIPIXI_CACHE_DIR": str(shared_cache),
           "MINIPIXI_PLATFORM": "linux-64", "MINIPIXI_HOME": str(tmp_path_factory.mktemp("home"))}
    old = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    root = tmp_path_factory.mktemp("base")
    (root / "pixi.toml").write_text(MANIFEST)
    assert main(["lock", "--manifest-path", str(root / "pixi.toml")]) == 0
    before = state(root)
    alone = tmp_path_factory.mktemp("alone")
    (alone / "pixi.toml").write_bytes(before[0])
    (alone / "pixi.lock").write_bytes(before[1])
    started = time.monotonic()
    assert wait(spawn(alone, GOOD)) == 0
    duration = time.monotonic() - started
    after = state(alone)
    assert after != before and b"bat" in after[0] and b"bat" in after[1]
    yield before, after, duration
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def fresh(tmp_path: Path, before: tuple[bytes, bytes], name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pixi.toml").write_bytes(before[0])
    (folder / "pixi.lock").write_bytes(before[1])
    return folder


def test_a_failing_add_racing_a_good_one_leaves_only_the_good_edit(base, tmp_path):
    before, after, _ = base
    outcomes = []
    for pair in range(20):
        workspace = fresh(tmp_path, before, f"pair{pair}")
        first, second = (BAD, GOOD) if pair % 2 else (GOOD, BAD)
        pids = {"first": spawn(workspace, first), "second": spawn(workspace, second)}
        codes = {key: wait(pid) for key, pid in pids.items()}
        outcomes.append(codes)
        good, bad = (codes["second"], codes["first"]) if pair % 2 else (codes["first"], codes["second"])
        assert (good, bad) == (0, 1), (pair, codes)
        assert state(workspace) == after, f"pair {pair}: pixi.toml/pixi.lock differ from the good edit alone"
        assert leftovers(workspace) == []


def test_edits_wait_for_the_workspace_lock(base, tmp_path):
    """While one process holds the lock, another's edit waits, then applies on top."""
    from minipixi.app.workspace_lock import workspace_lock

    before, after, _ = base
    workspace = fresh(tmp_path, before, "held")
    with workspace_lock(workspace):
        pid = spawn(workspace, ["task", "add", "hello", "echo", "hi"])
        time.sleep(0.3)
        assert os.waitpid(pid, os.WNOHANG) == (0, 0), "the edit did not wait for the lock"
        (workspace / "pixi.toml").write_bytes(before[0] + b'\n[tasks]\nfirst = "true"\n')
    assert wait(pid) == 0
    text = (workspace / "pixi.toml").read_text()
    assert 'first = "true"' in text and 'hello = "echo hi"' in text


SEEDS = range(int(os.environ.get("MINIPIXI_INTERRUPT_SEEDS", "16")))  # more for a local hunt


@pytest.mark.parametrize("seed", SEEDS)
def test_ctrl_c_at_any_moment_of_add_leaves_before_or_after(base, tmp_path, seed):
    before, after, duration = base
    workspace = fresh(tmp_path, before, "ws")
    delay = random.Random(seed).uniform(0, duration * 1.2)
    pid = spawn(workspace, GOOD)
    time.sleep(delay)
    os.kill(pid, signal.SIGINT)
    code = wait(pid)
    now = state(workspace)
    assert now in (before, after), f"seed {seed} (Ctrl-C after {delay:.3f}s, exit {code}): mixed state"
    assert code in (0, 130, 99), code  # done, interrupted, or interrupted before `main`
    assert leftovers(workspace) == []


@pytest.mark.parametrize("limit", ["tiny", "below the new lock"])
def test_add_on_a_full_disk_is_a_clean_error_and_changes_nothing(base, tmp_path, limit):
    before, after, _ = base
    workspace = fresh(tmp_path, before, "full")
    fsize = 16 if limit == "tiny" else len(before[1]) + 8
    read_end, write_end = os.pipe()
    pid = spawn(workspace, GOOD, output=write_end, fsize=fsize)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8", errors="replace") as pipe:
        err = pipe.read()  # until the child exits
    code = wait(pid)
    assert code == 1, err
    assert "error: " in err and "Traceback" not in err and "bug" not in err, err
    assert "File too large" in err or "space" in err, err
    assert state(workspace) == before
    assert leftovers(workspace) == []


def test_a_failed_add_puts_back_a_missing_lock_as_missing(base, tmp_path):
    before, _, _ = base
    workspace = fresh(tmp_path, before, "nolock")
    (workspace / "pixi.lock").unlink()
    assert wait(spawn(workspace, BAD)) == 1
    assert state(workspace) == (before[0], None)
    assert leftovers(workspace) == []


def test_an_add_whose_install_fails_keeps_a_manifest_and_lock_that_agree(base, tmp_path, monkeypatch):
    """Edit and relock succeed together; an install that cannot run here (the workspace
    declares CUDA, this machine has none) leaves both, in agreement, for a later install with
    CONDA_OVERRIDE_CUDA set (Episode 5 of the lesson)."""
    before, _, _ = base
    workspace = fresh(tmp_path, before, "cuda")
    manifest = str(workspace / "pixi.toml")
    (workspace / "pixi.toml").write_bytes(before[0] + b'\n[system-requirements]\ncuda = "12"\n')
    assert main(["lock", "--manifest-path", manifest]) == 0
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "")  # no GPU here, even on a machine with one
    assert main(["add", "bat", "--manifest-path", manifest]) in (0, 1)  # installing is skipped or fails
    toml, lock = state(workspace)
    assert b"bat = " in toml and b"bat" in lock
    assert main(["lock", "--check", "--manifest-path", manifest]) == 0
    assert leftovers(workspace) == []


def test_a_lock_update_reads_a_manifest_changed_since_the_command_opened_it(base, tmp_path):
    """`install` opened pixi.toml, then another command added bat and relocked; the lock
    `install` writes must follow the manifest on disk, not its stale copy."""
    from minipixi.manifest.edit_dependencies import add_dependencies
    from minipixi.app.project import open_project
    from minipixi.app.relock import update_lock

    before, _, _ = base
    workspace = fresh(tmp_path, before, "stale")
    project = open_project(workspace / "pixi.toml")
    add_dependencies(workspace / "pixi.toml", ["bat"])
    update_lock(project)
    assert b"bat" in (workspace / "pixi.lock").read_bytes()


@pytest.mark.parametrize("argv", [["task", "add", "hello", "echo", "hi"], ["workspace", "platform", "add", "osx-64"],
                                  ["add", "--no-lockfile-update", "bat"]])
def test_an_edit_on_a_full_disk_is_a_clean_error_and_leaves_no_temp_file(base, tmp_path, argv):
    before, _, _ = base
    workspace = fresh(tmp_path, before, "full")
    (workspace / ".pixi").mkdir()  # the lock file exists before the disk is full
    (workspace / ".pixi" / "workspace.lock").touch()
    read_end, write_end = os.pipe()
    pid = spawn(workspace, argv, output=write_end, fsize=len(before[0]) // 2)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8", errors="replace") as pipe:
        err = pipe.read()
    assert wait(pid) == 1, err
    assert "error: " in err and "Traceback" not in err and "bug" not in err, err
    assert state(workspace) == before
    assert leftovers(workspace) == [] and sorted(p.name for p in workspace.iterdir()) == [
        ".pixi", "pixi.lock", "pixi.toml"]
