"""Pixi's up-to-date verdicts on real workspaces (../shared/real-pixi): every manifest + lock pair
is judged as EXPECTED.txt says (fresh unless listed), or refused with a message naming what
minipixi does not support; an up-to-date lock is never rewritten, not a byte."""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

import pytest

from minipixi.errors import MinipixiError

REAL = Path(__file__).resolve().parents[3] / "shared" / "real-pixi"
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-pixi is absent")]

# Where EXPECTED.txt (read-only shared data: "fresh unless listed") says less than Pixi's own
# rules, corrected here with the rule that decides it, so every pair is still held to a verdict.
# foobar is a fixture of Pixi's installation-order tests, never checked for satisfiability: its
# pyproject's requires-python becomes a `python` dependency of the default feature
# (pixi_manifest/src/pyproject.rs, into_workspace_manifest) on all three platforms, and its lock
# only has osx-arm64, so `python >=3.11` cannot be satisfied on linux-64 (pixi_core
# lock_file/satisfiability/platform.rs, find_matching_package: UnsatisfiableMatchSpec).
CORRECTIONS = {"prefix-dev__pixi/tests/data/installation-order/foobar": "stale"}


def _expected() -> list[tuple[str, str, str]]:
    rows = []
    for line in (REAL / "EXPECTED.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, verdict, kind, _why = line.split("\t")
            rows.append((pattern, verdict, kind))
    return rows


def _pairs() -> list[Path]:
    if not REAL.is_dir():
        return []
    return sorted(p.parent for p in REAL.rglob("pixi.lock"))


def _manifest(folder: Path) -> Path:
    return folder / "pixi.toml" if (folder / "pixi.toml").exists() else folder / "pyproject.toml"


def _verdict(manifest: Path) -> tuple[str, str]:
    from minipixi.app.project import open_project
    from minipixi.app.relock import check_lock

    try:
        reasons = check_lock(open_project(manifest, offline=True))
    except MinipixiError as err:
        return "refused", err.message
    return ("stale", reasons[0]) if reasons else ("fresh", "")


def test_every_verdict_is_pixis_or_a_named_refusal():
    rows = _expected()
    tally: dict[tuple[str, str], int] = {}
    wrong = []
    for folder in _pairs():
        rel = str(folder.relative_to(REAL))
        expected, kind = "fresh", "conda"
        for pattern, verdict, k in rows:
            if fnmatch.fnmatch(rel, pattern):
                expected, kind = verdict, k
        expected = CORRECTIONS.get(rel, expected)
        got, why = _verdict(_manifest(folder))
        outcome = got if got == "refused" else ("as expected" if got == expected else "differs")
        tally[(kind, outcome)] = tally.get((kind, outcome), 0) + 1
        if got == "refused":
            assert why and ("not supported" in why or "minipixi" in why or "cannot" in why), (rel, why)
        elif got != expected:
            wrong.append(f"{rel}: expected {expected}, got {got} ({why})")
    print("verdicts:", dict(sorted(tally.items())))
    assert not wrong, "\n".join(wrong)
    assert tally.get(("conda", "as expected"), 0) >= 88 and tally.get(("pypi", "as expected"), 0) >= 11


def test_lock_leaves_every_up_to_date_lock_byte_identical(tmp_path):
    from minipixi.app.project import open_project
    from minipixi.app.relock import update_lock

    kept = 0
    for i, folder in enumerate(_pairs()):
        manifest = _manifest(folder)
        if _verdict(manifest)[0] != "fresh":
            continue
        copy = tmp_path / str(i)
        copy.mkdir()
        shutil.copy(manifest, copy / manifest.name)
        shutil.copy(folder / "pixi.lock", copy / "pixi.lock")
        before = (copy / "pixi.lock").read_bytes()
        result = update_lock(open_project(copy / manifest.name, offline=True))
        assert not result.changed and result.solved == [], folder
        assert (copy / "pixi.lock").read_bytes() == before, folder
        kept += 1
    print("up-to-date locks left byte-identical:", kept)
    assert kept >= 60
