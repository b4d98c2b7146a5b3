"""Where a workspace runs: channels, platforms and their entries, system requirements, targets.

- **Channels** are names or URLs, or ``{ channel = "...", priority = N }``.
- **Platforms** are conda subdirs (``linux-64``) or rich entries that add virtual packages to
  one: ``{ name = "linux-64-cuda", platform = "linux-64", cuda = "12" }``. An unnamed entry gets
  a derived name (``linux-64-cuda-12``); names are unique and may not be a target selector.
- **System requirements** (``[system-requirements] cuda = "12"``) are versions made of numbers
  and dots: the version of a driver or a libc never holds letters.
- **References**: a feature lists only platforms the workspace declares, and a
  ``[target.SELECTOR]`` names a platform, a family (unix, linux, osx, win), an entry's name or a
  glob over names; one that matches no platform of this workspace is only a warning. Which
  target wins on which platform is `manifest/resolve.py` (`target_rank`).

Lesson: Episode 2 ("multi-platform") and Episode 5 (rich platform entries). Read after
`manifest/parse_settings.py`; read next `manifest/parse_features.py`.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from minipixi.errors import ManifestError, shorten
from minipixi.files import url_problem
from minipixi.manifest.model import (
    KNOWN_PLATFORMS, PLATFORM_VIRTUAL_KEYS, SELECTORS, ChannelEntry, Feature, PlatformEntry, SystemRequirements,
)
from minipixi.manifest.parse_settings import check_exclude_newer
from minipixi.manifest.resolve import target_rank
from minipixi.manifest.schema import PLATFORM_ENTRY_KEYS, PLATFORM_NAME, SYSTEM_REQUIREMENT_KEYS, TARGET_GLOB
from minipixi.manifest.shape import (
    ParseContext, check_keys, did_you_mean, display_name, dotted, expect, feature_path, quoted, version_text,
)


def parse_channels(ctx: ParseContext, value: Any, path: Sequence[Any]) -> tuple[ChannelEntry, ...]:
    channels = []
    for i, item in enumerate(expect(ctx, value, (list,), path, "channels")):
        item_path = tuple(path) + (i,)
        expect(ctx, item, (str, dict), item_path, "a channel")
        if isinstance(item, dict):
            check_keys(ctx, item, ("channel", "priority", "exclude-newer"), item_path)
            if "channel" not in item:
                raise ctx.error(item_path, "a channel table needs a 'channel'", 'write { channel = "conda-forge", priority = 1 }')
            name = _channel_text(ctx, item["channel"], item_path + ("channel",))
            priority = expect(ctx, item.get("priority", 0), (int,), item_path + ("priority",), "channel priority")
            if "exclude-newer" in item:
                check_exclude_newer(ctx, item["exclude-newer"], item_path + ("exclude-newer",), "exclude-newer")
            channels.append(ChannelEntry(name, priority))
        else:
            channels.append(ChannelEntry(_channel_text(ctx, item, item_path)))
    return tuple(channels)


def _channel_text(ctx: ParseContext, value: Any, path: Sequence[Any]) -> str:
    """A channel's name or URL; a URL must be one the URL parser reads (an unclosed ``[`` of an
    IPv6 host, or port 99999, would otherwise fail only when the channel is fetched)."""
    text = expect(ctx, value, (str,), path, "a channel")
    problem = url_problem(text) if "://" in text else None
    if problem:
        raise ctx.error(path, f"'{shorten(text)}' is not a valid channel URL ({problem})",
                        'write e.g. "https://prefix.dev/conda-forge"', at_value=True)
    return text


def derived_platform_name(subdir: str, virtual: Mapping[str, str]) -> str:
    """The name Pixi derives for an unnamed rich entry: ``linux-64-cuda-12-9`` for cuda 12.9."""
    parts = [subdir] + [f"{key}-{virtual[key]}" for key in PLATFORM_VIRTUAL_KEYS if key in virtual]
    return re.sub(r"[^A-Za-z0-9-]", "-", "-".join(parts))


def _unknown_platform(ctx: ParseContext, name: str, path: Sequence[Any]) -> ManifestError:
    guess = did_you_mean(name, KNOWN_PLATFORMS, 0.8)
    hint = f"did you mean '{guess}'?" if guess else "known platforms: " + ", ".join(KNOWN_PLATFORMS)
    return ctx.error(path, f"'{name}' is not a known platform", hint, at_value=True)


def parse_platform_entry(ctx: ParseContext, item: Any, path: Sequence[Any]) -> PlatformEntry:
    """One item of ``workspace.platforms``: a subdir string or a rich table."""
    expect(ctx, item, (str, dict), path, "a platform")
    if isinstance(item, str):
        if item not in KNOWN_PLATFORMS:
            raise _unknown_platform(ctx, item, path)
        return PlatformEntry(item, item)
    check_keys(ctx, item, PLATFORM_ENTRY_KEYS, path)
    if "platform" not in item and "name" not in item:
        raise ctx.error(path, "a platform entry needs a 'platform' (or a 'name' that is a platform)",
                        'write { name = "linux-64-cuda", platform = "linux-64", cuda = "12" }', at_value=True)
    subdir = str(item.get("platform", item.get("name")))
    if subdir not in KNOWN_PLATFORMS:
        raise _unknown_platform(ctx, subdir, tuple(path) + (("platform",) if "platform" in item else ("name",)))
    virtual = _platform_virtual(ctx, item, path)
    name = item.get("name")
    if name is not None:
        _check_platform_name(ctx, str(name), tuple(path) + ("name",))
    return PlatformEntry(str(name) if name else derived_platform_name(subdir, virtual), subdir,
                         virtual, rich=True, named=name is not None)


def _platform_virtual(ctx: ParseContext, item: Mapping[str, Any], path: Sequence[Any]) -> dict[str, str]:
    virtual = {}
    for key in PLATFORM_VIRTUAL_KEYS + ("osx",):
        if key not in item:
            continue
        value = item[key]
        if key == "cuda" and isinstance(value, dict):
            check_keys(ctx, value, ("driver", "arch"), tuple(path) + ("cuda",))
            value = value.get("driver", "")
        text = str(value) if key == "archspec" else version_text(ctx, value, tuple(path) + (key,), key)
        virtual["macos" if key == "osx" else key] = text
    return virtual


def _check_platform_name(ctx: ParseContext, name: str, path: Sequence[Any]) -> None:
    if name in SELECTORS or name == "macos":
        raise ctx.error(path, f"'{name}' is reserved as a target selector and cannot name a platform",
                        f"choose a more specific name, e.g. '{name}-gpu'", at_value=True)
    if len(name) > 64 or not PLATFORM_NAME.fullmatch(name):
        raise ctx.error(path, f"'{name}' is not a valid platform name",
                        "use letters, digits and dashes, starting with a letter", at_value=True)


def parse_platforms(ctx: ParseContext, value: Any, path: Sequence[Any]) -> tuple[PlatformEntry, ...]:
    entries: list[PlatformEntry] = []
    for i, item in enumerate(expect(ctx, value, (list,), path, "platforms")):
        entry = parse_platform_entry(ctx, item, tuple(path) + (i,))
        if any(e.name == entry.name for e in entries):
            raise ctx.error(tuple(path) + (i,), f"duplicate platform '{entry.name}'",
                            "list each platform once (give rich entries distinct names)", at_value=True)
        entries.append(entry)
    return tuple(entries)


def parse_system_requirements(ctx: ParseContext, table: Any, path: Sequence[Any]) -> SystemRequirements:
    table = expect(ctx, table, (dict,), path, "[system-requirements]")
    check_keys(ctx, table, SYSTEM_REQUIREMENT_KEYS, path)
    fields: dict[str, str | None] = {}
    for key in ("cuda", "linux", "macos"):
        if key in table:
            fields[key] = version_text(ctx, table[key], tuple(path) + (key,), f"system requirement '{key}'")
    if "archspec" in table:
        fields["archspec"] = expect(ctx, table["archspec"], (str,), tuple(path) + ("archspec",), "archspec")
    libc = table.get("libc")
    if isinstance(libc, dict):
        check_keys(ctx, libc, ("family", "version"), tuple(path) + ("libc",))
        if "version" not in libc:
            raise ctx.error(tuple(path) + ("libc",), "libc needs a 'version'", 'write libc = { family = "glibc", version = "2.28" }')
        fields["libc_family"] = str(libc.get("family", "glibc"))
        fields["libc"] = version_text(ctx, libc["version"], tuple(path) + ("libc", "version"), "libc")
    elif libc is not None:
        fields["libc_family"] = "glibc"
        fields["libc"] = version_text(ctx, libc, tuple(path) + ("libc",), "libc")
    return SystemRequirements(**fields)


# ---- references to platforms -------------------------------------------------------------------
def check_feature_platforms(ctx: ParseContext, features: Mapping[str, Feature], platforms: Sequence[PlatformEntry]) -> None:
    """A feature may only list platforms the workspace declares (by entry name)."""
    names = [p.name for p in platforms]
    for feature in features.values():
        for i, name in enumerate(feature.platforms or ()):
            if name not in names:
                raise ctx.error(feature_path(feature) + ("platforms", i),
                                f"feature '{display_name(feature.name)}' references platform '{name}' which is not declared in the workspace",
                                _undeclared_platform_hint(name, names), at_value=True)


def _undeclared_platform_hint(name: str, declared: Sequence[str]) -> str:
    hint = "the workspace declares: " + (", ".join(declared) or "no platforms")
    if name in KNOWN_PLATFORMS:
        return hint + f"; add it with `minipixi workspace platform add {name}`"
    subdir = next((p for p in sorted(KNOWN_PLATFORMS, key=len, reverse=True) if name.startswith(p + "-")), None)
    if subdir:  # linux-64-cuda: a rich entry built on linux-64
        return hint + f"; declare it with `minipixi workspace platform add {name}={subdir} --cuda 12` (or its own keys)"
    guess = did_you_mean(name, list(declared) + list(KNOWN_PLATFORMS), 0.8)
    return (f"did you mean '{guess}'? " if guess else f"'{name}' is not a known platform; ") + hint


def check_target_selectors(ctx: ParseContext, features: Mapping[str, Feature], platforms: Sequence[PlatformEntry]) -> None:
    """Every ``[target.SELECTOR]`` must be a platform, a family, a platform entry's name or a
    glob over names; one that is known but matches no platform here is only a warning."""
    names = [p.name for p in platforms]
    for feature in features.values():
        for selector in feature.targets:
            known = (selector in KNOWN_PLATFORMS or selector in SELECTORS or selector in names
                     or (any(ch in selector for ch in "*?") and bool(TARGET_GLOB.fullmatch(selector))))
            if not known:
                guess = did_you_mean(selector, list(SELECTORS) + names + list(KNOWN_PLATFORMS), 0.7)
                raise ctx.error(feature_path(feature) + ("target", selector),
                                f"{quoted(selector)} is not a target selector",
                                (f"did you mean '{guess}'? " if guess else "")
                                + "a target is a platform (linux-64), a family (unix, linux, osx, win), "
                                "the name of a platform entry, or a glob over those names (cuda-*)")
            if not any(target_rank(selector, p) is not None for p in platforms):
                ctx.warnings.append(
                    f"the target selector '{selector}' (in {dotted(feature_path(feature) + ('target',)) or 'target'}) "
                    "does not match any platform of the workspace"
                )
