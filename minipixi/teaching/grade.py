"""Grading: check a learner's exercise with properties, for the learner and for a classroom.

An *exercise* is a folder of the lesson's ``exercises`` (``NN-slug``) with the task
(``README.md``), a ``starter`` and a reference ``solution`` folder, and checks.py: a list of
*checks*. A check is a function that looks at a *submission* (the learner's folder) and raises
`CheckFailed` with feedback when it finds a problem. Checks test properties, not strings: they
load the learner's pixi.toml with minipixi, solve it on the teaching channel, draw CUDA driver
versions with hypothesis, and so on, so that any correct answer passes however it is written.

Each check has points, and may be *hidden*: it is scored, but the learner sees neither its name,
nor its description, nor its feedback, in any format (``--show-hidden`` shows them to an
instructor). `grade` runs every check and never crashes on a submission: an exception inside a
check scores 0 for that check with a message, and a check that runs too long is stopped.

The submission is data, never code. The checks come from the instructor's exercises folder only
(never from the folder being graded, which is often the current folder); nothing inside the
submission is on ``sys.path`` while checks are imported or run; and solving reads conda-forge's
offline teaching mirror and nothing else, so a channel the submission declares (``./chan``) is a
finding, never read or installed from. A whole class is graded in isolated worker processes
by `teaching/gradebook.py`.

Reports render as text (for a learner), JSON, JUnit XML (for CI systems) and the result format
of GitHub Classroom's autograding reporter (``exercises/classroom/`` has a workflow).

The shared checks exercises are built from live in `teaching/checks/` (properties of
environments, tasks, files, CUDA builds, global tools); the readers of learner files they use
(shell text, Dockerfiles, Apptainer definitions, batch scripts, HTCondor submit files, GitHub
workflows), which never run any of it, live in `teaching/reading/`.

Lesson: every challenge of the lesson is an exercise. Read `exercises/README.md` before this
module; read next `teaching/checks/environments.py`, and `teaching/gradebook.py` last.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import tempfile
import threading
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


def property_settings():
    """Settings for a hypothesis property inside a check: few examples, always the same ones,
    no example database, no deadline, and no health check that would fail a learner's grade
    (e.g. when the grader itself runs inside a hypothesis test)."""
    from hypothesis import HealthCheck, settings  # lazy: hypothesis loads only for property checks

    return settings(max_examples=8, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))


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
            from minipixi.manifest.parse import parse_manifest  # lazy: tomlkit; `minipixi grade --help` stays fast

            text = self.read_text("pixi.toml")
            try:
                self._cache["workspace"] = parse_manifest(text, self.path("pixi.toml"))
            except MinipixiError as err:
                raise CheckFailed(f"pixi.toml cannot be read: {err.message}"
                                  + (f" ({err.hint})" if err.hint else "")) from err
        return self._cache["workspace"]

    def project(self):
        """The submission as a project on the offline teaching channel, for solving."""
        from minipixi.app.project import Project  # lazy: loads the manifest reader (tomlkit) and YAML
        from minipixi.config import Config  # lazy: reads TOML config files

        return Project(self.workspace(), Config(offline=True))


# ---- exercises: the checks come from the instructor, never from the submission -----------------
#
# A learner controls the folder being graded, and in GitHub Classroom the grader even runs inside
# it. So an exercise is never looked up relative to the current folder: a name like ``07`` is
# found in one exercises folder the instructor chose (``--exercises DIR``, else
# ``$MINIPIXI_EXERCISES``, else the exercises shipped with minipixi), and an exercise folder,
# however it was named, is refused when it lies inside the submission.

@dataclass
class Exercise:
    slug: str
    folder: Path
    title: str
    checks: list[Check]
    sources: tuple[Path, ...] = ()  # the checks files, never inside a submission

    @property
    def max_score(self) -> int:
        return sum(c.points for c in self.checks)


def packaged_exercises() -> Path:
    """The exercises shipped with minipixi: ``exercises/`` next to the ``minipixi`` package."""
    return Path(__file__).resolve().parents[2] / "exercises"


def exercises_root(explicit: str | os.PathLike | None = None) -> Path:
    """The one folder exercises are looked up in: `explicit` (``--exercises``), else
    ``$MINIPIXI_EXERCISES``, else `packaged_exercises()`. Never the current folder."""
    for source, candidate in (("--exercises", explicit), ("MINIPIXI_EXERCISES", os.environ.get("MINIPIXI_EXERCISES"))):
        if candidate:
            if not Path(candidate).is_dir():
                raise GradeError(f"{source} names '{candidate}', which is not a folder",
                                 hint="give the exercises/ folder of the lesson repository")
            return Path(candidate).resolve()
    if packaged_exercises().is_dir():
        return packaged_exercises()
    raise GradeError("cannot find the exercises shipped with minipixi",
                     hint="give the lesson's exercises/ folder with --exercises DIR or MINIPIXI_EXERCISES")


def _is_path(name: str) -> bool:
    """`name` names a folder (``./07``, ``/x/07-cuda``), not an exercise (``07``, ``cuda-environments``)."""
    return "/" in name or os.sep in name or name in (".", "..")


def _exercise_folders(root: Path) -> list[Path]:
    return [p for p in sorted(root.iterdir()) if (p / "checks.py").is_file()]


def find_exercise(name: str, exercises: str | os.PathLike | None = None) -> Path:
    """An exercise folder from a path (``/x/07-cuda-environments``), a slug
    (``cuda-environments``) or a number (``07``); names are looked up only in `exercises_root`."""
    if _is_path(name):
        folder = Path(name).resolve()
        if not (folder / "checks.py").is_file():
            raise GradeError(f"{name} is not an exercise folder (it has no checks.py)",
                             hint="give an exercise's number or name, or a folder like exercises/07-cuda-environments")
        return folder
    root = exercises_root(exercises)
    matches = [p for p in _exercise_folders(root)
               if name in (p.name, p.name.split("-", 1)[-1], p.name.split("-", 1)[0])]
    if not matches:
        known = ", ".join(p.name for p in _exercise_folders(root))
        raise GradeError(f"no exercise called '{name}' in {root}", hint=f"exercises: {known}")
    return matches[0]


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def refuse_inside_submission(path: Path, submission: Path, what: str) -> None:
    """GradeError if `path` (symlinks followed) lies inside the submission being graded."""
    if _within(Path(path).resolve(), Path(submission).resolve()):
        raise GradeError(f"the {what} {path} is inside the submission being graded",
                         hint="checks come from the instructor: keep the exercises outside the learner's folder "
                              "(--exercises DIR) and grade the learner's folder as data")


def load_exercise(name: str, *, exercises: str | os.PathLike | None = None,
                  instructor_checks: str | os.PathLike | None = None,
                  submission: str | os.PathLike | None = None) -> Exercise:
    """The checks of exercise `name` (see `find_exercise`), plus those of `instructor_checks`: a
    folder that holds more checks for it (its own ``checks.py``, or ``<exercise folder>/checks.py``),
    e.g. hidden checks an instructor keeps out of the public repository.

    With `submission` given, no checks file may lie inside it, and nothing inside it is on
    ``sys.path`` while the checks are imported."""
    folder = find_exercise(name, exercises)
    files = [folder / "checks.py"]
    if instructor_checks is not None:
        files.append(_instructor_checks_file(Path(instructor_checks), folder.name))
    if submission is not None:
        for path in files:
            refuse_inside_submission(path, Path(submission), "checks file")
    title, checks = folder.name, []
    with _submission_off_sys_path(None if submission is None else Path(submission).resolve()):
        for number, path in enumerate(files):
            module = _import_checks(path, f"minipixi_exercise_{folder.name.replace('-', '_')}_{number}")
            title = getattr(module, "TITLE", title) if number == 0 else title
            checks += [value for value in vars(module).values() if isinstance(value, Check)]
    names = [c.name for c in checks]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise GradeError(f"exercise {folder.name} has two checks called {', '.join(twice)}",
                         hint="every check needs its own name (the public and the instructor's checks together)")
    return Exercise(folder.name, folder, title, checks, tuple(files))


def _instructor_checks_file(root: Path, exercise: str) -> Path:
    for candidate in (root / exercise / "checks.py", root / "checks.py"):
        if candidate.is_file():
            return candidate
    raise GradeError(f"--instructor-checks {root} has no checks for exercise {exercise}",
                     hint=f"put them in {root / exercise / 'checks.py'}")


def _import_checks(path: Path, module_name: str):
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as err:  # a broken install, not a bug in the grader
        raise _missing_package(err, str(path)) from err
    return module


def _missing_package(err: ModuleNotFoundError, where: str) -> GradeError:
    return GradeError(f"the checks in {where} need the Python package '{err.name}', which is not installed",
                      hint="install minipixi with its dependencies (pip install -e . in the lesson repository)")


@contextmanager
def _submission_off_sys_path(root: Path | None) -> Iterator[None]:
    """Import nothing from the submission: while the block runs, no ``sys.path`` entry lies inside
    `root` (``python -m`` puts the current folder first, and the current folder may be the
    submission: its ``hypothesis.py`` would otherwise be imported by the checks). A module
    already imported from inside it means its code has run: refused.

    The grader's own Python installation is not the submission's code, even when it lies inside
    the submission (a learner grading their folder with a ``.venv`` kept in it): entries inside
    ``sys.prefix`` (or the base and exec prefixes) stay."""
    if root is None:
        yield
        return
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    folders: dict[str, bool] = {}

    def from_submission(path: str) -> bool:
        if path not in folders:
            real = Path(os.path.realpath(path or os.curdir))
            folders[path] = _within(real, root) and not any(_within(real, prefix) for prefix in prefixes)
        return folders[path]

    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and from_submission(os.path.dirname(os.path.abspath(file))):
            raise GradeError(f"the Python module '{name}' was imported from inside the submission ({file})",
                             hint="run `minipixi grade` from outside the learner's folder, with no PYTHONPATH into it")
    saved = list(sys.path)
    sys.path[:] = [entry for entry in saved if not from_submission(entry)]
    try:
        yield
    finally:
        sys.path[:] = saved + [entry for entry in sys.path if entry not in saved]


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
    except ModuleNotFoundError as err:  # the grader's install is broken: no score means anything
        raise _missing_package(err, item.name) from err
    except MinipixiError as err:
        score, message = 0, err.message + (f" ({err.hint})" if err.hint else "")
    except RecursionError:
        score, message = 0, "this check could not finish (the input is nested too deeply)"
    except Exception as err:  # noqa: BLE001 - a grader never crashes on a submission
        score, message = 0, f"the grader could not check this ({type(err).__name__}); look at the files this check reads"
    return CheckResult(item.name, item.description, item.points, score, message, item.hidden,
                       round(time.monotonic() - started, 3))


# --8<-- [start:grade]
def grade(exercise: Exercise, submission_dir: Path, *, timeout: int = DEFAULT_TIMEOUT) -> Report:
    """Run every check of `exercise` on `submission_dir`; never raises for a bad submission.

    The submission is data: no checks file may come from inside it, nothing inside it is on
    ``sys.path``, and solving reads conda-forge's teaching mirror only (`_grading_environment`)."""
    root = Path(submission_dir).resolve()
    if not root.is_dir():
        raise GradeError(f"{submission_dir} is not a folder", hint="give the folder that holds your pixi.toml")
    for source in exercise.sources:
        refuse_inside_submission(source, root, "checks file")
    with (tempfile.TemporaryDirectory(prefix="minipixi-grade-") as scratch, _grading_environment(Path(scratch)),
          _submission_off_sys_path(root)):
        submission = Submission(root, Path(scratch))
        results = tuple(run_check(item, submission, timeout) for item in exercise.checks)
    return Report(exercise.slug, exercise.title, results)
# --8<-- [end:grade]


@contextmanager
def _grading_environment(scratch: Path) -> Iterator[None]:
    """Solve offline, on conda-forge's teaching mirror and nothing else (a channel the
    submission declares is refused by `channel.load_channel_records`), with a private home and
    no CUDA override leaking in from the grader's own shell."""
    from minipixi.channel.load import READABLE_CHANNELS  # lazy: loads httpx
    from minipixi.config import CONDA_FORGE_URL, cache_dir, temporary_environ  # lazy: reads TOML config files

    token = READABLE_CHANNELS.set(frozenset({CONDA_FORGE_URL}))
    try:
        with temporary_environ({
            "MINIPIXI_OFFLINE": "1", "MINIPIXI_CACHE_DIR": os.environ.get("MINIPIXI_CACHE_DIR") or str(cache_dir()),
            "MINIPIXI_HOME": str(scratch / "home"), "CONDA_OVERRIDE_CUDA": None,
            "PIXI_CONFIG_FILE": None, "PIXI_OVERRIDE_PLATFORM": None,  # nor Pixi's (config.PIXI_VARIABLES)
        }):
            yield
    finally:
        READABLE_CHANNELS.reset(token)


# ---- reports -----------------------------------------------------------------------------------
#
# Every format is learner-facing unless `show_hidden` is set: a hidden check is then shown as
# "hidden check N" with its points, and neither its name, its description nor its message
# appear, in any format. The instructor's gradebook (`teaching/gradebook.py`) shows everything.

@dataclass(frozen=True)
class _Shown:
    """A result as one audience sees it."""

    name: str
    description: str
    message: str
    result: CheckResult


def _shown(report: Report, show_hidden: bool) -> list[_Shown]:
    shown, hidden = [], 0
    for r in report.results:
        if r.hidden and not show_hidden:
            hidden += 1
            message = "passed" if r.passed else "hidden check: its details are withheld"
            shown.append(_Shown(f"hidden check {hidden}", "", message, r))
        else:
            shown.append(_Shown(r.name, r.description, r.message, r))
    return shown


def render_text(report: Report, *, show_hidden: bool = False) -> str:
    lines = [f"{report.exercise}: {report.title}", ""]
    for s in _shown(report, show_hidden):
        r = s.result
        label = f"{s.name} (hidden)" if r.hidden and show_hidden else s.name
        lines.append(f"{'✔' if r.passed else '✘'} {label}  [{r.score}/{r.points}]")
        if not r.passed:
            lines.append(f"    {s.message}")
    lines += ["", f"Score: {report.score}/{report.max_score}"]
    return "\n".join(lines) + "\n"


def render_json(report: Report, *, show_hidden: bool = False) -> str:
    data = {"exercise": report.exercise, "title": report.title, "score": report.score,
            "max_score": report.max_score,
            "checks": [{"name": s.name, "description": s.description, "points": s.result.points,
                        "score": s.result.score, "passed": s.result.passed, "hidden": s.result.hidden,
                        "message": s.message, "seconds": s.result.seconds} for s in _shown(report, show_hidden)]}
    return json.dumps(data, indent=2) + "\n"


def render_classroom(report: Report, *, show_hidden: bool = False) -> str:
    """GitHub Classroom's autograding reporter format (base64 it into `<ID>_RESULTS`)."""
    status = "pass" if report.score == report.max_score else "fail"
    tests = [{"name": s.name, "status": "pass" if s.result.passed else "fail", "score": s.result.score,
              "message": s.message, "line_no": 0, "execution_time": f"{s.result.seconds}s",
              "max_score": s.result.points} for s in _shown(report, show_hidden)]
    return json.dumps({"version": 1, "status": status, "max_score": report.max_score, "tests": tests}, indent=2) + "\n"


def render_junit(report: Report, *, show_hidden: bool = False) -> str:
    failures = sum(not r.passed for r in report.results)
    total = sum(r.seconds for r in report.results)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuite name={quoteattr(report.exercise)} tests="{len(report.results)}" '
             f'failures="{failures}" errors="0" time="{total:.3f}">']
    for s in _shown(report, show_hidden):
        r = s.result
        lines.append(f'  <testcase classname={quoteattr(report.exercise)} name={quoteattr(s.name)} time="{r.seconds:.3f}">')
        lines.append(f'    <properties><property name="score" value="{r.score}"/>'
                     f'<property name="max_score" value="{r.points}"/></properties>')
        if not r.passed:
            lines.append(f"    <failure message={quoteattr(s.message)}>{escape(s.message)}</failure>")
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"


FILE_EXTENSIONS = {"text": "txt", "json": "json", "junit": "xml", "classroom": "json"}
RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit, "classroom": render_classroom}


def render(report: Report, fmt: str = "text", *, show_hidden: bool = False) -> str:
    if fmt not in RENDERERS:
        raise GradeError(f"unknown format '{fmt}'", hint="choose text, json, junit or classroom")
    return RENDERERS[fmt](report, show_hidden=show_hidden)
