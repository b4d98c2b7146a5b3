"""Global tools: command-line programs installed once per user, each in its own environment.

``pixi global install bat`` does not put ``bat`` in a project. It makes a small environment
just for bat under ``~/.pixi/envs/bat`` and *exposes* its programs in ``~/.pixi/bin``, a folder
the user puts on PATH once. Each tool is isolated: two tools can need different versions of the
same library without a conflict, and removing one removes its whole environment.

minipixi does the same under ``$MINIPIXI_HOME`` (default ``~/.minipixi``):

- ``manifests/pixi-global.toml``: which tools, from which channels (the *global manifest*);
- ``envs/<environment>/``: one prefix per environment, installed from a solve for this machine;
- ``bin/<command>``: a tiny script that runs a program with its environment activated
  (``bin/<command>.cmd`` on Windows, where cmd.exe and PowerShell find it through ``PATHEXT``:
  see `launcher_text`).

The global manifest is the whole truth, so it can be copied to another machine::

    version = 1

    [envs.bat]                       # the environment's name (its folder under envs/)
    channels = ["conda-forge"]
    dependencies = { bat = "*" }     # what to install into it, as in pixi.toml
    exposed = { bat = "bat" }        # command on PATH = program in the environment's bin/

`global install` writes an entry; `global update` reads the file alone and makes every
environment and command match it (Pixi calls that a sync). Environment and command names
become folder and file names, so each must be one plain name (``../../x`` is refused when the
file is read, and again before anything is written or removed: `files.check_component`,
`files.remove_inside`). `parse_global_manifest` checks the
file the way `manifest/shape.py` checks a pixi.toml, and reuses its helpers, so an error points
at the line with a caret and a hint.

Lesson: Episode 2 ("Global tools"); exercise 14 grades a global manifest. Read after
`app/graph.py`. Ground truth: Pixi's pixi_global crate (its parsed_manifest.rs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import tomlkit

from minipixi.app.relock import solve_task
from minipixi.channel.names import download_url
from minipixi.channel.virtual_packages import default_virtual_packages, detect_virtual_packages
from minipixi.config import Config, home_dir
from minipixi.errors import InstallError, MinipixiError
from minipixi.files import check_component, remove_inside, write_atomic
from minipixi.install.install import install
from minipixi.install.prefix_records import read_prefix_records
from minipixi.manifest.machine import current_platform
from minipixi.manifest.model import KNOWN_PLATFORMS, DependencySpec
from minipixi.manifest.parse import parse_toml
from minipixi.manifest.parse_dependencies import parse_dependency, parse_spec_string
from minipixi.manifest.parse_platforms import parse_channels
from minipixi.manifest.shape import ParseContext, check_keys, did_you_mean, expect, expect_str_list
from minipixi.matchspec import MatchSpec
from minipixi.solver import solve

GLOBAL_MANIFEST_NAME = "pixi-global.toml"
GLOBAL_MANIFEST_VERSION = 1
MANIFEST_KEYS = ("version", "envs")
ENVIRONMENT_KEYS = ("channels", "dependencies", "exposed", "platform", "shortcuts")
ENVIRONMENT_NAME = re.compile(r"^[a-z0-9_.-]+$")  # Pixi's rule for global environment names
COMMAND_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")  # a plain file name: no folders, no spaces


@dataclass(frozen=True)
class GlobalEnvironment:
    """One ``[envs.NAME]`` table of the global manifest.

    `exposed` maps a command put on PATH to the program of the environment's ``bin/`` it runs
    (``py3 = "python"`` exposes python as py3). `platform` is a subdir that overrides this
    machine's (Pixi allows it, e.g. osx-64 tools on an Apple silicon Mac).
    """

    name: str
    channels: tuple[str, ...]
    dependencies: tuple[DependencySpec, ...]
    exposed: Mapping[str, str] = field(default_factory=dict)
    platform: str | None = None

    def specs(self) -> list:
        """The dependencies as MatchSpecs, for the solver."""
        return [dependency.to_matchspec() for dependency in self.dependencies]


@dataclass(frozen=True)
class GlobalTool:
    name: str
    version: str
    exposed: tuple[str, ...]


def manifest_path() -> Path:
    return home_dir() / "manifests" / GLOBAL_MANIFEST_NAME


def environment_prefix(name: str) -> Path:
    """``envs/<name>``; `name` must be one folder name (it comes from the global manifest)."""
    check_component(name, what="global environment name", where=str(manifest_path()))
    return home_dir() / "envs" / name


def launcher_path(command: str, system: str | None = None) -> Path:
    """``bin/<command>`` (``bin/<command>.cmd`` on Windows); `command` must be one file name (it
    comes from the global manifest)."""
    check_component(command, what="exposed command", where=str(manifest_path()))
    return home_dir() / "bin" / (command + LAUNCHER_SUFFIX[_system(system)])


LAUNCHER_SUFFIX = {"posix": "", "nt": ".cmd"}
# Where a Windows prefix keeps programs (activation.path_entries), and the endings PATHEXT tries.
WINDOWS_PROGRAM_FOLDERS = ("", "Library/mingw-w64/bin", "Library/usr/bin", "Library/bin", "Scripts", "bin")
WINDOWS_PROGRAM_SUFFIXES = (".exe", ".bat", ".cmd")


def _system(system: str | None) -> str:
    return "nt" if (system or os.name) == "nt" else "posix"


# --8<-- [start:launcher]
def launcher_text(program: Path, prefix: Path, env_name: str, system: str | None = None) -> str:
    """The launcher that runs `program` of the environment at `prefix`, activated.

    POSIX: a ``/bin/sh`` script that puts the environment's ``bin`` first on PATH and ``exec``s
    the program. Windows: a ``.cmd`` batch file that does the same with the Windows program
    folders (``;``-separated) and passes its arguments on (``%*``), keeping the program's exit
    code (a ``.bat``/``.cmd`` program is ``call``ed: without it, cmd.exe would never come back). Pixi writes a small ``.exe`` trampoline there; a ``.cmd`` file needs no compiler and is
    readable. The second line names the environment, so `expose` knows which launchers it owns.
    """
    name = program.name
    if _system(system) == "nt":
        folders = ";".join(str(prefix / f) if f else str(prefix) for f in WINDOWS_PROGRAM_FOLDERS)
        for value in (folders, str(program)):
            if '"' in value or "%" in value:
                raise InstallError(f"cannot write a Windows launcher for {program}: its path holds '\"' or '%'",
                                   hint="set MINIPIXI_HOME to a folder whose path has neither")
        return (
            "@echo off\r\n"
            f"rem minipixi global: runs {name} from the '{env_name}' environment\r\n"
            "setlocal\r\n"
            f'set "PATH={folders};%PATH%"\r\n'
            f'set "CONDA_PREFIX={prefix}"\r\n'
            f'{"call " if program.suffix.lower() in (".bat", ".cmd") else ""}"{program}" %*\r\n'
            "exit /b %ERRORLEVEL%\r\n"
        )
    return (
        "#!/bin/sh\n"
        f"# minipixi global: runs {name} from the '{env_name}' environment\n"
        f'export PATH="{prefix}/bin:$PATH" CONDA_PREFIX="{prefix}"\n'
        f'exec "{program}" "$@"\n'
    )
# --8<-- [end:launcher]


# ---- reading the global manifest -----------------------------------------------------------------

def parse_global_manifest(text: str, path: Path | str = GLOBAL_MANIFEST_NAME) -> dict[str, GlobalEnvironment]:
    """Parse and check the text of a global manifest: {environment name: GlobalEnvironment}.

    Raises ManifestError located at the offending key: not TOML, an unknown key (with a
    did-you-mean), a value of the wrong type, a bad spec, an unsupported ``version``, or one
    command exposed by two environments.
    """
    ctx = ParseContext(text, Path(path))
    doc = parse_toml(ctx)
    check_keys(ctx, doc, MANIFEST_KEYS, ())
    if "version" in doc and doc["version"] != GLOBAL_MANIFEST_VERSION:
        raise ctx.error(("version",), f"version {doc['version']!r} of the global manifest is not supported",
                        f"minipixi reads version {GLOBAL_MANIFEST_VERSION}, the one Pixi writes", at_value=True)
    envs = expect(ctx, doc.get("envs", {}), (dict,), ("envs",), "[envs]")
    parsed = {name: _parse_environment(ctx, name, table) for name, table in envs.items()}
    _check_unique_commands(ctx, parsed)
    return parsed


def _parse_environment(ctx, name: str, table: Any) -> GlobalEnvironment:
    """One ``[envs.NAME]`` table (see `GlobalEnvironment`)."""
    path = ("envs", name)
    if not ENVIRONMENT_NAME.match(name) or name in (".", ".."):
        raise ctx.error(path, f"'{name}' is not a valid name for a global environment",
                        "use lowercase letters, digits, '-', '_' and '.'")
    table = expect(ctx, table, (dict,), path, f"[envs.{name}]")
    check_keys(ctx, table, ENVIRONMENT_KEYS, path)
    channels = parse_channels(ctx, table.get("channels", []), path + ("channels",))
    if not channels:
        raise ctx.error(path, f"environment '{name}' lists no channels",
                        "name the channels its packages come from, as in a pixi.toml")
    deps = expect(ctx, table.get("dependencies", {}), (dict,), path + ("dependencies",),
                  f"the dependencies of environment '{name}'")
    dependencies = tuple(parse_dependency(ctx, dep, value, path + ("dependencies", dep))
                         for dep, value in deps.items())
    if not dependencies:
        raise ctx.error(path, f"environment '{name}' has no dependencies",
                        "list the packages to install, as in the [dependencies] of a pixi.toml")
    for dependency in dependencies:
        if dependency.source:
            raise ctx.error(path + ("dependencies", dependency.name), "minipixi installs only conda packages",
                            "give a version spec instead of a path, git or url")
    exposed = _parse_exposed(ctx, table.get("exposed", {}), path + ("exposed",), name)
    if "shortcuts" in table:  # menu entries; minipixi makes none, but the key is valid
        expect_str_list(ctx, table["shortcuts"], path + ("shortcuts",), "shortcuts")
    platform = _parse_platform(ctx, table.get("platform"), path + ("platform",))
    order = sorted(channels, key=lambda c: -c.priority)  # stable: equal priorities keep their order
    return GlobalEnvironment(name, tuple(c.channel for c in order), dependencies, exposed, platform)


def _parse_exposed(ctx, value: Any, key_path: tuple, env_name: str) -> dict[str, str]:
    """``exposed = { command = "program" }``: both plain file names."""
    table = expect(ctx, value, (dict,), key_path, f"the exposed commands of environment '{env_name}'")
    for command, program in table.items():
        _check_command(ctx, command, key_path + (command,), "a command")
        expect(ctx, program, (str,), key_path + (command,), f"the program behind '{command}'")
        _check_command(ctx, program, key_path + (command,), "a program", at_value=True)
    return dict(table)


def _check_command(ctx, word: str, key_path: tuple, what: str, *, at_value: bool = False) -> None:
    if not COMMAND_NAME.match(word) or word in (".", ".."):
        raise ctx.error(key_path, f"'{word}' cannot be {what}: it must be a plain file name",
                        "use letters, digits, '.', '-', '_' and '+', without folders", at_value=at_value)


def _parse_platform(ctx, value: Any, key_path: tuple) -> str | None:
    if value is None:
        return None
    expect(ctx, value, (str,), key_path, "platform")
    if value not in KNOWN_PLATFORMS or value in ("noarch", "unknown"):
        guess = did_you_mean(value, KNOWN_PLATFORMS, cutoff=0.8)
        raise ctx.error(key_path, f"'{value}' is not a platform", f"did you mean '{guess}'?" if guess else
                        "leave it out to install for this machine", at_value=True)
    return value


def _check_unique_commands(ctx, envs: Mapping[str, GlobalEnvironment]) -> None:
    """A command on PATH can come from one environment only."""
    owner: dict[str, str] = {}
    for env in envs.values():
        for command in env.exposed:
            if command in owner:
                raise ctx.error(("envs", env.name, "exposed", command),
                                f"the command '{command}' is exposed by both '{owner[command]}' and '{env.name}'",
                                "expose it from one environment, or give one of them another name")
            owner[command] = env.name


def read_global_manifest() -> dict[str, GlobalEnvironment]:
    """The global manifest of ``$MINIPIXI_HOME`` (empty when there is none yet)."""
    path = manifest_path()
    if not path.is_file():
        return {}
    return parse_global_manifest(path.read_text(encoding="utf-8"), path)


def _read() -> tomlkit.TOMLDocument:
    """The global manifest as an editable document (keeps comments and layout)."""
    path = manifest_path()
    if not path.is_file():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except Exception as err:  # tomlkit raises several kinds of parse errors
        raise MinipixiError(f"the global manifest is not valid TOML: {err}", where=str(path),
                            hint="fix it by hand, or remove it and install the tools again") from err


def _write(doc: tomlkit.TOMLDocument) -> None:
    """Replace the global manifest in one step (`files.write_atomic`)."""
    path = manifest_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, tomlkit.dumps(doc))


# ---- installing an environment and exposing its programs -------------------------------------------

def solve_environment(env: GlobalEnvironment, config: Config, subdir: str | None = None):
    """Records for `env` on `subdir` (default: its `platform`, else this machine's).

    On this machine's subdir the solve uses the detected virtual packages; on another one,
    Pixi's defaults for it. Raises SolveError (or ChannelError) when it cannot be solved.
    """
    subdir = subdir or env.platform or current_platform()
    virtual = detect_virtual_packages() if subdir == current_platform() else default_virtual_packages(subdir)
    return solve(solve_task(config, env.specs(), channels=list(env.channels), subdir=subdir,
                            virtual_packages=virtual, label=f"global environment '{env.name}'"))


def install_environment(env: GlobalEnvironment, config: Config, prefix: Path | None = None,
                        subdir: str | None = None) -> list:
    """Solve `env` and make `prefix` (default ``envs/<name>``) hold exactly that; the records."""
    records = solve_environment(env, config, subdir)
    mirrors = config.effective_mirrors()
    install([download_url(r, mirrors) for r in records], prefix or environment_prefix(env.name),
            requested_specs={d.name: d.matchspec_text() for d in env.dependencies})
    return records


def executables(prefix: Path, package: str | None = None, system: str | None = None) -> list[str]:
    """The programs installed packages put in ``bin/`` (only `package`'s when given), sorted.
    On Windows: ``.exe``/``.bat``/``.cmd`` files in the Windows program folders, named without
    their ending (``bat.exe`` is the program ``bat``)."""
    installed = read_prefix_records(prefix)
    if package is not None:
        installed = {package: installed[package]} if package in installed else {}
    files = [Path(f) for record in installed.values() for f in record.files]
    return programs_in(files, system)


def programs_in(files: list[Path], system: str | None = None) -> list[str]:
    """The program names among the package files `files` (paths relative to the prefix)."""
    if _system(system) == "nt":
        folders = set(WINDOWS_PROGRAM_FOLDERS)
        return sorted({p.stem for p in files if p.parent.as_posix().strip(".") in folders
                       and p.suffix.lower() in WINDOWS_PROGRAM_SUFFIXES})
    return sorted({p.name for p in files if p.parent.as_posix() == "bin"})


def program_path(prefix: Path, program: str, system: str | None = None) -> Path:
    """Where `program` is in `prefix`: ``bin/<program>``; on Windows the first of the program
    folders (PATH order) holding ``<program>.exe``, ``.bat`` or ``.cmd``."""
    if _system(system) != "nt":
        return prefix / "bin" / program
    for folder in WINDOWS_PROGRAM_FOLDERS:
        for suffix in WINDOWS_PROGRAM_SUFFIXES:
            candidate = (prefix / folder if folder else prefix) / (program + suffix)
            if candidate.is_file():
                return candidate
    return prefix / "Library" / "bin" / (program + ".exe")


def _launcher_owner(launcher: Path) -> str | None:
    """The environment a launcher of ours runs a program from (None for any other file)."""
    try:
        second = launcher.read_text(encoding="utf-8").splitlines()[1]
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    match = re.fullmatch(r"(?:#|rem) minipixi global: runs \S+ from the '(.+)' environment", second)
    return match.group(1) if match else None


def expose(env: GlobalEnvironment, prefix: Path | None = None) -> tuple[str, ...]:
    """Write a launcher in ``$MINIPIXI_HOME/bin`` for each exposed command of `env`, and remove
    the launchers of commands it no longer exposes. InstallError for a program it lacks."""
    prefix = prefix or environment_prefix(env.name)
    available = executables(prefix)
    for command, program in env.exposed.items():
        if program not in available:
            raise InstallError(f"environment '{env.name}' has no program '{program}' to expose as '{command}'",
                               hint="its packages provide: " + (", ".join(available) or "no programs"))
    bin_dir = home_dir() / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    suffix = LAUNCHER_SUFFIX[_system(None)]
    for old in bin_dir.iterdir():
        command = old.name[: len(old.name) - len(suffix)] if suffix and old.name.endswith(suffix) else old.name
        if command not in env.exposed and _launcher_owner(old) == env.name:
            old.unlink()
    for command, program in env.exposed.items():
        check_component(program, what="exposed program", where=str(manifest_path()))
        write_atomic(
            launcher_path(command),
            launcher_text(program_path(prefix, program), prefix, env.name),
            mode=0o755,
        )
    return tuple(env.exposed)


def _tool_version(env: GlobalEnvironment, records) -> str:
    """The version to show for an environment: of the package it is named after, else of its
    first dependency."""
    versions = {r.name: r.version for r in records}
    return str(versions.get(env.name) or versions.get(env.dependencies[0].name, "?"))


# ---- the commands ----------------------------------------------------------------------------------

# --8<-- [start:install-tools]
def install_tools(specs: list[str], *, channels: list[str], config: Config) -> list[GlobalTool]:
    """Install each spec as a global tool in an environment named after it, exposing every
    program of its own package; record it in the global manifest. Returns what was installed."""
    doc = _read()
    if not doc:
        doc["version"] = GLOBAL_MANIFEST_VERSION
    envs = doc.setdefault("envs", tomlkit.table())
    installed = []
    for text in specs:
        spec = MatchSpec.parse(text)
        version = str(spec.version) if spec.version else "*"
        env = GlobalEnvironment(spec.name, tuple(channels), (parse_spec_string(spec.name, version),))
        records = install_environment(env, config)
        programs = executables(environment_prefix(env.name), spec.name)
        env = replace(env, exposed={program: program for program in programs})
        expose(env)
        envs[spec.name] = _manifest_entry(env)
        installed.append(GlobalTool(spec.name, _tool_version(env, records), tuple(env.exposed)))
    _write(doc)
    return installed
# --8<-- [end:install-tools]


def _manifest_entry(env: GlobalEnvironment) -> tomlkit.items.Table:
    """``[envs.NAME]`` as Pixi writes it: channels, then inline tables of dependencies and
    exposed commands."""
    entry = tomlkit.table()
    entry["channels"] = list(env.channels)
    for key, values in (("dependencies", {d.name: d.version or "*" for d in env.dependencies}),
                        ("exposed", env.exposed)):
        inline = tomlkit.inline_table()
        inline.update(values)
        entry[key] = inline
    return entry


def list_tools() -> list[GlobalTool]:
    """The installed global tools, from the global manifest and their environments."""
    tools = []
    for env in read_global_manifest().values():
        installed = read_prefix_records(environment_prefix(env.name))
        records = [prefix_record.record for prefix_record in installed.values()]
        tools.append(GlobalTool(env.name, _tool_version(env, records), tuple(env.exposed)))
    return tools


def remove_tools(names: list[str]) -> list[str]:
    """Remove tools: their environment, their launchers and their manifest entry.

    The global manifest is checked first (`parse_global_manifest`), so a name in it that is not
    a plain file name (``../../x``) is refused, naming the file, key and value, before anything
    is removed. Removal then stays inside ``envs/`` and ``bin/`` and never follows a link: a
    symlinked environment loses its link, and what it points at is kept.
    """
    parsed = read_global_manifest()
    doc = _read()
    envs = doc.get("envs", {})
    for name in names:
        if name not in parsed:
            known = ", ".join(parsed) or "none"
            raise InstallError(f"'{name}' is not a global tool", hint=f"installed tools: {known}")
    where = str(manifest_path())
    for name in names:
        for command in parsed[name].exposed:
            launcher = launcher_path(command)
            if launcher.is_symlink() or launcher.is_file():
                remove_inside(home_dir() / "bin", launcher, what="exposed command", where=where)
        prefix = environment_prefix(name)
        if prefix.is_symlink() or prefix.exists():
            remove_inside(home_dir() / "envs", prefix, what="global environment", where=where)
        del envs[name]
    _write(doc)
    return names


def update_tools(names: list[str], *, config: Config) -> list[GlobalTool]:
    """Make each environment of the global manifest (all when `names` is empty) match it:
    solve again, install the newest records that fit, and expose what it says. The manifest
    alone is enough, so a copy of it recreates the same tools on a fresh machine."""
    envs = read_global_manifest()
    for name in names:
        if name not in envs:
            raise InstallError(f"'{name}' is not a global tool", hint="install it with `minipixi global install`")
    updated = []
    for name in names or list(envs):
        records = install_environment(envs[name], config)
        updated.append(GlobalTool(name, _tool_version(envs[name], records), expose(envs[name])))
    return updated
