"""``minipixi workspace migrate``: [system-requirements] tables become rich platform entries.

Pixi has two ways to say "this environment assumes CUDA 12 on linux-64": the older
``[system-requirements] cuda = "12"`` table (per feature), and a rich platform entry
``{ name = "linux-64-cuda", platform = "linux-64", cuda = "12" }`` that a feature lists in its
``platforms``. Migrating rewrites the first into the second so that every environment still
resolves to the same virtual packages (`plan_migration` says how, in three rules), then writes
the plan with the editing steps of `manifest/edit.py`.

Lesson: Episode 5 (system requirements and rich platform entries). Read after
`manifest/edit_workspace.py`; read next `manifest/init.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import tomlkit
from tomlkit.items import Table

from minipixi.errors import ManifestError
from minipixi.manifest.edit import edit_manifest, get_table, inline, workspace_key
from minipixi.manifest.edit_workspace import entry_name
from minipixi.manifest.model import DEFAULT_FEATURE
from minipixi.manifest.resolve import applicable_virtual_packages, merge_system_requirements, platform_requirements
from minipixi.manifest.workspace import Workspace


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
        old_items = {entry_name(item): item for item in doc[workspace_key(doc)]["platforms"]}
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
