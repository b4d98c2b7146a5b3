"""Finding the manifest: which file in which folder is the workspace's pixi.toml.

A command runs in some folder inside a workspace, so minipixi looks for the manifest there and
then in each parent folder, as Pixi does. In each folder it takes ``pixi.toml``, else a
``pyproject.toml`` that has a ``[tool.pixi]`` table (a Python project keeping its pixi manifest
there). A manifest that only describes a package to build (``[package]`` without
``[workspace]``, pixi-build) belongs to the workspace above it, so the search goes on past it.

Looking is not parsing: the standard library's ``tomllib`` reads just enough to see which tables
a file has, and a file too large to be a manifest is not opened. Reading and checking the file
is `manifest/parse.py`.

Lesson: Episode 2 ("the manifest"). Read after `manifest/locate.py`; read next
`manifest/schema.py`.
"""

from __future__ import annotations

import os
import tomllib  # the standard library's reader is enough to look, and fast
from pathlib import Path
from typing import Any

from minipixi.errors import ManifestError


MANIFEST_NAME = "pixi.toml"
#: Pixi's second manifest format: a Python project's pyproject.toml with a ``[tool.pixi]`` table.
PYPROJECT_NAME = "pyproject.toml"
#: A pyproject.toml larger than this is not opened while looking for a manifest.
MAX_MANIFEST_BYTES = 8 * 1024 * 1024

#: What `find_manifest` read while looking: path -> (bytes, `os.fstat` of the file they came from).
Seen = dict[Path, tuple[bytes, os.stat_result]]


def is_pyproject(path: Path | str) -> bool:
    """Whether `path` names a pyproject.toml (whose manifest is its [tool.pixi] table)."""
    return Path(path).name == PYPROJECT_NAME


def _pixi_tables(path: Path, seen: Seen | None = None) -> dict[str, Any] | None:
    """The top-level pixi tables of a manifest file (``[tool.pixi]``'s for a pyproject.toml), just
    to look at; None when it cannot be read (the parser will say why) or a pyproject.toml has no
    [tool.pixi]. The bytes looked at go into `seen`, with the file's identity (`os.fstat`)."""
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        with path.open("rb") as stream:
            raw = stream.read()
            if seen is not None:
                seen[path] = (raw, os.fstat(stream.fileno()))
        data = tomllib.loads(raw.decode("utf-8"))
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
    try:
        with path.open("rb") as stream:
            tomllib.load(stream)
    except (OSError, ValueError, RecursionError):
        return True
    return False


def is_package_manifest(path: Path, seen: Seen | None = None) -> bool:
    """A manifest of a package built with pixi-build only: [package] and no [workspace]/[project]."""
    tables = _pixi_tables(path, seen)
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


def find_manifest(start_dir: Path | str = ".", seen: Seen | None = None) -> Path:
    """The manifest in `start_dir` or the nearest parent folder (`manifest_in`); ManifestError if
    there is none. As in Pixi, a package's manifest (`is_package_manifest`) belongs to the
    workspace above it: the search goes on, and only when no workspace manifest is found above is
    the package's returned (reading it then says that building packages is not supported).
    The bytes of each manifest looked at go into `seen`, so a caller need not read it again."""
    start = Path(start_dir).resolve()
    package = None
    for folder in (start, *start.parents):
        found = manifest_in(folder)
        if found is not None and not is_package_manifest(found, seen):
            return found
        package = package or found
    if package is not None:
        return package
    raise ManifestError(
        f"could not find {MANIFEST_NAME} (or a {PYPROJECT_NAME} with [tool.pixi]) in {start} or any parent folder",
        hint="run `minipixi init` to create a workspace here, or pass --manifest-path",
    )
