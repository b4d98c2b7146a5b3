"""The grader itself: it never crashes on a submission, never reads outside it, and reports
in four formats (text, JSON, JUnit XML, GitHub Classroom)."""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings, strategies as st

from minipixi.teaching.grade import (
    Check, CheckFailed, Exercise, Submission, grade, load_exercise, render, render_classroom, run_check,
)

EXERCISE = "07-cuda-environments"

# The result format of GitHub Classroom's autograding reporter (what `--format classroom` writes).
CLASSROOM_SCHEMA = {
    "type": "object",
    "required": ["version", "status", "max_score", "tests"],
    "properties": {
        "version": {"const": 1},
        "status": {"enum": ["pass", "fail", "error"]},
        "max_score": {"type": "integer", "minimum": 0},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "status", "score", "message"],
            "properties": {"name": {"type": "string"}, "status": {"enum": ["pass", "fail", "error"]},
                           "score": {"type": "integer", "minimum": 0}, "message": {"type": "string"}},
        }},
    },
}


@pytest.fixture(scope="module")
def exercise(tmp_path_factory):
    os.environ.setdefault("MINIPIXI_CACHE_DIR", str(tmp_path_factory.mktemp("grade-cache")))
    return load_exercise(EXERCISE)


def make(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    for name, data in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return tmp_path


@pytest.mark.parametrize("files, expected", [
    ({}, "pixi.toml is missing"),
    ({"pixi.toml": "[workspace\nname = 1"}, "pixi.toml cannot be read"),
    ({"pixi.toml": b"\x00\x01\x02binary"}, "binary file"),
    ({"pixi.toml": "# " + "x" * 1_200_000}, "larger than"),
    ({"pixi.toml": b"\xff\xfe not utf8"}, "not UTF-8"),
    ({"pixi.toml": "[workspace]\nname = 'x'\nchannels = ['conda-forge']\nplatforms = ['linux-64']\n[feature.gpu.dependencies]\nbad = '>>1'\n"}, "pixi.toml cannot be read"),
])
def test_bad_submissions_score_zero_with_a_message(exercise, tmp_path, files, expected):
    report = grade(exercise, make(tmp_path, files))
    assert report.score == 0
    assert all(expected in r.message or r.hidden for r in report.results), [r.message for r in report.results]


def test_a_link_out_of_the_submission_is_refused(exercise, tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text((Path("exercises") / EXERCISE / "solution" / "pixi.toml").read_text())
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pixi.toml").symlink_to(secret)
    report = grade(exercise, sub)
    assert report.score == 0
    assert "outside your submission" in report.results[0].message


def test_submission_paths_cannot_escape(tmp_path):
    sub = Submission(tmp_path, tmp_path)
    for bad in ("../x", "/etc/passwd", "a/../../b"):
        with pytest.raises(CheckFailed, match="outside"):
            sub.path(bad)


def test_a_crashing_check_scores_zero(tmp_path):
    def boom(sub):
        raise ZeroDivisionError

    result = run_check(Check("boom", 2, boom), Submission(tmp_path, tmp_path), timeout=5)
    assert result.score == 0 and "could not check this (ZeroDivisionError)" in result.message


def test_a_slow_check_is_stopped(tmp_path):
    def slow(sub):
        time.sleep(5)

    started = time.monotonic()
    result = run_check(Check("slow", 1, slow), Submission(tmp_path, tmp_path), timeout=1)
    assert result.score == 0 and "longer than 1 s" in result.message
    assert time.monotonic() - started < 3


def test_reports_in_every_format(exercise):
    report = grade(exercise, Path("exercises") / EXERCISE / "starter")
    assert 0 <= report.score < report.max_score
    classroom = json.loads(render_classroom(report))
    jsonschema.validate(classroom, CLASSROOM_SCHEMA)
    assert classroom["max_score"] == report.max_score and classroom["status"] == "fail"
    assert sum(t["score"] for t in classroom["tests"]) == report.score
    suite = ET.fromstring(render(report, "junit"))
    assert suite.tag == "testsuite" and int(suite.get("failures")) == sum(not r.passed for r in report.results)
    data = json.loads(render(report, "json"))
    assert data["score"] == report.score and len(data["checks"]) == len(report.results)
    text = render(report, "text")
    assert f"Score: {report.score}/{report.max_score}" in text


def test_hidden_feedback_is_withheld_unless_asked(tmp_path):
    def secret(sub):
        raise CheckFailed("the secret detail of a hidden check")

    def open_check(sub):
        raise CheckFailed("an ordinary hint")

    exercise = Exercise("x", tmp_path, "X", [Check("open", 1, open_check), Check("secret", 2, secret, hidden=True)])
    report = grade(exercise, tmp_path)
    for fmt in ("text", "json", "junit", "classroom"):
        shown = render(report, fmt)
        assert "an ordinary hint" in shown and "the secret detail" not in shown and "withheld" in shown
        assert "the secret detail" in render(report, fmt, show_hidden=True)
    assert report.score == 0 and report.max_score == 3


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_fuzzed_manifests_never_crash_the_grader(exercise, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "pixi.toml").write_bytes(data)
    report = grade(exercise, folder)
    assert 0 <= report.score <= report.max_score
    assert all(r.message for r in report.results)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from([
    '[workspace]\nname = "x"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n',
    '[dependencies]\npython = "*"\n', '[feature.gpu.system-requirements]\ncuda = "12"\n',
    '[environments]\ngpu = ["gpu"]\n', '[environments]\ncpu = ["cpu"]\n', '[feature.cpu.dependencies]\npytorch-cpu = "*"\n',
    '[feature.gpu.dependencies]\npytorch-gpu = "*"\n', '[tasks]\nx = "true"\n', 'platforms = ["win-64"]\n',
]), max_size=6))
def test_fuzzed_plausible_manifests_never_crash_the_grader(exercise, tmp_path_factory, parts):
    folder = tmp_path_factory.mktemp("plausible")
    (folder / "pixi.toml").write_text("".join(parts))
    report = grade(exercise, folder)
    assert 0 <= report.score <= report.max_score


def test_classroom_workflow_template_is_valid_yaml():
    import yaml

    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "exercises" / "classroom" / "autograding.yml").read_text())
    steps = doc["jobs"]["grade"]["steps"]
    grade_step = next(s for s in steps if s.get("id") == "minipixi")
    assert "--format classroom" in grade_step["run"]
    reporter = next(s for s in steps if "autograding-grading-reporter" in s.get("uses", ""))
    assert reporter["with"]["runners"] == "minipixi" and "MINIPIXI_RESULTS" in reporter["env"]
