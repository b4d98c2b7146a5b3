"""``minipixi workspace ...`` edits: platforms, channels, environments, system requirements.

These change the lists and tables that shape the whole workspace rather than one dependency:

- **platforms**: ``workspace.platforms`` (or a feature's ``platforms``) holds plain subdirs
  (``"linux-64"``) or rich entries (``{ name = "linux-64-cuda", platform = "linux-64", cuda =
  "12" }``); a rich entry is found by its name, a plain one by its subdir;
- **channels**: ``workspace.channels`` (or a feature's), optionally ``{ channel, priority }``;
- **environments**: ``[environments] name = ["feature", ...]``, or the table form;
- **system requirements**: ``[system-requirements] cuda = "12"``, the older form that
  `manifest/migrate.py` rewrites into rich platform entries.

Lesson: Episode 2 (``pixi workspace platform add``, ``pixi workspace environment add``) and
Episode 5 (system requirements). Read after `manifest/edit_tasks.py`; read next
`manifest/migrate.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import tomlkit
from tomlkit.items import Array

from minipixi.errors import ManifestError
from minipixi.manifest.edit import (
    edit_manifest, fill_table, get_table, inline, located_error, prune_empty, remove_entries,
    section_keys, workspace_key,
)
from minipixi.manifest.model import DEFAULT_FEATURE, KNOWN_PLATFORMS, PLATFORM_VIRTUAL_KEYS
from minipixi.manifest.parse_platforms import derived_platform_name
from minipixi.manifest.shape import did_you_mean
from minipixi.manifest.workspace import Workspace


# ---- platforms ---------------------------------------------------------------------------------
def _platforms_array(doc: Any, feature: str | None) -> Array:
    if feature and feature != DEFAULT_FEATURE:
        table = get_table(doc, ("feature", feature), create=True)
    else:
        table = doc[workspace_key(doc)]
    if "platforms" not in table:
        table["platforms"] = tomlkit.array()
    return table["platforms"]


def entry_name(item: Any) -> str:
    """The name of a ``platforms`` array item: a plain subdir, or a rich entry's (given or
    derived) name."""
    if isinstance(item, str):
        return item
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
            name = entry_name(entry)
            if name not in [entry_name(item) for item in array]:
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
        names = [entry_name(item) for item in array]
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
    """Remove ``name`` from [environments] (and the table, if that empties it)."""
    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> None:
        remove_entries(doc, ("environments",), [name], workspace, keep_top_level=False)

    edit_manifest(path, f"remove environment '{name}'", change)


# ---- system requirements -------------------------------------------------------------------------
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
