"""Property tests for lock files: writing is deterministic and reading inverts it.

The promise behind "small diffs": the same lock content always gives the same bytes, and a
lock read back from its own bytes is the same lock (so a no-op `minipixi lock` rewrites
nothing). Random LockFiles come from tests/strategies_lock.py.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from minipixi.lock.model import LockFile
from minipixi.lock.read import parse_lock
from minipixi.lock.write import render_lock
from minipixi.lock.yaml_dialect import parse_yaml, render_scalar, render_yaml
from strategies_lock import _identity, lock_files

# Drawing a whole lock file costs hundreds of choices: fewer, richer examples.
lock_settings = settings(max_examples=max(30, settings.default.max_examples // 2))


def canonical(lock: LockFile) -> LockFile:
    """The same lock with each platform's packages in location order (order is not content)."""
    envs = {
        name: replace(env, packages={p: tuple(sorted(pkgs, key=lambda x: repr(_identity(x))))
                                     for p, pkgs in env.packages.items()})
        for name, env in lock.environments.items()
    }
    return replace(lock, environments=envs, platforms=tuple(sorted(lock.platforms, key=lambda p: p.name)))


@lock_settings
@given(lock_files())
def test_write_read_write_gives_the_same_bytes(lock):
    text = render_lock(lock)
    assert render_lock(parse_lock(text)) == text


@lock_settings
@given(lock_files())
def test_reading_inverts_writing(lock):
    assert canonical(parse_lock(render_lock(lock))) == canonical(lock)


@lock_settings
@given(lock_files(), st.randoms())
def test_package_order_does_not_change_the_bytes(lock, rng):
    shuffled = {}
    for name, env in lock.environments.items():
        packages = {}
        for platform, pkgs in env.packages.items():
            pkgs = list(pkgs)
            rng.shuffle(pkgs)
            packages[platform] = tuple(pkgs)
        shuffled[name] = replace(env, packages=packages)
    assert render_lock(replace(lock, environments=shuffled)) == render_lock(lock)


@lock_settings
@given(lock_files(fidelity=True))
def test_what_only_older_locks_hold_survives_a_rewrite(lock):
    """Timestamps in seconds, noarch: false, source packages sharing one path (v6)."""
    text = render_lock(lock)
    again = parse_lock(text)
    assert render_lock(again) == text
    assert canonical(again) == canonical(lock)


@lock_settings
@given(lock_files(rich=True))
def test_rich_platforms_give_version_7(lock):
    assert lock.version == 7
    assert render_lock(lock).startswith("version: 7\nplatforms:\n- name: osx-arm64\n")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_any_string_survives_the_yaml_dialect(text):
    assert parse_yaml(f"key: {render_scalar(text)}\n").data == {"key": text}
    document = {"a": {"k": text, "l": [text, "x"]}, "b": text}
    assert parse_yaml(render_yaml(document)).data == document
