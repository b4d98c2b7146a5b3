"""A whole class at once: each submission graded in its own worker process, then a gradebook.

``minipixi grade 07 --class submissions`` grades every sub-folder of ``submissions`` (one per
learner) and writes, into the output folder (``-o``, default ``grades-<exercise>``):

- ``gradebook.csv`` and ``gradebook.json``: one row per learner, the points of every check
  (hidden ones included: the gradebook is for the instructor), the status and the time taken;
- ``reports/<learner>.txt`` and ``.json``: what that learner would see (hidden checks withheld).

This is the path an instructor can trust: it runs on the instructor's machine, from the
instructor's exercises, and a learner can change nothing in it (in GitHub Classroom a learner can
edit the workflow that grades them). `teaching/grade.py` already treats a submission as data;
the worker adds the walls that keep one submission from costing more than its own share:

- **a process of its own**, started as ``python -I`` (no ``PYTHONPATH``, no user site folder, no
  current folder on ``sys.path``), in a new session, so that it and anything it starts can be
  killed together;
- **private folders**: its current folder, ``HOME``, ``MINIPIXI_HOME``, the package cache and
  ``TMPDIR`` are fresh folders in a scratch area, and its environment is built from nothing
  (only ``PATH`` is kept);
- **no network**: ``MINIPIXI_OFFLINE=1``, every proxy variable points at 127.0.0.1 port 9, where
  nothing listens, and, where ``unshare --net`` works (root on Linux), an empty network namespace;
- **limits** (`Limits`): the worker limits its own memory, CPU time and the size of any file it
  writes (``resource.setrlimit``) before it reads the submission, and the parent kills the
  whole process group at the wall-clock limit. A hanging or huge submission costs its own
  limit, and is recorded as ``timeout`` or ``crashed``, with score 0.

Workers run a few at a time (``--jobs``). The worker is this module run as a script
(`_worker_main`); it grades with `grade.grade` and prints the JSON report, hidden checks
included, so a row of the gradebook is exactly what ``minipixi grade EX FOLDER`` scores.

Lesson: instructor notes (``lessons/instructor-notes.md``). Read after
`teaching/checks/global_tools.py` (and `teaching/grade.py`): the last module of `teaching/`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from minipixi.errors import GradeError
from minipixi.files import check_component, write_atomic
from minipixi.teaching.grade import (
    DEFAULT_TIMEOUT, CheckResult, Exercise, Report, grade, load_exercise, refuse_inside_submission, render,
    render_json,
)

#: Where every proxy variable points inside a worker: the discard port on the loopback address.
NO_ROUTE = "http://127.0.0.1:9"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
MAX_REPORT_BYTES = 16_000_000


@dataclass(frozen=True)
class Limits:
    """What one submission may cost: wall-clock seconds, memory (address space) and file size in
    MiB; and how many submissions are graded at the same time."""

    seconds: float = 300
    memory_mb: int = 2048
    file_mb: int = 256
    jobs: int = 2


@dataclass(frozen=True)
class Entry:
    """One learner's row. `status`: ``graded``, ``timeout`` (stopped at the time limit),
    ``crashed`` (the worker died: memory or CPU limit, or a signal) or ``error`` (not gradable)."""

    learner: str
    status: str
    message: str
    report: Report | None
    seconds: float

    @property
    def score(self) -> int:
        return self.report.score if self.report else 0


@dataclass(frozen=True)
class Gradebook:
    exercise: Exercise
    entries: tuple[Entry, ...]
    folder: Path  # where it was written


# ---- the class folder ----------------------------------------------------------------------

def submissions(class_folder: Path) -> list[tuple[str, Path]]:
    """(learner, folder) for every sub-folder, sorted; dot-folders (``.git``) and files are not
    submissions. A sub-folder that is a symlink is listed too: it is recorded as an error, never
    followed."""
    if not class_folder.is_dir():
        raise GradeError(f"{class_folder} is not a folder", hint="give the folder that holds one sub-folder per learner")
    return [(p.name, p) for p in sorted(class_folder.iterdir())
            if not p.name.startswith(".") and (p.is_symlink() or p.is_dir())]


def grade_class(exercise_name: str, class_folder: str | os.PathLike, output: str | os.PathLike | None = None, *,
                exercises: str | os.PathLike | None = None, instructor_checks: str | os.PathLike | None = None,
                timeout: int = DEFAULT_TIMEOUT, limits: Limits = Limits(), show_hidden: bool = False) -> Gradebook:
    """Grade every submission in `class_folder` in worker processes; write the gradebook and the
    learners' reports into `output` (default ``grades-<exercise>`` here)."""
    folder = Path(class_folder).resolve()
    exercise = load_exercise(exercise_name, exercises=exercises, instructor_checks=instructor_checks,
                             submission=folder)
    out = Path(output or f"grades-{exercise.slug}").absolute()
    refuse_inside_submission(out, folder, "gradebook folder")
    if out.exists() and not out.is_dir():
        raise GradeError(f"{out} is a file", hint="give -o a folder for the gradebook and the reports")
    learners = submissions(folder)
    stop = threading.Event()  # Ctrl-C: every running worker is killed at once, none started after
    with tempfile.TemporaryDirectory(prefix="minipixi-class-") as scratch:
        jobs = [(name, path, Path(scratch) / f"{number:05d}") for number, (name, path) in enumerate(learners)]
        with ThreadPoolExecutor(max(1, limits.jobs)) as pool:
            try:
                entries = tuple(pool.map(lambda job: grade_one(exercise, *job, timeout=timeout, limits=limits,
                                                               stop=stop), jobs))
            except BaseException:
                stop.set()
                raise
    book = Gradebook(exercise, entries, out)
    write_gradebook(book, show_hidden=show_hidden)
    return book


# ---- one worker ----------------------------------------------------------------------------

def grade_one(exercise: Exercise, learner: str, submission: Path, scratch: Path, *, timeout: int,
              limits: Limits, stop: threading.Event | None = None) -> Entry:
    """Grade one submission in a worker process under `limits`; an Entry whatever happens
    (`stop` set: the worker is killed, and KeyboardInterrupt raised)."""
    started = time.monotonic()
    if stop is not None and stop.is_set():
        raise KeyboardInterrupt
    if submission.is_symlink():
        return Entry(learner, "error", "the submission is a link, not a folder: it was not followed", None, 0.0)
    for name in ("home", "minipixi-home", "cache", "tmp", "work"):
        (scratch / name).mkdir(parents=True)
    request = {"exercise": str(exercise.folder), "submission": str(submission), "timeout": timeout,
               "instructor_checks": [str(p.parent) for p in exercise.sources[1:]],
               "memory_mb": limits.memory_mb, "file_mb": limits.file_mb, "cpu_seconds": limits.seconds}
    (scratch / "request.json").write_text(json.dumps(request), encoding="utf-8")
    command = [*_network_namespace(), sys.executable, "-I", "-m", "minipixi.teaching.gradebook", str(scratch / "request.json")]
    with open(scratch / "stdout", "wb") as stdout, open(scratch / "stderr", "wb") as stderr:
        try:
            process = subprocess.Popen(command, cwd=scratch / "work", env=_worker_environment(scratch),
                                       stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True)
        except OSError as err:
            return Entry(learner, "crashed", f"the worker could not be started ({err})", None, 0.0)
        try:
            code = _wait(process, started + limits.seconds, stop)
        finally:
            _kill_group(process)  # anything the worker started and left behind
    seconds = round(time.monotonic() - started, 3)
    if code is None:
        return Entry(learner, "timeout", f"stopped after the time limit of {limits.seconds:g} s", None, seconds)
    answer = _read_answer(scratch / "stdout")
    if code == 0 and isinstance(answer, dict) and "checks" in answer:
        try:
            return Entry(learner, "graded", "", _report_from_json(answer, exercise), seconds)
        except (KeyError, TypeError, ValueError) as err:
            return Entry(learner, "crashed", f"the worker's report could not be read ({err})", None, seconds)
    if code == 3 and isinstance(answer, dict) and "error" in answer:
        return Entry(learner, "error", str(answer["error"]), None, seconds)
    return Entry(learner, "crashed", _why_crashed(code, scratch / "stderr", limits), None, seconds)


def _wait(process: subprocess.Popen, deadline: float, stop: threading.Event | None) -> int | None:
    """The worker's exit code, or None at the deadline; KeyboardInterrupt when `stop` is set."""
    while True:
        try:
            return process.wait(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt from None
            if time.monotonic() >= deadline:
                return None


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _worker_environment(scratch: Path) -> dict[str, str]:
    """The worker's whole environment: built from nothing, private folders, no network."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "HOME": str(scratch / "home"), "MINIPIXI_HOME": str(scratch / "minipixi-home"),
           "MINIPIXI_CACHE_DIR": str(scratch / "cache"), "TMPDIR": str(scratch / "tmp"),
           "XDG_CACHE_HOME": str(scratch / "cache"), "XDG_CONFIG_HOME": str(scratch / "home"),
           "NUMBA_CACHE_DIR": str(scratch / "cache" / "numba"), "MINIPIXI_OFFLINE": "1",
           "NO_PROXY": "", "no_proxy": ""}
    env.update(dict.fromkeys(PROXY_VARIABLES, NO_ROUTE))
    return env


@cache
def _network_namespace() -> tuple[str, ...]:
    """``unshare --net --`` when this machine lets us start a process without any network
    (root on Linux), else nothing (the proxies and offline mode remain)."""
    tool = shutil.which("unshare")
    if tool is None:
        return ()
    try:
        works = subprocess.run([tool, "--net", "--", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        works = False
    return (tool, "--net", "--") if works else ()


def _read_answer(path: Path):
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _why_crashed(code: int, stderr: Path, limits: Limits) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        reasons = {"SIGXCPU": f"it used more than {limits.seconds:g} s of CPU time",
                   "SIGXFSZ": f"it wrote a file larger than {limits.file_mb} MiB",
                   "SIGKILL": "it was killed (out of memory?)"}
        return f"the worker was stopped by {name}: {reasons.get(name, 'a signal')}"
    try:
        with open(stderr, "rb") as handle:
            tail = handle.read(4000).decode("utf-8", "replace").strip().splitlines()[-1:]
    except OSError:
        tail = []
    return f"the worker exited with code {code}" + (f": {tail[0]}" if tail else "")


def _report_from_json(data: dict, exercise: Exercise) -> Report:
    """A worker's JSON report (hidden checks included) back into a Report, checked against the
    exercise: the same checks, in order, each score between 0 and its points."""
    results = []
    for item, expected in zip(data["checks"], exercise.checks, strict=True):
        score, points = int(item["score"]), int(item["points"])
        if item["name"] != expected.name or points != expected.points or not 0 <= score <= points:
            raise ValueError(f"unexpected result for check {expected.name}")
        results.append(CheckResult(expected.name, expected.description, points, score, str(item["message"]),
                                   expected.hidden, float(item["seconds"])))
    return Report(exercise.slug, exercise.title, tuple(results))


def _limit_self(request: dict) -> None:
    """The worker's own limits, set before it reads the submission (and inherited by anything
    it starts): address space, CPU seconds, file size; no core dumps."""
    import resource  # lazy: POSIX only (class grading needs it), and importing minipixi must work on Windows

    memory = request["memory_mb"] * 1024 * 1024
    cpu = math.ceil(request["cpu_seconds"]) + 1
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    size = request["file_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _worker_main(request_path: str) -> int:
    """In the worker: limit itself, grade, print the JSON report (exit 0); a submission that
    cannot be graded prints ``{"error": ...}`` (exit 3)."""
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    _limit_self(request)
    try:
        exercise = load_exercise(request["exercise"], submission=request["submission"],
                                 instructor_checks=(request["instructor_checks"] or [None])[0])
        report = grade(exercise, Path(request["submission"]), timeout=request["timeout"])
    except GradeError as err:
        sys.stdout.write(json.dumps({"error": err.message + (f" ({err.hint})" if err.hint else "")}))
        return 3
    sys.stdout.write(render_json(report, show_hidden=True))
    return 0


# ---- writing the gradebook -----------------------------------------------------------------

def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: a learner's folder named ``=HYPERLINK(...)``
    must not become a formula (a leading ``= + - @`` or tab gets a ``'``)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_name(learner: str) -> str:
    """A file name for a learner's reports: the folder name itself when it is short enough,
    else its beginning and a hash (a file name has at most 255 bytes)."""
    if len(learner.encode()) <= 200:
        return learner
    return learner.encode()[:100].decode("utf-8", "ignore") + "-" + hashlib.sha256(learner.encode()).hexdigest()[:12]


def gradebook_rows(book: Gradebook) -> list[dict]:
    rows = []
    for entry in book.entries:
        scores = {r.name: r.score for r in entry.report.results} if entry.report else {}
        rows.append({"learner": entry.learner, "status": entry.status, "score": entry.score,
                     "max_score": book.exercise.max_score, "checks": scores, "message": entry.message,
                     "seconds": entry.seconds, "report": f"reports/{report_name(entry.learner)}.json"})
    return rows


def render_gradebook_csv(book: Gradebook) -> str:
    names = [c.name for c in book.exercise.checks]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["learner", "status", "score", "max_score", *names, "message"])
    for row in gradebook_rows(book):
        writer.writerow([_cell(row["learner"]), row["status"], row["score"], row["max_score"],
                         *(row["checks"].get(n, "") for n in names), _cell(row["message"])])
    return buffer.getvalue()


def render_gradebook_json(book: Gradebook) -> str:
    data = {"exercise": book.exercise.slug, "title": book.exercise.title, "max_score": book.exercise.max_score,
            "checks": [{"name": c.name, "points": c.points, "hidden": c.hidden, "description": c.description}
                       for c in book.exercise.checks],
            "learners": gradebook_rows(book)}
    return json.dumps(data, indent=2) + "\n"


def write_gradebook(book: Gradebook, *, show_hidden: bool = False) -> None:
    """The gradebook (CSV, JSON) and each learner's reports, every file written atomically."""
    reports = book.folder / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for entry in book.entries:
        name = check_component(report_name(entry.learner), what="learner folder name")
        if entry.report is not None:
            text = render(entry.report, "text", show_hidden=show_hidden)
            data = render(entry.report, "json", show_hidden=show_hidden)
        else:
            text = f"{book.exercise.slug}: {book.exercise.title}\n\nnot graded ({entry.status}): {entry.message}\n"
            data = json.dumps({"exercise": book.exercise.slug, "status": entry.status, "message": entry.message,
                               "score": 0, "max_score": book.exercise.max_score}, indent=2) + "\n"
        write_atomic(reports / f"{name}.txt", text)
        write_atomic(reports / f"{name}.json", data)
    write_atomic(book.folder / "gradebook.csv", render_gradebook_csv(book))
    write_atomic(book.folder / "gradebook.json", render_gradebook_json(book))


if __name__ == "__main__":  # the worker: python -I -m minipixi.teaching.gradebook REQUEST.json
    sys.exit(_worker_main(sys.argv[1]))
