"""Hidden means hidden: a hidden check's name, description and feedback appear in no
learner-facing output (text, JSON, JUnit, GitHub Classroom); an instructor sees them with
``--show-hidden``; hidden checks can be shipped apart from the public exercises
(``--instructor-checks``), and the public classroom workflow needs none of their text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from minipixi.cli import main
from minipixi.errors import GradeError
from minipixi.teaching.grade import (
    Check, CheckFailed, CheckResult, Exercise, Report, grade, load_exercise, render,
)

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(p.name for p in (ROOT / "exercises").iterdir() if (p / "checks.py").is_file())
FORMATS = ("text", "json", "junit", "classroom")

INSTRUCTOR_CHECKS = '''
from minipixi.teaching.grade import CheckFailed, check

@check(points=3, hidden=True)
def check_qq_private_property(sub):
    """qq private description"""
    if not sub.exists("qq-marker"):
        raise CheckFailed("qq private feedback")
'''


def secret_texts(check: Check, message: str) -> list[str]:
    return [t for t in (check.name, check.description, message) if t]


def test_hidden_text_appears_in_no_learner_format(tmp_path):
    def failing(sub):
        raise CheckFailed("qq the secret feedback")

    hidden = [Check("qq_hidden_fails", 2, failing, "qq hidden description one", hidden=True),
              Check("qq_hidden_passes", 1, lambda sub: None, "qq hidden description two", hidden=True)]
    def open_failing(sub):
        raise CheckFailed("an ordinary hint")

    visible = Check("open_check", 1, open_failing, "an open description")
    report = grade(Exercise("x", tmp_path, "X", [visible, *hidden]), tmp_path)
    assert [r.score for r in report.results] == [0, 0, 1]
    for fmt in FORMATS:
        shown = render(report, fmt)
        assert "qq" not in shown, (fmt, shown)
        assert "open_check" in shown and "an ordinary hint" in shown and "hidden check 1" in shown and "hidden check 2" in shown
        instructor = render(report, fmt, show_hidden=True)
        assert "qq_hidden_fails" in instructor and "qq_hidden_passes" in instructor
        assert "qq the secret feedback" in instructor
    data = json.loads(render(report, "json"))
    assert [c["points"] for c in data["checks"]] == [1, 2, 1] and data["score"] == 1
    classroom = json.loads(render(report, "classroom"))
    assert sum(t["score"] for t in classroom["tests"]) == 1 and classroom["max_score"] == 4
    suite = ET.fromstring(render(report, "junit"))
    assert [case.get("name") for case in suite] == ["open_check", "hidden check 1", "hidden check 2"]


@pytest.mark.parametrize("name", EXERCISES)
def test_no_exercise_shows_its_hidden_checks_to_learners(name):
    """Every real exercise, with every check failing with its own description as feedback (the
    most a check could give away): no hidden check's name or description shows."""
    exercise = load_exercise(str(ROOT / "exercises" / name))
    hidden = [c for c in exercise.checks if c.hidden]
    assert hidden, f"{name} has no hidden check"
    results = tuple(CheckResult(c.name, c.description, c.points, 0, c.description or c.name, c.hidden, 0.1)
                    for c in exercise.checks)
    report = Report(exercise.slug, exercise.title, results)
    for fmt in FORMATS:
        shown = render(report, fmt)
        for check in hidden:
            for text in secret_texts(check, check.description):
                assert text not in shown, (fmt, text)
        assert all(check.name in render(report, fmt, show_hidden=True) for check in hidden)


def instructor_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "private" / "02-start-task"
    folder.mkdir(parents=True)
    (folder / "checks.py").write_text(INSTRUCTOR_CHECKS)
    return tmp_path / "private"


def test_instructor_checks_are_added_and_stay_hidden(tmp_path, capsys):
    private = instructor_folder(tmp_path)
    public = load_exercise("02")
    exercise = load_exercise("02", instructor_checks=private)
    assert [c.name for c in exercise.checks] == [c.name for c in public.checks] + ["qq_private_property"]
    assert exercise.max_score == public.max_score + 3
    solution = ROOT / "exercises" / "02-start-task" / "solution"
    report = grade(exercise, solution)
    assert report.score == public.max_score  # the private check fails: no qq-marker
    for fmt in FORMATS:
        assert main(["grade", "02", str(solution), "--format", fmt, "--instructor-checks", str(private)]) == 1
        out = capsys.readouterr().out
        assert "qq" not in out and "hidden check" in out
    assert main(["grade", "02", str(solution), "--format", "json", "--instructor-checks", str(private),
                 "--show-hidden"]) == 1
    out = capsys.readouterr().out
    assert "qq_private_property" in out and "qq private feedback" in out


def test_instructor_checks_errors(tmp_path):
    with pytest.raises(GradeError, match="no checks for exercise 02-start-task"):
        load_exercise("02", instructor_checks=tmp_path)
    twice = tmp_path / "twice"
    twice.mkdir()
    (twice / "checks.py").write_text("from minipixi.teaching.grade import check\n"
                                     "@check()\ndef check_start_reaches_lab(sub):\n    'again'\n")
    with pytest.raises(GradeError, match="two checks called start_reaches_lab"):
        load_exercise("02", instructor_checks=twice)


def test_the_public_classroom_workflow_needs_no_hidden_checks():
    """The workflow grades with the public exercises only: it names no instructor checks, and
    takes its checks from the lesson's exercises, never from the learner's repository."""
    text = (ROOT / "exercises" / "classroom" / "autograding.yml").read_text()
    steps = yaml.safe_load(text)["jobs"]["grade"]["steps"]
    grade_step = next(s for s in steps if s.get("id") == "minipixi")
    assert "--exercises" in grade_step["run"] and "--instructor-checks" not in text
    assert "--show-hidden" not in text
