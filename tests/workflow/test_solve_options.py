"""solve-strategy and exclude-newer in a manifest are honoured by `lock` (no longer refused),
recorded in pixi.lock as Pixi records them, and the lock they make is up to date."""

from __future__ import annotations

from minipixi.lock.read import read_lock
from minipixi.app.project import open_project
from minipixi.app.relock import check_lock, update_lock
from sample_workspaces import write_manifest

MANIFEST = """
[workspace]
channels = ["conda-forge"]
name = "options"
platforms = ["linux-64"]
{extra}

[dependencies]
numpy = ">=1.26"
"""


def _lock(tmp_path, extra):
    manifest = write_manifest(tmp_path / "ws", MANIFEST.format(extra=extra))
    update_lock(open_project(manifest, offline=True))
    lock = read_lock(manifest.parent / "pixi.lock")
    return manifest, lock, {p.name: p.version for p in lock.environments["default"].packages["linux-64"]}


def test_lowest_strategy_picks_the_lowest_versions_and_is_recorded(offline, tmp_path):
    manifest, lock, versions = _lock(tmp_path, 'solve-strategy = "lowest"')
    assert versions["numpy"] == "1.26.4" and versions["python"] == "3.12.11"
    assert lock.environments["default"].options["strategy"] == "lowest-version"
    assert check_lock(open_project(manifest, offline=True)) == []
    # Changing the strategy makes the lock stale, and relocking moves to the highest versions.
    manifest.write_text(manifest.read_text().replace('solve-strategy = "lowest"\n', ""))
    assert "solve-strategy" in check_lock(open_project(manifest, offline=True))[0]
    update_lock(open_project(manifest, offline=True))
    relocked = read_lock(manifest.parent / "pixi.lock").environments["default"]
    assert "strategy" not in relocked.options
    assert {p.name: p.version for p in relocked.packages["linux-64"]}["numpy"] == "2.3.0"


def test_lowest_direct_only_lowers_what_the_manifest_asks_for(offline, tmp_path):
    _, lock, versions = _lock(tmp_path, 'solve-strategy = "lowest-direct"')
    assert versions["numpy"] == "1.26.4"
    assert lock.environments["default"].options["strategy"] == "lowest-version-direct"


def test_exclude_newer_duration_is_recorded_and_fresh(offline, tmp_path):
    manifest, lock, versions = _lock(tmp_path, 'exclude-newer = "1d"')
    assert versions["numpy"] == "2.3.0"  # the teaching channel is older than a day
    assert lock.environments["default"].options["exclude-newer"].endswith("Z")
    assert check_lock(open_project(manifest, offline=True)) == []


def test_flexible_channel_priority_is_solved_and_recorded(offline, tmp_path):
    manifest, lock, versions = _lock(tmp_path, 'channel-priority = "flexible"')
    assert versions["numpy"] == "2.3.0"
    assert lock.environments["default"].options["channel-priority"] == "flexible"
    assert check_lock(open_project(manifest, offline=True)) == []
