"""pixi.lock as Pixi reads and writes it, on small hand-checked locks (no corpus needed).

Each case is one rule of rattler_lock's reader or writer that real locks showed we broke:
older versions upgraded in memory, v7 source packages, PyPI packages without a version,
several records at one location, second-precision timestamps, ``noarch: false``, and the
order of entries. Then the change list that `lock`/`update`/`add` print (`lock_diff`).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from minipixi.lock.model import CondaPackage, PypiPackage, with_packages
from minipixi.lock.read import parse_lock
from minipixi.lock.write import render_lock
from minipixi.lock.diff import diff_locks, render_diff

CF = "https://conda.anaconda.org/conda-forge"
ZLIB = f"{CF}/linux-64/zlib-1.3.1-hb9d3cd8_2.conda"
ZLIB_NEW = f"{CF}/linux-64/zlib-1.3.2-hb9d3cd8_0.conda"
TZDATA = f"{CF}/noarch/tzdata-2024b-hc8b5060_0.conda"
WHEEL = "https://files.pythonhosted.org/packages/aa/six-1.17.0-py2.py3-none-any.whl"


# ---- reading older versions -----------------------------------------------------------------

V5 = f"""\
version: 5
environments:
  default:
    channels:
    - url: {CF}/
    packages:
      linux-64:
      - conda: {TZDATA}
      osx-64:
      - conda: {TZDATA}
      - pypi: {WHEEL}
packages:
- kind: conda
  name: tzdata
  version: 2024b
  build: hc8b5060_0
  subdir: linux-64
  url: {TZDATA}
  sha256: 4fc6e9d2b5d5a5e1cde21b3ee4a1ff4fb4d6f0f5b1e1f8e8b0b5a1e2c1b7f3a9
  size: 124164
  timestamp: 1728113300
- kind: conda
  name: tzdata
  version: 2024b
  build: hc8b5060_0
  subdir: osx-64
  url: {TZDATA}
  noarch: generic
  size: 124164
- kind: pypi
  name: six
  version: 1.17.0
  url: {WHEEL}
  sha256: 4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274
  requires_python: '>=2.7'
"""


def test_v5_is_read_as_v6_with_the_record_of_each_platform():
    lock = parse_lock(V5)
    assert lock.version == 6  # upgraded in memory, as Pixi does
    env = lock.environments["default"]
    linux, = env.conda_packages("linux-64")
    osx, = env.conda_packages("osx-64")
    assert (linux.record.subdir, osx.record.subdir) == ("linux-64", "osx-64")
    # v5 left out what was not so: no `noarch` meant not noarch, not "what noarch/ implies"
    assert (linux.record.noarch, osx.record.noarch) == (None, "generic")
    assert linux.record.timestamp == 1728113300 * 1000 and linux.timestamp_in_seconds
    six, = env.pypi_packages("osx-64")
    assert (six.name, six.version, six.requires_python) == ("six", "1.17.0", ">=2.7")
    assert parse_lock(render_lock(lock)).environments == lock.environments


def test_a_version_before_4_is_refused_by_name():
    from minipixi.errors import LockError

    with pytest.raises(LockError, match="version 3 is not supported.*4 to 7"):
        parse_lock("version: 3\nenvironments: {}\npackages: []\n")


# ---- v6: several records at one location, ordering, fields -----------------------------------

SHARED_PATH_V6 = f"""\
version: 6
environments:
  default:
    channels:
    - url: {CF}/
    packages:
      linux-64:
      - conda: {ZLIB}
      - conda: .
        subdir: linux-64
      - pypi: git+https://github.com/o/sniffio.git#ae02
      - pypi: https://example.com/b/Zed-1.0-py3-none-any.whl
      - pypi: ./
      win-64:
      - conda: .
        subdir: win-64
packages:
- conda: .
  name: geodepot
  version: 1.0.0
  build: hbf21a9e_0
  subdir: linux-64
  depends:
  - zlib
  input:
    hash: 6c1d
    globs:
    - pyproject.toml
- conda: .
  name: geodepot
  version: 1.0.0
  build: hbf21a9e_0
  subdir: win-64
  input:
    hash: 6c1d
    globs:
    - pyproject.toml
- pypi: ./
  name: mine
  version: 0.1.0
  editable: true
- pypi: git+https://github.com/o/sniffio.git#ae02
  name: sniffio
  version: 1.3.1
- pypi: https://example.com/b/Zed-1.0-py3-none-any.whl
  name: zed
  version: '1.0'
- conda: {ZLIB}
  sha256: 4fc6e9d2b5d5a5e1cde21b3ee4a1ff4fb4d6f0f5b1e1f8e8b0b5a1e2c1b7f3a9
  md5: 5aed4fc2e3a7b1d6e2c2f4a0b1c9d8e7
  license: Zlib
  size: 92286
  timestamp: 1727963148
"""


def test_several_records_at_one_location_are_told_apart_and_rewritten_byte_for_byte():
    lock = parse_lock(SHARED_PATH_V6)
    env = lock.environments["default"]
    linux = next(p for p in env.conda_packages("linux-64") if p.location == ".")
    win, = env.conda_packages("win-64")
    assert (linux.record.subdir, win.record.subdir) == ("linux-64", "win-64")
    assert linux.record.depends == ("zlib",) and win.record.depends == ()
    # v6 entries: URLs (by file name: sniffio.git before zed-1.0-...whl) before paths; PyPI
    # after conda; packages by name (PyPI first on a tie); `subdir:` tells the
    # two records at "." apart; the timestamp in seconds stays in seconds
    assert render_lock(lock) == SHARED_PATH_V6


def test_a_new_record_at_a_shared_location_gets_the_field_that_tells_it_apart():
    lock = parse_lock(SHARED_PATH_V6)
    env = lock.environments["default"]
    win, = env.conda_packages("win-64")
    newer = replace(win, record=replace(win.record, version="1.1.0"))
    text = render_lock(replace(lock, environments={"default": with_packages(env, "win-64", [newer])}))
    assert "      win-64:\n      - conda: .\n        version: 1.1.0\n" in text
    assert text.count("- conda: .\n  name: geodepot\n") == 2


def test_same_name_pypi_packages_are_ordered_by_version_not_by_url():
    def pypi(url: str, version: str) -> PypiPackage:
        return PypiPackage(url, "tensorflow-io", version)

    lock = parse_lock(SHARED_PATH_V6)
    env = lock.environments["default"]
    old = pypi("https://files.example/zz/tensorflow_io-0.31.0-cp311-win_amd64.whl", "0.31.0")
    new = pypi("https://files.example/aa/tensorflow_io-0.37.1-cp311-macosx.whl", "0.37.1")
    text = render_lock(replace(lock, environments={"default": with_packages(env, "win-64", [new, old])}))
    assert text.index("- pypi: https://files.example/zz/") < text.index("- pypi: https://files.example/aa/")


def test_a_timestamp_in_milliseconds_stays_in_milliseconds():
    lock = parse_lock(SHARED_PATH_V6.replace("timestamp: 1727963148", "timestamp: 1727963148123"))
    zlib = next(p for p in lock.environments["default"].conda_packages("linux-64") if p.location == ZLIB)
    assert zlib.record.timestamp == 1727963148123 and not zlib.timestamp_in_seconds
    assert "timestamp: 1727963148123\n" in render_lock(lock)


def test_not_noarch_in_noarch_folder_is_written_false_not_null():
    noarch_url = f"{CF}/noarch/odd-1.0-h0_0.conda"
    text = SHARED_PATH_V6.replace(ZLIB, noarch_url).replace("  license: Zlib",
                                                            "  noarch: false\n  license: Zlib")
    lock = parse_lock(text)
    odd = next(p for p in lock.environments["default"].conda_packages("linux-64")
               if p.location == noarch_url)
    assert odd.record.noarch is None  # `false`, not "generic" as noarch/ alone would say
    rendered = render_lock(lock)
    assert f"- conda: {noarch_url}\n  noarch: false\n" in rendered
    assert render_lock(parse_lock(rendered)) == rendered


# ---- v7: source packages, PyPI without version, build-only packages --------------------------

SOURCE_V7 = f"""\
version: 7
platforms:
- name: linux-64
environments:
  default:
    channels:
    - url: {CF}/
    packages:
      linux-64:
      - conda_source: cpp_math[3a644c82] @ .
      - pypi: ./dynamic-dep
packages:
- conda: {ZLIB}
  sha256: 4fc6e9d2b5d5a5e1cde21b3ee4a1ff4fb4d6f0f5b1e1f8e8b0b5a1e2c1b7f3a9
  size: 92286
  timestamp: 1727963148123
- conda_source: cpp_math[3a644c82] @ .
  variants:
    target_platform: linux-64
  depends:
  - libstdcxx >=15
  build_packages:
  - conda: {ZLIB}
- pypi: ./dynamic-dep
  name: dynamic-dep
  requires_dist:
  - six
"""


def test_v7_partial_source_package_and_versionless_pypi_package_round_trip():
    lock = parse_lock(SOURCE_V7)
    env = lock.environments["default"]
    source, = env.conda_packages("linux-64")
    assert (source.kind, source.name, source.version, source.record.subdir) == \
        ("conda_source", "cpp_math", "", "linux-64")
    dep, = env.pypi_packages("linux-64")
    assert (dep.name, dep.version) == ("dynamic-dep", "")
    # zlib is only a build package of the source package: kept, not dropped
    assert [p.location for p in lock.build_only] == [ZLIB]
    assert render_lock(lock) == SOURCE_V7


# ---- what changed: lock_diff ----------------------------------------------------------------

TWO_PLATFORMS = f"""\
version: 6
environments:
  default:
    channels:
    - url: {CF}/
    packages:
      linux-64:
      - conda: {ZLIB}
      - conda: {TZDATA}
      osx-64:
      - conda: {TZDATA}
packages:
- conda: {TZDATA}
- conda: {ZLIB}
"""


def _with(lock, platform: str, packages):
    env = lock.environments["default"]
    return replace(lock, environments={"default": with_packages(env, platform, packages)})


def _conda(url: str) -> CondaPackage:
    return next(p for env in parse_lock(TWO_PLATFORMS.replace(ZLIB, url)).environments.values()
                for p in env.conda_packages("linux-64") if p.location == url)


def test_diff_names_added_removed_upgraded_downgraded_and_build_changes():
    before = parse_lock(TWO_PLATFORMS)
    tz = before.environments["default"].conda_packages("osx-64")[0]
    zlib_new = _conda(ZLIB_NEW)
    rebuilt = _conda(f"{CF}/linux-64/zlib-1.3.1-hb9d3cd8_3.conda")
    after = _with(before, "linux-64", [zlib_new])  # tzdata removed, zlib upgraded
    after = _with(after, "osx-64", [tz, rebuilt])  # zlib added
    diff = diff_locks(before, after)
    kinds = {(platform, c.name): c.kind for _, platform, c in diff.changes()}
    assert kinds == {("linux-64", "tzdata"): "removed", ("linux-64", "zlib"): "upgraded",
                     ("osx-64", "zlib"): "added"}
    assert {c.kind for _, _, c in diff_locks(after, before).changes()} == \
        {"added", "downgraded", "removed"}
    back = _with(before, "linux-64", [rebuilt, tz])
    assert [c.kind for _, _, c in diff_locks(before, back).changes()] == ["build changed"]
    assert diff_locks(before, before).is_empty() and render_diff(diff_locks(before, before)) == ""


def test_diff_of_a_new_lock_and_of_a_removed_environment():
    lock = parse_lock(TWO_PLATFORMS)
    added = diff_locks(None, lock)
    assert sorted((p, c.name, c.kind) for _, p, c in added.changes()) == [
        ("linux-64", "tzdata", "added"), ("linux-64", "zlib", "added"), ("osx-64", "tzdata", "added")]
    gone = diff_locks(lock, replace(lock, environments={}))
    assert {c.kind for _, _, c in gone.changes()} == {"removed"}


def test_rendered_diff_lists_shared_changes_once_then_per_platform():
    before = parse_lock(TWO_PLATFORMS)
    tz = before.environments["default"].conda_packages("osx-64")[0]
    after = _with(_with(before, "linux-64", [_conda(ZLIB_NEW)]), "osx-64", [])
    text = render_diff(diff_locks(before, after))
    assert text.splitlines() == [
        "Environment: default",
        f"  -  tzdata  {tz.version} {tz.build}",
        "Platform: default:linux-64",
        "  ~  zlib  1.3.1 hb9d3cd8_2  ->  1.3.2 hb9d3cd8_0  (upgraded)",
    ]


def test_a_lock_that_replaces_a_v7_lock_stays_v7():
    from minipixi.lock.model import LockPlatform, make_lock_file

    env = parse_lock(TWO_PLATFORMS).environments
    plain = [LockPlatform("linux-64", "linux-64"), LockPlatform("osx-64", "osx-64")]
    assert make_lock_file(env, plain).version == 6
    assert make_lock_file(env, plain, replaces=7).version == 7
    assert make_lock_file(env, plain, replaces=5).version == 6
    text = render_lock(make_lock_file(env, plain, replaces=7))
    assert text.startswith("version: 7\nplatforms:\n- name: linux-64\n- name: osx-64\n")
