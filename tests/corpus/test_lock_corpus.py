"""Real lock files: we read every one, and writing it back gives the same bytes.

The corpus has two kinds of lock files:

- ``locks/*.pixi.lock``: written by Pixi itself (v6 and v7). Reading and rendering them must
  reproduce the file byte for byte: that is the "small diffs" promise.
- ``data/rattler_lock/conda-lock/v{6,7}/*.yml``: rattler's hand-written parser fixtures. They
  indent sequences under their key (``  - url:``), which neither Pixi nor we ever write, so
  for them we compare the parsed YAML; the byte comparison is a strict xfail.
- ``data/rattler_lock/lock_parse_fails/``: must be refused with a LockError.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minipixi.errors import LockError
from minipixi.lock.model import CondaPackage, PypiPackage
from minipixi.lock.read import parse_lock, read_lock
from minipixi.lock.write import render_lock
from minipixi.lock.satisfiability import lock_satisfies

pytestmark = pytest.mark.corpus

PIXI_LOCKS = [
    "matthewfeickert-talks__reproducible-cuda-workflows-scipy-2026__cudf-example@136cf22.v6.pixi.lock",
    "matthewfeickert-talks__reproducible-cuda-workflows-scipy-2026__cupy-example.v7.pixi.lock",
    "matthewfeickert-talks__reproducible-cuda-workflows-scipy-2026__cupy-example@136cf22.v6.pixi.lock",
    "matthewfeickert__nvidia-gpu-ml-library-test.pixi.lock",
    "matthewfeickert__pytorch-gpu-pixi-example.pixi.lock",
    "prefix-dev__pixi__docs_introduction_multi_env.pixi.lock",
    "prefix-dev__pixi__examples_multi-machine.v7.pixi.lock",
    "prefix-dev__pixi__examples_solve-groups.pixi.lock",
]
RATTLER_FIXTURES = [
    "v6/empty-lock.yml", "v6/numpy-as-pypi-lock.yml", "v6/options-lock.yml",
    "v6/python-from-conda-only-lock.yml",
    "v7/empty-lock.yml", "v7/options-lock.yml", "v7/python-from-conda-only-lock.yml",
]
HAND_INDENTED = "rattler's fixtures indent sequences under their key; serde_yaml (Pixi) and we do not"
DEFAULTS_DROPPED = ("the fixture spells out default options (strategy: highest, channel-priority: "
                    "strict) and `options: {}`; rattler leaves those out when writing, and so do we")


def test_the_corpus_lists_every_lock(corpus_dir: Path):
    on_disk = sorted(p.name for p in (corpus_dir / "locks").glob("*.pixi.lock"))
    assert on_disk == sorted(PIXI_LOCKS)


@pytest.mark.parametrize("name", PIXI_LOCKS)
def test_pixi_written_locks_render_byte_for_byte(corpus_dir: Path, name: str):
    path = corpus_dir / "locks" / name
    lock = read_lock(path)
    assert render_lock(lock) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", PIXI_LOCKS)
def test_pixi_written_locks_hold_the_expected_content(corpus_dir: Path, name: str):
    path = corpus_dir / "locks" / name
    lock = read_lock(path)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert lock.version == raw["version"] == (7 if ".v7." in name else 6)
    assert sorted(lock.environments) == sorted(raw["environments"])
    for env_name, raw_env in raw["environments"].items():
        env = lock.environments[env_name]
        for platform, entries in raw_env["packages"].items():
            urls = sorted(next(iter(e.values())) for e in entries)
            assert sorted(p.location for p in env.packages[platform]) == urls
    conda = {p.location: p for env in lock.environments.values()
             for pkgs in env.packages.values() for p in pkgs if isinstance(p, CondaPackage)}
    raw_conda = {e["conda"]: e for e in raw["packages"] if "conda" in e}
    assert set(conda) == set(raw_conda)
    for url, entry in raw_conda.items():
        record = conda[url].record
        assert record.sha256 == entry["sha256"] and record.md5 == entry["md5"]
        assert record.size == entry["size"] and list(record.depends) == entry.get("depends", [])
        assert record.fn == url.rsplit("/", 1)[1] and record.url == url


def test_rich_platforms_of_a_v7_lock(corpus_dir: Path):
    lock = read_lock(corpus_dir / "locks" / PIXI_LOCKS[1])
    assert [(p.name, p.subdir) for p in lock.platforms] == [("p1", "linux-64"), ("p2", "win-64")]
    assert lock.platform("p1").virtual_packages[0] == "__cuda=12"
    env = lock.environments["default"]
    assert {p.record.subdir for p in env.conda_packages("p2")} == {"win-64", "noarch"}


def test_pypi_packages_of_the_solve_groups_example(corpus_dir: Path):
    lock = read_lock(corpus_dir / "locks" / "prefix-dev__pixi__examples_solve-groups.pixi.lock")
    pypi = {p.name for env in lock.environments.values()
            for pkgs in env.packages.values() for p in pkgs if isinstance(p, PypiPackage)}
    assert {"matplotlib", "numpy", "contourpy"} <= pypi
    assert lock.environments["default"].options == {"pypi-prerelease-mode": "if-necessary-or-explicit"}


def _fixture_params():
    params = []
    for name in RATTLER_FIXTURES:
        marks = [pytest.mark.xfail(strict=True, reason=DEFAULTS_DROPPED)] if name == "v6/options-lock.yml" else []
        params.append(pytest.param(name, marks=marks))
    return params


@pytest.mark.parametrize("name", _fixture_params())
def test_rattler_fixtures_render_to_the_same_yaml(corpus_dir: Path, name: str):
    path = corpus_dir / "data" / "rattler_lock" / "conda-lock" / name
    text = render_lock(read_lock(path))
    assert yaml.safe_load(text) == yaml.safe_load(path.read_text(encoding="utf-8"))
    assert render_lock(parse_lock(text)) == text


@pytest.mark.parametrize("name", RATTLER_FIXTURES)
@pytest.mark.xfail(strict=True, reason=HAND_INDENTED)
def test_rattler_fixtures_bytes(corpus_dir: Path, name: str):
    path = corpus_dir / "data" / "rattler_lock" / "conda-lock" / name
    assert render_lock(read_lock(path)) == path.read_text(encoding="utf-8")


def test_v6_options_fixture_keeps_the_options_that_matter(corpus_dir: Path):
    lock = read_lock(corpus_dir / "data" / "rattler_lock" / "conda-lock" / "v6" / "options-lock.yml")
    text = render_lock(lock)
    assert "    options:\n      strategy: lowest-version\n" in text
    assert "    options:\n      channel-priority: disabled\n" in text
    assert "exclude-newer: 2025-04-15T12:15:00+00:00" in text
    assert "highest" not in text and "strict" not in text


@pytest.mark.parametrize(
    "name, message",
    [
        ("duplicate_platform.yml", "duplicate key 'DUPLICATE'"),
        ("invalid_platform_name.yml", "'linux 64 foobar' is not a valid platform name"),
        ("missing_platform.yml", "uses platform 'UNKNOWN', which the lock does not declare"),
    ],
)
def test_broken_locks_are_refused(corpus_dir: Path, name: str, message: str):
    path = corpus_dir / "data" / "rattler_lock" / "lock_parse_fails" / "v7" / name
    with pytest.raises(LockError, match=message) as info:
        read_lock(path)
    assert info.value.where.path == str(path) and info.value.where.line is not None
    assert "minipixi lock" in info.value.hint


@pytest.mark.parametrize("name", [n for n in PIXI_LOCKS if ".v7." in n])
def test_rich_platform_names_follow_the_manifest_order(corpus_dir: Path, name: str):
    import tomllib

    from minipixi.lock.model import name_lock_platforms

    manifest = tomllib.loads((corpus_dir / "locks" / name.replace(".lock", ".toml")).read_text())
    entries = [(e, False) if isinstance(e, str) else (e["platform"], True)
               for e in manifest["workspace"]["platforms"]]
    lock = read_lock(corpus_dir / "locks" / name)
    expected = sorted(zip(name_lock_platforms(entries), (subdir for subdir, _ in entries)))
    assert [(p.name, p.subdir) for p in lock.platforms] == expected


SINGLE_ENVIRONMENT = [n for n in PIXI_LOCKS if "cupy" in n or "cudf" in n or "pytorch-gpu" in n
                      or "multi-machine" in n]


def _manifest_specs(corpus_dir: Path, name: str):
    import tomllib

    from minipixi.matchspec import MatchSpec

    manifest = tomllib.loads((corpus_dir / "locks" / name.replace(".lock", ".toml")).read_text())
    specs = {dep: MatchSpec.parse(f"{dep} {constraint}")
             for dep, constraint in manifest["dependencies"].items()}
    return specs, manifest["workspace"]["channels"]


@pytest.mark.parametrize("name", SINGLE_ENVIRONMENT)
def test_real_locks_are_up_to_date_with_their_manifest(corpus_dir: Path, name: str):
    specs, channels = _manifest_specs(corpus_dir, name)
    lock = read_lock(corpus_dir / "locks" / name)
    env = lock.environments["default"]
    for platform in env.packages:
        assert lock_satisfies(env, platform, specs, channels) == []


@pytest.mark.parametrize("name", SINGLE_ENVIRONMENT)
def test_a_changed_manifest_makes_real_locks_stale(corpus_dir: Path, name: str):
    from minipixi.matchspec import MatchSpec

    specs, channels = _manifest_specs(corpus_dir, name)
    first = next(iter(specs))
    specs[first] = MatchSpec.parse(f"{first} >=999")
    env = read_lock(corpus_dir / "locks" / name).environments["default"]
    platform = next(iter(env.packages))
    reasons = lock_satisfies(env, platform, specs, ["bioconda", *channels])
    assert reasons[0].startswith("channels changed")
    assert f"locked {first} " in reasons[1] and "does not satisfy" in reasons[1]
