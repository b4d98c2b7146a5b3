"""Every pixi.lock of ../shared/real-pixi (public repositories, see its ORIGINS.txt).

Three promises, checked on locks nobody here wrote:

- every lock, versions 4 to 7, reads; and to the same packages per environment and platform
  as rattler's own reader (py-rattler's ``LockFile.from_path``);
- every lock Pixi wrote (v6 or v7) renders back byte for byte, so that an up-to-date lock is
  never rewritten;
- the others (v4/v5, and Pixi's own test fixtures edited by people) render to a text that
  reads back to the same lock.

Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import collections
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from minipixi.lock.model import CondaPackage, LockFile
from minipixi.lock.read import parse_lock, read_lock
from minipixi.lock.write import render_lock
from minipixi.lock.yaml_dialect import render_yaml
from minipixi.version import parse_version

pytestmark = pytest.mark.corpus

REAL_PIXI = Path(__file__).resolve().parents[2].parent / "shared" / "real-pixi"
LOCKS = sorted(str(p.relative_to(REAL_PIXI)) for p in REAL_PIXI.rglob("pixi.lock")) \
    if REAL_PIXI.is_dir() else []

# Pixi's own test fixtures that people edited by hand after Pixi wrote them, in Pixi's YAML
# dialect but not in its order (the rest of the hand-made ones are not even in the dialect:
# indented lists, comments, double quotes; `pixi_wrote` tells those apart by itself).
FIXTURES = "prefix-dev__pixi/tests/data/satisfiability/"
HAND_ORDERED = {
    FIXTURES + "conditional-dependency-cuda/pixi.lock":
        "platforms not sorted by name, and `subdir: linux-64` spelled out for linux-64",
    FIXTURES + "old_lock_file/pixi.lock": "v7 header on v6-ordered environment entries",
}


def _version_of(text: str) -> int:
    return int(next(line for line in text.splitlines() if line.startswith("version:"))
               .split(":")[1])


def pixi_wrote(text: str) -> bool:
    """True when the text is exactly what serde_yaml (Pixi's writer) gives for its data.

    A person's edit shows: an indented list, a comment, a double-quoted string. PyYAML's safe
    loader reads the numbers and booleans as numbers and booleans, so that re-emitting them
    in Pixi's dialect gives the same text only if Pixi's writer could have written it.
    """
    return render_yaml(yaml.load(text, Loader=yaml.CSafeLoader)) == text


@pytest.fixture(scope="module")
def figures():
    counts: collections.Counter = collections.Counter()
    yield counts
    print("\nreal-pixi locks:", dict(sorted(counts.items())))


def _skip_without_corpus():
    if not REAL_PIXI.is_dir():
        pytest.skip("../shared/real-pixi is not present beside this checkout")


def test_the_corpus_is_there():
    _skip_without_corpus()
    assert len(LOCKS) == 139  # as ORIGINS.txt describes it: v4 9, v5 15, v6 74, v7 30


@pytest.mark.parametrize("name", LOCKS)
def test_every_lock_reads_and_renders(name: str, figures):
    path = REAL_PIXI / name
    text = path.read_text(encoding="utf-8")
    version = _version_of(text)
    lock = read_lock(path)
    figures[f"read v{version}"] += 1
    assert lock.version == max(version, 6)  # v4 and v5 are upgraded in memory
    rendered = render_lock(lock)
    if version >= 6 and (rendered == text or (pixi_wrote(text) and name not in HAND_ORDERED)):
        figures["pixi-written v6/v7"] += 1
        assert rendered == text
        figures["byte-identical"] += 1
    else:
        figures["v4/v5" if version < 6 else "hand-made v6/v7"] += 1
        assert _content(parse_lock(rendered)) == _content(lock)
        assert render_lock(parse_lock(rendered)) == rendered


def _content(lock: LockFile) -> dict:
    """What a lock says, without the order a person wrote its entries in."""
    return {
        name: (env.channels, env.indexes, env.options, env.pypi_extras,
               {platform: sorted(map(_unordered, packages)) for platform, packages in env.packages.items()})
        for name, env in lock.environments.items()
    } | {"": (lock.version, lock.platforms, sorted(map(_unordered, lock.build_only)))}


def _unordered(package) -> str:
    """A package as text, its unmodelled fields in key order rather than the file's."""
    return repr(replace(package, extra=tuple(sorted(package.extra, key=lambda kv: kv[0]))))


def _ours(lock: LockFile, env: str, platform: str) -> list[tuple]:
    out = []
    for package in lock.environments[env].packages.get(platform, ()):
        if isinstance(package, CondaPackage):
            kind = "source" if package.kind == "conda_source" or package.is_source else "conda"
            out.append((kind, package.name, package.version))
        else:
            out.append(("pypi", package.name, package.version))
    return sorted(out)


def _theirs(packages: list) -> list[tuple]:
    out = []
    for package in packages:
        kind = type(package).__name__
        kind = "pypi" if "Pypi" in kind else "source" if "Source" in kind else "conda"
        version = "" if package.version is None else str(package.version)
        out.append((kind, str(package.name), version))
    return sorted(out)


def _same_version(kind: str, ours: str, theirs: str) -> bool:
    """rattler prints conda versions normalised (3.000 as 3.0), a local PyPI project's
    version as <dynamic> (it is found when the project is built), and a PyPI version the
    lock leaves out as 0a0.dev0 (its smallest version): equal as versions."""
    if ours == theirs or (kind == "pypi" and theirs == "<dynamic>"):
        return True
    if kind == "pypi" and not ours and theirs == "0a0.dev0":
        return True
    if kind == "pypi" or not ours or not theirs:
        return False
    return parse_version(ours) == parse_version(theirs)


@pytest.mark.parametrize("name", LOCKS)
def test_every_lock_reads_like_rattler(name: str):
    rattler = pytest.importorskip("rattler")
    path = REAL_PIXI / name
    ours = read_lock(path)
    theirs = rattler.LockFile.from_path(path)
    assert sorted(ours.environments) == sorted(env for env, _ in theirs.environments())
    for env_name, env in theirs.environments():
        by_platform = env.packages_by_platform()
        assert sorted(ours.environments[env_name].packages) == sorted(p.name for p in by_platform)
        for platform, packages in by_platform.items():
            mine, rattlers = _ours(ours, env_name, platform.name), _theirs(packages)
            assert [(k, n.lower() if k == "pypi" else n) for k, n, _ in mine] == \
                [(k, n.lower() if k == "pypi" else n) for k, n, _ in rattlers], (env_name, platform)
            for (kind, _, version), (_, _, their_version) in zip(mine, rattlers):
                assert _same_version(kind, version, their_version), (env_name, platform.name)
