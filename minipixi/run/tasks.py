"""Tasks: named commands with dependencies, run inside an activated environment.

A task in pixi.toml is a command with a name (``lab = "jupyter lab"``), optionally with
``depends-on`` (other tasks to run first), ``cwd``, ``env``, ``args`` and a ``description``.
A task without a command only gathers its dependencies (the lesson's ``start`` task, which just
depends on ``lab``).

Running a task is three small steps, each a function here:

1. **plan**: walk ``depends-on`` depth first and list the tasks so that every task comes after
   the tasks it depends on (a topological order). A cycle is an error that names the cycle.
   The walk keeps its own stack instead of recursing, so a chain of 3,000 tasks is as fine
   as a chain of three (Python's call stack stops near 1,000).
2. **render**: fill the task's ``{{ arg }}`` placeholders from the command line (or the
   argument's default); extra words on the command line are appended to a task that declares
   no arguments, as Pixi does.
3. **run**: each command runs in the task shell (`run/task_shell.py`: the same small shell on
   every OS, as Pixi's deno_task_shell) with the activated environment (see
   `run/activation.py`), in the task's ``cwd`` (relative to the workspace root), and the first
   failure stops the run, naming the task that failed. A ``clean-env = true`` task sees only
   what activation sets and a few of the user's variables (``HOME``, ``USER``, ``SHELL``, some
   ``LC_*``), as in Pixi; an argument with ``choices`` takes only one of them.

Lesson: Episode 2 ("Tasks"). Read after `run/activation.py`; read next `run/task_shell.py`. Ground truth: Pixi's task docs
(`pixi run`, `depends-on`, task arguments).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from minipixi.run import task_shell
from minipixi.errors import ActivationError


class TaskError(ActivationError):
    """A task is undefined, forms a cycle, misses an argument, or failed.

    ``exit_code`` is the failing command's exit code (1 when nothing ran), so that
    `minipixi run` exits with it, as `pixi run` does.
    """

    exit_code: int = 1


@dataclass(frozen=True)
class TaskStep:
    """One task of a plan, ready to run: its name, its final command line and where to run it."""

    name: str
    command: str | None
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    clean_env: bool = False  # run with the activation's variables and a few of the user's only


def _depends_on(task: Any) -> list[tuple[str, list[str]]]:
    """The task's dependencies as (name, args) pairs; accepts names or ``{task=, args=}``."""
    result = []
    for dep in getattr(task, "depends_on", None) or []:
        if isinstance(dep, str):
            result.append((dep, []))
        else:
            name = dep.get("task") if isinstance(dep, Mapping) else getattr(dep, "task", None)
            args = dep.get("args", []) if isinstance(dep, Mapping) else getattr(dep, "args", [])
            environment = dep.get("environment") if isinstance(dep, Mapping) else getattr(dep, "environment", None)
            if environment is not None:
                raise TaskError(
                    f"task '{name}' is to run in the environment '{environment}' (depends-on environment), "
                    "which minipixi does not support yet",
                    hint="remove `environment` from that depends-on entry, or run that task on its own with -e",
                )
            result.append((str(name), [a if isinstance(a, Mapping) else str(a) for a in args or []]))
    return result


# --8<-- [start:plan]
def plan_tasks(tasks: Mapping[str, Any], name: str) -> list[tuple[str, list[str]]]:
    """The tasks to run for `name`, dependencies first, each with the args it is called with.

    Raises TaskError for an undefined task (with the known names) and for a cycle (naming it).
    A task reached twice runs once.
    """
    order: list[tuple[str, list[str]]] = []
    done: set[str] = set()
    trail: list[str] = []  # the tasks being visited, outermost first (a cycle returns to one)
    stack: list[tuple[str, list[str], Iterator[tuple[str, list[str]]]]] = []

    def enter(current: str, args: list[str], parent: str | None) -> None:
        if current in trail:
            raise TaskError(
                f"tasks depend on each other in a cycle: {cycle_text(trail[trail.index(current):])}",
                hint="remove one of these depends-on entries",
            )
        if current not in tasks:
            raise _unknown_task(current, tasks, parent)
        if current not in done:
            trail.append(current)
            stack.append((current, args, iter(_depends_on(tasks[current]))))

    enter(name, [], None)
    while stack:
        current, args, deps = stack[-1]
        step = next(deps, None)
        if step is not None:  # go down into the next dependency
            enter(step[0], step[1], current)
            continue
        stack.pop()  # every dependency is planned: this task comes next
        trail.pop()
        done.add(current)
        order.append((current, args))
    return order
# --8<-- [end:plan]


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle of `graph` (task -> the tasks it depends on) as its tasks in order, or None.

    The same walk as `plan_tasks`, from every task, with an explicit stack. Used by the manifest
    check, which must reject a cycle before anything runs.
    """
    state: dict[str, int] = {}  # 1 = on the current trail, 2 = finished
    for root in graph:
        if root in state:
            continue
        trail, stack = [root], [iter(graph[root])]
        state[root] = 1
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                state[trail.pop()] = 2
                stack.pop()
            elif state.get(dep) == 1:
                return trail[trail.index(dep):]
            elif dep not in state and dep in graph:
                state[dep] = 1
                trail.append(dep)
                stack.append(iter(graph[dep]))
    return None


def cycle_text(cycle: Sequence[str]) -> str:
    """``a -> b -> a``; a long cycle shows its first and last steps and how many are left out."""
    steps = list(cycle) + [cycle[0]]
    if len(steps) > 12:
        steps = steps[:5] + [f"... ({len(steps) - 10} more) ..."] + steps[-5:]
    return " -> ".join(steps)


def _unknown_task(name: str, tasks: Mapping[str, Any], parent: str | None) -> TaskError:
    known = ", ".join(sorted(tasks)) or "none"
    where = f" (a dependency of '{parent}')" if parent else ""
    return TaskError(
        f"no task named '{name}'{where}",
        hint=f"define it with `minipixi task add {name} CMD`; tasks defined here: {known}",
    )


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_\-]*)\s*\}\}")


def _declared_args(task: Any) -> list[tuple[str, str | None, Sequence[str] | None]]:
    """(name, default, choices) for each declared argument; a string arg has neither."""
    declared = []
    for arg in getattr(task, "args", None) or []:
        if isinstance(arg, str):
            declared.append((arg, None, None))
        elif isinstance(arg, Mapping):
            default = arg.get("default")
            declared.append((str(arg["arg"]), None if default is None else str(default), arg.get("choices")))
        else:
            default = getattr(arg, "default", None)
            declared.append((str(getattr(arg, "arg", getattr(arg, "name", ""))), default, getattr(arg, "choices", None)))
    return declared


def _cmd_text(task: Any) -> str | None:
    cmd = getattr(task, "cmd", None)
    if cmd is None:
        return None
    return " ".join(cmd) if isinstance(cmd, (list, tuple)) else str(cmd)


# --8<-- [start:render]
def render_command(name: str, task: Any, args: Sequence[str | Mapping[str, str]]) -> str | None:
    """The command line of `task` called with `args` (None for a task with no command).

    `args` are values in the order the task declares its arguments; a depends-on entry may also
    name them (``args = [{ name = "Jane" }]``), and named values are taken first.
    """
    cmd = _cmd_text(task)
    declared = _declared_args(task)
    named = {k: str(v) for a in args if isinstance(a, Mapping) for k, v in a.items()}
    positional = [a for a in args if not isinstance(a, Mapping)]
    unknown = sorted(set(named) - {n for n, _, _ in declared})
    if unknown:
        raise TaskError(f"task '{name}' has no argument '{unknown[0]}'",
                        hint="its arguments: " + (" ".join(n for n, _, _ in declared) or "none"))
    if not declared:
        if cmd is None:
            return None
        return " ".join([cmd, task_shell.join(positional)]) if positional else cmd
    if len(positional) + len(named) > len(declared):
        raise TaskError(
            f"task '{name}' takes {len(declared)} argument(s) but got {len(args)}",
            hint="arguments: " + " ".join(n for n, _, _ in declared),
        )
    values: dict[str, str] = {}
    given = iter(positional)
    for arg_name, default, choices in declared:
        value = named[arg_name] if arg_name in named else next(given, None)
        if value is not None:
            values[arg_name] = value
        elif default is not None:
            values[arg_name] = default
        else:
            raise TaskError(
                f"task '{name}' needs a value for its argument '{arg_name}'",
                hint=f"run `minipixi run {name} " + " ".join(f"<{n}>" for n, _, _ in declared) + "`",
            )
        if choices is not None and values[arg_name] not in choices:
            raise TaskError(
                f"task '{name}': {values[arg_name]!r} is not one of the choices of its argument '{arg_name}'",
                hint="choose one of: " + ", ".join(choices),
            )
    if cmd is None:
        return None
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), cmd)
# --8<-- [end:render]


def build_steps(tasks: Mapping[str, Any], name: str, args: Sequence[str] = ()) -> list[TaskStep]:
    """Plan `name` and render every command: the list `run_steps` executes, in order."""
    steps = []
    for task_name, task_args in plan_tasks(tasks, name):
        called_with = list(args) if task_name == name else task_args
        task = tasks[task_name]
        env = getattr(task, "env", None) or {}
        steps.append(TaskStep(task_name, render_command(task_name, task, called_with), getattr(task, "cwd", None),
                              dict(env), bool(getattr(task, "clean_env", False))))
    return steps


#: Runs one command line: ``shell(script, cwd=..., env=...) -> exit code``.
Shell = Callable[..., int]

#: The user's variables a ``clean-env = true`` task still sees (Pixi's list, on Linux and macOS).
CLEAN_ENV_KEEP = ("DISPLAY", "LC_ALL", "LC_TIME", "LC_NUMERIC", "LC_MEASUREMENT", "SHELL", "USER",
                  "USERNAME", "LOGNAME", "HOME", "HOSTNAME") + (
    ("TMPDIR", "XPC_SERVICE_NAME", "XPC_FLAGS") if sys.platform == "darwin" else ())


def clean_environment(activated: Mapping[str, str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a ``clean-env`` task runs with: the variables activation set, plus `CLEAN_ENV_KEEP`.

    `activated` is `base` (the user's environment, ``os.environ`` by default) after activation;
    every variable activation left as it was is dropped, and ``PATH`` keeps only the entries
    activation put in front (the environment's own folders).
    """
    base = os.environ if base is None else base
    kept = {key: value for key, value in activated.items() if key in CLEAN_ENV_KEEP or base.get(key) != value}
    old_path = base.get("PATH")
    if old_path and kept.get("PATH", "").endswith(os.pathsep + old_path):
        kept["PATH"] = kept["PATH"][: -len(os.pathsep + old_path)]
    return kept


# --8<-- [start:run]
def run_steps(
    steps: Sequence[TaskStep],
    *,
    env: Mapping[str, str],
    root: Path,
    on_start: Callable[[TaskStep], None] = lambda step: None,
    shell: Shell = task_shell.run,
) -> None:
    """Run each step's command in order with `env`; stop at the first failure (TaskError).

    `on_start` is called before each command so the CLI can announce it; the library prints
    nothing itself.
    """
    for step in steps:
        if step.command is None:
            continue
        cwd = root / step.cwd if step.cwd else root
        if not cwd.is_dir():
            raise TaskError(
                f"task '{step.name}' runs in '{cwd}', which does not exist",
                hint="fix the task's cwd (it is relative to the workspace root)",
            )
        on_start(step)
        base = clean_environment(env) if step.clean_env else env
        code = shell(step.command, cwd=cwd, env={**base, **step.env})
        if code != 0:
            error = TaskError(
                f"task '{step.name}' failed with exit code {code}",
                hint=f"its command was: {step.command}",
            )
            error.exit_code = code
            raise error
# --8<-- [end:run]
