"""Run: a task or a command in an activated environment (``run``, ``shell``, ``shell-hook``).

Each of the three starts the same way, top to bottom:

1. choose the environment: ``-e``, else ``default``, unless the task lives only in one other
   environment (`default_environment_for_task`, as ``pixi run`` picks);
2. install it (`app/sync.py`), so what runs is what the lock says;
3. activate it (`run/activation.py`): the variables and scripts of its packages and of the
   manifest (`activation_context`).

Then ``run`` plans the task and its ``depends-on`` (`run/tasks.py`) or takes the words as one
command line and runs them in the workspace root; ``shell`` returns the shell to start;
``shell-hook`` returns the script that activates the environment in the caller's shell.

Lesson: Episode 2 ("tasks", "pixi shell") and Episode 4 (activation). Read after `app/update.py`;
read next `app/inspect.py`.
"""

from __future__ import annotations

import os
from typing import Callable

from minipixi.app.project import Project, host_platform_entry
from minipixi.app.relock import OnSolve, no_progress
from minipixi.app.sync import install_environment
from minipixi.errors import ManifestError, MinipixiError
from minipixi.manifest.resolve import list_tasks
from minipixi.run.activation import (
    ActivationContext, activated_environment, render_shell_hook, shell_command,
)
from minipixi.run.task_shell import join
from minipixi.run.tasks import TaskError, TaskStep, build_steps, run_steps


def activation_context(project: Project, environment: str, platform: str | None = None) -> ActivationContext:
    """Everything `run/activation.py` needs for `environment` of this workspace."""
    ws = project.workspace
    platform = platform or host_platform_entry(project, environment)
    resolved = ws.resolve(environment, platform)
    return ActivationContext(
        prefix=project.prefix(environment), environment_name=environment, platform=resolved.subdir,
        workspace_root=ws.root, workspace_name=ws.name, manifest_path=ws.path,
        workspace_version=ws.version, platforms=tuple(ws.environment_platforms(environment)),
        env=dict(resolved.activation.env), scripts=tuple(resolved.activation.scripts),
    )


def default_environment_for_task(project: Project, task: str | None) -> str:
    """`default` unless the task lives only in one other environment (as `pixi run` picks)."""
    ws = project.workspace
    if task is None:
        return "default"
    try:
        if task in list_tasks(ws, "default"):
            return "default"
    except ManifestError:
        pass
    having = [env for env in ws.environments if task in list_tasks(ws, env)]
    return having[0] if len(having) == 1 else "default"


def _installed(project: Project, environment: str | None, task: str | None, mode: str, reporter,
               on_solve: OnSolve) -> str:
    """Steps 1 and 2: the environment chosen and installed."""
    env = environment or default_environment_for_task(project, task)
    install_environment(project, env, mode, reporter=reporter, on_solve=on_solve)
    return env


# --8<-- [start:run]
def run(project: Project, words: list[str], environment: str | None = None, mode: str = "default", *,
        reporter=None, on_solve: OnSolve = no_progress,
        on_start: Callable[[str, TaskStep], None] = lambda env, step: None) -> int:
    """``minipixi run WORDS``: the task named by the first word (its dependencies first), or the
    words as one command; returns the exit code. A failed task raises `TaskError` (with the
    exit code); a plain command's failure is just its exit code, as with Pixi.
    `on_start(environment, step)` is called before each step (the CLI announces tasks)."""
    if not words:
        raise MinipixiError("nothing to run", hint="give a task name or a command, e.g. `minipixi run python --version`")
    env = _installed(project, environment, words[0], mode, reporter, on_solve)
    tasks = list_tasks(project.workspace, env)
    if words[0] in tasks:
        steps = build_steps(tasks, words[0], words[1:])
    else:  # one word is a command line (`run "echo a && echo b"`); several are quoted, as Pixi does
        steps = [TaskStep("", words[0] if len(words) == 1 else join(words))]
    environ = activated_environment(activation_context(project, env))
    environ["INIT_CWD"] = os.getcwd()  # as Pixi: where `run` was started (tasks run in the workspace root)
    try:
        run_steps(steps, env=environ, root=project.root, on_start=lambda step: on_start(env, step))
    except TaskError as err:
        if not steps[-1].name:  # a plain command: its exit code, without a task error
            return err.exit_code
        raise
    return 0
# --8<-- [end:run]


def shell(project: Project, environment: str | None = None, mode: str = "default", *, reporter=None,
          on_solve: OnSolve = no_progress) -> tuple[str, list[str], dict[str, str]]:
    """``minipixi shell``: (environment, the shell's argv, its environment variables) to start."""
    env = _installed(project, environment, None, mode, reporter, on_solve)
    argv, environ = shell_command(activation_context(project, env))
    return env, argv, environ


def shell_hook(project: Project, shell_name: str, environment: str | None = None, mode: str = "default", *,
               reporter=None, on_solve: OnSolve = no_progress) -> str:
    """``minipixi shell-hook -s SHELL``: the script that activates the environment."""
    env = _installed(project, environment, None, mode, reporter, on_solve)
    return render_shell_hook(activation_context(project, env), shell_name)
