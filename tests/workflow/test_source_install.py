"""A lock that pins a package built from source cannot be installed by minipixi: one clear error."""

from __future__ import annotations

import pytest

from minipixi.errors import LockError
from minipixi.manifest.machine import current_platform
from minipixi.app.project import open_project
from minipixi.app.sync import install_environment


def _project(tmp_path, platform):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pixi.toml").write_text(
        '[workspace]\nname = "tool"\nchannels = ["conda-forge"]\n'
        f'platforms = ["{platform}"]\n\n[dependencies]\nmy-tool = {{ path = "." }}\n')
    (root / "pixi.lock").write_text(
        "version: 6\nenvironments:\n  default:\n    channels:\n"
        "    - url: https://conda.anaconda.org/conda-forge/\n"
        f"    packages:\n      {platform}:\n      - conda: .\n"
        "packages:\n- conda: .\n  name: my-tool\n  version: 0.2.0\n  build: pyh4616a5c_0\n"
        "  subdir: noarch\n  input:\n    hash: " + "ab" * 32 + "\n    globs:\n    - pixi.toml\n")
    return root


def test_frozen_install_of_a_source_package_names_it_and_the_lock(tmp_path):
    root = _project(tmp_path, current_platform())
    with pytest.raises(LockError, match="source packages is not supported by minipixi") as info:
        install_environment(open_project(root / "pixi.toml"), mode="frozen")
    assert "my-tool" in str(info.value)
    assert str(info.value.where).endswith("pixi.lock")
    assert not (root / ".pixi" / "envs" / "default").exists()
