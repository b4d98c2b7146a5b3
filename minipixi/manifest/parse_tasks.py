"""Tasks: the three forms of a task, and the references between tasks.

A task is a string (``start = "python main.py"``), a list (it only runs other tasks:
``all = ["lint", "test"]``) or a table with ``cmd``, ``depends-on``, ``args``, ``env``, ``cwd``,
``inputs``/``outputs`` and more. Each is checked where it is written: a task name may not hold
spaces or ``$``, an argument name is an identifier, an ``env`` key must be a valid variable name
(it is written into shell code).

Once every feature is read, `check_task_references` checks the graph: every ``depends-on`` names
a task that exists somewhere in the manifest, and no tasks depend on each other in a cycle (the
same walk that `run/tasks.py` uses to plan a run, so a manifest that loads can always run).

Lesson: Episode 2 ("tasks"). Read after `manifest/parse_dependencies.py`; read next
`manifest/parse_settings.py`.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from minipixi.manifest.model import DependsOn, Feature, Task, TaskArg
from minipixi.manifest.schema import ARG_NAME, TASK_KEYS, TASK_NAME
from minipixi.manifest.shape import (
    ParseContext, check_env_var_name, check_keys, did_you_mean, expect, expect_str_list, feature_path, quoted,
)
from minipixi.run.tasks import cycle_text, find_cycle


def _parse_depends_on(ctx: ParseContext, value: Any, path: Sequence[Any]) -> tuple[DependsOn, ...]:
    items = value if isinstance(value, list) else [value]
    result = []
    for i, item in enumerate(items):
        item_path = tuple(path) + (i,) if isinstance(value, list) else tuple(path)
        expect(ctx, item, (str, dict), item_path, "a depends-on entry")
        if isinstance(item, str):
            result.append(DependsOn(item))
            continue
        check_keys(ctx, item, ("task", "args", "environment"), item_path)
        if "task" not in item:
            raise ctx.error(item_path, "a depends-on table needs a 'task'", 'write { task = "name" }')
        task = expect(ctx, item["task"], (str,), item_path + ("task",), "the task of a depends-on entry")
        args = _dependency_args(ctx, item.get("args", []), item_path + ("args",))
        environment = item.get("environment")
        if environment is not None:
            expect(ctx, environment, (str,), item_path + ("environment",), "the environment of a depends-on entry")
        result.append(DependsOn(task, args, environment))
    return tuple(result)


def _dependency_args(ctx: ParseContext, value: Any, path: tuple) -> tuple[Any, ...]:
    """``args`` of a depends-on entry: strings (in the task's order), or ``{ name = "value" }``."""
    items = expect(ctx, value, (list,), path, "depends-on args")
    for i, item in enumerate(items):
        expect(ctx, item, (str, dict), path + (i,), "a depends-on argument", empty_ok=True)
        for key, val in (item.items() if isinstance(item, dict) else ()):
            expect(ctx, val, (str,), path + (i, key), f"the depends-on argument '{key}'", empty_ok=True)
    return tuple(items)


def _parse_task_args(ctx: ParseContext, value: Any, path: Sequence[Any]) -> tuple[TaskArg, ...]:
    args = []
    for i, item in enumerate(expect(ctx, value, (list,), path, "task args")):
        item_path = tuple(path) + (i,)
        expect(ctx, item, (str, dict), item_path, "a task argument")
        if isinstance(item, dict):
            check_keys(ctx, item, ("arg", "default", "choices"), item_path)
            name = expect(ctx, item.get("arg", ""), (str,), item_path + ("arg",), "a task argument name")
            default = item.get("default")
            if default is not None:
                expect(ctx, default, (str,), item_path + ("default",), f"the default of task argument '{name}'",
                       empty_ok=True)
            choices = None
            if "choices" in item:
                choices = expect_str_list(ctx, item["choices"], item_path + ("choices",), f"the choices of '{name}'")
            arg = TaskArg(name, default, choices)
        else:
            name, arg = item, TaskArg(item)
        if name == "pixi" or not ARG_NAME.fullmatch(name):
            raise ctx.error(item_path, f"'{name}' cannot be a task argument name",
                            "argument names are identifiers (letters, digits, _) and 'pixi' is reserved",
                            at_value=True)
        args.append(arg)
    return tuple(args)


def parse_task(ctx: ParseContext, name: str, value: Any, path: Sequence[Any]) -> Task:
    """A task in any of its three forms: a string, a list (depends-on only) or a table."""
    if not TASK_NAME.fullmatch(name):
        raise ctx.error(path, f"{quoted(name)} is not a valid task name",
                        "task names may not contain spaces, '$' or control characters")
    expect(ctx, value, (str, list, dict), path, f"task '{name}'")
    if isinstance(value, str):
        return Task(name, cmd=value)
    if isinstance(value, list):
        return Task(name, depends_on=_parse_depends_on(ctx, value, path))
    check_keys(ctx, value, TASK_KEYS, path)
    if "depends_on" in value:
        ctx.warn_syntax(f"task '{name}': 'depends_on' is deprecated, write 'depends-on'")
    p = tuple(path)
    cmd = value.get("cmd")
    if cmd is not None:
        expect(ctx, cmd, (str, list), p + ("cmd",), f"the cmd of task '{name}'")
        if isinstance(cmd, list):
            cmd = expect_str_list(ctx, cmd, p + ("cmd",), f"the cmd of task '{name}'")
    env = value.get("env", {})
    for key, val in expect(ctx, env, (dict,), p + ("env",), "task env").items():
        check_env_var_name(ctx, key, p + ("env", key))
        expect(ctx, val, (str,), p + ("env", key), f"task env variable '{key}'")
    for key in ("description", "cwd", "default-environment"):
        if key in value:
            expect(ctx, value[key], (str,), p + (key,), f"the {key} of task '{name}'", empty_ok=key == "description")
    clean_env = expect(ctx, value.get("clean-env", False), (bool,), p + ("clean-env",), f"the clean-env of task '{name}'")
    inputs, outputs = (expect_str_list(ctx, value.get(key, []), p + (key,), f"the {key} of task '{name}'")
                       for key in ("inputs", "outputs"))
    depends = value.get("depends-on", value.get("depends_on", []))
    return Task(
        name, cmd=cmd,
        depends_on=_parse_depends_on(ctx, depends, p + ("depends-on",)),
        description=value.get("description"), cwd=value.get("cwd"), env=dict(env),
        args=_parse_task_args(ctx, value.get("args", []), p + ("args",)),
        clean_env=clean_env, default_environment=value.get("default-environment"),
        inputs=inputs, outputs=outputs,
    )


def parse_tasks(ctx: ParseContext, table: Any, path: Sequence[Any]) -> dict[str, Task]:
    table = expect(ctx, table, (dict,), path, f"[{ctx.table_name(path)}]")
    return {name: parse_task(ctx, name, value, tuple(path) + (name,)) for name, value in table.items()}


# ---- references between tasks -----------------------------------------------------------------
def _all_tasks(features: Mapping[str, Feature]) -> Iterable[tuple[Feature, str | None, Task]]:
    for feature in features.values():
        for task in feature.default.tasks.values():
            yield feature, None, task
        for selector, target in feature.targets.items():
            for task in target.tasks.values():
                yield feature, selector, task


def _task_path(feature: Feature, selector: str | None, name: str) -> tuple:
    base = feature_path(feature) + (("target", selector) if selector else ())
    return base + ("tasks", name)


def check_task_references(ctx: ParseContext, features: Mapping[str, Feature]) -> None:
    """Each depends-on must name a defined task, and the graph must not have a cycle."""
    defined = {task.name for _, _, task in _all_tasks(features)}
    for feature, selector, task in _all_tasks(features):
        for i, dep in enumerate(task.depends_on):
            if dep.task in defined:
                continue
            path = _task_path(feature, selector, task.name)
            guess = did_you_mean(dep.task, defined)
            hint = f"did you mean '{guess}'?" if guess else f"define it with `minipixi task add {dep.task} CMD`"
            raise ctx.error(_depends_item_path(ctx, path, i),
                            f"task '{task.name}' depends on '{dep.task}', which is not a task", hint, at_value=True)
    _check_task_cycles(ctx, features)


def _depends_item_path(ctx: ParseContext, task_path: tuple, index: int) -> tuple:
    for candidate in (task_path + ("depends-on", index), task_path + (index,), task_path + ("depends-on",)):
        if ctx.prefix + candidate in ctx.map.spans:
            return candidate
    return task_path


def _check_task_cycles(ctx: ParseContext, features: Mapping[str, Feature]) -> None:
    graph: dict[str, set[str]] = {}
    where: dict[str, tuple] = {}
    for feature, selector, task in _all_tasks(features):
        graph.setdefault(task.name, set()).update(d.task for d in task.depends_on)
        where.setdefault(task.name, _task_path(feature, selector, task.name))
    cycle = find_cycle({name: sorted(graph[name]) for name in sorted(graph)})
    if cycle:
        raise ctx.error(where[cycle[0]], f"tasks depend on each other in a cycle: {cycle_text(cycle)}",
                        "remove one of these depends-on entries")
