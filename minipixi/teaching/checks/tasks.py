"""Checks on tasks: which tasks a workspace has, the order they run in, and what they start.

A Pixi task is a named command in pixi.toml (``lab = "jupyter lab"``), possibly with
``depends-on`` other tasks. The checks list tasks with minipixi's own reader
(`manifest/resolve.py`: `list_tasks`), order them with the planner `minipixi run` uses
(`run/tasks.py`: `plan_tasks`, which refuses cycles), and read each command with Pixi's task-shell
grammar (`teaching/reading/shell.py`), so ``start = "true || jupyter lab"`` is seen to start
nothing and ``lab = "jupyter lab --no-browser"`` to start JupyterLab. No task is ever run.

Lesson: episode 2 (tasks). Read after `teaching/checks/environments.py`; read next
`teaching/checks/files.py`.
"""

from __future__ import annotations

from minipixi.errors import MinipixiError
from minipixi.manifest.resolve import list_tasks
from minipixi.run.tasks import plan_tasks
from minipixi.teaching.grade import CheckFailed, Submission
from minipixi.teaching.reading.commands import reached, unwrap
from minipixi.teaching.reading.shell import read_commands


def task_plan(sub: Submission, environment: str, task: str) -> list[str]:
    """Task names in the order `minipixi run task` would run them (CheckFailed on cycles)."""
    tasks = list_tasks(sub.workspace(), environment)
    if task not in tasks:
        raise CheckFailed(f"there is no task called '{task}' in environment '{environment}'; look at [tasks]")
    try:
        return [name for name, _ in plan_tasks(tasks, task)]
    except MinipixiError as err:
        raise CheckFailed(err.message) from err


def task_tree(sub: Submission, environment: str, task: str):
    """A task's command read by the task shell's parser (None for a task with only
    dependencies); CheckFailed with the parser's message when the task shell cannot read it."""
    cmd = list_tasks(sub.workspace(), environment)[task].cmd
    if cmd is None:
        return None
    text = " ".join(cmd) if isinstance(cmd, tuple) else cmd
    return read_commands(text, f"the command of task '{task}'", language="task")


def starts_jupyterlab(command) -> bool:
    """Does a run of the command start JupyterLab? (`jupyter lab`, `jupyter-lab`, `python -m
    jupyterlab`, `python -m jupyter lab`, with options, but not ``--help``/``--version``.)
    `command` is a tree, or text read by Pixi's task shell; unreached commands do not count."""
    tree = read_commands(command, "the command", language="task") if isinstance(command, str) else command
    if tree is None:
        return False
    for call in reached(tree):
        words = list(unwrap(call.words))
        if not words or call.consumer is not None:
            continue
        head, rest = words[0].rsplit("/", 1)[-1], words[1:]
        if head in ("python", "python3") and rest[:1] == ["-m"]:
            head, rest = rest[1] if len(rest) > 1 else "", rest[2:]
        if head == "jupyter" and rest[:1] == ["lab"]:
            head, rest = "jupyter-lab", rest[1:]
        if head in ("jupyter-lab", "jupyterlab") and not {"-h", "--help", "--version", "--help-all"} & set(rest):
            return True
    return False


def all_tasks(sub: Submission) -> dict:
    """Every task of the workspace, in any environment or feature."""
    return list_tasks(sub.workspace(), None)
