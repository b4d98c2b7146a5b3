"""The info/ folder of a conda package, as data: its record, every path it installs, its entry points.

A package describes itself in info/: `index.json` (the record: name, version, depends...),
`paths.json` (every file with its sha256, size, `path_type` and, when the file holds the build
prefix, its `prefix_placeholder` and `file_mode`), `link.json` (`noarch: python` entry points).
Old packages have no `paths.json`; their `info/files`, `info/has_prefix` and `info/no_link`
say the same thing in three plain-text files (`read_legacy_paths`).

These files are written by strangers, like the archive around them. Each is read with a size
bound (`MINIPIXI_MAX_INFO_SIZE`, see `install/package.py`) and must be UTF-8 and, for JSON, an
object. Every path they name (`paths.json` `_path`, the lines of `info/files`) must be relative
and stay inside (`files.check_relative`, the one rule of `files.py`), an entry point's name must
be one file name (`files.check_component`), and an unknown `path_type` is refused. A refusal is
an `UnsafePackageError` (an `ExtractError`) that names the file, the field and the value.

Lesson: Episode 4, "Taking a `.conda` file apart". Read after `install/package.py`; read next
`install/package_cache.py`. Ground truth: rattler_conda_types' package module (`paths.rs`, `link.rs`).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from minipixi.errors import ExtractError, shorten
from minipixi.files import UnsafePathError, check_component, check_relative
from minipixi.install.package import INFO_BYTES_VARIABLE, ExtractLimits, UnsafePackageError


def _checked(check, value, *, what: str, where: str):
    """`check(value)` (a rule of files.py), its refusal raised as an UnsafePackageError."""
    try:
        return check(value, what=what, where=where)
    except UnsafePathError as err:
        raise UnsafePackageError(err.message, where=err.where, hint=err.hint) from None


class PathEntry(NamedTuple):
    """One line of `paths.json`: how to install one path of the package.

    ``path_type`` is "hardlink" (a regular file), "softlink" (a symlink) or "directory" (an
    empty folder). A file with a ``prefix_placeholder`` holds the build prefix, and is copied,
    not linked, so that the placeholder can be replaced in ``file_mode`` "text" or "binary".

    (A NamedTuple, not a frozen dataclass: an install makes one per file, and a tuple is made
    several times faster.)
    """

    path: str
    path_type: str = "hardlink"
    sha256: str | None = None
    size_in_bytes: int | None = None
    prefix_placeholder: str | None = None
    file_mode: str | None = None
    no_link: bool = False

    def to_json(self) -> dict:
        """The paths.json line, keys in sorted order (built in that order: this runs once per
        installed file, so it avoids sorting)."""
        data: dict = {"_path": self.path}
        if self.file_mode is not None:
            data["file_mode"] = self.file_mode
        if self.no_link:
            data["no_link"] = True
        data["path_type"] = self.path_type
        if self.prefix_placeholder is not None:
            data["prefix_placeholder"] = self.prefix_placeholder
        if self.sha256 is not None:
            data["sha256"] = self.sha256
        if self.size_in_bytes is not None:
            data["size_in_bytes"] = self.size_in_bytes
        return data


@dataclass(frozen=True)
class NoarchInfo:
    """What `link.json` says: the noarch kind ("python" or "generic") and its entry points."""

    kind: str | None = None
    entry_points: tuple[str, ...] = ()


PATH_TYPES = frozenset({"hardlink", "softlink", "directory"})
FILE_MODES = frozenset({"text", "binary"})


def parse_paths_json(data: dict, where: str = "paths.json") -> list[PathEntry]:
    """`paths.json` (already decoded) to PathEntry values, in file order.

    Every `_path` must stay inside the prefix and every `path_type` be one we can install;
    otherwise an ExtractError names `where` (the file), the field and the value.
    """
    items = data.get("paths", []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise _bad_info(where, "has no list of `paths`")
    entries = []
    append = entries.append  # this loop runs once per file of every package: kept tight
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise _bad_info(where, f"entry {i} of `paths` is not a mapping")
        path = item.get("_path")
        try:
            check_relative(path, what="`_path`", where=where)
        except UnsafePathError as err:
            raise UnsafePackageError(f"entry {i} of paths.json: {err.message}", where=err.where,
                                     hint=err.hint) from None
        path_type = item.get("path_type", "hardlink")
        placeholder, mode = item.get("prefix_placeholder"), item.get("file_mode")
        if (type(path_type) is not str or path_type not in PATH_TYPES
                or (mode is not None and (type(mode) is not str or mode not in FILE_MODES))
                or (placeholder is not None and not (type(placeholder) is str and placeholder))):
            raise _bad_entry(where, i, path, path_type, placeholder, mode)
        append(PathEntry(path, path_type, item.get("sha256"), item.get("size_in_bytes"),
                         placeholder, mode or ("text" if placeholder else None),
                         bool(item.get("no_link", False))))
    return entries


def _bad_entry(where: str, i: int, path: str, path_type, placeholder, mode) -> ExtractError:
    """Which field of paths.json entry `i` cannot be installed, as an ExtractError."""
    if type(path_type) is not str or path_type not in PATH_TYPES:
        return _bad_info(where, f"entry {i} ('{path}') has `path_type` {shorten(repr(path_type))}, "
                         f"not one of {', '.join(sorted(PATH_TYPES))}")
    if mode is not None and (type(mode) is not str or mode not in FILE_MODES):
        return _bad_info(where, f"entry {i} ('{path}') has `file_mode` {shorten(repr(mode))}, "
                         f"not 'text' or 'binary'")
    return _bad_info(where, f"entry {i} ('{path}') has `prefix_placeholder` {shorten(repr(placeholder))}, "
                     f"not a non-empty string")


def _bad_info(where: str, problem: str) -> ExtractError:
    return ExtractError(f"{where} {problem}", where=where,
                        hint="the package is broken or hostile; do not install it")


def read_info_json(path: Path) -> dict:
    """One JSON file of `info/` (index.json, paths.json, link.json): size-checked, decoded,
    and a mapping, or an ExtractError naming the file."""
    data = read_info_text(path)
    try:
        value = json.loads(data)
    except ValueError as err:
        raise _bad_info(str(path), f"is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise _bad_info(str(path), "is not a JSON object")
    return value


def read_info_text(path: Path) -> str:
    """A text file of `info/`, refused when bigger than the info limit or not UTF-8."""
    limit = ExtractLimits().max_info_bytes
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise ExtractError(f"cannot read {path}: {err.strerror}", where=str(path),
                           hint="delete the package from the cache and install again") from err
    if len(data) > limit:
        raise _bad_info(str(path), f"is bigger than the limit of {limit} bytes for an info/ "
                        f"file (set {INFO_BYTES_VARIABLE} to raise it)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _bad_info(str(path), f"is not UTF-8 text: {err}") from None


def read_index_json(package_dir: Path) -> dict:
    """The record the package carries in `info/index.json`."""
    return read_info_json(Path(package_dir) / "info" / "index.json")


def read_paths(package_dir: Path) -> list[PathEntry]:
    """What to install from an extracted package: `info/paths.json`, or the legacy files."""
    info = Path(package_dir) / "info"
    paths_json = info / "paths.json"
    if paths_json.is_file():
        return parse_paths_json(read_info_json(paths_json), str(paths_json))
    return read_legacy_paths(Path(package_dir))


def read_legacy_paths(package_dir: Path) -> list[PathEntry]:
    """Rebuild paths.json for an old package from `info/files`, `has_prefix` and `no_link`.

    `has_prefix` lines are ``<placeholder> <mode> <path>`` (or just ``<path>``, meaning the
    classic placeholder in text mode). A symlink is recognised by looking at the extracted file.
    """
    info = package_dir / "info"
    prefixed = {path: (ph, mode) for path, ph, mode in _read_has_prefix(info / "has_prefix")}
    no_link = set(_read_lines(info / "no_link"))
    entries = []
    for path in _read_lines(info / "files"):
        _checked(check_relative, path, what="path", where=str(info / "files"))
        is_link = (package_dir / path).is_symlink()
        placeholder, mode = prefixed.get(path, (None, None))
        entries.append(
            PathEntry(path, "softlink" if is_link else "hardlink", prefix_placeholder=placeholder,
                      file_mode=mode, no_link=path in no_link)
        )
    return entries


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line.strip() for line in read_info_text(path).splitlines() if line.strip()]


def _read_has_prefix(path: Path) -> Iterator[tuple[str, str, str]]:
    """`has_prefix` lines as (path, placeholder, mode); quotes around fields are allowed."""
    for line in _read_lines(path):
        try:
            parts = shlex.split(line)
        except ValueError as err:
            raise _bad_info(str(path), f"has a line that cannot be read ({err}): {line!r}") from None
        if len(parts) == 1:
            yield parts[0], "/opt/anaconda1anaconda2anaconda3", "text"
        elif len(parts) == 3 and parts[1] in FILE_MODES and parts[0]:
            yield parts[2], parts[0], parts[1]
        else:
            raise _bad_info(str(path), f"has a line that is not '<placeholder> <text|binary> "
                            f"<path>': {line!r}")


def read_noarch(package_dir: Path) -> NoarchInfo:
    """The noarch kind and entry points, from `link.json` (or `index.json` when it has none).

    Each entry point becomes a launcher `bin/<name>`, so its name must be one file name.
    """
    info = Path(package_dir) / "info"
    link = info / "link.json"
    if link.is_file():
        noarch = read_info_json(link).get("noarch") or {}
        points = noarch.get("entry_points", ()) if isinstance(noarch, dict) else None
        if not isinstance(points, (list, tuple)):
            raise _bad_info(str(link), "has `noarch` without a list of `entry_points`")
        for point in points:
            parse_entry_point(point, str(link))
        return NoarchInfo(noarch.get("type"), tuple(points))
    kind = read_index_json(package_dir).get("noarch") if (info / "index.json").is_file() else None
    return NoarchInfo(kind if isinstance(kind, str) else ("generic" if kind else None))


ENTRY_POINT = re.compile(r"\s*([^=\s]+)\s*=\s*([\w.]+)\s*:\s*([\w.]+)\s*")


def parse_entry_point(spec: object, where: str = "link.json") -> tuple[str, str, str]:
    """`"name = module.sub:func"` to (name, module, func); the name must be one file name."""
    found = ENTRY_POINT.fullmatch(spec) if isinstance(spec, str) else None
    if not found:
        raise ExtractError(f"cannot read entry point {spec!r} in {where}", where=where,
                           hint="entry points look like 'name = module:function'")
    _checked(check_component, found.group(1), what="entry point name", where=where)
    return found.group(1), found.group(2), found.group(3)
