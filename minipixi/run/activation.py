"""Activation: what "using an environment" means, as environment variables and shell lines.

An environment on disk is only a folder (a *prefix*). *Activating* it means changing the
variables of a process so that its programs are found first and tools that know conda can find
the prefix:

- ``PATH`` gets the prefix's program folders in front (``bin`` on Linux and macOS; on Windows
  the prefix itself, ``Library/mingw-w64/bin``, ``Library/usr/bin``, ``Library/bin``,
  ``Scripts`` and ``bin``);
- ``CONDA_PREFIX`` / ``CONDA_DEFAULT_ENV`` / ``CONDA_SHLVL`` say which prefix is active;
- ``PIXI_PROJECT_ROOT``, ``PIXI_PROJECT_NAME``, ``PIXI_PROJECT_MANIFEST``,
  ``PIXI_PROJECT_VERSION``, ``PIXI_ENVIRONMENT_NAME``, ``PIXI_ENVIRONMENT_PLATFORMS`` and
  ``PIXI_PROMPT`` describe the workspace, as Pixi sets them;
- packages may ship variables (``etc/conda/env_vars.d/*.json``) and scripts
  (``etc/conda/activate.d/*.sh``), and the manifest's ``[activation]`` table adds its own
  ``env`` and ``scripts``.

The same facts are rendered three ways: as a dictionary for `minipixi run` (see `run/tasks.py`),
as the text of `minipixi shell-hook -s bash|zsh|fish|powershell|cmd` (what the lesson's
Dockerfile appends to its entrypoint), and as the start of an interactive `minipixi shell`.

**Windows.** PowerShell gets ``$Env:NAME = '...'`` lines and dot-sources ``.ps1`` scripts; cmd.exe
gets a batch file (``minipixi shell-hook -s cmd > activate.bat``, then ``call activate.bat``) of
``@SET "NAME=value"`` lines that ``@CALL`` the packages' ``.bat`` scripts. PATH entries are joined
with ``;`` there, and paths are written with the separator of the system that runs minipixi.
When `minipixi run` needs activation scripts to really run, POSIX uses bash and Windows cmd.exe
(`script_runner`).

The shell-hook text is *code* that users ``eval``, built from names and values written by others
(a manifest, a package's ``env_vars.d``). So every variable name must be an identifier, and every
value and path is quoted for its shell: literally, except that bash and zsh still expand a plain
``$VAR`` or ``${VAR}`` in a value (``$(command)`` and backticks stay text).

Lesson: Episode 2 ("pixi run" and "pixi shell") and Episode 6 (the shell-hook entrypoint).
Read after `install/`; read next `run/tasks.py`. Ground truth: rattler_shell (its bash snapshots
are in the shared corpus).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from minipixi.errors import ActivationError

SHELLS = ("bash", "zsh", "fish", "powershell", "cmd")
SCRIPT_SUFFIX = {"bash": ".sh", "zsh": ".sh", "fish": ".fish", "powershell": ".ps1", "cmd": ".bat"}


@dataclass(frozen=True)
class ActivationContext:
    """Everything activation needs to know about one environment of one workspace."""

    prefix: Path
    environment_name: str = "default"
    platform: str = "linux-64"
    workspace_root: Path | None = None
    workspace_name: str | None = None
    manifest_path: Path | None = None
    workspace_version: str | None = None
    platforms: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)  # [activation.env]
    scripts: tuple[str, ...] = ()  # [activation] scripts, relative to the workspace root


# --8<-- [start:path_entries]
def path_entries(prefix: Path, platform: str) -> list[Path]:
    """The folders of `prefix` that go in front of PATH, first searched first."""
    if platform.startswith("win"):
        parts = ["", "Library/mingw-w64/bin", "Library/usr/bin", "Library/bin", "Scripts", "bin"]
        return [prefix / p if p else prefix for p in parts]
    return [prefix / "bin"]
# --8<-- [end:path_entries]


def package_env_vars(prefix: Path) -> dict[str, str]:
    """Variables that installed packages ask for, in file-name order, then conda-meta/state."""
    found: dict[str, str] = {}
    folder = prefix / "etc" / "conda" / "env_vars.d"
    sources = sorted(folder.glob("*.json")) if folder.is_dir() else []
    state = prefix / "conda-meta" / "state"
    for source in sources + ([state] if state.is_file() else []):
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ActivationError(
                f"cannot read the activation variables in {source}",
                where=str(source),
                hint="the file must be a JSON object of strings; reinstall the package that ships it",
            ) from err
        values = data.get("env_vars", {}) if source == state else data
        if isinstance(values, dict):
            for key, value in values.items():
                check_variable_name(str(key), str(source))
                if "\0" in str(value):
                    raise ActivationError(f"the activation variable {key} in {source} contains a NUL character",
                                          where=str(source), hint="reinstall or remove the package that ships it")
                found[str(key)] = str(value)
    return found


def package_activation_scripts(prefix: Path, shell: str = "bash") -> list[Path]:
    """Activation scripts that installed packages ship, sorted by name like conda runs them."""
    suffix = SCRIPT_SUFFIX[shell]
    folder = prefix / "etc" / "conda" / "activate.d"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix == suffix)


# --8<-- [start:activation_variables]
def activation_variables(ctx: ActivationContext) -> dict[str, str]:
    """The variables activation sets, except PATH (see `path_entries`), in a stable order.

    Later entries win: Pixi's own variables, then what packages ask for, then the manifest's
    ``[activation.env]`` (the user has the last word).
    """
    shlvl = "1"
    variables = {"CONDA_PREFIX": str(ctx.prefix), "CONDA_SHLVL": shlvl}
    variables["CONDA_DEFAULT_ENV"] = _default_env_name(ctx)
    if ctx.workspace_root is not None:
        variables["PIXI_PROJECT_ROOT"] = str(ctx.workspace_root)
    if ctx.workspace_name:
        variables["PIXI_PROJECT_NAME"] = ctx.workspace_name
    if ctx.manifest_path is not None:
        variables["PIXI_PROJECT_MANIFEST"] = str(ctx.manifest_path)
    if ctx.workspace_version:
        variables["PIXI_PROJECT_VERSION"] = ctx.workspace_version
    variables["PIXI_ENVIRONMENT_NAME"] = ctx.environment_name
    if ctx.platforms:
        variables["PIXI_ENVIRONMENT_PLATFORMS"] = ",".join(ctx.platforms)
    variables["PIXI_PROMPT"] = f"({_default_env_name(ctx)}) "
    variables.update(package_env_vars(ctx.prefix))
    variables.update({str(k): str(v) for k, v in ctx.env.items()})
    return variables
# --8<-- [end:activation_variables]


def _default_env_name(ctx: ActivationContext) -> str:
    """`example` for the default environment, `example:gpu` for another (as Pixi names them)."""
    name = ctx.workspace_name or ctx.prefix.name
    return name if ctx.environment_name == "default" else f"{name}:{ctx.environment_name}"


def activation_scripts(ctx: ActivationContext, shell: str = "bash") -> list[Path]:
    """Scripts to source: the packages' first, then the manifest's (relative to the workspace)."""
    scripts = package_activation_scripts(ctx.prefix, shell)
    root = ctx.workspace_root or Path.cwd()
    return scripts + [root / s for s in ctx.scripts]


# ---- rendering for shells ------------------------------------------------------------------

_SAFE = re.compile(r"^[A-Za-z0-9_\-./:=,@%+]+$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")


def quote_bash(value: str) -> str:
    """Quote a variable's value for bash/zsh: literal, except ``$VAR`` / ``${VAR}`` references.

    Plain words stay bare; text with ``$`` or a backslash is double-quoted with every ``\\``,
    ``"``, backtick and ``$`` escaped and only the plain references let through, so
    ``${HOME}/x`` expands and ``$(rm -rf ~)`` stays text; anything else is single-quoted.
    """
    if value and _SAFE.fullmatch(value):
        return value
    if "$" not in value and "\\" not in value:
        return quote_bash_literal(value)
    parts, last = [], 0
    for found in _REFERENCE.finditer(value):
        parts.append(_escape_double(value[last:found.start()]) + found.group(0))
        last = found.end()
    return '"' + "".join(parts) + _escape_double(value[last:]) + '"'


def quote_bash_literal(value: str) -> str:
    """Quote `value` (a path) for bash/zsh as literal text: bare if plain, else single-quoted."""
    if value and _SAFE.fullmatch(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def _escape_double(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")


def check_variable_name(name: str, source: str) -> str:
    """`name` if it can be an environment variable name in shell code; else ActivationError."""
    if not _VARIABLE_NAME.fullmatch(name):
        raise ActivationError(
            f"{name!r} is not a valid environment variable name (from {source})",
            hint="variable names are letters, digits and '_', not starting with a digit",
        )
    return name


def _quote_fish(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quote_powershell(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _cmd_text(value: str, what: str) -> str:
    """`value` for the inside of a cmd.exe ``@SET "NAME=..."`` line in a batch file.

    Inside the quotes ``&``, ``|``, ``<``, ``>`` and ``^`` are plain text; ``%`` is doubled
    (a batch file reads ``%%`` as one ``%``). A double quote or a line break cannot be written
    there at all, so such a value is refused rather than cut short.
    """
    if '"' in value or "\n" in value or "\r" in value:
        raise ActivationError(
            f"{what} cannot be written for cmd.exe: it contains a double quote or a line break",
            hint="use `shell-hook -s powershell` for this environment, or change the value",
        )
    return value.replace("%", "%%")


# --8<-- [start:shell-hook]
def render_shell_hook(ctx: ActivationContext, shell: str = "bash") -> str:
    """The text of ``shell-hook -s SHELL``: source it and the environment is active."""
    if shell not in SHELLS:
        raise ActivationError(
            f"unknown shell '{shell}'", hint=f"choose one of: {', '.join(SHELLS)}"
        )
    entries = [str(p) for p in path_entries(ctx.prefix, ctx.platform)]
    lines = [_render_path(shell, entries)]
    scripts = activation_scripts(ctx, shell)
    # Pixi's documented priority: [activation.env] > [activation] scripts > the packages' scripts,
    # so with scripts the manifest's variables are set after them (`manifest_env_last`).
    first, last = manifest_env_last(ctx) if scripts else (activation_variables(ctx), {})
    for key, value in first.items():
        check_variable_name(key, "the environment's activation variables")
        lines.append(_render_set(shell, key, value))
    for script in scripts:
        lines.append(_render_source(shell, str(script)))
    for key, value in last.items():
        check_variable_name(key, "the manifest's [activation.env]")
        lines.append(_render_set(shell, key, value))
    return "\n".join(lines) + "\n"
# --8<-- [end:shell-hook]


def manifest_env_last(ctx: ActivationContext) -> tuple[dict[str, str], dict[str, str]]:
    """The variables to set before the activation scripts, and the manifest's ``[activation.env]``
    to set after them: Pixi documents the priority task env > ``[activation.env]`` >
    ``[activation]`` scripts > the packages' scripts > the variables minipixi started with."""
    return activation_variables(dataclasses.replace(ctx, env={})), {str(k): str(v) for k, v in ctx.env.items()}


def expand_references(values: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """``$VAR`` and ``${VAR}`` in `values` replaced by their value in `env` (empty when unset), as
    the shell-hook's shell would; each value may use the ones before it (``PATH = "$PATH:..."``)."""
    seen = dict(env)
    out: dict[str, str] = {}
    for key, value in values.items():
        out[key] = seen[key] = _REFERENCE.sub(lambda m: seen.get(m.group(0).strip("${}"), ""), value)
    return out


def _render_path(shell: str, entries: list[str]) -> str:
    if shell in ("bash", "zsh"):
        return f'export PATH="{_escape_double(":".join(entries))}:${{PATH}}"'
    if shell == "fish":
        return "set -gx PATH " + " ".join(_quote_fish(e) for e in entries) + " $PATH"
    joined = ";".join(entries)
    if shell == "cmd":
        return f'@SET "PATH={_cmd_text(joined, "the environment path")};%PATH%"'
    return f"$Env:PATH = {_quote_powershell(joined)} + ';' + $Env:PATH"


def _render_set(shell: str, key: str, value: str) -> str:
    if shell in ("bash", "zsh"):
        return f"export {key}={quote_bash(value)}"
    if shell == "fish":
        return f"set -gx {key} {_quote_fish(value)}"
    if shell == "cmd":
        return f'@SET "{key}={_cmd_text(value, f"the value of {key}")}"'
    return f"$Env:{key} = {_quote_powershell(value)}"


def _render_source(shell: str, script: str) -> str:
    if shell in ("bash", "zsh"):
        return f". {quote_bash_literal(script)}"
    if shell == "fish":
        return f"source {_quote_fish(script)}"
    if shell == "cmd":
        return f'@CALL "{_cmd_text(script, "the script path")}"'
    return f". {_quote_powershell(script)}"


# ---- the activated environment of a process (used by `run` and `shell`) --------------------

def activated_environment(
    ctx: ActivationContext, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables of a process that runs inside the environment.

    Without activation scripts this is pure bookkeeping. With scripts, they must really run:
    bash sources the shell hook and prints its environment, which we read back (the same
    trick Pixi uses to capture what an activation script exports).
    """
    env = dict(os.environ if base is None else base)
    entries = [str(p) for p in path_entries(ctx.prefix, ctx.platform)]
    sep = ";" if ctx.platform.startswith("win") else os.pathsep
    env["PATH"] = sep.join(entries + ([env["PATH"]] if env.get("PATH") else []))
    first, manifest = manifest_env_last(ctx)
    env.update(first)
    scripts = activation_scripts(ctx, "cmd" if os.name == "nt" else "bash")
    if scripts:
        env = _run_scripts(scripts, env)
    env.update(expand_references(manifest, env))  # [activation.env] last, with $VAR expanded
    return env


def script_runner(scripts: list[Path], system: str | None = None) -> tuple[list[str] | str, str]:
    """The argv that runs activation `scripts` and prints the environment they leave, and the
    separator between its ``NAME=value`` items.

    POSIX: bash sources each script and prints ``env -0`` (NUL-separated, so values may hold
    line breaks). Windows (``system="nt"``): cmd.exe ``call``s each ``.bat`` and prints ``set``
    (one variable per line; cmd.exe values cannot hold line breaks anyway). That one is a
    command *line*, not a list: Python would escape its inner quotes as ``\\"``, which cmd.exe
    does not read; ``/s`` makes cmd.exe strip just the outer pair.
    """
    if (system or os.name) == "nt":
        calls = " && ".join(f'call "{_cmd_text(str(s), "the script path")}"' for s in scripts)
        return f'cmd.exe /d /s /c "{calls} && set"', "\r\n"
    body = "".join(f". {quote_bash_literal(str(s))} || exit $?\n" for s in scripts) + "env -0\n"
    return ["bash", "-c", body], "\0"


def _run_scripts(scripts: list[Path], env: dict[str, str]) -> dict[str, str]:
    """Run `scripts` (see `script_runner`) with `env`; return the environment they leave behind."""
    for script in scripts:
        if not script.is_file():
            raise ActivationError(
                f"activation script '{script}' does not exist",
                hint="fix the path in [activation] scripts (it is relative to the workspace root)",
            )
    argv, separator = script_runner(scripts)
    proc = subprocess.run(argv, env=env, capture_output=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise ActivationError(
            f"an activation script failed with exit code {proc.returncode}",
            details=proc.stderr.decode(errors="replace").strip() or None,
            hint="run the script by hand in `minipixi shell` to see what goes wrong",
        )
    result: dict[str, str] = {}
    for item in proc.stdout.decode(errors="replace").split(separator):
        key, sep, value = item.partition("=")
        if sep and key:
            result[key] = value
    return result


def shell_command(ctx: ActivationContext, shell_path: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of an interactive `minipixi shell`.

    bash gets an rc file that sources the user's ``~/.bashrc`` and then the hook, so the prompt
    shows ``(example)``; other shells just start inside the activated environment (on Windows,
    without ``SHELL``, that is cmd.exe, named by ``COMSPEC``).
    """
    default = os.environ.get("COMSPEC", "cmd.exe") if os.name == "nt" else "bash"
    shell_path = shell_path or os.environ.get("SHELL") or default
    env = activated_environment(ctx)
    env["PIXI_IN_SHELL"] = "1"
    if Path(shell_path).name == "bash":
        rc = ctx.prefix / "conda-meta" / "minipixi-shell.bashrc"
        hook = render_shell_hook(ctx, "bash")
        rc.write_text(
            '[ -f ~/.bashrc ] && . ~/.bashrc\n' + hook + 'PS1="${PIXI_PROMPT}${PS1:-\\$ }"\n',
            encoding="utf-8",
        )
        return [shell_path, "--rcfile", str(rc), "-i"], env
    return [shell_path], env
