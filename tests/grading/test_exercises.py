"""Every exercise: the reference solution scores full marks, the starter does not, and each
recorded realistic mistake loses exactly the points of the checks meant to catch it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from minipixi.grade import grade, load_exercise

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(p.name for p in (ROOT / "exercises").iterdir() if (p / "checks.py").is_file())
MISTAKES = sorted((p.parent.name, p.name) for p in (Path(__file__).parent / "mistakes").glob("*/*") if p.is_dir())


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    os.environ.setdefault("MINIPIXI_CACHE_DIR", str(tmp_path_factory.mktemp("grade-cache")))


@pytest.mark.parametrize("name", EXERCISES)
def test_solution_scores_full_marks(name):
    exercise = load_exercise(str(ROOT / "exercises" / name))
    report = grade(exercise, ROOT / "exercises" / name / "solution")
    failed = {r.name: r.message for r in report.results if not r.passed}
    assert not failed and report.score == exercise.max_score


@pytest.mark.parametrize("name", EXERCISES)
def test_starter_does_not(name):
    exercise = load_exercise(str(ROOT / "exercises" / name))
    assert grade(exercise, ROOT / "exercises" / name / "starter").score < exercise.max_score


@pytest.mark.parametrize("name", EXERCISES)
def test_each_exercise_has_at_least_three_recorded_mistakes(name):
    assert len([m for m in MISTAKES if m[0] == name]) >= 3


@pytest.mark.parametrize("exercise_name, mistake", MISTAKES)
def test_mistake_loses_exactly_the_expected_points(exercise_name, mistake):
    folder = Path(__file__).parent / "mistakes" / exercise_name / mistake
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    exercise = load_exercise(str(ROOT / "exercises" / exercise_name))
    report = grade(exercise, folder / "submission")
    failed = {r.name for r in report.results if not r.passed}
    assert failed == set(expected["fails"]), {r.name: r.message for r in report.results}
    for name, fragment in (expected.get("messages") or {}).items():
        message = next(r.message for r in report.results if r.name == name)
        assert fragment in message, message
