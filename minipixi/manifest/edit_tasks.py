"""``minipixi task add`` and ``task remove``: tasks written into the manifest.

A task is a plain string (``start = "python main.py"``) until it needs more than a command; then
it becomes an inline table in the order Pixi writes one (``{ cmd = "...", depends-on = [...],
description = "..." }``). `add_task` writes (or replaces) one and returns it as the manifest now
defines it; `describe_task` is the line the CLI prints. Which tasks an environment sees (features
and targets layered) is resolution, in `manifest/resolve.py` (`list_tasks`); running them is
`run/tasks.py`.

Lesson: Episode 2 (``pixi task add``). Read after `manifest/edit_dependencies.py`; read next
`manifest/edit_workspace.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import tomlkit

from minipixi.errors import ManifestError
from minipixi.manifest.edit import Draft, edit_manifest, fill_table, get_table, inline, remove_entries, section_keys
from minipixi.manifest.model import DEFAULT_FEATURE, Task
from minipixi.manifest.parse import parse_manifest
from minipixi.manifest.workspace import Workspace


@dataclass(frozen=True)
class TaskOptions:
    """What `task add` may set besides the command (Pixi's flags of the same names)."""

    depends_on: Sequence[str] = ()
    description: str | None = None
    cwd: str | None = None
    env: Mapping[str, str] | None = None
    clean_env: bool = False
    args: Sequence[str] = ()  # "name" or "name=default"

    def fields(self) -> dict[str, Any]:
        """The task table's keys, in the order Pixi writes them (empty ones left out)."""
        args = [a if "=" not in a else {"arg": a.split("=", 1)[0], "default": a.split("=", 1)[1]} for a in self.args]
        fields = {"depends-on": list(self.depends_on), "description": self.description, "cwd": self.cwd,
                  "env": dict(self.env or {}), "clean-env": self.clean_env or None, "args": args}
        return {key: value for key, value in fields.items() if value}


def task_toml_value(cmd: str | None, options: TaskOptions) -> Any:
    """A plain string for a bare command, an inline table as soon as anything else is set."""
    fields = options.fields()
    if cmd and not fields:
        return cmd
    return inline({**({"cmd": cmd} if cmd else {}), **fields})


def add_task(
    path: Path | str | Draft, name: str, cmd: str | None, *, depends_on: Sequence[str] = (),
    description: str | None = None, cwd: str | None = None, env: Mapping[str, str] | None = None,
    feature: str | None = None, platform: str | None = None, clean_env: bool = False,
    args: Sequence[str] = (),
) -> Task:
    """Add (or replace) task `name`; returns the task as the manifest now defines it."""
    if not cmd and not depends_on:
        raise ManifestError(f"task '{name}' needs a command or --depends-on",
                            hint=f'e.g. `minipixi task add {name} "python main.py"`')
    keys = section_keys("tasks", feature=feature, platform=platform)
    value = task_toml_value(cmd, TaskOptions(depends_on, description, cwd, env, clean_env, args))

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> None:
        fill_table(get_table(doc, keys, create=True), {name: value})

    edit_manifest(path, f"add task '{name}'", change)
    if isinstance(path, Draft):
        workspace = path.workspace
    else:
        workspace = parse_manifest(Path(path).read_text(encoding="utf-8"), Path(path))
    feat = workspace.features[feature or DEFAULT_FEATURE]
    return (feat.targets[platform] if platform else feat.default).tasks[name]


def describe_task(task: Task) -> str:
    """``lab: jupyter lab, description = "Launch JupyterLab"`` as Pixi prints it."""
    cmd = " ".join(task.cmd) if isinstance(task.cmd, tuple) else task.cmd
    parts = [cmd] if cmd else []
    if task.depends_on:
        parts.append("depends-on = " + ", ".join(d.task for d in task.depends_on))
    if task.description:
        parts.append(f'description = "{task.description}"')
    return f"`{task.name}`: " + ", ".join(parts)


def remove_task(path: Path | str | Draft, names: Sequence[str], *, feature: str | None = None,
                platform: str | None = None) -> list[str]:
    """Remove tasks by name (refusing if another task still depends on one)."""
    keys = section_keys("tasks", feature=feature, platform=platform)

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        remove_entries(doc, keys, names, workspace)
        return list(names)

    return edit_manifest(path, "remove task " + ", ".join(names), change)
