"""``minipixi add`` and ``minipixi remove``: dependency entries in the manifest.

A dependency goes into ``[dependencies]``, or ``[host-dependencies]`` / ``[build-dependencies]``
/ ``[pypi-dependencies]``, of the default feature or of ``[feature.NAME]``, optionally under
``[target.PLATFORM]``. `add_dependencies` writes the specs (parsed by `manifest/specs.py`),
creating the tables it needs; `remove_dependencies` deletes entries and the tables an `add`
created once they are empty, so add-then-remove gives back the original bytes.

The pin that ``add`` writes for a spec without a version comes from solving, which is not the
manifest's business: the command pipeline in `app/` solves, then calls `add_dependencies` with a
`pin` (see `manifest/pins.py`).

Lesson: Episode 2 (``pixi add``, ``pixi remove``). Read after `manifest/pins.py`; read next
`manifest/edit_tasks.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import tomlkit

from minipixi.errors import ManifestError
from minipixi.manifest.edit import (
    Draft, check_selector, edit_manifest, fill_table, get_table, inline, remove_entries, section_keys,
)
from minipixi.manifest.model import DependencySpec
from minipixi.manifest.specs import parse_cli_spec, spec_toml_value
from minipixi.manifest.workspace import Workspace


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
    path: Path | str | Draft,
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
            check_selector(platform, workspace)
        added = []
        for platform in platforms or [None]:
            keys = section_keys(table, feature=feature, platform=platform)
            target = get_table(doc, keys, create=True)
            fill_table(target, {spec.name: spec_toml_value(spec) for spec in parsed})
            added.extend(AddedDependency(spec, ".".join(keys)) for spec in parsed)
        return added

    return edit_manifest(path, "add " + " ".join(specs), change)
# --8<-- [end:add]


# --8<-- [start:add_pypi]
def add_pypi_dependencies(
    path: Path | str | Draft,
    specs: Sequence[str],
    *,
    feature: str | None = None,
    platforms: Sequence[str] = (),
    pins: Mapping[str, str] | None = None,
) -> list[AddedDependency]:
    """Add PEP 508 requirements (``requests``, ``"requests[socks]>=2"``, ``"pywin32;
    sys_platform == 'win32'"``) to [pypi-dependencies], as Pixi writes them: the version alone
    (``">=2.32.3, <3"``; ``"*"`` for none), or an inline table when there are extras or markers
    (``{ version = ">=2", extras = ["socks"] }``). `pins` gives, by name, the version written
    for a requirement without one (the app solves it first). A direct reference (``name @ URL``)
    is refused: minipixi installs wheels from an index only."""
    parsed = [parse_pypi_spec(text) for text in specs]
    pins = pins or {}

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[AddedDependency]:
        for platform in platforms:
            check_selector(platform, workspace)
        added = []
        for platform in platforms or [None]:
            keys = section_keys("pypi-dependencies", feature=feature, platform=platform)
            target = get_table(doc, keys, create=True)
            values = {}
            for requirement in parsed:
                version = str(requirement.specifier) or pins.get(requirement.name) or "*"
                version = ", ".join(version.split(","))
                values[requirement.name] = _pypi_toml_value(requirement, version)
                added.append(AddedDependency(DependencySpec(requirement.name, version=version), ".".join(keys)))
            fill_table(target, values)
        return added

    return edit_manifest(path, "add --pypi " + " ".join(specs), change)
# --8<-- [end:add_pypi]


def parse_pypi_spec(text: str):
    """A PEP 508 requirement typed after ``add --pypi`` (a ``packaging`` Requirement)."""
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: PyPI only

    try:
        requirement = Requirement(text)
    except InvalidRequirement as err:
        raise ManifestError(f"'{text}' is not a PyPI requirement: {err}",
                            hint='write e.g. requests, "requests>=2.31" or "requests[socks]>=2"') from err
    if requirement.url:
        raise ManifestError(f"'{text}' is a direct reference: building from source is not supported; "
                            "use a wheel or a conda package",
                            hint=f"add '{requirement.name}' with a version, from an index that has wheels")
    return requirement


def _pypi_toml_value(requirement, version: str):
    if not requirement.extras and requirement.marker is None:
        return version
    table: dict = {"version": version}
    if requirement.extras:
        table["extras"] = sorted(requirement.extras)
    if requirement.marker is not None:
        table["env-markers"] = str(requirement.marker)
    return inline(table)


def _with_version(spec: DependencySpec, version: str) -> DependencySpec:
    return DependencySpec(spec.name, version=version, build=spec.build, channel=spec.channel)


def remove_dependencies(
    path: Path | str | Draft,
    names: Sequence[str],
    *,
    feature: str | None = None,
    platforms: Sequence[str] = (),
    table: str = "dependencies",
) -> list[str]:
    """Remove packages by name; an emptied feature/target table is removed too. Returns names."""
    names = [parse_pypi_spec(n).name if table == "pypi-dependencies" else parse_cli_spec(n).name for n in names]

    def change(doc: tomlkit.TOMLDocument, workspace: Workspace) -> list[str]:
        for platform in platforms or [None]:
            remove_entries(doc, section_keys(table, feature=feature, platform=platform), names, workspace)
        return list(names)

    return edit_manifest(path, "remove " + " ".join(names), change)
