"""files.py: the containment rule and the atomic writer, on their own."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from minipixi import files
from minipixi.files import UnsafePathError


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../x", "C:x", "c:\\x", "a\\..\\x", "a\x00b", "", "..", "\\\\server\\share"])
def test_names_that_climb_out_are_refused(name):
    with pytest.raises(UnsafePathError) as info:
        files.check_relative(name, what="path", where="paths.json")
    assert "unsafe path" in info.value.message and info.value.where == "paths.json"


@pytest.mark.parametrize("name", ["lib/a.so", "./bin/tool", "a..b", "..a/b", "site-packages/x.py"])
def test_names_that_stay_inside_pass(name):
    assert files.check_relative(name, what="path") == name


@pytest.mark.parametrize("name", ["a/b", "a\\b", ".", ".."])
def test_a_component_has_no_separator(name):
    with pytest.raises(UnsafePathError):
        files.check_component(name, what="name")


@given(parts=st.lists(st.sampled_from(["a", "b", "..", ".", "c d"]), min_size=1, max_size=6))
def test_whatever_inside_accepts_lies_inside(parts, tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    name = "/".join(parts)
    try:
        target = files.inside(root, name, what="path")
    except UnsafePathError:
        assert ".." in parts or set(parts) == {"."}  # climbing out, or naming the root itself
        return
    assert os.path.commonpath([root.resolve(), target.resolve()]) == str(root.resolve())


def test_a_symlink_inside_cannot_carry_a_name_out(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "root" / "lib")
    with pytest.raises(UnsafePathError, match="symlink"):
        files.inside(tmp_path / "root", "lib/evil.so", what="path")


def test_removal_unlinks_a_symlinked_folder_and_keeps_its_target(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "keep.txt").write_text("x")
    os.symlink(tmp_path / "target", tmp_path / "root" / "envs")
    assert files.remove_inside(tmp_path / "root", tmp_path / "root" / "envs", what="folder")
    assert (tmp_path / "target" / "keep.txt").read_text() == "x"
    with pytest.raises(UnsafePathError):
        files.remove_inside(tmp_path / "root", tmp_path / "root", what="folder")
    with pytest.raises(UnsafePathError):
        files.remove_inside(tmp_path / "root", tmp_path / "target", what="folder")


def test_write_keeps_bytes_and_modes(tmp_path):
    old = os.umask(0o022)
    try:
        path = files.write_atomic(tmp_path / "a.toml", "x = 1\r\n")
        assert path.read_bytes() == b"x = 1\r\n" and stat.S_IMODE(path.stat().st_mode) == 0o644
        assert stat.S_IMODE(files.write_atomic(tmp_path / "s.sh", "#!/bin/sh\n", executable=True).stat().st_mode) == 0o755
        path.chmod(0o600)
        files.write_atomic(path, b"y = 2\n", fsync=False)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b"y = 2\n"
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml", "s.sh"]


def test_a_full_disk_names_the_file_and_leaves_the_old_one(tmp_path):
    """Under a 1 kB file-size limit, a 4 kB write fails with an OSError that names the file; the
    old content stays and no temp file is left (run in a child: the limit is per process)."""
    target = tmp_path / "pixi.lock"
    target.write_text("old\n")
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\n"
        "from minipixi import files\n"
        "try:\n"
        f"    files.write_atomic({str(target)!r}, 'x' * 4096)\n"
        "except OSError as err:\n"
        "    print(err.filename)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == str(target)
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["pixi.lock"]


def test_a_name_longer_than_a_file_system_takes_is_refused_by_name():
    """A 300-character build string in a lock would end as 'File name too long' deep inside the
    installer; it is refused where it becomes a path, naming the field."""
    with pytest.raises(UnsafePathError, match="longer than a file name"):
        files.check_component("numpy-2.0-" + "b" * 300, what="package folder", where="pixi.lock")
    assert files.check_relative("a/" + "é" * 127, what="path")  # 254 bytes: fine
    with pytest.raises(UnsafePathError):
        files.check_relative("a/" + "é" * 128, what="path")


def test_a_staged_folder_replaces_its_target_only_when_the_build_finishes(tmp_path):
    target = tmp_path / "channel"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with files.staged_folder(target, prefix=".channel-") as staging:
            (staging / "half.txt").write_text("half")
            raise RuntimeError("the build failed half way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["channel"]
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    with files.staged_folder(target, prefix=".channel-") as staging:
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["channel"]
    assert [p.name for p in target.iterdir()] == ["new.txt"]
