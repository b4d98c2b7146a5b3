"""The exercise catalogue stays consistent: every exercise is listed in exercises/README.md with
its real number of checks and points, has 3-6 checks and a hidden one, and its README shows
the grade command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from minipixi.grade import load_exercise

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(p.name for p in (ROOT / "exercises").iterdir() if (p / "checks.py").is_file())
ROW = re.compile(r"^\| \[(\d\d)\]\(([^/]+)/README\.md\) \| [^|]+ \| [^|]+ \| (\d+) \| (\d+) \|$", re.MULTILINE)


def catalogue() -> dict[str, tuple[int, int]]:
    text = (ROOT / "exercises" / "README.md").read_text()
    return {m.group(2): (int(m.group(3)), int(m.group(4))) for m in ROW.finditer(text)}


def test_catalogue_lists_exactly_the_exercises():
    assert sorted(catalogue()) == EXERCISES


@pytest.mark.parametrize("name", EXERCISES)
def test_catalogue_row_matches_the_checks(name):
    exercise = load_exercise(str(ROOT / "exercises" / name))
    assert catalogue()[name] == (len(exercise.checks), exercise.max_score)


@pytest.mark.parametrize("name", EXERCISES)
def test_exercise_shape(name):
    exercise = load_exercise(str(ROOT / "exercises" / name))
    assert 3 <= len(exercise.checks) <= 6
    assert any(c.hidden for c in exercise.checks)
    assert all(c.description for c in exercise.checks)
    assert (ROOT / "exercises" / name / "starter").is_dir()
    readme = (ROOT / "exercises" / name / "README.md").read_text()
    assert f"minipixi grade {name[:2]}" in readme or f"minipixi grade {name.split('-', 1)[1]}" in readme
