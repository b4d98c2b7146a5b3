"""Equivalent correct answers written differently score full marks: one recorded alternative
per exercise, in tests/grading/alternatives/<exercise>/submission/ (other forms, other order,
other quoting than the reference solution)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minipixi.grade import grade, load_exercise

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent / "alternatives"
EXERCISES = sorted(p.name for p in (ROOT / "exercises").iterdir() if (p / "checks.py").is_file())
ALTERNATIVES = sorted(p.name for p in HERE.iterdir() if (p / "submission").is_dir())


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    os.environ.setdefault("MINIPIXI_CACHE_DIR", str(tmp_path_factory.mktemp("grade-cache")))


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_answer_scores_full_marks(name):
    exercise = load_exercise(str(ROOT / "exercises" / name))
    report = grade(exercise, HERE / name / "submission")
    failed = {r.name: r.message for r in report.results if not r.passed}
    assert not failed and report.score == exercise.max_score


@pytest.mark.parametrize("name", EXERCISES)
def test_every_exercise_has_an_alternative_answer(name):
    assert name in ALTERNATIVES
