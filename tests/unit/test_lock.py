"""Unit tests for the lock modules (minipixi.lock: model, locations, read, write, yaml_dialect): no corpus,
no py-rattler needed."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from minipixi.errors import LockError
from minipixi.lock.model import (
    CondaPackage,
    LockChannel,
    LockedEnvironment,
    LockFile,
    LockPlatform,
    PypiPackage,
    choose_lock_version,
    make_lock_file,
    name_lock_platforms,
    with_packages,
)
from minipixi.lock.locations import derive_build_number, derive_fields, derive_noarch
from minipixi.lock.read import parse_lock, read_lock
from minipixi.lock.write import render_lock, write_lock
from minipixi.lock.satisfiability import normalize_channel
from minipixi.lock.yaml_dialect import parse_yaml, render_scalar, render_yaml
from minipixi.records import PackageRecord

CF = "https://conda.anaconda.org/conda-forge"
PYTHON_URL = f"{CF}/linux-64/python-3.13.0-h9ebbce0_101_cp313.conda"
TZDATA_URL = f"{CF}/noarch/tzdata-2024b-hc8b5060_0.conda"
SIX_URL = "https://files.pythonhosted.org/packages/aa/bb/six-1.17.0-py2.py3-none-any.whl"

SMALL_LOCK = f"""\
version: 6
environments:
  default:
    channels:
    - url: {CF}/
    indexes:
    - https://pypi.org/simple
    packages:
      linux-64:
      - conda: {PYTHON_URL}
      - conda: {TZDATA_URL}
      - pypi: {SIX_URL}
packages:
- conda: {PYTHON_URL}
  build_number: 101
  sha256: 742544a4cf9a10cf2c16d35d96fb696c27d58b9df0cc29fbef5629283aeca941
  md5: e972e146a1e0cfb1f26da42cb6f6648c
  depends:
  - tzdata
  license: Python-2.0
  size: 12806496
  timestamp: 1732735488999
- pypi: {SIX_URL}
  name: six
  version: 1.17.0
  sha256: 4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274
  requires_python: '>=2.7, !=3.0.*, !=3.1.*, !=3.2.*'
- conda: {TZDATA_URL}
  sha256: 4fde5c3008bf5d2db82f2b50204464314cc3c91c1d953652f7bd01d9e52aefdf
  md5: 8ac3367aafb1cc0a068483c580af8015
  license: LicenseRef-Public-Domain
  purls: []
  size: 122354
  timestamp: 1728047496079
"""


def record(name: str, version: str, build: str, subdir: str = "linux-64", **kw) -> PackageRecord:
    fn = f"{name}-{version}-{build}.conda"
    kw.setdefault("url", f"{CF}/{subdir}/{fn}")
    kw.setdefault("channel", f"{CF}/")
    kw.setdefault("build_number", derive_build_number(build) or 0)
    return PackageRecord(name=name, version=version, build=build, subdir=subdir, fn=fn, **kw)


def env_of(*records: PackageRecord, platform: str = "linux-64") -> LockedEnvironment:
    packages = tuple(CondaPackage.from_record(r) for r in records)
    return LockedEnvironment(channels=(LockChannel(f"{CF}/"),), packages={platform: packages})


# --- the YAML dialect -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("https://conda.anaconda.org/conda-forge/", "https://conda.anaconda.org/conda-forge/"),
        ("2.2.1", "2.2.1"),
        ("__osx >=11.0", "__osx >=11.0"),
        ("libzlib >=1.3.1,<2.0a0", "libzlib >=1.3.1,<2.0a0"),
        ("furo ; extra == 'docs'", "furo ; extra == 'docs'"),
        ("a#b", "a#b"),
        (">=3.10", "'>=3.10'"),
        ("1.10", "'1.10'"),
        ("2024", "'2024'"),
        ("0123", "'0123'"),
        ("true", "'true'"),
        ("null", "'null'"),
        ("~", "'~'"),
        ("", "''"),
        ("*", "'*'"),
        ("- x", "'- x'"),
        ("a: b", "'a: b'"),
        ("a #b", "'a #b'"),
        (" lead", "' lead'"),
        ("it's", "it's"),
        ("'quoted'", "'''quoted'''"),
        ("tab\there", '"tab\\there"'),
        ("two\nlines", '"two\\nlines"'),
    ],
)
def test_scalars_are_quoted_only_when_yaml_would_misread_them(text, expected):
    assert render_scalar(text) == expected
    assert parse_yaml(f"k: {expected}\n").data == {"k": text}


def test_non_string_scalars():
    assert [render_scalar(v) for v in (12, True, False, None)] == ["12", "true", "false", "null"]


def test_render_yaml_block_layout():
    doc = {"a": {"b": [{"c": "1", "d": ["x", "y"]}], "e": [], "f": {}}, "g": 7}
    assert render_yaml(doc) == (
        "a:\n"
        "  b:\n"
        "  - c: '1'\n"
        "    d:\n"
        "    - x\n"
        "    - y\n"
        "  e: []\n"
        "  f: {}\n"
        "g: 7\n"
    )


@pytest.mark.parametrize(
    "text, block",
    [("a\nb", "|-\n    a\n    b"), ("a\nb\n", "|\n    a\n    b"), ("a\n\n", "|+\n    a\n"),
     (" a\nb", "|2-\n     a\n    b"), ("a\n\nb", "|-\n    a\n\n    b")],
)
def test_multi_line_strings_are_literal_blocks(text, block):
    doc = render_yaml({"x": {"license": text}})
    assert doc == f"x:\n  license: {block}\n"
    assert parse_yaml(doc).data == {"x": {"license": text}}


def test_parse_yaml_keeps_strings_and_rejects_duplicates():
    parsed = parse_yaml("a: 1.10\nb: yes\nc: ~\nd:\n- 'x'\n")
    assert parsed.data == {"a": "1.10", "b": "yes", "c": None, "d": ["x"]}
    assert parsed.position_of(("d", 0)) == (5, 3)
    with pytest.raises(Exception, match="duplicate key 'a'"):
        parse_yaml("a: 1\na: 2\n")


# --- fields the URL already says ---------------------------------------------------------


def test_derive_fields_from_a_channel_url():
    derived = derive_fields(PYTHON_URL)
    assert (derived.name, derived.version, derived.build) == ("python", "3.13.0", "h9ebbce0_101_cp313")
    assert derived.subdir == "linux-64"
    assert derived.channel == CF
    assert derived.file_name == "python-3.13.0-h9ebbce0_101_cp313.conda"


def test_derive_fields_from_a_relative_path_and_a_non_archive():
    derived = derive_fields("../local/linux-64/foo-1.0-h0_0.tar.bz2")
    assert (derived.name, derived.version, derived.subdir, derived.channel) == ("foo", "1.0", None, None)
    assert derive_fields("../minimal-project") == derive_fields("")


@pytest.mark.parametrize(
    "build, number",
    [("2", 2), ("1.2.3", 3), ("py313hb6a6212_1", 1), ("foobar", None), ("123_", None),
     ("pyhd8ed1ab_100", 100), ("h9ebbce0_101_cp313", 313)],
)
def test_derive_build_number(build, number):
    assert derive_build_number(build) == number


def test_derive_noarch():
    assert derive_noarch("noarch", "pyhd8ed1ab_0") == "python"
    assert derive_noarch("noarch", "hc8b5060_0") == "generic"
    assert derive_noarch("win-64", "py_0") is None


# --- reading and writing -----------------------------------------------------------------


def test_small_lock_reads_and_rewrites_to_the_same_bytes():
    lock = parse_lock(SMALL_LOCK)
    assert lock.version == 6
    assert lock.platforms == (LockPlatform("linux-64", "linux-64"),)
    env = lock.environments["default"]
    assert env.indexes == ("https://pypi.org/simple",)
    python, tzdata = env.conda_packages("linux-64")
    assert (python.name, python.version, python.build) == ("python", "3.13.0", "h9ebbce0_101_cp313")
    assert python.record.build_number == 101  # written, because the build string ends in 313
    assert python.record.channel == f"{CF}/" and python.record.fn.endswith(".conda")
    assert tzdata.record.noarch == "generic" and tzdata.record.build_number == 0
    assert tzdata.purls == () and python.purls is None
    (six,) = env.pypi_packages("linux-64")
    assert (six.name, six.version, six.requires_python) == ("six", "1.17.0", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*")
    assert render_lock(lock) == SMALL_LOCK


def test_render_is_independent_of_input_order():
    lock = parse_lock(SMALL_LOCK)
    env = lock.environments["default"]
    shuffled = with_packages(env, "linux-64", reversed(env.packages["linux-64"]))
    assert render_lock(replace(lock, environments={"default": shuffled})) == SMALL_LOCK


def test_fields_the_url_cannot_say_are_written():
    renamed = record("foo", "1.0", "h0_0", build_number=7, channel="https://example.com/other/")
    text = render_lock(make_lock_file({"default": env_of(renamed)}))
    assert "  build_number: 7\n" in text
    assert "  channel: https://example.com/other\n" in text
    assert "  name: foo\n" not in text and "  subdir:" not in text
    again = parse_lock(text).environments["default"].conda_packages("linux-64")[0]
    assert again.record == replace(renamed, arch=None, platform=None)


def test_v7_platforms_and_version_choice():
    plain = LockPlatform("linux-64", "linux-64")
    gpu = LockPlatform("p1", "linux-64", ("__cuda=12", "__glibc=2.28"))
    assert choose_lock_version([plain]) == 6 and choose_lock_version([plain, gpu]) == 7
    lock = make_lock_file({"default": env_of(record("foo", "1.0", "h0_0"), platform="p1")}, [gpu])
    assert lock.version == 7
    text = render_lock(lock)
    assert text.startswith("version: 7\nplatforms:\n- name: p1\n  subdir: linux-64\n"
                           "  virtual-packages:\n  - __cuda=12\n  - __glibc=2.28\n")
    assert parse_lock(text) == lock
    with pytest.raises(LockError, match="version 6 cannot"):
        render_lock(replace(lock, version=6))


def test_pypi_extras_and_editable_round_trip():
    six = PypiPackage(SIX_URL, "six", "1.17.0", sha256="ab" * 32, editable=True)
    env = LockedEnvironment(packages={"linux-64": (six,)}, pypi_extras={("linux-64", SIX_URL): ("b", "a")})
    text = render_lock(make_lock_file({"default": env}))
    assert f"      - pypi: {SIX_URL}\n        extras:\n        - a\n        - b\n" in text
    assert "  editable: true\n" in text
    assert render_lock(parse_lock(text)) == text


def test_unknown_fields_are_kept_in_place():
    text = SMALL_LOCK.replace("  license: Python-2.0\n", "  license: Python-2.0\n  zzz_new: 1\n")
    lock = parse_lock(text)
    python = lock.environments["default"].conda_packages("linux-64")[0]
    assert python.extra == (("zzz_new", "1"),)
    assert "  timestamp: 1732735488999\n  zzz_new: '1'\n" in render_lock(lock)


def test_default_options_are_left_out():
    env = replace(env_of(record("foo", "1.0", "h0_0")),
                  options={"strategy": "highest", "channel-priority": "disabled"})
    text = render_lock(make_lock_file({"default": env}))
    assert "    options:\n      channel-priority: disabled\n    packages:\n" in text
    assert "strategy" not in text


def test_two_packages_at_one_location_are_refused():
    a = record("foo", "1.0", "h0_0")
    b = replace(a, sha256="00" * 32)
    lock = make_lock_file({"one": env_of(a), "two": env_of(b)})
    with pytest.raises(LockError, match="share the location"):
        render_lock(lock)


def test_from_record_needs_a_url():
    with pytest.raises(LockError, match="no url"):
        CondaPackage.from_record(PackageRecord("foo", "1.0", "0"))


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("version: 6\nenvironments: [\n", "not valid YAML", 3),
        ("environments: {}\npackages: []\n", "no `version`", None),
        ("version: 3\nenvironments: {}\n", "version 3 is not supported", 1),
        ("version: 8\nenvironments: {}\n", "version 8 is not supported", 1),
        ("- 1\n", "expected a mapping", None),
        ("version: 6\npackages: []\n", "no `environments`", None),
        ("version: 6\nenvironments:\n  default:\n    packages:\n      linux-65: []\n",
         "platform 'linux-65'", 5),
        ("version: 6\nenvironments:\n  default:\n    packages:\n      linux-64:\n"
         "      - conda: https://x/linux-64/a-1-0.conda\npackages: []\n", "missing from", 6),
        ("version: 6\nenvironments: {}\npackages:\n- conda: https://x/linux-64/a-1-0.conda\n"
         "  size: big\n", "`size` must be a whole number", 5),
        ("version: 6\nenvironments: {}\npackages:\n- conda: ../src\n", "has no `name`", 4),
        ("version: 7\nplatforms:\n- name: p1\n  subdir: linux-65\nenvironments: {}\n",
         "unknown subdir 'linux-65'", 3),
        ("version: 7\nplatforms:\n- name: win-64\n- name: win-64\nenvironments: {}\n",
         "declared twice", 4),
        ("version: 6\nenvironments: {}\npackages:\n- conda: http://[::1/linux-64/a-1-0.conda\n",
         "is not a valid URL", 4),  # an install's urlparse crashed on it
        ("version: 6\nenvironments: {}\npackages:\n- conda: https://x/linux-64/a-1-0.conda\n"
         "  sha256: [1]\n", "`sha256` must be text", 5),  # an install compared it, and crashed
        ("version: 6\nenvironments: {}\npackages:\n- conda: https://x/linux-64/a-1-0.conda\n"
         "  channel: {a: 1}\n", "`channel` must be text", 5),  # every command crashed
        ("version: 6\nenvironments: {}\npackages:\n- pypi: http://[::1/a-1-py3-none-any.whl\n"
         "  name: a\n", "is not a valid URL", 4),
    ],
)
def test_invalid_locks_name_the_place_and_the_fix(text, message, line):
    with pytest.raises(LockError, match=message) as info:
        parse_lock(text, "pixi.lock")
    err = info.value
    assert "minipixi lock" in err.hint
    assert str(err.where).startswith("pixi.lock")
    assert getattr(err.where, "line", None) == line
    assert err.render().startswith("error: pixi.lock is not a valid lock file")


def test_missing_file(tmp_path):
    with pytest.raises(LockError, match="does not exist") as info:
        read_lock(tmp_path / "pixi.lock")
    assert "minipixi lock" in info.value.hint


def test_write_lock_is_atomic(tmp_path: Path):
    target = tmp_path / "pixi.lock"
    write_lock(parse_lock(SMALL_LOCK), target)
    assert target.read_text() == SMALL_LOCK
    assert read_lock(target) == parse_lock(SMALL_LOCK)
    bad = replace(parse_lock(SMALL_LOCK), version=9)
    with pytest.raises(LockError):
        write_lock(bad, target)
    assert target.read_text() == SMALL_LOCK  # untouched
    assert os.listdir(tmp_path) == ["pixi.lock"]  # no temp file left behind
    assert target.stat().st_mode & 0o777 == 0o644
    target.chmod(0o664)
    write_lock(parse_lock(SMALL_LOCK), target)
    assert target.stat().st_mode & 0o777 == 0o664  # an existing file keeps its mode


# --- up to date? ----------------------------------------------------------------------------


def test_normalize_channel():
    assert normalize_channel("conda-forge") == CF
    assert normalize_channel(f"{CF}/") == CF
    assert normalize_channel("./local-channel") == "./local-channel"


@pytest.fixture
def matchspec():
    return pytest.importorskip("minipixi.matchspec").MatchSpec


def test_lock_satisfies_a_consistent_environment(matchspec):
    from minipixi.lock.satisfiability import lock_satisfies

    python = record("python", "3.13.0", "h0_0", depends=("tzdata", "__glibc >=2.17"))
    tzdata = record("tzdata", "2024b", "h0_0", subdir="noarch")
    env = env_of(python, tzdata)
    specs = {"python": matchspec.parse("python >=3.13")}
    assert lock_satisfies(env, "linux-64", specs, ["conda-forge"]) == []


def test_lock_satisfies_names_every_reason(matchspec):
    from minipixi.lock.satisfiability import lock_satisfies

    python = record("python", "3.12.0", "h0_0", depends=("tzdata >=2025",), constrains=("six <1",))
    env = env_of(python, record("tzdata", "2024b", "h0_0"), record("six", "1.17.0", "h0_0"))
    specs = {"python": matchspec.parse("python >=3.13"), "numpy": matchspec.parse("numpy")}
    reasons = lock_satisfies(env, "linux-64", specs, ["bioconda", "conda-forge"])
    assert len(reasons) == 5
    assert reasons[0].startswith("channels changed")
    assert "locked python 3.12.0 h0_0 does not satisfy" in reasons[1] and "3.13" in reasons[1]
    assert "numpy is required by the manifest but not locked" in reasons[2]
    assert "depends on 'tzdata >=2025' but locked is tzdata 2024b" in reasons[3]
    assert "constrains 'six <1' but locked is six 1.17.0" in reasons[4]
    assert lock_satisfies(env, "osx-arm64", {}, ["conda-forge"]) == [
        "platform osx-arm64 is not in the lock"]


def test_the_lock_check_and_the_solution_check_find_the_same_broken_dependencies(matchspec):
    """One rule for a record's own depends and constrains (`solver.check.unmet_dependencies`):
    the up-to-date check and the solver's checker agree on which entries are broken, virtual
    packages aside (the lock leaves those to the platform)."""
    from minipixi.lock.satisfiability import lock_satisfies
    from minipixi.solver.check import find_violations

    app = record("app", "1.0", "h0_0", depends=("lib >=2", "tool", "__glibc >=2.17", "ok"),
                 constrains=("extra <1", "absent <1"))
    env = env_of(app, record("lib", "1.5", "h0_0"), record("extra", "1.2", "h0_0"),
                 record("ok", "1", "h0_0"))
    reasons = lock_satisfies(env, "linux-64", {}, ["conda-forge"])
    assert reasons == [
        "app 1.0 h0_0 depends on 'lib >=2' but locked is lib 1.5 h0_0 on linux-64",
        "app 1.0 h0_0 depends on 'tool' but none is locked on linux-64",
        "app 1.0 h0_0 constrains 'extra <1' but locked is extra 1.2 h0_0 on linux-64",
    ]
    glibc = record("__glibc", "2.28", "0")
    violations = find_violations([p.record for p in env.conda_packages("linux-64")], [],
                                 virtual_packages=[glibc])
    assert violations == [
        "app 1.0 (h0_0) depends on lib >=2, which nothing matches",
        "app 1.0 (h0_0) depends on tool, which nothing matches",
        "app 1.0 (h0_0) constrains extra <1, but extra 1.2 is present",
    ]


def test_file_urls_are_written_as_paths_like_rattler():
    url = "file:///tmp/local%20channel/linux-64/foo-1.0-h0_0.conda"
    text = ("version: 6\nenvironments:\n  default:\n    channels: []\n    packages:\n"
            f"      linux-64:\n      - conda: {url}\npackages:\n- conda: {url}\n"
            "  subdir: linux-64\n")
    lock = parse_lock(text)
    (foo,) = lock.environments["default"].conda_packages("linux-64")
    assert foo.location == "/tmp/local channel/linux-64/foo-1.0-h0_0.conda"
    assert foo.record.url == foo.url == url and foo.record.channel is None
    assert "- conda: /tmp/local channel/linux-64/foo-1.0-h0_0.conda\n  subdir: linux-64\n" in render_lock(lock)


SOURCE_V6 = f"""\
version: 6
environments:
  default:
    channels:
    - url: {CF}/
    packages:
      linux-64:
      - conda: ../my-tool
packages:
- conda: ../my-tool
  name: my-tool
  version: 0.2.0
  build: pyh4616a5c_0
  subdir: noarch
  depends:
  - python >=3.10
  input:
    hash: {"ab" * 32}
    globs:
    - pixi.toml
    - pyproject.toml
"""


def test_v6_source_package_keeps_its_input_hash():
    lock = parse_lock(SOURCE_V6)
    (tool,) = lock.environments["default"].conda_packages("linux-64")
    assert tool.is_source and tool.record.url is None
    assert (tool.name, tool.version, tool.record.subdir, tool.record.noarch) == (
        "my-tool", "0.2.0", "noarch", "python")
    assert tool.input == {"hash": "ab" * 32, "globs": ["pixi.toml", "pyproject.toml"]}
    assert render_lock(lock) == SOURCE_V6


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
      - conda: {TZDATA_URL}
      - conda_source: my-tool[ac2e8eb3] @ ../my-tool
packages:
- conda: {TZDATA_URL}
  sha256: {"cd" * 32}
- conda_source: my-tool[ac2e8eb3] @ ../my-tool
  version: 0.2.0
  build: first
  subdir: linux-64
  depends:
  - __unix
"""


def test_v7_source_package_names_itself_in_its_identifier():
    lock = parse_lock(SOURCE_V7)
    env = lock.environments["default"]
    tool = next(p for p in env.conda_packages("linux-64") if p.kind == "conda_source")
    assert (tool.name, tool.build, tool.is_source) == ("my-tool", "first", True)
    assert render_lock(lock) == SOURCE_V7
    noarch = replace(tool, record=replace(tool.record, subdir="noarch", noarch="python"))
    text = render_lock(replace(lock, environments={"default": with_packages(env, "linux-64", [noarch])}))
    assert "  subdir: noarch\n  noarch: python\n" in text  # a source entry spells noarch out


def test_source_packages_cannot_change_lock_version():
    with pytest.raises(LockError, match="cannot be written as lock version 7"):
        render_lock(replace(parse_lock(SOURCE_V6), version=7))
    with pytest.raises(LockError, match="cannot be written as lock version 6"):
        render_lock(replace(parse_lock(SOURCE_V7), version=6))


def test_rich_platforms_are_numbered_in_manifest_order():
    # prefix-dev/pixi examples/multi-machine: cuda-win-64, win-64, cuda-linux-64, linux-64,
    # {platform = "osx-arm64", macos = "13.5"}  ->  p1, win-64, p2, linux-64, p3
    entries = [("win-64", True), ("win-64", False), ("linux-64", True), ("linux-64", False),
               ("osx-arm64", True)]
    assert name_lock_platforms(entries) == ["p1", "win-64", "p2", "linux-64", "p3"]


def test_pypi_names_are_stored_in_their_pep503_spelling():
    text = SMALL_LOCK.replace("  name: six\n", "  name: Six_Extra.Name\n")
    (six,) = parse_lock(text).environments["default"].pypi_packages("linux-64")
    assert six.name == "six-extra-name"
    made = make_lock_file({"default": LockedEnvironment(packages={"linux-64": (replace(six, name="A_B"),)})})
    assert "  name: a-b\n" in render_lock(made)


def test_asking_for_a_missing_environment_says_how_to_fix_it():
    lock = parse_lock(SMALL_LOCK)
    assert lock.environment("default") is lock.environments["default"]
    with pytest.raises(LockError, match="no environment 'gpu' \\(it has: default\\)") as info:
        lock.environment("gpu")
    assert "minipixi lock" in info.value.hint


def test_an_empty_build_for_an_archive_is_the_one_its_file_name_says():
    """`build: ''` beside a package archive was taken as written: the install then wrote
    `conda-meta/a-1-.json`, which every later command refused to read."""
    url = "https://x/linux-64/a-1-h0_0.conda"
    lock = parse_lock("version: 6\nenvironments:\n  default:\n    channels: []\n    packages:\n"
                      f"      linux-64:\n      - conda: {url}\npackages:\n- conda: {url}\n  build: ''\n")
    (package,) = lock.environments["default"].conda_packages("linux-64")
    assert package.record.build == "h0_0"
