"""``minipixi init``: the first pixi.toml (or the [tool.pixi] tables of a pyproject.toml).

``init`` writes a small manifest the way Pixi does: ``[workspace]`` with the name, channels
(conda-forge unless told) and this machine's platform (`manifest/machine.py`), an empty
``[tasks]`` and ``[dependencies]``, plus a ``.gitignore`` for ``.pixi/`` and a
``.gitattributes`` that marks pixi.lock as generated. With ``--import environment.yml`` the
name, channels and dependencies come from a conda environment file
(`manifest/environment_yml.py`). With ``--format pyproject`` the tables go into pyproject.toml,
which is kept byte for byte when it exists. Like every edit, the text is checked with the real
parser before it is written.

Lesson: Episode 2 (``pixi init``). Read after `manifest/migrate.py`; read next
`manifest/environment_yml.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import tomlkit

from minipixi.errors import ManifestError, shorten
from minipixi.manifest.edit import TextForm, decode_manifest, validate_new_text, write_text_atomic
from minipixi.manifest.environment_yml import read_environment_yml
from minipixi.manifest.machine import current_platform
from minipixi.manifest.find import MANIFEST_NAME, PYPROJECT_NAME, manifest_in
from minipixi.manifest.model import KNOWN_PLATFORMS
from minipixi.manifest.shape import did_you_mean
from minipixi.manifest.specs import spec_toml_value


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
    _check_platforms(platforms)
    text = render_new_manifest(name or folder.resolve().name, list(channels) or ["conda-forge"],
                               list(platforms) or [current_platform()], authors, deps, pypi)
    validate_new_text(text, manifest, f"create {manifest}")
    _write_new(folder, manifest, text, TextForm(), "create")
    return manifest


def _init_pyproject(folder: Path, name: str | None, channels: Sequence[str], platforms: Sequence[str]) -> Path:
    manifest = folder / PYPROJECT_NAME
    found = manifest_in(folder) if folder.is_dir() else None
    if found is not None:
        raise ManifestError(f"{found} already holds a pixi manifest", hint="edit it, or remove it to start again")
    _check_platforms(platforms)
    existing = None
    form = TextForm()
    if manifest.is_file():
        existing, form = decode_manifest(manifest.read_bytes(), manifest)
    text = render_pyproject_manifest(name or folder.resolve().name, list(channels) or ["conda-forge"],
                                     list(platforms) or [current_platform()], existing)
    validate_new_text(text, manifest, f"add [tool.pixi] to {manifest}" if existing is not None else f"create {manifest}")
    _write_new(folder, manifest, text, form, "write")
    return manifest


def _check_platforms(platforms: Sequence[str]) -> None:
    for platform in platforms:
        if platform not in KNOWN_PLATFORMS:
            raise ManifestError(f"'{platform}' is not a known platform",
                                hint=f"did you mean '{did_you_mean(platform, KNOWN_PLATFORMS, 0.8)}'?")


def _write_new(folder: Path, manifest: Path, text: str, form: TextForm, verb: str) -> None:
    """Write the checked `text` (creating `folder`), then a .gitignore and a .gitattributes
    where there are none yet."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(manifest, text, form)
    except OSError as err:
        raise ManifestError(f"cannot {verb} {manifest}: {err.strerror or err}",
                            hint="choose a folder you can write to (not an existing file)") from err
    for filename, content in ((".gitignore", GITIGNORE), (".gitattributes", GITATTRIBUTES)):
        if not (folder / filename).exists():
            write_text_atomic(folder / filename, content)
