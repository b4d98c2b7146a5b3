"""Grading: check a learner's exercise with properties, for the learner and for a classroom.

An *exercise* is a folder ``exercises/NN-slug/`` with the task (``README.md``), a ``starter/``
and a reference ``solution/``, and ``checks.py``: a list of *checks*. A check is a function that
looks at a *submission* (the learner's folder) and raises `CheckFailed` with feedback when it
finds a problem. Checks test properties, not strings: they load the learner's pixi.toml with
minipixi, solve it on the teaching channel, draw CUDA driver versions with hypothesis, and so
on, so that any correct answer passes however it is written.

Each check has points, and may be *hidden*: it is scored, but its feedback is withheld from the
learner (``--show-hidden`` shows it to an instructor). `grade` runs every check and never
crashes on a submission: an exception inside a check scores 0 for that check with a message,
and a check that runs too long is stopped.

Reports render as text (for a learner), JSON, JUnit XML (for CI systems) and the result format
of GitHub Classroom's autograding reporter (``exercises/classroom/`` has a workflow).

Lesson: every challenge of the lesson is an exercise. Read `exercises/README.md` first.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from xml.sax.saxutils import escape, quoteattr

from minipixi.errors import GradeError, MinipixiError

MAX_FILE_BYTES = 1_000_000
DEFAULT_TIMEOUT = 60


class CheckFailed(Exception):
    """Raised by a check: `feedback` tells the learner what to look at (not the answer)."""

    def __init__(self, feedback: str) -> None:
        super().__init__(feedback)
        self.feedback = feedback


@dataclass(frozen=True)
class Check:
    name: str
    points: int
    run: Callable[["Submission"], None]
    description: str = ""
    hidden: bool = False


def check(points: int = 1, *, hidden: bool = False, name: str | None = None):
    """Decorator for check functions in an exercise's checks.py; the docstring describes it."""

    def wrap(function: Callable[["Submission"], None]) -> Check:
        doc = (function.__doc__ or "").strip().splitlines()
        return Check(name or function.__name__.removeprefix("check_"), points, function,
                     doc[0] if doc else "", hidden)

    return wrap


# ---- the submission: a folder the grader reads, and never reads outside of ------------------

@dataclass
class Submission:
    """The learner's folder. Every read goes through `path`, which refuses to leave it."""

    root: Path
    scratch: Path
    _cache: dict = field(default_factory=dict)

    def path(self, relative: str) -> Path:
        """`relative` inside the submission; CheckFailed for absolute paths, `..` or links out."""
        candidate = Path(relative)
        if candidate.is_absolute() or ".." in candidate.parts:
            raise CheckFailed(f"'{relative}' points outside your submission folder")
        full = self.root / candidate
        try:
            resolved = full.resolve()
        except (OSError, RuntimeError) as err:  # a symlink loop
            raise CheckFailed(f"'{relative}' cannot be read: {err}") from err
        if resolved != self.root and self.root not in resolved.parents:
            raise CheckFailed(f"'{relative}' is a link to a place outside your submission folder")
        return full

    def exists(self, relative: str) -> bool:
        try:
            return self.path(relative).exists()
        except CheckFailed:
            return False

    def read_text(self, relative: str) -> str:
        """The text of a file: CheckFailed if missing, too large, binary or not UTF-8."""
        path = self.path(relative)
        if not path.is_file():
            raise CheckFailed(f"{relative} is missing from your submission")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CheckFailed(f"{relative} is larger than {MAX_FILE_BYTES // 1000} kB; is it the right file?")
        data = path.read_bytes()
        if b"\0" in data:
            raise CheckFailed(f"{relative} is a binary file, not text")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise CheckFailed(f"{relative} is not UTF-8 text") from err

    def workspace(self):
        """The submission's pixi.toml, read by minipixi (CheckFailed with minipixi's message)."""
        if "workspace" not in self._cache:
            from minipixi.manifest import parse_manifest

            text = self.read_text("pixi.toml")
            try:
                self._cache["workspace"] = parse_manifest(text, self.path("pixi.toml"))
            except MinipixiError as err:
                raise CheckFailed(f"pixi.toml cannot be read: {err.message}"
                                  + (f" ({err.hint})" if err.hint else "")) from err
        return self._cache["workspace"]

    def project(self):
        """The submission as a project on the offline teaching channel, for solving."""
        from minipixi.config import Config
        from minipixi.workspace import Project

        return Project(self.workspace(), Config(offline=True))


# ---- exercises ---------------------------------------------------------------------------------

@dataclass
class Exercise:
    slug: str
    folder: Path
    title: str
    checks: list[Check]

    @property
    def max_score(self) -> int:
        return sum(c.points for c in self.checks)


def exercises_root() -> Path:
    """Where exercises live: $MINIPIXI_EXERCISES, ./exercises, or the repository's exercises/."""
    for candidate in (os.environ.get("MINIPIXI_EXERCISES"), "exercises",
                      Path(__file__).resolve().parent.parent / "exercises"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate).resolve()
    raise GradeError("cannot find the exercises folder",
                     hint="run from the lesson repository, or set MINIPIXI_EXERCISES to its exercises/ folder")


def find_exercise(name: str) -> Path:
    """An exercise folder from a path, a slug (``cuda-environments``) or a number (``07``)."""
    if Path(name, "checks.py").is_file():
        return Path(name).resolve()
    root = exercises_root()
    matches = [p for p in sorted(root.iterdir()) if (p / "checks.py").is_file()
               and (p.name == name or p.name.split("-", 1)[-1] == name or p.name.split("-", 1)[0] == name)]
    if not matches:
        known = ", ".join(p.name for p in sorted(root.iterdir()) if (p / "checks.py").is_file())
        raise GradeError(f"no exercise called '{name}'", hint=f"exercises: {known}")
    return matches[0]


def load_exercise(name: str) -> Exercise:
    folder = find_exercise(name)
    spec = importlib.util.spec_from_file_location(f"minipixi_exercise_{folder.name.replace('-', '_')}",
                                                  folder / "checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checks = [value for value in vars(module).values() if isinstance(value, Check)]
    title = getattr(module, "TITLE", folder.name)
    return Exercise(folder.name, folder, title, checks)


# ---- running the checks ------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    points: int
    score: int
    message: str
    hidden: bool
    seconds: float

    @property
    def passed(self) -> bool:
        return self.score == self.points


@dataclass(frozen=True)
class Report:
    exercise: str
    title: str
    results: tuple[CheckResult, ...]

    @property
    def score(self) -> int:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(r.points for r in self.results)


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Stop the block after `seconds` (SIGALRM, main thread only; elsewhere no limit)."""
    import threading

    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def alarm(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_check(item: Check, submission: Submission, timeout: int) -> CheckResult:
    """One check, contained: whatever happens inside, the result is a score and a message."""
    started = time.monotonic()
    try:
        with _time_limit(timeout):
            item.run(submission)
        score, message = item.points, "passed"
    except CheckFailed as failure:
        score, message = 0, failure.feedback
    except _Timeout:
        score, message = 0, f"this check took longer than {timeout} s and was stopped"
    except MinipixiError as err:
        score, message = 0, err.message + (f" ({err.hint})" if err.hint else "")
    except RecursionError:
        score, message = 0, "this check could not finish (the input is nested too deeply)"
    except Exception as err:  # noqa: BLE001 - a grader never crashes on a submission
        score, message = 0, f"the grader could not check this ({type(err).__name__}); look at the files this check reads"
    return CheckResult(item.name, item.description, item.points, score, message, item.hidden,
                       round(time.monotonic() - started, 3))


def grade(exercise: Exercise, submission_dir: Path, *, timeout: int = DEFAULT_TIMEOUT) -> Report:
    """Run every check of `exercise` on `submission_dir`; never raises for a bad submission."""
    import tempfile

    root = Path(submission_dir).resolve()
    if not root.is_dir():
        raise GradeError(f"{submission_dir} is not a folder", hint="give the folder that holds your pixi.toml")
    with tempfile.TemporaryDirectory(prefix="minipixi-grade-") as scratch, _grading_environment(Path(scratch)):
        submission = Submission(root, Path(scratch))
        results = tuple(run_check(item, submission, timeout) for item in exercise.checks)
    return Report(exercise.slug, exercise.title, results)


def _grading_environment(scratch: Path):
    """Solve on the offline teaching channel, with a private cache and home, and no CUDA
    override leaking in from the grader's own shell."""
    from minipixi.config import cache_dir, temporary_environ

    return temporary_environ({
        "MINIPIXI_OFFLINE": "1", "MINIPIXI_CACHE_DIR": os.environ.get("MINIPIXI_CACHE_DIR") or str(cache_dir()),
        "MINIPIXI_HOME": str(scratch / "home"), "CONDA_OVERRIDE_CUDA": None,
    })


# ---- reports -----------------------------------------------------------------------------------

def _visible_message(result: CheckResult, show_hidden: bool) -> str:
    if result.hidden and not show_hidden and not result.passed:
        return "hidden check: its details are withheld"
    return result.message


def render_text(report: Report, *, show_hidden: bool = False) -> str:
    lines = [f"{report.exercise}: {report.title}", ""]
    for r in report.results:
        mark = "✔" if r.passed else "✘"
        label = f"{r.name} (hidden)" if r.hidden else r.name
        lines.append(f"{mark} {label}  [{r.score}/{r.points}]")
        if not r.passed:
            lines.append(f"    {_visible_message(r, show_hidden)}")
    lines += ["", f"Score: {report.score}/{report.max_score}"]
    return "\n".join(lines) + "\n"


def render_json(report: Report, *, show_hidden: bool = False) -> str:
    data = {"exercise": report.exercise, "title": report.title, "score": report.score,
            "max_score": report.max_score,
            "checks": [{"name": r.name, "description": r.description, "points": r.points, "score": r.score,
                        "passed": r.passed, "hidden": r.hidden, "message": _visible_message(r, show_hidden),
                        "seconds": r.seconds} for r in report.results]}
    return json.dumps(data, indent=2) + "\n"


def render_classroom(report: Report, *, show_hidden: bool = False) -> str:
    """GitHub Classroom's autograding reporter format (base64 it into `<ID>_RESULTS`)."""
    status = "pass" if report.score == report.max_score else "fail"
    tests = [{"name": r.name, "status": "pass" if r.passed else "fail", "score": r.score,
              "message": _visible_message(r, show_hidden), "line_no": 0, "execution_time": f"{r.seconds}s",
              "max_score": r.points} for r in report.results]
    return json.dumps({"version": 1, "status": status, "max_score": report.max_score, "tests": tests}, indent=2) + "\n"


def render_junit(report: Report, *, show_hidden: bool = False) -> str:
    failures = sum(not r.passed for r in report.results)
    total = sum(r.seconds for r in report.results)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuite name={quoteattr(report.exercise)} tests="{len(report.results)}" '
             f'failures="{failures}" errors="0" time="{total:.3f}">']
    for r in report.results:
        lines.append(f'  <testcase classname={quoteattr(report.exercise)} name={quoteattr(r.name)} time="{r.seconds:.3f}">')
        lines.append(f'    <properties><property name="score" value="{r.score}"/>'
                     f'<property name="max_score" value="{r.points}"/></properties>')
        if not r.passed:
            message = _visible_message(r, show_hidden)
            lines.append(f"    <failure message={quoteattr(message)}>{escape(message)}</failure>")
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit, "classroom": render_classroom}


def render(report: Report, fmt: str = "text", *, show_hidden: bool = False) -> str:
    if fmt not in RENDERERS:
        raise GradeError(f"unknown format '{fmt}'", hint="choose text, json, junit or classroom")
    return RENDERERS[fmt](report, show_hidden=show_hidden)
