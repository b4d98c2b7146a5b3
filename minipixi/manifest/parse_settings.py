"""Workspace-wide settings: the [workspace] table, ``requires-pixi``, ``exclude-newer`` and friends.

The ``[workspace]`` table (``[project]`` in older manifests, with a warning) names the workspace
and holds the settings that shape every solve:

- ``channel-priority`` and ``solve-strategy`` take one of Pixi's values, which the solver
  honours (`check_solve_options`, also used for features and environments);
- ``requires-pixi`` must admit the Pixi version minipixi follows (`PIXI_VERSION`), checked
  first, as Pixi does, because a newer manifest may use keys this reader does not know;
- ``exclude-newer`` is a date, a timestamp or a duration (``7d``); the workspace's own cut-off
  is honoured, any other place's is kept as an `Unsupported` setting;
- ``conda-pypi-map`` and a pixi-build ``[package]`` table are checked for shape and kept.

Lesson: Episode 2 ("the manifest"). Read after `manifest/parse_tasks.py`; read next
`manifest/parse_platforms.py`.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Mapping, Sequence

from minipixi import PIXI_VERSION
from minipixi.errors import Location, ManifestError, shorten, source_excerpt
from minipixi.manifest.parse_dependencies import parse_dependency_table
from minipixi.manifest.schema import (
    CHANNEL_PRIORITIES, PACKAGE_BUILD_UNSUPPORTED, PACKAGE_KEYS, PACKAGE_TARGET_KEYS, SOLVE_STRATEGIES,
    WORKSPACE_KEYS,
)
from minipixi.manifest.shape import (
    ParseContext, check_choice, check_keys, check_version_spec, expect, expect_str_list,
)
from minipixi.version import Version
from minipixi.version_spec import VersionSpec


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


def check_exclude_newer(ctx: ParseContext, value: Any, path: Sequence[Any], key: str, honoured: bool = False) -> None:
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


def check_solve_options(ctx: ParseContext, table: Mapping[str, Any], path: tuple) -> str | None:
    """``channel-priority`` and ``solve-strategy`` of a workspace, feature or environment table.

    Both are checked against Pixi's values, and the solver honours each of them (strict,
    flexible or disabled priority; highest, lowest or lowest-direct). Returns the channel
    priority (None when not set).
    """
    priority = table.get("channel-priority")
    if priority is not None:
        check_choice(ctx, priority, CHANNEL_PRIORITIES, path + ("channel-priority",), "channel-priority")
    strategy = table.get("solve-strategy")
    if strategy is not None:
        check_choice(ctx, strategy, SOLVE_STRATEGIES, path + ("solve-strategy",), "solve-strategy")
    return priority


# ---- the workspace table -----------------------------------------------------------------------
def workspace_table(ctx: ParseContext, doc: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
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


def check_workspace_fields(ctx: ParseContext, key: str, table: Mapping[str, Any]) -> None:
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


def _check_requires_pixi(ctx: ParseContext, text: str, path: tuple) -> None:
    """``requires-pixi`` must admit the Pixi version minipixi follows (`PIXI_VERSION`)."""
    check_version_spec(ctx, text, path, "requires-pixi")
    if not VersionSpec(text).matches(Version(PIXI_VERSION)):
        raise ctx.error(path, f"this workspace requires pixi {shorten(text)}, but minipixi follows pixi {PIXI_VERSION}",
                        "use a pixi version that satisfies requires-pixi, or relax it if the workspace works with "
                        f"pixi {PIXI_VERSION}", at_value=True)


def _check_conda_pypi_map(ctx: ParseContext, value: Any, path: tuple) -> None:
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
            if not entry:
                raise ctx.error(entry_path, f"the conda-pypi-map entry of '{channel}' is empty",
                                "give at least one of location, mapping, mapping-mode or same-name-heuristic",
                                at_value=True)
            if "location" in entry:
                expect(ctx, entry["location"], (str,), entry_path + ("location",), "location")
            if "same-name-heuristic" in entry:
                expect(ctx, entry["same-name-heuristic"], (bool,), entry_path + ("same-name-heuristic",),
                       "same-name-heuristic")
            if "mapping-mode" in entry:
                check_choice(ctx, entry["mapping-mode"], ("overlay", "replace"), entry_path + ("mapping-mode",), "mapping-mode")
            for pkg, target in expect(ctx, entry.get("mapping", {}), (dict,), entry_path + ("mapping",), "mapping").items():
                if target is True:
                    raise ctx.error(entry_path + ("mapping", pkg), "`true` is not supported as a PyPI name",
                                    "use a string or a list of strings, or false for 'not on PyPI'", at_value=True)
                expect(ctx, target, (str, list, bool), entry_path + ("mapping", pkg), f"the PyPI name of '{pkg}'")
                for item in target if isinstance(target, list) else ():
                    expect(ctx, item, (str,), entry_path + ("mapping", pkg), f"a PyPI name of '{pkg}'")


def check_package(ctx: ParseContext, doc: Mapping[str, Any]) -> None:
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
