"""Pixi's up-to-date rules on a teaching-channel workspace: each edit makes the lock stale for
the reason Pixi gives, and an untouched lock stays fresh."""

from __future__ import annotations

from minipixi.app.project import open_project
from minipixi.app.relock import check_lock, update_lock
from sample_workspaces import write_manifest

BASE = """
[workspace]
channels = ["conda-forge"]
name = "rules"
platforms = ["linux-64"]

[dependencies]
cuda-version = "==12.6"
"""


def _reasons(tmp_path, manifest_edit=None, lock_edit=None):
    manifest = write_manifest(tmp_path / "ws", BASE)
    update_lock(open_project(manifest, offline=True))
    assert check_lock(open_project(manifest, offline=True)) == []
    lock = manifest.parent / "pixi.lock"
    if manifest_edit:
        manifest.write_text(manifest_edit(manifest.read_text()))
    if lock_edit:
        lock.write_text(lock_edit(lock.read_text()))
    return check_lock(open_project(manifest, offline=True))


def test_solve_strategy_recorded_in_the_lock_is_compared(offline, tmp_path):
    reasons = _reasons(tmp_path, lock_edit=lambda t: t.replace(
        "    packages:\n", "    options:\n      strategy: lowest-version\n    packages:\n", 1))
    assert reasons and "solve-strategy lowest-version" in reasons[0]


def test_removed_environment_and_extra_platform_are_stale(offline, tmp_path):
    def two_envs(text):
        head, _, rest = text.partition("environments:\n")
        block = rest.split("packages:\n- ", 1)[0]
        return head + "environments:\n" + block + block.replace("  default:", "  gone:", 1) + "packages:\n- " + rest.split("packages:\n- ", 1)[1]
    reasons = _reasons(tmp_path, lock_edit=two_envs)
    assert any("'gone' is in the lock file but no longer exists" in r for r in reasons)
    reasons = _reasons(tmp_path / "b", lock_edit=lambda t: t.replace("platforms:\n", "platforms:\n- name: osx-arm64\n", 1)
                       .replace("      linux-64:\n", "      osx-arm64: []\n      linux-64:\n", 1)
                       .replace("osx-arm64: []", "osx-arm64:\n      - conda: https://conda.anaconda.org/conda-forge/noarch/cuda-version-12.6-h7480c83_3.conda", 1))
    assert reasons and "osx-arm64" in reasons[0]


def test_exclude_newer_against_locked_timestamps(offline, tmp_path):
    reasons = _reasons(tmp_path, manifest_edit=lambda t: t.replace(
        'name = "rules"', 'name = "rules"\nexclude-newer = "2001-01-01"'))
    assert reasons and "exclude-newer cut-off 2001-01-01" in reasons[0]


def test_an_appended_channel_is_a_change(offline, tmp_path):
    reasons = _reasons(tmp_path, manifest_edit=lambda t: t.replace(
        'channels = ["conda-forge"]', 'channels = ["conda-forge", "bioconda"]'))
    assert reasons and "extended" in reasons[0]


def test_parse_cutoff_forms():
    import datetime

    from minipixi.lock.satisfiability import parse_cutoff

    utc = datetime.timezone.utc
    assert parse_cutoff("2025-11-03") == datetime.datetime(2025, 11, 3, tzinfo=utc)
    assert parse_cutoff("2023-10-01T00:00:00Z") == datetime.datetime(2023, 10, 1, tzinfo=utc)
    now = datetime.datetime(2026, 1, 8, tzinfo=utc)
    assert parse_cutoff("7d", now=now) == datetime.datetime(2026, 1, 1, tzinfo=utc)
    assert parse_cutoff("1h 30m", now=now) == now - datetime.timedelta(minutes=90)
    assert parse_cutoff("yesterday") is None and parse_cutoff("2020-13-45") is None


def test_a_conditional_dependency_counts_where_its_condition_holds(offline, tmp_path):
    manifest = write_manifest(tmp_path / "ws", BASE.replace(
        'platforms = ["linux-64"]', 'platforms = [{ name = "gpu", platform = "linux-64", cuda = "12" }]'))
    update_lock(open_project(manifest, offline=True))
    text = manifest.read_text()
    manifest.write_text(text.replace('cuda-version = "==12.6"', 'cuda-version = { version = "==12.6", when = "__cuda>=12" }'))
    assert check_lock(open_project(manifest, offline=True)) == []  # holds on gpu: required, locked
    manifest.write_text(text.replace('cuda-version = "==12.6"', 'cuda-version = { version = "==12.6", when = "__cuda>=13" }'))
    reasons = check_lock(open_project(manifest, offline=True))
    assert reasons and "cuda-version" in reasons[0] and "than the environment uses" in reasons[0]
