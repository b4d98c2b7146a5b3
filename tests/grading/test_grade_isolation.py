"""The grader runs no code from a submission: checks come from the instructor's exercises only,
nothing in the submission is importable while grading, and the channels a submission declares
are data (a local channel is refused, never read or installed from).

Each hostile submission holds a canary: code that writes a file if it ever runs. The canary
must stay absent, and the score must be the one the real checks give.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.errors import GradeError
from minipixi.teaching.grade import grade, load_exercise

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
MINIPIXI = Path(sys.executable).with_name("minipixi")


def canary_code(canary: Path, score: int = 8) -> str:
    """A checks.py (or any module) that writes `canary` when imported, and would give full marks."""
    return (f"from pathlib import Path\nPath({str(canary)!r}).write_text('ran')\n"
            "from minipixi.teaching.grade import check\nTITLE = 'fake'\n"
            f"@check(points={score})\ndef check_everything(sub):\n    '''always passes'''\n")


def run_grade(args: list[str], cwd: Path, *, python_m: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "minipixi", *args] if python_m else [str(MINIPIXI), *args]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def starter07(tmp_path):
    sub = tmp_path / "learner"
    shutil.copytree(EXERCISES / "07-cuda-environments" / "starter", sub)
    return sub


def real_score(exercise: str, sub: Path) -> tuple[int, int]:
    report = grade(load_exercise(str(EXERCISES / exercise)), sub)
    return report.score, report.max_score


# ---- route 1: the submission's own checks.py ------------------------------------------------

@pytest.mark.parametrize("exercises_variable", [True, False], ids=["MINIPIXI_EXERCISES", "packaged"])
def test_the_submission_checks_are_never_loaded(starter07, tmp_path, exercises_variable):
    """The classroom workflow runs `grade 07 .` inside the learner's repository: its 07/checks.py
    and exercises/07-x/checks.py are files, not checks."""
    canary = tmp_path / "canary"
    for folder in ("07", "07-cuda-environments", "exercises/07-cuda-environments", "exercises/07-mine"):
        (starter07 / folder).mkdir(parents=True)
        (starter07 / folder / "checks.py").write_text(canary_code(canary))
    env = {"MINIPIXI_EXERCISES": str(EXERCISES)} if exercises_variable else {"MINIPIXI_EXERCISES": ""}
    result = run_grade(["grade", "07", ".", "--format", "json", "--exit-zero"], starter07, env=env)
    assert result.returncode == 0, result.stderr
    assert not canary.exists()
    data = json.loads(result.stdout)
    assert data["exercise"] == "07-cuda-environments"
    assert (data["score"], data["max_score"]) == real_score("07-cuda-environments", starter07)
    assert data["score"] < data["max_score"]


def test_an_exercise_folder_inside_the_submission_is_refused(starter07, tmp_path):
    canary = tmp_path / "canary"
    (starter07 / "07").mkdir()
    (starter07 / "07" / "checks.py").write_text(canary_code(canary))
    result = run_grade(["grade", "./07", "."], starter07)
    assert result.returncode != 0 and "inside the submission" in result.stderr and "bug" not in result.stderr
    result = run_grade(["grade", "07", ".", "--exercises", "."], starter07)
    assert result.returncode != 0 and "inside the submission" in result.stderr
    with pytest.raises(GradeError, match="inside the submission"):
        load_exercise(str(starter07 / "07"), submission=starter07)
    assert not canary.exists()


def test_instructor_checks_inside_the_submission_are_refused(starter07, tmp_path):
    canary = tmp_path / "canary"
    (starter07 / "extra").mkdir()
    (starter07 / "extra" / "checks.py").write_text(canary_code(canary))
    with pytest.raises(GradeError, match="inside the submission"):
        load_exercise("07", instructor_checks=starter07 / "extra", submission=starter07)
    assert not canary.exists()


def test_a_symlink_from_the_submission_cannot_smuggle_checks(starter07, tmp_path):
    """An exercise folder reached through a link that lives in the submission is still inside it
    once resolved the other way round: a checks.py that is a link *into* the submission is refused."""
    canary = tmp_path / "canary"
    (starter07 / "mine.py").write_text(canary_code(canary))
    exercises = tmp_path / "instructor"
    (exercises / "07-cuda-environments").mkdir(parents=True)
    (exercises / "07-cuda-environments" / "checks.py").symlink_to(starter07 / "mine.py")
    result = run_grade(["grade", "07", ".", "--exercises", str(exercises)], starter07)
    assert result.returncode != 0 and "inside the submission" in result.stderr
    assert not canary.exists()


# ---- route 2: a local channel in the submission ---------------------------------------------

def make_local_channel(folder: Path, canary: Path) -> None:
    """./chan with a `bat` for linux-64 whose program writes the canary when run."""
    from minipixi.install.package_writer import write_conda

    source = folder / "src"
    (source / "bin").mkdir(parents=True)
    (source / "bin" / "bat").write_text(f"#!/bin/sh\necho ran > '{canary}'\necho 'bat 0.24.0'\n")
    (source / "bin" / "bat").chmod(0o755)
    channel = folder / "chan"
    for subdir in ("linux-64", "noarch"):
        (channel / subdir).mkdir(parents=True)
    package = write_conda(source, channel / "linux-64", {"name": "bat", "version": "99.0", "build": "0",
                                                          "subdir": "linux-64"})
    data = package.read_bytes()
    record = {"name": "bat", "version": "99.0", "build": "0", "build_number": 0, "depends": [],
              "subdir": "linux-64", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    for subdir, packages in (("linux-64", {package.name: record}), ("noarch", {})):
        (channel / subdir / "repodata.json").write_text(json.dumps(
            {"info": {"subdir": subdir}, "packages": {}, "packages.conda": packages}))
    shutil.rmtree(source)


def test_a_local_channel_is_a_finding_and_never_installed(tmp_path, monkeypatch):
    """Exercise 14 with channels = ["./chan"]: before, the grader installed the learner's bat
    and ran it (7/7). Graded from inside the submission, as the classroom workflow does."""
    sub = tmp_path / "learner"
    canary = tmp_path / "canary"
    make_local_channel(sub, canary)
    (sub / "pixi-global.toml").write_text('version = 1\n\n[envs.bat]\nchannels = ["./chan"]\n'
                                          'dependencies = { bat = "*" }\nexposed = { bat = "bat" }\n')
    monkeypatch.chdir(sub)
    report = grade(load_exercise("14"), sub)
    assert not canary.exists()
    refused = [r for r in report.results if "is not read here" in r.message]
    assert refused and report.score < report.max_score
    assert "file://" in refused[0].message and "conda-forge" in refused[0].message


def test_a_local_channel_in_pixi_toml_is_reported_by_the_solving_checks(tmp_path, monkeypatch):
    sub = tmp_path / "learner"
    make_local_channel(sub, tmp_path / "canary")
    text = (EXERCISES / "01-manifest-lab" / "solution" / "pixi.toml").read_text()
    assert 'channels = ["conda-forge"]' in text
    (sub / "pixi.toml").write_text(text.replace('channels = ["conda-forge"]', 'channels = ["./chan", "conda-forge"]'))
    monkeypatch.chdir(sub)
    report = grade(load_exercise("01"), sub)
    solving = next(r for r in report.results if r.name == "solves_everywhere")
    assert solving.score == 0 and "'chan'" in solving.message and "not read here" in solving.message


# ---- route 3: modules of the submission shadowing the grader's own --------------------------

def test_python_m_inside_the_submission_imports_nothing_from_it(tmp_path):
    """`python -m minipixi` puts the current folder first on sys.path: a hypothesis.py (or
    yaml.py, bashlex.py) in the submission used to be imported by the checks, and ran."""
    sub = tmp_path / "learner"
    shutil.copytree(EXERCISES / "01-manifest-lab" / "solution", sub)
    canary = tmp_path / "canary"
    for module in ("hypothesis.py", "bashlex.py", "htcondor.py", "jsonschema.py"):
        (sub / module).write_text(f"open({str(canary)!r}, 'w').write('ran')\n")
    result = run_grade(["grade", "01", ".", "--format", "json"], sub, python_m=True)
    assert not canary.exists(), result.stderr
    data = json.loads(result.stdout)
    assert data["score"] == data["max_score"] == real_score("01-manifest-lab", sub)[1]


def test_a_module_already_imported_from_the_submission_stops_grading(tmp_path, monkeypatch):
    sub = tmp_path / "learner"
    shutil.copytree(EXERCISES / "01-manifest-lab" / "solution", sub)
    (sub / "learner_module_g1.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(sub))
    __import__("learner_module_g1")
    try:
        with pytest.raises(GradeError, match="learner_module_g1"):
            grade(load_exercise("01"), sub)
    finally:
        sys.modules.pop("learner_module_g1", None)


def test_the_submission_is_off_sys_path_while_checks_run(tmp_path, monkeypatch):
    sub = tmp_path / "learner"
    shutil.copytree(EXERCISES / "01-manifest-lab" / "solution", sub)
    monkeypatch.chdir(sub)
    monkeypatch.syspath_prepend("")
    monkeypatch.syspath_prepend(str(sub))
    seen = []
    from minipixi.teaching.grade import Check, Exercise

    exercise = Exercise("x", tmp_path, "X", [Check("look", 1, lambda s: seen.append(list(sys.path)))])
    grade(exercise, sub)
    assert seen and "" not in seen[0] and str(sub) not in seen[0]
    assert sys.path[:2] == [str(sub), ""]  # put back afterwards


# ---- grade right after the Setup page's install ----------------------------------------------

def test_hypothesis_is_installed_by_the_default_install():
    """`pip install -e .` (the Setup page) installs what the checks import."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(dep.split(">")[0].split("=")[0].strip() == "hypothesis" for dep in project["dependencies"])


def test_a_missing_package_is_a_clean_error_not_a_bug(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\nclass Block:\n    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'hypothesis':\n"
        "            raise ModuleNotFoundError(\"No module named 'hypothesis'\", name='hypothesis')\n"
        "sys.meta_path.insert(0, Block())\n")
    sub = EXERCISES / "01-manifest-lab" / "solution"
    result = run_grade(["grade", "01", str(sub)], tmp_path, env={"PYTHONPATH": str(blocker)})
    assert result.returncode != 0
    assert "need the Python package 'hypothesis'" in result.stderr and "bug" not in result.stderr


def test_output_to_a_folder_writes_the_report_into_it(tmp_path, capsys):
    sub = tmp_path / "learner"
    shutil.copytree(EXERCISES / "02-start-task" / "solution", sub)
    assert main(["grade", str(EXERCISES / "02-start-task"), str(sub), "--format", "json", "-o", str(sub)]) == 0
    data = json.loads((sub / "grade-02-start-task.json").read_text())
    assert data["score"] == data["max_score"]
    assert "Score:" in capsys.readouterr().err


def test_the_graders_own_python_may_live_inside_the_submission(tmp_path, monkeypatch):
    """A learner who keeps their .venv inside the folder they grade: the interpreter's own
    site-packages are not the submission's code, and stay importable."""
    sub = tmp_path / "learner"
    shutil.copytree(EXERCISES / "02-start-task" / "solution", sub)
    site = sub / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    (site / "venv_module_g1.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(sys, "prefix", str(sub / ".venv"))
    monkeypatch.syspath_prepend(str(site))
    __import__("venv_module_g1")
    from minipixi.teaching.grade import Check, Exercise

    seen = []
    checks = load_exercise("02").checks + [Check("look", 1, lambda s: seen.append(list(sys.path)))]
    try:
        report = grade(Exercise("02", EXERCISES / "02-start-task", "X", checks), sub)
    finally:
        sys.modules.pop("venv_module_g1", None)
    assert report.score == report.max_score and str(site) in seen[0]


def test_pythonpath_into_the_submission_is_refused_and_class_workers_ignore_it(tmp_path):
    """PYTHONPATH pointing into the submission makes Python run its sitecustomize.py at start-up,
    before minipixi: a single `grade` then refuses to give a score; a --class worker starts
    with `python -I`, which never reads PYTHONPATH, so there the code does not run at all."""
    classroom = tmp_path / "class"
    sub = classroom / "learner"
    shutil.copytree(EXERCISES / "02-start-task" / "solution", sub)
    canary = tmp_path / "canary"
    (sub / "sitecustomize.py").write_text(f"open({str(canary)!r}, 'w').write('ran')\n")
    result = run_grade(["grade", "02", str(sub)], tmp_path, env={"PYTHONPATH": str(sub)})
    assert result.returncode != 0 and "'sitecustomize' was imported from inside the submission" in result.stderr
    canary.unlink()
    result = run_grade(["grade", "02", "--class", str(classroom), "-o", str(tmp_path / "grades"),
                        "--time-limit", "60"], tmp_path, env={"PYTHONPATH": str(tmp_path / "nothing")})
    assert result.returncode == 0, result.stderr
    assert not canary.exists()
    from minipixi.teaching.gradebook import _worker_environment

    assert "PYTHONPATH" not in _worker_environment(tmp_path)
