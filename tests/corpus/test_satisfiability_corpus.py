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

# Pairs where minipixi's verdict differs from EXPECTED.txt for a reason outside this check:
# foobar is a pyproject whose requires-python becomes a python dependency, while its lock
# (a fixture of Pixi's installation-order tests) only has osx-arm64.
KNOWN = {"prefix-dev__pixi/tests/data/installation-order/foobar"}
# PyPI pairs whose staleness needs what minipixi does not model: wheel tags against the locked
# Python, a PyPI requirement another solve-group member's conda package satisfies, and a conda
# package that should have been locked as PyPI.
KNOWN_PYPI = {"prefix-dev__pixi/tests/data/non-satisfiability/" + name
              for name in ("wheels-with-wrong-tags", "solve-groups-pypi", "explicit-pypi-dependency")}


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
    from minipixi.app.workspace import check_lock, open_project

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
        got, why = _verdict(_manifest(folder))
        outcome = got if got == "refused" else ("as expected" if got == expected else "differs")
        tally[(kind, outcome)] = tally.get((kind, outcome), 0) + 1
        if got == "refused":
            assert why and ("not supported" in why or "minipixi" in why or "cannot" in why), (rel, why)
        elif kind in ("conda", "pypi") and got != expected and rel not in KNOWN | KNOWN_PYPI:
            wrong.append(f"{rel}: expected {expected}, got {got} ({why})")
    print("verdicts:", dict(sorted(tally.items())))
    assert not wrong, "\n".join(wrong)
    assert tally.get(("conda", "as expected"), 0) >= 87 and tally.get(("pypi", "as expected"), 0) >= 8


def test_lock_leaves_every_up_to_date_lock_byte_identical(tmp_path):
    from minipixi.app.workspace import open_project, update_lock

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
