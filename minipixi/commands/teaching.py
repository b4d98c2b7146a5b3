"""The teaching area of the command line: ``grade`` (one exercise, or a whole class) and ``tour``.

``grade`` checks a learner's folder with the exercise's property-based checks
(`teaching/grade.py`), or every sub-folder of a class in isolated workers
(`teaching/gradebook.py`). ``tour`` runs the lesson's main flow for real, each step through the
CLI's own `main`, so the learner sees exactly what typing the commands shows.

Read after `commands/export.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

from minipixi.commands.common import NESTED, out, status, whole_number
from minipixi.errors import MinipixiError
from minipixi.files import write_atomic


def cmd_tour(args: argparse.Namespace, main: Callable[[list[str]], int]) -> int:
    """Run the lesson's commands, each through `main` (the CLI's own entry, so each is rendered
    and its errors handled exactly as when typed)."""
    from minipixi.teaching.tour import tour_steps  # lazy: the tour's steps (dataclasses)

    folder = Path(args.folder).absolute() if args.folder else Path(tempfile.mkdtemp(prefix="minipixi-tour-"))
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise MinipixiError(f"{folder} is not empty", hint="give the tour an empty or new folder")
    if not args.online:
        os.environ["MINIPIXI_OFFLINE"] = "1"
    out(f"# The minipixi tour: the lesson's commands, run for real in {folder}")
    here = os.getcwd()
    cwd = "."
    NESTED[0] = True
    try:
        for number, step in enumerate(tour_steps(), 1):
            if step.note:
                out(f"\n# {step.note}")
            if step.cwd != cwd:
                out(f"$ cd {folder / step.cwd if step.cwd != '.' else folder}")
                cwd = step.cwd
            out(f"$ {step.command_line()}")
            sys.stdout.flush()
            code = _run_step(step, folder, main)
            sys.stdout.flush()
            sys.stderr.flush()
            if code != 0:
                status(f"error: the tour stopped at step {number} (exit code {code})")
                return code
    finally:
        NESTED[0] = False
        os.chdir(here)
    out(f"\n# Done. The tour's workspaces are in {folder}: cd there and try the commands yourself.")
    return 0


def _run_step(step, folder, main) -> int:
    from minipixi.config import temporary_environ  # lazy: config reads TOML (tomllib)

    os.chdir(folder / step.cwd)
    with temporary_environ(step.env):
        return main(list(step.words))


def cmd_grade(args: argparse.Namespace) -> int:
    from minipixi.teaching import grade  # lazy: the grader loads checks and parsers

    if args.class_folder:
        return _grade_class(args)
    submission = Path(args.submission or ".")
    exercise = grade.load_exercise(args.exercise, exercises=args.exercises,
                                   instructor_checks=args.instructor_checks, submission=submission)
    report = grade.grade(exercise, submission, timeout=args.timeout)
    text = grade.render(report, args.format, show_hidden=args.show_hidden)
    if args.output:
        target = Path(args.output)
        if target.is_dir():  # -o . : the report goes into that folder, named for the exercise
            target = target / f"grade-{exercise.slug}.{grade.FILE_EXTENSIONS[args.format]}"
        write_atomic(target, text)
        status(f"Score: {report.score}/{report.max_score} (written to {target})")
    else:
        sys.stdout.write(text)
    return 0 if args.exit_zero or report.score == report.max_score else 1


def _grade_class(args: argparse.Namespace) -> int:
    from minipixi.teaching.gradebook import Limits, grade_class  # lazy: worker processes (subprocess)

    if args.submission is not None:
        raise MinipixiError("give either a submission folder or --class, not both",
                            hint=f"minipixi grade {args.exercise} --class FOLDER grades every sub-folder of FOLDER")
    limits = Limits(seconds=args.time_limit, memory_mb=args.memory_limit, jobs=args.jobs)
    book = grade_class(args.exercise, args.class_folder, args.output, exercises=args.exercises,
                       instructor_checks=args.instructor_checks, timeout=args.timeout, limits=limits,
                       show_hidden=args.show_hidden)
    counts: dict[str, int] = {}
    for entry in book.entries:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no submissions"
    status(f"{len(book.entries)} submissions ({summary}); gradebook written to {book.folder}")
    return 0


def register_teaching_commands(sub: argparse._SubParsersAction, main: Callable[[list[str]], int]) -> None:
    grade = sub.add_parser("grade", help="check an exercise of the lesson (property-based checks, offline)")
    grade.add_argument("exercise", help="exercise number or name (e.g. 07 or cuda-environments), or its folder")
    grade.add_argument("submission", nargs="?", help="the folder to grade (default: here)")
    grade.add_argument("--format", default="text", choices=["text", "json", "junit", "classroom"])
    grade.add_argument("--show-hidden", action="store_true", help="show hidden checks and their feedback (instructors)")
    grade.add_argument("--timeout", type=whole_number(1, 86_400), default=60, help="seconds allowed per check")
    grade.add_argument("-o", "--output", help="write the report to this file (or folder); with --class, the gradebook folder")
    grade.add_argument("--exit-zero", action="store_true", help="exit 0 even when checks fail (for CI reporters)")
    grade.add_argument("--exercises", metavar="DIR", help="the exercises folder to take checks from "
                       "(default: $MINIPIXI_EXERCISES, else the exercises shipped with minipixi)")
    grade.add_argument("--instructor-checks", metavar="DIR", help="more checks kept apart from the public ones "
                       "(DIR/<exercise folder>/checks.py), e.g. hidden checks")
    grade.add_argument("--class", dest="class_folder", metavar="FOLDER",
                       help="grade every sub-folder of FOLDER in isolated workers and write a gradebook")
    grade.add_argument("--jobs", type=whole_number(1, 256), default=2, help="--class: submissions graded at the same time")
    grade.add_argument("--time-limit", type=whole_number(1, 86_400), default=300, help="--class: seconds allowed per submission")
    grade.add_argument("--memory-limit", type=whole_number(64, 1_048_576), default=2048, help="--class: MiB of memory per submission")
    grade.set_defaults(handler=cmd_grade)

    tour = sub.add_parser("tour", help="walk through the lesson's main flow with real commands (offline)")
    tour.add_argument("folder", nargs="?", help="an empty folder for the tour's workspaces (default: a new temporary one)")
    tour.add_argument("--online", action="store_true", help="use the real conda-forge instead of the bundled teaching mirror")
    tour.set_defaults(handler=lambda args: cmd_tour(args, main))
