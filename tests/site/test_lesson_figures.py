"""The lesson's figures: drawn from real runs (scripts/lesson_figures.py), checked like text outputs.

The full check (each group re-run, each figure redrawn and compared byte for byte) is
tests/site/test_lesson_outputs.py::test_saved_outputs_match_the_program; here, the comparison
itself, and that each saved figure is a well-formed, self-contained SVG.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "lessons" / "figures"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load("generate_lesson_outputs")
figs = _load("lesson_figures")


def test_check_figures_reports_missing_and_changed(tmp_path: Path) -> None:
    (tmp_path / "a.svg").write_text("<svg>old</svg>\n")
    (tmp_path / "b.svg").write_text("<svg>same</svg>\n")
    problems = gen.check_figures({"a.svg": "<svg>new</svg>\n", "b.svg": "<svg>same</svg>\n",
                                  "c.svg": "<svg/>\n"}, tmp_path)
    assert len(problems) == 2
    assert "-<svg>old</svg>" in problems[0] and "+<svg>new</svg>" in problems[0]
    assert problems[1] == "figures/c.svg: not saved yet"


def test_figures_written_by_commands_are_collected_outside_environments(tmp_path: Path) -> None:
    lesson = tmp_path / "pixi-lesson"
    (lesson / "ws" / ".pixi" / "envs").mkdir(parents=True)
    (lesson / "ws" / "graph.svg").write_text("<svg/>")
    (lesson / "ws" / ".pixi" / "envs" / "icon.svg").write_text("<svg/>")
    assert figs.figures_for("ep99", tmp_path) == {"graph.svg": "<svg/>"}


@pytest.mark.parametrize("path", sorted(FIGURES.glob("*.svg")), ids=lambda p: p.name)
def test_saved_figures_are_self_contained_svg(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("role") == "img"
    assert float(root.get("width")) > 100 and float(root.get("height")) > 40
    body = text.replace('xmlns="http://www.w3.org/2000/svg"', "", 1)  # a name, never fetched
    assert not re.search(r"href|<script|@import|https?:", body)  # nothing to fetch, nothing to run
