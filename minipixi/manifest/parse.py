"""Reading pixi.toml: TOML text in, a checked `Workspace` out, or an error that points at the text.

The same reader takes Pixi's second format, a Python project's ``pyproject.toml`` whose
``[tool.pixi]`` table is the manifest (see "pyproject.toml" below: what ``[project]`` adds, and how
`find_manifest` looks for one). A manifest that only describes a package to build (``[package]``,
pixi-build) is refused by name.

Parsing happens in three passes, each small:

1. **TOML**: tomlkit turns the text into nested dicts (a syntax error already has a line).
2. **Shape**: walk the dicts table by table. Every table has a list of allowed keys, so a typo
   becomes "unexpected key 'featur'" with a did-you-mean; every value is checked for its type.
   Dependency specs are checked with `MatchSpec` / `VersionSpec`, so ``numpy = ">=2,,3"`` fails
   here, where the learner wrote it, and not later inside the solver.
3. **References**: environments name features that must exist, features name platforms that
   must be declared, tasks depend on tasks that must exist and may not form a cycle, a
   ``[target.X]`` names a platform, a family or a platform entry.

Nothing is silently dropped. A value of the wrong type, a NUL in a name, an ``exclude-newer``
that is not a date, a ``requires-pixi`` that Pixi `PIXI_VERSION` does not meet: errors. A setting
that is valid Pixi but that minipixi cannot honour yet (``exclude-newer``, ``solve-strategy =
"lowest"``, a git dependency, ``[dev]``...) is kept as an `Unsupported` with its place, so the
manifest still loads, and raised when a solve needs it (see `resolve.py`).

Before all that, the text itself: bytes that are not UTF-8 (`read_manifest_text`), a lone CR
line end, and nesting deeper than `locate.MAX_NESTING` are located errors; a UTF-8 BOM is
skipped.

Every error is a `ManifestError` whose `where` is ``pixi.toml:LINE:COL`` and whose `details`
show the line with a caret under the offending key (positions come from `locate.scan`, because
tomlkit does not keep them), plus a `hint` with the fix.

Lesson: Episode 2 ("the manifest"). Read after `model.py`; read next `resolve.py`. Ground truth:
Pixi's manifest schema and the error snapshots of its pixi_manifest crate.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from minipixi.errors import Location, ManifestError, MinipixiError, shorten, source_excerpt
from minipixi.manifest.locate import MAX_NESTING, SourceMap, decode_utf8, lone_cr, position, scan
from minipixi.manifest.model import (
    DEFAULT_ENVIRONMENT, DEFAULT_FEATURE, KNOWN_PLATFORMS, PIXI_VERSION, PLATFORM_VIRTUAL_KEYS,
    SELECTORS, Activation, ChannelEntry, DependencySpec, DependsOn, Environment, Feature,
    PlatformEntry, PypiDependency, SystemRequirements, Target, Task, TaskArg, Unsupported, Workspace,
)

MANIFEST_NAME = "pixi.toml"
#: Pixi's second manifest format: a Python project's pyproject.toml with a ``[tool.pixi]`` table.
PYPROJECT_NAME = "pyproject.toml"
#: Where the pixi part of a pyproject.toml sits: every key path of the manifest is under it.
PYPROJECT_PREFIX = ("tool", "pixi")
#: The pixi-build message: a ``[package]`` manifest describes a package to build, not a workspace.
PACKAGE_BUILD_UNSUPPORTED = "building packages ([package], pixi build) is not supported by minipixi"

# --8<-- [start:allowed-keys]
TOP_LEVEL_KEYS = (
    "$schema", "workspace", "project", "package", "target", "dependencies", "host-dependencies",
    "build-dependencies", "constraints", "exclude-newer", "pypi-dependencies",
    "pypi-exclude-newer", "dev", "activation", "tasks", "feature", "environments",
    "pypi-options", "system-requirements", "tool",
)
WORKSPACE_KEYS = (
    "name", "version", "description", "authors", "channels", "platforms", "channel-priority",
    "requires-pixi", "license", "license-file", "readme", "homepage", "repository",
    "documentation", "conda-pypi-map", "preview", "pypi-options", "solve-strategy",
    "exclude-newer", "build-variants", "build-variants-files", "dependencies", "target",
    "s3-options",
)
TARGET_KEYS = (
    "dependencies", "host-dependencies", "build-dependencies", "constraints",
    "pypi-dependencies", "dev", "activation", "tasks",
)
FEATURE_KEYS = TARGET_KEYS + (
    "platforms", "channels", "channel-priority", "solve-strategy", "system-requirements",
    "target", "pypi-options",
)
ENVIRONMENT_KEYS = (
    "features", "solve-group", "no-default-feature", "platforms", "channels",
    "channel-priority", "solve-strategy", "target", "dependencies", "pypi-dependencies",
    "constraints", "dev", "activation", "tasks", "pypi-options",
)
TASK_KEYS = (
    "cmd", "inputs", "outputs", "depends-on", "depends_on", "cwd", "env",
    "default-environment", "description", "clean-env", "args",
)
SPEC_KEYS = (
    "version", "build", "build-number", "channel", "subdir", "md5", "sha256", "file-name",
    "license", "license-family", "track-features", "url", "path", "git", "branch", "tag",
    "rev", "subdirectory", "lfs", "extras", "flags", "package", "when", "workspace",
)
SYSTEM_REQUIREMENT_KEYS = ("macos", "linux", "cuda", "libc", "archspec", "unix")
PLATFORM_ENTRY_KEYS = ("name", "platform", "osx") + PLATFORM_VIRTUAL_KEYS
PACKAGE_KEYS = (
    "name", "version", "description", "authors", "license", "license-file", "readme",
    "homepage", "repository", "documentation", "build", "host-dependencies",
    "build-dependencies", "run-dependencies", "run-constraints", "run-exports",
    "extra-dependencies", "publish", "target",
)
#: What a ``[package.target.SELECTOR]`` table may hold.
PACKAGE_TARGET_KEYS = ("build-dependencies", "host-dependencies", "run-dependencies", "run-constraints",
                       "run-exports", "extra-dependencies", "build")
# --8<-- [end:allowed-keys]

ENVIRONMENT_NAME = re.compile(r"^[a-z\d\-]+$")
PLATFORM_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$|^[a-zA-Z]$")
TASK_NAME = re.compile(r"^[^\s\$\x00-\x1f\x7f]+$")
FEATURE_NAME = re.compile(r"^[^\x00-\x1f\x7f]+$")
ARG_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z\d_]*$")
PACKAGE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: A system requirement or virtual package version: numbers and dots (``12``, ``2.28``).
REQUIREMENT_VERSION = re.compile(r"^\d{1,9}(\.\d{1,9}){0,5}$")
SOLVE_STRATEGIES = ("highest", "lowest", "lowest-direct")
CHANNEL_PRIORITIES = ("strict", "flexible", "disabled")
#: Keys of a conda dependency table that minipixi cannot express in a MatchSpec (yet); the
#: git keys (branch, tag, ...) mean nothing without a git source.
UNSUPPORTED_SPEC_KEYS = ("when", "track-features", "license-family", "extras", "flags", "branch", "tag",
                         "rev", "subdirectory", "lfs", "package")
#: Keys that make a conda dependency a source (or direct-URL) dependency.
SOURCE_SPEC_KEYS = ("git", "path", "url")


class _Context:
    """The text being parsed, its key positions, and the warnings collected so far."""

    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path
        self.map: SourceMap = scan(text)
        self.warnings: list[str] = []
        self.syntax_warnings: list[str] = []  # the subset about how the file is written
        self.pool: dict[str, DependencySpec] = {}  # [workspace.dependencies], for { workspace = true }
        self.unsupported: list[Unsupported] = []  # settings of the current feature minipixi cannot honour
        #: Key paths in messages are relative to this: ``("tool", "pixi")`` in a pyproject.toml.
        self.prefix: tuple = ()

    def table_name(self, key_path: Sequence[Any]) -> str:
        """How a message names the table at `key_path` (``tool.pixi.dependencies`` in a pyproject)."""
        return _dotted(self.prefix + tuple(key_path))

    def warn_syntax(self, message: str) -> None:
        """A warning about a deprecated or ignored form in the file (the CLI shows these)."""
        self.warnings.append(message)
        self.syntax_warnings.append(message)

    def error(self, key_path: Sequence[Any], message: str, hint: str | None = None,
              *, at_value: bool = False) -> ManifestError:
        """A ManifestError located at `key_path` (at its value with `at_value`), a path below
        `prefix`; `error_at` takes a path from the top of the file."""
        return self.error_at(self.prefix + tuple(key_path), message, hint, at_value=at_value)

    def error_at(self, key_path: Sequence[Any], message: str, hint: str | None = None,
                 *, at_value: bool = False) -> ManifestError:
        span = self.map.value_span(key_path) if at_value else self.map.find(key_path)
        if span is None:
            return ManifestError(message, where=Location(str(self.path)), hint=hint)
        return ManifestError(
            message,
            where=Location(str(self.path), span.line, span.column),
            hint=hint,
            details=source_excerpt(self.text, span.line, span.column, span.width),
        )

    def unsupported_setting(self, key_path: Sequence[Any], setting: str, message: str, hint: str,
                            feature: str | None = None, selector: str | None = None) -> Unsupported:
        """An `Unsupported` located at `key_path`: raised when a solve needs the setting."""
        err = self.error(key_path, message, hint)
        return Unsupported(setting, message, err.where, err.details, hint, feature, selector)


def _dotted(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int)) or "the top level"


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest of `choices` to `word`, if any is close enough to be a likely typo.

    Platform names all look alike (win-64 / linux-64), so callers ask for a closer match there.
    """
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return found[0] if found else None


# ---- small shape checks ------------------------------------------------------------------------
def check_keys(ctx: _Context, table: Mapping[str, Any], allowed: Sequence[str], path: Sequence[Any]) -> None:
    """Raise for the first key of `table` that is not in `allowed`, suggesting the closest one."""
    for key in table:
        if key in allowed:
            continue
        guess = did_you_mean(key, allowed)
        where = f"[{ctx.table_name(path)}]" if path or ctx.prefix else ctx.path.name
        hint = f"did you mean '{guess}'?" if guess else "expected one of: " + ", ".join(allowed)
        raise ctx.error(tuple(path) + (key,), f"unexpected key '{key}' in {where}", hint)


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)


def expect(ctx: _Context, value: Any, kinds: tuple[type, ...], path: Sequence[Any], what: str,
           *, empty_ok: bool = False) -> Any:
    """Return `value` if it is one of `kinds`, else raise "expected ..., found ..."."""
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
        if isinstance(value, str) and not value.strip() and str in kinds and not empty_ok:
            raise ctx.error(path, f"{what} may not be empty", at_value=True)
        return value
    wanted = " or ".join(_type_name(k()) if k is not bool else "boolean" for k in kinds)
    example = {str: '"text"', list: '["a", "b"]', dict: "{ key = \"value\" }", bool: "true"}.get(kinds[0], "")
    raise ctx.error(path, f"{what}: expected {wanted}, found {_type_name(value)}",
                    f"write {'an' if wanted[0] in 'aeiou' else 'a'} {wanted} here, e.g. {example}" if example else None,
                    at_value=True)


def expect_str_list(ctx: _Context, value: Any, path: Sequence[Any], what: str) -> tuple[str, ...]:
    items = expect(ctx, value, (list,), path, what)
    return tuple(expect(ctx, item, (str,), tuple(path) + (i,), what) for i, item in enumerate(items))


def _version_text(ctx: _Context, value: Any, path: Sequence[Any], what: str) -> str:
    """A system version written as a string or a bare number (``cuda = 12``): numbers and dots.

    A conda version may hold letters (``1.0a1``), but the version of a driver, a libc or an OS
    never does, so ``cuda = "abc"`` is refused here rather than becoming ``__cuda=abc``.
    """
    text = str(expect(ctx, value, (str, int, float), path, what))
    if not REQUIREMENT_VERSION.fullmatch(text):
        raise ctx.error(path, f"invalid version '{shorten(text)}' for {what}",
                        "write numbers separated by dots, e.g. \"12\", \"12.4\" or \"2.28\"", at_value=True)
    return text


def _check_version_spec(ctx: _Context, text: str, path: Sequence[Any], what: str) -> None:
    try:
        from minipixi.version_spec import VersionSpec
    except ImportError:
        return
    try:
        VersionSpec(text)
    except MinipixiError as err:
        raise ctx.error(path, f"invalid version spec for {what}: {err.message}",
                        'a version spec looks like ">=1.2,<2", "1.2.*" or "*"', at_value=True) from err


# ---- dependencies ------------------------------------------------------------------------------
def parse_spec_string(name: str, text: str) -> DependencySpec:
    """``numpy = ">=2"`` (or ``"2.* py312*"``, version then build) as a DependencySpec.

    Raises MinipixiError (MatchSpecError) when the text is not a valid spec.
    """
    text = text.strip()
    try:
        from minipixi.matchspec import MatchSpec
    except ImportError:
        return DependencySpec(name, version=text or None)
    spec = MatchSpec.parse(f"{name} {text}")
    version = str(spec.version) if spec.version is not None else None
    if " " not in text and not spec.build:
        version = text  # keep the text exactly as the learner wrote it
    return DependencySpec(name, version=version, build=spec.build, channel=spec.channel)


def parse_dependency(ctx: _Context, name: str, value: Any, path: Sequence[Any]) -> DependencySpec:
    """One entry of a ``*dependencies`` / ``constraints`` table."""
    if not PACKAGE_NAME.fullmatch(name):
        raise ctx.error(path, f"{_quoted(name)} is not a valid package name",
                        "package names use letters, digits, '.', '-' and '_'")
    expect(ctx, value, (str, dict), path, f"the spec of '{name}'")
    if isinstance(value, str):
        try:
            return parse_spec_string(name, value)
        except MinipixiError as err:
            raise ctx.error(path, f"invalid spec for '{name}': {err.message}",
                            'a spec looks like ">=1.2,<2", "1.2.*" or "*"', at_value=True) from err
    check_keys(ctx, value, SPEC_KEYS, path)
    if "workspace" in value:
        return _workspace_dependency(ctx, name, value, path)
    for key in ("version", "build", "channel", "subdir", "md5", "sha256", "file-name", "license"):
        if key in value:
            expect(ctx, value[key], (str,), tuple(path) + (key,), f"'{key}' of '{name}'")
    if "build-number" in value:
        expect(ctx, value["build-number"], (str, int), tuple(path) + ("build-number",), f"'build-number' of '{name}'")
    if "version" in value:
        _check_version_spec(ctx, value["version"], tuple(path) + ("version",), f"'{name}'")
    source = {k: value[k] for k in SOURCE_SPEC_KEYS if k in value}
    return DependencySpec(
        name, version=value.get("version"), build=value.get("build"),
        build_number=None if "build-number" not in value else str(value["build-number"]),
        channel=value.get("channel"), subdir=value.get("subdir"), md5=value.get("md5"),
        sha256=value.get("sha256"), file_name=value.get("file-name"), license=value.get("license"),
        source={k: value[k] for k in value if k not in ("version", "build", "channel")} if source else None,
        refused=_refused_spec(ctx, name, value, path),
    )


def _refused_spec(ctx: _Context, name: str, value: Mapping[str, Any], path: Sequence[Any]) -> Unsupported | None:
    """Why minipixi cannot solve this dependency table as written (None when it can)."""
    source = [k for k in SOURCE_SPEC_KEYS if k in value]
    if source:
        return ctx.unsupported_setting(
            tuple(path) + (source[0],), source[0],
            f"'{name}' is a {source[0]} dependency: source/git/path conda dependencies (pixi-build) "
            "are not supported by minipixi",
            f'depend on the package from a channel instead, e.g. {name} = "*", or use pixi itself')
    unknown = [k for k in UNSUPPORTED_SPEC_KEYS if k in value]
    if unknown:
        return ctx.unsupported_setting(
            tuple(path) + (unknown[0],), unknown[0],
            f"'{unknown[0]}' in the spec of '{name}' is not supported by minipixi",
            f"remove '{unknown[0]}' (minipixi would otherwise solve without it), or use pixi itself")
    return None


def _workspace_dependency(ctx: _Context, name: str, value: Mapping[str, Any], path: Sequence[Any]) -> DependencySpec:
    """``numpy = { workspace = true }``: the spec written in ``[workspace.dependencies]``."""
    flag_path = tuple(path) + ("workspace",)
    if value["workspace"] is not True:
        raise ctx.error(flag_path, f"'workspace' of '{name}' can only be true",
                        f'write {name} = {{ workspace = true }}, or give the spec itself', at_value=True)
    others = [k for k in value if k != "workspace"]
    if others:
        raise ctx.error(tuple(path) + (others[0],), f"'{name}' takes its spec from [workspace.dependencies] "
                        f"and cannot add '{others[0]}'", f"change the spec of '{name}' in [workspace.dependencies]")
    if name not in ctx.pool:
        raise ctx.error(flag_path, f"'{name}' asks for its spec from the workspace, but [workspace.dependencies] "
                        "has no such entry", f'add {name} = "*" (or a version) to [workspace.dependencies]')
    return ctx.pool[name]


def parse_dependency_table(ctx: _Context, table: Any, path: Sequence[Any]) -> dict[str, DependencySpec]:
    table = expect(ctx, table, (dict,), path, f"[{ctx.table_name(path)}]")
    return {name: parse_dependency(ctx, name, value, tuple(path) + (name,)) for name, value in table.items()}


def parse_pypi_table(ctx: _Context, table: Any, path: Sequence[Any]) -> dict[str, PypiDependency]:
    table = expect(ctx, table, (dict,), path, f"[{ctx.table_name(path)}]")
    for name, value in table.items():
        expect(ctx, value, (str, dict), tuple(path) + (name,), f"the PyPI requirement of '{name}'")
    return {name: PypiDependency(name, value) for name, value in table.items()}


# ---- tasks -------------------------------------------------------------------------------------
def _parse_depends_on(ctx: _Context, value: Any, path: Sequence[Any]) -> tuple[DependsOn, ...]:
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


def _dependency_args(ctx: _Context, value: Any, path: tuple) -> tuple[Any, ...]:
    """``args`` of a depends-on entry: strings (in the task's order), or ``{ name = "value" }``."""
    items = expect(ctx, value, (list,), path, "depends-on args")
    for i, item in enumerate(items):
        expect(ctx, item, (str, dict), path + (i,), "a depends-on argument", empty_ok=True)
        for key, val in (item.items() if isinstance(item, dict) else ()):
            expect(ctx, val, (str,), path + (i, key), f"the depends-on argument '{key}'", empty_ok=True)
    return tuple(items)


def _parse_task_args(ctx: _Context, value: Any, path: Sequence[Any]) -> tuple[TaskArg, ...]:
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


def parse_task(ctx: _Context, name: str, value: Any, path: Sequence[Any]) -> Task:
    """A task in any of its three forms: a string, a list (depends-on only) or a table."""
    if not TASK_NAME.fullmatch(name):
        raise ctx.error(path, f"{_quoted(name)} is not a valid task name",
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
        _check_env_var_name(ctx, key, p + ("env", key))
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


def _quoted(name: str) -> str:
    """A name as an error quotes it: control characters (NUL...) escaped, long names shortened."""
    return shorten(repr(name)) if not FEATURE_NAME.fullmatch(name or "x") else f"'{shorten(name)}'"


def _check_env_var_name(ctx: _Context, name: str, path: Sequence[Any]) -> None:
    """An environment variable name must be an identifier: it is written into shell code."""
    if not ENV_VAR_NAME.fullmatch(name):
        raise ctx.error(path, f"{_quoted(name)} is not a valid environment variable name",
                        "use letters, digits and '_', not starting with a digit (e.g. MY_VAR)")


def parse_tasks(ctx: _Context, table: Any, path: Sequence[Any]) -> dict[str, Task]:
    table = expect(ctx, table, (dict,), path, f"[{ctx.table_name(path)}]")
    return {name: parse_task(ctx, name, value, tuple(path) + (name,)) for name, value in table.items()}


# ---- activation, system requirements -----------------------------------------------------------
def parse_activation(ctx: _Context, table: Any, path: Sequence[Any]) -> Activation:
    table = expect(ctx, table, (dict,), path, "[activation]")
    check_keys(ctx, table, ("scripts", "env"), path)
    scripts = expect_str_list(ctx, table.get("scripts", []), tuple(path) + ("scripts",), "activation scripts")
    env = expect(ctx, table.get("env", {}), (dict,), tuple(path) + ("env",), "activation env")
    for key, val in env.items():
        _check_env_var_name(ctx, key, tuple(path) + ("env", key))
        expect(ctx, val, (str,), tuple(path) + ("env", key),  # "" is a value (EXECUTABLE_EXTENSION = "")
               f"the activation variable '{key}' (a string, e.g. {key} = \"value\")", empty_ok=True)
    return Activation(scripts, dict(env))


def parse_system_requirements(ctx: _Context, table: Any, path: Sequence[Any]) -> SystemRequirements:
    table = expect(ctx, table, (dict,), path, "[system-requirements]")
    check_keys(ctx, table, SYSTEM_REQUIREMENT_KEYS, path)
    fields: dict[str, str | None] = {}
    for key in ("cuda", "linux", "macos"):
        if key in table:
            fields[key] = _version_text(ctx, table[key], tuple(path) + (key,), f"system requirement '{key}'")
    if "archspec" in table:
        fields["archspec"] = expect(ctx, table["archspec"], (str,), tuple(path) + ("archspec",), "archspec")
    libc = table.get("libc")
    if isinstance(libc, dict):
        check_keys(ctx, libc, ("family", "version"), tuple(path) + ("libc",))
        if "version" not in libc:
            raise ctx.error(tuple(path) + ("libc",), "libc needs a 'version'", 'write libc = { family = "glibc", version = "2.28" }')
        fields["libc_family"] = str(libc.get("family", "glibc"))
        fields["libc"] = _version_text(ctx, libc["version"], tuple(path) + ("libc", "version"), "libc")
    elif libc is not None:
        fields["libc_family"] = "glibc"
        fields["libc"] = _version_text(ctx, libc, tuple(path) + ("libc",), "libc")
    return SystemRequirements(**fields)


# ---- channels and platforms --------------------------------------------------------------------
def parse_channels(ctx: _Context, value: Any, path: Sequence[Any]) -> tuple[ChannelEntry, ...]:
    channels = []
    for i, item in enumerate(expect(ctx, value, (list,), path, "channels")):
        item_path = tuple(path) + (i,)
        expect(ctx, item, (str, dict), item_path, "a channel")
        if isinstance(item, dict):
            check_keys(ctx, item, ("channel", "priority", "exclude-newer"), item_path)
            if "channel" not in item:
                raise ctx.error(item_path, "a channel table needs a 'channel'", 'write { channel = "conda-forge", priority = 1 }')
            name = expect(ctx, item["channel"], (str,), item_path + ("channel",), "a channel")
            priority = expect(ctx, item.get("priority", 0), (int,), item_path + ("priority",), "channel priority")
            if "exclude-newer" in item:
                check_exclude_newer(ctx, item["exclude-newer"], item_path + ("exclude-newer",), "exclude-newer")
            channels.append(ChannelEntry(name, priority))
        else:
            channels.append(ChannelEntry(item))
    return tuple(channels)


# ---- exclude-newer -----------------------------------------------------------------------------
_DURATION_UNITS = (
    "nanoseconds nanosecond nsec ns microseconds microsecond usec us milliseconds millisecond msec ms "
    "seconds second secs sec s minutes minute mins min m hours hour hrs hr h days day d "
    "weeks week w months month M years year y"
).split()
EXCLUDE_NEWER_DURATION = re.compile(
    r"^\s*(?:\d{1,12}\s*(?:" + "|".join(_DURATION_UNITS) + r")\s*)+$")
EXCLUDE_NEWER_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
EXCLUDE_NEWER_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def exclude_newer_form(value: Any) -> str | None:
    """What kind of cut-off `value` is, as Pixi reads ``exclude-newer``: "date", "timestamp" or
    "duration" (``7d``, ``1h 30m``: that long before the solve); None if it is none of them."""
    import datetime

    if isinstance(value, datetime.datetime):  # an unquoted TOML date-time
        return "timestamp" if value.tzinfo is not None else None
    if isinstance(value, datetime.date):
        return "date"
    if not isinstance(value, str) or len(value) > 64:
        return None
    if EXCLUDE_NEWER_DURATION.fullmatch(value):
        return "duration"
    for form, pattern in (("date", EXCLUDE_NEWER_DATE), ("timestamp", EXCLUDE_NEWER_TIMESTAMP)):
        found = pattern.fullmatch(value)
        if found:
            try:
                numbers = [int(g) for g in found.groups()[:6] if g is not None]
                datetime.datetime(*numbers[:3], *(numbers[3:6] if form == "timestamp" else ()))
            except ValueError:  # 2020-13-45, 25:61:00
                return None
            return form
    return None


def check_exclude_newer(ctx: _Context, value: Any, path: Sequence[Any], key: str, honoured: bool = False) -> None:
    """Refuse a value that is not a cut-off; a valid one is noted as not supported (yet).

    The top-level ``[exclude-newer]`` may also be a table of cut-offs per package (``false``
    exempts a package).
    """
    if isinstance(value, dict) and tuple(path) == (key,):
        for package, cutoff in value.items():
            if cutoff is not False and exclude_newer_form(cutoff) is None:
                raise ctx.error(tuple(path) + (package,), f"the {key} cut-off of '{shorten(package)}' is "
                                f"{shorten(repr(cutoff))}, not a date, a timestamp or a duration",
                                'write a date ("2025-01-31"), a timestamp or a duration ("7d"), or false',
                                at_value=True)
    elif exclude_newer_form(value) is None:
        raise ctx.error(path, f"{key} = {shorten(repr(value))} is not a date, a timestamp or a duration",
                        'write a date ("2025-01-31"), an RFC 3339 timestamp ("2025-01-31T12:00:00Z") '
                        'or a duration ("7d")', at_value=True)
    if honoured:  # the workspace's own cut-off: the solve leaves newer records out
        return
    ctx.unsupported.append(ctx.unsupported_setting(
        path, key, f"{key} is not supported by minipixi yet: it cannot leave out packages newer than a cut-off",
        f"remove {key} to solve with every package, or use pixi itself"))


def derived_platform_name(subdir: str, virtual: Mapping[str, str]) -> str:
    """The name Pixi derives for an unnamed rich entry: ``linux-64-cuda-12-9`` for cuda 12.9."""
    parts = [subdir] + [f"{key}-{virtual[key]}" for key in PLATFORM_VIRTUAL_KEYS if key in virtual]
    return re.sub(r"[^A-Za-z0-9-]", "-", "-".join(parts))


def _unknown_platform(ctx: _Context, name: str, path: Sequence[Any]) -> ManifestError:
    guess = did_you_mean(name, KNOWN_PLATFORMS, 0.8)
    hint = f"did you mean '{guess}'?" if guess else "known platforms: " + ", ".join(KNOWN_PLATFORMS)
    return ctx.error(path, f"'{name}' is not a known platform", hint, at_value=True)


def parse_platform_entry(ctx: _Context, item: Any, path: Sequence[Any]) -> PlatformEntry:
    """One item of ``workspace.platforms``: a subdir string or a rich table."""
    expect(ctx, item, (str, dict), path, "a platform")
    if isinstance(item, str):
        if item not in KNOWN_PLATFORMS:
            raise _unknown_platform(ctx, item, path)
        return PlatformEntry(item, item)
    check_keys(ctx, item, PLATFORM_ENTRY_KEYS, path)
    if "platform" not in item and "name" not in item:
        raise ctx.error(path, "a platform entry needs a 'platform' (or a 'name' that is a platform)",
                        'write { name = "linux-64-cuda", platform = "linux-64", cuda = "12" }', at_value=True)
    subdir = str(item.get("platform", item.get("name")))
    if subdir not in KNOWN_PLATFORMS:
        raise _unknown_platform(ctx, subdir, tuple(path) + (("platform",) if "platform" in item else ("name",)))
    virtual = _platform_virtual(ctx, item, path)
    name = item.get("name")
    if name is not None:
        _check_platform_name(ctx, str(name), tuple(path) + ("name",))
    return PlatformEntry(str(name) if name else derived_platform_name(subdir, virtual), subdir,
                         virtual, rich=True, named=name is not None)


def _platform_virtual(ctx: _Context, item: Mapping[str, Any], path: Sequence[Any]) -> dict[str, str]:
    virtual = {}
    for key in PLATFORM_VIRTUAL_KEYS + ("osx",):
        if key not in item:
            continue
        value = item[key]
        if key == "cuda" and isinstance(value, dict):
            check_keys(ctx, value, ("driver", "arch"), tuple(path) + ("cuda",))
            value = value.get("driver", "")
        text = str(value) if key == "archspec" else _version_text(ctx, value, tuple(path) + (key,), key)
        virtual["macos" if key == "osx" else key] = text
    return virtual


def _check_platform_name(ctx: _Context, name: str, path: Sequence[Any]) -> None:
    if name in SELECTORS or name == "macos":
        raise ctx.error(path, f"'{name}' is reserved as a target selector and cannot name a platform",
                        f"choose a more specific name, e.g. '{name}-gpu'", at_value=True)
    if len(name) > 64 or not PLATFORM_NAME.fullmatch(name):
        raise ctx.error(path, f"'{name}' is not a valid platform name",
                        "use letters, digits and dashes, starting with a letter", at_value=True)


def parse_platforms(ctx: _Context, value: Any, path: Sequence[Any]) -> tuple[PlatformEntry, ...]:
    entries: list[PlatformEntry] = []
    for i, item in enumerate(expect(ctx, value, (list,), path, "platforms")):
        entry = parse_platform_entry(ctx, item, tuple(path) + (i,))
        if any(e.name == entry.name for e in entries):
            raise ctx.error(tuple(path) + (i,), f"duplicate platform '{entry.name}'",
                            "list each platform once (give rich entries distinct names)", at_value=True)
        entries.append(entry)
    return tuple(entries)


# ---- features and targets ----------------------------------------------------------------------
def parse_target(ctx: _Context, table: Mapping[str, Any], path: Sequence[Any], selector: str | None) -> Target:
    """The dependency/task/activation part shared by features, targets and environments."""
    p = tuple(path)
    activation = table.get("activation")
    if expect(ctx, table.get("dev", {}), (dict,), p + ("dev",), "[dev]"):
        ctx.unsupported.append(ctx.unsupported_setting(
            p + ("dev",), "dev", "[dev] (source packages built for development, pixi-build) is not supported by minipixi",
            "remove the [dev] table, or use pixi itself", selector=selector))
    return Target(
        selector=selector,
        dependencies=parse_dependency_table(ctx, table.get("dependencies", {}), p + ("dependencies",)),
        host_dependencies=parse_dependency_table(ctx, table.get("host-dependencies", {}), p + ("host-dependencies",)),
        build_dependencies=parse_dependency_table(ctx, table.get("build-dependencies", {}), p + ("build-dependencies",)),
        constraints=parse_dependency_table(ctx, table.get("constraints", {}), p + ("constraints",)),
        pypi_dependencies=parse_pypi_table(ctx, table.get("pypi-dependencies", {}), p + ("pypi-dependencies",)),
        tasks=parse_tasks(ctx, table.get("tasks", {}), p + ("tasks",)),
        activation=parse_activation(ctx, activation, p + ("activation",)) if activation is not None else None,
    )


def parse_feature(ctx: _Context, name: str, table: Any, path: Sequence[Any], allowed: Sequence[str] = FEATURE_KEYS) -> Feature:
    """A feature table (for ``default``: the top level of the document)."""
    p = tuple(path)
    table = expect(ctx, table, (dict,), p, f"feature '{name}'")
    check_keys(ctx, table, allowed, p)
    if not FEATURE_NAME.fullmatch(name):
        raise ctx.error(p, f"{_quoted(name)} is not a valid feature name", "feature names may not contain control characters")
    first_unsupported = len(ctx.unsupported)
    targets = {}
    for selector, target in expect(ctx, table.get("target", {}), (dict,), p + ("target",), "[target]").items():
        target_path = p + ("target", selector)
        check_keys(ctx, expect(ctx, target, (dict,), target_path, f"target '{selector}'"), TARGET_KEYS, target_path)
        targets[selector] = parse_target(ctx, target, target_path, selector)
    platforms = table.get("platforms")
    channels = table.get("channels")
    priority = check_solve_options(ctx, table, p)
    feature = Feature(
        name=name,
        platforms=expect_str_list(ctx, platforms, p + ("platforms",), "platforms") if platforms is not None else None,
        channels=parse_channels(ctx, channels, p + ("channels",)) if channels is not None else None,
        channel_priority=priority, solve_strategy=table.get("solve-strategy"),
        system_requirements=parse_system_requirements(ctx, table.get("system-requirements", {}), p + ("system-requirements",)),
        default=parse_target(ctx, table, p, None),
        targets=targets,
    )
    mine = [dataclasses.replace(u, feature=name) for u in ctx.unsupported[first_unsupported:]]
    del ctx.unsupported[first_unsupported:]
    return dataclasses.replace(feature, unsupported=tuple(mine)) if mine else feature


def check_solve_options(ctx: _Context, table: Mapping[str, Any], path: tuple) -> str | None:
    """``channel-priority`` and ``solve-strategy`` of a workspace, feature or environment table.

    Both are checked against Pixi's values, and the solver honours each of them (strict,
    flexible or disabled priority; highest, lowest or lowest-direct). Returns the channel
    priority (None when not set).
    """
    priority = table.get("channel-priority")
    if priority is not None:
        _check_choice(ctx, priority, CHANNEL_PRIORITIES, path + ("channel-priority",), "channel-priority")
    strategy = table.get("solve-strategy")
    if strategy is not None:
        _check_choice(ctx, strategy, SOLVE_STRATEGIES, path + ("solve-strategy",), "solve-strategy")
    return priority


def _check_choice(ctx: _Context, value: Any, choices: Sequence[str], path: Sequence[Any], what: str) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ctx.error(path, f"{shorten(repr(value))} is not a valid {what}", "expected one of: " + ", ".join(choices),
                        at_value=True)


# ---- environments ------------------------------------------------------------------------------
def _environment_feature_name(env: str) -> str:
    """The hidden feature that holds what an environment table declares itself."""
    return f"environment:{env}"


def parse_environment(ctx: _Context, name: str, value: Any, path: Sequence[Any]) -> tuple[Environment, Feature | None]:
    """An ``[environments]`` entry; returns the environment and its own inline feature, if any."""
    p = tuple(path)
    if not ENVIRONMENT_NAME.fullmatch(name):
        fixed = re.sub(r"[^a-z\d\-]+", "-", name.lower()).strip("-") or "env"
        raise ctx.error(p, f"invalid environment name {_quoted(name)}, please use only lowercase letters, numbers and dashes",
                        f"rename it, e.g. to '{fixed}'")
    expect(ctx, value, (list, dict), p, f"environment '{name}'")
    if isinstance(value, list):
        return Environment(name, expect_str_list(ctx, value, p, "features")), None
    check_keys(ctx, value, ENVIRONMENT_KEYS, p)
    features = expect_str_list(ctx, value.get("features", []), p + ("features",), "features")
    solve_group = value.get("solve-group")
    if solve_group is not None:
        expect(ctx, solve_group, (str,), p + ("solve-group",), "solve-group")
    no_default = expect(ctx, value.get("no-default-feature", False), (bool,), p + ("no-default-feature",), "no-default-feature")
    own_keys = {k: v for k, v in value.items() if k not in ("features", "solve-group", "no-default-feature")}
    inline = None
    if own_keys:
        inline = parse_feature(ctx, _environment_feature_name(name), own_keys, p, ENVIRONMENT_KEYS)
        features = (inline.name,) + features
    return Environment(name, features, solve_group, no_default, inline.platforms if inline else None), inline


def check_environment_features(ctx: _Context, env: Environment, features: Mapping[str, Feature], path: Sequence[Any]) -> None:
    """Every feature an environment lists must exist, and appear once."""
    listed = [f for f in env.features if not f.startswith("environment:")]
    for i, feature in enumerate(listed):
        item_path = _feature_item_path(ctx, path, i)
        if feature not in features:
            guess = did_you_mean(feature, [f for f in features if not f.startswith("environment:")])
            hint = f"did you mean '{guess}'?" if guess else f"define it with a [feature.{feature}] table, e.g. `minipixi add --feature {feature} SPEC`"
            raise ctx.error(item_path, f"the feature '{feature}' is not defined in the manifest", hint, at_value=True)
        if feature in listed[:i]:
            raise ctx.error(item_path, f"the feature '{feature}' is included more than once in environment '{env.name}'",
                            "list each feature once: the order of features matters, so a duplicate is ambiguous", at_value=True)


def _feature_item_path(ctx: _Context, env_path: Sequence[Any], index: int) -> tuple:
    """The key path of the index-th listed feature: list form, or the `features` key of a table."""
    list_form = tuple(env_path) + (index,)
    return list_form if ctx.prefix + list_form in ctx.map.spans else tuple(env_path) + ("features", index)


# ---- the workspace table -----------------------------------------------------------------------
def _workspace_table(ctx: _Context, doc: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    if "workspace" in doc and "project" in doc:
        raise ctx.error(("project",), "both [workspace] and [project] are present",
                        "[project] is the old name of [workspace]: merge them into [workspace]")
    for key in ("workspace", "project"):
        if key in doc:
            if key == "project":
                ctx.warn_syntax("the [project] table is deprecated, rename it to [workspace]")
            return key, expect(ctx, doc[key], (dict,), (key,), f"[{ctx.table_name((key,))}]")
    if "package" in doc:  # a package of some workspace, built by pixi-build
        raise ctx.error(("package",), PACKAGE_BUILD_UNSUPPORTED,
                        "this manifest describes a conda package to build, not a workspace: run minipixi in the "
                        "folder of the workspace manifest (the one with a [workspace] table), or use pixi build")
    if ctx.prefix:
        raise ctx.error((), f"{ctx.path.name} has no [tool.pixi.workspace] table",
                        'add one with channels and platforms, e.g. [tool.pixi.workspace] then channels = ["conda-forge"]; '
                        "`minipixi init` in this folder adds it")
    raise ManifestError(
        f"{ctx.path.name} has no [workspace] table",
        where=Location(str(ctx.path), 1, 1),
        details=source_excerpt(ctx.text, 1, 1) if ctx.text.strip() else None,
        hint='add a [workspace] table with name, channels and platforms, e.g. channels = ["conda-forge"]; '
        "`minipixi init` writes one",
    )


def _check_workspace_fields(ctx: _Context, key: str, table: Mapping[str, Any]) -> None:
    if isinstance(table.get("requires-pixi"), str):  # first, as Pixi: a newer manifest may have newer keys
        _check_requires_pixi(ctx, table["requires-pixi"], (key, "requires-pixi"))
    check_keys(ctx, table, WORKSPACE_KEYS, (key,))
    if "channels" not in table:
        raise ctx.error((key,), f"[{ctx.table_name((key,))}] has no 'channels'", 'add channels = ["conda-forge"]')
    for field_name in ("name", "version", "description", "requires-pixi"):
        if field_name in table:
            expect(ctx, table[field_name], (str,), (key, field_name), f"'{field_name}'")
    if "authors" in table:
        expect_str_list(ctx, table["authors"], (key, "authors"), "authors")
    if "dependencies" in table:  # the pool that members inherit from with { workspace = true }
        ctx.pool = parse_dependency_table(ctx, table["dependencies"], (key, "dependencies"))
    if "requires-pixi" in table:
        _check_requires_pixi(ctx, table["requires-pixi"], (key, "requires-pixi"))
    check_solve_options(ctx, table, (key,))
    if "exclude-newer" in table:
        check_exclude_newer(ctx, table["exclude-newer"], (key, "exclude-newer"), "exclude-newer", honoured=True)
    if "conda-pypi-map" in table:
        _check_conda_pypi_map(ctx, table["conda-pypi-map"], (key, "conda-pypi-map"))


def _check_requires_pixi(ctx: _Context, text: str, path: tuple) -> None:
    """``requires-pixi`` must admit the Pixi version minipixi follows (`PIXI_VERSION`)."""
    _check_version_spec(ctx, text, path, "requires-pixi")
    from minipixi.version import Version
    from minipixi.version_spec import VersionSpec

    if not VersionSpec(text).matches(Version(PIXI_VERSION)):
        raise ctx.error(path, f"this workspace requires pixi {shorten(text)}, but minipixi follows pixi {PIXI_VERSION}",
                        "use a pixi version that satisfies requires-pixi, or relax it if the workspace works with "
                        f"pixi {PIXI_VERSION}", at_value=True)


def _check_conda_pypi_map(ctx: _Context, value: Any, path: tuple) -> None:
    """`conda-pypi-map`: false, or channel -> (location string | false | table)."""
    if value is False:
        return
    for channel, entry in expect(ctx, value, (dict,), path, "conda-pypi-map").items():
        entry_path = path + (channel,)
        if entry is True:
            raise ctx.error(entry_path, "`true` is not supported in conda-pypi-map",
                            "use false to disable the mapping for this channel, or a string or table to configure it", at_value=True)
        expect(ctx, entry, (str, bool, dict), entry_path, f"the conda-pypi-map entry of '{channel}'")
        if isinstance(entry, dict):
            check_keys(ctx, entry, ("location", "mapping", "mapping-mode", "same-name-heuristic"), entry_path)
            if "mapping-mode" in entry:
                _check_choice(ctx, entry["mapping-mode"], ("overlay", "replace"), entry_path + ("mapping-mode",), "mapping-mode")
            for pkg, target in expect(ctx, entry.get("mapping", {}), (dict,), entry_path + ("mapping",), "mapping").items():
                if target is True:
                    raise ctx.error(entry_path + ("mapping", pkg), "`true` is not supported as a PyPI name",
                                    "use a string or a list of strings, or false for 'not on PyPI'", at_value=True)
                expect(ctx, target, (str, list, bool), entry_path + ("mapping", pkg), f"the PyPI name of '{pkg}'")


def _check_package(ctx: _Context, doc: Mapping[str, Any]) -> None:
    if "package" in doc:
        package = expect(ctx, doc["package"], (dict,), ("package",), "[package]")
        check_keys(ctx, package, PACKAGE_KEYS, ("package",))
        targets = expect(ctx, package.get("target", {}), (dict,), ("package", "target"), "[package.target]")
        for selector, table in targets.items():
            where = ("package", "target", selector)
            check_keys(ctx, expect(ctx, table, (dict,), where, f"[package.target.{selector}]"), PACKAGE_TARGET_KEYS, where)
        ctx.warn_syntax("[package] (building conda packages with pixi-build) is kept but not used by minipixi")
    if "tool" in doc:
        expect(ctx, doc["tool"], (dict,), ("tool",), "[tool]")


# ---- references between tables -----------------------------------------------------------------
def check_feature_platforms(ctx: _Context, features: Mapping[str, Feature], platforms: Sequence[PlatformEntry]) -> None:
    """A feature may only list platforms the workspace declares (by entry name)."""
    names = [p.name for p in platforms]
    for feature in features.values():
        for i, name in enumerate(feature.platforms or ()):
            if name not in names:
                raise ctx.error(_feature_path(feature) + ("platforms", i),
                                f"feature '{_display(feature.name)}' references platform '{name}' which is not declared in the workspace",
                                _undeclared_platform_hint(name, names), at_value=True)


def _undeclared_platform_hint(name: str, declared: Sequence[str]) -> str:
    hint = "the workspace declares: " + (", ".join(declared) or "no platforms")
    if name in KNOWN_PLATFORMS:
        return hint + f"; add it with `minipixi workspace platform add {name}`"
    subdir = next((p for p in sorted(KNOWN_PLATFORMS, key=len, reverse=True) if name.startswith(p + "-")), None)
    if subdir:  # linux-64-cuda: a rich entry built on linux-64
        return hint + f"; declare it with `minipixi workspace platform add {name}={subdir} --cuda 12` (or its own keys)"
    guess = did_you_mean(name, list(declared) + list(KNOWN_PLATFORMS), 0.8)
    return (f"did you mean '{guess}'? " if guess else f"'{name}' is not a known platform; ") + hint


def _feature_path(feature: Feature) -> tuple:
    if feature.name == DEFAULT_FEATURE:
        return ()
    if feature.name.startswith("environment:"):
        return ("environments", feature.name.split(":", 1)[1])
    return ("feature", feature.name)


def _display(name: str) -> str:
    return name.split(":", 1)[1] if name.startswith("environment:") else name


TARGET_GLOB = re.compile(r"^[A-Za-z0-9*?-]+$")


def check_target_selectors(ctx: _Context, features: Mapping[str, Feature], platforms: Sequence[PlatformEntry]) -> None:
    """Every ``[target.SELECTOR]`` must be a platform, a family, a platform entry's name or a
    glob over names; one that is known but matches no platform here is only a warning."""
    from minipixi.manifest.resolve import target_rank

    names = [p.name for p in platforms]
    for feature in features.values():
        for selector in feature.targets:
            known = (selector in KNOWN_PLATFORMS or selector in SELECTORS or selector in names
                     or (any(ch in selector for ch in "*?") and bool(TARGET_GLOB.fullmatch(selector))))
            if not known:
                guess = did_you_mean(selector, list(SELECTORS) + names + list(KNOWN_PLATFORMS), 0.7)
                raise ctx.error(_feature_path(feature) + ("target", selector),
                                f"{_quoted(selector)} is not a target selector",
                                (f"did you mean '{guess}'? " if guess else "")
                                + "a target is a platform (linux-64), a family (unix, linux, osx, win), "
                                "the name of a platform entry, or a glob over those names (cuda-*)")
            if not any(target_rank(selector, p) is not None for p in platforms):
                ctx.warnings.append(
                    f"the target selector '{selector}' (in {_dotted(_feature_path(feature) + ('target',)) or 'target'}) "
                    "does not match any platform of the workspace"
                )


def _all_tasks(features: Mapping[str, Feature]) -> Iterable[tuple[Feature, str | None, Task]]:
    for feature in features.values():
        for task in feature.default.tasks.values():
            yield feature, None, task
        for selector, target in feature.targets.items():
            for task in target.tasks.values():
                yield feature, selector, task


def _task_path(feature: Feature, selector: str | None, name: str) -> tuple:
    base = _feature_path(feature) + (("target", selector) if selector else ())
    return base + ("tasks", name)


def check_task_references(ctx: _Context, features: Mapping[str, Feature]) -> None:
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


def _depends_item_path(ctx: _Context, task_path: tuple, index: int) -> tuple:
    for candidate in (task_path + ("depends-on", index), task_path + (index,), task_path + ("depends-on",)):
        if ctx.prefix + candidate in ctx.map.spans:
            return candidate
    return task_path


def _check_task_cycles(ctx: _Context, features: Mapping[str, Feature]) -> None:
    graph: dict[str, set[str]] = {}
    where: dict[str, tuple] = {}
    for feature, selector, task in _all_tasks(features):
        graph.setdefault(task.name, set()).update(d.task for d in task.depends_on)
        where.setdefault(task.name, _task_path(feature, selector, task.name))
    from minipixi.run.tasks import cycle_text, find_cycle

    cycle = find_cycle({name: sorted(graph[name]) for name in sorted(graph)})
    if cycle:
        raise ctx.error(where[cycle[0]], f"tasks depend on each other in a cycle: {cycle_text(cycle)}",
                        "remove one of these depends-on entries")


# ---- putting it together -----------------------------------------------------------------------
# --8<-- [start:parse]
def parse_manifest(text: str, path: Path | str = MANIFEST_NAME) -> Workspace:
    """Parse and check the text of a pixi.toml; raise ManifestError pointing at the problem."""
    path = Path(path)
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark is not part of the TOML
    _check_line_ends(text, path)
    ctx = _Context(text, path)
    doc = _parse_toml(ctx)
    python_project = None
    if is_pyproject(path):
        doc, python_project = _pixi_part_of_pyproject(ctx, doc)
    _refuse_nul(ctx, doc)
    check_keys(ctx, doc, TOP_LEVEL_KEYS, ())
    key, ws = _workspace_table(ctx, doc)
    _check_workspace_fields(ctx, key, ws)
    _check_package(ctx, doc)
    platforms = parse_platforms(ctx, ws.get("platforms", []), (key, "platforms"))
    channels = parse_channels(ctx, ws["channels"], (key, "channels"))
    for cutoff in ("exclude-newer", "pypi-exclude-newer"):
        if cutoff in doc:
            check_exclude_newer(ctx, doc[cutoff], (cutoff,), cutoff)
    workspace_unsupported = tuple(ctx.unsupported)
    ctx.unsupported.clear()
    top = {k: v for k, v in doc.items() if k in FEATURE_KEYS}
    features = {DEFAULT_FEATURE: parse_feature(ctx, DEFAULT_FEATURE, top, ())}
    features.update(_parse_named_features(ctx, doc.get("feature", {})))
    from_python = _add_python_project(ctx, python_project, features) if python_project is not None else set()
    environments = _parse_environments(ctx, doc.get("environments", {}), features)
    check_feature_platforms(ctx, features, platforms)
    check_task_references(ctx, features)
    _collect_warnings(ctx, doc, features, environments, platforms, quiet=from_python)
    meta = _python_metadata(ctx, python_project) if python_project is not None else {}
    return Workspace(
        path=path, name=ws.get("name") or meta.get("name") or path.resolve().parent.name, channels=channels,
        platforms=platforms, features=features, environments=environments,
        version=ws.get("version", meta.get("version")), authors=tuple(ws.get("authors", meta.get("authors", ()))),
        description=ws.get("description", meta.get("description")),
        channel_priority=ws.get("channel-priority", "strict"), solve_strategy=ws.get("solve-strategy", "highest"),
        requires_pixi=ws.get("requires-pixi"), unsupported=workspace_unsupported,
        legacy_project=key == "project", warnings=tuple(ctx.warnings),
        syntax_warnings=tuple(ctx.syntax_warnings),
    )
# --8<-- [end:parse]


def _check_line_ends(text: str, path: Path) -> None:
    """TOML line ends are LF or CRLF; a lone CR (old Mac style) is refused where it is."""
    offset = lone_cr(text)
    if offset is not None:
        line, column = position(text, offset)
        raise ManifestError(
            f"{path.name} has a carriage return (CR) without a line feed on line {line}",
            where=Location(str(path), line, column),
            hint="TOML lines end with LF or CRLF: save the file with Unix (LF) or Windows (CRLF) line endings",
        )


def _parse_toml(ctx: _Context) -> dict[str, Any]:
    try:
        return tomlkit.parse(ctx.text).unwrap()
    except RecursionError:  # a tomlkit without its own nesting limit
        raise ManifestError(f"{ctx.path.name} is nested too deeply", where=Location(str(ctx.path)),
                            hint=f"TOML arrays and tables may nest at most {MAX_NESTING} levels here") from None
    except ParseError as err:
        line, col = getattr(err, "line", 1), max(getattr(err, "col", 1), 1)
        message = str(err).split(" at line ")[0]
        if ctx.map.duplicates:  # tomlkit reports a duplicate table where the next one starts
            raise _duplicate_key(ctx) from err
        raise ManifestError(
            f"{ctx.path.name} is not valid TOML: {message}",
            where=Location(str(ctx.path), line, col),
            hint="check the quotes, brackets and '=' signs on this line",
            details=source_excerpt(ctx.text, line, col),
        ) from err
    except TOMLKitError as err:  # e.g. a key defined twice in one table
        if ctx.map.duplicates:
            raise _duplicate_key(ctx) from err
        raise ManifestError(f"{ctx.path.name} is not valid TOML: {err}", where=Location(str(ctx.path)),
                            hint="check for keys or tables defined twice") from err


def _refuse_nul(ctx: _Context, doc: Mapping[str, Any]) -> None:
    """No key or string may hold a NUL (``\\u0000``): names become paths, values reach processes.

    ``[tool]`` belongs to other tools and is not looked at. The walk keeps its own stack.
    """
    hint = "remove the \\u0000 escape: names and values in pixi.toml may not contain NUL"
    stack: list[tuple[tuple, Any]] = [((), {k: v for k, v in doc.items() if k != "tool"})]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\0" in value:
            raise ctx.error(path, f"the value of '{_dotted(path)}' contains a NUL character", hint, at_value=True)
        if isinstance(value, dict):
            for key, item in value.items():
                if "\0" in key:
                    place = f"in [{_dotted(path)}]" if path else "at the top level"
                    raise ctx.error(path + (key,), f"the key {_quoted(key)} {place} contains a NUL character", hint)
                stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack += [(path + (i,), item) for i, item in enumerate(value)]


def _duplicate_key(ctx: _Context) -> ManifestError:
    path = ctx.map.duplicates[0]
    first = ctx.map.spans.get(path)
    where = f" (first defined on line {first.line})" if first else ""
    return ctx.error(path + ("<duplicate>",), f"'{'.'.join(map(str, path))}' is defined twice{where}",
                     "keep one definition and merge the other into it")


def _parse_named_features(ctx: _Context, table: Any) -> dict[str, Feature]:
    features = {}
    for name, value in expect(ctx, table, (dict,), ("feature",), "[feature]").items():
        if name == DEFAULT_FEATURE:
            raise ctx.error(("feature", name), "the feature 'default' is reserved and cannot be redefined",
                            "tables at the top level of the manifest are the default feature; write them there")
        features[name] = parse_feature(ctx, name, value, ("feature", name))
    return features


def _parse_environments(ctx: _Context, table: Any, features: dict[str, Feature]) -> dict[str, Environment]:
    environments: dict[str, Environment] = {}
    for name, value in expect(ctx, table, (dict,), ("environments",), "[environments]").items():
        env, inline = parse_environment(ctx, name, value, ("environments", name))
        if inline is not None:
            features[inline.name] = inline
        check_environment_features(ctx, env, features, ("environments", name))
        environments[name] = env
    environments.setdefault(DEFAULT_ENVIRONMENT, Environment(DEFAULT_ENVIRONMENT))
    return environments


def _collect_warnings(ctx: _Context, doc: Mapping[str, Any], features: Mapping[str, Feature],
                      environments: Mapping[str, Environment], platforms: Sequence[PlatformEntry],
                      quiet: set[str] = frozenset()) -> None:
    used = {f for env in environments.values() for f in env.feature_names()}
    for name in features:
        if name not in used and name not in quiet:  # a pyproject's extras need not be used
            ctx.warnings.append(f"the feature '{name}' is defined but not used in any environment; "
                                f"add it to one with `minipixi workspace environment add NAME --feature {name}`")
    if "system-requirements" in doc or any(
        not f.system_requirements.is_empty() for n, f in features.items() if n != DEFAULT_FEATURE
    ):
        ctx.warn_syntax("[system-requirements] is deprecated in favor of virtual packages on `platforms` "
                            "entries; `minipixi workspace migrate` rewrites them")
    check_target_selectors(ctx, features, platforms)


# ---- pyproject.toml ----------------------------------------------------------------------------
# A Python project can keep its pixi manifest in pyproject.toml, under [tool.pixi]: the same tables
# as pixi.toml, one level down ([tool.pixi.workspace], [tool.pixi.dependencies], ...). Pixi then
# reads three things from the Python project itself ([project], PEP 621):
#   - name, version, description and authors, where [tool.pixi.workspace] does not set them;
#   - `requires-python` becomes the conda dependency on python of the default feature, unless
#     [tool.pixi.dependencies] names python itself (no requires-python: python = "*");
#   - `dependencies` become PyPI dependencies of the default feature, and each group of
#     `optional-dependencies` / [dependency-groups] the PyPI dependencies of a feature of that name.
# minipixi installs conda packages only: the PyPI dependencies are kept, and an environment that
# needs them is refused when it is solved, as for [pypi-dependencies] (see resolve.require_conda_only).
def is_pyproject(path: Path | str) -> bool:
    return Path(path).name == PYPROJECT_NAME


def _pixi_part_of_pyproject(ctx: _Context, doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The [tool.pixi] table (the manifest proper) and the [project] table of a pyproject.toml."""
    tool = doc.get("tool", {})
    pixi = tool.get("pixi") if isinstance(tool, dict) else None
    if pixi is None:
        raise ctx.error_at((), f"{ctx.path.name} has no [tool.pixi] table",
                           'add [tool.pixi.workspace] with channels = ["conda-forge"] and platforms, or run '
                           "`minipixi init` in this folder")
    ctx.prefix = PYPROJECT_PREFIX
    pixi = expect(ctx, pixi, (dict,), (), "[tool.pixi]")
    project = doc.get("project", {})
    if not isinstance(project, dict):
        raise ctx.error_at(("project",), "[project] of pyproject.toml must be a table",
                           'write it as a table: [project] then name = "..."', at_value=True)
    python = dict(project)
    if "dependency-groups" in doc:
        python["dependency-groups"] = doc["dependency-groups"]
    return pixi, python


def _requirement_name(ctx: _Context, text: Any, where: tuple) -> str:
    """The distribution name at the start of a PEP 508 requirement (``numpy>=2; python_version<'4'``)."""
    if not isinstance(text, str) or not (found := re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)):
        raise ctx.error_at(where, f"{shorten(repr(text))} is not a Python requirement",
                           'write a PEP 508 requirement, e.g. "numpy>=2"', at_value=True)
    return found.group(1)


def _python_requirements(ctx: _Context, items: Any, where: tuple, own_name: str | None,
                         groups: Mapping[str, Any] | None = None, seen: tuple = ()) -> dict[str, PypiDependency]:
    """PEP 508 strings (and, in [dependency-groups], ``{include-group = "..."}``) -> PyPI dependencies."""
    if not isinstance(items, list):
        raise ctx.error_at(where, f"[{_dotted(where)}] must be an array of requirements",
                           'write e.g. ["numpy>=2", "pandas"]', at_value=True)
    found: dict[str, PypiDependency] = {}
    for i, item in enumerate(items):
        if groups is not None and isinstance(item, dict) and set(item) == {"include-group"}:
            name = item["include-group"]
            if name not in groups or name in seen:
                raise ctx.error_at(where + (i,), f"the dependency group {shorten(repr(name))} cannot be included here",
                                   "include a group defined in [dependency-groups], without a cycle", at_value=True)
            found.update(_python_requirements(ctx, groups[name], ("dependency-groups", name), own_name, groups,
                                              seen + (name,)))
            continue
        name = _requirement_name(ctx, item, where + (i,))
        if own_name is None or _normal(name) != _normal(own_name):  # in a group, the project itself is left out
            found[name] = PypiDependency(name, item.strip())
    return found


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _python_dependency(ctx: _Context, python: Mapping[str, Any]) -> DependencySpec:
    """``requires-python`` (PEP 440, ">= 3.11") as the conda spec of python (None: any python)."""
    text = python.get("requires-python")
    if text is None:
        return DependencySpec("python", version="*")
    where = ("project", "requires-python")
    if not isinstance(text, str):
        raise ctx.error_at(where, "requires-python must be a string", 'e.g. requires-python = ">=3.11"', at_value=True)
    conda = ",".join(part.strip().replace(" ", "") for part in text.split(","))
    try:
        return parse_spec_string("python", conda)
    except MinipixiError as err:
        raise ctx.error_at(where, f"requires-python = {shorten(repr(text))} cannot be used as the python dependency: "
                           f"{err.message}", 'write a version range, e.g. ">=3.11"', at_value=True) from err


def _add_python_project(ctx: _Context, python: Mapping[str, Any], features: dict[str, Feature]) -> set[str]:
    """Fold [project] into the features (see above); returns the names of the features it made."""
    own = python.get("name") if isinstance(python.get("name"), str) else None
    default = features[DEFAULT_FEATURE]
    conda = dict(default.default.dependencies)
    if "python" not in conda:
        conda["python"] = _python_dependency(ctx, python)
    pypi = dict(default.default.pypi_dependencies)
    if "dependencies" in python:
        pypi.update(_python_requirements(ctx, python["dependencies"], ("project", "dependencies"), None))
    features[DEFAULT_FEATURE] = dataclasses.replace(
        default, default=dataclasses.replace(default.default, dependencies=conda, pypi_dependencies=pypi))
    made: set[str] = set()
    extras = python.get("optional-dependencies", {})
    groups = python.get("dependency-groups", {})
    for table, where in ((extras, ("project", "optional-dependencies")), (groups, ("dependency-groups",))):
        if not isinstance(table, dict):
            raise ctx.error_at(where, f"[{_dotted(where)}] must be a table of arrays",
                               'write e.g. test = ["pytest"]', at_value=True)
        for group, items in table.items():
            reqs = _python_requirements(ctx, items, where + (group,), own, groups if table is groups else None)
            feature = features.get(group)
            if feature is None:
                feature, _ = Feature(name=group), made.add(group)
            features[group] = dataclasses.replace(feature, default=dataclasses.replace(
                feature.default, pypi_dependencies={**feature.default.pypi_dependencies, **reqs}))
    return made


def _python_metadata(ctx: _Context, python: Mapping[str, Any]) -> dict[str, Any]:
    """name, version, description and authors of [project] (authors as "Name <email>")."""
    meta: dict[str, Any] = {k: python[k] for k in ("name", "version", "description") if isinstance(python.get(k), str)}
    authors = []
    for person in python.get("authors", []) if isinstance(python.get("authors"), list) else []:
        if isinstance(person, dict) and (person.get("name") or person.get("email")):
            name, email = person.get("name", ""), person.get("email")
            authors.append(f"{name} <{email}>".strip() if email else str(name))
    if authors:
        meta["authors"] = tuple(authors)
    return meta


def _pixi_tables(path: Path) -> dict[str, Any] | None:
    """The top-level pixi tables of a manifest file (``[tool.pixi]``'s for a pyproject.toml), just
    to look at; None when it cannot be read (the parser will say why) or a pyproject.toml has no
    [tool.pixi]."""
    import tomllib  # the standard library's reader is enough to look, and fast

    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except (OSError, ValueError, RecursionError):
        return None
    if not is_pyproject(path):
        return data
    tool = data.get("tool")
    pixi = tool.get("pixi") if isinstance(tool, dict) else None
    return pixi if isinstance(pixi, dict) else None


def _has_pixi_table(path: Path) -> bool:
    """Whether a pyproject.toml has a [tool.pixi] table (an unreadable one counts: the parser says why)."""
    if _pixi_tables(path) is not None:
        return True
    import tomllib

    try:
        with path.open("rb") as stream:
            tomllib.load(stream)
    except (OSError, ValueError, RecursionError):
        return True
    return False


def is_package_manifest(path: Path) -> bool:
    """A manifest of a package built with pixi-build only: [package] and no [workspace]/[project]."""
    tables = _pixi_tables(path)
    return tables is not None and "package" in tables and not ({"workspace", "project"} & set(tables))


def manifest_in(folder: Path) -> Path | None:
    """The manifest of `folder`, as Pixi looks: pixi.toml, else a pyproject.toml with [tool.pixi]."""
    candidate = folder / MANIFEST_NAME
    if candidate.is_file():
        return candidate
    candidate = folder / PYPROJECT_NAME
    if candidate.is_file() and candidate.stat().st_size <= MAX_MANIFEST_BYTES and _has_pixi_table(candidate):
        return candidate
    return None


#: A pyproject.toml larger than this is not opened while looking for a manifest.
MAX_MANIFEST_BYTES = 8 * 1024 * 1024


def find_manifest(start_dir: Path | str = ".") -> Path:
    """The manifest in `start_dir` or the nearest parent folder (`manifest_in`); ManifestError if
    there is none. As in Pixi, a package's manifest (`is_package_manifest`) belongs to the
    workspace above it: the search goes on, and only when no workspace manifest is found above is
    the package's returned (reading it then says that building packages is not supported)."""
    start = Path(start_dir).resolve()
    package = None
    for folder in (start, *start.parents):
        found = manifest_in(folder)
        if found is not None and not is_package_manifest(found):
            return found
        package = package or found
    if package is not None:
        return package
    raise ManifestError(
        f"could not find {MANIFEST_NAME} (or a {PYPROJECT_NAME} with [tool.pixi]) in {start} or any parent folder",
        hint="run `minipixi init` to create a workspace here, or pass --manifest-path",
    )


def read_manifest(path: Path | str) -> Workspace:
    """Read and check the manifest at `path`: a pixi.toml or pyproject.toml, or a folder holding one."""
    path = Path(path)
    if path.is_dir():
        path = manifest_in(path) or path / MANIFEST_NAME
    return parse_manifest(read_manifest_text(path), path)


def read_manifest_text(path: Path) -> str:
    """The text of the manifest at `path`, exactly as written (line ends and a BOM kept).

    Bytes that are not UTF-8 are an error at their line and column, not a crash.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise ManifestError(f"{path} does not exist", hint="run `minipixi init` to create it") from err
    except OSError as err:
        raise ManifestError(f"cannot read {path}: {err.strerror or err}", where=str(path),
                            hint="check that the path is a readable file") from err
    return decode_utf8(data, str(path), ManifestError)
