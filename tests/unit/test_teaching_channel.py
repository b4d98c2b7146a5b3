"""The teaching channel: deterministic build, complete repodata, and packages that match it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from minipixi.config import teaching_channel_dir
from minipixi.teaching.mirror.build import RECIPE, build_channel, expand_recipe

SHIPPED = teaching_channel_dir()


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_rebuild_gives_the_same_bytes_as_the_shipped_channel(tmp_path):
    rebuilt = build_channel(RECIPE, tmp_path / "channel")
    assert tree_digest(rebuilt) == tree_digest(SHIPPED), "run `python -m minipixi.teaching.mirror.build` after editing the recipe"


@pytest.mark.parametrize("subdir", ["linux-64", "osx-arm64", "win-64", "noarch"])
def test_repodata_lists_every_file_with_its_hashes(subdir):
    folder = SHIPPED / subdir
    repodata = json.loads((folder / "repodata.json").read_text())
    assert repodata["info"]["subdir"] == subdir
    listed = repodata["packages.conda"]
    assert set(listed) == {p.name for p in folder.glob("*.conda")}
    for fn, record in listed.items():
        data = (folder / fn).read_bytes()
        assert record["sha256"] == hashlib.sha256(data).hexdigest()
        assert record["md5"] == hashlib.md5(data).hexdigest() and record["size"] == len(data)
        assert record["subdir"] == subdir
        assert fn == f"{record['name']}-{record['version']}-{record['build']}.conda"


def test_recipe_has_the_lesson_packages_and_traps():
    builds = expand_recipe(yaml.safe_load(RECIPE.read_text()))
    names = {(b.subdir, b.index["name"]) for b in builds}
    for name in ("python", "numpy", "jupyterlab", "notebook", "pre-commit", "bat", "pytorch", "pytorch-cpu", "torchvision", "cuda-version"):
        assert any(n == name for _, n in names), name
    assert ("win-64", "tree") not in names and ("linux-64", "tree") in names
    assert ("osx-arm64", "pytorch-gpu") not in names and ("linux-64", "pytorch-gpu") in names
    cuda_torch = [b for b in builds if b.index["name"] == "pytorch" and b.index["build"].startswith("cuda")]
    assert cuda_torch and all("__cuda" in b.index["depends"] for b in cuda_torch)
    assert all(b.index["build_number"] == 300 for b in cuda_torch)
    assert any(b.index.get("track_features") == "blas_mkl" for b in builds)
    assert all(b.index["build"].count("{") == 0 for b in builds)
