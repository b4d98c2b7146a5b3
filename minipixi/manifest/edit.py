"""Editing pixi.toml the way a careful person would: change one thing, keep everything else.

Commands like ``minipixi add numpy`` change the manifest a learner also edits by hand, so an edit
must keep their comments, key order and blank lines. tomlkit makes that possible: it parses TOML
into a document that remembers every byte of formatting, lets us change values, and writes the
rest back unchanged.

Every edit here follows the same steps (`edit_manifest`), holding the workspace lock
(`workspace_lock`) so that two commands never edit the file at the same time:

1. read the bytes, and note how the file is written: a UTF-8 byte order mark (BOM) in front,
   and Windows line endings (CRLF) or Unix ones (LF);
2. parse the text (without the BOM, with LF) with tomlkit, and change the document;
3. render it, **check the result with the real parser** (`parse.parse_manifest`), put the BOM
   and the CRLF line endings back, and only then replace the file with `files.write_atomic`.
   A failed edit leaves the file byte for byte as it was.

Removing undoes adding: tables that an `add` created (``[feature.gpu.target.linux-64.dependencies]``)
are removed again when they become empty, so ``add`` then ``remove`` restores the original
bytes. Top-level tables (``[dependencies]``, ``[tasks]``) stay, as ``minipixi init`` writes them.

Lesson: Episode 2 (``pixi init``, ``pixi add``, ``pixi task add``, ``pixi workspace platform
add``, ``pixi workspace environment add``) and Episode 5 (system requirements). Read after
`parse.py`.
"""

from __future__ import annotations

import platform as _platform
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

import tomlkit
from tomlkit.items import Array, InlineTable, Table

from minipixi import files
from minipixi.errors import ManifestError, MinipixiError, shorten
from minipixi.manifest.model import (
    DEFAULT_FEATURE, KNOWN_PLATFORMS, PLATFORM_VIRTUAL_KEYS, SELECTORS, DependencySpec, Task, Workspace,
)
from minipixi.manifest.parse import MANIFEST_NAME, did_you_mean, is_pyproject, parse_manifest
from minipixi.manifest.resolve import applicable_virtual_packages, merge_system_requirements

R = TypeVar("R")


# ---- reading and writing the bytes ---------------------------------------------------------
BOM = "\ufeff"


class _Switches(types.ModuleType):
    """``edit.FSYNC`` still works as a switch: it is `files.FSYNC`, the one switch for every
    atomic write (tests that write thousands of files turn it off)."""

    @property
    def FSYNC(self) -> bool:
        return files.FSYNC

    @FSYNC.setter
    def FSYNC(self, value: bool) -> None:
        files.FSYNC = value


sys.modules[__name__].__class__ = _Switches


@dataclass(frozen=True)
class TextForm:
    """How a manifest's bytes are written: a BOM in front, CRLF line endings. Edits work on
    plain text (no BOM, LF) and `encode` puts the form back, so ``add`` keeps a Windows file a
    Windows file. A file that mixes CRLF and LF lines is edited as it is."""

    bom: bool = False
    crlf: bool = False

    def encode(self, text: str) -> bytes:
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")


def decode_manifest(data: bytes, path: Path) -> tuple[str, TextForm]:
    """The text of a manifest's bytes to edit (no BOM, LF line endings) and its `TextForm`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ManifestError(f"{path.name} is not UTF-8 text (byte {err.start + 1}, line {line})",
                            where=f"{path}:{line}", hint="save the file as UTF-8") from err
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    return (text.replace("\r\n", "\n") if crlf else text), TextForm(bom, crlf)


def write_text_atomic(path: Path, text: str, form: TextForm = TextForm()) -> None:
    """Replace `path` with `text` in `form`, in one step (`files.write_atomic`)."""
    files.write_atomic(path, form.encode(text))


def validate_new_text(text: str, path: Path, action: str) -> Workspace:
    """Parse the would-be manifest; a problem becomes "cannot ACTION: ..." and nothing is written."""
    try:
        return parse_manifest(text, path)
    except ManifestError as err:
        raise ManifestError(
            f"cannot {action}: the result would be invalid: {err.message}",
            where=err.where, hint=err.hint or f"{path.name} was left unchanged", details=err.details,
        ) from err


# --8<-- [start:edit]
def edit_manifest(path: Path | str, action: str, change: Callable[[tomlkit.TOMLDocument, Workspace], R]) -> R:
    """Apply ``change(document, workspace)`` to the manifest at `path`, validate, write atomically.

    `workspace` is the manifest as it is now (for checks); `action` names the edit for error
    messages ("add numpy"). Returns what `change` returns. If `change` or the validation
    raises, the file is not touched. The whole read-change-write holds the workspace lock.
    """
    from minipixi.app.workspace_lock import workspace_lock

    path = Path(path)
    if not path.is_file():  # an error before the lock creates anything
        raise ManifestError(f"{path} does not exist", hint="run `minipixi init` first")
    with workspace_lock(path.absolute().parent):
        old, form, workspace = read_for_edit(path)
        doc = tomlkit.parse(old)
        # In a pyproject.toml the manifest is the [tool.pixi] table: edits change it, nothing else.
        result = change(doc["tool"]["pixi"] if is_pyproject(path) else doc, workspace)
        new = tomlkit.dumps(doc)
        if old.endswith("\n") and not old.endswith("\n\n"):
            new = new.rstrip("\n") + "\n"  # removed tables can leave blank lines at the end
        if new != old:
            validate_new_text(new, path, action)
            write_text_atomic(path, new, form)
    return result
# --8<-- [end:edit]


def read_for_edit(path: Path) -> tuple[str, TextForm, Workspace]:
    """The manifest's text (no BOM, LF), its `TextForm` and model; a manifest that is already
    broken is not edited."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise ManifestError(f"{path} does not exist", hint="run `minipixi init` first") from err
    text, form = decode_manifest(data, path)
    return text, form, parse_manifest(text, path)


# ---- finding and creating tables -------------------------------------------------------------
def workspace_key(doc: Mapping[str, Any]) -> str:
    return "project" if "project" in doc and "workspace" not in doc else "workspace"


def get_table(doc: Any, keys: Sequence[str], *, create: bool) -> Any:
    """The (inline or normal) table at `keys`, created if `create`; else None.

    New intermediate tables are "super tables" (they get no header of their own). A new leaf
    table is marked so that `fill_table` can end it with a blank line, the way Pixi writes.
    Inside an inline table, or a dotted-key table (``target.osx-arm64 = {...}`` written in a
    [feature.x] table), only inline tables can be added, so those are created there.
    """
    parent, container = None, doc
    for depth, key in enumerate(keys):
        if key not in container:
            if not create:
                return None
            if isinstance(container, InlineTable) or _is_dotted(parent, container):
                container[key] = tomlkit.inline_table()
            else:
                container[key] = tomlkit.table(is_super_table=depth < len(keys) - 1)
                container[key].created_by_edit = True  # see fill_table
        parent, container = container, container[key]
        if not isinstance(container, (Table, InlineTable, dict)):
            raise ManifestError(f"[{'.'.join(keys[: depth + 1])}] is not a table in the manifest",
                                hint="make it a table before editing it")
    return container


def _is_dotted(parent: Any, table: Any) -> bool:
    """A headerless table whose entries are not tables with headers either: it was written as
    dotted keys (``target.osx-arm64 = {...}``), not implied by ``[x.target.osx-arm64...]``."""
    if not (isinstance(table, Table) and table.is_super_table() and isinstance(parent, Table)):
        return False
    text = table.as_string().lstrip()
    return bool(text) and not text.startswith("[")


def fill_table(table: Any, items: Mapping[str, Any]) -> None:
    """Set `items` in `table`; a table created by this edit gets a blank line after them."""
    for key, value in items.items():
        table[key] = value
    if getattr(table, "created_by_edit", False) and not table.is_super_table():
        table.created_by_edit = False
        table.add(tomlkit.nl())


def inline(items: Mapping[str, Any], *, in_array: bool = False) -> InlineTable:
    """An inline table written as Pixi writes one: ``{ cmd = "x", description = "y" }``.

    (tomlkit's own inline tables render as ``{cmd = "x"}`` and without the line end that keeps
    the next table's blank line, so we let tomlkit parse the text we want instead.)
    """
    table = tomlkit.parse(f"x = {_inline_text(items)}\n")["x"]
    if in_array:
        table.trivia.trail = ""
    return table


def _inline_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_inline_text(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline_text(v) for v in value) + "]"
    return tomlkit.item(value).as_string()


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else tomlkit.item(key).as_string()


def prune_empty(doc: Any, keys: Sequence[str], keep_top_level: bool = True,
                workspace: Workspace | None = None) -> None:
    """Remove the table at `keys` and its now-empty parents (never a top-level table).

    A feature that an environment uses is never removed this way: its last table stays, empty
    (``[feature.dev.dependencies]``, as in the lesson), so the environment keeps a feature.
    """
    used = {f for env in workspace.environments.values() for f in env.features} if workspace else set()
    for depth in range(len(keys), 1 if keep_top_level else 0, -1):
        parent = get_table(doc, keys[: depth - 1], create=False) if depth > 1 else doc
        table = get_table(doc, keys[:depth], create=False)
        if parent is None or table is None or len(table) > 0:
            return
        if keys[0] == "feature" and keys[1] in used and _is_all_of_the_feature(doc, keys, depth):
            return  # the used feature's last table: keep it, empty
        del parent[keys[depth - 1]]


def _is_all_of_the_feature(doc: Any, keys: Sequence[str], depth: int) -> bool:
    """Is the table at keys[:depth] everything the feature keys[:2] still holds?"""
    return all(len(get_table(doc, keys[:k], create=False)) == 1 for k in range(2, depth))


def section_keys(table: str, *, feature: str | None = None, platform: str | None = None) -> tuple[str, ...]:
    """The key path of e.g. [feature.gpu.target.linux-64.dependencies]."""
    keys: tuple[str, ...] = ()
    if feature and feature != DEFAULT_FEATURE:
        keys += ("feature", feature)
    if platform:
        keys += ("target", platform)
    return keys + (table,)


def _check_selector(platform: str | None, workspace: Workspace) -> None:
    if platform is None:
        return
    names = {p.name for p in workspace.platforms} | {p.subdir for p in workspace.platforms}
    if platform not in names and platform not in SELECTORS and platform not in KNOWN_PLATFORMS:
        guess = did_you_mean(platform, sorted(names | set(KNOWN_PLATFORMS)), 0.8)
        raise ManifestError(f"'{platform}' is not a platform or target selector",
                            hint=f"did you mean '{guess}'?" if guess else "use a platform such as linux-64, or unix/linux/osx/win")


# ---- version pins ------------------------------------------------------------------------------
# --8<-- [start:pin]
def pin_for_version(version: str, *, name: str | None = None) -> str:
    """Pixi's default ("semver") pin for a freshly added package at `version`.

    ``2.3.1 -> >=2.3.1,<3``; for 0.x the minor is the breaking part: ``0.22.0 -> >=0.22.0,<0.23``.
    Python is pinned to its minor version, as Pixi does: ``3.13.3 -> >=3.13.3,<3.14``.
    """
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0].split("!")[-1])[:3]]
    if not numbers:
        return f">={version}"
    major = numbers[0]
    minor = numbers[1] if len(numbers) > 1 else 0
    if name == "python" or major == 0:
        return f">={version},<{major}.{minor + 1}"
    return f">={version},<{major + 1}"
# --8<-- [end:pin]


# ---- specs typed on the command line ---------------------------------------------------------
_SPEC = re.compile(r"^\s*(?:(?P<channel>[^\s:]+)::)?(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<rest>.*?)\s*$")


def parse_cli_spec(text: str) -> DependencySpec:
    """``numpy``, ``numpy>=2``, ``"cuda-version 12.9.*"``, ``pytorch 2.7.* cuda*``,
    ``conda-forge::numpy``: the spec a learner typed after `add`. Raises ManifestError."""
    if "[" in text:
        return _parse_bracket_spec(text)
    match = _SPEC.match(text)
    if not match or not match.group("name"):
        raise ManifestError(f"'{text}' is not a package spec", hint='write e.g. numpy, "numpy>=2" or "numpy 2.*"')
    rest = re.sub(r"\s*,\s*", ",", match.group("rest"))
    if rest.startswith("=") and not rest.startswith("=="):
        rest = _fuzzy(rest[1:])  # conda's `numpy=1.24` means 1.24.*
    version, _, build = rest.partition(" ")
    spec = DependencySpec(match.group("name"), version=version or None, build=build.strip() or None,
                          channel=match.group("channel"))
    _check_spec(spec, text)
    return spec


def _parse_bracket_spec(text: str) -> DependencySpec:
    """``numpy[version='>=2', build='py312*']``: conda's bracket form, read by MatchSpec."""
    from minipixi.matchspec import MatchSpec

    try:
        spec = MatchSpec.parse(text)
    except MinipixiError as err:
        raise ManifestError(f"'{shorten(text)}' is not a valid spec: {err.message}",
                            hint='a spec looks like "numpy", "numpy >=2.3,<3" or "numpy 2.*"') from err
    version = str(spec.version) if spec.version is not None else None
    return DependencySpec(spec.name, version=version, build=spec.build, channel=spec.channel)


def _fuzzy(version: str) -> str:
    head, sep, build = version.partition("=")
    if not any(ch in head for ch in "*<>!~,|"):
        head = head + ".*"
    return head + (" " + build if sep else "")


def _check_spec(spec: DependencySpec, text: str) -> None:
    try:
        from minipixi.matchspec import MatchSpec
    except ImportError:
        MatchSpec = None  # the matchspec module is written in parallel
    try:
        if MatchSpec is not None:
            MatchSpec.parse(spec.matchspec_text())
        elif spec.version:
            from minipixi.version import VersionSpec

            VersionSpec(spec.version)
    except ImportError:
        return
    except MinipixiError as err:
        raise ManifestError(f"'{shorten(text)}' is not a valid spec: {err.message}",
                            hint='a spec looks like "numpy", "numpy >=2.3,<3" or "numpy 2.*"') from err


def spec_toml_value(spec: DependencySpec) -> Any:
    """How a spec is written in the manifest: a string, or an inline table when it needs one."""
    if not spec.build and not spec.channel:
        return spec.version or "*"
    table = {"version": spec.version or "*"}
    if spec.build:
        table["build"] = spec.build
    if spec.channel:
        table["channel"] = spec.channel
    return inline(table)


def describe_spec(spec: DependencySpec) -> str:
    """``numpy >=2.3.0,<3`` as Pixi prints it after ✔ Added (just the name for ``*``)."""
    parts = [spec.name]
    if spec.version and spec.version != "*":
        parts.append(spec.version)
    if spec.build:
        parts.append(spec.build)
    return " ".join(parts)


# ---- add / remove dependencies ----------------------------------------------------------------
@dataclass(frozen=True)
class AddedDependency:
    """What `add_dependencies` wrote, for the CLI's ✔ lines."""

    spec: DependencySpec
    table: str


def dependency_table_name(*, host: bool = False, build: bool = False, pypi: bool = False) -> str:
    if pypi:
        return "pypi-dependencies"
    return "host-dependencies" if host else "build-dependencies" if build else "dependencies"


# --8<-- [start:add]
def add_dependencies(
    path: Path | str,
    specs: Sequence[str],
    *,
    feature: str | None = None,
    platforms: Sequence[str] = (),
    table: str = "dependencies",
    pin: Callable[[DependencySpec], str] | None = None,
) -> list[AddedDependency]:
    """Add `specs` to [dependencies] (or a feature's / target's table) of the manifest at `path`.

    A spec without a version gets ``pin(spec)`` if given (the solver's hook, using
    `pin_for_version`), else ``*``. Returns what was written, in order.
    """
    parsed = [parse_cli_spec(text) for text in specs]
    if pin is not None:
        parsed = [s if s.version else _with_version(s, pin(s)) for s in parsed]
    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[AddedDependency]:
        for platform in platforms:
            _check_selector(platform, workspace)
        added = []
        for platform in platforms or [None]:
            keys = section_keys(table, feature=feature, platform=platform)
            target = get_table(doc, keys, create=True)
            fill_table(target, {spec.name: spec_toml_value(spec) for spec in parsed})
            added.extend(AddedDependency(spec, ".".join(keys)) for spec in parsed)
        return added

    return edit_manifest(path, "add " + " ".join(specs), change)
# --8<-- [end:add]


def _with_version(spec: DependencySpec, version: str) -> DependencySpec:
    return DependencySpec(spec.name, version=version, build=spec.build, channel=spec.channel)


def remove_dependencies(
    path: Path | str,
    names: Sequence[str],
    *,
    feature: str | None = None,
    platforms: Sequence[str] = (),
    table: str = "dependencies",
) -> list[str]:
    """Remove packages by name; an emptied feature/target table is removed too. Returns names."""
    names = [parse_cli_spec(n).name for n in names]

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        for platform in platforms or [None]:
            keys = section_keys(table, feature=feature, platform=platform)
            target = get_table(doc, keys, create=False)
            for name in names:
                if target is None or name not in target:
                    raise _not_there(name, keys, target, workspace)
                del target[name]
            prune_empty(doc, keys, workspace=workspace)
        return list(names)

    return edit_manifest(path, "remove " + " ".join(names), change)


def _not_there(name: str, keys: Sequence[str], table: Any, workspace: Workspace) -> ManifestError:
    """"'numpy' is not in [dependencies]", pointing at that table (or the top of the file)."""
    present = sorted(table) if table is not None else []
    guess = did_you_mean(name, present)
    hint = f"did you mean '{guess}'?" if guess else (
        "it lists: " + ", ".join(present) if present else "that table is empty or missing")
    return located_error(workspace.path, tuple(keys), f"'{name}' is not in [{'.'.join(keys)}]", hint)


def located_error(path: Path, keys: tuple, message: str, hint: str | None) -> ManifestError:
    """A ManifestError at the place of `keys` in the manifest file (line 1 if it has none)."""
    from minipixi.errors import Location, source_excerpt
    from minipixi.manifest.locate import scan

    text = path.read_text(encoding="utf-8")
    span = scan(text).find(keys)
    line, column, width = (span.line, span.column, span.width) if span else (1, 1, 1)
    details = source_excerpt(text, line, column, width) if text.strip() else None
    return ManifestError(message, where=Location(str(path), line, column), hint=hint, details=details)


# ---- tasks -----------------------------------------------------------------------------------
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
    path: Path | str, name: str, cmd: str | None, *, depends_on: Sequence[str] = (),
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


def remove_task(path: Path | str, names: Sequence[str], *, feature: str | None = None,
                platform: str | None = None) -> list[str]:
    """Remove tasks by name (refusing if another task still depends on one)."""
    keys = section_keys("tasks", feature=feature, platform=platform)

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        table = get_table(doc, keys, create=False)
        for name in names:
            if table is None or name not in table:
                raise _not_there(name, keys, table, workspace)
            del table[name]
        prune_empty(doc, keys, workspace=workspace)
        return list(names)

    return edit_manifest(path, "remove task " + ", ".join(names), change)


def list_tasks(workspace: Workspace, environment: str | None = None) -> dict[str, Task]:
    """Every task name -> task, for one environment (all its platforms) or the whole workspace."""
    from minipixi.manifest.resolve import environment_platforms, targets_for

    tasks: dict[str, Task] = {}
    envs = [workspace.environment(environment)] if environment else list(workspace.environments.values())
    for env in envs:
        for platform in environment_platforms(workspace, env) or [None]:
            for name in reversed(env.feature_names()):
                feature = workspace.features[name]
                layers = targets_for(feature, workspace.platform(platform)) if platform else [feature.default]
                for target in layers:
                    tasks.update(target.tasks)
    return dict(sorted(tasks.items()))


# ---- platforms ---------------------------------------------------------------------------------
def _platforms_array(doc: Any, feature: str | None) -> Array:
    if feature and feature != DEFAULT_FEATURE:
        table = get_table(doc, ("feature", feature), create=True)
    else:
        table = doc[workspace_key(doc)]
    if "platforms" not in table:
        table["platforms"] = tomlkit.array()
    return table["platforms"]


def _entry_name(item: Any) -> str:
    if isinstance(item, str):
        return item
    from minipixi.manifest.parse import derived_platform_name

    subdir = str(item.get("platform", item.get("name")))
    virtual = {k: str(item[k]) for k in PLATFORM_VIRTUAL_KEYS if k in item}
    return str(item.get("name") or derived_platform_name(subdir, virtual))


#: Which subdirs a virtual package of a platform entry makes sense on (None: any).
VIRTUAL_KEY_FAMILIES = {"cuda": None, "archspec": None, "glibc": "linux", "linux": "linux", "macos": "osx", "windows": "win"}


def add_platforms(path: Path | str, platforms: Sequence[str], *, feature: str | None = None,
                  virtual: Mapping[str, str] | None = None) -> list[str]:
    """Append platforms to ``workspace.platforms`` (or a feature's list); skip ones present.

    Each item is a subdir (``linux-64``) or ``NAME=SUBDIR`` (``linux-64-cuda=linux-64``). With
    `virtual` (e.g. ``{"cuda": "12"}``) or a NAME, the item becomes a rich entry
    ``{ name = "linux-64-cuda", platform = "linux-64", cuda = "12" }``. Returns the names added.
    """
    virtual = {k: v for k, v in (virtual or {}).items() if v}
    entries = [_platform_item(text, virtual) for text in platforms]
    if feature and any(not isinstance(e, str) for e in entries):
        raise ManifestError("a feature lists platforms by name; declare a rich entry in the workspace first",
                            hint="run the same command without --feature, then add its name with --feature")

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        array = _platforms_array(doc, feature)
        added = []
        for entry in entries:
            name = _entry_name(entry)
            if name not in [_entry_name(item) for item in array]:
                array.append(entry if isinstance(entry, str) else inline(entry, in_array=True))
                added.append(name)
        return added

    return edit_manifest(path, "add platform " + ", ".join(platforms), change)


def _platform_item(text: str, virtual: Mapping[str, str]) -> str | dict[str, str]:
    """``linux-64`` -> "linux-64"; ``gpu=linux-64`` or virtual packages -> a rich entry table."""
    name, _, subdir = text.rpartition("=")
    if subdir not in KNOWN_PLATFORMS:
        guess = did_you_mean(subdir, KNOWN_PLATFORMS, 0.8)
        raise ManifestError(f"'{subdir}' is not a known platform",
                            hint=f"did you mean '{guess}'?" if guess else "known platforms: " + ", ".join(KNOWN_PLATFORMS))
    for key in virtual:
        family = VIRTUAL_KEY_FAMILIES[key]
        if family and not subdir.startswith(family + "-"):
            raise ManifestError(f"--{key} only applies to {family} platforms, not to {subdir}",
                                hint=f"leave out --{key} for {subdir}")
    if not name and not virtual:
        return subdir
    return {**({"name": name} if name else {}), "platform": subdir, **virtual}


def remove_platforms(path: Path | str, platforms: Sequence[str], *, feature: str | None = None) -> list[str]:
    """Remove platform entries by name (a rich entry by its name, a plain one by its subdir)."""
    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        array = _platforms_array(doc, feature)
        names = [_entry_name(item) for item in array]
        for name in platforms:
            if name not in names:
                guess = did_you_mean(name, names, 0.8)
                keys = ("feature", feature, "platforms") if feature else (workspace_key(doc), "platforms")
                raise located_error(workspace.path, keys, f"'{name}' is not one of the platforms ({', '.join(names) or 'none'})",
                                    f"did you mean '{guess}'?" if guess else "`minipixi workspace platform list` shows them")
            index = names.index(name)
            del array[index]
            names.pop(index)
        return list(platforms)

    return edit_manifest(path, "remove platform " + ", ".join(platforms), change)


# ---- channels ----------------------------------------------------------------------------------
def _channel_name(item: Any) -> str:
    return str(item["channel"]) if isinstance(item, Mapping) else str(item)


def add_channels(path: Path | str, channels: Sequence[str], *, feature: str | None = None,
                 priority: int | None = None, prepend: bool = False) -> list[str]:
    """Add channels to ``workspace.channels`` (or a feature's); skip ones present. A `priority`
    writes ``{ channel = "x", priority = N }``; `prepend` puts them first (searched first)."""

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        table = get_table(doc, ("feature", feature), create=True) if feature else doc[workspace_key(doc)]
        if "channels" not in table:
            table["channels"] = tomlkit.array()
        array = table["channels"]
        present = [_channel_name(item) for item in array]
        added = [c for c in dict.fromkeys(channels) if c not in present]
        items = [inline({"channel": c, "priority": priority}, in_array=True) if priority is not None else c
                 for c in added]
        if prepend and items:  # rebuilt rather than insert(0): tomlkit would drop the space
            rebuilt = tomlkit.array()
            for item in [*items, *array]:
                rebuilt.append(item)
            table["channels"] = rebuilt
        else:
            for item in items:
                array.append(item)
        return added

    return edit_manifest(path, "add channel " + ", ".join(channels), change)


def remove_channels(path: Path | str, channels: Sequence[str], *, feature: str | None = None) -> list[str]:
    """Remove channels by name from ``workspace.channels`` (or a feature's)."""

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        keys = ("feature", feature, "channels") if feature else (workspace_key(doc), "channels")
        table = get_table(doc, keys[:-1], create=False)
        array = table.get("channels") if table is not None else None
        names = [_channel_name(item) for item in array] if array is not None else []
        for channel in channels:
            if channel not in names:
                guess = did_you_mean(channel, names)
                raise located_error(workspace.path, keys, f"'{channel}' is not one of the channels ({', '.join(names) or 'none'})",
                                    f"did you mean '{guess}'?" if guess else "`minipixi workspace channel list` shows them")
            del array[names.index(channel)]
            names.remove(channel)
        if feature and not names:  # a feature's channels are optional: drop the empty list
            del table["channels"]
            prune_empty(doc, keys[:-1], workspace=workspace)
        return list(channels)

    return edit_manifest(path, "remove channel " + ", ".join(channels), change)


# ---- environments ------------------------------------------------------------------------------
def add_environment(
    path: Path | str, name: str, features: Sequence[str] = (), *, solve_group: str | None = None,
    no_default_feature: bool = False, force: bool = False,
) -> None:
    """Add ``name = ["f1", ...]`` (or the table form when a solve-group / no-default-feature is set)."""
    if solve_group or no_default_feature:
        fields: dict[str, Any] = {"features": list(features)}
        if solve_group:
            fields["solve-group"] = solve_group
        if no_default_feature:
            fields["no-default-feature"] = True
        value: Any = inline(fields)
    else:
        value = list(features)

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> None:
        _check_new_environment(workspace, name, features, force)
        fill_table(get_table(doc, ("environments",), create=True), {name: value})

    edit_manifest(path, f"add environment '{name}'", change)


def _check_new_environment(workspace: Workspace, name: str, features: Sequence[str], force: bool) -> None:
    if name in workspace.environments and name != "default" and not force:
        raise ManifestError(f"the environment '{name}' already exists",
                            hint="pass --force to replace it, or choose another name")
    for feature in features:
        if feature not in workspace.features:
            guess = did_you_mean(feature, [f for f in workspace.features if ":" not in f])
            raise ManifestError(f"the feature '{feature}' is not defined in the manifest",
                                hint=f"did you mean '{guess}'?" if guess else
                                f"define it first, e.g. `minipixi add --feature {feature} SPEC`")


def remove_environment(path: Path | str, name: str) -> None:
    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> None:
        table = get_table(doc, ("environments",), create=False)
        if table is None or name not in table:
            raise _not_there(name, ("environments",), table, workspace)
        del table[name]
        prune_empty(doc, ("environments",), keep_top_level=False)

    edit_manifest(path, f"remove environment '{name}'", change)


# ---- system requirements and the migration to rich platform entries --------------------------
SYSTEM_REQUIREMENT_KINDS = ("cuda", "libc", "linux", "macos", "archspec")


def add_system_requirement(path: Path | str, kind: str, version: str, *, family: str | None = None,
                           feature: str | None = None) -> None:
    """``[system-requirements] cuda = "12"`` (the older form the lesson teaches)."""
    if kind not in SYSTEM_REQUIREMENT_KINDS:
        guess = did_you_mean(kind, SYSTEM_REQUIREMENT_KINDS)
        raise ManifestError(f"'{kind}' is not a system requirement",
                            hint=f"did you mean '{guess}'?" if guess else "use one of: " + ", ".join(SYSTEM_REQUIREMENT_KINDS))
    keys = section_keys("system-requirements", feature=feature)

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> None:
        value = inline({"family": family, "version": version}) if kind == "libc" and family and family != "glibc" else version
        fill_table(get_table(doc, keys, create=True), {kind: value})

    edit_manifest(path, f"add system requirement {kind} {version}", change)


@dataclass
class MigrationPlan:
    """What `workspace migrate` will write: the new ``workspace.platforms`` (plain names, or
    (name, subdir, virtual) for rich entries) and new ``platforms`` lists for some features."""

    entries: list[str | tuple[str, str, dict[str, str]]]
    feature_platforms: dict[str, list[str]]

    def names(self) -> list[str]:
        return [e if isinstance(e, str) else e[0] for e in self.entries]

    def find(self, subdir: str, virtual: Mapping[str, str]) -> str | None:
        for entry in self.entries:
            if isinstance(entry, str) and entry == subdir and not virtual:
                return entry
            if not isinstance(entry, str) and entry[1:] == (subdir, dict(virtual)):
                return entry[0]
        return None

    def add(self, subdir: str, virtual: dict[str, str], feature: str) -> str:
        """The entry for (subdir, virtual), created if needed, named by its keys when free."""
        found = self.find(subdir, virtual)
        if found:
            return found
        name = f"{subdir}-" + "-".join(virtual)
        if name in self.names():
            name = f"{subdir}-{feature}"
        self.entries.append((name, subdir, dict(virtual)))
        return name


# --8<-- [start:migrate]
def plan_migration(workspace: Workspace) -> MigrationPlan:
    """Move every [system-requirements] onto platform entries, keeping what each environment
    resolves to. Rules:

    1. the workspace-wide table turns each plain platform it applies to into a rich entry
       (``linux-64`` + cuda 12 -> ``{ name = "linux-64-cuda", platform = "linux-64", cuda = "12" }``);
    2. a feature's own table gets entries of its own, and the feature lists them in its
       ``platforms`` (the lesson's ``[feature.gpu] platforms = ["linux-64-cuda"]``);
    3. every other feature then lists its platforms explicitly (the original ones, plus the new
       entries of features it shares an environment with), so that it does not pick up entries
       that were made for someone else.
    """
    base = workspace.default_feature.system_requirements
    _refuse_musl(workspace)
    plan = MigrationPlan([], {})
    renamed: dict[str, str] = {}
    for entry in workspace.platforms:
        virtual = _entry_virtual(entry, base)
        if entry.rich:
            plan.entries.append((entry.name, entry.subdir, virtual))
            renamed[entry.name] = entry.name
        elif virtual:
            renamed[entry.name] = plan.add(entry.subdir, virtual, "default")
        else:
            plan.entries.append(entry.name)
            renamed[entry.name] = entry.name
    originals = list(renamed.values())
    own: dict[str, list[str]] = {}
    for name, feature in workspace.features.items():
        if name != DEFAULT_FEATURE and not feature.system_requirements.is_empty():
            own[name] = _feature_entries(plan, workspace, feature, renamed)
    _restrict_other_features(plan, workspace, own, renamed, originals)
    plan.feature_platforms.update(own)
    return plan
# --8<-- [end:migrate]


def _feature_entries(plan: MigrationPlan, workspace: Workspace, feature: Any, renamed: dict[str, str]) -> list[str]:
    """The entries a feature with its own requirements runs on (new ones where it adds any)."""
    names = []
    for old_name in feature.platforms or [e.name for e in workspace.platforms]:
        entry = workspace.platform(old_name)
        virtual = _entry_virtual(entry, workspace.default_feature.system_requirements, feature.system_requirements)
        current = plan.find(entry.subdir, virtual)
        names.append(current or plan.add(entry.subdir, virtual, feature.name))
    return list(dict.fromkeys(names))


def _refuse_musl(workspace: Workspace) -> None:
    """Platform entries can declare glibc but not musl: such a requirement cannot move."""
    for name, feature in workspace.features.items():
        family = feature.system_requirements.libc_family
        if family and family != "glibc":
            where = "[system-requirements]" if name == DEFAULT_FEATURE else f"[feature.{name}.system-requirements]"
            raise ManifestError(f"{where} asks for libc family '{family}', which platform entries cannot declare",
                                hint="keep this [system-requirements] table; only glibc moves to `platforms` entries")


def _entry_virtual(entry: Any, *requirements: Any) -> dict[str, str]:
    """An entry's virtual packages once `requirements` are added to it (highest version wins)."""
    from minipixi.manifest.resolve import platform_requirements

    merged = merge_system_requirements([platform_requirements(entry), *requirements])
    return {**entry.virtual, **_virtual_keys(applicable_virtual_packages(merged, entry.subdir))}


def _restrict_other_features(plan: MigrationPlan, workspace: Workspace, own: dict[str, list[str]],
                             renamed: dict[str, str], originals: list[str]) -> None:
    if not own:
        return
    for name, feature in workspace.features.items():
        if name == DEFAULT_FEATURE or name in own or ":" in name:
            continue
        names = [renamed[p] for p in feature.platforms] if feature.platforms is not None else list(originals)
        for env in workspace.environments.values():
            if name in env.features:
                for other in env.features:
                    names.extend(own.get(other, []))
        plan.feature_platforms[name] = list(dict.fromkeys(names))


def migrate_system_requirements(path: Path | str) -> list[str]:
    """Rewrite every [system-requirements] table into rich ``platforms`` entries (see
    `plan_migration`). Target tables keep working: ``[target.linux-64]`` also selects an entry
    built on linux-64. Returns the platform entry names afterwards."""

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        plan = plan_migration(workspace)
        old_items = {_entry_name(item): item for item in doc[workspace_key(doc)]["platforms"]}
        unchanged = {e.name for e in workspace.platforms
                     if not e.rich or _entry_virtual(e, _base(workspace)) == dict(e.virtual)}
        array = tomlkit.array()
        for entry in plan.entries:
            name = entry if isinstance(entry, str) else entry[0]
            if name in old_items and name in unchanged:
                array.append(old_items[name])
            else:
                array.append(inline({"name": entry[0], "platform": entry[1], **entry[2]}, in_array=True))
        doc[workspace_key(doc)]["platforms"] = array.multiline(any(not isinstance(e, str) for e in plan.entries))
        for feature, names in plan.feature_platforms.items():
            _set_feature_platforms(doc, feature, names)
        if "system-requirements" in doc:
            del doc["system-requirements"]
        return plan.names()

    return edit_manifest(path, "migrate [system-requirements]", change)


def _base(workspace: Workspace) -> Any:
    return workspace.default_feature.system_requirements


def _set_feature_platforms(doc: Any, feature: str, names: list[str]) -> None:
    table = get_table(doc, ("feature", feature), create=True)
    was_super = isinstance(table, Table) and table.is_super_table()
    table["platforms"] = names
    if "system-requirements" in table:
        del table["system-requirements"]
    item = table.value.item("platforms")
    if was_super and not re.match(r"platforms = [^\n]*\n\n", table.as_string()):
        item.trivia.trail = "\n\n"  # a new [feature.X] header: a blank line before the next table


def _virtual_keys(packages: Mapping[str, str]) -> dict[str, str]:
    """``{"__cuda": "12", "__glibc": "2.28"}`` -> ``{"cuda": "12", "glibc": "2.28"}`` (entry keys)."""
    keys = {"__cuda": "cuda", "__glibc": "glibc", "__linux": "linux", "__osx": "macos", "__archspec": "archspec"}
    return {keys[name]: version for name, version in packages.items() if name in keys}


# ---- init ------------------------------------------------------------------------------------
def current_platform() -> str:
    """The conda subdir of this machine (linux-64, osx-arm64, win-64, ...), or the one
    ``MINIPIXI_PLATFORM`` names: then minipixi acts as if it ran there (``init`` lists it,
    ``install`` picks its records), for tests and for instructors preparing material for
    another kind of laptop."""
    import os

    pretend = os.environ.get("MINIPIXI_PLATFORM")
    if pretend:
        if pretend not in KNOWN_PLATFORMS:
            raise ManifestError(f"MINIPIXI_PLATFORM='{pretend}' is not a known platform",
                                hint="unset it, or name a conda subdir such as osx-64 or linux-aarch64")
        return pretend
    machine = _platform.machine().lower()
    arch = {"x86_64": "64", "amd64": "64", "aarch64": "aarch64", "arm64": "arm64", "ppc64le": "ppc64le",
            "s390x": "s390x", "i386": "32", "i686": "32"}.get(machine, "64")
    if sys.platform.startswith("linux"):
        return f"linux-{arch}"
    if sys.platform == "darwin":
        return "osx-arm64" if arch in ("arm64", "aarch64") else "osx-64"
    if sys.platform.startswith("win"):
        return "win-arm64" if arch in ("arm64", "aarch64") else "win-64"
    return "unknown"


GITIGNORE = "# pixi environments\n.pixi/*\n!.pixi/config.toml\n"
GITATTRIBUTES = "# SCM syntax highlighting & preventing 3-way merges\npixi.lock merge=binary linguist-language=YAML linguist-generated=true\n"


def render_new_manifest(name: str, channels: Sequence[str], platforms: Sequence[str],
                        authors: Sequence[str] = (), dependencies: Mapping[str, Any] | None = None,
                        pypi_dependencies: Mapping[str, str] | None = None) -> str:
    """The text `minipixi init` writes: [workspace], an empty [tasks], and [dependencies]."""
    doc = tomlkit.document()
    ws = tomlkit.table()
    if authors:
        ws["authors"] = list(authors)
    ws["channels"] = list(channels)
    ws["name"] = name
    ws["platforms"] = list(platforms)
    ws["version"] = "0.1.0"
    ws.add(tomlkit.nl())
    doc["workspace"] = ws
    for key, values in (("tasks", {}), ("dependencies", dependencies or {}), ("pypi-dependencies", pypi_dependencies)):
        if values is None:
            continue
        table = tomlkit.table()
        for dep, value in values.items():
            table[dep] = value
        table.add(tomlkit.nl())
        doc[key] = table
    return tomlkit.dumps(doc).rstrip("\n") + "\n"


def render_pyproject_manifest(name: str, channels: Sequence[str], platforms: Sequence[str],
                              existing: str | None = None) -> str:
    """The pyproject.toml `init --format pyproject` writes: a Python project ([project], a
    hatchling [build-system]) when there is none yet, then [tool.pixi.workspace] and an empty
    [tool.pixi.tasks]; an `existing` pyproject.toml is kept byte for byte, the tables appended.

    Pixi also adds the project itself as an editable PyPI dependency (``NAME = { path = ".",
    editable = true }``); minipixi installs conda packages only, so it leaves that line out
    rather than write a manifest it would then refuse to install."""
    ws = tomlkit.document()
    ws["channels"] = list(channels)
    ws["platforms"] = list(platforms)
    tables = "[tool.pixi.workspace]\n" + tomlkit.dumps(ws) + "\n[tool.pixi.tasks]\n"
    if existing is not None:
        return existing.rstrip("\n") + "\n\n" + tables
    head = tomlkit.document()
    project = tomlkit.table()
    project["name"] = name
    project["version"] = "0.1.0"
    project["requires-python"] = ">= 3.11"
    project["dependencies"] = []
    head["project"] = project
    build = tomlkit.table()
    build["requires"] = ["hatchling"]
    build["build-backend"] = "hatchling.build"
    head["build-system"] = build
    return tomlkit.dumps(head).rstrip("\n") + "\n\n" + tables


def init_workspace(
    folder: Path | str, *, name: str | None = None, channels: Sequence[str] = (),
    platforms: Sequence[str] = (), authors: Sequence[str] = (), import_environment: Path | str | None = None,
    format: str = "pixi",
) -> Path:
    """Create ``folder/pixi.toml`` (and .gitignore / .gitattributes when missing); return its path.
    With ``format="pyproject"``: ``folder/pyproject.toml`` (`render_pyproject_manifest`)."""
    folder = Path(folder)
    if format not in ("pixi", "pyproject"):
        raise ManifestError(f"'{shorten(format)}' is not a manifest format", hint="use pixi or pyproject")
    if format == "pyproject" and import_environment is not None:
        raise ManifestError("importing an environment.yml into a pyproject.toml is not supported by minipixi",
                            hint="import it into a pixi.toml (leave out --format), or use pixi itself")
    if format == "pyproject":
        return _init_pyproject(folder, name, channels, platforms)
    manifest = folder / MANIFEST_NAME
    if manifest.exists():
        raise ManifestError(f"{manifest} already exists", hint="edit it, or remove it to start again")
    deps: dict[str, Any] = {}
    pypi: dict[str, str] | None = None
    if import_environment is not None:
        imported = read_environment_yml(Path(import_environment))
        name = name or imported.name
        channels = list(channels) or imported.channels
        deps = {spec.name: spec_toml_value(spec) for spec in imported.dependencies}
        pypi = imported.pypi or None
    for platform in platforms:
        if platform not in KNOWN_PLATFORMS:
            raise ManifestError(f"'{platform}' is not a known platform",
                                hint=f"did you mean '{did_you_mean(platform, KNOWN_PLATFORMS, 0.8)}'?")
    text = render_new_manifest(name or folder.resolve().name, list(channels) or ["conda-forge"],
                               list(platforms) or [current_platform()], authors, deps, pypi)
    validate_new_text(text, manifest, f"create {manifest}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(manifest, text)
    except OSError as err:
        raise ManifestError(f"cannot create {manifest}: {err.strerror or err}",
                            hint="choose a folder you can write to (not an existing file)") from err
    for filename, content in ((".gitignore", GITIGNORE), (".gitattributes", GITATTRIBUTES)):
        if not (folder / filename).exists():
            write_text_atomic(folder / filename, content)
    return manifest


def _init_pyproject(folder: Path, name: str | None, channels: Sequence[str], platforms: Sequence[str]) -> Path:
    from minipixi.manifest.parse import PYPROJECT_NAME, manifest_in

    manifest = folder / PYPROJECT_NAME
    found = manifest_in(folder) if folder.is_dir() else None
    if found is not None:
        raise ManifestError(f"{found} already holds a pixi manifest", hint="edit it, or remove it to start again")
    for platform in platforms:
        if platform not in KNOWN_PLATFORMS:
            raise ManifestError(f"'{platform}' is not a known platform",
                                hint=f"did you mean '{did_you_mean(platform, KNOWN_PLATFORMS, 0.8)}'?")
    existing = None
    form = TextForm()
    if manifest.is_file():
        existing, form = decode_manifest(manifest.read_bytes(), manifest)
    text = render_pyproject_manifest(name or folder.resolve().name, list(channels) or ["conda-forge"],
                                     list(platforms) or [current_platform()], existing)
    validate_new_text(text, manifest, f"add [tool.pixi] to {manifest}" if existing is not None else f"create {manifest}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(manifest, text, form)
    except OSError as err:
        raise ManifestError(f"cannot write {manifest}: {err.strerror or err}",
                            hint="choose a folder you can write to (not an existing file)") from err
    for filename, content in ((".gitignore", GITIGNORE), (".gitattributes", GITATTRIBUTES)):
        if not (folder / filename).exists():
            write_text_atomic(folder / filename, content)
    return manifest


@dataclass(frozen=True)
class ImportedEnvironment:
    """What `init --import environment.yml` takes from a conda environment file."""

    name: str | None
    channels: list[str]
    dependencies: list[DependencySpec]
    pypi: dict[str, str]


#: The largest environment.yml `init --import` reads (real ones are a few kB).
MAX_ENVIRONMENT_YML = 16 * 2**20


def read_environment_yml(path: Path) -> ImportedEnvironment:
    """Read a conda environment.yml: name, channels, dependencies (and a ``pip:`` sub-list)."""
    import yaml  # lazy: only `init --import` needs it

    from minipixi.lock.yaml_dialect import YamlReadError, check_no_aliases

    try:
        if path.stat().st_size > MAX_ENVIRONMENT_YML:
            raise ManifestError(f"{path} is larger than {MAX_ENVIRONMENT_YML // 2**20} MiB", where=str(path),
                                hint="a conda environment.yml is a short list of packages")
        text = path.read_text(encoding="utf-8")
        check_no_aliases(text)  # an alias bomb loads fast and hangs whatever walks it (str() below)
        data = yaml.safe_load(text) or {}
    except YamlReadError as err:
        raise ManifestError(f"cannot read {path}: {err.message}", where=str(path),
                            hint="a conda environment.yml needs no YAML anchors or aliases") from err
    except (OSError, yaml.YAMLError) as err:
        raise ManifestError(f"cannot read {path}: {err}", hint="check that it is a conda environment.yml") from err
    except UnicodeDecodeError:
        from minipixi.manifest.locate import decode_utf8

        decode_utf8(path.read_bytes(), str(path), ManifestError)  # raises at the first bad byte
        raise
    except RecursionError:  # PyYAML builds nested lists and mappings recursively
        raise ManifestError(f"{path} is nested too deeply to read", where=str(path),
                            hint="a conda environment.yml holds a few levels of lists at most") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path} is not a conda environment file", hint="it should be a mapping with 'dependencies'")
    deps, pypi = [], {}
    for item in data.get("dependencies") or []:
        if isinstance(item, dict) and "pip" in item:
            for req in item["pip"] or []:
                match = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", str(req))
                if match:
                    pypi[match.group(1)] = match.group(2).strip() or "*"
        elif isinstance(item, str):
            deps.append(parse_cli_spec(item))
    channels = [str(c) for c in data.get("channels") or [] if c != "nodefaults"]
    return ImportedEnvironment(data.get("name"), channels, deps, pypi)
