"""The lesson site builds with `mkdocs build --strict`: no broken link, anchor or snippet path.

Strict mode turns every warning into a failure, and `pymdownx.snippets` runs with
`check_paths: true`, so a page that includes a missing module, command or output file fails here.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"


def _mkdocs_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("mkdocs", "material"))


@pytest.mark.skipif(not _mkdocs_available(), reason="mkdocs-material is not installed (docs extra)")
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("index.html", "setup.html", "02-introduction-to-pixi.html", "reference.html"):
        assert (tmp_path / "site" / page).is_file(), page
    # The snippet include was expanded: the page shows the command, not the include line.
    episode = (tmp_path / "site" / "02-introduction-to-pixi.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", episode)  # code is highlighted: one span per token
    assert "minipixi init example" in text
    assert "--8&lt;--" not in episode and "--8<--" not in episode


def _episode_pages() -> list[Path]:
    return sorted(LESSONS.glob("0[1-8]-*.md"))


def test_there_are_eight_episodes() -> None:
    assert [p.name[:2] for p in _episode_pages()] == [f"0{i}" for i in range(1, 9)]


@pytest.mark.parametrize("page", _episode_pages(), ids=lambda p: p.stem)
def test_episode_has_carpentries_blocks(page: Path) -> None:
    """Questions and objectives first, key points last, at least one challenge with a solution,
    and an "Under the hood" box."""
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r'^[!?]{3}\+? (\w+)(?: "([^"]*)")?', text, re.MULTILINE)
    titles = [title for _, title in blocks]
    assert titles[:2] == ["Questions", "Objectives"], titles[:2]
    assert titles[-1] == "Key Points", titles[-1]
    assert any(kind == "question" and "Challenge" in title for kind, title in blocks)
    assert any(kind == "success" and title == "Solution" for kind, title in blocks)
    assert any(kind == "abstract" and title.startswith("Under the hood") for kind, title in blocks)


def test_every_saved_command_is_shown_on_a_page() -> None:
    """A command file that no page includes would be run and checked for nothing."""
    shown = set()
    for page in LESSONS.rglob("*.md"):
        shown |= set(re.findall(r'snippets/(?:commands|outputs)/([\w.-]+)\.(?:sh|txt)(?::[\w-]+)?"', page.read_text()))
    saved = {p.stem for p in (LESSONS / "snippets" / "commands").glob("*.sh")}
    assert saved - shown == set()
