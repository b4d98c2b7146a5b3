"""What a learner reads on a laptop (issue 18's lesson fixes), from the CLI:

- `add` to a CUDA environment on a machine without a GPU: exit 0, pixi.toml and pixi.lock
  written, and a note that only the install was skipped, with why and how to install later;
- a server that cannot be reached: the hint offers --offline (the bundled mirror), without
  asking for a cache the mirror does not need;
- `info --json` reports the cache folder (Episode 4 asks it where the packages are).
"""

from __future__ import annotations

import json
import socket

import pytest

from minipixi.cli import main

CUDA_MANIFEST = """[workspace]
channels = ["conda-forge"]
name = "laptop"
platforms = ["linux-64", { name = "linux-64-cuda", platform = "linux-64", cuda = "12" }]

[feature.gpu]
platforms = ["linux-64-cuda"]

[environments]
gpu = ["gpu"]
"""


def test_gpu_less_add_keeps_manifest_and_lock_and_says_only_the_install_was_skipped(
        offline, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pixi.toml").write_text(CUDA_MANIFEST)
    assert main(["add", "--feature", "gpu", "pytorch-gpu"]) == 0
    err = capsys.readouterr().err
    assert "✔ Added pytorch-gpu" in err
    assert "✔ Updated pixi.toml and pixi.lock (environment 'gpu' is solved and locked)" in err
    assert "note: installing environment 'gpu' was skipped: this machine cannot run environment 'gpu'" in err
    assert "CONDA_OVERRIDE_CUDA=12" in err and "`minipixi install -e gpu`" in err
    assert "pytorch-gpu" in (tmp_path / "pixi.toml").read_text()
    assert "pytorch-gpu" in (tmp_path / "pixi.lock").read_text()
    assert not (tmp_path / ".pixi" / "envs" / "gpu" / "conda-meta").exists()


def test_an_unreachable_server_suggests_offline_mode_without_a_cache(tmp_path):
    from minipixi.http import DownloadError, fetch_bytes

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError) as info:
        fetch_bytes(f"http://127.0.0.1:{port}/conda-forge/noarch/repodata.json")
    assert "--offline" in info.value.hint and "with a cache" not in info.value.hint
    assert "needs no network and no cache" in info.value.hint


def test_info_json_reports_the_cache_dir(offline, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(tmp_path / "my-cache"))
    monkeypatch.chdir(tmp_path)
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["system"]["cache dir"] == str(tmp_path / "my-cache")
