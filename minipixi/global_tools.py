"""Global tools: command-line programs installed once per user, each in its own environment.

``pixi global install bat`` does not put ``bat`` in a project. It makes a small environment
just for bat under ``~/.pixi/envs/bat`` and *exposes* its programs in ``~/.pixi/bin``, a folder
the user puts on PATH once. Each tool is isolated: two tools can need different versions of the
same library without a conflict, and removing one removes its whole environment.

minipixi does the same under ``$MINIPIXI_HOME`` (default ``~/.minipixi``):

- ``manifests/pixi-global.toml``: which tools, from which channels (the *global manifest*);
- ``envs/<tool>/``: one prefix per tool, installed from a solve for this machine;
- ``bin/<program>``: a tiny script that runs the program with its environment activated.

Lesson: Episode 2 ("Global tools"). Read after `workspace.py`.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from minipixi.config import Config, home_dir
from minipixi.errors import InstallError, MinipixiError


@dataclass(frozen=True)
class GlobalTool:
    name: str
    version: str
    exposed: tuple[str, ...]


def manifest_path() -> Path:
    return home_dir() / "manifests" / "pixi-global.toml"


def _read() -> tomlkit.TOMLDocument:
    path = manifest_path()
    if not path.is_file():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except Exception as err:  # tomlkit raises several kinds of parse errors
        raise MinipixiError(f"the global manifest is not valid TOML: {err}", where=str(path),
                            hint="fix it by hand, or remove it and install the tools again") from err


def _write(doc: tomlkit.TOMLDocument) -> None:
    path = manifest_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


def _solve_for_host(spec_text: str, channels: list[str], config: Config):
    """Solve one tool's environment for this machine (its detected virtual packages)."""
    from minipixi.channel import load_channel_records
    from minipixi.config import cache_dir
    from minipixi.manifest.edit import current_platform
    from minipixi.matchspec import MatchSpec
    from minipixi.solver import SolveTask, solve
    from minipixi.virtual_packages import detect_virtual_packages

    spec = MatchSpec.parse(spec_text)
    sources = load_channel_records(channels, current_platform(), cache_dir=cache_dir(),
                                   offline=config.offline, mirrors=config.effective_mirrors())
    task = SolveTask(specs=[spec], sources=sources, virtual_packages=detect_virtual_packages(),
                     platform=current_platform(), label=f"global tool '{spec.name}'")
    return spec, solve(task)


def _expose(name: str, prefix: Path) -> tuple[str, ...]:
    """Write a launcher in ``$MINIPIXI_HOME/bin`` for each program the tool's own package ships."""
    from minipixi.install import read_prefix_records

    records = read_prefix_records(prefix)
    record = records.get(name)
    files = getattr(record, "files", None) or []
    programs = sorted({Path(f).name for f in files if f.startswith("bin/")})
    bin_dir = home_dir() / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for program in programs:
        launcher = bin_dir / program
        launcher.write_text(
            "#!/bin/sh\n"
            f"# minipixi global: runs {program} from the '{name}' environment\n"
            f'export PATH="{prefix}/bin:$PATH" CONDA_PREFIX="{prefix}"\n'
            f'exec "{prefix}/bin/{program}" "$@"\n',
            encoding="utf-8",
        )
        launcher.chmod(0o755)
    return tuple(programs)


def install_tools(specs: list[str], *, channels: list[str], config: Config) -> list[GlobalTool]:
    """Install each spec as a global tool; returns what was installed."""
    from minipixi.install import install
    from minipixi.workspace import download_url

    doc = _read()
    envs = doc.setdefault("envs", tomlkit.table())
    installed = []
    for text in specs:
        spec, records = _solve_for_host(text, channels, config)
        prefix = home_dir() / "envs" / spec.name
        mirrors = config.effective_mirrors()
        install([download_url(r, mirrors) for r in records], prefix, requested_specs={spec.name: text})
        entry = tomlkit.table()
        entry["channels"] = channels
        entry["dependencies"] = {spec.name: str(spec.version) if spec.version else "*"}
        exposed = _expose(spec.name, prefix)
        entry["exposed"] = {program: program for program in exposed}
        envs[spec.name] = entry
        version = next(r.version for r in records if r.name == spec.name)
        installed.append(GlobalTool(spec.name, version, exposed))
    _write(doc)
    return installed


def list_tools() -> list[GlobalTool]:
    """The installed global tools, from the global manifest and their environments."""
    from minipixi.install import read_prefix_records

    tools = []
    for name, entry in _read().get("envs", {}).items():
        records = read_prefix_records(home_dir() / "envs" / name)
        version = records[name].record.version if name in records else "?"
        tools.append(GlobalTool(name, version, tuple(entry.get("exposed", {}))))
    return tools


def remove_tools(names: list[str]) -> list[str]:
    """Remove tools: their environment, their launchers and their manifest entry."""
    doc = _read()
    envs = doc.get("envs", {})
    for name in names:
        if name not in envs:
            known = ", ".join(envs) or "none"
            raise InstallError(f"'{name}' is not a global tool", hint=f"installed tools: {known}")
    for name in names:
        for program in envs[name].get("exposed", {}):
            (home_dir() / "bin" / program).unlink(missing_ok=True)
        shutil.rmtree(home_dir() / "envs" / name, ignore_errors=True)
        del envs[name]
    _write(doc)
    return names


def update_tools(names: list[str], *, config: Config) -> list[GlobalTool]:
    """Solve each tool again (all when `names` is empty) and install the newest that fits."""
    envs = _read().get("envs", {})
    updated = []
    for name in names or list(envs):
        if name not in envs:
            raise InstallError(f"'{name}' is not a global tool", hint="install it with `minipixi global install`")
        entry = envs[name]
        spec = " ".join([name, *[v for v in entry["dependencies"].values() if v != "*"]])
        updated += install_tools([spec], channels=list(entry["channels"]), config=config)
    return updated
