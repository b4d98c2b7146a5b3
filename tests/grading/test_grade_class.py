"""`minipixi grade EX --class FOLDER`: a class of 30 generated submissions to exercise 02 (right,
wrong, hostile, huge, empty, hanging) is graded in isolated workers; failures stay with their
submission, and the gradebook holds exactly the scores that grading each one alone gives.

Instructor checks (``--instructor-checks``) stand for what a real hostile submission could make
a check do, each on a marker file: hang with the per-check timer switched off (``HANG``), get
the worker killed (``CRASH``), allocate 4 GiB (``MEMORY``); and report the worker's
surroundings (``PROBE``).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.teaching.grade import grade, load_exercise, render
from minipixi.teaching.gradebook import _network_namespace

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = ROOT / "exercises" / "02-start-task"
TIME_LIMIT = 12
INSTRUCTOR_NAMES = ("zz_secret_no_hang", "no_crash", "surroundings")

INSTRUCTOR_CHECKS = '''
import json, os, resource, signal, sys, time
from minipixi.teaching.grade import CheckFailed, check

@check(points=1, hidden=True)
def check_zz_secret_no_hang(sub):
    """zz secret description of the hanging check"""
    if sub.exists("HANG"):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)  # the per-check timer cannot stop it
        while True:
            time.sleep(1)

@check(points=1)
def check_no_crash(sub):
    """Stands for a check the worker dies in (the kernel's OOM killer), or that allocates too much."""
    if sub.exists("CRASH"):
        os.kill(os.getpid(), signal.SIGKILL)
    if sub.exists("MEMORY"):
        hog = bytearray(4 << 30)  # beyond the worker's 1 GiB: MemoryError, caught as a failed check
        raise CheckFailed(f"allocated {len(hog)} bytes")

@check(points=1)
def check_surroundings(sub):
    """Reports where the worker runs."""
    if sub.exists("PROBE"):
        raise CheckFailed(json.dumps({
            "cwd": os.getcwd(), "home": os.environ.get("HOME"), "proxy": os.environ.get("https_proxy"),
            "offline": os.environ.get("MINIPIXI_OFFLINE"), "pythonpath": os.environ.get("PYTHONPATH"),
            "memory": resource.getrlimit(resource.RLIMIT_AS)[0], "path": sys.path,
            "netns": os.readlink("/proc/self/ns/net")}))
'''


def sitecustomize(canary: Path) -> str:
    return f"open({str(canary)!r}, 'w').write('ran')\n"


def build_class(folder: Path, canary: Path) -> dict[str, str]:
    """30 submissions: {learner: kind}."""
    solution = (EXERCISE / "solution" / "pixi.toml").read_text()
    starter = (EXERCISE / "starter" / "pixi.toml").read_text()
    kinds: dict[str, str] = {}

    def make(name: str, kind: str, files: dict[str, str | bytes] | None = None, base: str | None = solution):
        sub = folder / name
        sub.mkdir(parents=True)
        if base is not None:
            (sub / "pixi.toml").write_text(base)
        for rel, data in (files or {}).items():
            path = sub / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data if isinstance(data, bytes) else data.encode())
        kinds[name] = kind
        return sub

    # right: the solution, and the same answer written differently
    make("right-solution", "right")
    make("right-inline", "memory", {"MEMORY": ""}, base=solution.replace(
        'start = { depends-on = ["lab"] }', 'start = { depends-on = ["lab"], description = "go" }'))
    make("right-table", "right", base=solution.replace('start = { depends-on = ["lab"] }', "")
         + '\n[tasks.start]\ndepends-on = ["lab"]\n')
    make("right-crlf", "right", base=solution.replace("\n", "\r\n"))
    make("Ünïcode learner", "right")
    make("=HYPERLINK(\"x\")", "right")  # a folder name a spreadsheet would run as a formula
    # wrong
    make("wrong-starter", "wrong", base=starter)
    make("wrong-cycle", "wrong", base=solution.replace('lab = "jupyter lab"', 'lab = { cmd = "jupyter lab", depends-on = ["start"] }'))
    make("wrong-typo", "wrong", base=solution.replace('depends-on = ["lab"]', 'depends-on = ["lba"]'))
    make("wrong-copy", "wrong", base=solution.replace('start = { depends-on = ["lab"] }', 'start = "jupyter lab"'))
    make("cheat-true-or", "cheat", base=solution.replace('lab = "jupyter lab"', 'lab = "true || jupyter lab"'))
    make("wrong-not-toml", "wrong", base="[workspace\nname = ")
    # hostile: code that would write the canary if the grader ran or imported it
    make("hostile-checks", "hostile", {"02/checks.py": sitecustomize(canary),
                                       "exercises/02-start-task/checks.py": sitecustomize(canary)})
    make("hostile-modules", "hostile", {name: sitecustomize(canary) for name in (
        "sitecustomize.py", "usercustomize.py", "hypothesis.py", "yaml.py", "tomlkit.py", "conftest.py",
        "minipixi/__init__.py", "zz-evil.pth", "lib/python3.11/site-packages/evil.pth")})
    make("crashing", "crash", {"CRASH": ""})
    outside = folder.parent / "outside-solution.toml"
    outside.write_text(solution)
    link = make("hostile-link-out", "hostile", base=None)
    (link / "pixi.toml").symlink_to(outside)
    loop = make("hostile-loop", "hostile", base=None)
    (loop / "pixi.toml").symlink_to(loop / "pixi.toml")
    fifo = make("hostile-fifo", "hostile", base=None)
    os.mkfifo(fifo / "pixi.toml")
    make("hostile-tasks", "hostile", base=solution.replace('lab = "jupyter lab"', f'lab = "touch {canary} && jupyter lab"'))
    make("hostile-channel", "hostile", {"chan/noarch/repodata.json": "{}"},
         base=solution.replace('channels = ["conda-forge"]', 'channels = ["./chan"]'))
    (folder / "linked-learner").symlink_to(folder / "right-solution")
    kinds["linked-learner"] = "link"
    # huge
    make("huge-manifest", "huge", base="#" + "x" * 3_000_000 + "\n" + solution)
    sparse = make("huge-sparse", "right")  # a right answer beside an 8 GiB (sparse) file
    with open(sparse / "data.bin", "wb") as handle:
        handle.truncate(8 << 30)
    make("huge-nesting", "huge", base="a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    make("huge-many-files", "right", {f"files/{i:04d}.txt": "x" for i in range(2000)})
    # empty
    make("empty-folder", "empty", base=None)
    make("empty-readme", "empty", {"README.md": "I did not do it"}, base=None)
    make("empty-manifest", "empty", base="")
    # hanging, and the probe
    make("hanging", "hang", {"HANG": ""})
    make("probe", "probe", {"PROBE": ""})
    (folder / ".git").mkdir()  # not a learner
    (folder / "roster.csv").write_text("not a learner\n")
    return kinds


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    canary = base / "canary"
    instructor = base / "instructor" / "02-start-task"
    instructor.mkdir(parents=True)
    (instructor / "checks.py").write_text(INSTRUCTOR_CHECKS)
    kinds = build_class(base / "submissions", canary)
    started = time.monotonic()
    code = main(["grade", "02", "--class", str(base / "submissions"), "-o", str(base / "grades"),
                 "--exercises", str(ROOT / "exercises"), "--instructor-checks", str(base / "instructor"),
                 "--time-limit", str(TIME_LIMIT), "--memory-limit", "1024", "--jobs", "3", "--timeout", "60"])
    elapsed = time.monotonic() - started
    book = json.loads((base / "grades" / "gradebook.json").read_text())
    return {"base": base, "canary": canary, "kinds": kinds, "code": code, "elapsed": elapsed, "book": book,
            "rows": {row["learner"]: row for row in book["learners"]},
            "exercise": load_exercise("02", exercises=ROOT / "exercises", instructor_checks=base / "instructor")}


def test_every_learner_has_one_row_and_no_code_ran(graded_class):
    assert graded_class["code"] == 0
    assert len(graded_class["kinds"]) == 30
    assert sorted(graded_class["rows"]) == sorted(graded_class["kinds"])
    assert not graded_class["canary"].exists()


def test_failures_stay_with_their_submission(graded_class):
    rows, kinds = graded_class["rows"], graded_class["kinds"]
    status = {name: row["status"] for name, row in rows.items()}
    assert status["hanging"] == "timeout" and TIME_LIMIT <= rows["hanging"]["seconds"] < TIME_LIMIT + 10
    assert status["linked-learner"] == "error" and "link" in rows["linked-learner"]["message"]
    assert status["crashing"] == "crashed" and "SIGKILL" in rows["crashing"]["message"]
    assert all(s == "graded" for name, s in status.items() if kinds[name] not in ("hang", "link", "crash")), status
    memory = rows["right-inline"]["checks"]  # the 4 GiB allocation failed inside its check only
    assert memory["no_crash"] == 0 and sum(memory.values()) == graded_class["book"]["max_score"] - 1
    full = graded_class["book"]["max_score"]
    for name, kind in kinds.items():
        public = rows[name]["score"] - sum(rows[name]["checks"].get(n, 0) for n in INSTRUCTOR_NAMES)
        if kind == "right":
            assert rows[name]["score"] == full, (name, rows[name])
        elif kind in ("wrong", "empty", "huge"):
            assert public < full - len(INSTRUCTOR_NAMES), (name, rows[name])


def test_the_gradebook_matches_grading_each_submission_alone(graded_class):
    exercise = graded_class["exercise"]
    submissions = graded_class["base"] / "submissions"
    compared = 0
    for name, row in graded_class["rows"].items():
        if row["status"] != "graded" or name in ("probe", "right-inline"):  # the probe's cwd differs; no 4 GiB here
            continue
        alone = grade(exercise, submissions / name)
        assert row["checks"] == {r.name: r.score for r in alone.results}, name
        assert row["score"] == alone.score
        compared += 1
    assert compared == 25  # 30 less the hanging, linked, crashing, probing and memory-hungry ones
    assert not graded_class["canary"].exists()


def test_the_worker_is_isolated(graded_class):
    report = json.loads((graded_class["base"] / "grades" / "reports" / "probe.json").read_text())
    probe = json.loads(next(c["message"] for c in report["checks"] if c["name"] == "surroundings"))
    submission = str(graded_class["base"] / "submissions" / "probe")
    assert probe["offline"] == "1" and probe["proxy"].startswith("http://127.0.0.1:")
    assert probe["memory"] == 1024 * 1024 * 1024 and probe["pythonpath"] is None
    for folder in (probe["cwd"], probe["home"]):
        assert not folder.startswith((submission, str(Path.home()))) and "minipixi-class-" in folder
    assert not any(entry.startswith(submission) for entry in probe["path"]) and "" not in probe["path"]
    if _network_namespace():  # root on Linux: the worker has a network namespace of its own
        assert probe["netns"] != os.readlink("/proc/self/ns/net")


def test_csv_and_reports(graded_class):
    grades = graded_class["base"] / "grades"
    with open(grades / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30
    by_name = {row["learner"]: row for row in rows}
    assert "'=HYPERLINK(\"x\")" in by_name  # shown as text, never run as a formula
    assert by_name["right-solution"]["zz_secret_no_hang"] == "1"  # the instructor sees hidden checks
    assert by_name["hanging"]["status"] == "timeout" and by_name["hanging"]["score"] == "0"
    for name in graded_class["kinds"]:
        for suffix in (".txt", ".json"):
            learner_facing = (grades / "reports" / f"{name}{suffix}").read_text()
            assert "zz_secret" not in learner_facing and "zz secret" not in learner_facing
    exercise = graded_class["exercise"]
    alone = grade(exercise, graded_class["base"] / "submissions" / "wrong-typo")
    assert (grades / "reports" / "wrong-typo.txt").read_text() == render(alone, "text")


def test_the_class_folder_must_not_hold_the_gradebook_or_the_checks(tmp_path, capsys):
    (tmp_path / "class" / "a").mkdir(parents=True)
    assert main(["grade", "02", "--class", str(tmp_path / "class"), "-o", str(tmp_path / "class" / "grades")]) != 0
    assert "inside the submission" in capsys.readouterr().err
    shutil.copytree(EXERCISE, tmp_path / "class" / "02-start-task")
    assert main(["grade", "02", "--class", str(tmp_path / "class"), "--exercises", str(tmp_path / "class")]) != 0
    assert "inside the submission" in capsys.readouterr().err
    assert main(["grade", "02", str(tmp_path), "--class", str(tmp_path / "class")]) != 0
    assert "not both" in capsys.readouterr().err
    (tmp_path / "taken").write_text("a file")
    assert main(["grade", "02", "--class", str(tmp_path / "class"), "-o", str(tmp_path / "taken")]) != 0
    assert "is a file" in capsys.readouterr().err and (tmp_path / "taken").read_text() == "a file"


def test_ctrl_c_stops_running_workers_at_once(tmp_path):
    """A stop (Ctrl-C in grade_class) kills a running worker now, not at its time limit."""
    import threading

    from minipixi.teaching.gradebook import Limits, grade_one

    folder = tmp_path / "exercises" / "99-sleep"
    folder.mkdir(parents=True)
    (folder / "checks.py").write_text(
        "import signal, time\nfrom minipixi.teaching.grade import check\n@check()\ndef check_sleep(sub):\n"
        "    'sleeps'\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    time.sleep(600)\n")
    (tmp_path / "learner").mkdir()
    exercise = load_exercise(str(folder))
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        grade_one(exercise, "learner", tmp_path / "learner", tmp_path / "scratch", timeout=600,
                  limits=Limits(seconds=300), stop=stop)
    assert time.monotonic() - started < 10
