"""`minipixi lock` says what changed in pixi.lock, per environment and platform, as Pixi does."""

from __future__ import annotations

import pytest

from minipixi.cli import main
from sample_workspaces import EXAMPLE, write_manifest


@pytest.fixture
def workspace(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "example", EXAMPLE)
    monkeypatch.chdir(path.parent)
    return path.parent


def test_lock_prints_what_it_added_then_nothing_when_up_to_date(workspace, capsys):
    assert main(["lock"]) == 0
    err = capsys.readouterr().err
    assert "✔ Lock-file was updated\nEnvironment: default\n" in err
    assert any(line.startswith("  +  python ") for line in err.splitlines())
    lock_bytes = (workspace / "pixi.lock").read_bytes()
    assert main(["lock"]) == 0
    err = capsys.readouterr().err
    assert "already up-to-date" in err and "Environment:" not in err
    assert (workspace / "pixi.lock").read_bytes() == lock_bytes


def test_lock_after_a_new_dependency_lists_only_what_moved(workspace, capsys):
    assert main(["lock"]) == 0
    capsys.readouterr()
    manifest = workspace / "pixi.toml"
    manifest.write_text(manifest.read_text() + 'bat = "*"\n')
    assert main(["lock"]) == 0
    changes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("  ")]
    assert changes and all(line.startswith("  +  ") for line in changes)
    assert any(line.split()[1] == "bat" for line in changes)
    assert not any(line.split()[1] == "python" for line in changes)


RICH = """
[workspace]
channels = ["conda-forge"]
name = "rich"
platforms = ["osx-arm64", { name = "linux-64-cuda", platform = "linux-64", cuda = "12" }]

[dependencies]
python = ">=3.13.5,<3.14"
"""


def test_a_rich_platform_records_archspec_as_pixi_does(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "rich", RICH)
    monkeypatch.chdir(path.parent)
    assert main(["lock"]) == 0
    text = (path.parent / "pixi.lock").read_text()
    assert text.startswith("version: 7\nplatforms:\n")
    assert "  - __archspec=0=x86_64\n" in text and "__archspec=1=" not in text


def test_relocking_a_v7_lock_keeps_it_v7(workspace, capsys):
    from dataclasses import replace

    from minipixi.lock.read import read_lock
    from minipixi.lock.write import write_lock

    assert main(["lock"]) == 0
    lock_path = workspace / "pixi.lock"
    assert lock_path.read_text().startswith("version: 7\nplatforms:\n- name: linux-64\n  virtual-packages:\n")
    bare = read_lock(lock_path)  # a v7 lock whose plain platforms list no virtual packages
    write_lock(replace(bare, platforms=tuple(replace(p, virtual_packages=()) for p in bare.platforms)), lock_path)
    manifest = workspace / "pixi.toml"
    manifest.write_text(manifest.read_text() + 'bat = "*"\n')
    assert main(["lock"]) == 0
    text = lock_path.read_text()
    assert text.startswith("version: 7\nplatforms:\n") and "bat-" in text
    assert "  - __archspec=0=x86_64\n" in text  # re-locking gives plain platforms theirs again
