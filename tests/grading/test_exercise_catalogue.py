"""The exercise catalogue: every exercise is listed in exercises/README.md with its real number
of checks and points, has 3-6 checks and a hidden one, and its README shows the grade command;
and one table of graded answers says what each kind of answer must score:

- the **reference** solution and every **alternative** answer (other forms, other tools, a
  real-Pixi lock newer than the teaching mirror): full marks;
- the untouched **starter**: below half of the points;
- each realistic **mistake** (tests/grading/mistakes/EX/NAME/): exactly the checks listed in
  its expected.yaml fail;
- each **wrong answer** (tests/grading/wrong_answers/EX/NAME/): an answer that looks right, or
  games the checks (``true || jupyter lab``, ``FROM scratch``, ``push: ... && false``), loses
  at least the checks listed in its why.yaml (`caught_by`). A wrong answer is the reference
  solution (or the `base` its why.yaml names) with the files under its files/ folder put over
  it, and the files its `delete` list names removed.

One parametrized test, `test_graded_answer`, grades them all."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from minipixi.teaching.grade import grade, load_exercise

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
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


# ---- the graded answers -------------------------------------------------------------------------

def _exercise_of(folder_name: str) -> str:
    """`03-multi-platform--newer-than-the-mirror` -> `03-multi-platform`."""
    return folder_name.split("--", 1)[0]


def answers() -> list[tuple[str, str, str]]:
    """(exercise, kind, name) of every graded answer."""
    found = []
    for name in EXERCISES:
        found += [(name, "reference", "solution"), (name, "starter", "starter")]
    for folder in sorted((HERE / "alternatives").iterdir()):
        if (folder / "submission").is_dir():
            found.append((_exercise_of(folder.name), "alternative", folder.name))
    for kind, marker in (("mistake", "expected.yaml"), ("wrong", "why.yaml")):
        base = HERE / ("mistakes" if kind == "mistake" else "wrong_answers")
        found += sorted((p.parent.parent.name, kind, p.parent.name) for p in base.glob(f"*/*/{marker}"))
    return found


ANSWERS = answers()


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    os.environ.setdefault("MINIPIXI_CACHE_DIR", str(tmp_path_factory.mktemp("grade-cache")))


def submission_folder(exercise: str, kind: str, name: str, tmp_path: Path) -> Path:
    if kind in ("reference", "starter"):
        return ROOT / "exercises" / exercise / name
    if kind == "alternative":
        return HERE / "alternatives" / name / "submission"
    if kind == "mistake":
        return HERE / "mistakes" / exercise / name / "submission"
    entry = HERE / "wrong_answers" / exercise / name
    why = yaml.safe_load((entry / "why.yaml").read_text())
    base = HERE / why["base"] if why.get("base") else ROOT / "exercises" / exercise / "solution"
    folder = tmp_path / "submission"
    shutil.copytree(base, folder)
    for path in sorted((entry / "files").rglob("*")) if (entry / "files").is_dir() else []:
        target = folder / path.relative_to(entry / "files")
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    for relative in why.get("delete", []):
        (folder / relative).unlink()
    return folder


@pytest.mark.parametrize("exercise_name, kind, name", ANSWERS, ids=[f"{e}:{k}:{n}" for e, k, n in ANSWERS])
def test_graded_answer(exercise_name, kind, name, tmp_path):
    exercise = load_exercise(str(ROOT / "exercises" / exercise_name))
    report = grade(exercise, submission_folder(exercise_name, kind, name, tmp_path))
    failed = {r.name: r.message for r in report.results if not r.passed}
    if kind in ("reference", "alternative"):
        assert not failed and report.score == exercise.max_score, failed
    elif kind == "starter":
        assert report.score * 2 < exercise.max_score, (report.score, exercise.max_score)
    elif kind == "mistake":
        expected = yaml.safe_load((HERE / "mistakes" / exercise_name / name / "expected.yaml").read_text())
        assert set(failed) == set(expected["fails"]), failed
        for check_name, fragment in (expected.get("messages") or {}).items():
            assert fragment in failed[check_name], failed[check_name]
    else:
        why = yaml.safe_load((HERE / "wrong_answers" / exercise_name / name / "why.yaml").read_text())
        assert failed, "a wrong answer got full marks"
        assert set(why["caught_by"]) <= set(failed), failed
        for check_name, fragment in (why.get("messages") or {}).items():
            assert fragment in failed[check_name], failed[check_name]


@pytest.mark.parametrize("name", EXERCISES)
def test_each_exercise_has_mistakes_wrong_answers_and_an_alternative(name):
    kinds = [kind for exercise, kind, _ in ANSWERS if exercise == name]
    assert kinds.count("mistake") >= 3 and kinds.count("wrong") >= 3 and kinds.count("alternative") >= 1


@pytest.mark.parametrize("alternative, lost", [
    ("03-multi-platform--newer-than-the-mirror", "solves_on_each_platform"),
    ("07-cuda-environments--newer-than-the-mirror", "cpu_never_cuda"),
])
def test_a_lock_newer_than_the_mirror_is_what_makes_that_answer_pass(alternative, lost, tmp_path):
    """Without its pixi.lock, a real-Pixi answer cannot be solved on the teaching mirror (so its
    full marks come from checking the lock, not from solving)."""
    folder = tmp_path / "submission"
    shutil.copytree(HERE / "alternatives" / alternative / "submission", folder)
    (folder / "pixi.lock").unlink()
    report = grade(load_exercise(str(ROOT / "exercises" / _exercise_of(alternative))), folder)
    assert lost in {r.name for r in report.results if not r.passed}


@pytest.mark.parametrize("name", EXERCISES)
def test_every_exercise_is_linked_from_an_episode(name):
    episodes = sorted((ROOT / "lessons").glob("0*.md"))
    assert any(f"exercises/{name}/" in page.read_text() for page in episodes)
