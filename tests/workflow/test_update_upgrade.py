"""`update` and `upgrade` on the teaching channel: the lock moves only where asked, `upgrade`
pins like `add`, a dry run changes no file, and --json has Pixi's shape."""

from __future__ import annotations

import json

from minipixi.lock.read import read_lock
from minipixi.app.update import update, upgrade
from minipixi.app.project import open_project
from minipixi.app.relock import update_lock
from sample_workspaces import write_manifest

PINNED = """
[workspace]
channels = ["conda-forge"]
name = "moving-on"
platforms = ["linux-64"]

[dependencies]
numpy = "==1.26.4"
cuda-version = "==12.6"
"""


def _locked(path, name):
    lock = read_lock(path.parent / "pixi.lock")
    return {p.name: p.version for p in lock.environments["default"].packages["linux-64"]}.get(name)


def _loosened(tmp_path):
    """A lock made under tight pins, then a manifest whose ranges allow newer versions."""
    manifest = write_manifest(tmp_path / "ws", PINNED)
    update_lock(open_project(manifest, offline=True))
    text = manifest.read_text().replace('"==1.26.4"', '">=1.26,<3"').replace('"==12.6"', '"*"')
    manifest.write_text(text)
    return manifest


def test_update_moves_only_the_named_package(offline, tmp_path):
    manifest = _loosened(tmp_path)
    assert update_lock(open_project(manifest, offline=True)).changed is False  # still fits
    result = update(open_project(manifest, offline=True), ["cuda-version"])
    assert _locked(manifest, "cuda-version") == "13.0"
    assert _locked(manifest, "numpy") == "1.26.4"  # kept: not named
    assert [(env, platform, c.name, c.kind) for env, platform, c in result.changes] == [
        ("default", "linux-64", "cuda-version", "upgraded")]
    change = result.changes[0][2]
    assert change.before.version == "12.6" and change.after.version == "13.0"


def test_update_without_names_frees_everything(offline, tmp_path):
    manifest = _loosened(tmp_path)
    update(open_project(manifest, offline=True))
    assert _locked(manifest, "cuda-version") == "13.0"
    assert _locked(manifest, "numpy") == "2.3.0"


def test_update_dry_run_changes_no_file_and_json_shape(offline, tmp_path):
    manifest = _loosened(tmp_path)
    before = (manifest.read_bytes(), (manifest.parent / "pixi.lock").read_bytes())
    result = update(open_project(manifest, offline=True), ["numpy"], dry_run=True)
    assert (manifest.read_bytes(), (manifest.parent / "pixi.lock").read_bytes()) == before
    data = json.loads(json.dumps(result.to_json()))
    assert data["version"] == 1 and data["dry_run"] is True
    numpy = [c for c in data["environment"]["default"]["linux-64"] if c["name"] == "numpy"]
    assert numpy and numpy[0]["kind"] == "upgraded" and numpy[0]["type"] == "conda"
    assert numpy[0]["before"].startswith("1.26.4") and numpy[0]["after"].split()[0] != "1.26.4"


def test_update_refuses_an_unknown_package(offline, tmp_path):
    import pytest

    from minipixi.errors import MinipixiError

    manifest = _loosened(tmp_path)
    with pytest.raises(MinipixiError, match="nonesuch"):
        update(open_project(manifest, offline=True), ["nonesuch"])


def test_upgrade_raises_the_pin_like_add(offline, tmp_path):
    manifest = write_manifest(tmp_path / "ws", PINNED)
    update_lock(open_project(manifest, offline=True))
    result = upgrade(open_project(manifest, offline=True), ["cuda-version"])
    text = manifest.read_text()
    assert 'cuda-version = ">=13.0,<14"' in text
    assert 'numpy = "==1.26.4"' in text  # not named: untouched
    assert _locked(manifest, "cuda-version") == "13.0" and _locked(manifest, "numpy") == "1.26.4"
    assert result.manifest_edits == ["cuda-version >=13.0,<14"]


def test_upgrade_dry_run_changes_no_file(offline, tmp_path):
    manifest = write_manifest(tmp_path / "ws", PINNED)
    update_lock(open_project(manifest, offline=True))
    before = (manifest.read_bytes(), (manifest.parent / "pixi.lock").read_bytes())
    result = upgrade(open_project(manifest, offline=True), dry_run=True)
    assert (manifest.read_bytes(), (manifest.parent / "pixi.lock").read_bytes()) == before
    assert {c.name for _, _, c in result.changes} >= {"numpy", "cuda-version"}


def test_install_locked_names_the_first_reason(offline, tmp_path):
    import pytest

    from minipixi.errors import LockError
    from minipixi.app.policy import records_for

    manifest = write_manifest(tmp_path / "ws", PINNED)
    update_lock(open_project(manifest, offline=True))
    manifest.write_text(manifest.read_text().replace('"==12.6"', '"==13.0"'))
    with pytest.raises(LockError) as caught:
        records_for(open_project(manifest, offline=True), "default", mode="locked")
    assert "locked cuda-version 12.6" in caught.value.message and "--locked" in caught.value.message


def test_cli_update_and_upgrade(offline, tmp_path, capsys, monkeypatch):
    from minipixi.cli import main

    manifest = _loosened(tmp_path)
    monkeypatch.chdir(manifest.parent)
    assert main(["update", "cuda-version", "--dry-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in data["environment"]["default"]["linux-64"]] == ["cuda-version"]
    assert main(["update", "-p", "linux-64", "numpy"]) == 0
    out = capsys.readouterr().out
    assert "Environment: default" in out and "numpy" in out and "1.26.4" in out and "(upgraded)" in out
    assert main(["upgrade", "--dry-run", "cuda-version"]) == 0
    assert "Would pin cuda-version >=13.0,<14" in capsys.readouterr().err
    assert main(["update", "-p", "osx-arm64"]) == 1  # not a platform of this workspace


def test_upgrade_exclude_and_update_by_subdir(offline, tmp_path, capsys, monkeypatch):
    from minipixi.cli import main

    manifest = write_manifest(tmp_path / "ws", PINNED)
    update_lock(open_project(manifest, offline=True))
    monkeypatch.chdir(manifest.parent)
    assert main(["upgrade", "--exclude", "numpy", "--no-install"]) == 0
    text = manifest.read_text()
    assert 'numpy = "==1.26.4"' in text and 'cuda-version = ">=13.0,<14"' in text
    manifest.write_text(text.replace('"==1.26.4"', '">=1.26,<3"'))
    capsys.readouterr()
    assert main(["update", "-p", "linux-64", "--json", "numpy"]) == 0  # -p takes an entry name or a subdir
    data = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in data["environment"]["default"]["linux-64"]] == ["numpy"]


def test_upgrade_keeps_the_channel_and_a_wildcard_build_of_a_table_spec(offline, tmp_path):
    manifest = write_manifest(tmp_path / "ws", PINNED.replace(
        'numpy = "==1.26.4"', 'numpy = { version = "==1.26.4", build = "py312*", channel = "conda-forge" }'))
    update_lock(open_project(manifest, offline=True))
    result = upgrade(open_project(manifest, offline=True), ["numpy"])
    assert 'numpy = { version = ">=2.3.0,<3", build = "py312*", channel = "conda-forge" }' in manifest.read_text()
    assert result.manifest_edits == ["numpy >=2.3.0,<3"]
