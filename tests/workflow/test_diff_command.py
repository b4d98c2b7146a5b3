"""`minipixi diff OLD [NEW]`: what changed between two locks, read from files or git revisions,
with direct and transitive packages told apart and a CPU -> CUDA build called out."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from minipixi.cli import main

MANIFEST = """[workspace]
name = "d"
channels = ["conda-forge"]
platforms = ["linux-64"]

[dependencies]
python = "3.12.*"
pytorch = "*"
"""


@pytest.fixture
def workspace(offline, tmp_path, monkeypatch):
    root = tmp_path / "d"
    root.mkdir()
    (root / "pixi.toml").write_text(MANIFEST)
    monkeypatch.chdir(root)
    assert main(["lock"]) == 0
    return root


def test_a_cpu_build_that_becomes_a_cuda_build_is_called_out(workspace, capsys):
    shutil.copy(workspace / "pixi.lock", workspace / "before.lock")
    assert main(["workspace", "system-requirements", "add", "cuda", "12"]) == 0
    (workspace / "pixi.lock").unlink()  # the CPU lock still satisfies the manifest: solve afresh
    assert main(["lock"]) == 0
    capsys.readouterr()
    assert main(["diff", "before.lock"]) == 0
    out = capsys.readouterr().out
    torch = next(line for line in out.splitlines() if " pytorch " in line)
    assert "build changed" in torch and "CPU -> CUDA build" in torch and "direct" in torch
    assert "transitive" in out  # the CUDA libraries it brings
    assert main(["diff", "before.lock", "pixi.lock", "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)["default"]["linux-64"]
    torch = next(c for c in changes if c["name"] == "pytorch")
    assert torch["gpu_change"] == "cpu -> cuda" and torch["direct"] is True
    assert torch["before"]["needs_cuda"] is False and torch["after"]["needs_cuda"] is True
    assert {c["kind"] for c in changes if c["name"].startswith("cuda")} == {"added"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_against_a_git_revision(workspace, capsys):
    def git(*words):
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *words], cwd=workspace,
                       check=True, capture_output=True)

    git("init", "-q", ".")
    git("add", "pixi.toml", "pixi.lock")
    git("commit", "-q", "-m", "first")
    assert main(["diff"]) == 0
    assert capsys.readouterr().out.strip() == "No changes."
    assert main(["add", "bat"]) == 0
    capsys.readouterr()
    assert main(["diff", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert "+  bat" in out and "(direct)" in out
    assert main(["diff", "no-such-revision"]) == 1
    assert "neither a lock file nor a git revision" in capsys.readouterr().err
    assert main(["diff", "--", "-rf"]) == 1
